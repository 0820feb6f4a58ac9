/* sqlite_guard: the abuse guard's counters in the SQLite backend, one row
 * of dialin_guard per key (sqlite_schema.c, migration 6). A use case reads,
 * counts and writes a key inside BEGIN IMMEDIATE, whose write lock already
 * keeps two connections from counting the same key at once. */
#include <errno.h>
#include <string.h>

#include "store/sqlite_priv.h"

int sqlstore_guard_get(void *conn, const char *key, struct store_guard *g)
{
	static const char sql[] =
		"SELECT key, fails, window_start, blocked_until, offences,"
		" last_block, updated_at FROM dialin_guard WHERE key = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(guard_get), sql, &stmt);
	if (err)
		return err;

	err = sqlstore_bind_text(stmt, 1, key, STORE_GUARD_KEY_SIZE);
	if (err)
		goto out;

	err = sqlstore_step_row(stmt);
	if (err)
		goto out;

	memset(g, 0, sizeof(*g));
	g->state.fails = sqlite3_column_int(stmt, 1);
	g->state.window_start = sqlite3_column_int64(stmt, 2);
	g->state.blocked_until = sqlite3_column_int64(stmt, 3);
	g->state.offences = sqlite3_column_int(stmt, 4);
	g->state.last_block = sqlite3_column_int64(stmt, 5);
	g->updated_at = sqlite3_column_int64(stmt, 6);
	err = sqlstore_column_text(stmt, 0, g->key, sizeof(g->key));

 out:
	sqlstore_release(s, SQS_OP(guard_get), stmt);
	return err;
}

int sqlstore_guard_put(void *conn, const struct store_guard *g)
{
	static const char sql[] =
		"INSERT INTO dialin_guard (key, fails, window_start,"
		" blocked_until, offences, last_block, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT (key) DO UPDATE SET fails = excluded.fails,"
		" window_start = excluded.window_start,"
		" blocked_until = excluded.blocked_until,"
		" offences = excluded.offences,"
		" last_block = excluded.last_block,"
		" updated_at = excluded.updated_at";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(guard_put), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_text(stmt, 1, g->key, sizeof(g->key))) ||
	    (err = sqlstore_bind_int64(stmt, 2, g->state.fails)) ||
	    (err = sqlstore_bind_int64(stmt, 3, g->state.window_start)) ||
	    (err = sqlstore_bind_int64(stmt, 4, g->state.blocked_until)) ||
	    (err = sqlstore_bind_int64(stmt, 5, g->state.offences)) ||
	    (err = sqlstore_bind_int64(stmt, 6, g->state.last_block)) ||
	    (err = sqlstore_bind_int64(stmt, 7, g->updated_at)))
		goto out;

	err = sqlstore_exec_changes(stmt);

 out:
	sqlstore_release(s, SQS_OP(guard_put), stmt);
	return err;
}

/* A counter still blocking at before stays, however old its last update:
 * dropping it would lift the block early. */
int sqlstore_guard_purge(void *conn, int64_t before, int *n)
{
	static const char sql[] =
		"DELETE FROM dialin_guard"
		" WHERE updated_at < ?1 AND blocked_until <= ?1";
	const int64_t v[] = { before };
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	*n = 0;
	err = sqlstore_prepare_ints(s, SQS_OP(guard_purge), sql, v, 1, &stmt);
	if (err)
		return err;

	err = sqlstore_err(sqlite3_step(stmt));
	if (!err)
		*n = sqlite3_changes(s->db);

	sqlstore_release(s, SQS_OP(guard_purge), stmt);
	return err;
}
