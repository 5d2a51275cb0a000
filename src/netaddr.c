/*
 * netaddr.c - trusted proxies and X-Forwarded-For; see netaddr.h.
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Parses an address into 16 bytes (IPv4 v4-mapped); *is_v4 tells which. */
static int parse_addr(uint8_t out[16], int *is_v4, const char *s)
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET6, s, out) == 1) {
        *is_v4 = 0;
        return 0;
    }
    out[10] = 0xff;
    out[11] = 0xff;
    *is_v4 = 1;
    return inet_pton(AF_INET, s, out + 12) == 1 ? 0 : -1;
}

int netaddr_add_proxy(netaddr_proxies *p, const char *cidr)
{
    char text[64];
    const char *slash = strchr(cidr, '/');
    size_t len = slash ? (size_t)(slash - cidr) : strlen(cidr);
    netaddr_cidr *c;
    int is_v4;

    if (p->count == NETADDR_MAX_PROXIES || len == 0 || len >= sizeof text)
        return -1;
    c = &p->list[p->count];
    memcpy(text, cidr, len);
    text[len] = '\0';
    if (parse_addr(c->addr, &is_v4, text) != 0)
        return -1;
    c->prefix = 128;
    if (slash != NULL) {
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || bits < 0 || bits > (is_v4 ? 32 : 128))
            return -1;
        c->prefix = (unsigned)bits + (is_v4 ? 96 : 0);
    }
    p->count++;
    return 0;
}

static int in_cidr(const netaddr_cidr *c, const uint8_t addr[16])
{
    unsigned full = c->prefix / 8, rest = c->prefix % 8;

    if (memcmp(c->addr, addr, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((c->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int netaddr_is_trusted(const netaddr_proxies *p, const char *addr)
{
    uint8_t a[16];
    int is_v4;

    if (p == NULL || p->count == 0 || parse_addr(a, &is_v4, addr) != 0)
        return 0;
    for (size_t i = 0; i < p->count; i++) {
        if (in_cidr(&p->list[i], a))
            return 1;
    }
    return 0;
}

static void copy_addr(char out[NETADDR_TEXT_MAX], const char *s, size_t len)
{
    if (len >= NETADDR_TEXT_MAX)
        len = NETADDR_TEXT_MAX - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

void netaddr_ipv4_text(char out[NETADDR_TEXT_MAX], const uint8_t bytes[4])
{
    size_t n = 0;

    for (int i = 0; i < 4; i++) {
        unsigned v = bytes[i];
        if (i > 0)
            out[n++] = '.';
        if (v >= 100)
            out[n++] = (char)('0' + v / 100);
        if (v >= 10)
            out[n++] = (char)('0' + v / 10 % 10);
        out[n++] = (char)('0' + v % 10);
    }
    out[n] = '\0';
}

void netaddr_client(char out[NETADDR_TEXT_MAX], const netaddr_proxies *p, const char *peer, const char *xff,
                    size_t xff_len)
{
    size_t end = xff_len;

    copy_addr(out, peer, strlen(peer));
    if (xff == NULL || !netaddr_is_trusted(p, peer))
        return;
    /* walk the list right to left while the hops are our own proxies */
    while (end > 0) {
        size_t start = end, a, b;
        char hop[NETADDR_TEXT_MAX];
        uint8_t bytes[16];
        int is_v4;

        while (start > 0 && xff[start - 1] != ',')
            start--;
        a = start;
        b = end;
        while (a < b && (xff[a] == ' ' || xff[a] == '\t'))
            a++;
        while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'))
            b--;
        if (b - a == 0 || b - a >= NETADDR_TEXT_MAX)
            return;
        copy_addr(hop, xff + a, b - a);
        if (parse_addr(bytes, &is_v4, hop) != 0)
            return; /* not an address: keep the last good one */
        copy_addr(out, hop, strlen(hop));
        if (!netaddr_is_trusted(p, hop))
            return;
        end = start > 0 ? start - 1 : 0;
    }
}
