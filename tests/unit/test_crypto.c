/*
 * test_crypto.c - AES-256-GCM sealing (round trip, tamper detection, a known
 * answer from an independent implementation), HMAC against RFC 4231 / RFC
 * 2202, tg_memeq, and P-256 / ES256 keys and signatures (including the RFC
 * 7515 Appendix A.3 example signature).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "unit.h"

static const uint8_t key_a[TG_AEAD_KEY_LEN] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

/*
 * Known answer, computed independently with /usr/bin/python3 and the
 * `cryptography` package (38.0.4):
 *
 *   from cryptography.hazmat.primitives.ciphers.aead import AESGCM
 *   key   = bytes(range(32))                 # 00 01 .. 1f
 *   nonce = bytes(range(0xa0, 0xac))         # a0 a1 .. ab
 *   aad   = b"totpgate/kat/aad"
 *   AESGCM(key).encrypt(nonce, b"The quick brown fox jumps over the lazy dog", aad)
 *   AESGCM(key).encrypt(nonce, b"", aad)
 *
 * AESGCM.encrypt returns ciphertext || 16-byte tag.
 */
static const uint8_t kat_nonce[TG_AEAD_NONCE_LEN] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                                     0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
static const char kat_aad[] = "totpgate/kat/aad";
static const char kat_pt[] = "The quick brown fox jumps over the lazy dog";
static const uint8_t kat_ct_tag[43 + 16] = {
    0xb2, 0x70, 0x19, 0x0d, 0x34, 0xbe, 0x6b, 0xdc, 0x09, 0x45, 0xe5, 0xa1, 0x68, 0x0d, 0xae,
    0xfe, 0x16, 0xc3, 0x21, 0x30, 0xf8, 0xc2, 0x2f, 0x1c, 0xef, 0x2e, 0x49, 0xf0, 0x1a, 0xd9,
    0x55, 0x75, 0xba, 0x13, 0x67, 0x93, 0xce, 0x58, 0x2a, 0x1d, 0x3b, 0xf3, 0x63, 0xbe, 0xfb,
    0x1e, 0xd1, 0x6a, 0xc5, 0x19, 0x3e, 0x7f, 0x85, 0xed, 0xe5, 0x6f, 0x73, 0xa2, 0x7d,
};
static const uint8_t kat_empty_tag[16] = {0x69, 0x63, 0x3e, 0xb7, 0xa8, 0x48, 0xa9, 0x3d,
                                          0xd7, 0x6f, 0x79, 0x07, 0xf1, 0x68, 0x5f, 0x08};

/* RFC 7515 Appendix A.3: the ES256 example key (public part) and JWS. */
static const uint8_t a3_x[32] = {0x7f, 0xcd, 0xce, 0x27, 0x70, 0xf6, 0xc4, 0x5d, 0x41, 0x83, 0xcb,
                                 0xee, 0x6f, 0xdb, 0x4b, 0x7b, 0x58, 0x07, 0x33, 0x35, 0x7b, 0xe9,
                                 0xef, 0x13, 0xba, 0xcf, 0x6e, 0x3c, 0x7b, 0xd1, 0x54, 0x45};
static const uint8_t a3_y[32] = {0xc7, 0xf1, 0x44, 0xcd, 0x1b, 0xbd, 0x9b, 0x7e, 0x87, 0x2c, 0xdf,
                                 0xed, 0xb9, 0xee, 0xb9, 0xf4, 0xb3, 0x69, 0x5d, 0x6e, 0xa9, 0x0b,
                                 0x24, 0xad, 0x8a, 0x46, 0x23, 0x28, 0x85, 0x88, 0xe5, 0xad};
static const char a3_signing_input[] =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
/* base64url-decoded (with /usr/bin/python3)
 * "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q" */
static const uint8_t a3_sig[64] = {
    0x0e, 0xd1, 0x21, 0x53, 0x79, 0x63, 0x6c, 0x48, 0x3c, 0x2f, 0x7f, 0x15, 0x58, 0x07, 0xd4, 0x02,
    0xa3, 0xb2, 0x28, 0x03, 0x3a, 0xf9, 0x7c, 0x7e, 0x17, 0x81, 0x9a, 0xc3, 0x16, 0x9e, 0xa6, 0x65,
    0xc5, 0x0a, 0x07, 0xd3, 0x8c, 0x3c, 0x70, 0xe5, 0xd8, 0xf1, 0x2d, 0xaf, 0x08, 0x4a, 0x54, 0x80,
    0xa6, 0x65, 0x90, 0xc5, 0xf2, 0x93, 0x50, 0x9a, 0x8f, 0x3f, 0x7f, 0x8a, 0x83, 0xa3, 0x54, 0xd5,
};

/* Opens sealed (of length len) under key_a/aad and expects TG_ERR_CRYPTO. */
static int open_fails(const uint8_t *sealed, size_t len, const uint8_t *aad, size_t aad_len)
{
    uint8_t out[256];
    size_t out_len = 12345;

    return tg_aead_open(out, &out_len, key_a, aad, aad_len, sealed, len) == TG_ERR_CRYPTO;
}

static void test_aead(void)
{
    static const uint8_t aad[] = "totpgate/merchant-secret/m_0123456789abcdef";
    const size_t aad_len = sizeof aad - 1;
    uint8_t pt[64], sealed[64 + TG_AEAD_OVERHEAD], sealed2[64 + TG_AEAD_OVERHEAD], opened[64 + 1];
    uint8_t key_b[TG_AEAD_KEY_LEN];
    size_t sealed_len = 0, sealed2_len = 0, opened_len = 0;

    CHECK(TG_AEAD_OVERHEAD == 29);
    for (size_t i = 0; i < sizeof pt; i++)
        pt[i] = (uint8_t)(i * 7 + 3);

    /* empty plaintext: version || nonce || tag */
    CHECK(tg_aead_seal(sealed, &sealed_len, key_a, aad, aad_len, pt, 0) == TG_OK);
    CHECK(sealed_len == TG_AEAD_OVERHEAD);
    CHECK(sealed[0] == 1);
    opened_len = 99;
    CHECK(tg_aead_open(opened, &opened_len, key_a, aad, aad_len, sealed, sealed_len) == TG_OK && opened_len == 0);
    CHECK(open_fails(sealed, sealed_len, aad, aad_len - 1));
    sealed[sealed_len - 1] ^= 0x80;
    CHECK(open_fails(sealed, sealed_len, aad, aad_len));

    /* 64 bytes */
    CHECK(tg_aead_seal(sealed, &sealed_len, key_a, aad, aad_len, pt, sizeof pt) == TG_OK);
    CHECK(sealed_len == sizeof pt + TG_AEAD_OVERHEAD);
    CHECK(sealed[0] == 1);
    CHECK(memcmp(sealed + 1 + TG_AEAD_NONCE_LEN, pt, sizeof pt) != 0); /* it is encrypted */
    memset(opened, 0xee, sizeof opened);
    CHECK(tg_aead_open(opened, &opened_len, key_a, aad, aad_len, sealed, sealed_len) == TG_OK);
    CHECK(opened_len == sizeof pt && memcmp(opened, pt, sizeof pt) == 0);
    CHECK(opened[64] == 0xee); /* wrote no more than the plaintext */

    /* no AAD at all also round-trips, and does not open with an AAD */
    CHECK(tg_aead_seal(sealed2, &sealed2_len, key_a, NULL, 0, pt, sizeof pt) == TG_OK);
    CHECK(tg_aead_open(opened, &opened_len, key_a, NULL, 0, sealed2, sealed2_len) == TG_OK && opened_len == sizeof pt &&
          memcmp(opened, pt, sizeof pt) == 0);
    CHECK(open_fails(sealed2, sealed2_len, aad, aad_len));
    CHECK(open_fails(sealed, sealed_len, NULL, 0));

    /* two seals of the same plaintext differ (fresh random nonce) */
    CHECK(tg_aead_seal(sealed2, &sealed2_len, key_a, aad, aad_len, pt, sizeof pt) == TG_OK);
    CHECK(sealed2_len == sealed_len);
    CHECK(memcmp(sealed + 1, sealed2 + 1, TG_AEAD_NONCE_LEN) != 0);
    CHECK(memcmp(sealed, sealed2, sealed_len) != 0);

    /* every bit flip of version, nonce, ciphertext and tag is detected */
    {
        const size_t where[] = {0, /* version */
                                1,
                                1 + TG_AEAD_NONCE_LEN - 1, /* nonce */
                                1 + TG_AEAD_NONCE_LEN,
                                1 + TG_AEAD_NONCE_LEN + 31,
                                1 + TG_AEAD_NONCE_LEN + 63, /* ciphertext */
                                1 + TG_AEAD_NONCE_LEN + 64,
                                sealed_len - 1}; /* tag */
        for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
            for (int bit = 0; bit < 8; bit += 7) {
                uint8_t copy[sizeof sealed];
                memcpy(copy, sealed, sealed_len);
                copy[where[i]] ^= (uint8_t)(1u << bit);
                CHECK(open_fails(copy, sealed_len, aad, aad_len));
            }
        }
        /* and every single byte position, one bit each */
        int all_fail = 1;
        for (size_t i = 0; i < sealed_len; i++) {
            uint8_t copy[sizeof sealed];
            memcpy(copy, sealed, sealed_len);
            copy[i] ^= 0x10;
            if (!open_fails(copy, sealed_len, aad, aad_len))
                all_fail = 0;
        }
        CHECK(all_fail);
    }

    /* wrong AAD (one byte changed, shorter, longer), wrong key */
    {
        uint8_t other_aad[sizeof aad];
        memcpy(other_aad, aad, sizeof aad);
        other_aad[aad_len - 1] ^= 1;
        CHECK(open_fails(sealed, sealed_len, other_aad, aad_len));
        CHECK(open_fails(sealed, sealed_len, aad, aad_len - 1));
        memcpy(other_aad, aad, sizeof aad);
        CHECK(open_fails(sealed, sealed_len, other_aad, aad_len + 1)); /* includes the NUL */
        memcpy(key_b, key_a, sizeof key_b);
        key_b[31] ^= 1;
        CHECK(tg_aead_open(opened, &opened_len, key_b, aad, aad_len, sealed, sealed_len) == TG_ERR_CRYPTO);
    }

    /* truncated or extended input */
    {
        int all_fail = 1;
        for (size_t len = 0; len < sealed_len; len++) {
            if (!open_fails(sealed, len, aad, aad_len))
                all_fail = 0;
        }
        CHECK(all_fail);
        CHECK(open_fails(sealed, TG_AEAD_OVERHEAD - 1, aad, aad_len));
        {
            uint8_t longer[sizeof sealed + 1];
            memcpy(longer, sealed, sealed_len);
            longer[sealed_len] = 0;
            CHECK(open_fails(longer, sealed_len + 1, aad, aad_len));
        }
    }

    /* the original still opens after all that (the checks did not alter it) */
    CHECK(tg_aead_open(opened, &opened_len, key_a, aad, aad_len, sealed, sealed_len) == TG_OK &&
          opened_len == sizeof pt && memcmp(opened, pt, sizeof pt) == 0);
}

static void test_aead_known_answer(void)
{
    const size_t pt_len = sizeof kat_pt - 1;
    uint8_t sealed[1 + TG_AEAD_NONCE_LEN + sizeof kat_ct_tag], opened[sizeof kat_ct_tag];
    size_t sealed_len = sizeof sealed, opened_len = 0;

    CHECK(pt_len == 43);
    /* build version 1 || nonce || ct || tag by hand */
    sealed[0] = 1;
    memcpy(sealed + 1, kat_nonce, sizeof kat_nonce);
    memcpy(sealed + 1 + TG_AEAD_NONCE_LEN, kat_ct_tag, sizeof kat_ct_tag);
    memset(opened, 0, sizeof opened);
    CHECK(tg_aead_open(opened, &opened_len, key_a, (const uint8_t *)kat_aad, sizeof kat_aad - 1, sealed, sealed_len) ==
          TG_OK);
    CHECK(opened_len == pt_len && memcmp(opened, kat_pt, pt_len) == 0);

    /* the same bytes under version 2, or with a changed tag, do not open */
    sealed[0] = 2;
    CHECK(tg_aead_open(opened, &opened_len, key_a, (const uint8_t *)kat_aad, sizeof kat_aad - 1, sealed, sealed_len) ==
          TG_ERR_CRYPTO);
    sealed[0] = 1;
    sealed[sealed_len - 16] ^= 1;
    CHECK(tg_aead_open(opened, &opened_len, key_a, (const uint8_t *)kat_aad, sizeof kat_aad - 1, sealed, sealed_len) ==
          TG_ERR_CRYPTO);

    /* empty plaintext: only the tag */
    {
        uint8_t s2[TG_AEAD_OVERHEAD];
        s2[0] = 1;
        memcpy(s2 + 1, kat_nonce, sizeof kat_nonce);
        memcpy(s2 + 1 + TG_AEAD_NONCE_LEN, kat_empty_tag, sizeof kat_empty_tag);
        opened_len = 77;
        CHECK(tg_aead_open(opened, &opened_len, key_a, (const uint8_t *)kat_aad, sizeof kat_aad - 1, s2, sizeof s2) ==
                  TG_OK &&
              opened_len == 0);
    }
}

static void test_hmac(void)
{
    static const uint8_t key[] = "Jefe";
    static const uint8_t msg[] = "what do ya want for nothing?";
    uint8_t out[TG_HMAC_MAX_LEN];
    size_t out_len = 0;

    /* RFC 2202 section 3, test case 2 (HMAC-SHA-1) */
    CHECK(tg_hmac(out, &out_len, TG_HASH_SHA1, key, 4, msg, 28) == TG_OK);
    CHECK(out_len == 20 && unit_hex_eq(out, out_len, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"));
    /* RFC 4231 section 4.3, test case 2 */
    CHECK(tg_hmac(out, &out_len, TG_HASH_SHA256, key, 4, msg, 28) == TG_OK);
    CHECK(out_len == 32 && unit_hex_eq(out, out_len, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    CHECK(tg_hmac(out, &out_len, TG_HASH_SHA512, key, 4, msg, 28) == TG_OK);
    CHECK(out_len == 64 && unit_hex_eq(out, out_len,
                                  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                                  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"));
    /* an unknown algorithm is refused */
    CHECK(tg_hmac(out, &out_len, (tg_hash_alg)7, key, 4, msg, 28) == TG_ERR_INVALID_ARG);
}

static void test_memeq(void)
{
    uint8_t a[33], b[33];

    for (size_t i = 0; i < sizeof a; i++)
        a[i] = b[i] = (uint8_t)(0xa5 ^ i);
    CHECK(tg_memeq(a, b, sizeof a) == 1);
    CHECK(tg_memeq(a, b, 0) == 1);
    b[32] ^= 0x01;
    CHECK(tg_memeq(a, b, sizeof a) == 0);
    CHECK(tg_memeq(a, b, 32) == 1);
    b[32] ^= 0x01;
    b[0] ^= 0x80;
    CHECK(tg_memeq(a, b, sizeof a) == 0);
    CHECK(tg_memeq(a, b, 1) == 0);
    /* tg_cleanse zeroes */
    tg_cleanse(a, sizeof a);
    memset(b, 0, sizeof b);
    CHECK(memcmp(a, b, sizeof a) == 0);
    tg_cleanse(NULL, 10); /* does nothing */
}

static void test_es256(void)
{
    static const char msg[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0";
    tg_eckey *k1 = NULL, *k2 = NULL, *k1_der = NULL, *k1_pub = NULL, *bad = NULL;
    uint8_t sig[TG_ES256_SIG_LEN], sig2[TG_ES256_SIG_LEN], x[32], y[32];
    uint8_t *der = NULL;
    size_t der_len = 0;

    CHECK(tg_eckey_generate(&k1) == TG_OK && k1 != NULL);
    CHECK(tg_eckey_generate(&k2) == TG_OK && k2 != NULL);
    if (k1 == NULL || k2 == NULL)
        goto out;

    CHECK(tg_es256_sign(sig, k1, msg, sizeof msg - 1) == TG_OK);
    CHECK(tg_es256_verify(k1, msg, sizeof msg - 1, sig) == TG_OK);
    /* ECDSA is randomised: a second signature differs and also verifies */
    CHECK(tg_es256_sign(sig2, k1, msg, sizeof msg - 1) == TG_OK);
    CHECK(memcmp(sig, sig2, sizeof sig) != 0);
    CHECK(tg_es256_verify(k1, msg, sizeof msg - 1, sig2) == TG_OK);
    /* other message, other key */
    CHECK(tg_es256_verify(k1, msg, sizeof msg - 2, sig) == TG_ERR_TOKEN_INVALID);
    CHECK(tg_es256_verify(k2, msg, sizeof msg - 1, sig) == TG_ERR_TOKEN_INVALID);
    /* a flipped bit anywhere in R or S */
    {
        int all_fail = 1;
        for (size_t i = 0; i < sizeof sig; i++) {
            uint8_t bad_sig[TG_ES256_SIG_LEN];
            memcpy(bad_sig, sig, sizeof sig);
            bad_sig[i] ^= (uint8_t)(1u << (i % 8));
            if (tg_es256_verify(k1, msg, sizeof msg - 1, bad_sig) != TG_ERR_TOKEN_INVALID)
                all_fail = 0;
        }
        CHECK(all_fail);
    }
    /* R = S = 0 and all-ones */
    {
        uint8_t z[TG_ES256_SIG_LEN];
        memset(z, 0, sizeof z);
        CHECK(tg_es256_verify(k1, msg, sizeof msg - 1, z) == TG_ERR_TOKEN_INVALID);
        memset(z, 0xff, sizeof z);
        CHECK(tg_es256_verify(k1, msg, sizeof msg - 1, z) == TG_ERR_TOKEN_INVALID);
    }

    /* private key DER round trip: the reloaded key signs verifiably under the original */
    CHECK(tg_eckey_to_private_der(&der, &der_len, k1) == TG_OK && der != NULL && der_len > 0);
    if (der != NULL) {
        CHECK(tg_eckey_from_private_der(&k1_der, der, der_len) == TG_OK && k1_der != NULL);
        if (k1_der != NULL) {
            CHECK(tg_es256_sign(sig2, k1_der, msg, sizeof msg - 1) == TG_OK);
            CHECK(tg_es256_verify(k1, msg, sizeof msg - 1, sig2) == TG_OK);
            CHECK(tg_es256_verify(k1_der, msg, sizeof msg - 1, sig) == TG_OK);
            CHECK(tg_es256_verify(k2, msg, sizeof msg - 1, sig2) == TG_ERR_TOKEN_INVALID);
        }
        /* a truncated or garbled DER is refused */
        CHECK(tg_eckey_from_private_der(&bad, der, der_len / 2) == TG_ERR_CRYPTO);
        tg_eckey_free(bad);
        bad = NULL;
        tg_cleanse(der, der_len);
        free(der);
        der = NULL;
    }
    {
        static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
        CHECK(tg_eckey_from_private_der(&bad, junk, sizeof junk) == TG_ERR_CRYPTO);
        tg_eckey_free(bad);
        bad = NULL;
    }

    /* public x/y round trip: the public-only key verifies k1's signature, not k2's */
    CHECK(tg_eckey_public_xy(x, y, k1) == TG_OK);
    CHECK(tg_eckey_from_public_xy(&k1_pub, x, y) == TG_OK && k1_pub != NULL);
    if (k1_pub != NULL) {
        uint8_t x2[32], y2[32];
        CHECK(tg_es256_verify(k1_pub, msg, sizeof msg - 1, sig) == TG_OK);
        CHECK(tg_es256_sign(sig2, k2, msg, sizeof msg - 1) == TG_OK);
        CHECK(tg_es256_verify(k1_pub, msg, sizeof msg - 1, sig2) == TG_ERR_TOKEN_INVALID);
        CHECK(tg_eckey_public_xy(x2, y2, k1_pub) == TG_OK && memcmp(x, x2, 32) == 0 && memcmp(y, y2, 32) == 0);
    }
    /* a point off the curve is refused */
    {
        uint8_t y_bad[32];
        memcpy(y_bad, y, sizeof y);
        y_bad[31] ^= 1;
        CHECK(tg_eckey_from_public_xy(&bad, x, y_bad) == TG_ERR_CRYPTO);
        tg_eckey_free(bad);
        bad = NULL;
        memset(y_bad, 0, sizeof y_bad);
        CHECK(tg_eckey_from_public_xy(&bad, x, y_bad) == TG_ERR_CRYPTO);
        tg_eckey_free(bad);
        bad = NULL;
    }

    /* public PEM */
    {
        char *pem = NULL;
        CHECK(tg_eckey_public_pem(&pem, k1) == TG_OK && pem != NULL);
        if (pem != NULL) {
            CHECK(strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
            CHECK(strstr(pem, "-----END PUBLIC KEY-----") != NULL);
            free(pem);
        }
    }

    /* RFC 7515 Appendix A.3: the example ES256 signature verifies under the example key */
    {
        tg_eckey *a3 = NULL;
        uint8_t s[64];
        CHECK(tg_eckey_from_public_xy(&a3, a3_x, a3_y) == TG_OK && a3 != NULL);
        if (a3 != NULL) {
            CHECK(tg_es256_verify(a3, a3_signing_input, sizeof a3_signing_input - 1, a3_sig) == TG_OK);
            memcpy(s, a3_sig, sizeof s);
            s[63] ^= 1;
            CHECK(tg_es256_verify(a3, a3_signing_input, sizeof a3_signing_input - 1, s) == TG_ERR_TOKEN_INVALID);
            CHECK(tg_es256_verify(k1, a3_signing_input, sizeof a3_signing_input - 1, a3_sig) == TG_ERR_TOKEN_INVALID);
            tg_eckey_free(a3);
        }
    }

out:
    tg_eckey_free(k1);
    tg_eckey_free(k2);
    tg_eckey_free(k1_der);
    tg_eckey_free(k1_pub);
    tg_eckey_free(NULL);
}

static void test_random_sha(void)
{
    uint8_t a[32], b[32], d[TG_SHA256_LEN];

    CHECK(tg_random_bytes(a, sizeof a) == TG_OK);
    CHECK(tg_random_bytes(b, sizeof b) == TG_OK);
    CHECK(memcmp(a, b, sizeof a) != 0);
    /* FIPS 180-2 "abc" */
    tg_sha256(d, "abc", 3);
    CHECK(unit_hex_eq(d, sizeof d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

void test_crypto(void);
void test_crypto(void)
{
    test_aead();
    test_aead_known_answer();
    test_hmac();
    test_memeq();
    test_es256();
    test_random_sha();
}
