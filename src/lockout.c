/*
 * lockout.c - the lockout schedule; see lockout.h.
 */
#include "lockout.h"

void lockout_after_failure(const lockout_policy *p, uint32_t failures, int64_t now, int64_t *locked_until,
                           int *locked_forever)
{
    int64_t delay;
    uint32_t extra;

    *locked_until = 0;
    *locked_forever = 0;
    if (p->after == 0 || failures < p->after)
        return;
    if (p->forever_after != 0 && failures >= p->forever_after) {
        *locked_forever = 1;
        return;
    }
    /* base, 2 x base, 4 x base, ... capped: stop doubling once past the cap */
    delay = p->base_delay;
    for (extra = failures - p->after; extra > 0 && delay < p->max_delay; extra--)
        delay *= 2;
    if (delay > p->max_delay)
        delay = p->max_delay;
    *locked_until = now + delay;
}

int lockout_is_locked(const lockout_policy *p, int64_t locked_until, int locked_forever, int64_t now,
                      int64_t *retry_after)
{
    if (locked_forever) {
        *retry_after = p->max_delay;
        return 1;
    }
    if (locked_until > now) {
        *retry_after = locked_until - now;
        return 1;
    }
    *retry_after = 0;
    return 0;
}
