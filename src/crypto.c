/*
 * crypto.c - OpenSSL 3 behind the small interface of crypto.h.
 *
 * This is the only file of totpgate that includes OpenSSL headers.  Every
 * function wipes its own temporary secrets before returning.
 *
 * Hot calls reuse per-thread prepared OpenSSL contexts (struct thread_ctx)
 * instead of allocating, fetching and initialising new ones per call.  A
 * thread's contexts are made lazily on its first call and freed by a pthread
 * key destructor when the thread ends; the main thread's stay reachable from
 * its thread-local pointer until exit.  Nothing in a thread_ctx is shared
 * between threads, so no lock guards it.
 *
 * ES256 contexts belong to the key instead (struct tg_eckey): a small pool of
 * prepared EVP_PKEY_CTXs that any thread borrows for one operation.  They
 * die with the key, so tg_eckey_free still releases the key material at once
 * and a new key at a freed key's address can never meet its contexts.
 */
#include "crypto.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#define SEAL_VERSION 1
#define HASH_ALG_COUNT 3

/* Algorithms fetched once: OpenSSL 3 otherwise looks them up, under a lock,
 * on every call made with EVP_sha1() and friends. */
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha1, *md_sha256, *md_sha512;
static EVP_CIPHER *cipher_aes256gcm;
static EVP_MAC *mac_hmac;

/* ---- per-thread prepared contexts ---- */

typedef struct thread_ctx {
    EVP_MD_CTX *sha256;
    /* HMAC per tg_hash_alg, digest set once.  Each keeps the key schedule of
     * its last tg_hmac call until the next call re-keys it or the thread
     * ends: wiping it would cost a second key schedule per call. */
    EVP_MAC_CTX *hmac[HASH_ALG_COUNT];
    /* AES-256-GCM; reset after every use so that no key schedule outlives
     * the call (the EVP_CIPHER_CTX itself is kept). */
    EVP_CIPHER_CTX *gcm;
} thread_ctx;

static pthread_key_t thread_key;
static int thread_key_ok;
static _Thread_local thread_ctx *thread_state;

/* pthread key destructor: runs on the ending thread. */
static void thread_ctx_free(void *arg)
{
    thread_ctx *t = arg;

    if (t == NULL)
        return;
    EVP_MD_CTX_free(t->sha256);
    for (size_t i = 0; i < HASH_ALG_COUNT; i++)
        EVP_MAC_CTX_free(t->hmac[i]);
    EVP_CIPHER_CTX_free(t->gcm);
    free(t);
    if (thread_state == t)
        thread_state = NULL;
}

static void fetch_algorithms(void)
{
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
    cipher_aes256gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    thread_key_ok = pthread_key_create(&thread_key, thread_ctx_free) == 0;
}

/* This thread's contexts (made empty on first use), or NULL when out of memory. */
static thread_ctx *thread_ctx_get(void)
{
    thread_ctx *t = thread_state;

    if (t != NULL)
        return t;
    pthread_once(&fetch_once, fetch_algorithms);
    if (!thread_key_ok || (t = calloc(1, sizeof *t)) == NULL)
        return NULL;
    if (pthread_setspecific(thread_key, t) != 0) {
        free(t);
        return NULL;
    }
    thread_state = t;
    return t;
}

static const EVP_CIPHER *aes256gcm(void)
{
    pthread_once(&fetch_once, fetch_algorithms);
    return cipher_aes256gcm != NULL ? cipher_aes256gcm : EVP_aes_256_gcm();
}

tg_status tg_random_bytes(uint8_t *out, size_t len)
{
    if (len > INT32_MAX)
        return TG_ERR_INVALID_ARG;
    return RAND_bytes(out, (int)len) == 1 ? TG_OK : TG_ERR_INTERNAL;
}


static const EVP_MD *hash_md(tg_hash_alg alg)
{
    pthread_once(&fetch_once, fetch_algorithms);
    switch (alg) {
    case TG_HASH_SHA1:
        return md_sha1 != NULL ? md_sha1 : EVP_sha1();
    case TG_HASH_SHA256:
        return md_sha256 != NULL ? md_sha256 : EVP_sha256();
    case TG_HASH_SHA512:
        return md_sha512 != NULL ? md_sha512 : EVP_sha512();
    }
    return NULL;
}

/* SHA-256 on the thread's reused context; 0 on failure (out is then unset). */
static int sha256_reused(uint8_t out[TG_SHA256_LEN], thread_ctx *t, const void *data, size_t len)
{
    unsigned int out_len = 0;

    if (t == NULL || md_sha256 == NULL)
        return 0;
    if (t->sha256 == NULL && (t->sha256 = EVP_MD_CTX_new()) == NULL)
        return 0;
    return EVP_DigestInit_ex2(t->sha256, md_sha256, NULL) == 1 && EVP_DigestUpdate(t->sha256, data, len) == 1 &&
           EVP_DigestFinal_ex(t->sha256, out, &out_len) == 1 && out_len == TG_SHA256_LEN;
}

void tg_sha256(uint8_t out[TG_SHA256_LEN], const void *data, size_t len)
{
    if (sha256_reused(out, thread_ctx_get(), data, len))
        return;
    if (EVP_Digest(data, len, out, NULL, hash_md(TG_HASH_SHA256), NULL) != 1)
        SHA256(data, len, out);
}

/* The thread's HMAC context for alg with its digest set, or NULL. */
static EVP_MAC_CTX *hmac_ctx(thread_ctx *t, tg_hash_alg alg)
{
    static const char *const names[HASH_ALG_COUNT] = {"SHA1", "SHA256", "SHA512"};
    OSSL_PARAM params[2];
    EVP_MAC_CTX *ctx;

    if (t->hmac[alg] != NULL)
        return t->hmac[alg];
    if (mac_hmac == NULL || (ctx = EVP_MAC_CTX_new(mac_hmac)) == NULL)
        return NULL;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)names[alg], 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    t->hmac[alg] = ctx;
    return ctx;
}

tg_status tg_hmac_each(uint8_t *out, size_t *out_len, tg_hash_alg alg, const uint8_t *key, size_t key_len,
                       const uint8_t *msgs, size_t msg_len, size_t n)
{
    static const uint8_t no_key[1];
    thread_ctx *t;
    EVP_MAC_CTX *ctx;
    size_t len = 0;

    if ((unsigned)alg >= HASH_ALG_COUNT || key_len > INT32_MAX || n == 0)
        return TG_ERR_INVALID_ARG;
    if ((t = thread_ctx_get()) == NULL || (ctx = hmac_ctx(t, alg)) == NULL)
        return TG_ERR_NOMEM;
    /* a NULL key would tell EVP_MAC_init to keep the previous caller's key */
    if (EVP_MAC_init(ctx, key != NULL ? key : no_key, key != NULL ? key_len : 0, NULL) != 1)
        return TG_ERR_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        /* after the first: NULL keeps the key just set, without keying again */
        if ((i > 0 && EVP_MAC_init(ctx, NULL, 0, NULL) != 1) ||
            EVP_MAC_update(ctx, msgs + i * msg_len, msg_len) != 1 ||
            EVP_MAC_final(ctx, out + i * TG_HMAC_MAX_LEN, &len, TG_HMAC_MAX_LEN) != 1)
            return TG_ERR_INTERNAL;
    }
    *out_len = len;
    return TG_OK;
}

tg_status tg_hmac(uint8_t out[TG_HMAC_MAX_LEN], size_t *out_len, tg_hash_alg alg, const uint8_t *key,
                  size_t key_len, const uint8_t *msg, size_t msg_len)
{
    return tg_hmac_each(out, out_len, alg, key, key_len, msg, msg_len, 1);
}

int tg_memeq(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

void tg_cleanse(void *p, size_t len)
{
    if (p != NULL)
        OPENSSL_cleanse(p, len);
}

/* The thread's GCM context, holding the cipher but no key, or NULL. */
static EVP_CIPHER_CTX *gcm_ctx(thread_ctx *t)
{
    if (t->gcm == NULL)
        t->gcm = EVP_CIPHER_CTX_new();
    return t->gcm;
}

tg_status tg_aead_seal(uint8_t *out, size_t *out_len, const uint8_t key[TG_AEAD_KEY_LEN], const uint8_t *aad,
                       size_t aad_len, const uint8_t *pt, size_t pt_len)
{
    tg_status rc = TG_ERR_INTERNAL;
    thread_ctx *t;
    EVP_CIPHER_CTX *ctx = NULL;
    uint8_t *nonce = out + 1, *ct = out + 1 + TG_AEAD_NONCE_LEN;
    int len = 0;

    if (pt_len > INT32_MAX || aad_len > INT32_MAX)
        return TG_ERR_INVALID_ARG;
    out[0] = SEAL_VERSION;
    if ((rc = tg_random_bytes(nonce, TG_AEAD_NONCE_LEN)) != TG_OK)
        return rc;
    if ((t = thread_ctx_get()) == NULL || (ctx = gcm_ctx(t)) == NULL)
        return TG_ERR_NOMEM;
    rc = TG_ERR_INTERNAL;
    if (EVP_EncryptInit_ex(ctx, aes256gcm(), NULL, key, nonce) != 1)
        goto out;
    if (aad_len > 0 && EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1)
        goto out;
    if (EVP_EncryptUpdate(ctx, ct, &len, pt, (int)pt_len) != 1 || (size_t)len != pt_len)
        goto out;
    if (EVP_EncryptFinal_ex(ctx, ct + pt_len, &len) != 1 || len != 0)
        goto out;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TG_AEAD_TAG_LEN, ct + pt_len) != 1)
        goto out;
    *out_len = pt_len + TG_AEAD_OVERHEAD;
    rc = TG_OK;
out:
    EVP_CIPHER_CTX_reset(ctx); /* frees (and wipes) the key schedule */
    return rc;
}

tg_status tg_aead_open(uint8_t *out, size_t *out_len, const uint8_t key[TG_AEAD_KEY_LEN], const uint8_t *aad,
                       size_t aad_len, const uint8_t *sealed, size_t sealed_len)
{
    tg_status rc = TG_ERR_CRYPTO;
    thread_ctx *t;
    EVP_CIPHER_CTX *ctx = NULL;
    const uint8_t *nonce = sealed + 1, *ct = sealed + 1 + TG_AEAD_NONCE_LEN;
    size_t ct_len;
    uint8_t tag[TG_AEAD_TAG_LEN];
    int len = 0;

    if (sealed_len < TG_AEAD_OVERHEAD || sealed[0] != SEAL_VERSION || sealed_len > INT32_MAX ||
        aad_len > INT32_MAX)
        return TG_ERR_CRYPTO;
    ct_len = sealed_len - TG_AEAD_OVERHEAD;
    memcpy(tag, ct + ct_len, sizeof tag);
    if ((t = thread_ctx_get()) == NULL || (ctx = gcm_ctx(t)) == NULL)
        return TG_ERR_NOMEM;
    if (EVP_DecryptInit_ex(ctx, aes256gcm(), NULL, key, nonce) != 1)
        goto out;
    if (aad_len > 0 && EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1)
        goto out;
    if (EVP_DecryptUpdate(ctx, out, &len, ct, (int)ct_len) != 1 || (size_t)len != ct_len)
        goto out;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TG_AEAD_TAG_LEN, tag) != 1)
        goto out;
    if (EVP_DecryptFinal_ex(ctx, out + ct_len, &len) != 1) {
        tg_cleanse(out, ct_len);
        goto out;
    }
    *out_len = ct_len;
    rc = TG_OK;
out:
    EVP_CIPHER_CTX_reset(ctx); /* frees (and wipes) the key schedule */
    return rc;
}

/* ---- P-256 ---- */

/* Prepared contexts kept per key and operation; more concurrent users than
 * this make extra contexts that are freed after use. */
#define ES_POOL 8

typedef struct es_pool {
    EVP_PKEY_CTX *idle[ES_POOL];
    size_t count;
} es_pool;

struct tg_eckey {
    EVP_PKEY *pkey;
    /* Contexts ready for EVP_PKEY_sign / EVP_PKEY_verify of a SHA-256
     * digest.  Internal mutable state of a key callers see as const: the
     * key is always made by eckey_wrap, never const-defined. */
    pthread_mutex_t pool_lock;
    es_pool sign, verify;
};

static tg_status eckey_wrap(tg_eckey **out, EVP_PKEY *pkey)
{
    tg_eckey *key = calloc(1, sizeof *key);

    if (key == NULL || pthread_mutex_init(&key->pool_lock, NULL) != 0) {
        free(key);
        EVP_PKEY_free(pkey);
        return TG_ERR_NOMEM;
    }
    key->pkey = pkey;
    *out = key;
    return TG_OK;
}

/* Accept only P-256 EC keys, whatever a DER blob claims to be. */
static int pkey_is_p256(EVP_PKEY *pkey)
{
    char group[64];
    size_t len = 0;

    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
        return 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1)
        return 0;
    return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

tg_status tg_eckey_generate(tg_eckey **out)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");

    if (pkey == NULL)
        return TG_ERR_INTERNAL;
    return eckey_wrap(out, pkey);
}

tg_status tg_eckey_from_private_der(tg_eckey **out, const uint8_t *der, size_t der_len)
{
    const unsigned char *p = der;
    EVP_PKEY *pkey;

    if (der_len > INT32_MAX)
        return TG_ERR_INVALID_ARG;
    pkey = d2i_AutoPrivateKey(NULL, &p, (long)der_len);
    if (pkey == NULL || !pkey_is_p256(pkey)) {
        EVP_PKEY_free(pkey);
        return TG_ERR_CRYPTO;
    }
    return eckey_wrap(out, pkey);
}

tg_status tg_eckey_to_private_der(uint8_t **der, size_t *der_len, const tg_eckey *key)
{
    unsigned char *buf = NULL;
    int len = i2d_PrivateKey(key->pkey, &buf);

    if (len <= 0)
        return TG_ERR_INTERNAL;
    /* hand out plain malloc memory so the caller can free() it */
    *der = malloc((size_t)len);
    if (*der == NULL) {
        OPENSSL_clear_free(buf, (size_t)len);
        return TG_ERR_NOMEM;
    }
    memcpy(*der, buf, (size_t)len);
    OPENSSL_clear_free(buf, (size_t)len);
    *der_len = (size_t)len;
    return TG_OK;
}

tg_status tg_eckey_from_public_xy(tg_eckey **out, const uint8_t x[TG_P256_COORD_LEN],
                                  const uint8_t y[TG_P256_COORD_LEN])
{
    uint8_t point[1 + 2 * TG_P256_COORD_LEN];
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    tg_status rc = TG_ERR_CRYPTO;

    point[0] = 0x04; /* uncompressed */
    memcpy(point + 1, x, TG_P256_COORD_LEN);
    memcpy(point + 1 + TG_P256_COORD_LEN, y, TG_P256_COORD_LEN);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point);
    params[2] = OSSL_PARAM_construct_end();
    if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL)
        goto out;
    /* fromdata validates that the point lies on the curve */
    if (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto out;
    rc = eckey_wrap(out, pkey);
    pkey = NULL;
out:
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

tg_status tg_eckey_public_xy(uint8_t x[TG_P256_COORD_LEN], uint8_t y[TG_P256_COORD_LEN], const tg_eckey *key)
{
    uint8_t point[1 + 2 * TG_P256_COORD_LEN];
    size_t len = 0;

    if (EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len) != 1)
        return TG_ERR_INTERNAL;
    if (len != sizeof point || point[0] != 0x04)
        return TG_ERR_INTERNAL; /* we never create compressed keys */
    memcpy(x, point + 1, TG_P256_COORD_LEN);
    memcpy(y, point + 1 + TG_P256_COORD_LEN, TG_P256_COORD_LEN);
    return TG_OK;
}

tg_status tg_eckey_public_pem(char **pem, const tg_eckey *key)
{
    tg_status rc = TG_ERR_INTERNAL;
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len;

    if (bio == NULL)
        return TG_ERR_NOMEM;
    if (PEM_write_bio_PUBKEY(bio, key->pkey) != 1)
        goto out;
    len = BIO_get_mem_data(bio, &data);
    if (len <= 0 || (*pem = malloc((size_t)len + 1)) == NULL) {
        rc = TG_ERR_NOMEM;
        goto out;
    }
    memcpy(*pem, data, (size_t)len);
    (*pem)[len] = '\0';
    rc = TG_OK;
out:
    BIO_free(bio);
    return rc;
}

void tg_eckey_free(tg_eckey *key)
{
    if (key == NULL)
        return;
    for (size_t i = 0; i < key->sign.count; i++)
        EVP_PKEY_CTX_free(key->sign.idle[i]);
    for (size_t i = 0; i < key->verify.count; i++)
        EVP_PKEY_CTX_free(key->verify.idle[i]);
    pthread_mutex_destroy(&key->pool_lock);
    EVP_PKEY_free(key->pkey);
    free(key);
}

/* A context for key, ready for EVP_PKEY_sign or EVP_PKEY_verify of a SHA-256 digest. */
static EVP_PKEY_CTX *es_prepare(const tg_eckey *key, int sign)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);

    if (ctx == NULL)
        return NULL;
    if ((sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx, md_sha256 != NULL ? md_sha256 : EVP_sha256()) != 1) {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* Borrows a prepared context of key for one sign (or verify); NULL on failure. */
static EVP_PKEY_CTX *es_borrow(const tg_eckey *key, int sign)
{
    tg_eckey *k = (tg_eckey *)key; /* only the pool changes; see struct tg_eckey */
    es_pool *pool = sign ? &k->sign : &k->verify;
    EVP_PKEY_CTX *ctx = NULL;

    pthread_mutex_lock(&k->pool_lock);
    if (pool->count > 0)
        ctx = pool->idle[--pool->count];
    pthread_mutex_unlock(&k->pool_lock);
    return ctx != NULL ? ctx : es_prepare(key, sign);
}

/* Gives back what es_borrow lent; a context that failed is not trusted again. */
static void es_return(const tg_eckey *key, int sign, EVP_PKEY_CTX *ctx, int ok)
{
    tg_eckey *k = (tg_eckey *)key;
    es_pool *pool = sign ? &k->sign : &k->verify;

    if (ok) {
        pthread_mutex_lock(&k->pool_lock);
        if (pool->count < ES_POOL) {
            pool->idle[pool->count++] = ctx;
            ctx = NULL;
        }
        pthread_mutex_unlock(&k->pool_lock);
    }
    EVP_PKEY_CTX_free(ctx);
}

/*
 * Reads one DER INTEGER (positive, at most 32 bytes of magnitude) at *p into
 * out, right-aligned.  Only parses what our own signer wrote.
 */
static int der_int_to_fixed(uint8_t out[TG_P256_COORD_LEN], const uint8_t **p, const uint8_t *end)
{
    size_t len;

    if (end - *p < 2 || (*p)[0] != 0x02)
        return 0;
    len = (*p)[1];
    *p += 2;
    if (len == 0 || len > (size_t)(end - *p) || ((*p)[0] & 0x80) != 0)
        return 0;
    if (len > TG_P256_COORD_LEN && (*p)[0] == 0x00) { /* sign byte */
        (*p)++;
        len--;
    }
    if (len > TG_P256_COORD_LEN)
        return 0;
    memset(out, 0, TG_P256_COORD_LEN - len);
    memcpy(out + TG_P256_COORD_LEN - len, *p, len);
    *p += len;
    return 1;
}

/* Ecdsa-Sig-Value (SEQUENCE of two INTEGERs) to R || S. */
static int der_sig_to_fixed(uint8_t sig[TG_ES256_SIG_LEN], const uint8_t *der, size_t der_len)
{
    const uint8_t *p = der + 2, *end = der + der_len;

    if (der_len < 2 || der[0] != 0x30 || der[1] != der_len - 2)
        return 0;
    return der_int_to_fixed(sig, &p, end) && der_int_to_fixed(sig + TG_P256_COORD_LEN, &p, end) && p == end;
}

/* Appends the minimal DER INTEGER of the unsigned big-endian v; returns its length. */
static size_t fixed_to_der_int(uint8_t *out, const uint8_t v[TG_P256_COORD_LEN])
{
    size_t skip = 0, len;
    int pad;

    while (skip < TG_P256_COORD_LEN - 1 && v[skip] == 0)
        skip++;
    len = TG_P256_COORD_LEN - skip;
    pad = (v[skip] & 0x80) != 0;
    out[0] = 0x02;
    out[1] = (uint8_t)(len + (size_t)pad);
    out[2] = 0x00;
    memcpy(out + 2 + pad, v + skip, len);
    return 2 + (size_t)pad + len;
}

tg_status tg_es256_sign(uint8_t sig[TG_ES256_SIG_LEN], const tg_eckey *key, const void *msg, size_t msg_len)
{
    uint8_t digest[TG_SHA256_LEN], der[80];
    size_t der_len = sizeof der;
    EVP_PKEY_CTX *ctx;
    int ok;

    if (!sha256_reused(digest, thread_ctx_get(), msg, msg_len))
        return TG_ERR_INTERNAL;
    if ((ctx = es_borrow(key, 1)) == NULL)
        return TG_ERR_INTERNAL;
    ok = EVP_PKEY_sign(ctx, der, &der_len, digest, sizeof digest) == 1;
    es_return(key, 1, ctx, ok);
    return ok && der_sig_to_fixed(sig, der, der_len) ? TG_OK : TG_ERR_INTERNAL;
}

tg_status tg_es256_verify(const tg_eckey *key, const void *msg, size_t msg_len, const uint8_t sig[TG_ES256_SIG_LEN])
{
    uint8_t digest[TG_SHA256_LEN], der[2 + 2 * (2 + 1 + TG_P256_COORD_LEN)];
    size_t der_len = 2;
    EVP_PKEY_CTX *ctx;
    int rc;

    if (!sha256_reused(digest, thread_ctx_get(), msg, msg_len))
        return TG_ERR_INTERNAL;
    der_len += fixed_to_der_int(der + der_len, sig);
    der_len += fixed_to_der_int(der + der_len, sig + TG_P256_COORD_LEN);
    der[0] = 0x30;
    der[1] = (uint8_t)(der_len - 2);
    if ((ctx = es_borrow(key, 0)) == NULL)
        return TG_ERR_INTERNAL;
    /* 0 is a bad signature, below 0 an error; either way the context is fine
     * for the next verify, as EVP_PKEY_verify keeps no per-call state */
    rc = EVP_PKEY_verify(ctx, der, der_len, digest, sizeof digest);
    es_return(key, 0, ctx, rc >= 0);
    return rc == 1 ? TG_OK : TG_ERR_TOKEN_INVALID;
}
