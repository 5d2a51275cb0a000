build-asan/obj/login.o: src/login.c src/login.h src/merchant.h \
 src/crypto.h src/status.h src/totp.h src/vault.h
src/login.h:
src/merchant.h:
src/crypto.h:
src/status.h:
src/totp.h:
src/vault.h:
