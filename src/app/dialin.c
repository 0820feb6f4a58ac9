/* dialin: the use cases the auto attendant (src/sip/) asks for (SPEC §6):
 * is this a dial-in number, who owns the typed conference ID, is the PIN
 * right, and the abuse guard.
 *
 * Resolution reads the database on every attempt and keeps nothing: the
 * moment a reset commits, the old ID resolves as revoked, on every node.
 *
 * The abuse guard is in memory (one node's view, lost on restart; every
 * failure is also in the audit log, which is durable): per source (caller
 * number and address) the times of its failed calls in a row; when the
 * last dialinFailureLimit of them fall within dialinFailureWindowMinutes
 * the source is refused for dialinCooloffMinutes. A successful ID clears
 * the run. The table is bounded: when it is full the entry unused longest
 * makes room, so a flood of sources costs memory once. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_priv.h"
#include "app/metrics.h"
#include "core/confid.h"
#include "core/e164.h"
#include "core/secret.h"

#define ABUSE_SLOTS 1024
#define ABUSE_RUN_MAX 100   /* dialinFailureLimit's upper bound */
#define SOURCE_SIZE APP_DIALIN_SOURCE_SIZE

struct abuse_slot {
	char source[SOURCE_SIZE]; /* "" = free */
	int64_t used_at;
	int64_t refused_until;
	int64_t fails[ABUSE_RUN_MAX]; /* ring of the run's failure times */
	unsigned nfails;              /* failures in a row, capped */
	unsigned head;                /* next ring slot */
};

struct app_dialin {
	pthread_mutex_t mtx;
	struct abuse_slot slots[ABUSE_SLOTS];
};

int app_dialin_init(struct app *a)
{
	a->dialin = calloc(1, sizeof(*a->dialin));
	if (!a->dialin)
		return ENOMEM;
	pthread_mutex_init(&a->dialin->mtx, NULL);
	return 0;
}

void app_dialin_fini(struct app *a)
{
	if (!a->dialin)
		return;
	pthread_mutex_destroy(&a->dialin->mtx);
	free(a->dialin);
	a->dialin = NULL;
}

void app_caller_mask(const char *caller, char *out, size_t size)
{
	size_t len, keep, i;

	if (!size)
		return;
	len = caller ? strnlen(caller, size - 1) : 0;
	/* Keep the country and area part, hide the last four: enough to
	 * tell callers apart in a list, not enough to call them back. */
	keep = len > 4 ? len - 4 : 0;
	for (i = 0; i < len; i++)
		out[i] = i < keep ? caller[i] : '*';
	out[len] = '\0';
}

int app_dialin_number(struct app *a, const char *user, char *e164,
		      size_t size)
{
	char raw[E164_SIZE + 1];
	struct store_number n;
	struct store *st;
	int e;

	/* The Request-URI user part, with or without '+' (SPEC §6). */
	if (!user || !user[0] || strnlen(user, E164_SIZE + 1) > E164_SIZE)
		return ENOENT;
	snprintf(raw, sizeof(raw), "%s%s", user[0] == '+' ? "" : "+", user);
	if (e164_normalize(raw, e164, size))
		return ENOENT;
	st = app_conn_get(a);
	e = store_number_get(st, e164, &n);
	app_conn_put(a, st);
	return e;
}

/* A live meeting ID reaches its meeting only while the meeting is not
 * cancelled and not past its end plus meetingIdGraceHours: checked here,
 * on every call, so the ID stops at once, not at the next sweep
 * (app_meeting_expire). */
static int meeting_open(struct store *st, int64_t id, bool *open)
{
	struct store_meeting m;
	long grace;
	int e;

	*open = false;
	e = store_meeting_get(st, id, &m);
	if (e == ENOENT)
		return 0;
	if (!e)
		e = app_setting_int(st, "meetingIdGraceHours", &grace);
	if (!e)
		*open = m.state == STORE_MEETING_SCHEDULED &&
			app_now() < m.end_at + grace * 3600;
	return e;
}

int app_confid_resolve(struct app *a, const char *digits,
		       struct app_dialin_target *t)
{
	struct store_confid c;
	struct store *st;
	uint32_t v;
	int e;

	memset(t, 0, sizeof(*t));
	if (!digits || confid_parse(digits, &v)) {
		metrics_inc(METRICS_DIALIN_INVALID);
		return 0; /* malformed: not valid */
	}
	st = app_conn_get(a);
	e = store_confid_lookup(st, v, &c);
	if (e == ENOENT) {
		e = 0;
		goto out;
	}
	if (e || c.revoked_at != 0)
		goto out;
	if (c.kind == STORE_CONFID_MEETING) {
		e = meeting_open(st, c.meeting_id, &t->valid);
		if (e || !t->valid)
			goto out;
	}
	t->valid = true;
	t->personal = c.kind == STORE_CONFID_PERSONAL;
	t->user_id = c.user_id;
	t->meeting_id = c.kind == STORE_CONFID_MEETING ? c.meeting_id : 0;
	confid_format(c.value, t->conference_id, sizeof(t->conference_id));
	e = app_setting_bool(st, "allowPstnUsersToBypassLobby", &t->bypass);
 out:
	app_conn_put(a, st);
	/* Unknown, revoked or closed: a wrong ID (a database error is not). */
	if (!e && !t->valid)
		metrics_inc(METRICS_DIALIN_INVALID);
	return e;
}

int app_pin_check(struct app *a, int64_t user_id, const char *pin, bool *ok)
{
	char hash[STORE_HASH_SIZE];
	struct store *st;
	int e;

	*ok = false;
	if (!pin || !pin[0])
		return 0;
	/* Hold the connection only for the read: argon2 takes ~0.1 s. */
	st = app_conn_get(a);
	e = store_pin_get(st, user_id, hash, sizeof(hash));
	app_conn_put(a, st);
	if (e == ENOENT)
		return 0;
	if (e)
		return e;
	*ok = secret_verify(hash, pin);
	explicit_bzero(hash, sizeof(hash));
	return 0;
}

/* The slot of source, or NULL; with make, a fresh or the stalest one. */
static struct abuse_slot *slot_find(struct app_dialin *d, const char *source,
				    bool make)
{
	struct abuse_slot *old = &d->slots[0];
	size_t i;

	for (i = 0; i < ABUSE_SLOTS; i++) {
		struct abuse_slot *s = &d->slots[i];

		if (s->source[0] && !strcmp(s->source, source))
			return s;
		if (!s->source[0] || (old->source[0] && s->used_at < old->used_at))
			old = s;
	}
	if (!make)
		return NULL;
	memset(old, 0, sizeof(*old));
	snprintf(old->source, sizeof(old->source), "%s", source);
	return old;
}

bool app_dialin_refused(struct app *a, const char *source, int64_t now)
{
	struct abuse_slot *s;
	bool refused;

	pthread_mutex_lock(&a->dialin->mtx);
	s = slot_find(a->dialin, source, false);
	refused = s && s->refused_until > now;
	pthread_mutex_unlock(&a->dialin->mtx);
	if (refused)
		metrics_inc(METRICS_DIALIN_REFUSED);
	return refused;
}

struct abuse_limits {
	long limit, window_s, cooloff_s;
};

static int limits_read(struct app *a, struct abuse_limits *l)
{
	struct store *st = app_conn_get(a);
	long w = 0, c = 0;
	int e;

	e = app_setting_int(st, "dialinFailureLimit", &l->limit);
	if (!e)
		e = app_setting_int(st, "dialinFailureWindowMinutes", &w);
	if (!e)
		e = app_setting_int(st, "dialinCooloffMinutes", &c);
	app_conn_put(a, st);
	if (l->limit < 1 || l->limit > ABUSE_RUN_MAX)
		l->limit = 3;
	l->window_s = w * 60;
	l->cooloff_s = c * 60;
	return e;
}

/* Count one failure of s at now; true when the source is refused from now
 * on. Caller holds the mutex. */
static bool slot_fail(struct abuse_slot *s, const struct abuse_limits *l,
		      int64_t now, unsigned *run)
{
	unsigned first;

	s->fails[s->head] = now;
	s->head = (s->head + 1) % ABUSE_RUN_MAX;
	if (s->nfails < ABUSE_RUN_MAX)
		s->nfails++;
	*run = s->nfails;
	if (s->nfails < (unsigned)l->limit)
		return false;
	first = (s->head + ABUSE_RUN_MAX - (unsigned)l->limit) % ABUSE_RUN_MAX;
	if (now - s->fails[first] > l->window_s)
		return false;
	s->refused_until = now + l->cooloff_s;
	s->nfails = 0;
	return true;
}

struct failure_args {
	const struct app_dialin_call *c;
	unsigned run;
	int64_t refused_until;
};

/* The body of app_tx_run (struct failure_args): the detail is made anew
 * each run, since app_audit takes it. */
static int failure_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct failure_args *f = arg;
	const struct app_dialin_call *c = f->c;
	json_t *detail;

	(void)err;
	detail = json_pack("{s:s, s:s, s:i}", "dialedNumber", c->dialed,
			   "address", c->address, "failuresInARow",
			   (int)f->run);
	if (detail && f->refused_until)
		json_object_set_new(detail, "refusedUntil",
				    json_integer(f->refused_until));
	return app_audit(tx, "sip", "dialin.failure", c->caller_masked,
			 detail);
}

static int audit_failure(struct app *a, const struct app_dialin_call *c,
			 unsigned run, int64_t refused_until)
{
	struct failure_args f = { c, run, refused_until };

	return app_tx_run(a, failure_tx, &f, NULL);
}

int app_dialin_outcome(struct app *a, const struct app_dialin_call *c,
		       bool failed, int64_t now, bool *refused)
{
	struct abuse_limits l = {3, 600, 900};
	struct abuse_slot *s;
	unsigned run = 0;
	bool now_refused = false;
	int e = 0;

	if (refused)
		*refused = false;
	if (failed)
		e = limits_read(a, &l);
	pthread_mutex_lock(&a->dialin->mtx);
	s = slot_find(a->dialin, c->source, failed);
	if (s) {
		s->used_at = now;
		if (failed)
			now_refused = slot_fail(s, &l, now, &run);
		else
			s->nfails = 0;
	}
	pthread_mutex_unlock(&a->dialin->mtx);
	if (!failed)
		return 0;
	/* Counted whether or not the audit write below succeeds (SPEC §6). */
	metrics_inc(METRICS_DIALIN_FAILURES);
	if (refused)
		*refused = now_refused;
	if (!e)
		e = audit_failure(a, c, run, now_refused ? now + l.cooloff_s : 0);
	return e;
}
