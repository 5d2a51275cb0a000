/*
 * revset.c - open-addressing hash set of revoked jti values; see revset.h.
 */
#include "revset.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

#define INITIAL_SLOTS 1024

typedef struct slot {
    char jti[TOKEN_JTI_LEN + 1]; /* "" when empty */
    int64_t expires_at;
} slot;

struct revset {
    pthread_rwlock_t lock;
    slot *slots;
    size_t cap; /* a power of two */
    size_t count;
};

static uint64_t hash_jti(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static slot *find_slot(slot *slots, size_t cap, const char *jti)
{
    size_t i = (size_t)hash_jti(jti) & (cap - 1);

    while (slots[i].jti[0] != '\0' && strcmp(slots[i].jti, jti) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

tg_status revset_create(revset **out)
{
    revset *rs = calloc(1, sizeof *rs);

    if (rs == NULL || (rs->slots = calloc(INITIAL_SLOTS, sizeof *rs->slots)) == NULL) {
        free(rs);
        return TG_ERR_NOMEM;
    }
    rs->cap = INITIAL_SLOTS;
    pthread_rwlock_init(&rs->lock, NULL);
    *out = rs;
    return TG_OK;
}

void revset_free(revset *rs)
{
    if (rs == NULL)
        return;
    pthread_rwlock_destroy(&rs->lock);
    free(rs->slots);
    free(rs);
}

/* Rebuilds the table with capacity cap, keeping entries that expire after now. */
static tg_status rebuild(revset *rs, size_t cap, int64_t now)
{
    slot *slots = calloc(cap, sizeof *slots);
    size_t count = 0;

    if (slots == NULL)
        return TG_ERR_NOMEM;
    for (size_t i = 0; i < rs->cap; i++) {
        if (rs->slots[i].jti[0] == '\0' || rs->slots[i].expires_at <= now)
            continue;
        *find_slot(slots, cap, rs->slots[i].jti) = rs->slots[i];
        count++;
    }
    free(rs->slots);
    rs->slots = slots;
    rs->cap = cap;
    rs->count = count;
    return TG_OK;
}

tg_status revset_add(revset *rs, const char *jti, int64_t expires_at)
{
    tg_status rc = TG_OK;
    slot *s;

    if (jti[0] == '\0' || strlen(jti) > TOKEN_JTI_LEN)
        return TG_ERR_INVALID_ARG;
    pthread_rwlock_wrlock(&rs->lock);
    /* keep the load under 1/2 so that probes stay short */
    if ((rs->count + 1) * 2 > rs->cap && (rc = rebuild(rs, rs->cap * 2, INT64_MIN)) != TG_OK)
        goto out;
    s = find_slot(rs->slots, rs->cap, jti);
    if (s->jti[0] == '\0') {
        memcpy(s->jti, jti, strlen(jti) + 1);
        s->expires_at = expires_at;
        rs->count++;
    } else if (expires_at > s->expires_at) {
        s->expires_at = expires_at;
    }
out:
    pthread_rwlock_unlock(&rs->lock);
    return rc;
}

int revset_contains(revset *rs, const char *jti)
{
    int found;

    if (jti[0] == '\0' || strlen(jti) > TOKEN_JTI_LEN)
        return 0;
    pthread_rwlock_rdlock(&rs->lock);
    found = find_slot(rs->slots, rs->cap, jti)->jti[0] != '\0';
    pthread_rwlock_unlock(&rs->lock);
    return found;
}

size_t revset_purge(revset *rs, int64_t now)
{
    size_t before, cap;

    pthread_rwlock_wrlock(&rs->lock);
    before = rs->count;
    cap = rs->cap;
    /* shrink when mostly empty, never below the initial size */
    while (cap > INITIAL_SLOTS && rs->count * 8 < cap)
        cap /= 2;
    if (rebuild(rs, cap, now) != TG_OK)
        before = rs->count; /* out of memory: keep the old table */
    pthread_rwlock_unlock(&rs->lock);
    return before - rs->count;
}

size_t revset_count(revset *rs)
{
    size_t n;

    pthread_rwlock_rdlock(&rs->lock);
    n = rs->count;
    pthread_rwlock_unlock(&rs->lock);
    return n;
}
