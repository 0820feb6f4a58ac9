/* The email address check used for settings, users and recipients. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/emailaddr.h"

static void test_good(void **state)
{
	static const char *const good[] = {
		"ada@example.org", "first.last+tag@sub.example.co.uk",
		"O'Brien@example.com", "x@a-b.example", "a@b.c",
		"no-reply@dialconf.example", "user_1%x=y@123.example",
		"ADA@EXAMPLE.ORG",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!emailaddr_valid(good[i]))
			fail_msg("refused \"%s\"", good[i]);
	}
}

static void test_bad(void **state)
{
	static const char *const bad[] = {
		"", "ada", "@example.org", "ada@", "ada@@example.org",
		"a@b@example.org", "ada @example.org", "ada@exa mple.org",
		" ada@example.org", "ada@example.org ", ".ada@example.org",
		"ada.@example.org", "a..da@example.org", "ada@-example.org",
		"ada@example-.org", "ada@example..org", "ada@.example.org",
		"ada@example.org.", "ada@localhost", "ada@exam_ple.org",
		"<ada>@example.org", "Ada <ada@example.org>", "\"ada\"@example.org",
		"ada\n@example.org", "ada@example.org\r\nBcc: x@y.example",
		"ådå@example.org", "ada@exämple.org", "ada@[192.0.2.1]",
		"ada,bob@example.org", "ada;@example.org", "ada\\@example.org",
	};
	size_t i;

	(void)state;
	assert_false(emailaddr_valid(NULL));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (emailaddr_valid(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	}
}

static void test_limits(void **state)
{
	char s[300];
	size_t n;

	(void)state;
	/* Local part: 64 bytes fine, 65 not. */
	memset(s, 'a', 64);
	memcpy(s + 64, "@example.org", 13);
	assert_true(emailaddr_valid(s));
	memset(s, 'a', 65);
	memcpy(s + 65, "@example.org", 13);
	assert_false(emailaddr_valid(s));

	/* Label: 63 bytes fine, 64 not. */
	memcpy(s, "a@", 2);
	memset(s + 2, 'b', 63);
	memcpy(s + 65, ".org", 5);
	assert_true(emailaddr_valid(s));
	memset(s + 2, 'b', 64);
	memcpy(s + 66, ".org", 5);
	assert_false(emailaddr_valid(s));

	/* Whole address: 254 bytes fine, 255 not. */
	for (n = 254; n <= 255; n++) {
		size_t i;

		memcpy(s, "a@", 2);
		for (i = 2; i < n; i++)
			s[i] = (i % 50 == 1) ? '.' : 'c';
		s[n] = '\0';
		assert_int_equal(strlen(s), n);
		if (emailaddr_valid(s) != (n == 254))
			fail_msg("length %zu: wrong answer", n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
