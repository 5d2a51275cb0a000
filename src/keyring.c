/*
 * keyring.c - loading, creation and rotation of the signing keys, and the
 * JWKS document; see keyring.h.
 */
#include "keyring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "log.h"

/* Collects the kids of the keys that still verify, active first. */
typedef struct key_pick {
    int64_t now;
    char kids[KEYRING_MAX][TOKEN_KID_LEN + 1];
    size_t count;
    int have_active;
} key_pick;

static int still_verifies(const store_key_info *k, int64_t now)
{
    return k->active || k->last_expires_at > now || k->retired_at > now - KEYRING_RETIRE_GRACE;
}

static tg_status pick_one(void *ctx, const store_key_info *k)
{
    key_pick *p = ctx;

    if (!still_verifies(k, p->now))
        return TG_OK;
    if (k->active) {
        /* the active key goes first */
        if (p->count == KEYRING_MAX)
            p->count--;
        memmove(p->kids[1], p->kids[0], p->count * sizeof p->kids[0]);
        memcpy(p->kids[0], k->kid, sizeof p->kids[0]);
        p->count++;
        p->have_active = 1;
    } else if (p->count < KEYRING_MAX) {
        memcpy(p->kids[p->count++], k->kid, sizeof p->kids[0]); /* newest first; the oldest drop out */
    }
    return TG_OK;
}

static tg_status pick_keys(key_pick *p, store *s, int64_t now)
{
    memset(p, 0, sizeof *p);
    p->now = now;
    return s->ops->signing_key_list(s, pick_one, p);
}

static void fingerprint_of(char out[KEYRING_FINGERPRINT_MAX], const key_pick *p)
{
    size_t pos = 0;

    out[0] = '\0';
    for (size_t i = 0; i < p->count; i++) {
        size_t n = strlen(p->kids[i]);
        memcpy(out + pos, p->kids[i], n);
        pos += n;
        out[pos++] = ' ';
        out[pos] = '\0';
    }
}

tg_status keyring_fingerprint(char out[KEYRING_FINGERPRINT_MAX], store *s, int64_t now)
{
    key_pick p;
    tg_status rc = pick_keys(&p, s, now);

    if (rc == TG_OK)
        fingerprint_of(out, &p);
    return rc;
}

static tg_status load_key(tg_eckey **out, store *s, const vault *v, const char *kid)
{
    store_signing_key row;
    uint8_t der[STORE_SEALED_KEY_MAX];
    size_t der_len = 0;
    tg_status rc;

    if ((rc = s->ops->signing_key_get(s, kid, &row)) != TG_OK)
        return rc;
    if ((rc = vault_unseal(der, sizeof der, &der_len, v, SIGNING_KEY_PURPOSE, row.kid, row.private_sealed,
                           row.private_sealed_len)) != TG_OK) {
        log_event(LOG_ERROR, "signing_key_unseal_failed", "kid", row.kid, "hint",
                  "the master key does not match this database", NULL);
        goto out;
    }
    rc = tg_eckey_from_private_der(out, der, der_len);
out:
    tg_cleanse(der, sizeof der);
    tg_cleanse(&row, sizeof row);
    return rc;
}

/* Generates a key and seals it into row. */
static tg_status new_key(store_signing_key *row, const vault *v, int64_t now)
{
    tg_eckey *key = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;
    tg_status rc;

    memset(row, 0, sizeof *row);
    if ((rc = tg_eckey_generate(&key)) != TG_OK || (rc = token_thumbprint(row->kid, key)) != TG_OK ||
        (rc = tg_eckey_to_private_der(&der, &der_len, key)) != TG_OK)
        goto out;
    rc = vault_seal(row->private_sealed, sizeof row->private_sealed, &row->private_sealed_len, v,
                    SIGNING_KEY_PURPOSE, row->kid, der, der_len);
    row->created_at = now;
    row->active = 1;
out:
    if (der != NULL) {
        tg_cleanse(der, der_len);
        free(der);
    }
    tg_eckey_free(key);
    return rc;
}

static tg_status append_jwk(keyring *kr, size_t i)
{
    uint8_t x[TG_P256_COORD_LEN], y[TG_P256_COORD_LEN];
    char xs[44], ys[44];
    tg_status rc;
    int n;

    if ((rc = tg_eckey_public_xy(x, y, kr->owned[i])) != TG_OK)
        return rc;
    base64url_encode(xs, x, sizeof x);
    base64url_encode(ys, y, sizeof y);
    n = snprintf(kr->jwks + kr->jwks_len, sizeof kr->jwks - kr->jwks_len,
                 "%s{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"%s\",\"alg\":\"ES256\","
                 "\"use\":\"sig\"}",
                 i == 0 ? "" : ",", xs, ys, kr->keys[i].kid);
    if (n < 0 || (size_t)n >= sizeof kr->jwks - kr->jwks_len)
        return TG_ERR_INTERNAL;
    kr->jwks_len += (size_t)n;
    return TG_OK;
}

static tg_status build_jwks(keyring *kr)
{
    uint8_t digest[TG_SHA256_LEN];
    char b64[44];
    tg_status rc;

    kr->jwks_len = (size_t)snprintf(kr->jwks, sizeof kr->jwks, "{\"keys\":[");
    for (size_t i = 0; i < kr->count; i++) {
        if ((rc = append_jwk(kr, i)) != TG_OK)
            return rc;
    }
    if (kr->jwks_len + 3 > sizeof kr->jwks)
        return TG_ERR_INTERNAL;
    memcpy(kr->jwks + kr->jwks_len, "]}", 3);
    kr->jwks_len += 2;
    tg_sha256(digest, kr->jwks, kr->jwks_len);
    base64url_encode(b64, digest, 12); /* 16 characters */
    kr->etag[0] = '"';
    memcpy(kr->etag + 1, b64, 16);
    kr->etag[17] = '"';
    kr->etag[18] = '\0';
    return TG_OK;
}

tg_status keyring_load(keyring *kr, store *s, const vault *v, int create, int64_t now)
{
    key_pick p;
    tg_status rc;

    memset(kr, 0, sizeof *kr);
    if ((rc = pick_keys(&p, s, now)) != TG_OK)
        return rc;
    if (!p.have_active) {
        store_signing_key row;
        if (!create)
            return TG_ERR_NOT_FOUND;
        if ((rc = new_key(&row, v, now)) != TG_OK)
            return rc;
        rc = s->ops->signing_key_insert(s, &row);
        if (rc == TG_OK)
            log_event(LOG_INFO, "signing_key_created", "kid", row.kid, NULL);
        tg_cleanse(&row, sizeof row);
        /* TG_ERR_CONFLICT: another process created one first; use theirs */
        if ((rc != TG_OK && rc != TG_ERR_CONFLICT) || (rc = pick_keys(&p, s, now)) != TG_OK)
            return rc;
        if (!p.have_active)
            return TG_ERR_NOT_FOUND;
    }
    for (size_t i = 0; i < p.count; i++) {
        if ((rc = load_key(&kr->owned[i], s, v, p.kids[i])) != TG_OK) {
            keyring_release(kr);
            return rc;
        }
        memcpy(kr->keys[i].kid, p.kids[i], sizeof kr->keys[i].kid);
        kr->keys[i].key = kr->owned[i];
        kr->count = i + 1;
    }
    fingerprint_of(kr->fingerprint, &p);
    if ((rc = build_jwks(kr)) != TG_OK)
        keyring_release(kr);
    return rc;
}

tg_status keyring_rotate(char new_kid[TOKEN_KID_LEN + 1], store *s, const vault *v, int64_t now)
{
    store_signing_key row;
    tg_status rc;

    if ((rc = new_key(&row, v, now)) != TG_OK)
        return rc;
    rc = s->ops->signing_key_rotate(s, &row, now);
    if (rc == TG_OK) {
        memcpy(new_kid, row.kid, TOKEN_KID_LEN + 1);
        log_event(LOG_INFO, "signing_key_rotated", "kid", row.kid, NULL);
    }
    tg_cleanse(&row, sizeof row);
    return rc;
}

void keyring_release(keyring *kr)
{
    if (kr == NULL)
        return;
    for (size_t i = 0; i < KEYRING_MAX; i++)
        tg_eckey_free(kr->owned[i]);
    memset(kr, 0, sizeof *kr);
}
