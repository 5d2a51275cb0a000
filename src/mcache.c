/*
 * mcache.c - set-associative cache of merchant look-ups; see mcache.h.
 */
#include "mcache.h"

#include <stdlib.h>
#include <string.h>

/* The ways of a set side by side in one cache line: a look-up reads its
 * set's tags, and an entry only when its tag matches. */
struct mcache_tag {
    uint64_t tag;   /* the first 8 bytes of the key hash */
    uint64_t epoch; /* valid only while it equals the cache's epoch */
};

struct mcache_entry {
    uint8_t key_hash[TG_SHA256_LEN];
    uint64_t used; /* the cache clock at the last use */
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
    if ((c->entries = calloc(cap, sizeof *c->entries)) == NULL ||
        (c->tags = aligned_alloc(64, cap * sizeof *c->tags)) == NULL) {
        free(c->entries);
        c->entries = NULL;
        return TG_ERR_NOMEM;
    }
    memset(c->tags, 0, cap * sizeof *c->tags);
    c->set_mask = cap / MCACHE_WAYS - 1;
    c->epoch = 1; /* calloc's zero epoch marks every entry empty */
    return TG_OK;
}

void mcache_dispose(mcache *c)
{
    free(c->entries);
    free(c->tags);
    c->entries = NULL;
    c->tags = NULL;
}

size_t mcache_capacity(const mcache *c)
{
    return (c->set_mask + 1) * MCACHE_WAYS;
}

static uint64_t tag_of(const uint8_t key_hash[TG_SHA256_LEN])
{
    uint64_t h;

    memcpy(&h, key_hash, sizeof h);
    return h;
}

/* The index of the first way of key_hash's set. */
static size_t set_of(const mcache *c, const uint8_t key_hash[TG_SHA256_LEN])
{
    return (size_t)(tag_of(key_hash) & c->set_mask) * MCACHE_WAYS;
}

static mcache_entry *find(mcache *c, const uint8_t key_hash[TG_SHA256_LEN])
{
    size_t first = set_of(c, key_hash);
    uint64_t tag = tag_of(key_hash);
    mcache_entry *hit = NULL;

    /* the key hash is a hash of what the client sent (and the stored ones
     * are hashes of 256-bit keys): comparing it tells nothing worth hiding */
    for (size_t i = first; i < first + MCACHE_WAYS; i++) {
        if (c->tags[i].epoch == c->epoch && c->tags[i].tag == tag &&
            memcmp(c->entries[i].key_hash, key_hash, TG_SHA256_LEN) == 0)
            hit = &c->entries[i];
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
        size_t first = set_of(c, key_hash), victim = first;
        for (size_t i = first; i < first + MCACHE_WAYS; i++) {
            if (c->tags[i].epoch != c->epoch) { /* empty */
                victim = i;
                break;
            }
            if (c->entries[i].used < c->entries[victim].used)
                victim = i;
        }
        e = &c->entries[victim];
        c->tags[victim].tag = tag_of(key_hash);
        c->tags[victim].epoch = c->epoch;
    }
    memset(e, 0, sizeof *e);
    memcpy(e->key_hash, key_hash, TG_SHA256_LEN);
    e->used = ++c->clock;
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
