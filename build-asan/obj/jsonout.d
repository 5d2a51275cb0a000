build-asan/obj/jsonout.o: src/jsonout.c src/jsonout.h src/status.h
src/jsonout.h:
src/status.h:
