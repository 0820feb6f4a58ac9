/* Unit tests of the http pieces that need no socket: the router, the
 * errno-to-status mapping, problem documents, body field checks, times. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_priv.h"

static enum http_match route(const char *method, const char *path,
			     const struct http_route **rp,
			     char param[HTTP_PARAM_MAX][HTTP_PARAM_SIZE],
			     char *allow, size_t size)
{
	return http_route_match(method, path, rp, param, allow, size);
}

static void test_route_users(void **state)
{
	char param[HTTP_PARAM_MAX][HTTP_PARAM_SIZE];
	const struct http_route *rt = NULL;
	char allow[64];

	(void)state;
	assert_int_equal(route("GET", "/api/v1/users", &rt, param, allow,
			       sizeof(allow)), HTTP_MATCH_OK);
	assert_ptr_equal(rt->h, h_users_list);

	/* An email with '@' and '+' is one component. */
	assert_int_equal(route("PATCH", "/api/v1/users/ada+x@example.org", &rt,
			       param, allow, sizeof(allow)), HTTP_MATCH_OK);
	assert_ptr_equal(rt->h, h_user_patch);
	assert_string_equal(param[0], "ada+x@example.org");

	assert_int_equal(route("POST",
		"/api/v1/users/42/audio-conferencing/reset-pin", &rt, param,
		allow, sizeof(allow)), HTTP_MATCH_OK);
	assert_ptr_equal(rt->h, h_user_reset_pin);
	assert_string_equal(param[0], "42");
}

static void test_route_misses(void **state)
{
	char param[HTTP_PARAM_MAX][HTTP_PARAM_SIZE];
	const struct http_route *rt = NULL;
	char allow[64];
	char longpath[HTTP_PARAM_SIZE + 64];

	(void)state;
	assert_int_equal(route("GET", "/api/v1/nothing", &rt, param, allow,
			       sizeof(allow)), HTTP_MATCH_NO_ROUTE);
	assert_int_equal(route("GET", "/api/v1/users/", &rt, param, allow,
			       sizeof(allow)), HTTP_MATCH_NO_ROUTE);
	assert_int_equal(route("GET", "/api/v1/users/1/x", &rt, param, allow,
			       sizeof(allow)), HTTP_MATCH_NO_ROUTE);
	assert_int_equal(route("GET", "/api/v1/usersx", &rt, param, allow,
			       sizeof(allow)), HTTP_MATCH_NO_ROUTE);

	assert_int_equal(route("PUT", "/api/v1/users/7", &rt, param, allow,
			       sizeof(allow)), HTTP_MATCH_NO_METHOD);
	assert_string_equal(allow, "GET, PATCH, DELETE");
	assert_int_equal(route("DELETE", "/api/v1/settings", &rt, param, allow,
			       sizeof(allow)), HTTP_MATCH_NO_METHOD);
	assert_string_equal(allow, "GET, PATCH");

	memset(longpath, 0, sizeof(longpath));
	memcpy(longpath, "/api/v1/users/", 14);
	memset(longpath + 14, 'a', HTTP_PARAM_SIZE);
	assert_int_equal(route("GET", longpath, &rt, param, allow,
			       sizeof(allow)), HTTP_MATCH_TOO_LONG);
}

static void test_status(void **state)
{
	(void)state;
	assert_int_equal(http_status_of(EINVAL), 400);
	assert_int_equal(http_status_of(ENOENT), 404);
	assert_int_equal(http_status_of(EEXIST), 409);
	assert_int_equal(http_status_of(EBUSY), 409);
	assert_int_equal(http_status_of(EACCES), 401);
	assert_int_equal(http_status_of(ENOSPC), 503);
	assert_int_equal(http_status_of(EIO), 500);
}

static void test_problem(void **state)
{
	struct http_req r;
	struct app_err ae = {"no user 'x@example.org'"};

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(http_app_problem(&r, ENOENT, &ae), 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(json_string_value(json_object_get(r.out, "type")),
			    "about:blank");
	assert_string_equal(json_string_value(json_object_get(r.out, "title")),
			    "Not Found");
	assert_int_equal(json_integer_value(json_object_get(r.out, "status")),
			 404);
	assert_string_equal(json_string_value(json_object_get(r.out, "detail")),
			    "no user 'x@example.org'");
	json_decref(r.out);
}

/* A detail quoting what the client sent (a path component is any bytes
 * after URL-decoding: "/api/v1/users/%E9") is still a problem document
 * with the status asked for, not a 500 without a body: bytes that are not
 * UTF-8 become '?', and so does a character the detail's size cuts. */
static void test_problem_not_utf8(void **state)
{
	char long_name[1200];
	const char *detail;
	struct http_req r;
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(http_problem(&r, 404, "no user '%s'",
				      "\xe9t\xc3\xa9\xc3"), 0);
	assert_int_equal(r.status, 404);
	detail = json_string_value(json_object_get(r.out, "detail"));
	assert_non_null(detail);
	assert_string_equal(detail, "no user '?t\xc3\xa9?'");
	json_decref(r.out);

	for (i = 0; i + 2 < sizeof(long_name); i += 2)
		memcpy(long_name + i, "\xc3\xa9", 2);
	long_name[i] = '\0';
	memset(&r, 0, sizeof(r));
	assert_int_equal(http_problem(&r, 400, "xy%s", long_name), 0);
	assert_int_equal(r.status, 400);
	detail = json_string_value(json_object_get(r.out, "detail"));
	assert_non_null(detail);
	assert_int_equal(detail[strlen(detail) - 1], '?');
	json_decref(r.out);
}

static void test_fields(void **state)
{
	static const struct http_field f[] = {
		{"email", HTTP_J_STRING, true},
		{"enabled", HTTP_J_BOOL, false},
		{"toll", HTTP_J_STRING_NULL, false},
	};
	struct http_req r;
	json_t *o;

	(void)state;
	memset(&r, 0, sizeof(r));

	o = json_pack("{s:s, s:b, s:n}", "email", "a@b.c", "enabled", 1,
		      "toll");
	assert_int_equal(http_check_fields(&r, o, "", f, 3), 0);
	assert_null(r.out);
	json_decref(o);

	o = json_pack("{s:s, s:s}", "email", "a@b.c", "bogus", "x");
	assert_int_equal(http_check_fields(&r, o, "", f, 3), EINVAL);
	assert_int_equal(r.status, 400);
	json_decref(o);

	o = json_pack("{s:s, s:s}", "email", "a@b.c", "enabled", "true");
	assert_int_equal(http_check_fields(&r, o, "", f, 3), EINVAL);
	json_decref(o);

	o = json_pack("{s:b}", "enabled", 0);
	assert_int_equal(http_check_fields(&r, o, "", f, 3), EINVAL);
	assert_non_null(strstr(json_string_value(json_object_get(r.out,
		"detail")), "email is required"));
	json_decref(o);

	/* A missing body is an empty object: only required fields fail. */
	assert_int_equal(http_check_fields(&r, NULL, "", f + 1, 2), 0);
	json_decref(r.out);
}

static void test_time(void **state)
{
	json_t *t = http_json_time(1795735800);

	(void)state;
	assert_string_equal(json_string_value(t), "2026-11-26T23:30:00Z");
	json_decref(t);
	assert_true(json_is_null(http_json_time(0)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_users),
		cmocka_unit_test(test_route_misses),
		cmocka_unit_test(test_problem_not_utf8),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_problem),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
