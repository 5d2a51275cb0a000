/*
 * base32.c - RFC 4648 section 6 base32 encoding and strict decoding.
 *
 * The input is usually a TOTP secret, so mapping between 5-bit values and
 * characters uses arithmetic masks rather than table look-ups or branches on
 * the value: the time taken depends on the length only (and, on bad input,
 * on where the first bad character is).
 */
#include "base32.h"

#include <string.h>

/* All-ones when lo <= c <= hi, else zero. */
static unsigned range_mask(unsigned c, unsigned lo, unsigned hi)
{
    return 0u - (unsigned)(c - lo <= hi - lo);
}

/* Character for a 5-bit value: 0..25 -> 'A'..'Z', 26..31 -> '2'..'7'. */
static char encode_char(unsigned v)
{
    unsigned digit = range_mask(v, 26, 31);
    return (char)('A' + v + (digit & (unsigned)('2' - 'A' - 26)));
}

/* 5-bit value of c, or -1 when c is not in the alphabet (either case). */
static int decode_char(unsigned char c)
{
    unsigned upper = range_mask(c, 'A', 'Z');
    unsigned lower = range_mask(c, 'a', 'z');
    unsigned digit = range_mask(c, '2', '7');
    unsigned v = (upper & (c - 'A')) | (lower & (c - 'a')) | (digit & (c - '2' + 26u));
    return (upper | lower | digit) ? (int)v : -1;
}

/* Characters of an unpadded final group holding 0..4 bytes. */
static const size_t tail_chars[5] = {0, 2, 4, 5, 7};

size_t base32_encoded_len(size_t n, int pad)
{
    if (pad)
        return (n / 5) * 8 + (n % 5 ? 8 : 0);
    return (n / 5) * 8 + tail_chars[n % 5];
}

void base32_encode(char *out, const uint8_t *in, size_t n, int pad)
{
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;

    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = encode_char((acc >> bits) & 31u);
        }
        acc &= (1u << bits) - 1u; /* keep only the bits not yet written */
    }
    if (bits > 0)
        out[o++] = encode_char((acc << (5 - bits)) & 31u);
    if (pad)
        while (o % 8 != 0)
            out[o++] = '=';
    out[o] = '\0';
}

tg_status base32_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in, size_t len)
{
    tg_status rc = TG_ERR_INVALID_ARG;
    size_t data_len = len, need, o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;

    if (out_len == NULL || (in == NULL && len > 0))
        goto out;
    *out_len = 0;

    while (data_len > 0 && in[data_len - 1] == '=')
        data_len--;
    if (data_len != len) {
        /* Padding may only complete the last group, never form a group of its own. */
        size_t pad_len = len - data_len;
        if (len % 8 != 0 || pad_len >= 8)
            goto out;
    }
    /* 1, 3 or 6 characters cannot end a group: they do not cover a whole byte
     * or they leave a whole unused character. */
    switch (data_len % 8) {
    case 1:
    case 3:
    case 6:
        goto out;
    default:
        break;
    }

    need = (data_len / 8) * 5 + (data_len % 8) * 5 / 8;
    if (need > out_cap || (out == NULL && need > 0))
        goto out;

    for (size_t i = 0; i < data_len; i++) {
        int v = decode_char((unsigned char)in[i]);
        if (v < 0)
            goto out;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1u;
        }
    }
    /* Unused low bits must be zero, so each byte string has one encoding. */
    if (acc != 0)
        goto out;

    *out_len = o;
    rc = TG_OK;
out:
    if (rc != TG_OK && o > 0)
        memset(out, 0, o); /* no half-decoded secret left behind */
    return rc;
}
