/*
 * totp.h - HOTP (RFC 4226) and TOTP (RFC 6238) arithmetic.
 *
 * Pure: no clock and no I/O.  The caller passes the Unix time in, which is
 * what makes this module testable against the RFC vectors.  Time is 64-bit
 * throughout, so dates past 2038 work.
 *
 * Thread safety: re-entrant; no shared state.
 */
#ifndef TG_TOTP_H
#define TG_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "status.h"

#define TOTP_MAX_DIGITS 8
#define TOTP_MAX_SKEW 2

typedef struct totp_params {
    tg_hash_alg alg;  /* HMAC hash: SHA1 (default), SHA256, SHA512 */
    unsigned digits;  /* 6 or 8 */
    unsigned period;  /* step length in seconds, > 0 (default 30) */
} totp_params;

/*
 * RFC 4226 HOTP: HMAC(key, counter as 8 big-endian bytes), dynamic
 * truncation, modulo 10^digits, zero-padded.  out receives digits characters
 * and a NUL.  digits must be 6, 7 or 8.
 */
tg_status hotp_code(char out[TOTP_MAX_DIGITS + 1], tg_hash_alg alg, const uint8_t *key, size_t key_len,
                    uint64_t counter, unsigned digits);

/* RFC 6238 time step: floor(unix_time / period) with T0 = 0.  unix_time >= 0. */
int64_t totp_step(int64_t unix_time, unsigned period);

/*
 * Checks code against every step in [step(now) - skew, step(now) + skew].
 * Every step in the window is computed and compared in constant time, with no
 * early exit, so the time taken does not depend on which step (if any)
 * matched.  code must have exactly p->digits characters, else no match (the
 * work is still done).  On a match *matched_step receives the highest
 * matching step and TG_OK is returned; otherwise TG_ERR_INVALID_CREDENTIALS.
 * skew is clamped to TOTP_MAX_SKEW.
 */
tg_status totp_verify(int64_t *matched_step, const totp_params *p, const uint8_t *key, size_t key_len,
                      const char *code, size_t code_len, int64_t now, unsigned skew);

#endif
