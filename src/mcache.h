/*
 * mcache.h - an event loop's cache of merchant look-ups by API key hash.
 *
 * Remembers what the store answered for a key hash: the merchant (the
 * fields a login check reads, its secret still sealed) or that no merchant
 * has that key.  A flood that repeats keys, known or not, is then answered
 * without a store round trip, and a known key and an unknown one still cost
 * the same: both are a cache look-up, or both go to the store.
 *
 * The owner keeps it true: it clears the cache whenever the store's
 * merchant generation (store.h) moves, and tells it of its own logins
 * (mcache_note_login), since last_step moving forward does not move the
 * generation.  A stale last_step is harmless: the writer's conditional
 * update decides single use.
 *
 * 4-way set-associative, fixed size: memory is set at creation; a new entry
 * replaces the least recently used of its set.
 *
 * Thread safety: none; each event loop owns its own cache.
 */
#ifndef TG_MCACHE_H
#define TG_MCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "merchant.h"
#include "status.h"

#define MCACHE_WAYS 4

typedef struct mcache_entry mcache_entry;
typedef struct mcache_tag mcache_tag;

typedef struct mcache {
    mcache_entry *entries;
    mcache_tag *tags; /* one per entry */
    size_t set_mask; /* sets - 1 */
    uint64_t clock;  /* use stamps */
    uint64_t epoch;  /* mcache_clear() moves it */
    uint64_t hits, misses;
} mcache;

/* entries is rounded up to a power of two, at least MCACHE_WAYS. */
tg_status mcache_init(mcache *c, size_t entries);
void mcache_dispose(mcache *c);

/* Total entries. */
size_t mcache_capacity(const mcache *c);

/*
 * 1 when key_hash is cached: then *known is 1 and *out the merchant (name
 * and issuer empty, failed_attempts 0), or *known is 0 for a key that no
 * merchant has.  0 on a miss.
 */
int mcache_get(mcache *c, const uint8_t key_hash[TG_SHA256_LEN], merchant *out, int *known);

/* Remembers the store's answer for key_hash: m, or NULL for "no such key". */
void mcache_put(mcache *c, const uint8_t key_hash[TG_SHA256_LEN], const merchant *m);

/* A login of the merchant with key_hash was committed at step. */
void mcache_note_login(mcache *c, const uint8_t key_hash[TG_SHA256_LEN], int64_t step);

/* Forgets everything, in constant time. */
void mcache_clear(mcache *c);

#endif
