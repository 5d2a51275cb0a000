/*
 * server.c - h2o event loops, listeners, routing, responses and shutdown;
 * see server.h.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "handler_keys.h"
#include "handler_session.h"
#include "jsonout.h"
#include "log.h"
#include "watcher.h"

#define MAX_ENTITY_BYTES (64 * 1024) /* h2o refuses larger bodies itself; handlers apply tighter limits */
#define DRAIN_TIMEOUT_MS 5000
#define LOOP_TICK_MS 100
#define TOKEN_CACHE_SLOTS 32768 /* per loop; about 3.5 MiB */
/* merchant cache entries of the whole server (about 250 bytes each, 32 MiB
 * in all once used), shared out among the loops, but never fewer than
 * MERCHANT_CACHE_MIN per loop */
#define MERCHANT_CACHE_ENTRIES 131072
#define MERCHANT_CACHE_MIN 4096
#define THROTTLE_CLIENTS 65536  /* client addresses remembered; about 5 MiB */

static atomic_int stopping;

typedef struct route {
    const char *path;
    const char *allow; /* methods, ", "-separated; NULL = any (gateway sub-requests keep the caller's method) */
    void (*handle)(tg_loop *loop, h2o_req_t *req);
} route;

static const route routes[] = {
    {SESSION_GENERATE_PATH, "POST", handle_totp_generate},
    {SESSION_VERIFY_PATH, NULL, handle_session_verify},
    {SESSION_INTROSPECT_PATH, "POST", handle_session_introspect},
    {SESSION_LOGOUT_PATH, "POST", handle_session_logout},
    {JWKS_PATH, "GET, HEAD", handle_jwks},
};

/* ---- responses ---- */

void server_send_body(h2o_req_t *req, const char *body, size_t len)
{
    static h2o_generator_t generator = {NULL, NULL};

    if (len != 0) {
        h2o_send_inline(req, body, len);
        return;
    }
    h2o_start_response(req, &generator);
    h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
}

void server_send_json(h2o_req_t *req, int status, const char *reason, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = reason;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    req->res.content_length = len;
    server_send_body(req, body, len);
}

void server_send_empty(h2o_req_t *req, int status, const char *reason)
{
    req->res.status = status;
    req->res.reason = reason;
    req->res.content_length = 0;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    server_send_body(req, NULL, 0);
}

/* The error body of every status with its default message, rendered once:
 * refusals are the commonest answer under a flood. */
static struct {
    char body[256];
    size_t len;
} default_error[TG_STATUS_COUNT];
static pthread_once_t default_error_once = PTHREAD_ONCE_INIT;

static void render_default_errors(void)
{
    for (int rc = 0; rc < TG_STATUS_COUNT; rc++) {
        const tg_status_info *info = tg_status_info_of((tg_status)rc);
        size_t pos = 0;
        if (jsonout_raw(default_error[rc].body, sizeof default_error[rc].body, &pos, "{\"ErrorCode\":") == TG_OK &&
            jsonout_string(default_error[rc].body, sizeof default_error[rc].body, &pos, info->error_code) == TG_OK &&
            jsonout_raw(default_error[rc].body, sizeof default_error[rc].body, &pos, ",\"Message\":") == TG_OK &&
            jsonout_string(default_error[rc].body, sizeof default_error[rc].body, &pos, info->message) == TG_OK &&
            jsonout_raw(default_error[rc].body, sizeof default_error[rc].body, &pos, "}") == TG_OK)
            default_error[rc].len = pos; /* else 0: rendered on every use */
    }
}

void server_send_error(h2o_req_t *req, tg_status rc, const char *message)
{
    const tg_status_info *info = tg_status_info_of(rc);
    char body[1024];
    size_t pos = 0;

    if (message == NULL) {
        pthread_once(&default_error_once, render_default_errors);
        if ((int)rc >= 0 && (int)rc < TG_STATUS_COUNT && default_error[rc].len != 0) {
            server_send_json(req, info->http_status, info->reason, default_error[rc].body, default_error[rc].len);
            return;
        }
        message = info->message;
    }
    if (jsonout_raw(body, sizeof body, &pos, "{\"ErrorCode\":") != TG_OK ||
        jsonout_string(body, sizeof body, &pos, info->error_code) != TG_OK ||
        jsonout_raw(body, sizeof body, &pos, ",\"Message\":") != TG_OK ||
        jsonout_string(body, sizeof body, &pos, message) != TG_OK || jsonout_raw(body, sizeof body, &pos, "}") != TG_OK) {
        /* a message too long for the buffer: fall back to the default one */
        pos = 0;
        jsonout_raw(body, sizeof body, &pos, "{\"ErrorCode\":");
        jsonout_string(body, sizeof body, &pos, info->error_code);
        jsonout_raw(body, sizeof body, &pos, ",\"Message\":");
        jsonout_string(body, sizeof body, &pos, info->message);
        jsonout_raw(body, sizeof body, &pos, "}");
    }
    server_send_json(req, info->http_status, info->reason, body, pos);
}

void server_client_addr(char out[NETADDR_TEXT_MAX], const tg_app *app, h2o_req_t *req)
{
    struct sockaddr_storage ss;
    char peer[NETADDR_TEXT_MAX] = "";
    socklen_t len;
    ssize_t i;

    out[0] = '\0';
    if (req->conn->callbacks->get_peername == NULL)
        return;
    len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (len == 0)
        return;
    if (ss.ss_family == AF_INET)
        netaddr_ipv4_text(peer, (const uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr.s_addr);
    else if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, peer, sizeof peer);
    i = h2o_find_header(&req->headers, H2O_TOKEN_X_FORWARDED_FOR, -1);
    if (i < 0)
        netaddr_client(out, &app->cfg->trusted_proxies, peer, NULL, 0);
    else
        netaddr_client(out, &app->cfg->trusted_proxies, peer, req->headers.entries[i].value.base,
                       req->headers.entries[i].value.len);
}

void server_send_retry_after(h2o_req_t *req, tg_status rc, int64_t seconds)
{
    char value[24];
    h2o_iovec_t v;

    snprintf(value, sizeof value, "%lld", (long long)(seconds < 1 ? 1 : seconds));
    v = h2o_strdup(&req->pool, value, strlen(value));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, v.base, v.len);
    server_send_error(req, rc, NULL);
}

/* ---- routing ---- */

static int method_allowed(const route *r, h2o_iovec_t method)
{
    const char *p = r->allow;

    if (p == NULL)
        return 1;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        if (h2o_memis(method.base, method.len, p, n))
            return 1;
        p += n;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    tg_loop *loop = (tg_loop *)req->conn->ctx;
    (void)self;


    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route *r = &routes[i];
        if (!h2o_memis(req->path_normalized.base, req->path_normalized.len, r->path, strlen(r->path)))
            continue;
        if (!method_allowed(r, req->method)) {
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, r->allow, strlen(r->allow));
            server_send_error(req, TG_ERR_METHOD_NOT_ALLOWED, NULL);
            return 0;
        }
        r->handle(loop, req);
        return 0;
    }
    server_send_error(req, TG_ERR_NOT_FOUND, NULL);
    return 0;
}

/* ---- loops ---- */

void server_post(tg_loop *loop, loop_message *msg)
{
    h2o_multithread_send_message(&loop->receiver, &msg->super);
}

static void on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        loop_message *msg = H2O_STRUCT_FROM_MEMBER(loop_message, super.link, messages->next);
        h2o_linklist_unlink(&msg->super.link);
        msg->cb(msg);
    }
}

static void on_connection_closed(void *data)
{
    tg_app *app = data;

    atomic_fetch_sub(&app->connections, 1);
}

static void on_refusal_written(h2o_socket_t *sock, const char *err)
{
    (void)err;
    h2o_socket_close(sock);
}

/* Past --max-connections: a short, complete HTTP answer, then close. */
static void refuse_connection(h2o_socket_t *sock)
{
    static const char refusal[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                  "Content-Type: application/json\r\n"
                                  "Retry-After: 1\r\n"
                                  "Connection: close\r\n"
                                  "Content-Length: 73\r\n"
                                  "\r\n"
                                  "{\"ErrorCode\":\"SERVER_BUSY\",\"Message\":\"too many connections; retry later\"}";
    h2o_iovec_t buf = h2o_iovec_init(refusal, sizeof refusal - 1);

    h2o_socket_write(sock, &buf, 1, on_refusal_written);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    tg_loop *loop = listener->data;
    tg_app *app = loop->app;
    h2o_socket_t *sock;

    if (err != NULL)
        return;
    if ((sock = h2o_evloop_socket_accept(listener)) == NULL)
        return;
    if (app->cfg->max_connections != 0 && atomic_load(&app->connections) >= app->cfg->max_connections) {
        refuse_connection(sock);
        return;
    }
    atomic_fetch_add(&app->connections, 1);
    sock->on_close.cb = on_connection_closed;
    sock->on_close.data = app;
    h2o_accept(&loop->accept_ctx, sock);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keeps some merchant's id (merchant_any: one row, where listing the
 * merchants sorted all of them: 1.2 s at start with 1M). */
static void remember_a_merchant(tg_loop *loop)
{
    merchant m;

    if (loop->reader->ops->merchant_any(loop->reader, &m) == TG_OK)
        memcpy(loop->known_merchant_id, m.id, sizeof loop->known_merchant_id);
    tg_cleanse(&m, sizeof m);
}

static tg_status loop_init(tg_loop *loop, tg_app *app, h2o_globalconf_t *config)
{
    tg_status rc;

    loop->app = app;
    if ((rc = tokcache_init(&loop->tokens, TOKEN_CACHE_SLOTS)) != TG_OK)
        return rc;
    if ((rc = mcache_init(&loop->merchants, loop->merchant_cache_entries)) != TG_OK)
        return rc;
    loop->merchant_generation = -1;
    if ((rc = store_open(&loop->reader, app->cfg->data_dir)) != TG_OK)
        return rc;
    if ((rc = tg_random_bytes(loop->absent_key_hash, sizeof loop->absent_key_hash)) != TG_OK)
        return rc;
    remember_a_merchant(loop);
    loop->reader->ops->read_snapshot(loop->reader, SERVER_SNAPSHOT_MS);
    h2o_context_init(&loop->ctx, h2o_evloop_create(), config);
    loop->accept_ctx.ctx = &loop->ctx;
    loop->accept_ctx.hosts = config->hosts;
    loop->queue = h2o_multithread_create_queue(loop->ctx.loop);
    h2o_multithread_register_receiver(loop->queue, &loop->receiver, on_messages);
    loop->listener = h2o_evloop_socket_create(loop->ctx.loop, loop->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    loop->listener->data = loop;
    h2o_socket_read_start(loop->listener, on_accept);
    return TG_OK;
}

/* One line per loop at exit: how well its caches served. */
static void log_loop_stats(const tg_loop *loop)
{
    char mh[24], mm[24], th[24], tm[24];

    snprintf(mh, sizeof mh, "%llu", (unsigned long long)loop->merchants.hits);
    snprintf(mm, sizeof mm, "%llu", (unsigned long long)loop->merchants.misses);
    snprintf(th, sizeof th, "%llu", (unsigned long long)loop->tokens.hits);
    snprintf(tm, sizeof tm, "%llu", (unsigned long long)loop->tokens.misses);
    log_event(LOG_INFO, "loop_stats", "merchant_cache_hits", mh, "merchant_cache_misses", mm, "token_cache_hits", th,
              "token_cache_misses", tm, NULL);
}

/* On the loop's own thread, like loop_init. */
static void loop_dispose(tg_loop *loop)
{
    if (loop->init_rc == TG_OK)
        log_loop_stats(loop);
    if (loop->queue != NULL && !loop->drained) {
        /* h2o cannot dispose a context with live connections (a client that
         * kept one open past the drain timeout): the process is exiting, so
         * leave it to the kernel */
        log_event(LOG_WARN, "connections_left_open", "hint", "clients kept connections open past the drain timeout",
                  NULL);
    } else if (loop->queue != NULL) {
        h2o_multithread_unregister_receiver(loop->queue, &loop->receiver);
        h2o_multithread_destroy_queue(loop->queue);
        h2o_context_dispose(&loop->ctx);
        h2o_evloop_destroy(loop->ctx.loop);
        loop->queue = NULL;
    }
    store_close(loop->reader);
    loop->reader = NULL;
    tokcache_dispose(&loop->tokens);
    mcache_dispose(&loop->merchants);
}

void server_defer_failure(tg_loop *loop, const char *merchant_id, int64_t at)
{
    static const char no_id[MERCHANT_ID_MAX + 1];
    server_failure *f = &loop->failure_scratch;

    if (merchant_id != NULL) {
        if (loop->nfailures == SERVER_FAILURES_MAX)
            server_flush_deferred(loop, 1);
        if (loop->nfailures == 0)
            loop->failures_since_ms = now_ms();
        f = &loop->failures[loop->nfailures++];
    }
    memcpy(f->merchant_id, merchant_id != NULL ? merchant_id : no_id, sizeof f->merchant_id);
    f->at = at;
}

static void free_job(writer_job *job)
{
    free(job);
}

/*
 * Hands queued failure counts to the writer, at most every
 * SERVER_FAILURE_FLUSH_MS (or at once when force is set).  Why deferred: a
 * wrong code must be answered exactly like an unknown key, and waking the
 * writer from the request, or the writer's work right after it, would make
 * wrong codes measurably slower; handed over in bulk, the writer's work
 * falls on whatever requests are in flight, of either kind.  Order is kept,
 * and the writer still decides every lock before any later login.
 */
void server_flush_deferred(tg_loop *loop, int force)
{
    writer_job *head = NULL, *tail = NULL;
    size_t lost = 0;

    if (loop->nfailures == 0 || (!force && now_ms() - loop->failures_since_ms < SERVER_FAILURE_FLUSH_MS))
        return;
    for (size_t i = 0; i < loop->nfailures; i++) {
        writer_job *job = calloc(1, sizeof *job);
        if (job == NULL) {
            lost++;
            continue;
        }
        job->write.kind = STORE_WRITE_LOGIN_FAILURE;
        memcpy(job->write.merchant_id, loop->failures[i].merchant_id, sizeof job->write.merchant_id);
        job->write.issued_at = loop->failures[i].at;
        job->write.lockout = loop->app->cfg->lockout;
        job->done = free_job;
        if (tail != NULL)
            tail->next = job;
        else
            head = job;
        tail = job;
    }
    loop->nfailures = 0;
    if (lost > 0)
        log_event(LOG_ERROR, "failure_count_lost", "hint", "out of memory: some failed codes were not counted", NULL);
    if (head != NULL)
        writer_submit_chain(loop->app->writer, head, tail);
}

int server_merchant_cache_ready(tg_loop *loop)
{
    int64_t now = now_ms(), generation;

    if (loop->generation_checked_ms != 0 && now - loop->generation_checked_ms <= SERVER_SNAPSHOT_MS)
        return loop->merchant_generation >= 0;
    loop->generation_checked_ms = now;
    if (loop->reader->ops->merchant_generation(loop->reader, &generation) != TG_OK) {
        mcache_clear(&loop->merchants);
        loop->merchant_generation = -1;
        return 0;
    }
    if (generation != loop->merchant_generation) {
        mcache_clear(&loop->merchants);
        loop->merchant_generation = generation;
    }
    return 1;
}

static int loop_idle(tg_loop *loop)
{
    return loop->inflight == 0 && h2o_linklist_is_empty(&loop->ctx.http1._conns);
}

static void *loop_main(void *arg)
{
    tg_loop *loop = arg;
    int64_t deadline = 0;

    /* every h2o object of a loop is made on its own thread: h2o keeps
     * per-thread memory recyclers, which must not be shared */
    loop->init_rc = loop_init(loop, loop->app, loop->config);
    pthread_barrier_wait(loop->ready);
    if (loop->init_rc != TG_OK) {
        loop->drained = 1;
        loop_dispose(loop);
        return NULL;
    }
    while (!atomic_load(&stopping)) {
        h2o_evloop_run(loop->ctx.loop, loop->nfailures != 0 ? SERVER_FAILURE_FLUSH_MS : LOOP_TICK_MS);
        server_flush_deferred(loop, 0);
        loop->reader->ops->read_release(loop->reader); /* never wait holding a snapshot */
        loop->generation_checked_ms = 0;                /* read it again in the next turn */
    }
    server_flush_deferred(loop, 1);
    /* stop accepting, ask connections to close once their answer is out,
     * and let answers that wait on the writer go out */
    h2o_socket_read_stop(loop->listener);
    h2o_socket_close(loop->listener);
    loop->listener = NULL;
    h2o_context_request_shutdown(&loop->ctx);
    /* h2o 2.2 leaves idle keep-alive connections open on shutdown: time
     * them out now (a connection whose answer is still pending is not on
     * this timer, so it gets its answer first) */
    loop->ctx.http1.req_timeout.timeout = 0;
    deadline = now_ms() + DRAIN_TIMEOUT_MS;
    while (!loop_idle(loop) && now_ms() < deadline)
        h2o_evloop_run(loop->ctx.loop, 10);
    h2o_evloop_run(loop->ctx.loop, 0); /* one more turn flushes the last responses */
    /* request_shutdown armed HTTP/2's graceful-shutdown timer; the context
     * cannot be disposed while it is linked */
    if (h2o_timeout_is_linked(&loop->ctx.http2._graceful_shutdown_timeout))
        h2o_timeout_unlink(&loop->ctx.http2._graceful_shutdown_timeout);
    loop->drained = loop_idle(loop);
    loop_dispose(loop);
    return NULL;
}

/* Opens a listening socket with SO_REUSEPORT on host:port. */
static tg_status listen_on(int *out_fd, const char *host, unsigned port, int probe)
{
    struct addrinfo hints, *res = NULL;
    char port_str[16];
    int fd = -1, on = 1;
    tg_status rc = TG_ERR_IO;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port_str, sizeof port_str, "%u", port);
    if (getaddrinfo(host, port_str, &hints, &res) != 0 || res == NULL) {
        log_event(LOG_ERROR, "listen_failed", "host", host, "error", "cannot resolve host", NULL);
        return TG_ERR_INVALID_ARG;
    }
    if (probe && port != 0) {
        /* SO_REUSEPORT would let us share a port that another server holds:
         * first make sure nobody is listening there */
        if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
            goto out;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
            bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
            log_event(LOG_ERROR, "listen_failed", "host", host, "port", port_str, "error", strerror(errno), NULL);
            goto out;
        }
        close(fd);
    }
    if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        goto out;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
        goto out;
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        log_event(LOG_ERROR, "listen_failed", "host", host, "port", port_str, "error", strerror(errno), NULL);
        goto out;
    }
    *out_fd = fd;
    fd = -1;
    rc = TG_OK;
out:
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return rc;
}

static unsigned bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static unsigned default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 256 ? (unsigned)n : 1;
}

/* Reads the resource servers' introspection secret (its SHA-256 is kept). */
static tg_status load_introspect_secret(tg_app *app, const char *path)
{
    char buf[512];
    size_t n;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        log_event(LOG_ERROR, "introspect_token_file_unreadable", "path", path, NULL);
        return TG_ERR_IO;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    if (n < 16) {
        log_event(LOG_ERROR, "introspect_token_too_short", "path", path, "hint", "use at least 16 characters",
                  NULL);
        tg_cleanse(buf, sizeof buf);
        return TG_ERR_INVALID_ARG;
    }
    /* it is presented as "Authorization: Bearer <secret>": only b64token characters can be (RFC 6750) */
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == '~' || c == '+' || c == '/' || c == '=')) {
            log_event(LOG_ERROR, "introspect_token_invalid", "path", path, "hint",
                      "use only letters, digits and -._~+/= (a bearer token cannot carry other characters)", NULL);
            tg_cleanse(buf, sizeof buf);
            return TG_ERR_INVALID_ARG;
        }
    }
    tg_sha256(app->introspect_token_hash, buf, n);
    tg_cleanse(buf, sizeof buf);
    app->introspect_enabled = 1;
    return TG_OK;
}

/* Everything the loops share: master key, signing keys, revocations, writer, watcher. */
static tg_status app_init(tg_app *app, watcher **watch, const server_config *cfg)
{
    store *writer_store = NULL, *watch_store = NULL;
    tg_status rc;

    memset(app, 0, sizeof *app);
    app->cfg = cfg;
    pthread_rwlock_init(&app->keyring_lock, NULL);
    if ((rc = data_dir_ensure(cfg->data_dir)) != TG_OK) {
        log_event(LOG_ERROR, "data_dir_failed", "path", cfg->data_dir, NULL);
        return rc;
    }
    if ((rc = vault_open(&app->vault, cfg->data_dir)) != TG_OK) {
        log_event(LOG_ERROR, "master_key_failed", "error", tg_status_str(rc), NULL);
        return rc;
    }
    if (cfg->introspect_token_file[0] != '\0' && (rc = load_introspect_secret(app, cfg->introspect_token_file)) != TG_OK)
        return rc;
    if ((rc = tg_random_bytes(app->dummy_secret, sizeof app->dummy_secret)) != TG_OK ||
        (rc = vault_seal(app->dummy_sealed, sizeof app->dummy_sealed, &app->dummy_sealed_len, &app->vault,
                         "merchant-secret", "m_unknown", app->dummy_secret, sizeof app->dummy_secret)) != TG_OK ||
        (rc = revset_create(&app->revoked)) != TG_OK ||
        (rc = throttle_create(&app->throttle, THROTTLE_CLIENTS, cfg->throttle_attempts, cfg->throttle_failures)) !=
            TG_OK)
        return rc;
    if ((app->keyring = calloc(1, sizeof *app->keyring)) == NULL)
        return TG_ERR_NOMEM;
    if ((rc = store_open(&writer_store, cfg->data_dir)) != TG_OK)
        return rc;
    if ((rc = keyring_load(app->keyring, writer_store, &app->vault, 1, clock_now())) != TG_OK) {
        log_event(LOG_ERROR, "signing_key_failed", "error", tg_status_str(rc), NULL);
        store_close(writer_store);
        return rc;
    }
    if ((rc = writer_start(&app->writer, writer_store)) != TG_OK)
        return rc;
    if ((rc = store_open(&watch_store, cfg->data_dir)) != TG_OK)
        return rc;
    return watcher_start(watch, app, watch_store);
}

static void app_dispose(tg_app *app, watcher *watch)
{
    watcher_stop(watch);
    /* the writer finishes what was queued before the loops' queues go away */
    writer_stop(app->writer);
    keyring_release(app->keyring);
    free(app->keyring);
    revset_free(app->revoked);
    throttle_free(app->throttle);
    pthread_rwlock_destroy(&app->keyring_lock);
    vault_close(&app->vault);
    tg_cleanse(app->dummy_secret, sizeof app->dummy_secret);
    tg_cleanse(app->introspect_token_hash, sizeof app->introspect_token_hash);
}

tg_status server_run(const server_config *cfg)
{
    tg_app app;
    watcher *watch = NULL;
    h2o_globalconf_t config;
    h2o_hostconf_t *hostconf;
    h2o_handler_t *handler;
    tg_loop *loops = NULL;
    unsigned nthreads = cfg->threads ? cfg->threads : default_threads(), started = 0, port = cfg->port;
    sigset_t sigs;
    int sig = 0, config_ready = 0, barrier_ready = 0;
    pthread_barrier_t ready;
    char port_str[16], threads_str[16], ttl_str[24];
    tg_status rc;

    atomic_store(&stopping, 0);
    /* signals: block in every thread, wait for them here */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (clock_test_offset() != 0) {
        char off[24];
        snprintf(off, sizeof off, "%lld", (long long)clock_test_offset());
        log_event(LOG_WARN, "test_clock_offset", "seconds", off, "hint",
                  "TOTPGATE_TEST_CLOCK_OFFSET is for tests only", NULL);
    }
    if ((rc = app_init(&app, &watch, cfg)) != TG_OK)
        goto out;

    h2o_config_init(&config);
    config_ready = 1;
    config.server_name = h2o_iovec_init(H2O_STRLIT("totpgate"));
    config.max_request_entity_size = MAX_ENTITY_BYTES;
    if (cfg->request_timeout_ms != 0)
        config.http1.req_timeout = cfg->request_timeout_ms;
    hostconf = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    handler = h2o_create_handler(h2o_config_register_path(hostconf, "/", 0), sizeof *handler);
    handler->on_req = on_req;

    if ((loops = calloc(nthreads, sizeof *loops)) == NULL) {
        rc = TG_ERR_NOMEM;
        goto out;
    }
    for (unsigned i = 0; i < nthreads; i++) {
        loops[i].listen_fd = -1;
        loops[i].merchant_cache_entries = MERCHANT_CACHE_ENTRIES / nthreads;
        if (loops[i].merchant_cache_entries < MERCHANT_CACHE_MIN)
            loops[i].merchant_cache_entries = MERCHANT_CACHE_MIN;
        if ((rc = listen_on(&loops[i].listen_fd, cfg->listen_host, port, i == 0)) != TG_OK)
            goto out;
        if (port == 0)
            port = bound_port(loops[i].listen_fd); /* the other loops join the same port */
    }
    pthread_barrier_init(&ready, NULL, nthreads + 1);
    barrier_ready = 1;
    for (started = 0; started < nthreads; started++) {
        loops[started].app = &app;
        loops[started].config = &config;
        loops[started].ready = &ready;
        if (pthread_create(&loops[started].thread, NULL, loop_main, &loops[started]) != 0) {
            log_event(LOG_ERROR, "thread_start_failed", NULL);
            abort(); /* the barrier counts on every thread */
        }
        loops[started].thread_started = 1;
    }
    pthread_barrier_wait(&ready);
    for (unsigned i = 0; i < nthreads; i++) {
        if ((rc = loops[i].init_rc) != TG_OK)
            goto out;
    }
    snprintf(port_str, sizeof port_str, "%u", port);
    snprintf(threads_str, sizeof threads_str, "%u", nthreads);
    snprintf(ttl_str, sizeof ttl_str, "%lld", (long long)cfg->expiry.ttl);
    log_event(LOG_INFO, "listening", "host", cfg->listen_host, "port", port_str, "threads", threads_str, "data",
              cfg->data_dir, "kid", keyring_active(app.keyring)->kid, "token_ttl", ttl_str, NULL);

    while (sigwait(&sigs, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
        ;
    log_event(LOG_INFO, "stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
    rc = TG_OK;
out:
    atomic_store(&stopping, 1);
    for (unsigned i = 0; i < started; i++)
        pthread_join(loops[i].thread, NULL);
    app_dispose(&app, watch);
    if (loops != NULL) {
        for (unsigned i = 0; i < nthreads; i++) {
            /* a loop that never made its listener socket still owns the fd */
            if (loops[i].listen_fd >= 0 && loops[i].listener == NULL && !loops[i].thread_started)
                close(loops[i].listen_fd);
        }
        free(loops);
    }
    if (config_ready)
        h2o_config_dispose(&config);
    if (barrier_ready)
        pthread_barrier_destroy(&ready);
    if (rc == TG_OK)
        log_event(LOG_INFO, "stopped", NULL);
    return rc;
}
