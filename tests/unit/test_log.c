/* The daemon's log: the line format, the level threshold (and that a line
 * below it costs no argument evaluation), and the masking rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define LOG_MODULE "test"
#include "core/log.h"

static char got[LOG_LINE_MAX + 1];
static int lines;

static void capture(const char *line, size_t len, void *arg)
{
	(void)arg;
	assert_true(len <= LOG_LINE_MAX);
	memcpy(got, line, len);
	got[len] = '\0';
	lines++;
}

static int setup(void **state)
{
	(void)state;
	got[0] = '\0';
	lines = 0;
	log_sink_set(capture, NULL);
	log_level_set(LOG_DEBUG);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_sink_set(NULL, NULL);
	log_level_set(LOG_DEBUG);
	return 0;
}

static void test_format(void **state)
{
	(void)state;
	log_info("event=start port=%d", 5060);
	assert_string_equal(got, "info test event=start port=5060\n");
	log_write(LOG_WARN, "app", "event=tx.conflict tries=%d", 4);
	assert_string_equal(got, "warn app event=tx.conflict tries=4\n");
	log_text(LOG_ERROR, "sip", "reason=\"a b=c\" free text");
	assert_string_equal(got, "error sip reason=\"a b=c\" free text\n");
}

static int evaluated;

static int side_effect(void)
{
	return ++evaluated;
}

static void test_level(void **state)
{
	enum log_level l;

	(void)state;
	log_level_set(LOG_WARN);
	log_info("event=x n=%d", side_effect());
	log_debug("event=y n=%d", side_effect());
	assert_int_equal(lines, 0);
	assert_int_equal(evaluated, 0); /* no cost when off */
	log_error("event=z n=%d", side_effect());
	assert_int_equal(lines, 1);
	assert_int_equal(evaluated, 1);
	assert_string_equal(got, "error test event=z n=1\n");

	assert_int_equal(log_level_parse("info", &l), 0);
	assert_int_equal(l, LOG_INFO);
	assert_int_equal(log_level_parse("loud", &l), EINVAL);
}

static void test_masking(void **state)
{
	char m[32];

	(void)state;
	log_info("event=answered caller=%s dialed=%s", "+14255550123",
		 "+18005550199");
	assert_string_equal(got, "info test event=answered caller=+1425555**** "
			    "dialed=+18005550199\n");
	/* Masking a masked number changes nothing. */
	log_info("caller=%s", "+1425555****");
	assert_string_equal(got, "info test caller=+1425555****\n");
	log_info("event=pin pin=%s password=\"%s\" csrfToken=%s "
		 "api_token=%s spin=1", "12345", "hunter 2", "abc", "dct_x");
	assert_string_equal(got, "info test event=pin pin=- password=- "
			    "csrfToken=- api_token=- spin=1\n");

	log_mask_caller("+14255550123", m, sizeof(m));
	assert_string_equal(m, "+1425555****");
	log_mask_caller("123", m, sizeof(m));
	assert_string_equal(m, "***");
	log_mask_caller("+14255550123", m, 6); /* cut, then masked */
	assert_string_equal(m, "+****");
}

static void test_long_line(void **state)
{
	char big[3 * LOG_LINE_MAX];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_info("event=big v=%s", big);
	assert_int_equal(strlen(got), LOG_LINE_MAX - 1);
	assert_int_equal(got[strlen(got) - 1], '\n');
}

/* A value from a client (an HTTP method libmicrohttpd passed on as it
 * came, found by fuzz_http_wire) cannot add a line: one line comes out,
 * its CR, LF and other control bytes as '?'. */
static void test_no_forged_line(void **state)
{
	(void)state;
	log_info("method=%s path=/ status=%d", "GE\r\ninfo http forged=1\x7f",
		 400);
	assert_int_equal(lines, 1);
	assert_string_equal(got, "info test method=GE??info http forged=1? "
			    "path=/ status=400\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_masking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_forged_line, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
