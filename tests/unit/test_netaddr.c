/* netaddr: address lists from settings and the client behind a proxy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/netaddr.h"

static void test_is_ip(void **state)
{
	(void)state;
	assert_true(netaddr_is_ip("127.0.0.1"));
	assert_true(netaddr_is_ip("::1"));
	assert_true(netaddr_is_ip("2001:db8::7"));
	assert_false(netaddr_is_ip("127.0.0.1:5060"));
	assert_false(netaddr_is_ip("example.org"));
	assert_false(netaddr_is_ip(""));
	assert_false(netaddr_is_ip(NULL));
}

static void test_listed(void **state)
{
	(void)state;
	assert_true(netaddr_listed("10.0.0.1,10.0.0.2", "10.0.0.2"));
	assert_true(netaddr_listed("10.0.0.1, 10.0.0.2", "10.0.0.2"));
	assert_true(netaddr_listed("https://meet.example.org",
				   "HTTPS://Meet.Example.org"));
	/* A prefix of an item is not the item. */
	assert_false(netaddr_listed("10.0.0.12", "10.0.0.1"));
	assert_false(netaddr_listed("10.0.0.1", "10.0.0.12"));
	assert_false(netaddr_listed("", "10.0.0.1"));
	assert_false(netaddr_listed("10.0.0.1", ""));
	assert_false(netaddr_listed(NULL, "10.0.0.1"));
}

static void test_client(void **state)
{
	char out[64];

	(void)state;
	/* From a trusted proxy: the address it appended, not the claims. */
	assert_true(netaddr_client("10.0.0.1", "6.6.6.6, 203.0.113.9",
				   "10.0.0.1", out, sizeof(out)));
	assert_string_equal(out, "203.0.113.9");
	/* From anyone else the header is a claim: the peer counts. */
	assert_false(netaddr_client("198.51.100.4", "203.0.113.9",
				    "10.0.0.1", out, sizeof(out)));
	assert_string_equal(out, "198.51.100.4");
	/* A forwarded value that is no address is not taken. */
	assert_false(netaddr_client("10.0.0.1", "unknown", "10.0.0.1", out,
				    sizeof(out)));
	assert_string_equal(out, "10.0.0.1");
	assert_false(netaddr_client("10.0.0.1", NULL, "10.0.0.1", out,
				    sizeof(out)));
	assert_string_equal(out, "10.0.0.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_ip),
		cmocka_unit_test(test_listed),
		cmocka_unit_test(test_client),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
