/* pg_records: call records and node heartbeats in the PostgreSQL backend
 * (tables call_records and nodes, pg_schema.c migration 11); the same
 * statements as sqlite_records.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_priv.h"

#define RECORD_COLS \
	"SELECT c.id, c.call_id, c.node, c.started_at, c.answered_at," \
	" c.joined_at, c.ended_at, c.dialed, c.caller, c.caller_key," \
	" c.conference_id, c.user_id, c.meeting_id, c.state, c.muted," \
	" c.outcome, c.codec, c.conference_seconds FROM call_records c "

static int read_record(const PGresult *res, int row,
		       struct store_call_record *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->id = pgstore_int(res, row, 0);
	r->call_id = pgstore_int(res, row, 1);
	r->started_at = pgstore_int(res, row, 3);
	r->answered_at = pgstore_int(res, row, 4);
	r->joined_at = pgstore_int(res, row, 5);
	r->ended_at = pgstore_int(res, row, 6);
	r->user_id = pgstore_int(res, row, 11);
	r->meeting_id = pgstore_int(res, row, 12);
	r->muted = pgstore_int(res, row, 14) != 0;
	r->conference_seconds = pgstore_int(res, row, 17);
	if ((err = pgstore_text(res, row, 2, r->node, sizeof(r->node))) ||
	    (err = pgstore_text(res, row, 7, r->dialed, sizeof(r->dialed))) ||
	    (err = pgstore_text(res, row, 8, r->caller, sizeof(r->caller))) ||
	    (err = pgstore_text(res, row, 9, r->caller_key,
				sizeof(r->caller_key))) ||
	    (err = pgstore_text(res, row, 10, r->conference_id,
				sizeof(r->conference_id))) ||
	    (err = pgstore_text(res, row, 13, r->state, sizeof(r->state))) ||
	    (err = pgstore_text(res, row, 15, r->outcome,
				sizeof(r->outcome))))
		return err;
	return pgstore_text(res, row, 16, r->codec, sizeof(r->codec));
}

/* Run a query and hand each record to h. */
static int record_rows(struct pgstore *p, enum pgstore_stmt id,
		       const char *sql, const struct pgparams *pp,
		       store_call_record_h *h, void *arg)
{
	struct store_call_record r;
	PGresult *res = NULL;
	int i, err;

	err = pgstore_run(p, id, sql, pp, &res);
	for (i = 0; !err && i < PQntuples(res); i++) {
		err = read_record(res, i, &r);
		if (!err)
			err = h(&r, arg);
	}
	PQclear(res);
	return err;
}

int pgstore_call_record_put(void *conn, const struct store_call_record *r)
{
	static const char sql[] =
		"INSERT INTO call_records (call_id, node, started_at,"
		" answered_at, joined_at, ended_at, dialed, caller, caller_key,"
		" conference_id, user_id, meeting_id, state, muted, outcome,"
		" codec, conference_seconds) VALUES ($1, $2, $3, $4, $5, $6,"
		" $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
		" ON CONFLICT (node, call_id) DO UPDATE SET"
		" started_at = excluded.started_at,"
		" answered_at = excluded.answered_at,"
		" joined_at = excluded.joined_at, ended_at = excluded.ended_at,"
		" dialed = excluded.dialed, caller = excluded.caller,"
		" caller_key = excluded.caller_key,"
		" conference_id = excluded.conference_id,"
		" user_id = excluded.user_id, meeting_id = excluded.meeting_id,"
		" state = excluded.state, muted = excluded.muted,"
		" outcome = excluded.outcome, codec = excluded.codec,"
		" conference_seconds = excluded.conference_seconds";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, r->call_id);
	pgp_text(&pp, r->node, sizeof(r->node));
	pgp_int(&pp, r->started_at);
	pgp_opt_int(&pp, r->answered_at);
	pgp_opt_int(&pp, r->joined_at);
	pgp_opt_int(&pp, r->ended_at);
	pgp_text(&pp, r->dialed, sizeof(r->dialed));
	pgp_text(&pp, r->caller, sizeof(r->caller));
	pgp_text(&pp, r->caller_key, sizeof(r->caller_key));
	pgp_opt_text(&pp, r->conference_id);
	pgp_opt_int(&pp, r->user_id);
	pgp_opt_int(&pp, r->meeting_id);
	pgp_opt_text(&pp, r->state);
	pgp_int(&pp, r->muted);
	pgp_text(&pp, r->outcome, sizeof(r->outcome));
	pgp_opt_text(&pp, r->codec);
	pgp_int(&pp, r->conference_seconds);
	return pgstore_changes(conn, PGS_OP(call_record_put), sql, &pp);
}

int pgstore_call_record_list(void *conn,
			     const struct store_call_record_query *q,
			     store_call_record_h *h, void *arg)
{
	static const char sql[] = RECORD_COLS
		"WHERE c.started_at >= $1::bigint"
		" AND ($2::bigint = 0 OR c.started_at < $2::bigint)"
		" AND ($3::text IS NULL OR c.conference_id = $3::text)"
		" AND ($4::bigint = 0 OR c.id < $4::bigint)"
		" ORDER BY c.id DESC LIMIT $5";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, q->from);
	pgp_int(&pp, q->to);
	pgp_opt_text(&pp, q->conference_id);
	pgp_int(&pp, q->before_id);
	pgp_int(&pp, q->limit);
	return record_rows(conn, PGS_OP(call_record_list), sql, &pp, h, arg);
}

int pgstore_call_record_live(void *conn, const char *except_node,
			     int64_t seen_since, store_call_record_h *h,
			     void *arg)
{
	static const char sql[] = RECORD_COLS
		"JOIN nodes n ON n.name = c.node"
		" WHERE c.ended_at IS NULL AND c.node <> $1 AND n.seen_at >= $2"
		" ORDER BY c.started_at, c.id";
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, except_node, STORE_NAME_SIZE);
	pgp_int(&pp, seen_since);
	return record_rows(conn, PGS_OP(call_record_live), sql, &pp, h, arg);
}

/* Run a write; *n the rows it changed. */
static int exec_counted(struct pgstore *p, enum pgstore_stmt id,
			const char *sql, const struct pgparams *pp, int *n)
{
	PGresult *res = NULL;
	int err;

	*n = 0;
	err = pgstore_run(p, id, sql, pp, &res);
	if (!err)
		*n = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return err;
}

int pgstore_call_record_crash(void *conn, const char *node, int64_t at,
			      int *n)
{
	static const char sql[] =
		"UPDATE call_records SET outcome = 'crashed', state = NULL,"
		" ended_at = greatest(started_at, $2::bigint),"
		" conference_seconds = CASE WHEN joined_at IS NULL"
		"  THEN conference_seconds ELSE greatest(conference_seconds,"
		"  (greatest(started_at, $2::bigint) - joined_at) / 1000) END"
		" WHERE node = $1 AND ended_at IS NULL";
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, node, STORE_NAME_SIZE);
	pgp_int(&pp, at);
	return exec_counted(conn, PGS_OP(call_record_crash), sql, &pp, n);
}

int pgstore_call_record_purge(void *conn, int64_t before, int max, int *n)
{
	static const char sql[] =
		"DELETE FROM call_records WHERE id IN (SELECT id"
		" FROM call_records WHERE started_at < $1"
		" AND ended_at IS NOT NULL ORDER BY started_at LIMIT $2)";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, before);
	pgp_int(&pp, max);
	return exec_counted(conn, PGS_OP(call_record_purge), sql, &pp, n);
}

int pgstore_node_beat(void *conn, const struct store_node *n)
{
	static const char sql[] =
		"INSERT INTO nodes (name, sip, http, started_at, seen_at)"
		" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET"
		" sip = excluded.sip, http = excluded.http,"
		" started_at = excluded.started_at, seen_at = excluded.seen_at";
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, n->name, sizeof(n->name));
	pgp_text(&pp, n->sip, sizeof(n->sip));
	pgp_text(&pp, n->http, sizeof(n->http));
	pgp_int(&pp, n->started_at);
	pgp_int(&pp, n->seen_at);
	return pgstore_changes(conn, PGS_OP(node_beat), sql, &pp);
}

#define NODE_COLS "SELECT name, sip, http, started_at, seen_at FROM nodes "

static int read_node(const PGresult *res, int row, struct store_node *n)
{
	int err;

	memset(n, 0, sizeof(*n));
	n->started_at = pgstore_int(res, row, 3);
	n->seen_at = pgstore_int(res, row, 4);
	if ((err = pgstore_text(res, row, 0, n->name, sizeof(n->name))) ||
	    (err = pgstore_text(res, row, 1, n->sip, sizeof(n->sip))))
		return err;
	return pgstore_text(res, row, 2, n->http, sizeof(n->http));
}

int pgstore_node_get(void *conn, const char *name, struct store_node *n)
{
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_text(&pp, name, STORE_NAME_SIZE);
	err = pgstore_one(conn, PGS_OP(node_get), NODE_COLS "WHERE name = $1",
			  &pp, &res);
	if (!err)
		err = read_node(res, 0, n);
	PQclear(res);
	return err;
}

int pgstore_node_list(void *conn, store_node_h *h, void *arg)
{
	struct pgparams pp = { .n = 0 };
	struct store_node n;
	PGresult *res = NULL;
	int i, err;

	err = pgstore_run(conn, PGS_OP(node_list),
			  NODE_COLS "ORDER BY name COLLATE \"C\"", &pp, &res);
	for (i = 0; !err && i < PQntuples(res); i++) {
		err = read_node(res, i, &n);
		if (!err)
			err = h(&n, arg);
	}
	PQclear(res);
	return err;
}
