/* test_mcache.c - the merchant look-up cache: hits, absent keys, LRU within a set, clear, logins. */
#include <stdio.h>
#include <string.h>

#include "mcache.h"
#include "unit.h"

void test_mcache(void);

static void key_of(uint8_t hash[TG_SHA256_LEN], const char *key)
{
    merchant_hash_api_key(hash, key, strlen(key));
}

/* A hash whose set index (its first 8 bytes) is set_bits, and tail the rest. */
static void key_in_set(uint8_t hash[TG_SHA256_LEN], uint64_t set_bits, int tail)
{
    memset(hash, tail, TG_SHA256_LEN);
    memcpy(hash, &set_bits, sizeof set_bits);
}

static void merchant_of(merchant *m, const char *id, int64_t last_step)
{
    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "%s", id);
    snprintf(m->name, sizeof m->name, "not cached");
    m->totp = (totp_params){TG_HASH_SHA256, 8, 60};
    m->enabled = 1;
    m->last_step = last_step;
    m->locked_until = 1234;
    m->locked_forever = 0;
    m->failed_attempts = 3;
    m->secret_sealed_len = 48;
    memset(m->secret_sealed, 0xab, m->secret_sealed_len);
}

void test_mcache(void)
{
    mcache c;
    merchant in, out;
    uint8_t k1[TG_SHA256_LEN], k2[TG_SHA256_LEN], k[6][TG_SHA256_LEN];
    int known = -1;

    CHECK(mcache_init(&c, 1000) == TG_OK);
    CHECK(mcache_capacity(&c) == 1024);
    key_of(k1, "tgk_one");
    key_of(k2, "tgk_two");
    CHECK(!mcache_get(&c, k1, &out, &known));
    merchant_of(&in, "m_00000000000000a1", 77);
    mcache_put(&c, k1, &in);
    mcache_put(&c, k2, NULL);
    memset(&out, 0x5a, sizeof out);
    CHECK(mcache_get(&c, k1, &out, &known) && known == 1);
    CHECK_STR(out.id, "m_00000000000000a1");
    CHECK_STR(out.name, ""); /* only what a login check reads */
    CHECK(out.totp.alg == TG_HASH_SHA256 && out.totp.digits == 8 && out.totp.period == 60);
    CHECK(out.enabled == 1 && out.last_step == 77 && out.locked_until == 1234 && out.locked_forever == 0);
    CHECK(out.failed_attempts == 0);
    CHECK(memcmp(out.api_key_hash, k1, TG_SHA256_LEN) == 0);
    CHECK(out.secret_sealed_len == 48 && memcmp(out.secret_sealed, in.secret_sealed, 48) == 0);
    CHECK(mcache_get(&c, k2, &out, &known) && known == 0); /* remembered as absent */

    /* logins move last_step forward only, and only of known keys */
    mcache_note_login(&c, k1, 80);
    CHECK(mcache_get(&c, k1, &out, &known) && out.last_step == 80);
    mcache_note_login(&c, k1, 79);
    CHECK(mcache_get(&c, k1, &out, &known) && out.last_step == 80);
    mcache_note_login(&c, k2, 90);
    CHECK(mcache_get(&c, k2, &out, &known) && known == 0);

    /* a key that became known replaces its "absent" entry */
    merchant_of(&in, "m_00000000000000b2", -1);
    mcache_put(&c, k2, &in);
    CHECK(mcache_get(&c, k2, &out, &known) && known == 1 && strcmp(out.id, "m_00000000000000b2") == 0);

    /* clear forgets everything; the cache works again after it */
    mcache_clear(&c);
    CHECK(!mcache_get(&c, k1, &out, &known));
    CHECK(!mcache_get(&c, k2, &out, &known));
    mcache_put(&c, k1, NULL);
    CHECK(mcache_get(&c, k1, &out, &known) && known == 0);
    CHECK(c.hits == 7 && c.misses == 3);

    /* a sealed secret longer than an entry holds is not cached */
    merchant_of(&in, "m_00000000000000c3", -1);
    in.secret_sealed_len = sizeof in.secret_sealed + 1;
    mcache_put(&c, k2, &in);
    CHECK(!mcache_get(&c, k2, &out, &known));
    mcache_dispose(&c);

    /* one set of four ways: the fifth key replaces the least recently used */
    CHECK(mcache_init(&c, 1) == TG_OK);
    CHECK(mcache_capacity(&c) == MCACHE_WAYS);
    for (int i = 0; i < 6; i++)
        key_in_set(k[i], 0x1234, i + 1);
    for (int i = 0; i < 4; i++)
        mcache_put(&c, k[i], NULL);
    for (int i = 0; i < 4; i++)
        CHECK(mcache_get(&c, k[i], &out, &known) && known == 0);
    CHECK(mcache_get(&c, k[0], &out, &known)); /* k[1] is now the least recently used */
    mcache_put(&c, k[4], NULL);
    CHECK(!mcache_get(&c, k[1], &out, &known));
    CHECK(mcache_get(&c, k[0], &out, &known) && mcache_get(&c, k[2], &out, &known));
    CHECK(mcache_get(&c, k[3], &out, &known) && mcache_get(&c, k[4], &out, &known));
    mcache_put(&c, k[5], NULL); /* k[0] is the oldest now */
    CHECK(!mcache_get(&c, k[0], &out, &known));
    CHECK(mcache_get(&c, k[5], &out, &known));
    mcache_dispose(&c);
}
