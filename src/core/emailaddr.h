/* emailaddr: a bounded, conservative check of email addresses (RFC 5321
 * limits: 64-byte local part, 254 bytes in all). */
#ifndef DIALCONF_CORE_EMAILADDR_H
#define DIALCONF_CORE_EMAILADDR_H

#include <stdbool.h>

#define EMAILADDR_MAX 254

/* True for local@domain with printable ASCII, no spaces, exactly one '@',
 * a domain of dot-separated labels (letters, digits, '-'), within limits. */
bool emailaddr_valid(const char *s);

#endif
