/* numbers: the "dialconf number" verbs over /api/v1/dial-in-numbers
 * (docs/api.md). The server normalises and validates E.164; a number in a
 * path is percent-encoded, so "+1425..." travels as "%2B1425...". */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_priv.h"

static void number_url(struct api_url *u, const char *e164)
{
	api_url_init(u);
	api_url_raw(u, "/dial-in-numbers");
	if (e164 != NULL) {
		api_url_raw(u, "/");
		api_url_part(u, e164);
	}
}

/* "en-US, fr-FR" of a number's languages into buf. */
static const char *number_langs(const json_t *n, char *buf, size_t size)
{
	const json_t *l = json_object_get(n, "languages"), *v;
	size_t i, len = 0;
	int w;

	buf[0] = '\0';
	json_array_foreach(l, i, v) {
		if (!json_is_string(v) || len >= size)
			continue;
		w = snprintf(buf + len, size - len, "%s%s", len ? "," : "",
			     json_string_value(v));
		len = w < 0 ? size : len + (size_t)w;
	}
	return buf[0] != '\0' ? buf : NULL;
}

static int number_table(const json_t *nums)
{
	static const char *const hdr[] = {"NUMBER", "TYPE", "COUNTRY", "CITY",
					  "LANGUAGES", "DEFAULT"};
	struct out_table *t = NULL;
	const json_t *n;
	char (*langs)[128] = NULL;
	size_t i;
	int err;

	/* One language buffer per row: the table borrows its cells. */
	langs = calloc(json_array_size(nums) + 1, sizeof(*langs));
	err = langs ? out_table_alloc(&t, 6, hdr) : ENOMEM;
	json_array_foreach(nums, i, n) {
		const char *row[6] = {
			api_str(n, "number"), api_str(n, "type"),
			api_str(n, "countryCode"), api_str(n, "city"),
			err ? NULL
			    : number_langs(n, langs[i], sizeof(langs[i])),
			api_bool(n, "isDefault", false) ? "yes" : "",
		};

		if (!err)
			err = out_table_add(t, row);
	}
	if (!err)
		err = out_table_print(t, stdout);
	out_table_free(t);
	free(langs);
	return err ? cli_fail("out of memory") : CLI_OK;
}

int do_number_list(struct cli *c, int argc, char **argv)
{
	bool json = false;
	const struct cli_opt opts[] = {
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	const json_t *nums;
	json_t *resp;
	int err, rc = CLI_OK;

	err = cli_parse(c, argc, argv, opts, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	number_url(&u, NULL);
	if (cli_call(c, "GET", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	nums = json_object_get(resp, "numbers");
	if (json)
		out_json(resp);
	else if (!json_is_array(nums))
		rc = cli_fail("unexpected answer: no \"numbers\" list");
	else if (json_array_size(nums) == 0)
		fprintf(stdout, "No dial-in numbers.\n");
	else
		rc = number_table(nums);
	json_decref(resp);
	return rc;
}

/* A number as "Field: value" lines, after add and set-default. */
static void number_print(const json_t *n)
{
	char langs[512];

	out_field(10, "Number", api_str(n, "number"));
	out_field(10, "Type", api_str(n, "type"));
	out_field(10, "Country", api_str(n, "countryCode"));
	out_field(10, "City", api_str(n, "city"));
	out_field(10, "Languages", number_langs(n, langs, sizeof(langs)));
	out_field(10, "Default", api_bool(n, "isDefault", false) ? "yes"
								  : "no");
}

static int number_done(json_t *resp, bool json, const char *what)
{
	if (json) {
		out_json(resp);
	} else {
		fprintf(stdout, "%s\n", what);
		number_print(resp);
	}
	json_decref(resp);
	return CLI_OK;
}

struct number_new {
	const char *type, *country, *city;
	struct cli_list langs;
	bool dflt;
};

static json_t *number_body(const char *e164, const struct number_new *nn)
{
	json_t *b, *langs = json_array();
	size_t i;

	for (i = 0; langs != NULL && i < nn->langs.n; i++) {
		if (json_array_append_new(langs,
					  json_string(nn->langs.v[i])) != 0) {
			json_decref(langs);
			return NULL;
		}
	}
	if (langs == NULL)
		return NULL;
	/* "o" takes langs even when packing fails. */
	b = json_pack("{s:s,s:s,s:s,s:o}", "number", e164, "type", nn->type,
		      "countryCode", nn->country, "languages", langs);
	if (b != NULL && nn->city != NULL &&
	    json_object_set_new(b, "city", json_string(nn->city)) != 0)
		goto fail;
	if (b != NULL && nn->dflt &&
	    json_object_set_new(b, "isDefault", json_true()) != 0)
		goto fail;
	return b;
fail:
	json_decref(b);
	return NULL;
}

int do_number_add(struct cli *c, int argc, char **argv)
{
	struct number_new nn = {0};
	bool json = false;
	const struct cli_opt opts[] = {
		{"--type", CLI_STRING, &nn.type},
		{"--country", CLI_STRING, &nn.country},
		{"--city", CLI_STRING, &nn.city},
		{"--language", CLI_REPEAT, &nn.langs},
		{"--default", CLI_FLAG, &nn.dflt},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	json_t *body, *resp;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	if (nn.type == NULL || (strcmp(nn.type, "toll") != 0 &&
				strcmp(nn.type, "tollFree") != 0))
		return cli_usage_error(c, "--type is toll or tollFree");
	if (nn.country == NULL)
		return cli_usage_error(c, "--country is required");
	body = number_body(pos.v[0], &nn);
	if (body == NULL)
		return cli_fail("the values must be UTF-8 text");
	number_url(&u, NULL);
	err = cli_call(c, "POST", &u, body, &resp);
	json_decref(body);
	if (err)
		return CLI_FAIL;
	return number_done(resp, json, "Dial-in number added.");
}

int do_number_remove(struct cli *c, int argc, char **argv)
{
	const struct cli_opt opts[] = {{NULL, 0, NULL}};
	struct cli_list pos;
	struct api_url u;
	json_t *resp;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	number_url(&u, pos.v[0]);
	if (cli_call(c, "DELETE", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	json_decref(resp);
	fprintf(stdout, "Removed dial-in number %s.\n", pos.v[0]);
	return CLI_OK;
}

int do_number_set_default(struct cli *c, int argc, char **argv)
{
	bool json = false;
	const struct cli_opt opts[] = {
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	json_t *body, *resp;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	body = json_pack("{s:b}", "isDefault", 1);
	if (body == NULL)
		return cli_fail("out of memory");
	number_url(&u, pos.v[0]);
	err = cli_call(c, "PATCH", &u, body, &resp);
	json_decref(body);
	if (err)
		return CLI_FAIL;
	return number_done(resp, json, "Default dial-in number set.");
}
