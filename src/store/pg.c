/* pg: the PostgreSQL backend of the storage interface (store.h), over
 * libpq, for several dialconf nodes sharing one database (SPEC §8).
 *
 * URL: anything libpq takes as a connection URI, "postgres://..." or
 * "postgresql://...", e.g. postgres://dialconf@db.example.org/dialconf.
 * The data directory is not used.
 *
 * Transactions are READ COMMITTED. The invariants are unique indexes and
 * triggers that lock what they read (pg_schema.c), which PostgreSQL
 * enforces between concurrent transactions; the insert trigger of
 * conference_ids counts on READ COMMITTED to see, after its lock wait, what
 * the transaction it waited for committed. READ COMMITTED also keeps the
 * issue loop of src/app/issue.c working as on SQLite: after an insert is
 * refused because another node committed the same value a moment ago, the
 * next statement (the lookup that tells the pool) sees that row, where a
 * REPEATABLE READ snapshot would not. What SQLite's single writer gives for
 * free, that two resets of one user run one after the other, comes from a
 * row lock: reading a user inside a transaction locks the user's row
 * (pg_users.c), so the second reset waits and then sees the first one's ID.
 *
 * Errors are mapped from the SQLSTATE the way sqlite.c maps constraint
 * codes: unique and exclusion violations and our triggers (which raise
 * unique_violation) -> EEXIST; check, not-null and malformed values (class
 * 22) -> EINVAL; a foreign key to a missing row -> ENOENT; serialization
 * failure and deadlock (the transaction was aborted: run it again) ->
 * EAGAIN; lock timeout -> EBUSY; out of memory -> ENOMEM; anything else, a
 * lost connection included -> EIO.
 *
 * This file: opening, migrations, transactions, running statements and the
 * helpers the other pg_*.c files share. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "store"
#include "core/log.h"
#include "store/pg_priv.h"
#include "store/store_priv.h"

/* pg_advisory_xact_lock key serializing migrations across nodes ("dial"). */
#define MIGRATE_LOCK_KEY "1684627820"

void pgp_int(struct pgparams *pp, int64_t v)
{
	if (pp->n >= PGSTORE_MAX_PARAMS) {
		pp->err = pp->err ? pp->err : EINVAL;
		return;
	}
	snprintf(pp->num[pp->n], PGSTORE_NUM_SIZE, "%" PRId64, v);
	pp->v[pp->n] = pp->num[pp->n];
	pp->n++;
}

void pgp_opt_int(struct pgparams *pp, int64_t v)
{
	if (v) {
		pgp_int(pp, v);
		return;
	}
	if (pp->n >= PGSTORE_MAX_PARAMS) {
		pp->err = pp->err ? pp->err : EINVAL;
		return;
	}
	pp->v[pp->n++] = NULL;
}

void pgp_bool(struct pgparams *pp, bool v)
{
	if (pp->n >= PGSTORE_MAX_PARAMS) {
		pp->err = pp->err ? pp->err : EINVAL;
		return;
	}
	pp->v[pp->n++] = v ? "true" : "false";
}

/* A string that must end within size bytes (a struct field): one without
 * its NUL is the caller's bug, not something to store cut short. */
void pgp_text(struct pgparams *pp, const char *text, size_t size)
{
	if (pp->n >= PGSTORE_MAX_PARAMS || !text || !memchr(text, '\0', size)) {
		pp->err = pp->err ? pp->err : EINVAL;
		return;
	}
	pp->v[pp->n++] = text;
}

void pgp_opt_text(struct pgparams *pp, const char *text)
{
	if (pp->n >= PGSTORE_MAX_PARAMS) {
		pp->err = pp->err ? pp->err : EINVAL;
		return;
	}
	pp->v[pp->n++] = text && *text ? text : NULL;
}

static int sqlstate_err(const char *state)
{
	if (!state || strlen(state) != 5)
		return EIO; /* no server answer: the connection is gone */

	if (!strcmp(state, "23505") || !strcmp(state, "23P01"))
		return EEXIST; /* unique, exclusion, or one of our triggers */
	if (!strcmp(state, "23514") || !strcmp(state, "23502"))
		return EINVAL; /* a malformed value, not a clash */
	if (!strcmp(state, "23503"))
		return ENOENT; /* refers to a row that is not there */
	if (!strncmp(state, "22", 2))
		return EINVAL; /* data exception: bad JSON, bad UTF-8, range */
	if (!strcmp(state, "40001") || !strcmp(state, "40P01"))
		return EAGAIN; /* serialization, deadlock: lost to another tx */
	if (!strcmp(state, "55P03"))
		return EBUSY; /* lock timeout */
	if (!strcmp(state, "53200"))
		return ENOMEM;

	return EIO;
}

int pgstore_err(const PGresult *res)
{
	if (!res)
		return ENOMEM; /* libpq could not allocate the result */

	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		return 0;
	default:
		return sqlstate_err(PQresultErrorField(res, PG_DIAG_SQLSTATE));
	}
}

bool pgstore_in_tx(const struct pgstore *p)
{
	PGTransactionStatusType ts = PQtransactionStatus(p->conn);

	if (p->begin_pending)
		return true;
	return ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR;
}

/* A simple statement without parameters (transaction control). */
static int exec_simple(struct pgstore *p, const char *sql)
{
	PGresult *res = PQexec(p->conn, sql);
	int err = pgstore_err(res);

	PQclear(res);
	return err;
}

/* A connection lost between transactions (a server restart, a network
 * hiccup) is opened again; inside a transaction the loss is the caller's
 * error, since the transaction's work is gone. Prepared statements die with
 * the old session. A server that restarted closed our idle connection
 * (FATAL 57P01, then end of stream) without libpq noticing yet: reading
 * what waits on the socket, without blocking, finds that out before a
 * statement is lost on it. */
static int ensure_conn(struct pgstore *p)
{
	/* Twice: one read may stop after the server's FATAL message, and
	 * only the next one meets the end of the stream behind it. libpq's
	 * socket is non-blocking, so a read with nothing waiting is cheap. */
	if (PQstatus(p->conn) == CONNECTION_OK &&
	    PQconsumeInput(p->conn) && PQconsumeInput(p->conn) &&
	    PQstatus(p->conn) == CONNECTION_OK)
		return 0;
	log_info("event=reconnect");

	PQreset(p->conn);
	memset(p->prepared, 0, sizeof(p->prepared));
	return PQstatus(p->conn) == CONNECTION_OK ? 0 : EIO;
}

static int prepare(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		   int nparams)
{
	char name[16];
	PGresult *res;
	int err;

	if (p->prepared[id])
		return 0;

	snprintf(name, sizeof(name), "dc%d", (int)id);
	res = PQprepare(p->conn, name, sql, nparams, NULL);
	err = pgstore_err(res);
	PQclear(res);
	if (!err)
		p->prepared[id] = true;
	return err;
}

static void stmt_name(char *name, size_t size, enum pgstore_stmt id)
{
	snprintf(name, size, "dc%d", (int)id);
}

static int exec_prepared(struct pgstore *p, enum pgstore_stmt id,
			 const struct pgparams *pp, PGresult **resp)
{
	char name[16];
	PGresult *res;
	int err;

	stmt_name(name, sizeof(name), id);
	res = PQexecPrepared(p->conn, name, pp ? pp->n : 0,
			     pp ? pp->v : NULL, NULL, NULL, 0);
	err = pgstore_err(res);
	if (err || !resp)
		PQclear(res);
	else
		*resp = res;
	return err;
}

/* One statement of a pipeline: a prepared one (name set) with its
 * parameters, or a parameterless command given as sql. */
struct pipe_step {
	const char *sql;
	char name[16];
	const struct pgparams *pp;
	bool needs_row; /* changing no row is ENOENT (pgstore_defer_changes) */
	PGresult *res; /* its result, when it ran without error */
};

static void pipe_raw(struct pipe_step *s, const char *sql)
{
	memset(s, 0, sizeof(*s));
	s->sql = sql;
}

static void pipe_stmt(struct pipe_step *s, enum pgstore_stmt id,
		      const struct pgparams *pp)
{
	memset(s, 0, sizeof(*s));
	stmt_name(s->name, sizeof(s->name), id);
	s->pp = pp;
}

static bool changed_rows(PGresult *res)
{
	const char *n = PQcmdTuples(res);

	return n && *n && strcmp(n, "0");
}

/* Send all steps, then read all results: one round trip however many steps
 * there are (libpq's pipeline mode). Once a step fails, the server skips
 * the rest (PGRES_PIPELINE_ABORTED) and the transaction is in error, as it
 * would be after the same statements sent one by one. Returns the error of
 * the first step that failed; each step before it has its result in res
 * (the caller PQclears them).
 * Only ever used inside a transaction block (BEGIN is one of the steps or
 * ran before), so the Sync at the end commits nothing. */
static int run_pipeline(struct pgstore *p, struct pipe_step *s, int n)
{
	PGresult *res;
	int i, sent, err = 0;

	if (!PQenterPipelineMode(p->conn))
		return EIO;
	for (sent = 0; sent < n; sent++) {
		const struct pgparams *pp = s[sent].pp;
		int ok;

		if (s[sent].name[0])
			ok = PQsendQueryPrepared(p->conn, s[sent].name,
						 pp ? pp->n : 0,
						 pp ? pp->v : NULL, NULL, NULL,
						 0);
		else
			ok = PQsendQueryParams(p->conn, s[sent].sql, 0, NULL,
					       NULL, NULL, NULL, 0);
		if (!ok) {
			err = EIO;
			break;
		}
	}
	if (!PQpipelineSync(p->conn)) {
		/* Nothing can be read back: the connection is gone, and the
		 * next transaction opens it again (ensure_conn). */
		(void)PQexitPipelineMode(p->conn);
		return EIO;
	}

	for (i = 0; i < sent; i++) {
		res = PQgetResult(p->conn);
		if (!res) {
			err = err ? err : EIO;
			break;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED) {
			PQclear(res);
		}
		else if (pgstore_err(res)) {
			err = err ? err : pgstore_err(res);
			PQclear(res);
		}
		else {
			if (s[i].needs_row && !changed_rows(res))
				err = err ? err : ENOENT;
			s[i].res = res;
		}
		/* The NULL that ends this step's results. */
		while ((res = PQgetResult(p->conn)) != NULL) {
			if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
				PQclear(res);
				goto synced;
			}
			PQclear(res);
		}
	}
	/* Up to and including the Sync's own result. */
	while ((res = PQgetResult(p->conn)) != NULL) {
		bool sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;

		PQclear(res);
		if (sync)
			break;
	}
 synced:
	if (!PQexitPipelineMode(p->conn))
		err = err ? err : EIO;
	return err;
}

/* What waits to go out with the next statement: BEGIN (pgstore_begin only
 * notes it) and a deferred write (pgstore_defer). Fills s, clears both and
 * returns how many steps. */
static int pending_steps(struct pgstore *p, struct pipe_step *s)
{
	int k = 0;

	if (p->begin_pending)
		pipe_raw(&s[k++], "BEGIN ISOLATION LEVEL READ COMMITTED");
	if (p->deferred) {
		pipe_stmt(&s[k], p->deferred_id, &p->deferred_pp);
		s[k++].needs_row = p->deferred_needs_row;
		p->deferred = false;
	}
	p->begin_pending = false;
	return k;
}

static void clear_steps(struct pipe_step *s, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		PQclear(s[i].res);
		s[i].res = NULL;
	}
}

/* Send what is pending on its own, before a command that cannot take it
 * along (a SAVEPOINT run with PQexec). */
static int flush_pending(struct pgstore *p)
{
	struct pipe_step s[2];
	int k, err;

	k = pending_steps(p, s);
	if (!k)
		return 0;
	err = run_pipeline(p, s, k);
	clear_steps(s, k);
	return err;
}

/* Statements ids[0..n) (prepared from sqls on first use) with their
 * parameters, as one pipeline, behind what is pending (a BEGIN, a deferred
 * write: an error of the latter is returned as this call's). */
static int run_steps(struct pgstore *p, const enum pgstore_stmt *ids,
		     const char *const *sqls, const struct pgparams *const *pps,
		     int n, PGresult **results)
{
	struct pipe_step s[PGSTORE_MAX_STEPS + 2];
	int i, k, first, err;

	for (i = 0; i < n; i++) {
		results[i] = NULL;
		if (pps[i] && pps[i]->err)
			return pps[i]->err;
	}
	if (!pgstore_in_tx(p) && (err = ensure_conn(p)))
		return err;
	for (i = 0; i < n; i++) {
		err = prepare(p, ids[i], sqls[i], pps[i] ? pps[i]->n : 0);
		if (err)
			return err;
	}

	/* One statement alone: no pipeline needed. */
	if (!p->begin_pending && !p->deferred && n == 1)
		return exec_prepared(p, ids[0], pps[0], &results[0]);

	first = k = pending_steps(p, s);
	for (i = 0; i < n; i++)
		pipe_stmt(&s[k++], ids[i], pps[i]);

	err = run_pipeline(p, s, k);
	for (i = 0; i < k; i++) {
		if (!err && i >= first)
			results[i - first] = s[i].res;
		else
			PQclear(s[i].res);
	}
	return err;
}

int pgstore_run(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		const struct pgparams *pp, PGresult **resp)
{
	PGresult *res = NULL;
	int err;

	if (resp)
		*resp = NULL;
	err = run_steps(p, &id, &sql, &pp, 1, &res);
	if (err || !resp)
		PQclear(res);
	else
		*resp = res;
	return err;
}

int pgstore_pipeline(struct pgstore *p, const struct pgstore_step *steps,
		     int n, PGresult **results)
{
	enum pgstore_stmt ids[PGSTORE_MAX_STEPS];
	const char *sqls[PGSTORE_MAX_STEPS];
	const struct pgparams *pps[PGSTORE_MAX_STEPS];
	int i;

	if (n < 1 || n > PGSTORE_MAX_STEPS)
		return EINVAL;
	for (i = 0; i < n; i++) {
		ids[i] = steps[i].id;
		sqls[i] = steps[i].sql;
		pps[i] = steps[i].pp;
	}
	return run_steps(p, ids, sqls, pps, n, results);
}

/* A write that is not deferred after all (no transaction, or too big). */
static int run_now(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		   const struct pgparams *pp, bool needs_row)
{
	return needs_row ? pgstore_changes(p, id, sql, pp) :
		pgstore_run(p, id, sql, pp, NULL);
}

static int defer(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		 const struct pgparams *pp, bool needs_row)
{
	size_t used = 0, len;
	int i, err;

	if (pp->err)
		return pp->err;
	if (!pgstore_in_tx(p))
		return run_now(p, id, sql, pp, needs_row);
	/* One at a time: an earlier one goes out first. */
	if (p->deferred && (err = flush_pending(p)))
		return err;
	err = prepare(p, id, sql, pp->n);
	if (err)
		return err;

	memset(&p->deferred_pp, 0, sizeof(p->deferred_pp));
	for (i = 0; i < pp->n; i++) {
		if (!pp->v[i]) {
			p->deferred_pp.v[i] = NULL;
			continue;
		}
		len = strlen(pp->v[i]) + 1;
		if (len > sizeof(p->deferred_buf) - used) /* too big: now */
			return run_now(p, id, sql, pp, needs_row);
		memcpy(p->deferred_buf + used, pp->v[i], len);
		p->deferred_pp.v[i] = p->deferred_buf + used;
		used += len;
	}
	p->deferred_pp.n = pp->n;
	p->deferred_id = id;
	p->deferred_needs_row = needs_row;
	p->deferred = true;
	return 0;
}

int pgstore_defer(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		  const struct pgparams *pp)
{
	return defer(p, id, sql, pp, false);
}

int pgstore_defer_changes(struct pgstore *p, enum pgstore_stmt id,
			  const char *sql, const struct pgparams *pp)
{
	return defer(p, id, sql, pp, true);
}

int pgstore_changes(struct pgstore *p, enum pgstore_stmt id,
		    const char *sql, const struct pgparams *pp)
{
	PGresult *res = NULL;
	int err;

	err = pgstore_run(p, id, sql, pp, &res);
	if (err)
		return err;

	err = changed_rows(res) ? 0 : ENOENT;
	PQclear(res);
	return err;
}

int pgstore_one(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		const struct pgparams *pp, PGresult **resp)
{
	int err;

	err = pgstore_run(p, id, sql, pp, resp);
	if (err)
		return err;

	if (PQntuples(*resp) < 1) {
		PQclear(*resp);
		*resp = NULL;
		return ENOENT;
	}
	return 0;
}

int pgstore_count(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		  int64_t *n)
{
	PGresult *res = NULL;
	int err;

	err = pgstore_one(p, id, sql, NULL, &res);
	if (!err)
		*n = pgstore_int(res, 0, 0);
	PQclear(res);
	return err;
}

int pgstore_atomic_begin(struct pgstore *p, bool *own_tx)
{
	int err;

	*own_tx = !pgstore_in_tx(p);
	if (*own_tx) {
		err = ensure_conn(p);
		if (err)
			return err;
		return exec_simple(p, "BEGIN ISOLATION LEVEL READ COMMITTED");
	}
	err = flush_pending(p);
	if (err)
		return err;
	return exec_simple(p, "SAVEPOINT pgstore_a");
}

int pgstore_atomic_end(struct pgstore *p, bool own_tx, int err)
{
	if (own_tx) {
		if (err) {
			(void)exec_simple(p, "ROLLBACK");
			return err;
		}
		return exec_simple(p, "COMMIT");
	}

	if (err) {
		(void)exec_simple(p, "ROLLBACK TO SAVEPOINT pgstore_a;"
				  " RELEASE SAVEPOINT pgstore_a");
		return err;
	}
	return exec_simple(p, "RELEASE SAVEPOINT pgstore_a");
}

int64_t pgstore_int(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

bool pgstore_bool(const PGresult *res, int row, int col)
{
	const char *v = PQgetvalue(res, row, col);

	return !PQgetisnull(res, row, col) && (v[0] == 't' || v[0] == '1');
}

bool pgstore_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) != 0;
}

/* Copy a text column (NULL reads as ""); ERANGE if it does not fit. */
int pgstore_text(const PGresult *res, int row, int col, char *buf,
		 size_t size)
{
	size_t n;

	if (!size)
		return ERANGE;
	if (PQgetisnull(res, row, col)) {
		buf[0] = '\0';
		return 0;
	}

	n = (size_t)PQgetlength(res, row, col);
	if (n >= size)
		return ERANGE;
	memcpy(buf, PQgetvalue(res, row, col), n);
	buf[n] = '\0';
	return 0;
}

/* What both begins check first: no transaction open (one would be a bug
 * above) and a live connection. */
static int begin_ready(struct pgstore *p)
{
	if (pgstore_in_tx(p))
		return EBUSY;
	return ensure_conn(p);
}

int pgstore_begin(void *conn)
{
	struct pgstore *p = conn;
	int err = begin_ready(p);

	if (err)
		return err;
	/* Sent with the transaction's first statement (pending_steps). */
	p->begin_pending = true;
	return 0;
}

/* Reads in autocommit: a BEGIN and a COMMIT would be two more round
 * trips for a snapshot nobody asked for. */
int pgstore_read_begin(void *conn)
{
	(void)conn;
	return 0;
}

int pgstore_read_end(void *conn)
{
	(void)conn;
	return 0;
}

/* PostgreSQL has no cheap way to tell: every read asks the server. */
int pgstore_stamp(void *conn, struct store_stamp *stamp)
{
	(void)conn;
	(void)stamp;
	return ENOTSUP;
}

/* Not pipelined like pgstore_begin: SET LOCAL must come after BEGIN and
 * before COMMIT, and one round trip here saves the wait for the WAL flush
 * at COMMIT. */
int pgstore_begin_relaxed(void *conn)
{
	struct pgstore *p = conn;
	int err = begin_ready(p);

	if (err)
		return err;
	err = exec_simple(p, "BEGIN ISOLATION LEVEL READ COMMITTED;"
			  " SET LOCAL synchronous_commit TO off");
	if (err && pgstore_in_tx(p))
		(void)exec_simple(p, "ROLLBACK");
	return err;
}

/* COMMIT of a transaction that already failed answers "ROLLBACK" without
 * an error: the caller must not believe its writes are in. */
int pgstore_commit(void *conn)
{
	struct pgstore *p = conn;
	struct pipe_step s[3];
	PGresult *res;
	int k, err;

	if (p->begin_pending && !p->deferred) {
		p->begin_pending = false; /* nothing ran: nothing to commit */
		return 0;
	}
	if (PQtransactionStatus(p->conn) == PQTRANS_INERROR) {
		p->deferred = false;
		(void)exec_simple(p, "ROLLBACK");
		return EIO;
	}
	/* A write that must change a row is checked before COMMIT goes. */
	if (p->deferred && p->deferred_needs_row) {
		err = flush_pending(p);
		if (err) {
			(void)exec_simple(p, "ROLLBACK");
			return err;
		}
	}

	if (p->deferred) {
		/* The deferred write and COMMIT: one round trip. */
		k = pending_steps(p, s);
		pipe_raw(&s[k++], "COMMIT");
		err = run_pipeline(p, s, k);
		if (!err && strcmp(PQcmdStatus(s[k - 1].res), "COMMIT"))
			err = EIO;
		clear_steps(s, k);
		if (err && pgstore_in_tx(p))
			(void)exec_simple(p, "ROLLBACK"); /* the write failed */
		return err;
	}

	res = PQexec(p->conn, "COMMIT");
	err = pgstore_err(res);
	if (!err && strcmp(PQcmdStatus(res), "COMMIT"))
		err = EIO;
	PQclear(res);
	return err;
}

/* Rolling back with no transaction open is not an error (as in sqlite.c). */
int pgstore_rollback(void *conn)
{
	struct pgstore *p = conn;

	p->deferred = false; /* never sent: nothing to undo */
	if (p->begin_pending) {
		p->begin_pending = false;
		return 0;
	}
	if (!pgstore_in_tx(p))
		return 0;
	return exec_simple(p, "ROLLBACK");
}

/* libpq prints NOTICEs (CREATE ... IF NOT EXISTS) to stderr by default. */
static void quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int schema_version(struct pgstore *p, int *version)
{
	PGresult *res = PQexec(p->conn,
		"SELECT coalesce(max(version), 0) FROM schema_version");
	int err = pgstore_err(res);

	if (!err && PQntuples(res) == 1)
		*version = (int)pgstore_int(res, 0, 0);
	else if (!err)
		err = EIO;
	PQclear(res);
	return err;
}

/* All pending steps in one transaction under an advisory lock, so two
 * nodes starting at once against a new database apply each step once: the
 * second waits for the lock, then reads the version the first committed.
 * A database with a newer schema than this build knows is refused (EIO). */
static int migrate(struct pgstore *p)
{
	const int latest =
		pgstore_migrations[pgstore_migration_count - 1].version;
	char sql[160];
	int version = 0;
	size_t i;
	int err;

	err = exec_simple(p, "BEGIN ISOLATION LEVEL READ COMMITTED");
	if (err)
		return err;

	err = exec_simple(p, "SELECT pg_advisory_xact_lock("
			  MIGRATE_LOCK_KEY ")");
	if (!err)
		err = exec_simple(p, "CREATE TABLE IF NOT EXISTS schema_version ("
				  " version INTEGER NOT NULL PRIMARY KEY,"
				  " applied_at BIGINT NOT NULL)");
	if (!err)
		err = schema_version(p, &version);
	if (!err && version > latest)
		err = EIO;

	for (i = 0; !err && i < pgstore_migration_count; i++) {
		const struct pgstore_migration *m = &pgstore_migrations[i];

		if (version >= m->version)
			continue;
		err = exec_simple(p, m->sql);
		if (err)
			break;
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES"
			 " (%d, extract(epoch FROM now())::bigint)",
			 m->version);
		err = exec_simple(p, sql);
	}

	if (err) {
		(void)exec_simple(p, "ROLLBACK");
		return err;
	}
	return exec_simple(p, "COMMIT");
}

static void pg_close(void *conn)
{
	struct pgstore *p = conn;

	if (!p)
		return;
	PQfinish(p->conn);
	free(p);
}

static int pg_open(void **connp, const char *url, const char *datadir)
{
	struct pgstore *p = NULL;
	int err;

	(void)datadir;
	p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;

	p->conn = PQconnectdb(url);
	if (!p->conn) {
		err = ENOMEM;
		goto out;
	}
	if (PQstatus(p->conn) != CONNECTION_OK) {
		/* The message may hold the host, never the password. */
		log_warn("event=connect-failed error=\"%.*s\"",
			 (int)strcspn(PQerrorMessage(p->conn), "\r\n"),
			 PQerrorMessage(p->conn));
		err = EIO;
		goto out;
	}
	PQsetNoticeProcessor(p->conn, quiet_notices, NULL);
	if (PQsetClientEncoding(p->conn, "UTF8")) {
		err = EIO;
		goto out;
	}

	err = migrate(p);
	if (err)
		goto out;

	*connp = p;
	p = NULL;

 out:
	pg_close(p);
	return err;
}

static bool pg_lost(void *conn)
{
	struct pgstore *p = conn;

	return PQstatus(p->conn) != CONNECTION_OK;
}

/* Both URI prefixes libpq takes lead to the same backend. */
#define PGSTORE_ENTRY(op, params, args, valid) .op = pgstore_##op,
#define PGSTORE_ENTRY0(op) .op = pgstore_##op,
#define PG_OPS \
	.open = pg_open, \
	.close = pg_close, \
	.lost = pg_lost, \
	STORE_OPS(PGSTORE_ENTRY, PGSTORE_ENTRY0)

const struct store_backend store_pg_backend = {
	.name = "postgres",
	.scheme = "postgres://",
	PG_OPS
};

const struct store_backend store_pg_backend_alt = {
	.name = "postgres",
	.scheme = "postgresql://",
	PG_OPS
};
