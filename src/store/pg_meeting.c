/* pg_meeting: meetings and their attendees in the PostgreSQL backend, the
 * mirror of sqlite_meeting.c. A meeting's conference ID is the latest row
 * of conference_ids with its meeting_id, read with the meeting. Attendees
 * come back in the order they were added (the pos column plays SQLite's
 * rowid). */
#include <errno.h>
#include <string.h>

#include "store/pg_priv.h"

#define MEETING_COLS \
	"SELECT m.id, m.organizer_id, m.subject, m.start_at, m.end_at," \
	" m.uid, m.sequence, m.state, m.created_at, c.value," \
	" c.\"row\" IS NOT NULL AND c.revoked_at IS NULL" \
	" FROM meetings m LEFT JOIN conference_ids c ON c.\"row\" =" \
	" (SELECT max(\"row\") FROM conference_ids WHERE meeting_id = m.id) "

static int read_meeting(const PGresult *res, int row, struct store_meeting *m)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->id = pgstore_int(res, row, 0);
	m->organizer_id = pgstore_int(res, row, 1);
	m->start_at = pgstore_int(res, row, 3);
	m->end_at = pgstore_int(res, row, 4);
	m->sequence = (int)pgstore_int(res, row, 6);
	m->state = store_meeting_state_parse(PQgetvalue(res, row, 7));
	m->created_at = pgstore_int(res, row, 8);
	m->conference_id = (uint32_t)pgstore_int(res, row, 9);
	m->confid_live = pgstore_bool(res, row, 10);
	err = pgstore_text(res, row, 2, m->subject, sizeof(m->subject));
	if (!err)
		err = pgstore_text(res, row, 5, m->uid, sizeof(m->uid));
	return err;
}

static int meeting_each(const PGresult *res, store_meeting_h *h, void *arg)
{
	struct store_meeting m;
	int i, err = 0;

	for (i = 0; !err && i < PQntuples(res); i++) {
		err = read_meeting(res, i, &m);
		if (!err)
			err = h(&m, arg);
	}
	return err;
}

int pgstore_meeting_insert(void *conn, struct store_meeting *m)
{
	static const char sql[] =
		"INSERT INTO meetings (organizer_id, subject, start_at, end_at,"
		" uid, sequence, state, created_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
	const char *state = store_meeting_state_name(m->state);
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_opt_int(&pp, m->organizer_id);
	pgp_text(&pp, m->subject, sizeof(m->subject));
	pgp_int(&pp, m->start_at);
	pgp_int(&pp, m->end_at);
	pgp_text(&pp, m->uid, sizeof(m->uid));
	pgp_int(&pp, m->sequence);
	pgp_text(&pp, state, strlen(state) + 1);
	pgp_int(&pp, m->created_at);

	err = pgstore_run(conn, PGS_OP(meeting_insert), sql, &pp, &res);
	if (!err)
		m->id = pgstore_int(res, 0, 0);
	PQclear(res);
	return err;
}

int pgstore_meeting_get(void *conn, int64_t id, struct store_meeting *m)
{
	static const char sql[] = MEETING_COLS "WHERE m.id = $1";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_int(&pp, id);
	err = pgstore_one(conn, PGS_OP(meeting_get), sql, &pp, &res);
	if (!err)
		err = read_meeting(res, 0, m);
	PQclear(res);
	return err;
}

/* ENOENT when there is no such meeting. */
int pgstore_meeting_update(void *conn, const struct store_meeting *m)
{
	static const char sql[] =
		"UPDATE meetings SET sequence = $2, state = $3 WHERE id = $1";
	const char *state = store_meeting_state_name(m->state);
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, m->id);
	pgp_int(&pp, m->sequence);
	pgp_text(&pp, state, strlen(state) + 1);
	return pgstore_changes(conn, PGS_OP(meeting_update), sql, &pp);
}

int pgstore_meeting_list(void *conn, int64_t organizer_id, int64_t end_after,
			 int limit, store_meeting_h *h, void *arg)
{
	/* Two statements, not one with "($1 = 0 OR organizer_id = $1)":
	 * PostgreSQL cannot use meetings_organizer in a generic plan of
	 * that, so it planned the statement anew at every run (a reset
	 * lists the user's meetings: that planning was its costliest
	 * step). */
	static const char sql_all[] = MEETING_COLS
		"WHERE m.end_at > $1 ORDER BY m.start_at, m.id LIMIT $2";
	static const char sql_org[] = MEETING_COLS
		"WHERE m.organizer_id = $3 AND m.end_at > $1"
		" ORDER BY m.start_at, m.id LIMIT $2";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_int(&pp, end_after);
	pgp_opt_int(&pp, limit > 0 ? limit : 0); /* LIMIT NULL: no limit */
	if (organizer_id)
		pgp_int(&pp, organizer_id);
	err = pgstore_run(conn, organizer_id ? PGS_MEETING_LIST_ORGANIZER :
			  PGS_OP(meeting_list),
			  organizer_id ? sql_org : sql_all, &pp, &res);
	if (!err)
		err = meeting_each(res, h, arg);
	PQclear(res);
	return err;
}

int pgstore_meeting_scan_live_ended(void *conn, int64_t ended_by,
				    store_meeting_h *h, void *arg)
{
	static const char sql[] = MEETING_COLS
		"WHERE m.end_at <= $1 AND c.revoked_at IS NULL"
		" AND c.\"row\" IS NOT NULL ORDER BY m.end_at, m.id";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_int(&pp, ended_by);
	err = pgstore_run(conn, PGS_OP(meeting_scan_live_ended), sql, &pp,
			  &res);
	if (!err)
		err = meeting_each(res, h, arg);
	PQclear(res);
	return err;
}

/* A repeat of an address already there (any case) is no error. Unlike
 * SQLite's INSERT OR IGNORE, which also drops a row its CHECK refuses, an
 * empty address is EINVAL here. */
int pgstore_attendee_add(void *conn, int64_t meeting_id, const char *email)
{
	static const char sql[] =
		"INSERT INTO meeting_attendees (meeting_id, email)"
		" VALUES ($1, $2) ON CONFLICT DO NOTHING";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, meeting_id);
	pgp_text(&pp, email, strlen(email) + 1);
	return pgstore_run(conn, PGS_OP(attendee_add), sql, &pp, NULL);
}

int pgstore_attendee_list(void *conn, int64_t meeting_id,
			  store_attendee_h *h, void *arg)
{
	static const char sql[] =
		"SELECT email FROM meeting_attendees WHERE meeting_id = $1"
		" ORDER BY pos";
	char email[STORE_EMAIL_SIZE];
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int i, err;

	pgp_int(&pp, meeting_id);
	err = pgstore_run(conn, PGS_OP(attendee_list), sql, &pp, &res);
	for (i = 0; !err && i < PQntuples(res); i++) {
		err = pgstore_text(res, i, 0, email, sizeof(email));
		if (!err)
			err = h(email, arg);
	}
	PQclear(res);
	return err;
}
