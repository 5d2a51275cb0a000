/*
 * store.h - the interface to all persistent state.
 *
 * A backend is a table of function pointers (store_ops), in the manner of
 * SQLite's VFS or curl's TLS backends.  store_sqlite.c is the embedded
 * default and the only file that includes sqlite3.h; a PostgreSQL backend
 * must fit the same table.  Nothing here names SQL: callers speak of
 * merchants, logins and signing keys.
 *
 * Durability: every function that writes returns only after its effect is
 * durable (committed with a full sync).  A write that cannot be made durable
 * returns TG_ERR_STORE_UNAVAILABLE and leaves no effect.
 *
 * Threading: a store handle is used by one thread at a time.  Open one
 * handle per thread (the server opens one per event loop for reads, and one
 * for the writer thread).  Handles of one data directory, in one or many
 * processes, may be used concurrently; the backend serialises writers.
 *
 * Ownership: records are copied into caller-owned structs.  Sealed secrets
 * stay sealed; the store never sees a clear secret or API key.
 */
#ifndef TG_STORE_H
#define TG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "lockout.h"
#include "merchant.h"
#include "status.h"
#include "token.h"

#define STORE_CLIENT_ADDR_MAX 63
#define STORE_USER_AGENT_MAX 255
#define STORE_SEALED_KEY_MAX 256

typedef struct store_signing_key {
    char kid[TOKEN_KID_LEN + 1];
    int64_t created_at;
    int active;
    uint8_t private_sealed[STORE_SEALED_KEY_MAX]; /* PKCS#8 DER sealed under the vault, kid as id */
    size_t private_sealed_len;
} store_signing_key;

typedef enum store_write_kind {
    STORE_WRITE_LOGIN = 0,     /* advance last_step and record a session */
    STORE_WRITE_REVOKE_SESSION, /* revoke one session (logout) */
    STORE_WRITE_LOGIN_FAILURE   /* count a failed code, locking the merchant per the policy */
} store_write_kind;

/*
 * One write of a batch (writer.h).  LOGIN: advance the merchant's last
 * accepted step to step (only if it is higher than the stored one and the
 * merchant is enabled) and record the session, both or neither.
 * A LOGIN of a locked merchant (at issued_at) is TG_ERR_LOCKED and changes
 * nothing; a success resets the failure count.  A LOGIN whose
 * secret_sealed is no longer the merchant's (rotate-secret committed after
 * the code was checked) is TG_ERR_REPLAY and changes nothing.
 * REVOKE_SESSION: mark session jti revoked at revoked_at and publish the
 * revocation to every server (revocations_since); revoking an already
 * revoked session is TG_OK and changes nothing.
 * LOGIN_FAILURE: count one failed code of merchant_id at issued_at and set
 * the lock that lockout_after_failure() gives; a merchant already locked at
 * that time is not counted (TG_ERR_LOCKED).
 */
typedef struct store_write {
    /* in */
    store_write_kind kind;
    char merchant_id[MERCHANT_ID_MAX + 1];
    char jti[TOKEN_JTI_LEN + 1];
    int64_t expires_at;
    /* LOGIN only */
    int64_t step;
    char kid[TOKEN_KID_LEN + 1];
    int64_t issued_at;
    char client_addr[STORE_CLIENT_ADDR_MAX + 1];
    char user_agent[STORE_USER_AGENT_MAX + 1];
    uint8_t secret_sealed[MERCHANT_SEALED_MAX]; /* the sealed secret the code was checked against */
    size_t secret_sealed_len;
    /* REVOKE_SESSION only */
    int64_t revoked_at;
    /* LOGIN_FAILURE only */
    lockout_policy lockout;
    /* out */
    tg_status result; /* TG_OK, TG_ERR_REPLAY (LOGIN: step not higher, or merchant disabled), or an error */
} store_write;

/* A recorded session, as `session list` shows it. */
typedef struct store_session {
    char jti[TOKEN_JTI_LEN + 1];
    char merchant_id[MERCHANT_ID_MAX + 1];
    char kid[TOKEN_KID_LEN + 1];
    int64_t issued_at, expires_at;
    int64_t revoked_at; /* 0 when not revoked */
    char client_addr[STORE_CLIENT_ADDR_MAX + 1];
    char user_agent[STORE_USER_AGENT_MAX + 1];
} store_session;

/* One published revocation: seq increases with every revocation. */
typedef struct store_revocation {
    int64_t seq;
    char jti[TOKEN_JTI_LEN + 1];
    int64_t expires_at;
} store_revocation;

/* A signing key as `keys list` shows it, with the expiry of the last token it signed. */
typedef struct store_key_info {
    char kid[TOKEN_KID_LEN + 1];
    int64_t created_at;
    int64_t retired_at;      /* 0 while active */
    int active;
    int64_t last_expires_at; /* 0 when it signed no token */
} store_key_info;

typedef struct store store;

/* Iterator for merchant_import: fill *m and return TG_OK, return
 * TG_ERR_NOT_FOUND at the end, anything else aborts the import. */
typedef tg_status (*store_merchant_next_fn)(void *ctx, merchant *m);
typedef tg_status (*store_merchant_each_fn)(void *ctx, const merchant *m);
typedef tg_status (*store_session_each_fn)(void *ctx, const store_session *s);
typedef tg_status (*store_revocation_each_fn)(void *ctx, const store_revocation *r);
typedef tg_status (*store_key_each_fn)(void *ctx, const store_key_info *k);

typedef struct store_ops {
    const char *name;
    void (*close)(store *s);

    /* TG_ERR_CONFLICT if the id or the API key hash exists already */
    tg_status (*merchant_insert)(store *s, const merchant *m);
    /* all rows in one transaction: all or none; *count receives the rows inserted */
    tg_status (*merchant_import)(store *s, store_merchant_next_fn next, void *ctx, size_t *count);
    /* TG_ERR_NOT_FOUND when absent */
    tg_status (*merchant_get)(store *s, const char *id, merchant *out);
    tg_status (*merchant_find_by_key_hash)(store *s, const uint8_t hash[TG_SHA256_LEN], merchant *out);
    /*
     * Lets merchant_get and merchant_find_by_key_hash share one read
     * snapshot for up to max_age_ms (0, the default: each read sees the
     * latest commit).  For event loops, which read on every request and can
     * take data a few milliseconds old: the writer's conditional updates
     * still decide logins and locks.  read_release ends the snapshot (call it
     * before the thread waits, so that checkpoints are not held back).
     */
    void (*read_snapshot)(store *s, unsigned max_age_ms);
    void (*read_release)(store *s);
    /*
     * A number that changes (in the same transaction) whenever a merchant is
     * added or removed, or a merchant's key, secret, TOTP parameters,
     * enabled flag or lock changes: what a login check reads, except
     * last_step moving forward.  A reader that keeps merchants in memory
     * may use them while it reads the same number.  Read in the snapshot.
     */
    tg_status (*merchant_generation)(store *s, int64_t *out);
    /* some one merchant (which one is unspecified), without reading the
     * others; TG_ERR_NOT_FOUND when there is none */
    tg_status (*merchant_any)(store *s, merchant *out);
    /* calls each for every merchant in creation order; stops at the first error it returns */
    tg_status (*merchant_list)(store *s, store_merchant_each_fn each, void *ctx);
    /* disabling also revokes the merchant's live sessions at now, in the same transaction */
    tg_status (*merchant_set_enabled)(store *s, const char *id, int enabled, int64_t now);
    /* replaces the sealed secret and TOTP parameters of m->id and revokes
     * its live sessions at now, in one transaction */
    tg_status (*merchant_set_secret)(store *s, const merchant *m, int64_t now);
    /* clears the failure count and any lock */
    tg_status (*merchant_unlock)(store *s, const char *id);

    /*
     * Applies a batch of writes in one durable transaction; each entry gets
     * its own result, so one entry's failure does not fail the others.
     * Returns TG_OK when the batch was committed (then read each result),
     * or TG_ERR_STORE_UNAVAILABLE when nothing was (every result says so).
     */
    tg_status (*write_batch)(store *s, store_write *const *batch, size_t n);

    /* Sessions.  session_revoke: TG_ERR_NOT_FOUND for an unknown jti; an
     * already revoked one is TG_OK.  session_revoke_merchant revokes every
     * live (unexpired, unrevoked) session of the merchant; *count receives how many. */
    tg_status (*session_list)(store *s, const char *merchant_id, int active_only, int64_t now,
                              store_session_each_fn each, void *ctx);
    tg_status (*session_revoke)(store *s, const char *jti, int64_t now);
    tg_status (*session_revoke_merchant)(store *s, const char *merchant_id, int64_t now, size_t *count);
    /* revocations with seq > after_seq, in seq order */
    tg_status (*revocations_since)(store *s, int64_t after_seq, store_revocation_each_fn each, void *ctx);
    /* deletes sessions that expired before expired_before, and revocations of expired tokens */
    tg_status (*purge)(store *s, int64_t now, int64_t expired_before, size_t *deleted);

    /* TG_ERR_NOT_FOUND when no key is active */
    tg_status (*signing_key_active)(store *s, store_signing_key *out);
    /* TG_ERR_NOT_FOUND when absent */
    tg_status (*signing_key_get)(store *s, const char *kid, store_signing_key *out);
    /* inserts k as the active key; TG_ERR_CONFLICT if another key is active */
    tg_status (*signing_key_insert)(store *s, const store_signing_key *k);
    /* retires the active key at now and makes k the active key, atomically */
    tg_status (*signing_key_rotate)(store *s, const store_signing_key *k, int64_t now);
    /* every key, newest first */
    tg_status (*signing_key_list)(store *s, store_key_each_fn each, void *ctx);
} store_ops;

struct store {
    const store_ops *ops;
};

/* Opens the default backend (SQLite, <data_dir>/totpgate.db), migrating the
 * schema if needed. */
tg_status store_open(store **out, const char *data_dir);

/* store_close(NULL) does nothing. */
void store_close(store *s);

/* Backends. */
tg_status store_sqlite_open(store **out, const char *path);

#endif
