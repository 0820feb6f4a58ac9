/* pg_priv: shared by the files of the PostgreSQL backend (pg*.c). Prefix
 * pgstore_. The public face is store_pg_backend (store_priv.h).
 *
 * One struct pgstore per connection (one per thread, as for SQLite). Each
 * statement is prepared once per connection, on first use, under a name
 * derived from its enum pgstore_stmt, then run with PQexecPrepared. Results
 * are read whole before any row callback runs, so a callback may call back
 * into the store on the same connection.
 *
 * In PostgreSQL a failed statement aborts the whole transaction, where in
 * SQLite only the statement is undone. One use case relies on the latter:
 * the issue loop (src/app/issue.c) tries another value after a refused
 * conference ID insert. So the schema does not raise an error there: the
 * insert trigger skips the row (pg_schema.c, migration 5), and the insert
 * without a row back reads as EEXIST. Every other refusal ends the use
 * case, whose transaction is rolled back anyway. (A savepoint around the
 * insert did the same for two more statements and a subtransaction.)
 *
 * Round trips are what a transaction here mostly costs, so: BEGIN goes out
 * with the transaction's first statement, statements that belong together
 * (lock, then read a user) go as one pipeline (pgstore_pipeline, libpq's
 * pipeline mode), and the audit record, a use case's last write, goes with
 * the COMMIT (pgstore_defer). */
#ifndef DIALCONF_STORE_PG_PRIV_H
#define DIALCONF_STORE_PG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store/store.h"
#include "store/store_priv.h"

/* First key of the advisory lock every conference ID insert takes on its
 * value, the second key (pg_schema.c, migration 5). Part of a released
 * migration: never changed. */
#define PGSTORE_CONFID_LOCK_KEY "1684627820"

/* First key of the advisory lock store_guard_get takes on a key inside a
 * transaction ("guar"; the second key is the hash of the guard key,
 * pg_guard.c). Nodes of one database must agree on it: never changed. */
#define PGSTORE_GUARD_LOCK_KEY "1735745906"

/* The statements of a connection's cache: one per operation of STORE_OPS,
 * PGS_OP(NAME) (so a new operation needs no line here; begin, commit and
 * rollback leave theirs unused), then the others some operations run
 * besides. */
#define PGS_OP(op) PGS_OP_##op
#define PGS_ENUM(op, params, args, valid) PGS_OP(op),
#define PGS_ENUM0(op) PGS_OP(op),

enum pgstore_stmt {
	STORE_OPS(PGS_ENUM, PGS_ENUM0)
	PGS_USER_LOCK,
	PGS_USER_LOCK_BY_EMAIL,
	PGS_USER_SEARCH,
	PGS_NUMBER_CLEAR_DEFAULT,
	PGS_OUTBOX_LIST_STATE,
	PGS_MEETING_LIST_ORGANIZER,
	PGS_GUARD_LOCK,
	PGS_GUARD_GET_LOCKED,
	PGS_COUNT_ /* keep last */
};

#undef PGS_ENUM
#undef PGS_ENUM0

/* The parameters of one statement as text (NULL = SQL NULL). A helper that
 * fails records the first error in err; pgstore_run refuses to run then. */
#define PGSTORE_MAX_PARAMS 20
#define PGSTORE_NUM_SIZE 24

struct pgparams {
	const char *v[PGSTORE_MAX_PARAMS];
	char num[PGSTORE_MAX_PARAMS][PGSTORE_NUM_SIZE];
	int n;
	int err;
};

struct pgstore {
	PGconn *conn;
	bool prepared[PGS_COUNT_];
	/* Sent with the next statement or COMMIT (pg.c): BEGIN, and one
	 * deferred write with a copy of its parameters (pgstore_defer). */
	bool begin_pending;
	bool deferred;
	bool deferred_needs_row; /* changing no row is ENOENT */
	enum pgstore_stmt deferred_id;
	struct pgparams deferred_pp;
	char deferred_buf[4096];
};

/* One migration step (pg_schema.c), as in sqlite_priv.h. */
struct pgstore_migration {
	int version;
	const char *sql;
};

extern const struct pgstore_migration pgstore_migrations[];
extern const size_t pgstore_migration_count;

void pgp_int(struct pgparams *pp, int64_t v);
void pgp_opt_int(struct pgparams *pp, int64_t v); /* 0 -> NULL */
void pgp_bool(struct pgparams *pp, bool v);
void pgp_text(struct pgparams *pp, const char *text, size_t size);
void pgp_opt_text(struct pgparams *pp, const char *text); /* "" -> NULL */

/* pg.c: errors, statements, small helpers. */
int pgstore_err(const PGresult *res);
bool pgstore_in_tx(const struct pgstore *p);
/* Run statement id (prepared from sql on first use). A refusal leaves the
 * transaction failed and the caller must roll back. 0 and *resp (PQclear
 * it; resp may be NULL), or the error mapped from the SQLSTATE. */
int pgstore_run(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		const struct pgparams *pp, PGresult **resp);
/* Several statements in one round trip, run in order, each seeing what
 * the ones before it did (in READ COMMITTED each takes its own snapshot
 * after the previous one finished, lock waits included). results[i] gets
 * each one's result (PQclear them); on error none is kept and the error of
 * the first that failed is returned. For use inside a transaction. */
#define PGSTORE_MAX_STEPS 4
struct pgstore_step {
	enum pgstore_stmt id;
	const char *sql;
	const struct pgparams *pp;
};
int pgstore_pipeline(struct pgstore *p, const struct pgstore_step *steps,
		     int n, PGresult **results);
/* A write whose result nobody reads and whose refusal fails the use case
 * anyway (the audit record): inside a transaction it is not sent now but
 * with the transaction's next statement or its COMMIT, saving a round
 * trip; an error it meets is returned there. Outside one it runs now. */
int pgstore_defer(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		  const struct pgparams *pp);
/* pgstore_defer for a write that must change a row: ENOENT (there, or now
 * outside a transaction) when it changed none. Since statements sent with
 * it have run by then, the caller must roll back on that error, as on any
 * other; so a COMMIT never goes out in the same round trip as it. */
int pgstore_defer_changes(struct pgstore *p, enum pgstore_stmt id,
			  const char *sql, const struct pgparams *pp);
/* A write: 0 if it changed a row, ENOENT if it matched none. */
int pgstore_changes(struct pgstore *p, enum pgstore_stmt id,
		    const char *sql, const struct pgparams *pp);
/* A read of one row: 0 and *resp, ENOENT when there is no row. */
int pgstore_one(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		const struct pgparams *pp, PGresult **resp);
int pgstore_count(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		  int64_t *n);
/* Make several statements all-or-nothing: a savepoint inside a
 * transaction, else a transaction of their own. */
int pgstore_atomic_begin(struct pgstore *p, bool *own_tx);
int pgstore_atomic_end(struct pgstore *p, bool own_tx, int err);

/* Reading a result: NULL reads as 0 / false / "". */
int64_t pgstore_int(const PGresult *res, int row, int col);
bool pgstore_bool(const PGresult *res, int row, int col);
bool pgstore_null(const PGresult *res, int row, int col);
int pgstore_text(const PGresult *res, int row, int col, char *buf,
		 size_t size);

/* The backend's function for each operation of STORE_OPS (store_ops.h),
 * pgstore_NAME(): begin, commit and rollback in pg.c, the others in the
 * file of their table (pg_users.c, pg_confid.c, ...). */
#define PGSTORE_DECL(op, params, args, valid) \
	STORE_BACKEND_DECL(pgstore, op, params)
#define PGSTORE_DECL0(op) STORE_BACKEND_DECL0(pgstore, op)

STORE_OPS(PGSTORE_DECL, PGSTORE_DECL0)

#undef PGSTORE_DECL
#undef PGSTORE_DECL0

#endif
