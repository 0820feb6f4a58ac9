/* sqlite_backup: backup and restore of the SQLite database; the lock that
 * keeps a restore from running under a serve is taken at open (sqlite.c).
 *
 * Both copy with SQLite's online backup API (sqlite3_backup_*), in one
 * step: the copy is read in one read transaction, so it is one consistent
 * moment of the database, and in WAL mode writers go on meanwhile (a
 * backup made in several steps would start again after each write of
 * another connection). A restore writes the copy into the live database
 * through the same API, in one write transaction of the destination: it
 * is all or nothing, and never leaves a stale -wal file beside a renamed
 * database, as copying files would.
 *
 * The lock: every connection holds flock(LOCK_SH) on DB.lock beside the
 * database for as long as it is open; a restore turns its own into
 * LOCK_EX, which fails while any other connection (a running serve, an
 * admin verb) holds the database. flock(2) locks are apart from SQLite's
 * own POSIX locks, and the lock file is never the database itself: closing
 * another descriptor of the database would drop SQLite's locks on it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "store/sqlite_priv.h"

/* Copy the whole of src into dst in one step (see the top). */
static int copy_db(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup *b;
	int rc;

	b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b)
		return sqlstore_err(sqlite3_errcode(dst));
	rc = sqlite3_backup_step(b, -1);
	(void)sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		return sqlstore_err(rc);
	return sqlstore_err(sqlite3_errcode(dst));
}

/* fsync the file or folder at path. */
static int sync_path(const char *path)
{
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fsync(fd))
		err = errno;
	close(fd);
	return err;
}

/* The folder of path, into dir. */
static void dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, size, ".");
	else if (slash == path)
		snprintf(dir, size, "/");
	else
		snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

/* A new empty file at path, mode 0600 (the copy holds PIN and password
 * hashes); SQLite takes an empty file as an empty database. */
static int create_private(const char *path)
{
	int fd;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* Write the copy of s into tmp as a single file (journal mode DELETE: no
 * -wal beside it to lose), synced to disk. */
static int write_copy(struct sqlstore *s, const char *tmp)
{
	sqlite3 *dst = NULL;
	int err;

	err = create_private(tmp);
	if (err)
		return err;
	err = sqlstore_err(sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE |
					   SQLITE_OPEN_NOMUTEX, NULL));
	if (!err)
		err = copy_db(dst, s->db);
	if (!err)
		err = sqlstore_err(sqlite3_exec(dst,
			"PRAGMA journal_mode = DELETE", NULL, NULL, NULL));
	if (sqlite3_close(dst) != SQLITE_OK && !err)
		err = EIO;
	if (!err)
		err = sync_path(tmp);
	return err;
}

/* Whether path names the database of s itself (or one of its -wal, -shm
 * and .lock files, which share its name): a backup written there, or a
 * restore read from there, would destroy it. */
static bool is_own_file(struct sqlstore *s, const char *path)
{
	const char *db = sqlite3_db_filename(s->db, "main");
	char rdb[PATH_MAX], rpath[PATH_MAX], dir[PATH_MAX];
	const char *base = strrchr(path, '/');
	size_t n;

	if (!db || !db[0] || !realpath(db, rdb))
		return false;
	/* The file itself, or a name beside it (it may not exist yet). */
	dir_of(path, dir, sizeof(dir));
	if (!realpath(dir, rpath))
		return false;
	n = strlen(rpath);
	snprintf(rpath + n, sizeof(rpath) - n, "/%s", base ? base + 1 : path);
	n = strlen(rdb);
	return !strncmp(rpath, rdb, n) &&
		(!rpath[n] || !strcmp(rpath + n, "-wal") ||
		 !strcmp(rpath + n, "-shm") || !strcmp(rpath + n, SQLSTORE_LOCK_SUFFIX));
}

int sqlstore_backup(void *conn, const char *path)
{
	struct sqlstore *s = conn;
	char tmp[PATH_MAX], dir[PATH_MAX];
	int n, err;

	if (is_own_file(s, path))
		return ELOOP;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return ENAMETOOLONG;
	/* Written beside the target and renamed over it: a backup cut short
	 * never stands where a good one stood. */
	err = write_copy(s, tmp);
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		(void)unlink(tmp);
		return err;
	}
	dir_of(path, dir, sizeof(dir));
	return sync_path(dir);
}

static int read_version(void *arg, int ncol, char **vals, char **names)
{
	(void)names;
	if (ncol == 1 && vals[0])
		*(int *)arg = (int)strtol(vals[0], NULL, 10);
	return 0;
}

/* quick_check answers one row "ok", or a row per problem found. */
static int read_check(void *arg, int ncol, char **vals, char **names)
{
	(void)names;
	if (ncol != 1 || !vals[0] || strcmp(vals[0], "ok"))
		*(bool *)arg = false;
	return 0;
}

/* Whether src is a dialconf database this build can take: EINVAL when it
 * is not SQLite, is damaged or has no schema_version; ERANGE when newer. */
static int check_source(sqlite3 *src)
{
	int newest = sqlstore_migrations[sqlstore_migration_count - 1].version;
	int version = 0, rc;
	bool ok = true;

	rc = sqlite3_exec(src, "PRAGMA quick_check", read_check, &ok, NULL);
	if (rc != SQLITE_OK || !ok)
		return EINVAL;
	rc = sqlite3_exec(src, "SELECT max(version) FROM schema_version",
			  read_version, &version, NULL);
	if (rc != SQLITE_OK || version < 1)
		return EINVAL;
	return version > newest ? ERANGE : 0;
}

/* Copy the database at path into s and bring it to the newest schema. */
static int restore_from(struct sqlstore *s, const char *path)
{
	sqlite3 *src = NULL;
	int err;

	if (access(path, R_OK))
		return errno;
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		err = EINVAL;
		goto out;
	}
	err = check_source(src);
	if (!err)
		err = copy_db(s->db, src);
	if (!err)
		err = sqlstore_migrate(s->db);
 out:
	sqlite3_close(src);
	return err;
}

int sqlstore_restore(void *conn, const char *path)
{
	struct sqlstore *s = conn;
	int i, err;

	if (s->lock_fd < 0)
		return ENOTSUP; /* a database in memory */
	if (is_own_file(s, path))
		return ELOOP;
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB))
		return errno == EWOULDBLOCK ? EBUSY : errno;
	/* Prepared against the database being replaced: they are made
	 * again on first use. */
	for (i = 0; i < SQS_COUNT_; i++) {
		sqlite3_finalize(s->cache[i].stmt);
		s->cache[i].stmt = NULL;
	}
	err = restore_from(s, path);
	(void)flock(s->lock_fd, LOCK_SH);
	return err;
}
