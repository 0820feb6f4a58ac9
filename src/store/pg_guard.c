/* pg_guard: the abuse guard's counters in the PostgreSQL backend, the
 * mirror of sqlite_guard.c (pg_schema.c, migration 6).
 *
 * Nodes count the same key at once (one caller's source calling several
 * nodes), each reading the counter, counting a failure (core/guard.h) and
 * writing it back in one transaction. SELECT ... FOR UPDATE makes the
 * second wait for the first's commit and then read what it wrote; but it
 * locks rows only, and a key seen for the first time has none: both would
 * read "no counter" and both write fails = 1, losing one. So a read inside
 * a transaction first takes a transaction-level advisory lock on the key
 * (PGSTORE_GUARD_LOCK_KEY, hashtext(key)), in a statement of its own: in
 * READ COMMITTED the SELECT after it takes its snapshot once the lock is
 * granted, so it sees the row the other transaction committed. Two keys
 * that share a hash only wait for each other now and then. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_priv.h"

#define GUARD_SELECT \
	"SELECT key, fails, window_start, blocked_until, offences," \
	" last_block, updated_at FROM dialin_guard WHERE key = $1"

static int read_guard(const PGresult *res, struct store_guard *g)
{
	memset(g, 0, sizeof(*g));
	g->state.fails = (int)pgstore_int(res, 0, 1);
	g->state.window_start = pgstore_int(res, 0, 2);
	g->state.blocked_until = pgstore_int(res, 0, 3);
	g->state.offences = (int)pgstore_int(res, 0, 4);
	g->state.last_block = pgstore_int(res, 0, 5);
	g->updated_at = pgstore_int(res, 0, 6);
	return pgstore_text(res, 0, 0, g->key, sizeof(g->key));
}

int pgstore_guard_get(void *conn, const char *key, struct store_guard *g)
{
	static const char lock_sql[] =
		"SELECT pg_advisory_xact_lock(" PGSTORE_GUARD_LOCK_KEY ","
		" hashtext($1))";
	static const char locked_sql[] = GUARD_SELECT " FOR UPDATE";
	struct pgstore *p = conn;
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_text(&pp, key, STORE_GUARD_KEY_SIZE);
	if (pgstore_in_tx(p)) {
		/* One round trip; the SELECT still runs after the lock is
		 * granted, on a snapshot of its own (pg_priv.h). */
		const struct pgstore_step steps[2] = {
			{ PGS_GUARD_LOCK, lock_sql, &pp },
			{ PGS_GUARD_GET_LOCKED, locked_sql, &pp },
		};
		PGresult *r[2];

		err = pgstore_pipeline(p, steps, 2, r);
		if (err)
			return err;
		PQclear(r[0]);
		res = r[1];
		if (PQntuples(res) < 1)
			err = ENOENT;
	}
	else {
		/* A lock would end with the statement: a plain read. */
		err = pgstore_one(p, PGS_OP(guard_get), GUARD_SELECT, &pp,
				  &res);
	}
	if (!err)
		err = read_guard(res, g);
	PQclear(res);
	return err;
}

int pgstore_guard_put(void *conn, const struct store_guard *g)
{
	static const char sql[] =
		"INSERT INTO dialin_guard (key, fails, window_start,"
		" blocked_until, offences, last_block, updated_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7)"
		" ON CONFLICT (key) DO UPDATE SET fails = excluded.fails,"
		" window_start = excluded.window_start,"
		" blocked_until = excluded.blocked_until,"
		" offences = excluded.offences,"
		" last_block = excluded.last_block,"
		" updated_at = excluded.updated_at";
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, g->key, sizeof(g->key));
	pgp_int(&pp, g->state.fails);
	pgp_int(&pp, g->state.window_start);
	pgp_int(&pp, g->state.blocked_until);
	pgp_int(&pp, g->state.offences);
	pgp_int(&pp, g->state.last_block);
	pgp_int(&pp, g->updated_at);
	return pgstore_changes(conn, PGS_OP(guard_put), sql, &pp);
}

/* The row count of a DELETE's command tag ("DELETE 3"). */
static int deleted_rows(PGresult *res, int *n)
{
	const char *s = PQcmdTuples(res);
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (end == s || *end || v < 0)
		return EIO;
	*n = v > INT_MAX ? INT_MAX : (int)v;
	return 0;
}

/* A counter still blocking at before stays, however old its last update:
 * dropping it would lift the block early. */
int pgstore_guard_purge(void *conn, int64_t before, int *n)
{
	static const char sql[] =
		"DELETE FROM dialin_guard"
		" WHERE updated_at < $1 AND blocked_until <= $1";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	*n = 0;
	pgp_int(&pp, before);
	err = pgstore_run(conn, PGS_OP(guard_purge), sql, &pp, &res);
	if (!err)
		err = deleted_rows(res, n);
	PQclear(res);
	return err;
}
