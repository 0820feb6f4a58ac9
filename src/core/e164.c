/* e164: normalise phone numbers as people write them to E.164 form. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/e164.h"

/* Longer input is not a phone number, however many separators it has. */
#define E164_INPUT_MAX 64

/* State of one pass over the input. */
struct scan {
	char digits[E164_INPUT_MAX + 1];
	size_t n;
	bool plus;
	int parens; /* 0 none yet, 1 open, 2 closed */
	size_t open_at;
};

static bool is_sep(char c)
{
	return c == ' ' || c == '.' || c == '-';
}

/* One pair of parentheses at most, opened before closed, with digits in
 * between: "(425)" is how people write an area code, "((" is a typo. */
static int scan_paren(struct scan *s, char c)
{
	if (c == '(') {
		if (s->parens != 0)
			return EINVAL;
		s->parens = 1;
		s->open_at = s->n;
		return 0;
	}
	if (s->parens != 1 || s->n == s->open_at)
		return EINVAL;
	s->parens = 2;

	/* "+44 (0)20 7946 0958": a "(0)" after the country code is the
	 * national trunk prefix, written for callers inside the country and
	 * never dialled from abroad, so it is not part of the number. */
	if (s->open_at > 0 && s->n == s->open_at + 1 &&
	    s->digits[s->open_at] == '0')
		--s->n;

	return 0;
}

static int scan_char(struct scan *s, const char *in, size_t i)
{
	char c = in[i];

	if (c >= '0' && c <= '9') {
		s->digits[s->n++] = c;
		return 0;
	}
	if (is_sep(c))
		return 0;
	if (c == '(' || c == ')')
		return scan_paren(s, c);

	/* '+' only before everything but spaces: "1+425" is not a number. */
	if (c == '+' && !s->plus && s->n == 0 && s->parens == 0 &&
	    strspn(in, " ") == i) {
		s->plus = true;
		return 0;
	}

	return EINVAL;
}

int e164_normalize(const char *in, char *out, size_t size)
{
	struct scan s;
	const char *d;
	size_t i, len, n;
	int err;

	if (!in || !out)
		return EINVAL;

	len = strnlen(in, E164_INPUT_MAX + 1);
	if (len > E164_INPUT_MAX)
		return EINVAL;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < len; i++) {
		err = scan_char(&s, in, i);
		if (err)
			return err;
	}
	if (s.parens == 1)
		return EINVAL;

	/* "00" is the international call prefix of most countries, the
	 * written form of '+'; after '+' it would be a country code 0. */
	d = s.digits;
	n = s.n;
	if (!s.plus && n >= 2 && d[0] == '0' && d[1] == '0') {
		d += 2;
		n -= 2;
	}

	/* No country code starts with 0; a single leading 0 is a national
	 * trunk prefix, and without the country we cannot complete it. */
	if (n < E164_MIN_DIGITS || n > E164_MAX_DIGITS || d[0] == '0')
		return EINVAL;
	if (size < n + 2)
		return EINVAL;

	out[0] = '+';
	memcpy(out + 1, d, n);
	out[n + 1] = '\0';

	return 0;
}
