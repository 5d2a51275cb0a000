build-asan/obj/store_sqlite.o: src/store_sqlite.c src/store.h \
 src/merchant.h src/crypto.h src/status.h src/totp.h src/vault.h \
 src/token.h src/log.h
src/store.h:
src/merchant.h:
src/crypto.h:
src/status.h:
src/totp.h:
src/vault.h:
src/token.h:
src/log.h:
