build-asan/obj/log.o: src/log.c src/log.h src/jsonout.h src/status.h
src/log.h:
src/jsonout.h:
src/status.h:
