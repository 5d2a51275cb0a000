/*
 * base64url.c - RFC 4648 section 5 base64url without padding, strict decode.
 *
 * Used for JOSE (JWT header, payload and signature).  The decoder accepts
 * exactly one encoding of each byte string: no padding, no whitespace, no
 * characters of the standard alphabet ('+', '/'), and zero unused bits.
 * Characters are mapped with arithmetic masks rather than table look-ups, so
 * the time does not depend on the bytes encoded (tokens may carry key
 * material).
 */
#include "base64url.h"

#include <string.h>

/* All-ones when lo <= c <= hi, else zero. */
static unsigned range_mask(unsigned c, unsigned lo, unsigned hi)
{
    return 0u - (unsigned)(c - lo <= hi - lo);
}

/* 0..25 'A'-'Z', 26..51 'a'-'z', 52..61 '0'-'9', 62 '-', 63 '_'. */
static char encode_char(unsigned v)
{
    unsigned c = 'A' + v;
    c += range_mask(v, 26, 63) & (unsigned)('a' - 'A' - 26);
    c += range_mask(v, 52, 63) & (unsigned)('0' - 'a' - 26);
    c += range_mask(v, 62, 62) & (unsigned)('-' - '0' - 10);
    c += range_mask(v, 63, 63) & (unsigned)('_' - '0' - 11);
    return (char)c;
}

/* 6-bit value of c, or -1 when c is not in the base64url alphabet. */
static int decode_char(unsigned char c)
{
    unsigned upper = range_mask(c, 'A', 'Z');
    unsigned lower = range_mask(c, 'a', 'z');
    unsigned digit = range_mask(c, '0', '9');
    unsigned dash = range_mask(c, '-', '-');
    unsigned under = range_mask(c, '_', '_');
    unsigned v = (upper & (c - 'A')) | (lower & (c - 'a' + 26u)) | (digit & (c - '0' + 52u)) | (dash & 62u) |
                 (under & 63u);
    return (upper | lower | digit | dash | under) ? (int)v : -1;
}

size_t base64url_encoded_len(size_t n)
{
    static const size_t tail_chars[3] = {0, 2, 3};
    return (n / 3) * 4 + tail_chars[n % 3];
}

void base64url_encode(char *out, const uint8_t *in, size_t n)
{
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;

    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = encode_char((acc >> bits) & 63u);
        }
        acc &= (1u << bits) - 1u;
    }
    if (bits > 0)
        out[o++] = encode_char((acc << (6 - bits)) & 63u);
    out[o] = '\0';
}

size_t base64url_decoded_max(size_t len)
{
    static const size_t tail_bytes[4] = {0, 0, 1, 2}; /* a tail of 1 is invalid */
    return (len / 4) * 3 + tail_bytes[len % 4];
}

tg_status base64url_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in, size_t len)
{
    tg_status rc = TG_ERR_INVALID_ARG;
    size_t need, o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;

    if (out_len == NULL || (in == NULL && len > 0))
        goto out;
    *out_len = 0;
    if (len % 4 == 1) /* 6 bits cannot make a byte */
        goto out;
    need = base64url_decoded_max(len);
    if (need > out_cap || (out == NULL && need > 0))
        goto out;

    for (size_t i = 0; i < len; i++) {
        int v = decode_char((unsigned char)in[i]);
        if (v < 0)
            goto out;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1u;
        }
    }
    /* Non-zero unused bits would give a second encoding of the same bytes. */
    if (acc != 0)
        goto out;

    *out_len = o;
    rc = TG_OK;
out:
    if (rc != TG_OK && o > 0)
        memset(out, 0, o);
    return rc;
}
