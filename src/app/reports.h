/* reports: usage reports over the call records (docs/api.md "Usage
 * reports"): per UTC day, dial-in number, user or conference, the minutes
 * callers spent in conferences, the calls, the distinct callers and the
 * most calls at once, and the same for the whole range. Read only; the
 * database aggregates (store_usage_report), so a year of calls costs a
 * sort there and a few hundred rows here. src/http/h_reports.c and the
 * CLI's `report usage` show them; nothing here knows HTTP or CSV. */
#ifndef DIALCONF_APP_REPORTS_H
#define DIALCONF_APP_REPORTS_H

#include <stdint.h>

#include "app/app.h"

#define APP_REPORT_MAX_DAYS 366 /* the longest range asked at once */
#define APP_REPORT_LABEL_SIZE (APP_NAME_SIZE + APP_EMAIL_SIZE + 4)

/* APP_REPORT_GROUPS(X): the groupings, listed once: X(ID, name); name is
 * what groupBy takes and the CSV's first column is called. */
#define APP_REPORT_GROUPS(X)						\
	X(DAY, "day")							\
	X(NUMBER, "number")						\
	X(USER, "user")							\
	X(CONFERENCE, "conference")

#define APP_REPORT_ENUM_(id, name) APP_REPORT_##id,
enum app_report_group {
	APP_REPORT_GROUPS(APP_REPORT_ENUM_)
	APP_REPORT_GROUP_COUNT /* keep last */
};
#undef APP_REPORT_ENUM_

/* What a report covers: [from, to) in unix milliseconds, UTC. */
struct app_report_range {
	int64_t from;
	int64_t to;
	enum app_report_group by;
};

/* One group of a report, or its totals. key: "2026-12-01" (a UTC day),
 * the dialed E.164 number ("" for a number not of ours), the user's id
 * ("" for calls of no user), the conference ID ("" for calls that never
 * reached one); "" for the totals. label: what a person reads beside it
 * (the user's name and email, the number's city and country, "" when
 * there is nothing to add). email and display_name: the user's, for
 * groups by user ("" when none or deleted). */
struct app_report_row {
	char key[APP_NAME_SIZE];
	char label[APP_REPORT_LABEL_SIZE];
	char email[APP_EMAIL_SIZE];
	char display_name[APP_NAME_SIZE];
	int64_t seconds; /* in conferences */
	int64_t calls;   /* started in the range, whatever their outcome */
	int64_t callers; /* distinct callers (by keyed hash) */
	int64_t peak;    /* most calls in progress at once */
};

typedef int (app_report_h)(const struct app_report_row *r, void *arg);

/* The name of group g ("day"), and back: 0 or EINVAL. */
const char *app_report_group_name(enum app_report_group g);
int app_report_group_parse(const char *name, enum app_report_group *g);

/* The range of the query's from and to: each a date ("2026-12-01", a UTC
 * day: from its start; for to, through its end) or a date-time with an
 * offset (isotime.h; to is then the first instant not covered). Both
 * needed, from before to, at most APP_REPORT_MAX_DAYS apart; group_by
 * NULL is "day". 0, or EINVAL with the reason in err. */
int app_report_range_parse(const char *from, const char *to,
			   const char *group_by, struct app_report_range *r,
			   struct app_err *err);

/* The usage report of r: each group to h in order (days by date, every day
 * of the range even without calls; the others by minutes, most first),
 * then the totals into *total. h's non-zero return stops and is
 * returned. 0, EINVAL (a bad range), or a database errno. */
int app_report_usage(struct app *a, const struct app_report_range *r,
		     app_report_h *h, void *arg, struct app_report_row *total,
		     struct app_err *err);

/* Minutes of seconds, in tenths rounded to the nearest (1.8 min: 18). */
int64_t app_report_tenths(int64_t seconds);

#endif
