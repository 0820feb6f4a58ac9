/* bench_reset [USERS]: what a conference ID reset costs next to the
 * cheapest durable write the same database can do.
 *
 * USERS users (default 100 000), all enabled, are put into a fresh SQLite
 * database in one transaction straight through the store (one PIN hash for
 * all: argon2 per user would take hours). The app is opened afterwards, so
 * its pool loads every issued ID as a real start would. Then:
 *   resets:       each user's ID reset once through app_reset_conference_id,
 *                 one transaction each (revoke, issue, audit, commit);
 *   bare updates: on the same file, with the same pragmas as the store
 *                 (WAL, synchronous=FULL), one BEGIN IMMEDIATE; UPDATE users
 *                 SET display_name = ? WHERE id = ?; COMMIT per user.
 * Both pay one fsync'd commit per operation; the ratio shows what the use
 * case adds on top. The last line is the ratio, higher is better. */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "app/app.h"
#include "core/confid.h"
#include "core/secret.h"
#include "store/store.h"

#define DEFAULT_USERS 100000L
#define MAX_USERS 5000000L

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_cb(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int seed_one(struct store *st, struct confid_pool *pool, long i,
		    const char *hash, int64_t *id)
{
	struct store_confid c;
	struct store_user u;
	uint32_t v;
	int e;

	memset(&u, 0, sizeof(u));
	snprintf(u.email, sizeof(u.email), "user%07ld@example.org", i);
	snprintf(u.display_name, sizeof(u.display_name), "User %ld", i);
	u.audio_enabled = true;
	u.created_at = (int64_t)time(NULL);
	e = store_user_insert(st, &u);
	if (e)
		return e;
	e = confid_pool_draw(pool, &v);
	if (e)
		return e;
	confid_pool_set_taken(pool, v, true);
	memset(&c, 0, sizeof(c));
	c.value = v;
	c.kind = STORE_CONFID_PERSONAL;
	c.user_id = u.id;
	c.issued_at = u.created_at;
	e = store_confid_insert(st, &c);
	if (!e)
		e = store_pin_set(st, u.id, hash);
	*id = u.id;
	return e;
}

static int seed(const char *dir, long n, int64_t *ids)
{
	char hash[SECRET_HASH_SIZE];
	struct confid_pool *pool = NULL;
	struct store *st = NULL;
	long i;
	int e;

	e = secret_hash("40917", hash, sizeof(hash));
	if (!e)
		e = confid_pool_alloc(&pool);
	if (!e)
		e = store_open(&st, "sqlite:", dir);
	if (!e)
		e = store_begin(st);
	for (i = 0; !e && i < n; i++)
		e = seed_one(st, pool, i, hash, &ids[i]);
	if (!e)
		e = store_commit(st);
	else if (st)
		(void)store_rollback(st);
	store_close(st);
	confid_pool_free(pool);
	return e;
}

static int resets(const char *dir, long n, const int64_t *ids, double *secs)
{
	struct app_reset_result r;
	struct app_err err = { "" };
	struct app *a = NULL;
	char ref[32];
	double t0;
	long i;
	int e;

	e = app_open(&a, "sqlite:", dir, 1, &err);
	if (e) {
		fprintf(stderr, "bench_reset: app_open: %s\n", err.detail);
		return e;
	}
	t0 = now_s();
	for (i = 0; i < n && !e; i++) {
		snprintf(ref, sizeof(ref), "%" PRId64, ids[i]);
		e = app_reset_conference_id(a, "bench", ref, false, false, &r,
					    &err);
	}
	*secs = now_s() - t0;
	if (e)
		fprintf(stderr, "bench_reset: reset: %s\n", err.detail);
	app_close(a);
	return e;
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : EIO;
}

static int bare_one(sqlite3 *db, sqlite3_stmt *upd, int64_t id, long i)
{
	char name[64];
	int e;

	snprintf(name, sizeof(name), "User %ld (renamed)", i);
	e = exec(db, "BEGIN IMMEDIATE");
	if (e)
		return e;
	sqlite3_reset(upd);
	sqlite3_bind_text(upd, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(upd, 2, id);
	if (sqlite3_step(upd) != SQLITE_DONE) {
		(void)exec(db, "ROLLBACK");
		return EIO;
	}
	return exec(db, "COMMIT");
}

static int bare_updates(const char *dir, long n, const int64_t *ids,
			double *secs)
{
	char path[4096];
	sqlite3_stmt *upd = NULL;
	sqlite3 *db = NULL;
	double t0;
	long i;
	int e = EIO;

	if ((size_t)snprintf(path, sizeof(path), "%s/dialconf.db", dir) >=
	    sizeof(path))
		goto out;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 5000);
	if (exec(db, "PRAGMA journal_mode = WAL") ||
	    exec(db, "PRAGMA synchronous = FULL") ||
	    exec(db, "PRAGMA foreign_keys = ON"))
		goto out;
	if (sqlite3_prepare_v2(db, "UPDATE users SET display_name = ?1"
			       " WHERE id = ?2", -1, &upd, NULL) != SQLITE_OK)
		goto out;
	t0 = now_s();
	e = 0;
	for (i = 0; i < n && !e; i++)
		e = bare_one(db, upd, ids[i], i);
	*secs = now_s() - t0;
 out:
	if (e)
		fprintf(stderr, "bench_reset: bare update: %s\n",
			db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_finalize(upd);
	sqlite3_close(db);
	return e;
}

static int parse_count(const char *s, long *n)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > MAX_USERS)
		return EINVAL;
	*n = v;
	return 0;
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	double t_seed, t_reset = 0, t_bare = 0;
	long n = DEFAULT_USERS;
	int64_t *ids = NULL;
	char dir[1024];
	int e;

	if (argc > 2 || (argc == 2 && parse_count(argv[1], &n))) {
		fprintf(stderr, "usage: bench_reset [USERS 1-%ld]\n",
			MAX_USERS);
		return 2;
	}
	if (secret_init())
		return 1;
	snprintf(dir, sizeof(dir), "%s/bench_reset.XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("bench_reset: mkdtemp");
		return 1;
	}
	ids = calloc((size_t)n, sizeof(*ids));
	if (!ids) {
		e = ENOMEM;
		goto out;
	}

	t_seed = now_s();
	e = seed(dir, n, ids);
	if (e) {
		fprintf(stderr, "bench_reset: seeding: %s\n", strerror(e));
		goto out;
	}
	t_seed = now_s() - t_seed;
	e = resets(dir, n, ids, &t_reset);
	if (!e)
		e = bare_updates(dir, n, ids, &t_bare);
	if (e)
		goto out;

	printf("users: %ld\n", n);
	printf("seed_s: %.2f s\n", t_seed);
	printf("reset_s: %.2f s\n", t_reset);
	printf("bare_update_s: %.2f s\n", t_bare);
	printf("resets_per_s: %.0f /s\n", (double)n / t_reset);
	printf("bare_updates_per_s: %.0f /s\n", (double)n / t_bare);
	printf("ratio: %.3f\n", t_bare / t_reset);
 out:
	free(ids);
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return e ? 1 : 0;
}
