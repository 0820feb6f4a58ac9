/* Organizer PIN rules (SPEC §4). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/pin.h"

/* Every prefix of length 4-12 of this is a fine PIN. */
static const char fine[] = "135792468024";

static void test_check_lengths(void **state)
{
	char pin[PIN_LEN_MAX + 2];
	int len;

	(void)state;
	for (len = PIN_LEN_MIN; len <= PIN_LEN_MAX; len++) {
		memcpy(pin, fine, (size_t)len);
		pin[len] = '\0';
		assert_int_equal(pin_check(pin, len), 0);
		/* Right digits, wrong expected length. */
		assert_int_equal(pin_check(pin, len - 1), EINVAL);
		if (len < PIN_LEN_MAX)
			assert_int_equal(pin_check(pin, len + 1), EINVAL);
	}
	assert_int_equal(pin_check("135", 3), EINVAL);
	assert_int_equal(pin_check("1357924680246", 13), EINVAL);
	assert_int_equal(pin_check("1357", 0), EINVAL);
	assert_int_equal(pin_check("1357", -4), EINVAL);
}

static void test_check_characters(void **state)
{
	static const char *const bad[] = {
		"13a7", " 1357", "1357 ", "+1357", "-1357", "13 57", "",
		"1357\n", "١٢٣٤", "0x13",
	};
	size_t i;

	(void)state;
	assert_int_equal(pin_check(NULL, 4), EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pin_check(bad[i], 4) != EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	/* A PIN may start with 0, unlike a conference ID. */
	assert_int_equal(pin_check("0472", 4), 0);
}

static void test_trivial(void **state)
{
	static const char *const trivial[] = {
		"0000", "1111", "9999", "1234", "0123", "6789", "3210",
		"9876", "43210", "01234567", "9876543210", "0123456789",
		"11111111111", "777777777777",
	};
	static const char *const neighbours[] = {
		"1235", "1243", "0124", "9875", "1112", "2111", "3211",
		"7890", "8901", "0987", "12345670", "1212", "2468",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(trivial) / sizeof(trivial[0]); i++) {
		assert_true(pin_is_trivial(trivial[i]));
		assert_int_equal(pin_check(trivial[i],
					   (int)strlen(trivial[i])), EINVAL);
	}
	for (i = 0; i < sizeof(neighbours) / sizeof(neighbours[0]); i++) {
		if (pin_is_trivial(neighbours[i]))
			fail_msg("\"%s\" called trivial", neighbours[i]);
		assert_int_equal(pin_check(neighbours[i],
					   (int)strlen(neighbours[i])), 0);
	}
}

static void test_generate(void **state)
{
	char pin[PIN_LEN_MAX + 1];
	int len, i;

	(void)state;
	for (len = PIN_LEN_MIN; len <= PIN_LEN_MAX; len++) {
		for (i = 0; i < 500; i++) {
			assert_int_equal(pin_generate(pin, sizeof(pin), len), 0);
			assert_int_equal(strlen(pin), (size_t)len);
			assert_int_equal(strspn(pin, "0123456789"), (size_t)len);
			assert_false(pin_is_trivial(pin));
			assert_int_equal(pin_check(pin, len), 0);
		}
	}
}

/* Every digit turns up in every position, so the PIN space is not
 * silently narrowed (say, no leading 0, or digits 1-9 only). */
static void test_generate_spread(void **state)
{
	enum { LEN = 5, N = 3000 };
	unsigned seen[LEN][10];
	char pin[LEN + 1], prev[LEN + 1] = "";
	int i, k, same = 0;

	(void)state;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < N; i++) {
		assert_int_equal(pin_generate(pin, sizeof(pin), LEN), 0);
		for (k = 0; k < LEN; k++)
			++seen[k][pin[k] - '0'];
		same += !strcmp(pin, prev);
		memcpy(prev, pin, sizeof(pin));
	}
	for (k = 0; k < LEN; k++) {
		for (i = 0; i < 10; i++) {
			/* Expect 300 each; 200 is many sd away. */
			if (seen[k][i] < 200)
				fail_msg("digit %d at %d: %u times", i, k,
					 seen[k][i]);
		}
	}
	assert_true(same < 3);
}

static void test_generate_bad(void **state)
{
	char pin[PIN_LEN_MAX + 2];

	(void)state;
	assert_int_equal(pin_generate(pin, sizeof(pin), 3), EINVAL);
	assert_int_equal(pin_generate(pin, sizeof(pin), 13), EINVAL);
	assert_int_equal(pin_generate(pin, 5, 5), EINVAL); /* no room for NUL */
	assert_int_equal(pin_generate(pin, 6, 5), 0);
	assert_int_equal(pin_generate(NULL, 6, 5), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_lengths),
		cmocka_unit_test(test_check_characters),
		cmocka_unit_test(test_trivial),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_generate_spread),
		cmocka_unit_test(test_generate_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
