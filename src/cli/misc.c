/* misc: "dialconf conference-id show" (who owns an ID, live or revoked) and
 * "dialconf audit" (the audit log, newest first). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_priv.h"

#define CONFID_FIELD_W 14 /* label column of "conference-id show" */
#define AUDIT_DETAIL_MAX 256 /* bytes of an entry's detail in the table */

/* "ada@example.org (user 3)" or "Weekly sync (meeting 12)" into buf; a
 * meeting may come as an object or as a bare id. */
static const char *owner_text(const json_t *o, const char *name,
			      const char *kind, char *buf, size_t size)
{
	const char *id = json_is_string(o) ? json_string_value(o)
					   : api_str(o, "id");

	if (name != NULL && id != NULL)
		snprintf(buf, size, "%s (%s %s)", name, kind, id);
	else if (name != NULL)
		snprintf(buf, size, "%s", name);
	else if (id != NULL)
		snprintf(buf, size, "%s %s", kind, id);
	else
		return NULL;
	return buf;
}

static void confid_print(const json_t *r)
{
	const json_t *user = json_object_get(r, "user");
	const json_t *mtg = json_object_get(r, "meeting");
	char ubuf[512], mbuf[512];

	out_field(CONFID_FIELD_W, "Conference ID", api_str(r, "conferenceId"));
	out_field(CONFID_FIELD_W, "State", api_str(r, "state"));
	out_field(CONFID_FIELD_W, "Kind", api_str(r, "kind"));
	out_field(CONFID_FIELD_W, "Owner",
		  owner_text(user, api_str(user, "email"), "user", ubuf,
			     sizeof(ubuf)));
	if (!json_is_null(mtg) && mtg != NULL)
		out_field(CONFID_FIELD_W, "Meeting",
			  owner_text(mtg, api_str(mtg, "subject"), "meeting",
				     mbuf, sizeof(mbuf)));
	out_field(CONFID_FIELD_W, "Issued", api_str(r, "issuedAt"));
	out_field(CONFID_FIELD_W, "Revoked", api_str(r, "revokedAt"));
}

int do_confid_show(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	json_t *resp;
	int err;

	err = cli_parse_json(c, argc, argv, &json, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	api_url_path(&u, "/conference-ids/", pos.v[0], NULL);
	if (cli_call(c, "GET", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	return cli_answer(resp, json, NULL, confid_print);
}

/* An entry's detail as compact JSON into buf, "" when there is none. */
static const char *audit_detail(const json_t *e, char *buf, size_t size)
{
	const json_t *d = json_object_get(e, "detail");
	size_t n;

	if (d == NULL || json_is_null(d) ||
	    (json_is_object(d) && json_object_size(d) == 0))
		return "";
	n = json_dumpb(d, buf, size - 1, JSON_COMPACT | JSON_ENCODE_ANY);
	if (n > size - 1) { /* cut on a character boundary, marked */
		n = size - 4;
		while (n > 0 && ((unsigned char)buf[n] & 0xc0) == 0x80)
			n--;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

static void audit_row(const json_t *e, const char **cells, char *buf,
		      size_t size)
{
	cells[0] = api_str(e, "at");
	cells[1] = api_str(e, "actor");
	cells[2] = api_str(e, "action");
	cells[3] = api_str(e, "target");
	cells[4] = audit_detail(e, buf, size);
}

int do_audit(struct cli *c, int argc, char **argv)
{
	static const char *const hdr[] = {"WHEN", "ACTOR", "ACTION",
					  "TARGET", "DETAIL"};
	static const struct out_listing l = {
		"entries", "unexpected answer: no \"entries\" list",
		"No audit entries.", 5, hdr, AUDIT_DETAIL_MAX, audit_row,
	};
	const char *limit = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{"--limit", CLI_STRING, &limit},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	long n;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	if (limit != NULL && cli_parse_long(limit, 1, 1000000, &n) != 0)
		return cli_usage_error(c, "--limit needs a positive number");
	api_url_path(&u, "/audit", NULL, NULL);
	if (limit)
		api_url_query(&u, "limit", limit);
	return cli_get_list(c, &u, json, &l);
}
