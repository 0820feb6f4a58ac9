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
	const struct cli_opt opts[] = {
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	json_t *resp;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	api_url_init(&u);
	api_url_raw(&u, "/conference-ids/");
	api_url_part(&u, pos.v[0]);
	if (cli_call(c, "GET", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	if (json)
		out_json(resp);
	else
		confid_print(resp);
	json_decref(resp);
	return CLI_OK;
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

static int audit_table(const json_t *entries)
{
	static const char *const hdr[] = {"WHEN", "ACTOR", "ACTION",
					  "TARGET", "DETAIL"};
	struct out_table *t = NULL;
	char (*details)[AUDIT_DETAIL_MAX];
	const json_t *e;
	size_t i;
	int err;

	/* One detail buffer per row: the table borrows its cells. */
	details = calloc(json_array_size(entries) + 1, sizeof(*details));
	err = details ? out_table_alloc(&t, 5, hdr) : ENOMEM;
	json_array_foreach(entries, i, e) {
		const char *row[5] = {
			api_str(e, "at"), api_str(e, "actor"),
			api_str(e, "action"), api_str(e, "target"), NULL,
		};

		if (err)
			break;
		row[4] = audit_detail(e, details[i], sizeof(details[i]));
		err = out_table_add(t, row);
	}
	if (!err)
		err = out_table_print(t, stdout);
	out_table_free(t);
	free(details);
	return err ? cli_fail("out of memory") : CLI_OK;
}

int do_audit(struct cli *c, int argc, char **argv)
{
	const char *limit = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{"--limit", CLI_STRING, &limit},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	const json_t *entries;
	json_t *resp;
	long n;
	int err, rc = CLI_OK;

	err = cli_parse(c, argc, argv, opts, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	if (limit != NULL && cli_parse_long(limit, 1, 1000000, &n) != 0)
		return cli_usage_error(c, "--limit needs a positive number");
	api_url_init(&u);
	api_url_raw(&u, "/audit");
	if (limit != NULL) {
		api_url_raw(&u, "?limit=");
		api_url_part(&u, limit);
	}
	if (cli_call(c, "GET", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	entries = json_object_get(resp, "entries");
	if (json)
		out_json(resp);
	else if (!json_is_array(entries))
		rc = cli_fail("unexpected answer: no \"entries\" list");
	else if (json_array_size(entries) == 0)
		fprintf(stdout, "No audit entries.\n");
	else
		rc = audit_table(entries);
	json_decref(resp);
	return rc;
}
