/* sqlite_records: call records and node heartbeats in the SQLite backend
 * (tables call_records and nodes, sqlite_schema.c migration 11). A record
 * is written whole each time (upsert on node and call id), so a writer
 * that coalesced several changes of one call sends only the last. */
#include <errno.h>
#include <string.h>

#include "store/sqlite_priv.h"

#define RECORD_COLS \
	"SELECT c.id, c.call_id, c.node, c.started_at, c.answered_at," \
	" c.joined_at, c.ended_at, c.dialed, c.caller, c.caller_key," \
	" c.conference_id, c.user_id, c.meeting_id, c.state, c.muted," \
	" c.outcome, c.codec, c.conference_seconds FROM call_records c "

static int read_record(sqlite3_stmt *stmt, struct store_call_record *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(stmt, 0);
	r->call_id = sqlite3_column_int64(stmt, 1);
	r->started_at = sqlite3_column_int64(stmt, 3);
	r->answered_at = sqlite3_column_int64(stmt, 4);
	r->joined_at = sqlite3_column_int64(stmt, 5);
	r->ended_at = sqlite3_column_int64(stmt, 6);
	r->user_id = sqlite3_column_int64(stmt, 11);
	r->meeting_id = sqlite3_column_int64(stmt, 12);
	r->muted = sqlite3_column_int64(stmt, 14) != 0;
	r->conference_seconds = sqlite3_column_int64(stmt, 17);
	if ((err = sqlstore_column_text(stmt, 2, r->node, sizeof(r->node))) ||
	    (err = sqlstore_column_text(stmt, 7, r->dialed,
					sizeof(r->dialed))) ||
	    (err = sqlstore_column_text(stmt, 8, r->caller,
					sizeof(r->caller))) ||
	    (err = sqlstore_column_text(stmt, 9, r->caller_key,
					sizeof(r->caller_key))) ||
	    (err = sqlstore_column_text(stmt, 10, r->conference_id,
					sizeof(r->conference_id))) ||
	    (err = sqlstore_column_text(stmt, 13, r->state,
					sizeof(r->state))) ||
	    (err = sqlstore_column_text(stmt, 15, r->outcome,
					sizeof(r->outcome))))
		return err;
	return sqlstore_column_text(stmt, 16, r->codec, sizeof(r->codec));
}

struct record_scan {
	store_call_record_h *h;
	void *arg;
};

static int record_row(sqlite3_stmt *stmt, void *arg)
{
	struct record_scan *sc = arg;
	struct store_call_record r;
	int err;

	err = read_record(stmt, &r);
	return err ? err : sc->h(&r, sc->arg);
}

static int bind_record(sqlite3_stmt *stmt, const struct store_call_record *r)
{
	int err;

	if ((err = sqlstore_bind_int64(stmt, 1, r->call_id)) ||
	    (err = sqlstore_bind_text(stmt, 2, r->node, sizeof(r->node))) ||
	    (err = sqlstore_bind_int64(stmt, 3, r->started_at)) ||
	    (err = sqlstore_bind_opt_int64(stmt, 4, r->answered_at)) ||
	    (err = sqlstore_bind_opt_int64(stmt, 5, r->joined_at)) ||
	    (err = sqlstore_bind_opt_int64(stmt, 6, r->ended_at)) ||
	    (err = sqlstore_bind_text(stmt, 7, r->dialed,
				      sizeof(r->dialed))) ||
	    (err = sqlstore_bind_text(stmt, 8, r->caller,
				      sizeof(r->caller))) ||
	    (err = sqlstore_bind_text(stmt, 9, r->caller_key,
				      sizeof(r->caller_key))) ||
	    (err = sqlstore_bind_opt_text(stmt, 10, r->conference_id)) ||
	    (err = sqlstore_bind_opt_int64(stmt, 11, r->user_id)) ||
	    (err = sqlstore_bind_opt_int64(stmt, 12, r->meeting_id)) ||
	    (err = sqlstore_bind_opt_text(stmt, 13, r->state)) ||
	    (err = sqlstore_bind_int64(stmt, 14, r->muted)) ||
	    (err = sqlstore_bind_text(stmt, 15, r->outcome,
				      sizeof(r->outcome))) ||
	    (err = sqlstore_bind_opt_text(stmt, 16, r->codec)))
		return err;
	return sqlstore_bind_int64(stmt, 17, r->conference_seconds);
}

int sqlstore_call_record_put(void *conn, const struct store_call_record *r)
{
	static const char sql[] =
		"INSERT INTO call_records (call_id, node, started_at,"
		" answered_at, joined_at, ended_at, dialed, caller, caller_key,"
		" conference_id, user_id, meeting_id, state, muted, outcome,"
		" codec, conference_seconds) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
		" ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
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
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(call_record_put), sql, &stmt);
	if (err)
		return err;
	err = bind_record(stmt, r);
	if (!err)
		err = sqlstore_exec_changes(stmt);
	sqlstore_release(s, SQS_OP(call_record_put), stmt);
	return err;
}

int sqlstore_call_record_list(void *conn,
			      const struct store_call_record_query *q,
			      store_call_record_h *h, void *arg)
{
	static const char sql[] = RECORD_COLS
		"WHERE c.started_at >= ?1 AND (?2 = 0 OR c.started_at < ?2)"
		" AND (?3 IS NULL OR c.conference_id = ?3)"
		" AND (?4 = 0 OR c.id < ?4) ORDER BY c.id DESC LIMIT ?5";
	struct record_scan sc = { .h = h, .arg = arg };
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(call_record_list), sql, &stmt);
	if (err)
		return err;
	if (!(err = sqlstore_bind_int64(stmt, 1, q->from)) &&
	    !(err = sqlstore_bind_int64(stmt, 2, q->to)) &&
	    !(err = sqlstore_bind_opt_text(stmt, 3, q->conference_id)) &&
	    !(err = sqlstore_bind_int64(stmt, 4, q->before_id)) &&
	    !(err = sqlstore_bind_int64(stmt, 5, q->limit)))
		err = sqlstore_rows(stmt, record_row, &sc);
	sqlstore_release(s, SQS_OP(call_record_list), stmt);
	return err;
}

int sqlstore_call_record_live(void *conn, const char *except_node,
			      int64_t seen_since, store_call_record_h *h,
			      void *arg)
{
	static const char sql[] = RECORD_COLS
		"JOIN nodes n ON n.name = c.node"
		" WHERE c.ended_at IS NULL AND c.node <> ?1 AND n.seen_at >= ?2"
		" ORDER BY c.started_at, c.id";
	struct record_scan sc = { .h = h, .arg = arg };
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(call_record_live), sql, &stmt);
	if (err)
		return err;
	if (!(err = sqlstore_bind_text(stmt, 1, except_node,
				       STORE_NAME_SIZE)) &&
	    !(err = sqlstore_bind_int64(stmt, 2, seen_since)))
		err = sqlstore_rows(stmt, record_row, &sc);
	sqlstore_release(s, SQS_OP(call_record_live), stmt);
	return err;
}

/* Run a write of a text and an integer; *n the rows it changed. */
static int exec_counted(struct sqlstore *s, enum sqlstore_stmt id,
			const char *sql, const char *text, int64_t v1,
			int64_t v2, int *n)
{
	sqlite3_stmt *stmt = NULL;
	int err, i = 1;

	err = sqlstore_prepare(s, id, sql, &stmt);
	if (err)
		return err;
	if (text)
		err = sqlstore_bind_text(stmt, i++, text, STORE_NAME_SIZE);
	if (!err)
		err = sqlstore_bind_int64(stmt, i++, v1);
	if (!err && !text)
		err = sqlstore_bind_int64(stmt, i++, v2);
	if (!err) {
		err = sqlstore_exec_changes(stmt);
		*n = err ? 0 : sqlite3_changes(s->db);
		if (err == ENOENT)
			err = 0;
	}
	sqlstore_release(s, id, stmt);
	return err;
}

int sqlstore_call_record_crash(void *conn, const char *node, int64_t at,
			       int *n)
{
	static const char sql[] =
		"UPDATE call_records SET outcome = 'crashed', state = NULL,"
		" ended_at = max(started_at, ?2),"
		" conference_seconds = CASE WHEN joined_at IS NULL"
		"  THEN conference_seconds ELSE max(conference_seconds,"
		"  (max(started_at, ?2) - joined_at) / 1000) END"
		" WHERE node = ?1 AND ended_at IS NULL";

	return exec_counted(conn, SQS_OP(call_record_crash), sql, node, at, 0,
			    n);
}

int sqlstore_call_record_purge(void *conn, int64_t before, int max, int *n)
{
	static const char sql[] =
		"DELETE FROM call_records WHERE id IN (SELECT id"
		" FROM call_records WHERE started_at < ?1"
		" AND ended_at IS NOT NULL ORDER BY started_at LIMIT ?2)";

	return exec_counted(conn, SQS_OP(call_record_purge), sql, NULL,
			    before, max, n);
}

int sqlstore_node_beat(void *conn, const struct store_node *n)
{
	static const char sql[] =
		"INSERT INTO nodes (name, sip, http, started_at, seen_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET"
		" sip = excluded.sip, http = excluded.http,"
		" started_at = excluded.started_at, seen_at = excluded.seen_at";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(node_beat), sql, &stmt);
	if (err)
		return err;
	if (!(err = sqlstore_bind_text(stmt, 1, n->name, sizeof(n->name))) &&
	    !(err = sqlstore_bind_text(stmt, 2, n->sip, sizeof(n->sip))) &&
	    !(err = sqlstore_bind_text(stmt, 3, n->http, sizeof(n->http))) &&
	    !(err = sqlstore_bind_int64(stmt, 4, n->started_at)) &&
	    !(err = sqlstore_bind_int64(stmt, 5, n->seen_at)))
		err = sqlstore_exec_changes(stmt);
	sqlstore_release(s, SQS_OP(node_beat), stmt);
	return err;
}

#define NODE_COLS "SELECT name, sip, http, started_at, seen_at FROM nodes "

static int read_node(sqlite3_stmt *stmt, void *arg)
{
	struct store_node *n = arg;
	int err;

	memset(n, 0, sizeof(*n));
	n->started_at = sqlite3_column_int64(stmt, 3);
	n->seen_at = sqlite3_column_int64(stmt, 4);
	if ((err = sqlstore_column_text(stmt, 0, n->name, sizeof(n->name))) ||
	    (err = sqlstore_column_text(stmt, 1, n->sip, sizeof(n->sip))))
		return err;
	return sqlstore_column_text(stmt, 2, n->http, sizeof(n->http));
}

int sqlstore_node_get(void *conn, const char *name, struct store_node *n)
{
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(node_get), NODE_COLS "WHERE name = ?1",
			       &stmt);
	if (err)
		return err;
	err = sqlstore_bind_text(stmt, 1, name, STORE_NAME_SIZE);
	if (!err)
		err = sqlstore_row(stmt, read_node, n);
	sqlstore_release(s, SQS_OP(node_get), stmt);
	return err;
}

struct node_scan {
	store_node_h *h;
	void *arg;
};

static int node_row(sqlite3_stmt *stmt, void *arg)
{
	struct node_scan *sc = arg;
	struct store_node n;
	int err;

	err = read_node(stmt, &n);
	return err ? err : sc->h(&n, sc->arg);
}

int sqlstore_node_list(void *conn, store_node_h *h, void *arg)
{
	struct node_scan sc = { .h = h, .arg = arg };

	return sqlstore_select(conn, SQS_OP(node_list),
			       NODE_COLS "ORDER BY name", NULL, 0, node_row,
			       &sc);
}
