/*
 * token.h - session tokens: JWT (RFC 7519) signed with ES256 (RFC 7515/7518).
 *
 * Pure: signing and verification take the time as an argument and do no I/O.
 * The verifier accepts exactly one shape: a compact JWS whose header has
 * "alg":"ES256" and a "kid" found in the caller's key set, with a valid
 * signature and in-range exp/nbf.  "none", HMAC algorithms, unknown kids, JWE
 * and JSON serialisations are all refused.
 *
 * Thread safety: re-entrant; keys may be shared read-only between threads.
 */
#ifndef TG_TOKEN_H
#define TG_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "status.h"

#define TOKEN_KID_LEN 43     /* base64url of a SHA-256 thumbprint */
#define TOKEN_JTI_LEN 22     /* time + 80 random bits, base64url characters (token_new_jti) */
#define TOKEN_ISS_MAX 128
#define TOKEN_SUB_MAX 64
#define TOKEN_MAX_LEN 1024   /* our tokens are ~ 400 bytes; anything longer is refused */

typedef struct token_claims {
    char iss[TOKEN_ISS_MAX + 1];
    char sub[TOKEN_SUB_MAX + 1];
    char jti[TOKEN_JTI_LEN + 1];
    int64_t iat, nbf, exp;
} token_claims;

/* A verification key: kid plus public (or private) P-256 key. */
typedef struct token_key {
    char kid[TOKEN_KID_LEN + 1];
    const tg_eckey *key;
} token_key;

/* RFC 7638 JWK thumbprint (SHA-256, base64url) of key's public part. */
tg_status token_thumbprint(char kid[TOKEN_KID_LEN + 1], const tg_eckey *key);

/*
 * A fresh jti: 22 base64url characters, opaque to clients.  The first 8
 * are the current Unix time in milliseconds in base 62 ([0-9A-Za-z], most
 * significant first, so jtis sort by creation time under strcmp/memcmp, and
 * none begins with '-'); the other 14 are 80 random bits, base64url.  Time
 * order makes the session inserts append to the jti index instead of
 * dirtying a random page of it.
 */
#define TOKEN_JTI_TIME_LIMIT UINT64_C(218340105584896) /* 62^8 ms: the year 8888 */
#define TOKEN_JTI_RANDOM_LEN 10
tg_status token_new_jti(char jti[TOKEN_JTI_LEN + 1]);
/* The jti of token_new_jti for a given time and random part (for tests). */
void token_jti_at(char jti[TOKEN_JTI_LEN + 1], int64_t unix_ms, const uint8_t rnd[TOKEN_JTI_RANDOM_LEN]);

/*
 * Signs claims with signer (a private key) and writes the compact JWT,
 * NUL-terminated, to out (capacity out_cap >= TOKEN_MAX_LEN is always enough).
 * iss and sub are JSON-escaped.
 */
tg_status token_sign(char *out, size_t out_cap, size_t *out_len, const token_key *signer,
                     const token_claims *claims);

/*
 * Verifies a compact JWT against keys[0..nkeys) at time now: valid while
 * nbf - leeway <= now < exp (leeway absorbs clock skew between servers for
 * nbf only; expiry is exact).  If iss is non-NULL the iss claim must equal it.
 * On TG_OK *out (if non-NULL) holds the claims.  Every failure is
 * TG_ERR_TOKEN_INVALID (or TG_ERR_NOMEM).
 */
tg_status token_verify(token_claims *out, const char *jwt, size_t jwt_len, const token_key *keys, size_t nkeys,
                       int64_t now, int64_t leeway, const char *iss);

#endif
