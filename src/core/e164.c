/* e164: normalise phone numbers as people write them to E.164 form. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
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

/* "+1" and exactly ten digits: the North American Numbering Plan's area
 * code, exchange and line, the groups the admin center shows. */
static bool is_nanp(const char *s)
{
	size_t i;

	if (s[0] != '+' || s[1] != '1')
		return false;
	for (i = 2; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[12] == '\0';
}

int e164_format(const char *e164, char *out, size_t size)
{
	int w;

	if (!out || size == 0)
		return EOVERFLOW;
	if (!e164)
		e164 = "";
	if (is_nanp(e164))
		w = snprintf(out, size, "+1 %.3s %.3s %.4s", e164 + 2,
			     e164 + 5, e164 + 8);
	else
		w = snprintf(out, size, "%s", e164);
	if (w < 0 || (size_t)w >= size) {
		out[0] = '\0';
		return EOVERFLOW;
	}
	return 0;
}
