/* core/webhook: the signature a receiver recomputes, and the rules of the
 * webhook URL and secret settings. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/webhook.h"

/* Expected values from Python's hmac module:
 * hmac.new(key, b"1700000000." + body, hashlib.sha256).hexdigest() */
static void test_sign(void **state)
{
	const char body[] = "{\"type\":\"call.started\"}";
	char sig[WEBHOOK_SIGNATURE_SIZE];

	(void)state;
	assert_int_equal(webhook_sign("0123456789abcdef0123", 1700000000,
				      body, strlen(body), sig, sizeof(sig)),
			 0);
	assert_string_equal(sig, "sha256=3f44b8e7e100dce59874858ae1a94a52"
			    "2964694b4773a8082380c26854f03e85");
	/* Another timestamp, another signature: a replay shows. */
	assert_int_equal(webhook_sign("0123456789abcdef0123", 1700000001,
				      body, strlen(body), sig, sizeof(sig)),
			 0);
	assert_string_not_equal(sig, "sha256=3f44b8e7e100dce59874858ae1a94a52"
				"2964694b4773a8082380c26854f03e85");
	assert_int_equal(webhook_sign("k", 1, body, strlen(body), sig, 10),
			 EINVAL);
}

static void test_url(void **state)
{
	char why[128];

	(void)state;
	assert_int_equal(webhook_url_check("", why, sizeof(why)), 0);
	assert_int_equal(webhook_url_check("https://hooks.example.org/x?a=1",
					   why, sizeof(why)), 0);
	assert_int_equal(webhook_url_check("http://127.0.0.1:8080/", why,
					   sizeof(why)), 0);
	assert_int_equal(webhook_url_check("ftp://example.org/", why,
					   sizeof(why)), EINVAL);
	assert_non_null(strstr(why, "http://"));
	assert_int_equal(webhook_url_check("http:///path", why, sizeof(why)),
			 EINVAL);
	assert_int_equal(webhook_url_check("https://u:p@example.org/", why,
					   sizeof(why)), EINVAL);
	assert_int_equal(webhook_url_check("https://example.org/a b", why,
					   sizeof(why)), EINVAL);
	assert_int_equal(webhook_url_check("https://example.org/\r\nX: y",
					   why, sizeof(why)), EINVAL);
}

static void test_secret(void **state)
{
	char why[128];

	(void)state;
	assert_int_equal(webhook_secret_check("", why, sizeof(why)), 0);
	assert_int_equal(webhook_secret_check("0123456789abcdef", why,
					      sizeof(why)), 0);
	/* "set" is what GET /settings shows for a secret: never one. */
	assert_int_equal(webhook_secret_check("set", why, sizeof(why)),
			 EINVAL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(webhook_event_name(WEBHOOK_CALL_STARTED),
			    "call.started");
	assert_string_equal(webhook_event_name(WEBHOOK_CONFID_RESET),
			    "conferenceId.reset");
	assert_null(webhook_event_name(WEBHOOK_EVENT_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
