/*
 * handler_session.c - the login endpoint; see handler_session.h.
 *
 * A login that passes the checks becomes a pending_login: a writer job plus
 * the signed token that will be sent once the writer has committed it.
 * The request may be gone by then (client hung up); a small guard object in
 * the request's pool tells the pending login so, and is told in turn when
 * the pending login is finished, whichever happens first.
 */
#include "handler_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "jsonout.h"
#include "log.h"
#include "login.h"
#include "merchant.h"
#include "totp.h"

typedef struct request_guard request_guard;

typedef struct pending_login {
    writer_job job; /* first: the writer hands this pointer back */
    loop_message msg;
    tg_loop *loop;
    h2o_req_t *req;       /* NULL once the request is gone */
    request_guard *guard; /* NULL once the request is gone */
    char token[TOKEN_MAX_LEN];
    size_t token_len;
} pending_login;

struct request_guard {
    pending_login *pending;
};

static void on_request_disposed(void *p)
{
    request_guard *guard = p;

    if (guard->pending != NULL) {
        guard->pending->req = NULL;
        guard->pending->guard = NULL;
    }
}

/* "application/json", any case, optionally followed by parameters. */
static int is_json_media_type(h2o_req_t *req)
{
    static const char want[] = "application/json";
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    const char *v;
    size_t len, n = sizeof want - 1;

    if (i < 0)
        return 0;
    v = req->headers.entries[i].value.base;
    len = req->headers.entries[i].value.len;
    while (len > 0 && (*v == ' ' || *v == '\t'))
        v++, len--;
    if (len < n || strncasecmp(v, want, n) != 0)
        return 0;
    v += n, len -= n;
    while (len > 0 && (*v == ' ' || *v == '\t'))
        v++, len--;
    return len == 0 || *v == ';';
}

static void user_agent(char *out, size_t cap, h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_USER_AGENT, -1);
    size_t len = 0;

    if (i >= 0) {
        len = req->headers.entries[i].value.len;
        if (len > cap - 1)
            len = cap - 1;
        memcpy(out, req->headers.entries[i].value.base, len);
        for (size_t k = 0; k < len; k++) {
            if ((unsigned char)out[k] < 0x20 || out[k] == 0x7f)
                out[k] = '?';
        }
    }
    out[len] = '\0';
}

static void log_login(const char *outcome, const char *merchant_id, const char *client, const char *jti)
{
    log_event(LOG_INFO, "login", "outcome", outcome, "merchant_id", merchant_id, "client", client, "jti", jti,
              NULL);
}

static void send_success(h2o_req_t *req, const pending_login *p, int64_t expires_in)
{
    char body[TOKEN_MAX_LEN + 128];
    int n = snprintf(body, sizeof body, "{\"AccessToken\":\"%.*s\",\"TokenType\":\"Bearer\",\"ExpiresIn\":%lld}",
                     (int)p->token_len, p->token, (long long)expires_in);

    if (n < 0 || (size_t)n >= sizeof body) {
        server_send_error(req, TG_ERR_INTERNAL, NULL);
        return;
    }
    server_send_json(req, 200, "OK", body, (size_t)n);
}

/* On the loop thread: the writer has decided this login. */
static void on_committed(loop_message *msg)
{
    pending_login *p = H2O_STRUCT_FROM_MEMBER(pending_login, msg, msg);
    const store_login *l = &p->job.login;
    const char *outcome = l->result == TG_OK               ? "ok"
                          : l->result == TG_ERR_REPLAY     ? "replay"
                                                           : "store_unavailable";

    p->loop->inflight--;
    log_login(outcome, l->merchant_id, l->client_addr, l->result == TG_OK ? l->jti : NULL);
    if (p->req != NULL) {
        if (l->result == TG_OK)
            send_success(p->req, p, l->expires_at - l->issued_at);
        else if (l->result == TG_ERR_REPLAY)
            server_send_error(p->req, TG_ERR_INVALID_CREDENTIALS, NULL);
        else
            server_send_error(p->req, TG_ERR_STORE_UNAVAILABLE, NULL);
    }
    if (p->guard != NULL)
        p->guard->pending = NULL;
    tg_cleanse(p->token, sizeof p->token);
    free(p);
}

/* On the writer thread: hand the job back to its loop. */
static void on_job_done(writer_job *job)
{
    pending_login *p = (pending_login *)job;

    server_post(p->loop, &p->msg);
}

/*
 * Checks the code against the merchant's secret, or against the dummy
 * secret when there is no merchant, doing the same work either way.
 */
static tg_status check_code(int64_t *step, const tg_app *app, const merchant *m, const login_request *lr,
                            int64_t now)
{
    uint8_t secret[MERCHANT_SECRET_MAX];
    size_t secret_len = 0;
    totp_params dummy = {TG_HASH_SHA1, 6, 30};
    tg_status rc;

    if (m == NULL) {
        dummy.digits = (unsigned)lr->totp_len;
        (void)totp_verify(step, &dummy, app->dummy_secret, sizeof app->dummy_secret, lr->totp, lr->totp_len, now,
                          app->cfg->skew);
        return TG_ERR_INVALID_CREDENTIALS;
    }
    if ((rc = merchant_open_secret(secret, &secret_len, m, &app->vault)) != TG_OK) {
        log_event(LOG_ERROR, "merchant_secret_unseal_failed", "merchant_id", m->id, NULL);
        return TG_ERR_INTERNAL;
    }
    rc = totp_verify(step, &m->totp, secret, secret_len, lr->totp, lr->totp_len, now, app->cfg->skew);
    tg_cleanse(secret, sizeof secret);
    return rc == TG_OK ? TG_OK : TG_ERR_INVALID_CREDENTIALS;
}

void handle_totp_generate(tg_loop *loop, h2o_req_t *req)
{
    tg_app *app = loop->app;
    login_request lr;
    merchant m;
    const merchant *found = NULL;
    pending_login *p = NULL;
    request_guard *guard;
    token_claims claims;
    uint8_t key_hash[TG_SHA256_LEN];
    char msg[LOGIN_MESSAGE_MAX], client[STORE_CLIENT_ADDR_MAX + 1];
    int64_t now = clock_now(), step = -1;
    tg_status rc;

    memset(&lr, 0, sizeof lr);
    memset(&m, 0, sizeof m);
    server_client_addr(client, sizeof client, req);
    if (!is_json_media_type(req)) {
        server_send_error(req, TG_ERR_UNSUPPORTED_MEDIA, NULL);
        return;
    }
    if ((rc = login_parse(&lr, req->entity.base, req->entity.len, msg, sizeof msg)) != TG_OK) {
        server_send_error(req, rc, msg);
        return;
    }

    merchant_hash_api_key(key_hash, lr.api_key, lr.api_key_len);
    rc = loop->reader->ops->merchant_find_by_key_hash(loop->reader, key_hash, &m);
    if (rc == TG_OK)
        found = &m;
    else if (rc != TG_ERR_NOT_FOUND) {
        log_event(LOG_ERROR, "merchant_lookup_failed", "error", tg_status_str(rc), NULL);
        rc = TG_ERR_STORE_UNAVAILABLE;
        goto fail;
    }
    if ((rc = check_code(&step, app, found, &lr, now)) != TG_OK) {
        log_login(found ? "invalid_code" : "unknown_key", found ? m.id : NULL, client, NULL);
        goto fail;
    }
    if (!m.enabled) {
        log_login("merchant_disabled", m.id, client, NULL);
        rc = TG_ERR_MERCHANT_DISABLED;
        goto fail;
    }
    if (step <= m.last_step) {
        /* seen already: refuse without a write; the writer's conditional
         * update is what decides when two requests race */
        log_login("replay", m.id, client, NULL);
        rc = TG_ERR_REPLAY;
        goto fail;
    }

    if ((p = calloc(1, sizeof *p)) == NULL) {
        rc = TG_ERR_NOMEM;
        goto fail;
    }
    memset(&claims, 0, sizeof claims);
    snprintf(claims.iss, sizeof claims.iss, "%s", app->cfg->issuer);
    snprintf(claims.sub, sizeof claims.sub, "%s", m.id);
    claims.iat = claims.nbf = now;
    claims.exp = now + app->cfg->token_ttl;
    if ((rc = token_new_jti(claims.jti)) != TG_OK ||
        (rc = token_sign(p->token, sizeof p->token, &p->token_len, &app->keyring.active, &claims)) != TG_OK)
        goto fail;

    snprintf(p->job.login.merchant_id, sizeof p->job.login.merchant_id, "%s", m.id);
    p->job.login.step = step;
    memcpy(p->job.login.jti, claims.jti, sizeof claims.jti);
    memcpy(p->job.login.kid, app->keyring.active.kid, sizeof p->job.login.kid);
    p->job.login.issued_at = claims.iat;
    p->job.login.expires_at = claims.exp;
    memcpy(p->job.login.client_addr, client, sizeof client);
    user_agent(p->job.login.user_agent, sizeof p->job.login.user_agent, req);
    p->job.done = on_job_done;
    p->msg.cb = on_committed;
    p->loop = loop;
    p->req = req;
    guard = h2o_mem_alloc_shared(&req->pool, sizeof *guard, on_request_disposed);
    guard->pending = p;
    p->guard = guard;
    loop->inflight++;
    writer_submit(app->writer, &p->job);
    p = NULL;
    rc = TG_OK;
fail:
    if (p != NULL) {
        tg_cleanse(p->token, sizeof p->token);
        free(p);
    }
    tg_cleanse(&lr, sizeof lr);
    tg_cleanse(&m, sizeof m);
    if (rc != TG_OK)
        server_send_error(req, rc, NULL);
}
