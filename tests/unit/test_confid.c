/* Conference ID rules and the pool they are drawn from (SPEC §2). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/confid.h"

static const uint32_t trivial[] = {
	1111111, 2222222, 3333333, 4444444, 5555555, 6666666, 7777777,
	8888888, 9999999, 1234567, 2345678, 3456789, 9876543, 8765432,
	7654321, 6543210,
};
#define NTRIVIAL (sizeof(trivial) / sizeof(trivial[0]))

static void test_parse_good(void **state)
{
	uint32_t v = 0;

	(void)state;
	assert_int_equal(confid_parse("4829173", &v), 0);
	assert_int_equal(v, 4829173);
	assert_int_equal(confid_parse("1000000", &v), 0);
	assert_int_equal(v, 1000000);
	/* Wrapping runs are not straight runs. */
	assert_int_equal(confid_parse("7890123", &v), 0);
	assert_int_equal(v, 7890123);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "0123456", "0000000", "482917", "48291730", " 4829173",
		"4829173 ", "+4829173", "-482917", "48a9173", "4829173\n",
		"482 9173", "0x12345", "１234567",
		"1111111", "1234567", "3456789", "9876543", "6543210",
	};
	uint32_t v = 42;
	size_t i;

	(void)state;
	assert_int_equal(confid_parse(NULL, &v), EINVAL);
	assert_int_equal(confid_parse("4829173", NULL), EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (confid_parse(bad[i], &v) != EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(v, 42); /* untouched on failure */
}

/* confid_why agrees with confid_parse on every input, and says which rule
 * an input breaks. */
static void test_why(void **state)
{
	static const char *const all[] = {
		"4829173", "1000000", "7890123", "", "0123456", "0000000",
		"482917", "48291730", " 4829173", "4829173 ", "+4829173",
		"48a9173", "4829173\n", "１234567", "1111111", "1234567",
		"9876543", "6543210",
	};
	static const struct {
		const char *in, *says;
	} cases[] = {
		{ "", "empty" },
		{ "123", "it has 3 digits; a conference ID has 7" },
		{ "48291730", "it has 8 digits" },
		{ "12a4567", "only the digits 0-9" },
		{ "+123456", "only the digits 0-9" },
		{ "0123456", "first digit may not be 0" },
		{ "0000000", "first digit may not be 0" },
		{ "1111111", "trivial pattern" },
		{ "1234567", "trivial pattern" },
		{ "9876543", "trivial pattern" },
		{ "1234567890123456789012345678901234567890123456789012345678901"
		  "23456789", "at least 64 digits" },
	};
	char why[128];
	uint32_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (confid_why(all[i], why, sizeof(why)) !=
		    confid_parse(all[i], &v))
			fail_msg("confid_why and confid_parse differ on \"%s\"",
				 all[i]);
		if (!confid_parse(all[i], &v) && why[0])
			fail_msg("a reason for valid \"%s\": %s", all[i], why);
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(confid_why(cases[i].in, why, sizeof(why)),
				 EINVAL);
		if (!strstr(why, cases[i].says))
			fail_msg("\"%s\": \"%s\", wanted \"%s\"", cases[i].in,
				 why, cases[i].says);
	}
	assert_int_equal(confid_why(NULL, why, sizeof(why)), EINVAL);
	assert_non_null(strstr(why, "empty"));
}

static void test_trivial(void **state)
{
	static const uint32_t fine[] = {
		1111112, 2222221, 1234568, 1234566, 1234576, 2345679,
		3456780, 3456788, 9876542, 9876544, 6543211, 6543201,
		7890123, 3210987, 1000000, 9999998, 1212121,
	};
	size_t i;
	uint32_t v;

	(void)state;
	for (i = 0; i < NTRIVIAL; i++)
		assert_true(confid_is_trivial(trivial[i]));
	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		if (confid_is_trivial(fine[i]))
			fail_msg("%u called trivial", (unsigned)fine[i]);
	}

	/* Exactly the 16 listed values in the whole namespace. */
	i = 0;
	for (v = CONFID_MIN; v <= CONFID_MAX; v += 1) {
		if (confid_is_trivial(v))
			++i;
	}
	assert_int_equal(i, NTRIVIAL);
}

static void test_format(void **state)
{
	char buf[8];
	char small[4];

	(void)state;
	confid_format(1000000, buf, sizeof(buf));
	assert_string_equal(buf, "1000000");
	confid_format(4829173, buf, sizeof(buf));
	assert_string_equal(buf, "4829173");
	confid_format(4829173, small, sizeof(small));
	assert_string_equal(small, "482"); /* truncated, still terminated */
}

static void test_quarantine(void **state)
{
	const int64_t t = 1700000000;
	const int64_t year = 365 * 86400LL;

	(void)state;
	assert_false(confid_quarantine_over(t, t + year - 1, 365));
	assert_true(confid_quarantine_over(t, t + year, 365));
	assert_true(confid_quarantine_over(t, t + year + 1, 365));
	assert_false(confid_quarantine_over(t, t, 365));
	/* No quarantine: free again at once, but not before it was revoked. */
	assert_true(confid_quarantine_over(t, t, 0));
	assert_false(confid_quarantine_over(t, t - 1, 0));
	assert_false(confid_quarantine_over(t, t - 1, 365));
	assert_true(confid_quarantine_over(t, t, -5));
	/* Extreme times do not overflow into a wrong answer. */
	assert_false(confid_quarantine_over(INT64_MAX - 10, INT64_MAX, 1));
	assert_true(confid_quarantine_over(INT64_MIN, INT64_MAX, 3650));
	assert_false(confid_quarantine_over(INT64_MAX, INT64_MIN, 0));
}

/* Tests of draws share one pool with every value taken, since taking 9
 * million values one by one is most of their run time; each test frees
 * what it needs and leaves the pool full again. */
static int full_setup(void **state)
{
	struct confid_pool *p = NULL;
	uint32_t v;

	if (confid_pool_alloc(&p))
		return -1;
	for (v = CONFID_MIN; v <= CONFID_MAX; v++)
		confid_pool_set_taken(p, v, true);
	if (confid_pool_free_count(p) != 0) {
		confid_pool_free(p);
		return -1;
	}
	*state = p;
	return 0;
}

static int full_teardown(void **state)
{
	confid_pool_free(*state);
	return 0;
}

static int is_full(void **state)
{
	return confid_pool_free_count(*state) == 0 ? 0 : -1;
}

static void test_pool_bookkeeping(void **state)
{
	struct confid_pool *p = NULL;
	const uint32_t all = CONFID_SPACE - NTRIVIAL;
	size_t i;

	(void)state;
	assert_int_equal(confid_pool_alloc(&p), 0);
	assert_int_equal(confid_pool_free_count(p), all);
	for (i = 0; i < NTRIVIAL; i++)
		assert_true(confid_pool_is_taken(p, trivial[i]));
	assert_false(confid_pool_is_taken(p, 4829173));
	assert_true(confid_pool_is_taken(p, 999999));
	assert_true(confid_pool_is_taken(p, 10000000));

	confid_pool_set_taken(p, 4829173, true);
	assert_true(confid_pool_is_taken(p, 4829173));
	assert_int_equal(confid_pool_free_count(p), all - 1);
	confid_pool_set_taken(p, 4829173, true); /* twice: counted once */
	assert_int_equal(confid_pool_free_count(p), all - 1);

	confid_pool_set_taken(p, 4829173, false);
	assert_false(confid_pool_is_taken(p, 4829173));
	assert_int_equal(confid_pool_free_count(p), all);
	confid_pool_set_taken(p, 4829173, false);
	assert_int_equal(confid_pool_free_count(p), all);

	/* Trivial values stay taken; outside values are ignored. */
	confid_pool_set_taken(p, 1234567, false);
	assert_true(confid_pool_is_taken(p, 1234567));
	confid_pool_set_taken(p, 999999, false);
	confid_pool_set_taken(p, 10000000, true);
	confid_pool_set_taken(p, 0, true);
	assert_int_equal(confid_pool_free_count(p), all);
	confid_pool_free(p);
}

static void test_pool_enospc(void **state)
{
	struct confid_pool *p = *state;
	uint32_t v = 0;

	assert_int_equal(confid_pool_draw(p, &v), ENOSPC);

	/* The one free value is the one drawn, even at the very edges. */
	confid_pool_set_taken(p, CONFID_MAX - 1, false);
	assert_int_equal(confid_pool_draw(p, &v), 0);
	assert_int_equal(v, CONFID_MAX - 1);
	confid_pool_set_taken(p, CONFID_MAX - 1, true);
	confid_pool_set_taken(p, CONFID_MIN, false);
	assert_int_equal(confid_pool_draw(p, &v), 0);
	assert_int_equal(v, CONFID_MIN);
	assert_int_equal(confid_pool_free_count(p), 1);
	assert_int_equal(confid_pool_draw(NULL, &v), EINVAL);
	confid_pool_set_taken(p, CONFID_MIN, true);
}

/* Free values on block and word edges, neighbours in one word, and the
 * ends of the namespace: the places an off-by-one in the search hides. */
static void pick_free_values(uint32_t *vals, size_t n)
{
	static const uint32_t edges[] = {
		CONFID_MIN, CONFID_MIN + 1, CONFID_MIN + 63, CONFID_MIN + 64,
		CONFID_MIN + 511, CONFID_MIN + 512, CONFID_MIN + 1023,
		CONFID_MAX - 1, CONFID_MAX - 2, CONFID_MAX - 63, CONFID_MAX - 64,
		5000000, 5000001, 5000002, 7777778, 1234568,
	};
	size_t i;

	for (i = 0; i < n; i++) {
		if (i < sizeof(edges) / sizeof(edges[0]))
			vals[i] = edges[i];
		else /* spread over the middle, each in its own block */
			vals[i] = CONFID_MIN + 40000 + (uint32_t)i * 170003;
		assert_false(confid_is_trivial(vals[i]));
		assert_in_range(vals[i], CONFID_MIN, CONFID_MAX);
	}
}

static void test_pool_uniform(void **state)
{
	enum { NFREE = 50, DRAWS = 50000 };
	struct confid_pool *p = *state;
	uint32_t vals[NFREE], v;
	unsigned counts[NFREE] = { 0 };
	double expect = (double)DRAWS / NFREE, chi2 = 0;
	size_t i, j;

	pick_free_values(vals, NFREE);
	for (i = 0; i < NFREE; i++)
		confid_pool_set_taken(p, vals[i], false);
	assert_int_equal(confid_pool_free_count(p), NFREE);

	for (i = 0; i < DRAWS; i++) {
		assert_int_equal(confid_pool_draw(p, &v), 0);
		for (j = 0; j < NFREE && vals[j] != v; j++)
			;
		if (j == NFREE)
			fail_msg("drew %u, which is taken", (unsigned)v);
		++counts[j];
	}

	for (i = 0; i < NFREE; i++) {
		double d = counts[i] - expect;

		chi2 += d * d / expect;
		confid_pool_set_taken(p, vals[i], true);
	}
	/* 49 degrees of freedom: mean 49, sd 9.9; 130 is p < 1e-9, while a
	 * value never drawn alone adds 1000. */
	if (chi2 > 130.0)
		fail_msg("chi-square %.1f: draws are not uniform", chi2);
}

/* 99 % full: every draw is one of the free values, and drawing and
 * taking one at a time reaches every one of them, then ENOSPC. */
static void test_pool_nearly_full(void **state)
{
	struct confid_pool *p = *state;
	unsigned char *isfree = calloc(CONFID_SPACE, 1);
	const uint32_t nfree = CONFID_SPACE / 100;
	uint32_t i, v;
	uint64_t k;

	assert_non_null(isfree);
	/* A fixed scatter, the same every run: the stride is prime to the
	 * namespace size, so the values are distinct. */
	for (i = 0, k = 0; i < nfree; k++) {
		v = CONFID_MIN + (uint32_t)((k * 768143u) % CONFID_SPACE);
		if (confid_is_trivial(v))
			continue;
		isfree[v - CONFID_MIN] = 1;
		confid_pool_set_taken(p, v, false);
		++i;
	}
	assert_int_equal(confid_pool_free_count(p), nfree);

	for (i = 0; i < nfree; i++) {
		assert_int_equal(confid_pool_draw(p, &v), 0);
		if (!isfree[v - CONFID_MIN])
			fail_msg("draw %u gave %u, not free", (unsigned)i,
				 (unsigned)v);
		isfree[v - CONFID_MIN] = 0;
		confid_pool_set_taken(p, v, true);
		assert_int_equal(confid_pool_free_count(p), nfree - i - 1);
	}
	assert_int_equal(confid_pool_draw(p, &v), ENOSPC);
	free(isfree);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_why),
		cmocka_unit_test(test_trivial),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_quarantine),
		cmocka_unit_test(test_pool_bookkeeping),
		cmocka_unit_test_setup(test_pool_enospc, is_full),
		cmocka_unit_test_setup(test_pool_uniform, is_full),
		cmocka_unit_test_setup(test_pool_nearly_full, is_full),
	};

	return cmocka_run_group_tests(tests, full_setup, full_teardown);
}
