/*
 * handler_keys.c - the JWKS endpoint; see handler_keys.h.
 */
#include "handler_keys.h"

#include <string.h>

/* RFC 7232 section 3.2: "*", or a list of entity tags, weak ones included
 * (If-None-Match uses the weak comparison). */
static int etag_matches(const char *list, size_t len, h2o_iovec_t etag)
{
    size_t i = 0;

    while (i < len) {
        size_t start, end;
        while (i < len && (list[i] == ' ' || list[i] == '\t' || list[i] == ','))
            i++;
        start = i;
        while (i < len && list[i] != ',')
            i++;
        end = i;
        while (end > start && (list[end - 1] == ' ' || list[end - 1] == '\t'))
            end--;
        if (end - start == 1 && list[start] == '*')
            return 1;
        if (end - start > 2 && list[start] == 'W' && list[start + 1] == '/')
            start += 2;
        if (h2o_memis(list + start, end - start, etag.base, etag.len))
            return 1;
    }
    return 0;
}

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
    if (i >= 0 && etag_matches(req->headers.entries[i].value.base, req->headers.entries[i].value.len, etag)) {
        req->res.status = 304;
        req->res.reason = "Not Modified";
        server_send_body(req, NULL, 0);
        return;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = body.len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/jwk-set+json"));
    server_send_body(req, body.base, body.len);
}
