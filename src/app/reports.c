/* reports: usage reports over the call records (reports.h). The database
 * does the counting (store_usage_report, one statement per report and one
 * for its totals); this file checks the range, names the groups for a
 * person and gives every day of a report by day, with or without calls,
 * so that a chart of days has no gaps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app_priv.h"
#include "app/reports.h"
#include "core/isotime.h"

#define DAY_MS 86400000LL
#define DATE_LEN 10 /* "YYYY-MM-DD" */

#define APP_REPORT_NAME_(id, name) name,
static const char *const group_names[APP_REPORT_GROUP_COUNT] = {
	APP_REPORT_GROUPS(APP_REPORT_NAME_)
};
#undef APP_REPORT_NAME_

/* The store's grouping of each of ours (same order). */
static const enum store_usage_group store_groups[APP_REPORT_GROUP_COUNT] = {
	STORE_USAGE_DAY, STORE_USAGE_NUMBER, STORE_USAGE_USER,
	STORE_USAGE_CONFERENCE,
};

const char *app_report_group_name(enum app_report_group g)
{
	return g >= 0 && g < APP_REPORT_GROUP_COUNT ? group_names[g] : "";
}

int app_report_group_parse(const char *name, enum app_report_group *g)
{
	int i;

	for (i = 0; name && i < APP_REPORT_GROUP_COUNT; i++) {
		if (!strcmp(name, group_names[i])) {
			*g = (enum app_report_group)i;
			return 0;
		}
	}
	return EINVAL;
}

int64_t app_report_tenths(int64_t seconds)
{
	return (seconds * 10 + 30) / 60;
}

/* "YYYY-MM-DD": the UTC day it names, as unix ms of its start. */
static int parse_date(const char *s, int64_t *ms)
{
	char full[ISOTIME_SIZE];
	int64_t t;
	int err;

	if (strlen(s) != DATE_LEN)
		return EINVAL;
	snprintf(full, sizeof(full), "%sT00:00:00Z", s);
	err = isotime_parse(full, &t);
	if (!err)
		*ms = t * 1000;
	return err;
}

/* One end of the range: a date (to: through its end) or a date-time. */
static int parse_end(const char *name, const char *s, bool is_to,
		     int64_t *ms, struct app_err *err)
{
	int64_t t;

	if (!s || !s[0]) {
		app_errf(err, "%s is required: a date (2026-12-01) or a "
			 "date-time with an offset (2026-12-01T09:00:00Z)",
			 name);
		return EINVAL;
	}
	if (strnlen(s, 64) >= 64)
		goto bad;
	if (!parse_date(s, ms)) {
		if (is_to)
			*ms += DAY_MS;
		return 0;
	}
	if (!isotime_parse(s, &t)) {
		*ms = t * 1000;
		return 0;
	}
bad:
	app_errf(err, "%s '%.64s' is neither a date (2026-12-01) nor a "
		 "date-time with an offset (2026-12-01T09:00:00Z)", name, s);
	return EINVAL;
}

int app_report_range_parse(const char *from, const char *to,
			   const char *group_by, struct app_report_range *r,
			   struct app_err *err)
{
	int e;

	app_err_clear(err);
	memset(r, 0, sizeof(*r));
	if (group_by && app_report_group_parse(group_by, &r->by)) {
		app_errf(err, "groupBy '%.32s' is not one of day, number, "
			 "user, conference", group_by);
		return EINVAL;
	}
	e = parse_end("from", from, false, &r->from, err);
	if (!e)
		e = parse_end("to", to, true, &r->to, err);
	if (e)
		return e;
	if (r->to <= r->from) {
		app_errf(err, "to must be after from");
		return EINVAL;
	}
	if (r->to - r->from > APP_REPORT_MAX_DAYS * DAY_MS) {
		app_errf(err, "the range is longer than %d days",
			 APP_REPORT_MAX_DAYS);
		return EINVAL;
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What a person reads beside a group's key. */
static void label_of(enum app_report_group by,
		     const struct store_usage_row *s, struct app_report_row *r)
{
	switch (by) {
	case APP_REPORT_NUMBER:
		if (!s->key[0])
			snprintf(r->label, sizeof(r->label),
				 "not a number of ours");
		else if (s->city[0])
			snprintf(r->label, sizeof(r->label), "%s, %s",
				 s->city, s->country);
		else
			snprintf(r->label, sizeof(r->label), "%s",
				 s->country);
		break;
	case APP_REPORT_USER:
		snprintf(r->email, sizeof(r->email), "%s", s->email);
		snprintf(r->display_name, sizeof(r->display_name), "%s",
			 s->display_name);
		if (!s->key[0])
			snprintf(r->label, sizeof(r->label), "no user");
		else if (!s->email[0])
			snprintf(r->label, sizeof(r->label), "deleted user");
		else if (s->display_name[0])
			snprintf(r->label, sizeof(r->label), "%s <%s>",
				 s->display_name, s->email);
		else
			snprintf(r->label, sizeof(r->label), "%s", s->email);
		break;
	case APP_REPORT_CONFERENCE:
		if (!s->key[0])
			snprintf(r->label, sizeof(r->label),
				 "no conference reached");
		break;
	default:
		break;
	}
}

static void row_of(enum app_report_group by, const struct store_usage_row *s,
		   struct app_report_row *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->key, sizeof(r->key), "%s", s->key);
	r->seconds = s->conference_seconds;
	r->calls = s->calls;
	r->callers = s->callers;
	r->peak = s->peak;
	label_of(by, s, r);
}

/* The rows of a report by day, indexed by day from the range's first;
 * a row's key is the number of its day. */
struct day_rows {
	int64_t first;
	int64_t n;
	struct store_usage_row *rows;
};

struct group_ctx {
	enum app_report_group by;
	struct day_rows *days; /* by day, else NULL */
	app_report_h *h;
	void *arg;
};

static int day_put(struct day_rows *d, const struct store_usage_row *s)
{
	char *end;
	long long day;

	errno = 0;
	day = strtoll(s->key, &end, 10);
	if (errno || *end || day < d->first || day >= d->first + d->n)
		return EIO; /* the statement gave a day outside the range */
	d->rows[day - d->first] = *s;
	return 0;
}

static int group_cb(const struct store_usage_row *s, void *arg)
{
	struct group_ctx *c = arg;
	struct app_report_row r;

	if (c->days)
		return day_put(c->days, s);
	row_of(c->by, s, &r);
	return c->h(&r, c->arg);
}

/* Every day of the range in order, "YYYY-MM-DD", with or without calls. */
static int days_out(const struct day_rows *d, app_report_h *h, void *arg)
{
	struct app_report_row r;
	char iso[ISOTIME_SIZE];
	int64_t i;
	int e;

	for (i = 0; i < d->n; i++) {
		row_of(APP_REPORT_DAY, &d->rows[i], &r);
		e = isotime_format((d->first + i) * (DAY_MS / 1000), iso,
				   sizeof(iso));
		if (e)
			return e;
		snprintf(r.key, sizeof(r.key), "%.*s", DATE_LEN, iso);
		e = h(&r, arg);
		if (e)
			return e;
	}
	return 0;
}

static int total_cb(const struct store_usage_row *s, void *arg)
{
	row_of(APP_REPORT_DAY, s, arg);
	return 0;
}

int app_report_usage(struct app *a, const struct app_report_range *r,
		     app_report_h *h, void *arg, struct app_report_row *total,
		     struct app_err *err)
{
	struct day_rows days = { 0, 0, NULL };
	struct group_ctx c = { r->by, NULL, h, arg };
	struct store *st = NULL;
	int64_t now = now_ms();
	int e;

	app_err_clear(err);
	memset(total, 0, sizeof(*total));
	if (r->from < 0 || r->to <= r->from || r->by < 0 ||
	    r->by >= APP_REPORT_GROUP_COUNT ||
	    r->to - r->from > APP_REPORT_MAX_DAYS * DAY_MS) {
		app_errf(err, "bad report range");
		return EINVAL;
	}
	if (r->by == APP_REPORT_DAY) {
		days.first = r->from / DAY_MS;
		days.n = (r->to - 1) / DAY_MS - days.first + 1;
		days.rows = calloc((size_t)days.n, sizeof(*days.rows));
		if (!days.rows)
			return ENOMEM;
		c.days = &days;
	}
	st = app_conn_get(a);
	e = store_usage_report(st, r->from, r->to, now, store_groups[r->by],
			       group_cb, &c);
	if (!e)
		e = store_usage_report(st, r->from, r->to, now,
				       STORE_USAGE_TOTAL, total_cb, total);
	app_conn_put(a, st);
	if (!e && c.days)
		e = days_out(&days, h, arg);
	free(days.rows);
	if (e && err && !err->detail[0])
		app_errf(err, "cannot read the call records: %s", strerror(e));
	return e;
}
