/*
 * handler_session.c - the session endpoints; see handler_session.h.
 *
 * A request that needs a durable write (a login, a logout) becomes a
 * pending_write: a writer job plus what to send once the writer has
 * committed it.  The request may be gone by then (client hung up); a small
 * guard object in the request's pool tells the pending write so, and is told
 * in turn when the pending write is finished, whichever happens first.
 */
#include "handler_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "jsonout.h"
#include "hex.h"
#include "log.h"
#include "login.h"
#include "merchant.h"
#include "totp.h"

typedef struct request_guard request_guard;
typedef struct pending_write pending_write;

struct pending_write {
    writer_job job; /* first: the writer hands this pointer back */
    loop_message msg;
    tg_loop *loop;
    h2o_req_t *req;       /* NULL once the request is gone */
    request_guard *guard; /* NULL once the request is gone */
    void (*finish)(pending_write *p); /* on the loop thread, after the commit */
    char token[TOKEN_MAX_LEN];        /* login: the token to send */
    size_t token_len;
    uint8_t key_hash[TG_SHA256_LEN];  /* login: the merchant's API key hash */
};

struct request_guard {
    pending_write *pending;
};

static void on_request_disposed(void *arg)
{
    request_guard *guard = arg;

    if (guard->pending != NULL) {
        guard->pending->req = NULL;
        guard->pending->guard = NULL;
    }
}

/* On the loop thread: the writer has decided. */
static void on_committed(loop_message *msg)
{
    pending_write *p = H2O_STRUCT_FROM_MEMBER(pending_write, msg, msg);

    p->loop->inflight--;
    p->finish(p);
    if (p->guard != NULL)
        p->guard->pending = NULL;
    tg_cleanse(p->token, sizeof p->token);
    free(p);
}

/* On the writer thread: hand the job back to its loop. */
static void on_job_done(writer_job *job)
{
    pending_write *p = (pending_write *)job;

    server_post(p->loop, &p->msg);
}

static pending_write *pending_new(tg_loop *loop, h2o_req_t *req, void (*finish)(pending_write *))
{
    pending_write *p = calloc(1, sizeof *p);

    if (p == NULL)
        return NULL;
    p->job.done = on_job_done;
    p->msg.cb = on_committed;
    p->loop = loop;
    p->req = req;
    p->finish = finish;
    return p;
}

static void pending_submit(pending_write *p)
{
    request_guard *guard = h2o_mem_alloc_shared(&p->req->pool, sizeof *guard, on_request_disposed);

    guard->pending = p;
    p->guard = guard;
    p->loop->inflight++;
    server_flush_deferred(p->loop, 1); /* this loop's earlier failures are decided first */
    writer_submit(p->loop->app->writer, &p->job);
}

/* The media type of the request, any case, optionally followed by parameters. */
static int has_media_type(h2o_req_t *req, const char *want)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    const char *v;
    size_t len, n = strlen(want);

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

/* Refusals are capped per second (a flood must not become a log flood);
 * successes and logouts are always logged. */
static log_limiter refusal_log = LOG_LIMITER_INIT("login", 0);

void handler_session_set_log_cap(unsigned refusals_per_second)
{
    refusal_log.per_second = refusals_per_second;
}

static void log_session(const char *event, const char *outcome, const char *merchant_id, const char *client,
                        const char *jti)
{
    if (refusal_log.per_second != 0 && strcmp(outcome, "ok") != 0 && !log_limiter_admit(&refusal_log))
        return;
    log_event(LOG_INFO, event, "outcome", outcome, "merchant_id", merchant_id, "client", client, "jti", jti, NULL);
}

/* ---- login ---- */

static void login_finish(pending_write *p)
{
    const store_write *w = &p->job.write;
    const char *outcome = w->result == TG_OK             ? "ok"
                          : w->result == TG_ERR_REPLAY   ? "replay"
                          : w->result == TG_ERR_LOCKED   ? "locked"
                                                         : "store_unavailable";
    char body[TOKEN_MAX_LEN + 128];
    int n;

    log_session("login", outcome, w->merchant_id, w->client_addr, w->result == TG_OK ? w->jti : NULL);
    if (w->result == TG_OK && w->kind == STORE_WRITE_LOGIN)
        mcache_note_login(&p->loop->merchants, p->key_hash, w->step);
    if (p->req == NULL)
        return;
    if (w->result == TG_ERR_REPLAY || w->result == TG_ERR_LOCKED) {
        /* LOCKED here means the lock landed after this server read the
         * merchant: answer as to every other code in that moment, so the
         * answer never tells that the code was right */
        server_send_error(p->req, TG_ERR_INVALID_CREDENTIALS, NULL);
        return;
    }
    if (w->result != TG_OK) {
        server_send_error(p->req, TG_ERR_STORE_UNAVAILABLE, NULL);
        return;
    }
    n = snprintf(body, sizeof body, "{\"AccessToken\":\"%.*s\",\"TokenType\":\"Bearer\",\"ExpiresIn\":%lld}",
                 (int)p->token_len, p->token, (long long)(w->expires_at - w->issued_at));
    if (n < 0 || (size_t)n >= sizeof body)
        server_send_error(p->req, TG_ERR_INTERNAL, NULL);
    else
        server_send_json(p->req, 200, "OK", body, (size_t)n);
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
        /* the same work as a known merchant: unseal, then the whole window */
        (void)vault_unseal(secret, sizeof secret, &secret_len, &app->vault, MERCHANT_SECRET_PURPOSE, "m_unknown",
                           app->dummy_sealed, app->dummy_sealed_len);
        dummy.digits = (unsigned)lr->totp_len;
        (void)totp_verify(step, &dummy, secret, secret_len, lr->totp, lr->totp_len, now, app->cfg->skew);
        tg_cleanse(secret, sizeof secret);
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

/* Signs the session token of m into p and fills p's store write. */
static tg_status issue_token(pending_write *p, const tg_app *app, const merchant *m, int64_t step, int64_t now,
                             const char *client)
{
    store_write *w = &p->job.write;
    token_claims claims;
    tg_status rc;

    memset(&claims, 0, sizeof claims);
    snprintf(claims.iss, sizeof claims.iss, "%s", app->cfg->issuer);
    snprintf(claims.sub, sizeof claims.sub, "%s", m->id);
    claims.iat = claims.nbf = now;
    claims.exp = expiry_compute(&app->cfg->expiry, now);
    if ((rc = token_new_jti(claims.jti)) != TG_OK)
        return rc;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&app->keyring_lock);
    rc = token_sign(p->token, sizeof p->token, &p->token_len, keyring_active(app->keyring), &claims);
    memcpy(w->kid, keyring_active(app->keyring)->kid, sizeof w->kid);
    pthread_rwlock_unlock((pthread_rwlock_t *)&app->keyring_lock);
    if (rc != TG_OK)
        return rc;
    w->kind = STORE_WRITE_LOGIN;
    snprintf(w->merchant_id, sizeof w->merchant_id, "%s", m->id);
    w->step = step;
    memcpy(w->secret_sealed, m->secret_sealed, m->secret_sealed_len);
    w->secret_sealed_len = m->secret_sealed_len;
    memcpy(w->jti, claims.jti, sizeof claims.jti);
    w->issued_at = claims.iat;
    w->expires_at = claims.exp;
    snprintf(w->client_addr, sizeof w->client_addr, "%s", client);
    return TG_OK;
}

/* Counts a failed code of m (NULL: an unknown key, which counts nothing
 * but costs the same) without waiting for the commit: the 401 goes out at
 * once, so a wrong code and an unknown key cannot be told apart by their
 * timing (the count reaches the writer within SERVER_FAILURE_FLUSH_MS, see
 * server_defer_failure).  The count is exact all the same: the writer
 * applies failures and logins in order, in its transactions. */
static void count_failure(tg_loop *loop, const merchant *m, int64_t now)
{
    /* lockout off: nothing to count, and no store write for a refusal */
    if (loop->app->cfg->lockout.after == 0)
        return;
    server_defer_failure(loop, m != NULL ? m->id : NULL, now);
}

/*
 * Makes a known key and an unknown key cost the same store work: a found
 * row is followed by a look-up that misses, a miss by a look-up of a row
 * that exists (one this loop has seen), so every request does one hit and
 * one miss, and the time taken does not tell whether the key exists.
 */
static void balance_lookup(tg_loop *loop, const merchant *found)
{
    merchant other;

    if (found != NULL) {
        memcpy(loop->known_merchant_id, found->id, sizeof loop->known_merchant_id);
        (void)loop->reader->ops->merchant_find_by_key_hash(loop->reader, loop->absent_key_hash, &other);
    } else if (loop->known_merchant_id[0] != '\0') {
        (void)loop->reader->ops->merchant_get(loop->reader, loop->known_merchant_id, &other);
    }
    tg_cleanse(&other, sizeof other);
}

/*
 * The merchant with key_hash into *m: TG_OK, TG_ERR_NOT_FOUND, or
 * TG_ERR_STORE_UNAVAILABLE.  From the loop's cache when it holds the key
 * (found or not), else from the store with balance_lookup(), and the answer
 * cached: a repeated key, known or unknown, costs no store round trip, and
 * the first sight of a key costs the same store work either way.
 */
static tg_status find_merchant(tg_loop *loop, const uint8_t key_hash[TG_SHA256_LEN], merchant *m)
{
    int use_cache = server_merchant_cache_ready(loop), known;
    tg_status rc;

    if (use_cache && mcache_get(&loop->merchants, key_hash, m, &known))
        return known ? TG_OK : TG_ERR_NOT_FOUND;
    rc = loop->reader->ops->merchant_find_by_key_hash(loop->reader, key_hash, m);
    if (rc != TG_OK && rc != TG_ERR_NOT_FOUND) {
        log_event(LOG_ERROR, "merchant_lookup_failed", "error", tg_status_str(rc), NULL);
        return TG_ERR_STORE_UNAVAILABLE;
    }
    balance_lookup(loop, rc == TG_OK ? m : NULL);
    if (use_cache)
        mcache_put(&loop->merchants, key_hash, rc == TG_OK ? m : NULL);
    return rc;
}

static double monotonic_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void handle_totp_generate(tg_loop *loop, h2o_req_t *req)
{
    tg_app *app = loop->app;
    login_request lr;
    merchant m;
    const merchant *found = NULL;
    pending_write *p = NULL;
    uint8_t key_hash[TG_SHA256_LEN];
    char msg[LOGIN_MESSAGE_MAX], client[NETADDR_TEXT_MAX];
    throttle_client who;
    int have_who;
    int64_t now = clock_now(), step = -1, retry_after = 0;
    tg_status rc;

    memset(&lr, 0, sizeof lr);
    memset(&m, 0, sizeof m);
    server_client_addr(client, app, req);
    have_who = throttle_client_of(&who, client) == 0;
    if (have_who && !throttle_admit(app->throttle, &who, monotonic_seconds(), &retry_after)) {
        log_session("login", "throttled", NULL, client, NULL);
        server_send_retry_after(req, TG_ERR_THROTTLED, retry_after);
        return;
    }
    if (!has_media_type(req, "application/json")) {
        server_send_error(req, TG_ERR_UNSUPPORTED_MEDIA, NULL);
        return;
    }
    if ((rc = login_parse(&lr, req->entity.base, req->entity.len, msg, sizeof msg)) != TG_OK) {
        server_send_error(req, rc, msg);
        return;
    }

    merchant_hash_api_key(key_hash, lr.api_key, lr.api_key_len);
    if ((rc = find_merchant(loop, key_hash, &m)) == TG_OK)
        found = &m;
    else if (rc != TG_ERR_NOT_FOUND)
        goto out;
    if (found != NULL && lockout_is_locked(&app->cfg->lockout, m.locked_until, m.locked_forever, now, &retry_after)) {
        /* the code is not even looked at: right and wrong get the same answer */
        log_session("login", "locked", m.id, client, NULL);
        server_send_retry_after(req, TG_ERR_LOCKED, retry_after);
        goto out;
    }
    if ((rc = check_code(&step, app, found, &lr, now)) != TG_OK) {
        log_session("login", found ? "invalid_code" : "unknown_key", found ? m.id : NULL, client, NULL);
        if (have_who)
            throttle_failed(app->throttle, &who, monotonic_seconds());
        if (rc == TG_ERR_INVALID_CREDENTIALS)
            count_failure(loop, found, now);
        goto out;
    }
    if (!m.enabled) {
        log_session("login", "merchant_disabled", m.id, client, NULL);
        rc = TG_ERR_MERCHANT_DISABLED;
        goto out;
    }
    if (step <= m.last_step) {
        /* seen already: refuse without a write; the writer's conditional
         * update is what decides when two requests race */
        log_session("login", "replay", m.id, client, NULL);
        rc = TG_ERR_REPLAY;
        goto out;
    }
    if ((p = pending_new(loop, req, login_finish)) == NULL) {
        rc = TG_ERR_NOMEM;
        goto out;
    }
    if ((rc = issue_token(p, app, &m, step, now, client)) != TG_OK)
        goto out;
    memcpy(p->key_hash, key_hash, sizeof p->key_hash);
    user_agent(p->job.write.user_agent, sizeof p->job.write.user_agent, req);
    pending_submit(p);
    p = NULL;
out:
    if (p != NULL) {
        tg_cleanse(p->token, sizeof p->token);
        free(p);
    }
    tg_cleanse(&lr, sizeof lr);
    tg_cleanse(&m, sizeof m);
    if (rc != TG_OK)
        server_send_error(req, rc, NULL);
}

/* ---- token checks ---- */

/* The characters of RFC 6750's b64token (RFC 7235 token68). */
static const unsigned char token68[256] = {
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1, ['+'] = 1, ['/'] = 1, ['='] = 1,
};

/*
 * The credentials of an "Authorization: Bearer <credentials>" header
 * (RFC 6750 section 2.1).  Returns -1 without the header, 0 when it is not a
 * well-formed bearer header, 1 with *cred and *len set.
 */
static int bearer_credentials(h2o_req_t *req, const char **cred, size_t *len)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    const char *v;
    size_t n;

    if (i < 0)
        return -1;
    v = req->headers.entries[i].value.base;
    n = req->headers.entries[i].value.len;
    if (n < 7 || strncasecmp(v, "Bearer ", 7) != 0)
        return 0;
    v += 7, n -= 7;
    while (n > 0 && *v == ' ')
        v++, n--;
    while (n > 0 && v[n - 1] == ' ')
        n--;
    if (n == 0)
        return 0;
    for (size_t k = 0; k < n; k++) {
        if (!token68[(unsigned char)v[k]])
            return 0;
    }
    *cred = v;
    *len = n;
    return 1;
}

/*
 * Whether token is a live session token of ours: signature (or a cached
 * verification), exp, nbf, iss, then revocation.  Fills *claims on TG_OK.
 */
static tg_status check_token(tg_loop *loop, const char *token, size_t len, int64_t now, token_claims *claims)
{
    tg_app *app = loop->app;
    uint8_t key[TG_SHA256_LEN];
    tg_status rc;

    if (len == 0 || len > TOKEN_MAX_LEN)
        return TG_ERR_TOKEN_INVALID;
    tg_sha256(key, token, len);
    if (tokcache_get(&loop->tokens, key, now, SESSION_NBF_LEEWAY, claims)) {
        memcpy(claims->iss, app->cfg->issuer, sizeof claims->iss); /* both TOKEN_ISS_MAX + 1 bytes */
    } else {
        pthread_rwlock_rdlock(&app->keyring_lock);
        rc = token_verify(claims, token, len, app->keyring->keys, app->keyring->count, now, SESSION_NBF_LEEWAY,
                          app->cfg->issuer);
        pthread_rwlock_unlock(&app->keyring_lock);
        if (rc != TG_OK)
            return rc;
        tokcache_put(&loop->tokens, key, claims);
    }
    if (revset_contains(app->revoked, claims->jti)) {
        tokcache_drop(&loop->tokens, key);
        return TG_ERR_TOKEN_INVALID;
    }
    return TG_OK;
}

static void send_unauthorized(h2o_req_t *req, const char *challenge)
{
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, challenge, strlen(challenge));
    server_send_empty(req, 401, "Unauthorized");
}

/* Adds a response header whose value is copied into the request's pool. */
static void add_header(h2o_req_t *req, const char *name, const char *value)
{
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));

    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, v.base, v.len);
}

/* v >= 0 in decimal, without snprintf's format parsing on the verify path. */
static void decimal(char out[24], int64_t v)
{
    char tmp[24];
    size_t n = 0, i = 0;
    uint64_t u = v < 0 ? 0 : (uint64_t)v;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    while (n > 0)
        out[i++] = tmp[--n];
    out[i] = '\0';
}

void handle_session_verify(tg_loop *loop, h2o_req_t *req)
{
    const char *token = NULL;
    size_t len = 0;
    token_claims claims;
    char exp[24];
    int found = bearer_credentials(req, &token, &len);

    if (found < 0) {
        send_unauthorized(req, "Bearer");
        return;
    }
    if (found == 0 || check_token(loop, token, len, clock_now(), &claims) != TG_OK) {
        send_unauthorized(req, "Bearer error=\"invalid_token\"");
        return;
    }
    decimal(exp, claims.exp);
    add_header(req, "x-merchant-id", claims.sub);
    add_header(req, "x-session-expires", exp);
    server_send_empty(req, 200, "OK");
}

/* ---- introspection (RFC 7662) ---- */


/*
 * Finds parameter name in an application/x-www-form-urlencoded body and
 * decodes its value into out (capacity cap).  Returns 1 when found, 0 when
 * absent, -1 when malformed or too long.
 */
static int form_param(char *out, size_t cap, size_t *out_len, const char *body, size_t len, const char *name)
{
    size_t name_len = strlen(name), i = 0;

    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end - i > name_len && memcmp(body + i, name, name_len) == 0 && body[i + name_len] == '=') {
            size_t n = 0;
            for (size_t k = i + name_len + 1; k < end; k++) {
                char c = body[k];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%') {
                    int hi, lo;
                    if (k + 2 >= end)
                        return -1;
                    if ((hi = hex_value(body[k + 1])) < 0 || (lo = hex_value(body[k + 2])) < 0)
                        return -1;
                    c = (char)(hi << 4 | lo);
                    k += 2;
                }
                if (n + 1 >= cap)
                    return -1;
                out[n++] = c;
            }
            out[n] = '\0';
            *out_len = n;
            return 1;
        }
        i = end + 1;
    }
    return 0;
}

/* Whether the caller presented the resource servers' bearer secret. */
static int introspect_caller_ok(const tg_app *app, h2o_req_t *req)
{
    const char *cred;
    size_t len;
    uint8_t digest[TG_SHA256_LEN];

    if (!app->introspect_enabled || bearer_credentials(req, &cred, &len) != 1)
        return 0;
    tg_sha256(digest, cred, len);
    return tg_memeq(digest, app->introspect_token_hash, sizeof digest);
}

void handle_session_introspect(tg_loop *loop, h2o_req_t *req)
{
    char token[TOKEN_MAX_LEN + 1], body[TOKEN_ISS_MAX + TOKEN_SUB_MAX + 256];
    size_t token_len = 0, pos = 0;
    token_claims claims;
    int found;

    if (!introspect_caller_ok(loop->app, req)) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, H2O_STRLIT("Bearer"));
        server_send_error(req, TG_ERR_UNAUTHORIZED, NULL);
        return;
    }
    if (!has_media_type(req, "application/x-www-form-urlencoded")) {
        server_send_error(req, TG_ERR_UNSUPPORTED_MEDIA, "Content-Type must be application/x-www-form-urlencoded");
        return;
    }
    found = form_param(token, sizeof token, &token_len, req->entity.base, req->entity.len, "token");
    if (found == 0) {
        server_send_error(req, TG_ERR_INVALID_REQUEST, "missing form parameter \"token\"");
        return;
    }
    if (found < 0 || check_token(loop, token, token_len, clock_now(), &claims) != TG_OK) {
        server_send_json(req, 200, "OK", "{\"active\":false}", 16);
        return;
    }
    if (jsonout_raw(body, sizeof body, &pos, "{\"active\":true,\"sub\":") != TG_OK ||
        jsonout_string(body, sizeof body, &pos, claims.sub) != TG_OK ||
        jsonout_raw(body, sizeof body, &pos, ",\"iss\":") != TG_OK ||
        jsonout_string(body, sizeof body, &pos, claims.iss) != TG_OK) {
        server_send_error(req, TG_ERR_INTERNAL, NULL);
        return;
    }
    pos += (size_t)snprintf(body + pos, sizeof body - pos,
                            ",\"exp\":%lld,\"iat\":%lld,\"nbf\":%lld,\"jti\":\"%s\",\"token_type\":\"Bearer\"}",
                            (long long)claims.exp, (long long)claims.iat, (long long)claims.nbf, claims.jti);
    server_send_json(req, 200, "OK", body, pos < sizeof body ? pos : sizeof body - 1);
}

/* ---- logout ---- */

static void logout_finish(pending_write *p)
{
    const store_write *w = &p->job.write;

    if (w->result == TG_OK)
        revset_add(p->loop->app->revoked, w->jti, w->expires_at);
    log_session("logout", w->result == TG_OK ? "ok" : "store_unavailable", w->merchant_id, w->client_addr, w->jti);
    if (p->req == NULL)
        return;
    if (w->result == TG_OK)
        server_send_json(p->req, 200, "OK", "{}", 2);
    else
        server_send_error(p->req, TG_ERR_STORE_UNAVAILABLE, "the logout could not be recorded; retry later");
}

void handle_session_logout(tg_loop *loop, h2o_req_t *req)
{
    const char *token;
    size_t len;
    token_claims claims;
    pending_write *p;
    store_write *w;

    /* RFC 7009 section 2.2: an invalid or already revoked token is not an error */
    if (bearer_credentials(req, &token, &len) != 1 || check_token(loop, token, len, clock_now(), &claims) != TG_OK) {
        server_send_json(req, 200, "OK", "{}", 2);
        return;
    }
    if ((p = pending_new(loop, req, logout_finish)) == NULL) {
        server_send_error(req, TG_ERR_NOMEM, NULL);
        return;
    }
    w = &p->job.write;
    w->kind = STORE_WRITE_REVOKE_SESSION;
    if (strlen(claims.sub) >= sizeof w->merchant_id) {
        /* not one of our merchant ids: nothing of ours to revoke */
        free(p);
        server_send_json(req, 200, "OK", "{}", 2);
        return;
    }
    memcpy(w->merchant_id, claims.sub, strlen(claims.sub) + 1);
    memcpy(w->jti, claims.jti, sizeof w->jti);
    w->expires_at = claims.exp;
    w->revoked_at = clock_now();
    {
        char client[NETADDR_TEXT_MAX];
        server_client_addr(client, loop->app, req);
        memcpy(w->client_addr, client, sizeof client);
    }
    pending_submit(p);
}
