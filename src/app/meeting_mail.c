/* meeting_mail: a meeting's emails (invitation, update, cancellation) and
 * what a reset or a disable does to a user's meetings (SPEC §2, §3 step 2,
 * §5). The calendar part is added when the worker claims a row
 * (meeting_ics.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app_priv.h"
#include "core/confid.h"
#include "core/e164.h"
#include "core/ical.h"
#include "core/isotime.h"
#include "core/tmpl.h"

#define OTHER_NUMBERS_MAX 10
#define OTHER_SIZE 1024
#define SEQ_SIZE 16

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
	char shown[E164_FORMAT_SIZE];
	int w;

	if (!strcmp(n->number, c->au->toll_number) ||
	    !strcmp(n->number, c->au->toll_free_number) ||
	    c->n >= OTHER_NUMBERS_MAX)
		return 0;
	/* As the admin center shows it (a stored number always fits). */
	if (e164_format(n->number, shown, sizeof(shown)))
		return 0;
	w = snprintf(c->out + c->len, c->size - c->len, "%s    %s%s%s%s (%s)",
		     c->len ? "\n" : "", shown,
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

/* ---- reset and disable (SPEC §2, §3 step 2) ---- */

struct mlist {
	struct store_meeting *v;
	size_t n, cap;
};

static int mlist_add(const struct store_meeting *m, void *arg)
{
	struct mlist *x = arg;

	if (app_grow(&x->v, &x->cap, x->n, sizeof(*x->v), 16))
		return ENOMEM;
	x->v[x->n++] = *m;
	return 0;
}

/* A line of the reset email's meetingsList, added to list (size bytes). */
static void list_line(char *list, size_t size, const struct store_meeting *m)
{
	char when[40] = "", id[APP_CONFID_SIZE] = "";
	size_t len = strlen(list);
	size_t room = size - len;
	int w;

	(void)isotime_human(m->start_at, when, sizeof(when));
	confid_format(m->conference_id, id, sizeof(id));
	w = snprintf(list + len, room, "%s%s, %s: new conference ID %s",
		     len ? "\n" : "", m->subject, when, id);
	if (w < 0 || (size_t)w >= room)
		list[len] = '\0'; /* full: keep whole lines */
}

static int reissue_one(struct app_tx *tx, const struct store_user *u,
		       struct store_meeting *m, bool update, char *list,
		       size_t size)
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
		list_line(list, size, m);
	return e;
}

int app_meetings_reissue_tx(struct app_tx *tx, const struct store_user *u,
			    bool update_invitations, int *updated,
			    char *list, size_t size)
{
	struct mlist x = { NULL, 0, 0 };
	size_t i;
	int e;

	*updated = 0;
	list[0] = '\0';
	if (!u->has_meetings)
		return 0; /* most users: no query for meetings */
	e = store_meeting_list(tx->st, u->id, app_now(), 0, mlist_add, &x);
	for (i = 0; i < x.n && !e; i++) {
		if (x.v[i].state != STORE_MEETING_SCHEDULED)
			continue;
		e = reissue_one(tx, u, &x.v[i], update_invitations, list,
				size);
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
