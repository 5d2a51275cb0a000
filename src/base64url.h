/*
 * base64url.h - RFC 4648 section 5 base64url without padding, as JOSE uses it.
 *
 * Pure functions: no allocation, no I/O.
 */
#ifndef TG_BASE64URL_H
#define TG_BASE64URL_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Characters written for n input bytes, without NUL: ceil(4n/3) (there is no padding). */
size_t base64url_encoded_len(size_t n);

/* Encodes n bytes into out and NUL-terminates; out holds base64url_encoded_len(n) + 1. */
void base64url_encode(char *out, const uint8_t *in, size_t n);

/* Largest decoded size of len characters. */
size_t base64url_decoded_max(size_t len);

/*
 * Strict decode: alphabet A-Z a-z 0-9 - _ only, no '=' and no whitespace,
 * a length mod 4 of 1 is refused, and unused low bits of the last character
 * must be zero (so every byte string has exactly one accepted encoding).
 * Returns TG_ERR_INVALID_ARG on bad input or when out_cap is too small.
 */
tg_status base64url_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in, size_t len);

#endif
