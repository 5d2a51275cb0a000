build-asan/obj/cmd_keys.o: src/cmd_keys.c src/base64url.h src/status.h \
 src/cli.h src/clock.h src/keyring.h src/crypto.h src/store.h \
 src/merchant.h src/totp.h src/vault.h src/token.h
src/base64url.h:
src/status.h:
src/cli.h:
src/clock.h:
src/keyring.h:
src/crypto.h:
src/store.h:
src/merchant.h:
src/totp.h:
src/vault.h:
src/token.h:
