build-asan/obj/clock.o: src/clock.c src/clock.h src/status.h
src/clock.h:
src/status.h:
