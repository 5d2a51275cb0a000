build-asan/obj/cli.o: src/cli.c src/cli.h src/status.h
src/cli.h:
src/status.h:
