/* meeting_mail: a meeting's emails and calendar objects, and what a reset
 * or a disable does to a user's meetings (SPEC §2, §3 step 2, §5).
 *
 * An invitation row in the outbox holds the template variables and which
 * version of the meeting it announces (meetingId, icalMethod,
 * icalSequence, the conference ID and numbers of that moment). The
 * calendar object is built when the worker claims the row (RFC 5546: the
 * same UID, that SEQUENCE), from the attendees as stored: a 1000-attendee
 * ATTENDEE list is far bigger than a row's variables may be, and the list
 * never changes after scheduling. One batch's rows of the same meeting
 * version share one build (struct app_ics_cache). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app_priv.h"
#include "core/buf.h"
#include "core/confid.h"
#include "core/ical.h"
#include "core/isotime.h"
#include "core/tmpl.h"

#define OTHER_NUMBERS_MAX 10
#define OTHER_SIZE 1024
#define DESC_CAP (16 * 1024)
#define SEQ_SIZE 16

/* ---- the dial-in section of the calendar object ---- */

/* DESCRIPTION (RFC 5545 §3.8.1.5): the same dial-in section the text part
 * ends with, so a calendar entry alone is enough to join. */
static int description(struct buf *b, const char *confid, const char *toll,
		       const char *toll_free, bool cancel)
{
	int e = 0;

	if (cancel)
		return buf_printf(b, "This meeting was cancelled. Its "
				  "conference ID %s no longer works.\n",
				  confid);
	e = buf_printf(b, "Join by phone\n\n");
	if (!e && toll[0])
		e = buf_printf(b, "%s,,%s#   (toll)\n", toll, confid);
	if (!e && toll_free[0])
		e = buf_printf(b, "%s,,%s#   (toll-free)\n", toll_free,
			       confid);
	if (!e)
		e = buf_printf(b, "\nConference ID: %s#\n\nCall a number "
			       "above and enter the conference ID, followed "
			       "by the pound key (#).\n", confid);
	return e;
}

struct names {
	char **v;
	size_t n, cap;
};

static int names_add(const char *email, void *arg)
{
	struct names *x = arg;
	char **nv;

	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		nv = realloc(x->v, x->cap * sizeof(*nv));
		if (!nv)
			return ENOMEM;
		x->v = nv;
	}
	x->v[x->n] = strdup(email);
	if (!x->v[x->n])
		return ENOMEM;
	x->n++;
	return 0;
}

static void names_free(struct names *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		free(x->v[i]);
	free(x->v);
}

/* The organizer's address and name; a deleted organizer is shown as the
 * organization's sender address (ORGANIZER is required, RFC 5546 §3.2.2). */
static int organizer_of(struct store *st, const struct store_meeting *m,
			struct store_user *u)
{
	int e;

	memset(u, 0, sizeof(*u));
	e = m->organizer_id ? store_user_get(st, m->organizer_id, u) : ENOENT;
	if (e == ENOENT)
		e = app_setting_text(st, "sendEmailFromAddress", u->email,
				     sizeof(u->email));
	return e;
}

int app_meeting_ics_tx(struct store *st, const struct store_meeting *m,
		       bool cancel, int sequence, const char *confid,
		       const char *toll, const char *toll_free, int64_t stamp,
		       char **text)
{
	struct names att = { NULL, 0, 0 };
	struct ical_event ev;
	struct store_user org;
	struct buf *desc = NULL;
	int e;

	e = organizer_of(st, m, &org);
	if (!e)
		e = store_attendee_list(st, m->id, names_add, &att);
	if (!e)
		e = buf_alloc(&desc, DESC_CAP);
	if (!e)
		e = description(desc, confid, toll, toll_free, cancel);
	if (e)
		goto out;
	memset(&ev, 0, sizeof(ev));
	ev.method = cancel ? ICAL_CANCEL : ICAL_REQUEST;
	ev.uid = m->uid;
	ev.sequence = sequence;
	ev.stamp = stamp;
	ev.start = m->start_at;
	ev.end = m->end_at;
	ev.summary = m->subject;
	ev.description = buf_str(desc);
	ev.organizer_email = org.email;
	ev.organizer_name = org.display_name;
	ev.attendees = (const char *const *)att.v;
	ev.nattendees = att.n;
	e = ical_render(&ev, text);
 out:
	buf_free(desc);
	names_free(&att);
	return e;
}

/* ---- queueing the emails ---- */

struct other_ctx {
	const struct app_user *au;
	char *out;
	size_t size, len;
	int n;
};

static int other_add(const struct store_number *n, void *arg)
{
	struct other_ctx *c = arg;
	int w;

	if (!strcmp(n->number, c->au->toll_number) ||
	    !strcmp(n->number, c->au->toll_free_number) ||
	    c->n >= OTHER_NUMBERS_MAX)
		return 0;
	w = snprintf(c->out + c->len, c->size - c->len, "%s    %s%s%s%s (%s)",
		     c->len ? "\n" : "", n->number,
		     n->toll_free ? ", toll-free" : "", n->city[0] ? ", " : "",
		     n->city, n->country);
	if (w < 0 || (size_t)w >= c->size - c->len)
		return 0; /* no room: the list stops here */
	c->len += (size_t)w;
	c->n++;
	return 0;
}

/* Where to find other numbers: the organization's others, one a line. */
static int other_numbers(struct store *st, const struct app_user *au,
			 char *out, size_t size)
{
	struct other_ctx c = { au, out, size, 0, 0 };

	out[0] = '\0';
	return store_number_list(st, other_add, &c);
}

struct mail_ctx {
	struct app_tx *tx;
	const struct store_user *org;
	const char *kind;
	uint32_t confid;
	const struct tmpl_var *v;
	size_t nv;
};

static int mail_one(const char *to, void *arg)
{
	struct mail_ctx *c = arg;

	/* The organizer gets the organizer's copy only once. */
	if (!strcasecmp(to, c->org->email))
		return 0;
	return app_outbox_enqueue_more_tx(c->tx, c->kind, c->org, to,
					  c->confid, 0, c->v, c->nv);
}

int app_meeting_mail_tx(struct app_tx *tx, const struct store_meeting *m,
			const struct store_user *org, bool cancel)
{
	char start[40], end[40], id[24], seq[SEQ_SIZE], other[OTHER_SIZE];
	struct app_user au;
	int e;

	if ((e = app_user_fill(tx->st, org, &au)) ||
	    (e = other_numbers(tx->st, &au, other, sizeof(other))) ||
	    (e = isotime_human(m->start_at, start, sizeof(start))) ||
	    (e = isotime_human(m->end_at, end, sizeof(end))))
		return e;
	snprintf(id, sizeof(id), "%" PRId64, m->id);
	snprintf(seq, sizeof(seq), "%d", m->sequence);
	const struct tmpl_var v[] = {
		{ "meetingSubject", m->subject },
		{ "meetingStart", start },
		{ "meetingEnd", end },
		{ "organizerEmail", org->email },
		{ "otherNumbers", other },
		{ "updated", !cancel && m->sequence > 0 ? "yes" : "" },
		{ "meetingId", id },
		{ "icalMethod", ical_method_name(cancel ? ICAL_CANCEL :
						 ICAL_REQUEST) },
		{ "icalSequence", seq },
	};
	struct mail_ctx c = { tx, org, cancel ? "meeting-cancel" : "invitation",
			      m->conference_id, v, sizeof(v) / sizeof(v[0]) };

	e = app_outbox_enqueue_more_tx(tx, c.kind, org, NULL, c.confid, 0, v,
				       c.nv);
	if (!e)
		e = store_attendee_list(tx->st, m->id, mail_one, &c);
	return e;
}

/* ---- the calendar part at claim time ---- */

struct app_ics_cache {
	char key[128];
	char *ics;
};

void app_ics_cache_free(struct app_ics_cache *c)
{
	if (!c)
		return;
	free(c->ics);
	free(c);
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* Build (or reuse) the calendar object the row's variables name. */
static int cached_ics(struct store *st, const json_t *o,
		      struct app_ics_cache **cache, const char **ics)
{
	struct store_meeting m;
	struct app_ics_cache *c = *cache;
	char key[128];
	long long id, seq;
	char *end;
	int e;

	id = strtoll(jstr(o, "meetingId"), &end, 10);
	if (*end || id <= 0)
		return EINVAL;
	seq = strtoll(jstr(o, "icalSequence"), &end, 10);
	if (*end || seq < 0 || seq > INT32_MAX)
		return EINVAL;
	snprintf(key, sizeof(key), "%lld/%lld/%s/%s/%s/%s", id, seq,
		 jstr(o, "icalMethod"), jstr(o, "conferenceId"),
		 jstr(o, "tollNumber"), jstr(o, "tollFreeNumber"));
	if (c && !strcmp(c->key, key)) {
		*ics = c->ics;
		return 0;
	}
	if (!c && !(c = *cache = calloc(1, sizeof(*c))))
		return ENOMEM;
	free(c->ics);
	c->ics = NULL;
	c->key[0] = '\0';
	e = store_meeting_get(st, (int64_t)id, &m);
	if (!e)
		e = app_meeting_ics_tx(st, &m, !strcmp(jstr(o, "icalMethod"),
						       "CANCEL"), (int)seq,
				       jstr(o, "conferenceId"),
				       jstr(o, "tollNumber"),
				       jstr(o, "tollFreeNumber"), app_now(),
				       &c->ics);
	if (e)
		return e;
	snprintf(c->key, sizeof(c->key), "%s", key);
	*ics = c->ics;
	return 0;
}

int app_meeting_mail_vars(struct store *st, const char *vars,
			  struct app_ics_cache **cache, char **out)
{
	const char *ics = NULL;
	json_t *o;
	int e;

	*out = NULL;
	o = json_loads(vars, 0, NULL);
	if (!o || !json_object_get(o, "meetingId")) {
		json_decref(o);
		return 0;
	}
	e = cached_ics(st, o, cache, &ics);
	if (!e && (json_object_set_new(o, "calendar", json_string(ics)) ||
		   json_object_set_new(o, "calendarMethod",
				       json_string(jstr(o, "icalMethod")))))
		e = ENOMEM;
	if (!e) {
		*out = json_dumps(o, JSON_COMPACT);
		if (!*out)
			e = ENOMEM;
	}
	json_decref(o);
	/* A meeting row that cannot be built is left to render as it can:
	 * an email without its calendar part is better than none. */
	return e == ENOENT || e == EINVAL ? 0 : e;
}

/* ---- reset and disable (SPEC §2, §3 step 2) ---- */

struct mlist {
	struct store_meeting *v;
	size_t n, cap;
};

static int mlist_add(const struct store_meeting *m, void *arg)
{
	struct mlist *x = arg;
	struct store_meeting *nv;

	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 16;
		nv = realloc(x->v, x->cap * sizeof(*nv));
		if (!nv)
			return ENOMEM;
		x->v = nv;
	}
	x->v[x->n++] = *m;
	return 0;
}

/* A line of the reset email's meetingsList. */
static void list_line(struct app_tx *tx, const struct store_meeting *m)
{
	char when[40] = "", id[APP_CONFID_SIZE] = "";
	size_t len = strlen(tx->meetings_list);
	size_t room = sizeof(tx->meetings_list) - len;
	int w;

	(void)isotime_human(m->start_at, when, sizeof(when));
	confid_format(m->conference_id, id, sizeof(id));
	w = snprintf(tx->meetings_list + len, room,
		     "%s%s, %s: new conference ID %s", len ? "\n" : "",
		     m->subject, when, id);
	if (w < 0 || (size_t)w >= room)
		tx->meetings_list[len] = '\0'; /* full: keep whole lines */
}

static int reissue_one(struct app_tx *tx, const struct store_user *u,
		       struct store_meeting *m, bool update)
{
	uint32_t v;
	int e = 0;

	if (m->confid_live)
		e = app_confid_revoke(tx, m->conference_id);
	if (!e)
		e = app_confid_issue(tx, "system", STORE_CONFID_MEETING, u->id,
				     m->id, &v);
	if (e)
		return e;
	m->sequence++;
	e = store_meeting_update(tx->st, m);
	if (!e)
		e = store_meeting_get(tx->st, m->id, m);
	if (!e && update)
		e = app_meeting_mail_tx(tx, m, u, false);
	if (!e)
		list_line(tx, m);
	return e;
}

int app_meetings_reissue_tx(struct app_tx *tx, const char *actor,
			    const struct store_user *u,
			    bool update_invitations, int *updated)
{
	struct mlist x = { NULL, 0, 0 };
	size_t i;
	int e;

	(void)actor;
	*updated = 0;
	tx->meetings_list[0] = '\0';
	tx->invitations_updated = update_invitations;
	if (!u->has_meetings)
		return 0; /* most users: no query for meetings */
	e = store_meeting_list(tx->st, u->id, app_now(), 0, mlist_add, &x);
	for (i = 0; i < x.n && !e; i++) {
		if (x.v[i].state != STORE_MEETING_SCHEDULED)
			continue;
		e = reissue_one(tx, u, &x.v[i], update_invitations);
		if (!e)
			(*updated)++;
	}
	free(x.v);
	return e;
}

int app_meetings_revoke_tx(struct app_tx *tx, const struct store_user *u)
{
	struct mlist x = { NULL, 0, 0 };
	int64_t now = app_now();
	size_t i;
	int e;

	e = store_meeting_list(tx->st, u->id, INT64_MIN, 0, mlist_add, &x);
	for (i = 0; i < x.n && !e; i++) {
		if (x.v[i].confid_live)
			e = app_confid_revoke(tx, x.v[i].conference_id);
		/* A meeting still to come can no longer take place. */
		if (!e && x.v[i].state == STORE_MEETING_SCHEDULED &&
		    x.v[i].end_at > now) {
			x.v[i].state = STORE_MEETING_CANCELLED;
			e = store_meeting_update(tx->st, &x.v[i]);
		}
	}
	free(x.v);
	return e;
}
