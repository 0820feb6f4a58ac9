/* isotime: strict ISO 8601 / RFC 3339 date-times to unix seconds and back.
 * The calendar arithmetic is the proleptic Gregorian day count of H.
 * Hinnant's days_from_civil, so no libc time zone state is touched. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/isotime.h"

static bool leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(long y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				   30, 31 };

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a valid civil date. */
static int64_t days_from_civil(long y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, long *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (long)(yoe + era * 400 + (*m <= 2));
}

/* n decimal digits at *p into *v, advancing *p; false when one is not. */
static bool digits(const char **p, int n, long *v)
{
	long x = 0;
	int i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = x;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* "Z" or "+HH:MM" / "-HH:MM" into seconds east of UTC. */
static bool offset(const char **p, long *off)
{
	long hh, mm;
	char sign = **p;

	if (sign == 'Z') {
		(*p)++;
		*off = 0;
		return true;
	}
	if (sign != '+' && sign != '-')
		return false;
	(*p)++;
	if (!digits(p, 2, &hh) || !expect(p, ':') || !digits(p, 2, &mm) ||
	    hh > 23 || mm > 59)
		return false;
	*off = (hh * 3600 + mm * 60) * (sign == '-' ? -1 : 1);
	return true;
}

int isotime_parse(const char *s, int64_t *t)
{
	long y, mo, d, h, mi, sec = 0, off, frac;
	const char *p = s;

	if (!s || !t)
		return EINVAL;
	if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) ||
	    !expect(&p, '-') || !digits(&p, 2, &d) || !expect(&p, 'T') ||
	    !digits(&p, 2, &h) || !expect(&p, ':') || !digits(&p, 2, &mi))
		return EINVAL;
	if (*p == ':' && (p++, !digits(&p, 2, &sec)))
		return EINVAL;
	if (*p == '.') {
		p++;
		if (!digits(&p, 1, &frac))
			return EINVAL;
		while (digits(&p, 1, &frac))
			;
	}
	if (!offset(&p, &off) || *p)
		return EINVAL;
	if (y < ISOTIME_MIN_YEAR || y > ISOTIME_MAX_YEAR || mo < 1 ||
	    mo > 12 || d < 1 || d > month_days(y, (int)mo) || h > 23 ||
	    mi > 59 || sec > 59)
		return EINVAL;
	*t = days_from_civil(y, (int)mo, (int)d) * 86400 + h * 3600 +
		mi * 60 + sec - off;
	return 0;
}

static int split(int64_t t, long *y, int *m, int *d, int *h, int *mi,
		 int *s, int *wday)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t rem = t - days * 86400;

	civil_from_days(days, y, m, d);
	if (*y < ISOTIME_MIN_YEAR || *y > ISOTIME_MAX_YEAR)
		return EINVAL;
	*h = (int)(rem / 3600);
	*mi = (int)(rem % 3600 / 60);
	*s = (int)(rem % 60);
	*wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
	return 0;
}

int isotime_format(int64_t t, char *out, size_t size)
{
	int m, d, h, mi, s, wd, n;
	long y;

	if (!out || split(t, &y, &m, &d, &h, &mi, &s, &wd))
		return EINVAL;
	n = snprintf(out, size, "%04ld-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
		     h, mi, s);
	return n < 0 || (size_t)n >= size ? ENOSPC : 0;
}

int isotime_human(int64_t t, char *out, size_t size)
{
	static const char *const wdays[7] = { "Sun", "Mon", "Tue", "Wed",
					      "Thu", "Fri", "Sat" };
	static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr",
		"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int m, d, h, mi, s, wd, n;
	long y;

	if (!out || split(t, &y, &m, &d, &h, &mi, &s, &wd))
		return EINVAL;
	n = snprintf(out, size, "%s, %d %s %04ld %02d:%02d UTC", wdays[wd], d,
		     months[m - 1], y, h, mi);
	return n < 0 || (size_t)n >= size ? ENOSPC : 0;
}
