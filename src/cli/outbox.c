/* outbox: "dialconf user send-conference-info", "dialconf outbox list" and
 * "dialconf outbox retry" over the email routes of docs/api.md. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_priv.h"

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
	api_url_init(&u);
	api_url_raw(&u, "/users/");
	api_url_part(&u, pos.v[0]);
	api_url_raw(&u, "/audio-conferencing/send-conference-info");
	body = to ? json_pack("{s:s}", "to", to) : json_object();
	if (!body)
		return cli_fail("out of memory");
	err = cli_call(c, "POST", &u, body, &resp);
	json_decref(body);
	if (err)
		return CLI_FAIL;
	if (json)
		out_json(resp);
	else
		fprintf(stdout, "Conference info queued for %s\n",
			api_str(resp, "to") ? api_str(resp, "to") : pos.v[0]);
	json_decref(resp);
	return CLI_OK;
}

static int mail_table(const json_t *emails)
{
	static const char *const hdr[] = {"ID", "STATE", "KIND", "TO",
					  "ATTEMPTS", "CREATED", "LAST ERROR"};
	struct out_table *t = NULL;
	char (*att)[24];
	const json_t *m;
	size_t i;
	int err;

	att = calloc(json_array_size(emails) + 1, sizeof(*att));
	err = att ? out_table_alloc(&t, 7, hdr) : ENOMEM;
	json_array_foreach(emails, i, m) {
		const char *row[7] = {
			api_str(m, "id"), api_str(m, "state"),
			api_str(m, "kind"), api_str(m, "to"), att[i],
			api_str(m, "createdAt"), api_str(m, "lastError"),
		};

		if (err)
			break;
		snprintf(att[i], sizeof(att[i]), "%lld", (long long)
			 json_integer_value(json_object_get(m, "attempts")));
		err = out_table_add(t, row);
	}
	if (!err)
		err = out_table_print(t, stdout);
	out_table_free(t);
	free(att);
	return err ? cli_fail("out of memory") : CLI_OK;
}

int do_outbox_list(struct cli *c, int argc, char **argv)
{
	const char *state = NULL, *limit = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{"--state", CLI_STRING, &state},
		{"--limit", CLI_STRING, &limit},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	json_t *resp = NULL;
	const json_t *emails;
	int err, rc;

	err = cli_parse(c, argc, argv, opts, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	if (state && strcmp(state, "pending") && strcmp(state, "sent") &&
	    strcmp(state, "failed"))
		return cli_usage_error(c, "--state is pending, sent or failed");
	api_url_init(&u);
	api_url_raw(&u, "/outbox?limit=");
	api_url_part(&u, limit ? limit : "100");
	if (state) {
		api_url_raw(&u, "&state=");
		api_url_part(&u, state);
	}
	if (cli_call(c, "GET", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	emails = json_object_get(resp, "emails");
	if (json)
		out_json(resp);
	if (json || !json_is_array(emails))
		rc = json ? CLI_OK : cli_fail("unexpected answer: no emails");
	else if (json_array_size(emails) == 0)
		rc = (fprintf(stdout, "No emails.\n"), CLI_OK);
	else
		rc = mail_table(emails);
	json_decref(resp);
	return rc;
}

int do_outbox_retry(struct cli *c, int argc, char **argv)
{
	bool json = false;
	const struct cli_opt opts[] = {
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	json_t *resp = NULL;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	api_url_init(&u);
	api_url_raw(&u, "/outbox/");
	api_url_part(&u, pos.v[0]);
	api_url_raw(&u, "/retry");
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
