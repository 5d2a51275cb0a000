/*
 * handler_session.h - the session endpoints.
 *
 * POST /api/v1/session/totp/generate: API key + TOTP in, signed session
 * token out.  On the loop thread: strict parse (login.h), merchant look-up
 * by the SHA-256 of the API key on the loop's read handle, TOTP check over
 * the whole window in constant time (an unknown key is checked against a
 * dummy secret, so it costs the same), then token signing.  The single-use
 * rule is decided by the writer: the login is committed with one
 * conditional update of the merchant's last accepted step, and only a
 * committed login answers 200.  Unknown key, wrong code and reused code
 * answer the same 401 bytes.
 *
 * GET (any method) /api/v1/session/verify: for gateways (nginx
 * auth_request).  Bearer token in, 200 with X-Merchant-Id and
 * X-Session-Expires, or 401 with WWW-Authenticate; empty bodies.  A token
 * seen before costs a hash look-up (tokcache.h), not an ECDSA verification;
 * revocation is checked on every call (revset.h).
 *
 * POST /api/v1/session/introspect: RFC 7662, for resource servers that
 * authenticate with the bearer secret of --introspect-token-file.
 *
 * POST /api/v1/session/logout: revokes the bearer token's session, durably,
 * before answering 200; an invalid or already revoked token also gets 200
 * (RFC 7009).
 */
#ifndef TG_HANDLER_SESSION_H
#define TG_HANDLER_SESSION_H

#include "server.h"

#define SESSION_GENERATE_PATH "/api/v1/session/totp/generate"
#define SESSION_VERIFY_PATH "/api/v1/session/verify"
#define SESSION_INTROSPECT_PATH "/api/v1/session/introspect"
#define SESSION_LOGOUT_PATH "/api/v1/session/logout"
#define SESSION_NBF_LEEWAY 60

/* At most this many refused-login log lines a second (0: no cap); call before serving. */
void handler_session_set_log_cap(unsigned refusals_per_second);

/* Each handler always answers, possibly later (after a commit). */
void handle_totp_generate(tg_loop *loop, h2o_req_t *req);
void handle_session_verify(tg_loop *loop, h2o_req_t *req);
void handle_session_introspect(tg_loop *loop, h2o_req_t *req);
void handle_session_logout(tg_loop *loop, h2o_req_t *req);

#endif
