/* Meeting rules of src/app/meeting.c against a real SQLite database:
 * scheduling checks, the meeting ID in the shared namespace, reset and
 * disable, and the end of life checked when a caller types the ID. */
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
#include <unistd.h>

#include <cmocka.h>

#include "app/app.h"
#include "core/isotime.h"

#include "fixture_app.h"

#define ACTOR "tester"
#define ADA "ada@example.org"

/* t as ISO 8601 UTC text in a static buffer of n. */
static const char *at(int64_t t, int n)
{
	static char buf[4][ISOTIME_SIZE];

	assert_int_equal(isotime_format(t, buf[n], sizeof(buf[n])), 0);
	return buf[n];
}

static void ada(struct fx *f)
{
	struct app_err err;

	assert_int_equal(app_user_create(f->a, ACTOR, ADA, "Ada", true, false,
					 NULL, NULL, &err), 0);
}

static void test_schedule_rules(void **state)
{
	static const char *const att[] = { "g@example.org", "bad address" };
	int64_t now = (int64_t)time(NULL);
	struct fx *f = *state;
	struct app_meeting m;
	struct app_confid_info ci;
	struct app_user u;
	struct app_err err;

	ada(f);
	assert_int_equal(app_meeting_schedule(f->a, ACTOR, ADA, "S",
		"2030-01-01T10:00:00", "2030-01-01T11:00:00+00:00", att, 1,
		&m, &err), EINVAL);
	assert_int_equal(app_meeting_schedule(f->a, ACTOR, ADA, "S",
		at(now + 7200, 0), at(now + 3600, 1), att, 1, &m, &err),
		EINVAL);
	assert_int_equal(app_meeting_schedule(f->a, ACTOR, ADA, "S",
		at(now - 7200, 0), at(now - 3600, 1), att, 1, &m, &err),
		EINVAL);
	assert_int_equal(app_meeting_schedule(f->a, ACTOR, ADA, "S",
		at(now + 3600, 0), at(now + 7200, 1), att, 2, &m, &err),
		EINVAL);
	assert_int_equal(app_meeting_schedule(f->a, ACTOR, "x@example.org",
		"S", at(now + 3600, 0), at(now + 7200, 1), att, 1, &m, &err),
		ENOENT);
	assert_int_equal(app_meeting_schedule(f->a, ACTOR, ADA, "S",
		at(now + 3600, 0), at(now + 7200, 1), att, 1, &m, &err), 0);
	assert_int_equal(m.sequence, 0);
	assert_string_equal(m.state, "scheduled");
	assert_int_equal(app_confid_lookup(f->a, m.conference_id, &ci, &err),
			 0);
	assert_false(ci.personal);
	assert_true(ci.live);
	assert_int_equal(ci.meeting_id, m.id);
	assert_int_equal(app_user_get(f->a, ADA, &u, &err), 0);
	assert_string_not_equal(u.conference_id, m.conference_id);
}

static void test_reset_and_disable(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct app_reset_result r;
	struct app_user_patch p = { NULL, 0, NULL, NULL };
	struct fx *f = *state;
	struct app_meeting m, m2;
	struct app_dialin_target t;
	struct app_err err;

	ada(f);
	assert_int_equal(app_meeting_schedule(f->a, ACTOR, ADA, "S",
		at(now + 3600, 0), at(now + 7200, 1), NULL, 0, &m, &err), 0);
	assert_int_equal(app_reset_conference_id(f->a, ACTOR, ADA, false,
						 false, &r, &err), 0);
	assert_int_equal(r.meetings_updated, 1);
	assert_int_equal(app_meeting_get(f->a, m.id, &m2, &err), 0);
	assert_int_equal(m2.sequence, 1);
	assert_string_equal(m2.uid, m.uid);
	assert_string_not_equal(m2.conference_id, m.conference_id);
	assert_int_equal(app_confid_resolve(f->a, m.conference_id, &t), 0);
	assert_false(t.valid);
	assert_int_equal(app_confid_resolve(f->a, m2.conference_id, &t), 0);
	assert_true(t.valid);
	assert_int_equal(t.meeting_id, m.id);

	assert_int_equal(app_user_update(f->a, ACTOR, ADA, &p, false, NULL,
					 NULL, &err), 0);
	assert_int_equal(app_confid_resolve(f->a, m2.conference_id, &t), 0);
	assert_false(t.valid);
	assert_int_equal(app_meeting_get(f->a, m.id, &m2, &err), 0);
	assert_string_equal(m2.state, "cancelled");
}

/* Past its end plus meetingIdGraceHours an ID stops at once, before any
 * sweep revoked it; the sweep then revokes it. */
static void test_grace_checked_at_resolution(void **state)
{
	const char *names[] = { "meetingIdGraceHours" };
	const char *values[] = { "0" };
	int64_t now = (int64_t)time(NULL);
	struct fx *f = *state;
	struct app_meeting m;
	struct app_dialin_target t;
	struct app_confid_info ci;
	struct app_err err;
	int n = 0;

	ada(f);
	assert_int_equal(app_settings_set(f->a, ACTOR, names, values, 1,
					  &err), 0);
	assert_int_equal(app_meeting_schedule(f->a, ACTOR, ADA, "S",
		at(now - 60, 0), at(now + 2, 1), NULL, 0, &m, &err), 0);
	assert_int_equal(app_confid_resolve(f->a, m.conference_id, &t), 0);
	assert_true(t.valid);
	sleep(3);
	assert_int_equal(app_confid_lookup(f->a, m.conference_id, &ci, &err),
			 0);
	assert_true(ci.live); /* no sweep yet */
	assert_int_equal(app_confid_resolve(f->a, m.conference_id, &t), 0);
	assert_false(t.valid);
	assert_int_equal(app_meeting_expire(f->a, (int64_t)time(NULL), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(app_confid_lookup(f->a, m.conference_id, &ci, &err),
			 0);
	assert_false(ci.live);
	assert_int_equal(app_meeting_cancel(f->a, ACTOR, m.id, NULL, &err),
			 EBUSY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schedule_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reset_and_disable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_grace_checked_at_resolution,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
