/* test_base64url.c - base64url (no padding) against RFC 4648 vectors, strict decoding, round trips. */
#include <stdint.h>
#include <string.h>

#include "base64url.h"
#include "unit.h"

struct b64_vector {
    const char *plain;
    const char *encoded;
};

/* RFC 4648 section 10 with the '=' padding removed. */
static const struct b64_vector b64_vectors[] = {
    {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},          {"foo", "Zm9v"},
    {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
};

static int b64_decodes_to(const char *s, const void *want, size_t want_len)
{
    uint8_t buf[64];
    size_t n = 12345;
    if (base64url_decode(buf, sizeof buf, &n, s, strlen(s)) != TG_OK)
        return 0;
    return n == want_len && memcmp(buf, want, n) == 0;
}

static int b64_rejects(const char *s)
{
    uint8_t buf[64];
    size_t n = 12345;
    return base64url_decode(buf, sizeof buf, &n, s, strlen(s)) == TG_ERR_INVALID_ARG;
}

static uint32_t b64_rng_state = 0x2545f491u;

static uint32_t b64_rng(void)
{
    b64_rng_state ^= b64_rng_state << 13;
    b64_rng_state ^= b64_rng_state >> 17;
    b64_rng_state ^= b64_rng_state << 5;
    return b64_rng_state;
}

void test_base64url(void);
void test_base64url(void)
{
    char enc[128];
    uint8_t buf[64];
    size_t n;

    for (size_t i = 0; i < sizeof b64_vectors / sizeof b64_vectors[0]; i++) {
        const struct b64_vector *v = &b64_vectors[i];
        size_t plen = strlen(v->plain);
        CHECK(base64url_encoded_len(plen) == strlen(v->encoded));
        base64url_encode(enc, (const uint8_t *)v->plain, plen);
        CHECK_STR(enc, v->encoded);
        CHECK(b64_decodes_to(v->encoded, v->plain, plen));
        CHECK(base64url_decoded_max(strlen(v->encoded)) == plen);
    }

    /* bytes whose standard encoding has '+' and '/' */
    {
        static const uint8_t fb_ff[] = {0xfb, 0xff};         /* "+/8=" in base64 */
        static const uint8_t ones[] = {0xff, 0xff, 0xff};    /* "////" */
        static const uint8_t dashes[] = {0xfb, 0xef, 0xbe};  /* "++++" */
        static const uint8_t mixed[] = {0x03, 0xef, 0xff, 0xf8}; /* "A-__-A" */
        base64url_encode(enc, fb_ff, sizeof fb_ff);
        CHECK_STR(enc, "-_8");
        base64url_encode(enc, ones, sizeof ones);
        CHECK_STR(enc, "____");
        base64url_encode(enc, dashes, sizeof dashes);
        CHECK_STR(enc, "----");
        base64url_encode(enc, mixed, sizeof mixed);
        CHECK_STR(enc, "A-__-A");
        CHECK(b64_decodes_to("-_8", fb_ff, sizeof fb_ff));
        CHECK(b64_decodes_to("____", ones, sizeof ones));
        CHECK(b64_decodes_to("----", dashes, sizeof dashes));
        CHECK(b64_decodes_to("A-__-A", mixed, sizeof mixed));
    }

    /* standard-alphabet and padding characters */
    CHECK(b64_rejects("Zg=="));
    CHECK(b64_rejects("Zm8="));
    CHECK(b64_rejects("Zg="));
    CHECK(b64_rejects("="));
    CHECK(b64_rejects("+/8"));
    CHECK(b64_rejects("-/8"));
    CHECK(b64_rejects("+_8"));
    /* whitespace and other bytes */
    CHECK(b64_rejects("Zm9v Yg"));
    CHECK(b64_rejects("Zm9v\nYg"));
    CHECK(b64_rejects("Zm9vYg\r\n"));
    CHECK(b64_rejects(" Zm9v"));
    CHECK(b64_rejects("Zm9\t"));
    CHECK(b64_rejects("Zm9v."));
    CHECK(b64_rejects("Zm9@"));
    CHECK(b64_rejects("Zm9\x80"));
    CHECK(base64url_decode(buf, sizeof buf, &n, "Zm\0v", 4) == TG_ERR_INVALID_ARG);
    /* len % 4 == 1 */
    CHECK(b64_rejects("Z"));
    CHECK(b64_rejects("Zm9vY"));
    CHECK(b64_rejects("Zm9vYmFyZ"));
    /* non-canonical unused bits: "Zh" and "Zg" would both be "f" */
    CHECK(b64_rejects("Zh"));
    CHECK(b64_rejects("Zv"));
    CHECK(b64_rejects("Zm9"));
    CHECK(b64_rejects("Zm-"));
    CHECK(b64_rejects("Zm9vYh"));
    CHECK(b64_rejects("-_9"));
    CHECK(b64_decodes_to("", "", 0));

    /* out_cap */
    memset(buf, 0xaa, sizeof buf);
    CHECK(base64url_decode(buf, 5, &n, "Zm9vYmFy", 8) == TG_ERR_INVALID_ARG);
    CHECK(buf[0] == 0xaa);
    CHECK(base64url_decode(buf, 6, &n, "Zm9vYmFy", 8) == TG_OK && n == 6 && memcmp(buf, "foobar", 6) == 0);
    CHECK(base64url_decode(buf, 1, &n, "Zg", 2) == TG_OK && n == 1);
    CHECK(base64url_decode(buf, 0, &n, "Zg", 2) == TG_ERR_INVALID_ARG);
    CHECK(base64url_decode(NULL, 0, &n, "", 0) == TG_OK && n == 0);
    CHECK(base64url_decode(buf, sizeof buf, NULL, "Zg", 2) == TG_ERR_INVALID_ARG);
    memset(buf, 0xaa, sizeof buf);
    CHECK(base64url_decode(buf, sizeof buf, &n, "Zm9vY+Fy", 8) == TG_ERR_INVALID_ARG);
    CHECK(buf[0] == 0 && buf[2] == 0 && buf[3] == 0xaa); /* partial output wiped */
    CHECK(base64url_decoded_max(0) == 0 && base64url_decoded_max(2) == 1 && base64url_decoded_max(3) == 2 &&
          base64url_decoded_max(4) == 3 && base64url_decoded_max(86) == 64);
    CHECK(base64url_encoded_len(64) == 86 && base64url_encoded_len(32) == 43);

    /* round trips of every length 0..48 and random contents */
    for (int round = 0; round < 245; round++) {
        uint8_t in[48];
        size_t len = (size_t)(round % 49);
        int ok = 1;
        for (size_t i = 0; i < len; i++)
            in[i] = (uint8_t)b64_rng();
        base64url_encode(enc, in, len);
        ok &= strlen(enc) == base64url_encoded_len(len);
        ok &= strchr(enc, '+') == NULL && strchr(enc, '/') == NULL && strchr(enc, '=') == NULL;
        ok &= base64url_decoded_max(strlen(enc)) == len;
        ok &= base64url_decode(buf, len, &n, enc, strlen(enc)) == TG_OK && n == len && memcmp(buf, in, len) == 0;
        CHECK(ok);
    }
    /* all 64 characters decode and re-encode to themselves */
    {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        CHECK(base64url_decode(buf, sizeof buf, &n, alphabet, 64) == TG_OK && n == 48);
        base64url_encode(enc, buf, n);
        CHECK_STR(enc, alphabet);
    }
}
