/* test_tokcache.c - the verified-token cache: hits, expiry, nbf, replacement, drop. */
#include <stdio.h>
#include <string.h>

#include "tokcache.h"
#include "unit.h"

void test_tokcache(void);

static void claims_of(token_claims *c, const char *sub, int64_t nbf, int64_t exp)
{
    memset(c, 0, sizeof *c);
    snprintf(c->sub, sizeof c->sub, "%s", sub);
    snprintf(c->jti, sizeof c->jti, "%s", "J0123456789abcdefghijk");
    c->iat = nbf;
    c->nbf = nbf;
    c->exp = exp;
}

void test_tokcache(void)
{
    tokcache tc;
    token_claims in, out;
    uint8_t k1[TG_SHA256_LEN], k2[TG_SHA256_LEN];

    tg_sha256(k1, "token-one", 9);
    tg_sha256(k2, "token-two", 9);
    CHECK(tokcache_init(&tc, 1000) == TG_OK);
    CHECK(tc.mask == 1023);
    CHECK(!tokcache_get(&tc, k1, 100, 0, &out));
    claims_of(&in, "m_0123456789abcdef", 100, 200);
    tokcache_put(&tc, k1, &in);
    CHECK(tokcache_get(&tc, k1, 150, 0, &out));
    CHECK_STR(out.sub, "m_0123456789abcdef");
    CHECK_STR(out.jti, "J0123456789abcdefghijk");
    CHECK(out.exp == 200 && out.nbf == 100 && out.iat == 100);
    CHECK(!tokcache_get(&tc, k2, 150, 0, &out)); /* another token misses */
    CHECK(!tokcache_get(&tc, k1, 200, 0, &out)); /* expired at exp exactly */
    CHECK(!tokcache_get(&tc, k1, 39, 60, &out)); /* before nbf - leeway */
    CHECK(tokcache_get(&tc, k1, 40, 60, &out));  /* within the nbf leeway */
    tokcache_drop(&tc, k2);                      /* dropping another key keeps this one */
    CHECK(tokcache_get(&tc, k1, 150, 0, &out));
    tokcache_drop(&tc, k1);
    CHECK(!tokcache_get(&tc, k1, 150, 0, &out));
    /* a sub longer than an entry holds is not cached */
    claims_of(&in, "a-subject-that-is-longer-than-thirty-two-bytes", 100, 200);
    tokcache_put(&tc, k1, &in);
    CHECK(!tokcache_get(&tc, k1, 150, 0, &out));
    CHECK(tc.hits == 3);
    tokcache_dispose(&tc);

    /* a one-slot cache: the newest entry replaces the old one */
    CHECK(tokcache_init(&tc, 1) == TG_OK);
    claims_of(&in, "m_a", 0, 500);
    tokcache_put(&tc, k1, &in);
    claims_of(&in, "m_b", 0, 500);
    tokcache_put(&tc, k2, &in);
    CHECK(!tokcache_get(&tc, k1, 10, 0, &out));
    CHECK(tokcache_get(&tc, k2, 10, 0, &out) && strcmp(out.sub, "m_b") == 0);
    tokcache_dispose(&tc);
}
