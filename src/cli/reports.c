/* reports: "dialconf report usage", the usage report of GET
 * /api/v1/reports/usage: a table for people, the server's JSON with
 * --json, or the server's CSV as it came with --csv (so the CLI and the
 * API write one CSV, the server's). The server checks the range and the
 * grouping; a bad one comes back as its 400, exit 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_priv.h"

#define REPORT_COLS 6
#define REPORT_CELL 32 /* bytes of one number cell */

/* A JSON number as text: minutes keep their one decimal. */
static const char *num_text(const json_t *o, const char *key, char *buf)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		snprintf(buf, REPORT_CELL, "%lld",
			 (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, REPORT_CELL, "%.1f", json_real_value(v));
	else
		return NULL;
	return buf;
}

static void report_row(const json_t *e, const char **cells, char *buf,
		       size_t size)
{
	const char *key = api_str(e, "key");
	const char *label = api_str(e, "label");

	(void)size; /* REPORT_COLS - 2 cells of REPORT_CELL bytes */
	cells[0] = key && key[0] ? key : NULL;
	cells[1] = label && label[0] ? label : NULL;
	cells[2] = num_text(e, "minutes", buf);
	cells[3] = num_text(e, "calls", buf + REPORT_CELL);
	cells[4] = num_text(e, "uniqueCallers", buf + 2 * REPORT_CELL);
	cells[5] = num_text(e, "peakConcurrentCalls", buf + 3 * REPORT_CELL);
}

static int print_report(json_t *resp)
{
	static const char *const hdr[REPORT_COLS] = {
		"GROUP", "LABEL", "MINUTES", "CALLS", "UNIQUE CALLERS",
		"PEAK CONCURRENT",
	};
	static const struct out_listing l = {
		"groups", "unexpected answer: no \"groups\" list",
		"No calls in this range.", REPORT_COLS, hdr,
		(REPORT_COLS - 2) * REPORT_CELL, report_row,
	};
	const json_t *t = api_obj(resp, "totals");
	char m[REPORT_CELL], n[REPORT_CELL], u[REPORT_CELL], p[REPORT_CELL];
	int rc;

	rc = cli_list_answer(json_incref(resp), false, &l);
	if (rc == CLI_OK && t)
		printf("Total: %s minutes, %s calls, %s unique callers, "
		       "peak %s concurrent (%s to %s, UTC)\n",
		       num_text(t, "minutes", m), num_text(t, "calls", n),
		       num_text(t, "uniqueCallers", u),
		       num_text(t, "peakConcurrentCalls", p),
		       api_str(resp, "from"), api_str(resp, "to"));
	json_decref(resp);
	return rc;
}

int do_report_usage(struct cli *c, int argc, char **argv)
{
	const char *from = NULL, *to = NULL, *by = NULL;
	bool json = false, csv = false;
	const struct cli_opt opts[] = {
		{"--from", CLI_STRING, &from},
		{"--to", CLI_STRING, &to},
		{"--group-by", CLI_STRING, &by},
		{"--csv", CLI_FLAG, &csv},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	json_t *resp = NULL;
	char *text = NULL;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	if (!from || !to)
		return cli_usage_error(c, "--from and --to are required");
	if (csv && json)
		return cli_usage_error(c, "--csv or --json, not both");
	api_url_path(&u, "/reports/usage", NULL, NULL);
	api_url_query(&u, "from", from);
	api_url_query(&u, "to", to);
	if (by)
		api_url_query(&u, "groupBy", by);
	if (csv) {
		api_url_query(&u, "format", "csv");
		if (cli_get_text(c, &u, &text) != 0)
			return CLI_FAIL;
		fputs(text ? text : "", stdout);
		free(text);
		return CLI_OK;
	}
	if (cli_call(c, "GET", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	if (json) {
		out_json(resp);
		json_decref(resp);
		return CLI_OK;
	}
	return print_report(resp);
}
