/*
 * vault.h - the master key and everything sealed under it.
 *
 * TOTP secrets and token-signing private keys are stored only as
 * AES-256-GCM ciphertexts under the master key.  The associated data is
 * "totpgate/<purpose>/<id>", so a ciphertext copied into another row (or used
 * for another purpose) fails to open.
 *
 * The master key is 32 random bytes kept as 64 hex digits in a file: the
 * path in TOTPGATE_MASTER_KEY_FILE if set (it must exist), else
 * <data dir>/master.key, created with mode 0600 on first use.
 *
 * Ownership: vault_close() wipes the key.  Thread safety: a vault is
 * read-only after vault_open() and may be shared between threads.
 */
#ifndef TG_VAULT_H
#define TG_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "status.h"

typedef struct vault {
    uint8_t key[TG_AEAD_KEY_LEN];
} vault;

/* Creates data_dir (mode 0700) if it does not exist. */
tg_status data_dir_ensure(const char *data_dir);

/* Loads (or on first use creates) the master key; see above. */
tg_status vault_open(vault *v, const char *data_dir);

/* Wipes the key.  vault_close(NULL) does nothing. */
void vault_close(vault *v);

/* out must hold pt_len + TG_AEAD_OVERHEAD bytes (cap is checked). */
tg_status vault_seal(uint8_t *out, size_t out_cap, size_t *out_len, const vault *v, const char *purpose,
                     const char *id, const uint8_t *pt, size_t pt_len);

/* TG_ERR_CRYPTO if the ciphertext, the purpose or the id do not match. */
tg_status vault_unseal(uint8_t *out, size_t out_cap, size_t *out_len, const vault *v, const char *purpose,
                       const char *id, const uint8_t *sealed, size_t sealed_len);

#endif
