build-asan/obj/cmd_merchant.o: src/cmd_merchant.c src/base32.h \
 src/status.h src/cli.h src/clock.h src/merchant.h src/crypto.h \
 src/totp.h src/vault.h src/qr.h src/store.h src/token.h
src/base32.h:
src/status.h:
src/cli.h:
src/clock.h:
src/merchant.h:
src/crypto.h:
src/totp.h:
src/vault.h:
src/qr.h:
src/store.h:
src/token.h:
