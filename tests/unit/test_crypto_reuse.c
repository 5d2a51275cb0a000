/*
 * test_crypto_reuse.c - crypto.c reuses OpenSSL contexts (per thread, and
 * per key for ES256); these tests would catch state leaking from one call
 * into the next: HMAC calls interleaved across algorithms and keys (with an
 * empty key right after a real one), AES-GCM opens under alternating keys and
 * after a failed open, ES256 signing and verifying with alternating keys,
 * with keys freed and new ones made (possibly at the same address), with many
 * keys in turn, and all of it from several threads at once on shared and own
 * keys.  Known answers are RFC 2202 / RFC 4231 vectors, checked with Python's
 * hmac.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "unit.h"

typedef struct hmac_case {
    tg_hash_alg alg;
    const uint8_t *key;
    size_t key_len;
    const char *msg;
    const char *hex;
} hmac_case;

static const uint8_t key_0b[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                   0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
static const uint8_t key_jefe[] = "Jefe";
static uint8_t key_aa[131]; /* 0xaa * 131, longer than any block: hashed first */
static const char msg_big_key[] = "Test Using Larger Than Block-Size Key - Hash Key First";

static const hmac_case hmac_cases[] = {
    /* RFC 2202 3 case 1, RFC 4231 4.2 */
    {TG_HASH_SHA1, key_0b, 20, "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"},
    {TG_HASH_SHA256, key_0b, 20, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {TG_HASH_SHA512, key_0b, 20, "Hi There",
     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
     "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
    /* RFC 2202 3 case 2, RFC 4231 4.3 */
    {TG_HASH_SHA1, key_jefe, 4, "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
    {TG_HASH_SHA256, key_jefe, 4, "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    /* empty key, empty message (Python hmac); a NULL key must not mean "the last key" */
    {TG_HASH_SHA1, NULL, 0, "", "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d"},
    {TG_HASH_SHA256, key_jefe, 0, "", "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
    /* RFC 2202 3 case 6, RFC 4231 4.7 */
    {TG_HASH_SHA1, key_aa, 80, msg_big_key, "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
    {TG_HASH_SHA256, key_aa, 131, msg_big_key, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
};
#define HMAC_CASES (sizeof hmac_cases / sizeof hmac_cases[0])

static int hmac_case_ok(const hmac_case *c)
{
    uint8_t out[TG_HMAC_MAX_LEN];
    size_t out_len = 0;

    return tg_hmac(out, &out_len, c->alg, c->key, c->key_len, (const uint8_t *)c->msg, strlen(c->msg)) == TG_OK &&
           unit_hex_eq(out, out_len, c->hex);
}

/* Runs every case in an order that changes with seed; returns the failures. */
static int hmac_mixed(unsigned seed, int rounds)
{
    int failed = 0;

    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < HMAC_CASES; i++) {
            size_t k = (i * 5 + (size_t)r * 7 + seed) % HMAC_CASES;
            if (!hmac_case_ok(&hmac_cases[k]))
                failed++;
        }
    }
    return failed;
}

/* Seals under two keys, opens them interleaved and after a failing open. */
static int aead_mixed(unsigned seed, int rounds)
{
    static const uint8_t aad[] = "totpgate/reuse";
    uint8_t key[2][TG_AEAD_KEY_LEN], pt[2][24], sealed[2][24 + TG_AEAD_OVERHEAD], out[24 + TG_AEAD_OVERHEAD];
    size_t sealed_len[2], out_len;
    int failed = 0;

    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < TG_AEAD_KEY_LEN; i++)
            key[k][i] = (uint8_t)(seed * 31 + k * 101 + i);
        memset(pt[k], (int)(0x30 + k + seed), sizeof pt[k]);
    }
    for (int r = 0; r < rounds; r++) {
        for (size_t k = 0; k < 2; k++) {
            if (tg_aead_seal(sealed[k], &sealed_len[k], key[k], aad, sizeof aad - 1, pt[k], sizeof pt[k]) != TG_OK)
                failed++;
        }
        for (size_t k = 0; k < 2; k++) {
            size_t j = (k + (size_t)r) % 2;
            /* the other key, then a tampered tag, then the right key */
            if (tg_aead_open(out, &out_len, key[1 - j], aad, sizeof aad - 1, sealed[j], sealed_len[j]) != TG_ERR_CRYPTO)
                failed++;
            sealed[j][sealed_len[j] - 1] ^= 1;
            if (tg_aead_open(out, &out_len, key[j], aad, sizeof aad - 1, sealed[j], sealed_len[j]) != TG_ERR_CRYPTO)
                failed++;
            sealed[j][sealed_len[j] - 1] ^= 1;
            memset(out, 0, sizeof out);
            if (tg_aead_open(out, &out_len, key[j], aad, sizeof aad - 1, sealed[j], sealed_len[j]) != TG_OK ||
                out_len != sizeof pt[j] || memcmp(out, pt[j], sizeof pt[j]) != 0)
                failed++;
        }
    }
    return failed;
}

/* Signs with keys a, b, a and checks each signature under the right key only. */
static int es256_aba(const tg_eckey *a, const tg_eckey *b, const char *msg)
{
    uint8_t sa[TG_ES256_SIG_LEN], sb[TG_ES256_SIG_LEN], sa2[TG_ES256_SIG_LEN];
    size_t len = strlen(msg);
    int failed = 0;

    failed += tg_es256_sign(sa, a, msg, len) != TG_OK;
    failed += tg_es256_sign(sb, b, msg, len) != TG_OK;
    failed += tg_es256_sign(sa2, a, msg, len) != TG_OK;
    failed += tg_es256_verify(a, msg, len, sa) != TG_OK;
    failed += tg_es256_verify(b, msg, len, sa) != TG_ERR_TOKEN_INVALID;
    failed += tg_es256_verify(b, msg, len, sb) != TG_OK;
    failed += tg_es256_verify(a, msg, len, sb) != TG_ERR_TOKEN_INVALID;
    failed += tg_es256_verify(a, msg, len, sa2) != TG_OK;
    failed += tg_es256_verify(b, msg, len, sa2) != TG_ERR_TOKEN_INVALID;
    failed += tg_es256_verify(a, msg, len - 1, sa) != TG_ERR_TOKEN_INVALID;
    return failed;
}

static void test_hmac_interleaved(void)
{
    memset(key_aa, 0xaa, sizeof key_aa);
    for (size_t i = 0; i < HMAC_CASES; i++)
        CHECK(hmac_case_ok(&hmac_cases[i]));
    CHECK(hmac_mixed(0, 8) == 0);
    CHECK(hmac_mixed(3, 8) == 0);
}

/* tg_hmac_each: each of n MACs under one key set-up equals tg_hmac's, for
 * every algorithm, and a call under another key does not keep the first. */
static void test_hmac_each(void)
{
    static const tg_hash_alg algs[] = {TG_HASH_SHA1, TG_HASH_SHA256, TG_HASH_SHA512};
    uint8_t key1[20], key2[37], msgs[5 * 8], many[5 * TG_HMAC_MAX_LEN], one[TG_HMAC_MAX_LEN];
    size_t many_len = 0, one_len = 0;
    int same = 1;

    memset(key1, 0x31, sizeof key1);
    memset(key2, 0x52, sizeof key2);
    for (size_t i = 0; i < sizeof msgs; i++)
        msgs[i] = (uint8_t)(i * 7 + 1);
    for (size_t a = 0; a < 3; a++) {
        for (size_t n = 1; n <= 5; n++) {
            const uint8_t *key = n % 2 ? key1 : key2;
            size_t key_len = n % 2 ? sizeof key1 : sizeof key2;
            CHECK(tg_hmac_each(many, &many_len, algs[a], key, key_len, msgs, 8, n) == TG_OK);
            for (size_t i = 0; i < n; i++) {
                same &= tg_hmac(one, &one_len, algs[a], key, key_len, msgs + 8 * i, 8) == TG_OK &&
                        one_len == many_len && memcmp(one, many + i * TG_HMAC_MAX_LEN, one_len) == 0;
            }
        }
    }
    CHECK(same);
    /* RFC 2202 case 1 (key 0x0b x 20, "Hi There") twice in one call, after a call under another key */
    {
        uint8_t k[20], two[2 * TG_HMAC_MAX_LEN];
        memset(k, 0x0b, sizeof k);
        CHECK(tg_hmac_each(many, &many_len, TG_HASH_SHA1, key2, sizeof key2, msgs, 8, 3) == TG_OK);
        CHECK(tg_hmac_each(two, &many_len, TG_HASH_SHA1, k, sizeof k, (const uint8_t *)"Hi ThereHi There", 8, 2) ==
              TG_OK);
        CHECK(many_len == 20 && unit_hex_eq(two, 20, "b617318655057264e28bc0b6fb378c8ef146be00") &&
              unit_hex_eq(two + TG_HMAC_MAX_LEN, 20, "b617318655057264e28bc0b6fb378c8ef146be00"));
    }
    CHECK(tg_hmac_each(many, &many_len, TG_HASH_SHA1, key1, sizeof key1, msgs, 8, 0) == TG_ERR_INVALID_ARG);
}

static void test_aead_interleaved(void)
{
    CHECK(aead_mixed(1, 4) == 0);
}

static void test_es256_key_switching(void)
{
    static const char msg[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJyZXVzZSJ9";
    tg_eckey *a = NULL, *b = NULL, *a_pub = NULL, *many[20] = {NULL};
    uint8_t x[TG_P256_COORD_LEN], y[TG_P256_COORD_LEN], sig[TG_ES256_SIG_LEN];

    CHECK(tg_eckey_generate(&a) == TG_OK && tg_eckey_generate(&b) == TG_OK);
    if (a == NULL || b == NULL)
        goto out;
    CHECK(es256_aba(a, b, msg) == 0);
    CHECK(es256_aba(b, a, msg) == 0);

    /* a public-only copy of a keeps verifying a's signatures, not b's */
    CHECK(tg_eckey_public_xy(x, y, a) == TG_OK && tg_eckey_from_public_xy(&a_pub, x, y) == TG_OK);
    if (a_pub == NULL)
        goto out;
    CHECK(tg_es256_sign(sig, a, msg, sizeof msg - 1) == TG_OK);
    CHECK(tg_es256_verify(a_pub, msg, sizeof msg - 1, sig) == TG_OK);
    CHECK(tg_es256_sign(sig, b, msg, sizeof msg - 1) == TG_OK);
    CHECK(tg_es256_verify(a_pub, msg, sizeof msg - 1, sig) == TG_ERR_TOKEN_INVALID);

    /* free a and make new keys, which malloc may place where a was: each
     * signs with its own key, never with a's */
    for (int i = 0; i < 8; i++) {
        tg_eckey_free(a);
        a = NULL;
        CHECK(tg_eckey_generate(&a) == TG_OK);
        if (a == NULL)
            goto out;
        CHECK(tg_es256_sign(sig, a, msg, sizeof msg - 1) == TG_OK);
        CHECK(tg_es256_verify(a, msg, sizeof msg - 1, sig) == TG_OK);
        CHECK(tg_es256_verify(a_pub, msg, sizeof msg - 1, sig) == TG_ERR_TOKEN_INVALID);
        CHECK(es256_aba(a, b, msg) == 0);
    }

    /* many keys in turn, twice round */
    for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
        CHECK(tg_eckey_generate(&many[i]) == TG_OK && many[i] != NULL);
    for (int pass = 0; pass < 2; pass++) {
        int failed = 0;
        for (size_t i = 0; i < sizeof many / sizeof many[0]; i++) {
            size_t j = (i + 1) % (sizeof many / sizeof many[0]);
            if (many[i] == NULL || many[j] == NULL)
                continue;
            failed += tg_es256_sign(sig, many[i], msg, sizeof msg - 1) != TG_OK;
            failed += tg_es256_verify(many[i], msg, sizeof msg - 1, sig) != TG_OK;
            failed += tg_es256_verify(many[j], msg, sizeof msg - 1, sig) != TG_ERR_TOKEN_INVALID;
        }
        CHECK(failed == 0);
    }

    /* many signatures: R or S with leading zero bytes or the high bit set
     * (DER sign byte) all convert to and from R || S correctly */
    {
        int failed = 0;
        for (int i = 0; i < 400; i++) {
            failed += tg_es256_sign(sig, b, msg, sizeof msg - 1) != TG_OK;
            failed += tg_es256_verify(b, msg, sizeof msg - 1, sig) != TG_OK;
        }
        CHECK(failed == 0);
    }
out:
    tg_eckey_free(a);
    tg_eckey_free(b);
    tg_eckey_free(a_pub);
    for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
        tg_eckey_free(many[i]);
}

/* ---- several threads at once ---- */

#define THREADS 4

typedef struct worker {
    unsigned seed;
    const tg_eckey *a, *b;
    int failed;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    static const char msg[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0aHJlYWQifQ";
    uint8_t d[TG_SHA256_LEN];
    tg_eckey *own = NULL;

    /* a key of this thread's own, freed while other threads keep signing */
    w->failed += tg_eckey_generate(&own) != TG_OK;
    for (int i = 0; i < 30 && own != NULL; i++) {
        w->failed += hmac_mixed(w->seed + (unsigned)i, 1);
        w->failed += aead_mixed(w->seed + (unsigned)i, 1);
        tg_sha256(d, "abc", 3);
        w->failed += !unit_hex_eq(d, sizeof d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        w->failed += es256_aba(i % 2 ? w->a : w->b, own, msg);
        if (i % 10 == 9) {
            tg_eckey_free(own);
            own = NULL;
            w->failed += tg_eckey_generate(&own) != TG_OK;
        }
    }
    tg_eckey_free(own);
    return NULL; /* the thread's crypto contexts are freed as it ends (LSan checks) */
}

static void test_threads(void)
{
    tg_eckey *a = NULL, *b = NULL;
    pthread_t tid[THREADS];
    worker w[THREADS];
    int started = 0, failed = 0;

    CHECK(tg_eckey_generate(&a) == TG_OK && tg_eckey_generate(&b) == TG_OK);
    if (a == NULL || b == NULL)
        goto out;
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.seed = (unsigned)i * 11, .a = a, .b = b};
        if (pthread_create(&tid[i], NULL, worker_main, &w[i]) != 0)
            break;
        started++;
    }
    CHECK(started == THREADS);
    for (int i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
        failed += w[i].failed;
    }
    CHECK(failed == 0);
    /* and this thread still gets the right answers after theirs */
    CHECK(hmac_mixed(5, 2) == 0);
    CHECK(es256_aba(a, b, "after the threads") == 0);
out:
    tg_eckey_free(a);
    tg_eckey_free(b);
}

void test_crypto_reuse(void);
void test_crypto_reuse(void)
{
    test_hmac_interleaved();
    test_hmac_each();
    test_aead_interleaved();
    test_es256_key_switching();
    test_threads();
}
