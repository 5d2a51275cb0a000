/*
 * store_sqlite.c - the embedded store backend: SQLite 3 in WAL mode with
 * synchronous=FULL.  The only file of totpgate that includes sqlite3.h.
 *
 * One handle is one connection with its prepared statements; see store.h
 * for the threading rules.  Writers take the write lock up front
 * (BEGIN IMMEDIATE) and wait up to BUSY_TIMEOUT_MS for it.
 *
 * Fault injection (TEST ONLY): if TOTPGATE_TEST_FAULT_FILE names a path and
 * that file exists when a login batch is about to commit, the batch is rolled
 * back and reported as an I/O failure, as a failed fsync would be.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"

#define BUSY_TIMEOUT_MS 5000

/*
 * Per connection (one per event loop, the writer, the watcher): TG_CACHE_SIZE
 * (SQLite's cache_size: negative is KiB) of page cache, and no mmap.  With
 * 128 MiB of mmap each, the touched database pages counted in the server's
 * RSS once per connection: 442 MB with 1M merchants and 1M sessions (62 MB
 * without), for 5-10 % more refused logins per second with 100k merchants
 * and none measurable with 1M.  The macros are for A/B builds
 * (CFLAGS=-DTG_MMAP_SIZE=...).
 */
#ifndef TG_CACHE_SIZE
#define TG_CACHE_SIZE -16384
#endif
#ifndef TG_MMAP_SIZE
#define TG_MMAP_SIZE 0
#endif
#define TG_STR_(x) #x
#define TG_STR(x) TG_STR_(x)

/* WAL pages after which a commit checkpoints (SQLite's default; 4000 saved
 * only 3 % of the bytes written per login) */
#ifndef TG_WAL_AUTOCHECKPOINT
#define TG_WAL_AUTOCHECKPOINT 1000
#endif

enum stmt_id {
    ST_MERCHANT_INSERT,
    ST_MERCHANT_GET,
    ST_MERCHANT_BY_KEY,
    ST_MERCHANT_LIST,
    ST_MERCHANT_ANY,
    ST_MERCHANT_SET_ENABLED,
    ST_MERCHANT_SET_SECRET,
    ST_LOGIN_ADVANCE,
    ST_LOCK_STATE,
    ST_FAILURE_RECORD,
    ST_MERCHANT_UNLOCK,
    ST_SESSION_INSERT,
    ST_KEY_ACTIVE,
    ST_KEY_INSERT,
    ST_KEY_GET,
    ST_KEY_RETIRE,
    ST_KEY_LIST,
    ST_SESSION_REVOKE,
    ST_SESSION_EXPIRY,
    ST_REVOCATION_INSERT,
    ST_REVOKE_MERCHANT_PUBLISH,
    ST_REVOKE_MERCHANT,
    ST_REVOCATIONS_SINCE,
    ST_SESSION_LIST,
    ST_PURGE_SESSIONS,
    ST_PURGE_REVOCATIONS,
    ST_BEGIN_READ,
    ST_END_READ,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_MERCHANT_GENERATION,
    ST_COUNT
};

#define MERCHANT_COLUMNS                                                                                     \
    "id, name, issuer, api_key_hash, secret_sealed, algorithm, digits, period, enabled, last_step, created_at, "  \
    "failed_attempts, locked_until, locked_forever"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_MERCHANT_INSERT] = "INSERT INTO merchants (" MERCHANT_COLUMNS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_MERCHANT_GET] = "SELECT " MERCHANT_COLUMNS " FROM merchants WHERE id = ?",
    [ST_MERCHANT_BY_KEY] = "SELECT " MERCHANT_COLUMNS " FROM merchants WHERE api_key_hash = ?",
    [ST_MERCHANT_LIST] = "SELECT " MERCHANT_COLUMNS " FROM merchants ORDER BY created_at, id",
    [ST_MERCHANT_ANY] = "SELECT " MERCHANT_COLUMNS " FROM merchants LIMIT 1",
    [ST_MERCHANT_SET_ENABLED] = "UPDATE merchants SET enabled = ? WHERE id = ?",
    /* a new secret has no used codes, and its steps may count another period */
    [ST_MERCHANT_SET_SECRET] = "UPDATE merchants SET secret_sealed = ?, algorithm = ?, digits = ?, period = ?, "
                               "last_step = -1 WHERE id = ?",
    /* RFC 6238 section 5.2: one conditional update decides single use */
    [ST_LOGIN_ADVANCE] = "UPDATE merchants SET last_step = ?1, failed_attempts = 0, locked_until = 0"
                         " WHERE id = ?2 AND last_step < ?1 AND enabled = 1"
                         " AND locked_forever = 0 AND locked_until <= ?3 AND secret_sealed = ?4",
    [ST_LOCK_STATE] = "SELECT failed_attempts, locked_until, locked_forever FROM merchants WHERE id = ?",
    [ST_FAILURE_RECORD] = "UPDATE merchants SET failed_attempts = ?, locked_until = ?, locked_forever = ? WHERE id = ?",
    [ST_MERCHANT_UNLOCK] = "UPDATE merchants SET failed_attempts = 0, locked_until = 0, locked_forever = 0"
                           " WHERE id = ?",
    [ST_SESSION_INSERT] = "INSERT INTO sessions (jti, merchant_id, kid, issued_at, expires_at, client_addr, "
                          "user_agent) VALUES (?,?,?,?,?,?,?)",
    [ST_KEY_ACTIVE] = "SELECT kid, private_sealed, created_at FROM signing_keys WHERE active = 1",
    [ST_KEY_INSERT] = "INSERT INTO signing_keys (kid, private_sealed, created_at, active) VALUES (?,?,?,1)",
    [ST_KEY_GET] = "SELECT kid, private_sealed, created_at, active FROM signing_keys WHERE kid = ?",
    [ST_KEY_RETIRE] = "UPDATE signing_keys SET active = 0, retired_at = ? WHERE active = 1",
    [ST_KEY_LIST] = "SELECT k.kid, k.created_at, k.retired_at, k.active,"
                    " (SELECT MAX(s.expires_at) FROM sessions s WHERE s.kid = k.kid)"
                    " FROM signing_keys k ORDER BY k.created_at DESC, k.kid",
    [ST_SESSION_REVOKE] = "UPDATE sessions SET revoked_at = ?1 WHERE jti = ?2 AND revoked_at IS NULL",
    [ST_SESSION_EXPIRY] = "SELECT expires_at FROM sessions WHERE jti = ?",
    [ST_REVOCATION_INSERT] = "INSERT INTO revocations (jti, expires_at, revoked_at) VALUES (?, ?, ?)",
    /* publish first, then mark: both select the same live sessions.  No index
     * leads to a merchant's sessions (schema 4): one pass over the table beats
     * a row look-up per live session through sessions_by_expiry */
    [ST_REVOKE_MERCHANT_PUBLISH] = "INSERT INTO revocations (jti, expires_at, revoked_at)"
                                   " SELECT jti, expires_at, ?1 FROM sessions NOT INDEXED"
                                   " WHERE merchant_id = ?2 AND expires_at > ?1 AND revoked_at IS NULL",
    [ST_REVOKE_MERCHANT] = "UPDATE sessions NOT INDEXED SET revoked_at = ?1"
                           " WHERE merchant_id = ?2 AND expires_at > ?1 AND revoked_at IS NULL",
    [ST_REVOCATIONS_SINCE] = "SELECT seq, jti, expires_at FROM revocations WHERE seq > ? ORDER BY seq",
    [ST_SESSION_LIST] = "SELECT jti, merchant_id, kid, issued_at, expires_at, revoked_at, client_addr, user_agent"
                        " FROM sessions WHERE (?1 IS NULL OR merchant_id = ?1)"
                        " AND (?2 = 0 OR (expires_at > ?3 AND revoked_at IS NULL))"
                        " ORDER BY issued_at DESC, jti",
    [ST_PURGE_SESSIONS] = "DELETE FROM sessions WHERE expires_at < ?",
    [ST_PURGE_REVOCATIONS] = "DELETE FROM revocations WHERE expires_at < ?",
    /* prepared once: every write of a batch runs under its own savepoint */
    [ST_BEGIN_READ] = "BEGIN",
    [ST_END_READ] = "COMMIT",
    [ST_SAVEPOINT] = "SAVEPOINT write_one",
    [ST_RELEASE] = "RELEASE write_one",
    [ST_ROLLBACK_TO] = "ROLLBACK TO write_one",
    [ST_MERCHANT_GENERATION] = "SELECT generation FROM merchant_generation WHERE id = 0",
};

/* Schema versions, applied in order; the index + 1 is PRAGMA user_version. */
static const char *const migrations[] = {
    "CREATE TABLE merchants ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  issuer TEXT NOT NULL,"
    "  api_key_hash BLOB NOT NULL UNIQUE,"
    "  secret_sealed BLOB NOT NULL,"
    "  algorithm TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),"
    "  digits INTEGER NOT NULL CHECK (digits IN (6, 8)),"
    "  period INTEGER NOT NULL CHECK (period BETWEEN 1 AND 3600),"
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  last_step INTEGER NOT NULL DEFAULT -1,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE sessions ("
    "  jti TEXT PRIMARY KEY,"
    "  merchant_id TEXT NOT NULL REFERENCES merchants (id),"
    "  kid TEXT NOT NULL,"
    "  issued_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  client_addr TEXT NOT NULL,"
    "  user_agent TEXT NOT NULL,"
    "  revoked_at INTEGER"
    ");"
    "CREATE INDEX sessions_by_merchant ON sessions (merchant_id, expires_at);"
    "CREATE TABLE signing_keys ("
    "  kid TEXT PRIMARY KEY,"
    "  private_sealed BLOB NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  active INTEGER NOT NULL,"
    "  retired_at INTEGER"
    ");"
    "CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (active) WHERE active = 1;",
    /* 2: revocation feed, purge and key-expiry indexes */
    "CREATE TABLE revocations ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  jti TEXT NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  revoked_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX revocations_by_expiry ON revocations (expires_at);"
    "CREATE INDEX sessions_by_kid ON sessions (kid, expires_at);"
    "CREATE INDEX sessions_by_expiry ON sessions (expires_at);",
    /* 3: lockout */
    "ALTER TABLE merchants ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE merchants ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE merchants ADD COLUMN locked_forever INTEGER NOT NULL DEFAULT 0;",
    /* 4: a counter that every change a login check depends on moves (see
     * merchant_generation in store.h); triggers, so that no writer can forget
     * it.  A login's own last_step, and a failure count that sets no lock,
     * do not move it. */
    "CREATE TABLE IF NOT EXISTS merchant_generation"
    "  (id INTEGER PRIMARY KEY CHECK (id = 0), generation INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO merchant_generation VALUES (0, 0);"
    "CREATE TRIGGER IF NOT EXISTS merchants_inserted AFTER INSERT ON merchants BEGIN"
    "  UPDATE merchant_generation SET generation = generation + 1 WHERE id = 0;"
    "END;"
    "CREATE TRIGGER IF NOT EXISTS merchants_deleted AFTER DELETE ON merchants BEGIN"
    "  UPDATE merchant_generation SET generation = generation + 1 WHERE id = 0;"
    "END;"
    "CREATE TRIGGER IF NOT EXISTS merchants_changed AFTER UPDATE ON merchants"
    "  WHEN OLD.id IS NOT NEW.id OR OLD.api_key_hash IS NOT NEW.api_key_hash"
    "    OR OLD.secret_sealed IS NOT NEW.secret_sealed OR OLD.algorithm IS NOT NEW.algorithm"
    "    OR OLD.digits IS NOT NEW.digits OR OLD.period IS NOT NEW.period OR OLD.enabled IS NOT NEW.enabled"
    "    OR OLD.locked_until IS NOT NEW.locked_until OR OLD.locked_forever IS NOT NEW.locked_forever"
    "    OR NEW.last_step < OLD.last_step BEGIN"
    "  UPDATE merchant_generation SET generation = generation + 1 WHERE id = 0;"
    "END;",
    /* 5: no merchant index on sessions.  Every login inserted into it at a
     * random place (a random 4 KiB page written to the WAL and again by the
     * checkpoint: half of a login's disk writes); only the rare revocation of
     * a merchant's sessions used it, which now scans the live sessions. */
    "DROP INDEX IF EXISTS sessions_by_merchant;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

typedef struct sqlite_store {
    store base;
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
    const char *fault_file; /* test-only fault injection, see the file comment */
    unsigned snapshot_ms;   /* read_snapshot(): 0 = off */
    int in_snapshot;
    int64_t snapshot_started_ms;
} sqlite_store;

static sqlite_store *self_of(store *s)
{
    return (sqlite_store *)s;
}

/* Maps a SQLite result code to a tg_status. */
static tg_status map_rc(int src)
{
    switch (src & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return TG_OK;
    case SQLITE_CONSTRAINT:
        return TG_ERR_CONFLICT;
    case SQLITE_NOMEM:
        return TG_ERR_NOMEM;
    default:
        return TG_ERR_STORE_UNAVAILABLE;
    }
}

static tg_status exec(sqlite_store *ss, const char *sql)
{
    char *err = NULL;
    int src = sqlite3_exec(ss->db, sql, NULL, NULL, &err);

    if (src != SQLITE_OK) {
        log_event(LOG_ERROR, "store_error", "sql", sql, "error", err ? err : sqlite3_errstr(src), NULL);
        sqlite3_free(err);
    }
    return map_rc(src);
}

static void log_db_error(sqlite_store *ss, const char *what)
{
    log_event(LOG_ERROR, "store_error", "op", what, "error", sqlite3_errmsg(ss->db), NULL);
}

/* Ends a loop over the rows of st: src is the last sqlite3_step result, rc
 * what the loop decided (an error from the caller's callback stops it).
 * A step that ended in an error rather than SQLITE_DONE is logged as what. */
static tg_status rows_done(sqlite_store *ss, sqlite3_stmt *st, tg_status rc, int src, const char *what)
{
    if (rc == TG_OK && src != SQLITE_DONE) {
        log_db_error(ss, what);
        rc = map_rc(src);
    }
    sqlite3_reset(st);
    return rc;
}

/* Returns the prepared statement id, reset and unbound. */
static sqlite3_stmt *stmt_get(sqlite_store *ss, enum stmt_id id)
{
    sqlite3_stmt *st = ss->stmt[id];

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static void rollback(sqlite_store *ss)
{
    if (!sqlite3_get_autocommit(ss->db))
        sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
}

static tg_status commit(sqlite_store *ss)
{
    tg_status rc = exec(ss, "COMMIT");

    if (rc != TG_OK) {
        rollback(ss);
        return TG_ERR_STORE_UNAVAILABLE;
    }
    return TG_OK;
}

static tg_status migrate(sqlite_store *ss)
{
    tg_status rc;
    sqlite3_stmt *st = NULL;
    int version = 0;

    if ((rc = exec(ss, "BEGIN IMMEDIATE")) != TG_OK)
        return rc;
    if (sqlite3_prepare_v2(ss->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = TG_ERR_STORE_UNAVAILABLE;
        goto out;
    }
    version = sqlite3_column_int(st, 0);
    /* no statement may stay active while a migration drops something */
    sqlite3_finalize(st);
    st = NULL;
    if (version > SCHEMA_VERSION) {
        log_event(LOG_ERROR, "store_schema_too_new", "hint", "this database was written by a newer totpgate",
                  NULL);
        rc = TG_ERR_STORE_UNAVAILABLE;
        goto out;
    }
    for (; version < SCHEMA_VERSION; version++) {
        char pragma[48];
        if ((rc = exec(ss, migrations[version])) != TG_OK)
            goto out;
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version + 1);
        if ((rc = exec(ss, pragma)) != TG_OK)
            goto out;
    }
    return commit(ss);
out:
    sqlite3_finalize(st);
    rollback(ss);
    return rc;
}

/* Runs a pragma and reads its answer back.  Some pragmas answer SQLITE_BUSY
 * without calling the busy handler while another process opens or
 * checkpoints the database: retry those for up to BUSY_TIMEOUT_MS. */
static tg_status pragma_text(sqlite_store *ss, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    tg_status rc = TG_ERR_STORE_UNAVAILABLE;
    int src = SQLITE_ERROR;

    for (int waited_ms = 0; waited_ms <= BUSY_TIMEOUT_MS; waited_ms += 10) {
        if (sqlite3_prepare_v2(ss->db, sql, -1, &st, NULL) == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
            snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
            rc = TG_OK;
        }
        sqlite3_finalize(st);
        st = NULL;
        if (rc == TG_OK || (src & 0xff) != SQLITE_BUSY)
            break;
        sqlite3_sleep(10);
    }
    if (rc != TG_OK)
        log_event(LOG_ERROR, "store_pragma_failed", "sql", sql, "error", sqlite3_errmsg(ss->db), NULL);
    return rc;
}

static tg_status configure(sqlite_store *ss)
{
    char value[32];
    tg_status rc;

    sqlite3_busy_timeout(ss->db, BUSY_TIMEOUT_MS);
    /* switching needs an exclusive moment: only ask when not yet in WAL */
    if ((rc = pragma_text(ss, "PRAGMA journal_mode", value, sizeof value)) != TG_OK)
        return rc;
    if (strcmp(value, "wal") != 0 && (rc = pragma_text(ss, "PRAGMA journal_mode = WAL", value, sizeof value)) != TG_OK)
        return rc;
    if (strcmp(value, "wal") != 0) {
        log_event(LOG_ERROR, "store_not_wal", "journal_mode", value, NULL);
        return TG_ERR_STORE_UNAVAILABLE;
    }
    /* page cache and mmap: see TG_CACHE_SIZE */
    if ((rc = exec(ss, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = " TG_STR(TG_CACHE_SIZE) "; "
                       "PRAGMA mmap_size = " TG_STR(TG_MMAP_SIZE))) != TG_OK)
        return rc;
    sqlite3_wal_autocheckpoint(ss->db, TG_WAL_AUTOCHECKPOINT);
    /* synchronous=FULL is what makes a commit durable before we answer: check it */
    if ((rc = pragma_text(ss, "PRAGMA synchronous", value, sizeof value)) != TG_OK)
        return rc;
    if (strcmp(value, "2") != 0) {
        log_event(LOG_ERROR, "store_not_synchronous_full", "synchronous", value, NULL);
        return TG_ERR_STORE_UNAVAILABLE;
    }
    return TG_OK;
}

static void sqlite_close(store *s)
{
    sqlite_store *ss = self_of(s);

    if (ss->in_snapshot)
        sqlite3_exec(ss->db, "COMMIT", NULL, NULL, NULL);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(ss->stmt[i]);
    sqlite3_close(ss->db);
    free(ss);
}

/* ---- merchants ---- */

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static tg_status bind_merchant(sqlite3_stmt *st, const merchant *m)
{
    bind_text(st, 1, m->id);
    bind_text(st, 2, m->name);
    bind_text(st, 3, m->issuer);
    sqlite3_bind_blob(st, 4, m->api_key_hash, TG_SHA256_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, m->secret_sealed, (int)m->secret_sealed_len, SQLITE_STATIC);
    bind_text(st, 6, merchant_alg_name(m->totp.alg));
    sqlite3_bind_int(st, 7, (int)m->totp.digits);
    sqlite3_bind_int(st, 8, (int)m->totp.period);
    sqlite3_bind_int(st, 9, m->enabled ? 1 : 0);
    sqlite3_bind_int64(st, 10, m->last_step);
    sqlite3_bind_int64(st, 11, m->created_at);
    sqlite3_bind_int64(st, 12, m->failed_attempts);
    sqlite3_bind_int64(st, 13, m->locked_until);
    sqlite3_bind_int(st, 14, m->locked_forever ? 1 : 0);
    return TG_OK;
}

static void copy_text(char *out, size_t cap, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static tg_status read_merchant(sqlite3_stmt *st, merchant *m)
{
    const void *blob;
    int len;

    memset(m, 0, sizeof *m);
    copy_text(m->id, sizeof m->id, st, 0);
    copy_text(m->name, sizeof m->name, st, 1);
    copy_text(m->issuer, sizeof m->issuer, st, 2);
    blob = sqlite3_column_blob(st, 3);
    if (blob == NULL || sqlite3_column_bytes(st, 3) != TG_SHA256_LEN)
        return TG_ERR_INTERNAL;
    memcpy(m->api_key_hash, blob, TG_SHA256_LEN);
    blob = sqlite3_column_blob(st, 4);
    len = sqlite3_column_bytes(st, 4);
    if (blob == NULL || len <= 0 || (size_t)len > sizeof m->secret_sealed)
        return TG_ERR_INTERNAL;
    memcpy(m->secret_sealed, blob, (size_t)len);
    m->secret_sealed_len = (size_t)len;
    if (merchant_parse_alg((const char *)sqlite3_column_text(st, 5), &m->totp.alg) != 0)
        return TG_ERR_INTERNAL;
    m->totp.digits = (unsigned)sqlite3_column_int(st, 6);
    m->totp.period = (unsigned)sqlite3_column_int(st, 7);
    m->enabled = sqlite3_column_int(st, 8) != 0;
    m->last_step = sqlite3_column_int64(st, 9);
    m->created_at = sqlite3_column_int64(st, 10);
    m->failed_attempts = (uint32_t)sqlite3_column_int64(st, 11);
    m->locked_until = sqlite3_column_int64(st, 12);
    m->locked_forever = sqlite3_column_int(st, 13) != 0;
    return TG_OK;
}

/* Steps a single-row SELECT; TG_ERR_NOT_FOUND when it returns no row. */
static tg_status select_merchant(sqlite_store *ss, sqlite3_stmt *st, merchant *out)
{
    int src = sqlite3_step(st);
    tg_status rc;

    if (src == SQLITE_ROW)
        rc = read_merchant(st, out);
    else if (src == SQLITE_DONE)
        rc = TG_ERR_NOT_FOUND;
    else {
        log_db_error(ss, "merchant_select");
        rc = map_rc(src);
    }
    sqlite3_reset(st);
    return rc;
}

static tg_status step_write(sqlite_store *ss, sqlite3_stmt *st, const char *what)
{
    int src = sqlite3_step(st);
    tg_status rc = map_rc(src);

    if (src != SQLITE_DONE && rc != TG_ERR_CONFLICT)
        log_db_error(ss, what);
    sqlite3_reset(st);
    return src == SQLITE_DONE ? TG_OK : (rc == TG_OK ? TG_ERR_STORE_UNAVAILABLE : rc);
}

static tg_status sqlite_merchant_insert(store *s, const merchant *m)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st = stmt_get(ss, ST_MERCHANT_INSERT);

    bind_merchant(st, m);
    /* autocommit: the statement is its own durable transaction */
    return step_write(ss, st, "merchant_insert");
}

static tg_status sqlite_merchant_import(store *s, store_merchant_next_fn next, void *ctx, size_t *count)
{
    sqlite_store *ss = self_of(s);
    merchant m;
    tg_status rc;

    *count = 0;
    if ((rc = exec(ss, "BEGIN IMMEDIATE")) != TG_OK)
        return rc;
    for (;;) {
        sqlite3_stmt *st;
        if ((rc = next(ctx, &m)) == TG_ERR_NOT_FOUND)
            break;
        if (rc != TG_OK)
            goto fail;
        st = stmt_get(ss, ST_MERCHANT_INSERT);
        bind_merchant(st, &m);
        if ((rc = step_write(ss, st, "merchant_import")) != TG_OK)
            goto fail;
        (*count)++;
    }
    tg_cleanse(&m, sizeof m);
    rc = commit(ss);
    if (rc != TG_OK)
        *count = 0;
    return rc;
fail:
    tg_cleanse(&m, sizeof m);
    rollback(ss);
    *count = 0;
    return rc;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sqlite_read_release(store *s)
{
    sqlite_store *ss = self_of(s);

    if (ss->in_snapshot) {
        sqlite3_stmt *st = stmt_get(ss, ST_END_READ);
        sqlite3_step(st);
        sqlite3_reset(st);
        ss->in_snapshot = 0;
    }
}

static void sqlite_read_snapshot(store *s, unsigned max_age_ms)
{
    sqlite_read_release(s);
    self_of(s)->snapshot_ms = max_age_ms;
}

/* Before a merchant read: join the current snapshot, or start a new one.
 * One read transaction instead of one per statement saves SQLite's WAL
 * read-lock calls (two fcntl each) on every look-up. */
static void snapshot_enter(sqlite_store *ss)
{
    int64_t now;

    if (ss->snapshot_ms == 0)
        return;
    now = monotonic_ms();
    if (ss->in_snapshot && now - ss->snapshot_started_ms > (int64_t)ss->snapshot_ms)
        sqlite_read_release(&ss->base);
    if (!ss->in_snapshot && sqlite3_get_autocommit(ss->db)) {
        sqlite3_stmt *st = stmt_get(ss, ST_BEGIN_READ);
        if (sqlite3_step(st) == SQLITE_DONE) {
            ss->in_snapshot = 1;
            ss->snapshot_started_ms = now;
        }
        sqlite3_reset(st);
    }
}

static tg_status sqlite_merchant_get(store *s, const char *id, merchant *out)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st;

    snapshot_enter(ss);
    st = stmt_get(ss, ST_MERCHANT_GET);

    bind_text(st, 1, id);
    return select_merchant(ss, st, out);
}

static tg_status sqlite_merchant_find_by_key_hash(store *s, const uint8_t hash[TG_SHA256_LEN], merchant *out)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st;

    snapshot_enter(ss);
    st = stmt_get(ss, ST_MERCHANT_BY_KEY);

    sqlite3_bind_blob(st, 1, hash, TG_SHA256_LEN, SQLITE_STATIC);
    return select_merchant(ss, st, out);
}

static tg_status sqlite_merchant_generation(store *s, int64_t *out)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st;
    tg_status rc = TG_ERR_STORE_UNAVAILABLE;
    int src;

    snapshot_enter(ss);
    st = stmt_get(ss, ST_MERCHANT_GENERATION);
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = TG_OK;
    } else {
        log_db_error(ss, "merchant_generation");
    }
    sqlite3_reset(st);
    return rc;
}

static tg_status sqlite_merchant_any(store *s, merchant *out)
{
    sqlite_store *ss = self_of(s);

    return select_merchant(ss, stmt_get(ss, ST_MERCHANT_ANY), out);
}

static tg_status sqlite_merchant_list(store *s, store_merchant_each_fn each, void *ctx)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st = stmt_get(ss, ST_MERCHANT_LIST);
    tg_status rc = TG_OK;
    merchant m;
    int src;

    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = read_merchant(st, &m)) != TG_OK || (rc = each(ctx, &m)) != TG_OK)
            break;
    }
    rc = rows_done(ss, st, rc, src, "merchant_list");
    tg_cleanse(&m, sizeof m);
    return rc;
}

static tg_status changed_one(sqlite_store *ss, tg_status rc)
{
    if (rc == TG_OK && sqlite3_changes(ss->db) != 1)
        return TG_ERR_NOT_FOUND;
    return rc;
}

/* Revokes the live sessions of merchant_id at now, inside the caller's
 * transaction; *count receives how many. */
static tg_status revoke_merchant_sessions(sqlite_store *ss, const char *merchant_id, int64_t now, size_t *count)
{
    sqlite3_stmt *st = stmt_get(ss, ST_REVOKE_MERCHANT_PUBLISH);
    tg_status rc;

    sqlite3_bind_int64(st, 1, now);
    bind_text(st, 2, merchant_id);
    if ((rc = step_write(ss, st, "revoke_merchant_publish")) != TG_OK)
        return rc;
    if (count != NULL)
        *count = (size_t)sqlite3_changes(ss->db);
    st = stmt_get(ss, ST_REVOKE_MERCHANT);
    sqlite3_bind_int64(st, 1, now);
    bind_text(st, 2, merchant_id);
    return step_write(ss, st, "revoke_merchant");
}

/* Ends a transaction begun with BEGIN IMMEDIATE: commit on TG_OK, else roll back. */
static tg_status finish(sqlite_store *ss, tg_status rc)
{
    if (rc == TG_OK)
        return commit(ss);
    rollback(ss);
    return rc;
}

static tg_status sqlite_merchant_set_enabled(store *s, const char *id, int enabled, int64_t now)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st;
    tg_status rc;

    if ((rc = exec(ss, "BEGIN IMMEDIATE")) != TG_OK)
        return rc;
    st = stmt_get(ss, ST_MERCHANT_SET_ENABLED);
    sqlite3_bind_int(st, 1, enabled ? 1 : 0);
    bind_text(st, 2, id);
    rc = changed_one(ss, step_write(ss, st, "merchant_set_enabled"));
    if (rc == TG_OK && !enabled)
        rc = revoke_merchant_sessions(ss, id, now, NULL);
    return finish(ss, rc);
}

static tg_status sqlite_merchant_unlock(store *s, const char *id)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st = stmt_get(ss, ST_MERCHANT_UNLOCK);

    bind_text(st, 1, id);
    return changed_one(ss, step_write(ss, st, "merchant_unlock"));
}

static tg_status sqlite_merchant_set_secret(store *s, const merchant *m, int64_t now)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st;
    tg_status rc;

    if ((rc = exec(ss, "BEGIN IMMEDIATE")) != TG_OK)
        return rc;
    st = stmt_get(ss, ST_MERCHANT_SET_SECRET);
    sqlite3_bind_blob(st, 1, m->secret_sealed, (int)m->secret_sealed_len, SQLITE_STATIC);
    bind_text(st, 2, merchant_alg_name(m->totp.alg));
    sqlite3_bind_int(st, 3, (int)m->totp.digits);
    sqlite3_bind_int(st, 4, (int)m->totp.period);
    bind_text(st, 5, m->id);
    rc = changed_one(ss, step_write(ss, st, "merchant_set_secret"));
    if (rc == TG_OK)
        rc = revoke_merchant_sessions(ss, m->id, now, NULL);
    return finish(ss, rc);
}

/* ---- sessions and revocations ---- */

/* Marks jti revoked and publishes it, inside the caller's transaction.
 * An already revoked session is left as it is. */
static tg_status revoke_session(sqlite_store *ss, const char *jti, int64_t expires_at, int64_t now)
{
    sqlite3_stmt *st = stmt_get(ss, ST_SESSION_REVOKE);
    tg_status rc;

    sqlite3_bind_int64(st, 1, now);
    bind_text(st, 2, jti);
    if ((rc = step_write(ss, st, "session_revoke")) != TG_OK || sqlite3_changes(ss->db) != 1)
        return rc;
    st = stmt_get(ss, ST_REVOCATION_INSERT);
    bind_text(st, 1, jti);
    sqlite3_bind_int64(st, 2, expires_at);
    sqlite3_bind_int64(st, 3, now);
    return step_write(ss, st, "revocation_insert");
}

static tg_status sqlite_session_revoke(store *s, const char *jti, int64_t now)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st;
    int64_t expires_at = 0;
    tg_status rc;
    int src;

    if ((rc = exec(ss, "BEGIN IMMEDIATE")) != TG_OK)
        return rc;
    st = stmt_get(ss, ST_SESSION_EXPIRY);
    bind_text(st, 1, jti);
    src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        expires_at = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (src == SQLITE_ROW)
        rc = revoke_session(ss, jti, expires_at, now);
    else
        rc = src == SQLITE_DONE ? TG_ERR_NOT_FOUND : map_rc(src);
    return finish(ss, rc);
}

static tg_status sqlite_session_revoke_merchant(store *s, const char *merchant_id, int64_t now, size_t *count)
{
    sqlite_store *ss = self_of(s);
    merchant m;
    tg_status rc;

    *count = 0;
    if ((rc = exec(ss, "BEGIN IMMEDIATE")) != TG_OK)
        return rc;
    {
        sqlite3_stmt *st = stmt_get(ss, ST_MERCHANT_GET);
        bind_text(st, 1, merchant_id);
        rc = select_merchant(ss, st, &m);
        tg_cleanse(&m, sizeof m);
    }
    if (rc == TG_OK)
        rc = revoke_merchant_sessions(ss, merchant_id, now, count);
    rc = finish(ss, rc);
    if (rc != TG_OK)
        *count = 0;
    return rc;
}

static tg_status sqlite_session_list(store *s, const char *merchant_id, int active_only, int64_t now,
                                     store_session_each_fn each, void *ctx)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st = stmt_get(ss, ST_SESSION_LIST);
    store_session row;
    tg_status rc = TG_OK;
    int src;

    if (merchant_id != NULL)
        bind_text(st, 1, merchant_id);
    sqlite3_bind_int(st, 2, active_only ? 1 : 0);
    sqlite3_bind_int64(st, 3, now);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&row, 0, sizeof row);
        copy_text(row.jti, sizeof row.jti, st, 0);
        copy_text(row.merchant_id, sizeof row.merchant_id, st, 1);
        copy_text(row.kid, sizeof row.kid, st, 2);
        row.issued_at = sqlite3_column_int64(st, 3);
        row.expires_at = sqlite3_column_int64(st, 4);
        row.revoked_at = sqlite3_column_int64(st, 5); /* NULL reads as 0 */
        copy_text(row.client_addr, sizeof row.client_addr, st, 6);
        copy_text(row.user_agent, sizeof row.user_agent, st, 7);
        if ((rc = each(ctx, &row)) != TG_OK)
            break;
    }
    return rows_done(ss, st, rc, src, "session_list");
}

static tg_status sqlite_revocations_since(store *s, int64_t after_seq, store_revocation_each_fn each, void *ctx)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st = stmt_get(ss, ST_REVOCATIONS_SINCE);
    store_revocation r;
    tg_status rc = TG_OK;
    int src;

    sqlite3_bind_int64(st, 1, after_seq);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&r, 0, sizeof r);
        r.seq = sqlite3_column_int64(st, 0);
        copy_text(r.jti, sizeof r.jti, st, 1);
        r.expires_at = sqlite3_column_int64(st, 2);
        if ((rc = each(ctx, &r)) != TG_OK)
            break;
    }
    return rows_done(ss, st, rc, src, "revocations_since");
}

static tg_status sqlite_purge(store *s, int64_t now, int64_t expired_before, size_t *deleted)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st;
    tg_status rc;

    *deleted = 0;
    if ((rc = exec(ss, "BEGIN IMMEDIATE")) != TG_OK)
        return rc;
    st = stmt_get(ss, ST_PURGE_SESSIONS);
    sqlite3_bind_int64(st, 1, expired_before);
    if ((rc = step_write(ss, st, "purge_sessions")) == TG_OK) {
        *deleted = (size_t)sqlite3_changes(ss->db);
        st = stmt_get(ss, ST_PURGE_REVOCATIONS);
        sqlite3_bind_int64(st, 1, now);
        rc = step_write(ss, st, "purge_revocations");
    }
    rc = finish(ss, rc);
    if (rc != TG_OK)
        *deleted = 0;
    return rc;
}

/* ---- batched writes (the writer thread) ---- */

/* Reads the lock state of a merchant; TG_ERR_NOT_FOUND when absent. */
static tg_status lock_state(sqlite_store *ss, const char *id, uint32_t *failures, int64_t *locked_until,
                            int *locked_forever)
{
    sqlite3_stmt *st = stmt_get(ss, ST_LOCK_STATE);
    tg_status rc = TG_ERR_NOT_FOUND;
    int src;

    bind_text(st, 1, id);
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *failures = (uint32_t)sqlite3_column_int64(st, 0);
        *locked_until = sqlite3_column_int64(st, 1);
        *locked_forever = sqlite3_column_int(st, 2) != 0;
        rc = TG_OK;
    } else if (src != SQLITE_DONE) {
        log_db_error(ss, "lock_state");
        rc = map_rc(src);
    }
    sqlite3_reset(st);
    return rc;
}

static int locked_at(sqlite_store *ss, const char *id, int64_t now)
{
    uint32_t failures;
    int64_t until;
    int forever;

    return lock_state(ss, id, &failures, &until, &forever) == TG_OK && (forever || until > now);
}

/* Counts one failed code, inside the batch transaction, so that concurrent
 * failures from every server are counted exactly once each, in order. */
static tg_status record_failure(sqlite_store *ss, const store_write *w)
{
    sqlite3_stmt *st;
    uint32_t failures;
    int64_t until;
    int forever;
    tg_status rc;

    if ((rc = lock_state(ss, w->merchant_id, &failures, &until, &forever)) != TG_OK)
        return rc;
    if (forever || until > w->issued_at)
        return TG_ERR_LOCKED; /* checked against a stale read: not an attempt that counts */
    failures++;
    lockout_after_failure(&w->lockout, failures, w->issued_at, &until, &forever);
    st = stmt_get(ss, ST_FAILURE_RECORD);
    sqlite3_bind_int64(st, 1, failures);
    sqlite3_bind_int64(st, 2, until);
    sqlite3_bind_int(st, 3, forever);
    bind_text(st, 4, w->merchant_id);
    return step_write(ss, st, "failure_record");
}

/* One write inside the batch transaction, under its own savepoint so that
 * its failure undoes only its own changes. */
static tg_status write_one(sqlite_store *ss, const store_write *w)
{
    sqlite3_stmt *st;
    tg_status rc;

    if ((rc = step_write(ss, stmt_get(ss, ST_SAVEPOINT), "savepoint")) != TG_OK)
        return rc;
    if (w->kind == STORE_WRITE_REVOKE_SESSION) {
        if ((rc = revoke_session(ss, w->jti, w->expires_at, w->revoked_at)) != TG_OK)
            goto undo;
        return step_write(ss, stmt_get(ss, ST_RELEASE), "release");
    }
    if (w->kind == STORE_WRITE_LOGIN_FAILURE) {
        if ((rc = record_failure(ss, w)) != TG_OK)
            goto undo;
        return step_write(ss, stmt_get(ss, ST_RELEASE), "release");
    }
    st = stmt_get(ss, ST_LOGIN_ADVANCE);
    sqlite3_bind_int64(st, 1, w->step);
    bind_text(st, 2, w->merchant_id);
    sqlite3_bind_int64(st, 3, w->issued_at);
    sqlite3_bind_blob(st, 4, w->secret_sealed, (int)w->secret_sealed_len, SQLITE_STATIC);
    if ((rc = step_write(ss, st, "login_advance")) != TG_OK)
        goto undo;
    if (sqlite3_changes(ss->db) != 1) {
        /* locked, or the step (or a later one) was accepted already, or
         * the code was checked against a secret replaced since */
        rc = locked_at(ss, w->merchant_id, w->issued_at) ? TG_ERR_LOCKED : TG_ERR_REPLAY;
        goto undo;
    }
    st = stmt_get(ss, ST_SESSION_INSERT);
    bind_text(st, 1, w->jti);
    bind_text(st, 2, w->merchant_id);
    bind_text(st, 3, w->kid);
    sqlite3_bind_int64(st, 4, w->issued_at);
    sqlite3_bind_int64(st, 5, w->expires_at);
    bind_text(st, 6, w->client_addr);
    bind_text(st, 7, w->user_agent);
    if ((rc = step_write(ss, st, "session_insert")) != TG_OK)
        goto undo;
    return step_write(ss, stmt_get(ss, ST_RELEASE), "release");
undo:
    if (step_write(ss, stmt_get(ss, ST_ROLLBACK_TO), "rollback_to") != TG_OK ||
        step_write(ss, stmt_get(ss, ST_RELEASE), "release") != TG_OK)
        return TG_ERR_STORE_UNAVAILABLE;
    return rc;
}

static tg_status sqlite_write_batch(store *s, store_write *const *batch, size_t n)
{
    sqlite_store *ss = self_of(s);
    tg_status rc;
    size_t i;

    if ((rc = exec(ss, "BEGIN IMMEDIATE")) != TG_OK)
        goto fail;
    for (i = 0; i < n; i++) {
        batch[i]->result = write_one(ss, batch[i]);
        if (batch[i]->result == TG_ERR_STORE_UNAVAILABLE || batch[i]->result == TG_ERR_NOMEM) {
            rc = TG_ERR_STORE_UNAVAILABLE; /* the transaction itself is in doubt */
            goto fail;
        }
    }
    if (ss->fault_file != NULL && access(ss->fault_file, F_OK) == 0) {
        log_event(LOG_WARN, "store_fault_injected", "op", "write_batch", NULL);
        rc = TG_ERR_STORE_UNAVAILABLE;
        goto fail;
    }
    /* a failed COMMIT is not retried: a retried fsync can falsely succeed */
    if ((rc = commit(ss)) != TG_OK)
        goto fail;
    return TG_OK;
fail:
    rollback(ss);
    for (i = 0; i < n; i++)
        batch[i]->result = TG_ERR_STORE_UNAVAILABLE;
    return TG_ERR_STORE_UNAVAILABLE;
}

/* ---- signing keys ---- */

/* Reads kid, private_sealed, created_at[, active] from a key row. */
static tg_status read_key(sqlite3_stmt *st, store_signing_key *out, int has_active)
{
    const void *blob = sqlite3_column_blob(st, 1);
    int len = sqlite3_column_bytes(st, 1);

    memset(out, 0, sizeof *out);
    copy_text(out->kid, sizeof out->kid, st, 0);
    if (blob == NULL || len <= 0 || (size_t)len > sizeof out->private_sealed)
        return TG_ERR_INTERNAL;
    memcpy(out->private_sealed, blob, (size_t)len);
    out->private_sealed_len = (size_t)len;
    out->created_at = sqlite3_column_int64(st, 2);
    out->active = has_active ? sqlite3_column_int(st, 3) != 0 : 1;
    return TG_OK;
}

static tg_status select_key(sqlite_store *ss, sqlite3_stmt *st, store_signing_key *out, int has_active)
{
    int src = sqlite3_step(st);
    tg_status rc;

    if (src == SQLITE_ROW)
        rc = read_key(st, out, has_active);
    else if (src == SQLITE_DONE)
        rc = TG_ERR_NOT_FOUND;
    else {
        log_db_error(ss, "signing_key_select");
        rc = map_rc(src);
    }
    sqlite3_reset(st);
    return rc;
}

static tg_status sqlite_signing_key_active(store *s, store_signing_key *out)
{
    sqlite_store *ss = self_of(s);

    return select_key(ss, stmt_get(ss, ST_KEY_ACTIVE), out, 0);
}

static tg_status sqlite_signing_key_get(store *s, const char *kid, store_signing_key *out)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st = stmt_get(ss, ST_KEY_GET);

    bind_text(st, 1, kid);
    return select_key(ss, st, out, 1);
}

static tg_status insert_key(sqlite_store *ss, const store_signing_key *k)
{
    sqlite3_stmt *st = stmt_get(ss, ST_KEY_INSERT);

    bind_text(st, 1, k->kid);
    sqlite3_bind_blob(st, 2, k->private_sealed, (int)k->private_sealed_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, k->created_at);
    return step_write(ss, st, "signing_key_insert");
}

static tg_status sqlite_signing_key_insert(store *s, const store_signing_key *k)
{
    return insert_key(self_of(s), k);
}

static tg_status sqlite_signing_key_rotate(store *s, const store_signing_key *k, int64_t now)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st;
    tg_status rc;

    if ((rc = exec(ss, "BEGIN IMMEDIATE")) != TG_OK)
        return rc;
    st = stmt_get(ss, ST_KEY_RETIRE);
    sqlite3_bind_int64(st, 1, now);
    if ((rc = step_write(ss, st, "signing_key_retire")) == TG_OK)
        rc = insert_key(ss, k);
    return finish(ss, rc);
}

static tg_status sqlite_signing_key_list(store *s, store_key_each_fn each, void *ctx)
{
    sqlite_store *ss = self_of(s);
    sqlite3_stmt *st = stmt_get(ss, ST_KEY_LIST);
    store_key_info k;
    tg_status rc = TG_OK;
    int src;

    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&k, 0, sizeof k);
        copy_text(k.kid, sizeof k.kid, st, 0);
        k.created_at = sqlite3_column_int64(st, 1);
        k.retired_at = sqlite3_column_int64(st, 2);
        k.active = sqlite3_column_int(st, 3) != 0;
        k.last_expires_at = sqlite3_column_int64(st, 4);
        if ((rc = each(ctx, &k)) != TG_OK)
            break;
    }
    return rows_done(ss, st, rc, src, "signing_key_list");
}

static const store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .merchant_insert = sqlite_merchant_insert,
    .merchant_import = sqlite_merchant_import,
    .merchant_get = sqlite_merchant_get,
    .merchant_find_by_key_hash = sqlite_merchant_find_by_key_hash,
    .read_snapshot = sqlite_read_snapshot,
    .read_release = sqlite_read_release,
    .merchant_generation = sqlite_merchant_generation,
    .merchant_any = sqlite_merchant_any,
    .merchant_list = sqlite_merchant_list,
    .merchant_set_enabled = sqlite_merchant_set_enabled,
    .merchant_set_secret = sqlite_merchant_set_secret,
    .merchant_unlock = sqlite_merchant_unlock,
    .write_batch = sqlite_write_batch,
    .session_list = sqlite_session_list,
    .session_revoke = sqlite_session_revoke,
    .session_revoke_merchant = sqlite_session_revoke_merchant,
    .revocations_since = sqlite_revocations_since,
    .purge = sqlite_purge,
    .signing_key_active = sqlite_signing_key_active,
    .signing_key_get = sqlite_signing_key_get,
    .signing_key_insert = sqlite_signing_key_insert,
    .signing_key_rotate = sqlite_signing_key_rotate,
    .signing_key_list = sqlite_signing_key_list,
};

tg_status store_sqlite_open(store **out, const char *path)
{
    sqlite_store *ss = calloc(1, sizeof *ss);
    const char *fault = getenv("TOTPGATE_TEST_FAULT_FILE");
    tg_status rc;

    if (ss == NULL)
        return TG_ERR_NOMEM;
    ss->base.ops = &sqlite_ops;
    ss->fault_file = fault != NULL && *fault != '\0' ? fault : NULL;
    if (sqlite3_open_v2(path, &ss->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        log_event(LOG_ERROR, "store_open_failed", "path", path, "error",
                  ss->db ? sqlite3_errmsg(ss->db) : "out of memory", NULL);
        rc = TG_ERR_STORE_UNAVAILABLE;
        goto fail;
    }
    if ((rc = configure(ss)) != TG_OK || (rc = migrate(ss)) != TG_OK)
        goto fail;
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(ss->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &ss->stmt[i], NULL) !=
            SQLITE_OK) {
            log_db_error(ss, stmt_sql[i]);
            rc = TG_ERR_STORE_UNAVAILABLE;
            goto fail;
        }
    }
    *out = &ss->base;
    return TG_OK;
fail:
    sqlite_close(&ss->base);
    return rc;
}
