/* e164: phone numbers in E.164 form (ITU-T E.164: at most 15 digits, the
 * country code first, never a leading 0). */
#ifndef DIALCONF_CORE_E164_H
#define DIALCONF_CORE_E164_H

#include <stddef.h>

#define E164_MAX_DIGITS 15
#define E164_MIN_DIGITS 8
#define E164_SIZE (E164_MAX_DIGITS + 2) /* '+', digits, NUL */

/* Normalise a number as people write it ("+1 (425) 555-0100",
 * "0014255550100", "14255550100") to "+14255550100" in out (E164_SIZE
 * bytes). Spaces, dots, dashes and one pair of parentheses are allowed as
 * separators; letters and anything else are not. Returns 0 or EINVAL. */
int e164_normalize(const char *in, char *out, size_t size);

/* Bytes of e164_format's output: a number and the spaces it may gain. */
#define E164_FORMAT_SIZE (E164_SIZE + 3)

/* Write an E.164 number ("+14255550100") as people read it to out, the
 * same way the admin center shows it (web/ui.js, fmtNumber): a North
 * American number (+1 and ten digits) grouped "+1 425 555 0100", any other
 * as it is. NULL is written as "". For display only: tel: links and
 * dial strings take the number itself. Returns 0, or EOVERFLOW when out
 * (size bytes) is too small (out is then ""). */
int e164_format(const char *e164, char *out, size_t size);

#endif
