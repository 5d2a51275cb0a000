build-asan/obj/cmd_serve.o: src/cmd_serve.c src/cli.h src/status.h \
 src/log.h src/server.h src/keyring.h src/crypto.h src/store.h \
 src/merchant.h src/totp.h src/vault.h src/token.h src/writer.h
src/cli.h:
src/status.h:
src/log.h:
src/server.h:
src/keyring.h:
src/crypto.h:
src/store.h:
src/merchant.h:
src/totp.h:
src/vault.h:
src/token.h:
src/writer.h:
