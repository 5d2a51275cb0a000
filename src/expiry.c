/*
 * expiry.c - token lifetime with an optional daily cut-off; see expiry.h.
 */
#include "expiry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int expiry_parse_hhmm(const char *s, int *minutes)
{
    if (strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++) {
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    }
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59)
        return -1;
    *minutes = h * 60 + m;
    return 0;
}

tg_status expiry_set_timezone(const char *zone)
{
    char path[512];
    struct stat st;

    /* an Area/City name, never a path that escapes the database */
    if (zone[0] == '\0' || zone[0] == '/' || strstr(zone, "..") != NULL ||
        snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone) >= (int)sizeof path)
        return TG_ERR_INVALID_ARG;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return TG_ERR_INVALID_ARG;
    if (setenv("TZ", zone, 1) != 0)
        return TG_ERR_NOMEM;
    tzset();
    return TG_OK;
}

/* Local midnight-relative time minutes on the day of tm, plus days. */
static int64_t local_time_on(const struct tm *day, int days, int minutes)
{
    struct tm t = *day;

    t.tm_mday += days;
    t.tm_hour = minutes / 60;
    t.tm_min = minutes % 60;
    t.tm_sec = 0;
    t.tm_isdst = -1; /* let the tz database decide */
    return (int64_t)mktime(&t);
}

int64_t expiry_next_cut(int64_t now, int minutes)
{
    time_t t = (time_t)now;
    struct tm today;
    int64_t cut;

    localtime_r(&t, &today);
    for (int days = 0; days < 3; days++) {
        cut = local_time_on(&today, days, minutes);
        if (cut > now)
            return cut;
    }
    return now + 86400; /* not reached: some day within three has the time */
}

int64_t expiry_compute(const expiry_policy *p, int64_t now)
{
    int64_t exp = now + p->ttl;

    if (p->daily_cut_minutes >= 0) {
        int64_t cut = expiry_next_cut(now, p->daily_cut_minutes);
        if (cut < exp)
            exp = cut;
    }
    return exp;
}
