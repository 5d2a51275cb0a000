/*
 * clock.h - the one place totpgate reads the wall clock.
 *
 * TEST ONLY: when the environment variable TOTPGATE_TEST_CLOCK_OFFSET holds
 * a signed integer number of seconds, clock_now() returns the real time plus
 * that offset.  The tests use it to log in "in 2040" or to step across TOTP
 * periods without waiting.  Production deployments must not set it; the
 * server logs a warning at start when it is set.
 *
 * Thread safety: clock_init() once in main() before threads start; then
 * clock_now() is safe from any thread.
 */
#ifndef TG_CLOCK_H
#define TG_CLOCK_H

#include <stdint.h>

#include "status.h"

/* Reads TOTPGATE_TEST_CLOCK_OFFSET; TG_ERR_INVALID_ARG if it is malformed. */
tg_status clock_init(void);

/* Seconds since the Unix epoch (64-bit), test offset included. */
int64_t clock_now(void);

/* The test offset in force (0 in production). */
int64_t clock_test_offset(void);

#endif
