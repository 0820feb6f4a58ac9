/* tokens: "dialconf token list|create|revoke" over /api/v1/tokens
 * (docs/api.md "API tokens"). `dialconf admin token` (main.c) makes one
 * offline instead. */
#include <stdio.h>
#include <time.h>

#include "cli/cli_priv.h"
#include "core/isotime.h"

#define TOKEN_FIELD_W 12
#define TOKEN_DAYS_MAX 3650

static void token_row(const json_t *t, const char **cells, char *buf,
		      size_t size)
{
	(void)buf;
	(void)size;
	cells[0] = api_str(t, "id");
	cells[1] = api_str(t, "name");
	cells[2] = api_str(t, "createdAt");
	cells[3] = api_str(t, "expiresAt") ? api_str(t, "expiresAt") : "never";
	cells[4] = api_str(t, "lastUsedAt") ? api_str(t, "lastUsedAt") :
		"never";
}

int do_token_list(struct cli *c, int argc, char **argv)
{
	static const char *const hdr[] = {"ID", "NAME", "CREATED", "EXPIRES",
					  "LAST USED"};
	static const struct out_listing l = {
		"tokens", "unexpected answer: no tokens", "No API tokens.", 5,
		hdr, 24, token_row,
	};
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	int err;

	err = cli_parse_json(c, argc, argv, &json, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	api_url_path(&u, "/tokens", NULL, NULL);
	return cli_get_list(c, &u, json, &l);
}

/* The secret on stdout alone (so that $(dialconf token create x) is the
 * token), the rest on stderr. */
int do_token_create(struct cli *c, int argc, char **argv)
{
	const char *days_s = NULL;
	char when[ISOTIME_SIZE];
	bool json = false;
	const struct cli_opt opts[] = {
		{"--expires-days", CLI_STRING, &days_s},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	json_t *body, *resp = NULL;
	long days = 0;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	if (days_s && cli_parse_long(days_s, 1, TOKEN_DAYS_MAX, &days))
		return cli_usage_error(c, "--expires-days must be 1 to %d",
				       TOKEN_DAYS_MAX);
	body = json_pack("{s:s}", "name", pos.v[0]);
	if (body && days) {
		if (isotime_format((int64_t)time(NULL) + days * 86400, when,
				   sizeof(when))) {
			json_decref(body);
			return cli_fail("cannot write the expiry");
		}
		json_object_set_new(body, "expiresAt", json_string(when));
	}
	if (!body)
		return cli_fail("out of memory");
	api_url_path(&u, "/tokens", NULL, NULL);
	if (cli_send(c, "POST", &u, body, &resp) != 0)
		return CLI_FAIL;
	if (json) {
		out_json(resp);
	} else {
		fprintf(stdout, "%s\n", api_str(resp, "token"));
		fprintf(stderr, "API token %s \"%s\" made; it expires %s. "
			"It is shown this once.\n", api_str(resp, "id"),
			pos.v[0], api_str(resp, "expiresAt") ?
			api_str(resp, "expiresAt") : "never");
	}
	json_decref(resp);
	return CLI_OK;
}

int do_token_revoke(struct cli *c, int argc, char **argv)
{
	struct cli_list pos;
	struct api_url u;
	json_t *resp = NULL;
	int err;

	err = cli_parse_json(c, argc, argv, NULL, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	api_url_path(&u, "/tokens/", pos.v[0], NULL);
	if (cli_call(c, "DELETE", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	json_decref(resp);
	fprintf(stdout, "API token %s revoked\n", pos.v[0]);
	return CLI_OK;
}
