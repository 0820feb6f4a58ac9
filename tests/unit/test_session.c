/* test_session: the admin center's sign-in rules (src/app/session.c)
 * against a real SQLite database in a temporary data directory: who gets a
 * session, when an address is throttled (never the account), when a
 * session ends, and what the CSRF token guards. Times are given, not
 * waited for (app_session_*_at). */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "app/app.h"
#include "app/app_priv.h"
#include "core/secret.h"
#include "fixture_app.h"

#define USER "admin"
#define PASS "correct horse battery"
#define T0 ((int64_t)1800000000)

/* The shared app fixture, plus the admin account every test signs in as. */
static int setup_admin(void **state)
{
	struct app_err err = { "" };
	bool created = false;
	struct fx *f;

	if (secret_init() || setup(state))
		return -1;
	f = *state;
	if (app_admin_passwd(f->a, USER, PASS, &created, &err) || !created) {
		fprintf(stderr, "setup: %s\n", err.detail);
		teardown(state);
		return -1;
	}
	return 0;
}

#define ATTACKER "192.0.2.66"
#define OWNER "198.51.100.7"

static int sign_in_from(struct fx *f, const char *peer, const char *user,
			const char *pw, int64_t now, struct app_session *s,
			int64_t *retry, struct app_err *err)
{
	return app_session_create_at(f->a, user, pw, peer, NULL, now, s, retry,
				     err);
}

static int sign_in(struct fx *f, const char *user, const char *pw,
		   int64_t now, struct app_session *s, int64_t *retry,
		   struct app_err *err)
{
	return sign_in_from(f, OWNER, user, pw, now, s, retry, err);
}

static void set(struct fx *f, const char *name, const char *value)
{
	struct app_err err = { "" };
	const char *names[] = { name };
	const char *values[] = { value };

	assert_int_equal(app_settings_set(f->a, "tester", names, values, 1,
					  &err), 0);
}

static int audit_cb(const struct app_audit_record *a, void *arg)
{
	int *n = arg;

	if (!strcmp(a->action, "session.create") ||
	    !strcmp(a->action, "session.failure"))
		(*n)++;
	/* Nothing secret may reach the audit log. */
	assert_null(strstr(a->detail, PASS));
	return 0;
}

static void test_sign_in_and_csrf(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_session s, c;
	int64_t retry = -1;
	int n = 0;

	assert_int_equal(sign_in(f, USER, PASS, T0, &s, &retry, &err), 0);
	assert_int_equal(strlen(s.id), APP_SESSION_ID_SIZE - 1);
	assert_int_equal(strlen(s.csrf), APP_SESSION_ID_SIZE - 1);
	assert_string_not_equal(s.id, s.csrf);
	assert_string_equal(s.username, USER);
	assert_int_equal(s.expires_at, T0 + 12 * 3600);

	/* Reads need no CSRF token; changes need the session's own. */
	assert_int_equal(app_session_check_at(f->a, s.id, NULL, false, T0 + 1,
					      &c), 0);
	assert_string_equal(c.username, USER);
	assert_string_equal(c.csrf, s.csrf);
	assert_int_equal(app_session_check_at(f->a, s.id, NULL, true, T0 + 1,
					      &c), EPERM);
	assert_int_equal(app_session_check_at(f->a, s.id, "", true, T0 + 1,
					      &c), EPERM);
	assert_int_equal(app_session_check_at(f->a, s.id, s.id, true, T0 + 1,
					      &c), EPERM);
	assert_int_equal(app_session_check_at(f->a, s.id, s.csrf, true,
					      T0 + 1, &c), 0);

	/* Two sign-ins are two sessions with their own tokens. */
	assert_int_equal(sign_in(f, USER, PASS, T0, &c, &retry, &err), 0);
	assert_string_not_equal(c.id, s.id);
	assert_string_not_equal(c.csrf, s.csrf);
	assert_int_equal(app_session_check_at(f->a, s.id, c.csrf, true,
					      T0 + 1, &c), EPERM);

	assert_int_equal(app_audit_list(f->a, 100, audit_cb, &n, &err), 0);
	assert_int_equal(n, 2);
}

static void test_bad_ids(void **state)
{
	struct fx *f = *state;
	struct app_session c;
	char id[64];

	assert_int_equal(app_session_check_at(f->a, NULL, NULL, false, T0, &c),
			 EACCES);
	assert_int_equal(app_session_check_at(f->a, "", NULL, false, T0, &c),
			 EACCES);
	assert_int_equal(secret_id_new(id, sizeof(id)), 0);
	assert_int_equal(app_session_check_at(f->a, id, NULL, false, T0, &c),
			 EACCES);
	id[strlen(id) + 1] = '\0';
	id[strlen(id)] = 'x'; /* one too long */
	assert_int_equal(app_session_check_at(f->a, id, NULL, false, T0, &c),
			 EACCES);
	assert_int_equal(app_session_delete(f->a, id), ENOENT);
}

static void test_wrong_password_same_answer(void **state)
{
	struct fx *f = *state;
	struct app_err e1 = { "" }, e2 = { "" }, e3 = { "" };
	struct app_session s;
	int64_t retry = 0;

	assert_int_equal(sign_in(f, USER, "wrong password", T0, &s, &retry,
				 &e1), EACCES);
	assert_int_equal(sign_in(f, "nobody", PASS, T0, &s, &retry, &e2),
			 EACCES);
	assert_int_equal(sign_in(f, "", "", T0, &s, &retry, &e3), EACCES);
	assert_string_equal(e1.detail, e2.detail);
	assert_string_equal(e1.detail, e3.detail);
	assert_int_equal(s.id[0], '\0');
	/* The password is case-sensitive, whole, and not trimmed. */
	assert_int_equal(sign_in(f, USER, PASS " ", T0, &s, &retry, &e1),
			 EACCES);
	assert_int_equal(sign_in(f, USER, "Correct horse battery", T0, &s,
				 &retry, &e1), EACCES);
}

/* An attacker hammering the account from one address is refused at once
 * (429), with backoff that doubles; the owner, from another address, signs
 * in throughout with the right password. */
static void test_throttle_not_lockout(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_session s;
	int64_t retry = 0;
	int i;

	set(f, "adminSigninFailureLimit", "3");
	set(f, "adminSigninCooloffSeconds", "60");
	for (i = 1; i <= 3; i++)
		assert_int_equal(sign_in_from(f, ATTACKER, USER, "nope", T0 + i,
					      &s, &retry, &err), EACCES);
	/* Refused, even the right password, from the attacker's address. */
	assert_int_equal(sign_in_from(f, ATTACKER, USER, PASS, T0 + 4, &s,
				      &retry, &err), EAGAIN);
	assert_int_equal(retry, 60 - 1);
	assert_non_null(strstr(err.detail, "try again"));
	/* Never the account: the owner gets in from elsewhere. */
	assert_int_equal(sign_in(f, USER, PASS, T0 + 5, &s, &retry, &err), 0);
	/* The block ends; the next offence doubles it. */
	assert_int_equal(sign_in_from(f, ATTACKER, USER, "nope", T0 + 3 + 60,
				      &s, &retry, &err), EACCES);
	for (i = 0; i < 2; i++)
		assert_int_equal(sign_in_from(f, ATTACKER, USER, "nope",
					      T0 + 70 + i, &s, &retry, &err),
				 EACCES);
	assert_int_equal(sign_in_from(f, ATTACKER, USER, "nope", T0 + 80, &s,
				      &retry, &err), EAGAIN);
	assert_int_equal(retry, 71 + 120 - 80);
	assert_int_equal(sign_in(f, USER, PASS, T0 + 81, &s, &retry, &err), 0);
}

/* One address guessing many names is refused for all of them, unknown or
 * not, with the same answers. */
static void test_throttle_address(void **state)
{
	struct fx *f = *state;
	struct app_err e1 = { "" }, e2 = { "" };
	struct app_session s;
	int64_t r1 = 0, r2 = 0;
	char name[32];
	int i;

	set(f, "adminSigninAddressFailureLimit", "4");
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "guess%d", i);
		assert_int_equal(sign_in_from(f, ATTACKER, name, "nope", T0, &s,
					      &r1, &e1), EACCES);
	}
	assert_int_equal(sign_in_from(f, ATTACKER, USER, PASS, T0 + 1, &s,
				      &r1, &e1), EAGAIN);
	assert_int_equal(sign_in_from(f, ATTACKER, "nobody", "nope", T0 + 1,
				      &s, &r2, &e2), EAGAIN);
	assert_int_equal(r1, r2);
	assert_string_equal(e1.detail, e2.detail);
	assert_int_equal(sign_in(f, USER, PASS, T0 + 2, &s, &r1, &e1), 0);
}

/* An unknown account is throttled exactly like a real one. */
static void test_unknown_same_as_known(void **state)
{
	struct fx *f = *state;
	struct app_err e1 = { "" }, e2 = { "" };
	struct app_session s;
	int64_t r1 = 0, r2 = 0;
	int i;

	set(f, "adminSigninFailureLimit", "2");
	for (i = 0; i < 2; i++) {
		assert_int_equal(sign_in_from(f, ATTACKER, USER, "nope", T0, &s,
					      &r1, &e1), EACCES);
		assert_int_equal(sign_in_from(f, ATTACKER, "nobody", "nope", T0,
					      &s, &r2, &e2), EACCES);
		assert_string_equal(e1.detail, e2.detail);
	}
	assert_int_equal(sign_in_from(f, ATTACKER, USER, "nope", T0 + 1, &s,
				      &r1, &e1), EAGAIN);
	assert_int_equal(sign_in_from(f, ATTACKER, "nobody", "nope", T0 + 1,
				      &s, &r2, &e2), EAGAIN);
	assert_int_equal(r1, r2);
	assert_string_equal(e1.detail, e2.detail);
}

/* Behind a trusted proxy the client is X-Forwarded-For's last address;
 * from anyone else the header is ignored. */
static void test_forwarded_source(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_session s;
	int64_t retry = 0;
	int i;

	set(f, "adminSigninFailureLimit", "2");
	set(f, "httpTrustedProxies", "10.0.0.1,10.0.0.2");
	for (i = 0; i < 2; i++)
		assert_int_equal(app_session_create_at(f->a, USER, "nope",
			"10.0.0.2", "1.2.3.4, " ATTACKER, T0, &s, &retry,
			&err), EACCES);
	assert_int_equal(app_session_create_at(f->a, USER, PASS, "10.0.0.1",
		ATTACKER, T0, &s, &retry, &err), EAGAIN);
	/* Another client through the same proxy is not refused. */
	assert_int_equal(app_session_create_at(f->a, USER, PASS, "10.0.0.1",
		OWNER, T0, &s, &retry, &err), 0);
	/* An untrusted peer cannot dodge its count with the header. */
	for (i = 0; i < 2; i++)
		assert_int_equal(app_session_create_at(f->a, USER, "nope",
			"192.0.2.9", OWNER, T0, &s, &retry, &err), EACCES);
	assert_int_equal(app_session_create_at(f->a, USER, PASS, "192.0.2.9",
		"203.0.113.1", T0, &s, &retry, &err), EAGAIN);
}

static void test_idle_timeout(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_session s, c;
	int64_t retry = 0, t;

	assert_int_equal(sign_in(f, USER, PASS, T0, &s, &retry, &err), 0);
	/* Each request keeps it alive: 29 minutes apart, for two hours. */
	for (t = T0 + 29 * 60; t < T0 + 2 * 3600; t += 29 * 60)
		assert_int_equal(app_session_check_at(f->a, s.id, NULL, false,
						      t, &c), 0);
	t -= 29 * 60;
	assert_int_equal(app_session_check_at(f->a, s.id, NULL, false,
					      t + 30 * 60, &c), EACCES);

	set(f, "adminSessionIdleMinutes", "5");
	assert_int_equal(sign_in(f, USER, PASS, T0, &s, &retry, &err), 0);
	assert_int_equal(app_session_check_at(f->a, s.id, NULL, false,
					      T0 + 299, &c), 0);
	assert_int_equal(app_session_check_at(f->a, s.id, NULL, false,
					      T0 + 299 + 300, &c), EACCES);
}

static void test_absolute_timeout(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_session s, c;
	int64_t retry = 0, t;

	set(f, "adminSessionMaxHours", "2");
	assert_int_equal(sign_in(f, USER, PASS, T0, &s, &retry, &err), 0);
	assert_int_equal(s.expires_at, T0 + 7200);
	for (t = T0 + 600; t < T0 + 7200; t += 600)
		assert_int_equal(app_session_check_at(f->a, s.id, NULL, false,
						      t, &c), 0);
	/* However busy, it ends at expires_at. */
	assert_int_equal(app_session_check_at(f->a, s.id, NULL, false,
					      T0 + 7200, &c), EACCES);
}

static void test_sign_out(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_session s, other, c;
	int64_t retry = 0;
	int64_t now = app_now();

	assert_int_equal(sign_in(f, USER, PASS, now, &s, &retry, &err), 0);
	assert_int_equal(sign_in(f, USER, PASS, now, &other, &retry, &err), 0);
	assert_int_equal(app_session_delete(f->a, s.id), 0);
	assert_int_equal(app_session_check_at(f->a, s.id, NULL, false, now,
					      &c), EACCES);
	assert_int_equal(app_session_delete(f->a, s.id), ENOENT);
	/* The other session is untouched. */
	assert_int_equal(app_session_check_at(f->a, other.id, NULL, false, now,
					      &c), 0);
}

static void test_passwd(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_session s, c;
	int64_t retry = 0;
	bool created = true;
	int64_t now = app_now();

	assert_int_equal(sign_in(f, USER, PASS, now, &s, &retry, &err), 0);
	/* A new password: every session ends. */
	assert_int_equal(app_admin_passwd(f->a, USER, "a new secret", &created,
					  &err), 0);
	assert_false(created);
	assert_int_equal(app_session_check_at(f->a, s.id, NULL, false, now,
					      &c), EACCES);
	assert_int_equal(sign_in(f, USER, PASS, now, &c, &retry, &err),
			 EACCES);
	assert_int_equal(sign_in(f, USER, "a new secret", now, &c, &retry,
				 &err), 0);

	/* A second account, created by setting its password. */
	assert_int_equal(app_admin_passwd(f->a, "grace", "hopper1906", &created,
					  &err), 0);
	assert_true(created);
	assert_int_equal(sign_in(f, "grace", "hopper1906", now, &c, &retry,
				 &err), 0);
	assert_string_equal(c.username, "grace");

	assert_int_equal(app_admin_passwd(f->a, USER, "short", &created, &err),
			 EINVAL);
	assert_int_equal(app_admin_passwd(f->a, "", "long enough", &created,
					  &err), EINVAL);
	assert_int_equal(app_admin_passwd(f->a, "a\nb", "long enough",
					  &created, &err), EINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_admin, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sign_in_and_csrf),
		T(test_bad_ids),
		T(test_wrong_password_same_answer),
		T(test_throttle_not_lockout),
		T(test_throttle_address),
		T(test_unknown_same_as_known),
		T(test_forwarded_source),
		T(test_idle_timeout),
		T(test_absolute_timeout),
		T(test_sign_out),
		T(test_passwd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
