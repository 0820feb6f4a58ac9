/* emailaddr: a conservative check of email addresses. It accepts the
 * dot-atom form of RFC 5322 §3.4.1 only (no quoted local parts, no address
 * literals) within the RFC 5321 §4.5.3.1 limits, so an accepted address
 * can be put in a header or an SMTP command as it is, with nothing to
 * quote or escape. */
#include <string.h>

#include "core/emailaddr.h"

#define LOCAL_MAX 64
#define LABEL_MAX 63

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* atext of RFC 5322 §3.2.3: printable ASCII but the specials that would
 * need quoting ("(),:;<>@[\] and space). */
static bool is_atext(char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* Dot-atom: atext runs joined by single dots, none at either end. */
static bool local_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > LOCAL_MAX || s[0] == '.' || s[len - 1] == '.')
		return false;

	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		}
		else if (!is_atext(s[i])) {
			return false;
		}
	}

	return true;
}

/* Letters, digits and '-', 1-63 bytes, no '-' at either end (RFC 1035
 * §2.3.1 as relaxed by RFC 1123 §2.1 to allow a leading digit). */
static bool label_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > LABEL_MAX || s[0] == '-' || s[len - 1] == '-')
		return false;

	for (i = 0; i < len; i++) {
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	}

	return true;
}

/* At least two labels: a domain without a dot is almost always a typo in
 * an address that must reach someone outside this host. */
static bool domain_valid(const char *s)
{
	const char *dot;
	size_t labels = 0;

	for (;;) {
		dot = strchr(s, '.');
		if (!label_valid(s, dot ? (size_t)(dot - s) : strlen(s)))
			return false;
		++labels;
		if (!dot)
			break;
		s = dot + 1;
	}

	return labels >= 2;
}

bool emailaddr_valid(const char *s)
{
	const char *at;

	if (!s || strnlen(s, EMAILADDR_MAX + 1) > EMAILADDR_MAX)
		return false;

	at = strchr(s, '@');
	if (!at || strchr(at + 1, '@'))
		return false;

	return local_valid(s, (size_t)(at - s)) && domain_valid(at + 1);
}
