/*
 * throttle.c - set-associative table of per-client token buckets; see throttle.h.
 */
#include "throttle.h"

#include <arpa/inet.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 8
#define STRIPES 64

typedef struct bucket {
    double tokens;
    double updated;
} bucket;

typedef struct entry {
    throttle_client client;
    int used;
    double last_seen;
    bucket attempts, failures;
} entry;

struct throttle {
    throttle_rate attempts_rate, failures_rate;
    entry *entries;
    size_t sets; /* a power of two */
    pthread_mutex_t locks[STRIPES];
};

int throttle_parse_rate(const char *s, throttle_rate *out)
{
    const char *end = s;
    double n = 0;

    /* digits only: no signs, spaces, hex, exponents, NaN or infinity */
    while (*end >= '0' && *end <= '9' && n < 1e9)
        n = n * 10 + (*end++ - '0');
    if (end == s || n > 1e9)
        return -1;
    if (n == 0 && *end == '\0') {
        out->per_second = 0;
        out->burst = 0;
        return 0;
    }
    if (end[0] != '/' || end[1] == '\0' || end[2] != '\0' || n < 1)
        return -1;
    switch (end[1]) {
    case 's':
        out->per_second = n;
        break;
    case 'm':
        out->per_second = n / 60;
        break;
    case 'h':
        out->per_second = n / 3600;
        break;
    default:
        return -1;
    }
    out->burst = n;
    return 0;
}

int throttle_client_of(throttle_client *out, const char *addr)
{
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET6, addr, out->bytes) == 1) {
        static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(out->bytes, v4mapped, sizeof v4mapped) != 0)
            memset(out->bytes + 8, 0, 8); /* the /64 */
        return 0;
    }
    /* IPv4 as a v4-mapped address, so both kinds share one key space */
    out->bytes[10] = 0xff;
    out->bytes[11] = 0xff;
    return inet_pton(AF_INET, addr, out->bytes + 12) == 1 ? 0 : -1;
}

tg_status throttle_create(throttle **out, size_t capacity, throttle_rate attempts, throttle_rate failures)
{
    throttle *t = calloc(1, sizeof *t);
    size_t sets = 1;

    if (t == NULL)
        return TG_ERR_NOMEM;
    while (sets * WAYS < capacity)
        sets <<= 1;
    if ((t->entries = calloc(sets * WAYS, sizeof *t->entries)) == NULL) {
        free(t);
        return TG_ERR_NOMEM;
    }
    t->sets = sets;
    t->attempts_rate = attempts;
    t->failures_rate = failures;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&t->locks[i], NULL);
    *out = t;
    return TG_OK;
}

void throttle_free(throttle *t)
{
    if (t == NULL)
        return;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&t->locks[i]);
    free(t->entries);
    free(t);
}

static uint64_t hash_client(const throttle_client *c)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < sizeof c->bytes; i++) {
        h ^= c->bytes[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void refill(bucket *b, const throttle_rate *rate, double now)
{
    if (now > b->updated) {
        b->tokens += (now - b->updated) * rate->per_second;
        if (b->tokens > rate->burst)
            b->tokens = rate->burst;
        b->updated = now;
    }
}

/* The entry of client in its set (locked by the caller), created if needed. */
static entry *find(throttle *t, size_t set, const throttle_client *client, double now)
{
    entry *ways = &t->entries[set * WAYS], *victim = &ways[0];

    for (int i = 0; i < WAYS; i++) {
        if (ways[i].used && memcmp(&ways[i].client, client, sizeof *client) == 0)
            return &ways[i];
        if (!ways[i].used || (victim->used && ways[i].last_seen < victim->last_seen))
            victim = &ways[i];
    }
    memset(victim, 0, sizeof *victim);
    victim->used = 1;
    victim->client = *client;
    victim->attempts.tokens = t->attempts_rate.burst;
    victim->attempts.updated = now;
    victim->failures.tokens = t->failures_rate.burst;
    victim->failures.updated = now;
    return victim;
}

static int64_t wait_for_token(const bucket *b, const throttle_rate *rate)
{
    double secs = (1.0 - b->tokens) / rate->per_second;
    int64_t s = (int64_t)ceil(secs);
    return s < 1 ? 1 : s;
}

int throttle_admit(throttle *t, const throttle_client *client, double now, int64_t *retry_after)
{
    size_t set;
    pthread_mutex_t *lock;
    entry *e;
    int admitted = 1;

    if (t->attempts_rate.per_second == 0 && t->failures_rate.per_second == 0)
        return 1;
    set = (size_t)hash_client(client) & (t->sets - 1);
    lock = &t->locks[set % STRIPES];
    pthread_mutex_lock(lock);
    e = find(t, set, client, now);
    e->last_seen = now;
    if (t->failures_rate.per_second > 0) {
        refill(&e->failures, &t->failures_rate, now);
        if (e->failures.tokens < 1) {
            *retry_after = wait_for_token(&e->failures, &t->failures_rate);
            admitted = 0;
        }
    }
    if (admitted && t->attempts_rate.per_second > 0) {
        refill(&e->attempts, &t->attempts_rate, now);
        if (e->attempts.tokens < 1) {
            *retry_after = wait_for_token(&e->attempts, &t->attempts_rate);
            admitted = 0;
        } else {
            e->attempts.tokens -= 1;
        }
    }
    pthread_mutex_unlock(lock);
    return admitted;
}

void throttle_failed(throttle *t, const throttle_client *client, double now)
{
    size_t set;
    pthread_mutex_t *lock;
    entry *e;

    if (t->failures_rate.per_second == 0)
        return;
    set = (size_t)hash_client(client) & (t->sets - 1);
    lock = &t->locks[set % STRIPES];
    pthread_mutex_lock(lock);
    e = find(t, set, client, now);
    e->last_seen = now;
    refill(&e->failures, &t->failures_rate, now);
    if (e->failures.tokens >= 1)
        e->failures.tokens -= 1;
    else
        e->failures.tokens = 0;
    pthread_mutex_unlock(lock);
}
