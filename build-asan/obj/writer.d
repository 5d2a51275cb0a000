build-asan/obj/writer.o: src/writer.c src/writer.h src/status.h \
 src/store.h src/merchant.h src/crypto.h src/totp.h src/vault.h \
 src/token.h src/log.h
src/writer.h:
src/status.h:
src/store.h:
src/merchant.h:
src/crypto.h:
src/totp.h:
src/vault.h:
src/token.h:
src/log.h:
