/* sqlite_priv: shared by the files of the SQLite backend (sqlite*.c).
 * Prefix sqlstore_. The public face is store_sqlite_backend (store_priv.h).
 *
 * A connection keeps its prepared statements in a cache indexed by enum
 * sqlstore_stmt, prepared on first use with SQLITE_PREPARE_PERSISTENT so
 * the hot paths (lookup of a dialled ID, user paging) never parse SQL again.
 * A cached statement that is already running (a row callback calling back
 * into the store) is not reused: a one-off statement is prepared instead. */
#ifndef DIALCONF_STORE_SQLITE_PRIV_H
#define DIALCONF_STORE_SQLITE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store/store_priv.h"

/* The statements of a connection's cache: one per operation of STORE_OPS,
 * SQS_OP(NAME) (so a new operation needs no line here), then the others
 * some operations run besides. */
#define SQS_OP(op) SQS_OP_##op
#define SQS_ENUM(op, params, args, valid) SQS_OP(op),
#define SQS_ENUM0(op) SQS_OP(op),

enum sqlstore_stmt {
	STORE_OPS(SQS_ENUM, SQS_ENUM0)
	SQS_USER_SEARCH,
	SQS_NUMBER_CLEAR_DEFAULT,
	SQS_OUTBOX_LIST_STATE,
	SQS_SAVEPOINT,
	SQS_RELEASE,
	SQS_ROLLBACK_TO,
	SQS_COUNT_ /* keep last */
};

#undef SQS_ENUM
#undef SQS_ENUM0

struct sqlstore_cached {
	sqlite3_stmt *stmt;
	bool running; /* handed out and not yet given back */
};

/* lock_fd: the connection's flock(2) on the file DB.lock beside the
 * database (sqlite_backup.c): shared while open, exclusive while a restore
 * replaces the database, so that a restore never runs under a serve. -1
 * for a database in memory. */
/* Beside the database: the file whose flock says who has it open. */
#define SQLSTORE_LOCK_SUFFIX ".lock"

struct sqlstore {
	sqlite3 *db;
	int lock_fd;
	bool relaxed; /* synchronous=NORMAL until this transaction ends */
	/* The WAL index's first page, shared by every connection to the
	 * file (sqlstore_stamp); NULL when SQLite would not map it. */
	const volatile unsigned char *wal_index;
	struct sqlstore_cached cache[SQS_COUNT_];
};

/* One migration step: its version and the SQL that brings the schema
 * from version - 1 to version (sqlite_schema.c). */
struct sqlstore_migration {
	int version;
	const char *sql;
};

extern const struct sqlstore_migration sqlstore_migrations[];
extern const size_t sqlstore_migration_count;

/* sqlite.c: migrate db to the newest schema; ERANGE when a newer dialconf
 * wrote it. */
int sqlstore_migrate(sqlite3 *db);

/* sqlite.c: errors, statements, small helpers. */
int sqlstore_err(int rc);
int sqlstore_prepare(struct sqlstore *s, enum sqlstore_stmt id,
		     const char *sql, sqlite3_stmt **stmtp);
void sqlstore_release(struct sqlstore *s, enum sqlstore_stmt id,
		      sqlite3_stmt *stmt);
int sqlstore_exec_changes(sqlite3_stmt *stmt);
int sqlstore_step_row(sqlite3_stmt *stmt);
int sqlstore_bind_text(sqlite3_stmt *stmt, int i, const char *text,
		       size_t size);
int sqlstore_bind_int64(sqlite3_stmt *stmt, int i, int64_t v);
int sqlstore_bind_opt_text(sqlite3_stmt *stmt, int i, const char *text);
int sqlstore_bind_opt_int64(sqlite3_stmt *stmt, int i, int64_t v);
int sqlstore_column_text(sqlite3_stmt *stmt, int col, char *buf,
			 size_t size);
int sqlstore_savepoint(struct sqlstore *s);
int sqlstore_savepoint_end(struct sqlstore *s, int err);
int sqlstore_count(struct sqlstore *s, enum sqlstore_stmt id,
		   const char *sql, int64_t *n);

/* Reads the current row of stmt: into the object arg (a read_* function),
 * or on to a caller's handler. Non-zero stops a scan. */
typedef int (sqlstore_row_h)(sqlite3_stmt *stmt, void *arg);

int sqlstore_prepare_ints(struct sqlstore *s, enum sqlstore_stmt id,
			  const char *sql, const int64_t *v, int n,
			  sqlite3_stmt **stmtp);
int sqlstore_rows(sqlite3_stmt *stmt, sqlstore_row_h *row, void *arg);
int sqlstore_row(sqlite3_stmt *stmt, sqlstore_row_h *row, void *arg);
int sqlstore_select(struct sqlstore *s, enum sqlstore_stmt id,
		    const char *sql, const int64_t *v, int n,
		    sqlstore_row_h *row, void *arg);
int sqlstore_exec_ints(struct sqlstore *s, enum sqlstore_stmt id,
		       const char *sql, const int64_t *v, int n);
int sqlstore_select_one(struct sqlstore *s, enum sqlstore_stmt id,
			const char *sql, const int64_t *v, int n,
			sqlstore_row_h *row, void *arg);

/* The backend's function for each operation of STORE_OPS (store_ops.h),
 * sqlstore_NAME(): begin, commit and rollback in sqlite.c, the others in
 * the file of their table (sqlite_users.c, sqlite_confid.c, ...). */
#define SQLSTORE_DECL(op, params, args, valid) \
	STORE_BACKEND_DECL(sqlstore, op, params)
#define SQLSTORE_DECL0(op) STORE_BACKEND_DECL0(sqlstore, op)

STORE_OPS(SQLSTORE_DECL, SQLSTORE_DECL0)

#undef SQLSTORE_DECL
#undef SQLSTORE_DECL0

#endif
