/*
 * writer.h - the one thread that writes logins and logouts to the store, with group
 * commit.
 *
 * Event-loop threads never write to the store: they submit a job and go on
 * serving.  The writer takes every job queued while its previous commit was
 * in flight and records them in one durable transaction (store_ops
 * write_batch), then calls each job's done callback on the writer thread.
 * The callback must hand the job back to its own thread (the server posts it
 * to the event loop through h2o's multithread queue) and must not block.
 *
 * Ownership: a submitted job belongs to the writer until its done callback
 * runs; then it belongs to the callback.  The writer owns its store handle
 * and closes it in writer_stop().
 *
 * Thread safety: writer_submit() may be called from any thread.
 */
#ifndef TG_WRITER_H
#define TG_WRITER_H

#include <stddef.h>

#include "status.h"
#include "store.h"

#define WRITER_BATCH_MAX 1024

typedef struct writer_job writer_job;
typedef void (*writer_done_fn)(writer_job *job);

struct writer_job {
    store_write write;   /* in: what to write; out: write.result */
    writer_done_fn done; /* called once, on the writer thread, after the commit */
    writer_job *next;    /* owned by the writer while queued */
};

typedef struct writer writer;

/* Starts the writer thread, which takes ownership of s (also on failure). */
tg_status writer_start(writer **out, store *s);

void writer_submit(writer *w, writer_job *job);

/* Submits the jobs linked through their next fields, head to tail, at once. */
void writer_submit_chain(writer *w, writer_job *head, writer_job *tail);

/* Commits what is queued, stops the thread, closes the store and frees w.
 * writer_stop(NULL) does nothing. */
void writer_stop(writer *w);

#endif
