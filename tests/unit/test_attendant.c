/* The auto attendant state machine (SPEC §6): events in, actions out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/attendant.h"

/* The actions of the last event. */
struct run {
	struct attendant *a;
	struct att_action acts[ATT_ACTIONS_MAX];
	size_t n;
};

static void ev(struct run *r, enum att_event_type t)
{
	struct att_event e = {.type = t};

	assert_int_equal(attendant_handle(r->a, &e, r->acts, &r->n), 0);
}

static void ev_res(struct run *r, enum att_event_type t, bool valid,
		   bool bypass)
{
	struct att_event e = {.type = t, .valid = valid, .bypass = bypass};

	assert_int_equal(attendant_handle(r->a, &e, r->acts, &r->n), 0);
}

static void type(struct run *r, const char *keys)
{
	for (; *keys; keys++) {
		struct att_event e = {.type = ATT_EV_DIGIT, .digit = *keys};

		assert_int_equal(attendant_handle(r->a, &e, r->acts, &r->n), 0);
	}
}

/* The conference has n participants: the answer to ATT_ACT_ROOM. */
static void room(struct run *r, unsigned n)
{
	struct att_event e = {.type = ATT_EV_ROOM, .participants = n};

	assert_int_equal(attendant_handle(r->a, &e, r->acts, &r->n), 0);
}

/* The action of type t among the last ones, or NULL. */
static const struct att_action *find(const struct run *r,
				     enum att_action_type t)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (r->acts[i].type == t)
			return &r->acts[i];
	}
	return NULL;
}

static void assert_plays(const struct run *r, enum att_prompt p)
{
	const struct att_action *x = find(r, ATT_ACT_PLAY);

	assert_non_null(x);
	assert_int_equal(x->prompt, p);
}

static void start(struct run *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(attendant_alloc(&r->a, NULL), 0);
	assert_int_equal(attendant_state(r->a), ATT_S_IDLE);
	ev(r, ATT_EV_ANSWERED);
	assert_plays(r, ATT_PROMPT_WELCOME);
	assert_int_equal(attendant_state(r->a), ATT_S_COLLECT_ID);
}

/* Enter an ID that resolves as valid, up to "press star". */
static void valid_id(struct run *r, bool bypass)
{
	const struct att_action *x;

	type(r, "4829173#");
	x = find(r, ATT_ACT_RESOLVE);
	assert_non_null(x);
	assert_string_equal(x->digits, "4829173");
	assert_int_equal(attendant_state(r->a), ATT_S_RESOLVING);
	ev_res(r, ATT_EV_RESOLVED, true, bypass);
	assert_plays(r, ATT_PROMPT_ORGANIZER);
	assert_int_equal(attendant_state(r->a), ATT_S_ASK_STAR);
}

static void test_prompt_then_first_digit_timer(void **state)
{
	struct run r;
	const struct att_action *x;

	(void)state;
	start(&r);
	ev(&r, ATT_EV_PROMPT_DONE);
	x = find(&r, ATT_ACT_TIMER);
	assert_non_null(x);
	assert_int_equal(x->ms, 10000);
	attendant_free(r.a);
}

static void test_barge_in_stops_prompt(void **state)
{
	struct run r;
	const struct att_action *x;

	(void)state;
	start(&r);
	type(&r, "4");
	assert_non_null(find(&r, ATT_ACT_STOP_PLAY));
	x = find(&r, ATT_ACT_TIMER);
	assert_non_null(x);
	assert_int_equal(x->ms, 5000); /* inter-digit */
	type(&r, "8");
	assert_null(find(&r, ATT_ACT_STOP_PLAY));
	attendant_free(r.a);
}

static void test_three_invalid_ids_hang_up(void **state)
{
	struct run r;
	int i;

	(void)state;
	start(&r);
	for (i = 0; i < 2; i++) {
		type(&r, "1111111#");
		assert_non_null(find(&r, ATT_ACT_RESOLVE));
		ev_res(&r, ATT_EV_RESOLVED, false, false);
		assert_plays(&r, ATT_PROMPT_NOT_VALID);
		assert_int_equal(attendant_state(r.a), ATT_S_COLLECT_ID);
	}
	type(&r, "1111111#");
	ev_res(&r, ATT_EV_RESOLVED, false, false);
	assert_plays(&r, ATT_PROMPT_GOODBYE);
	assert_null(find(&r, ATT_ACT_HANGUP)); /* not before goodbye is heard */
	ev(&r, ATT_EV_PROMPT_DONE);
	assert_non_null(find(&r, ATT_ACT_HANGUP));
	assert_int_equal(attendant_state(r.a), ATT_S_DONE);
	attendant_free(r.a);
}

/* Empty, over-long and timed-out entries count as attempts without a
 * lookup. */
static void test_malformed_and_timeouts(void **state)
{
	struct run r;

	(void)state;
	start(&r);
	type(&r, "#");
	assert_null(find(&r, ATT_ACT_RESOLVE));
	assert_plays(&r, ATT_PROMPT_NOT_VALID);
	type(&r, "12345678901234567890#");
	assert_null(find(&r, ATT_ACT_RESOLVE));
	assert_plays(&r, ATT_PROMPT_NOT_VALID);
	ev(&r, ATT_EV_PROMPT_DONE);
	ev(&r, ATT_EV_TIMEOUT); /* silence: the third attempt */
	assert_plays(&r, ATT_PROMPT_GOODBYE);
	attendant_free(r.a);
}

static void test_inter_digit_timeout_submits(void **state)
{
	struct run r;
	const struct att_action *x;

	(void)state;
	start(&r);
	type(&r, "4829173");
	ev(&r, ATT_EV_TIMEOUT);
	x = find(&r, ATT_ACT_RESOLVE);
	assert_non_null(x);
	assert_string_equal(x->digits, "4829173");
	attendant_free(r.a);
}

static void test_organizer_with_pin(void **state)
{
	struct run r;
	const struct att_action *x;

	(void)state;
	start(&r);
	valid_id(&r, false);
	type(&r, "*");
	assert_plays(&r, ATT_PROMPT_ENTER_PIN);
	assert_int_equal(attendant_state(r.a), ATT_S_COLLECT_PIN);
	assert_string_equal(attendant_state_name(attendant_state(r.a)),
			    "organizer-pin");
	type(&r, "13579#");
	x = find(&r, ATT_ACT_VERIFY_PIN);
	assert_non_null(x);
	assert_string_equal(x->digits, "13579");
	ev_res(&r, ATT_EV_PIN_RESULT, true, false);
	assert_non_null(find(&r, ATT_ACT_ROOM)); /* how many are in? */
	assert_null(find(&r, ATT_ACT_JOIN));
	room(&r, 1);
	x = find(&r, ATT_ACT_JOIN);
	assert_non_null(x);
	assert_true(x->organizer);
	assert_plays(&r, ATT_PROMPT_JOINING);
	assert_true(attendant_organizer(r.a));
	assert_string_equal(attendant_state_name(attendant_state(r.a)),
			    "in-conference");
	attendant_free(r.a);
}

static void test_wrong_pin_three_times(void **state)
{
	struct run r;

	(void)state;
	start(&r);
	valid_id(&r, true);
	type(&r, "*");
	type(&r, "11111#");
	ev_res(&r, ATT_EV_PIN_RESULT, false, false);
	assert_plays(&r, ATT_PROMPT_WRONG_PIN);
	type(&r, "22222#");
	ev_res(&r, ATT_EV_PIN_RESULT, false, false);
	assert_plays(&r, ATT_PROMPT_WRONG_PIN);
	type(&r, "33333#");
	ev_res(&r, ATT_EV_PIN_RESULT, false, false);
	assert_plays(&r, ATT_PROMPT_GOODBYE);
	assert_null(find(&r, ATT_ACT_JOIN));
	ev(&r, ATT_EV_PROMPT_DONE);
	assert_non_null(find(&r, ATT_ACT_HANGUP));
	attendant_free(r.a);
}

static void test_lobby_until_organizer(void **state)
{
	struct run r;
	const struct att_action *x;

	(void)state;
	start(&r);
	valid_id(&r, false);
	ev(&r, ATT_EV_PROMPT_DONE);
	x = find(&r, ATT_ACT_TIMER);
	assert_non_null(x);
	assert_int_equal(x->ms, 3000);
	ev(&r, ATT_EV_TIMEOUT);
	assert_non_null(find(&r, ATT_ACT_LOBBY));
	assert_plays(&r, ATT_PROMPT_WAIT);
	assert_string_equal(attendant_state_name(attendant_state(r.a)),
			    "lobby");
	type(&r, "*"); /* too late to be the organizer */
	assert_int_equal(r.n, 0);
	ev(&r, ATT_EV_ORGANIZER_ARRIVED);
	/* Not straight in: the ID is checked again at the moment of joining. */
	assert_null(find(&r, ATT_ACT_JOIN));
	assert_non_null(find(&r, ATT_ACT_RECHECK));
	assert_string_equal(attendant_state_name(attendant_state(r.a)),
			    "lobby");
	ev_res(&r, ATT_EV_RECHECKED, true, false);
	room(&r, 3);
	x = find(&r, ATT_ACT_JOIN);
	assert_non_null(x);
	assert_false(x->organizer);
	attendant_free(r.a);
}

static void test_bypass_joins_at_once(void **state)
{
	struct run r;

	(void)state;
	start(&r);
	valid_id(&r, true);
	type(&r, "#"); /* pound: not the organizer, no need to wait */
	assert_null(find(&r, ATT_ACT_LOBBY));
	room(&r, 0);
	assert_non_null(find(&r, ATT_ACT_JOIN));
	attendant_free(r.a);
}

static void test_mute_and_help(void **state)
{
	struct run r;
	const struct att_action *x;

	(void)state;
	start(&r);
	valid_id(&r, true);
	ev(&r, ATT_EV_TIMEOUT);
	room(&r, 0);
	type(&r, "*6");
	x = find(&r, ATT_ACT_MUTE);
	assert_non_null(x);
	assert_true(x->muted);
	type(&r, "*6");
	assert_false(find(&r, ATT_ACT_MUTE)->muted);
	type(&r, "*1");
	assert_plays(&r, ATT_PROMPT_HELP);
	type(&r, "6"); /* no star before: nothing */
	assert_int_equal(r.n, 0);
	attendant_free(r.a);
}

static void test_hangup_anywhere(void **state)
{
	struct run r;

	(void)state;
	start(&r);
	type(&r, "48");
	ev(&r, ATT_EV_HANGUP);
	assert_int_equal(attendant_state(r.a), ATT_S_DONE);
	type(&r, "29173#");
	assert_int_equal(r.n, 0);
	ev_res(&r, ATT_EV_RESOLVED, true, false);
	assert_int_equal(r.n, 0);
	attendant_free(r.a);
}

/* Results that arrive in the wrong state change nothing. */
static void test_stray_events(void **state)
{
	struct run r;

	(void)state;
	start(&r);
	ev_res(&r, ATT_EV_RESOLVED, true, false);
	assert_int_equal(r.n, 0);
	ev_res(&r, ATT_EV_PIN_RESULT, true, false);
	assert_int_equal(r.n, 0);
	ev(&r, ATT_EV_ORGANIZER_ARRIVED);
	assert_int_equal(r.n, 0);
	ev(&r, ATT_EV_ANSWERED);
	assert_int_equal(r.n, 0);
	assert_int_equal(attendant_state(r.a), ATT_S_COLLECT_ID);
	assert_int_equal(attendant_handle(r.a, NULL, r.acts, &r.n), EINVAL);
	attendant_free(r.a);
}

/* Typed ahead: '*' and the PIN keyed while the ID is still checked are
 * kept and played in once the answer comes; a wrong ID drops them into the
 * next entry, which the caller then hears refused like any other. */
static void test_type_ahead_while_checking(void **state)
{
	struct run r;
	const struct att_action *x;

	(void)state;
	start(&r);
	type(&r, "4829173#*1234#");
	assert_int_equal(attendant_state(r.a), ATT_S_RESOLVING);
	assert_int_equal(r.n, 0); /* kept, nothing done yet */
	ev_res(&r, ATT_EV_RESOLVED, true, false);
	assert_int_equal(attendant_state(r.a), ATT_S_VERIFYING);
	x = find(&r, ATT_ACT_VERIFY_PIN);
	assert_non_null(x);
	assert_string_equal(x->digits, "1234");
	assert_true(r.n <= ATT_ACTIONS_MAX);
	attendant_free(r.a);

	/* More than can be kept: the first ATT_DIGITS_MAX count, and each
	 * one's actions fit the list. */
	start(&r);
	type(&r, "1#");
	type(&r, "################################");
	ev_res(&r, ATT_EV_RESOLVED, false, false);
	assert_true(r.n <= ATT_ACTIONS_MAX);
	assert_int_equal(attendant_state(r.a), ATT_S_ENDING); /* 3 tries */
	attendant_free(r.a);

	/* A hangup forgets what was typed ahead. */
	start(&r);
	type(&r, "4829173#*99");
	ev(&r, ATT_EV_HANGUP);
	ev_res(&r, ATT_EV_RESOLVED, true, false);
	assert_int_equal(r.n, 0);
	attendant_free(r.a);
}

/* Into the lobby of a valid ID (no bypass). */
static void to_lobby(struct run *r)
{
	valid_id(r, false);
	type(r, "#");
	assert_non_null(find(r, ATT_ACT_LOBBY));
	assert_int_equal(attendant_state(r->a), ATT_S_LOBBY);
}

/* The ID is revoked while the caller waits: told so, then hung up; the
 * organizer arriving afterwards lets nobody in. */
static void test_revoked_in_lobby(void **state)
{
	struct run r;

	(void)state;
	start(&r);
	to_lobby(&r);
	ev(&r, ATT_EV_REVOKED);
	assert_plays(&r, ATT_PROMPT_NO_LONGER_VALID);
	ev(&r, ATT_EV_ORGANIZER_ARRIVED);
	assert_null(find(&r, ATT_ACT_JOIN));
	ev(&r, ATT_EV_PROMPT_DONE);
	assert_non_null(find(&r, ATT_ACT_HANGUP));
	attendant_free(r.a);
}

/* Revoked between the organizer's arrival and the join: the re-check
 * says so, and the caller does not join. */
static void test_recheck_fails(void **state)
{
	struct run r;

	(void)state;
	start(&r);
	to_lobby(&r);
	ev(&r, ATT_EV_ORGANIZER_ARRIVED);
	assert_non_null(find(&r, ATT_ACT_RECHECK));
	ev_res(&r, ATT_EV_RECHECKED, false, false);
	assert_null(find(&r, ATT_ACT_JOIN));
	assert_plays(&r, ATT_PROMPT_NO_LONGER_VALID);
	attendant_free(r.a);
}

/* A revocation does not put out a caller who has joined, nor one still
 * typing the ID (that one learns at the lookup). */
static void test_revoked_after_join_ignored(void **state)
{
	struct run r;

	(void)state;
	start(&r);
	ev(&r, ATT_EV_REVOKED);
	assert_int_equal(r.n, 0);
	valid_id(&r, true);
	type(&r, "#");
	room(&r, 0);
	assert_non_null(find(&r, ATT_ACT_JOIN));
	ev(&r, ATT_EV_REVOKED);
	assert_int_equal(r.n, 0);
	assert_int_equal(attendant_state(r.a), ATT_S_JOINED);
	attendant_free(r.a);
}

/* Revoked while the PIN is typed. */
static void test_revoked_during_pin(void **state)
{
	struct run r;

	(void)state;
	start(&r);
	valid_id(&r, false);
	type(&r, "*12");
	ev(&r, ATT_EV_REVOKED);
	assert_plays(&r, ATT_PROMPT_NO_LONGER_VALID);
	assert_int_equal(attendant_state(r.a), ATT_S_ENDING);
	attendant_free(r.a);
}

/* An admin lets a lobby caller in, after a re-check: a plain caller as a
 * participant (the rest of the lobby waits on), one who pressed '*' on a
 * closed organizer path as the organizer (whose arrival lets the lobby
 * in). */
static void test_admin_admits_as_organizer(void **state)
{
	struct run r;
	const struct att_action *x;
	struct att_event closed = {.type = ATT_EV_RESOLVED, .valid = true,
				   .closed = true};

	(void)state;
	start(&r);
	to_lobby(&r);
	ev(&r, ATT_EV_ADMIT);
	assert_non_null(find(&r, ATT_ACT_RECHECK));
	assert_null(find(&r, ATT_ACT_JOIN));
	ev_res(&r, ATT_EV_RECHECKED, true, false);
	room(&r, 0);
	x = find(&r, ATT_ACT_JOIN);
	assert_non_null(x);
	assert_false(x->organizer);
	ev(&r, ATT_EV_ADMIT); /* once in, nothing more to admit */
	assert_int_equal(r.n, 0);
	attendant_free(r.a);

	start(&r);
	type(&r, "4829173#");
	assert_int_equal(attendant_handle(r.a, &closed, r.acts, &r.n), 0);
	type(&r, "*");
	assert_int_equal(attendant_state(r.a), ATT_S_LOBBY);
	ev(&r, ATT_EV_ADMIT);
	ev_res(&r, ATT_EV_RECHECKED, true, false);
	room(&r, 0);
	assert_true(find(&r, ATT_ACT_JOIN)->organizer);
	attendant_free(r.a);
}

/* maxParticipants in already: "full", goodbye, never joined. */
static void test_full_conference_turns_away(void **state)
{
	struct run r;
	struct att_event e = {.type = ATT_EV_RESOLVED, .valid = true,
			      .bypass = true, .max_parts = 2};

	(void)state;
	start(&r);
	type(&r, "4829173#");
	assert_int_equal(attendant_handle(r.a, &e, r.acts, &r.n), 0);
	type(&r, "#");
	room(&r, 2);
	assert_null(find(&r, ATT_ACT_JOIN));
	assert_plays(&r, ATT_PROMPT_FULL);
	assert_int_equal(attendant_state(r.a), ATT_S_ENDING);
	ev(&r, ATT_EV_PROMPT_DONE);
	assert_non_null(find(&r, ATT_ACT_HANGUP));
	attendant_free(r.a);
	/* One place left: in. */
	start(&r);
	type(&r, "4829173#");
	assert_int_equal(attendant_handle(r.a, &e, r.acts, &r.n), 0);
	type(&r, "#");
	room(&r, 1);
	assert_non_null(find(&r, ATT_ACT_JOIN));
	attendant_free(r.a);
}

static void test_lobby_timeout(void **state)
{
	struct run r;
	const struct att_action *x;

	(void)state;
	start(&r);
	to_lobby(&r);
	x = find(&r, ATT_ACT_TIMER);
	assert_non_null(x);
	assert_int_equal(x->ms, 30 * 60 * 1000);
	ev(&r, ATT_EV_TIMEOUT);
	assert_plays(&r, ATT_PROMPT_LOBBY_TIMEOUT);
	ev(&r, ATT_EV_PROMPT_DONE);
	assert_non_null(find(&r, ATT_ACT_HANGUP));
	attendant_free(r.a);
}

/* The organizer path is closed: '*' leads to the lobby, not to a PIN. */
static void test_closed_organizer_path(void **state)
{
	struct run r;
	struct att_event e = {.type = ATT_EV_RESOLVED, .valid = true,
			      .closed = true};

	(void)state;
	start(&r);
	type(&r, "4829173#");
	assert_int_equal(attendant_handle(r.a, &e, r.acts, &r.n), 0);
	assert_plays(&r, ATT_PROMPT_ORGANIZER);
	type(&r, "*");
	assert_plays(&r, ATT_PROMPT_ORGANIZER_CLOSED);
	assert_non_null(find(&r, ATT_ACT_LOBBY));
	assert_null(find(&r, ATT_ACT_VERIFY_PIN));
	assert_int_equal(attendant_state(r.a), ATT_S_LOBBY);
	attendant_free(r.a);
}

/* The guard blocks the source on this wrong entry: goodbye at once, no
 * second or third try. */
static void test_blocked_source_goodbye(void **state)
{
	struct run r;
	struct att_event e = {.type = ATT_EV_RESOLVED, .blocked = true};

	(void)state;
	start(&r);
	type(&r, "1111111#");
	assert_int_equal(attendant_handle(r.a, &e, r.acts, &r.n), 0);
	assert_plays(&r, ATT_PROMPT_GOODBYE);
	assert_int_equal(attendant_state(r.a), ATT_S_ENDING);
	attendant_free(r.a);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(attendant_prompt_name(ATT_PROMPT_WELCOME),
			    "welcome-enter-id");
	assert_string_equal(attendant_prompt_name(ATT_PROMPT_HELP), "help");
	assert_string_equal(attendant_state_name(ATT_S_COLLECT_ID),
			    "collecting-id");
}

/* A Jitsi room's ID (SPEC §7): "joining" and on to the gateway, with no
 * organizer question and no lobby; digits change nothing there; the
 * gateway refusing it ends the call with goodbye. */
static void test_jitsi_forward(void **state)
{
	struct att_event e = {.type = ATT_EV_RESOLVED, .valid = true,
			      .forward = true};
	struct run r;

	(void)state;
	start(&r);
	type(&r, "4829173#");
	assert_int_equal(attendant_handle(r.a, &e, r.acts, &r.n), 0);
	assert_plays(&r, ATT_PROMPT_JOINING);
	assert_non_null(find(&r, ATT_ACT_FORWARD));
	assert_null(find(&r, ATT_ACT_ROOM));
	assert_int_equal(attendant_state(r.a), ATT_S_FORWARDED);
	assert_string_equal(attendant_state_name(ATT_S_FORWARDED),
			    "in-conference");
	type(&r, "*6");
	assert_int_equal(r.n, 0);
	ev(&r, ATT_EV_TIMEOUT);
	assert_int_equal(r.n, 0);
	ev(&r, ATT_EV_REVOKED); /* in the room already: stays */
	assert_int_equal(attendant_state(r.a), ATT_S_FORWARDED);
	ev(&r, ATT_EV_FORWARD_FAILED);
	assert_plays(&r, ATT_PROMPT_GOODBYE);
	ev(&r, ATT_EV_PROMPT_DONE);
	assert_non_null(find(&r, ATT_ACT_HANGUP));
	attendant_free(r.a);
}

/* In as the organizer (PIN), the conference answering n participants. */
static void organizer_in(struct run *r)
{
	start(r);
	valid_id(r, false);
	type(r, "*13579#");
	ev_res(r, ATT_EV_PIN_RESULT, true, false);
	room(r, 1);
	assert_int_equal(attendant_state(r->a), ATT_S_JOINED);
}

/* The organizer's keys: *7 locks and unlocks, *8 lets the lobby in, *9
 * mutes the others, each with its own words. */
static void test_organizer_keys(void **state)
{
	struct run r;
	const struct att_action *x;

	(void)state;
	organizer_in(&r);
	type(&r, "*7");
	x = find(&r, ATT_ACT_LOCK);
	assert_non_null(x);
	assert_true(x->locked);
	assert_plays(&r, ATT_PROMPT_NOW_LOCKED);
	type(&r, "*7");
	assert_false(find(&r, ATT_ACT_LOCK)->locked);
	assert_plays(&r, ATT_PROMPT_NOW_UNLOCKED);
	type(&r, "*8");
	assert_non_null(find(&r, ATT_ACT_ADMIT_LOBBY));
	assert_plays(&r, ATT_PROMPT_LOBBY_ADMITTED);
	type(&r, "*9");
	assert_non_null(find(&r, ATT_ACT_MUTE_OTHERS));
	assert_plays(&r, ATT_PROMPT_ALL_MUTED);
	/* Locked by an admin meanwhile: *7 unlocks. */
	r.n = 0;
	{
		struct att_event e = {.type = ATT_EV_LOCK, .valid = true};

		assert_int_equal(attendant_handle(r.a, &e, r.acts, &r.n), 0);
	}
	assert_int_equal(r.n, 0);
	type(&r, "*7");
	assert_false(find(&r, ATT_ACT_LOCK)->locked);
	attendant_free(r.a);
}

/* A caller who is not the organizer gets the help for *7 *8 *9. */
static void test_organizer_keys_others(void **state)
{
	struct run r;
	const char *keys[] = {"*7", "*8", "*9"};
	size_t i;

	(void)state;
	start(&r);
	valid_id(&r, true);
	ev(&r, ATT_EV_TIMEOUT);
	room(&r, 1);
	for (i = 0; i < 3; i++) {
		type(&r, keys[i]);
		assert_null(find(&r, ATT_ACT_LOCK));
		assert_null(find(&r, ATT_ACT_ADMIT_LOBBY));
		assert_null(find(&r, ATT_ACT_MUTE_OTHERS));
		assert_plays(&r, ATT_PROMPT_HELP);
	}
	attendant_free(r.a);
}

static void ev_valid(struct run *r, enum att_event_type t, bool valid)
{
	struct att_event e = {.type = t, .valid = valid};

	assert_int_equal(attendant_handle(r->a, &e, r->acts, &r->n), 0);
}

/* Muted from outside: the mix follows; the caller's *6 still unmutes. A
 * caller not in the conference is not muted. */
static void test_mute_from_outside(void **state)
{
	struct run r;

	(void)state;
	start(&r);
	ev_valid(&r, ATT_EV_MUTE, true);
	assert_int_equal(r.n, 0);
	valid_id(&r, true);
	ev(&r, ATT_EV_TIMEOUT);
	room(&r, 1);
	ev_valid(&r, ATT_EV_MUTE, true);
	assert_true(find(&r, ATT_ACT_MUTE)->muted);
	ev_valid(&r, ATT_EV_MUTE, true); /* already: nothing */
	assert_int_equal(r.n, 0);
	type(&r, "*6");
	assert_false(find(&r, ATT_ACT_MUTE)->muted);
	ev_valid(&r, ATT_EV_MUTE, true);
	ev_valid(&r, ATT_EV_MUTE, false);
	assert_false(find(&r, ATT_ACT_MUTE)->muted);
	attendant_free(r.a);
}

/* Removed or ended: out of the mix, the last words, then hang up. */
static void test_remove_and_end(void **state)
{
	struct run r;

	(void)state;
	organizer_in(&r);
	ev(&r, ATT_EV_REMOVE);
	assert_non_null(find(&r, ATT_ACT_LEAVE));
	assert_plays(&r, ATT_PROMPT_REMOVED);
	assert_int_equal(attendant_state(r.a), ATT_S_ENDING);
	ev(&r, ATT_EV_END); /* already on its way out */
	assert_int_equal(r.n, 0);
	ev(&r, ATT_EV_PROMPT_DONE);
	assert_non_null(find(&r, ATT_ACT_HANGUP));
	attendant_free(r.a);

	start(&r);
	valid_id(&r, false);
	ev(&r, ATT_EV_TIMEOUT); /* the lobby */
	assert_int_equal(attendant_state(r.a), ATT_S_LOBBY);
	ev(&r, ATT_EV_END);
	assert_non_null(find(&r, ATT_ACT_LEAVE));
	assert_plays(&r, ATT_PROMPT_MEETING_ENDED);
	ev(&r, ATT_EV_PROMPT_DONE);
	assert_non_null(find(&r, ATT_ACT_HANGUP));
	attendant_free(r.a);
}

/* A locked conference: a new caller hears so and is hung up, lobby or
 * not; the organizer still gets in with the PIN; one already waiting in
 * the lobby stays there. */
static void test_locked_conference(void **state)
{
	struct run r;
	struct att_event locked = {.type = ATT_EV_RESOLVED, .valid = true,
				   .locked = true};

	(void)state;
	start(&r);
	type(&r, "4829173#");
	assert_int_equal(attendant_handle(r.a, &locked, r.acts, &r.n), 0);
	assert_plays(&r, ATT_PROMPT_ORGANIZER);
	ev(&r, ATT_EV_TIMEOUT);
	assert_plays(&r, ATT_PROMPT_MEETING_LOCKED);
	assert_null(find(&r, ATT_ACT_LOBBY));
	ev(&r, ATT_EV_PROMPT_DONE);
	assert_non_null(find(&r, ATT_ACT_HANGUP));
	attendant_free(r.a);

	start(&r);
	type(&r, "4829173#");
	assert_int_equal(attendant_handle(r.a, &locked, r.acts, &r.n), 0);
	type(&r, "*13579#");
	ev_res(&r, ATT_EV_PIN_RESULT, true, false);
	room(&r, 1);
	assert_non_null(find(&r, ATT_ACT_JOIN));
	attendant_free(r.a);

	start(&r);
	valid_id(&r, false);
	ev_valid(&r, ATT_EV_LOCK, true); /* locked while choosing */
	type(&r, "#");
	assert_plays(&r, ATT_PROMPT_MEETING_LOCKED);
	attendant_free(r.a);

	start(&r);
	valid_id(&r, false);
	type(&r, "#");
	assert_int_equal(attendant_state(r.a), ATT_S_LOBBY);
	ev_valid(&r, ATT_EV_LOCK, true);
	assert_int_equal(attendant_state(r.a), ATT_S_LOBBY);
	ev(&r, ATT_EV_ORGANIZER_ARRIVED);
	ev_valid(&r, ATT_EV_RECHECKED, true);
	room(&r, 1);
	assert_non_null(find(&r, ATT_ACT_JOIN));
	attendant_free(r.a);
}

/* Answered on a number of n languages. */
static void start_langs(struct run *r, unsigned n)
{
	struct att_event e = {.type = ATT_EV_ANSWERED, .languages = n};

	memset(r, 0, sizeof(*r));
	assert_int_equal(attendant_alloc(&r->a, NULL), 0);
	assert_int_equal(attendant_handle(r->a, &e, r->acts, &r->n), 0);
	assert_int_equal(attendant_state(r->a), ATT_S_COLLECT_ID);
}

static size_t count(const struct run *r, enum att_action_type t)
{
	size_t i, k = 0;

	for (i = 0; i < r->n; i++)
		k += r->acts[i].type == t;
	return k;
}

/* The welcome in the first language, then "for <language> press N" for
 * each other one, queued after it, N its place in the number's list. */
static void test_menu_after_welcome(void **state)
{
	struct run r;
	unsigned n;

	(void)state;
	start_langs(&r, 3);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.acts[0].type, ATT_ACT_PLAY);
	assert_int_equal(r.acts[0].prompt, ATT_PROMPT_WELCOME);
	assert_int_equal(r.acts[1].type, ATT_ACT_MENU);
	assert_int_equal(r.acts[1].lang, 1);
	assert_int_equal(r.acts[2].type, ATT_ACT_MENU);
	assert_int_equal(r.acts[2].lang, 2);
	attendant_free(r.a);

	/* One language (or an unknown count): no menu, as before. */
	for (n = 0; n < 2; n++) {
		start_langs(&r, n);
		assert_int_equal(r.n, 1);
		assert_plays(&r, ATT_PROMPT_WELCOME);
		attendant_free(r.a);
	}
	/* More languages than digits: the first ATT_LANGUAGES_MAX. */
	start_langs(&r, 20);
	assert_int_equal(count(&r, ATT_ACT_MENU), ATT_LANGUAGES_MAX - 1);
	attendant_free(r.a);
}

/* A lone digit N, ended by '#' or the inter-digit pause, switches to the
 * number's language N and welcomes again in it, without the menu and
 * without costing an ID attempt. */
static void test_menu_digit_switches_language(void **state)
{
	const struct att_action *x;
	struct run r;
	int i;

	(void)state;
	start_langs(&r, 2);
	type(&r, "2");
	assert_non_null(find(&r, ATT_ACT_STOP_PLAY)); /* barge-in */
	assert_null(find(&r, ATT_ACT_LANGUAGE));      /* not yet: an ID? */
	type(&r, "#");
	x = find(&r, ATT_ACT_LANGUAGE);
	assert_non_null(x);
	assert_int_equal(x->lang, 1);
	assert_null(find(&r, ATT_ACT_RESOLVE));
	assert_null(find(&r, ATT_ACT_MENU));
	assert_plays(&r, ATT_PROMPT_WELCOME);
	/* the language comes before the prompt spoken in it */
	assert_true(x < find(&r, ATT_ACT_PLAY));
	assert_int_equal(attendant_state(r.a), ATT_S_COLLECT_ID);

	/* by the pause, back to the first language: '1' */
	type(&r, "1");
	ev(&r, ATT_EV_TIMEOUT);
	x = find(&r, ATT_ACT_LANGUAGE);
	assert_non_null(x);
	assert_int_equal(x->lang, 0);

	/* switching costs no attempt: three wrong IDs still end the call */
	for (i = 0; i < 5; i++) {
		type(&r, "2#");
		assert_non_null(find(&r, ATT_ACT_LANGUAGE));
	}
	type(&r, "1#");
	for (i = 0; i < 2; i++) {
		type(&r, "1111111#");
		ev_res(&r, ATT_EV_RESOLVED, false, false);
		assert_plays(&r, ATT_PROMPT_NOT_VALID);
	}
	type(&r, "1111111#");
	ev_res(&r, ATT_EV_RESOLVED, false, false);
	assert_plays(&r, ATT_PROMPT_GOODBYE);
	attendant_free(r.a);
}

/* The ID and the menu share the keys: an ID starting with a menu digit,
 * typed over the welcome, resolves as typed; a lone digit that names no
 * language (or on a one-language number) is a wrong ID as before. */
static void test_menu_leaves_ids_alone(void **state)
{
	const struct att_action *x;
	struct run r;

	(void)state;
	start_langs(&r, 2);
	type(&r, "2");
	type(&r, "829173#");
	x = find(&r, ATT_ACT_RESOLVE);
	assert_non_null(x);
	assert_string_equal(x->digits, "2829173");
	assert_null(find(&r, ATT_ACT_LANGUAGE));
	attendant_free(r.a);

	start_langs(&r, 2);
	type(&r, "3#");
	assert_null(find(&r, ATT_ACT_LANGUAGE));
	assert_string_equal(find(&r, ATT_ACT_RESOLVE)->digits, "3");
	ev_res(&r, ATT_EV_RESOLVED, false, false);
	assert_plays(&r, ATT_PROMPT_NOT_VALID);
	type(&r, "0#");
	assert_null(find(&r, ATT_ACT_LANGUAGE));
	assert_string_equal(find(&r, ATT_ACT_RESOLVE)->digits, "0");
	attendant_free(r.a);

	start_langs(&r, 1);
	type(&r, "1#");
	assert_null(find(&r, ATT_ACT_LANGUAGE));
	assert_string_equal(find(&r, ATT_ACT_RESOLVE)->digits, "1");
	attendant_free(r.a);

	/* after the ID, digits are the PIN's, never the menu's */
	start_langs(&r, 2);
	valid_id(&r, false);
	type(&r, "*");
	type(&r, "2#");
	assert_null(find(&r, ATT_ACT_LANGUAGE));
	assert_non_null(find(&r, ATT_ACT_VERIFY_PIN));
	attendant_free(r.a);
}

/* A leg from another node, at the conference's home (issue 13): no ID,
 * no PIN; an organizer joins, a participant of a bypassing conference
 * joins, a lobby caller waits for the organizer; the room is checked. */
static void bridged(struct run *r, bool organizer, bool bypass,
		    unsigned max_parts)
{
	struct att_event e = {.type = ATT_EV_BRIDGED, .organizer = organizer,
			      .bypass = bypass, .max_parts = max_parts};

	memset(r, 0, sizeof(*r));
	assert_int_equal(attendant_alloc(&r->a, NULL), 0);
	assert_int_equal(attendant_handle(r->a, &e, r->acts, &r->n), 0);
}

static void test_bridged_leg(void **state)
{
	struct run r;

	(void)state;
	bridged(&r, true, false, 2);
	assert_non_null(find(&r, ATT_ACT_ROOM));
	room(&r, 1);
	assert_plays(&r, ATT_PROMPT_JOINING);
	assert_true(find(&r, ATT_ACT_JOIN)->organizer);
	assert_int_equal(attendant_state(r.a), ATT_S_JOINED);
	ev(&r, ATT_EV_BRIDGED); /* once only */
	assert_int_equal(r.n, 0);
	attendant_free(r.a);

	bridged(&r, false, true, 2);
	assert_non_null(find(&r, ATT_ACT_ROOM));
	room(&r, 2); /* full, counting every node's callers */
	assert_plays(&r, ATT_PROMPT_FULL);
	attendant_free(r.a);

	bridged(&r, false, false, 0);
	assert_plays(&r, ATT_PROMPT_WAIT);
	assert_non_null(find(&r, ATT_ACT_LOBBY));
	assert_int_equal(attendant_state(r.a), ATT_S_LOBBY);
	ev(&r, ATT_EV_ORGANIZER_ARRIVED);
	assert_non_null(find(&r, ATT_ACT_RECHECK));
	attendant_free(r.a);
}

/* A leg into a conference locked at its home: a participant is turned
 * away with the lock's goodbye, the organizer still gets in. */
static void test_bridged_leg_locked(void **state)
{
	struct att_event e = {.type = ATT_EV_BRIDGED, .bypass = true,
			      .locked = true};
	struct run r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(attendant_alloc(&r.a, NULL), 0);
	assert_int_equal(attendant_handle(r.a, &e, r.acts, &r.n), 0);
	assert_plays(&r, ATT_PROMPT_MEETING_LOCKED);
	assert_null(find(&r, ATT_ACT_JOIN));
	assert_int_equal(attendant_state(r.a), ATT_S_ENDING);
	attendant_free(r.a);

	e.organizer = true;
	memset(&r, 0, sizeof(r));
	assert_int_equal(attendant_alloc(&r.a, NULL), 0);
	assert_int_equal(attendant_handle(r.a, &e, r.acts, &r.n), 0);
	assert_non_null(find(&r, ATT_ACT_ROOM));
	attendant_free(r.a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prompt_then_first_digit_timer),
		cmocka_unit_test(test_barge_in_stops_prompt),
		cmocka_unit_test(test_three_invalid_ids_hang_up),
		cmocka_unit_test(test_malformed_and_timeouts),
		cmocka_unit_test(test_inter_digit_timeout_submits),
		cmocka_unit_test(test_organizer_with_pin),
		cmocka_unit_test(test_wrong_pin_three_times),
		cmocka_unit_test(test_lobby_until_organizer),
		cmocka_unit_test(test_bypass_joins_at_once),
		cmocka_unit_test(test_mute_and_help),
		cmocka_unit_test(test_hangup_anywhere),
		cmocka_unit_test(test_stray_events),
		cmocka_unit_test(test_revoked_in_lobby),
		cmocka_unit_test(test_recheck_fails),
		cmocka_unit_test(test_revoked_after_join_ignored),
		cmocka_unit_test(test_revoked_during_pin),
		cmocka_unit_test(test_lobby_timeout),
		cmocka_unit_test(test_full_conference_turns_away),
		cmocka_unit_test(test_admin_admits_as_organizer),
		cmocka_unit_test(test_closed_organizer_path),
		cmocka_unit_test(test_blocked_source_goodbye),
		cmocka_unit_test(test_type_ahead_while_checking),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_jitsi_forward),
		cmocka_unit_test(test_organizer_keys),
		cmocka_unit_test(test_organizer_keys_others),
		cmocka_unit_test(test_mute_from_outside),
		cmocka_unit_test(test_remove_and_end),
		cmocka_unit_test(test_locked_conference),
		cmocka_unit_test(test_menu_after_welcome),
		cmocka_unit_test(test_menu_digit_switches_language),
		cmocka_unit_test(test_menu_leaves_ids_alone),
		cmocka_unit_test(test_bridged_leg),
		cmocka_unit_test(test_bridged_leg_locked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
