/*
 * server.h - the HTTP server: h2o event loops, routing and responses.
 *
 * One h2o event loop per thread, each with its own SO_REUSEPORT listener
 * and its own read-only store handle.  Store writes go to the single writer
 * thread (writer.h); its completions come back to the loop that asked
 * through h2o's multithread queue, so that every h2o object is touched
 * only by its own loop thread.
 *
 * Handlers (handler_*.c) are plain functions that receive their loop and the
 * request, and answer with server_send_json() / server_send_error(), the one
 * place where a tg_status becomes an HTTP response.
 */
#ifndef TG_SERVER_H
#define TG_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <h2o.h>

#include "expiry.h"
#include "keyring.h"
#include "lockout.h"
#include "mcache.h"
#include "netaddr.h"
#include "revset.h"
#include "throttle.h"
#include "status.h"
#include "store.h"
#include "tokcache.h"
#include "token.h"
#include "vault.h"
#include "writer.h"

#define SERVER_DATA_DIR_MAX 1024

typedef struct server_config {
    char listen_host[256];
    unsigned port;             /* 0 picks a free port (logged at start) */
    char data_dir[SERVER_DATA_DIR_MAX];
    unsigned threads;          /* event loops; 0 = number of cores */
    unsigned skew;             /* accepted TOTP steps either side of now, 0..2 */
    expiry_policy expiry;      /* token lifetime and optional daily cut-off */
    char issuer[TOKEN_ISS_MAX + 1];
    char introspect_token_file[SERVER_DATA_DIR_MAX]; /* "" = introspection refused */
    int64_t session_retention; /* seconds an expired session row is kept before purging */
    lockout_policy lockout;
    throttle_rate throttle_attempts; /* per client address, every login attempt */
    throttle_rate throttle_failures; /* per client address, failed login attempts */
    netaddr_proxies trusted_proxies; /* whose X-Forwarded-For is believed */
    unsigned max_connections;        /* past it, new connections get a 503 and are closed */
    uint64_t request_timeout_ms;     /* to read a request, and to keep an idle connection */
} server_config;

/* State shared by every loop; read-only once serving starts, except the
 * keyring pointer (swapped under keyring_lock by the watcher) and the
 * revocation set (which locks itself). */
typedef struct tg_app {
    const server_config *cfg;
    vault vault;
    pthread_rwlock_t keyring_lock;
    keyring *keyring;         /* guarded by keyring_lock */
    revset *revoked;
    writer *writer;
    uint8_t dummy_secret[20]; /* unknown API keys are checked against it, so they cost the same work */
    uint8_t introspect_token_hash[TG_SHA256_LEN];
    int introspect_enabled;
    uint8_t dummy_sealed[20 + TG_AEAD_OVERHEAD]; /* the dummy secret, sealed: unsealed for unknown keys too */
    size_t dummy_sealed_len;
    throttle *throttle;
    atomic_uint connections;
} tg_app;

/* A failed code waiting to be counted by the writer. */
typedef struct server_failure {
    char merchant_id[MERCHANT_ID_MAX + 1];
    int64_t at;
} server_failure;

#define SERVER_FAILURES_MAX 1024 /* per loop; a full queue is handed over at once */

/* A message from another thread, run on the loop thread by cb. */
typedef struct loop_message {
    h2o_multithread_message_t super;
    void (*cb)(struct loop_message *msg);
} loop_message;

/* One event-loop thread.  ctx must stay the first member: a request finds its
 * loop through req->conn->ctx. */
typedef struct tg_loop {
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    tg_app *app;
    store *reader;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t receiver;
    h2o_socket_t *listener;
    int listen_fd;
    size_t inflight; /* requests waiting on the writer; shutdown waits for them */
    tokcache tokens; /* tokens this loop has verified */
    mcache merchants; /* merchant look-ups, true while the store's merchant generation stays */
    size_t merchant_cache_entries; /* its size, set before loop_init */
    int64_t merchant_generation;    /* that generation; -1 when unknown (then the cache is not used) */
    int64_t generation_checked_ms;  /* when it was last read; 0: not in this loop turn */
    char known_merchant_id[MERCHANT_ID_MAX + 1]; /* any merchant id, for balance_lookup() */
    server_failure failures[SERVER_FAILURES_MAX]; /* failed codes not yet handed to the writer */
    size_t nfailures;
    server_failure failure_scratch;               /* written for a refusal that counts nothing */
    int64_t failures_since_ms;                    /* when the oldest of them was queued */
    uint8_t absent_key_hash[TG_SHA256_LEN];       /* a key hash no merchant has */
    int thread_started;
    h2o_globalconf_t *config;  /* for loop_init on the loop's thread */
    pthread_barrier_t *ready;  /* all loops initialised */
    tg_status init_rc;
    int drained;     /* set by the loop thread at exit: no connection or answer left */
    pthread_t thread;
} tg_loop;

/* Serves until SIGINT or SIGTERM, then drains and returns. */
tg_status server_run(const server_config *cfg);

/* Queues a failed code of merchant_id at `at` for the writer to count; the
 * loop hands the queue over every SERVER_FAILURE_FLUSH_MS (see server.c).
 * merchant_id (MERCHANT_ID_MAX + 1 bytes, as in a merchant record) NULL
 * queues nothing but does the same work (a refusal of an unknown key, so
 * that both cost the same).  Allocates nothing.  Loop thread only. */
void server_defer_failure(tg_loop *loop, const char *merchant_id, int64_t at);

#define SERVER_FAILURE_FLUSH_MS 5

/* Hands the queued counts to the writer if the oldest is SERVER_FAILURE_FLUSH_MS
 * old, or at once with force (before a login, so that the writer sees this
 * loop's failures first).  Loop thread only. */
void server_flush_deferred(tg_loop *loop, int force);

/* 1 when loop->merchants may be used now: the store's merchant generation
 * was read in this loop turn (and at most SERVER_SNAPSHOT_MS ago) and the
 * cache cleared if it had moved; 0 when it cannot be read.  Loop thread only. */
int server_merchant_cache_ready(tg_loop *loop);

#define SERVER_SNAPSHOT_MS 2 /* the oldest merchant data a loop may use */

/* Posts msg to loop's thread; safe from any thread. */
void server_post(tg_loop *loop, loop_message *msg);

/* Sends the response prepared in req->res with body (copied; len 0 for none)
 * as its whole content.  An empty body is sent as no buffer at all: given a
 * zero-length buffer, libh2o 2.2.5 writes the headers, then waits for the
 * socket to be writable to write the empty buffer (two more epoll_ctl calls,
 * one more writev and one more loop turn per response). */
void server_send_body(h2o_req_t *req, const char *body, size_t len);

/* Sends a JSON body with status; adds Content-Type and Cache-Control: no-store. */
void server_send_json(h2o_req_t *req, int status, const char *reason, const char *body, size_t len);

/* Sends status with an empty body and Cache-Control: no-store. */
void server_send_empty(h2o_req_t *req, int status, const char *reason);

/* Sends {"ErrorCode":..., "Message":...} for rc; message NULL means the
 * default message of rc.  The only place a tg_status becomes HTTP. */
void server_send_error(h2o_req_t *req, tg_status rc, const char *message);

/* The client address of req as text: the peer, or for a trusted proxy the
 * X-Forwarded-For client (netaddr.h); "" when unknown. */
void server_client_addr(char out[NETADDR_TEXT_MAX], const tg_app *app, h2o_req_t *req);

/* Sends the error of rc with a Retry-After header of seconds. */
void server_send_retry_after(h2o_req_t *req, tg_status rc, int64_t seconds);

#endif
