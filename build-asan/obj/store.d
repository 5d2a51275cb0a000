build-asan/obj/store.o: src/store.c src/store.h src/merchant.h \
 src/crypto.h src/status.h src/totp.h src/vault.h src/token.h
src/store.h:
src/merchant.h:
src/crypto.h:
src/status.h:
src/totp.h:
src/vault.h:
src/token.h:
