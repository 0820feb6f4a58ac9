/* netaddr: see netaddr.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/netaddr.h"

#define NETADDR_TEXT_MAX 64 /* an IPv6 address as text is at most 45 */

bool netaddr_is_ip(const char *s)
{
	unsigned char bin[16];

	return s && (inet_pton(AF_INET, s, bin) == 1 ||
		     inet_pton(AF_INET6, s, bin) == 1);
}

bool netaddr_listed(const char *list, const char *item)
{
	size_t n = item ? strlen(item) : 0;
	const char *p = list;

	while (n && p && *p) {
		p += strspn(p, " \t");
		if (!strncasecmp(p, item, n) &&
		    (p[n] == ',' || p[n] == ' ' || p[n] == '\t' || !p[n]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

bool netaddr_client(const char *peer, const char *xff, const char *trusted,
		    char *out, size_t size)
{
	char last[NETADDR_TEXT_MAX];
	const char *p;
	size_t n;

	snprintf(out, size, "%s", peer ? peer : "");
	if (!xff || !peer || !netaddr_listed(trusted, peer))
		return false;
	p = strrchr(xff, ',');
	p = p ? p + 1 : xff;
	p += strspn(p, " \t");
	n = strcspn(p, " \t");
	if (n == 0 || n >= sizeof(last))
		return false;
	memcpy(last, p, n);
	last[n] = '\0';
	if (!netaddr_is_ip(last))
		return false;
	snprintf(out, size, "%s", last);
	return true;
}
