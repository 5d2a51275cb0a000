/* test_totp.c - HOTP and TOTP against RFC 4226 Appendix D and RFC 6238 Appendix B; the verify window. */
#include <stdint.h>
#include <string.h>

#include "totp.h"
#include "unit.h"

/* RFC 6238 Appendix B seeds: "1234567890" repeated to the hash's output size. */
static const uint8_t seed20[] = "12345678901234567890";
static const uint8_t seed32[] = "12345678901234567890123456789012";
static const uint8_t seed64[] = "1234567890123456789012345678901234567890123456789012345678901234";

struct totp_vector {
    int64_t time;
    int64_t step;
    tg_hash_alg alg;
    const char *code;
};

static const struct totp_vector rfc6238[] = {
    {59, 1, TG_HASH_SHA1, "94287082"},
    {59, 1, TG_HASH_SHA256, "46119246"},
    {59, 1, TG_HASH_SHA512, "90693936"},
    {1111111109, 0x23523EC, TG_HASH_SHA1, "07081804"},
    {1111111109, 0x23523EC, TG_HASH_SHA256, "68084774"},
    {1111111109, 0x23523EC, TG_HASH_SHA512, "25091201"},
    {1111111111, 0x23523ED, TG_HASH_SHA1, "14050471"},
    {1111111111, 0x23523ED, TG_HASH_SHA256, "67062674"},
    {1111111111, 0x23523ED, TG_HASH_SHA512, "99943326"},
    {1234567890, 0x273EF07, TG_HASH_SHA1, "89005924"},
    {1234567890, 0x273EF07, TG_HASH_SHA256, "91819424"},
    {1234567890, 0x273EF07, TG_HASH_SHA512, "93441116"},
    {2000000000, 0x3F940AA, TG_HASH_SHA1, "69279037"},
    {2000000000, 0x3F940AA, TG_HASH_SHA256, "90698825"},
    {2000000000, 0x3F940AA, TG_HASH_SHA512, "38618901"},
    {INT64_C(20000000000), 0x27BC86AA, TG_HASH_SHA1, "65353130"},
    {INT64_C(20000000000), 0x27BC86AA, TG_HASH_SHA256, "77737706"},
    {INT64_C(20000000000), 0x27BC86AA, TG_HASH_SHA512, "47863826"},
};

static size_t seed_for(tg_hash_alg alg, const uint8_t **seed)
{
    switch (alg) {
    case TG_HASH_SHA256:
        *seed = seed32;
        return 32;
    case TG_HASH_SHA512:
        *seed = seed64;
        return 64;
    default:
        *seed = seed20;
        return 20;
    }
}

/* The 6-digit SHA-1 code of the RFC 4226 secret at step. */
static void code_at(char out[TOTP_MAX_DIGITS + 1], int64_t step)
{
    memset(out, 0, TOTP_MAX_DIGITS + 1);
    if (hotp_code(out, TG_HASH_SHA1, seed20, 20, (uint64_t)step, 6) != TG_OK)
        out[0] = '\0';
}

/* Runs totp_verify with the RFC 4226 secret, SHA-1, 6 digits, 30 s. */
static tg_status verify6(int64_t *matched, const char *code, int64_t now, unsigned skew)
{
    totp_params p = {TG_HASH_SHA1, 6, 30};
    *matched = -42;
    return totp_verify(matched, &p, seed20, 20, code, strlen(code), now, skew);
}

void test_totp(void);
void test_totp(void)
{
    static const char *const rfc4226[10] = {"755224", "287082", "359152", "969429", "338314",
                                            "254676", "287922", "162583", "399871", "520489"};
    char code[TOTP_MAX_DIGITS + 1];
    int64_t matched;

    /* RFC 4226 Appendix D */
    for (uint64_t c = 0; c < 10; c++) {
        CHECK(hotp_code(code, TG_HASH_SHA1, seed20, 20, c, 6) == TG_OK);
        CHECK_STR(code, rfc4226[c]);
    }
    /* the same counters at 7 and 8 digits keep the same low digits */
    CHECK(hotp_code(code, TG_HASH_SHA1, seed20, 20, 0, 8) == TG_OK && strcmp(code + 2, "755224") == 0);
    CHECK(hotp_code(code, TG_HASH_SHA1, seed20, 20, 0, 7) == TG_OK && strlen(code) == 7 &&
          strcmp(code + 1, "755224") == 0);
    CHECK(hotp_code(code, TG_HASH_SHA1, seed20, 20, 0, 5) == TG_ERR_INVALID_ARG);
    CHECK(hotp_code(code, TG_HASH_SHA1, seed20, 20, 0, 9) == TG_ERR_INVALID_ARG);
    CHECK(hotp_code(code, TG_HASH_SHA1, NULL, 20, 0, 6) == TG_ERR_INVALID_ARG);

    /* RFC 6238 Appendix B, all 18 rows */
    for (size_t i = 0; i < sizeof rfc6238 / sizeof rfc6238[0]; i++) {
        const struct totp_vector *v = &rfc6238[i];
        const uint8_t *seed;
        size_t seed_len = seed_for(v->alg, &seed);
        totp_params p = {v->alg, 8, 30};

        CHECK(totp_step(v->time, 30) == v->step);
        CHECK(hotp_code(code, v->alg, seed, seed_len, (uint64_t)totp_step(v->time, 30), 8) == TG_OK);
        CHECK_STR(code, v->code);
        matched = -1;
        CHECK(totp_verify(&matched, &p, seed, seed_len, v->code, 8, v->time, 0) == TG_OK && matched == v->step);
    }

    /* totp_step, including past 2038 and the 32-bit unsigned limit */
    CHECK(totp_step(0, 30) == 0);
    CHECK(totp_step(29, 30) == 0);
    CHECK(totp_step(30, 30) == 1);
    CHECK(totp_step(INT64_C(2147483647), 30) == 71582788);
    CHECK(totp_step(INT64_C(2147483648), 30) == 71582788);
    CHECK(totp_step(INT64_C(4294967296), 30) == 143165576);
    CHECK(totp_step(INT64_C(20000000000), 30) == 666666666);
    CHECK(totp_step(INT64_C(20000000000), 60) == 333333333);
    CHECK(totp_step(INT64_C(253402300799), 30) == INT64_C(8446743359)); /* 9999-12-31T23:59:59Z */
    CHECK(totp_step(INT64_MAX, 1) == INT64_MAX);
    CHECK(totp_step(INT64_C(1111111111), 1) == INT64_C(1111111111));

    /* the window around now = 1111111111 (step 37037037), SHA-1, 6 digits */
    {
        const int64_t now = INT64_C(1111111111), step = 37037037;
        char minus2[TOTP_MAX_DIGITS + 1], minus1[TOTP_MAX_DIGITS + 1], here[TOTP_MAX_DIGITS + 1];
        char plus1[TOTP_MAX_DIGITS + 1], plus2[TOTP_MAX_DIGITS + 1], plus3[TOTP_MAX_DIGITS + 1];
        code_at(minus2, step - 2);
        code_at(minus1, step - 1);
        code_at(here, step);
        code_at(plus1, step + 1);
        code_at(plus2, step + 2);
        code_at(plus3, step + 3);
        CHECK_STR(here, "050471"); /* the 6-digit tail of the RFC's 14050471 */

        CHECK(verify6(&matched, minus1, now, 1) == TG_OK && matched == step - 1);
        CHECK(verify6(&matched, here, now, 1) == TG_OK && matched == step);
        CHECK(verify6(&matched, plus1, now, 1) == TG_OK && matched == step + 1);
        CHECK(verify6(&matched, minus2, now, 1) == TG_ERR_INVALID_CREDENTIALS && matched == -42);
        CHECK(verify6(&matched, plus2, now, 1) == TG_ERR_INVALID_CREDENTIALS);
        CHECK(verify6(&matched, minus2, now, 2) == TG_OK && matched == step - 2);
        CHECK(verify6(&matched, plus2, now, 2) == TG_OK && matched == step + 2);
        CHECK(verify6(&matched, plus3, now, 2) == TG_ERR_INVALID_CREDENTIALS);
        /* skew is clamped to TOTP_MAX_SKEW */
        CHECK(verify6(&matched, plus3, now, 3) == TG_ERR_INVALID_CREDENTIALS);
        CHECK(verify6(&matched, plus3, now, 1000) == TG_ERR_INVALID_CREDENTIALS);
        CHECK(verify6(&matched, plus2, now, 1000) == TG_OK && matched == step + 2);
        /* skew 0: only the current step */
        CHECK(verify6(&matched, here, now, 0) == TG_OK && matched == step);
        CHECK(verify6(&matched, minus1, now, 0) == TG_ERR_INVALID_CREDENTIALS);
        CHECK(verify6(&matched, plus1, now, 0) == TG_ERR_INVALID_CREDENTIALS);
        /* the edges of the current step */
        CHECK(verify6(&matched, here, step * 30, 0) == TG_OK && matched == step);
        CHECK(verify6(&matched, here, step * 30 + 29, 0) == TG_OK && matched == step);
        CHECK(verify6(&matched, here, step * 30 - 1, 0) == TG_ERR_INVALID_CREDENTIALS);

        /* wrong length: the 7-digit code of this step ends in the right 6 digits */
        {
            totp_params p = {TG_HASH_SHA1, 6, 30};
            char seven[TOTP_MAX_DIGITS + 1], with_extra[TOTP_MAX_DIGITS + 2];
            CHECK(hotp_code(seven, TG_HASH_SHA1, seed20, 20, (uint64_t)step, 7) == TG_OK);
            CHECK(strcmp(seven + 1, here) == 0);
            CHECK(verify6(&matched, seven, now, 1) == TG_ERR_INVALID_CREDENTIALS);
            memcpy(with_extra, here, 6);
            with_extra[6] = '0';
            with_extra[7] = '\0';
            CHECK(verify6(&matched, with_extra, now, 1) == TG_ERR_INVALID_CREDENTIALS);
            CHECK(totp_verify(&matched, &p, seed20, 20, here, 5, now, 1) == TG_ERR_INVALID_CREDENTIALS);
            CHECK(totp_verify(&matched, &p, seed20, 20, here, 0, now, 1) == TG_ERR_INVALID_CREDENTIALS);
            CHECK(totp_verify(&matched, &p, seed20, 20, NULL, 0, now, 1) == TG_ERR_INVALID_CREDENTIALS);
            /* an 8-digit merchant refuses the 6-digit code and takes the 8-digit one */
            p.digits = 8;
            CHECK(totp_verify(&matched, &p, seed20, 20, here, 6, now, 1) == TG_ERR_INVALID_CREDENTIALS);
            CHECK(totp_verify(&matched, &p, seed20, 20, "14050471", 8, now, 1) == TG_OK && matched == step);
        }

        /* a non-digit anywhere is refused */
        {
            char bad[TOTP_MAX_DIGITS + 1];
            memcpy(bad, here, sizeof bad);
            bad[3] = 'a';
            CHECK(verify6(&matched, bad, now, 2) == TG_ERR_INVALID_CREDENTIALS);
            memcpy(bad, here, sizeof bad);
            bad[0] = ' ';
            CHECK(verify6(&matched, bad, now, 2) == TG_ERR_INVALID_CREDENTIALS);
            CHECK(verify6(&matched, "", now, 2) == TG_ERR_INVALID_CREDENTIALS);
        }
    }

    /*
     * The highest step wins.  With the RFC 4226 secret, steps 37079356 and
     * 37079357 (found by search) share the 6-digit code 186519.
     */
    {
        const int64_t low = 37079356, high = 37079357;
        char a[TOTP_MAX_DIGITS + 1], b[TOTP_MAX_DIGITS + 1];
        code_at(a, low);
        code_at(b, high);
        CHECK_STR(a, "186519");
        CHECK_STR(b, "186519");
        CHECK(verify6(&matched, "186519", low * 30, 1) == TG_OK && matched == high);
        CHECK(verify6(&matched, "186519", high * 30, 1) == TG_OK && matched == high);
        CHECK(verify6(&matched, "186519", (high + 1) * 30, 1) == TG_OK && matched == high);
        CHECK(verify6(&matched, "186519", (high + 2) * 30, 2) == TG_OK && matched == high);
        CHECK(verify6(&matched, "186519", (low - 1) * 30, 2) == TG_OK && matched == high);
        /* only the lower one in the window */
        CHECK(verify6(&matched, "186519", (low - 1) * 30, 1) == TG_OK && matched == low);
        CHECK(verify6(&matched, "186519", low * 30, 0) == TG_OK && matched == low);
        CHECK(verify6(&matched, "186519", (low - 2) * 30, 1) == TG_ERR_INVALID_CREDENTIALS);
    }

    /* near the epoch the steps below 0 are skipped, not wrapped */
    {
        char s0[TOTP_MAX_DIGITS + 1], s1[TOTP_MAX_DIGITS + 1];
        code_at(s0, 0);
        code_at(s1, 1);
        CHECK_STR(s0, "755224");
        CHECK(verify6(&matched, s0, 0, 2) == TG_OK && matched == 0);
        CHECK(verify6(&matched, s1, 0, 2) == TG_OK && matched == 1);
        CHECK(verify6(&matched, s0, 29, 1) == TG_OK && matched == 0);
        CHECK(verify6(&matched, s0, 30, 1) == TG_OK && matched == 0);
        CHECK(verify6(&matched, s0, 59, 0) == TG_ERR_INVALID_CREDENTIALS);
        /* the code of counter 2^64-1 (step -1 if it wrapped) must not match */
        code_at(s1, -1);
        CHECK(strcmp(s1, s0) != 0);
        CHECK(verify6(&matched, s1, 0, 2) == TG_ERR_INVALID_CREDENTIALS);
        CHECK(verify6(&matched, s1, 0, 0) == TG_ERR_INVALID_CREDENTIALS);
        /* a negative time (outside the contract) has no steps at all */
        CHECK(totp_step(-1, 30) == -1);
        CHECK(totp_step(-30, 30) == -1);
        CHECK(totp_step(-31, 30) == -2);
        CHECK(verify6(&matched, s1, -1, 0) == TG_ERR_INVALID_CREDENTIALS);
        CHECK(verify6(&matched, s1, -15, 2) == TG_ERR_INVALID_CREDENTIALS);
        CHECK(verify6(&matched, s0, -15, 1) == TG_OK && matched == 0);
        CHECK(verify6(&matched, s0, INT64_MIN, 2) == TG_ERR_INVALID_CREDENTIALS);
    }

    /* far future and the top of int64_t */
    {
        totp_params p = {TG_HASH_SHA1, 8, 30};
        char top[TOTP_MAX_DIGITS + 1];
        CHECK(totp_verify(&matched, &p, seed20, 20, "65353130", 8, INT64_C(20000000000) + 30, 1) == TG_OK &&
              matched == 666666666);
        p.period = 1;
        CHECK(hotp_code(top, TG_HASH_SHA1, seed20, 20, (uint64_t)INT64_MAX, 8) == TG_OK);
        CHECK(totp_verify(&matched, &p, seed20, 20, top, 8, INT64_MAX, 2) == TG_OK && matched == INT64_MAX);
        CHECK(totp_verify(&matched, &p, seed20, 20, top, 8, INT64_MAX - 1, 1) == TG_OK && matched == INT64_MAX);
    }

    /* bad parameters */
    {
        totp_params p = {TG_HASH_SHA1, 6, 0};
        CHECK(totp_verify(&matched, &p, seed20, 20, "755224", 6, 0, 1) == TG_ERR_INVALID_ARG);
        p.period = 30;
        p.digits = 5;
        CHECK(totp_verify(&matched, &p, seed20, 20, "75522", 5, 0, 1) == TG_ERR_INVALID_ARG);
        p.digits = 9;
        CHECK(totp_verify(&matched, &p, seed20, 20, "755224", 6, 0, 1) == TG_ERR_INVALID_ARG);
        p.digits = 6;
        CHECK(totp_verify(NULL, &p, seed20, 20, "755224", 6, 0, 1) == TG_ERR_INVALID_ARG);
        CHECK(totp_verify(&matched, NULL, seed20, 20, "755224", 6, 0, 1) == TG_ERR_INVALID_ARG);
        CHECK(totp_verify(&matched, &p, seed20, 20, "755224", 6, 0, 1) == TG_OK && matched == 0);
    }
}
