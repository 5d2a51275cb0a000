/*
 * login.h - parsing and validating the body of
 * POST /api/v1/session/totp/generate: {"API_KEY": "...", "TOTP": "..."}.
 *
 * Pure: no I/O, no store, no clock; a fuzz target drives it directly.
 * The body must be strict RFC 8259 JSON (jansson, duplicates rejected): an
 * object with string members API_KEY and TOTP; other members are ignored.
 * TOTP must be 6 or 8 ASCII digits, nothing else: no spaces, signs,
 * full-width digits or NUL.  Input is never normalised.
 *
 * Thread safety: re-entrant.
 */
#ifndef TG_LOGIN_H
#define TG_LOGIN_H

#include <stddef.h>

#include "merchant.h"
#include "status.h"
#include "totp.h"

#define LOGIN_BODY_MAX 4096
#define LOGIN_MESSAGE_MAX 512

typedef struct login_request {
    char api_key[API_KEY_MAX + 1];
    size_t api_key_len;
    char totp[TOTP_MAX_DIGITS + 1];
    size_t totp_len;
} login_request;

/*
 * Parses body.  On failure returns TG_ERR_INVALID_JSON, TG_ERR_INVALID_REQUEST
 * or TG_ERR_INVALID_TOTP_FORMAT (or TG_ERR_PAYLOAD_TOO_LARGE over
 * LOGIN_BODY_MAX) and writes a message for the client into msg that names
 * the problem: the line and column of a JSON syntax error (with a hint for a
 * trailing comma), the duplicate, missing or mistyped member.  The message
 * never echoes the values sent.  The caller wipes *out after use.
 */
tg_status login_parse(login_request *out, const char *body, size_t len, char *msg, size_t msg_cap);

/*
 * The same as login_parse, always through jansson.  login_parse takes a
 * shorter road for the body every client sends (exactly the two members,
 * values without escapes) and gives the same result for every input: the
 * unit tests and fuzz_login compare the two.
 */
tg_status login_parse_json(login_request *out, const char *body, size_t len, char *msg, size_t msg_cap);

#endif
