build-asan/obj/merchant.o: src/merchant.c src/merchant.h src/crypto.h \
 src/status.h src/totp.h src/vault.h src/base32.h src/base64url.h
src/merchant.h:
src/crypto.h:
src/status.h:
src/totp.h:
src/vault.h:
src/base32.h:
src/base64url.h:
