/*
 * test_merchant.c - otpauth URIs, label checks, CSV import rows, sealed
 * secrets bound to the merchant id, API keys and ids.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "merchant.h"
#include "unit.h"

/* base32 (RFC 4648) of "12345678901234567890", the RFC 4226 secret */
#define B32_20 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
#define KEY16 "0123456789abcdefXYZ"

static char err[256];

static tg_status csv(merchant_csv_row *row, const char *line)
{
    memset(err, 0, sizeof err);
    return merchant_parse_csv_line(row, line, strlen(line), err, sizeof err);
}

static void test_otpauth(void)
{
    merchant m;
    char uri[OTPAUTH_URI_MAX];

    memset(&m, 0, sizeof m);
    snprintf(m.id, sizeof m.id, "m_0123456789abcdef");
    snprintf(m.issuer, sizeof m.issuer, "ACME Corp");
    snprintf(m.name, sizeof m.name, "desk 1");
    m.totp = (totp_params){TG_HASH_SHA1, 6, 30};
    CHECK(merchant_otpauth_uri(uri, sizeof uri, &m, B32_20) == TG_OK);
    CHECK_STR(uri, "otpauth://totp/ACME%20Corp:desk%201?secret=" B32_20
                   "&issuer=ACME%20Corp&algorithm=SHA1&digits=6&period=30");

    m.totp = (totp_params){TG_HASH_SHA256, 8, 60};
    CHECK(merchant_otpauth_uri(uri, sizeof uri, &m, B32_20) == TG_OK);
    CHECK_STR(uri, "otpauth://totp/ACME%20Corp:desk%201?secret=" B32_20
                   "&issuer=ACME%20Corp&algorithm=SHA256&digits=8&period=60");
    m.totp = (totp_params){TG_HASH_SHA512, 6, 30};
    CHECK(merchant_otpauth_uri(uri, sizeof uri, &m, B32_20) == TG_OK);
    CHECK(strstr(uri, "&algorithm=SHA512&digits=6&period=30") != NULL);

    /* reserved and non-ASCII characters, as urllib.parse.quote(s, safe="~") encodes them */
    snprintf(m.name, sizeof m.name, "Z\xc3\xbcrich & Co/1?#%%+=~._-");
    CHECK(merchant_otpauth_uri(uri, sizeof uri, &m, B32_20) == TG_OK);
    CHECK(strstr(uri, ":Z%C3%BCrich%20%26%20Co%2F1%3F%23%25%2B%3D~._-?secret=") != NULL);

    /* a buffer too small is an error, never an overflow */
    {
        char small[40];
        memset(small, 'Z', sizeof small);
        CHECK(merchant_otpauth_uri(small, 20, &m, B32_20) != TG_OK);
        CHECK(small[20] == 'Z');
        CHECK(merchant_otpauth_uri(small, 30, &m, B32_20) != TG_OK);
        CHECK(small[30] == 'Z');
    }
    /*
     * The longest labels, every byte percent-encoded, with a generated
     * (MERCHANT_SECRET_LEN) secret and the longest tail, fit in
     * OTPAUTH_URI_MAX: 15 + 300 + 1 + 300 + 8 + 32 + 8 + 300 + 38 = 1002.
     */
    memset(m.issuer, ' ', MERCHANT_ISSUER_MAX);
    m.issuer[MERCHANT_ISSUER_MAX] = '\0';
    memset(m.name, ' ', MERCHANT_NAME_MAX);
    m.name[MERCHANT_NAME_MAX] = '\0';
    m.totp = (totp_params){TG_HASH_SHA256, 8, 3600};
    CHECK(merchant_otpauth_uri(uri, sizeof uri, &m, B32_20) == TG_OK);
    CHECK(strlen(uri) == 1002);
    /* with a 64-byte (104-character) secret it may not fit: then an error, and no overrun */
    {
        char b32[MERCHANT_SECRET_B32_MAX + 1], big[OTPAUTH_URI_MAX + 16];
        tg_status rc;
        memset(b32, 'A', MERCHANT_SECRET_B32_MAX);
        b32[MERCHANT_SECRET_B32_MAX] = '\0';
        memset(big, 'Z', sizeof big);
        rc = merchant_otpauth_uri(big, OTPAUTH_URI_MAX, &m, b32);
        CHECK(rc == TG_OK ? strlen(big) < OTPAUTH_URI_MAX : rc == TG_ERR_INVALID_ARG);
        CHECK(big[OTPAUTH_URI_MAX] == 'Z');
    }
}

static void test_labels(void)
{
    char s[MERCHANT_NAME_MAX + 2];

    CHECK(merchant_check_label("desk 1", MERCHANT_NAME_MAX) == TG_OK);
    CHECK(merchant_check_label("Z\xc3\xbcrich", MERCHANT_NAME_MAX) == TG_OK);            /* Zürich */
    CHECK(merchant_check_label("\xe6\x9d\xb1\xe4\xba\xac", MERCHANT_NAME_MAX) == TG_OK); /* 東京 */
    CHECK(merchant_check_label("\xf0\x9f\x94\x91 key", MERCHANT_NAME_MAX) == TG_OK);     /* U+1F511 */
    CHECK(merchant_check_label("a/b?c&d=e#f%g\"h'", MERCHANT_NAME_MAX) == TG_OK);

    CHECK(merchant_check_label("", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label(":", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("ACME:desk", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("desk:", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("a\tb", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("a\nb", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("a\rb", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("\x01", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("a\x1b[31m", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("a\x7f", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    /* invalid UTF-8: stray continuation, overlong, surrogate, truncated, out of range, 0xff */
    CHECK(merchant_check_label("a\x80", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("\xc0\xaf", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("\xc1\xbf", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("\xe0\x80\xaf", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("\xf0\x80\x80\xaf", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("\xed\xa0\x80", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("Z\xc3", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("\xe6\x9d", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("\xf4\x90\x80\x80", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("\xf5\x80\x80\x80", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("a\xff", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("\xc3\x28", MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    /* length: 100 bytes pass, 101 do not; the limit counts bytes, not characters */
    memset(s, 'a', MERCHANT_NAME_MAX);
    s[MERCHANT_NAME_MAX] = '\0';
    CHECK(merchant_check_label(s, MERCHANT_NAME_MAX) == TG_OK);
    s[MERCHANT_NAME_MAX] = 'a';
    s[MERCHANT_NAME_MAX + 1] = '\0';
    CHECK(merchant_check_label(s, MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    for (int i = 0; i < 50; i++) {
        s[2 * i] = '\xc3';
        s[2 * i + 1] = '\xbc';
    }
    s[100] = '\0';
    CHECK(merchant_check_label(s, MERCHANT_NAME_MAX) == TG_OK); /* 50 x "ü" = 100 bytes */
    s[100] = 'a';
    s[101] = '\0';
    CHECK(merchant_check_label(s, MERCHANT_NAME_MAX) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("abc", 2) == TG_ERR_INVALID_ARG);
    CHECK(merchant_check_label("ab", 2) == TG_OK);
}

static void test_totp_params(void)
{
    totp_params p = {TG_HASH_SHA1, 6, 30};
    tg_hash_alg a = TG_HASH_SHA1;

    CHECK(merchant_check_totp(&p) == TG_OK);
    p.digits = 8;
    CHECK(merchant_check_totp(&p) == TG_OK);
    p.digits = 7;
    CHECK(merchant_check_totp(&p) == TG_ERR_INVALID_ARG);
    p.digits = 6;
    p.period = 0;
    CHECK(merchant_check_totp(&p) == TG_ERR_INVALID_ARG);
    p.period = 3601;
    CHECK(merchant_check_totp(&p) == TG_ERR_INVALID_ARG);
    p.period = 3600;
    CHECK(merchant_check_totp(&p) == TG_OK);
    p.period = 1;
    CHECK(merchant_check_totp(&p) == TG_OK);

    CHECK(merchant_parse_alg("sha256", &a) == 0 && a == TG_HASH_SHA256);
    CHECK(merchant_parse_alg("SHA-512", &a) == 0 && a == TG_HASH_SHA512);
    CHECK(merchant_parse_alg("Sha1", &a) == 0 && a == TG_HASH_SHA1);
    CHECK(merchant_parse_alg("MD5", &a) != 0);
    CHECK(merchant_parse_alg("", &a) != 0);
    CHECK(merchant_parse_alg("SHA256 ", &a) != 0);
    CHECK_STR(merchant_alg_name(TG_HASH_SHA1), "SHA1");
    CHECK_STR(merchant_alg_name(TG_HASH_SHA256), "SHA256");
    CHECK_STR(merchant_alg_name(TG_HASH_SHA512), "SHA512");
}

static void test_csv(void)
{
    merchant_csv_row row;

    /* three columns, defaults for the rest */
    CHECK(csv(&row, "desk 1," KEY16 "," B32_20) == TG_OK);
    CHECK_STR(row.name, "desk 1");
    CHECK_STR(row.api_key, KEY16);
    CHECK(row.secret_len == 20 && memcmp(row.secret, "12345678901234567890", 20) == 0);
    CHECK(row.totp.alg == TG_HASH_SHA1 && row.totp.digits == 6 && row.totp.period == 30);
    /* lower-case and padded secrets */
    CHECK(csv(&row, "desk 1," KEY16 ",gezdgnbvgy3tqojqgezdgnbvgy3tqojq") == TG_OK && row.secret_len == 20 &&
          memcmp(row.secret, "12345678901234567890", 20) == 0);
    CHECK(csv(&row, "d," KEY16 ",AAAQEAYEAUDAOCAJBIFQYDIOB4======") == TG_OK && row.secret_len == 16);
    CHECK(csv(&row, "d," KEY16 ",AAAQEAYEAUDAOCAJBIFQYDIOB4") == TG_OK && row.secret_len == 16);
    /* 64 bytes is the most */
    CHECK(csv(&row, "d," KEY16 ",AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPSAIJCEMSCKJRHFAUSUKZMFUXC6MBRGIZTIN"
                               "JWG44DSOR3HQ6T4PY=") == TG_OK &&
          row.secret_len == 64 && row.secret[63] == 63);

    /* six columns */
    CHECK(csv(&row, "desk 2," KEY16 "," B32_20 ",SHA256,8,60") == TG_OK);
    CHECK_STR(row.name, "desk 2");
    CHECK(row.totp.alg == TG_HASH_SHA256 && row.totp.digits == 8 && row.totp.period == 60);
    CHECK(csv(&row, "desk 2," KEY16 "," B32_20 ",sha-512,6,1") == TG_OK && row.totp.alg == TG_HASH_SHA512 &&
          row.totp.period == 1);
    /* empty optional columns take the defaults */
    CHECK(csv(&row, "desk 3," KEY16 "," B32_20 ",,,") == TG_OK);
    CHECK(row.totp.alg == TG_HASH_SHA1 && row.totp.digits == 6 && row.totp.period == 30);
    CHECK(csv(&row, "desk 3," KEY16 "," B32_20 ",,8") == TG_OK && row.totp.digits == 8 && row.totp.period == 30);

    /* quoting: a comma and a doubled quote inside a quoted field; quoted key and secret */
    CHECK(csv(&row, "\"Acme, \"\"Inc\"\"\",\"" KEY16 "\",\"" B32_20 "\"") == TG_OK);
    CHECK_STR(row.name, "Acme, \"Inc\"");
    CHECK_STR(row.api_key, KEY16);
    CHECK(row.secret_len == 20);
    CHECK(csv(&row, "\"\"\"\"," KEY16 "," B32_20) == TG_OK);
    CHECK_STR(row.name, "\"");
    /* UTF-8 name */
    CHECK(csv(&row, "Z\xc3\xbcrich," KEY16 "," B32_20) == TG_OK);
    CHECK_STR(row.name, "Z\xc3\xbcrich");
    /* only len bytes are read */
    {
        static const char line[] = "desk 1," KEY16 "," B32_20 ",SHA256";
        CHECK(merchant_parse_csv_line(&row, line, strlen(line) - 7, err, sizeof err) == TG_OK &&
              row.totp.alg == TG_HASH_SHA1);
    }

    /* errors: each is TG_ERR_INVALID_ARG with a reason, and leaves nothing behind */
    {
        static const char *const bad[] = {
            "desk 1," KEY16 ",NOT-BASE32!",                       /* bad secret */
            "desk 1," KEY16 ",GEZDGNBVGY3TQOJQ1",                 /* digit 1 is not base32 */
            "desk 1," KEY16 ",GEZDGNBV GY3TQOJQGEZDGNBVGY3TQOJQ", /* space */
            "desk 1," KEY16 ",AAAQEAYEAUDAOCAJBIFQYDIO",          /* 15 bytes: too short */
            "desk 1," KEY16 ",",                                  /* empty secret */
            "desk 1," KEY16 ",AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPSAIJCEMSCKJRHFAUSUKZMFUXC6MBRGIZTINJWG"
                            "44DSOR3HQ6T4P2A",    /* 65 bytes */
            "desk 1," KEY16 "," B32_20 ",SHA1,7", /* bad digits */
            "desk 1," KEY16 "," B32_20 ",SHA1,5",
            "desk 1," KEY16 "," B32_20 ",SHA1,6x",
            "desk 1," KEY16 "," B32_20 ",SHA1,-6",
            "desk 1," KEY16 "," B32_20 ",SHA1,9999999999",
            "desk 1," KEY16 "," B32_20 ",MD5",      /* bad algorithm */
            "desk 1," KEY16 "," B32_20 ",SHA1,6,0", /* bad period */
            "desk 1," KEY16 "," B32_20 ",SHA1,6,3601",
            "desk 1," KEY16 "," B32_20 ",SHA1,6,30,extra", /* too many columns */
            "desk 1," KEY16 "," B32_20 ",SHA1,6,30,",
            "\"desk 1," KEY16 "," B32_20, /* unterminated quote */
            "desk 1,\"" KEY16 "," B32_20,
            "desk 1," KEY16 ",\"" B32_20,
            "\"desk\" 1," KEY16 "," B32_20, /* text after a closing quote */
            "de\"sk," KEY16 "," B32_20,     /* quote inside an unquoted field */
            "desk 1," KEY16,                /* too few columns */
            "desk 1",
            "",
            "," KEY16 "," B32_20,               /* empty name */
            "desk:1," KEY16 "," B32_20,         /* colon in the name */
            "desk\x01," KEY16 "," B32_20,       /* control character in the name */
            "desk\xc0\xaf," KEY16 "," B32_20,   /* invalid UTF-8 in the name */
            "desk 1,short," B32_20,             /* API key under 16 characters */
            "desk 1,0123456789 abcdef," B32_20, /* space in the API key */
            "desk 1,0123456789\x7f"
            "abcdef," B32_20, /* DEL in the API key */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            tg_status rc;
            memset(&row, 0x5a, sizeof row);
            rc = csv(&row, bad[i]);
            if (rc != TG_ERR_INVALID_ARG || err[0] == '\0')
                fprintf(stderr, "  csv line %zu \"%s\": status %d, err \"%s\"\n", i, bad[i], (int)rc, err);
            CHECK(rc == TG_ERR_INVALID_ARG);
            CHECK(err[0] != '\0');
            CHECK(row.secret_len == 0 && row.api_key[0] == '\0'); /* wiped */
        }
    }
    /* the reasons are specific */
    CHECK(csv(&row, "desk 1," KEY16 "," B32_20 ",SHA1,7") == TG_ERR_INVALID_ARG && strstr(err, "digits") != NULL);
    CHECK(csv(&row, "desk 1," KEY16 "," B32_20 ",MD5") == TG_ERR_INVALID_ARG && strstr(err, "algorithm") != NULL);
    CHECK(csv(&row, "desk 1," KEY16 ",AAAQEAYEAUDAOCAJBIFQYDIO") == TG_ERR_INVALID_ARG &&
          strstr(err, "secret") != NULL);
    CHECK(csv(&row, "a,b,c,d,e,f,g") == TG_ERR_INVALID_ARG && strstr(err, "column") != NULL);
    CHECK(csv(&row, "\"desk," KEY16 "," B32_20) == TG_ERR_INVALID_ARG && strstr(err, "quote") != NULL);
    /* the reason never repeats the secret or the key */
    CHECK(csv(&row, "desk 1," KEY16 ",GEZDGNBVGY3TQOJQ1") == TG_ERR_INVALID_ARG && strstr(err, "GEZDGNBV") == NULL &&
          strstr(err, KEY16) == NULL);
    /* a small err buffer is not overrun */
    {
        char small[8];
        memset(small, 'Z', sizeof small);
        CHECK(merchant_parse_csv_line(&row, "x", 1, small, 4) == TG_ERR_INVALID_ARG);
        CHECK(small[3] == '\0' && small[4] == 'Z');
    }
    /* a field longer than any column allows */
    {
        char line[1200];
        int n = snprintf(line, sizeof line, "desk," KEY16 ",");
        memset(line + n, 'A', 1000);
        line[n + 1000] = '\0';
        CHECK(csv(&row, line) == TG_ERR_INVALID_ARG && err[0] != '\0');
    }
}

static void test_sealed_secret(void)
{
    vault v, other_v;
    merchant m, m2;
    uint8_t out[MERCHANT_SECRET_MAX];
    size_t out_len = 0;
    static const uint8_t secret[20] = "12345678901234567890";

    for (size_t i = 0; i < sizeof v.key; i++) {
        v.key[i] = (uint8_t)(0x40 + i);
        other_v.key[i] = (uint8_t)(0x40 + i);
    }
    other_v.key[0] ^= 1;
    memset(&m, 0, sizeof m);
    snprintf(m.id, sizeof m.id, "m_0123456789abcdef");
    CHECK(merchant_seal_secret(&m, &v, secret, sizeof secret) == TG_OK);
    CHECK(m.secret_sealed_len == sizeof secret + TG_AEAD_OVERHEAD);
    CHECK(memmem(m.secret_sealed, m.secret_sealed_len, "1234567890", 10) == NULL);
    memset(out, 0, sizeof out);
    CHECK(merchant_open_secret(out, &out_len, &m, &v) == TG_OK);
    CHECK(out_len == sizeof secret && memcmp(out, secret, sizeof secret) == 0);

    /* the sealed secret of m copied into another merchant's row does not open */
    m2 = m;
    snprintf(m2.id, sizeof m2.id, "m_fedcba9876543210");
    CHECK(merchant_open_secret(out, &out_len, &m2, &v) == TG_ERR_CRYPTO);
    snprintf(m2.id, sizeof m2.id, "m_0123456789abcdeF");
    CHECK(merchant_open_secret(out, &out_len, &m2, &v) == TG_ERR_CRYPTO);
    snprintf(m2.id, sizeof m2.id, "m_0123456789abcde");
    CHECK(merchant_open_secret(out, &out_len, &m2, &v) == TG_ERR_CRYPTO);
    /* swapping the ciphertexts of two rows: neither opens */
    {
        merchant a = m, b;
        static const uint8_t secret_b[16] = "abcdefghijklmnop";
        memset(&b, 0, sizeof b);
        snprintf(b.id, sizeof b.id, "m_fedcba9876543210");
        CHECK(merchant_seal_secret(&b, &v, secret_b, sizeof secret_b) == TG_OK);
        CHECK(merchant_open_secret(out, &out_len, &b, &v) == TG_OK && out_len == 16 && memcmp(out, secret_b, 16) == 0);
        memcpy(a.secret_sealed, b.secret_sealed, b.secret_sealed_len);
        a.secret_sealed_len = b.secret_sealed_len;
        memcpy(b.secret_sealed, m.secret_sealed, m.secret_sealed_len);
        b.secret_sealed_len = m.secret_sealed_len;
        CHECK(merchant_open_secret(out, &out_len, &a, &v) == TG_ERR_CRYPTO);
        CHECK(merchant_open_secret(out, &out_len, &b, &v) == TG_ERR_CRYPTO);
    }
    /* another vault key, a flipped byte, a truncated ciphertext */
    CHECK(merchant_open_secret(out, &out_len, &m, &other_v) == TG_ERR_CRYPTO);
    m2 = m;
    m2.secret_sealed[m2.secret_sealed_len / 2] ^= 4;
    CHECK(merchant_open_secret(out, &out_len, &m2, &v) == TG_ERR_CRYPTO);
    m2 = m;
    m2.secret_sealed_len--;
    CHECK(merchant_open_secret(out, &out_len, &m2, &v) == TG_ERR_CRYPTO);
    m2.secret_sealed_len = 0;
    CHECK(merchant_open_secret(out, &out_len, &m2, &v) == TG_ERR_CRYPTO);
    /* sealed under another purpose with the same id: refused */
    {
        uint8_t sealed[MERCHANT_SEALED_MAX];
        size_t sealed_len = 0;
        CHECK(vault_seal(sealed, sizeof sealed, &sealed_len, &v, "signing-key", m.id, secret, sizeof secret) == TG_OK);
        m2 = m;
        memcpy(m2.secret_sealed, sealed, sealed_len);
        m2.secret_sealed_len = sealed_len;
        CHECK(merchant_open_secret(out, &out_len, &m2, &v) == TG_ERR_CRYPTO);
    }
    /* sizes: 64 bytes fit, 0 and 65 do not */
    {
        uint8_t big[MERCHANT_SECRET_MAX + 1];
        memset(big, 7, sizeof big);
        CHECK(merchant_seal_secret(&m2, &v, big, MERCHANT_SECRET_MAX) == TG_OK);
        CHECK(merchant_open_secret(out, &out_len, &m2, &v) == TG_OK && out_len == MERCHANT_SECRET_MAX);
        CHECK(merchant_seal_secret(&m2, &v, big, MERCHANT_SECRET_MAX + 1) == TG_ERR_INVALID_ARG);
        CHECK(merchant_seal_secret(&m2, &v, big, 0) == TG_ERR_INVALID_ARG);
    }
    tg_cleanse(out, sizeof out);
    vault_close(&v);
    for (size_t i = 0; i < sizeof v.key; i++)
        CHECK(v.key[i] == 0);
}

static int all_in(const char *s, size_t len, const char *alphabet)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\0' || strchr(alphabet, s[i]) == NULL)
            return 0;
    }
    return 1;
}

static void test_keys_and_ids(void)
{
    static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char k1[API_KEY_LEN + 1], k2[API_KEY_LEN + 1];
    char id1[MERCHANT_ID_MAX + 1], id2[MERCHANT_ID_MAX + 1];
    uint8_t h1[TG_SHA256_LEN], h2[TG_SHA256_LEN];

    memset(k1, 'z', sizeof k1);
    CHECK(merchant_new_api_key(k1) == TG_OK);
    CHECK(merchant_new_api_key(k2) == TG_OK);
    CHECK(API_KEY_LEN == 47);
    CHECK(strlen(k1) == 47 && strlen(k2) == 47);
    CHECK(strncmp(k1, "tgk_", 4) == 0 && strncmp(k2, "tgk_", 4) == 0);
    CHECK(all_in(k1 + 4, 43, b64url) && all_in(k2 + 4, 43, b64url));
    CHECK(strcmp(k1, k2) != 0);

    merchant_hash_api_key(h1, k1, strlen(k1));
    merchant_hash_api_key(h2, k1, strlen(k1));
    CHECK(memcmp(h1, h2, sizeof h1) == 0);
    merchant_hash_api_key(h2, k2, strlen(k2));
    CHECK(memcmp(h1, h2, sizeof h1) != 0);
    /* the hash is SHA-256 of the key text: SHA-256("abc") */
    merchant_hash_api_key(h1, "abc", 3);
    CHECK(h1[0] == 0xba && h1[1] == 0x78 && h1[31] == 0xad);

    memset(id1, 'z', sizeof id1);
    CHECK(merchant_new_id(id1) == TG_OK);
    CHECK(merchant_new_id(id2) == TG_OK);
    CHECK(strlen(id1) == 18 && strlen(id2) == 18);
    CHECK(id1[0] == 'm' && id1[1] == '_' && all_in(id1 + 2, 16, "0123456789abcdef"));
    CHECK(id2[0] == 'm' && id2[1] == '_' && all_in(id2 + 2, 16, "0123456789abcdef"));
    CHECK(strcmp(id1, id2) != 0);
}

void test_merchant(void);
void test_merchant(void)
{
    test_otpauth();
    test_labels();
    test_totp_params();
    test_csv();
    test_sealed_secret();
    test_keys_and_ids();
}
