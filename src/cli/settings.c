/* settings: "dialconf settings show|set" over /api/v1/settings.
 *
 * `set` judges nothing itself: the server is the one parser, so the CLI
 * and the API give the same answer in the same words (issue #20). Each
 * value only takes the JSON shape that its text spells in the setting's
 * type (core/settings.h): "true"/"false" a boolean, a decimal an integer;
 * anything else goes as a string, which the server refuses with its own
 * message ("... must be a boolean", "... must be an integer"), as it
 * refuses unknown names and bounds. All pairs go in ONE PATCH, so that the
 * server's all-or-nothing rule covers the whole command line. */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_priv.h"
#include "core/settings.h"

#define SETTING_NAME_MAX 128 /* bytes of a name on the command line */

/* A setting's value as text: strings as they are, the rest as JSON. The
 * returned pointer is buf or a string inside v. */
static const char *setting_text(const json_t *v, char *buf, size_t size)
{
	size_t n;

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_null(v))
		return NULL;
	if (json_is_true(v) || json_is_false(v))
		return json_is_true(v) ? "true" : "false";
	if (json_is_integer(v)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	n = json_dumpb(v, buf, size - 1, JSON_COMPACT | JSON_ENCODE_ANY);
	if (n == 0 || n > size - 1)
		return "(not shown)";
	buf[n] = '\0'; /* json_dumpb does not terminate */
	return buf;
}

/* The settings in all whose names are in only (every one when NULL). */
static int settings_table_print(const json_t *all, const json_t *only)
{
	static const char *const hdr[] = {"SETTING", "VALUE"};
	struct out_table *t = NULL;
	const char *key;
	const json_t *v;
	char (*bufs)[64];
	size_t i = 0;
	int err;

	bufs = calloc(json_object_size(all) + 1, sizeof(*bufs));
	err = bufs ? out_table_alloc(&t, 2, hdr) : ENOMEM;
	json_object_foreach((json_t *)all, key, v) {
		const char *row[2] = {key, NULL};

		if (err || (only != NULL && !json_object_get(only, key)))
			continue;
		row[1] = setting_text(v, bufs[i], sizeof(bufs[i]));
		i++;
		err = out_table_add(t, row);
	}
	if (!err)
		err = out_table_print(t, stdout);
	out_table_free(t);
	free(bufs);
	return err ? cli_fail("out of memory") : CLI_OK;
}

static void settings_url(struct api_url *u)
{
	api_url_path(u, "/settings", NULL, NULL);
}

int do_settings_show(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	json_t *resp;
	int err, rc = CLI_OK;

	err = cli_parse_json(c, argc, argv, &json, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	settings_url(&u);
	if (cli_call(c, "GET", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	if (json)
		out_json(resp);
	else if (!json_is_object(resp))
		rc = cli_fail("unexpected answer: settings are not an object");
	else
		rc = settings_table_print(resp, NULL);
	json_decref(resp);
	return rc;
}

/* The JSON value that text spells for a setting of type t; a string when
 * it spells no value of that type, for the server to refuse. */
static json_t *setting_json(enum setting_type t, const char *text)
{
	long n;

	switch (t) {
	case SETTING_BOOL:
		if (!strcmp(text, "true") || !strcmp(text, "false"))
			return json_boolean(text[0] == 't');
		break;
	case SETTING_INT:
		if (cli_parse_long(text, LONG_MIN, LONG_MAX, &n) == 0)
			return json_integer(n);
		break;
	default:
		break;
	}
	return json_string(text);
}

/* Add one KEY=VALUE to body. Returns 0, or CLI_USAGE or CLI_FAIL after
 * reporting why. */
static int setting_add(struct cli *c, json_t *body, const char *pair)
{
	const char *eq = strchr(pair, '=');
	char name[SETTING_NAME_MAX];
	const struct setting_def *d;
	size_t len = eq ? (size_t)(eq - pair) : 0;
	json_t *v;

	if (eq == NULL || len == 0)
		return cli_usage_error(c, "expected KEY=VALUE, not '%s'", pair);
	if (len >= sizeof(name))
		return cli_fail("unknown setting '%.*s'", (int)len, pair);
	memcpy(name, pair, len);
	name[len] = '\0';
	/* An unknown name goes too: the server names it in its words. */
	d = settings_find(name);
	v = setting_json(d ? d->type : SETTING_STRING, eq + 1);
	if (v == NULL) /* not UTF-8: jansson takes no other text */
		return cli_fail("the value of %s must be UTF-8 text", name);
	if (json_object_set_new(body, name, v) != 0) /* a name not UTF-8 */
		return d ? cli_fail("out of memory") :
			cli_fail("unknown setting '%s'", name);
	return 0;
}

int do_settings_set(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	json_t *body, *resp = NULL;
	size_t i;
	int err, rc = CLI_OK;

	err = cli_parse_json(c, argc, argv, &json, &pos, 1, CLI_LIST_MAX);
	if (err)
		return cli_parse_exit(err);
	body = json_object();
	if (body == NULL)
		return cli_fail("out of memory");
	for (i = 0; i < pos.n && rc == CLI_OK; i++)
		rc = setting_add(c, body, pos.v[i]);
	if (rc == CLI_OK) {
		settings_url(&u);
		rc = cli_call(c, "PATCH", &u, body, &resp) ? CLI_FAIL : CLI_OK;
	}
	if (rc == CLI_OK && json) {
		out_json(resp);
	} else if (rc == CLI_OK) {
		fprintf(stdout, "Settings updated.\n");
		rc = settings_table_print(resp, body);
	}
	json_decref(resp);
	json_decref(body);
	return rc;
}
