/*
 * writer.c - group commit of logins on a dedicated thread; see writer.h.
 */
#include "writer.h"

#include <pthread.h>
#include <stdlib.h>

#include "log.h"

struct writer {
    store *store;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    writer_job *head, *tail; /* FIFO of submitted jobs, guarded by lock */
    int stopping;            /* guarded by lock */
};

static void *writer_main(void *arg)
{
    writer *w = arg;
    store_write *batch[WRITER_BATCH_MAX];
    writer_job *jobs[WRITER_BATCH_MAX];

    for (;;) {
        size_t n = 0;

        pthread_mutex_lock(&w->lock);
        while (w->head == NULL && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
        if (w->head == NULL && w->stopping) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        /* take everything that queued up while the last commit ran */
        while (w->head != NULL && n < WRITER_BATCH_MAX) {
            writer_job *j = w->head;
            w->head = j->next;
            j->next = NULL;
            jobs[n] = j;
            batch[n] = &j->write;
            n++;
        }
        if (w->head == NULL)
            w->tail = NULL;
        pthread_mutex_unlock(&w->lock);

        if (w->store->ops->write_batch(w->store, batch, n) != TG_OK)
            log_event(LOG_ERROR, "write_batch_failed", "hint", "answered 503; nothing from this batch was issued or revoked",
                      NULL);
        for (size_t i = 0; i < n; i++)
            jobs[i]->done(jobs[i]);
    }
    return NULL;
}

tg_status writer_start(writer **out, store *s)
{
    writer *w = calloc(1, sizeof *w);

    if (w == NULL) {
        store_close(s);
        return TG_ERR_NOMEM;
    }
    w->store = s;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        store_close(s);
        free(w);
        return TG_ERR_INTERNAL;
    }
    *out = w;
    return TG_OK;
}

void writer_submit(writer *w, writer_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->tail != NULL)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void writer_submit_chain(writer *w, writer_job *head, writer_job *tail)
{
    tail->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->tail != NULL)
        w->tail->next = head;
    else
        w->head = head;
    w->tail = tail;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void writer_stop(writer *w)
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
