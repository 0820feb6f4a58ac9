/* pg_session: admin center sessions and the sign-in bookkeeping of admin
 * accounts in the PostgreSQL backend, the mirror of sqlite_session.c. A
 * session is found by the digest of its id; the id (the cookie) is never
 * stored. */
#include <errno.h>
#include <string.h>

#include "store/pg_priv.h"

#define SESSION_COLS \
	"SELECT s.digest, s.admin_id, a.username, s.csrf, s.created_at," \
	" s.last_seen_at, s.expires_at" \
	" FROM admin_sessions s JOIN admins a ON a.id = s.admin_id "

int pgstore_admin_update(void *conn, const struct store_admin *a)
{
	static const char sql[] =
		"UPDATE admins SET password_hash = $2, failed_logins = $3,"
		" locked_until = $4 WHERE id = $1";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, a->id);
	pgp_text(&pp, a->password_hash, sizeof(a->password_hash));
	pgp_int(&pp, a->failed_logins);
	pgp_int(&pp, a->locked_until);
	return pgstore_changes(conn, PGS_OP(admin_update), sql, &pp);
}

int pgstore_session_insert(void *conn, const struct store_session *ss)
{
	static const char sql[] =
		"INSERT INTO admin_sessions (digest, admin_id, csrf,"
		" created_at, last_seen_at, expires_at)"
		" VALUES ($1, $2, $3, $4, $5, $6)";
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, ss->digest, sizeof(ss->digest));
	pgp_int(&pp, ss->admin_id);
	pgp_text(&pp, ss->csrf, sizeof(ss->csrf));
	pgp_int(&pp, ss->created_at);
	pgp_int(&pp, ss->last_seen_at);
	pgp_int(&pp, ss->expires_at);
	return pgstore_changes(conn, PGS_OP(session_insert), sql, &pp);
}

int pgstore_session_get(void *conn, const char *digest,
			struct store_session *ss)
{
	static const char sql[] = SESSION_COLS "WHERE s.digest = $1";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_text(&pp, digest, STORE_DIGEST_SIZE);
	err = pgstore_one(conn, PGS_OP(session_get), sql, &pp, &res);
	if (err)
		goto out;

	memset(ss, 0, sizeof(*ss));
	ss->admin_id = pgstore_int(res, 0, 1);
	ss->created_at = pgstore_int(res, 0, 4);
	ss->last_seen_at = pgstore_int(res, 0, 5);
	ss->expires_at = pgstore_int(res, 0, 6);
	if ((err = pgstore_text(res, 0, 0, ss->digest, sizeof(ss->digest))) ||
	    (err = pgstore_text(res, 0, 2, ss->username,
				sizeof(ss->username))))
		goto out;
	err = pgstore_text(res, 0, 3, ss->csrf, sizeof(ss->csrf));

 out:
	PQclear(res);
	return err;
}

int pgstore_session_touch(void *conn, const char *digest, int64_t at)
{
	static const char sql[] =
		"UPDATE admin_sessions SET last_seen_at = $2"
		" WHERE digest = $1 AND last_seen_at <= $2";
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, digest, STORE_DIGEST_SIZE);
	pgp_int(&pp, at);
	return pgstore_changes(conn, PGS_OP(session_touch), sql, &pp);
}

int pgstore_session_delete(void *conn, const char *digest)
{
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, digest, STORE_DIGEST_SIZE);
	return pgstore_changes(conn, PGS_OP(session_delete),
			       "DELETE FROM admin_sessions WHERE digest = $1",
			       &pp);
}

/* Every session of one admin; 0 even when there was none. */
int pgstore_session_delete_admin(void *conn, int64_t admin_id)
{
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, admin_id);
	return pgstore_run(conn, PGS_OP(session_delete_admin),
			   "DELETE FROM admin_sessions WHERE admin_id = $1",
			   &pp, NULL);
}

/* Drop sessions past their absolute end or idle since before idle_before. */
int pgstore_session_purge(void *conn, int64_t now, int64_t idle_before)
{
	static const char sql[] =
		"DELETE FROM admin_sessions"
		" WHERE expires_at <= $1 OR last_seen_at < $2";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, now);
	pgp_int(&pp, idle_before);
	return pgstore_run(conn, PGS_OP(session_purge), sql, &pp, NULL);
}
