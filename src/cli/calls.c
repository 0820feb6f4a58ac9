/* calls: "dialconf calls", the live calls of GET /api/v1/calls: who
 * dialled which number (caller masked by the server), where the attendant
 * has them, and which conference they reach. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_priv.h"

#define CALLS_COLS 7

static int calls_table(const json_t *calls)
{
	static const char *const hdr[CALLS_COLS] = {
		"ID", "DIALED", "CALLER", "STATE", "CONFERENCE ID", "MUTED",
		"STARTED",
	};
	struct out_table *t = NULL;
	const json_t *e;
	size_t i;
	int err;

	err = out_table_alloc(&t, CALLS_COLS, hdr);
	json_array_foreach(calls, i, e) {
		const char *row[CALLS_COLS] = {
			api_str(e, "id"), api_str(e, "dialedNumber"),
			api_str(e, "caller"), api_str(e, "state"),
			api_str(e, "conferenceId"),
			api_bool(e, "muted", false) ? "yes" : "no",
			api_str(e, "startedAt"),
		};

		if (err)
			break;
		err = out_table_add(t, row);
	}
	if (!err)
		err = out_table_print(t, stdout);
	out_table_free(t);
	return err ? cli_fail("out of memory") : CLI_OK;
}

int do_calls(struct cli *c, int argc, char **argv)
{
	bool json = false;
	const struct cli_opt opts[] = {
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	const json_t *calls;
	json_t *resp;
	int err, rc = CLI_OK;

	err = cli_parse(c, argc, argv, opts, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	api_url_init(&u);
	api_url_raw(&u, "/calls");
	if (cli_call(c, "GET", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	calls = json_object_get(resp, "calls");
	if (json)
		out_json(resp);
	else if (!json_is_array(calls))
		rc = cli_fail("unexpected answer: no \"calls\" list");
	else if (json_array_size(calls) == 0)
		fprintf(stdout, "No live calls.\n");
	else
		rc = calls_table(calls);
	json_decref(resp);
	return rc;
}
