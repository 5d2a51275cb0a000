/*
 * totp.c - HOTP (RFC 4226) and TOTP (RFC 6238) codes and their verification.
 *
 * Pure: the caller passes the time in.  The HMAC comes from crypto.c.
 * totp_verify() does the same work whichever step (if any) matches, and wipes
 * every code it computed before it returns.
 */
#include "totp.h"

#include <string.h>

static const uint32_t pow10_of[TOTP_MAX_DIGITS + 1] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
};

/* The counter as the 8-byte big-endian message of RFC 4226 section 5.2. */
static void counter_bytes(uint8_t msg[8], uint64_t counter)
{
    for (int i = 7; i >= 0; i--) {
        msg[i] = (uint8_t)(counter & 0xffu);
        counter >>= 8;
    }
}

/* Dynamic truncation (RFC 4226 section 5.3) of a 20..64-byte HMAC to digits
 * decimal digits: the low nibble of the last byte picks four bytes; the top
 * bit is dropped. */
static void truncate_code(char out[TOTP_MAX_DIGITS + 1], const uint8_t *mac, size_t mac_len, unsigned digits)
{
    size_t offset = mac[mac_len - 1] & 0x0fu;
    uint32_t binary = ((uint32_t)(mac[offset] & 0x7fu) << 24) | ((uint32_t)mac[offset + 1] << 16) |
                      ((uint32_t)mac[offset + 2] << 8) | (uint32_t)mac[offset + 3];

    binary %= pow10_of[digits];
    for (unsigned i = digits; i > 0; i--) {
        out[i - 1] = (char)('0' + binary % 10);
        binary /= 10;
    }
    out[digits] = '\0';
    tg_cleanse(&binary, sizeof binary);
}

tg_status hotp_code(char out[TOTP_MAX_DIGITS + 1], tg_hash_alg alg, const uint8_t *key, size_t key_len,
                    uint64_t counter, unsigned digits)
{
    tg_status rc;
    uint8_t msg[8];
    uint8_t mac[TG_HMAC_MAX_LEN];
    size_t mac_len = 0;

    if (out == NULL || (key == NULL && key_len > 0) || digits < 6 || digits > TOTP_MAX_DIGITS)
        return TG_ERR_INVALID_ARG;
    counter_bytes(msg, counter);
    rc = tg_hmac(mac, &mac_len, alg, key, key_len, msg, sizeof msg);
    if (rc == TG_OK && (mac_len < 20 || mac_len > sizeof mac))
        rc = TG_ERR_INTERNAL;
    if (rc == TG_OK)
        truncate_code(out, mac, mac_len, digits);
    tg_cleanse(mac, sizeof mac);
    tg_cleanse(msg, sizeof msg);
    return rc;
}

int64_t totp_step(int64_t unix_time, unsigned period)
{
    int64_t step;

    if (period == 0)
        return -1;
    /* Floor division, so a (contract-violating) negative time gives a negative
     * step rather than rounding towards step 0. */
    step = unix_time / (int64_t)period;
    if (unix_time % (int64_t)period < 0)
        step--;
    return step;
}

tg_status totp_verify(int64_t *matched_step, const totp_params *p, const uint8_t *key, size_t key_len,
                      const char *code, size_t code_len, int64_t now, unsigned skew)
{
    tg_status rc = TG_OK;
    char candidate[TOTP_MAX_DIGITS + 1];
    char computed[TOTP_MAX_DIGITS + 1];
    uint64_t found = 0, best = 0;
    uint64_t length_ok;
    int64_t current, steps[2 * TOTP_MAX_SKEW + 1];
    uint8_t msgs[8 * (2 * TOTP_MAX_SKEW + 1)];
    uint8_t macs[TG_HMAC_MAX_LEN * (2 * TOTP_MAX_SKEW + 1)];
    size_t nsteps = 0, mac_len = 0;

    /* Nothing to wipe yet, so bad arguments return directly. */
    if (matched_step == NULL || p == NULL || (code == NULL && code_len > 0) || (key == NULL && key_len > 0) ||
        p->period == 0 ||
        p->digits < 6 || p->digits > TOTP_MAX_DIGITS)
        return TG_ERR_INVALID_ARG;

    memset(candidate, 0, sizeof candidate);
    memset(computed, 0, sizeof computed);
    if (skew > TOTP_MAX_SKEW)
        skew = TOTP_MAX_SKEW;

    /* Compare against a fixed-size copy, so a code of the wrong length costs
     * the same work as a right one and nothing past code_len is read. */
    length_ok = (uint64_t)(code_len == p->digits);
    if (code_len > 0)
        memcpy(candidate, code, code_len < TOTP_MAX_DIGITS ? code_len : TOTP_MAX_DIGITS);

    /* Every step of the window, under one HMAC key set-up.  Steps before the
     * epoch, or past INT64_MAX, do not exist; skipping them depends only on
     * the public time, not on the code. */
    current = totp_step(now, p->period);
    for (int64_t delta = -(int64_t)skew; delta <= (int64_t)skew; delta++) {
        if (delta < 0 ? current < -delta : current > INT64_MAX - delta)
            continue;
        if (current + delta < 0)
            continue;
        steps[nsteps] = current + delta;
        counter_bytes(msgs + 8 * nsteps, (uint64_t)steps[nsteps]);
        nsteps++;
    }
    if (nsteps > 0) {
        rc = tg_hmac_each(macs, &mac_len, p->alg, key, key_len, msgs, 8, nsteps);
        if (rc == TG_OK && (mac_len < 20 || mac_len > TG_HMAC_MAX_LEN))
            rc = TG_ERR_INTERNAL;
        if (rc != TG_OK)
            goto out;
    }
    for (size_t i = 0; i < nsteps; i++) {
        uint64_t match, mask;
        int64_t step = steps[i];

        truncate_code(computed, macs + i * TG_HMAC_MAX_LEN, mac_len, p->digits);
        match = (uint64_t)tg_memeq(computed, candidate, p->digits) & length_ok;
        /* Steps rise through the loop, so the last match is the highest. */
        mask = 0u - match;
        best = (best & ~mask) | ((uint64_t)step & mask);
        found |= match;
    }

    if (found) {
        *matched_step = (int64_t)best;
        rc = TG_OK;
    } else {
        rc = TG_ERR_INVALID_CREDENTIALS;
    }
out:
    tg_cleanse(computed, sizeof computed);
    tg_cleanse(candidate, sizeof candidate);
    tg_cleanse(macs, sizeof macs);
    return rc;
}
