/* dialin: the use cases the auto attendant (src/sip/) asks for (SPEC §6):
 * is this a dial-in number, who owns the typed conference ID, is the PIN
 * right, does the ID still work, and the abuse guard.
 *
 * Resolution reads the database on every attempt and keeps nothing: the
 * moment a reset commits, the old ID resolves as revoked, on every node.
 *
 * The abuse guard (core/guard.h) keeps its counters in the database, one
 * row per key, changed in one transaction with the audit record of the
 * failure, so that every node sees the same counts and a caller who moves
 * between nodes gains nothing:
 *   "src:SOURCE"       every wrong ID and every wrong PIN of a source;
 *                      blocked, its INVITEs get 403;
 *   "pin:KIND:ID"      wrong PINs for one conference from any source;
 *                      blocked, the conference's organizer path is closed.
 * A valid ID clears nothing: an attacker cannot launder a run of guesses
 * with the one ID they know. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_priv.h"
#include "app/metrics.h"
#include "core/confid.h"
#include "core/e164.h"
#include "core/guard.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "core/secret.h"
#include "core/settings.h"

#define PIN_WINDOW_S 3600 /* dialinPinFailureLimit counts within an hour */

void app_caller_mask(const char *caller, char *out, size_t size)
{
	log_mask_caller(caller, out, size); /* the rule is the log's */
}

bool app_dialin_source(const struct app_dialin_limits *l, const char *addr,
		       const char *forwarded, const char *asserted,
		       char *out, size_t size)
{
	bool trusted = netaddr_listed(l->trusted, addr);

	if (trusted && netaddr_is_ip(forwarded))
		snprintf(out, size, "%s", forwarded);
	else if (trusted && asserted && asserted[0])
		snprintf(out, size, "tel:%s", asserted);
	else
		snprintf(out, size, "%s", addr);
	return trusted;
}

/* An int setting into *out: the table's default first (core/settings.c),
 * then the database's value where it can be read (a broken setting must
 * not open or close the door). */
static int setting_uint(struct store *st, const char *name, unsigned *out)
{
	const struct setting_def *d = settings_find(name);
	long v;
	int e;

	if (d)
		*out = (unsigned)strtoul(d->def, NULL, 10);
	e = app_setting_int(st, name, &v);
	if (!e && v >= 0 && v <= (long)UINT32_MAX)
		*out = (unsigned)v;
	return e;
}

int app_dialin_limits(struct app *a, struct app_dialin_limits *l)
{
	const struct { const char *name; unsigned *v; } ints[] = {
		{"dialinMaxCallsPerSource", &l->calls_per_source},
		{"dialinCallRatePerSource", &l->rate_per_source},
		{"dialinMaxCallsPerNode", &l->calls_per_node},
		{"dialinLobbyTimeoutSeconds", &l->lobby_s},
		{"dialinRtpTimeoutSeconds", &l->rtp_timeout_s},
		{"dialinMaxCallSeconds", &l->max_call_s},
	};
	struct store *st;
	size_t i;
	int e = 0, e2;

	memset(l, 0, sizeof(*l));
	st = app_conn_get(a);
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if ((e2 = setting_uint(st, ints[i].name, ints[i].v)))
			e = e2;
	if ((e2 = app_setting_text(st, "sipTrustedProxies", l->trusted,
				   sizeof(l->trusted))))
		e = e2;
	app_conn_put(a, st);
	return e;
}

static void source_key(const char *source, char *key, size_t size)
{
	snprintf(key, size, "src:%s", source);
}

static void conference_key(const struct app_dialin_target *t, char *key,
			   size_t size)
{
	snprintf(key, size, "pin:%s:%lld", t->personal ? "personal" : "meeting",
		 (long long)(t->personal ? t->user_id : t->meeting_id));
}

/* Is key blocked now? A missing counter is not. */
static int guard_is_blocked(struct store *st, const char *key, bool *blocked)
{
	struct store_guard g;
	int e;

	*blocked = false;
	e = store_guard_get(st, key, &g);
	if (e == ENOENT)
		return 0;
	if (!e)
		*blocked = guard_blocked(&g.state, app_now());
	return e;
}

int app_dialin_admit(struct app *a, const char *user, const char *source,
		     char *e164, size_t size, char *languages, size_t lsize,
		     bool *refused)
{
	char raw[E164_SIZE + 1], key[STORE_GUARD_KEY_SIZE];
	struct store_number n;
	struct store *st;
	int e;

	*refused = false;
	/* The Request-URI user part, with or without '+' (SPEC §6). */
	if (!user || !user[0] || strnlen(user, E164_SIZE + 1) > E164_SIZE)
		return ENOENT;
	snprintf(raw, sizeof(raw), "%s%s", user[0] == '+' ? "" : "+", user);
	if (e164_normalize(raw, e164, size))
		return ENOENT;
	source_key(source, key, sizeof(key));
	st = app_conn_get(a);
	e = store_number_get(st, e164, &n);
	if (!e)
		e = guard_is_blocked(st, key, refused);
	app_conn_put(a, st);
	if (!e && languages && lsize)
		snprintf(languages, lsize, "%s", n.languages);
	if (!e && *refused)
		metrics_inc(METRICS_DIALIN_REFUSED);
	return e;
}

/* One failure counted against a guard key, inside the caller's tx. */
struct guard_count {
	char key[STORE_GUARD_KEY_SIZE];
	struct guard_limits lim;
	bool started;  /* this failure started a block */
	bool blocked;  /* blocked after it */
	int fails;     /* failures in the window so far */
	int64_t until; /* the block's end */
};

static int guard_count_tx(struct app_tx *tx, struct guard_count *g,
			  int64_t now)
{
	struct store_guard sg;
	int e;

	e = store_guard_get(tx->st, g->key, &sg);
	if (e == ENOENT) {
		memset(&sg, 0, sizeof(sg));
		snprintf(sg.key, sizeof(sg.key), "%s", g->key);
		e = 0;
	}
	if (e)
		return e;
	g->started = guard_fail(&sg.state, &g->lim, now);
	g->blocked = guard_blocked(&sg.state, now);
	g->fails = g->started ? (int)g->lim.limit : sg.state.fails;
	g->until = sg.state.blocked_until;
	sg.updated_at = now;
	return store_guard_put(tx->st, &sg);
}

static int limits_of(struct store *st, const char *limit, long window_s,
		     const char *cooloff, struct guard_limits *l)
{
	long n = 0, c = 0, max = 0;
	int e;

	e = app_setting_int(st, limit, &n);
	if (!e)
		e = app_setting_int(st, cooloff, &c);
	if (!e)
		e = app_setting_int(st, "dialinCooloffMaxMinutes", &max);
	if (e)
		return e;
	if (window_s < 0) { /* the source's window is a setting too */
		e = app_setting_int(st, "dialinFailureWindowMinutes", &window_s);
		if (e)
			return e;
		window_s *= 60;
	}
	l->limit = n > 0 ? (unsigned)n : 1;
	l->window_s = window_s;
	l->cooloff_s = c * 60;
	l->cooloff_max_s = max * 60 > l->cooloff_s ? max * 60 : l->cooloff_s;
	return 0;
}

/* The audit detail every guard record has. */
static json_t *failure_detail(const struct app_dialin_call *c,
			      const struct guard_count *g)
{
	json_t *d = json_pack("{s:s, s:s, s:s, s:i}", "dialedNumber",
			      c->dialed, "address", c->address, "source",
			      c->source, "failuresInWindow", g->fails);

	if (d && g->blocked)
		json_object_set_new(d, "refusedUntil", json_integer(g->until));
	return d;
}

struct id_failure {
	const struct app_dialin_call *c;
	struct guard_count src;
};

static int id_failure_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct id_failure *f = arg;
	int64_t now = app_now();
	int e;

	(void)err;
	e = limits_of(tx->st, "dialinFailureLimit", -1, "dialinCooloffMinutes",
		      &f->src.lim);
	if (!e)
		e = guard_count_tx(tx, &f->src, now);
	if (!e)
		e = app_audit(tx, "sip", APP_AUDIT_DIALIN_FAILURE,
			      f->c->caller_masked, failure_detail(f->c, &f->src));
	return e;
}

/* A target's conference settings, read with the ID so that the SIP
 * thread never waits on the database. Defaults where a read fails. */
static void conf_settings(struct store *st, struct app_dialin_target *t)
{
	t->tones = true;
	(void)app_setting_bool(st, "enableEntryExitNotifications", &t->tones);
	(void)setting_uint(st, "maxParticipants", &t->max_parts);
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

/* A meeting-kind ID without a meeting is a Jitsi Meet room's (jitsi.c):
 * valid while the room is mapped to it and a Jigasi is configured. */
static int jitsi_target(struct store *st, const struct store_confid *c,
			struct app_dialin_target *t)
{
	struct store_jitsi_room r;
	int e;

	e = store_jitsi_room_by_value(st, c->value, &r);
	if (e)
		return e == ENOENT ? 0 : e;
	e = app_setting_text(st, "jitsiJigasiUri", t->jigasi_uri,
			     sizeof(t->jigasi_uri));
	if (e || !t->jigasi_uri[0])
		return e;
	snprintf(t->jitsi_room, sizeof(t->jitsi_room), "%s", r.conference);
	t->valid = true;
	confid_format(c->value, t->conference_id, sizeof(t->conference_id));
	return 0;
}

/* What value reaches now: t->valid false when nothing (no error). */
static int lookup(struct store *st, uint32_t v, struct app_dialin_target *t)
{
	struct store_confid c;
	int e;

	memset(t, 0, sizeof(*t));
	e = store_confid_lookup(st, v, &c);
	if (e == ENOENT)
		return 0;
	if (e || c.revoked_at != 0)
		return e;
	if (c.kind == STORE_CONFID_MEETING && c.meeting_id == 0)
		return jitsi_target(st, &c, t);
	if (c.kind == STORE_CONFID_MEETING) {
		e = meeting_open(st, c.meeting_id, &t->valid);
		if (e || !t->valid)
			return e;
	}
	t->valid = true;
	t->personal = c.kind == STORE_CONFID_PERSONAL;
	t->user_id = c.user_id;
	t->meeting_id = c.kind == STORE_CONFID_MEETING ? c.meeting_id : 0;
	confid_format(c.value, t->conference_id, sizeof(t->conference_id));
	return 0;
}

int app_confid_resolve(struct app *a, const char *digits,
		       struct app_dialin_target *t)
{
	char key[STORE_GUARD_KEY_SIZE];
	struct store *st;
	uint32_t v;
	int e;

	memset(t, 0, sizeof(*t));
	if (!digits || confid_parse(digits, &v))
		return 0; /* malformed: not valid */
	st = app_conn_get(a);
	e = lookup(st, v, t);
	if (!e && t->valid) {
		e = app_setting_bool(st, "allowPstnUsersToBypassLobby",
				     &t->bypass);
		conference_key(t, key, sizeof(key));
		if (!e)
			e = guard_is_blocked(st, key, &t->closed);
		conf_settings(st, t);
	}
	app_conn_put(a, st);
	return e;
}

int app_dialin_resolve(struct app *a, const struct app_dialin_call *c,
		       const char *digits, struct app_dialin_target *t,
		       bool *blocked)
{
	struct id_failure f = { .c = c };
	struct store *st;
	int e;

	memset(t, 0, sizeof(*t));
	source_key(c->source, f.src.key, sizeof(f.src.key));
	/* Blocked meanwhile (on any node): no more answers for this call. */
	st = app_conn_get(a);
	e = guard_is_blocked(st, f.src.key, blocked);
	app_conn_put(a, st);
	if (!e && !*blocked)
		e = app_confid_resolve(a, digits, t);
	if (!e && !*blocked && t->valid && t->jitsi_room[0])
		(void)app_jitsi_used(a, t); /* keeps the room's ID alive */
	if (e || *blocked || t->valid)
		return e;
	/* Unknown, revoked, closed or malformed: a wrong ID, counted now. */
	metrics_inc(METRICS_DIALIN_INVALID);
	metrics_inc(METRICS_DIALIN_FAILURES);
	e = app_tx_run(a, id_failure_tx, &f, NULL);
	if (!e)
		*blocked = f.src.blocked;
	return e;
}

int app_dialin_recheck(struct app *a, const struct app_dialin_target *t,
		       bool *valid)
{
	struct app_dialin_target now;
	struct store *st;
	uint32_t v;
	int e;

	*valid = false;
	if (!t->valid || confid_parse(t->conference_id, &v))
		return 0;
	st = app_conn_get(a);
	e = lookup(st, v, &now);
	app_conn_put(a, st);
	/* The same value could only reach someone else after its
	 * quarantine, but compare anyway: the caller asked for this one. */
	*valid = !e && now.valid && now.personal == t->personal &&
		 now.user_id == t->user_id && now.meeting_id == t->meeting_id;
	return e;
}

struct pin_failure {
	const struct app_dialin_call *c;
	const struct app_dialin_target *t;
	struct guard_count src, conf;
};

static int pin_failure_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct pin_failure *f = arg;
	int64_t now = app_now();
	json_t *d;
	int e;

	(void)err;
	e = limits_of(tx->st, "dialinFailureLimit", -1, "dialinCooloffMinutes",
		      &f->src.lim);
	if (!e)
		e = limits_of(tx->st, "dialinPinFailureLimit", PIN_WINDOW_S,
			      "dialinPinCloseMinutes", &f->conf.lim);
	if (!e)
		e = guard_count_tx(tx, &f->src, now);
	if (!e)
		e = guard_count_tx(tx, &f->conf, now);
	if (e)
		return e;
	d = failure_detail(f->c, &f->src);
	if (d)
		json_object_set_new(d, "conferenceId",
				    json_string(f->t->conference_id));
	e = app_audit(tx, "sip", APP_AUDIT_DIALIN_PIN_FAILURE,
		      f->c->caller_masked, d);
	if (e || !f->conf.started)
		return e;
	d = json_pack("{s:i, s:I}", "wrongPins", (int)f->conf.lim.limit,
		      "closedUntil", (json_int_t)f->conf.until);
	return app_audit(tx, "sip", APP_AUDIT_DIALIN_ORGANIZER_CLOSED,
			 f->t->conference_id, d);
}

/* What decides a PIN before the argon2 check, read in one go. */
struct pin_state {
	bool live;      /* the ID still reaches the same conference */
	bool closed;    /* the conference's organizer path */
	bool blocked;   /* the caller's source */
	char hash[STORE_HASH_SIZE]; /* "" when no PIN is set */
};

static int pin_state_read(struct store *st, const struct app_dialin_call *c,
			  const struct app_dialin_target *t,
			  struct pin_state *p)
{
	char key[STORE_GUARD_KEY_SIZE];
	struct app_dialin_target now;
	uint32_t v;
	int e;

	if (confid_parse(t->conference_id, &v))
		return 0;
	e = lookup(st, v, &now);
	p->live = !e && now.valid && now.user_id == t->user_id &&
		  now.meeting_id == t->meeting_id;
	source_key(c->source, key, sizeof(key));
	if (!e && p->live)
		e = guard_is_blocked(st, key, &p->blocked);
	conference_key(t, key, sizeof(key));
	if (!e && p->live)
		e = guard_is_blocked(st, key, &p->closed);
	if (!e && p->live)
		e = store_pin_get(st, t->user_id, p->hash, sizeof(p->hash));
	return e == ENOENT ? 0 : e; /* no PIN set: no PIN is right */
}

int app_dialin_pin(struct app *a, const struct app_dialin_call *c,
		   const struct app_dialin_target *t, const char *pin,
		   enum app_pin_result *r, bool *blocked)
{
	struct pin_failure f = { .c = c, .t = t };
	struct pin_state p = {0};
	struct store *st;
	int e;

	*r = APP_PIN_WRONG;
	/* Hold the connection only for the reads: argon2 takes ~0.1 s. */
	st = app_conn_get(a);
	e = pin_state_read(st, c, t, &p);
	app_conn_put(a, st);
	*blocked = p.blocked;
	if (e || p.blocked)
		goto out;
	if (!p.live) {
		*r = APP_PIN_REVOKED;
		goto out;
	}
	if (p.closed) {
		*r = APP_PIN_CLOSED;
		goto out;
	}
	if (pin && pin[0] && p.hash[0] && secret_verify(p.hash, pin)) {
		*r = APP_PIN_OK;
		goto out;
	}
	metrics_inc(METRICS_DIALIN_PIN_FAILURES);
	source_key(c->source, f.src.key, sizeof(f.src.key));
	conference_key(t, f.conf.key, sizeof(f.conf.key));
	e = app_tx_run(a, pin_failure_tx, &f, NULL);
	if (!e) {
		*blocked = f.src.blocked;
		if (f.conf.blocked) /* this very guess closed the path */
			*r = APP_PIN_CLOSED;
	}
 out:
	explicit_bzero(&p, sizeof(p));
	return e;
}

int app_dialin_purge(struct app *a, int *n)
{
	struct store *st = app_conn_get(a);
	long max = 1440;
	int e;

	/* guard_fail() forgets offences after two longest blocks; a counter
	 * purged sooner would lose its doubling. */
	(void)app_setting_int(st, "dialinCooloffMaxMinutes", &max);
	e = store_guard_purge(st, app_now() - 2 * max * 60 - PIN_WINDOW_S, n);
	app_conn_put(a, st);
	return e;
}
