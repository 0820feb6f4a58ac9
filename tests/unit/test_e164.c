/* E.164 normalisation of dial-in numbers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/e164.h"

static void expect_ok(const char *in, const char *want)
{
	char out[E164_SIZE];
	int err = e164_normalize(in, out, sizeof(out));

	if (err)
		fail_msg("\"%s\": error %d, want %s", in, err, want);
	if (strcmp(out, want))
		fail_msg("\"%s\" gave %s, want %s", in, out, want);
}

static void expect_bad(const char *in)
{
	char out[E164_SIZE];

	if (e164_normalize(in, out, sizeof(out)) != EINVAL)
		fail_msg("\"%s\" accepted as %s", in, out);
}

static void test_good(void **state)
{
	(void)state;
	expect_ok("+14255550100", "+14255550100");
	expect_ok("+1 (425) 555-0100", "+14255550100");
	expect_ok("0014255550100", "+14255550100");
	expect_ok("00 1 425 555 0100", "+14255550100");
	expect_ok("14255550100", "+14255550100");
	expect_ok("+1.425.555.0100", "+14255550100");
	expect_ok("  +14255550100  ", "+14255550100");
	/* The "(0)" trunk prefix is not dialled from abroad. */
	expect_ok("+44 (0)20 7946 0958", "+442079460958");
	expect_ok("+41 (0) 44 668 18 00", "+41446681800");
	expect_ok("+44 20 7946 0958", "+442079460958");
	expect_ok("+(49) 30 901820", "+4930901820");
	expect_ok("+12345678", "+12345678");               /* 8 digits */
	expect_ok("+123456789012345", "+123456789012345"); /* 15 */
	expect_ok("00123456789012345", "+123456789012345");
}

static void test_bad(void **state)
{
	char long_in[80], out[E164_SIZE];

	(void)state;
	assert_int_equal(e164_normalize(NULL, out, sizeof(out)), EINVAL);
	expect_bad("");
	expect_bad("+");
	expect_bad("   ");
	expect_bad("+1 425 555 01OO");       /* letters */
	expect_bad("+1 425 CALL NOW");
	expect_bad("tel:+14255550100");
	expect_bad("+1 425 555 0100 x12");
	expect_bad("+1234567");              /* 7 digits */
	expect_bad("+1234567890123456");     /* 16 */
	expect_bad("001234567890123456");    /* 16 after 00 */
	expect_bad("+0 425 555 0100");       /* country code 0 */
	expect_bad("+04255550100");
	expect_bad("014255550100");          /* national trunk 0 */
	expect_bad("0004255550100");         /* 00 then country code 0 */
	expect_bad("+0014255550100");        /* + and 00 */
	expect_bad("++14255550100");
	expect_bad("1+4255550100");
	expect_bad("(+1) 425 555 0100");
	expect_bad("+1 (425 555-0100");      /* unbalanced */
	expect_bad("+1 425) 555-0100");
	expect_bad("+1 )425( 555-0100");
	expect_bad("+1 (425) (555) 0100");   /* two pairs */
	expect_bad("+1 () 4255550100");
	expect_bad("+(0)4255550100");        /* "(0)" but no country code */
	expect_bad("+1/425/555/0100");
	expect_bad("+1_425_555_0100");
	expect_bad("+1,425,555,0100");
	expect_bad("+1\t425 555 0100");
	expect_bad("+1 425 555 0100\n");
	expect_bad("+1 425 555 0100;ext=1");
	expect_bad("+１４２５５５５０１００");    /* fullwidth digits */

	/* Fine digits, but far too much padding around them. */
	memset(long_in, ' ', sizeof(long_in));
	memcpy(long_in + 60, "+14255550100", 13);
	expect_bad(long_in);
}

static void test_out_size(void **state)
{
	char out[E164_SIZE];

	(void)state;
	assert_int_equal(e164_normalize("+14255550100", out, 12), EINVAL);
	assert_int_equal(e164_normalize("+14255550100", out, 13), 0);
	assert_string_equal(out, "+14255550100");
	assert_int_equal(e164_normalize("+14255550100", NULL, 13), EINVAL);
}

static void expect_format(const char *in, const char *want)
{
	char out[E164_FORMAT_SIZE];

	assert_int_equal(e164_format(in, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

/* Emails show numbers as the admin center does (web/ui.js fmtNumber). */
static void test_format(void **state)
{
	char out[E164_FORMAT_SIZE];

	(void)state;
	/* +1: the US and Canada, grouped 3-3-4. */
	expect_format("+14255550100", "+1 425 555 0100");
	expect_format("+18005550199", "+1 800 555 0199");
	expect_format("+16135550123", "+1 613 555 0123");
	/* Other country codes as they are, as the admin center shows them. */
	expect_format("+442079460958", "+442079460958");
	expect_format("+4930123456", "+4930123456");
	expect_format("+33142685300", "+33142685300");
	expect_format("+61255550123", "+61255550123");
	expect_format("+819012345678", "+819012345678");
	expect_format("+12345678901234", "+12345678901234"); /* +1, 14 */
	expect_format("+1425555010", "+1425555010");         /* +1, 9 */
	expect_format("+1425555010x", "+1425555010x");
	/* Nothing is nothing. */
	expect_format("", "");
	expect_format(NULL, "");

	/* The longest output fits E164_FORMAT_SIZE; a short buffer says so
	 * and holds no half number. */
	assert_int_equal(e164_format("+14255550100", out, 16), 0);
	assert_int_equal(e164_format("+14255550100", out, 15), EOVERFLOW);
	assert_string_equal(out, "");
	assert_int_equal(e164_format("+123456789012345", out,
				     sizeof(out)), 0);
	assert_int_equal(e164_format("+1", out, 0), EOVERFLOW);
	assert_int_equal(e164_format("+1", NULL, 4), EOVERFLOW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_out_size),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
