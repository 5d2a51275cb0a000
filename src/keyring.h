/*
 * keyring.h - the token-signing keys, kept sealed in the store.
 *
 * At first start a P-256 key is generated, sealed under the vault (with its
 * kid as associated data) and stored as the active key.  `keys rotate`
 * retires it and makes a new one active.  A loaded keyring holds the active
 * key (which signs) and every retired key that still verifies: one that
 * signed a token not yet expired, or that was retired less than
 * KEYRING_RETIRE_GRACE seconds ago (a token signed just before a rotation
 * may be committed just after it).  It also holds the JWKS document
 * (RFC 7517) of those keys, with an ETag.
 *
 * Thread safety: a loaded keyring is immutable and may be shared by threads;
 * the server swaps whole keyrings under a lock when the store changes.
 */
#ifndef TG_KEYRING_H
#define TG_KEYRING_H

#include "crypto.h"
#include "status.h"
#include "store.h"
#include "token.h"
#include "vault.h"

#define SIGNING_KEY_PURPOSE "signing-key"
#define KEYRING_MAX 16
#define KEYRING_RETIRE_GRACE 300
#define KEYRING_JWKS_MAX (KEYRING_MAX * 256 + 32)
#define KEYRING_FINGERPRINT_MAX (KEYRING_MAX * (TOKEN_KID_LEN + 1) + 2)

typedef struct keyring {
    tg_eckey *owned[KEYRING_MAX];
    token_key keys[KEYRING_MAX]; /* keys[0] is the active key */
    size_t count;
    char jwks[KEYRING_JWKS_MAX]; /* {"keys":[...]} */
    size_t jwks_len;
    char etag[24];               /* quoted, for the ETag header */
    char fingerprint[KEYRING_FINGERPRINT_MAX]; /* which kids are loaded, active first */
} keyring;

/* The kids a keyring loaded now would hold (active first), as a comparable
 * string; cheap: reads no private key. */
tg_status keyring_fingerprint(char out[KEYRING_FINGERPRINT_MAX], store *s, int64_t now);

/* Loads the keys; if there is no active key, creates one when create is set
 * and returns TG_ERR_NOT_FOUND otherwise. */
tg_status keyring_load(keyring *kr, store *s, const vault *v, int create, int64_t now);

/* Generates a new key and makes it the active one; the old key is retired
 * (it still verifies its tokens).  new_kid receives the new kid. */
tg_status keyring_rotate(char new_kid[TOKEN_KID_LEN + 1], store *s, const vault *v, int64_t now);

/* The active key, for signing. */
static inline const token_key *keyring_active(const keyring *kr)
{
    return &kr->keys[0];
}

/* keyring_release(NULL) does nothing. */
void keyring_release(keyring *kr);

#endif
