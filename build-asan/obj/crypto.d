build-asan/obj/crypto.o: src/crypto.c src/crypto.h src/status.h
src/crypto.h:
src/status.h:
