build-asan/obj/handler_session.o: src/handler_session.c \
 src/handler_session.h src/server.h src/keyring.h src/crypto.h \
 src/status.h src/store.h src/merchant.h src/totp.h src/vault.h \
 src/token.h src/writer.h src/clock.h src/jsonout.h src/log.h src/login.h
src/handler_session.h:
src/server.h:
src/keyring.h:
src/crypto.h:
src/status.h:
src/store.h:
src/merchant.h:
src/totp.h:
src/vault.h:
src/token.h:
src/writer.h:
src/clock.h:
src/jsonout.h:
src/log.h:
src/login.h:
