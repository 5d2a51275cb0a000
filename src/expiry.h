/*
 * expiry.h - when a session token expires.
 *
 * A token lives for the TTL, and, when a daily cut-off is configured, no
 * later than the next occurrence of that wall-clock time in the configured
 * time zone (brokers end every session at, say, 06:00 local time).  The
 * zone comes from the system's tz database, so DST changes are handled by
 * the C library: a cut-off that falls in a skipped hour moves forward as
 * mktime() normalises it.
 *
 * Thread safety: expiry_set_timezone() sets the process time zone (TZ) and
 * must be called before threads start; expiry_compute() is then safe from
 * any thread.
 */
#ifndef TG_EXPIRY_H
#define TG_EXPIRY_H

#include <stdint.h>

#include "status.h"

typedef struct expiry_policy {
    int64_t ttl;           /* seconds, > 0 */
    int daily_cut_minutes; /* minutes after local midnight, or -1 for none */
} expiry_policy;

/* Parses "HH:MM" (00:00 to 23:59) into minutes; 0 on success. */
int expiry_parse_hhmm(const char *s, int *minutes);

/* Checks zone against the tz database (/usr/share/zoneinfo) and makes it the
 * process time zone.  TG_ERR_INVALID_ARG for an unknown zone. */
tg_status expiry_set_timezone(const char *zone);

/* The next time after now at which local time is minutes after midnight. */
int64_t expiry_next_cut(int64_t now, int minutes);

/* The expiry of a token issued at now. */
int64_t expiry_compute(const expiry_policy *p, int64_t now);

#endif
