/*
 * mcache.c - set-associative cache of merchant look-ups; see mcache.h.
 */
#include "mcache.h"

#include <stdlib.h>
#include <string.h>

struct mcache_entry {
    uint8_t key_hash[TG_SHA256_LEN];
    uint64_t used;  /* the cache clock at the last use */
    uint64_t epoch; /* valid only while it equals the cache's epoch */
    int known;
    /* the merchant, when known */
    char id[MERCHANT_ID_MAX + 1];
    totp_params totp;
    int enabled;
    int locked_forever;
    int64_t last_step;
    int64_t locked_until;
    uint8_t secret_sealed[MERCHANT_SEALED_MAX];
    size_t secret_sealed_len;
};

tg_status mcache_init(mcache *c, size_t entries)
{
    size_t cap = MCACHE_WAYS;

    while (cap < entries)
        cap <<= 1;
    memset(c, 0, sizeof *c);
    if ((c->entries = calloc(cap, sizeof *c->entries)) == NULL)
        return TG_ERR_NOMEM;
    c->set_mask = cap / MCACHE_WAYS - 1;
    c->epoch = 1; /* calloc's zero epoch marks every entry empty */
    return TG_OK;
}

void mcache_dispose(mcache *c)
{
    free(c->entries);
    c->entries = NULL;
}

size_t mcache_capacity(const mcache *c)
{
    return (c->set_mask + 1) * MCACHE_WAYS;
}

static mcache_entry *set_of(mcache *c, const uint8_t key_hash[TG_SHA256_LEN])
{
    uint64_t h;

    memcpy(&h, key_hash, sizeof h);
    return &c->entries[(h & c->set_mask) * MCACHE_WAYS];
}

static mcache_entry *find(mcache *c, const uint8_t key_hash[TG_SHA256_LEN])
{
    mcache_entry *set = set_of(c, key_hash);

    /* every way is compared, in constant time, whatever matches */
    mcache_entry *hit = NULL;
    for (int i = 0; i < MCACHE_WAYS; i++) {
        if (set[i].epoch == c->epoch && tg_memeq(set[i].key_hash, key_hash, TG_SHA256_LEN))
            hit = &set[i];
    }
    return hit;
}

int mcache_get(mcache *c, const uint8_t key_hash[TG_SHA256_LEN], merchant *out, int *known)
{
    mcache_entry *e = find(c, key_hash);

    if (e == NULL) {
        c->misses++;
        return 0;
    }
    c->hits++;
    e->used = ++c->clock;
    *known = e->known;
    memset(out, 0, sizeof *out);
    if (!e->known)
        return 1;
    memcpy(out->id, e->id, sizeof out->id);
    out->totp = e->totp;
    out->enabled = e->enabled;
    out->locked_forever = e->locked_forever;
    out->last_step = e->last_step;
    out->locked_until = e->locked_until;
    memcpy(out->api_key_hash, e->key_hash, TG_SHA256_LEN);
    memcpy(out->secret_sealed, e->secret_sealed, e->secret_sealed_len);
    out->secret_sealed_len = e->secret_sealed_len;
    return 1;
}

void mcache_put(mcache *c, const uint8_t key_hash[TG_SHA256_LEN], const merchant *m)
{
    mcache_entry *e = find(c, key_hash);

    if (m != NULL && m->secret_sealed_len > sizeof e->secret_sealed)
        return;
    if (e == NULL) {
        mcache_entry *set = set_of(c, key_hash);
        e = &set[0];
        for (int i = 0; i < MCACHE_WAYS; i++) {
            if (set[i].epoch != c->epoch) { /* empty */
                e = &set[i];
                break;
            }
            if (set[i].used < e->used)
                e = &set[i];
        }
    }
    memset(e, 0, sizeof *e);
    memcpy(e->key_hash, key_hash, TG_SHA256_LEN);
    e->used = ++c->clock;
    e->epoch = c->epoch;
    if (m == NULL)
        return;
    e->known = 1;
    memcpy(e->id, m->id, sizeof e->id);
    e->totp = m->totp;
    e->enabled = m->enabled;
    e->locked_forever = m->locked_forever;
    e->last_step = m->last_step;
    e->locked_until = m->locked_until;
    memcpy(e->secret_sealed, m->secret_sealed, m->secret_sealed_len);
    e->secret_sealed_len = m->secret_sealed_len;
}

void mcache_note_login(mcache *c, const uint8_t key_hash[TG_SHA256_LEN], int64_t step)
{
    mcache_entry *e = find(c, key_hash);

    if (e != NULL && e->known && step > e->last_step)
        e->last_step = step;
}

void mcache_clear(mcache *c)
{
    c->epoch++; /* O(1): every entry of an older epoch is empty */
}
