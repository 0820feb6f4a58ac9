/* numbers: the "dialconf number" verbs over /api/v1/dial-in-numbers
 * (docs/api.md). The server normalises and validates E.164; a number in a
 * path is percent-encoded, so "+1425..." travels as "%2B1425...". */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_priv.h"

static void number_url(struct api_url *u, const char *e164)
{
	api_url_path(u, e164 ? "/dial-in-numbers/" : "/dial-in-numbers", e164,
		     NULL);
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

static void number_row(const json_t *n, const char **cells, char *buf,
		       size_t size)
{
	cells[0] = api_str(n, "number");
	cells[1] = api_str(n, "type");
	cells[2] = api_str(n, "countryCode");
	cells[3] = api_str(n, "city");
	cells[4] = number_langs(n, buf, size);
	cells[5] = api_bool(n, "isDefault", false) ? "yes" : "";
}

int do_number_list(struct cli *c, int argc, char **argv)
{
	static const char *const hdr[] = {"NUMBER", "TYPE", "COUNTRY", "CITY",
					  "LANGUAGES", "DEFAULT"};
	static const struct out_listing l = {
		"numbers", "unexpected answer: no \"numbers\" list",
		"No dial-in numbers.", 6, hdr, 128, number_row,
	};
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	int err;

	err = cli_parse_json(c, argc, argv, &json, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	number_url(&u, NULL);
	return cli_get_list(c, &u, json, &l);
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
	if (cli_send(c, "POST", &u, body, &resp) != 0)
		return CLI_FAIL;
	return cli_answer(resp, json, "Dial-in number added.",
			  number_print);
}

/* What a removal did: the users who had chosen the number now use the
 * default of its type, which may itself be new. */
static void removal_print(const json_t *r)
{
	const char *type = api_str(r, "type");
	const char *dflt = api_str(r, "default");
	json_int_t moved = json_integer_value(json_object_get(r,
							      "usersMoved"));
	const char *kind = type && !strcmp(type, "tollFree") ? "toll-free" :
			   "toll";

	fprintf(stdout, "Removed dial-in number %s.\n", api_str(r, "number"));
	if (api_bool(r, "wasDefault", false))
		fprintf(stdout, dflt ? "It was the default %s number; %s is "
			"the default now.\n" : "It was the default %s number; "
			"no %s number is left.\n", kind, dflt ? dflt : kind);
	if (moved > 0 && dflt)
		fprintf(stdout, "%lld user%s who had chosen it moved to the "
			"default %s number %s.\n", (long long)moved,
			moved == 1 ? "" : "s", kind, dflt);
	else if (moved > 0)
		fprintf(stdout, "%lld user%s who had chosen it now ha%s no %s "
			"number.\n", (long long)moved, moved == 1 ? "" : "s",
			moved == 1 ? "s" : "ve", kind);
}

int do_number_remove(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	json_t *resp;
	int err;

	err = cli_parse_json(c, argc, argv, &json, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	number_url(&u, pos.v[0]);
	if (cli_call(c, "DELETE", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	return cli_answer(resp, json, NULL, removal_print);
}

int do_number_set_default(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	json_t *body, *resp;
	int err;

	err = cli_parse_json(c, argc, argv, &json, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	body = json_pack("{s:b}", "isDefault", 1);
	if (body == NULL)
		return cli_fail("out of memory");
	number_url(&u, pos.v[0]);
	if (cli_send(c, "PATCH", &u, body, &resp) != 0)
		return CLI_FAIL;
	return cli_answer(resp, json, "Default dial-in number set.",
			  number_print);
}
