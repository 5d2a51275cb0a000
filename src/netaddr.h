/*
 * netaddr.h - client addresses: CIDR lists of trusted proxies and the
 * X-Forwarded-For rule.
 *
 * The client of a request is its peer address, unless the peer is a trusted
 * proxy: then it is the rightmost X-Forwarded-For entry that is not itself a
 * trusted proxy (entries to its left were written by the client and prove
 * nothing).  A malformed entry stops the walk at the last good address.
 *
 * Pure: no I/O.  Thread safety: a filled list is read-only.
 */
#ifndef TG_NETADDR_H
#define TG_NETADDR_H

#include <stddef.h>
#include <stdint.h>

#define NETADDR_MAX_PROXIES 64
#define NETADDR_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

typedef struct netaddr_cidr {
    uint8_t addr[16]; /* IPv4 as v4-mapped IPv6 */
    unsigned prefix;  /* 0..128 */
} netaddr_cidr;

typedef struct netaddr_proxies {
    netaddr_cidr list[NETADDR_MAX_PROXIES];
    size_t count;
} netaddr_proxies;

/* Adds "10.0.0.0/8", "192.0.2.1", "2001:db8::/32"; 0 on success. */
int netaddr_add_proxy(netaddr_proxies *p, const char *cidr);

/* Whether the textual address is in one of the trusted ranges. */
int netaddr_is_trusted(const netaddr_proxies *p, const char *addr);

/* Writes the client address of a request from peer and its X-Forwarded-For
 * header value (xff may be NULL). */
/* The dotted-quad text of the IPv4 address bytes (network order), exactly
 * as inet_ntop writes it, without its sprintf (this runs on every login). */
void netaddr_ipv4_text(char out[NETADDR_TEXT_MAX], const uint8_t bytes[4]);

void netaddr_client(char out[NETADDR_TEXT_MAX], const netaddr_proxies *p, const char *peer, const char *xff,
                    size_t xff_len);

#endif
