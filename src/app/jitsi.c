/* jitsi: Jitsi Meet rooms mapped to conference IDs (SPEC §7).
 *
 * Jitsi Meet's web app asks a "conference mapper" for the number a phone
 * caller types to reach a room, and dialconf answers with an ordinary
 * conference ID: issued by app_confid_issue from the same pool, refused
 * by the same constraints, revoked into the same quarantine. The row of
 * jitsi_rooms only says which room an ID is (store.h). The mapper is
 * unauthenticated, so a mapping is cheap to ask for and must be cheap to
 * forget: a room unused for jitsiRoomIdleDays (use: a look-up by name, or
 * a call) loses its ID, and gets a new one when it is used again.
 *
 * A room's name is Jitsi's "room@muc.domain", lowercased as Jitsi itself
 * does: the node is an XMPP localpart without the characters RFC 7622
 * §3.3.1 forbids, the domain letters, digits, dots and hyphens. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_priv.h"
#include "core/confid.h"

#define JITSI_ACTOR "jitsi"

/* Lowercase a room name into out and check it. */
static int room_name(const char *in, char *out, size_t size,
		     struct app_err *err)
{
	const char *at;
	size_t len, i;

	len = in ? strlen(in) : 0;
	if (len < 3 || len >= size || len >= APP_JITSI_ROOM_SIZE) {
		app_errf(err, "a conference is room@domain, 3 to %d bytes",
			 APP_JITSI_ROOM_SIZE - 1);
		return EINVAL;
	}
	at = strchr(in, '@');
	if (!at || at == in || !at[1] || strchr(at + 1, '@')) {
		app_errf(err, "a conference is room@domain, with one '@'");
		return EINVAL;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];
		bool node = in + i < at;

		if (node && (ch <= 0x20 || ch == 0x7f ||
			     strchr("\"&'/:<>", ch))) {
			app_errf(err, "the room name may not hold blanks, "
				 "control characters or \"&'/:<>");
			return EINVAL;
		}
		if (!node && in + i > at && !isalnum(ch) && ch != '.' &&
		    ch != '-') {
			app_errf(err, "the domain may hold letters, digits, "
				 "'.' and '-' only");
			return EINVAL;
		}
		out[i] = (char)(ch < 0x80 ? tolower(ch) : ch);
	}
	out[len] = '\0';
	return 0;
}

static void room_out(const struct store_jitsi_room *r,
		     struct app_jitsi_room *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->conference, sizeof(out->conference), "%s",
		 r->conference);
	confid_format(r->value, out->conference_id,
		      sizeof(out->conference_id));
	out->created_at = r->created_at;
	out->last_used_at = r->last_used_at;
}

static bool jigasi_set(struct store *st)
{
	char uri[APP_JITSI_URI_SIZE];

	return !app_setting_text(st, "jitsiJigasiUri", uri, sizeof(uri)) &&
	       uri[0];
}

int app_jitsi_config(struct app *a, struct app_jitsi_config *c)
{
	struct store *st;
	long n = 60;
	int e;

	memset(c, 0, sizeof(*c));
	st = app_conn_get(a);
	c->enabled = jigasi_set(st);
	e = app_setting_text(st, "jitsiAllowedOrigins", c->origins,
			     sizeof(c->origins));
	if (!e)
		e = app_setting_text(st, "httpTrustedProxies", c->trusted,
				     sizeof(c->trusted));
	if (!e)
		e = app_setting_int(st, "jitsiRequestsPerMinute", &n);
	app_conn_put(a, st);
	c->per_minute = n > 0 ? (unsigned)n : 1;
	return e;
}

struct map_args {
	const char *conference;   /* checked and lowercased */
	struct store_jitsi_room r; /* out */
	bool disabled;             /* out: no Jigasi configured */
	bool full;                 /* out: jitsiMaxRooms reached */
};

/* Is the room's ID still live? (A room's ID is only revoked by the expiry
 * below, which forgets the room with it; checked anyway.) */
static int room_live(struct store *st, const struct store_jitsi_room *r,
		     bool *live)
{
	struct store_confid c;
	int e;

	e = store_confid_lookup(st, r->value, &c);
	*live = !e && c.row == r->confid_row && c.revoked_at == 0;
	return e == ENOENT ? 0 : e;
}

/* A new ID for the room, and the room row pointing at it: ENOSPC past
 * jitsiMaxRooms, since anyone may ask. */
static int map_new(struct app_tx *tx, struct map_args *m, int64_t now)
{
	struct store_confid c;
	char id[APP_CONFID_SIZE];
	int64_t rooms = 0;
	long max = 10000;
	uint32_t v;
	int e;

	e = app_setting_int(tx->st, "jitsiMaxRooms", &max);
	if (!e)
		e = store_jitsi_room_count(tx->st, &rooms);
	if (!e && rooms >= max)
		m->full = true;
	if (e || m->full)
		return e ? e : ENOSPC;
	e = app_confid_issue(tx, JITSI_ACTOR, STORE_CONFID_MEETING, 0, 0, &v);
	if (!e)
		e = store_confid_lookup(tx->st, v, &c);
	if (e)
		return e;
	memset(&m->r, 0, sizeof(m->r));
	snprintf(m->r.conference, sizeof(m->r.conference), "%s",
		 m->conference);
	m->r.confid_row = c.row;
	m->r.value = v;
	m->r.created_at = m->r.last_used_at = now;
	e = store_jitsi_room_insert(tx->st, &m->r);
	confid_format(v, id, sizeof(id));
	if (!e)
		e = app_audit(tx, JITSI_ACTOR, APP_AUDIT_JITSI_MAP, id,
			      json_pack("{s:s}", "conference",
					m->conference));
	return e;
}

static int map_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct map_args *m = arg;
	int64_t now = app_now();
	bool live = false;
	int e;

	(void)err;
	m->disabled = !jigasi_set(tx->st);
	if (m->disabled)
		return 0;
	e = store_jitsi_room_get(tx->st, m->conference, &m->r);
	if (e == ENOENT)
		return map_new(tx, m, now);
	if (!e)
		e = room_live(tx->st, &m->r, &live);
	if (!e && !live) {
		e = store_jitsi_room_delete(tx->st, m->conference);
		return e ? e : map_new(tx, m, now);
	}
	if (!e && now > m->r.last_used_at) {
		e = store_jitsi_room_touch(tx->st, m->conference, now);
		m->r.last_used_at = now;
	}
	return e;
}

int app_jitsi_map(struct app *a, const char *conference,
		  struct app_jitsi_room *out, struct app_err *err)
{
	char name[APP_JITSI_ROOM_SIZE];
	struct map_args m = { .conference = name };
	int e, tries;

	app_err_clear(err);
	e = room_name(conference, name, sizeof(name), err);
	/* Two first look-ups of one room at once: the second insert is
	 * refused (EEXIST) and a second run finds the first one's room. */
	for (tries = 0; !e && tries < 2; tries++) {
		e = app_tx_run(a, map_tx, &m, err);
		if (e != EEXIST)
			break;
	}
	if (e == ENOSPC && m.full)
		app_errf(err, "no new Jitsi room can be mapped now "
			 "(jitsiMaxRooms)");
	if (e)
		return e;
	if (m.disabled) {
		app_errf(err, "Jitsi Meet dial-in is not configured");
		return EBUSY;
	}
	room_out(&m.r, out);
	return 0;
}

int app_jitsi_room_of(struct app *a, const char *id,
		      struct app_jitsi_room *out)
{
	struct store_jitsi_room r;
	struct store *st;
	uint32_t v;
	int e;

	if (!id || confid_parse(id, &v))
		return ENOENT;
	st = app_conn_get(a);
	e = jigasi_set(st) ? store_jitsi_room_by_value(st, v, &r) : ENOENT;
	app_conn_put(a, st);
	if (!e)
		room_out(&r, out);
	return e;
}

struct rooms_ctx {
	app_jitsi_room_h *h;
	void *arg;
};

static int rooms_one(const struct store_jitsi_room *r, void *arg)
{
	struct rooms_ctx *x = arg;
	struct app_jitsi_room out;

	room_out(r, &out);
	return x->h(&out, x->arg);
}

int app_jitsi_rooms(struct app *a, app_jitsi_room_h *h, void *arg,
		    struct app_err *err)
{
	struct rooms_ctx x = { h, arg };
	struct store *st;
	int e;

	app_err_clear(err);
	st = app_conn_get(a);
	e = store_jitsi_room_list(st, INT64_MAX, rooms_one, &x);
	app_conn_put(a, st);
	return e;
}

static int used_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct app_dialin_target *t = arg;
	int e;

	(void)err;
	e = store_jitsi_room_touch(tx->st, t->jitsi_room, app_now());
	return e == ENOENT ? 0 : e; /* forgotten meanwhile: nothing to do */
}

int app_jitsi_used(struct app *a, const struct app_dialin_target *t)
{
	if (!t->jitsi_room[0])
		return 0;
	return app_tx_run(a, used_tx, (void *)t, NULL);
}

struct idle_room {
	char conference[APP_JITSI_ROOM_SIZE];
	uint32_t value;
};

struct idle_list {
	struct idle_room *v;
	size_t n, cap;
};

static int idle_add(const struct store_jitsi_room *r, void *arg)
{
	struct idle_list *x = arg;

	if (app_grow(&x->v, &x->cap, x->n, sizeof(*x->v), 16))
		return ENOMEM;
	snprintf(x->v[x->n].conference, sizeof(x->v[x->n].conference), "%s",
		 r->conference);
	x->v[x->n++].value = r->value;
	return 0;
}

struct expire_args {
	int64_t now;
	int n; /* out */
};

/* Revoke first (the ID goes to quarantine like any other), then forget
 * the room, in one transaction. */
static int expire_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct expire_args *c = arg;
	struct idle_list x = { NULL, 0, 0 };
	char id[APP_CONFID_SIZE];
	long days = 30;
	size_t i;
	int e;

	(void)err;
	c->n = 0;
	e = app_setting_int(tx->st, "jitsiRoomIdleDays", &days);
	if (!e)
		e = store_jitsi_room_list(tx->st, c->now - days * 86400,
					  idle_add, &x);
	for (i = 0; i < x.n && !e; i++) {
		struct store_jitsi_room r;
		bool live = false;

		e = store_jitsi_room_get(tx->st, x.v[i].conference, &r);
		if (!e)
			e = room_live(tx->st, &r, &live);
		if (!e && live)
			e = app_confid_revoke(tx, x.v[i].value);
		if (!e)
			e = store_jitsi_room_delete(tx->st, x.v[i].conference);
		confid_format(x.v[i].value, id, sizeof(id));
		if (!e)
			e = app_audit(tx, "system", APP_AUDIT_JITSI_EXPIRE, id,
				      json_pack("{s:s, s:i}", "conference",
						x.v[i].conference, "idleDays",
						(int)days));
	}
	c->n = (int)x.n;
	free(x.v);
	return e;
}

int app_jitsi_expire(struct app *a, int64_t now, int *n)
{
	struct expire_args c = { now, 0 };
	int e;

	e = app_tx_run(a, expire_tx, &c, NULL);
	if (n)
		*n = e ? 0 : c.n;
	return e;
}
