build-asan/obj/vault.o: src/vault.c src/vault.h src/crypto.h src/status.h \
 src/log.h
src/vault.h:
src/crypto.h:
src/status.h:
src/log.h:
