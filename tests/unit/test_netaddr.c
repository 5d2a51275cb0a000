/* test_netaddr.c - trusted-proxy lists and the X-Forwarded-For rule. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "netaddr.h"
#include "unit.h"

void test_netaddr(void);

static void add_proxy(void)
{
    netaddr_proxies p;
    char text[64];
    static const char *const good[] = {"10.0.0.0/8", "192.0.2.1",    "198.51.100.0/24", "2001:db8::/32",
                                       "::1",        "0.0.0.0/0",    "::/0",            "2001:db8::1/128",
                                       "127.0.0.1/32", "10.1.2.3/9", "fe80::/10",       "::ffff:192.0.2.0/120"};
    static const char *const bad[] = {"",           "/8",          "10.0.0.0/",     "10.0.0.0/33", "2001:db8::/129",
                                      "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0.256",    "abc",         "10.0.0.0/8/8",
                                      "10.0.0.0 /8", " 10.0.0.0/8", "10.0.0/8",      "2001:db8::g/32",
                                      "10.0.0.0/99999999999999999999", "1.2.3.4.5",  "[::1]",
                                      "0123456789012345678901234567890123456789012345678901234567890123456789/8"};

    memset(&p, 0, sizeof p);
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int rc = netaddr_add_proxy(&p, good[i]);
        if (rc != 0)
            fprintf(stderr, "netaddr_add_proxy refused \"%s\"\n", good[i]);
        CHECK(rc == 0);
    }
    CHECK(p.count == sizeof good / sizeof good[0]);
    /* stored: IPv4 as v4-mapped with the prefix moved by 96 bits */
    CHECK(p.list[0].prefix == 104 && p.list[0].addr[10] == 0xff && p.list[0].addr[11] == 0xff &&
          p.list[0].addr[12] == 10);
    CHECK(p.list[1].prefix == 128);
    CHECK(p.list[3].prefix == 32 && p.list[3].addr[0] == 0x20 && p.list[3].addr[1] == 0x01);
    CHECK(p.list[5].prefix == 96);
    CHECK(p.list[6].prefix == 0);

    memset(&p, 0, sizeof p);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = netaddr_add_proxy(&p, bad[i]);
        if (rc == 0)
            fprintf(stderr, "netaddr_add_proxy accepted \"%s\"\n", bad[i]);
        CHECK(rc != 0);
    }
    CHECK(p.count == 0);

    /* at most 64 entries; a refused 65th changes nothing */
    memset(&p, 0, sizeof p);
    for (int i = 0; i < NETADDR_MAX_PROXIES; i++) {
        snprintf(text, sizeof text, "10.%d.0.0/16", i);
        CHECK(netaddr_add_proxy(&p, text) == 0);
    }
    CHECK(p.count == 64);
    CHECK(netaddr_add_proxy(&p, "192.0.2.1") != 0);
    CHECK(netaddr_add_proxy(&p, "2001:db8::/32") != 0);
    CHECK(p.count == 64);
    CHECK(netaddr_is_trusted(&p, "10.63.1.1") && !netaddr_is_trusted(&p, "10.64.1.1"));
    CHECK(!netaddr_is_trusted(&p, "192.0.2.1"));
}

static void is_trusted(void)
{
    netaddr_proxies p, none;

    memset(&p, 0, sizeof p);
    memset(&none, 0, sizeof none);
    CHECK(netaddr_add_proxy(&p, "10.0.0.0/9") == 0);
    CHECK(netaddr_add_proxy(&p, "192.0.2.1") == 0);
    CHECK(netaddr_add_proxy(&p, "2001:db8::/32") == 0);
    CHECK(netaddr_add_proxy(&p, "fd00:1:2:3::/63") == 0);

    CHECK(netaddr_is_trusted(&p, "10.0.0.1"));
    CHECK(netaddr_is_trusted(&p, "10.127.255.255"));
    CHECK(!netaddr_is_trusted(&p, "10.128.0.0")); /* /9 is not byte aligned */
    CHECK(!netaddr_is_trusted(&p, "11.0.0.1"));
    CHECK(!netaddr_is_trusted(&p, "9.255.255.255"));
    CHECK(netaddr_is_trusted(&p, "192.0.2.1"));
    CHECK(!netaddr_is_trusted(&p, "192.0.2.2"));
    CHECK(!netaddr_is_trusted(&p, "192.0.2.0"));
    /* a dual-stack socket reports IPv4 peers as v4-mapped IPv6 */
    CHECK(netaddr_is_trusted(&p, "::ffff:10.1.2.3"));
    CHECK(netaddr_is_trusted(&p, "::ffff:192.0.2.1"));
    CHECK(!netaddr_is_trusted(&p, "::ffff:192.0.2.2"));
    CHECK(netaddr_is_trusted(&p, "2001:db8::1"));
    CHECK(netaddr_is_trusted(&p, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
    CHECK(!netaddr_is_trusted(&p, "2001:db9::1"));
    CHECK(netaddr_is_trusted(&p, "fd00:1:2:2::1"));
    CHECK(netaddr_is_trusted(&p, "fd00:1:2:3::1"));
    CHECK(!netaddr_is_trusted(&p, "fd00:1:2:4::1"));
    /* garbage and empty lists trust nothing */
    CHECK(!netaddr_is_trusted(&p, ""));
    CHECK(!netaddr_is_trusted(&p, "10.0.0.1 "));
    CHECK(!netaddr_is_trusted(&p, "not-an-address"));
    CHECK(!netaddr_is_trusted(&none, "10.0.0.1"));
    CHECK(!netaddr_is_trusted(NULL, "10.0.0.1"));

    /* /0: every address of its family */
    memset(&p, 0, sizeof p);
    CHECK(netaddr_add_proxy(&p, "0.0.0.0/0") == 0);
    CHECK(netaddr_is_trusted(&p, "203.0.113.9") && netaddr_is_trusted(&p, "255.255.255.255"));
    CHECK(!netaddr_is_trusted(&p, "2001:db8::1"));
}

/* The client of a request from peer with X-Forwarded-For xff (NULL: none). */
static const char *client_of(const netaddr_proxies *p, const char *peer, const char *xff)
{
    static char out[NETADDR_TEXT_MAX + 8];

    memset(out, 'Z', sizeof out);
    netaddr_client(out, p, peer, xff, xff ? strlen(xff) : 0);
    return out;
}

static void client(void)
{
    netaddr_proxies none, local, chain, v6;
    char out[NETADDR_TEXT_MAX];
    const char *long_xff = "203.0.113.1, 198.51.100.2";

    memset(&none, 0, sizeof none);
    memset(&local, 0, sizeof local);
    memset(&chain, 0, sizeof chain);
    memset(&v6, 0, sizeof v6);
    CHECK(netaddr_add_proxy(&local, "127.0.0.1/32") == 0);
    CHECK(netaddr_add_proxy(&chain, "127.0.0.1") == 0);
    CHECK(netaddr_add_proxy(&chain, "10.0.0.0/8") == 0);
    CHECK(netaddr_add_proxy(&v6, "::1") == 0);
    CHECK(netaddr_add_proxy(&v6, "2001:db8:ffff::/48") == 0);

    /* no trusted proxies: the peer, whatever the header says */
    CHECK_STR(client_of(&none, "198.51.100.7", NULL), "198.51.100.7");
    CHECK_STR(client_of(&none, "198.51.100.7", "203.0.113.1"), "198.51.100.7");
    CHECK_STR(client_of(&none, "127.0.0.1", "203.0.113.1"), "127.0.0.1");
    /* an untrusted peer is not believed either */
    CHECK_STR(client_of(&local, "198.51.100.7", "203.0.113.1"), "198.51.100.7");
    CHECK_STR(client_of(&chain, "11.0.0.1", "203.0.113.1"), "11.0.0.1");
    /* a trusted peer without the header: the peer */
    CHECK_STR(client_of(&local, "127.0.0.1", NULL), "127.0.0.1");
    CHECK_STR(client_of(&local, "127.0.0.1", ""), "127.0.0.1");

    /* a trusted peer: the rightmost entry that is not a trusted proxy */
    CHECK_STR(client_of(&local, "127.0.0.1", "203.0.113.1"), "203.0.113.1");
    CHECK_STR(client_of(&local, "127.0.0.1", "1.1.1.1, 203.0.113.1"), "203.0.113.1");
    CHECK_STR(client_of(&local, "127.0.0.1", "1.1.1.1,203.0.113.1"), "203.0.113.1");
    /* a chain of our proxies is walked through */
    CHECK_STR(client_of(&chain, "127.0.0.1", "1.1.1.1, 203.0.113.9, 10.0.0.2, 10.9.9.9"), "203.0.113.9");
    CHECK_STR(client_of(&chain, "10.0.0.5", "203.0.113.9,10.0.0.2"), "203.0.113.9");
    /* ...but an untrusted hop ends it, even if trusted ones stand to its left */
    CHECK_STR(client_of(&chain, "127.0.0.1", "10.0.0.2, 203.0.113.9"), "203.0.113.9");
    CHECK_STR(client_of(&local, "127.0.0.1", "203.0.113.1, 10.0.0.2"), "10.0.0.2");
    /* a v4-mapped trusted peer */
    CHECK_STR(client_of(&local, "::ffff:127.0.0.1", "203.0.113.1"), "203.0.113.1");

    /* garbage stops the walk at the last good address */
    CHECK_STR(client_of(&local, "127.0.0.1", "garbage"), "127.0.0.1");
    CHECK_STR(client_of(&local, "127.0.0.1", "203.0.113.1, garbage"), "127.0.0.1");
    CHECK_STR(client_of(&local, "127.0.0.1", "203.0.113.1, unknown"), "127.0.0.1");
    CHECK_STR(client_of(&chain, "127.0.0.1", "garbage, 10.0.0.2"), "10.0.0.2");
    CHECK_STR(client_of(&chain, "127.0.0.1", "203.0.113.1, _hidden, 10.0.0.2"), "10.0.0.2");
    CHECK_STR(client_of(&local, "127.0.0.1", "203.0.113.1:443"), "127.0.0.1");
    CHECK_STR(client_of(&local, "127.0.0.1", "[2001:db8::1]"), "127.0.0.1");
    CHECK_STR(client_of(&local, "127.0.0.1", "203.0.113.1,"), "127.0.0.1");
    CHECK_STR(client_of(&local, "127.0.0.1", "203.0.113.1, "), "127.0.0.1");
    CHECK_STR(client_of(&local, "127.0.0.1", ","), "127.0.0.1");
    CHECK_STR(client_of(&local, "127.0.0.1", "203.0.113.1 203.0.113.2"), "127.0.0.1");
    CHECK_STR(client_of(&local, "127.0.0.1", "203.0.113.1, 1111111111111111111111111111111111111111111111111111"),
              "127.0.0.1");
    CHECK_STR(client_of(&local, "127.0.0.1", "203.0.113.1\x1b[31m"), "127.0.0.1");
    CHECK_STR(client_of(&local, "127.0.0.1", "203.0.113.1\r\n{\"level\":\"error\"}"), "127.0.0.1");

    /* spaces and tabs around entries */
    CHECK_STR(client_of(&local, "127.0.0.1", "   203.0.113.1   "), "203.0.113.1");
    CHECK_STR(client_of(&local, "127.0.0.1", "1.1.1.1 ,\t203.0.113.5\t"), "203.0.113.5");
    CHECK_STR(client_of(&chain, "127.0.0.1", " 203.0.113.9 ,  10.0.0.2 , 10.0.0.3 "), "203.0.113.9");

    /* IPv6 */
    CHECK_STR(client_of(&v6, "::1", "2001:db8::5"), "2001:db8::5");
    CHECK_STR(client_of(&v6, "::1", "2001:db8::5, 2001:db8:ffff::1"), "2001:db8::5");
    CHECK_STR(client_of(&v6, "2001:db8:ffff:1::9", "203.0.113.4, 2001:db8:ffff::1"), "203.0.113.4");
    CHECK_STR(client_of(&v6, "2001:db8:fffe::9", "2001:db8::5"), "2001:db8:fffe::9");
    CHECK_STR(client_of(&v6, "::1", "0000:0000:0000:0000:0000:ffff:255.255.255.255"),
              "0000:0000:0000:0000:0000:ffff:255.255.255.255");
    CHECK_STR(client_of(&local, "127.0.0.1", "2001:db8::7"), "2001:db8::7");

    /* only xff_len bytes are read: the header value is not NUL-terminated */
    netaddr_client(out, &local, "127.0.0.1", long_xff, 11);
    CHECK_STR(out, "203.0.113.1");
    netaddr_client(out, &local, "127.0.0.1", long_xff, 0);
    CHECK_STR(out, "127.0.0.1");
}

/* netaddr_ipv4_text writes what inet_ntop writes, for every byte value in
 * every position (and a pseudo-random sample of whole addresses). */
static int ipv4_text_is(const uint8_t b[4], const char *want)
{
    char got[NETADDR_TEXT_MAX], ntop[NETADDR_TEXT_MAX];

    netaddr_ipv4_text(got, b);
    if (want == NULL && (want = inet_ntop(AF_INET, b, ntop, sizeof ntop)) == NULL)
        return 0;
    return strcmp(got, want) == 0;
}

static void ipv4_text(void)
{
    uint8_t b[4];
    int same = 1;
    uint32_t x = 2463534242u;

    for (int pos = 0; pos < 4; pos++) {
        for (int v = 0; v < 256; v++) {
            memset(b, 7, sizeof b);
            b[pos] = (uint8_t)v;
            same &= ipv4_text_is(b, NULL);
        }
    }
    for (int i = 0; i < 10000; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        memcpy(b, &x, sizeof b);
        same &= ipv4_text_is(b, NULL);
    }
    CHECK(same);
    CHECK(ipv4_text_is((const uint8_t[]){255, 255, 255, 255}, "255.255.255.255"));
    CHECK(ipv4_text_is((const uint8_t[]){0, 0, 0, 0}, "0.0.0.0"));
}

void test_netaddr(void)
{
    add_proxy();
    is_trusted();
    client();
    ipv4_text();
}
