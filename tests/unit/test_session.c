/* test_session: the admin center's sign-in rules (src/app/session.c)
 * against a real SQLite database in a temporary data directory: who gets a
 * session, what a wrong password costs, when the account locks, when a
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

static int sign_in(struct fx *f, const char *user, const char *pw,
		   int64_t now, struct app_session *s, int64_t *retry,
		   struct app_err *err)
{
	int failed = 0;

	return app_session_create_at(f->a, user, pw, now, s, retry, &failed,
				     err);
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

static void test_delay_grows(void **state)
{
	(void)state;
	assert_int_equal(app_session_delay_ms(0), 250);
	assert_int_equal(app_session_delay_ms(1), 250);
	assert_int_equal(app_session_delay_ms(2), 500);
	assert_int_equal(app_session_delay_ms(3), 1000);
	assert_int_equal(app_session_delay_ms(4), 2000);
	assert_int_equal(app_session_delay_ms(5), 4000);
	assert_int_equal(app_session_delay_ms(50), 4000);
}

static void test_lockout(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_session s;
	int64_t retry = 0;
	int failed = 0, i;

	set(f, "adminLockoutAttempts", "3");
	set(f, "adminLockoutMinutes", "10");
	for (i = 1; i <= 3; i++) {
		assert_int_equal(app_session_create_at(f->a, USER, "nope",
			T0 + i, &s, &retry, &failed, &err), EACCES);
		/* the counter the delay grows with; back to 0 at the lock */
		assert_int_equal(failed, i);
	}
	/* Locked: even the right password, for 10 minutes from the 3rd. */
	assert_int_equal(sign_in(f, USER, PASS, T0 + 4, &s, &retry, &err),
			 EAGAIN);
	assert_int_equal(retry, 600 - 1);
	assert_non_null(strstr(err.detail, "try again"));
	assert_int_equal(sign_in(f, USER, "nope", T0 + 5, &s, &retry, &err),
			 EAGAIN);
	assert_int_equal(sign_in(f, USER, PASS, T0 + 3 + 599, &s, &retry,
				 &err), EAGAIN);
	assert_int_equal(retry, 1);
	/* Over: the right password works, and the count starts afresh. */
	assert_int_equal(sign_in(f, USER, PASS, T0 + 3 + 600, &s, &retry,
				 &err), 0);
	for (i = 1; i <= 2; i++)
		assert_int_equal(app_session_create_at(f->a, USER, "nope",
			T0 + 700, &s, &retry, &failed, &err), EACCES);
	assert_int_equal(sign_in(f, USER, PASS, T0 + 701, &s, &retry, &err),
			 0);
	/* A success clears the count: two more wrong ones do not lock. */
	for (i = 1; i <= 2; i++)
		assert_int_equal(app_session_create_at(f->a, USER, "nope",
			T0 + 702, &s, &retry, &failed, &err), EACCES);
	assert_int_equal(failed, 2);
	assert_int_equal(sign_in(f, USER, PASS, T0 + 703, &s, &retry, &err),
			 0);
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
	set(f, "adminLockoutAttempts", "1");
	assert_int_equal(sign_in(f, USER, "nope", now, &c, &retry, &err),
			 EACCES);
	assert_int_equal(sign_in(f, USER, PASS, now, &c, &retry, &err),
			 EAGAIN);

	/* A new password: the lock is lifted, every session ends. */
	assert_int_equal(app_admin_passwd(f->a, USER, "a new secret", &created,
					  &err), 0);
	assert_false(created);
	assert_int_equal(app_session_check_at(f->a, s.id, NULL, false, now,
					      &c), EACCES);
	set(f, "adminLockoutAttempts", "5");
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
		cmocka_unit_test(test_delay_grows),
		T(test_lockout),
		T(test_idle_timeout),
		T(test_absolute_timeout),
		T(test_sign_out),
		T(test_passwd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
