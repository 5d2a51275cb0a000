build-asan/obj/keyring.o: src/keyring.c src/keyring.h src/crypto.h \
 src/status.h src/store.h src/merchant.h src/totp.h src/vault.h \
 src/token.h src/log.h
src/keyring.h:
src/crypto.h:
src/status.h:
src/store.h:
src/merchant.h:
src/totp.h:
src/vault.h:
src/token.h:
src/log.h:
