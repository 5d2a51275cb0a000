build-asan/obj/status.o: src/status.c src/status.h
src/status.h:
