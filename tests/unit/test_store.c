/* The storage interface, run against a real database: the invariants of
 * SPEC §8 must hold in the database itself, so every test writes through
 * store.h and checks what the database accepts, refuses and gives back.
 *
 * Each test gets a fresh database. By default that is a new SQLite file in
 * a temporary folder. DIALCONF_TEST_DB=URL runs the same tests against
 * another database: fresh_db() empties it before each test (for
 * "sqlite:PATH" by removing the file; the PostgreSQL backend adds its
 * reset there, dropping and recreating the schema). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "store/store.h"

#define T0 1700000000 /* a fixed "now" */
#define DAY 86400

struct fixture {
	struct store *st;
	char dir[PATH_MAX];  /* temporary folder, "" when not ours */
	char url[PATH_MAX + 16];
};

static void remove_sqlite_files(const char *path)
{
	char p[2 * PATH_MAX];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s.lock", path);
	unlink(p);
}

/* PostgreSQL: drop everything dialconf made (tables, functions, the
 * btree_gist extension) with the schema, and start over. */
static int fresh_pg(const char *url)
{
	PGconn *conn = PQconnectdb(url);
	PGresult *res;
	int err = 0;

	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "fresh_db: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return EIO;
	}
	res = PQexec(conn, "SET client_min_messages = warning;"
		     " DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "fresh_db: %s", PQerrorMessage(conn));
		err = EIO;
	}
	PQclear(res);
	PQfinish(conn);
	return err;
}

/* Empty the database at url before a test. */
static int fresh_db(const char *url)
{
	if (!strncmp(url, "sqlite:", 7) && url[7]) {
		remove_sqlite_files(url + 7);
		return 0;
	}
	if (!strncmp(url, "postgres://", 11) ||
	    !strncmp(url, "postgresql://", 13))
		return fresh_pg(url);

	return ENOTSUP; /* no reset for this backend yet */
}

static int setup(void **state)
{
	const char *env = getenv("DIALCONF_TEST_DB");
	struct fixture *f;
	int err;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -1;

	if (env && *env) {
		snprintf(f->url, sizeof(f->url), "%s", env);
	}
	else {
		snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
		if (!mkdtemp(f->dir))
			goto fail;
		snprintf(f->url, sizeof(f->url), "sqlite:%s/test.db", f->dir);
	}

	if (fresh_db(f->url))
		goto fail;

	err = store_open(&f->st, f->url, f->dir);
	if (err) {
		fprintf(stderr, "store_open %s: %s\n", f->url, strerror(err));
		goto fail;
	}

	*state = f;
	return 0;

 fail:
	free(f);
	return -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX + 16];

	store_close(f->st);
	if (f->dir[0]) {
		snprintf(p, sizeof(p), "%s/test.db", f->dir);
		remove_sqlite_files(p);
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

static struct store *st_of(void **state)
{
	return ((struct fixture *)*state)->st;
}

static int64_t add_user(struct store *st, const char *email, bool enabled)
{
	struct store_user u = { .audio_enabled = enabled, .created_at = T0 };

	snprintf(u.email, sizeof(u.email), "%s", email);
	snprintf(u.display_name, sizeof(u.display_name), "User %s", email);
	assert_int_equal(store_user_insert(st, &u), 0);
	assert_true(u.id > 0);
	return u.id;
}

static int issue(struct store *st, uint32_t value, enum store_confid_kind kind,
		 int64_t user_id, int64_t meeting_id, int64_t at)
{
	struct store_confid c = {
		.value = value, .kind = kind, .user_id = user_id,
		.meeting_id = meeting_id, .issued_at = at,
	};

	return store_confid_insert(st, &c);
}

/* Collects what a scan hands out. */
struct rows {
	int64_t v[32];
	size_t n;
};

static int collect_confid(const struct store_confid *c, void *arg)
{
	struct rows *r = arg;

	assert_true(r->n < 32);
	r->v[r->n++] = c->value;
	return 0;
}

static int collect_user(const struct store_user *u, void *arg)
{
	struct rows *r = arg;

	assert_true(r->n < 32);
	r->v[r->n++] = u->id;
	return 0;
}

/* ---- opening and migrations ---- */

static void test_reopen_keeps_data(void **state)
{
	struct fixture *f = *state;
	struct store_user u;
	char v[16];
	int64_t id;

	id = add_user(f->st, "ada@example.org", true);
	assert_int_equal(store_setting_set(f->st, "pinLength", "6"), 0);
	store_close(f->st);
	f->st = NULL;

	/* The second open finds the schema in place and migrates nothing. */
	assert_int_equal(store_open(&f->st, f->url, f->dir), 0);
	assert_int_equal(store_user_get(f->st, id, &u), 0);
	assert_string_equal(u.email, "ada@example.org");
	assert_int_equal(store_setting_get(f->st, "pinLength", v, sizeof(v)), 0);
	assert_string_equal(v, "6");
}

static void test_open_errors(void **state)
{
	struct store *st = NULL;

	(void)state;
	assert_int_equal(store_open(&st, "mysql://x", NULL), EINVAL);
	assert_int_equal(store_open(&st, "sqlite:", NULL), EINVAL);
	assert_null(st);
}

/* Which URLs a backend takes, and how one is shown without its password. */
static void test_url_check_and_safe(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "sqlite:", "sqlite:" },
		{ "sqlite:/var/lib/dialconf.db", "sqlite:/var/lib/dialconf.db" },
		{ "postgres://db.example.org/dc", "postgres://db.example.org/dc" },
		{ "postgres://ann@db/dc", "postgres://ann@db/dc" },
		{ "postgres://ann:s3cret@db:5432/dc",
		  "postgres://ann:***@db:5432/dc" },
		{ "postgresql://ann:p@ss@db/dc", "postgresql://ann:***@db/dc" },
		{ "postgres://db/dc?user=ann&password=s3cret&sslmode=require",
		  "postgres://db/dc?user=ann&password=***&sslmode=require" },
		{ "mysql://ann:s3cret@db/dc", "mysql://ann:***@db/dc" },
	};
	char out[128];
	size_t i;

	(void)state;
	assert_int_equal(store_url_check("sqlite:"), 0);
	assert_int_equal(store_url_check("sqlite:/x.db"), 0);
	assert_int_equal(store_url_check("postgres://h/d"), 0);
	assert_int_equal(store_url_check("postgresql://h/d"), 0);
	assert_int_equal(store_url_check("mysql://h/d"), EPROTONOSUPPORT);
	assert_int_equal(store_url_check(""), EPROTONOSUPPORT);
	assert_int_equal(store_url_check(NULL), EPROTONOSUPPORT);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		store_url_safe(out, sizeof(out), cases[i].in);
		assert_string_equal(out, cases[i].out);
	}
	/* Cut short, never past the buffer, the password still hidden. */
	store_url_safe(out, 16, "postgres://ann:s3cret@db/dc");
	assert_int_equal(strlen(out), 15);
	assert_null(strstr(out, "s3cret"));
}

/* "sqlite:" puts dialconf.db in the data folder, creating it 0700. */
static void test_sqlite_datadir(void **state)
{
	struct fixture *f = *state;
	char data[PATH_MAX + 16], db[PATH_MAX + 32];
	struct store *st = NULL;
	struct stat sb;

	if (!f->dir[0])
		skip();

	snprintf(data, sizeof(data), "%s/a/b", f->dir);
	assert_int_equal(store_open(&st, "sqlite:", data), 0);
	assert_string_equal(store_backend_name(st), "sqlite");
	store_close(st);

	assert_int_equal(stat(data, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(db, sizeof(db), "%s/dialconf.db", data);
	assert_int_equal(stat(db, &sb), 0);

	remove_sqlite_files(db);
	rmdir(data);
	snprintf(data, sizeof(data), "%s/a", f->dir);
	rmdir(data);
}

/* ---- users ---- */

static void test_user_email_unique_nocase(void **state)
{
	struct store *st = st_of(state);
	struct store_user u = { .created_at = T0 };
	int64_t id;

	id = add_user(st, "Ada@Example.org", false);
	snprintf(u.email, sizeof(u.email), "ada@EXAMPLE.ORG");
	assert_int_equal(store_user_insert(st, &u), EEXIST);

	assert_int_equal(store_user_get_by_email(st, "ADA@example.org", &u), 0);
	assert_int_equal(u.id, id);
	assert_string_equal(u.email, "Ada@Example.org");
	assert_int_equal(store_user_get_by_email(st, "bob@example.org", &u),
			 ENOENT);
}

static void test_user_fields(void **state)
{
	struct store *st = st_of(state);
	struct store_user u;
	char hash[STORE_HASH_SIZE];
	int64_t id;

	id = add_user(st, "ada@example.org", true);
	assert_int_equal(store_user_get(st, id, &u), 0);
	assert_true(u.audio_enabled);
	assert_false(u.pin_set);
	assert_int_equal(u.conference_id, 0);
	assert_int_equal(u.created_at, T0);
	assert_string_equal(u.toll_number, "");

	snprintf(u.display_name, sizeof(u.display_name), "Ada Lovelace");
	snprintf(u.toll_number, sizeof(u.toll_number), "+14255550100");
	assert_int_equal(store_user_update(st, &u), 0);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, id, 0, T0), 0);
	assert_int_equal(store_pin_get(st, id, hash, sizeof(hash)), ENOENT);
	assert_int_equal(store_pin_set(st, id, "$argon2id$x"), 0);

	assert_int_equal(store_user_get(st, id, &u), 0);
	assert_string_equal(u.display_name, "Ada Lovelace");
	assert_string_equal(u.toll_number, "+14255550100");
	assert_int_equal(u.conference_id, 4829173);
	assert_true(u.pin_set);
	assert_int_equal(store_pin_get(st, id, hash, sizeof(hash)), 0);
	assert_string_equal(hash, "$argon2id$x");
	assert_int_equal(store_pin_get(st, id, hash, 4), ERANGE);

	assert_int_equal(store_pin_set(st, id, NULL), 0);
	assert_int_equal(store_user_get(st, id, &u), 0);
	assert_false(u.pin_set);

	u.id = id + 100;
	assert_int_equal(store_user_update(st, &u), ENOENT);
	assert_int_equal(store_pin_set(st, id + 100, "h"), ENOENT);
	assert_int_equal(store_user_get(st, id + 100, &u), ENOENT);
}

static void test_user_list(void **state)
{
	struct store *st = st_of(state);
	struct rows r = { .n = 0 };
	int64_t id[5];
	int64_t n;

	id[0] = add_user(st, "ada@example.org", false);
	id[1] = add_user(st, "bob@example.org", false);
	id[2] = add_user(st, "carol_x@example.org", false);
	id[3] = add_user(st, "dave100%@example.org", false);
	id[4] = add_user(st, "eve@example.org", false);

	assert_int_equal(store_user_count(st, &n), 0);
	assert_int_equal(n, 5);

	/* Pages of two, in id order, with no overlap. */
	assert_int_equal(store_user_list(st, NULL, 0, 2, collect_user, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[0], id[0]);
	assert_int_equal(r.v[1], id[1]);
	r.n = 0;
	assert_int_equal(store_user_list(st, "", id[1], 2, collect_user, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[0], id[2]);
	assert_int_equal(r.v[1], id[3]);
	r.n = 0;
	assert_int_equal(store_user_list(st, NULL, id[4], 2, collect_user, &r), 0);
	assert_int_equal(r.n, 0);

	/* Case-insensitive, on email or display name ("User ..."). */
	r.n = 0;
	assert_int_equal(store_user_list(st, "BOB", 0, 10, collect_user, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0], id[1]);
	r.n = 0;
	assert_int_equal(store_user_list(st, "uSeR", 0, 0, collect_user, &r), 0);
	assert_int_equal(r.n, 5);

	/* % and _ are plain characters to the person searching. */
	r.n = 0;
	assert_int_equal(store_user_list(st, "%", 0, 10, collect_user, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0], id[3]);
	r.n = 0;
	assert_int_equal(store_user_list(st, "_", 0, 10, collect_user, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0], id[2]);
	r.n = 0;
	assert_int_equal(store_user_list(st, "\\", 0, 10, collect_user, &r), 0);
	assert_int_equal(r.n, 0);
}

static int stop_at_second(const struct store_user *u, void *arg)
{
	int *seen = arg;

	(void)u;
	return ++*seen == 2 ? 42 : 0;
}

struct nested {
	struct store *st;
	int inner;
};

/* A callback that reads the store again while the list is running. */
static int list_inside(const struct store_user *u, void *arg)
{
	struct nested *n = arg;
	struct store_user again;
	struct rows r = { .n = 0 };

	assert_int_equal(store_user_get(n->st, u->id, &again), 0);
	assert_int_equal(store_user_list(n->st, NULL, 0, 0, collect_user, &r), 0);
	n->inner += (int)r.n;
	return 0;
}

static void test_user_list_callbacks(void **state)
{
	struct store *st = st_of(state);
	struct nested n = { .st = st, .inner = 0 };
	int seen = 0;

	add_user(st, "a@example.org", false);
	add_user(st, "b@example.org", false);
	add_user(st, "c@example.org", false);

	assert_int_equal(store_user_list(st, NULL, 0, 0, stop_at_second, &seen),
			 42);
	assert_int_equal(seen, 2);

	assert_int_equal(store_user_list(st, NULL, 0, 0, list_inside, &n), 0);
	assert_int_equal(n.inner, 9);
}

static void test_user_delete(void **state)
{
	struct store *st = st_of(state);
	struct store_confid c;
	struct store_user u;
	int64_t id, n;

	id = add_user(st, "ada@example.org", true);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, id, 0, T0), 0);

	/* The live ID must be revoked (and so quarantined) first. */
	assert_int_equal(store_user_delete(st, id), EEXIST);
	assert_int_equal(store_confid_revoke(st, 4829173, T0 + 1, T0 + DAY), 0);
	assert_int_equal(store_user_delete(st, id), 0);
	assert_int_equal(store_user_delete(st, id), ENOENT);
	assert_int_equal(store_user_get(st, id, &u), ENOENT);
	assert_int_equal(store_user_count(st, &n), 0);
	assert_int_equal(n, 0);

	/* The old ID still answers: revoked, nobody's. */
	assert_int_equal(store_confid_lookup(st, 4829173, &c), 0);
	assert_int_equal(c.user_id, 0);
	assert_int_equal(c.revoked_at, T0 + 1);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_MEETING, 0, 7, T0 + 2),
			 EEXIST);

	/* The email is free again. */
	add_user(st, "ada@example.org", false);
}

/* ---- conference IDs ---- */

static void test_confid_one_personal_per_user(void **state)
{
	struct store *st = st_of(state);
	struct store_confid c;
	int64_t ada;

	ada = add_user(st, "ada@example.org", true);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, ada, 0, T0), 0);
	assert_int_equal(issue(st, 5930284, STORE_CONFID_PERSONAL, ada, 0, T0),
			 EEXIST);
	/* Meeting IDs of the same user are not limited. */
	assert_int_equal(issue(st, 5930284, STORE_CONFID_MEETING, ada, 1, T0), 0);
	assert_int_equal(issue(st, 6041395, STORE_CONFID_MEETING, ada, 2, T0), 0);

	assert_int_equal(store_confid_personal(st, ada, &c), 0);
	assert_int_equal(c.value, 4829173);
	assert_int_equal(c.kind, STORE_CONFID_PERSONAL);

	/* After a revoke, a new personal ID is fine. */
	assert_int_equal(store_confid_revoke(st, 4829173, T0, T0 + 365 * DAY), 0);
	assert_int_equal(store_confid_personal(st, ada, &c), ENOENT);
	assert_int_equal(issue(st, 7152406, STORE_CONFID_PERSONAL, ada, 0, T0), 0);
	assert_int_equal(store_confid_personal(st, ada, &c), 0);
	assert_int_equal(c.value, 7152406);
}

static void test_confid_live_value_unique(void **state)
{
	struct store *st = st_of(state);
	int64_t ada, bob;

	ada = add_user(st, "ada@example.org", true);
	bob = add_user(st, "bob@example.org", true);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, ada, 0, T0), 0);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, bob, 0, T0),
			 EEXIST);
	/* Personal and meeting IDs share one namespace. */
	assert_int_equal(issue(st, 4829173, STORE_CONFID_MEETING, bob, 9, T0),
			 EEXIST);
	assert_int_equal(issue(st, 5930284, STORE_CONFID_MEETING, bob, 9, T0), 0);
	assert_int_equal(issue(st, 5930284, STORE_CONFID_PERSONAL, bob, 0, T0),
			 EEXIST);
}

static void test_confid_bad_values(void **state)
{
	struct store *st = st_of(state);
	int64_t ada;

	ada = add_user(st, "ada@example.org", true);
	assert_int_equal(issue(st, 999999, STORE_CONFID_MEETING, ada, 1, T0),
			 EINVAL);
	assert_int_equal(issue(st, 10000000, STORE_CONFID_MEETING, ada, 1, T0),
			 EINVAL);
	assert_int_equal(issue(st, 4829173, (enum store_confid_kind)7, ada, 0,
			       T0), EINVAL);
	/* A meeting ID of a user who does not exist. */
	assert_int_equal(issue(st, 4829173, STORE_CONFID_MEETING, ada + 50, 1,
			       T0), ENOENT);
	assert_int_equal(store_confid_revoke(st, 4829173, T0, T0 + DAY), ENOENT);
}

/* Only users enabled for audio conferencing hold a personal ID. */
static void test_confid_personal_needs_enabled(void **state)
{
	struct store *st = st_of(state);
	struct store_user u;
	int64_t ada;

	ada = add_user(st, "ada@example.org", false);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, ada, 0, T0),
			 EEXIST);

	assert_int_equal(store_user_get(st, ada, &u), 0);
	u.audio_enabled = true;
	assert_int_equal(store_user_update(st, &u), 0);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, ada, 0, T0), 0);

	/* Disabling keeps no live personal ID behind: revoke first. */
	u.audio_enabled = false;
	assert_int_equal(store_user_update(st, &u), EEXIST);
	assert_int_equal(store_confid_revoke(st, 4829173, T0, T0 + DAY), 0);
	assert_int_equal(store_user_update(st, &u), 0);
}

static void test_confid_quarantine(void **state)
{
	struct store *st = st_of(state);
	int64_t ada, bob;

	ada = add_user(st, "ada@example.org", true);
	bob = add_user(st, "bob@example.org", true);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, ada, 0, T0), 0);
	assert_int_equal(store_confid_revoke(st, 4829173, T0 + 10,
					     T0 + 10 + 365 * DAY), 0);
	/* Revoked twice: there is no live row left. */
	assert_int_equal(store_confid_revoke(st, 4829173, T0 + 11, T0 + DAY),
			 ENOENT);

	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, bob, 0,
			       T0 + 20), EEXIST);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_MEETING, ada, 3,
			       T0 + 364 * DAY), EEXIST);
	/* From quarantine_until on, the value may be issued again. */
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, bob, 0,
			       T0 + 10 + 365 * DAY), 0);
}

static void test_confid_lookup(void **state)
{
	struct store *st = st_of(state);
	struct store_confid c, first;
	int64_t ada, bob;

	ada = add_user(st, "ada@example.org", true);
	bob = add_user(st, "bob@example.org", true);
	assert_int_equal(store_confid_lookup(st, 4829173, &c), ENOENT);

	first = (struct store_confid){ .value = 4829173,
		.kind = STORE_CONFID_PERSONAL, .user_id = ada, .issued_at = T0 };
	assert_int_equal(store_confid_insert(st, &first), 0);
	assert_true(first.row > 0);

	assert_int_equal(store_confid_lookup(st, 4829173, &c), 0);
	assert_int_equal(c.row, first.row);
	assert_int_equal(c.user_id, ada);
	assert_int_equal(c.meeting_id, 0);
	assert_int_equal(c.revoked_at, 0);
	assert_int_equal(c.quarantine_until, 0);

	assert_int_equal(store_confid_revoke(st, 4829173, T0 + 5, T0 + 100), 0);
	assert_int_equal(store_confid_lookup(st, 4829173, &c), 0);
	assert_int_equal(c.revoked_at, T0 + 5);
	assert_int_equal(c.quarantine_until, T0 + 100);

	assert_int_equal(issue(st, 4829173, STORE_CONFID_MEETING, bob, 12,
			       T0 + 200), 0);
	assert_int_equal(store_confid_lookup(st, 4829173, &c), 0);
	assert_true(c.row > first.row);
	assert_int_equal(c.kind, STORE_CONFID_MEETING);
	assert_int_equal(c.user_id, bob);
	assert_int_equal(c.meeting_id, 12);
	assert_int_equal(c.revoked_at, 0);
}

/* Rows: A live; B quarantined to T0+1000; C quarantined to T0+10 (over at
 * T0+500); D revoked, quarantine ended at T0+300 and issued again. */
static void scan_fixture(struct store *st, int64_t *after_a)
{
	struct store_confid a = { .value = 1111112, .kind = STORE_CONFID_MEETING,
				  .meeting_id = 1, .issued_at = T0 };
	int64_t ada;

	ada = add_user(st, "ada@example.org", true);
	a.user_id = ada;
	assert_int_equal(store_confid_insert(st, &a), 0);
	*after_a = a.row;

	assert_int_equal(issue(st, 2222223, STORE_CONFID_MEETING, ada, 2, T0), 0);
	assert_int_equal(issue(st, 3333334, STORE_CONFID_MEETING, ada, 3, T0), 0);
	assert_int_equal(issue(st, 4444445, STORE_CONFID_MEETING, ada, 4, T0), 0);
	assert_int_equal(store_confid_revoke(st, 2222223, T0, T0 + 1000), 0);
	assert_int_equal(store_confid_revoke(st, 3333334, T0, T0 + 10), 0);
	assert_int_equal(store_confid_revoke(st, 4444445, T0, T0 + 2000), 0);
	assert_int_equal(store_confid_end_quarantine(st, 4444445, T0 + 300), 0);
	assert_int_equal(issue(st, 4444445, STORE_CONFID_PERSONAL, ada, 0,
			       T0 + 300), 0);
}

static void test_confid_scans(void **state)
{
	struct store *st = st_of(state);
	struct rows r = { .n = 0 };
	int64_t after_a;

	scan_fixture(st, &after_a);

	assert_int_equal(store_confid_scan_unavailable(st, T0 + 500,
						       collect_confid, &r), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.v[0], 1111112);
	assert_int_equal(r.v[1], 2222223);
	assert_int_equal(r.v[2], 4444445);

	r.n = 0;
	assert_int_equal(store_confid_scan_since(st, after_a, collect_confid,
						 &r), 0);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.v[0], 2222223);
	assert_int_equal(r.v[3], 4444445);
	r.n = 0;
	assert_int_equal(store_confid_scan_since(st, 0, collect_confid, &r), 0);
	assert_int_equal(r.n, 5);

	/* C ran out in (T0, T0+500]; D's old row too, but D is live again. */
	r.n = 0;
	assert_int_equal(store_confid_scan_expired(st, T0, T0 + 500,
						   collect_confid, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0], 3333334);
	r.n = 0;
	assert_int_equal(store_confid_scan_expired(st, T0 + 10, T0 + 999,
						   collect_confid, &r), 0);
	assert_int_equal(r.n, 0);
	r.n = 0;
	assert_int_equal(store_confid_scan_expired(st, T0 + 10, T0 + 1000,
						   collect_confid, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0], 2222223);
}

static void test_confid_oldest_quarantined(void **state)
{
	struct store *st = st_of(state);
	struct store_confid c;
	int64_t ada;

	ada = add_user(st, "ada@example.org", true);
	assert_int_equal(store_confid_oldest_quarantined(st, T0, &c), ENOENT);

	assert_int_equal(issue(st, 2222223, STORE_CONFID_MEETING, ada, 1, T0), 0);
	assert_int_equal(issue(st, 3333334, STORE_CONFID_MEETING, ada, 2, T0), 0);
	assert_int_equal(store_confid_revoke(st, 3333334, T0 + 1, T0 + 1 + DAY),
			 0);
	assert_int_equal(store_confid_revoke(st, 2222223, T0 + 2, T0 + 2 + DAY),
			 0);

	assert_int_equal(store_confid_oldest_quarantined(st, T0 + 5, &c), 0);
	assert_int_equal(c.value, 3333334);

	/* Reuse under pressure: end the quarantine, issue the value now. */
	assert_int_equal(store_confid_end_quarantine(st, 3333334, T0 + 5), 0);
	assert_int_equal(store_confid_end_quarantine(st, 3333334, T0 + 5),
			 ENOENT);
	assert_int_equal(store_confid_oldest_quarantined(st, T0 + 5, &c), 0);
	assert_int_equal(c.value, 2222223);
	assert_int_equal(issue(st, 3333334, STORE_CONFID_MEETING, ada, 3,
			       T0 + 5), 0);
	assert_int_equal(issue(st, 2222223, STORE_CONFID_MEETING, ada, 4,
			       T0 + 5), EEXIST);

	/* Once every quarantine is over, there is nothing left to take. */
	assert_int_equal(store_confid_oldest_quarantined(st, T0 + 2 + DAY, &c),
			 ENOENT);
	assert_int_equal(store_confid_end_quarantine(st, 1234568, T0), ENOENT);
}

/* ---- transactions ---- */

static void test_rollback(void **state)
{
	struct store *st = st_of(state);
	struct store_user u;
	struct store_confid c;
	int64_t ada, bob, n;

	ada = add_user(st, "ada@example.org", true);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, ada, 0, T0), 0);

	/* A reset that is rolled back leaves the old ID live. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_confid_revoke(st, 4829173, T0 + 1, T0 + DAY), 0);
	assert_int_equal(issue(st, 5930284, STORE_CONFID_PERSONAL, ada, 0,
			       T0 + 1), 0);
	bob = add_user(st, "bob@example.org", false);
	assert_int_equal(store_rollback(st), 0);

	assert_int_equal(store_confid_personal(st, ada, &c), 0);
	assert_int_equal(c.value, 4829173);
	assert_int_equal(store_confid_lookup(st, 5930284, &c), ENOENT);
	assert_int_equal(store_user_get(st, bob, &u), ENOENT);
	assert_int_equal(store_user_count(st, &n), 0);
	assert_int_equal(n, 1);

	/* A committed one sticks. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_confid_revoke(st, 4829173, T0 + 1, T0 + DAY), 0);
	assert_int_equal(issue(st, 5930284, STORE_CONFID_PERSONAL, ada, 0,
			       T0 + 1), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_user_get(st, ada, &u), 0);
	assert_int_equal(u.conference_id, 5930284);

	/* Rollback without a transaction is harmless. */
	assert_int_equal(store_rollback(st), 0);
}

/* A relaxed transaction is a transaction like any other for what it
 * writes: rolled back, nothing; committed, all of it; and the next ones,
 * relaxed or not, work as before. */
static void test_relaxed_transaction(void **state)
{
	struct store *st = st_of(state);
	char v[16];

	assert_int_equal(store_begin_relaxed(st), 0);
	assert_int_equal(store_setting_set(st, "pinLength", "6"), 0);
	assert_int_equal(store_rollback(st), 0);
	assert_int_equal(store_setting_get(st, "pinLength", v, sizeof(v)),
			 ENOENT);

	assert_int_equal(store_begin_relaxed(st), 0);
	assert_int_equal(store_setting_set(st, "pinLength", "7"), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_setting_get(st, "pinLength", v, sizeof(v)), 0);
	assert_string_equal(v, "7");

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_setting_set(st, "pinLength", "8"), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_setting_get(st, "pinLength", v, sizeof(v)), 0);
	assert_string_equal(v, "8");
}

/* A stamp changes with a commit of any connection (a relaxed one too) and
 * not with reads: what the API's per-thread copies of reads rely on
 * (app/memo.c). PostgreSQL cannot tell. */
static void test_stamp(void **state)
{
	struct fixture *f = *state;
	struct store *other = NULL;
	struct store_stamp a, b;
	struct store_user u;

	if (strcmp(store_backend_name(f->st), "sqlite")) {
		assert_int_equal(store_stamp(f->st, &a), ENOTSUP);
		return;
	}
	assert_int_equal(store_open(&other, f->url, f->dir), 0);
	assert_int_equal(store_stamp(f->st, &a), 0);
	assert_int_equal(store_read_begin(other), 0);
	assert_int_equal(store_user_get(other, 1, &u), ENOENT);
	assert_int_equal(store_read_end(other), 0);
	assert_int_equal(store_user_get(f->st, 1, &u), ENOENT);
	assert_int_equal(store_stamp(other, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));

	add_user(other, "ada@example.org", false);
	assert_int_equal(store_stamp(f->st, &b), 0);
	assert_memory_not_equal(&a, &b, sizeof(a));

	a = b;
	assert_int_equal(store_begin_relaxed(f->st), 0);
	assert_int_equal(store_setting_set(f->st, "pinLength", "6"), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_stamp(other, &b), 0);
	assert_memory_not_equal(&a, &b, sizeof(a));
	store_close(other);
}

/* A refused write inside a transaction undoes only itself: the issue loop
 * draws another value and goes on (PostgreSQL needs a savepoint for that,
 * which the backend takes, not the caller). */
static void test_refused_write_keeps_tx(void **state)
{
	struct store *st = st_of(state);
	struct store_confid c;
	int64_t ada, bob;

	ada = add_user(st, "ada@example.org", true);
	bob = add_user(st, "bob@example.org", true);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, ada, 0, T0), 0);

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, bob, 0, T0),
			 EEXIST);
	assert_int_equal(issue(st, 5930284, STORE_CONFID_PERSONAL, bob, 0, T0),
			 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_confid_personal(st, bob, &c), 0);
	assert_int_equal(c.value, 5930284);
}

/* A second connection sees committed writes only. */
static void test_two_connections(void **state)
{
	struct fixture *f = *state;
	struct store *other = NULL;
	struct store_user u;
	int64_t id;

	assert_int_equal(store_open(&other, f->url, f->dir), 0);
	assert_int_equal(store_begin(f->st), 0);
	id = add_user(f->st, "ada@example.org", false);
	assert_int_equal(store_user_get(other, id, &u), ENOENT);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_user_get(other, id, &u), 0);
	store_close(other);
}

/* ---- backups ---- */

/* SQLite: a backup is the database as it was; a restore brings it back
 * whole, but not under another connection, and not from a file that is
 * no dialconf database. PostgreSQL leaves both to pg_dump/pg_restore. */
static void test_backup_restore(void **state)
{
	struct fixture *f = *state;
	struct store *other = NULL;
	char bak[PATH_MAX + 16], junk[PATH_MAX + 16];
	struct store_user u;
	int64_t n = 0, ada, bob;
	FILE *fp;

	if (strcmp(store_backend_name(f->st), "sqlite")) {
		assert_int_equal(store_backup(f->st, "/tmp/x.db"), ENOTSUP);
		assert_int_equal(store_restore(f->st, "/tmp/x.db"), ENOTSUP);
		return;
	}
	snprintf(bak, sizeof(bak), "%s/backup.db", f->dir);
	snprintf(junk, sizeof(junk), "%s/junk.db", f->dir);
	ada = add_user(f->st, "ada@example.org", false);
	assert_int_equal(store_backup(f->st, bak), 0);
	bob = add_user(f->st, "bob@example.org", false);

	assert_int_equal(store_open(&other, f->url, f->dir), 0);
	assert_int_equal(store_restore(f->st, bak), EBUSY);
	store_close(other);
	fp = fopen(junk, "w");
	assert_non_null(fp);
	fputs("not a database\n", fp);
	fclose(fp);
	assert_int_equal(store_restore(f->st, junk), EINVAL);
	assert_int_equal(store_restore(f->st, "/nonexistent/b.db"), ENOENT);
	assert_int_equal(store_backup(f->st, f->url + 7), ELOOP);
	assert_int_equal(store_restore(f->st, f->url + 7), ELOOP);
	assert_int_equal(store_user_count(f->st, &n), 0);
	assert_int_equal(n, 2);

	assert_int_equal(store_restore(f->st, bak), 0);
	assert_int_equal(store_user_get(f->st, ada, &u), 0);
	assert_int_equal(store_user_get(f->st, bob, &u), ENOENT);
	/* The connection goes on writing, and others open it again. */
	add_user(f->st, "carol@example.org", false);
	assert_int_equal(store_open(&other, f->url, f->dir), 0);
	assert_int_equal(store_user_count(other, &n), 0);
	assert_int_equal(n, 2);
	store_close(other);
	unlink(bak);
	unlink(junk);
}

/* ---- dial-in numbers ---- */

static void number(struct store_number *n, const char *e164, bool toll_free,
		   bool is_default)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->number, sizeof(n->number), "%s", e164);
	snprintf(n->country, sizeof(n->country), "US");
	snprintf(n->city, sizeof(n->city), "Redmond");
	snprintf(n->languages, sizeof(n->languages), "en-US");
	n->toll_free = toll_free;
	n->is_default = is_default;
}

static int collect_number(const struct store_number *n, void *arg)
{
	struct rows *r = arg;

	assert_true(r->n < 32);
	r->v[r->n++] = (int64_t)strtoll(n->number + 1, NULL, 10) *
		(n->is_default ? -1 : 1);
	return 0;
}

static void test_numbers(void **state)
{
	struct store *st = st_of(state);
	struct store_number n;
	struct rows r = { .n = 0 };

	number(&n, "+14255550100", false, true);
	assert_int_equal(store_number_insert(st, &n), 0);
	assert_int_equal(store_number_insert(st, &n), EEXIST);
	number(&n, "+14255550101", false, true);
	assert_int_equal(store_number_insert(st, &n), EEXIST); /* 2nd default */
	n.is_default = false;
	assert_int_equal(store_number_insert(st, &n), 0);
	number(&n, "+18005550199", true, true); /* the toll-free default */
	assert_int_equal(store_number_insert(st, &n), 0);

	assert_int_equal(store_number_get(st, "+18005550199", &n), 0);
	assert_true(n.toll_free);
	assert_true(n.is_default);
	assert_string_equal(n.country, "US");
	assert_string_equal(n.city, "Redmond");
	assert_string_equal(n.languages, "en-US");

	/* Moving the toll default leaves the toll-free one alone. */
	assert_int_equal(store_number_set_default(st, "+14255550101"), 0);
	assert_int_equal(store_number_list(st, collect_number, &r), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.v[0], -14255550101);
	assert_int_equal(r.v[1], 14255550100);
	assert_int_equal(r.v[2], -18005550199);
	assert_int_equal(store_number_set_default(st, "+14255550101"), 0);
	assert_int_equal(store_number_set_default(st, "+4930901820"), ENOENT);

	assert_int_equal(store_number_delete(st, "+14255550101"), 0);
	assert_int_equal(store_number_delete(st, "+14255550101"), ENOENT);
	assert_int_equal(store_number_get(st, "+14255550101", &n), ENOENT);

	number(&n, "14255550102", false, false); /* not E.164 */
	assert_int_equal(store_number_insert(st, &n), EINVAL);
	number(&n, "+1425555010x", false, false);
	assert_int_equal(store_number_insert(st, &n), EINVAL);
}

/* ---- settings, audit, tokens, admins ---- */

static int collect_setting(const char *name, const char *value, void *arg)
{
	char *out = arg;
	size_t len = strlen(out);

	snprintf(out + len, 128 - len, "%s=%s;", name, value);
	return 0;
}

static void test_settings(void **state)
{
	struct store *st = st_of(state);
	char v[8], all[128] = "";

	assert_int_equal(store_setting_get(st, "pinLength", v, sizeof(v)),
			 ENOENT);
	assert_int_equal(store_setting_set(st, "pinLength", "6"), 0);
	assert_int_equal(store_setting_set(st, "organizationName", "Contoso"), 0);
	assert_int_equal(store_setting_set(st, "pinLength", "8"), 0);
	assert_int_equal(store_setting_get(st, "pinLength", v, sizeof(v)), 0);
	assert_string_equal(v, "8");
	assert_int_equal(store_setting_get(st, "organizationName", v, 4),
			 ERANGE);
	assert_int_equal(store_setting_list(st, collect_setting, all), 0);
	assert_string_equal(all, "organizationName=Contoso;pinLength=8;");
}

static int collect_audit(const struct store_audit *a, void *arg)
{
	struct rows *r = arg;

	assert_true(r->n < 32);
	r->v[r->n++] = a->at;
	if (a->at == T0 + 2) {
		assert_string_equal(a->actor, "admin");
		assert_string_equal(a->action, "user.resetConferenceId");
		assert_string_equal(a->target, "ada@example.org");
		assert_string_equal(a->detail, "{\"old\":4829173}");
	}
	return 0;
}

static void test_audit(void **state)
{
	struct store *st = st_of(state);
	struct store_audit a = { .at = T0 };
	struct rows r = { .n = 0 };
	int64_t first;

	snprintf(a.actor, sizeof(a.actor), "admin");
	snprintf(a.action, sizeof(a.action), "user.create");
	assert_int_equal(store_audit_insert(st, &a), 0);
	first = a.id;
	a.at = T0 + 1;
	assert_int_equal(store_audit_insert(st, &a), 0);
	assert_true(a.id > first);
	a.at = T0 + 2;
	snprintf(a.action, sizeof(a.action), "user.resetConferenceId");
	snprintf(a.target, sizeof(a.target), "ada@example.org");
	snprintf(a.detail, sizeof(a.detail), "{\"old\":4829173}");
	assert_int_equal(store_audit_insert(st, &a), 0);

	assert_int_equal(store_audit_list(st, 2, collect_audit, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[0], T0 + 2);
	assert_int_equal(r.v[1], T0 + 1);
	r.n = 0;
	assert_int_equal(store_audit_list(st, 0, collect_audit, &r), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.v[2], T0);

	snprintf(a.detail, sizeof(a.detail), "not json");
	assert_int_equal(store_audit_insert(st, &a), EINVAL);
}

struct tokens {
	int n;
	struct store_token t[4];
};

static int collect_token(const struct store_token *t, void *arg)
{
	struct tokens *r = arg;

	if (r->n < 4)
		r->t[r->n] = *t;
	r->n++;
	return 0;
}

static void test_tokens(void **state)
{
	struct store *st = st_of(state);
	struct store_token t = { .created_at = T0 }, u, got;
	struct tokens r = { 0 };

	snprintf(t.digest, sizeof(t.digest), "abc");
	snprintf(t.name, sizeof(t.name), "ci-bot");
	assert_int_equal(store_token_find(st, "abc", &got), ENOENT);
	assert_int_equal(store_token_insert(st, &t), 0);
	assert_true(t.id > 0);
	u = t;
	snprintf(u.name, sizeof(u.name), "other");
	assert_int_equal(store_token_insert(st, &u), EEXIST);
	assert_int_equal(store_token_find(st, "abc", &got), 0);
	assert_string_equal(got.name, "ci-bot");
	assert_int_equal(got.id, t.id);
	assert_int_equal(got.created_at, T0);
	assert_int_equal(got.expires_at, 0);
	assert_int_equal(got.last_used_at, 0);
	assert_int_equal(store_token_find(st, "ABC", &got), ENOENT);

	/* A second one, with an expiry; the list gives both, by id. */
	snprintf(u.digest, sizeof(u.digest), "def");
	u.expires_at = T0 + 3600;
	assert_int_equal(store_token_insert(st, &u), 0);
	assert_true(u.id > t.id);
	assert_int_equal(store_token_list(st, collect_token, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.t[0].name, "ci-bot");
	assert_string_equal(r.t[1].name, "other");
	assert_int_equal(r.t[1].expires_at, T0 + 3600);

	/* Last use, then revocation. */
	assert_int_equal(store_token_touch(st, u.id, T0 + 60), 0);
	assert_int_equal(store_token_find(st, "def", &got), 0);
	assert_int_equal(got.last_used_at, T0 + 60);
	assert_int_equal(store_token_delete(st, u.id), 0);
	assert_int_equal(store_token_delete(st, u.id), ENOENT);
	assert_int_equal(store_token_touch(st, u.id, T0 + 120), ENOENT);
	assert_int_equal(store_token_find(st, "def", &got), ENOENT);
	r.n = 0;
	assert_int_equal(store_token_list(st, collect_token, &r), 0);
	assert_int_equal(r.n, 1);
}

static void test_admins(void **state)
{
	struct store *st = st_of(state);
	struct store_admin a = { .id = 0 }, got;
	int64_t n;

	assert_int_equal(store_admin_count(st, &n), 0);
	assert_int_equal(n, 0);
	snprintf(a.username, sizeof(a.username), "admin");
	snprintf(a.password_hash, sizeof(a.password_hash), "$argon2id$y");
	assert_int_equal(store_admin_insert(st, &a), 0);
	assert_true(a.id > 0);
	assert_int_equal(store_admin_insert(st, &a), EEXIST);
	assert_int_equal(store_admin_count(st, &n), 0);
	assert_int_equal(n, 1);

	assert_int_equal(store_admin_get(st, "admin", &got), 0);
	assert_int_equal(got.id, a.id);
	assert_string_equal(got.password_hash, "$argon2id$y");
	assert_int_equal(store_admin_get(st, "root", &got), ENOENT);
}

/* ---- outbox ---- */

static void mail_init(struct store_mail *m, const char *token, int64_t due)
{
	memset(m, 0, sizeof(*m));
	m->created_at = T0;
	snprintf(m->kind, sizeof(m->kind), "pin-reset");
	snprintf(m->to_addr, sizeof(m->to_addr), "ada@example.org");
	snprintf(m->to_name, sizeof(m->to_name), "Ada");
	snprintf(m->from_addr, sizeof(m->from_addr), "no-reply@example.org");
	snprintf(m->subject, sizeof(m->subject), "Your new organizer PIN");
	snprintf(m->token, sizeof(m->token), "%s", token);
	snprintf(m->vars, sizeof(m->vars), "{\"pin\":\"12345\"}");
	m->state = MAILSTATE_PENDING;
	m->next_attempt_at = due;
}

static int64_t add_mail(struct store *st, const char *token, int64_t due)
{
	struct store_mail m;

	mail_init(&m, token, due);
	assert_int_equal(store_outbox_insert(st, &m), 0);
	assert_true(m.id > 0);
	return m.id;
}

static int collect_mail(const struct store_mail *m, void *arg)
{
	struct rows *r = arg;

	assert_true(r->n < 32);
	r->v[r->n++] = m->id;
	return 0;
}

static void test_outbox_insert_get(void **state)
{
	struct store *st = st_of(state);
	struct store_mail m, got;

	mail_init(&m, "0123456789abcdef0123456789abcdef", T0);
	assert_int_equal(store_outbox_insert(st, &m), 0);
	assert_int_equal(store_outbox_get(st, m.id, &got), 0);
	assert_string_equal(got.to_addr, "ada@example.org");
	assert_string_equal(got.token, m.token);
	assert_string_equal(got.vars, "{\"pin\":\"12345\"}");
	assert_int_equal(got.state, MAILSTATE_PENDING);
	assert_int_equal(got.next_attempt_at, T0);
	assert_int_equal(got.sent_at, 0);
	assert_string_equal(got.last_error, "");

	/* The token is the Message-ID's: never two rows with one. */
	assert_int_equal(store_outbox_insert(st, &m), EEXIST);
	/* The schema refuses what the worker could not send. */
	mail_init(&m, "ffff456789abcdef0123456789abcdef", T0);
	snprintf(m.vars, sizeof(m.vars), "{not json");
	assert_int_equal(store_outbox_insert(st, &m), EINVAL);
	mail_init(&m, "eeee456789abcdef0123456789abcdef", 0);
	assert_int_equal(store_outbox_insert(st, &m), EINVAL);
	assert_int_equal(store_outbox_get(st, 999, &got), ENOENT);
}

/* Claim tokens (issue 14): two claims, told apart. */
#define CL1 "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1"
#define CL2 "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2"

static void test_outbox_claim_due_only(void **state)
{
	struct store *st = st_of(state);
	struct rows r = { .n = 0 };
	int64_t a, b, at = 0;

	a = add_mail(st, "aaaa456789abcdef0123456789abcdef", T0);
	b = add_mail(st, "bbbb456789abcdef0123456789abcdef", T0 + 100);
	assert_int_equal(store_outbox_next_due(st, &at), 0);
	assert_int_equal(at, T0);

	assert_int_equal(store_outbox_claim(st, T0, T0 + 60, CL1, 10, collect_mail,
					    &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0], a);

	/* Leased: nobody else gets it until the lease runs out. */
	r.n = 0;
	assert_int_equal(store_outbox_claim(st, T0 + 59, T0 + 119, CL1, 10,
					    collect_mail, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(store_outbox_next_due(st, &at), 0);
	assert_int_equal(at, T0 + 60);

	/* A dead worker's lease runs out: the row is due again. */
	r.n = 0;
	assert_int_equal(store_outbox_claim(st, T0 + 100, T0 + 160, CL1, 10,
					    collect_mail, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[0], a);
	assert_int_equal(r.v[1], b);

	/* Released at start-up (single node): due at once. */
	assert_int_equal(store_outbox_release_leases(st), 0);
	r.n = 0;
	assert_int_equal(store_outbox_claim(st, T0 + 100, T0 + 160, CL1, 1,
					    collect_mail, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(store_outbox_claim(st, T0, T0, CL1, 0, collect_mail, &r),
			 EINVAL);
}

static void test_outbox_update_list(void **state)
{
	struct store *st = st_of(state);
	struct rows r = { .n = 0 };
	struct store_mail m;
	int64_t a, b, c, at;

	a = add_mail(st, "aaaa456789abcdef0123456789abcdef", T0);
	b = add_mail(st, "bbbb456789abcdef0123456789abcdef", T0);
	c = add_mail(st, "cccc456789abcdef0123456789abcdef", T0);

	assert_int_equal(store_outbox_get(st, a, &m), 0);
	m.state = MAILSTATE_SENT;
	m.attempts = 1;
	m.sent_at = T0 + 5;
	m.next_attempt_at = 0;
	snprintf(m.vars, sizeof(m.vars), "{}");
	assert_int_equal(store_outbox_update(st, &m), 0);

	assert_int_equal(store_outbox_get(st, b, &m), 0);
	m.state = MAILSTATE_FAILED;
	m.attempts = 1;
	m.next_attempt_at = 0;
	snprintf(m.last_error, sizeof(m.last_error), "550 no such user");
	assert_int_equal(store_outbox_update(st, &m), 0);
	/* A sent row needs its time, a pending one its due time. */
	m.state = MAILSTATE_SENT;
	assert_int_equal(store_outbox_update(st, &m), EINVAL);

	assert_int_equal(store_outbox_get(st, a, &m), 0);
	assert_string_equal(m.vars, "{}");
	assert_int_equal(m.sent_at, T0 + 5);
	assert_int_equal(store_outbox_get(st, b, &m), 0);
	assert_string_equal(m.last_error, "550 no such user");

	assert_int_equal(store_outbox_list(st, -1, 0, collect_mail, &r), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.v[0], c); /* newest first */
	r.n = 0;
	assert_int_equal(store_outbox_list(st, MAILSTATE_FAILED, 10,
					   collect_mail, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0], b);
	r.n = 0;
	assert_int_equal(store_outbox_list(st, -1, 2, collect_mail, &r), 0);
	assert_int_equal(r.n, 2);

	/* Only c is pending now. */
	r.n = 0;
	assert_int_equal(store_outbox_claim(st, T0, T0 + 60, CL1, 10, collect_mail,
					    &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0], c);
	m.id = c;
	assert_int_equal(store_outbox_get(st, c, &m), 0);
	m.state = MAILSTATE_SENT;
	m.sent_at = T0;
	m.next_attempt_at = 0;
	assert_int_equal(store_outbox_update(st, &m), 0);
	assert_int_equal(store_outbox_next_due(st, &at), ENOENT);
}

/* A lease holds only under its claim: a worker whose lease ran out and
 * was claimed again can neither renew it nor settle the row. */
static void test_outbox_lease_claim(void **state)
{
	struct store *st = st_of(state);
	struct rows r = { .n = 0 };
	struct store_mail m;
	int64_t a, b;

	a = add_mail(st, "aaaa456789abcdef0123456789abcdef", T0);
	b = add_mail(st, "bbbb456789abcdef0123456789abcdef", T0);
	assert_int_equal(store_outbox_claim(st, T0, T0 + 60, CL1, 1,
					    collect_mail, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0], a);
	assert_int_equal(store_outbox_get(st, a, &m), 0);
	assert_string_equal(m.claim, CL1);

	/* Renewed while it is held: nobody claims it at T0 + 100. */
	assert_int_equal(store_outbox_renew(st, CL1, a, T0 + 120), 0);
	assert_int_equal(store_outbox_get(st, a, &m), 0);
	assert_int_equal(m.lease_until, T0 + 120);
	assert_int_equal(store_outbox_renew(st, CL1, b, T0 + 120), ESTALE);
	r.n = 0;
	assert_int_equal(store_outbox_claim(st, T0 + 100, T0 + 160, CL2, 10,
					    collect_mail, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0], b);

	/* Run out and claimed again: the first claim has lost it. */
	r.n = 0;
	assert_int_equal(store_outbox_claim(st, T0 + 121, T0 + 181, CL2, 10,
					    collect_mail, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0], a);
	assert_int_equal(store_outbox_renew(st, CL1, a, T0 + 200), ESTALE);
	assert_int_equal(store_outbox_get(st, a, &m), 0);
	assert_int_equal(m.lease_until, T0 + 181);
	m.state = MAILSTATE_SENT;
	m.attempts = 1;
	m.sent_at = T0 + 130;
	m.next_attempt_at = 0;
	m.lease_until = 0;
	assert_int_equal(store_outbox_settle(st, &m, CL1), ESTALE);
	assert_int_equal(store_outbox_get(st, a, &m), 0);
	assert_int_equal(m.state, MAILSTATE_PENDING);

	/* The holder settles it once; the claim ends with it. */
	m.state = MAILSTATE_SENT;
	m.attempts = 1;
	m.sent_at = T0 + 130;
	m.next_attempt_at = 0;
	m.lease_until = 0;
	assert_int_equal(store_outbox_settle(st, &m, CL2), 0);
	assert_int_equal(store_outbox_settle(st, &m, CL2), ESTALE);
	assert_int_equal(store_outbox_get(st, a, &m), 0);
	assert_int_equal(m.state, MAILSTATE_SENT);
	assert_string_equal(m.claim, "");
	assert_int_equal(store_outbox_renew(st, CL2, a, T0 + 300), ESTALE);

	/* b is still held by CL2; released at start-up, no claim at all. */
	assert_int_equal(store_outbox_renew(st, CL2, b, T0 + 300), 0);
	assert_int_equal(store_outbox_release_leases(st), 0);
	assert_int_equal(store_outbox_get(st, b, &m), 0);
	assert_string_equal(m.claim, "");
	assert_int_equal(m.lease_until, 0);
	assert_int_equal(store_outbox_renew(st, CL2, b, T0 + 300), ESTALE);
	assert_int_equal(store_outbox_renew(st, "", b, T0 + 300), EINVAL);
}

/* Two connections claiming at once never get the same row. */
static void test_outbox_claim_two_workers(void **state)
{
	struct fixture *f = *state;
	struct rows r1 = { .n = 0 }, r2 = { .n = 0 };
	struct store *st2 = NULL;
	size_t i, j;
	char tok[40];

	for (i = 0; i < 10; i++) {
		snprintf(tok, sizeof(tok), "%032zx", i + 1);
		add_mail(f->st, tok, T0);
	}
	assert_int_equal(store_open(&st2, f->url, f->dir), 0);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_outbox_claim(f->st, T0, T0 + 60, CL1, 6,
					    collect_mail, &r1), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_begin(st2), 0);
	assert_int_equal(store_outbox_claim(st2, T0, T0 + 60, CL1, 6,
					    collect_mail, &r2), 0);
	assert_int_equal(store_commit(st2), 0);
	assert_int_equal(r1.n, 6);
	assert_int_equal(r2.n, 4);
	for (i = 0; i < r1.n; i++)
		for (j = 0; j < r2.n; j++)
			assert_true(r1.v[i] != r2.v[j]);
	store_close(st2);
}

/* ---- webhook events ---- */

static int64_t add_hook(struct store *st, const char *event_id, int64_t due)
{
	struct store_webhook w;

	memset(&w, 0, sizeof(w));
	snprintf(w.event_id, sizeof(w.event_id), "%s", event_id);
	snprintf(w.type, sizeof(w.type), "call.started");
	snprintf(w.body, sizeof(w.body), "{\"id\":\"%s\"}", event_id);
	w.created_at = T0;
	w.state = STORE_WEBHOOK_PENDING;
	w.next_attempt_at = due;
	assert_int_equal(store_webhook_insert(st, &w), 0);
	assert_true(w.id > 0);
	return w.id;
}

struct hooks_seen {
	size_t n;
	int64_t v[32];
	struct store_webhook last;
};

static int collect_hook(const struct store_webhook *w, void *arg)
{
	struct hooks_seen *r = arg;

	assert_true(r->n < 32);
	r->v[r->n++] = w->id;
	r->last = *w;
	return 0;
}

/* Claimed oldest due first under a lease; settled only under the claim
 * that holds the row; listed newest first; purged once settled. */
static void test_webhook_queue(void **state)
{
	struct store *st = st_of(state);
	struct hooks_seen r = { .n = 0 };
	struct store_webhook w;
	int64_t a, b, c, at = 0;
	int n = -1;

	assert_int_equal(store_webhook_next_due(st, &at), ENOENT);
	a = add_hook(st, "aaaa456789abcdef0123456789abcdef", T0);
	b = add_hook(st, "bbbb456789abcdef0123456789abcdef", T0);
	c = add_hook(st, "cccc456789abcdef0123456789abcdef", T0 + 100);
	memset(&w, 0, sizeof(w));
	snprintf(w.event_id, sizeof(w.event_id),
		 "aaaa456789abcdef0123456789abcdef");
	snprintf(w.type, sizeof(w.type), "call.started");
	snprintf(w.body, sizeof(w.body), "{}");
	w.created_at = T0;
	w.next_attempt_at = T0;
	assert_int_equal(store_webhook_insert(st, &w), EEXIST);

	assert_int_equal(store_webhook_claim(st, T0, T0 + 60, CL1, 10,
					     collect_hook, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[0], a);
	assert_int_equal(r.v[1], b);
	assert_string_equal(r.last.body,
			    "{\"id\":\"bbbb456789abcdef0123456789abcdef\"}");
	assert_string_equal(r.last.claim, CL1);
	r.n = 0;
	assert_int_equal(store_webhook_claim(st, T0 + 59, T0 + 119, CL2, 10,
					     collect_hook, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(store_webhook_next_due(st, &at), 0);
	assert_int_equal(at, T0 + 60);

	/* a delivered under CL1; b's lease runs out, CL2 takes it. */
	memset(&w, 0, sizeof(w));
	w.id = a;
	w.state = STORE_WEBHOOK_DELIVERED;
	w.attempts = 1;
	w.delivered_at = T0 + 1;
	w.last_status = 204;
	assert_int_equal(store_webhook_settle(st, &w, CL1), 0);
	assert_int_equal(store_webhook_settle(st, &w, CL1), ESTALE);
	r.n = 0;
	assert_int_equal(store_webhook_claim(st, T0 + 60, T0 + 120, CL2, 10,
					     collect_hook, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0], b);
	w.id = b;
	w.state = STORE_WEBHOOK_PENDING;
	w.next_attempt_at = T0 + 65;
	snprintf(w.last_error, sizeof(w.last_error), "HTTP 500");
	w.last_status = 500;
	assert_int_equal(store_webhook_settle(st, &w, CL1), ESTALE);
	assert_int_equal(store_webhook_settle(st, &w, CL2), 0);

	r.n = 0;
	assert_int_equal(store_webhook_list(st, -1, 0, collect_hook, &r), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.v[0], c);
	assert_int_equal(r.v[2], a);
	r.n = 0;
	assert_int_equal(store_webhook_list(st, STORE_WEBHOOK_PENDING, 1,
					    collect_hook, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0], c);
	r.n = 0;
	assert_int_equal(store_webhook_list(st, STORE_WEBHOOK_DELIVERED, 0,
					    collect_hook, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.last.last_status, 204);
	assert_int_equal(r.last.delivered_at, T0 + 1);
	assert_int_equal(store_webhook_list(st, 7, 0, collect_hook, &r),
			 EINVAL);

	/* Leases cleared at start-up; only settled rows are purged. */
	r.n = 0;
	assert_int_equal(store_webhook_claim(st, T0 + 100, T0 + 160, CL1, 10,
					     collect_hook, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(store_webhook_release_leases(st), 0);
	assert_int_equal(store_webhook_next_due(st, &at), 0);
	assert_int_equal(at, T0 + 65);
	assert_int_equal(store_webhook_purge(st, T0 + 1, &n), 0);
	assert_int_equal(n, 1);
	r.n = 0;
	assert_int_equal(store_webhook_list(st, -1, 0, collect_hook, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(store_webhook_claim(st, T0, T0, CL1, 0, collect_hook,
					     &r), EINVAL);
}

/* The gauges of GET /metrics: users, live IDs, outbox rows by state. */
static void test_stats(void **state)
{
	struct store *st = st_of(state);
	struct store_stats s;
	struct store_mail m;
	int64_t ada, a;

	assert_int_equal(store_stats(st, &s), 0);
	assert_int_equal(s.users + s.confids_live + s.mail[MAILSTATE_PENDING] +
			 s.mail[MAILSTATE_SENT] + s.mail[MAILSTATE_FAILED], 0);
	ada = add_user(st, "ada@example.org", true);
	(void)add_user(st, "bob@example.org", false);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, ada, 0, T0), 0);
	assert_int_equal(issue(st, 5930284, STORE_CONFID_MEETING, ada, 1, T0), 0);
	assert_int_equal(store_confid_revoke(st, 5930284, T0, T0 + DAY), 0);
	a = add_mail(st, "aaaa456789abcdef0123456789abcdef", T0);
	(void)add_mail(st, "bbbb456789abcdef0123456789abcdef", T0);
	assert_int_equal(store_outbox_get(st, a, &m), 0);
	m.state = MAILSTATE_FAILED;
	m.attempts = 1;
	m.next_attempt_at = 0;
	assert_int_equal(store_outbox_update(st, &m), 0);

	assert_int_equal(store_stats(st, &s), 0);
	assert_int_equal(s.users, 2);
	assert_int_equal(s.confids_live, 1);
	assert_int_equal(s.mail[MAILSTATE_PENDING], 1);
	assert_int_equal(s.mail[MAILSTATE_SENT], 0);
	assert_int_equal(s.mail[MAILSTATE_FAILED], 1);
	assert_int_equal(store_stats(st, NULL), EINVAL);
}

/* ---- abuse guard ---- */

static void guard_init(struct store_guard *g, const char *key, int fails,
		       int64_t blocked_until, int64_t updated_at)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->key, sizeof(g->key), "%s", key);
	g->state.fails = fails;
	g->state.window_start = fails ? updated_at : 0;
	g->state.blocked_until = blocked_until;
	g->updated_at = updated_at;
}

static void test_guard_missing(void **state)
{
	struct store *st = st_of(state);
	struct store_guard g;

	assert_int_equal(store_guard_get(st, "src:192.0.2.1", &g), ENOENT);
	/* Inside a transaction too (PostgreSQL locks the key there). */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_guard_get(st, "src:192.0.2.1", &g), ENOENT);
	assert_int_equal(store_commit(st), 0);
}

/* Every field comes back as written; times beyond 32 bits included. */
static void test_guard_put_get(void **state)
{
	struct store *st = st_of(state);
	const struct store_guard in = {
		.key = "pin:personal:4829173",
		.state = {
			.fails = 3,
			.window_start = T0 + 1,
			.blocked_until = 5000000000LL,
			.offences = 2,
			.last_block = T0 - 7,
		},
		.updated_at = T0 + 2,
	};
	struct store_guard got, other;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_guard_put(st, &in), 0);
	assert_int_equal(store_commit(st), 0);

	assert_int_equal(store_guard_get(st, in.key, &got), 0);
	assert_string_equal(got.key, "pin:personal:4829173");
	assert_int_equal(got.state.fails, 3);
	assert_int_equal(got.state.window_start, T0 + 1);
	assert_int_equal(got.state.blocked_until, 5000000000LL);
	assert_int_equal(got.state.offences, 2);
	assert_int_equal(got.state.last_block, T0 - 7);
	assert_int_equal(got.updated_at, T0 + 2);

	/* Keys are exact: another source or case is another counter. */
	assert_int_equal(store_guard_get(st, "pin:personal:4829174", &other),
			 ENOENT);
	assert_int_equal(store_guard_get(st, "PIN:personal:4829173", &other),
			 ENOENT);
}

/* A second put of a key replaces the counter, in a transaction that read
 * it first (the guard's use case), and one that did not. */
static void test_guard_put_replaces(void **state)
{
	struct store *st = st_of(state);
	struct store_guard g, got;

	guard_init(&g, "src:192.0.2.1", 1, 0, T0);
	assert_int_equal(store_guard_put(st, &g), 0);
	guard_init(&g, "src:192.0.2.2", 4, 0, T0);
	assert_int_equal(store_guard_put(st, &g), 0);

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_guard_get(st, "src:192.0.2.1", &g), 0);
	g.state.fails = 0;
	g.state.window_start = 0;
	g.state.blocked_until = T0 + 60;
	g.state.offences = 1;
	g.state.last_block = T0 + 1;
	g.updated_at = T0 + 1;
	assert_int_equal(store_guard_put(st, &g), 0);
	assert_int_equal(store_commit(st), 0);

	assert_int_equal(store_guard_get(st, "src:192.0.2.1", &got), 0);
	assert_int_equal(got.state.fails, 0);
	assert_int_equal(got.state.window_start, 0);
	assert_int_equal(got.state.blocked_until, T0 + 60);
	assert_int_equal(got.state.offences, 1);
	assert_int_equal(got.state.last_block, T0 + 1);
	assert_int_equal(got.updated_at, T0 + 1);

	/* A rolled back put leaves the counter as it was. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_guard_get(st, "src:192.0.2.1", &g), 0);
	g.state.offences = 9;
	assert_int_equal(store_guard_put(st, &g), 0);
	assert_int_equal(store_rollback(st), 0);
	assert_int_equal(store_guard_get(st, "src:192.0.2.1", &got), 0);
	assert_int_equal(got.state.offences, 1);

	/* The other key is untouched. */
	assert_int_equal(store_guard_get(st, "src:192.0.2.2", &got), 0);
	assert_int_equal(got.state.fails, 4);
}

/* The purge drops counters quiet since before and not blocking after it;
 * a block still running keeps its counter however old. */
static void test_guard_purge(void **state)
{
	struct store *st = st_of(state);
	const int64_t before = T0;
	struct store_guard g;
	int n = -1;

	guard_init(&g, "src:old", 2, 0, before - DAY);          /* goes */
	assert_int_equal(store_guard_put(st, &g), 0);
	guard_init(&g, "src:old-block-ended", 0, before, before - 1); /* goes */
	assert_int_equal(store_guard_put(st, &g), 0);
	guard_init(&g, "src:old-blocked", 0, before + 1, before - DAY);
	assert_int_equal(store_guard_put(st, &g), 0);
	guard_init(&g, "src:recent", 1, 0, before);
	assert_int_equal(store_guard_put(st, &g), 0);
	guard_init(&g, "src:newer", 1, 0, before + DAY);
	assert_int_equal(store_guard_put(st, &g), 0);

	assert_int_equal(store_guard_purge(st, before, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_guard_get(st, "src:old", &g), ENOENT);
	assert_int_equal(store_guard_get(st, "src:old-block-ended", &g), ENOENT);
	assert_int_equal(store_guard_get(st, "src:old-blocked", &g), 0);
	assert_int_equal(g.state.blocked_until, before + 1);
	assert_int_equal(store_guard_get(st, "src:recent", &g), 0);
	assert_int_equal(store_guard_get(st, "src:newer", &g), 0);

	/* Nothing left to purge; n may be NULL. */
	assert_int_equal(store_guard_purge(st, before, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_guard_purge(st, before, NULL), 0);

	/* Inside a transaction, and once the block is over. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_guard_purge(st, before + 2, &n), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_guard_get(st, "src:old-blocked", &g), ENOENT);
	assert_int_equal(store_guard_get(st, "src:recent", &g), ENOENT);
	assert_int_equal(store_guard_get(st, "src:newer", &g), 0);
}

/* Keys are 1 to STORE_GUARD_KEY_SIZE - 1 bytes; a longer one is refused,
 * not cut into another key. Negative counts are refused by the schema. */
static void test_guard_bad_input(void **state)
{
	struct store *st = st_of(state);
	char key[STORE_GUARD_KEY_SIZE + 8];
	struct store_guard g, got;

	/* The longest key there is works. */
	memset(key, 'a', STORE_GUARD_KEY_SIZE - 1);
	key[STORE_GUARD_KEY_SIZE - 1] = '\0';
	guard_init(&g, "", 1, 0, T0);
	memcpy(g.key, key, STORE_GUARD_KEY_SIZE);
	assert_int_equal(store_guard_put(st, &g), 0);
	assert_int_equal(store_guard_get(st, key, &got), 0);
	assert_string_equal(got.key, key);

	/* One byte more, for get and put. */
	memset(key, 'a', STORE_GUARD_KEY_SIZE);
	key[STORE_GUARD_KEY_SIZE] = '\0';
	assert_int_equal(store_guard_get(st, key, &got), EINVAL);
	memset(g.key, 'a', sizeof(g.key)); /* no NUL inside the field */
	assert_int_equal(store_guard_put(st, &g), EINVAL);

	/* Empty and missing. */
	assert_int_equal(store_guard_get(st, "", &got), EINVAL);
	assert_int_equal(store_guard_get(st, NULL, &got), EINVAL);
	assert_int_equal(store_guard_get(st, "src:x", NULL), EINVAL);
	guard_init(&g, "", 1, 0, T0);
	assert_int_equal(store_guard_put(st, &g), EINVAL);
	assert_int_equal(store_guard_put(st, NULL), EINVAL);

	/* Values the schema refuses. */
	guard_init(&g, "src:x", -1, 0, T0);
	assert_int_equal(store_guard_put(st, &g), EINVAL);
	guard_init(&g, "src:x", 0, -5, T0);
	assert_int_equal(store_guard_put(st, &g), EINVAL);
	guard_init(&g, "src:x", 0, 0, T0);
	g.state.offences = -1;
	assert_int_equal(store_guard_put(st, &g), EINVAL);
	assert_int_equal(store_guard_get(st, "src:x", &got), ENOENT);
}

/* Two nodes counting one failure each on a key that has no counter yet:
 * the second's read waits for the first's commit and sees its failure, so
 * the count ends at 2 (PostgreSQL: the advisory lock on the key; SQLite:
 * BEGIN IMMEDIATE). */
struct guard_node {
	const char *url;
	const char *dir;
	int err;   /* first failure, 0 if none */
	int seen;  /* fails read before counting */
};

static void *guard_node_run(void *arg)
{
	struct guard_node *nd = arg;
	struct store *st = NULL;
	struct store_guard g;
	int err;

	err = store_open(&st, nd->url, nd->dir);
	if (!err)
		err = store_begin(st);
	if (!err) {
		err = store_guard_get(st, "src:198.51.100.7", &g);
		if (err == ENOENT)
			guard_init(&g, "src:198.51.100.7", 0, 0, T0);
		else if (err)
			goto out;
		nd->seen = g.state.fails;
		g.state.fails++;
		g.updated_at = T0 + 1;
		err = store_guard_put(st, &g);
		if (!err)
			err = store_commit(st);
	}

 out:
	if (err && st)
		(void)store_rollback(st);
	nd->err = err;
	store_close(st);
	return NULL;
}

static void test_guard_concurrent_first_failure(void **state)
{
	struct fixture *f = *state;
	struct store *st = f->st;
	struct guard_node nd = {
		.url = f->url, .dir = f->dir, .err = -1, .seen = -1,
	};
	const struct timespec pause = { .tv_nsec = 300 * 1000 * 1000 };
	struct store_guard g;
	pthread_t th;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_guard_get(st, "src:198.51.100.7", &g), ENOENT);
	assert_int_equal(pthread_create(&th, NULL, guard_node_run, &nd), 0);
	/* Give the other node time to reach its read and wait there. */
	nanosleep(&pause, NULL);
	guard_init(&g, "src:198.51.100.7", 1, 0, T0);
	assert_int_equal(store_guard_put(st, &g), 0);
	assert_int_equal(store_commit(st), 0);
	pthread_join(th, NULL);

	assert_int_equal(nd.err, 0);
	assert_int_equal(nd.seen, 1);
	assert_int_equal(store_guard_get(st, "src:198.51.100.7", &g), 0);
	assert_int_equal(g.state.fails, 2);
}

/* Jitsi rooms: a mapping points at a conference_ids row, whose value is
 * read back with it; the ID shares the namespace of every conference ID
 * (a personal or meeting ID cannot take it, nor it theirs). */
static int map_room(struct store *st, const char *conf, uint32_t value,
		    int64_t at)
{
	struct store_confid c = {
		.value = value, .kind = STORE_CONFID_MEETING, .issued_at = at,
	};
	struct store_jitsi_room r = { .created_at = at, .last_used_at = at };
	int err;

	err = store_confid_insert(st, &c);
	if (err)
		return err;
	snprintf(r.conference, sizeof(r.conference), "%s", conf);
	r.confid_row = c.row;
	return store_jitsi_room_insert(st, &r);
}

static int collect_room(const struct store_jitsi_room *r, void *arg)
{
	struct rows *rows = arg;

	assert_true(rows->n < 32);
	rows->v[rows->n++] = r->value;
	return 0;
}

static void test_jitsi_rooms(void **state)
{
	struct store *st = st_of(state);
	struct store_jitsi_room r;
	struct rows rows = { .n = 0 };
	int64_t ada, n = -1;

	ada = add_user(st, "ada@example.org", true);
	assert_int_equal(store_jitsi_room_count(st, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(issue(st, 4829173, STORE_CONFID_PERSONAL, ada, 0, T0), 0);
	assert_int_equal(map_room(st, "daily@conference.meet.example.org",
				  5930284, T0), 0);
	/* Same namespace both ways. */
	assert_int_equal(map_room(st, "other@conference.meet.example.org",
				  4829173, T0), EEXIST);
	assert_int_equal(issue(st, 5930284, STORE_CONFID_MEETING, ada, 7, T0),
			 EEXIST);
	/* One mapping per room (the ID row of the refused mapping stays
	 * here, as a use case's transaction would roll it back). */
	assert_int_equal(map_room(st, "daily@conference.meet.example.org",
				  6041395, T0), EEXIST);

	assert_int_equal(store_jitsi_room_get(st,
		"daily@conference.meet.example.org", &r), 0);
	assert_int_equal(r.value, 5930284);
	assert_int_equal(r.last_used_at, T0);
	assert_int_equal(store_jitsi_room_by_value(st, 5930284, &r), 0);
	assert_string_equal(r.conference, "daily@conference.meet.example.org");
	assert_int_equal(store_jitsi_room_by_value(st, 4829173, &r), ENOENT);
	assert_int_equal(store_jitsi_room_get(st, "nope@x.org", &r), ENOENT);

	/* touch moves forward only. */
	assert_int_equal(store_jitsi_room_touch(st,
		"daily@conference.meet.example.org", T0 + 100), 0);
	assert_int_equal(store_jitsi_room_touch(st,
		"daily@conference.meet.example.org", T0 + 50), 0);
	assert_int_equal(store_jitsi_room_get(st,
		"daily@conference.meet.example.org", &r), 0);
	assert_int_equal(r.last_used_at, T0 + 100);
	assert_int_equal(store_jitsi_room_touch(st, "nope@x.org", T0), ENOENT);

	/* list: idle before a time. */
	assert_int_equal(map_room(st, "aaa@conference.meet.example.org",
				  7152406, T0), 0);
	assert_int_equal(store_jitsi_room_list(st, T0 + 1, collect_room,
					       &rows), 0);
	assert_int_equal(rows.n, 1);
	assert_int_equal(rows.v[0], 7152406);
	rows.n = 0;
	assert_int_equal(store_jitsi_room_list(st, INT64_MAX, collect_room,
					       &rows), 0);
	assert_int_equal(rows.n, 2);
	assert_int_equal(rows.v[0], 7152406); /* by conference name */
	assert_int_equal(store_jitsi_room_count(st, &n), 0);
	assert_int_equal(n, 2);

	/* A revoked ID no longer maps by value; delete forgets the room. */
	assert_int_equal(store_confid_revoke(st, 7152406, T0, T0 + DAY), 0);
	assert_int_equal(store_jitsi_room_by_value(st, 7152406, &r), ENOENT);
	assert_int_equal(store_jitsi_room_delete(st,
		"aaa@conference.meet.example.org"), 0);
	assert_int_equal(store_jitsi_room_delete(st,
		"aaa@conference.meet.example.org"), ENOENT);
	assert_int_equal(store_jitsi_room_get(st,
		"aaa@conference.meet.example.org", &r), ENOENT);
}

/* Call records: a record written whole by node and call id (a second put
 * replaces it), listed newest first with filters and a cursor; the live
 * ones of other nodes whose heartbeat is recent; a crash ends a node's
 * live records at a time; the purge takes ended records only. */
static struct store_call_record record_of(const char *node, int64_t call_id,
					  int64_t started_at)
{
	struct store_call_record r = {
		.call_id = call_id, .started_at = started_at,
	};

	snprintf(r.node, sizeof(r.node), "%s", node);
	snprintf(r.dialed, sizeof(r.dialed), "+14255550100");
	snprintf(r.caller, sizeof(r.caller), "+1206555****");
	snprintf(r.caller_key, sizeof(r.caller_key), "k%lld",
		 (long long)call_id);
	snprintf(r.outcome, sizeof(r.outcome), "live");
	snprintf(r.state, sizeof(r.state), "welcome");
	return r;
}

struct records_seen {
	struct store_call_record r[8];
	int n;
};

static int collect_record(const struct store_call_record *r, void *arg)
{
	struct records_seen *s = arg;

	if (s->n < 8)
		s->r[s->n] = *r;
	s->n++;
	return 0;
}

static int collect_node(const struct store_node *n, void *arg)
{
	(void)n;
	(*(int *)arg)++;
	return 0;
}

static void beat(struct store *st, const char *name, int64_t seen_at)
{
	struct store_node n = { .started_at = 1000, .seen_at = seen_at };

	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(n.sip, sizeof(n.sip), "127.0.0.1:5060");
	snprintf(n.http, sizeof(n.http), "127.0.0.1:8080");
	assert_int_equal(store_node_beat(st, &n), 0);
}

static void test_call_records(void **state)
{
	struct fixture *f = *state;
	struct store *st = f->st;
	struct store_call_record a = record_of("a", 7, 1000000);
	struct store_call_record b = record_of("b", 7, 2000000);
	struct store_call_record c = record_of("b", 8, 3000000);
	struct store_call_record_query q = { .limit = 10 };
	struct records_seen s = { .n = 0 };
	struct store_node node;
	int n = -1, nodes = 0;

	assert_int_equal(store_call_record_put(st, &a), 0);
	assert_int_equal(store_call_record_put(st, &b), 0);
	assert_int_equal(store_call_record_put(st, &c), 0);
	/* The same call again: its row is replaced, not added. */
	a.answered_at = 1000500;
	a.joined_at = 1002000;
	snprintf(a.conference_id, sizeof(a.conference_id), "5930284");
	snprintf(a.codec, sizeof(a.codec), "PCMU");
	a.user_id = 3;
	a.muted = true;
	assert_int_equal(store_call_record_put(st, &a), 0);

	assert_int_equal(store_call_record_list(st, &q, collect_record, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.r[0].started_at, 3000000); /* newest first */
	assert_int_equal(s.r[2].call_id, 7);
	assert_string_equal(s.r[2].node, "a");
	assert_string_equal(s.r[2].conference_id, "5930284");
	assert_string_equal(s.r[2].codec, "PCMU");
	assert_int_equal(s.r[2].answered_at, 1000500);
	assert_int_equal(s.r[2].joined_at, 1002000);
	assert_int_equal(s.r[2].ended_at, 0);
	assert_int_equal(s.r[2].user_id, 3);
	assert_int_equal(s.r[2].meeting_id, 0);
	assert_true(s.r[2].muted);
	assert_string_equal(s.r[1].conference_id, "");
	assert_string_equal(s.r[1].codec, "");

	/* Filters and the cursor. */
	s.n = 0;
	q.limit = 2;
	assert_int_equal(store_call_record_list(st, &q, collect_record, &s), 0);
	assert_int_equal(s.n, 2);
	q.before_id = s.r[1].id;
	s.n = 0;
	assert_int_equal(store_call_record_list(st, &q, collect_record, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.r[0].started_at, 1000000);
	q.before_id = 0;
	q.limit = 10;
	q.from = 1500000;
	q.to = 3000000;
	s.n = 0;
	assert_int_equal(store_call_record_list(st, &q, collect_record, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.r[0].started_at, 2000000);
	q.from = 0;
	q.to = 0;
	snprintf(q.conference_id, sizeof(q.conference_id), "5930284");
	s.n = 0;
	assert_int_equal(store_call_record_list(st, &q, collect_record, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.r[0].node, "a");
	q.limit = 1001;
	assert_int_equal(store_call_record_list(st, &q, collect_record, &s),
			 EINVAL);

	/* Live records of other nodes with a recent heartbeat only. */
	beat(st, "a", 5000000);
	beat(st, "b", 4000000);
	s.n = 0;
	assert_int_equal(store_call_record_live(st, "a", 4500000,
						collect_record, &s), 0);
	assert_int_equal(s.n, 0); /* b is stale */
	assert_int_equal(store_call_record_live(st, "a", 4000000,
						collect_record, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.r[0].node, "b");
	s.n = 0;
	assert_int_equal(store_call_record_live(st, "c", 0, collect_record,
						&s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(store_node_get(st, "b", &node), 0);
	assert_int_equal(node.seen_at, 4000000);
	assert_string_equal(node.sip, "127.0.0.1:5060");
	assert_int_equal(store_node_get(st, "z", &node), ENOENT);
	assert_int_equal(store_node_list(st, collect_node, &nodes), 0);
	assert_int_equal(nodes, 2);

	/* A crash ends a's live record at the time given, and counts the
	 * seconds it spent in the conference up to then. */
	assert_int_equal(store_call_record_crash(st, "a", 1062000, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_call_record_crash(st, "a", 1062000, &n), 0);
	assert_int_equal(n, 0);
	q.conference_id[0] = '\0';
	q.limit = 10;
	s.n = 0;
	assert_int_equal(store_call_record_list(st, &q, collect_record, &s), 0);
	assert_string_equal(s.r[2].outcome, "crashed");
	assert_int_equal(s.r[2].ended_at, 1062000);
	assert_int_equal(s.r[2].conference_seconds, 60);
	assert_string_equal(s.r[2].state, "");
	assert_string_equal(s.r[1].outcome, "live");

	/* The purge: ended and old enough only, at most max at a time. */
	c.ended_at = 3100000;
	snprintf(c.outcome, sizeof(c.outcome), "wrong-id");
	c.state[0] = '\0';
	assert_int_equal(store_call_record_put(st, &c), 0);
	assert_int_equal(store_call_record_purge(st, INT64_MAX, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_call_record_purge(st, INT64_MAX, 10, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_call_record_purge(st, INT64_MAX, 10, &n), 0);
	assert_int_equal(n, 0);
	s.n = 0;
	assert_int_equal(store_call_record_list(st, &q, collect_record, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.r[0].outcome, "live");
}

/* Usage reports: the database groups the calls that started in the range
 * and counts seconds, calls, distinct callers and the most at once (a
 * live call lasts until now, a call across midnight counts on the next
 * day too, back to back is not at once). */
#define DAY_MS 86400000LL
#define D0 (20423 * DAY_MS) /* 2025-12-01T00:00:00Z */

struct usage_seen {
	struct store_usage_row r[8];
	int n;
};

static int collect_usage(const struct store_usage_row *r, void *arg)
{
	struct usage_seen *s = arg;

	if (s->n < 8)
		s->r[s->n] = *r;
	s->n++;
	return 0;
}

static void put_call(struct store *st, int64_t id, int64_t start,
		     int64_t end, const char *dialed, const char *key,
		     int64_t secs)
{
	struct store_call_record r = record_of("a", id, start);

	r.ended_at = end;
	snprintf(r.dialed, sizeof(r.dialed), "%s", dialed);
	snprintf(r.caller_key, sizeof(r.caller_key), "%s", key);
	snprintf(r.outcome, sizeof(r.outcome), "%s", end ? "joined" : "live");
	if (end)
		r.state[0] = '\0';
	r.conference_seconds = secs;
	assert_int_equal(store_call_record_put(st, &r), 0);
}

static void test_usage_report(void **state)
{
	struct fixture *f = *state;
	struct store *st = f->st;
	const char *toll = "+14255550100", *free_ = "+18005550199";
	struct usage_seen s = { .n = 0 };
	char day0[32], day1[32];

	put_call(st, 1, D0 + 1000, D0 + 61000, toll, "k1", 55);
	put_call(st, 2, D0 + 30000, D0 + 90000, free_, "k2", 50);
	put_call(st, 3, D0 + 95000, D0 + 99000, toll, "k1", 0);
	put_call(st, 4, D0 + DAY_MS - 10000, 0, toll, "k4", 0); /* live */
	put_call(st, 5, D0 + DAY_MS + 5000, D0 + DAY_MS + 6000, toll, "k5",
		 1);
	put_call(st, 6, D0 + 90000, D0 + 92000, free_, "k2", 0);
	put_call(st, 7, D0 - 5000, D0 + 50000, toll, "k7", 9); /* before */

	assert_int_equal(store_usage_report(st, D0, D0 + 2 * DAY_MS,
					    D0 + 2 * DAY_MS, STORE_USAGE_TOTAL,
					    collect_usage, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.r[0].key, "");
	assert_int_equal(s.r[0].calls, 6);
	assert_int_equal(s.r[0].callers, 4);
	assert_int_equal(s.r[0].conference_seconds, 106);
	assert_int_equal(s.r[0].peak, 2);

	s.n = 0;
	assert_int_equal(store_usage_report(st, D0, D0 + 2 * DAY_MS,
					    D0 + 2 * DAY_MS, STORE_USAGE_DAY,
					    collect_usage, &s), 0);
	snprintf(day0, sizeof(day0), "%lld", (long long)(D0 / DAY_MS));
	snprintf(day1, sizeof(day1), "%lld", (long long)(D0 / DAY_MS + 1));
	assert_int_equal(s.n, 2);
	assert_string_equal(s.r[0].key, day0);
	assert_int_equal(s.r[0].calls, 5);
	assert_int_equal(s.r[0].peak, 2);
	assert_string_equal(s.r[1].key, day1);
	assert_int_equal(s.r[1].calls, 1);
	assert_int_equal(s.r[1].peak, 2); /* call 4 goes on past midnight */

	s.n = 0;
	assert_int_equal(store_usage_report(st, D0, D0 + 2 * DAY_MS,
					    D0 + 2 * DAY_MS,
					    STORE_USAGE_NUMBER,
					    collect_usage, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.r[0].key, toll); /* 56 s before 50 s */
	assert_int_equal(s.r[0].calls, 4);
	assert_int_equal(s.r[0].callers, 3);
	assert_int_equal(s.r[0].peak, 2);
	assert_string_equal(s.r[1].key, free_);
	assert_int_equal(s.r[1].calls, 2);
	assert_int_equal(s.r[1].callers, 1);
	assert_int_equal(s.r[1].peak, 1); /* back to back */

	s.n = 0;
	assert_int_equal(store_usage_report(st, D0 + 3 * DAY_MS,
					    D0 + 4 * DAY_MS, D0,
					    STORE_USAGE_TOTAL,
					    collect_usage, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(store_usage_report(st, D0, D0, D0,
					    STORE_USAGE_TOTAL,
					    collect_usage, &s), EINVAL);
}

/* Live control commands: the first claim wins, a claimed or old command
 * is no longer new, the result is kept. */
struct commands {
	int64_t ids[4];
	size_t n;
};

static int command_seen(const struct store_command *c, void *arg)
{
	struct commands *cs = arg;

	if (cs->n < 4)
		cs->ids[cs->n++] = c->id;
	return 0;
}

static void test_call_commands(void **state)
{
	struct store *st = st_of(state);
	struct store_command a = { .call_id = 4503599627370497LL,
				   .created_at = 1000 };
	struct store_command b = { .created_at = 1100 };
	struct store_command got;
	struct commands cs = { .n = 0 };

	strcpy(a.action, "mute");
	strcpy(a.actor, "admin");
	strcpy(b.conference_id, "4829173");
	strcpy(b.action, "lock");
	strcpy(b.actor, "admin");
	assert_int_equal(store_command_insert(st, &a), 0);
	assert_int_equal(store_command_insert(st, &b), 0);
	assert_true(b.id > a.id);
	assert_int_equal(store_command_list_new(st, 0, 0, command_seen, &cs),
			 0);
	assert_int_equal(cs.n, 2);
	assert_int_equal(cs.ids[0], a.id);
	cs.n = 0; /* only those after a, created from 1050 */
	assert_int_equal(store_command_list_new(st, 0, 1050, command_seen,
						&cs), 0);
	assert_int_equal(cs.n, 1);
	assert_int_equal(cs.ids[0], b.id);

	assert_int_equal(store_command_claim(st, a.id, "node-b"), 0);
	assert_int_equal(store_command_claim(st, a.id, "node-c"), EBUSY);
	assert_int_equal(store_command_done(st, a.id, 1200, "{\"err\":0}"), 0);
	assert_int_equal(store_command_get(st, a.id, &got), 0);
	assert_int_equal(got.call_id, a.call_id);
	assert_string_equal(got.conference_id, "");
	assert_string_equal(got.claimed_by, "node-b");
	assert_int_equal(got.done_at, 1200);
	assert_string_equal(got.result, "{\"err\":0}");
	assert_int_equal(store_command_get(st, b.id, &got), 0);
	assert_string_equal(got.conference_id, "4829173");
	assert_int_equal(got.call_id, 0);
	assert_int_equal(got.done_at, 0);
	cs.n = 0;
	assert_int_equal(store_command_list_new(st, 0, 0, command_seen, &cs),
			 0);
	assert_int_equal(cs.n, 1);

	assert_int_equal(store_command_purge(st, 1050), 0);
	assert_int_equal(store_command_get(st, a.id, &got), ENOENT);
	assert_int_equal(store_command_get(st, b.id, &got), 0);
	assert_int_equal(store_command_purge(st, 1), 0);
}

static void home_row(struct store_home *h, bool personal, int64_t conf,
		     const char *node, int64_t lease_until)
{
	memset(h, 0, sizeof(*h));
	h->personal = personal;
	h->conf = conf;
	snprintf(h->node, sizeof(h->node), "%s", node);
	snprintf(h->sip_uri, sizeof(h->sip_uri), "sip:%s", node);
	h->lease_until = lease_until;
}

/* One home per conference: claimed when free, renewed by its holder,
 * refused to another node while the lease holds, taken over once it has
 * run out; released only by its holder. */
static void test_homes(void **state)
{
	struct store *st = st_of(state);
	struct store_home h, got;
	char secret[STORE_CLUSTER_SECRET_SIZE];
	const char *s1 = "0123456789abcdef0123456789abcdef"
			 "0123456789abcdef0123456789abcdef";
	const char *s2 = "fedcba9876543210fedcba9876543210"
			 "fedcba9876543210fedcba9876543210";

	assert_int_equal(store_home_get(st, false, 42, &got), ENOENT);
	home_row(&h, false, 42, "a:5060", T0 + 3000);
	assert_int_equal(store_home_claim(st, &h, T0), 0);
	assert_int_equal(store_home_get(st, false, 42, &got), 0);
	assert_string_equal(got.node, "a:5060");
	assert_string_equal(got.sip_uri, "sip:a:5060");
	assert_int_equal(got.lease_until, T0 + 3000);
	/* the same number as a personal room is another conference */
	assert_int_equal(store_home_get(st, true, 42, &got), ENOENT);

	home_row(&h, false, 42, "b:5060", T0 + 4000);
	assert_int_equal(store_home_claim(st, &h, T0 + 1000), EEXIST);
	home_row(&h, false, 42, "a:5060", T0 + 5000); /* renewal */
	assert_int_equal(store_home_claim(st, &h, T0 + 2000), 0);
	home_row(&h, false, 42, "b:5060", T0 + 7000);
	assert_int_equal(store_home_claim(st, &h, T0 + 4000), EEXIST);
	assert_int_equal(store_home_claim(st, &h, T0 + 5001), 0);
	assert_int_equal(store_home_get(st, false, 42, &got), 0);
	assert_string_equal(got.node, "b:5060");
	assert_int_equal(got.lease_until, T0 + 7000);

	assert_int_equal(store_home_release(st, false, 42, "a:5060"), ENOENT);
	assert_int_equal(store_home_release(st, false, 42, "b:5060"), 0);
	assert_int_equal(store_home_get(st, false, 42, &got), ENOENT);
	home_row(&h, true, 7, "", T0);
	assert_int_equal(store_home_claim(st, &h, T0), EINVAL);

	/* The cluster secret: made once, the first one stays. */
	assert_int_equal(store_cluster_secret_get(st, secret, sizeof(secret)),
			 ENOENT);
	assert_int_equal(store_cluster_secret_init(st, s1), 0);
	assert_int_equal(store_cluster_secret_init(st, s2), 0);
	assert_int_equal(store_cluster_secret_get(st, secret, sizeof(secret)),
			 0);
	assert_string_equal(secret, s1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reopen_keeps_data),
		T(test_stamp),
		T(test_open_errors),
		T(test_sqlite_datadir),
		T(test_user_email_unique_nocase),
		T(test_user_fields),
		T(test_user_list),
		T(test_user_list_callbacks),
		T(test_user_delete),
		T(test_confid_one_personal_per_user),
		T(test_confid_live_value_unique),
		T(test_confid_bad_values),
		T(test_confid_personal_needs_enabled),
		T(test_confid_quarantine),
		T(test_confid_lookup),
		T(test_confid_scans),
		T(test_confid_oldest_quarantined),
		T(test_rollback),
		T(test_relaxed_transaction),
		T(test_refused_write_keeps_tx),
		T(test_two_connections),
		T(test_backup_restore),
		T(test_numbers),
		T(test_url_check_and_safe),
		T(test_settings),
		T(test_audit),
		T(test_tokens),
		T(test_admins),
		T(test_outbox_insert_get),
		T(test_outbox_claim_due_only),
		T(test_outbox_update_list),
		T(test_outbox_claim_two_workers),
		T(test_outbox_lease_claim),
		T(test_webhook_queue),
		T(test_stats),
		T(test_guard_missing),
		T(test_guard_put_get),
		T(test_guard_put_replaces),
		T(test_guard_purge),
		T(test_guard_bad_input),
		T(test_guard_concurrent_first_failure),
		T(test_jitsi_rooms),
		T(test_call_records),
		T(test_usage_report),
		T(test_call_commands),
		T(test_homes),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
