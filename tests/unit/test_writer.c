/*
 * test_writer.c - the group-commit writer under concurrent submitters.
 *
 * Four threads submit logins at once.  Part one: each merchant is tried at
 * one step only, many times over, so exactly one attempt per
 * (merchant, step) must succeed and every other one must be a replay.  Part
 * two: one "hot" merchant is tried at rising steps from all threads; no step
 * may succeed twice and the highest one must succeed exactly once.  No job
 * may be lost or completed twice.
 */
#include <pthread.h>
#include <stdatomic.h>
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
#include "writer.h"

#define W_THREADS 4
#define W_PER_THREAD 200
#define W_MERCHANTS 50 /* part one: each thread tries each merchant 4 times */
#define W_STEP0 1000
#define W_HOT_STEPS 50 /* part two: steps 1..50 of the hot merchant */
#define W_JOBS (W_THREADS * W_PER_THREAD)

typedef struct test_job {
    writer_job job; /* first member: the callback casts back */
    int merchant;   /* index; W_MERCHANTS is the hot merchant */
    int64_t step;
    atomic_int calls;
} test_job;

static atomic_int w_callbacks;
static atomic_int w_ok[W_MERCHANTS + 1];
static atomic_int w_replay;
static atomic_int w_other;
static atomic_int w_hot_ok[W_HOT_STEPS + 1];

static char w_ids[W_MERCHANTS + 1][MERCHANT_ID_MAX + 1];
static uint8_t w_sealed[W_MERCHANTS + 1][MERCHANT_SEALED_MAX]; /* each merchant's sealed secret */
static size_t w_sealed_len[W_MERCHANTS + 1];

static void job_done(writer_job *j)
{
    test_job *t = (test_job *)j;

    atomic_fetch_add(&t->calls, 1);
    if (j->write.result == TG_OK) {
        atomic_fetch_add(&w_ok[t->merchant], 1);
        if (t->merchant == W_MERCHANTS && t->step >= 1 && t->step <= W_HOT_STEPS)
            atomic_fetch_add(&w_hot_ok[t->step], 1);
    } else if (j->write.result == TG_ERR_REPLAY) {
        atomic_fetch_add(&w_replay, 1);
    } else {
        atomic_fetch_add(&w_other, 1);
    }
    /* the last thing: the job now belongs to us again */
    atomic_fetch_add(&w_callbacks, 1);
}

/* The gate: a job whose callback holds the writer thread until released, so
 * that the queue behind it grows past WRITER_BATCH_MAX. */
static atomic_int gate_entered, gate_open;

static void gate_done(writer_job *j)
{
    struct timespec ts = {0, 1000000};

    (void)j;
    atomic_store(&gate_entered, 1);
    for (int i = 0; i < 10000 && !atomic_load(&gate_open); i++)
        nanosleep(&ts, NULL);
}

static void wait_for(atomic_int *flag)
{
    struct timespec ts = {0, 1000000};
    for (int i = 0; i < 10000 && !atomic_load(flag); i++)
        nanosleep(&ts, NULL);
}

struct submitter {
    writer *w;
    test_job *jobs; /* W_PER_THREAD of them */
    int thread;
};

static void *submit_main(void *arg)
{
    struct submitter *s = arg;

    for (int i = 0; i < W_PER_THREAD; i++)
        writer_submit(s->w, &s->jobs[i].job);
    return NULL;
}

static void fill_job(test_job *t, int midx, int64_t step, int thread, int i, int part)
{
    store_write *l = &t->job.write;

    memset(t, 0, sizeof *t);
    atomic_init(&t->calls, 0);
    t->merchant = midx;
    t->step = step;
    t->job.done = job_done;
    snprintf(l->merchant_id, sizeof l->merchant_id, "%s", w_ids[midx]);
    memcpy(l->secret_sealed, w_sealed[midx], w_sealed_len[midx]);
    l->secret_sealed_len = w_sealed_len[midx];
    l->step = step;
    snprintf(l->jti, sizeof l->jti, "w%u-t%u-j%u", (unsigned char)part, (unsigned char)thread,
             (unsigned short)i); /* unique per job (i < 65536) */
    snprintf(l->kid, sizeof l->kid, "kid-writer-test");
    l->issued_at = 1700000000;
    l->expires_at = 1700000600;
    snprintf(l->client_addr, sizeof l->client_addr, "198.51.100.%d", thread);
    snprintf(l->user_agent, sizeof l->user_agent, "writer-test/%d", thread);
    l->result = (tg_status)-1;
}

static void reset_counters(void)
{
    atomic_store(&w_callbacks, 0);
    atomic_store(&w_replay, 0);
    atomic_store(&w_other, 0);
    for (int i = 0; i <= W_MERCHANTS; i++)
        atomic_store(&w_ok[i], 0);
    for (int i = 0; i <= W_HOT_STEPS; i++)
        atomic_store(&w_hot_ok[i], 0);
}

/* Runs W_THREADS submitters over jobs[W_JOBS] against a writer on dir, then stops the writer. */
static void run_part(const char *dir, test_job *jobs)
{
    store *s = NULL;
    writer *w = NULL;
    pthread_t th[W_THREADS];
    struct submitter sub[W_THREADS];
    int started = 0;

    CHECK(store_open(&s, dir) == TG_OK && s != NULL);
    if (s == NULL)
        return;
    CHECK(writer_start(&w, s) == TG_OK && w != NULL);
    if (w == NULL)
        return;
    for (int t = 0; t < W_THREADS; t++) {
        sub[t].w = w;
        sub[t].jobs = jobs + t * W_PER_THREAD;
        sub[t].thread = t;
        if (pthread_create(&th[t], NULL, submit_main, &sub[t]) == 0)
            started++;
        else
            CHECK(!"pthread_create failed");
    }
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    /* stop right after the last submit: the writer must still finish every queued job */
    writer_stop(w);
    CHECK(started == W_THREADS);
}

static int count_once(test_job *jobs)
{
    int ok = 1;
    for (int i = 0; i < W_JOBS; i++) {
        if (atomic_load(&jobs[i].calls) != 1)
            ok = 0;
    }
    return ok;
}

void test_writer(void);
void test_writer(void)
{
    char dir[] = "/tmp/totpgate-writer-XXXXXX";
    test_job *jobs;
    store *s = NULL;
    vault v;

    writer_stop(NULL); /* does nothing */
    if (mkdtemp(dir) == NULL) {
        CHECK(!"mkdtemp failed");
        return;
    }
    jobs = calloc(W_JOBS, sizeof *jobs);
    CHECK(jobs != NULL);
    for (size_t i = 0; i < sizeof v.key; i++)
        v.key[i] = (uint8_t)i;

    /* W_MERCHANTS merchants plus the hot one */
    CHECK(store_open(&s, dir) == TG_OK && s != NULL);
    if (s == NULL || jobs == NULL)
        goto out;
    for (int i = 0; i <= W_MERCHANTS; i++) {
        merchant m;
        char key[32];
        uint8_t secret[20];
        memset(&m, 0, sizeof m);
        snprintf(m.id, sizeof m.id, "m_%016x", 0xa0000u + (unsigned)i);
        snprintf(w_ids[i], sizeof w_ids[i], "%s", m.id);
        snprintf(m.name, sizeof m.name, "writer %d", i);
        snprintf(m.issuer, sizeof m.issuer, "ACME");
        m.totp = (totp_params){TG_HASH_SHA1, 6, 30};
        m.enabled = 1;
        m.last_step = -1;
        m.created_at = 1000 + i;
        snprintf(key, sizeof key, "tgk_writer_%d", i);
        merchant_hash_api_key(m.api_key_hash, key, strlen(key));
        memset(secret, i, sizeof secret);
        CHECK(merchant_seal_secret(&m, &v, secret, sizeof secret) == TG_OK);
        memcpy(w_sealed[i], m.secret_sealed, m.secret_sealed_len);
        w_sealed_len[i] = m.secret_sealed_len;
        CHECK(s->ops->merchant_insert(s, &m) == TG_OK);
    }
    store_close(s);
    s = NULL;

    /* part one: thread t, job i -> merchant i % 50 at its own fixed step; each pair 16 times */
    reset_counters();
    for (int t = 0; t < W_THREADS; t++) {
        for (int i = 0; i < W_PER_THREAD; i++) {
            int m = (i + t * 7) % W_MERCHANTS; /* threads walk the merchants in different orders */
            fill_job(&jobs[t * W_PER_THREAD + i], m, W_STEP0 + m, t, i, 1);
        }
    }
    run_part(dir, jobs);
    CHECK(atomic_load(&w_callbacks) == W_JOBS);
    CHECK(count_once(jobs));
    CHECK(atomic_load(&w_other) == 0);
    {
        int exactly_one = 1;
        for (int m = 0; m < W_MERCHANTS; m++) {
            if (atomic_load(&w_ok[m]) != 1) {
                fprintf(stderr, "  merchant %d step %d: %d successes\n", m, W_STEP0 + m, atomic_load(&w_ok[m]));
                exactly_one = 0;
            }
        }
        CHECK(exactly_one);
    }
    CHECK(atomic_load(&w_replay) == W_JOBS - W_MERCHANTS);
    {
        int results_ok = 1;
        for (int i = 0; i < W_JOBS; i++) {
            tg_status r = jobs[i].job.write.result;
            if (r != TG_OK && r != TG_ERR_REPLAY)
                results_ok = 0;
        }
        CHECK(results_ok);
    }

    /*
     * part two: the hot merchant at rising steps.  Thread t, job i -> step
     * 1 + (i / 4): every step 1..50 is tried 4 times by each thread, in
     * rising order within a thread.
     */
    reset_counters();
    for (int t = 0; t < W_THREADS; t++) {
        for (int i = 0; i < W_PER_THREAD; i++)
            fill_job(&jobs[t * W_PER_THREAD + i], W_MERCHANTS, 1 + i / 4, t, i, 2);
    }
    run_part(dir, jobs);
    CHECK(atomic_load(&w_callbacks) == W_JOBS);
    CHECK(count_once(jobs));
    CHECK(atomic_load(&w_other) == 0);
    {
        int at_most_one = 1;
        for (int st = 1; st <= W_HOT_STEPS; st++) {
            if (atomic_load(&w_hot_ok[st]) > 1)
                at_most_one = 0;
        }
        CHECK(at_most_one);
        CHECK(atomic_load(&w_hot_ok[W_HOT_STEPS]) == 1);
        CHECK(atomic_load(&w_ok[W_MERCHANTS]) + atomic_load(&w_replay) == W_JOBS);
    }

    /*
     * part three: one thread queues more than WRITER_BATCH_MAX jobs at once
     * (commits take far longer than submits), the hot merchant at steps
     * 100..: each step twice.  Nothing may be lost or succeed twice.
     */
    {
        const int n = 3 * WRITER_BATCH_MAX;
        test_job *many = calloc((size_t)n, sizeof *many);
        store *s3 = NULL;
        writer *w = NULL;
        CHECK(many != NULL);
        CHECK(store_open(&s3, dir) == TG_OK && s3 != NULL);
        if (many != NULL && s3 != NULL && writer_start(&w, s3) == TG_OK) {
            int ok_total = 0, dup_ok = 0, once = 1;
            test_job gate;
            reset_counters();
            for (int i = 0; i < n; i++)
                fill_job(&many[i], W_MERCHANTS, 100 + i / 2, 9, i, 3);
            fill_job(&gate, W_MERCHANTS, 99, 9, 65535, 3);
            gate.job.done = gate_done;
            atomic_store(&gate_entered, 0);
            atomic_store(&gate_open, 0);
            writer_submit(w, &gate.job);
            wait_for(&gate_entered); /* the writer is now held inside the gate's callback */
            CHECK(atomic_load(&gate_entered));
            for (int i = 0; i < n; i++)
                writer_submit(w, &many[i].job);
            atomic_store(&gate_open, 1);
            writer_stop(w);
            CHECK(gate.job.write.result == TG_OK);
            CHECK(atomic_load(&w_callbacks) == n);
            CHECK(atomic_load(&w_other) == 0);
            for (int i = 0; i < n; i++) {
                if (atomic_load(&many[i].calls) != 1)
                    once = 0;
                if (many[i].job.write.result == TG_OK) {
                    ok_total++;
                    if (i % 2 == 1 && many[i - 1].job.write.result == TG_OK)
                        dup_ok = 1;
                }
            }
            CHECK(once);
            CHECK(!dup_ok);
            CHECK(ok_total >= 1 && ok_total <= n / 2);
            CHECK(many[n - 1].job.write.result == TG_OK || many[n - 2].job.write.result == TG_OK);
        }
        free(many);
    }

    /* the store agrees with what the callbacks were told */
    CHECK(store_open(&s, dir) == TG_OK && s != NULL);
    if (s != NULL) {
        int steps_ok = 1;
        merchant m;
        for (int i = 0; i < W_MERCHANTS; i++) {
            if (s->ops->merchant_get(s, w_ids[i], &m) != TG_OK || m.last_step != W_STEP0 + i)
                steps_ok = 0;
        }
        CHECK(steps_ok);
        CHECK(s->ops->merchant_get(s, w_ids[W_MERCHANTS], &m) == TG_OK &&
              m.last_step == 100 + 3 * WRITER_BATCH_MAX / 2 - 1);
        store_close(s);
        s = NULL;
    }

    /* a writer with nothing to do starts and stops cleanly */
    CHECK(store_open(&s, dir) == TG_OK && s != NULL);
    if (s != NULL) {
        writer *w = NULL;
        CHECK(writer_start(&w, s) == TG_OK);
        writer_stop(w);
        s = NULL;
    }
out:
    store_close(s);
    free(jobs);
    unit_remove_dir(dir);
}
