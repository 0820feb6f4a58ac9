/* pg_control: live control commands in the PostgreSQL backend (table
 * call_commands, pg_schema.c migration 12); the same statements as
 * sqlite_control.c. Every node of a cluster polls this table. */
#include <errno.h>
#include <string.h>

#include "store/pg_priv.h"

#define COMMAND_COLS \
	"SELECT id, call_id, conference_id, action, actor, created_at," \
	" claimed_by, done_at, result FROM call_commands "

static int read_command(const PGresult *res, int row,
			struct store_command *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->id = pgstore_int(res, row, 0);
	c->call_id = pgstore_int(res, row, 1);
	c->created_at = pgstore_int(res, row, 5);
	c->done_at = pgstore_int(res, row, 7);
	if ((err = pgstore_text(res, row, 2, c->conference_id,
				sizeof(c->conference_id))) ||
	    (err = pgstore_text(res, row, 3, c->action, sizeof(c->action))) ||
	    (err = pgstore_text(res, row, 4, c->actor, sizeof(c->actor))) ||
	    (err = pgstore_text(res, row, 6, c->claimed_by,
				sizeof(c->claimed_by))))
		return err;
	return pgstore_text(res, row, 8, c->result, sizeof(c->result));
}

int pgstore_command_insert(void *conn, struct store_command *c)
{
	static const char sql[] =
		"INSERT INTO call_commands (call_id, conference_id, action,"
		" actor, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_opt_int(&pp, c->call_id);
	pgp_opt_text(&pp, c->conference_id);
	pgp_text(&pp, c->action, sizeof(c->action));
	pgp_text(&pp, c->actor, sizeof(c->actor));
	pgp_int(&pp, c->created_at);
	err = pgstore_run(conn, PGS_OP(command_insert), sql, &pp, &res);
	if (!err)
		c->id = pgstore_int(res, 0, 0);
	PQclear(res);
	return err;
}

int pgstore_command_get(void *conn, int64_t id, struct store_command *c)
{
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_int(&pp, id);
	err = pgstore_one(conn, PGS_OP(command_get),
			  COMMAND_COLS "WHERE id = $1", &pp, &res);
	if (!err)
		err = read_command(res, 0, c);
	PQclear(res);
	return err;
}

int pgstore_command_list_new(void *conn, int64_t after_id, int64_t since,
			     store_command_h *h, void *arg)
{
	static const char sql[] = COMMAND_COLS
		"WHERE id > $1 AND created_at >= $2 AND claimed_by IS NULL"
		" ORDER BY id";
	struct pgparams pp = { .n = 0 };
	struct store_command c;
	PGresult *res = NULL;
	int i, err;

	pgp_int(&pp, after_id);
	pgp_int(&pp, since);
	err = pgstore_run(conn, PGS_OP(command_list_new), sql, &pp, &res);
	for (i = 0; !err && i < PQntuples(res); i++) {
		err = read_command(res, i, &c);
		if (!err)
			err = h(&c, arg);
	}
	PQclear(res);
	return err;
}

/* The first claim wins: later ones change no row. */
int pgstore_command_claim(void *conn, int64_t id, const char *node)
{
	struct pgparams pp = { .n = 0 };
	int err;

	pgp_int(&pp, id);
	pgp_text(&pp, node, 64);
	err = pgstore_changes(conn, PGS_OP(command_claim),
			      "UPDATE call_commands SET claimed_by = $2"
			      " WHERE id = $1 AND claimed_by IS NULL", &pp);
	return err == ENOENT ? EBUSY : err;
}

int pgstore_command_done(void *conn, int64_t id, int64_t done_at,
			 const char *result)
{
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, id);
	pgp_int(&pp, done_at);
	pgp_text(&pp, result, STORE_COMMAND_RESULT_SIZE);
	return pgstore_changes(conn, PGS_OP(command_done),
			       "UPDATE call_commands SET done_at = $2,"
			       " result = $3 WHERE id = $1", &pp);
}

int pgstore_command_purge(void *conn, int64_t before)
{
	struct pgparams pp = { .n = 0 };
	int err;

	pgp_int(&pp, before);
	err = pgstore_changes(conn, PGS_OP(command_purge),
			      "DELETE FROM call_commands WHERE created_at < $1",
			      &pp);
	return err == ENOENT ? 0 : err;
}
