/* sqlite_home: conference homes and the cluster secret in the SQLite
 * backend (sqlite_schema.c, migration 10). One node on SQLite is always
 * its conferences' home; the table is the same as PostgreSQL's so that
 * the store suite checks one behaviour. */
#include <errno.h>
#include <string.h>

#include "store/sqlite_priv.h"

static const char *kind_of(bool personal)
{
	return personal ? "personal" : "meeting";
}

/* One statement: a new row, or the row taken over when it is ours or its
 * lease has run out; no change means another node holds it. */
int sqlstore_home_claim(void *conn, const struct store_home *h, int64_t now)
{
	static const char sql[] =
		"INSERT INTO conference_homes (kind, conf, node, sip_uri,"
		" lease_until) VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (kind, conf) DO UPDATE SET node = excluded.node,"
		" sip_uri = excluded.sip_uri,"
		" lease_until = excluded.lease_until"
		" WHERE conference_homes.node = excluded.node"
		" OR conference_homes.lease_until < ?6";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(home_claim), sql, &stmt);
	if (err)
		return err;
	if ((err = sqlstore_bind_text(stmt, 1, kind_of(h->personal), 16)) ||
	    (err = sqlstore_bind_int64(stmt, 2, h->conf)) ||
	    (err = sqlstore_bind_text(stmt, 3, h->node, sizeof(h->node))) ||
	    (err = sqlstore_bind_text(stmt, 4, h->sip_uri,
				      sizeof(h->sip_uri))) ||
	    (err = sqlstore_bind_int64(stmt, 5, h->lease_until)) ||
	    (err = sqlstore_bind_int64(stmt, 6, now)))
		goto out;
	err = sqlstore_exec_changes(stmt);
	if (err == ENOENT)
		err = EEXIST;
 out:
	sqlstore_release(s, SQS_OP(home_claim), stmt);
	return err;
}

int sqlstore_home_get(void *conn, bool personal, int64_t conf,
		      struct store_home *h)
{
	static const char sql[] =
		"SELECT node, sip_uri, lease_until FROM conference_homes"
		" WHERE kind = ?1 AND conf = ?2";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(home_get), sql, &stmt);
	if (err)
		return err;
	if ((err = sqlstore_bind_text(stmt, 1, kind_of(personal), 16)) ||
	    (err = sqlstore_bind_int64(stmt, 2, conf)))
		goto out;
	err = sqlstore_step_row(stmt);
	if (err)
		goto out;
	memset(h, 0, sizeof(*h));
	h->personal = personal;
	h->conf = conf;
	h->lease_until = sqlite3_column_int64(stmt, 2);
	err = sqlstore_column_text(stmt, 0, h->node, sizeof(h->node));
	if (!err)
		err = sqlstore_column_text(stmt, 1, h->sip_uri,
					   sizeof(h->sip_uri));
 out:
	sqlstore_release(s, SQS_OP(home_get), stmt);
	return err;
}

int sqlstore_home_release(void *conn, bool personal, int64_t conf,
			  const char *node)
{
	static const char sql[] =
		"DELETE FROM conference_homes"
		" WHERE kind = ?1 AND conf = ?2 AND node = ?3";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(home_release), sql, &stmt);
	if (err)
		return err;
	if (!(err = sqlstore_bind_text(stmt, 1, kind_of(personal), 16)) &&
	    !(err = sqlstore_bind_int64(stmt, 2, conf)) &&
	    !(err = sqlstore_bind_text(stmt, 3, node, STORE_HOME_NODE_SIZE)))
		err = sqlstore_exec_changes(stmt);
	sqlstore_release(s, SQS_OP(home_release), stmt);
	return err;
}

int sqlstore_cluster_secret_init(void *conn, const char *fresh)
{
	static const char sql[] =
		"INSERT INTO cluster_secret (id, secret) VALUES (1, ?1)"
		" ON CONFLICT (id) DO NOTHING";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(cluster_secret_init), sql, &stmt);
	if (err)
		return err;
	err = sqlstore_bind_text(stmt, 1, fresh, STORE_CLUSTER_SECRET_SIZE);
	if (!err) {
		err = sqlstore_exec_changes(stmt);
		if (err == ENOENT) /* another node's came first: fine */
			err = 0;
	}
	sqlstore_release(s, SQS_OP(cluster_secret_init), stmt);
	return err;
}

int sqlstore_cluster_secret_get(void *conn, char *out, size_t size)
{
	static const char sql[] = "SELECT secret FROM cluster_secret"
				  " WHERE id = 1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(cluster_secret_get), sql, &stmt);
	if (err)
		return err;
	err = sqlstore_step_row(stmt);
	if (!err)
		err = sqlstore_column_text(stmt, 0, out, size);
	sqlstore_release(s, SQS_OP(cluster_secret_get), stmt);
	return err;
}
