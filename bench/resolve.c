/* bench_resolve [LARGE [SMALL [LOOKUPS]]]: what one dial-in resolution
 * (app_confid_resolve, the database read the attendant makes on every
 * attempt, issue 5) costs with LARGE live conference IDs (default
 * 1 000 000) next to the same with SMALL (default 1 000), in the same run.
 *
 * Each size gets a fresh SQLite database (schema by the store) seeded in
 * one SQL transaction: one enabled user per ID, each holding a live
 * personal ID drawn from the pool as the app would (uniformly random,
 * non-trivial), no PINs (resolution does not read them). The app is opened afterwards, so
 * its pool loads every issued ID as a real start does, and the database file
 * is as cold or warm as the OS keeps it: nothing is preloaded.
 *
 * Then LOOKUPS resolutions (default 200 000) of typed 7-digit strings, half
 * live IDs picked at random, half unknown IDs (free in the pool), shuffled,
 * each timed on its own with CLOCK_MONOTONIC after 2 000 untimed warm-up
 * resolutions. Every answer is checked: a live ID must reach its owner, an
 * unknown one must be "not valid".
 *
 * The last line is ratio = mean cost at SMALL / mean cost at LARGE: flat is
 * about 1, lower means resolution slows as the organization grows. */
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

#define DEFAULT_LARGE 1000000L
#define DEFAULT_SMALL 1000L
#define DEFAULT_LOOKUPS 200000L
#define MAX_IDS 5000000L
#define WARMUP 2000L

struct query {
	char digits[APP_CONFID_SIZE];
	int64_t user_id; /* 0: unknown ID, must be not valid */
};

struct result {
	long ids;
	double seed_s;
	double mean_us, live_us, unknown_us, p50_us, p99_us;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int rm_cb(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : EIO;
}

static int step(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : EIO;
}

/* Seed n users with one live personal ID each; values[i] and ids[i] say
 * who holds what. The pool is left with every seeded value taken. The
 * store makes the schema; the rows go in with plain SQL in one transaction
 * (the schema's triggers and indexes included) with a large page cache and
 * no fsync, which is 5-10 times faster than the store's per-row API at a
 * million rows. */
static int seed(const char *dir, long n, struct confid_pool *pool,
		uint32_t *values, int64_t *ids)
{
	sqlite3_stmt *ins_u = NULL, *ins_c = NULL;
	struct store *st = NULL;
	int64_t now = (int64_t)time(NULL);
	sqlite3 *db = NULL;
	char path[1100];
	long i;
	int e;

	e = store_open(&st, "sqlite:", dir); /* creates the schema */
	store_close(st);
	if (e)
		return e;
	snprintf(path, sizeof(path), "%s/dialconf.db", dir);
	e = EIO;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		goto out;
	if (exec(db, "PRAGMA synchronous = OFF") ||
	    exec(db, "PRAGMA cache_size = -1000000") ||
	    exec(db, "PRAGMA foreign_keys = ON"))
		goto out;
	if (sqlite3_prepare_v2(db, "INSERT INTO users (email, display_name,"
			       " audio_enabled, created_at)"
			       " VALUES (?1, ?2, 1, ?3)", -1, &ins_u, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO conference_ids (value, kind,"
			       " user_id, issued_at)"
			       " VALUES (?1, 'personal', ?2, ?3)", -1, &ins_c,
			       NULL))
		goto out;
	if (exec(db, "BEGIN IMMEDIATE"))
		goto out;
	for (i = 0, e = 0; !e && i < n; i++) {
		char email[64], name[32];
		uint32_t v;

		snprintf(email, sizeof(email), "user%07ld@example.org", i);
		snprintf(name, sizeof(name), "User %ld", i);
		sqlite3_bind_text(ins_u, 1, email, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins_u, 2, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins_u, 3, now);
		e = step(ins_u);
		if (!e)
			e = confid_pool_draw(pool, &v);
		if (e)
			break;
		ids[i] = sqlite3_last_insert_rowid(db);
		values[i] = v;
		confid_pool_set_taken(pool, v, true);
		sqlite3_bind_int64(ins_c, 1, v);
		sqlite3_bind_int64(ins_c, 2, ids[i]);
		sqlite3_bind_int64(ins_c, 3, now);
		e = step(ins_c);
	}
	if (!e)
		e = exec(db, "COMMIT");
	if (e)
		(void)exec(db, "ROLLBACK");
 out:
	if (e && db)
		fprintf(stderr, "bench_resolve: seed: %s\n", sqlite3_errmsg(db));
	sqlite3_finalize(ins_u);
	sqlite3_finalize(ins_c);
	sqlite3_close(db);
	return e;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void) /* xorshift64*: reproducible, cheap */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/* Half live, half unknown, in random order. */
static int queries_make(struct query *q, long nq, long n,
			const struct confid_pool *pool, const uint32_t *values,
			const int64_t *ids)
{
	long i;

	for (i = 0; i < nq; i++) {
		uint32_t v;

		if (rnd() & 1) {
			long k = (long)(rnd() % (uint64_t)n);

			v = values[k];
			q[i].user_id = ids[k];
		}
		else {
			if (confid_pool_draw(pool, &v))
				return ENOSPC;
			q[i].user_id = 0;
		}
		confid_format(v, q[i].digits, sizeof(q[i].digits));
	}
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int check(const struct query *q, const struct app_dialin_target *t)
{
	if (q->user_id == 0)
		return t->valid ? EPROTO : 0;
	if (!t->valid || !t->personal || t->user_id != q->user_id ||
	    strcmp(t->conference_id, q->digits))
		return EPROTO;
	return 0;
}

static int lookups(const char *dir, const struct query *q, long nq,
		   int64_t *ns, struct result *r)
{
	struct app_dialin_target t;
	struct app_err err = { "" };
	struct app *a = NULL;
	double live = 0, unknown = 0, total = 0;
	long i, nlive = 0;
	int e;

	e = app_open(&a, "sqlite:", dir, 1, &err);
	if (e) {
		fprintf(stderr, "bench_resolve: app_open: %s\n", err.detail);
		return e;
	}
	for (i = 0; i < WARMUP && !e; i++)
		e = app_confid_resolve(a, q[i % nq].digits, &t);
	for (i = 0; i < nq && !e; i++) {
		int64_t t0 = now_ns();

		e = app_confid_resolve(a, q[i].digits, &t);
		ns[i] = now_ns() - t0;
		if (!e && check(&q[i], &t)) {
			fprintf(stderr, "bench_resolve: %s resolved wrongly"
				" (valid=%d user=%" PRId64 ", expected %" PRId64
				")\n", q[i].digits, t.valid, t.user_id,
				q[i].user_id);
			e = EPROTO;
		}
		total += (double)ns[i];
		if (q[i].user_id) {
			live += (double)ns[i];
			nlive++;
		}
		else {
			unknown += (double)ns[i];
		}
	}
	app_close(a);
	if (e)
		return e;
	r->mean_us = total / (double)nq / 1e3;
	r->live_us = nlive ? live / (double)nlive / 1e3 : 0;
	r->unknown_us = nq > nlive ? unknown / (double)(nq - nlive) / 1e3 : 0;
	qsort(ns, (size_t)nq, sizeof(*ns), cmp_i64);
	r->p50_us = (double)ns[nq / 2] / 1e3;
	r->p99_us = (double)ns[(long)((double)nq * 0.99)] / 1e3;
	return 0;
}

static int run_size(long n, long nq, struct result *r)
{
	const char *tmp = getenv("TMPDIR");
	struct confid_pool *pool = NULL;
	uint32_t *values = NULL;
	int64_t *ids = NULL, *ns = NULL;
	struct query *q = NULL;
	char dir[1024];
	int64_t t0;
	int e;

	snprintf(dir, sizeof(dir), "%s/bench_resolve.XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("bench_resolve: mkdtemp");
		return errno;
	}
	values = calloc((size_t)n, sizeof(*values));
	ids = calloc((size_t)n, sizeof(*ids));
	q = calloc((size_t)nq, sizeof(*q));
	ns = calloc((size_t)nq, sizeof(*ns));
	e = values && ids && q && ns ? confid_pool_alloc(&pool) : ENOMEM;
	if (e)
		goto out;
	t0 = now_ns();
	e = seed(dir, n, pool, values, ids);
	if (e) {
		fprintf(stderr, "bench_resolve: seeding %ld: %s\n", n,
			strerror(e));
		goto out;
	}
	r->ids = n;
	r->seed_s = (double)(now_ns() - t0) / 1e9;
	e = queries_make(q, nq, n, pool, values, ids);
	if (!e)
		e = lookups(dir, q, nq, ns, r);
 out:
	confid_pool_free(pool);
	free(values);
	free(ids);
	free(q);
	free(ns);
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return e;
}

static int parse_count(const char *s, long max, long *n)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max)
		return EINVAL;
	*n = v;
	return 0;
}

static const char *label(long n)
{
	static char buf[2][32];
	static int k;
	char *b = buf[k++ & 1];

	if (n % 1000000 == 0)
		snprintf(b, 32, "%ldm", n / 1000000);
	else if (n % 1000 == 0)
		snprintf(b, 32, "%ldk", n / 1000);
	else
		snprintf(b, 32, "%ld", n);
	return b;
}

static void print(const struct result *r)
{
	const char *l = label(r->ids);

	printf("seed_s_at_%s: %.2f s\n", l, r->seed_s);
	printf("resolve_live_us_at_%s: %.1f us\n", l, r->live_us);
	printf("resolve_unknown_us_at_%s: %.1f us\n", l, r->unknown_us);
	printf("resolve_p50_us_at_%s: %.1f us\n", l, r->p50_us);
	printf("resolve_p99_us_at_%s: %.1f us\n", l, r->p99_us);
	printf("resolve_us_at_%s: %.1f us\n", l, r->mean_us);
}

int main(int argc, char **argv)
{
	long large = DEFAULT_LARGE, small = DEFAULT_SMALL;
	long nq = DEFAULT_LOOKUPS;
	struct result big = {0}, lit = {0};

	if (argc > 4 || (argc > 1 && parse_count(argv[1], MAX_IDS, &large)) ||
	    (argc > 2 && parse_count(argv[2], MAX_IDS, &small)) ||
	    (argc > 3 && parse_count(argv[3], 10000000L, &nq))) {
		fprintf(stderr, "usage: bench_resolve [LARGE [SMALL [LOOKUPS]]]"
			" (IDs up to %ld)\n", MAX_IDS);
		return 2;
	}
	if (secret_init())
		return 1;
	if (run_size(large, nq, &big) || run_size(small, nq, &lit))
		return 1;
	printf("lookups: %ld (half live, half unknown)\n", nq);
	print(&lit);
	print(&big);
	printf("ratio: %.3f\n", lit.mean_us / big.mean_us);
	return 0;
}
