/*
 * base32.h - RFC 4648 section 6 base32 (alphabet A-Z2-7).
 *
 * Pure functions: no allocation, no I/O.  Used for TOTP secrets in otpauth
 * URIs and CSV imports.
 */
#ifndef TG_BASE32_H
#define TG_BASE32_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Characters base32_encode() writes for n input bytes, without the NUL. */
size_t base32_encoded_len(size_t n, int pad);

/*
 * Encodes n bytes of in as upper-case base32 into out and NUL-terminates it.
 * out must hold base32_encoded_len(n, pad) + 1 bytes.  With pad, '=' fills
 * the last group to 8 characters as in RFC 4648; without, no '=' is written
 * (the form authenticator apps expect in otpauth URIs).
 */
void base32_encode(char *out, const uint8_t *in, size_t n, int pad);

/*
 * Decodes len characters of in into out (capacity out_cap).
 * Accepts upper or lower case letters, with or without trailing '=' padding
 * (if present, padding must complete the last 8-character group).  Rejects
 * any other character (spaces, '-', NUL, '0', '1', '8', '9'), impossible
 * lengths (1, 3 or 6 characters in the last group) and non-zero unused bits in
 * the last character.  Returns TG_ERR_INVALID_ARG on bad input, including an
 * out_cap too small.
 */
tg_status base32_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in, size_t len);

#endif
