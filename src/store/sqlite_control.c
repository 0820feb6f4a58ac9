/* sqlite_control: live control commands in the SQLite backend (table
 * call_commands, sqlite_schema.c migration 12). One node alone never
 * needs them (app/control.c), but the backends keep one interface. */
#include <errno.h>
#include <string.h>

#include "store/sqlite_priv.h"

#define COMMAND_COLS \
	"SELECT id, call_id, conference_id, action, actor, created_at," \
	" claimed_by, done_at, result FROM call_commands "

static int read_command(sqlite3_stmt *stmt, void *arg)
{
	struct store_command *c = arg;
	int err;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(stmt, 0);
	c->call_id = sqlite3_column_int64(stmt, 1);
	c->created_at = sqlite3_column_int64(stmt, 5);
	c->done_at = sqlite3_column_int64(stmt, 7);
	if ((err = sqlstore_column_text(stmt, 2, c->conference_id,
					sizeof(c->conference_id))) ||
	    (err = sqlstore_column_text(stmt, 3, c->action,
					sizeof(c->action))) ||
	    (err = sqlstore_column_text(stmt, 4, c->actor,
					sizeof(c->actor))) ||
	    (err = sqlstore_column_text(stmt, 6, c->claimed_by,
					sizeof(c->claimed_by))))
		return err;
	return sqlstore_column_text(stmt, 8, c->result, sizeof(c->result));
}

int sqlstore_command_insert(void *conn, struct store_command *c)
{
	static const char sql[] =
		"INSERT INTO call_commands (call_id, conference_id, action,"
		" actor, created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(command_insert), sql, &stmt);
	if (err)
		return err;
	if ((err = sqlstore_bind_opt_int64(stmt, 1, c->call_id)) ||
	    (err = sqlstore_bind_opt_text(stmt, 2, c->conference_id)) ||
	    (err = sqlstore_bind_text(stmt, 3, c->action,
				      sizeof(c->action))) ||
	    (err = sqlstore_bind_text(stmt, 4, c->actor,
				      sizeof(c->actor))) ||
	    (err = sqlstore_bind_int64(stmt, 5, c->created_at)))
		goto out;
	err = sqlstore_exec_changes(stmt);
	if (!err)
		c->id = sqlite3_last_insert_rowid(s->db);
 out:
	sqlstore_release(s, SQS_OP(command_insert), stmt);
	return err;
}

int sqlstore_command_get(void *conn, int64_t id, struct store_command *c)
{
	const int64_t v[] = { id };

	return sqlstore_select_one(conn, SQS_OP(command_get),
				   COMMAND_COLS "WHERE id = ?1", v, 1,
				   read_command, c);
}

struct command_scan {
	store_command_h *h;
	void *arg;
};

static int command_row(sqlite3_stmt *stmt, void *arg)
{
	struct command_scan *sc = arg;
	struct store_command c;
	int err;

	err = read_command(stmt, &c);
	return err ? err : sc->h(&c, sc->arg);
}

int sqlstore_command_list_new(void *conn, int64_t after_id, int64_t since,
			      store_command_h *h, void *arg)
{
	static const char sql[] = COMMAND_COLS
		"WHERE id > ?1 AND created_at >= ?2 AND claimed_by IS NULL"
		" ORDER BY id";
	const int64_t v[] = { after_id, since };
	struct command_scan sc = { .h = h, .arg = arg };

	return sqlstore_select(conn, SQS_OP(command_list_new), sql, v, 2,
			       command_row, &sc);
}

/* The first claim wins: later ones change no row. */
int sqlstore_command_claim(void *conn, int64_t id, const char *node)
{
	static const char sql[] =
		"UPDATE call_commands SET claimed_by = ?2"
		" WHERE id = ?1 AND claimed_by IS NULL";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(command_claim), sql, &stmt);
	if (err)
		return err;
	if (!(err = sqlstore_bind_int64(stmt, 1, id)) &&
	    !(err = sqlstore_bind_text(stmt, 2, node, 64)))
		err = sqlstore_exec_changes(stmt);
	sqlstore_release(s, SQS_OP(command_claim), stmt);
	return err == ENOENT ? EBUSY : err;
}

int sqlstore_command_done(void *conn, int64_t id, int64_t done_at,
			  const char *result)
{
	static const char sql[] =
		"UPDATE call_commands SET done_at = ?2, result = ?3"
		" WHERE id = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(command_done), sql, &stmt);
	if (err)
		return err;
	if (!(err = sqlstore_bind_int64(stmt, 1, id)) &&
	    !(err = sqlstore_bind_int64(stmt, 2, done_at)) &&
	    !(err = sqlstore_bind_text(stmt, 3, result,
				       STORE_COMMAND_RESULT_SIZE)))
		err = sqlstore_exec_changes(stmt);
	sqlstore_release(s, SQS_OP(command_done), stmt);
	return err;
}

int sqlstore_command_purge(void *conn, int64_t before)
{
	const int64_t v[] = { before };
	int err;

	err = sqlstore_exec_ints(conn, SQS_OP(command_purge),
				 "DELETE FROM call_commands WHERE created_at < ?1",
				 v, 1);
	return err == ENOENT ? 0 : err;
}
