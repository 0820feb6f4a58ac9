/* meeting_ics: a meeting's calendar object (RFC 5545, RFC 5546), for
 * GET /api/v1/meetings/{id}/ics and for the invitation rows of the outbox.
 *
 * An invitation row holds which version of the meeting it announces
 * (meetingId, icalMethod, icalSequence, the conference ID and numbers of
 * that moment). The calendar object is built when the worker claims the
 * row (the same UID, that SEQUENCE), from the attendees as stored: a
 * 1000-attendee ATTENDEE list is far bigger than a row's variables may
 * be, and the list never changes after scheduling. One batch's rows of the
 * same meeting version share one build (struct app_ics_cache). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_priv.h"
#include "core/buf.h"
#include "core/e164.h"
#include "core/ical.h"

#define DESC_CAP (16 * 1024)

/* ---- the dial-in section of the calendar object ---- */

/* DESCRIPTION (RFC 5545 §3.8.1.5): the same dial-in section the text part
 * ends with, so a calendar entry alone is enough to join. */
static int description(struct buf *b, const char *confid, const char *toll,
		       const char *toll_free, bool cancel)
{
	char t[E164_FORMAT_SIZE], tf[E164_FORMAT_SIZE];
	int e = 0;

	if (cancel)
		return buf_printf(b, "This meeting was cancelled. Its "
				  "conference ID %s no longer works.\n",
				  confid);
	/* The numbers as the emails and the admin center show them. */
	if (e164_format(toll, t, sizeof(t)) ||
	    e164_format(toll_free, tf, sizeof(tf)))
		return EINVAL;
	e = buf_printf(b, "Join by phone\n\n");
	if (!e && t[0])
		e = buf_printf(b, "%s,,%s#   (toll)\n", t, confid);
	if (!e && tf[0])
		e = buf_printf(b, "%s,,%s#   (toll-free)\n", tf, confid);
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

	if (app_grow(&x->v, &x->cap, x->n, sizeof(*x->v), 64))
		return ENOMEM;
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
