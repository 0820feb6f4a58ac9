/* h_numbers: /api/v1/dial-in-numbers (docs/api.md "Dial-in numbers").
 * Languages travel as a JSON array and are stored comma-separated. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/e164.h"
#include "http/http_priv.h"

/* Split "en-US,fr-FR" into a JSON array. */
static json_t *languages_json(const char *list)
{
	json_t *arr = json_array();
	const char *p = list;

	while (arr && *p) {
		size_t n = strcspn(p, ",");

		if (n && json_array_append_new(arr, json_stringn(p, n))) {
			json_decref(arr);
			return NULL;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return arr;
}

/* NUMBER of docs/api.md. NULL when out of memory. */
static json_t *number_json(const struct app_number *n)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:b}",
			 "number", n->number,
			 "type", n->toll_free ? "tollFree" : "toll",
			 "countryCode", n->country,
			 "city", http_json_str_or_null(n->city),
			 "languages", languages_json(n->languages),
			 "isDefault", n->is_default);
}

static int list_one(const struct app_number *n, void *arg)
{
	return json_array_append_new(arg, number_json(n)) ? ENOMEM : 0;
}

int h_numbers_list(struct http_req *r)
{
	struct app_err ae = {{0}};
	json_t *arr = json_array();
	int err;

	if (!arr)
		return ENOMEM;
	err = app_number_list(r->app, list_one, arr, &ae);
	return http_reply_list(r, err, &ae, "numbers", arr);
}

struct find_ctx {
	const char *number;
	struct app_number *out;
	bool found;
};

static int find_one(const struct app_number *n, void *arg)
{
	struct find_ctx *f = arg;

	if (strcmp(n->number, f->number))
		return 0;
	*f->out = *n;
	f->found = true;
	return 0;
}

/* Answer status with the number as the app has it now. */
static int number_reply(struct http_req *r, int status, const char *number)
{
	struct app_number n;
	struct find_ctx f = {number, &n, false};
	struct app_err ae = {{0}};
	int err;

	err = app_number_list(r->app, find_one, &f, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	if (!f.found)
		return http_problem(r, 404, "no dial-in number '%s'", number);
	return http_reply(r, status, number_json(&n));
}

/* Copy a string field into dst, 400 when it does not fit. */
static int copy_field(struct http_req *r, const char *name, const char *v,
		      char *dst, size_t size)
{
	if (!v)
		v = "";
	if (strlen(v) >= size) {
		http_problem(r, 400, "%s is too long", name);
		return EINVAL;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* Join the languages array into dst with commas. */
static int copy_languages(struct http_req *r, const json_t *arr, char *dst,
			  size_t size)
{
	size_t i, len = 0;
	json_t *e;

	dst[0] = '\0';
	json_array_foreach(arr, i, e) {
		const char *s = json_string_value(e);
		int n;

		if (!s[0] || strchr(s, ',')) {
			http_problem(r, 400, "languages[%zu] is not a language "
				     "tag", i);
			return EINVAL;
		}
		n = snprintf(dst + len, size - len, "%s%s", len ? "," : "", s);
		if (n < 0 || (size_t)n >= size - len) {
			http_problem(r, 400, "languages is too long");
			return EINVAL;
		}
		len += (size_t)n;
	}
	return 0;
}

static const struct http_field add_fields[] = {
	{"number", HTTP_J_STRING, true},
	{"type", HTTP_J_STRING, true},
	{"countryCode", HTTP_J_STRING, true},
	{"city", HTTP_J_STRING_NULL, false},
	{"languages", HTTP_J_STRINGS, false},
	{"isDefault", HTTP_J_BOOL, false},
};

/* Fill n from the POST body; 400 and EINVAL on a bad value. */
static int number_from_body(struct http_req *r, struct app_number *n)
{
	const char *type = http_json_str(r->in, "type");
	const char *cc = http_json_str(r->in, "countryCode");

	memset(n, 0, sizeof(*n));
	if (!strcmp(type, "toll") || !strcmp(type, "tollFree")) {
		n->toll_free = type[4] == 'F';
	}
	else {
		http_problem(r, 400, "type must be \"toll\" or \"tollFree\"");
		return EINVAL;
	}
	if (strlen(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' ||
	    cc[1] < 'A' || cc[1] > 'Z') {
		http_problem(r, 400, "countryCode must be two capital letters "
			     "(ISO 3166-1)");
		return EINVAL;
	}
	memcpy(n->country, cc, 3);
	n->is_default = http_json_bool(r->in, "isDefault", false);

	if (copy_field(r, "number", http_json_str(r->in, "number"), n->number,
		       sizeof(n->number)) ||
	    copy_field(r, "city", http_json_str(r->in, "city"), n->city,
		       sizeof(n->city)))
		return EINVAL;
	return copy_languages(r, json_object_get(r->in, "languages"),
			      n->languages, sizeof(n->languages));
}

int h_numbers_add(struct http_req *r)
{
	struct app_err ae = {{0}};
	struct app_number n;
	int err;

	if (!r->in)
		return http_problem(r, 400, "a JSON object body is required");
	if (http_check_fields(r, r->in, "", add_fields, 6) ||
	    number_from_body(r, &n))
		return 0;

	err = app_number_add(r->app, r->actor, &n, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	return number_reply(r, 201, n.number);
}

/* The {e164} of the path in E.164 form: "+1425...", "1425..." and "%2B1425"
 * all name the same number. */
static int path_number(struct http_req *r, char *out, size_t size)
{
	if (e164_normalize(r->param[0], out, size)) {
		http_problem(r, 400, "'%s' is not an E.164 number", r->param[0]);
		return EINVAL;
	}
	return 0;
}

static const struct http_field patch_fields[] = {
	{"isDefault", HTTP_J_BOOL, true},
};

int h_number_patch(struct http_req *r)
{
	struct app_err ae = {{0}};
	char number[E164_SIZE];
	int err;

	if (http_check_fields(r, r->in, "", patch_fields, 1) ||
	    path_number(r, number, sizeof(number)))
		return 0;
	/* Clearing the flag would leave the type without a default; the
	 * way to move it is to make another number the default. */
	if (!http_json_bool(r->in, "isDefault", false))
		return http_problem(r, 400, "isDefault can only be set to true; "
				    "make another number the default instead");

	err = app_number_set_default(r->app, r->actor, number, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	return number_reply(r, 200, number);
}

int h_number_delete(struct http_req *r)
{
	struct app_number_removal rm;
	struct app_err ae = {{0}};
	char number[E164_SIZE];
	int err;

	if (path_number(r, number, sizeof(number)))
		return 0;
	err = app_number_remove(r->app, r->actor, number, &rm, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	/* Not 204: the users who had chosen the number moved to the default
	 * of its type, and the admin should not learn that by surprise. */
	return http_reply(r, 200, json_pack(
		"{s:s, s:s, s:b, s:I, s:o}", "number", rm.number,
		"type", rm.toll_free ? "tollFree" : "toll",
		"wasDefault", rm.was_default,
		"usersMoved", (json_int_t)rm.users_moved,
		"default", http_json_str_or_null(rm.now_default)));
}
