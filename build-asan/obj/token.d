build-asan/obj/token.o: src/token.c src/token.h src/crypto.h src/status.h \
 src/base64url.h src/jsonout.h
src/token.h:
src/crypto.h:
src/status.h:
src/base64url.h:
src/jsonout.h:
