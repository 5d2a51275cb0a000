/*
 * watcher.c - revocation feed, key changes and purging; see watcher.h.
 */
#include "watcher.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"

#define KEYS_EVERY_TICKS (1000 / WATCHER_TICK_MS)
#define PURGE_EVERY_TICKS (60000 / WATCHER_TICK_MS)

struct watcher {
    tg_app *app;
    store *store;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stopping; /* guarded by lock */
    int64_t last_seq;
};

static tg_status add_revocation(void *ctx, const store_revocation *r)
{
    watcher *w = ctx;
    tg_status rc = revset_add(w->app->revoked, r->jti, r->expires_at);

    if (rc == TG_OK)
        w->last_seq = r->seq;
    return rc;
}

static void poll_revocations(watcher *w)
{
    tg_status rc = w->store->ops->revocations_since(w->store, w->last_seq, add_revocation, w);

    if (rc != TG_OK)
        log_event(LOG_WARN, "revocation_poll_failed", "error", tg_status_str(rc), NULL);
}

static void poll_keys(watcher *w)
{
    tg_app *app = w->app;
    char fingerprint[KEYRING_FINGERPRINT_MAX];
    keyring *fresh, *old;
    int64_t now = clock_now();
    tg_status rc;
    int same;

    if ((rc = keyring_fingerprint(fingerprint, w->store, now)) != TG_OK) {
        log_event(LOG_WARN, "key_poll_failed", "error", tg_status_str(rc), NULL);
        return;
    }
    /* only the watcher swaps keyrings, so reading the pointer needs no lock here */
    same = strcmp(fingerprint, app->keyring->fingerprint) == 0;
    if (same)
        return;
    if ((fresh = malloc(sizeof *fresh)) == NULL)
        return;
    if ((rc = keyring_load(fresh, w->store, &app->vault, 0, now)) != TG_OK) {
        log_event(LOG_WARN, "key_reload_failed", "error", tg_status_str(rc), NULL);
        free(fresh);
        return;
    }
    pthread_rwlock_wrlock(&app->keyring_lock);
    old = app->keyring;
    app->keyring = fresh;
    pthread_rwlock_unlock(&app->keyring_lock);
    /* no reader can hold old now: they all took the lock we just held */
    log_event(LOG_INFO, "signing_keys_reloaded", "active_kid", keyring_active(fresh)->kid, "loaded",
              fresh->fingerprint, NULL);
    keyring_release(old);
    free(old);
}

static void purge(watcher *w)
{
    int64_t now = clock_now();
    size_t dropped = revset_purge(w->app->revoked, now), deleted = 0;
    tg_status rc = w->store->ops->purge(w->store, now, now - w->app->cfg->session_retention, &deleted);

    if (rc != TG_OK) {
        log_event(LOG_WARN, "purge_failed", "error", tg_status_str(rc), NULL);
    } else if (deleted > 0 || dropped > 0) {
        char d[24], r[24];
        snprintf(d, sizeof d, "%zu", deleted);
        snprintf(r, sizeof r, "%zu", dropped);
        log_event(LOG_INFO, "purged", "sessions", d, "revocations_in_memory", r, NULL);
    }
}

static void *watcher_main(void *arg)
{
    watcher *w = arg;
    unsigned long tick = 0;

    for (;;) {
        struct timespec until;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += WATCHER_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&w->lock);
        while (!w->stopping && pthread_cond_timedwait(&w->wake, &w->lock, &until) != ETIMEDOUT)
            ;
        if (w->stopping) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        pthread_mutex_unlock(&w->lock);

        tick++;
        poll_revocations(w);
        if (tick % KEYS_EVERY_TICKS == 0)
            poll_keys(w);
        if (tick % PURGE_EVERY_TICKS == 0)
            purge(w);
    }
    return NULL;
}

tg_status watcher_start(watcher **out, tg_app *app, store *s)
{
    watcher *w = calloc(1, sizeof *w);
    tg_status rc;

    if (w == NULL) {
        store_close(s);
        return TG_ERR_NOMEM;
    }
    w->app = app;
    w->store = s;
    if ((rc = s->ops->revocations_since(s, 0, add_revocation, w)) != TG_OK) {
        store_close(s);
        free(w);
        return rc;
    }
    purge(w); /* a server that was down past the retention period catches up at once */
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->thread, NULL, watcher_main, w) != 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        store_close(s);
        free(w);
        return TG_ERR_INTERNAL;
    }
    *out = w;
    return TG_OK;
}

void watcher_stop(watcher *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    store_close(w->store);
    free(w);
}
