/* calls: "dialconf calls", the live calls of GET /api/v1/calls: who
 * dialled which number (caller masked by the server), where the attendant
 * has them, which conference they reach, and on which node. */
#include <errno.h>
#include <stdio.h>
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

#define CONTROL_FIELD_W 12

/* "dialconf calls mute|unmute|remove|admit ID": POST
 * /api/v1/calls/ID/VERB, the verb's name being the API's action. */
int do_call_control(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	char sfx[32];
	json_t *resp = NULL;
	int err;

	err = cli_parse_json(c, argc, argv, &json, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	snprintf(sfx, sizeof(sfx), "/%s", cli_verb_name(c));
	api_url_path(&u, "/calls/", pos.v[0], sfx);
	if (cli_send(c, "POST", &u, json_object(), &resp) != 0)
		return CLI_FAIL;
	if (json) {
		out_json(resp);
	} else {
		fprintf(stdout, "Call %s: %s\n", pos.v[0], cli_verb_name(c));
		out_field(CONTROL_FIELD_W, "Caller", api_str(resp, "caller"));
		out_field(CONTROL_FIELD_W, "Conference",
			  api_str(resp, "conferenceId"));
		out_field(CONTROL_FIELD_W, "State", api_str(resp, "state"));
		out_field(CONTROL_FIELD_W, "Muted",
			  api_bool(resp, "muted", false) ? "yes" : "no");
	}
	json_decref(resp);
	return CLI_OK;
}

/* "dialconf conference mute-all|admit-all|lock|unlock|end ID": POST
 * /api/v1/conferences/ID/VERB. */
int do_conference_control(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	char sfx[32];
	json_t *resp = NULL;
	int err;

	err = cli_parse_json(c, argc, argv, &json, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	snprintf(sfx, sizeof(sfx), "/%s", cli_verb_name(c));
	api_url_path(&u, "/conferences/", pos.v[0], sfx);
	if (cli_send(c, "POST", &u, json_object(), &resp) != 0)
		return CLI_FAIL;
	if (json) {
		out_json(resp);
	} else {
		fprintf(stdout, "Conference %s: %s\n", pos.v[0],
			cli_verb_name(c));
		char n[24];

		snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(
				 json_object_get(resp, "calls")));
		out_field(CONTROL_FIELD_W, "Calls", n);
		out_field(CONTROL_FIELD_W, "Node", api_str(resp, "node"));
	}
	json_decref(resp);
	return CLI_OK;
}
