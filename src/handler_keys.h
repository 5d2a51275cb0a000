/*
 * handler_keys.h - GET /.well-known/jwks.json: the public keys that verify
 * session tokens (RFC 7517), for any standard JWT library.
 *
 * Lists the active key and every retired key that signed a token not yet
 * expired (keyring.h).  Cacheable: Cache-Control max-age and an ETag; a
 * matching If-None-Match answers 304.
 */
#ifndef TG_HANDLER_KEYS_H
#define TG_HANDLER_KEYS_H

#include "server.h"

#define JWKS_PATH "/.well-known/jwks.json"
#define JWKS_MAX_AGE "public, max-age=60"

void handle_jwks(tg_loop *loop, h2o_req_t *req);

#endif
