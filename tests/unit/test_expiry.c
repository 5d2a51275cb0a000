/* test_expiry.c - token expiry with a daily cut-off, across a DST change.
 * Expected instants were computed independently with Python's zoneinfo. */
#include "expiry.h"
#include "unit.h"

void test_expiry(void);

void test_expiry(void)
{
    int minutes = -1;
    expiry_policy p = {8 * 3600, -1};

    CHECK(expiry_parse_hhmm("06:00", &minutes) == 0 && minutes == 360);
    CHECK(expiry_parse_hhmm("23:59", &minutes) == 0 && minutes == 1439);
    CHECK(expiry_parse_hhmm("24:00", &minutes) != 0);
    CHECK(expiry_parse_hhmm("6:00", &minutes) != 0);
    CHECK(expiry_parse_hhmm("06:60", &minutes) != 0);
    CHECK(expiry_parse_hhmm("06-00", &minutes) != 0);
    CHECK(expiry_set_timezone("No/Such_Zone") == TG_ERR_INVALID_ARG);
    CHECK(expiry_set_timezone("../../etc/passwd") == TG_ERR_INVALID_ARG);
    CHECK(expiry_set_timezone("/etc/localtime") == TG_ERR_INVALID_ARG);

    /* without a cut-off: now + TTL */
    CHECK(expiry_compute(&p, 1000) == 1000 + 8 * 3600);

    CHECK(expiry_set_timezone("Asia/Kolkata") == TG_OK); /* UTC+05:30, no DST */
    p.daily_cut_minutes = 360;
    /* 2026-12-03 03:00 IST = 2026-12-02T21:30Z (1796247000); cut 06:00 IST = 00:30Z (1796257800) */
    CHECK(expiry_next_cut(1796247000, 360) == 1796257800);
    CHECK(expiry_compute(&p, 1796247000) == 1796257800);     /* the cut comes first */
    /* 2026-12-03 07:00 IST = 01:30Z (1796261400): next cut is tomorrow 06:00 IST (1796344200) */
    CHECK(expiry_next_cut(1796261400, 360) == 1796344200);
    CHECK(expiry_compute(&p, 1796261400) == 1796261400 + 8 * 3600); /* the TTL comes first */
    /* exactly at the cut: the next one */
    CHECK(expiry_next_cut(1796257800, 360) == 1796344200);

    /* New York, spring forward on 2026-03-08 at 02:00 EST -> 03:00 EDT */
    CHECK(expiry_set_timezone("America/New_York") == TG_OK);
    /* 2026-03-07 23:00 EST = 2026-03-08T04:00Z (1772942400); 06:00 EDT on 03-08 = 10:00Z (1772964000):
     * 7 hours later, not 7 hours + 1 */
    CHECK(expiry_next_cut(1772942400, 360) == 1772964000);
    /* a cut at 02:30, which does not exist that night, moves to 03:30 EDT = 07:30Z (1772955000) */
    CHECK(expiry_next_cut(1772942400, 150) == 1772955000);
    /* fall back on 2026-11-01 at 02:00 EDT -> 01:00 EST; 2026-10-31 23:00 EDT = 11-01T03:00Z (1793502000);
     * 06:00 EST on 11-01 = 11:00Z (1793530800): 8 hours later */
    CHECK(expiry_next_cut(1793502000, 360) == 1793530800);
    p.ttl = 8 * 3600;
    CHECK(expiry_compute(&p, 1793502000) == 1793502000 + 8 * 3600); /* TTL ends exactly at the cut */
    p.ttl = 9 * 3600;
    CHECK(expiry_compute(&p, 1793502000) == 1793530800);
    CHECK(expiry_set_timezone("UTC") == TG_OK);
}
