/*
 * merchant.c - merchant ids, keys, sealed secrets, URIs and CSV rows;
 * see merchant.h.
 */
#include "merchant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base32.h"
#include "base64url.h"

#define CSV_MAX_FIELDS 6
#define CSV_FIELD_MAX 300

tg_status merchant_new_id(char id[MERCHANT_ID_MAX + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t raw[8];
    tg_status rc = tg_random_bytes(raw, sizeof raw);

    if (rc != TG_OK)
        return rc;
    id[0] = 'm';
    id[1] = '_';
    for (size_t i = 0; i < sizeof raw; i++) {
        id[2 + 2 * i] = hex[raw[i] >> 4];
        id[3 + 2 * i] = hex[raw[i] & 15];
    }
    id[2 + 2 * sizeof raw] = '\0';
    return TG_OK;
}

tg_status merchant_new_api_key(char key[API_KEY_LEN + 1])
{
    uint8_t raw[32];
    tg_status rc = tg_random_bytes(raw, sizeof raw);

    if (rc != TG_OK)
        return rc;
    memcpy(key, API_KEY_PREFIX, 4);
    base64url_encode(key + 4, raw, sizeof raw);
    tg_cleanse(raw, sizeof raw);
    return TG_OK;
}

void merchant_hash_api_key(uint8_t out[TG_SHA256_LEN], const char *key, size_t key_len)
{
    tg_sha256(out, key, key_len);
}

tg_status merchant_seal_secret(merchant *m, const vault *v, const uint8_t *secret, size_t secret_len)
{
    if (secret_len == 0 || secret_len > MERCHANT_SECRET_MAX)
        return TG_ERR_INVALID_ARG;
    return vault_seal(m->secret_sealed, sizeof m->secret_sealed, &m->secret_sealed_len, v,
                      MERCHANT_SECRET_PURPOSE, m->id, secret, secret_len);
}

tg_status merchant_open_secret(uint8_t out[MERCHANT_SECRET_MAX], size_t *out_len, const merchant *m, const vault *v)
{
    return vault_unseal(out, MERCHANT_SECRET_MAX, out_len, v, MERCHANT_SECRET_PURPOSE, m->id, m->secret_sealed,
                        m->secret_sealed_len);
}

const char *merchant_alg_name(tg_hash_alg alg)
{
    switch (alg) {
    case TG_HASH_SHA256:
        return "SHA256";
    case TG_HASH_SHA512:
        return "SHA512";
    case TG_HASH_SHA1:
        break;
    }
    return "SHA1";
}

int merchant_parse_alg(const char *s, tg_hash_alg *out)
{
    if (strcasecmp(s, "SHA1") == 0 || strcasecmp(s, "SHA-1") == 0)
        *out = TG_HASH_SHA1;
    else if (strcasecmp(s, "SHA256") == 0 || strcasecmp(s, "SHA-256") == 0)
        *out = TG_HASH_SHA256;
    else if (strcasecmp(s, "SHA512") == 0 || strcasecmp(s, "SHA-512") == 0)
        *out = TG_HASH_SHA512;
    else
        return -1;
    return 0;
}

/* Length of the valid UTF-8 sequence at s (no overlongs, no surrogates), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    size_t n;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

tg_status merchant_check_label(const char *s, size_t max)
{
    size_t len = strlen(s), i = 0;

    if (len == 0 || len > max)
        return TG_ERR_INVALID_ARG;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t n;
        if (c < 0x20 || c == 0x7f || c == ':')
            return TG_ERR_INVALID_ARG;
        if ((n = utf8_seq_len((const unsigned char *)s + i, len - i)) == 0)
            return TG_ERR_INVALID_ARG;
        /* C1 controls (U+0080-U+009F, such as CSI) act as terminal escapes too */
        if (n == 2 && c == 0xc2 && (unsigned char)s[i + 1] < 0xa0)
            return TG_ERR_INVALID_ARG;
        i += n;
    }
    return TG_OK;
}

tg_status merchant_check_totp(const totp_params *p)
{
    if (p->digits != 6 && p->digits != 8)
        return TG_ERR_INVALID_ARG;
    if (p->period < 1 || p->period > 3600)
        return TG_ERR_INVALID_ARG;
    if (p->alg != TG_HASH_SHA1 && p->alg != TG_HASH_SHA256 && p->alg != TG_HASH_SHA512)
        return TG_ERR_INVALID_ARG;
    return TG_OK;
}

/* Appends s percent-encoded (RFC 3986 unreserved characters kept). */
static tg_status put_pct(char *out, size_t cap, size_t *pos, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_' || c == '~';
        if (*pos + 4 >= cap)
            return TG_ERR_INVALID_ARG;
        if (plain) {
            out[(*pos)++] = (char)c;
        } else {
            out[(*pos)++] = '%';
            out[(*pos)++] = hex[c >> 4];
            out[(*pos)++] = hex[c & 15];
        }
    }
    out[*pos] = '\0';
    return TG_OK;
}

static tg_status put_str(char *out, size_t cap, size_t *pos, const char *s)
{
    size_t n = strlen(s);

    if (*pos + n >= cap)
        return TG_ERR_INVALID_ARG;
    memcpy(out + *pos, s, n + 1);
    *pos += n;
    return TG_OK;
}

tg_status merchant_otpauth_uri(char *out, size_t out_cap, const merchant *m, const char *secret_b32)
{
    char tail[64];
    size_t pos = 0;
    tg_status rc;

    snprintf(tail, sizeof tail, "&algorithm=%s&digits=%u&period=%u", merchant_alg_name(m->totp.alg),
             m->totp.digits, m->totp.period);
    if ((rc = put_str(out, out_cap, &pos, "otpauth://totp/")) != TG_OK ||
        (rc = put_pct(out, out_cap, &pos, m->issuer)) != TG_OK || (rc = put_str(out, out_cap, &pos, ":")) != TG_OK ||
        (rc = put_pct(out, out_cap, &pos, m->name)) != TG_OK ||
        (rc = put_str(out, out_cap, &pos, "?secret=")) != TG_OK ||
        (rc = put_str(out, out_cap, &pos, secret_b32)) != TG_OK ||
        (rc = put_str(out, out_cap, &pos, "&issuer=")) != TG_OK ||
        (rc = put_pct(out, out_cap, &pos, m->issuer)) != TG_OK || (rc = put_str(out, out_cap, &pos, tail)) != TG_OK)
        return rc;
    return TG_OK;
}

/* Splits one CSV line into at most CSV_MAX_FIELDS fields (RFC 4180 quoting). */
static tg_status csv_split(char fields[CSV_MAX_FIELDS][CSV_FIELD_MAX + 1], size_t *nfields, const char *line,
                           size_t len, const char **why)
{
    size_t i = 0, n = 0;

    for (;;) {
        size_t flen = 0;
        if (n == CSV_MAX_FIELDS) {
            *why = "too many columns (at most 6)";
            return TG_ERR_INVALID_ARG;
        }
        if (i < len && line[i] == '"') {
            i++;
            for (;;) {
                if (i >= len) {
                    *why = "unterminated quoted field";
                    return TG_ERR_INVALID_ARG;
                }
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        i++;
                    } else {
                        i++;
                        break;
                    }
                }
                if (flen >= CSV_FIELD_MAX) {
                    *why = "field too long";
                    return TG_ERR_INVALID_ARG;
                }
                fields[n][flen++] = line[i++];
            }
            if (i < len && line[i] != ',') {
                *why = "text after a closing quote";
                return TG_ERR_INVALID_ARG;
            }
        } else {
            while (i < len && line[i] != ',') {
                if (line[i] == '"') {
                    *why = "quote inside an unquoted field";
                    return TG_ERR_INVALID_ARG;
                }
                if (flen >= CSV_FIELD_MAX) {
                    *why = "field too long";
                    return TG_ERR_INVALID_ARG;
                }
                fields[n][flen++] = line[i++];
            }
        }
        if (memchr(fields[n], '\0', flen) != NULL) {
            *why = "NUL byte in a field";
            return TG_ERR_INVALID_ARG;
        }
        fields[n][flen] = '\0';
        n++;
        if (i >= len)
            break;
        i++; /* the comma */
    }
    *nfields = n;
    return TG_OK;
}

static int parse_uint(const char *s, unsigned *out)
{
    unsigned long v = 0;

    if (*s == '\0' || strlen(s) > 6)
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    *out = (unsigned)v;
    return 0;
}

tg_status merchant_parse_csv_line(merchant_csv_row *row, const char *line, size_t len, char *err, size_t err_cap)
{
    char fields[CSV_MAX_FIELDS][CSV_FIELD_MAX + 1];
    size_t nfields = 0, klen;
    const char *why = NULL;
    tg_status rc = TG_ERR_INVALID_ARG;

    memset(row, 0, sizeof *row);
    row->totp = (totp_params){TG_HASH_SHA1, 6, 30};
    if (csv_split(fields, &nfields, line, len, &why) != TG_OK)
        goto out;
    if (nfields < 3) {
        why = "expected columns name,api_key,secret[,algorithm,digits,period]";
        goto out;
    }
    if (merchant_check_label(fields[0], MERCHANT_NAME_MAX) != TG_OK) {
        why = "name must be 1-100 bytes of UTF-8 without ':' or control characters";
        goto out;
    }
    memcpy(row->name, fields[0], strlen(fields[0]) + 1);
    klen = strlen(fields[1]);
    if (klen < 16 || klen > API_KEY_MAX) {
        why = "api_key must be 16-256 characters";
        goto out;
    }
    for (size_t i = 0; i < klen; i++) {
        if (fields[1][i] <= 0x20 || fields[1][i] >= 0x7f) {
            why = "api_key must be printable ASCII without spaces";
            goto out;
        }
    }
    memcpy(row->api_key, fields[1], klen + 1);
    if (base32_decode(row->secret, sizeof row->secret, &row->secret_len, fields[2], strlen(fields[2])) != TG_OK ||
        row->secret_len < 16) {
        why = "secret must be base32 of 16 to 64 bytes";
        goto out;
    }
    if (nfields > 3 && fields[3][0] != '\0' && merchant_parse_alg(fields[3], &row->totp.alg) != 0) {
        why = "algorithm must be SHA1, SHA256 or SHA512";
        goto out;
    }
    if (nfields > 4 && fields[4][0] != '\0' && parse_uint(fields[4], &row->totp.digits) != 0) {
        why = "digits must be 6 or 8";
        goto out;
    }
    if (nfields > 5 && fields[5][0] != '\0' && parse_uint(fields[5], &row->totp.period) != 0) {
        why = "period must be 1-3600 seconds";
        goto out;
    }
    if (merchant_check_totp(&row->totp) != TG_OK) {
        why = row->totp.digits != 6 && row->totp.digits != 8 ? "digits must be 6 or 8" : "period must be 1-3600 seconds";
        goto out;
    }
    rc = TG_OK;
out:
    if (rc != TG_OK) {
        snprintf(err, err_cap, "%s", why ? why : "invalid row");
        tg_cleanse(row, sizeof *row);
    }
    tg_cleanse(fields, sizeof fields);
    return rc;
}
