/*
 * crypto.c - OpenSSL 3 behind the small interface of crypto.h.
 *
 * This is the only file of totpgate that includes OpenSSL headers.  Every
 * function wipes its own temporary secrets before returning.
 */
#include "crypto.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#define SEAL_VERSION 1

/* Algorithms fetched once: OpenSSL 3 otherwise looks them up, under a lock,
 * on every call made with EVP_sha1() and friends. */
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha1, *md_sha256, *md_sha512;
static EVP_CIPHER *cipher_aes256gcm;

static void fetch_algorithms(void)
{
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
    cipher_aes256gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
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

void tg_sha256(uint8_t out[TG_SHA256_LEN], const void *data, size_t len)
{
    if (EVP_Digest(data, len, out, NULL, hash_md(TG_HASH_SHA256), NULL) != 1)
        SHA256(data, len, out);
}

tg_status tg_hmac(uint8_t out[TG_HMAC_MAX_LEN], size_t *out_len, tg_hash_alg alg, const uint8_t *key,
                  size_t key_len, const uint8_t *msg, size_t msg_len)
{
    const EVP_MD *md = hash_md(alg);
    unsigned int len = 0;

    if (md == NULL || key_len > INT32_MAX)
        return TG_ERR_INVALID_ARG;
    if (HMAC(md, key, (int)key_len, msg, msg_len, out, &len) == NULL)
        return TG_ERR_INTERNAL;
    *out_len = len;
    return TG_OK;
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

tg_status tg_aead_seal(uint8_t *out, size_t *out_len, const uint8_t key[TG_AEAD_KEY_LEN], const uint8_t *aad,
                       size_t aad_len, const uint8_t *pt, size_t pt_len)
{
    tg_status rc = TG_ERR_INTERNAL;
    EVP_CIPHER_CTX *ctx = NULL;
    uint8_t *nonce = out + 1, *ct = out + 1 + TG_AEAD_NONCE_LEN;
    int len = 0;

    if (pt_len > INT32_MAX || aad_len > INT32_MAX)
        return TG_ERR_INVALID_ARG;
    out[0] = SEAL_VERSION;
    if ((rc = tg_random_bytes(nonce, TG_AEAD_NONCE_LEN)) != TG_OK)
        goto out;
    rc = TG_ERR_INTERNAL;
    if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
        goto out;
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
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

tg_status tg_aead_open(uint8_t *out, size_t *out_len, const uint8_t key[TG_AEAD_KEY_LEN], const uint8_t *aad,
                       size_t aad_len, const uint8_t *sealed, size_t sealed_len)
{
    tg_status rc = TG_ERR_CRYPTO;
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
    if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
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
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

/* ---- P-256 ---- */

struct tg_eckey {
    EVP_PKEY *pkey;
};

static tg_status eckey_wrap(tg_eckey **out, EVP_PKEY *pkey)
{
    tg_eckey *key = malloc(sizeof *key);

    if (key == NULL) {
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
    EVP_PKEY_free(key->pkey);
    free(key);
}

static int bn_to_fixed(uint8_t out[TG_P256_COORD_LEN], const BIGNUM *bn)
{
    return BN_bn2binpad(bn, out, TG_P256_COORD_LEN) == TG_P256_COORD_LEN;
}

tg_status tg_es256_sign(uint8_t sig[TG_ES256_SIG_LEN], const tg_eckey *key, const void *msg, size_t msg_len)
{
    tg_status rc = TG_ERR_INTERNAL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t der[80];
    size_t der_len = sizeof der;
    const unsigned char *p = der;
    ECDSA_SIG *es = NULL;

    if (md == NULL)
        return TG_ERR_NOMEM;
    if (EVP_DigestSignInit(md, NULL, hash_md(TG_HASH_SHA256), NULL, key->pkey) != 1)
        goto out;
    if (EVP_DigestSign(md, der, &der_len, msg, msg_len) != 1)
        goto out;
    if ((es = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL)
        goto out;
    if (!bn_to_fixed(sig, ECDSA_SIG_get0_r(es)) || !bn_to_fixed(sig + TG_P256_COORD_LEN, ECDSA_SIG_get0_s(es)))
        goto out;
    rc = TG_OK;
out:
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    return rc;
}

tg_status tg_es256_verify(const tg_eckey *key, const void *msg, size_t msg_len, const uint8_t sig[TG_ES256_SIG_LEN])
{
    tg_status rc = TG_ERR_TOKEN_INVALID;
    EVP_MD_CTX *md = NULL;
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL, *s = NULL;
    unsigned char *der = NULL;
    int der_len;

    if ((es = ECDSA_SIG_new()) == NULL || (md = EVP_MD_CTX_new()) == NULL) {
        rc = TG_ERR_NOMEM;
        goto out;
    }
    r = BN_bin2bn(sig, TG_P256_COORD_LEN, NULL);
    s = BN_bin2bn(sig + TG_P256_COORD_LEN, TG_P256_COORD_LEN, NULL);
    if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        rc = TG_ERR_NOMEM;
        goto out;
    }
    if ((der_len = i2d_ECDSA_SIG(es, &der)) <= 0)
        goto out;
    if (EVP_DigestVerifyInit(md, NULL, hash_md(TG_HASH_SHA256), NULL, key->pkey) != 1)
        goto out;
    if (EVP_DigestVerify(md, der, (size_t)der_len, msg, msg_len) == 1)
        rc = TG_OK;
out:
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    return rc;
}
