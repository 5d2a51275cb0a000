/*
 * throttle.h - per-client token buckets for login attempts.
 *
 * Each client address has two buckets: one for every attempt and one for
 * failed attempts (unknown key or wrong code), so that one address cycling
 * through many API keys is slowed down as well as one hammering a single
 * merchant.  IPv6 clients are grouped by /64, the unit a host usually holds.
 *
 * Memory is fixed at creation: a set-associative table in which a new
 * client replaces the least recently seen one of its set, so a flood from a
 * million addresses cannot grow it.  Forgetting an address only resets its
 * limits; the per-merchant lockout (lockout.h) still applies.
 *
 * Thread safety: every function may be called from any thread (striped locks).
 */
#ifndef TG_THROTTLE_H
#define TG_THROTTLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "status.h"

typedef struct throttle_rate {
    double per_second; /* refill rate; 0 turns the bucket off */
    double burst;      /* capacity */
} throttle_rate;

/* Parses "N/s", "N/m" or "N/h" (burst N) or "0" (off); 0 on success. */
int throttle_parse_rate(const char *s, throttle_rate *out);

/* A client: an IPv4 address, or the /64 of an IPv6 address. */
typedef struct throttle_client {
    uint8_t bytes[16];
} throttle_client;

/* The client of a textual address; 0 on success. */
int throttle_client_of(throttle_client *out, const char *addr);

typedef struct throttle throttle;

tg_status throttle_create(throttle **out, size_t capacity, throttle_rate attempts, throttle_rate failures);
void throttle_free(throttle *t);

/*
 * Admits one attempt of client at now (seconds, monotonic): takes a token
 * from its attempts bucket, provided its failures bucket is not empty.
 * Returns 1 when admitted, else 0 with *retry_after (whole seconds >= 1).
 */
int throttle_admit(throttle *t, const throttle_client *client, double now, int64_t *retry_after);

/* Charges one failed attempt to client. */
void throttle_failed(throttle *t, const throttle_client *client, double now);

#endif
