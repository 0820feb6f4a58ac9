/* sqlite_meeting: meetings and their attendees in the SQLite backend.
 *
 * A meeting's conference ID is not a column of meetings: it is the latest
 * row of conference_ids with that meeting_id, read with the meeting (the
 * index conference_ids_meeting keeps that a lookup), so the ID history
 * stays in one table and its invariants in one place. In the struct, 0
 * stands for SQL NULL (a deleted organizer, no ID). */
#include <errno.h>
#include <string.h>

#include "store/sqlite_priv.h"

#define MEETING_COLS \
	"SELECT m.id, m.organizer_id, m.subject, m.start_at, m.end_at," \
	" m.uid, m.sequence, m.state, m.created_at, c.value," \
	" c.row IS NOT NULL AND c.revoked_at IS NULL" \
	" FROM meetings m LEFT JOIN conference_ids c ON c.row =" \
	" (SELECT max(row) FROM conference_ids WHERE meeting_id = m.id) "

static int read_meeting(sqlite3_stmt *stmt, void *arg)
{
	const unsigned char *state = sqlite3_column_text(stmt, 7);
	struct store_meeting *m = arg;
	int err;

	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(stmt, 0);
	m->organizer_id = sqlite3_column_int64(stmt, 1);
	m->start_at = sqlite3_column_int64(stmt, 3);
	m->end_at = sqlite3_column_int64(stmt, 4);
	m->sequence = sqlite3_column_int(stmt, 6);
	m->state = store_meeting_state_parse((const char *)state);
	m->created_at = sqlite3_column_int64(stmt, 8);
	m->conference_id = (uint32_t)sqlite3_column_int64(stmt, 9);
	m->confid_live = sqlite3_column_int(stmt, 10) != 0;
	err = sqlstore_column_text(stmt, 2, m->subject, sizeof(m->subject));
	if (!err)
		err = sqlstore_column_text(stmt, 5, m->uid, sizeof(m->uid));
	return err;
}

struct meeting_scan {
	store_meeting_h *h;
	void *arg;
};

static int meeting_row(sqlite3_stmt *stmt, void *arg)
{
	struct meeting_scan *sc = arg;
	struct store_meeting m;
	int err;

	err = read_meeting(stmt, &m);
	return err ? err : sc->h(&m, sc->arg);
}

/* Hand each row of the query keyed by v to h; h's non-zero return stops
 * the scan. */
static int meeting_scan(struct sqlstore *s, enum sqlstore_stmt id,
			const char *sql, const int64_t *v, int n,
			store_meeting_h *h, void *arg)
{
	struct meeting_scan sc = { .h = h, .arg = arg };

	return sqlstore_select(s, id, sql, v, n, meeting_row, &sc);
}

int sqlstore_meeting_insert(void *conn, struct store_meeting *m)
{
	static const char sql[] =
		"INSERT INTO meetings (organizer_id, subject, start_at, end_at,"
		" uid, sequence, state, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
	const char *state = store_meeting_state_name(m->state);
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(meeting_insert), sql, &stmt);
	if (err)
		return err;
	if ((err = sqlstore_bind_opt_int64(stmt, 1, m->organizer_id)) ||
	    (err = sqlstore_bind_text(stmt, 2, m->subject,
				      sizeof(m->subject))) ||
	    (err = sqlstore_bind_int64(stmt, 3, m->start_at)) ||
	    (err = sqlstore_bind_int64(stmt, 4, m->end_at)) ||
	    (err = sqlstore_bind_text(stmt, 5, m->uid, sizeof(m->uid))) ||
	    (err = sqlstore_bind_int64(stmt, 6, m->sequence)) ||
	    (err = sqlstore_bind_text(stmt, 7, state, strlen(state) + 1)) ||
	    (err = sqlstore_bind_int64(stmt, 8, m->created_at)))
		goto out;
	err = sqlstore_exec_changes(stmt);
	if (!err)
		m->id = sqlite3_last_insert_rowid(s->db);
 out:
	sqlstore_release(s, SQS_OP(meeting_insert), stmt);
	return err;
}

int sqlstore_meeting_get(void *conn, int64_t id, struct store_meeting *m)
{
	static const char sql[] = MEETING_COLS "WHERE m.id = ?1";
	const int64_t v[] = { id };

	return sqlstore_select_one(conn, SQS_OP(meeting_get), sql, v, 1,
				   read_meeting, m);
}

/* ENOENT when there is no such meeting. */
int sqlstore_meeting_update(void *conn, const struct store_meeting *m)
{
	static const char sql[] =
		"UPDATE meetings SET sequence = ?2, state = ?3 WHERE id = ?1";
	const char *state = store_meeting_state_name(m->state);
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(meeting_update), sql, &stmt);
	if (err)
		return err;
	if (!(err = sqlstore_bind_int64(stmt, 1, m->id)) &&
	    !(err = sqlstore_bind_int64(stmt, 2, m->sequence)) &&
	    !(err = sqlstore_bind_text(stmt, 3, state, strlen(state) + 1)))
		err = sqlstore_exec_changes(stmt);
	sqlstore_release(s, SQS_OP(meeting_update), stmt);
	return err;
}

int sqlstore_meeting_list(void *conn, int64_t organizer_id, int64_t end_after,
			  int limit, store_meeting_h *h, void *arg)
{
	static const char sql[] = MEETING_COLS
		"WHERE (?1 = 0 OR m.organizer_id = ?1) AND m.end_at > ?2"
		" ORDER BY m.start_at, m.id LIMIT ?3";
	const int64_t v[] = { organizer_id, end_after, limit > 0 ? limit : -1 };

	return meeting_scan(conn, SQS_OP(meeting_list), sql, v, 3, h, arg);
}

int sqlstore_meeting_scan_live_ended(void *conn, int64_t ended_by,
				     store_meeting_h *h, void *arg)
{
	static const char sql[] = MEETING_COLS
		"WHERE m.end_at <= ?1 AND c.revoked_at IS NULL"
		" AND c.row IS NOT NULL ORDER BY m.end_at, m.id";
	const int64_t v[] = { ended_by };

	return meeting_scan(conn, SQS_OP(meeting_scan_live_ended), sql, v, 1,
			    h, arg);
}

/* A repeat of an address already there (any case) is no error. */
int sqlstore_attendee_add(void *conn, int64_t meeting_id, const char *email)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO meeting_attendees (meeting_id, email)"
		" VALUES (?1, ?2)";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(attendee_add), sql, &stmt);
	if (err)
		return err;
	if (!(err = sqlstore_bind_int64(stmt, 1, meeting_id)) &&
	    !(err = sqlstore_bind_text(stmt, 2, email,
						strlen(email) + 1))) {
		err = sqlstore_err(sqlite3_step(stmt));
	}
	sqlstore_release(s, SQS_OP(attendee_add), stmt);
	return err;
}

struct attendee_scan {
	store_attendee_h *h;
	void *arg;
};

static int attendee_row(sqlite3_stmt *stmt, void *arg)
{
	struct attendee_scan *sc = arg;
	char email[STORE_EMAIL_SIZE];
	int err;

	err = sqlstore_column_text(stmt, 0, email, sizeof(email));
	return err ? err : sc->h(email, sc->arg);
}

int sqlstore_attendee_list(void *conn, int64_t meeting_id,
			   store_attendee_h *h, void *arg)
{
	static const char sql[] =
		"SELECT email FROM meeting_attendees WHERE meeting_id = ?1"
		" ORDER BY rowid";
	const int64_t v[] = { meeting_id };
	struct attendee_scan sc = { .h = h, .arg = arg };

	return sqlstore_select(conn, SQS_OP(attendee_list), sql, v, 1,
			       attendee_row, &sc);
}
