/* h_tokens: /api/v1/tokens (docs/api.md "API tokens"): list, create (the
 * secret in that one answer only) and revoke. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/isotime.h"
#include "http/http_priv.h"

static const struct http_field create_fields[] = {
	{"name", HTTP_J_STRING, true},
	{"expiresAt", HTTP_J_STRING_NULL, false},
};

/* TOKEN of docs/api.md, never the secret. NULL when out of memory. */
static json_t *token_json(const struct app_token *t)
{
	return json_pack("{s:o, s:s, s:o, s:o, s:o}",
			 "id", http_json_id(t->id), "name", t->name,
			 "createdAt", http_json_time(t->created_at),
			 "expiresAt", http_json_time(t->expires_at),
			 "lastUsedAt", http_json_time(t->last_used_at));
}

static int list_one(const struct app_token *t, void *arg)
{
	return json_array_append_new(arg, token_json(t)) ? ENOMEM : 0;
}

int h_tokens_list(struct http_req *r)
{
	struct app_err ae = {{0}};
	json_t *arr = json_array();
	int err;

	if (!arr)
		return ENOMEM;
	err = app_token_list(r->app, list_one, arr, &ae);
	return http_reply_list(r, err, &ae, "tokens", arr);
}

int h_tokens_create(struct http_req *r)
{
	struct app_err ae = {{0}};
	char secret[HTTP_TOKEN_MAX + 1];
	struct app_token t;
	const char *exp;
	int64_t expires_at = 0;
	json_t *out;
	int err;

	if (!r->in)
		return http_problem(r, 400, "a JSON object body is required");
	if (http_check_fields(r, r->in, "", create_fields, 2))
		return 0;
	exp = http_json_str(r->in, "expiresAt");
	if (exp && isotime_parse(exp, &expires_at))
		return http_problem(r, 400, "expiresAt must be a date-time "
				    "such as 2027-03-01T00:00:00Z");
	err = app_token_create(r->app, r->actor, http_json_str(r->in, "name"),
			       expires_at, secret, sizeof(secret), &t, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	out = token_json(&t);
	if (out && json_object_set_new(out, "token", json_string(secret))) {
		json_decref(out);
		out = NULL;
	}
	explicit_bzero(secret, sizeof(secret));
	return out ? http_reply(r, 201, out) : ENOMEM;
}

static int id_parse(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (s[0] < '1' || s[0] > '9')
		return ENOENT;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return ENOENT;
	*id = (int64_t)v;
	return 0;
}

int h_token_delete(struct http_req *r)
{
	struct app_err ae = {{0}};
	int64_t id = 0;
	int err;

	if (http_check_fields(r, r->in, "", NULL, 0))
		return 0;
	if (id_parse(r->param[0], &id))
		return http_problem(r, 404, "no token has id '%.64s'",
				    r->param[0]);
	err = app_token_revoke(r->app, r->actor, id, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	return http_reply(r, 204, NULL);
}
