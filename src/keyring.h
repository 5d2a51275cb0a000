/*
 * keyring.h - the token-signing key, kept sealed in the store.
 *
 * At first start a P-256 key is generated, sealed under the vault (with its
 * kid as associated data) and stored as the active key.  Every process of
 * a data directory then loads the same active key.  Rotation and the
 * public key set (JWKS) build on this.
 *
 * Thread safety: a loaded keyring is read-only and may be shared by threads.
 */
#ifndef TG_KEYRING_H
#define TG_KEYRING_H

#include "crypto.h"
#include "status.h"
#include "store.h"
#include "token.h"
#include "vault.h"

#define SIGNING_KEY_PURPOSE "signing-key"

typedef struct keyring {
    tg_eckey *key;     /* private key of the active signing key */
    token_key active;  /* kid + key, for token_sign() and token_verify() */
    int64_t created_at;
} keyring;

/* Loads the active signing key; if there is none, creates one when create is
 * set and returns TG_ERR_NOT_FOUND otherwise. */
tg_status keyring_load(keyring *kr, store *s, const vault *v, int create, int64_t now);

/* keyring_release(NULL) does nothing. */
void keyring_release(keyring *kr);

#endif
