/* outbox: "dialconf user send-conference-info", "dialconf outbox list" and
 * "dialconf outbox retry" over the email routes of docs/api.md. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_priv.h"
#include "core/mailstate.h"

#define MAIL_FIELD_W 16 /* label column of a retried email */

int do_user_send_info(struct cli *c, int argc, char **argv)
{
	const char *to = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{"--to", CLI_STRING, &to},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	json_t *body = NULL, *resp = NULL;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	api_url_path(&u, "/users/", pos.v[0],
		     "/audio-conferencing/send-conference-info");
	body = to ? json_pack("{s:s}", "to", to) : json_object();
	if (!body)
		return cli_fail("out of memory");
	if (cli_send(c, "POST", &u, body, &resp) != 0)
		return CLI_FAIL;
	if (json)
		out_json(resp);
	else
		fprintf(stdout, "Conference info queued for %s\n",
			api_str(resp, "to") ? api_str(resp, "to") : pos.v[0]);
	json_decref(resp);
	return CLI_OK;
}

static void mail_row(const json_t *m, const char **cells, char *buf,
		     size_t size)
{
	snprintf(buf, size, "%lld", (long long)
		 json_integer_value(json_object_get(m, "attempts")));
	cells[0] = api_str(m, "id");
	cells[1] = api_str(m, "state");
	cells[2] = api_str(m, "kind");
	cells[3] = api_str(m, "to");
	cells[4] = buf;
	cells[5] = api_str(m, "createdAt");
	cells[6] = api_str(m, "lastError");
}

int do_outbox_list(struct cli *c, int argc, char **argv)
{
	static const char *const hdr[] = {"ID", "STATE", "KIND", "TO",
					  "ATTEMPTS", "CREATED", "LAST ERROR"};
	static const struct out_listing l = {
		"emails", "unexpected answer: no emails", "No emails.", 7, hdr,
		24, mail_row,
	};
	const char *state = NULL, *limit = NULL;
	enum mailstate ms;
	bool json = false;
	const struct cli_opt opts[] = {
		{"--state", CLI_STRING, &state},
		{"--limit", CLI_STRING, &limit},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	if (state && mailstate_parse(state, &ms))
		return cli_usage_error(c, "--state is one of " MAILSTATE_NAMES);
	api_url_path(&u, "/outbox", NULL, NULL);
	api_url_query(&u, "limit", limit ? limit : "100");
	if (state)
		api_url_query(&u, "state", state);
	return cli_get_list(c, &u, json, &l);
}

int do_outbox_retry(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	json_t *resp = NULL;
	int err;

	err = cli_parse_json(c, argc, argv, &json, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	api_url_path(&u, "/outbox/", pos.v[0], "/retry");
	if (cli_call(c, "POST", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	if (json) {
		out_json(resp);
	} else {
		fprintf(stdout, "Email %s queued again\n", pos.v[0]);
		out_field(MAIL_FIELD_W, "To", api_str(resp, "to"));
		out_field(MAIL_FIELD_W, "Subject", api_str(resp, "subject"));
		out_field(MAIL_FIELD_W, "State", api_str(resp, "state"));
	}
	json_decref(resp);
	return CLI_OK;
}
