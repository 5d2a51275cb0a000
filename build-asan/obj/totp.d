build-asan/obj/totp.o: src/totp.c src/totp.h src/crypto.h src/status.h
src/totp.h:
src/crypto.h:
src/status.h:
