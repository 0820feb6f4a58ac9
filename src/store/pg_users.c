/* pg_users: users and their PIN hashes in the PostgreSQL backend, the
 * mirror of sqlite_users.c (same derived fields: conference_id from the
 * live personal ID, pin_set, has_meetings).
 *
 * Reading a user inside a transaction locks the user's row (FOR NO KEY
 * UPDATE) until the transaction ends. On SQLite every write transaction
 * holds the one write lock, so two resets of the same user run one after
 * the other and the second revokes the ID the first issued. Here the row
 * lock gives the same order for the transactions that touch one user, and
 * leaves transactions on other users free to run at once. The lock is a
 * statement of its own, before the read: in READ COMMITTED the read that
 * follows a wait then sees what the other transaction committed (a single
 * SELECT ... FOR NO KEY UPDATE would return the joined live ID as of its
 * own start). The two go out together, one round trip. Outside a
 * transaction nothing is locked. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_priv.h"

/* The live personal ID as a correlated subquery, not a join: each user
 * row costs one probe of conference_ids_live_personal whatever the plan.
 * As a LEFT JOIN, a generic plan made while the tables were small (a new
 * database) could be a hash join that reads every live ID at each call,
 * and such a plan stays cached for the life of the connection. */
#define USER_SELECT \
	"SELECT u.id, u.email, u.display_name, u.audio_enabled," \
	" u.toll_number, u.toll_free_number, u.pin_hash IS NOT NULL," \
	" (SELECT c.value FROM conference_ids c WHERE c.user_id = u.id" \
	"  AND c.kind = 'personal' AND c.revoked_at IS NULL)," \
	" u.created_at," \
	" EXISTS (SELECT 1 FROM meetings m WHERE m.organizer_id = u.id" \
	"  AND m.state = 'scheduled')" \
	" FROM users u "

/* The expression of the unique index users_email: ASCII case folded. */
#define EMAIL_KEY(x) "lower(" x " COLLATE \"C\")"

static int read_user(const PGresult *res, int row, struct store_user *u)
{
	int err;

	memset(u, 0, sizeof(*u));
	u->id = pgstore_int(res, row, 0);
	u->audio_enabled = pgstore_bool(res, row, 3);
	u->pin_set = pgstore_bool(res, row, 6);
	u->conference_id = (uint32_t)pgstore_int(res, row, 7);
	u->created_at = pgstore_int(res, row, 8);
	u->has_meetings = pgstore_bool(res, row, 9);

	if ((err = pgstore_text(res, row, 1, u->email, sizeof(u->email))) ||
	    (err = pgstore_text(res, row, 2, u->display_name,
				sizeof(u->display_name))) ||
	    (err = pgstore_text(res, row, 4, u->toll_number,
				sizeof(u->toll_number))) ||
	    (err = pgstore_text(res, row, 5, u->toll_free_number,
				sizeof(u->toll_free_number))))
		return err;

	return 0;
}

int pgstore_user_insert(void *conn, struct store_user *u)
{
	static const char sql[] =
		"INSERT INTO users (email, display_name, audio_enabled,"
		" toll_number, toll_free_number, created_at)"
		" VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_text(&pp, u->email, sizeof(u->email));
	pgp_text(&pp, u->display_name, sizeof(u->display_name));
	pgp_bool(&pp, u->audio_enabled);
	pgp_text(&pp, u->toll_number, sizeof(u->toll_number));
	pgp_text(&pp, u->toll_free_number, sizeof(u->toll_free_number));
	pgp_int(&pp, u->created_at);

	err = pgstore_run(conn, PGS_OP(user_insert), sql, &pp, &res);
	if (!err)
		u->id = pgstore_int(res, 0, 0);
	PQclear(res);
	return err;
}

/* Lock (in a transaction), then read the one user that pp selects. */
static int user_one(struct pgstore *p, enum pgstore_stmt lock_id,
		    const char *lock_sql, enum pgstore_stmt id,
		    const char *sql, const struct pgparams *pp,
		    struct store_user *u)
{
	PGresult *res = NULL;
	int err;

	if (pgstore_in_tx(p)) {
		/* Both in one round trip: the read still runs after the lock
		 * is granted, on a snapshot of its own (pg_priv.h). */
		const struct pgstore_step steps[2] = {
			{ lock_id, lock_sql, pp },
			{ id, sql, pp },
		};
		PGresult *r[2];

		err = pgstore_pipeline(p, steps, 2, r);
		if (err)
			return err;
		PQclear(r[0]);
		res = r[1];
		if (PQntuples(res) < 1)
			err = ENOENT;
	}
	else {
		err = pgstore_one(p, id, sql, pp, &res);
	}
	if (!err)
		err = read_user(res, 0, u);
	PQclear(res);
	return err;
}

int pgstore_user_get(void *conn, int64_t id, struct store_user *u)
{
	static const char lock_sql[] =
		"SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE";
	static const char sql[] = USER_SELECT "WHERE u.id = $1";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, id);
	return user_one(conn, PGS_USER_LOCK, lock_sql, PGS_OP(user_get), sql,
			&pp, u);
}

int pgstore_user_get_by_email(void *conn, const char *email,
			      struct store_user *u)
{
	static const char lock_sql[] =
		"SELECT 1 FROM users WHERE " EMAIL_KEY("email")
		" = " EMAIL_KEY("$1::text") " FOR NO KEY UPDATE";
	static const char sql[] = USER_SELECT
		"WHERE " EMAIL_KEY("u.email") " = " EMAIL_KEY("$1::text");
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, email, STORE_EMAIL_SIZE);
	return user_one(conn, PGS_USER_LOCK_BY_EMAIL, lock_sql,
			PGS_OP(user_get_by_email), sql, &pp, u);
}

int pgstore_user_update(void *conn, const struct store_user *u)
{
	static const char sql[] =
		"UPDATE users SET display_name = $2, audio_enabled = $3,"
		" toll_number = $4, toll_free_number = $5 WHERE id = $1";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, u->id);
	pgp_text(&pp, u->display_name, sizeof(u->display_name));
	pgp_bool(&pp, u->audio_enabled);
	pgp_text(&pp, u->toll_number, sizeof(u->toll_number));
	pgp_text(&pp, u->toll_free_number, sizeof(u->toll_free_number));
	return pgstore_changes(conn, PGS_OP(user_update), sql, &pp);
}

/* EEXIST while the user still holds a live conference ID (trigger
 * users_delete); the user's old conference_ids rows keep user_id NULL. */
int pgstore_user_delete(void *conn, int64_t id)
{
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, id);
	return pgstore_changes(conn, PGS_OP(user_delete),
			       "DELETE FROM users WHERE id = $1", &pp);
}

/* Keyset paging as in sqlite_users.c. The search folds ASCII case only,
 * as SQLite's LIKE does: both sides go through lower() under "C". */
int pgstore_user_list(void *conn, const char *search, int64_t after_id,
		      int limit, store_user_h *h, void *arg)
{
	static const char sql_all[] = USER_SELECT
		"WHERE u.id > $1 ORDER BY u.id LIMIT $2";
	static const char sql_search[] = USER_SELECT
		"WHERE u.id > $1 AND (" EMAIL_KEY("u.email")
		" LIKE " EMAIL_KEY("$3::text") " ESCAPE '\\'"
		" OR " EMAIL_KEY("u.display_name")
		" LIKE " EMAIL_KEY("$3::text") " ESCAPE '\\')"
		" ORDER BY u.id LIMIT $2";
	bool all = !search || !*search;
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	char *pattern = NULL;
	struct store_user u;
	int i, err;

	if (!all) {
		err = store_like_pattern(search, &pattern);
		if (err)
			return err;
	}

	pgp_int(&pp, after_id);
	pgp_opt_int(&pp, limit > 0 ? limit : 0); /* LIMIT NULL: no limit */
	if (!all)
		pgp_text(&pp, pattern, strlen(pattern) + 1);

	err = pgstore_run(conn, all ? PGS_OP(user_list) : PGS_USER_SEARCH,
			  all ? sql_all : sql_search, &pp, &res);
	for (i = 0; !err && i < PQntuples(res); i++) {
		err = read_user(res, i, &u);
		if (!err)
			err = h(&u, arg);
	}

	PQclear(res);
	free(pattern);
	return err;
}

int pgstore_user_count(void *conn, int64_t *n)
{
	return pgstore_count(conn, PGS_OP(user_count),
			     "SELECT count(*) FROM users", n);
}

int pgstore_pin_set(void *conn, int64_t user_id, const char *hash)
{
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, user_id);
	pgp_opt_text(&pp, hash);
	return pgstore_changes(conn, PGS_OP(pin_set),
			       "UPDATE users SET pin_hash = $2 WHERE id = $1",
			       &pp);
}

/* ENOENT when there is no such user or the user has no PIN. */
int pgstore_pin_get(void *conn, int64_t user_id, char *hash, size_t size)
{
	static const char sql[] =
		"SELECT pin_hash FROM users WHERE id = $1"
		" AND pin_hash IS NOT NULL";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_int(&pp, user_id);
	err = pgstore_one(conn, PGS_OP(pin_get), sql, &pp, &res);
	if (!err)
		err = pgstore_text(res, 0, 0, hash, size);
	PQclear(res);
	return err;
}
