/*
 * clock.c - wall clock with a test-only offset; see clock.h.
 */
#include "clock.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

static int64_t test_offset;

tg_status clock_init(void)
{
    const char *s = getenv("TOTPGATE_TEST_CLOCK_OFFSET");
    char *end;
    long long v;

    test_offset = 0;
    if (s == NULL || *s == '\0')
        return TG_OK;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return TG_ERR_INVALID_ARG;
    test_offset = (int64_t)v;
    return TG_OK;
}

int64_t clock_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec + test_offset;
}

int64_t clock_test_offset(void)
{
    return test_offset;
}
