/*
 * log.h - structured logs: one JSON object per line on stderr.
 *
 * Every value is JSON-escaped, so CR, LF and terminal escapes that a client
 * sends cannot forge or corrupt lines.  Each line is written with a single
 * write(2), so lines from different threads never interleave.
 *
 * Never pass a secret, TOTP code, API key or token: callers log merchant ids,
 * outcomes and client addresses only.
 *
 * Thread safety: safe from any thread after log_init().
 */
#ifndef TG_LOG_H
#define TG_LOG_H

#include <stdatomic.h>

typedef enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* Sets the minimum level written; defaults to LOG_INFO. */
void log_set_level(log_level min);

/* Parses "debug", "info", "warn", "error"; returns 0 on success. */
int log_parse_level(const char *name, log_level *out);

int log_enabled(log_level level);

/*
 * Writes {"ts":"<RFC 3339 UTC>","level":"...","event":"<event>", k1:v1, ...}.
 * The variadic part is pairs of const char * key and const char * value,
 * ended by a NULL key.  A NULL value is written as null.
 */
void log_event(log_level level, const char *event, ...);

/*
 * A cap on lines of one kind per second, so that a flood of refused
 * requests does not become a flood of log lines.  Lines over the cap are
 * counted and reported as one "log_suppressed" line when the next second
 * starts.  Initialise with LOG_LIMITER_INIT(event, per_second).
 */
typedef struct log_limiter {
    const char *event;
    unsigned per_second;
    _Atomic long long window; /* the second being counted */
    _Atomic unsigned used;
    _Atomic unsigned long suppressed;
} log_limiter;

#define LOG_LIMITER_INIT(event_, per_second_) {(event_), (per_second_), 0, 0, 0}

/* 1 when a line may be written now, else 0 (and it is counted). */
int log_limiter_admit(log_limiter *l);

#endif
