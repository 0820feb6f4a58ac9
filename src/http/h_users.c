/* h_users: /api/v1/users and a user's audio conferencing actions
 * (docs/api.md "Users"). {user} is param[0]: an id or an email. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "http/http_priv.h"

#define USERS_LIMIT_DEFAULT 50
#define USERS_LIMIT_MAX 500

/* USER of docs/api.md. NULL when out of memory. */
static json_t *user_json(const struct app_user *u)
{
	json_t *ac, *o;

	ac = json_pack("{s:b, s:o, s:o, s:o, s:b}",
		       "enabled", u->audio_enabled,
		       "conferenceId", http_json_str_or_null(u->conference_id),
		       "tollNumber", http_json_str_or_null(u->toll_number),
		       "tollFreeNumber",
		       http_json_str_or_null(u->toll_free_number),
		       "pinSet", u->pin_set);
	if (!ac)
		return NULL;
	o = json_pack("{s:o, s:s, s:s, s:o}", "id", http_json_id(u->id),
		      "email", u->email, "displayName", u->display_name,
		      "audioConferencing", ac);
	return o;
}

static int user_reply(struct http_req *r, int status, const struct app_user *u)
{
	return http_reply(r, status, user_json(u));
}

static int list_one(const struct app_user *u, void *arg)
{
	json_t *arr = arg;

	return json_array_append_new(arr, user_json(u)) ? ENOMEM : 0;
}

int h_users_list(struct http_req *r)
{
	const char *search = http_query(r, "search");
	long long limit, cursor;
	struct app_err ae = {{0}};
	int64_t next = 0;
	json_t *arr;
	int err;

	if (http_query_int(r, "limit", 1, USERS_LIMIT_MAX, USERS_LIMIT_DEFAULT,
			   &limit) ||
	    http_query_int(r, "cursor", 0, INT64_MAX, 0, &cursor))
		return 0;

	arr = json_array();
	if (!arr)
		return ENOMEM;
	err = app_user_list(r->app, search, (int)limit, (int64_t)cursor,
			    list_one, arr, &next, &ae);
	if (err) {
		json_decref(arr);
		return http_app_problem(r, err, &ae);
	}
	return http_reply(r, 200, json_pack("{s:o, s:o}", "users", arr,
		"nextCursor", next ? http_json_id(next) : json_null()));
}

static const struct http_field create_fields[] = {
	{"email", HTTP_J_STRING, true},
	{"displayName", HTTP_J_STRING, true},
	{"audioConferencing", HTTP_J_OBJECT, false},
	{"sendEmail", HTTP_J_BOOL, false},
};

/* USER plus "emailQueued" (docs/api.md "Email"): whether the enabled email
 * went into the outbox. */
static int user_reply_queued(struct http_req *r, int status,
			     const struct app_user *u, bool queued)
{
	json_t *o = user_json(u);

	if (o && json_object_set_new(o, "emailQueued", json_boolean(queued))) {
		json_decref(o);
		o = NULL;
	}
	return http_reply(r, status, o);
}

static const struct http_field create_ac_fields[] = {
	{"enabled", HTTP_J_BOOL, false},
};

int h_users_create(struct http_req *r)
{
	struct app_err ae = {{0}};
	struct app_user u;
	bool queued = false;
	json_t *ac;
	int err;

	if (!r->in)
		return http_problem(r, 400, "a JSON object body is required");
	if (http_check_fields(r, r->in, "", create_fields, 4))
		return 0;
	ac = json_object_get(r->in, "audioConferencing");
	if (http_check_fields(r, ac, "audioConferencing", create_ac_fields, 1))
		return 0;

	err = app_user_create(r->app, r->actor, http_json_str(r->in, "email"),
			      http_json_str(r->in, "displayName"),
			      http_json_bool(ac, "enabled", true),
			      http_json_bool(r->in, "sendEmail", true), &u,
			      &queued, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	return user_reply_queued(r, 201, &u, queued);
}

static const struct http_field import_user_fields[] = {
	{"email", HTTP_J_STRING, true},
	{"displayName", HTTP_J_STRING, true},
	{"audioConferencing", HTTP_J_OBJECT, false},
};

static const struct http_field import_ac_fields[] = {
	{"enabled", HTTP_J_BOOL, false},
	{"tollNumber", HTTP_J_STRING_NULL, false},
	{"tollFreeNumber", HTTP_J_STRING_NULL, false},
};

/* A refused user of an import, into the problem's "errors". */
static int import_bad(size_t index, const char *detail, void *arg)
{
	return json_array_append_new(arg, json_pack("{s:I, s:s}", "index",
						    (json_int_t)index,
						    "detail", detail)) ?
		ENOMEM : 0;
}

/* The users of body into rows (n of them), or a 400 naming the first
 * user whose shape is wrong. */
static int import_rows(struct http_req *r, const json_t *users,
		       struct app_import_row *rows)
{
	char what[48];
	size_t i;
	json_t *o, *ac;

	json_array_foreach(users, i, o) {
		snprintf(what, sizeof(what), "users[%zu]", i);
		if (!json_is_object(o)) {
			http_problem(r, 400, "%s must be an object", what);
			return EINVAL;
		}
		if (http_check_fields(r, o, what, import_user_fields, 3))
			return EINVAL;
		ac = json_object_get(o, "audioConferencing");
		snprintf(what, sizeof(what), "users[%zu].audioConferencing",
			 i);
		if (http_check_fields(r, ac, what, import_ac_fields, 3))
			return EINVAL;
		rows[i].email = http_json_str(o, "email");
		rows[i].display_name = http_json_str(o, "displayName");
		rows[i].audio = http_json_bool(ac, "enabled", true);
		rows[i].toll_number = http_json_str(ac, "tollNumber");
		rows[i].toll_free_number = http_json_str(ac, "tollFreeNumber");
	}
	return 0;
}

int h_users_import(struct http_req *r)
{
	struct app_import_row *rows = NULL;
	struct app_err ae = {{0}};
	json_t *users, *bad = NULL, *p, *v;
	size_t n, queued = 0;
	const char *key;
	int err;

	if (!r->in)
		return http_problem(r, 400, "a JSON object body is required");
	users = json_object_get(r->in, "users");
	if (!json_is_array(users))
		return http_problem(r, 400, "users must be an array");
	n = json_array_size(users);
	if (n == 0 || n > APP_IMPORT_MAX)
		return http_problem(r, 400, "users must hold 1 to %d users",
				    APP_IMPORT_MAX);
	json_object_foreach(r->in, key, v) {
		if (!strcmp(key, "users"))
			continue;
		if (strcmp(key, "sendEmail"))
			return http_problem(r, 400, "unknown field '%s'", key);
		if (!json_is_boolean(v))
			return http_problem(r, 400, "sendEmail must be a "
					    "boolean");
	}
	rows = calloc(n, sizeof(*rows));
	bad = json_array();
	if (!rows || !bad) {
		err = ENOMEM;
		goto out;
	}
	err = import_rows(r, users, rows);
	if (err) {
		err = 0; /* the problem is the answer */
		goto out;
	}
	err = app_user_import(r->app, r->actor, rows, n,
			      http_json_bool(r->in, "sendEmail", true),
			      import_bad, bad, &queued, &ae);
	if (err == EINVAL && json_array_size(bad)) {
		err = http_problem(r, 400, "%s", ae.detail);
		p = r->out;
		if (!err && (!p || json_object_set(p, "errors", bad)))
			err = ENOMEM;
		goto out;
	}
	if (err) {
		err = http_app_problem(r, err, &ae);
		goto out;
	}
	err = http_reply(r, 201, json_pack("{s:I, s:I}", "created",
					   (json_int_t)n, "emailsQueued",
					   (json_int_t)queued));
 out:
	json_decref(bad);
	free(rows);
	return err;
}

int h_user_get(struct http_req *r)
{
	struct app_err ae = {{0}};
	struct app_user u;
	int err;

	err = app_user_get(r->app, r->param[0], &u, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	return user_reply(r, 200, &u);
}

static const struct http_field patch_fields[] = {
	{"displayName", HTTP_J_STRING, false},
	{"audioConferencing", HTTP_J_OBJECT, false},
	{"sendEmail", HTTP_J_BOOL, false},
};

static const struct http_field patch_ac_fields[] = {
	{"enabled", HTTP_J_BOOL, false},
	{"tollNumber", HTTP_J_STRING_NULL, false},
	{"tollFreeNumber", HTTP_J_STRING_NULL, false},
};

/* A number field of the patch: absent NULL (unchanged); null or "" goes
 * back to the organization default, which the app spells "". */
static const char *patch_number(const json_t *ac, const char *name)
{
	json_t *v = json_object_get(ac, name);

	if (!v)
		return NULL;
	return json_is_null(v) ? "" : json_string_value(v);
}

int h_user_patch(struct http_req *r)
{
	struct app_user_patch p = {.audio_enabled = -1};
	struct app_err ae = {{0}};
	struct app_user u;
	bool queued = false;
	json_t *ac, *en;
	int err;

	if (http_check_fields(r, r->in, "", patch_fields, 3))
		return 0;
	ac = json_object_get(r->in, "audioConferencing");
	if (http_check_fields(r, ac, "audioConferencing", patch_ac_fields, 3))
		return 0;

	p.display_name = http_json_str(r->in, "displayName");
	en = json_object_get(ac, "enabled");
	if (en)
		p.audio_enabled = json_is_true(en) ? 1 : 0;
	p.toll_number = patch_number(ac, "tollNumber");
	p.toll_free_number = patch_number(ac, "tollFreeNumber");

	err = app_user_update(r->app, r->actor, r->param[0], &p,
			      http_json_bool(r->in, "sendEmail", true), &u,
			      &queued, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	return user_reply_queued(r, 200, &u, queued);
}

int h_user_delete(struct http_req *r)
{
	struct app_err ae = {{0}};
	int err;

	err = app_user_delete(r->app, r->actor, r->param[0], &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	return http_reply(r, 204, NULL);
}

static const struct http_field reset_fields[] = {
	{"sendEmail", HTTP_J_BOOL, false},
	{"updateInvitations", HTTP_J_BOOL, false},
};

int h_user_reset_confid(struct http_req *r)
{
	struct app_reset_result res;
	struct app_err ae = {{0}};
	int err;

	if (http_check_fields(r, r->in, "", reset_fields, 2))
		return 0;

	memset(&res, 0, sizeof(res));
	err = app_reset_conference_id(r->app, r->actor, r->param[0],
		http_json_bool(r->in, "sendEmail", true),
		http_json_bool(r->in, "updateInvitations", true), &res, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	return http_reply(r, 200, json_pack("{s:s, s:o, s:i, s:b}",
		"conferenceId", res.conference_id,
		"previousConferenceId",
		http_json_str_or_null(res.previous_conference_id),
		"meetingsUpdated", res.meetings_updated,
		"emailQueued", res.email_queued));
}

int h_user_reset_pin(struct http_req *r)
{
	struct app_err ae = {{0}};
	char pin[APP_PIN_SIZE] = "";
	bool queued = false;
	int err;

	if (http_check_fields(r, r->in, "", reset_fields, 1))
		return 0;

	err = app_reset_pin(r->app, r->actor, r->param[0],
			    http_json_bool(r->in, "sendEmail", true), pin,
			    &queued, &ae);
	if (err) {
		err = http_app_problem(r, err, &ae);
		goto out;
	}
	/* Shown to the administrator this once (SPEC §4), never logged. */
	err = http_reply(r, 200, json_pack("{s:s, s:b}", "pin", pin,
					   "emailQueued", queued));
 out:
	explicit_bzero(pin, sizeof(pin));
	return err;
}
