/* isotime: ISO 8601 date-times as the API takes and gives them (RFC 3339
 * §5.6, the profile of ISO 8601 the Internet uses). Pure, no time zone
 * database: an input carries its own offset, an output is always UTC. */
#ifndef DIALCONF_CORE_ISOTIME_H
#define DIALCONF_CORE_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

#define ISOTIME_SIZE 21 /* "2026-11-26T23:30:00Z" + NUL */
#define ISOTIME_MIN_YEAR 1970
#define ISOTIME_MAX_YEAR 9999

/* Parse "YYYY-MM-DDTHH:MM[:SS[.fraction]]" followed by "Z" or "+HH:MM" /
 * "-HH:MM" into unix seconds (a fraction is dropped). Strict: every field
 * in range (the day within its month, leap years counted), no leap second,
 * no missing offset, no text after it. 0 or EINVAL. */
int isotime_parse(const char *s, int64_t *t);

/* t as "YYYY-MM-DDTHH:MM:SSZ" into out (ISOTIME_SIZE bytes). 0, EINVAL (a
 * year outside 1970-9999) or ENOSPC. */
int isotime_format(int64_t t, char *out, size_t size);

/* t as a line a person reads, "Thu, 26 Nov 2026 23:30 UTC", into out
 * (32 bytes is enough). 0, EINVAL or ENOSPC. */
int isotime_human(int64_t t, char *out, size_t size);

#endif
