/* test_log.c - the per-second cap on log lines. */
#include "log.h"
#include "unit.h"

void test_log(void);

void test_log(void)
{
    log_limiter l = LOG_LIMITER_INIT("test", 3);
    int admitted = 0;

    log_set_level(LOG_ERROR); /* keep the suppression report out of the test output */
    for (int i = 0; i < 10; i++)
        admitted += log_limiter_admit(&l);
    /* the ten calls normally fall in one second; across a boundary at most 3 more pass */
    CHECK(admitted >= 3 && admitted <= 6);
    l.window = 0; /* a new second: the count starts again, the suppressed total is reported and cleared */
    CHECK(log_limiter_admit(&l) == 1);
    CHECK(atomic_load(&l.suppressed) == 0);
    log_set_level(LOG_INFO);
}
