/*
 * merchant.h - the merchant record and what can be derived from it:
 * ids, API keys and their hashes, sealed TOTP secrets, otpauth URIs, and
 * the rows of a CSV import.
 *
 * Does no I/O; persistence is the store's job (store.h).  An API key exists
 * in clear only in the output of `merchant add`; the record keeps its
 * SHA-256.  A TOTP secret exists in clear only while a code is computed or
 * printed; the record keeps it sealed under the vault with the merchant id
 * as associated data.
 *
 * Thread safety: re-entrant.
 */
#ifndef TG_MERCHANT_H
#define TG_MERCHANT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "status.h"
#include "totp.h"
#include "vault.h"

#define MERCHANT_ID_MAX 32
#define MERCHANT_NAME_MAX 100
#define MERCHANT_ISSUER_MAX 100
#define MERCHANT_SECRET_LEN 20 /* generated secrets: 160 bits, as RFC 4226 recommends */
#define MERCHANT_SECRET_MAX 64 /* imported secrets may be up to 512 bits */
#define MERCHANT_SEALED_MAX (MERCHANT_SECRET_MAX + TG_AEAD_OVERHEAD)
#define MERCHANT_SECRET_B32_MAX 104 /* base32 of MERCHANT_SECRET_MAX bytes, without padding */
#define API_KEY_PREFIX "tgk_"
#define API_KEY_LEN (4 + 43)   /* prefix + base64url of 32 random bytes */
#define API_KEY_MAX 256        /* imported keys: any printable ASCII up to this length */
#define OTPAUTH_URI_MAX 1024
#define MERCHANT_SECRET_PURPOSE "merchant-secret"

typedef struct merchant {
    char id[MERCHANT_ID_MAX + 1];
    char name[MERCHANT_NAME_MAX + 1];
    char issuer[MERCHANT_ISSUER_MAX + 1];
    totp_params totp;
    int enabled;
    int64_t last_step; /* highest TOTP step accepted so far; -1 before the first login */
    int64_t created_at;
    uint32_t failed_attempts; /* consecutive failed codes (lockout.h) */
    int64_t locked_until;     /* refused until then (Unix seconds); 0 = not locked */
    int locked_forever;       /* refused until `merchant unlock` */
    uint8_t api_key_hash[TG_SHA256_LEN];
    uint8_t secret_sealed[MERCHANT_SEALED_MAX];
    size_t secret_sealed_len;
} merchant;

/* A fresh id: "m_" followed by 16 lower-case hex digits (64 random bits). */
tg_status merchant_new_id(char id[MERCHANT_ID_MAX + 1]);

/* A fresh API key: "tgk_" + base64url of 32 random bytes. */
tg_status merchant_new_api_key(char key[API_KEY_LEN + 1]);

void merchant_hash_api_key(uint8_t out[TG_SHA256_LEN], const char *key, size_t key_len);

/* Seals secret under v into m->secret_sealed, bound to m->id. */
tg_status merchant_seal_secret(merchant *m, const vault *v, const uint8_t *secret, size_t secret_len);

/* Opens m's secret; the caller wipes out with tg_cleanse(). */
tg_status merchant_open_secret(uint8_t out[MERCHANT_SECRET_MAX], size_t *out_len, const merchant *m, const vault *v);

/* "SHA1", "SHA256", "SHA512". */
const char *merchant_alg_name(tg_hash_alg alg);

/* Parses an algorithm name (case-insensitive, "SHA-256" also accepted); 0 on success. */
int merchant_parse_alg(const char *s, tg_hash_alg *out);

/* Checks a name or issuer: 1..max bytes of valid UTF-8 without control
 * characters or ':' (the Key Uri Format forbids a colon in either). */
tg_status merchant_check_label(const char *s, size_t max);

/* Checks digits (6 or 8) and period (1..3600 s). */
tg_status merchant_check_totp(const totp_params *p);

/*
 * The Key Uri Format URI:
 * otpauth://totp/ISSUER:NAME?secret=B32&issuer=ISSUER&algorithm=A&digits=D&period=P
 * with issuer and name percent-encoded.
 */
tg_status merchant_otpauth_uri(char *out, size_t out_cap, const merchant *m, const char *secret_b32);

/* One parsed CSV import row: name,api_key,secret[,algorithm,digits,period]. */
typedef struct merchant_csv_row {
    char name[MERCHANT_NAME_MAX + 1];
    char api_key[API_KEY_MAX + 1];
    uint8_t secret[MERCHANT_SECRET_MAX];
    size_t secret_len;
    totp_params totp;
} merchant_csv_row;

/*
 * Parses one CSV line (without its line ending).  Fields are separated by
 * commas; a field may be double-quoted with "" for a literal quote.  The
 * secret is base32 (case-insensitive, optional padding, at least 16 bytes
 * decoded).  Missing optional columns take SHA1, 6 digits, 30 s.  On error
 * returns TG_ERR_INVALID_ARG with a lower-case reason in err.
 */
tg_status merchant_parse_csv_line(merchant_csv_row *row, const char *line, size_t len, char *err, size_t err_cap);

#endif
