/* sqlite_confid: conference IDs in the SQLite backend.
 *
 * conference_ids is the history of every ID ever issued, one row per issue,
 * never deleted. A row is live while revoked_at is NULL. The database, not
 * this code, refuses a second live row of a value, a second live personal
 * ID of a user and a value still in quarantine (sqlite_schema.c); those
 * come back here as SQLITE_CONSTRAINT and leave as EEXIST. In the struct, 0
 * stands for SQL NULL (no user, no meeting, not revoked). */
#include <errno.h>
#include <string.h>

#include "store/sqlite_priv.h"

#define CONFID_COLS \
	"SELECT row, value, kind, user_id, meeting_id, issued_at," \
	" revoked_at, quarantine_until FROM conference_ids "

static int read_confid(sqlite3_stmt *stmt, void *arg)
{
	const unsigned char *kind = sqlite3_column_text(stmt, 2);
	struct store_confid *c = arg;

	memset(c, 0, sizeof(*c));
	c->row = sqlite3_column_int64(stmt, 0);
	c->value = (uint32_t)sqlite3_column_int64(stmt, 1);
	c->kind = store_confid_kind_parse((const char *)kind);
	c->user_id = sqlite3_column_int64(stmt, 3);
	c->meeting_id = sqlite3_column_int64(stmt, 4);
	c->issued_at = sqlite3_column_int64(stmt, 5);
	c->revoked_at = sqlite3_column_int64(stmt, 6);
	c->quarantine_until = sqlite3_column_int64(stmt, 7);
	return 0;
}

struct confid_scan {
	store_confid_h *h;
	void *arg;
};

static int confid_row(sqlite3_stmt *stmt, void *arg)
{
	struct confid_scan *sc = arg;
	struct store_confid c;

	read_confid(stmt, &c);
	return sc->h(&c, sc->arg);
}

/* Hand each row of the query keyed by v to h; h's non-zero return stops
 * the scan. */
static int confid_scan(struct sqlstore *s, enum sqlstore_stmt id,
		       const char *sql, const int64_t *v, int n,
		       store_confid_h *h, void *arg)
{
	struct confid_scan sc = { .h = h, .arg = arg };

	return sqlstore_select(s, id, sql, v, n, confid_row, &sc);
}

/* Issue c->value live: the row, revoked_at and quarantine_until of c are
 * set from what was stored. */
int sqlstore_confid_insert(void *conn, struct store_confid *c)
{
	static const char sql[] =
		"INSERT INTO conference_ids (value, kind, user_id, meeting_id,"
		" issued_at) VALUES (?1, ?2, ?3, ?4, ?5)";
	const char *kind = store_confid_kind_name(c->kind);
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	if (!kind)
		return EINVAL;

	err = sqlstore_prepare(s, SQS_OP(confid_insert), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_int64(stmt, 1, c->value)) ||
	    (err = sqlstore_bind_text(stmt, 2, kind, strlen(kind) + 1)) ||
	    (err = sqlstore_bind_opt_int64(stmt, 3, c->user_id)) ||
	    (err = sqlstore_bind_opt_int64(stmt, 4, c->meeting_id)) ||
	    (err = sqlstore_bind_int64(stmt, 5, c->issued_at)))
		goto out;

	err = sqlstore_exec_changes(stmt);
	if (err)
		goto out;

	c->row = sqlite3_last_insert_rowid(s->db);
	c->revoked_at = 0;
	c->quarantine_until = 0;

 out:
	sqlstore_release(s, SQS_OP(confid_insert), stmt);
	return err;
}

/* ENOENT if value has no live row. */
int sqlstore_confid_revoke(void *conn, uint32_t value, int64_t at,
			   int64_t quarantine_until)
{
	static const char sql[] =
		"UPDATE conference_ids SET revoked_at = ?2,"
		" quarantine_until = ?3"
		" WHERE value = ?1 AND revoked_at IS NULL";
	const int64_t v[] = { value, at, quarantine_until };

	return sqlstore_exec_ints(conn, SQS_OP(confid_revoke), sql, v, 3);
}

/* The dial-in hot path: one probe of conference_ids_value, newest row. */
int sqlstore_confid_lookup(void *conn, uint32_t value, struct store_confid *c)
{
	static const char sql[] = CONFID_COLS
		"WHERE value = ?1 ORDER BY row DESC LIMIT 1";
	const int64_t v[] = { value };

	return sqlstore_select_one(conn, SQS_OP(confid_lookup), sql, v, 1,
				   read_confid, c);
}

int sqlstore_confid_personal(void *conn, int64_t user_id,
			     struct store_confid *c)
{
	static const char sql[] = CONFID_COLS
		"WHERE user_id = ?1 AND kind = 'personal'"
		" AND revoked_at IS NULL";
	const int64_t v[] = { user_id };

	return sqlstore_select_one(conn, SQS_OP(confid_personal), sql, v, 1,
				   read_confid, c);
}

/* Everything the allocator must not draw at now: live and quarantined. */
int sqlstore_confid_scan_unavailable(void *conn, int64_t now,
				     store_confid_h *h, void *arg)
{
	static const char sql[] = CONFID_COLS
		"WHERE revoked_at IS NULL OR quarantine_until > ?1"
		" ORDER BY row";
	const int64_t v[] = { now };

	return confid_scan(conn, SQS_OP(confid_scan_unavailable), sql, v, 1,
			   h, arg);
}

/* Rows issued after after_row, by row: how another node learns of new
 * issues. A revocation adds no row; scan_unavailable sees those. */
int sqlstore_confid_scan_since(void *conn, int64_t after_row,
			       store_confid_h *h, void *arg)
{
	static const char sql[] = CONFID_COLS
		"WHERE row > ?1 ORDER BY row";
	const int64_t v[] = { after_row };

	return confid_scan(conn, SQS_OP(confid_scan_since), sql, v, 1, h, arg);
}

/* Values whose quarantine ran out in (from, to] and that nobody holds
 * again: the allocator may free them. */
int sqlstore_confid_scan_expired(void *conn, int64_t from, int64_t to,
				 store_confid_h *h, void *arg)
{
	static const char sql[] = CONFID_COLS
		"WHERE quarantine_until > ?1 AND quarantine_until <= ?2"
		" AND NOT EXISTS (SELECT 1 FROM conference_ids l"
		"  WHERE l.value = conference_ids.value"
		"  AND l.revoked_at IS NULL)"
		" ORDER BY quarantine_until, row";
	const int64_t v[] = { from, to };

	return confid_scan(conn, SQS_OP(confid_scan_expired), sql, v, 2, h,
			   arg);
}

/* The quarantined row closest to release (the oldest revocation when all
 * quarantines are equally long); ENOENT if nothing is quarantined. */
int sqlstore_confid_oldest_quarantined(void *conn, int64_t now,
				       struct store_confid *c)
{
	static const char sql[] = CONFID_COLS
		"WHERE quarantine_until > ?1"
		" ORDER BY quarantine_until, row LIMIT 1";
	const int64_t v[] = { now };

	return sqlstore_select_one(conn, SQS_OP(confid_oldest_quarantined),
				   sql, v, 1, read_confid, c);
}

/* Cut the quarantine of value short at now, so an issue at now or later
 * passes the quarantine trigger. ENOENT if value is not quarantined. */
int sqlstore_confid_end_quarantine(void *conn, uint32_t value, int64_t now)
{
	static const char sql[] =
		"UPDATE conference_ids SET quarantine_until = ?2"
		" WHERE value = ?1 AND quarantine_until > ?2";
	const int64_t v[] = { value, now };

	return sqlstore_exec_ints(conn, SQS_OP(confid_end_quarantine), sql, v,
				  2);
}
