/* netaddr: client addresses as the edges see them — lists of addresses
 * or origins from settings, and the client behind a trusted proxy. Pure:
 * no I/O. Used by the phone edge (sipTrustedProxies) and the HTTP side
 * (httpTrustedProxies, jitsiAllowedOrigins). */
#ifndef DIALCONF_CORE_NETADDR_H
#define DIALCONF_CORE_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

/* An IPv4 or IPv6 address in text form (no port, no brackets). */
bool netaddr_is_ip(const char *s);

/* Is item one of list, comma-separated (spaces allowed around items),
 * compared without regard to case (addresses and origins both)? An empty
 * item is in no list. */
bool netaddr_listed(const char *list, const char *item);

/* The client of a request that came from peer with the X-Forwarded-For
 * value xff (NULL: none) into out: the last address of xff when peer is
 * one of trusted (that proxy appended it; the ones before it are whatever
 * the client claimed) and it is an IP address, else peer. Returns true
 * when the forwarded address was taken. */
bool netaddr_client(const char *peer, const char *xff, const char *trusted,
		    char *out, size_t size);

#endif
