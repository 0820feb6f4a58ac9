/* ISO 8601 / RFC 3339 date-times: strict parsing with offsets, UTC out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/isotime.h"

static void expect_ok(const char *in, int64_t want)
{
	int64_t t = -1;

	if (isotime_parse(in, &t))
		fail_msg("\"%s\" refused", in);
	if (t != want)
		fail_msg("\"%s\": %lld, want %lld", in, (long long)t,
			 (long long)want);
}

static void test_good(void **state)
{
	(void)state;
	expect_ok("1970-01-01T00:00:00Z", 0);
	expect_ok("2026-11-26T23:30:00Z", 1795735800);
	/* The same instant written with offsets east and west of UTC. */
	expect_ok("2026-11-27T00:30:00+01:00", 1795735800);
	expect_ok("2026-11-26T15:30:00-08:00", 1795735800);
	expect_ok("2026-11-26T15:30-08:00", 1795735800);
	expect_ok("2026-11-26T23:30:00.999Z", 1795735800);
	expect_ok("2024-02-29T12:00:00Z", 1709208000);
	expect_ok("2000-02-29T00:00:00+05:30", 951762600);
}

static void test_bad(void **state)
{
	static const char *bad[] = {
		"", "2026-11-26", "2026-11-26T23:30:00", /* no offset */
		"2026-11-26 23:30:00Z", "2026-11-26t23:30:00Z",
		"2026-11-26T23:30:00z", "2026-13-01T00:00:00Z",
		"2026-00-10T00:00:00Z", "2026-11-31T00:00:00Z",
		"2025-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
		"2026-11-26T24:00:00Z", "2026-11-26T23:60:00Z",
		"2026-11-26T23:30:60Z", "2026-11-26T23:30:00+24:00",
		"2026-11-26T23:30:00+0100", "2026-11-26T23:30:00+01",
		"2026-11-26T23:30:00Zjunk", "2026-11-26T23:30:00.Z",
		"1969-12-31T23:59:59Z", "26-11-26T23:30:00Z",
		"2026-1-26T23:30:00Z", "tomorrow", "2026-11-26T23:30:00 Z",
	};
	int64_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (isotime_parse(bad[i], &t) != EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
	}
	assert_int_equal(isotime_parse(NULL, &t), EINVAL);
}

static void test_format(void **state)
{
	char out[ISOTIME_SIZE], human[40];
	int64_t t;

	(void)state;
	assert_int_equal(isotime_format(1795735800, out, sizeof(out)), 0);
	assert_string_equal(out, "2026-11-26T23:30:00Z");
	assert_int_equal(isotime_parse(out, &t), 0);
	assert_int_equal(t, 1795735800);
	assert_int_equal(isotime_format(0, out, 5), ENOSPC);
	assert_int_equal(isotime_human(1795735800, human, sizeof(human)), 0);
	assert_string_equal(human, "Thu, 26 Nov 2026 23:30 UTC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
