/*
 * crypto-micro.c - times the hot calls of crypto.h, the current crypto.c
 * ("new") against an older one ("old", built from `git show BASE:src/crypto.c`
 * with every public name prefixed old_), alternating A/B for several rounds
 * in one process.  `make bench-crypto [BASE=main] [BENCH_CRYPTO_ARGS="rounds scale"]`.
 *
 * Prints, per function, the best and median ns/call of each over the rounds.
 * Single-threaded: it measures per-call cost, not lock contention.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"

/* the old implementation, renamed at compile time (see the Makefile) */
typedef struct old_tg_eckey old_tg_eckey;
void old_tg_sha256(uint8_t out[TG_SHA256_LEN], const void *data, size_t len);
tg_status old_tg_hmac(uint8_t out[TG_HMAC_MAX_LEN], size_t *out_len, tg_hash_alg alg, const uint8_t *key,
                      size_t key_len, const uint8_t *msg, size_t msg_len);
tg_status old_tg_aead_open(uint8_t *out, size_t *out_len, const uint8_t key[TG_AEAD_KEY_LEN], const uint8_t *aad,
                           size_t aad_len, const uint8_t *sealed, size_t sealed_len);
tg_status old_tg_eckey_from_private_der(old_tg_eckey **out, const uint8_t *der, size_t der_len);
void old_tg_eckey_free(old_tg_eckey *key);
tg_status old_tg_es256_sign(uint8_t sig[TG_ES256_SIG_LEN], const old_tg_eckey *key, const void *msg, size_t msg_len);
tg_status old_tg_es256_verify(const old_tg_eckey *key, const void *msg, size_t msg_len,
                              const uint8_t sig[TG_ES256_SIG_LEN]);

#define MAX_ROUNDS 21

static const char jwt_input[] =
    "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImFiY2RlZmdoaWprbG1ub3AifQ"
    ".eyJpc3MiOiJ0b3RwZ2F0ZSIsInN1YiI6Im1fMDEyMzQ1Njc4OWFiY2RlZiIsImlhdCI6MTc2NDc3NTIwMCwiZXhwIjoxNzY0Nzc2MTAw"
    "LCJqdGkiOiJ0Z18wMTIzNDU2Nzg5YWJjZGVmMDEyMyJ9";
static uint8_t aead_key[TG_AEAD_KEY_LEN], hotp_key[20], sealed[20 + TG_AEAD_OVERHEAD];
static const char aad[] = "totpgate/merchant-secret/m_0123456789abcdef";
static size_t sealed_len;
static tg_eckey *new_key;
static old_tg_eckey *old_key;
static uint8_t new_sig[TG_ES256_SIG_LEN], old_sig[TG_ES256_SIG_LEN];
static volatile unsigned sink;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void fail(const char *what)
{
    fprintf(stderr, "crypto-micro: %s failed\n", what);
    exit(1);
}

static void run_sha256(int use_old, long n)
{
    uint8_t d[TG_SHA256_LEN];
    for (long i = 0; i < n; i++) {
        (use_old ? old_tg_sha256 : tg_sha256)(d, jwt_input, sizeof jwt_input - 1);
        sink += d[0];
    }
}

static void run_hmac(int use_old, long n)
{
    uint8_t mac[TG_HMAC_MAX_LEN], msg[8] = {0};
    size_t len;
    for (long i = 0; i < n; i++) {
        msg[7] = (uint8_t)i;
        if ((use_old ? old_tg_hmac : tg_hmac)(mac, &len, TG_HASH_SHA1, hotp_key, sizeof hotp_key, msg, sizeof msg) !=
            TG_OK)
            fail("hmac");
        sink += mac[0];
    }
}

static void run_aead_open(int use_old, long n)
{
    uint8_t pt[sizeof sealed];
    size_t len;
    for (long i = 0; i < n; i++) {
        if ((use_old ? old_tg_aead_open : tg_aead_open)(pt, &len, aead_key, (const uint8_t *)aad, sizeof aad - 1,
                                                        sealed, sealed_len) != TG_OK)
            fail("aead_open");
        sink += pt[0];
    }
}

static void run_sign(int use_old, long n)
{
    uint8_t sig[TG_ES256_SIG_LEN];
    for (long i = 0; i < n; i++) {
        tg_status rc = use_old ? old_tg_es256_sign(sig, old_key, jwt_input, sizeof jwt_input - 1)
                               : tg_es256_sign(sig, new_key, jwt_input, sizeof jwt_input - 1);
        if (rc != TG_OK)
            fail("sign");
        sink += sig[0];
    }
}

static void run_verify(int use_old, long n)
{
    for (long i = 0; i < n; i++) {
        tg_status rc = use_old ? old_tg_es256_verify(old_key, jwt_input, sizeof jwt_input - 1, new_sig)
                               : tg_es256_verify(new_key, jwt_input, sizeof jwt_input - 1, old_sig);
        if (rc != TG_OK)
            fail("verify");
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench(const char *name, void (*fn)(int, long), long n, int rounds)
{
    double t[2][MAX_ROUNDS];

    fn(0, n / 10 + 1); /* warm up both: first calls fetch and allocate */
    fn(1, n / 10 + 1);
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 2; k++) {
            int use_old = (r + k) % 2; /* alternate who goes first */
            double t0 = now_ns();
            fn(use_old, n);
            t[use_old][r] = (now_ns() - t0) / (double)n;
        }
    }
    qsort(t[0], (size_t)rounds, sizeof(double), cmp_double);
    qsort(t[1], (size_t)rounds, sizeof(double), cmp_double);
    printf("%-16s %8ld  old %9.0f (best %9.0f)  new %9.0f (best %9.0f)  ns/call  new/old %.2f\n", name, n,
           t[1][rounds / 2], t[1][0], t[0][rounds / 2], t[0][0], t[0][rounds / 2] / t[1][rounds / 2]);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    double scale = argc > 2 ? atof(argv[2]) : 1.0;
    uint8_t pt[20], *der = NULL;
    size_t der_len = 0;

    if (rounds < 1 || rounds > MAX_ROUNDS || scale <= 0)
        fail("arguments (rounds 1..21, scale > 0)");
    for (size_t i = 0; i < sizeof aead_key; i++)
        aead_key[i] = (uint8_t)(i * 13 + 1);
    for (size_t i = 0; i < sizeof hotp_key; i++)
        hotp_key[i] = (uint8_t)(i * 7 + 5);
    memset(pt, 0x42, sizeof pt);
    if (tg_aead_seal(sealed, &sealed_len, aead_key, (const uint8_t *)aad, sizeof aad - 1, pt, sizeof pt) != TG_OK)
        fail("seal");
    /* one P-256 key, loaded into both implementations */
    if (tg_eckey_generate(&new_key) != TG_OK || tg_eckey_to_private_der(&der, &der_len, new_key) != TG_OK ||
        old_tg_eckey_from_private_der(&old_key, der, der_len) != TG_OK)
        fail("key set-up");
    tg_cleanse(der, der_len);
    free(der);
    if (tg_es256_sign(new_sig, new_key, jwt_input, sizeof jwt_input - 1) != TG_OK ||
        old_tg_es256_sign(old_sig, old_key, jwt_input, sizeof jwt_input - 1) != TG_OK)
        fail("first signatures");

    printf("%d rounds, alternating old/new; median (and best) ns per call\n", rounds);
    bench("tg_sha256", run_sha256, (long)(200000 * scale), rounds);
    bench("tg_hmac(SHA1)", run_hmac, (long)(200000 * scale), rounds);
    bench("tg_aead_open", run_aead_open, (long)(200000 * scale), rounds);
    bench("tg_es256_sign", run_sign, (long)(10000 * scale), rounds);
    bench("tg_es256_verify", run_verify, (long)(4000 * scale), rounds);

    tg_eckey_free(new_key);
    old_tg_eckey_free(old_key);
    return 0;
}
