/* webhooks: "dialconf webhooks list" over GET /api/v1/webhooks/deliveries
 * (docs/api.md "Webhooks"): the events and how their delivery went. */

#include <stdio.h>
#include <string.h>

#include "cli/cli_priv.h"

static void delivery_row(const json_t *w, const char **cells, char *buf,
			 size_t size)
{
	const json_t *st = json_object_get(w, "lastStatus");
	int n;

	n = snprintf(buf, size, "%lld", (long long)
		     json_integer_value(json_object_get(w, "attempts")));
	cells[0] = api_str(w, "id");
	cells[1] = api_str(w, "state");
	cells[2] = api_str(w, "type");
	cells[3] = buf;
	cells[4] = NULL;
	if (json_is_integer(st) && n > 0 && (size_t)n + 1 < size) {
		snprintf(buf + n + 1, size - (size_t)n - 1, "%lld",
			 (long long)json_integer_value(st));
		cells[4] = buf + n + 1;
	}
	cells[5] = api_str(w, "createdAt");
	cells[6] = api_str(w, "lastError");
}

int do_webhooks_list(struct cli *c, int argc, char **argv)
{
	static const char *const hdr[] = {"ID", "STATE", "TYPE", "ATTEMPTS",
					  "STATUS", "CREATED", "LAST ERROR"};
	static const struct out_listing l = {
		"deliveries", "unexpected answer: no deliveries",
		"No webhook events.", 7, hdr, 48, delivery_row,
	};
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
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	if (state && strcmp(state, "pending") && strcmp(state, "delivered") &&
	    strcmp(state, "failed"))
		return cli_usage_error(c, "--state is one of pending, "
				       "delivered, failed");
	api_url_path(&u, "/webhooks/deliveries", NULL, NULL);
	api_url_query(&u, "limit", limit ? limit : "100");
	if (state)
		api_url_query(&u, "state", state);
	return cli_get_list(c, &u, json, &l);
}
