build-asan/obj/base32.o: src/base32.c src/base32.h src/status.h
src/base32.h:
src/status.h:
