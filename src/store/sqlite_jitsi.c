/* sqlite_jitsi: Jitsi Meet rooms mapped to conference IDs in the SQLite
 * backend (table jitsi_rooms, sqlite_schema.c migration 9). The ID itself
 * is a conference_ids row; a room is read with the value of that row. */
#include <errno.h>
#include <string.h>

#include "store/sqlite_priv.h"

#define ROOM_COLS \
	"SELECT j.conference, j.confid_row, c.value, j.created_at," \
	" j.last_used_at FROM jitsi_rooms j" \
	" JOIN conference_ids c ON c.row = j.confid_row "

static int read_room(sqlite3_stmt *stmt, void *arg)
{
	struct store_jitsi_room *r = arg;

	memset(r, 0, sizeof(*r));
	r->confid_row = sqlite3_column_int64(stmt, 1);
	r->value = (uint32_t)sqlite3_column_int64(stmt, 2);
	r->created_at = sqlite3_column_int64(stmt, 3);
	r->last_used_at = sqlite3_column_int64(stmt, 4);
	return sqlstore_column_text(stmt, 0, r->conference,
				    sizeof(r->conference));
}

int sqlstore_jitsi_room_insert(void *conn, const struct store_jitsi_room *r)
{
	static const char sql[] =
		"INSERT INTO jitsi_rooms (conference, confid_row, created_at,"
		" last_used_at) VALUES (?1, ?2, ?3, ?4)";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(jitsi_room_insert), sql, &stmt);
	if (err)
		return err;
	if ((err = sqlstore_bind_text(stmt, 1, r->conference,
				      sizeof(r->conference))) ||
	    (err = sqlstore_bind_int64(stmt, 2, r->confid_row)) ||
	    (err = sqlstore_bind_int64(stmt, 3, r->created_at)) ||
	    (err = sqlstore_bind_int64(stmt, 4, r->last_used_at)))
		goto out;
	err = sqlstore_exec_changes(stmt);
 out:
	sqlstore_release(s, SQS_OP(jitsi_room_insert), stmt);
	return err;
}

int sqlstore_jitsi_room_get(void *conn, const char *conference,
			    struct store_jitsi_room *r)
{
	static const char sql[] = ROOM_COLS "WHERE j.conference = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(jitsi_room_get), sql, &stmt);
	if (err)
		return err;
	err = sqlstore_bind_text(stmt, 1, conference, STORE_JITSI_ROOM_SIZE);
	if (!err)
		err = sqlstore_row(stmt, read_room, r);
	sqlstore_release(s, SQS_OP(jitsi_room_get), stmt);
	return err;
}

int sqlstore_jitsi_room_by_value(void *conn, uint32_t value,
				 struct store_jitsi_room *r)
{
	static const char sql[] = ROOM_COLS
		"WHERE c.value = ?1 AND c.revoked_at IS NULL";
	const int64_t v[] = { value };

	return sqlstore_select_one(conn, SQS_OP(jitsi_room_by_value), sql, v,
				   1, read_room, r);
}

/* One statement of a conference and an optional time. */
static int by_conference(struct sqlstore *s, enum sqlstore_stmt id,
			 const char *sql, const char *conference, int64_t at,
			 bool with_at)
{
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, id, sql, &stmt);
	if (err)
		return err;
	err = sqlstore_bind_text(stmt, 1, conference, STORE_JITSI_ROOM_SIZE);
	if (!err && with_at)
		err = sqlstore_bind_int64(stmt, 2, at);
	if (!err)
		err = sqlstore_exec_changes(stmt);
	sqlstore_release(s, id, stmt);
	return err;
}

int sqlstore_jitsi_room_touch(void *conn, const char *conference, int64_t at)
{
	return by_conference(conn, SQS_OP(jitsi_room_touch),
			     "UPDATE jitsi_rooms SET last_used_at ="
			     " max(last_used_at, ?2) WHERE conference = ?1",
			     conference, at, true);
}

int sqlstore_jitsi_room_delete(void *conn, const char *conference)
{
	return by_conference(conn, SQS_OP(jitsi_room_delete),
			     "DELETE FROM jitsi_rooms WHERE conference = ?1",
			     conference, 0, false);
}

int sqlstore_jitsi_room_count(void *conn, int64_t *n)
{
	return sqlstore_count(conn, SQS_OP(jitsi_room_count),
			      "SELECT count(*) FROM jitsi_rooms", n);
}

struct room_scan {
	store_jitsi_room_h *h;
	void *arg;
};

static int room_row(sqlite3_stmt *stmt, void *arg)
{
	struct room_scan *sc = arg;
	struct store_jitsi_room r;
	int err;

	err = read_room(stmt, &r);
	return err ? err : sc->h(&r, sc->arg);
}

int sqlstore_jitsi_room_list(void *conn, int64_t used_before,
			     store_jitsi_room_h *h, void *arg)
{
	static const char sql[] = ROOM_COLS
		"WHERE j.last_used_at < ?1 ORDER BY j.conference";
	const int64_t v[] = { used_before };
	struct room_scan sc = { .h = h, .arg = arg };

	return sqlstore_select(conn, SQS_OP(jitsi_room_list), sql, v, 1,
			       room_row, &sc);
}
