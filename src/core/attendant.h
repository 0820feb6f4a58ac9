/* attendant: the auto attendant of SPEC §6 as a pure state machine.
 *
 * The driver (src/sip/) feeds it events (the call was answered, a digit, a
 * timer ran out, a prompt finished, the ID was resolved, the PIN was
 * checked, the organizer arrived, the caller hung up) and carries out the
 * actions it answers with (play a prompt, arm or cancel the one timer,
 * resolve the digits, verify the PIN, join, wait in the lobby, hang up).
 * It does no I/O and keeps no clock: timers are durations the driver arms.
 *
 *   answer -> "welcome, enter ID#" (in the number's first language, then
 *     "for <language> press N" in each of its others) -> ID# -> resolve
 *     a lone digit N (N#, or N and the inter-digit pause) naming one of
 *       the number's languages: that language from now on, welcome again
 *       (an ID has 7 digits, so a one-digit entry is never one: the menu
 *       and the ID share the keys without ambiguity, barge-in included)
 *     invalid: "not valid" and again, three attempts, then "goodbye", hang up
 *     valid:   "organizer press star" -> '*' -> "enter PIN" -> PIN# -> verify
 *                 right: join as organizer; wrong: three attempts, goodbye
 *              no '*' (timeout or '#') -> join at once when the organization
 *                 lets callers bypass the lobby, else the lobby until the
 *                 organizer arrives
 *   joining: a conference of maxParticipants already is full: "this
 *     conference is full", goodbye;
 *   in the conference: "*6" mute/unmute, "*1" help; the organizer's
 *     "*7" lock/unlock, "*8" let the lobby in, "*9" mute everyone else
 *     (anyone else pressing them hears the help).
 *   live control from outside (an admin, the organizer's keys): mute or
 *     unmute a caller in the conference, remove a caller ("removed",
 *     hang up), end the conference ("meeting-ended", hang up), lock it: a
 *     caller who is not the organizer and not already in the lobby hears
 *     "meeting-locked" and is hung up instead of waiting or joining.
 *   a Jitsi Meet room's ID (SPEC §7): "joining", and the call is sent on
 *     to the room's gateway (no organizer question, no lobby, no PIN: the
 *     room has its own); the gateway refusing it ends it with goodbye.
 *
 * The phone edge is hostile (SPEC §6), so also: a caller whose source the
 * guard blocks hears goodbye at once; a conference whose organizer path
 * is closed sends '*' to the lobby; the lobby has a time limit; an ID
 * revoked while the caller has not joined ends the call ("no longer
 * valid"); and leaving the lobby re-checks the ID first. */
#ifndef DIALCONF_CORE_ATTENDANT_H
#define DIALCONF_CORE_ATTENDANT_H

#include <stdbool.h>
#include <stddef.h>

#define ATT_DIGITS_MAX 16   /* digits kept of one entry; more is malformed */
#define ATT_DIGITS_SIZE (ATT_DIGITS_MAX + 1)
#define ATT_LANGUAGES_MAX 9 /* a number's languages: one menu digit each */
/* Actions one event can produce: at most 9 of its own (the welcome and a
 * menu entry per other language), plus at most 4 for each digit typed
 * ahead while an answer was awaited (see attendant.c). */
#define ATT_ACTIONS_MAX (ATT_LANGUAGES_MAX + 4 * ATT_DIGITS_MAX)

enum att_prompt {
	ATT_PROMPT_WELCOME,      /* welcome-enter-id */
	ATT_PROMPT_NOT_VALID,
	ATT_PROMPT_GOODBYE,
	ATT_PROMPT_ORGANIZER,    /* organizer-press-star */
	ATT_PROMPT_ENTER_PIN,
	ATT_PROMPT_WRONG_PIN,
	ATT_PROMPT_WAIT,         /* wait-for-organizer */
	ATT_PROMPT_JOINING,
	ATT_PROMPT_HELP,
	ATT_PROMPT_NO_LONGER_VALID,
	ATT_PROMPT_LOBBY_TIMEOUT,
	ATT_PROMPT_ORGANIZER_CLOSED,
	ATT_PROMPT_FULL,         /* conference-full */
	ATT_PROMPT_MEETING_LOCKED,
	ATT_PROMPT_REMOVED,
	ATT_PROMPT_MEETING_ENDED,
	ATT_PROMPT_NOW_LOCKED,
	ATT_PROMPT_NOW_UNLOCKED,
	ATT_PROMPT_LOBBY_ADMITTED,
	ATT_PROMPT_ALL_MUTED,
	ATT_PROMPT_COUNT,
};

enum att_state {
	ATT_S_IDLE,        /* not answered yet */
	ATT_S_COLLECT_ID,
	ATT_S_RESOLVING,   /* waiting for ATT_EV_RESOLVED */
	ATT_S_ASK_STAR,    /* "if you are the organizer, press star" */
	ATT_S_COLLECT_PIN,
	ATT_S_VERIFYING,   /* waiting for ATT_EV_PIN_RESULT */
	ATT_S_LOBBY,
	ATT_S_ADMITTING,   /* leaving the lobby: waiting for ATT_EV_RECHECKED */
	ATT_S_ENTERING,    /* about to join: waiting for ATT_EV_ROOM */
	ATT_S_JOINED,
	ATT_S_FORWARDED,   /* sent on to a Jitsi room's gateway */
	ATT_S_ENDING,      /* playing goodbye, then hang up */
	ATT_S_DONE,
};

enum att_event_type {
	ATT_EV_ANSWERED,    /* languages: how many the number offers */
	ATT_EV_DIGIT,       /* digit: '0'-'9', '*', '#' */
	ATT_EV_TIMEOUT,     /* the timer of the last ATT_ACT_TIMER ran out */
	ATT_EV_PROMPT_DONE, /* the last prompt played to its end */
	ATT_EV_RESOLVED,    /* valid, bypass */
	ATT_EV_PIN_RESULT,  /* valid */
	ATT_EV_ORGANIZER_ARRIVED,
	ATT_EV_ADMIT,       /* an admin lets a lobby caller in: as the organizer
			     * when it pressed '*' on a closed organizer path */
	ATT_EV_RECHECKED,   /* valid: the ID still works at the moment of joining */
	ATT_EV_REVOKED,     /* the ID stopped working before the caller joined */
	ATT_EV_ROOM,        /* participants: how many are in the conference now */
	ATT_EV_FORWARD_FAILED, /* the gateway refused or could not be reached */
	ATT_EV_BRIDGED,     /* a caller of another node, bridged to this home
			     * after its own node's ID and PIN: organizer,
			     * bypass (false: the lobby), max_parts */
	ATT_EV_HANGUP,
	ATT_EV_MUTE,        /* valid: muted from outside (true) or unmuted */
	ATT_EV_LOCK,        /* valid: the conference is now locked or not */
	ATT_EV_REMOVE,      /* an admin removes the caller */
	ATT_EV_END,         /* an admin ends the caller's conference */
};

struct att_event {
	enum att_event_type type;
	char digit;
	bool valid;   /* RESOLVED: a live ID; PIN_RESULT: the PIN is right;
		       * RECHECKED: still live */
	bool bypass;  /* RESOLVED: callers may skip the lobby */
	bool forward; /* RESOLVED: a Jitsi room's ID: send the call on */
	bool closed;  /* RESOLVED, PIN_RESULT: the organizer path is closed */
	bool blocked; /* RESOLVED, PIN_RESULT: the caller's source is now
		       * refused by the guard: goodbye at once */
	bool locked;  /* RESOLVED, BRIDGED: the conference is locked */
	unsigned max_parts;    /* RESOLVED: maxParticipants, 0: no limit */
	unsigned participants; /* ROOM */
	unsigned languages;    /* ANSWERED: the dialed number's, 0-1: no menu */
	bool organizer;        /* BRIDGED: came in as the organizer */
};

enum att_action_type {
	ATT_ACT_PLAY,       /* prompt; replaces whatever plays */
	ATT_ACT_STOP_PLAY,  /* the caller typed over the prompt (barge-in) */
	ATT_ACT_TIMER,      /* ms: (re)arm the one timer; 0 cancels it */
	ATT_ACT_RESOLVE,    /* digits: look the conference ID up */
	ATT_ACT_VERIFY_PIN, /* digits: check the PIN (never log them) */
	ATT_ACT_LOBBY,      /* wait for the organizer (hold tone) */
	ATT_ACT_JOIN,       /* organizer: joined as the organizer */
	ATT_ACT_MUTE,       /* muted: the new mute state */
	ATT_ACT_RECHECK,    /* is the resolved ID still valid? */
	ATT_ACT_ROOM,       /* how many are in the conference? (ATT_EV_ROOM) */
	ATT_ACT_FORWARD,    /* send the call on to the Jitsi room's gateway */
	ATT_ACT_HANGUP,
	ATT_ACT_LEAVE,      /* out of the mix now (the last words are ours) */
	ATT_ACT_LOCK,       /* organizer: lock (locked) or unlock the conference */
	ATT_ACT_ADMIT_LOBBY, /* organizer: let the conference's lobby in */
	ATT_ACT_MUTE_OTHERS, /* organizer: mute everyone else in it */
	ATT_ACT_MENU,       /* lang: after what plays, "for <language lang>
			     * press <lang + 1>" in that language */
	ATT_ACT_LANGUAGE,   /* lang: the number's languages[lang] speaks the
			     * prompts from now on */
};

struct att_action {
	enum att_action_type type;
	enum att_prompt prompt;
	unsigned ms;
	bool organizer;
	bool muted;
	bool locked;
	unsigned lang;      /* MENU, LANGUAGE: an index into the number's
			     * languages, 0 its first */
	char digits[ATT_DIGITS_SIZE];
};

/* Durations and limits; att_config_default() gives SPEC §6's. */
struct att_config {
	unsigned first_digit_ms; /* after a prompt ends, for the first digit */
	unsigned inter_digit_ms; /* between digits */
	unsigned star_ms;        /* for '*' after the organizer prompt ends */
	unsigned lobby_ms;       /* longest wait in the lobby, 0: no limit */
	unsigned id_attempts;
	unsigned pin_attempts;
};

void att_config_default(struct att_config *cfg);

struct attendant;

/* A machine in ATT_S_IDLE with cfg (NULL: the defaults). 0 or ENOMEM. */
int attendant_alloc(struct attendant **ap, const struct att_config *cfg);
void attendant_free(struct attendant *a);

/* Feed one event; the actions to carry out, in order, go to acts (room for
 * ATT_ACTIONS_MAX) and their count to *n. Events that make no sense in the
 * current state are ignored (*n = 0). 0, or EINVAL for a NULL argument. */
int attendant_handle(struct attendant *a, const struct att_event *ev,
		     struct att_action *acts, size_t *n);

enum att_state attendant_state(const struct attendant *a);
bool attendant_organizer(const struct attendant *a);

/* ATT_CALL_STATES(X, SEP): the states a live call shows in the API, the
 * metrics and the admin center (SPEC §7, GET /api/v1/meta), listed once:
 * X(ID, name, label) for each, SEP between two. */
#define ATT_CALL_STATES(X, SEP)						\
	X(COLLECTING_ID, "collecting-id", "Entering conference ID") SEP	\
	X(ORGANIZER_PIN, "organizer-pin", "Entering organizer PIN") SEP	\
	X(LOBBY, "lobby", "In the lobby") SEP				\
	X(IN_CONFERENCE, "in-conference", "In the conference")

#define ATT_CALL_ENUM_(id, name, label) ATT_CALL_##id,

enum att_call_state {
	ATT_CALL_STATES(ATT_CALL_ENUM_, )
	ATT_CALL_STATE_COUNT /* keep last */
};

#undef ATT_CALL_ENUM_

struct att_call_state_def {
	const char *name;
	const char *label;
};

/* Every call state, indexed by enum att_call_state. */
extern const struct att_call_state_def
	attendant_call_states[ATT_CALL_STATE_COUNT];

/* Names for logs and the API: the call state of s (attendant_call_states)
 * and "ending"/"idle" before and after those. */
const char *attendant_state_name(enum att_state s);
/* The prompt's file name without extension: "welcome-enter-id". */
const char *attendant_prompt_name(enum att_prompt p);

#endif
