/*
 * lockout.h - the per-merchant lockout schedule (RFC 4226 section 7.3,
 * NIST SP 800-63B section 5.2.2).
 *
 * After `after` consecutive failed codes a merchant is refused for
 * base_delay seconds, doubling with each further failure up to max_delay;
 * after `forever_after` consecutive failures it stays locked until an
 * operator unlocks it.  A success resets the count.  Pure arithmetic: the
 * store applies it inside the transaction that counts the failure, so
 * concurrent failures on any number of servers are counted exactly.
 */
#ifndef TG_LOCKOUT_H
#define TG_LOCKOUT_H

#include <stdint.h>

typedef struct lockout_policy {
    unsigned after;         /* failures before the first lock; 0 turns lockout off */
    int64_t base_delay;     /* seconds, 30 */
    int64_t max_delay;      /* seconds, 3600 */
    unsigned forever_after; /* failures that lock until `merchant unlock`, 100; 0 = never */
} lockout_policy;

#define LOCKOUT_DEFAULTS {5, 30, 3600, 100}

/*
 * The state after failures consecutive failures counted at now:
 * *locked_until (0 when not locked) and *locked_forever.
 */
void lockout_after_failure(const lockout_policy *p, uint32_t failures, int64_t now, int64_t *locked_until,
                           int *locked_forever);

/* Whether a merchant in this state is refused at now; *retry_after gets the
 * seconds to wait (for a permanent lock, p->max_delay). */
int lockout_is_locked(const lockout_policy *p, int64_t locked_until, int locked_forever, int64_t now,
                      int64_t *retry_after);

#endif
