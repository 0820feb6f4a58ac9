/* meeting: the meeting use cases (SPEC §1-§3, §5): schedule,
 * show, list, cancel, the current calendar object, and the end of life of
 * a meeting's conference ID.
 *
 * Rules chosen where the spec is silent:
 *  - a meeting whose end has already passed cannot be scheduled (400): its
 *    ID would be dead on arrival or within the grace period; one already
 *    running (start in the past, end to come) can;
 *  - "ended" is not stored: a scheduled meeting whose end has passed;
 *  - an ended or cancelled meeting cannot be cancelled (409);
 *  - the ID of an ended meeting keeps working for meetingIdGraceHours (the
 *    meeting may overrun), then stops: app_confid_resolve checks this on
 *    every call and app_meeting_expire revokes it into quarantine. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_priv.h"
#include "core/confid.h"
#include "core/emailaddr.h"
#include "core/isotime.h"
#include "core/mime.h"

#define LIST_MAX 1000

/* What the API shows of a stored meeting. */
static int meeting_fill(struct store *st, const struct store_meeting *sm,
			struct app_meeting *out)
{
	struct store_user u;
	int e = 0;

	memset(out, 0, sizeof(*out));
	out->id = sm->id;
	out->organizer_id = sm->organizer_id;
	snprintf(out->subject, sizeof(out->subject), "%s", sm->subject);
	snprintf(out->uid, sizeof(out->uid), "%s", sm->uid);
	out->start_at = sm->start_at;
	out->end_at = sm->end_at;
	out->sequence = sm->sequence;
	out->confid_live = sm->confid_live;
	if (sm->conference_id)
		confid_format(sm->conference_id, out->conference_id,
			      sizeof(out->conference_id));
	out->state = sm->state == STORE_MEETING_CANCELLED ? "cancelled" :
		sm->end_at <= app_now() ? "ended" : "scheduled";
	if (sm->organizer_id)
		e = store_user_get(st, sm->organizer_id, &u);
	if (!e && sm->organizer_id) {
		snprintf(out->organizer_email, sizeof(out->organizer_email),
			 "%s", u.email);
		snprintf(out->organizer_name, sizeof(out->organizer_name),
			 "%s", u.display_name);
	}
	return e == ENOENT ? 0 : e;
}

struct sched {
	const char *subject;
	int64_t start, end;
	const char *const *att;
	size_t n;
};

static int sched_check(struct sched *s, const char *start, const char *end,
		       struct app_err *err)
{
	size_t i;

	if (!app_text_ok(s->subject, APP_MEETING_SUBJECT_MAX)) {
		app_errf(err, "subject must be 1 to %d bytes of text",
			 APP_MEETING_SUBJECT_MAX);
		return EINVAL;
	}
	if (!start || isotime_parse(start, &s->start)) {
		app_errf(err, "start is not an ISO 8601 date-time with an "
			 "offset (2026-11-26T15:30:00-08:00)");
		return EINVAL;
	}
	if (!end || isotime_parse(end, &s->end)) {
		app_errf(err, "end is not an ISO 8601 date-time with an "
			 "offset (2026-11-26T16:30:00-08:00)");
		return EINVAL;
	}
	if (s->end <= s->start) {
		app_errf(err, "end must be after start");
		return EINVAL;
	}
	if (s->end <= app_now()) {
		app_errf(err, "the meeting has already ended");
		return EINVAL;
	}
	if (s->n > APP_MEETING_ATTENDEES_MAX) {
		app_errf(err, "at most %d attendees", APP_MEETING_ATTENDEES_MAX);
		return EINVAL;
	}
	for (i = 0; i < s->n; i++) {
		if (!s->att[i] || !emailaddr_valid(s->att[i]) ||
		    strnlen(s->att[i], STORE_EMAIL_SIZE) >= STORE_EMAIL_SIZE) {
			app_errf(err, "attendee %zu is not a valid address",
				 i + 1);
			return EINVAL;
		}
	}
	return 0;
}

/* RFC 5545 §3.8.4.7: globally unique, here random hex at our domain. */
static int uid_new(struct store *st, char *uid, size_t size)
{
	char token[MIME_TOKEN_SIZE], from[STORE_EMAIL_SIZE];
	const char *at;
	int e;

	e = mime_token_new(token, sizeof(token));
	if (!e)
		e = app_setting_text(st, "sendEmailFromAddress", from,
				     sizeof(from));
	if (e)
		return e;
	at = strrchr(from, '@');
	snprintf(uid, size, "%s@%s", token, at ? at + 1 : "dialconf");
	return 0;
}

static int sched_insert(struct app_tx *tx, const char *actor,
			const struct store_user *u, const struct sched *s,
			struct store_meeting *m, struct app_err *err)
{
	uint32_t v;
	size_t i;
	int e;

	memset(m, 0, sizeof(*m));
	m->organizer_id = u->id;
	snprintf(m->subject, sizeof(m->subject), "%s", s->subject);
	m->start_at = s->start;
	m->end_at = s->end;
	m->created_at = app_now();
	m->state = STORE_MEETING_SCHEDULED;
	e = uid_new(tx->st, m->uid, sizeof(m->uid));
	if (!e)
		e = store_meeting_insert(tx->st, m);
	for (i = 0; i < s->n && !e; i++)
		e = store_attendee_add(tx->st, m->id, s->att[i]);
	if (e)
		return e;
	e = app_confid_issue(tx, actor, STORE_CONFID_MEETING, u->id, m->id,
			     &v);
	if (e) {
		app_errf(err, e == ENOSPC ? "no conference ID free" :
			 "could not issue a conference ID");
		return e;
	}
	return store_meeting_get(tx->st, m->id, m);
}

struct schedule_args {
	const char *actor;
	const char *organizer;
	const struct sched *s;
	struct app_meeting out; /* out */
};

/* The body of app_tx_run (struct schedule_args). */
static int schedule_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct schedule_args *c = arg;
	const struct sched *s = c->s;
	const char *actor = c->actor;
	struct app_meeting *out = &c->out;
	struct store_meeting m;
	struct store_user u;
	char id[APP_CONFID_SIZE];
	int e;

	e = app_user_resolve(tx->st, c->organizer, &u, err);
	if (e)
		return e;
	if (!u.audio_enabled) {
		app_errf(err, "the organizer is not enabled for audio "
			 "conferencing");
		return EBUSY;
	}
	e = sched_insert(tx, actor, &u, s, &m, err);
	if (!e)
		e = app_meeting_mail_tx(tx, &m, &u, false);
	if (!e)
		e = meeting_fill(tx->st, &m, out);
	if (e)
		return e;
	out->nattendees = s->n;
	confid_format(m.conference_id, id, sizeof(id));
	return app_audit(tx, actor, APP_AUDIT_MEETING_SCHEDULE, u.email,
			 json_pack("{s:I, s:s, s:s, s:I}", "meeting",
				   (json_int_t)m.id, "subject", m.subject,
				   "conferenceId", id, "attendees",
				   (json_int_t)s->n));
}

int app_meeting_schedule(struct app *a, const char *actor,
			 const char *organizer, const char *subject,
			 const char *start, const char *end,
			 const char *const *attendees, size_t n,
			 struct app_meeting *out, struct app_err *err)
{
	struct sched s = { subject, 0, 0, attendees, n };
	struct schedule_args c = { .actor = actor, .organizer = organizer,
				   .s = &s };
	int e;

	app_err_clear(err);
	e = sched_check(&s, start, end, err);
	if (e)
		return e;
	e = app_tx_run(a, schedule_tx, &c, err);
	if (!e && out)
		*out = c.out;
	return e;
}

int app_meeting_get(struct app *a, int64_t id, struct app_meeting *out,
		    struct app_err *err)
{
	struct store_meeting m;
	struct store *st;
	int e;

	app_err_clear(err);
	st = app_conn_get(a);
	e = store_meeting_get(st, id, &m);
	if (e == ENOENT)
		app_errf(err, "no meeting %" PRId64, id);
	if (!e)
		e = meeting_fill(st, &m, out);
	app_conn_put(a, st);
	return e;
}

int app_meeting_attendees(struct app *a, int64_t id, app_attendee_h *h,
			  void *arg)
{
	struct store *st = app_conn_get(a);
	int e = store_attendee_list(st, id, h, arg);

	app_conn_put(a, st);
	return e;
}

struct list_ctx {
	struct store *st;
	app_meeting_h *h;
	void *arg;
	struct app_meeting m;
};

static int list_one(const struct store_meeting *sm, void *arg)
{
	struct list_ctx *c = arg;
	int e = meeting_fill(c->st, sm, &c->m);

	return e ? e : c->h(&c->m, c->arg);
}

int app_meeting_list(struct app *a, const char *organizer, int limit,
		     app_meeting_h *h, void *arg, struct app_err *err)
{
	struct list_ctx *c;
	struct store_user u;
	int e = 0;

	app_err_clear(err);
	if (limit < 1 || limit > LIST_MAX) {
		app_errf(err, "limit must be between 1 and %d", LIST_MAX);
		return EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->h = h;
	c->arg = arg;
	c->st = app_conn_get(a);
	u.id = 0;
	if (organizer && organizer[0])
		e = app_user_resolve(c->st, organizer, &u, err);
	if (!e)
		e = store_meeting_list(c->st, u.id, INT64_MIN, limit, list_one,
				       c);
	app_conn_put(a, c->st);
	free(c);
	return e;
}

struct cancel_args {
	const char *actor;
	int64_t id;
	struct app_meeting out; /* out */
};

/* The body of app_tx_run (struct cancel_args). */
static int cancel_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct cancel_args *c = arg;
	struct app_meeting *out = &c->out;
	int64_t id = c->id;
	struct store_meeting m;
	struct store_user u;
	char cid[APP_CONFID_SIZE] = "";
	int e;

	e = store_meeting_get(tx->st, id, &m);
	if (e == ENOENT)
		app_errf(err, "no meeting %" PRId64, id);
	if (e)
		return e;
	if (m.state == STORE_MEETING_CANCELLED || m.end_at <= app_now()) {
		app_errf(err, "meeting %" PRId64 " is already %s", id,
			 m.state == STORE_MEETING_CANCELLED ? "cancelled" :
			 "over");
		return EBUSY;
	}
	if (m.confid_live)
		e = app_confid_revoke(tx, m.conference_id);
	/* RFC 5546 §3.2.5: a CANCEL carries a higher SEQUENCE. */
	m.sequence++;
	m.state = STORE_MEETING_CANCELLED;
	if (!e)
		e = store_meeting_update(tx->st, &m);
	if (!e)
		e = store_meeting_get(tx->st, id, &m);
	/* Only a deleted organizer goes without the email: any other error
	 * is the transaction's (a lost conflict is run again). */
	if (!e && m.organizer_id) {
		e = store_user_get(tx->st, m.organizer_id, &u);
		if (!e)
			e = app_meeting_mail_tx(tx, &m, &u, true);
		else if (e == ENOENT)
			e = 0;
	}
	if (!e)
		e = meeting_fill(tx->st, &m, out);
	if (e)
		return e;
	confid_format(m.conference_id, cid, sizeof(cid));
	return app_audit(tx, c->actor, APP_AUDIT_MEETING_CANCEL,
			 out->organizer_email,
			 json_pack("{s:I, s:s}", "meeting", (json_int_t)id,
				   "conferenceId", cid));
}

int app_meeting_cancel(struct app *a, const char *actor, int64_t id,
		       struct app_meeting *out, struct app_err *err)
{
	struct cancel_args c = { .actor = actor, .id = id };
	int e;

	app_err_clear(err);
	e = app_tx_run(a, cancel_tx, &c, err);
	if (!e && out)
		*out = c.out;
	return e;
}

int app_meeting_ics(struct app *a, int64_t id, char **text,
		    struct app_err *err)
{
	char cid[APP_CONFID_SIZE] = "";
	struct store_meeting m;
	struct store_user u;
	struct app_user au;
	struct store *st;
	int e;

	app_err_clear(err);
	memset(&au, 0, sizeof(au));
	st = app_conn_get(a);
	e = store_meeting_get(st, id, &m);
	if (e == ENOENT)
		app_errf(err, "no meeting %" PRId64, id);
	if (!e && m.organizer_id && !store_user_get(st, m.organizer_id, &u))
		e = app_user_fill(st, &u, &au);
	if (m.conference_id)
		confid_format(m.conference_id, cid, sizeof(cid));
	if (!e)
		e = app_meeting_ics_tx(st, &m,
				       m.state == STORE_MEETING_CANCELLED,
				       m.sequence, cid, au.toll_number,
				       au.toll_free_number, app_now(), text);
	app_conn_put(a, st);
	return e;
}

/* ---- end of life ---- */

struct expire_ctx {
	uint32_t *v;
	size_t n, cap;
};

static int expire_add(const struct store_meeting *m, void *arg)
{
	struct expire_ctx *x = arg;

	if (app_grow(&x->v, &x->cap, x->n, sizeof(*x->v), 16))
		return ENOMEM;
	x->v[x->n++] = m->conference_id;
	return 0;
}

struct expire_args {
	int64_t now;
	int n; /* out */
};

/* The body of app_tx_run (struct expire_args). */
static int expire_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct expire_args *c = arg;
	struct expire_ctx x = { NULL, 0, 0 };
	char id[APP_CONFID_SIZE];
	long grace;
	size_t i;
	int e;

	(void)err;
	e = app_setting_int(tx->st, "meetingIdGraceHours", &grace);
	if (!e)
		e = store_meeting_scan_live_ended(tx->st,
						  c->now - grace * 3600,
						  expire_add, &x);
	for (i = 0; i < x.n && !e; i++) {
		e = app_confid_revoke(tx, x.v[i]);
		confid_format(x.v[i], id, sizeof(id));
		if (!e)
			e = app_audit(tx, "system",
				      APP_AUDIT_MEETING_ID_EXPIRED, id,
				      json_pack("{s:s, s:i}", "conferenceId",
						id, "graceHours", (int)grace));
	}
	c->n = (int)x.n;
	free(x.v);
	return e;
}

int app_meeting_expire(struct app *a, int64_t now, int *n)
{
	struct expire_args c = { now, 0 };
	int e;

	e = app_tx_run(a, expire_tx, &c, NULL);
	if (n)
		*n = e ? 0 : c.n;
	return e;
}
