build-asan/obj/main.o: src/main.c src/cli.h src/status.h src/clock.h
src/cli.h:
src/status.h:
src/clock.h:
