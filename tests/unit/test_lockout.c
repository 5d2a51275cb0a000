/* test_lockout.c - the lockout schedule: when it starts, doubling, cap, forever, switches. */
#include <stdint.h>

#include "lockout.h"
#include "unit.h"

void test_lockout(void);

#define NOW INT64_C(1700000000)

/* The lock of `failures` under p at NOW: -1 = forever, 0 = none, else seconds. */
static int64_t lock_for(const lockout_policy *p, uint32_t failures)
{
    int64_t until = -12345;
    int forever = -7;

    lockout_after_failure(p, failures, NOW, &until, &forever);
    if (forever != 0 && forever != 1)
        return -999; /* not a boolean: fails every comparison below */
    if (forever)
        return until == 0 ? -1 : -998; /* a permanent lock carries no end time */
    return until == 0 ? 0 : until - NOW;
}

static void schedule_defaults(void)
{
    lockout_policy p = LOCKOUT_DEFAULTS;
    int all_capped = 1;

    CHECK(p.after == 5 && p.base_delay == 30 && p.max_delay == 3600 && p.forever_after == 100);
    /* below the threshold: never locked */
    for (uint32_t f = 0; f <= 4; f++)
        CHECK(lock_for(&p, f) == 0);
    /* 30 s, doubling with each further failure */
    CHECK(lock_for(&p, 5) == 30);
    CHECK(lock_for(&p, 6) == 60);
    CHECK(lock_for(&p, 7) == 120);
    CHECK(lock_for(&p, 8) == 240);
    CHECK(lock_for(&p, 9) == 480);
    CHECK(lock_for(&p, 10) == 960);
    CHECK(lock_for(&p, 11) == 1920);
    /* 3840 would be next: capped at an hour */
    CHECK(lock_for(&p, 12) == 3600);
    for (uint32_t f = 12; f <= 99; f++)
        all_capped &= lock_for(&p, f) == 3600;
    CHECK(all_capped);
    CHECK(lock_for(&p, 99) == 3600);
    /* 100 consecutive failures: until an operator unlocks */
    CHECK(lock_for(&p, 100) == -1);
    CHECK(lock_for(&p, 101) == -1);
    CHECK(lock_for(&p, 5000) == -1);
    CHECK(lock_for(&p, UINT32_MAX) == -1);
}

static void schedule_switches(void)
{
    lockout_policy off = LOCKOUT_DEFAULTS, never_forever = LOCKOUT_DEFAULTS;
    lockout_policy small = {3, 10, 100, 0}, odd_cap = {1, 30, 100, 10};
    int none = 1;

    /* after = 0: lockout is off, whatever the count */
    off.after = 0;
    for (uint32_t f = 0; f <= 300; f++)
        none &= lock_for(&off, f) == 0;
    CHECK(none);
    CHECK(lock_for(&off, 100) == 0);
    CHECK(lock_for(&off, UINT32_MAX) == 0);

    /* forever_after = 0: locks, but never for good */
    never_forever.forever_after = 0;
    CHECK(lock_for(&never_forever, 4) == 0);
    CHECK(lock_for(&never_forever, 5) == 30);
    CHECK(lock_for(&never_forever, 99) == 3600);
    CHECK(lock_for(&never_forever, 100) == 3600);
    CHECK(lock_for(&never_forever, 100000) == 3600);
    CHECK(lock_for(&never_forever, UINT32_MAX) == 3600);

    /* another threshold and base: 10, 20, 40, 80, then the cap of 100 */
    CHECK(lock_for(&small, 2) == 0);
    CHECK(lock_for(&small, 3) == 10);
    CHECK(lock_for(&small, 4) == 20);
    CHECK(lock_for(&small, 5) == 40);
    CHECK(lock_for(&small, 6) == 80);
    CHECK(lock_for(&small, 7) == 100);
    CHECK(lock_for(&small, 1000) == 100);

    /* a cap that is not base x 2^k is still exact; forever at 10 */
    CHECK(lock_for(&odd_cap, 0) == 0);
    CHECK(lock_for(&odd_cap, 1) == 30);
    CHECK(lock_for(&odd_cap, 2) == 60);
    CHECK(lock_for(&odd_cap, 3) == 100);
    CHECK(lock_for(&odd_cap, 9) == 100);
    CHECK(lock_for(&odd_cap, 10) == -1);

    /* the lock is measured from the moment of the failure */
    {
        int64_t until = 0;
        int forever = 1;
        lockout_policy p = LOCKOUT_DEFAULTS;
        lockout_after_failure(&p, 6, 42, &until, &forever);
        CHECK(until == 102 && forever == 0);
    }
}

static void is_locked(void)
{
    lockout_policy p = LOCKOUT_DEFAULTS;
    int64_t retry = -1;

    /* a lock until NOW + 30 */
    CHECK(lockout_is_locked(&p, NOW + 30, 0, NOW, &retry) == 1 && retry == 30);
    CHECK(lockout_is_locked(&p, NOW + 30, 0, NOW + 1, &retry) == 1 && retry == 29);
    CHECK(lockout_is_locked(&p, NOW + 30, 0, NOW + 29, &retry) == 1 && retry == 1);
    /* ends exactly at locked_until */
    retry = -1;
    CHECK(lockout_is_locked(&p, NOW + 30, 0, NOW + 30, &retry) == 0 && retry == 0);
    retry = -1;
    CHECK(lockout_is_locked(&p, NOW + 30, 0, NOW + 31, &retry) == 0 && retry == 0);
    /* never locked */
    retry = -1;
    CHECK(lockout_is_locked(&p, 0, 0, NOW, &retry) == 0 && retry == 0);
    /* forever: locked at any time, Retry-After the longest delay */
    CHECK(lockout_is_locked(&p, 0, 1, NOW, &retry) == 1 && retry == 3600);
    CHECK(lockout_is_locked(&p, NOW - 10, 1, NOW + 86400 * 365, &retry) == 1 && retry == 3600);

    /* the schedule and the check agree */
    for (uint32_t f = 1; f <= 12; f++) {
        int64_t until, r = -1;
        int forever;
        lockout_after_failure(&p, f, NOW, &until, &forever);
        if (f < 5) {
            CHECK(lockout_is_locked(&p, until, forever, NOW, &r) == 0);
        } else {
            CHECK(lockout_is_locked(&p, until, forever, NOW, &r) == 1 && r == lock_for(&p, f));
            CHECK(lockout_is_locked(&p, until, forever, NOW + lock_for(&p, f), &r) == 0);
        }
    }
    {
        int64_t until, r = 0;
        int forever;
        lockout_after_failure(&p, 100, NOW, &until, &forever);
        CHECK(lockout_is_locked(&p, until, forever, NOW + 86400, &r) == 1 && r == 3600);
    }
}

void test_lockout(void)
{
    schedule_defaults();
    schedule_switches();
    is_locked();
}
