/*
 * keyring.c - loading and first-time creation of the signing key.
 */
#include "keyring.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

static tg_status load_active(keyring *kr, store *s, const vault *v)
{
    store_signing_key row;
    uint8_t der[STORE_SEALED_KEY_MAX];
    size_t der_len = 0;
    tg_status rc;

    if ((rc = s->ops->signing_key_active(s, &row)) != TG_OK)
        return rc;
    if ((rc = vault_unseal(der, sizeof der, &der_len, v, SIGNING_KEY_PURPOSE, row.kid, row.private_sealed,
                           row.private_sealed_len)) != TG_OK) {
        log_event(LOG_ERROR, "signing_key_unseal_failed", "kid", row.kid, "hint",
                  "the master key does not match this database", NULL);
        goto out;
    }
    if ((rc = tg_eckey_from_private_der(&kr->key, der, der_len)) != TG_OK)
        goto out;
    memcpy(kr->active.kid, row.kid, sizeof kr->active.kid);
    kr->active.key = kr->key;
    kr->created_at = row.created_at;
out:
    tg_cleanse(der, sizeof der);
    return rc;
}

static tg_status create_key(store *s, const vault *v, int64_t now)
{
    store_signing_key row;
    tg_eckey *key = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;
    tg_status rc;

    memset(&row, 0, sizeof row);
    if ((rc = tg_eckey_generate(&key)) != TG_OK || (rc = token_thumbprint(row.kid, key)) != TG_OK ||
        (rc = tg_eckey_to_private_der(&der, &der_len, key)) != TG_OK)
        goto out;
    if ((rc = vault_seal(row.private_sealed, sizeof row.private_sealed, &row.private_sealed_len, v,
                         SIGNING_KEY_PURPOSE, row.kid, der, der_len)) != TG_OK)
        goto out;
    row.created_at = now;
    row.active = 1;
    rc = s->ops->signing_key_insert(s, &row);
    if (rc == TG_OK)
        log_event(LOG_INFO, "signing_key_created", "kid", row.kid, NULL);
out:
    if (der != NULL) {
        tg_cleanse(der, der_len);
        free(der);
    }
    tg_eckey_free(key);
    return rc;
}

tg_status keyring_load(keyring *kr, store *s, const vault *v, int create, int64_t now)
{
    tg_status rc;

    memset(kr, 0, sizeof *kr);
    rc = load_active(kr, s, v);
    if (rc != TG_ERR_NOT_FOUND || !create)
        return rc;
    rc = create_key(s, v, now);
    /* TG_ERR_CONFLICT: another process created it first; load theirs */
    if (rc != TG_OK && rc != TG_ERR_CONFLICT)
        return rc;
    return load_active(kr, s, v);
}

void keyring_release(keyring *kr)
{
    if (kr == NULL)
        return;
    tg_eckey_free(kr->key);
    memset(kr, 0, sizeof *kr);
}
