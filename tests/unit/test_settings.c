/* The organization settings table (SPEC §7) and its validation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/settings.h"

/* Validate name=value, expecting success and canonical form want. */
static void expect_ok(const char *name, const char *value, const char *want)
{
	const struct setting_def *d = settings_find(name);
	char out[SETTINGS_VALUE_MAX], why[128];
	int err;

	assert_non_null(d);
	err = settings_validate(d, value, out, sizeof(out), why, sizeof(why));
	if (err)
		fail_msg("%s=\"%s\" refused: %s", name, value, why);
	if (strcmp(out, want))
		fail_msg("%s=\"%s\" gave \"%s\", want \"%s\"", name, value,
			 out, want);
	assert_string_equal(why, "");
}

/* Expecting EINVAL; why_part, when given, must be in the reason. */
static void expect_bad(const char *name, const char *value,
		       const char *why_part)
{
	const struct setting_def *d = settings_find(name);
	char out[SETTINGS_VALUE_MAX], why[128] = "";

	assert_non_null(d);
	if (settings_validate(d, value, out, sizeof(out), why,
			      sizeof(why)) != EINVAL)
		fail_msg("%s=\"%s\" accepted as \"%s\"", name, value, out);
	if (!why[0])
		fail_msg("%s=\"%s\": no reason given", name, value);
	if (why_part && !strstr(why, why_part))
		fail_msg("%s=\"%s\": reason \"%s\" lacks \"%s\"", name, value,
			 why, why_part);
}

/* Every row is whole: found by its name, shown with a label in a group,
 * a unit only for a number, help, and a default its own check takes
 * unchanged. The names, types, bounds, defaults and help themselves are
 * pinned by docs/settings.md (test_settings_doc). */
static void test_table(void **state)
{
	const struct setting_def *t, *d;
	size_t n, i;

	(void)state;
	t = settings_table(&n);
	assert_true(n >= 30);
	for (i = 0; i < n; i++) {
		d = settings_find(t[i].name);
		assert_ptr_equal(d, &t[i]);
		assert_non_null(settings_type_name(d->type));
		assert_non_null(settings_group_name(d->group));
		assert_true(d->label && d->label[0]);
		assert_true(!d->unit || d->type == SETTING_INT);
		assert_true(d->help && strlen(d->help) > 10);
		/* Every default passes its own check, unchanged. */
		expect_ok(d->name, d->def, d->def);
	}
	assert_null(settings_group_name(SETTING_GROUP_COUNT));
}

/* sipTrustedProxies: IP addresses, comma-separated, nothing else. */
static void test_trusted_proxies(void **state)
{
	(void)state;
	expect_ok("sipTrustedProxies", "", "");
	expect_ok("sipTrustedProxies", "127.0.0.60", "127.0.0.60");
	expect_ok("sipTrustedProxies", "10.0.0.1,2001:db8::1",
		  "10.0.0.1,2001:db8::1");
	expect_bad("sipTrustedProxies", "proxy.example.org", "IP address");
	expect_bad("sipTrustedProxies", "10.0.0.1, 10.0.0.2", "IP address");
	expect_bad("sipTrustedProxies", "10.0.0.1,", "end in");
	expect_bad("sipTrustedProxies", ",10.0.0.1", "IP address");
	expect_bad("sipTrustedProxies", "10.0.0.1,,10.0.0.2", "IP address");
	expect_bad("sipTrustedProxies", "10.0.0.256", "IP address");
}

static void test_find_unknown(void **state)
{
	(void)state;
	assert_null(settings_find("nope"));
	assert_null(settings_find("pinlength"));
	assert_null(settings_find("PinLength"));
	assert_null(settings_find("pinLength "));
	assert_null(settings_find(""));
	assert_null(settings_find(NULL));
}

static void test_int_bounds(void **state)
{
	(void)state;
	expect_bad("pinLength", "3", "pinLength must be between 4 and 12");
	expect_ok("pinLength", "4", "4");
	expect_ok("pinLength", "12", "12");
	expect_bad("pinLength", "13", "pinLength must be between 4 and 12");
	expect_ok("pinLength", "007", "7");
	expect_bad("pinLength", "-5", NULL);
	expect_bad("pinLength", "", NULL);
	expect_bad("pinLength", "5x", "pinLength must be an integer");
	expect_bad("pinLength", " 5", NULL);
	expect_bad("pinLength", "5 ", NULL);
	expect_bad("pinLength", "+5", NULL);
	expect_bad("pinLength", "0x5", NULL);
	expect_bad("pinLength", "5.0", NULL);
	expect_bad("pinLength", "99999999999999999999999", NULL);
	expect_bad("pinLength", "-99999999999999999999999", NULL);
	expect_ok("conferenceIdQuarantineDays", "0", "0");
	expect_ok("conferenceIdQuarantineDays", "3650", "3650");
	expect_bad("conferenceIdQuarantineDays", "3651",
		   "between 0 and 3650");
	expect_bad("conferenceIdQuarantineDays", "-1", NULL);
}

static void test_bool(void **state)
{
	static const char *const yes[] = { "true", "on", "yes", "1", "TRUE",
					   "Yes", "On" };
	static const char *const no[] = { "false", "off", "no", "0", "FALSE",
					  "No" };
	static const char *const bad[] = { "", "maybe", "2", "truee", " true",
					   "true ", "t", "y", "-1", "enabled" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		expect_ok("enableEntryExitNotifications", yes[i], "true");
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		expect_ok("allowPstnUsersToBypassLobby", no[i], "false");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad("automaticallySendEmailsToUsers", bad[i],
			   "must be true or false");
}

static void test_string(void **state)
{
	char s[120];

	(void)state;
	memset(s, 'a', sizeof(s));
	s[100] = '\0';
	expect_ok("organizationName", s, s);
	s[100] = 'a';
	s[101] = '\0';
	expect_bad("organizationName", s, "1 to 100");
	expect_bad("organizationName", "", "1 to 100");
	expect_ok("organizationName", "Zürich Rück AG", "Zürich Rück AG");
	expect_bad("organizationName", "Contoso\nBcc: x@evil.example",
		   "control");
	expect_bad("sendEmailFromDisplayName", "Audio\rConferencing",
		   "control");
	expect_bad("sendEmailFromDisplayName", "Audio\tConf", "control");
	expect_bad("sendEmailFromDisplayName", "Audio\x7f", "control");
	expect_bad("organizationName", "Contoso \xff", "UTF-8");
	expect_bad("organizationName", "\xc3", "UTF-8");       /* truncated */
	expect_bad("organizationName", "\xc0\xaf", "UTF-8");   /* overlong */
	expect_bad("organizationName", "\xed\xa0\x80", "UTF-8"); /* surrogate */
}

static void test_email(void **state)
{
	(void)state;
	expect_ok("sendEmailFromAddress", "meetings@contoso.example",
		  "meetings@contoso.example");
	expect_bad("sendEmailFromAddress", "not-an-email",
		   "sendEmailFromAddress must be an email address");
	expect_bad("sendEmailFromAddress", "", NULL);
	expect_bad("sendEmailFromAddress", "a@b.example\r\nBcc: x@y.example",
		   NULL);
	expect_bad("sendEmailFromAddress", "Ada <ada@example.org>", NULL);
}

/* The webhook settings: a URL of the two schemes, a secret of 16 bytes or
 * none, and the secret never shown back. */
static void test_webhook(void **state)
{
	const struct setting_def *url = settings_find("webhookUrl");
	const struct setting_def *sec = settings_find("webhookSecret");
	char out[SETTINGS_VALUE_MAX], why[128];

	(void)state;
	assert_non_null(url);
	assert_non_null(sec);
	assert_int_equal(settings_validate(url, "https://hooks.example.org/d",
					   out, sizeof(out), why,
					   sizeof(why)), 0);
	assert_int_equal(settings_validate(url, "gopher://x", out,
					   sizeof(out), why, sizeof(why)),
			 EINVAL);
	assert_int_equal(settings_validate(sec, "short", out, sizeof(out),
					   why, sizeof(why)), EINVAL);
	assert_int_equal(settings_validate(sec, "0123456789abcdef", out,
					   sizeof(out), why, sizeof(why)), 0);
	assert_true(sec->secret);
	assert_false(url->secret);
	assert_string_equal(settings_shown(sec, "0123456789abcdef"), "set");
	assert_string_equal(settings_shown(sec, ""), "");
	assert_string_equal(settings_shown(url, "https://x.example"),
			    "https://x.example");
}

static void test_misuse(void **state)
{
	const struct setting_def *d = settings_find("pinLength");
	char out[SETTINGS_VALUE_MAX], small[2], big[SETTINGS_VALUE_MAX + 10];

	(void)state;
	/* why may be NULL. */
	assert_int_equal(settings_validate(d, "3", out, sizeof(out), NULL, 0),
			 EINVAL);
	assert_int_equal(settings_validate(d, "5", out, sizeof(out), NULL, 0),
			 0);
	assert_int_equal(settings_validate(NULL, "5", out, sizeof(out),
					   NULL, 0), EINVAL);
	assert_int_equal(settings_validate(d, NULL, out, sizeof(out),
					   NULL, 0), EINVAL);
	/* Canonical "12" needs 3 bytes. */
	assert_int_equal(settings_validate(d, "12", small, sizeof(small),
					   NULL, 0), EINVAL);
	/* A huge value is refused without a crash. */
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_bad("organizationName", big, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_find_unknown),
		cmocka_unit_test(test_trusted_proxies),
		cmocka_unit_test(test_int_bounds),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_webhook),
		cmocka_unit_test(test_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
