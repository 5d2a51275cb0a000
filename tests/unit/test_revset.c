/* test_revset.c - the revoked-session set: membership, expiry, growth, threads. */
#include <pthread.h>
#include <stdio.h>

#include "revset.h"
#include "unit.h"

void test_revset(void);

#define THREAD_ADDS 2000

static void *add_many(void *arg)
{
    revset *rs = ((void **)arg)[0];
    int base = *(int *)((void **)arg)[1];
    char jti[32];

    for (int i = 0; i < THREAD_ADDS; i++) {
        snprintf(jti, sizeof jti, "t%d-%d", base, i);
        revset_add(rs, jti, 1000);
        revset_contains(rs, "t0-0");
    }
    return NULL;
}

void test_revset(void)
{
    revset *rs = NULL;
    char jti[32];
    int found_all = 1;

    CHECK(revset_create(&rs) == TG_OK);
    CHECK(!revset_contains(rs, "abc"));
    CHECK(revset_add(rs, "abc", 100) == TG_OK);
    CHECK(revset_contains(rs, "abc"));
    CHECK(!revset_contains(rs, "abd"));
    CHECK(!revset_contains(rs, ""));
    CHECK(revset_add(rs, "", 100) == TG_ERR_INVALID_ARG);
    CHECK(revset_add(rs, "12345678901234567890123", 100) == TG_ERR_INVALID_ARG); /* 23 > jti length */
    CHECK(revset_count(rs) == 1);
    /* a later expiry extends; an earlier one does not shorten */
    CHECK(revset_add(rs, "abc", 200) == TG_OK && revset_add(rs, "abc", 50) == TG_OK);
    CHECK(revset_count(rs) == 1);
    CHECK(revset_purge(rs, 150) == 0 && revset_contains(rs, "abc"));
    CHECK(revset_purge(rs, 200) == 1 && !revset_contains(rs, "abc"));

    /* growth far past the initial table keeps every member */
    for (int i = 0; i < 50000; i++) {
        snprintf(jti, sizeof jti, "jti-%d", i);
        revset_add(rs, jti, i < 25000 ? 10 : 20);
    }
    for (int i = 0; i < 50000; i++) {
        snprintf(jti, sizeof jti, "jti-%d", i);
        found_all &= revset_contains(rs, jti);
    }
    CHECK(found_all);
    CHECK(revset_count(rs) == 50000);
    CHECK(revset_purge(rs, 10) == 25000);
    CHECK(!revset_contains(rs, "jti-0") && revset_contains(rs, "jti-49999"));

    /* concurrent writers and readers lose nothing */
    {
        pthread_t th[4];
        int bases[4] = {0, 1, 2, 3};
        void *args[4][2];
        revset *fresh = NULL;
        CHECK(revset_create(&fresh) == TG_OK);
        for (int t = 0; t < 4; t++) {
            args[t][0] = fresh;
            args[t][1] = &bases[t];
            pthread_create(&th[t], NULL, add_many, args[t]);
        }
        for (int t = 0; t < 4; t++)
            pthread_join(th[t], NULL);
        CHECK(revset_count(fresh) == 4 * THREAD_ADDS);
        revset_free(fresh);
    }
    revset_free(rs);
    revset_free(NULL);
}
