/*
 * tokcache.h - a bounded cache of tokens whose signature has been verified.
 *
 * Keyed by the SHA-256 of the whole token text, so a token that differs in
 * any byte misses and is verified in full.  Direct-mapped: a new entry
 * replaces whatever shared its slot, so memory is fixed at creation.  An
 * entry is used only while its token is unexpired; revocation is checked
 * by the caller on every use (revset.h), and the caller drops the entry of a
 * revoked token.
 *
 * Thread safety: none; each event loop owns its own cache.
 */
#ifndef TG_TOKCACHE_H
#define TG_TOKCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "status.h"
#include "token.h"

typedef struct tokcache_entry tokcache_entry;

typedef struct tokcache {
    tokcache_entry *slots;
    size_t mask;
    uint64_t hits, misses;
} tokcache;

/* slots is rounded up to a power of two. */
tg_status tokcache_init(tokcache *tc, size_t slots);
void tokcache_dispose(tokcache *tc);

/* 1 and the claims (sub, jti, iat, nbf, exp; iss left empty) on a hit whose
 * token is valid at now (nbf - leeway <= now < exp); else 0. */
int tokcache_get(tokcache *tc, const uint8_t key[TG_SHA256_LEN], int64_t now, int64_t leeway, token_claims *out);

/* Remembers a verified token; claims with a sub longer than 32 bytes are not cached. */
void tokcache_put(tokcache *tc, const uint8_t key[TG_SHA256_LEN], const token_claims *claims);

void tokcache_drop(tokcache *tc, const uint8_t key[TG_SHA256_LEN]);

#endif
