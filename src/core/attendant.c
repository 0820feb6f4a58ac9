/* attendant: the auto attendant state machine (see attendant.h for the
 * flow). Every handler appends actions to an out list of fixed size; no
 * handler produces more than ATT_ACTIONS_MAX. Digits are kept only for the
 * entry being typed and wiped once handed out, since a PIN passes here.
 *
 * Callers type ahead: a '*' or a PIN keyed while the ID is still being
 * checked is kept (up to ATT_DIGITS_MAX digits) and played into the
 * machine, in order, once the answer has moved it on, as if typed then. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/attendant.h"

struct attendant {
	struct att_config cfg;
	enum att_state state;
	char digits[ATT_DIGITS_SIZE];
	size_t ndigits;
	bool overflow;     /* more than ATT_DIGITS_MAX digits: malformed */
	bool playing;      /* a prompt was started and not stopped or done */
	bool bypass;
	bool closed;       /* the organizer path of this conference */
	unsigned max_parts; /* the conference's maxParticipants, 0: none */
	bool organizer;
	bool muted;
	bool locked;       /* the conference is locked (RESOLVED, LOCK) */
	bool claimed;      /* '*' on a closed organizer path: an admin's
			    * admission makes this caller the organizer */
	bool star;         /* in the conference: '*' typed, command next */
	char ahead[ATT_DIGITS_MAX]; /* typed while an answer was awaited */
	size_t nahead;
	unsigned id_tries;
	unsigned pin_tries;
	unsigned languages; /* the number's, capped at ATT_LANGUAGES_MAX */
};

/* The list handlers append to. */
struct out {
	struct att_action *acts;
	size_t n;
};

void att_config_default(struct att_config *cfg)
{
	cfg->first_digit_ms = 10000;
	cfg->inter_digit_ms = 5000;
	cfg->star_ms = 3000;
	cfg->id_attempts = 3;
	cfg->pin_attempts = 3;
	cfg->lobby_ms = 30 * 60 * 1000;
}

int attendant_alloc(struct attendant **ap, const struct att_config *cfg)
{
	struct attendant *a;

	if (!ap)
		return EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return ENOMEM;
	if (cfg)
		a->cfg = *cfg;
	else
		att_config_default(&a->cfg);
	a->state = ATT_S_IDLE;
	*ap = a;
	return 0;
}

void attendant_free(struct attendant *a)
{
	if (!a)
		return;
	explicit_bzero(a->digits, sizeof(a->digits));
	explicit_bzero(a->ahead, sizeof(a->ahead));
	free(a);
}

static struct att_action *push(struct out *o, enum att_action_type type)
{
	struct att_action *x;

	if (o->n >= ATT_ACTIONS_MAX) /* a bug in a handler: keep memory safe */
		abort();
	x = &o->acts[o->n++];
	memset(x, 0, sizeof(*x));
	x->type = type;
	return x;
}

static void play(struct attendant *a, struct out *o, enum att_prompt p)
{
	push(o, ATT_ACT_PLAY)->prompt = p;
	a->playing = true;
}

static void timer(struct out *o, unsigned ms)
{
	push(o, ATT_ACT_TIMER)->ms = ms;
}

static void digits_clear(struct attendant *a)
{
	explicit_bzero(a->digits, sizeof(a->digits));
	a->ndigits = 0;
	a->overflow = false;
}

static void ahead_clear(struct attendant *a)
{
	explicit_bzero(a->ahead, sizeof(a->ahead));
	a->nahead = 0;
}

/* States that wait for an answer from outside; digits typed meanwhile are
 * kept for later. */
static bool awaiting(enum att_state s)
{
	return s == ATT_S_RESOLVING || s == ATT_S_VERIFYING ||
	       s == ATT_S_ENTERING;
}

/* Hand the entry to an action and forget it here. */
static void digits_out(struct attendant *a, struct att_action *x)
{
	memcpy(x->digits, a->digits, a->ndigits);
	x->digits[a->ndigits] = '\0';
	digits_clear(a);
}

static void goodbye(struct attendant *a, struct out *o)
{
	timer(o, 0);
	play(a, o, ATT_PROMPT_GOODBYE);
	a->state = ATT_S_ENDING;
}

/* On the way in: first how many are in already (ATT_EV_ROOM). */
static void join(struct attendant *a, struct out *o)
{
	timer(o, 0);
	a->state = ATT_S_ENTERING;
	push(o, ATT_ACT_ROOM);
}

static void on_room(struct attendant *a, struct out *o, unsigned n)
{
	if (a->max_parts && n >= a->max_parts) {
		timer(o, 0);
		play(a, o, ATT_PROMPT_FULL);
		a->state = ATT_S_ENDING;
		return;
	}
	a->state = ATT_S_JOINED;
	play(a, o, ATT_PROMPT_JOINING);
	push(o, ATT_ACT_JOIN)->organizer = a->organizer;
}

/* The end of a call with a last word: goodbye, or why. */
static void end_with(struct attendant *a, struct out *o, enum att_prompt p)
{
	timer(o, 0);
	digits_clear(a);
	ahead_clear(a);
	play(a, o, p);
	a->state = ATT_S_ENDING;
}

/* An unknown, revoked or malformed ID, or none at all (SPEC §6). */
static void id_invalid(struct attendant *a, struct out *o)
{
	digits_clear(a);
	a->id_tries++;
	if (a->id_tries >= a->cfg.id_attempts) {
		goodbye(a, o);
		return;
	}
	a->state = ATT_S_COLLECT_ID;
	play(a, o, ATT_PROMPT_NOT_VALID);
}

static void pin_wrong(struct attendant *a, struct out *o)
{
	digits_clear(a);
	a->pin_tries++;
	if (a->pin_tries >= a->cfg.pin_attempts) {
		goodbye(a, o);
		return;
	}
	a->state = ATT_S_COLLECT_PIN;
	play(a, o, ATT_PROMPT_WRONG_PIN);
}

/* The welcome, then on a number of several languages the menu: each
 * other language offers itself, in itself, under its digit. */
static void welcome(struct attendant *a, struct out *o, bool menu)
{
	unsigned i;

	play(a, o, ATT_PROMPT_WELCOME);
	for (i = 1; menu && i < a->languages; i++)
		push(o, ATT_ACT_MENU)->lang = i;
}

/* A one-digit ID entry naming one of the number's languages (1 its first):
 * never an ID (those have 7 digits), so it is the menu's. */
static bool menu_choice(const struct attendant *a, unsigned *lang)
{
	if (a->state != ATT_S_COLLECT_ID || a->languages < 2 ||
	    a->ndigits != 1 || a->overflow || a->digits[0] < '1' ||
	    (unsigned)(a->digits[0] - '1') >= a->languages)
		return false;
	*lang = (unsigned)(a->digits[0] - '1');
	return true;
}

/* '#' or the inter-digit timeout ends an entry. An empty or over-long one
 * cannot be right and is refused without asking anyone; a lone menu digit
 * switches the language and welcomes the caller in it, costing no try. */
static void submit(struct attendant *a, struct out *o)
{
	bool id = a->state == ATT_S_COLLECT_ID;
	unsigned lang;

	timer(o, 0);
	if (menu_choice(a, &lang)) {
		digits_clear(a);
		push(o, ATT_ACT_LANGUAGE)->lang = lang;
		welcome(a, o, false);
		return;
	}
	if (a->ndigits == 0 || a->overflow) {
		if (id)
			id_invalid(a, o);
		else
			pin_wrong(a, o);
		return;
	}
	a->state = id ? ATT_S_RESOLVING : ATT_S_VERIFYING;
	digits_out(a, push(o, id ? ATT_ACT_RESOLVE : ATT_ACT_VERIFY_PIN));
}

/* Not the organizer (or the organizer path is closed, and the caller
 * hears so instead of the usual wait prompt): in at once where the lobby
 * may be bypassed, else the lobby, for at most lobby_ms. */
static void no_star(struct attendant *a, struct out *o, enum att_prompt p)
{
	if (a->locked) { /* new callers stay out; the organizer has a PIN */
		end_with(a, o, ATT_PROMPT_MEETING_LOCKED);
		return;
	}
	if (a->bypass) {
		join(a, o);
		return;
	}
	timer(o, a->cfg.lobby_ms);
	a->state = ATT_S_LOBBY;
	play(a, o, p);
	push(o, ATT_ACT_LOBBY);
}

static void on_digit_collect(struct attendant *a, struct out *o, char d)
{
	if (a->playing) { /* barge-in: typing stops the prompt */
		push(o, ATT_ACT_STOP_PLAY);
		a->playing = false;
	}
	if (d == '#') {
		submit(a, o);
		return;
	}
	if (d < '0' || d > '9')
		return;
	if (a->ndigits < ATT_DIGITS_MAX)
		a->digits[a->ndigits++] = d;
	else
		a->overflow = true;
	timer(o, a->cfg.inter_digit_ms);
}

static void on_digit_joined(struct attendant *a, struct out *o, char d)
{
	if (!a->star) {
		a->star = d == '*';
		return;
	}
	a->star = false;
	if (d == '6') {
		a->muted = !a->muted;
		push(o, ATT_ACT_MUTE)->muted = a->muted;
	}
	else if (d == '1' || (!a->organizer && d >= '7' && d <= '9')) {
		play(a, o, ATT_PROMPT_HELP);
	}
	else if (d == '7') {
		a->locked = !a->locked;
		push(o, ATT_ACT_LOCK)->locked = a->locked;
		play(a, o, a->locked ? ATT_PROMPT_NOW_LOCKED
				     : ATT_PROMPT_NOW_UNLOCKED);
	}
	else if (d == '8') {
		push(o, ATT_ACT_ADMIT_LOBBY);
		play(a, o, ATT_PROMPT_LOBBY_ADMITTED);
	}
	else if (d == '9') {
		push(o, ATT_ACT_MUTE_OTHERS);
		play(a, o, ATT_PROMPT_ALL_MUTED);
	}
}

static void on_digit(struct attendant *a, struct out *o, char d)
{
	switch (a->state) {
	case ATT_S_COLLECT_ID:
	case ATT_S_COLLECT_PIN:
		on_digit_collect(a, o, d);
		break;
	case ATT_S_ASK_STAR:
		if (d == '#') {
			no_star(a, o, ATT_PROMPT_WAIT);
		}
		else if (d == '*' && a->closed) {
			a->claimed = true;
			no_star(a, o, ATT_PROMPT_ORGANIZER_CLOSED);
		}
		else if (d == '*') {
			timer(o, 0);
			a->state = ATT_S_COLLECT_PIN;
			digits_clear(a);
			play(a, o, ATT_PROMPT_ENTER_PIN);
		}
		break;
	case ATT_S_JOINED:
		on_digit_joined(a, o, d);
		break;
	default:
		if (awaiting(a->state) && a->nahead < sizeof(a->ahead))
			a->ahead[a->nahead++] = d;
		break;
	}
}

/* After an answer: the digits typed while it was awaited, in order, until
 * the machine waits again (the rest stays kept) or has ended. Each digit
 * adds at most 4 actions (ATT_ACTIONS_MAX counts on it). */
static void replay_ahead(struct attendant *a, struct out *o)
{
	char keys[sizeof(a->ahead)];
	size_t n = a->nahead, i;

	if (n == 0 || awaiting(a->state))
		return;
	memcpy(keys, a->ahead, n);
	ahead_clear(a);
	for (i = 0; i < n && a->state != ATT_S_DONE; i++)
		on_digit(a, o, keys[i]);
	explicit_bzero(keys, sizeof(keys));
}

static void on_timeout(struct attendant *a, struct out *o)
{
	if (a->state == ATT_S_COLLECT_ID || a->state == ATT_S_COLLECT_PIN)
		submit(a, o);
	else if (a->state == ATT_S_ASK_STAR)
		no_star(a, o, ATT_PROMPT_WAIT);
	else if (a->state == ATT_S_LOBBY)
		end_with(a, o, ATT_PROMPT_LOBBY_TIMEOUT);
}

static void on_prompt_done(struct attendant *a, struct out *o)
{
	a->playing = false;
	switch (a->state) {
	case ATT_S_COLLECT_ID:
	case ATT_S_COLLECT_PIN:
		/* Typed digits already run the inter-digit timer. */
		if (a->ndigits == 0 && !a->overflow)
			timer(o, a->cfg.first_digit_ms);
		break;
	case ATT_S_ASK_STAR:
		timer(o, a->cfg.star_ms);
		break;
	case ATT_S_ENDING:
		a->state = ATT_S_DONE;
		push(o, ATT_ACT_HANGUP);
		break;
	default:
		break;
	}
}

static void on_resolved(struct attendant *a, struct out *o,
			const struct att_event *ev)
{
	if (ev->blocked) {
		goodbye(a, o);
		return;
	}
	if (!ev->valid) {
		id_invalid(a, o);
		return;
	}
	if (ev->forward) { /* the Jitsi room has its own lobby */
		timer(o, 0);
		a->state = ATT_S_FORWARDED;
		play(a, o, ATT_PROMPT_JOINING);
		push(o, ATT_ACT_FORWARD);
		return;
	}
	a->bypass = ev->bypass;
	a->closed = ev->closed;
	a->locked = ev->locked;
	a->max_parts = ev->max_parts;
	a->state = ATT_S_ASK_STAR;
	play(a, o, ATT_PROMPT_ORGANIZER);
}

static void on_pin(struct attendant *a, struct out *o,
		   const struct att_event *ev)
{
	if (ev->blocked) {
		goodbye(a, o);
		return;
	}
	if (ev->closed) { /* closed while the PIN was typed */
		a->closed = true;
		no_star(a, o, ATT_PROMPT_ORGANIZER_CLOSED);
		return;
	}
	if (!ev->valid) {
		pin_wrong(a, o);
		return;
	}
	a->organizer = true;
	join(a, o);
}

/* The organizer arrived: the ID is checked once more before the join,
 * since it may have been revoked while the caller waited. */
static void admit(struct attendant *a, struct out *o)
{
	timer(o, 0);
	a->state = ATT_S_ADMITTING;
	push(o, ATT_ACT_RECHECK);
}

/* Only a caller who has not joined yet is put out by a revocation. */
static bool before_join(enum att_state s)
{
	return s == ATT_S_ASK_STAR || s == ATT_S_COLLECT_PIN ||
	       s == ATT_S_VERIFYING || s == ATT_S_LOBBY ||
	       s == ATT_S_ADMITTING;
}

static void dispatch(struct attendant *a, const struct att_event *ev,
		     struct out *o)
{
	enum att_state s = a->state;

	switch (ev->type) {
	case ATT_EV_ANSWERED:
		if (s != ATT_S_IDLE)
			break;
		a->state = ATT_S_COLLECT_ID;
		a->languages = ev->languages < ATT_LANGUAGES_MAX ?
			       ev->languages : ATT_LANGUAGES_MAX;
		welcome(a, o, true);
		break;
	case ATT_EV_DIGIT:
		on_digit(a, o, ev->digit);
		break;
	case ATT_EV_TIMEOUT:
		on_timeout(a, o);
		break;
	case ATT_EV_PROMPT_DONE:
		on_prompt_done(a, o);
		break;
	case ATT_EV_RESOLVED:
		if (s == ATT_S_RESOLVING)
			on_resolved(a, o, ev);
		break;
	case ATT_EV_PIN_RESULT:
		if (s == ATT_S_VERIFYING)
			on_pin(a, o, ev);
		break;
	case ATT_EV_ORGANIZER_ARRIVED:
		if (s == ATT_S_LOBBY)
			admit(a, o);
		break;
	case ATT_EV_ADMIT:
		if (s == ATT_S_LOBBY) {
			a->organizer = a->claimed;
			admit(a, o);
		}
		break;
	case ATT_EV_RECHECKED:
		if (s == ATT_S_ADMITTING && ev->valid)
			join(a, o);
		else if (s == ATT_S_ADMITTING)
			end_with(a, o, ATT_PROMPT_NO_LONGER_VALID);
		break;
	case ATT_EV_ROOM:
		if (s == ATT_S_ENTERING)
			on_room(a, o, ev->participants);
		break;
	case ATT_EV_BRIDGED:
		/* Its own node asked the ID, '*' and the PIN already; here,
		 * at the conference's home, the lobby and the room. */
		if (s != ATT_S_IDLE)
			break;
		a->bypass = ev->bypass;
		a->max_parts = ev->max_parts;
		a->organizer = ev->organizer;
		a->locked = ev->locked;
		if (a->organizer)
			join(a, o);
		else
			no_star(a, o, ATT_PROMPT_WAIT);
		break;
	case ATT_EV_FORWARD_FAILED:
		if (s == ATT_S_FORWARDED)
			end_with(a, o, ATT_PROMPT_GOODBYE);
		break;
	case ATT_EV_REVOKED:
		if (before_join(s))
			end_with(a, o, ATT_PROMPT_NO_LONGER_VALID);
		break;
	case ATT_EV_MUTE:
		if (s == ATT_S_JOINED && a->muted != ev->valid) {
			a->muted = ev->valid;
			push(o, ATT_ACT_MUTE)->muted = a->muted;
		}
		break;
	case ATT_EV_LOCK:
		a->locked = ev->valid;
		break;
	case ATT_EV_REMOVE:
	case ATT_EV_END:
		if (s == ATT_S_IDLE || s == ATT_S_ENDING || s == ATT_S_DONE)
			break;
		push(o, ATT_ACT_LEAVE);
		end_with(a, o, ev->type == ATT_EV_END ? ATT_PROMPT_MEETING_ENDED
						      : ATT_PROMPT_REMOVED);
		break;
	case ATT_EV_HANGUP:
		if (s == ATT_S_DONE)
			break;
		a->state = ATT_S_DONE;
		digits_clear(a);
		ahead_clear(a);
		timer(o, 0);
		break;
	}
	if (ev->type != ATT_EV_DIGIT)
		replay_ahead(a, o);
}

int attendant_handle(struct attendant *a, const struct att_event *ev,
		     struct att_action *acts, size_t *n)
{
	struct out o = {acts, 0};

	if (!a || !ev || !acts || !n)
		return EINVAL;
	dispatch(a, ev, &o);
	*n = o.n;
	return 0;
}

enum att_state attendant_state(const struct attendant *a)
{
	return a->state;
}

bool attendant_organizer(const struct attendant *a)
{
	return a->organizer;
}

#define CALL_STATE_DEF(id, n, l) [ATT_CALL_##id] = { .name = n, .label = l },

const struct att_call_state_def attendant_call_states[ATT_CALL_STATE_COUNT] = {
	ATT_CALL_STATES(CALL_STATE_DEF, )
};

const char *attendant_state_name(enum att_state s)
{
	switch (s) {
	case ATT_S_IDLE:
		return "idle";
	case ATT_S_COLLECT_ID:
	case ATT_S_RESOLVING:
	case ATT_S_ASK_STAR: /* still the attendant's questions, no '*' yet */
		return attendant_call_states[ATT_CALL_COLLECTING_ID].name;
	case ATT_S_COLLECT_PIN:
	case ATT_S_VERIFYING:
		return attendant_call_states[ATT_CALL_ORGANIZER_PIN].name;
	case ATT_S_LOBBY:
	case ATT_S_ADMITTING:
	case ATT_S_ENTERING: /* never seen: ATT_EV_ROOM follows at once */
		return attendant_call_states[ATT_CALL_LOBBY].name;
	case ATT_S_JOINED:
	case ATT_S_FORWARDED:
		return attendant_call_states[ATT_CALL_IN_CONFERENCE].name;
	case ATT_S_ENDING:
	case ATT_S_DONE:
		return "ending";
	}
	return "unknown";
}

const char *attendant_prompt_name(enum att_prompt p)
{
	static const char *const names[ATT_PROMPT_COUNT] = {
		[ATT_PROMPT_WELCOME] = "welcome-enter-id",
		[ATT_PROMPT_NOT_VALID] = "not-valid",
		[ATT_PROMPT_GOODBYE] = "goodbye",
		[ATT_PROMPT_ORGANIZER] = "organizer-press-star",
		[ATT_PROMPT_ENTER_PIN] = "enter-pin",
		[ATT_PROMPT_WRONG_PIN] = "wrong-pin",
		[ATT_PROMPT_WAIT] = "wait-for-organizer",
		[ATT_PROMPT_JOINING] = "joining",
		[ATT_PROMPT_HELP] = "help",
		[ATT_PROMPT_NO_LONGER_VALID] = "no-longer-valid",
		[ATT_PROMPT_LOBBY_TIMEOUT] = "lobby-timeout",
		[ATT_PROMPT_ORGANIZER_CLOSED] = "organizer-closed",
		[ATT_PROMPT_FULL] = "conference-full",
		[ATT_PROMPT_MEETING_LOCKED] = "meeting-locked",
		[ATT_PROMPT_REMOVED] = "removed",
		[ATT_PROMPT_MEETING_ENDED] = "meeting-ended",
		[ATT_PROMPT_NOW_LOCKED] = "now-locked",
		[ATT_PROMPT_NOW_UNLOCKED] = "now-unlocked",
		[ATT_PROMPT_LOBBY_ADMITTED] = "lobby-admitted",
		[ATT_PROMPT_ALL_MUTED] = "all-muted",
	};

	return (unsigned)p < ATT_PROMPT_COUNT ? names[p] : "unknown";
}
