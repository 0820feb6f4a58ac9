/* records: "dialconf records list", the call records of GET
 * /api/v1/call-records: when each call came, to which number, from whom
 * (masked), to which conference, how it ended and how long it lasted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_priv.h"

#define RECORDS_COLS 9

static void record_row(const json_t *e, const char **cells, char *buf,
		       size_t size)
{
	const json_t *d = json_object_get(e, "durationSeconds");

	if (json_is_number(d))
		snprintf(buf, size, "%.1f", json_number_value(d));
	else
		snprintf(buf, size, "-");
	cells[0] = api_str(e, "id");
	cells[1] = api_str(e, "startedAt");
	cells[2] = api_str(e, "node");
	cells[3] = api_str(e, "dialedNumber");
	cells[4] = api_str(e, "caller");
	cells[5] = api_str(e, "conferenceId");
	cells[6] = api_str(e, "outcome");
	cells[7] = buf;
	cells[8] = api_str(e, "codec");
}

int do_records_list(struct cli *c, int argc, char **argv)
{
	static const char *const hdr[RECORDS_COLS] = {
		"ID", "STARTED", "NODE", "DIALED", "CALLER", "CONFERENCE ID",
		"OUTCOME", "SECONDS", "CODEC",
	};
	static const struct out_listing l = {
		"records", "unexpected answer: no \"records\" list",
		"No call records.", RECORDS_COLS, hdr, 32, record_row,
	};
	const char *from = NULL, *to = NULL, *conf = NULL, *limit = NULL;
	const char *cursor = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{"--from", CLI_STRING, &from},
		{"--to", CLI_STRING, &to},
		{"--conference", CLI_STRING, &conf},
		{"--limit", CLI_STRING, &limit},
		{"--cursor", CLI_STRING, &cursor},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	long n;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	if (limit != NULL && cli_parse_long(limit, 1, 500, &n) != 0)
		return cli_usage_error(c, "--limit needs a number 1 to 500");
	api_url_path(&u, "/call-records", NULL, NULL);
	if (from)
		api_url_query(&u, "from", from);
	if (to)
		api_url_query(&u, "to", to);
	if (conf)
		api_url_query(&u, "conferenceId", conf);
	if (limit)
		api_url_query(&u, "limit", limit);
	if (cursor)
		api_url_query(&u, "cursor", cursor);
	return cli_get_list(c, &u, json, &l);
}
