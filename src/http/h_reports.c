/* h_reports: GET /api/v1/reports/usage, the usage report of docs/api.md
 * "Usage reports", as JSON or, for ?format=csv or an Accept of text/csv,
 * as CSV (RFC 4180: a header row, CRLF line ends, text fields quoted by
 * libcsv). The counting is app/reports.c's; this file only writes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "app/reports.h"
#include "core/buf.h"
#include "http/http_priv.h"

/* A report is at most a few hundred days or the groups of a year of
 * calls; a CSV past this is refused rather than grown without end. */
#define REPORT_CSV_MAX (32 * 1024 * 1024)
#define CSV_FIELD_MAX (2 * APP_REPORT_LABEL_SIZE + 4)

static json_t *minutes_json(int64_t seconds)
{
	return json_real((double)app_report_tenths(seconds) / 10.0);
}

static json_t *row_json(const struct app_report_row *r,
			enum app_report_group by, bool total)
{
	json_t *o = json_pack("{s:o, s:I, s:I, s:I}",
			      "minutes", minutes_json(r->seconds),
			      "calls", (json_int_t)r->calls,
			      "uniqueCallers", (json_int_t)r->callers,
			      "peakConcurrentCalls", (json_int_t)r->peak);

	if (!o || total)
		return o;
	if (json_object_set_new(o, "key", json_string(r->key)) ||
	    json_object_set_new(o, "label", json_string(r->label)) ||
	    (by == APP_REPORT_USER &&
	     (json_object_set_new(o, "email",
				  http_json_str_or_null(r->email)) ||
	      json_object_set_new(o, "displayName",
				  http_json_str_or_null(r->display_name))))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

struct json_ctx {
	json_t *arr;
	enum app_report_group by;
};

static int json_row(const struct app_report_row *r, void *arg)
{
	struct json_ctx *c = arg;

	return json_array_append_new(c->arr, row_json(r, c->by, false)) ?
		ENOMEM : 0;
}

/* A free-text field for a spreadsheet: one that would start a formula
 * (=, +, -, @, tab, CR) gets a leading apostrophe (OWASP "CSV
 * injection"), then RFC 4180 quoting. Keys (dates, E.164 numbers, ids)
 * are ours and go as they are. */
static int csv_text(struct buf *b, const char *s, bool guard)
{
	char field[CSV_FIELD_MAX], in[APP_REPORT_LABEL_SIZE + 2];
	size_t n;

	snprintf(in, sizeof(in), "%s%s",
		 guard && s[0] && strchr("=+-@\t\r", s[0]) ? "'" : "", s);
	n = csv_write(field, sizeof(field), in, strlen(in));
	if (n > sizeof(field))
		return EOVERFLOW;
	return buf_append(b, field, n);
}

static int csv_numbers(struct buf *b, const struct app_report_row *r)
{
	int64_t t = app_report_tenths(r->seconds);

	return buf_printf(b, ",%" PRId64 ".%" PRId64 ",%" PRId64 ",%" PRId64
			  ",%" PRId64 "\r\n", t / 10, t % 10, r->calls,
			  r->callers, r->peak);
}

struct csv_ctx {
	struct buf *b;
	enum app_report_group by;
};

static int csv_row(const struct app_report_row *r, void *arg)
{
	struct csv_ctx *c = arg;
	int e;

	e = csv_text(c->b, r->key, false);
	if (!e)
		e = buf_putc(c->b, ',');
	if (!e)
		e = csv_text(c->b, r->label, true);
	if (!e && c->by == APP_REPORT_USER) {
		e = buf_putc(c->b, ',');
		if (!e)
			e = csv_text(c->b, r->email, true);
		if (!e)
			e = buf_putc(c->b, ',');
		if (!e)
			e = csv_text(c->b, r->display_name, true);
	}
	return e ? e : csv_numbers(c->b, r);
}

/* The form asked: 1 CSV (format=csv, or no format and an Accept naming
 * text/csv), 0 JSON, -1 a format not written here. */
static int answer_format(const struct http_req *r)
{
	const char *f = http_query(r, "format");
	const char *accept = http_header(r, "Accept");

	if (f)
		return !strcmp(f, "csv") ? 1 : !strcmp(f, "json") ? 0 : -1;
	return accept && strstr(accept, "text/csv") ? 1 : 0;
}

static int reply_csv(struct http_req *r, const struct app_report_range *q)
{
	struct app_err ae = {{0}};
	struct app_report_row total;
	struct csv_ctx c = { NULL, q->by };
	int e;

	e = buf_alloc(&c.b, REPORT_CSV_MAX);
	if (e)
		return e;
	e = buf_printf(c.b, "%s,label%s,minutes,calls,unique_callers,"
		       "peak_concurrent_calls\r\n",
		       app_report_group_name(q->by),
		       q->by == APP_REPORT_USER ? ",email,display_name" : "");
	if (!e)
		e = app_report_usage(r->app, q, csv_row, &c, &total, &ae);
	if (e) {
		buf_free(c.b);
		return e == EOVERFLOW ? http_problem(r, 413, "the report is "
				"over %d MiB: ask for a shorter range",
				REPORT_CSV_MAX >> 20) :
			http_app_problem(r, e, &ae);
	}
	/* The totals last, keyed "Total" (no group's key looks so). */
	e = buf_puts(c.b, "Total,");
	if (!e && q->by == APP_REPORT_USER)
		e = buf_puts(c.b, ",,");
	if (!e)
		e = csv_numbers(c.b, &total);
	if (!e)
		e = buf_detach(c.b, &r->text, &r->text_len);
	buf_free(c.b);
	if (e)
		return e;
	r->status = 200;
	r->file_type = "text/csv; charset=utf-8; header=present";
	return 0;
}

static int reply_json(struct http_req *r, const struct app_report_range *q)
{
	struct app_err ae = {{0}};
	struct app_report_row total;
	struct json_ctx c = { json_array(), q->by };
	int e;

	if (!c.arr)
		return ENOMEM;
	e = app_report_usage(r->app, q, json_row, &c, &total, &ae);
	if (e) {
		json_decref(c.arr);
		return http_app_problem(r, e, &ae);
	}
	return http_reply(r, 200, json_pack(
		"{s:o, s:o, s:s, s:s, s:o, s:o}",
		"from", http_json_time(q->from / 1000),
		"to", http_json_time(q->to / 1000),
		"groupBy", app_report_group_name(q->by),
		"timeZone", "UTC",
		"groups", c.arr,
		"totals", row_json(&total, q->by, true)));
}

/* GET /api/v1/reports/usage?from=&to=&groupBy=&format= */
int h_reports_usage(struct http_req *r)
{
	struct app_err ae = {{0}};
	struct app_report_range q;
	int csv = answer_format(r);
	int e;

	if (csv < 0)
		return http_problem(r, 400, "format '%.32s' is not json or "
				    "csv", http_query(r, "format"));
	e = app_report_range_parse(http_query(r, "from"), http_query(r, "to"),
				   http_query(r, "groupBy"), &q, &ae);
	if (e)
		return http_app_problem(r, e, &ae);
	return csv ? reply_csv(r, &q) : reply_json(r, &q);
}
