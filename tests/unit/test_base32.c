/* test_base32.c - base32 against RFC 4648 section 10, strict decoding, round trips. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "base32.h"
#include "unit.h"

struct b32_vector {
    const char *plain;
    const char *padded;
    const char *unpadded;
};

static const struct b32_vector b32_vectors[] = {
    {"", "", ""},
    {"f", "MY======", "MY"},
    {"fo", "MZXQ====", "MZXQ"},
    {"foo", "MZXW6===", "MZXW6"},
    {"foob", "MZXW6YQ=", "MZXW6YQ"},
    {"fooba", "MZXW6YTB", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI======", "MZXW6YTBOI"},
};

/* 1 when s decodes to exactly want (want_len bytes). */
static int decodes_to(const char *s, const void *want, size_t want_len)
{
    uint8_t buf[64];
    size_t n = 12345;
    if (base32_decode(buf, sizeof buf, &n, s, strlen(s)) != TG_OK)
        return 0;
    return n == want_len && memcmp(buf, want, n) == 0;
}

static int rejects(const char *s)
{
    uint8_t buf[64];
    size_t n = 12345;
    return base32_decode(buf, sizeof buf, &n, s, strlen(s)) == TG_ERR_INVALID_ARG;
}

static uint32_t b32_rng_state = 0x9e3779b9u;

static uint32_t b32_rng(void)
{
    /* xorshift32: deterministic, so a failure can be reproduced */
    b32_rng_state ^= b32_rng_state << 13;
    b32_rng_state ^= b32_rng_state >> 17;
    b32_rng_state ^= b32_rng_state << 5;
    return b32_rng_state;
}

void test_base32(void);
void test_base32(void)
{
    char enc[128];
    uint8_t buf[64];
    size_t n;

    for (size_t i = 0; i < sizeof b32_vectors / sizeof b32_vectors[0]; i++) {
        const struct b32_vector *v = &b32_vectors[i];
        size_t plen = strlen(v->plain);
        char lower[32];

        CHECK(base32_encoded_len(plen, 1) == strlen(v->padded));
        CHECK(base32_encoded_len(plen, 0) == strlen(v->unpadded));
        base32_encode(enc, (const uint8_t *)v->plain, plen, 1);
        CHECK_STR(enc, v->padded);
        base32_encode(enc, (const uint8_t *)v->plain, plen, 0);
        CHECK_STR(enc, v->unpadded);

        CHECK(decodes_to(v->padded, v->plain, plen));
        CHECK(decodes_to(v->unpadded, v->plain, plen));
        for (size_t j = 0; j < sizeof lower - 1 && v->padded[j] != '\0'; j++)
            lower[j] = (char)tolower((unsigned char)v->padded[j]);
        lower[strlen(v->padded)] = '\0';
        CHECK(decodes_to(lower, v->plain, plen));
    }
    CHECK(decodes_to("mZxW6yTbOi", "foobar", 6)); /* mixed case */

    /* characters outside the alphabet */
    CHECK(rejects("MZXW6YT0"));
    CHECK(rejects("MZXW6YT1"));
    CHECK(rejects("MZXW6YT8"));
    CHECK(rejects("MZXW6YT9"));
    CHECK(rejects("MZXW-6YT"));
    CHECK(rejects("MZXW6YT!"));
    CHECK(rejects("MZXW6YT@"));    /* just below 'A' */
    CHECK(rejects("MZXW6YT["));    /* just above 'Z' */
    CHECK(rejects("MZXW6YT\xc3")); /* high bit */
    CHECK(base32_decode(buf, sizeof buf, &n, "MZ\0XW6YTB", 9) == TG_ERR_INVALID_ARG);
    /* whitespace anywhere */
    CHECK(rejects("MZXW 6YTB"));
    CHECK(rejects(" MZXW6YTB"));
    CHECK(rejects("MZXW6YTB "));
    CHECK(rejects("MZXW6YTB\n"));
    CHECK(rejects("MZXW\t6YTB"));
    /* '=' anywhere but the end, too much or too little padding */
    CHECK(rejects("MY=====A"));
    CHECK(rejects("M=Y====="));
    CHECK(rejects("MY====="));
    CHECK(rejects("MY======="));
    CHECK(rejects("MZXW6YTB========"));
    CHECK(rejects("========"));
    CHECK(rejects("="));
    CHECK(decodes_to("MZXW6===", "foo", 3)); /* 5 data chars take exactly 3 '=' */
    CHECK(rejects("MZXW6YTBOI=")); /* padding that does not complete the group */
    /* impossible lengths: 1, 3 or 6 characters in the last group */
    CHECK(rejects("M"));
    CHECK(rejects("MZX"));
    CHECK(rejects("MZXW6Y"));
    CHECK(rejects("MZXW6YTBM"));
    CHECK(rejects("M======="));
    CHECK(rejects("MZX====="));
    CHECK(rejects("MZXW6Y=="));
    /* non-zero unused bits in the last character */
    CHECK(rejects("MZ"));
    CHECK(rejects("MZ======"));
    CHECK(rejects("MZXR"));
    CHECK(rejects("MZXW7"));
    CHECK(rejects("MZXW6YR"));
    CHECK(decodes_to("MY", "f", 1));

    /* out_cap too small, exactly right, and a failed decode writes nothing */
    memset(buf, 0xaa, sizeof buf);
    CHECK(base32_decode(buf, 5, &n, "MZXW6YTBOI", 10) == TG_ERR_INVALID_ARG);
    CHECK(buf[0] == 0xaa);
    CHECK(base32_decode(buf, 0, &n, "MY", 2) == TG_ERR_INVALID_ARG);
    CHECK(base32_decode(buf, 6, &n, "MZXW6YTBOI", 10) == TG_OK && n == 6);
    CHECK(base32_decode(NULL, 0, &n, "", 0) == TG_OK && n == 0);
    CHECK(base32_decode(buf, sizeof buf, NULL, "MY", 2) == TG_ERR_INVALID_ARG);
    memset(buf, 0xaa, sizeof buf);
    CHECK(base32_decode(buf, sizeof buf, &n, "MZXW6YT!", 8) == TG_ERR_INVALID_ARG);
    CHECK(buf[0] == 0 && buf[3] == 0 && buf[4] == 0xaa); /* partial output wiped */

    /* round trips of every length 0..40 and random contents */
    for (int round = 0; round < 200; round++) {
        uint8_t in[40];
        size_t len = (size_t)(round % 41);
        int ok = 1;
        for (size_t i = 0; i < len; i++)
            in[i] = (uint8_t)b32_rng();
        for (int pad = 0; pad <= 1; pad++) {
            base32_encode(enc, in, len, pad);
            ok &= strlen(enc) == base32_encoded_len(len, pad);
            ok &= base32_decode(buf, len, &n, enc, strlen(enc)) == TG_OK && n == len && memcmp(buf, in, len) == 0;
            for (size_t i = 0; enc[i] != '\0'; i++)
                enc[i] = (char)tolower((unsigned char)enc[i]);
            ok &= base32_decode(buf, sizeof buf, &n, enc, strlen(enc)) == TG_OK && n == len &&
                  memcmp(buf, in, len) == 0;
        }
        CHECK(ok);
    }
    /* every byte value in every position of a 5-byte group */
    {
        int ok = 1;
        for (unsigned b = 0; b < 256; b++) {
            uint8_t in[5] = {(uint8_t)b, (uint8_t)~b, (uint8_t)(b * 7), (uint8_t)(b ^ 0x5a), (uint8_t)b};
            base32_encode(enc, in, 5, 0);
            ok &= base32_decode(buf, sizeof buf, &n, enc, 8) == TG_OK && n == 5 && memcmp(buf, in, 5) == 0;
        }
        CHECK(ok);
    }
}
