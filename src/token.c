/*
 * token.c - compact JWS/JWT with ES256: sign, verify, RFC 7638 thumbprints.
 *
 * Signing builds the JSON by hand (every value is ours and escaped);
 * verification parses with jansson and refuses duplicate members.
 */
#include "token.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base64url.h"
#include "jsonout.h"

#define HEADER_MAX 256
#define PAYLOAD_MAX 512

tg_status token_thumbprint(char kid[TOKEN_KID_LEN + 1], const tg_eckey *key)
{
    uint8_t x[TG_P256_COORD_LEN], y[TG_P256_COORD_LEN], digest[TG_SHA256_LEN];
    char xs[44], ys[44], canon[160];
    tg_status rc;
    int n;

    if ((rc = tg_eckey_public_xy(x, y, key)) != TG_OK)
        return rc;
    base64url_encode(xs, x, sizeof x);
    base64url_encode(ys, y, sizeof y);
    /* RFC 7638 section 3.2: required members only, lexicographic order, no spaces */
    n = snprintf(canon, sizeof canon, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", xs, ys);
    if (n < 0 || (size_t)n >= sizeof canon)
        return TG_ERR_INTERNAL;
    tg_sha256(digest, canon, (size_t)n);
    base64url_encode(kid, digest, sizeof digest);
    return TG_OK;
}

/* base 62 digits in ASCII order: strcmp order is numeric order */
static const char base62_sorted[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void token_jti_at(char jti[TOKEN_JTI_LEN + 1], int64_t unix_ms, const uint8_t rnd[TOKEN_JTI_RANDOM_LEN])
{
    uint64_t t = (uint64_t)unix_ms % TOKEN_JTI_TIME_LIMIT;

    /* the milliseconds in 8 base-62 digits, most significant first: never a
     * leading '-' (which would look like an option on a command line) */
    for (int i = 7; i >= 0; i--) {
        jti[i] = base62_sorted[t % 62];
        t /= 62;
    }
    /* 80 random bits: 14 base64url characters, and the terminating NUL */
    base64url_encode(jti + 8, rnd, TOKEN_JTI_RANDOM_LEN);
}

tg_status token_new_jti(char jti[TOKEN_JTI_LEN + 1])
{
    uint8_t rnd[TOKEN_JTI_RANDOM_LEN];
    struct timespec ts;
    tg_status rc;

    if ((rc = tg_random_bytes(rnd, sizeof rnd)) != TG_OK)
        return rc;
    clock_gettime(CLOCK_REALTIME, &ts);
    token_jti_at(jti, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, rnd);
    tg_cleanse(rnd, sizeof rnd);
    return TG_OK;
}

/* snprintf at *pos, failing on truncation */
static tg_status append(char *buf, size_t cap, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static tg_status append(char *buf, size_t cap, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf + *pos, cap - *pos, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *pos)
        return TG_ERR_INVALID_ARG;
    *pos += (size_t)n;
    return TG_OK;
}

tg_status token_sign(char *out, size_t out_cap, size_t *out_len, const token_key *signer,
                     const token_claims *claims)
{
    char header[HEADER_MAX], payload[PAYLOAD_MAX];
    size_t hlen = 0, plen = 0, pos = 0, need;
    uint8_t sig[TG_ES256_SIG_LEN];
    tg_status rc;

    if ((rc = append(header, sizeof header, &hlen, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
                     signer->kid)) != TG_OK)
        return rc;
    if ((rc = jsonout_raw(payload, sizeof payload, &plen, "{\"iss\":")) != TG_OK ||
        (rc = jsonout_string(payload, sizeof payload, &plen, claims->iss)) != TG_OK ||
        (rc = jsonout_raw(payload, sizeof payload, &plen, ",\"sub\":")) != TG_OK ||
        (rc = jsonout_string(payload, sizeof payload, &plen, claims->sub)) != TG_OK ||
        (rc = append(payload, sizeof payload, &plen, ",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,\"jti\":\"%s\"}",
                     (long long)claims->iat, (long long)claims->nbf, (long long)claims->exp, claims->jti)) != TG_OK)
        return rc;

    need = base64url_encoded_len(hlen) + 1 + base64url_encoded_len(plen) + 1 +
           base64url_encoded_len(TG_ES256_SIG_LEN) + 1;
    if (need > out_cap)
        return TG_ERR_INVALID_ARG;
    base64url_encode(out, (const uint8_t *)header, hlen);
    pos = strlen(out);
    out[pos++] = '.';
    base64url_encode(out + pos, (const uint8_t *)payload, plen);
    pos += strlen(out + pos);
    if ((rc = tg_es256_sign(sig, signer->key, out, pos)) != TG_OK)
        return rc;
    out[pos++] = '.';
    base64url_encode(out + pos, sig, sizeof sig);
    pos += strlen(out + pos);
    *out_len = pos;
    return TG_OK;
}

/* Decodes one base64url segment into a NUL-terminated buffer. */
static tg_status decode_segment(char *buf, size_t cap, size_t *len, const char *seg, size_t seg_len)
{
    if (base64url_decode((uint8_t *)buf, cap - 1, len, seg, seg_len) != TG_OK)
        return TG_ERR_TOKEN_INVALID;
    buf[*len] = '\0';
    return TG_OK;
}

static int get_int(json_t *obj, const char *name, int64_t *out)
{
    json_t *v = json_object_get(obj, name);

    if (!json_is_integer(v))
        return 0;
    *out = (int64_t)json_integer_value(v);
    return 1;
}

static int get_str(json_t *obj, const char *name, char *out, size_t cap)
{
    json_t *v = json_object_get(obj, name);
    size_t len;

    if (!json_is_string(v))
        return 0;
    len = json_string_length(v);
    if (len >= cap || memchr(json_string_value(v), '\0', len) != NULL)
        return 0;
    memcpy(out, json_string_value(v), len + 1);
    return 1;
}

tg_status token_verify(token_claims *out, const char *jwt, size_t jwt_len, const token_key *keys, size_t nkeys,
                       int64_t now, int64_t leeway, const char *iss)
{
    tg_status rc = TG_ERR_TOKEN_INVALID;
    const char *dot1, *dot2;
    char header[HEADER_MAX], payload[PAYLOAD_MAX], kid[TOKEN_KID_LEN + 1];
    uint8_t sig[TG_ES256_SIG_LEN + 1];
    size_t hlen, plen, slen;
    json_t *h = NULL, *p = NULL;
    const token_key *key = NULL;
    token_claims c;

    memset(&c, 0, sizeof c);
    if (jwt_len == 0 || jwt_len > TOKEN_MAX_LEN)
        goto out;
    if ((dot1 = memchr(jwt, '.', jwt_len)) == NULL)
        goto out;
    if ((dot2 = memchr(dot1 + 1, '.', jwt_len - (size_t)(dot1 + 1 - jwt))) == NULL)
        goto out;
    if (memchr(dot2 + 1, '.', jwt_len - (size_t)(dot2 + 1 - jwt)) != NULL)
        goto out; /* JWE has five parts */
    if (decode_segment(header, sizeof header, &hlen, jwt, (size_t)(dot1 - jwt)) != TG_OK)
        goto out;
    if (decode_segment(payload, sizeof payload, &plen, dot1 + 1, (size_t)(dot2 - dot1 - 1)) != TG_OK)
        goto out;
    if (base64url_decode(sig, sizeof sig, &slen, dot2 + 1, jwt_len - (size_t)(dot2 + 1 - jwt)) != TG_OK ||
        slen != TG_ES256_SIG_LEN)
        goto out;

    if ((h = json_loadb(header, hlen, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(h))
        goto out;
    {
        json_t *alg = json_object_get(h, "alg");
        if (!json_is_string(alg) || strcmp(json_string_value(alg), "ES256") != 0 ||
            json_string_length(alg) != 5)
            goto out;
    }
    if (json_object_get(h, "crit") != NULL)
        goto out; /* we understand no extensions */
    if (!get_str(h, "kid", kid, sizeof kid))
        goto out;
    for (size_t i = 0; i < nkeys; i++) {
        if (strcmp(keys[i].kid, kid) == 0) {
            key = &keys[i];
            break;
        }
    }
    if (key == NULL)
        goto out;
    if (tg_es256_verify(key->key, jwt, (size_t)(dot2 - jwt), sig) != TG_OK)
        goto out;

    /* the signature holds: now read the claims */
    if ((p = json_loadb(payload, plen, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(p))
        goto out;
    if (!get_int(p, "exp", &c.exp) || !get_int(p, "iat", &c.iat) || !get_str(p, "sub", c.sub, sizeof c.sub) ||
        !get_str(p, "jti", c.jti, sizeof c.jti) || !get_str(p, "iss", c.iss, sizeof c.iss))
        goto out;
    if (json_object_get(p, "nbf") == NULL)
        c.nbf = c.iat;
    else if (!get_int(p, "nbf", &c.nbf))
        goto out; /* present but not an integer */
    if (now >= c.exp || now + leeway < c.nbf)
        goto out;
    if (iss != NULL && strcmp(iss, c.iss) != 0)
        goto out;
    if (out != NULL)
        *out = c;
    rc = TG_OK;
out:
    json_decref(h);
    json_decref(p);
    return rc;
}
