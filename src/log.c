/*
 * log.c - JSON-lines logger; see log.h.
 */
#include "log.h"

#include "jsonout.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096

static _Atomic int min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(log_level min)
{
    min_level = (int)min;
}

int log_parse_level(const char *name, log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    }
    return -1;
}

int log_enabled(log_level level)
{
    return (int)level >= min_level;
}

/* Appends s as a JSON string; on overflow writes a marker that keeps the line valid. */
static void put_json_string(char *buf, size_t *pos, size_t cap, const char *s)
{
    if (jsonout_string(buf, cap, pos, s) != TG_OK)
        (void)jsonout_raw(buf, cap, pos, "\"(truncated)\"");
}

static void put_raw(char *buf, size_t *pos, size_t cap, const char *s)
{
    (void)jsonout_raw(buf, cap, pos, s);
}

int log_limiter_admit(log_limiter *l)
{
    long long now = (long long)time(NULL), window = atomic_load(&l->window);

    if (now != window && atomic_compare_exchange_strong(&l->window, &window, now)) {
        unsigned long dropped = atomic_exchange(&l->suppressed, 0);
        atomic_store(&l->used, 0);
        if (dropped > 0) {
            char count[24];
            snprintf(count, sizeof count, "%lu", dropped);
            log_event(LOG_WARN, "log_suppressed", "of", l->event, "count", count, "hint",
                      "more lines than the per-second cap; the count is exact", NULL);
        }
    }
    if (atomic_fetch_add(&l->used, 1) < l->per_second)
        return 1;
    atomic_fetch_add(&l->suppressed, 1);
    return 0;
}

void log_event(log_level level, const char *event, ...)
{
    char buf[LINE_MAX_BYTES], ts[96];
    size_t pos = 0;
    struct timeval tv;
    struct tm tm;
    va_list ap;
    const char *key;

    if (!log_enabled(level))
        return;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));

    put_raw(buf, &pos, sizeof buf, "{\"ts\":");
    put_json_string(buf, &pos, sizeof buf, ts);
    put_raw(buf, &pos, sizeof buf, ",\"level\":");
    put_json_string(buf, &pos, sizeof buf, level_names[level]);
    put_raw(buf, &pos, sizeof buf, ",\"event\":");
    put_json_string(buf, &pos, sizeof buf, event);
    va_start(ap, event);
    while ((key = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        put_raw(buf, &pos, sizeof buf, ",");
        put_json_string(buf, &pos, sizeof buf, key);
        put_raw(buf, &pos, sizeof buf, ":");
        if (value == NULL)
            put_raw(buf, &pos, sizeof buf, "null");
        else
            put_json_string(buf, &pos, sizeof buf, value);
    }
    va_end(ap);
    /* always close the object and the line, even after truncation */
    if (pos > sizeof buf - 3)
        pos = sizeof buf - 3;
    buf[pos++] = '}';
    buf[pos++] = '\n';
    (void)!write(STDERR_FILENO, buf, pos);
}
