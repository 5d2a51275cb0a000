/*
 * watcher.h - the thread that keeps a server in step with its store.
 *
 * Other processes share the store: the CLI revokes sessions and rotates
 * keys, and other servers log merchants out.  Every WATCHER_TICK_MS the
 * watcher reads new revocations into the server's revocation set; every
 * second it checks whether the set of signing keys changed and, if so, loads
 * a new keyring and swaps it in; every minute it drops expired revocations
 * and purges session rows that expired more than the retention period ago.
 *
 * Ownership: the watcher owns its store handle.  Thread safety: start and
 * stop from the main thread.
 */
#ifndef TG_WATCHER_H
#define TG_WATCHER_H

#include "server.h"
#include "status.h"
#include "store.h"

#define WATCHER_TICK_MS 200

typedef struct watcher watcher;

/* Loads every published revocation, then starts the thread.  Takes ownership
 * of s (also on failure). */
tg_status watcher_start(watcher **out, tg_app *app, store *s);

/* watcher_stop(NULL) does nothing. */
void watcher_stop(watcher *w);

#endif
