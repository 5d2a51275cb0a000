/*
 * test_store.c - store conformance tests.
 *
 * store_conformance() speaks only the store_ops interface of store.h, so the
 * same tests can run against any backend: it takes an open handle plus a
 * fixture that can open further handles on the same data (to check
 * durability across close/reopen and that handles see each other's writes).
 * test_store() runs it on the SQLite backend in a fresh mkdtemp directory.
 */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "merchant.h"
#include "store.h"
#include "unit.h"
#include "vault.h"

typedef struct store_fixture store_fixture;
struct store_fixture {
    const char *backend;
    char dir[PATH_MAX]; /* a scratch directory of the test (SQLite keeps its database in it) */
    tg_status (*open)(store_fixture *f, store **out);
};

/* ---- helpers ---- */

static vault test_vault;

static void make_merchant(merchant *m, int idx, int64_t created_at)
{
    char key[64];
    uint8_t secret[20];

    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "m_%016x", 0xc0de0000u + (unsigned)idx);
    snprintf(m->name, sizeof m->name, "desk %d", idx);
    snprintf(m->issuer, sizeof m->issuer, "ACME Corp \xc3\xbc");
    m->totp = (totp_params){TG_HASH_SHA1, 6, 30};
    m->enabled = 1;
    m->last_step = -1;
    m->created_at = created_at;
    snprintf(key, sizeof key, "tgk_test_key_%d", idx);
    merchant_hash_api_key(m->api_key_hash, key, strlen(key));
    memset(secret, 'a' + idx % 26, sizeof secret);
    CHECK(merchant_seal_secret(m, &test_vault, secret, sizeof secret) == TG_OK);
}

static int merchant_eq(const merchant *a, const merchant *b)
{
    return strcmp(a->id, b->id) == 0 && strcmp(a->name, b->name) == 0 && strcmp(a->issuer, b->issuer) == 0 &&
           a->totp.alg == b->totp.alg && a->totp.digits == b->totp.digits && a->totp.period == b->totp.period &&
           (a->enabled != 0) == (b->enabled != 0) && a->last_step == b->last_step && a->created_at == b->created_at &&
           memcmp(a->api_key_hash, b->api_key_hash, TG_SHA256_LEN) == 0 &&
           a->secret_sealed_len == b->secret_sealed_len &&
           memcmp(a->secret_sealed, b->secret_sealed, a->secret_sealed_len) == 0;
}

/* merchant_get, then compare with want (last_step and enabled as given) */
static int stored_eq(store *s, const merchant *want)
{
    merchant got;
    memset(&got, 0x5a, sizeof got);
    return s->ops->merchant_get(s, want->id, &got) == TG_OK && merchant_eq(&got, want);
}

static int64_t last_step_of(store *s, const char *id)
{
    merchant m;
    if (s->ops->merchant_get(s, id, &m) != TG_OK)
        return INT64_MIN;
    return m.last_step;
}

#define LIST_MAX 32
struct list_ctx {
    char ids[LIST_MAX][MERCHANT_ID_MAX + 1];
    size_t n;
    size_t stop_after; /* return an error after this many (0: never) */
};

static tg_status list_each(void *ctx, const merchant *m)
{
    struct list_ctx *c = ctx;
    if (c->n < LIST_MAX)
        snprintf(c->ids[c->n], sizeof c->ids[0], "%s", m->id);
    c->n++;
    if (c->stop_after != 0 && c->n >= c->stop_after)
        return TG_ERR_INTERNAL;
    return TG_OK;
}

static size_t list_count(store *s, struct list_ctx *c)
{
    memset(c, 0, sizeof *c);
    if (s->ops->merchant_list(s, list_each, c) != TG_OK)
        return (size_t)-1;
    return c->n;
}

static int list_has(const struct list_ctx *c, const char *id)
{
    for (size_t i = 0; i < c->n && i < LIST_MAX; i++) {
        if (strcmp(c->ids[i], id) == 0)
            return 1;
    }
    return 0;
}

static void make_login(store_write *l, const merchant *m, int64_t step, const char *jti)
{
    memset(l, 0, sizeof *l);
    snprintf(l->merchant_id, sizeof l->merchant_id, "%s", m->id);
    memcpy(l->secret_sealed, m->secret_sealed, m->secret_sealed_len);
    l->secret_sealed_len = m->secret_sealed_len;
    l->step = step;
    snprintf(l->jti, sizeof l->jti, "%s", jti);
    snprintf(l->kid, sizeof l->kid, "kid-conformance");
    l->issued_at = 1700000000 + step;
    l->expires_at = l->issued_at + 600;
    snprintf(l->client_addr, sizeof l->client_addr, "192.0.2.1");
    snprintf(l->user_agent, sizeof l->user_agent, "unit \"test\"\n");
    l->result = (tg_status)-1;
}

struct import_ctx {
    merchant rows[4];
    size_t n, next, fail_at; /* fail_at: 1-based row at which the iterator fails (0: never) */
};

static tg_status import_next(void *ctx, merchant *m)
{
    struct import_ctx *c = ctx;
    if (c->fail_at != 0 && c->next + 1 == c->fail_at)
        return TG_ERR_INVALID_ARG;
    if (c->next >= c->n)
        return TG_ERR_NOT_FOUND;
    *m = c->rows[c->next++];
    return TG_OK;
}

static store *reopen(store *s, store_fixture *f)
{
    store *n = NULL;
    store_close(s);
    CHECK(f->open(f, &n) == TG_OK && n != NULL);
    return n;
}

/* Two handles committing logins of one merchant at once, from two threads. */
#define CW_ROUNDS 40
struct concurrent_writer {
    store *s;
    const merchant *m;
    int thread;
    int ok[CW_ROUNDS];
    int other; /* results neither TG_OK nor TG_ERR_REPLAY, and failed commits */
};

static void *concurrent_main(void *arg)
{
    struct concurrent_writer *cw = arg;

    for (int k = 0; k < CW_ROUNDS; k++) {
        store_write l[2];
        store_write *batch[2] = {&l[0], &l[1]};
        char jti[TOKEN_JTI_LEN + 1];
        snprintf(jti, sizeof jti, "cw%u-%u-a", (unsigned char)cw->thread, (unsigned char)k);
        make_login(&l[0], cw->m, 5000 + k, jti);
        snprintf(jti, sizeof jti, "cw%u-%u-b", (unsigned char)cw->thread, (unsigned char)k);
        make_login(&l[1], cw->m, 5000 + k, jti);
        if (cw->s->ops->write_batch(cw->s, batch, 2) != TG_OK) {
            cw->other++;
            continue;
        }
        for (int i = 0; i < 2; i++) {
            if (l[i].result == TG_OK)
                cw->ok[k]++;
            else if (l[i].result != TG_ERR_REPLAY)
                cw->other++;
        }
    }
    return NULL;
}

static void concurrent_writers(store *s, store_fixture *f, const merchant *m)
{
    struct concurrent_writer cw[2];
    pthread_t th[2];
    int started[2] = {0, 0};

    memset(cw, 0, sizeof cw);
    for (int t = 0; t < 2; t++) {
        cw[t].m = m;
        cw[t].thread = t;
        CHECK(f->open(f, &cw[t].s) == TG_OK && cw[t].s != NULL);
    }
    if (cw[0].s != NULL && cw[1].s != NULL) {
        for (int t = 0; t < 2; t++)
            started[t] = pthread_create(&th[t], NULL, concurrent_main, &cw[t]) == 0;
        for (int t = 0; t < 2; t++) {
            if (started[t])
                pthread_join(th[t], NULL);
        }
        CHECK(started[0] && started[1]);
        CHECK(cw[0].other == 0 && cw[1].other == 0);
        {
            int at_most_one = 1;
            for (int k = 0; k < CW_ROUNDS; k++) {
                if (cw[0].ok[k] + cw[1].ok[k] > 1)
                    at_most_one = 0;
            }
            CHECK(at_most_one);
            CHECK(cw[0].ok[CW_ROUNDS - 1] + cw[1].ok[CW_ROUNDS - 1] == 1);
        }
        CHECK(last_step_of(s, m->id) == 5000 + CW_ROUNDS - 1);
    }
    store_close(cw[0].s);
    store_close(cw[1].s);
}

/* ---- the conformance tests; takes ownership of s ---- */

static void store_conformance(store *s, store_fixture *f)
{
    merchant a, b, c, d, got;
    struct list_ctx lc;
    uint8_t unknown_hash[TG_SHA256_LEN];

    make_merchant(&a, 1, 1000);
    make_merchant(&b, 2, 1001);
    b.totp = (totp_params){TG_HASH_SHA256, 8, 60};
    make_merchant(&c, 3, 1002);
    make_merchant(&d, 4, 1003);
    memset(unknown_hash, 0x11, sizeof unknown_hash);

    /* empty store */
    CHECK(s->ops->name != NULL && s->ops->name[0] != '\0');
    CHECK(s->ops->merchant_get(s, a.id, &got) == TG_ERR_NOT_FOUND);
    CHECK(s->ops->merchant_find_by_key_hash(s, a.api_key_hash, &got) == TG_ERR_NOT_FOUND);
    CHECK(list_count(s, &lc) == 0);
    CHECK(s->ops->merchant_any(s, &got) == TG_ERR_NOT_FOUND);
    {
        store_signing_key k;
        CHECK(s->ops->signing_key_active(s, &k) == TG_ERR_NOT_FOUND);
    }

    /* insert, get, find by key hash */
    CHECK(s->ops->merchant_insert(s, &a) == TG_OK);
    CHECK(s->ops->merchant_insert(s, &b) == TG_OK);
    CHECK(s->ops->merchant_insert(s, &c) == TG_OK);
    CHECK(stored_eq(s, &a));
    CHECK(stored_eq(s, &b));
    CHECK(stored_eq(s, &c));
    memset(&got, 0, sizeof got);
    CHECK(s->ops->merchant_find_by_key_hash(s, b.api_key_hash, &got) == TG_OK && merchant_eq(&got, &b));
    CHECK(s->ops->merchant_find_by_key_hash(s, a.api_key_hash, &got) == TG_OK && merchant_eq(&got, &a));
    memset(&got, 0, sizeof got);
    CHECK(s->ops->merchant_any(s, &got) == TG_OK &&
          (merchant_eq(&got, &a) || merchant_eq(&got, &b) || merchant_eq(&got, &c)));
    CHECK(s->ops->merchant_get(s, "m_ffffffffffffffff", &got) == TG_ERR_NOT_FOUND);
    CHECK(s->ops->merchant_get(s, "", &got) == TG_ERR_NOT_FOUND);
    CHECK(s->ops->merchant_get(s, "m_%", &got) == TG_ERR_NOT_FOUND);
    CHECK(s->ops->merchant_find_by_key_hash(s, unknown_hash, &got) == TG_ERR_NOT_FOUND);

    /* duplicates: same key hash (new id), same id (new key hash) */
    {
        merchant dup;
        make_merchant(&dup, 9, 2000);
        memcpy(dup.api_key_hash, a.api_key_hash, TG_SHA256_LEN);
        CHECK(s->ops->merchant_insert(s, &dup) == TG_ERR_CONFLICT);
        make_merchant(&dup, 9, 2000);
        snprintf(dup.id, sizeof dup.id, "%s", b.id);
        CHECK(s->ops->merchant_insert(s, &dup) == TG_ERR_CONFLICT);
        CHECK(s->ops->merchant_insert(s, &a) == TG_ERR_CONFLICT);
        CHECK(stored_eq(s, &a) && stored_eq(s, &b));
    }

    /* list: count and creation order; an error from the callback stops it */
    CHECK(list_count(s, &lc) == 3);
    CHECK(strcmp(lc.ids[0], a.id) == 0 && strcmp(lc.ids[1], b.id) == 0 && strcmp(lc.ids[2], c.id) == 0);
    memset(&lc, 0, sizeof lc);
    lc.stop_after = 2;
    CHECK(s->ops->merchant_list(s, list_each, &lc) == TG_ERR_INTERNAL);
    CHECK(lc.n == 2);
    CHECK(list_count(s, &lc) == 3); /* and a later list starts afresh */

    /* set_enabled */
    CHECK(s->ops->merchant_set_enabled(s, "m_ffffffffffffffff", 0, 1000) == TG_ERR_NOT_FOUND);
    CHECK(s->ops->merchant_set_enabled(s, c.id, 0, 1000) == TG_OK);
    c.enabled = 0;
    CHECK(stored_eq(s, &c));
    CHECK(s->ops->merchant_set_enabled(s, c.id, 1, 1000) == TG_OK);
    c.enabled = 1;
    CHECK(stored_eq(s, &c));
    CHECK(s->ops->merchant_set_enabled(s, c.id, 0, 1000) == TG_OK);
    CHECK(s->ops->merchant_set_enabled(s, c.id, 0, 1000) == TG_OK); /* already disabled: still found */
    c.enabled = 0;
    CHECK(stored_eq(s, &c));

    /* set_secret replaces the sealed secret and the TOTP parameters only */
    {
        merchant upd = b;
        uint8_t secret[32];
        memset(secret, 'z', sizeof secret);
        CHECK(merchant_seal_secret(&upd, &test_vault, secret, sizeof secret) == TG_OK);
        upd.totp = (totp_params){TG_HASH_SHA512, 6, 45};
        snprintf(upd.name, sizeof upd.name, "ignored");
        CHECK(s->ops->merchant_set_secret(s, &upd, 1000) == TG_OK);
        b.totp = upd.totp;
        memcpy(b.secret_sealed, upd.secret_sealed, upd.secret_sealed_len);
        b.secret_sealed_len = upd.secret_sealed_len;
        CHECK(stored_eq(s, &b));
        {
            uint8_t out[MERCHANT_SECRET_MAX];
            size_t out_len = 0;
            CHECK(s->ops->merchant_get(s, b.id, &got) == TG_OK);
            CHECK(merchant_open_secret(out, &out_len, &got, &test_vault) == TG_OK && out_len == 32 &&
                  memcmp(out, secret, 32) == 0);
        }
        snprintf(upd.id, sizeof upd.id, "m_ffffffffffffffff");
        CHECK(s->ops->merchant_set_secret(s, &upd, 1000) == TG_ERR_NOT_FOUND);
    }

    /* a second handle on the same data sees the writes of the first */
    {
        store *s2 = NULL;
        CHECK(f->open(f, &s2) == TG_OK && s2 != NULL);
        if (s2 != NULL) {
            CHECK(stored_eq(s2, &a) && stored_eq(s2, &b) && stored_eq(s2, &c));
            CHECK(s2->ops->merchant_insert(s2, &d) == TG_OK);
            store_close(s2);
        }
        CHECK(stored_eq(s, &d));
    }

    /* write_batch: a batch of four */
    {
        store_write l[4];
        store_write *batch[4] = {&l[0], &l[1], &l[2], &l[3]};
        make_login(&l[0], &a, 100, "jti-a-100-first");
        make_login(&l[1], &a, 100, "jti-a-100-second");
        make_login(&l[2], &a, 99, "jti-a-99");
        make_login(&l[3], &b, 50, "jti-b-50");
        CHECK(s->ops->write_batch(s, batch, 4) == TG_OK);
        CHECK(l[0].result == TG_OK);
        CHECK(l[1].result == TG_ERR_REPLAY);
        CHECK(l[2].result == TG_ERR_REPLAY);
        CHECK(l[3].result == TG_OK);
        CHECK(last_step_of(s, a.id) == 100);
        CHECK(last_step_of(s, b.id) == 50);
        a.last_step = 100;
        b.last_step = 50;
        CHECK(stored_eq(s, &a) && stored_eq(s, &b)); /* nothing else changed */
        /* the same step again in a later batch, and an earlier one */
        make_login(&l[0], &a, 100, "jti-a-100-third");
        make_login(&l[1], &b, 49, "jti-b-49");
        CHECK(s->ops->write_batch(s, batch, 2) == TG_OK);
        CHECK(l[0].result == TG_ERR_REPLAY && l[1].result == TG_ERR_REPLAY);
        CHECK(last_step_of(s, a.id) == 100 && last_step_of(s, b.id) == 50);
        /* step 0 is a valid first step */
        make_login(&l[0], &d, 0, "jti-d-0");
        CHECK(s->ops->write_batch(s, batch, 1) == TG_OK && l[0].result == TG_OK);
        CHECK(last_step_of(s, d.id) == 0);
        d.last_step = 0;
        /* an empty batch */
        CHECK(s->ops->write_batch(s, batch, 0) == TG_OK);
    }
    /* a disabled merchant: TG_ERR_REPLAY, nothing recorded */
    {
        store_write l;
        store_write *batch[1] = {&l};
        make_login(&l, &c, 10, "jti-c-10");
        CHECK(s->ops->write_batch(s, batch, 1) == TG_OK);
        CHECK(l.result == TG_ERR_REPLAY);
        CHECK(last_step_of(s, c.id) == -1);
        /* an unknown merchant is not accepted either */
        memset(l.merchant_id, 0, sizeof l.merchant_id);
        snprintf(l.merchant_id, sizeof l.merchant_id, "m_ffffffffffffffff");
        snprintf(l.jti, sizeof l.jti, "jti-unknown");
        CHECK(s->ops->write_batch(s, batch, 1) == TG_OK);
        CHECK(l.result != TG_OK);
        /* re-enabled, the merchant logs in */
        CHECK(s->ops->merchant_set_enabled(s, c.id, 1, 1000) == TG_OK);
        make_login(&l, &c, 10, "jti-c-10");
        CHECK(s->ops->write_batch(s, batch, 1) == TG_OK && l.result == TG_OK);
        CHECK(last_step_of(s, c.id) == 10);
        c.enabled = 1;
        c.last_step = 10;
    }
    /* a duplicate jti fails its own entry (both the step and the session undone), not the batch */
    {
        store_write l[4];
        store_write *batch[4] = {&l[0], &l[1], &l[2], &l[3]};
        make_login(&l[0], &a, 101, "jti-dup");
        make_login(&l[1], &b, 60, "jti-dup"); /* same jti as l[0] */
        make_login(&l[2], &d, 5, "jti-d-5");
        make_login(&l[3], &c, 11, "jti-a-100-first"); /* a jti recorded by an earlier batch */
        CHECK(s->ops->write_batch(s, batch, 4) == TG_OK);
        CHECK(l[0].result == TG_OK);
        CHECK(l[1].result != TG_OK && l[1].result != TG_ERR_STORE_UNAVAILABLE);
        CHECK(l[2].result == TG_OK);
        CHECK(l[3].result != TG_OK && l[3].result != TG_ERR_STORE_UNAVAILABLE);
        CHECK(last_step_of(s, a.id) == 101);
        CHECK(last_step_of(s, b.id) == 50); /* the failed entry's step advance was undone */
        CHECK(last_step_of(s, d.id) == 5);
        CHECK(last_step_of(s, c.id) == 10);
        a.last_step = 101;
        d.last_step = 5;
        /* b can still use step 60 with a fresh jti */
        make_login(&l[0], &b, 60, "jti-b-60");
        CHECK(s->ops->write_batch(s, batch, 1) == TG_OK && l[0].result == TG_OK);
        b.last_step = 60;
    }

    /* handles of one data directory may write concurrently */
    {
        merchant e;
        make_merchant(&e, 5, 1004);
        CHECK(s->ops->merchant_insert(s, &e) == TG_OK);
        concurrent_writers(s, f, &e);
    }

    /* everything so far survives close and reopen */
    s = reopen(s, f);
    if (s == NULL)
        return;
    CHECK(stored_eq(s, &a));
    CHECK(stored_eq(s, &b));
    CHECK(stored_eq(s, &c));
    CHECK(stored_eq(s, &d));
    CHECK(list_count(s, &lc) == 5);

    /* an injected commit failure: nothing recorded, every entry says so */
    {
        char fault[PATH_MAX + 16];
        FILE *fp;
        store_write l[3];
        store_write *batch[3] = {&l[0], &l[1], &l[2]};

        snprintf(fault, sizeof fault, "%s/fault", f->dir);
        fp = fopen(fault, "w");
        CHECK(fp != NULL);
        if (fp != NULL)
            fclose(fp);
        CHECK(setenv("TOTPGATE_TEST_FAULT_FILE", fault, 1) == 0);
        s = reopen(s, f); /* the backend reads the variable when it opens */
        if (s == NULL) {
            unsetenv("TOTPGATE_TEST_FAULT_FILE");
            return;
        }
        make_login(&l[0], &a, 200, "jti-fault-a");
        make_login(&l[1], &d, 200, "jti-fault-d");
        make_login(&l[2], &a, 100, "jti-fault-replay");
        CHECK(s->ops->write_batch(s, batch, 3) == TG_ERR_STORE_UNAVAILABLE);
        CHECK(l[0].result == TG_ERR_STORE_UNAVAILABLE);
        CHECK(l[1].result == TG_ERR_STORE_UNAVAILABLE);
        CHECK(l[2].result == TG_ERR_STORE_UNAVAILABLE);
        CHECK(last_step_of(s, a.id) == 101 && last_step_of(s, d.id) == 5);
        unlink(fault);
        unsetenv("TOTPGATE_TEST_FAULT_FILE");
        s = reopen(s, f);
        if (s == NULL)
            return;
        CHECK(last_step_of(s, a.id) == 101);
        CHECK(last_step_of(s, d.id) == 5);
        /* the same logins go through now: neither their steps nor their jtis were recorded */
        make_login(&l[0], &a, 200, "jti-fault-a");
        make_login(&l[1], &d, 200, "jti-fault-d");
        CHECK(s->ops->write_batch(s, batch, 2) == TG_OK);
        CHECK(l[0].result == TG_OK && l[1].result == TG_OK);
        a.last_step = 200;
        d.last_step = 200;
    }

    /* merchant_import is all or nothing */
    {
        struct import_ctx ic;
        size_t count = 99;
        memset(&ic, 0, sizeof ic);
        make_merchant(&ic.rows[0], 11, 3000);
        make_merchant(&ic.rows[1], 12, 3001);
        make_merchant(&ic.rows[2], 13, 3002);
        memcpy(ic.rows[2].api_key_hash, ic.rows[0].api_key_hash, TG_SHA256_LEN); /* duplicate in the file */
        ic.n = 3;
        CHECK(s->ops->merchant_import(s, import_next, &ic, &count) != TG_OK);
        CHECK(count == 0);
        CHECK(list_count(s, &lc) == 5);
        CHECK(!list_has(&lc, ic.rows[0].id) && !list_has(&lc, ic.rows[1].id) && !list_has(&lc, ic.rows[2].id));
        CHECK(s->ops->merchant_get(s, ic.rows[0].id, &got) == TG_ERR_NOT_FOUND);
        CHECK(s->ops->merchant_find_by_key_hash(s, ic.rows[1].api_key_hash, &got) == TG_ERR_NOT_FOUND);

        /* duplicate of a merchant already stored */
        make_merchant(&ic.rows[2], 13, 3002);
        memcpy(ic.rows[2].api_key_hash, a.api_key_hash, TG_SHA256_LEN);
        ic.next = 0;
        count = 99;
        CHECK(s->ops->merchant_import(s, import_next, &ic, &count) != TG_OK);
        CHECK(count == 0 && list_count(s, &lc) == 5);

        /* the iterator fails on row 3 */
        make_merchant(&ic.rows[2], 13, 3002);
        ic.next = 0;
        ic.fail_at = 3;
        count = 99;
        CHECK(s->ops->merchant_import(s, import_next, &ic, &count) != TG_OK);
        CHECK(count == 0 && list_count(s, &lc) == 5);

        /* a good import */
        ic.next = 0;
        ic.fail_at = 0;
        count = 99;
        CHECK(s->ops->merchant_import(s, import_next, &ic, &count) == TG_OK);
        CHECK(count == 3);
        CHECK(list_count(s, &lc) == 8);
        CHECK(strcmp(lc.ids[5], ic.rows[0].id) == 0 && strcmp(lc.ids[6], ic.rows[1].id) == 0 &&
              strcmp(lc.ids[7], ic.rows[2].id) == 0);
        CHECK(stored_eq(s, &ic.rows[0]) && stored_eq(s, &ic.rows[1]) && stored_eq(s, &ic.rows[2]));
        /* an empty import */
        ic.next = ic.n;
        count = 99;
        CHECK(s->ops->merchant_import(s, import_next, &ic, &count) == TG_OK && count == 0);
    }

    /* signing keys */
    {
        store_signing_key k1, k2, out;
        memset(&k1, 0, sizeof k1);
        snprintf(k1.kid, sizeof k1.kid, "kid-one-0123456789012345678901234567890123");
        k1.created_at = 1700000000;
        k1.active = 1;
        for (size_t i = 0; i < 150; i++)
            k1.private_sealed[i] = (uint8_t)(i * 13 + 1);
        k1.private_sealed_len = 150;
        k2 = k1;
        snprintf(k2.kid, sizeof k2.kid, "kid-two");
        k2.private_sealed[0] ^= 0xff;
        k2.created_at = 1700000500;

        CHECK(s->ops->signing_key_active(s, &out) == TG_ERR_NOT_FOUND);
        CHECK(s->ops->signing_key_insert(s, &k1) == TG_OK);
        memset(&out, 0x5a, sizeof out);
        CHECK(s->ops->signing_key_active(s, &out) == TG_OK);
        CHECK_STR(out.kid, k1.kid);
        CHECK(out.active && out.created_at == k1.created_at && out.private_sealed_len == 150 &&
              memcmp(out.private_sealed, k1.private_sealed, 150) == 0);
        CHECK(s->ops->signing_key_insert(s, &k2) == TG_ERR_CONFLICT);
        CHECK(s->ops->signing_key_insert(s, &k1) == TG_ERR_CONFLICT);
        CHECK(s->ops->signing_key_active(s, &out) == TG_OK);
        CHECK_STR(out.kid, k1.kid);
    }

    /* and once more across a reopen */
    s = reopen(s, f);
    if (s == NULL)
        return;
    CHECK(stored_eq(s, &a) && stored_eq(s, &b) && stored_eq(s, &c) && stored_eq(s, &d));
    CHECK(list_count(s, &lc) == 8);
    {
        store_signing_key out;
        CHECK(s->ops->signing_key_active(s, &out) == TG_OK && out.private_sealed_len == 150);
    }
    store_close(s);
}

/* read_snapshot: look-ups of one handle share a snapshot until it is
 * released or older than its max age; with 0 every read sees the latest commit. */
static void read_snapshot_conformance(store_fixture *f)
{
    store *r = NULL, *w = NULL;
    merchant x, y, z, out;
    struct timespec pause = {0, 20 * 1000 * 1000};

    CHECK(f->open(f, &r) == TG_OK && f->open(f, &w) == TG_OK);
    if (r == NULL || w == NULL)
        goto out;
    make_merchant(&x, 21, 5000);
    make_merchant(&y, 22, 5001);
    make_merchant(&z, 23, 5002);

    r->ops->read_snapshot(r, 60000);
    CHECK(r->ops->merchant_find_by_key_hash(r, x.api_key_hash, &out) == TG_ERR_NOT_FOUND); /* snapshot taken */
    CHECK(w->ops->merchant_insert(w, &x) == TG_OK);
    CHECK(r->ops->merchant_find_by_key_hash(r, x.api_key_hash, &out) == TG_ERR_NOT_FOUND); /* still the old one */
    CHECK(r->ops->merchant_get(r, x.id, &out) == TG_ERR_NOT_FOUND);
    r->ops->read_release(r);
    CHECK(r->ops->merchant_find_by_key_hash(r, x.api_key_hash, &out) == TG_OK && merchant_eq(&out, &x));

    r->ops->read_snapshot(r, 1); /* a snapshot older than 1 ms is renewed by the next read */
    CHECK(r->ops->merchant_get(r, x.id, &out) == TG_OK);
    CHECK(w->ops->merchant_insert(w, &y) == TG_OK);
    nanosleep(&pause, NULL);
    CHECK(r->ops->merchant_get(r, y.id, &out) == TG_OK && merchant_eq(&out, &y));

    r->ops->read_snapshot(r, 0); /* off: every read sees the latest commit */
    CHECK(w->ops->merchant_insert(w, &z) == TG_OK);
    CHECK(r->ops->merchant_find_by_key_hash(r, z.api_key_hash, &out) == TG_OK && merchant_eq(&out, &z));
    /* a snapshot left open does not stop the writer */
    r->ops->read_snapshot(r, 60000);
    CHECK(r->ops->merchant_get(r, z.id, &out) == TG_OK);
    CHECK(w->ops->merchant_set_enabled(w, z.id, 0, 6000) == TG_OK);
    CHECK(r->ops->merchant_get(r, z.id, &out) == TG_OK && out.enabled); /* the snapshot's view */
    r->ops->read_release(r);
    CHECK(r->ops->merchant_get(r, z.id, &out) == TG_OK && !out.enabled);
out:
    store_close(r);
    store_close(w);
}

/* merchant_generation: moves with every change a login check reads, and
 * only then (a login's own last_step, a failure that sets no lock). */
static int64_t generation_of(store *s)
{
    int64_t g = INT64_MIN;
    if (s->ops->merchant_generation(s, &g) != TG_OK)
        return INT64_MIN;
    return g;
}

static int generation_moved(store *s, int64_t *last)
{
    int64_t g = generation_of(s);
    int moved = g != INT64_MIN && g != *last;
    *last = g;
    return moved;
}

static void merchant_generation_conformance(store_fixture *f)
{
    store *s = NULL;
    merchant a, b, rotated;
    store_write l, fail;
    store_write *batch[1];
    int64_t g;
    uint8_t secret[20];
    struct import_ctx ic;
    size_t count = 0;

    CHECK(f->open(f, &s) == TG_OK);
    if (s == NULL)
        return;
    g = generation_of(s);
    CHECK(g != INT64_MIN);
    make_merchant(&a, 31, 7000);
    make_merchant(&b, 32, 7001);
    CHECK(s->ops->merchant_insert(s, &a) == TG_OK);
    CHECK(generation_moved(s, &g)); /* a new key */
    memset(&ic, 0, sizeof ic);
    ic.rows[0] = b;
    ic.n = 1;
    CHECK(s->ops->merchant_import(s, import_next, &ic, &count) == TG_OK && count == 1);
    CHECK(generation_moved(s, &g)); /* imported keys too */

    make_login(&l, &a, 100, "gen-login-1");
    batch[0] = &l;
    CHECK(s->ops->write_batch(s, batch, 1) == TG_OK && l.result == TG_OK);
    CHECK(!generation_moved(s, &g)); /* a login moves only last_step forward */

    memset(&fail, 0, sizeof fail);
    fail.kind = STORE_WRITE_LOGIN_FAILURE;
    snprintf(fail.merchant_id, sizeof fail.merchant_id, "%s", a.id);
    fail.issued_at = 1700000500;
    fail.lockout = (lockout_policy){.after = 2, .base_delay = 30, .max_delay = 3600, .forever_after = 0};
    batch[0] = &fail;
    CHECK(s->ops->write_batch(s, batch, 1) == TG_OK && fail.result == TG_OK);
    CHECK(!generation_moved(s, &g)); /* counted, no lock yet */
    CHECK(s->ops->write_batch(s, batch, 1) == TG_OK && fail.result == TG_OK);
    CHECK(generation_moved(s, &g)); /* the second failure locks */
    CHECK(s->ops->merchant_unlock(s, a.id) == TG_OK);
    CHECK(generation_moved(s, &g));

    CHECK(s->ops->merchant_set_enabled(s, a.id, 0, 1700000600) == TG_OK);
    CHECK(generation_moved(s, &g));
    CHECK(s->ops->merchant_set_enabled(s, a.id, 1, 1700000601) == TG_OK);
    CHECK(generation_moved(s, &g));

    rotated = a;
    memset(secret, 'z', sizeof secret);
    CHECK(merchant_seal_secret(&rotated, &test_vault, secret, sizeof secret) == TG_OK);
    CHECK(s->ops->merchant_set_secret(s, &rotated, 1700000700) == TG_OK);
    CHECK(generation_moved(s, &g));
    /* a code checked against the old secret opens no session, even at a fresh step */
    make_login(&l, &a, 200, "gen-login-old-secret");
    batch[0] = &l;
    CHECK(s->ops->write_batch(s, batch, 1) == TG_OK && l.result == TG_ERR_REPLAY);
    make_login(&l, &rotated, 200, "gen-login-new-secret");
    CHECK(s->ops->write_batch(s, batch, 1) == TG_OK && l.result == TG_OK);

    /* read in the snapshot, like the look-ups it guards */
    {
        store *w = NULL;
        CHECK(f->open(f, &w) == TG_OK);
        if (w != NULL) {
            s->ops->read_snapshot(s, 60000);
            g = generation_of(s);
            CHECK(w->ops->merchant_set_enabled(w, b.id, 0, 1700000800) == TG_OK);
            CHECK(generation_of(s) == g);
            s->ops->read_release(s);
            CHECK(generation_of(s) != g);
            s->ops->read_snapshot(s, 0);
            store_close(w);
        }
    }
    store_close(s);
}

/* ---- the SQLite backend ---- */

static tg_status sqlite_fixture_open(store_fixture *f, store **out)
{
    return store_open(out, f->dir);
}

void test_store(void);
void test_store(void)
{
    store_fixture f;
    store *s = NULL;

    for (size_t i = 0; i < sizeof test_vault.key; i++)
        test_vault.key[i] = (uint8_t)(0x80 + i);
    memset(&f, 0, sizeof f);
    f.backend = "sqlite";
    f.open = sqlite_fixture_open;
    snprintf(f.dir, sizeof f.dir, "/tmp/totpgate-store-XXXXXX");
    if (mkdtemp(f.dir) == NULL) {
        CHECK(!"mkdtemp failed");
        return;
    }
    CHECK(f.open(&f, &s) == TG_OK && s != NULL);
    if (s != NULL) {
        CHECK_STR(s->ops->name, "sqlite");
        store_conformance(s, &f);
        read_snapshot_conformance(&f);
        merchant_generation_conformance(&f);
    }
    store_close(NULL); /* does nothing */
    unit_remove_dir(f.dir);
    vault_close(&test_vault);
}
