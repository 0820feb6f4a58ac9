/* sqlite_session: admin center sessions and the sign-in bookkeeping of
 * admin accounts (failed attempts, lockout, password) in the SQLite
 * backend. A session row is found by the digest of its id: the id itself,
 * which is the cookie, is never stored. */
#include <errno.h>
#include <string.h>

#include "store/sqlite_priv.h"

#define SESSION_COLS \
	"SELECT s.digest, s.admin_id, a.username, s.csrf, s.created_at," \
	" s.last_seen_at, s.expires_at" \
	" FROM admin_sessions s JOIN admins a ON a.id = s.admin_id "

/* Run a one-text-parameter write (delete by digest and the like). */
static int exec_text(struct sqlstore *s, enum sqlstore_stmt id,
		     const char *sql, const char *text, size_t size)
{
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, id, sql, &stmt);
	if (err)
		return err;

	err = sqlstore_bind_text(stmt, 1, text, size);
	if (!err)
		err = sqlstore_exec_changes(stmt);

	sqlstore_release(s, id, stmt);
	return err;
}

int sqlstore_admin_update(void *conn, const struct store_admin *a)
{
	static const char sql[] =
		"UPDATE admins SET password_hash = ?2, failed_logins = ?3,"
		" locked_until = ?4 WHERE id = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(admin_update), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_int64(stmt, 1, a->id)) ||
	    (err = sqlstore_bind_text(stmt, 2, a->password_hash,
				      sizeof(a->password_hash))) ||
	    (err = sqlstore_bind_int64(stmt, 3, a->failed_logins)) ||
	    (err = sqlstore_bind_int64(stmt, 4, a->locked_until)))
		goto out;

	err = sqlstore_exec_changes(stmt);

 out:
	sqlstore_release(s, SQS_OP(admin_update), stmt);
	return err;
}

int sqlstore_session_insert(void *conn, const struct store_session *ss)
{
	static const char sql[] =
		"INSERT INTO admin_sessions (digest, admin_id, csrf,"
		" created_at, last_seen_at, expires_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(session_insert), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_text(stmt, 1, ss->digest,
				      sizeof(ss->digest))) ||
	    (err = sqlstore_bind_int64(stmt, 2, ss->admin_id)) ||
	    (err = sqlstore_bind_text(stmt, 3, ss->csrf, sizeof(ss->csrf))) ||
	    (err = sqlstore_bind_int64(stmt, 4, ss->created_at)) ||
	    (err = sqlstore_bind_int64(stmt, 5, ss->last_seen_at)) ||
	    (err = sqlstore_bind_int64(stmt, 6, ss->expires_at)))
		goto out;

	err = sqlstore_exec_changes(stmt);

 out:
	sqlstore_release(s, SQS_OP(session_insert), stmt);
	return err;
}

static int read_session(sqlite3_stmt *stmt, struct store_session *ss)
{
	int err;

	memset(ss, 0, sizeof(*ss));
	ss->admin_id = sqlite3_column_int64(stmt, 1);
	ss->created_at = sqlite3_column_int64(stmt, 4);
	ss->last_seen_at = sqlite3_column_int64(stmt, 5);
	ss->expires_at = sqlite3_column_int64(stmt, 6);

	if ((err = sqlstore_column_text(stmt, 0, ss->digest,
					sizeof(ss->digest))) ||
	    (err = sqlstore_column_text(stmt, 2, ss->username,
					sizeof(ss->username))) ||
	    (err = sqlstore_column_text(stmt, 3, ss->csrf, sizeof(ss->csrf))))
		return err;

	return 0;
}

int sqlstore_session_get(void *conn, const char *digest,
			 struct store_session *ss)
{
	static const char sql[] = SESSION_COLS "WHERE s.digest = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(session_get), sql, &stmt);
	if (err)
		return err;

	err = sqlstore_bind_text(stmt, 1, digest, STORE_DIGEST_SIZE);
	if (err)
		goto out;

	err = sqlstore_step_row(stmt);
	if (!err)
		err = read_session(stmt, ss);

 out:
	sqlstore_release(s, SQS_OP(session_get), stmt);
	return err;
}

int sqlstore_session_touch(void *conn, const char *digest, int64_t at)
{
	static const char sql[] =
		"UPDATE admin_sessions SET last_seen_at = ?2"
		" WHERE digest = ?1 AND last_seen_at <= ?2";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(session_touch), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_text(stmt, 1, digest, STORE_DIGEST_SIZE)) ||
	    (err = sqlstore_bind_int64(stmt, 2, at)))
		goto out;

	err = sqlstore_exec_changes(stmt);

 out:
	sqlstore_release(s, SQS_OP(session_touch), stmt);
	return err;
}

int sqlstore_session_delete(void *conn, const char *digest)
{
	return exec_text(conn, SQS_OP(session_delete),
			 "DELETE FROM admin_sessions WHERE digest = ?1",
			 digest, STORE_DIGEST_SIZE);
}

/* Every session of one admin: a new password signs out everywhere. 0 even
 * when there was none. */
int sqlstore_session_delete_admin(void *conn, int64_t admin_id)
{
	static const char sql[] =
		"DELETE FROM admin_sessions WHERE admin_id = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(session_delete_admin), sql, &stmt);
	if (err)
		return err;

	err = sqlstore_bind_int64(stmt, 1, admin_id);
	if (!err)
		err = sqlstore_err(sqlite3_step(stmt));

	sqlstore_release(s, SQS_OP(session_delete_admin), stmt);
	return err;
}

/* Drop sessions past their absolute end or idle since before idle_before. */
int sqlstore_session_purge(void *conn, int64_t now, int64_t idle_before)
{
	static const char sql[] =
		"DELETE FROM admin_sessions"
		" WHERE expires_at <= ?1 OR last_seen_at < ?2";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(session_purge), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_int64(stmt, 1, now)) ||
	    (err = sqlstore_bind_int64(stmt, 2, idle_before)))
		goto out;

	err = sqlstore_err(sqlite3_step(stmt));

 out:
	sqlstore_release(s, SQS_OP(session_purge), stmt);
	return err;
}
