/* calls: "dialconf calls", the live calls of GET /api/v1/calls: who
 * dialled which number (caller masked by the server), where the attendant
 * has them, which conference they reach, and on which node. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_priv.h"

#define CALLS_COLS 8

static void call_row(const json_t *e, const char **cells, char *buf,
		     size_t size)
{
	cells[0] = api_str(e, "id");
	cells[1] = api_str(e, "dialedNumber");
	cells[2] = api_str(e, "caller");
	cells[3] = api_str(e, "state");
	cells[4] = api_str(e, "conferenceId");
	cells[5] = api_bool(e, "muted", false) ? "yes" : "no";
	cells[6] = api_str(e, "startedAt");
	cells[7] = api_str(e, "node");
}

int do_calls(struct cli *c, int argc, char **argv)
{
	static const char *const hdr[CALLS_COLS] = {
		"ID", "DIALED", "CALLER", "STATE", "CONFERENCE ID", "MUTED",
		"STARTED", "NODE",
	};
	static const struct out_listing l = {
		"calls", "unexpected answer: no \"calls\" list",
		"No live calls.", CALLS_COLS, hdr, 0, call_row,
	};
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	int err;

	err = cli_parse_json(c, argc, argv, &json, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	api_url_path(&u, "/calls", NULL, NULL);
	return cli_get_list(c, &u, json, &l);
}
