/* users: the "dialconf user" verbs over /api/v1/users (docs/api.md). USER on
 * the command line is an email or an id; the server resolves either, so it
 * goes into the path as given, percent-encoded ('@' and '+' of emails). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_priv.h"

#define USER_FIELD_W 20 /* label column of "dialconf user show" */
#define USER_PAGES_MAX 100000 /* --all: pages before giving up on a loop */

/* /users/USER plus an optional fixed suffix. */
static void user_url(struct api_url *u, const char *user, const char *sfx)
{
	api_url_path(u, "/users/", user, sfx);
}

static void user_print(const json_t *u)
{
	const json_t *ac = api_obj(u, "audioConferencing");
	bool on = api_bool(ac, "enabled", false);
	const char *pin = api_bool(ac, "pinSet", false) ? "set" : "not set";

	out_field(USER_FIELD_W, "ID", api_str(u, "id"));
	out_field(USER_FIELD_W, "Email", api_str(u, "email"));
	out_field(USER_FIELD_W, "Name", api_str(u, "displayName"));
	out_field(USER_FIELD_W, "Audio conferencing", on ? "on" : "off");
	out_field(USER_FIELD_W, "Conference ID", api_str(ac, "conferenceId"));
	out_field(USER_FIELD_W, "Toll number", api_str(ac, "tollNumber"));
	out_field(USER_FIELD_W, "Toll-free number",
		  api_str(ac, "tollFreeNumber"));
	out_field(USER_FIELD_W, "Organizer PIN", on ? pin : NULL);
}

static void user_row(const json_t *u, const char **cells, char *buf,
		     size_t size)
{
	const json_t *ac = api_obj(u, "audioConferencing");

	cells[0] = api_str(u, "id");
	cells[1] = api_str(u, "email");
	cells[2] = api_str(u, "displayName");
	cells[3] = api_bool(ac, "enabled", false) ? "on" : "off";
	cells[4] = api_str(ac, "conferenceId");
}

static const char *const user_hdr[] = {"ID", "EMAIL", "NAME", "AUDIO",
				       "CONFERENCE ID"};

/* "dialconf user list" prints itself: it may page, and the JSON it
 * prints is its own (all pages). */
static const struct out_listing user_listing = {
	"users", "unexpected answer: no \"users\" list", "No users.", 5,
	user_hdr, 0, user_row,
};

static int user_page(struct cli *c, const char *search, const char *limit,
		     const char *cursor, json_t **resp)
{
	struct api_url u;

	api_url_path(&u, "/users", NULL, NULL);
	if (search != NULL)
		api_url_query(&u, "search", search);
	if (limit != NULL)
		api_url_query(&u, "limit", limit);
	if (cursor != NULL)
		api_url_query(&u, "cursor", cursor);
	return cli_call(c, "GET", &u, NULL, resp);
}

/* Append the users of one page to all; *next gets the page's cursor (a copy)
 * or NULL at the end. */
static int user_collect(json_t *all, const json_t *resp, char **next)
{
	const json_t *page = json_object_get(resp, "users");
	const char *cur = api_str(resp, "nextCursor");

	*next = NULL;
	if (!json_is_array(page)) {
		cli_fail("%s", user_listing.missing);
		return EPROTO;
	}
	if (json_array_extend(all, (json_t *)page) != 0)
		return ENOMEM;
	if (cur != NULL && (*next = strdup(cur)) == NULL)
		return ENOMEM;
	return 0;
}

/* One page, or every page with all; the users end up in users. */
static int user_fetch(struct cli *c, const char *search, const char *limit,
		      bool all, json_t *users, char **more)
{
	char *cursor = NULL, *next = NULL;
	json_t *resp = NULL;
	int err, pages = 0;

	do {
		err = user_page(c, search, limit, cursor, &resp);
		if (!err)
			err = user_collect(users, resp, &next);
		json_decref(resp);
		resp = NULL;
		if (err)
			goto out;
		/* A cursor that does not move would loop forever. */
		if (next != NULL && cursor != NULL && strcmp(next, cursor) == 0)
			break;
		free(cursor);
		cursor = next;
		next = NULL;
	} while (all && cursor != NULL && ++pages < USER_PAGES_MAX);
out:
	free(next);
	if (!err && !all)
		*more = cursor;
	else
		free(cursor);
	return err;
}

static int user_list_print(json_t *users, const char *more, bool json)
{
	json_t *o;

	if (json) {
		o = json_pack("{s:O,s:s?}", "users", users, "nextCursor", more);
		if (o == NULL)
			return cli_fail("out of memory");
		out_json(o);
		json_decref(o);
		return CLI_OK;
	}
	if (json_array_size(users) == 0) {
		fprintf(stdout, "%s\n", user_listing.empty);
		return CLI_OK;
	}
	if (out_list(users, &user_listing))
		return cli_fail("out of memory");
	if (more != NULL)
		fprintf(stderr, "(more users: use --all, or a larger "
				"--limit)\n");
	return CLI_OK;
}

int do_user_list(struct cli *c, int argc, char **argv)
{
	const char *search = NULL, *limit = NULL;
	bool all = false, json = false;
	const struct cli_opt opts[] = {
		{"--search", CLI_STRING, &search},
		{"--limit", CLI_STRING, &limit},
		{"--all", CLI_FLAG, &all},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	json_t *users = NULL;
	char *more = NULL;
	long n;
	int err, rc = CLI_FAIL;

	err = cli_parse(c, argc, argv, opts, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	if (limit != NULL && cli_parse_long(limit, 1, 1000000, &n) != 0)
		return cli_usage_error(c, "--limit needs a positive number");
	users = json_array();
	if (users == NULL)
		return cli_fail("out of memory");
	err = user_fetch(c, search, limit, all, users, &more);
	if (err == ENOMEM)
		cli_fail("out of memory");
	if (!err)
		rc = user_list_print(users, more, json);
	free(more);
	json_decref(users);
	return rc;
}

int do_user_show(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	json_t *resp;
	int err;

	err = cli_parse_json(c, argc, argv, &json, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	user_url(&u, pos.v[0], NULL);
	if (cli_call(c, "GET", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	return cli_answer(resp, json, NULL, user_print);
}

int do_user_add(struct cli *c, int argc, char **argv)
{
	const char *name = NULL;
	bool noaudio = false, json = false;
	const struct cli_opt opts[] = {
		{"--name", CLI_STRING, &name},
		{"--no-audio-conferencing", CLI_FLAG, &noaudio},
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
	if (name == NULL)
		return cli_usage_error(c, "--name is required");
	body = json_pack("{s:s,s:s,s:{s:b}}", "email", pos.v[0],
			 "displayName", name, "audioConferencing", "enabled",
			 !noaudio);
	if (body == NULL)
		return cli_fail("the email and the name must be UTF-8 text");
	api_url_path(&u, "/users", NULL, NULL);
	if (cli_send(c, "POST", &u, body, &resp) != 0)
		return CLI_FAIL;
	return cli_answer(resp, json, "User added.", user_print);
}

/* "on"/"off" of --audio-conferencing. Returns 0 or EINVAL. */
static int parse_onoff(const char *s, bool *on)
{
	if (strcmp(s, "on") == 0)
		*on = true;
	else if (strcmp(s, "off") == 0)
		*on = false;
	else
		return EINVAL;
	return 0;
}

/* A user's number: "" or "default" go back to the organization default,
 * which the API spells null. */
static json_t *number_value(const char *s)
{
	if (*s == '\0' || strcmp(s, "default") == 0)
		return json_null();
	return json_string(s);
}

struct user_change {
	const char *name, *audio, *toll, *tollfree;
};

/* The PATCH body for the flags given; *body NULL when none was. */
static int user_patch(struct cli *c, const struct user_change *ch,
		      json_t **body)
{
	json_t *b = json_object(), *ac = json_object();
	bool on = false;
	int err = ENOMEM;

	*body = NULL;
	if (b == NULL || ac == NULL)
		goto out;
	if (ch->audio != NULL && parse_onoff(ch->audio, &on) != 0) {
		cli_usage_error(c, "--audio-conferencing is on or off");
		err = EINVAL;
		goto out;
	}
	if ((ch->name && json_object_set_new(b, "displayName",
					     json_string(ch->name))) ||
	    (ch->audio && json_object_set_new(ac, "enabled",
					      json_boolean(on))) ||
	    (ch->toll && json_object_set_new(ac, "tollNumber",
					     number_value(ch->toll))) ||
	    (ch->tollfree && json_object_set_new(ac, "tollFreeNumber",
						 number_value(ch->tollfree))))
		goto out;
	if (json_object_size(ac) > 0 &&
	    json_object_set(b, "audioConferencing", ac) != 0)
		goto out;
	*body = b;
	b = NULL;
	err = 0;
out:
	json_decref(ac);
	json_decref(b);
	return err;
}

int do_user_set(struct cli *c, int argc, char **argv)
{
	struct user_change ch = {0};
	bool json = false;
	const struct cli_opt opts[] = {
		{"--name", CLI_STRING, &ch.name},
		{"--audio-conferencing", CLI_STRING, &ch.audio},
		{"--toll-number", CLI_STRING, &ch.toll},
		{"--toll-free-number", CLI_STRING, &ch.tollfree},
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
	err = user_patch(c, &ch, &body);
	if (err == EINVAL)
		return CLI_USAGE;
	if (err)
		return cli_fail("the values must be UTF-8 text");
	if (json_object_size(body) == 0) {
		json_decref(body);
		return cli_usage_error(c, "nothing to change");
	}
	user_url(&u, pos.v[0], NULL);
	if (cli_send(c, "PATCH", &u, body, &resp) != 0)
		return CLI_FAIL;
	return cli_answer(resp, json, "User updated.", user_print);
}

int do_user_delete(struct cli *c, int argc, char **argv)
{
	struct cli_list pos;
	struct api_url u;
	json_t *resp;
	int err;

	err = cli_parse_json(c, argc, argv, NULL, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	user_url(&u, pos.v[0], NULL);
	if (cli_call(c, "DELETE", &u, NULL, &resp) != 0)
		return CLI_FAIL;
	json_decref(resp);
	fprintf(stdout, "Deleted user %s.\n", pos.v[0]);
	return CLI_OK;
}

/* Both resets: POST body to /users/USER/audio-conferencing/<what>. */
static int user_reset(struct cli *c, const char *user, const char *what,
		      json_t *body, json_t **resp)
{
	char sfx[64];
	struct api_url u;

	if (body == NULL)
		return cli_fail("out of memory");
	snprintf(sfx, sizeof(sfx), "/audio-conferencing/%s", what);
	user_url(&u, user, sfx);
	return cli_send(c, "POST", &u, body, resp) ? CLI_FAIL : CLI_OK;
}

static void email_note(const json_t *resp, const char *what)
{
	if (api_bool(resp, "emailQueued", false))
		fprintf(stdout, "An email with the %s was queued to the "
				"user.\n", what);
	else
		fprintf(stdout, "No email was sent to the user.\n");
}

static void confid_reset_print(const char *user, const json_t *resp,
			       bool noinv)
{
	const json_t *n = json_object_get(resp, "meetingsUpdated");
	json_int_t meetings = json_is_integer(n) ? json_integer_value(n) : 0;
	const char *old = api_str(resp, "previousConferenceId");
	const char *cur = api_str(resp, "conferenceId");

	fprintf(stdout, "Conference ID for %s reset: %s -> %s\n", user,
		old ? old : "none", cur ? cur : "?");
	if (meetings > 0)
		fprintf(stdout, "%lld meeting(s) got a new conference ID; "
				"%s.\n", (long long)meetings,
			noinv ? "their invitations were not re-sent"
			      : "updated invitations were queued");
	email_note(resp, "new conference ID");
}

int do_user_reset_confid(struct cli *c, int argc, char **argv)
{
	bool noemail = false, noinv = false, json = false;
	const struct cli_opt opts[] = {
		{"--no-email", CLI_FLAG, &noemail},
		{"--no-invitation-update", CLI_FLAG, &noinv},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	json_t *body, *resp = NULL;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	/* Only what was asked for: without --no-email the organization's
	 * automaticallySendEmailsToUsers decides. */
	body = json_object();
	if (body != NULL && noemail)
		json_object_set_new(body, "sendEmail", json_false());
	if (body != NULL && noinv)
		json_object_set_new(body, "updateInvitations", json_false());
	if (user_reset(c, pos.v[0], "reset-conference-id", body, &resp))
		return CLI_FAIL;
	if (json)
		out_json(resp);
	else
		confid_reset_print(pos.v[0], resp, noinv);
	json_decref(resp);
	return CLI_OK;
}

int do_user_reset_pin(struct cli *c, int argc, char **argv)
{
	bool noemail = false, json = false;
	const struct cli_opt opts[] = {
		{"--no-email", CLI_FLAG, &noemail},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	json_t *body, *resp = NULL;
	const char *pin;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	body = json_object();
	if (body != NULL && noemail)
		json_object_set_new(body, "sendEmail", json_false());
	if (user_reset(c, pos.v[0], "reset-pin", body, &resp))
		return CLI_FAIL;
	pin = api_str(resp, "pin");
	if (json) {
		out_json(resp);
	} else {
		fprintf(stdout, "New organizer PIN for %s: %s\n", pos.v[0],
			pin ? pin : "?");
		fprintf(stdout, "Note it now: it will not be shown again.\n");
		email_note(resp, "new PIN");
	}
	json_decref(resp);
	return CLI_OK;
}
