/* test_throttle.c - rates, client keys, the two token buckets, the fixed-size table, threads. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "throttle.h"
#include "unit.h"

void test_throttle(void);

static int near(double a, double b)
{
    return fabs(a - b) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

/* Parses a heap copy of exactly strlen(s) + 1 bytes, so that a read past
 * the end of the text is caught by AddressSanitizer builds. */
static int parse_exact(const char *s, throttle_rate *out)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    int rc;

    if (copy == NULL)
        return -2;
    memcpy(copy, s, n);
    rc = throttle_parse_rate(copy, out);
    free(copy);
    return rc;
}

static void parse_rate(void)
{
    throttle_rate r;
    static const char *const bad[] = {"",     "10",    "x/s",  "10/d", "-1/s", "10/",  "/s",    "10/ss",
                                      "10 s", "10/S ", "10/m/", "s/10", "-0/s", "1e10/s", "0.5/s", "nan/s",
                                      "NAN/m", "inf/s"};

    memset(&r, 0xff, sizeof r);
    CHECK(parse_exact("10/s", &r) == 0 && near(r.per_second, 10) && near(r.burst, 10));
    CHECK(parse_exact("600/m", &r) == 0 && near(r.per_second, 10) && near(r.burst, 600));
    CHECK(parse_exact("120/m", &r) == 0 && near(r.per_second, 2) && near(r.burst, 120));
    CHECK(parse_exact("5/h", &r) == 0 && near(r.per_second, 5.0 / 3600) && near(r.burst, 5));
    CHECK(parse_exact("1000/s", &r) == 0 && near(r.per_second, 1000) && near(r.burst, 1000));
    CHECK(parse_exact("1/h", &r) == 0 && near(r.per_second, 1.0 / 3600) && near(r.burst, 1));
    memset(&r, 0xff, sizeof r);
    CHECK(parse_exact("0", &r) == 0 && r.per_second == 0 && r.burst == 0);

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        throttle_rate before, after;
        int rc;
        memset(&before, 0x5a, sizeof before);
        after = before;
        rc = parse_exact(bad[i], &after);
        if (rc == 0)
            fprintf(stderr, "throttle_parse_rate accepted \"%s\" (per_second %g, burst %g)\n", bad[i],
                    after.per_second, after.burst);
        CHECK(rc != 0);
    }
}

static int same_client(const char *a, const char *b)
{
    throttle_client ca, cb;

    if (throttle_client_of(&ca, a) != 0 || throttle_client_of(&cb, b) != 0)
        return -1;
    return memcmp(&ca, &cb, sizeof ca) == 0;
}

static void client_of(void)
{
    throttle_client c;
    static const char *const garbage[] = {"",        "1.2.3",        "1.2.3.4.5", "256.1.1.1", "abc",
                                          "1.2.3.4 ", " 1.2.3.4",    "2001:db8::g", "2001:db8:::1",
                                          "1.2.3.4/32", "[2001:db8::1]", "1.2.3.4:80"};

    CHECK(throttle_client_of(&c, "1.2.3.4") == 0);
    CHECK(throttle_client_of(&c, "2001:db8::1") == 0);
    CHECK(throttle_client_of(&c, "::1") == 0);
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++)
        CHECK(throttle_client_of(&c, garbage[i]) != 0);

    /* IPv4: one address, one client */
    CHECK(same_client("1.2.3.4", "1.2.3.4") == 1);
    CHECK(same_client("1.2.3.4", "1.2.3.5") == 0);
    CHECK(same_client("10.0.0.1", "11.0.0.1") == 0);
    /* a v4-mapped IPv6 address is its IPv4 address, not a /64 */
    CHECK(same_client("::ffff:1.2.3.4", "1.2.3.4") == 1);
    CHECK(same_client("::ffff:1.2.3.4", "::ffff:1.2.3.5") == 0);
    CHECK(same_client("::ffff:1.2.3.5", "1.2.3.4") == 0);
    /* IPv6 by /64 */
    CHECK(same_client("2001:db8::1", "2001:db8::ffff") == 1);
    CHECK(same_client("2001:db8::1", "2001:db8:0:0:ffff:ffff:ffff:ffff") == 1);
    CHECK(same_client("2001:db8::1", "2001:db8:0:1::1") == 0);
    CHECK(same_client("2001:db8::1", "2001:db9::1") == 0);
    /* an IPv6 /64 and an IPv4 address never collide */
    CHECK(same_client("::", "0.0.0.0") == 0);
}

static throttle_client client(const char *addr)
{
    throttle_client c;

    if (throttle_client_of(&c, addr) != 0)
        memset(&c, 0xee, sizeof c);
    return c;
}

static const throttle_rate OFF = {0, 0};

static void attempts_bucket(void)
{
    throttle *t = NULL;
    /* rates that are exact in binary, so that the expected waits are exact */
    throttle_rate sixteenth = {1.0 / 16, 5}, ten_per_s = {10, 10};
    throttle_client a = client("192.0.2.1"), b = client("192.0.2.2");
    int64_t retry = 0;
    int admitted = 0;

    CHECK(throttle_create(&t, 1024, sixteenth, OFF) == TG_OK);
    /* the burst, then a refusal: one token comes every 16 s */
    for (int i = 0; i < 5; i++)
        admitted += throttle_admit(t, &a, 100.0, &retry);
    CHECK(admitted == 5);
    retry = 0;
    CHECK(throttle_admit(t, &a, 100.0, &retry) == 0 && retry == 16);
    /* refusals take nothing: still refused, with the time left */
    CHECK(throttle_admit(t, &a, 100.0, &retry) == 0 && retry == 16);
    CHECK(throttle_admit(t, &a, 108.0, &retry) == 0 && retry == 8);
    CHECK(throttle_admit(t, &a, 115.5, &retry) == 0 && retry == 1);
    /* another client has its own bucket */
    CHECK(throttle_admit(t, &b, 115.5, &retry) == 1);
    /* refilled: one more, then refused again for a whole token */
    CHECK(throttle_admit(t, &a, 116.0, &retry) == 1);
    CHECK(throttle_admit(t, &a, 116.0, &retry) == 0 && retry == 16);
    /* a long pause refills to the burst, not beyond */
    admitted = 0;
    for (int i = 0; i < 20; i++)
        admitted += throttle_admit(t, &a, 1e6, &retry);
    CHECK(admitted == 5);
    /* time going backwards refills nothing */
    CHECK(throttle_admit(t, &a, 50.0, &retry) == 0 && retry >= 1);
    /* failures are off: charging them changes nothing */
    for (int i = 0; i < 100; i++)
        throttle_failed(t, &b, 115.5);
    CHECK(throttle_admit(t, &b, 115.5, &retry) == 1);
    throttle_free(t);

    /* a fast rate: retry_after is at least 1 s */
    CHECK(throttle_create(&t, 16, ten_per_s, OFF) == TG_OK);
    admitted = 0;
    for (int i = 0; i < 15; i++)
        admitted += throttle_admit(t, &a, 5.0, &retry);
    CHECK(admitted == 10);
    retry = 0;
    CHECK(throttle_admit(t, &a, 5.0, &retry) == 0 && retry == 1);
    /* 0.25 s later: 2.5 tokens, so 2 admissions */
    admitted = 0;
    for (int i = 0; i < 10; i++)
        admitted += throttle_admit(t, &a, 5.25, &retry);
    CHECK(admitted == 2);
    throttle_free(t);
}

static void failures_bucket(void)
{
    throttle *t = NULL;
    throttle_rate three = {1.0 / 32, 3}; /* a token every 32 s */
    throttle_client a = client("198.51.100.7"), b = client("198.51.100.8");
    throttle_client v6 = client("2001:db8:1:2::1"), v6_same = client("2001:db8:1:2:ffff::9");
    throttle_client v6_other = client("2001:db8:1:3::1");
    int64_t retry = 0;
    int admitted = 0;

    CHECK(throttle_create(&t, 1024, OFF, three) == TG_OK);
    /* attempts are off: any number of successes is admitted */
    for (int i = 0; i < 10000; i++)
        admitted += throttle_admit(t, &a, 10.0, &retry);
    CHECK(admitted == 10000);
    /* three failures empty the failures bucket: no more admissions */
    throttle_failed(t, &a, 10.0);
    throttle_failed(t, &a, 10.0);
    CHECK(throttle_admit(t, &a, 10.0, &retry) == 1);
    throttle_failed(t, &a, 10.0);
    retry = 0;
    CHECK(throttle_admit(t, &a, 10.0, &retry) == 0 && retry == 32);
    /* charging more while empty does not dig a hole */
    for (int i = 0; i < 50; i++)
        throttle_failed(t, &a, 10.0);
    CHECK(throttle_admit(t, &a, 26.0, &retry) == 0 && retry == 16);
    CHECK(throttle_admit(t, &a, 42.0, &retry) == 1);
    /* b is untouched */
    CHECK(throttle_admit(t, &b, 10.0, &retry) == 1);

    /* IPv6: the failures of one address count for its whole /64 */
    throttle_failed(t, &v6, 10.0);
    throttle_failed(t, &v6_same, 10.0);
    throttle_failed(t, &v6, 10.0);
    CHECK(throttle_admit(t, &v6_same, 10.0, &retry) == 0);
    CHECK(throttle_admit(t, &v6, 10.0, &retry) == 0);
    CHECK(throttle_admit(t, &v6_other, 10.0, &retry) == 1);
    throttle_free(t);

    /* both buckets: an empty failures bucket blocks even with attempts left */
    {
        throttle_rate many = {100, 100}, two = {0.5, 2};
        CHECK(throttle_create(&t, 64, many, two) == TG_OK);
        CHECK(throttle_admit(t, &a, 1.0, &retry) == 1);
        throttle_failed(t, &a, 1.0);
        CHECK(throttle_admit(t, &a, 1.0, &retry) == 1);
        throttle_failed(t, &a, 1.0);
        CHECK(throttle_admit(t, &a, 1.0, &retry) == 0 && retry == 2);
        /* and the attempts bucket limits a client that never fails */
        admitted = 0;
        for (int i = 0; i < 150; i++)
            admitted += throttle_admit(t, &b, 1.0, &retry);
        CHECK(admitted == 100);
        throttle_free(t);
    }
}

static void both_off(void)
{
    throttle *t = NULL;
    throttle_client a = client("203.0.113.5");
    int64_t retry = 0;
    int admitted = 0;

    CHECK(throttle_create(&t, 8, OFF, OFF) == TG_OK);
    for (int i = 0; i < 100000; i++) {
        throttle_failed(t, &a, 1.0);
        admitted += throttle_admit(t, &a, 1.0, &retry);
    }
    CHECK(admitted == 100000);
    throttle_free(t);
}

/* 1,000,000 distinct clients through a table of 1024 entries. */
static void memory_bound(void)
{
    throttle *t = NULL;
    throttle_rate sixteenth = {1.0 / 16, 5}, quarter = {0.25, 20};
    throttle_client hammer = client("192.0.2.77"), quiet = client("192.0.2.78");
    int64_t retry = 0;
    int newcomers_admitted = 1, hammer_admitted = 0, hammer_tries = 0;
    double now = 1000.0;

    CHECK(throttle_create(&t, 1024, sixteenth, quarter) == TG_OK);
    /* the hammering client uses up its burst first */
    for (int i = 0; i < 10; i++)
        hammer_admitted += throttle_admit(t, &hammer, now, &retry);
    CHECK(hammer_admitted == 5);
    hammer_admitted = 0;
    for (uint32_t i = 0; i < 1000000; i++) {
        throttle_client c;
        /* 1,000,000 distinct IPv4 clients from 10.0.0.0 up, plus /64s */
        memset(&c, 0, sizeof c);
        if (i % 2 == 0) {
            c.bytes[10] = 0xff;
            c.bytes[11] = 0xff;
            c.bytes[12] = 10;
            c.bytes[13] = (uint8_t)(i >> 16);
            c.bytes[14] = (uint8_t)(i >> 8);
            c.bytes[15] = (uint8_t)i;
        } else {
            c.bytes[0] = 0x20;
            c.bytes[1] = 0x01;
            c.bytes[4] = (uint8_t)(i >> 24);
            c.bytes[5] = (uint8_t)(i >> 16);
            c.bytes[6] = (uint8_t)(i >> 8);
            c.bytes[7] = (uint8_t)i;
        }
        now += 1e-6;
        /* a newcomer has its whole burst */
        newcomers_admitted &= throttle_admit(t, &c, now, &retry);
        throttle_failed(t, &c, now);
        /* the hammering client keeps trying throughout the flood */
        if (i % 10 == 0) {
            hammer_admitted += throttle_admit(t, &hammer, now, &retry);
            hammer_tries++;
        }
    }
    CHECK(newcomers_admitted);
    CHECK(hammer_tries == 100000);
    /* the flood lasted one simulated second: 1/16 of a token, nothing admitted */
    CHECK(hammer_admitted == 0);
    retry = 0;
    CHECK(throttle_admit(t, &hammer, now, &retry) == 0 && retry >= 14 && retry <= 16);
    /* a client first seen after the flood still gets exactly its burst */
    hammer_admitted = 0;
    for (int i = 0; i < 10; i++)
        hammer_admitted += throttle_admit(t, &quiet, now, &retry);
    CHECK(hammer_admitted == 5);
    CHECK(throttle_admit(t, &quiet, now, &retry) == 0 && retry == 16);
    throttle_free(t);
}

#define THREADS 4
#define TRIES 5000

typedef struct worker {
    throttle *t;
    throttle_client c;
    int admitted;
} worker;

static void *hammer_thread(void *arg)
{
    worker *w = arg;
    int64_t retry;

    for (int i = 0; i < TRIES; i++)
        w->admitted += throttle_admit(w->t, &w->c, 7.0, &retry);
    return NULL;
}

static void threads(void)
{
    throttle *t = NULL;
    throttle_rate per_hour = {1000.0 / 3600, 1000};
    pthread_t th[THREADS];
    worker w[THREADS];
    int total = 0, each_exact = 1;
    char addr[32];

    /* one client shared by every thread: the burst is handed out exactly once */
    CHECK(throttle_create(&t, 1024, per_hour, OFF) == TG_OK);
    for (int i = 0; i < THREADS; i++) {
        w[i].t = t;
        w[i].c = client("203.0.113.200");
        w[i].admitted = 0;
        pthread_create(&th[i], NULL, hammer_thread, &w[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        total += w[i].admitted;
    }
    CHECK(total == 1000);
    throttle_free(t);

    /* one client each: each gets its own burst */
    CHECK(throttle_create(&t, 1024, per_hour, OFF) == TG_OK);
    for (int i = 0; i < THREADS; i++) {
        snprintf(addr, sizeof addr, "203.0.113.%d", 10 + i);
        w[i].t = t;
        w[i].c = client(addr);
        w[i].admitted = 0;
        pthread_create(&th[i], NULL, hammer_thread, &w[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        each_exact &= w[i].admitted == 1000;
    }
    CHECK(each_exact);
    throttle_free(t);
}

void test_throttle(void)
{
    parse_rate();
    client_of();
    attempts_bucket();
    failures_bucket();
    both_off();
    memory_bound();
    threads();
    throttle_free(NULL);
}
