build-asan/obj/base64url.o: src/base64url.c src/base64url.h src/status.h
src/base64url.h:
src/status.h:
