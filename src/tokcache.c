/*
 * tokcache.c - direct-mapped cache of verified tokens; see tokcache.h.
 */
#include "tokcache.h"

#include <stdlib.h>
#include <string.h>

#define SUB_MAX 32

struct tokcache_entry {
    uint8_t key[TG_SHA256_LEN];
    int64_t iat, nbf, exp; /* exp == 0: empty */
    char sub[SUB_MAX + 1];
    char jti[TOKEN_JTI_LEN + 1];
};

tg_status tokcache_init(tokcache *tc, size_t slots)
{
    size_t cap = 1;

    while (cap < slots)
        cap <<= 1;
    memset(tc, 0, sizeof *tc);
    if ((tc->slots = calloc(cap, sizeof *tc->slots)) == NULL)
        return TG_ERR_NOMEM;
    tc->mask = cap - 1;
    return TG_OK;
}

void tokcache_dispose(tokcache *tc)
{
    free(tc->slots);
    tc->slots = NULL;
}

static tokcache_entry *slot_of(tokcache *tc, const uint8_t key[TG_SHA256_LEN])
{
    uint64_t h;

    memcpy(&h, key, sizeof h);
    return &tc->slots[h & tc->mask];
}

int tokcache_get(tokcache *tc, const uint8_t key[TG_SHA256_LEN], int64_t now, int64_t leeway, token_claims *out)
{
    tokcache_entry *e = slot_of(tc, key);

    /* the key is a hash of public data: a plain comparison leaks nothing */
    if (e->exp == 0 || memcmp(e->key, key, TG_SHA256_LEN) != 0 || now >= e->exp || now + leeway < e->nbf) {
        tc->misses++;
        return 0;
    }
    tc->hits++;
    memset(out, 0, sizeof *out);
    memcpy(out->sub, e->sub, sizeof e->sub);
    memcpy(out->jti, e->jti, sizeof e->jti);
    out->iat = e->iat;
    out->nbf = e->nbf;
    out->exp = e->exp;
    return 1;
}

void tokcache_put(tokcache *tc, const uint8_t key[TG_SHA256_LEN], const token_claims *claims)
{
    tokcache_entry *e = slot_of(tc, key);

    if (strlen(claims->sub) > SUB_MAX || claims->exp == 0)
        return;
    memcpy(e->key, key, TG_SHA256_LEN);
    memcpy(e->sub, claims->sub, strlen(claims->sub) + 1);
    memcpy(e->jti, claims->jti, sizeof e->jti);
    e->iat = claims->iat;
    e->nbf = claims->nbf;
    e->exp = claims->exp;
}

void tokcache_drop(tokcache *tc, const uint8_t key[TG_SHA256_LEN])
{
    tokcache_entry *e = slot_of(tc, key);

    if (memcmp(e->key, key, TG_SHA256_LEN) == 0)
        e->exp = 0;
}
