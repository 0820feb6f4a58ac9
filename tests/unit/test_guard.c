/* The abuse guard's counter rule (core/guard.h): window, limit, block,
 * doubling for repeat offenders, forgiveness after a long quiet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/guard.h"

static const struct guard_limits lim = {
	.limit = 3, .window_s = 600, .cooloff_s = 900,
	.cooloff_max_s = 4 * 900,
};

/* n failures at now; true if the last one started a block. */
static bool fail_n(struct guard_state *g, int n, int64_t now)
{
	bool started = false;

	while (n-- > 0)
		started = guard_fail(g, &lim, now);
	return started;
}

static void test_limit_blocks_at_once(void **state)
{
	struct guard_state g = {0};

	(void)state;
	assert_false(fail_n(&g, 2, 1000));
	assert_false(guard_blocked(&g, 1000));
	assert_true(guard_fail(&g, &lim, 1001)); /* the third, same window */
	assert_true(guard_blocked(&g, 1001));
	assert_int_equal(g.blocked_until, 1001 + 900);
	assert_false(guard_blocked(&g, 1001 + 900));
}

/* Failures spread wider than the window never add up to a block. */
static void test_window_restarts(void **state)
{
	struct guard_state g = {0};

	(void)state;
	assert_false(fail_n(&g, 2, 1000));
	assert_false(fail_n(&g, 2, 1000 + 600)); /* a new window */
	assert_false(guard_blocked(&g, 1600));
	assert_true(guard_fail(&g, &lim, 1601));
}

/* Each repeat offence doubles the block, up to the maximum. */
static void test_repeat_offender_doubles(void **state)
{
	struct guard_state g = {0};
	int64_t t = 1000, want[] = {900, 1800, 3600, 3600};
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_true(fail_n(&g, 3, t));
		assert_int_equal(g.blocked_until - t, want[i]);
		t = g.blocked_until + 1;
	}
}

/* Failures while blocked still count but do not extend the block. */
static void test_fail_while_blocked(void **state)
{
	struct guard_state g = {0};

	(void)state;
	assert_true(fail_n(&g, 3, 1000));
	assert_false(fail_n(&g, 5, 1100));
	assert_int_equal(g.blocked_until, 1900);
	assert_int_equal(g.fails, 5); /* counted, not forgiven */
	assert_int_equal(g.offences, 1);
}

/* Quiet for two longest blocks: the offences are forgiven. */
static void test_forgiven_after_quiet(void **state)
{
	struct guard_state g = {0};
	int64_t t;

	(void)state;
	assert_true(fail_n(&g, 3, 1000));
	t = g.blocked_until + 1;
	assert_true(fail_n(&g, 3, t));
	assert_int_equal(g.blocked_until - t, 1800);
	t = g.last_block + 2 * lim.cooloff_max_s + 1;
	assert_true(fail_n(&g, 3, t));
	assert_int_equal(g.blocked_until - t, 900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_blocks_at_once),
		cmocka_unit_test(test_window_restarts),
		cmocka_unit_test(test_repeat_offender_doubles),
		cmocka_unit_test(test_fail_while_blocked),
		cmocka_unit_test(test_forgiven_after_quiet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
