/*
 * crypto.h - every cryptographic primitive totpgate uses.
 *
 * crypto.c is the only file that includes OpenSSL headers.  The rest of the
 * program sees fixed-size byte arrays and an opaque EC key type.
 *
 * Conventions (after Monocypher): outputs come first; fixed sizes appear in
 * prototypes; only checks (tg_memeq, tg_aead_open, tg_es256_verify) return a
 * "does not match" result.  Functions wipe their own temporaries; callers
 * wipe what they own with tg_cleanse().
 *
 * Thread safety: all functions are safe to call from any thread.  A tg_eckey
 * may be shared between threads once created and used by several at once; it
 * must not be freed while any thread still uses it.
 *
 * Reused state (for speed; invisible in results): each thread that calls
 * these functions gets prepared OpenSSL contexts, freed when the thread ends.
 * The thread's HMAC context for an algorithm keeps the key schedule of its
 * last tg_hmac call until its next one; the AES-GCM context is wiped after
 * every call.  A tg_eckey keeps a few prepared signing and verifying
 * contexts, freed with it by tg_eckey_free.
 */
#ifndef TG_CRYPTO_H
#define TG_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define TG_SHA256_LEN 32
#define TG_HMAC_MAX_LEN 64 /* SHA-512 */

#define TG_AEAD_KEY_LEN 32
#define TG_AEAD_NONCE_LEN 12
#define TG_AEAD_TAG_LEN 16
/* sealed = version(1) || nonce(12) || ciphertext || tag(16) */
#define TG_AEAD_OVERHEAD (1 + TG_AEAD_NONCE_LEN + TG_AEAD_TAG_LEN)

#define TG_P256_COORD_LEN 32
#define TG_ES256_SIG_LEN 64 /* JWS form: R || S, 32 bytes each */

typedef enum tg_hash_alg { TG_HASH_SHA1 = 0, TG_HASH_SHA256, TG_HASH_SHA512 } tg_hash_alg;

/* Fills out with len bytes from the OpenSSL CSPRNG.  Fails closed. */
tg_status tg_random_bytes(uint8_t *out, size_t len);

void tg_sha256(uint8_t out[TG_SHA256_LEN], const void *data, size_t len);

/* HMAC of msg under key with alg; *out_len receives 20, 32 or 64. */
tg_status tg_hmac(uint8_t out[TG_HMAC_MAX_LEN], size_t *out_len, tg_hash_alg alg, const uint8_t *key,
                  size_t key_len, const uint8_t *msg, size_t msg_len);

/* The HMACs of n messages of msg_len bytes each (msgs[i * msg_len ...])
 * under one key, which is set up once: out[i * TG_HMAC_MAX_LEN ...]
 * receives the i-th, *out_len the length of each (20, 32 or 64).  The same
 * as n calls of tg_hmac, and cheaper. */
tg_status tg_hmac_each(uint8_t *out, size_t *out_len, tg_hash_alg alg, const uint8_t *key, size_t key_len,
                       const uint8_t *msgs, size_t msg_len, size_t n);

/* 1 if the len bytes at a and b are equal, else 0; time depends on len only. */
int tg_memeq(const void *a, const void *b, size_t len);

/* Overwrites len bytes at p with zeros in a way the compiler keeps. */
void tg_cleanse(void *p, size_t len);

/*
 * AES-256-GCM with a random 96-bit nonce.  out must hold pt_len +
 * TG_AEAD_OVERHEAD bytes.  aad binds the ciphertext to its context (a row id),
 * so a sealed value moved to another row fails to open.
 */
tg_status tg_aead_seal(uint8_t *out, size_t *out_len, const uint8_t key[TG_AEAD_KEY_LEN], const uint8_t *aad,
                       size_t aad_len, const uint8_t *pt, size_t pt_len);

/* Opens what tg_aead_seal made; TG_ERR_CRYPTO when anything was altered.
 * out must hold sealed_len - TG_AEAD_OVERHEAD bytes. */
tg_status tg_aead_open(uint8_t *out, size_t *out_len, const uint8_t key[TG_AEAD_KEY_LEN], const uint8_t *aad,
                       size_t aad_len, const uint8_t *sealed, size_t sealed_len);

/* ---- P-256 keys and ES256 (RFC 7518 section 3.4) ---- */

typedef struct tg_eckey tg_eckey;

tg_status tg_eckey_generate(tg_eckey **out);

/* Private key from/to PKCS#8 DER.  *der is malloc'd; the caller wipes and frees it. */
tg_status tg_eckey_from_private_der(tg_eckey **out, const uint8_t *der, size_t der_len);
tg_status tg_eckey_to_private_der(uint8_t **der, size_t *der_len, const tg_eckey *key);

/* Public key from affine coordinates (big-endian, 32 bytes each). */
tg_status tg_eckey_from_public_xy(tg_eckey **out, const uint8_t x[TG_P256_COORD_LEN],
                                  const uint8_t y[TG_P256_COORD_LEN]);
tg_status tg_eckey_public_xy(uint8_t x[TG_P256_COORD_LEN], uint8_t y[TG_P256_COORD_LEN], const tg_eckey *key);

/* SubjectPublicKeyInfo PEM, malloc'd and NUL-terminated. */
tg_status tg_eckey_public_pem(char **pem, const tg_eckey *key);

/* tg_eckey_free(NULL) does nothing. */
void tg_eckey_free(tg_eckey *key);

/* ECDSA P-256 over SHA-256 of msg; sig is R || S. */
tg_status tg_es256_sign(uint8_t sig[TG_ES256_SIG_LEN], const tg_eckey *key, const void *msg, size_t msg_len);

/* TG_OK when sig is a valid R || S signature of msg under key, else TG_ERR_TOKEN_INVALID. */
tg_status tg_es256_verify(const tg_eckey *key, const void *msg, size_t msg_len, const uint8_t sig[TG_ES256_SIG_LEN]);

#endif
