/*
 * handler_keys.c - the JWKS endpoint; see handler_keys.h.
 */
#include "handler_keys.h"

#include <string.h>

void handle_jwks(tg_loop *loop, h2o_req_t *req)
{
    tg_app *app = loop->app;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, -1);
    h2o_iovec_t body, etag;

    /* copy under the lock: the watcher may swap the keyring right after */
    pthread_rwlock_rdlock(&app->keyring_lock);
    body = h2o_strdup(&req->pool, app->keyring->jwks, app->keyring->jwks_len);
    etag = h2o_strdup(&req->pool, app->keyring->etag, strlen(app->keyring->etag));
    pthread_rwlock_unlock(&app->keyring_lock);

    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ETAG, NULL, etag.base, etag.len);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT(JWKS_MAX_AGE));
    if (i >= 0 && h2o_memis(req->headers.entries[i].value.base, req->headers.entries[i].value.len, etag.base,
                            etag.len)) {
        req->res.status = 304;
        req->res.reason = "Not Modified";
        h2o_send_inline(req, "", 0);
        return;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = body.len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/jwk-set+json"));
    h2o_send_inline(req, body.base, body.len);
}
