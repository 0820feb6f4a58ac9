/* sqlite: the SQLite backend of the storage interface (store.h).
 *
 * One struct sqlstore per connection, one connection per thread (opened
 * SQLITE_OPEN_NOMUTEX: the store is never shared, so SQLite's own mutexes
 * would only cost). WAL lets readers on other threads go on while one
 * writer holds the lock; synchronous=FULL because an acknowledged reset
 * must survive a power cut (SPEC §3: from the commit on, the old ID is
 * dead). Transactions start with BEGIN IMMEDIATE so that a writer takes the
 * lock at the start and waits there (busy_timeout), instead of failing
 * half-way when a read transaction tries to become a write one.
 *
 * This file: opening, migrations, transactions, the statement cache and
 * the helpers the other sqlite_*.c files share. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/types.h>
#include <unistd.h>

#include "store/sqlite_priv.h"
#include "store/store_priv.h"

#define SCHEME "sqlite:"
#define DB_FILE "dialconf.db"
#define BUSY_TIMEOUT_MS 5000

int sqlstore_err(int rc)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return EINVAL; /* a malformed value, not a clash */
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return ENOENT; /* refers to a row that is not there */
	}

	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		return EEXIST; /* unique index or one of our triggers */
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	case SQLITE_NOMEM:
		return ENOMEM;
	default:
		return EIO;
	}
}

int sqlstore_prepare(struct sqlstore *s, enum sqlstore_stmt id,
		     const char *sql, sqlite3_stmt **stmtp)
{
	struct sqlstore_cached *c = &s->cache[id];
	int rc;

	if (c->running) {
		/* Re-entered from a row callback: the cached statement is
		 * mid-scan, so this call gets one of its own. */
		rc = sqlite3_prepare_v3(s->db, sql, -1, 0, stmtp, NULL);
		return sqlstore_err(rc);
	}

	if (!c->stmt) {
		rc = sqlite3_prepare_v3(s->db, sql, -1,
					SQLITE_PREPARE_PERSISTENT, &c->stmt,
					NULL);
		if (rc != SQLITE_OK)
			return sqlstore_err(rc);
	}

	c->running = true;
	*stmtp = c->stmt;
	return 0;
}

void sqlstore_release(struct sqlstore *s, enum sqlstore_stmt id,
		      sqlite3_stmt *stmt)
{
	struct sqlstore_cached *c = &s->cache[id];

	if (!stmt)
		return;

	if (stmt != c->stmt) {
		sqlite3_finalize(stmt);
		return;
	}

	/* reset ends the scan and drops its read lock; the bindings go so
	 * the next caller cannot inherit a stale pointer to our strings. */
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	c->running = false;
}

/* Run a write; 0 if it changed a row, ENOENT if it matched none. */
int sqlstore_exec_changes(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE)
		return sqlstore_err(rc);

	return sqlite3_changes(sqlite3_db_handle(stmt)) > 0 ? 0 : ENOENT;
}

/* Step to the first row: 0 on a row, ENOENT when there is none. */
int sqlstore_step_row(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return ENOENT;

	return sqlstore_err(rc);
}

/* Bind a string that must end within size bytes (a struct field): a field
 * without its NUL is the caller's bug, not something to store cut short. */
int sqlstore_bind_text(sqlite3_stmt *stmt, int i, const char *text,
		       size_t size)
{
	if (!text || !memchr(text, '\0', size))
		return EINVAL;

	return sqlstore_err(sqlite3_bind_text(stmt, i, text, -1,
					      SQLITE_STATIC));
}

int sqlstore_bind_int64(sqlite3_stmt *stmt, int i, int64_t v)
{
	return sqlstore_err(sqlite3_bind_int64(stmt, i, v));
}

/* NULL or "" is stored as SQL NULL ("not set"). */
int sqlstore_bind_opt_text(sqlite3_stmt *stmt, int i, const char *text)
{
	if (!text || !*text)
		return sqlstore_err(sqlite3_bind_null(stmt, i));

	return sqlstore_err(sqlite3_bind_text(stmt, i, text, -1,
					      SQLITE_STATIC));
}

/* 0 is stored as SQL NULL (no user, no meeting). */
int sqlstore_bind_opt_int64(sqlite3_stmt *stmt, int i, int64_t v)
{
	if (!v)
		return sqlstore_err(sqlite3_bind_null(stmt, i));

	return sqlstore_err(sqlite3_bind_int64(stmt, i, v));
}

/* Copy a text column (NULL reads as ""); ERANGE if it does not fit. */
int sqlstore_column_text(sqlite3_stmt *stmt, int col, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);
	size_t n = (size_t)sqlite3_column_bytes(stmt, col);

	if (!size)
		return ERANGE;

	if (!t) {
		buf[0] = '\0';
		return 0;
	}

	if (n >= size)
		return ERANGE;

	memcpy(buf, t, n);
	buf[n] = '\0';
	return 0;
}

static int exec_cached(struct sqlstore *s, enum sqlstore_stmt id,
		       const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, id, sql, &stmt);
	if (err)
		return err;

	err = sqlstore_err(sqlite3_step(stmt));
	sqlstore_release(s, id, stmt);
	return err;
}

/* A savepoint makes a several-statement write all-or-nothing whether or
 * not the caller has a transaction open (SAVEPOINT nests inside BEGIN). */
int sqlstore_savepoint(struct sqlstore *s)
{
	return exec_cached(s, SQS_SAVEPOINT, "SAVEPOINT sqlstore");
}

/* End the savepoint: undo it when err is set. Returns err, or the error of
 * the release. */
int sqlstore_savepoint_end(struct sqlstore *s, int err)
{
	if (err) {
		/* These fail only if SQLite already rolled the whole
		 * transaction back, which undid the savepoint anyway. */
		(void)exec_cached(s, SQS_ROLLBACK_TO,
				  "ROLLBACK TO SAVEPOINT sqlstore");
		(void)exec_cached(s, SQS_RELEASE, "RELEASE SAVEPOINT sqlstore");
		return err;
	}

	return exec_cached(s, SQS_RELEASE, "RELEASE SAVEPOINT sqlstore");
}

/* Prepare the cached statement id and bind the n integers of v to ?1..?n.
 * On failure nothing is held and *stmtp is NULL. */
int sqlstore_prepare_ints(struct sqlstore *s, enum sqlstore_stmt id,
			  const char *sql, const int64_t *v, int n,
			  sqlite3_stmt **stmtp)
{
	int i, err;

	*stmtp = NULL;
	err = sqlstore_prepare(s, id, sql, stmtp);
	for (i = 0; !err && i < n; i++)
		err = sqlstore_bind_int64(*stmtp, i + 1, v[i]);

	if (err) {
		sqlstore_release(s, id, *stmtp);
		*stmtp = NULL;
	}
	return err;
}

/* Hand each row of stmt to row; its non-zero return stops the scan. */
int sqlstore_rows(sqlite3_stmt *stmt, sqlstore_row_h *row, void *arg)
{
	int rc, err;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		err = row(stmt, arg);
		if (err)
			return err;
	}

	return sqlstore_err(rc);
}

/* Step once and hand the row to row: 0, ENOENT, or an error. */
int sqlstore_row(sqlite3_stmt *stmt, sqlstore_row_h *row, void *arg)
{
	int err = sqlstore_step_row(stmt);

	return err ? err : row(stmt, arg);
}

typedef int (step_h)(sqlite3_stmt *stmt, sqlstore_row_h *row, void *arg);

static int select_by(struct sqlstore *s, enum sqlstore_stmt id,
		     const char *sql, const int64_t *v, int n, step_h *step,
		     sqlstore_row_h *row, void *arg)
{
	sqlite3_stmt *stmt;
	int err;

	err = sqlstore_prepare_ints(s, id, sql, v, n, &stmt);
	if (err)
		return err;

	err = step(stmt, row, arg);
	sqlstore_release(s, id, stmt);
	return err;
}

/* A query keyed by integers, each row to row; see sqlstore_prepare_ints. */
int sqlstore_select(struct sqlstore *s, enum sqlstore_stmt id,
		    const char *sql, const int64_t *v, int n,
		    sqlstore_row_h *row, void *arg)
{
	return select_by(s, id, sql, v, n, sqlstore_rows, row, arg);
}

/* The first row of a query keyed by integers; ENOENT if there is none. */
int sqlstore_select_one(struct sqlstore *s, enum sqlstore_stmt id,
			const char *sql, const int64_t *v, int n,
			sqlstore_row_h *row, void *arg)
{
	return select_by(s, id, sql, v, n, sqlstore_row, row, arg);
}

/* A write keyed by integers: 0 if it changed a row, ENOENT if none. */
int sqlstore_exec_ints(struct sqlstore *s, enum sqlstore_stmt id,
		       const char *sql, const int64_t *v, int n)
{
	sqlite3_stmt *stmt;
	int err;

	err = sqlstore_prepare_ints(s, id, sql, v, n, &stmt);
	if (err)
		return err;

	err = sqlstore_exec_changes(stmt);
	sqlstore_release(s, id, stmt);
	return err;
}

static int read_int64(sqlite3_stmt *stmt, void *arg)
{
	*(int64_t *)arg = sqlite3_column_int64(stmt, 0);
	return 0;
}

/* Run a one-column integer query (a count). */
int sqlstore_count(struct sqlstore *s, enum sqlstore_stmt id,
		   const char *sql, int64_t *n)
{
	return sqlstore_select_one(s, id, sql, NULL, 0, read_int64, n);
}

int sqlstore_begin(void *conn)
{
	return exec_cached(conn, SQS_OP(begin), "BEGIN IMMEDIATE");
}

/* Back to synchronous=FULL after a relaxed transaction. */
static void unrelax(struct sqlstore *s)
{
	if (!s->relaxed)
		return;
	(void)sqlite3_exec(s->db, "PRAGMA synchronous = FULL", NULL, NULL,
			   NULL);
	s->relaxed = false;
}

/* SQLite will not change synchronous inside a transaction: it is lowered
 * before BEGIN and raised again when the transaction ends. */
int sqlstore_begin_relaxed(void *conn)
{
	struct sqlstore *s = conn;
	int err;

	err = sqlstore_err(sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL",
					NULL, NULL, NULL));
	if (!err)
		err = sqlstore_begin(s);
	s->relaxed = true;
	if (err)
		unrelax(s);
	return err;
}

int sqlstore_commit(void *conn)
{
	struct sqlstore *s = conn;
	int err = exec_cached(s, SQS_OP(commit), "COMMIT");

	/* A COMMIT that failed busy leaves the transaction open. */
	if (sqlite3_get_autocommit(s->db))
		unrelax(s);
	return err;
}

/* A deferred BEGIN takes no lock until the first read; the locks of the
 * read transaction (the WAL read mark) are then taken once for all of its
 * statements: each lock is an fcntl, which costs more than a point read. */
int sqlstore_read_begin(void *conn)
{
	struct sqlstore *s = conn;

	if (!sqlite3_get_autocommit(s->db))
		return EBUSY; /* a transaction is open: a bug above */
	return exec_cached(s, SQS_OP(read_begin), "BEGIN DEFERRED");
}

int sqlstore_read_end(void *conn)
{
	struct sqlstore *s = conn;

	if (sqlite3_get_autocommit(s->db))
		return 0;
	return exec_cached(s, SQS_OP(read_end), "COMMIT");
}

/* The WAL index header (https://sqlite.org/walformat.html): two copies of
 * 48 bytes at the start of the -shm file, which every commit rewrites
 * (its frame count, checksums and salts), the second copy first. A
 * reader that finds both copies equal has a whole header, as SQLite's own
 * readers do before they take any lock. */
#define WAL_HDR_SIZE 48
#define STAMP_TRIES 100

int sqlstore_stamp(void *conn, struct store_stamp *stamp)
{
	struct sqlstore *s = conn;
	unsigned char first[WAL_HDR_SIZE], second[WAL_HDR_SIZE];
	int i, tries;

	_Static_assert(STORE_STAMP_SIZE == WAL_HDR_SIZE, "stamp size");
	if (!s->wal_index)
		return ENOTSUP;
	for (tries = 0; tries < STAMP_TRIES; tries++) {
		for (i = 0; i < WAL_HDR_SIZE; i++)
			first[i] = s->wal_index[i];
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		for (i = 0; i < WAL_HDR_SIZE; i++)
			second[i] = s->wal_index[WAL_HDR_SIZE + i];
		if (!memcmp(first, second, WAL_HDR_SIZE)) {
			memcpy(stamp->v, first, WAL_HDR_SIZE);
			return 0;
		}
	}
	return EAGAIN; /* a writer in the middle of each try */
}

/* Map the WAL index's first page through the VFS (the connection has read
 * in WAL mode by now, so it exists); left NULL when it cannot be. */
static void wal_index_map(struct sqlstore *s)
{
	sqlite3_file *f = NULL;
	void volatile *page = NULL;

	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_FILE_POINTER,
				 &f) != SQLITE_OK || !f || !f->pMethods ||
	    f->pMethods->iVersion < 2 || !f->pMethods->xShmMap)
		return;
	if (f->pMethods->xShmMap(f, 0, 32768, 0, &page) == SQLITE_OK)
		s->wal_index = (const volatile unsigned char *)page;
}

/* Rolling back with no transaction open is not an error: SQLite may have
 * rolled back already (after SQLITE_FULL, say), and an out: label should
 * not have to know. */
int sqlstore_rollback(void *conn)
{
	struct sqlstore *s = conn;
	int err = 0;

	if (!sqlite3_get_autocommit(s->db))
		err = exec_cached(s, SQS_OP(rollback), "ROLLBACK");
	unrelax(s);
	return err;
}

/* mkdir -p with mode 0700: the data folder holds PIN and password hashes. */
static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	struct stat sb;
	size_t i;
	int n;

	n = snprintf(path, sizeof(path), "%s", dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ENAMETOOLONG;

	for (i = 1; path[i]; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return errno;
		path[i] = '/';
	}

	if (mkdir(path, 0700) && errno != EEXIST)
		return errno;

	if (stat(path, &sb))
		return errno;

	return S_ISDIR(sb.st_mode) ? 0 : ENOTDIR;
}

/* "sqlite:" -> DATADIR/dialconf.db; "sqlite:PATH" and "sqlite://PATH" ->
 * PATH. */
static int db_path(const char *url, const char *datadir, char *path,
		   size_t size)
{
	const char *rest = url + strlen(SCHEME);
	int err, n;

	if (!strncmp(rest, "//", 2))
		rest += 2;

	if (*rest) {
		n = snprintf(path, size, "%s", rest);
	}
	else {
		if (!datadir || !*datadir)
			return EINVAL;

		err = mkdir_p(datadir);
		if (err)
			return err;

		n = snprintf(path, size, "%s/%s", datadir, DB_FILE);
	}

	if (n < 0 || (size_t)n >= size)
		return EINVAL;

	return 0;
}

static int wal_cb(void *arg, int ncol, char **vals, char **names)
{
	(void)names;
	*(bool *)arg = ncol == 1 && vals[0] && !strcmp(vals[0], "wal");
	return 0;
}

static int configure(sqlite3 *db)
{
	bool wal = false;
	int rc;

	sqlite3_extended_result_codes(db, 1);

	/* Double-quoted string literals would hide a misspelt column. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);

	rc = sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK)
		return sqlstore_err(rc);

	rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", wal_cb, &wal, NULL);
	if (rc != SQLITE_OK)
		return sqlstore_err(rc);
	if (!wal)
		return EIO;

	rc = sqlite3_exec(db, "PRAGMA synchronous = FULL;"
			  "PRAGMA foreign_keys = ON", NULL, NULL, NULL);

	return sqlstore_err(rc);
}

static int schema_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_err(sqlite3_prepare_v2(db,
		"SELECT coalesce(max(version), 0) FROM schema_version", -1,
		&stmt, NULL));
	if (err)
		goto out;

	err = sqlstore_step_row(stmt);
	if (err)
		goto out;

	*version = sqlite3_column_int(stmt, 0);

 out:
	sqlite3_finalize(stmt);
	return err;
}

/* Apply one step unless the database has it. The version is read inside
 * the write transaction, so two processes opening a new file at once
 * cannot both apply it. */
static int migrate_step(sqlite3 *db, const struct sqlstore_migration *m)
{
	char sql[128];
	int version = 0;
	int err;

	err = sqlstore_err(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL,
					NULL));
	if (err)
		return err;

	err = schema_version(db, &version);
	if (err || version >= m->version)
		goto out;

	err = sqlstore_err(sqlite3_exec(db, m->sql, NULL, NULL, NULL));
	if (err)
		goto out;

	snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES "
		 "(%d, CAST(strftime('%%s', 'now') AS INTEGER))", m->version);
	err = sqlstore_err(sqlite3_exec(db, sql, NULL, NULL, NULL));
	if (err)
		goto out;

	err = sqlstore_err(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL));

 out:
	if (err || version >= m->version)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

int sqlstore_migrate(sqlite3 *db)
{
	int version = 0;
	size_t i;
	int err;

	err = sqlstore_err(sqlite3_exec(db,
		"CREATE TABLE IF NOT EXISTS schema_version ("
		" version INTEGER NOT NULL PRIMARY KEY,"
		" applied_at INTEGER NOT NULL)", NULL, NULL, NULL));
	if (err)
		return err;

	/* A newer dialconf wrote this file: its schema may break our
	 * assumptions, so refuse rather than guess. */
	err = schema_version(db, &version);
	if (err)
		return err;
	if (version > sqlstore_migrations[sqlstore_migration_count - 1].version)
		return ERANGE;

	for (i = 0; i < sqlstore_migration_count; i++) {
		err = migrate_step(db, &sqlstore_migrations[i]);
		if (err)
			return err;
	}

	return 0;
}

/* The shared flock on DB.lock every connection holds while open (the
 * comment on top of sqlite_backup.c says why). */
static void lock_close(struct sqlstore *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
}

static int lock_open(struct sqlstore *s, const char *path)
{
	char lock[PATH_MAX];
	int n, err = 0;

	s->lock_fd = -1;
	if (!strcmp(path, ":memory:"))
		return 0;
	n = snprintf(lock, sizeof(lock), "%s" SQLSTORE_LOCK_SUFFIX, path);
	if (n < 0 || (size_t)n >= sizeof(lock))
		return ENAMETOOLONG;
	s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0)
		return errno;
	if (flock(s->lock_fd, LOCK_SH | LOCK_NB))
		err = errno == EWOULDBLOCK ? EBUSY : errno;
	if (err)
		lock_close(s);
	return err;
}



static void sq_close(void *conn)
{
	struct sqlstore *s = conn;
	size_t i;

	if (!s)
		return;

	for (i = 0; i < SQS_COUNT_; i++)
		sqlite3_finalize(s->cache[i].stmt);

	sqlite3_close_v2(s->db);
	lock_close(s);
	free(s);
}

/* SQLite keeps allocation statistics under one process-wide mutex that
 * every malloc and free of every connection takes (this build has no
 * lookaside): a futex per statement between the HTTP threads, for figures
 * nobody reads. Set before SQLite initialises; a no-op (SQLITE_MISUSE)
 * when something initialised it first. */
static void sqlite_config_once(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sq_open(void **connp, const char *url, const char *datadir)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct sqlstore *s = NULL;
	char path[PATH_MAX];
	int err, rc;

	err = db_path(url, datadir, path, sizeof(path));
	if (err)
		return err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->lock_fd = -1;
	(void)pthread_once(&once, sqlite_config_once);

	err = lock_open(s, path);
	if (err)
		goto out;

	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err = rc == SQLITE_NOMEM ? ENOMEM : EIO;
		goto out;
	}

	err = configure(s->db);
	if (err)
		goto out;

	err = sqlstore_migrate(s->db);
	if (err)
		goto out;
	wal_index_map(s);

	*connp = s;
	s = NULL;

 out:
	sq_close(s);
	return err;
}

#define SQLSTORE_ENTRY(op, params, args, valid) .op = sqlstore_##op,
#define SQLSTORE_ENTRY0(op) .op = sqlstore_##op,

const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	.scheme = SCHEME,
	.open = sq_open,
	.close = sq_close,
	STORE_OPS(SQLSTORE_ENTRY, SQLSTORE_ENTRY0)
};
