/*
 * revset.h - the set of revoked session ids (jti) whose tokens have not yet
 * expired.
 *
 * Filled at start and then every few hundred milliseconds from the store's
 * revocation feed (watcher.c), and at once by a logout on this server.
 * Entries leave when their token expires (revset_purge), so the set is
 * bounded by the revoked sessions that are still live.
 *
 * Thread safety: every function may be called from any thread; readers
 * share a read lock.
 */
#ifndef TG_REVSET_H
#define TG_REVSET_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct revset revset;

tg_status revset_create(revset **out);

/* revset_free(NULL) does nothing. */
void revset_free(revset *rs);

/* Adds jti (at most 22 characters) until expires_at; adding it again keeps the later expiry. */
tg_status revset_add(revset *rs, const char *jti, int64_t expires_at);

/* 1 if jti is revoked, else 0. */
int revset_contains(revset *rs, const char *jti);

/* Drops entries whose token expired at or before now; returns how many. */
size_t revset_purge(revset *rs, int64_t now);

size_t revset_count(revset *rs);

#endif
