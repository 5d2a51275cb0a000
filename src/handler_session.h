/*
 * handler_session.h - POST /api/v1/session/totp/generate: API key + TOTP in,
 * signed session token out.
 *
 * Steps, on the loop thread: strict parse (login.h), merchant look-up by
 * the SHA-256 of the API key on the loop's read handle, TOTP check over the
 * whole window in constant time (an unknown key is checked against a dummy
 * secret, so it costs the same), then token signing.  The single-use rule is
 * decided by the writer: the login is committed with one conditional update
 * of the merchant's last accepted step, and only a committed login answers
 * 200.  Unknown key, wrong code and reused code answer the same 401 bytes.
 */
#ifndef TG_HANDLER_SESSION_H
#define TG_HANDLER_SESSION_H

#include "server.h"

#define SESSION_GENERATE_PATH "/api/v1/session/totp/generate"

/* Handles one request; always answers (possibly later, after the commit). */
void handle_totp_generate(tg_loop *loop, h2o_req_t *req);

#endif
