/* sqlite_users: users and their PIN hashes in the SQLite backend.
 *
 * A user row read back carries two derived fields: conference_id, the
 * value of the user's live personal conference ID (the partial unique
 * index conference_ids_live_personal makes the join one index probe), and
 * pin_set, whether a PIN hash is stored. The hash itself only leaves the
 * store through pin_get. And has_meetings, whether the user organizes a
 * meeting not cancelled: a reset looks for meetings to move only then. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_priv.h"

#define USER_SELECT \
	"SELECT u.id, u.email, u.display_name, u.audio_enabled," \
	" u.toll_number, u.toll_free_number, u.pin_hash IS NOT NULL," \
	" c.value, u.created_at," \
	" EXISTS (SELECT 1 FROM meetings m WHERE m.organizer_id = u.id" \
	"  AND m.state = 'scheduled')" \
	" FROM users u LEFT JOIN conference_ids c" \
	" ON c.user_id = u.id AND c.kind = 'personal'" \
	" AND c.revoked_at IS NULL "

static int read_user(sqlite3_stmt *stmt, void *arg)
{
	struct store_user *u = arg;
	int err;

	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(stmt, 0);
	u->audio_enabled = sqlite3_column_int(stmt, 3) != 0;
	u->pin_set = sqlite3_column_int(stmt, 6) != 0;
	u->conference_id = (uint32_t)sqlite3_column_int64(stmt, 7);
	u->created_at = sqlite3_column_int64(stmt, 8);
	u->has_meetings = sqlite3_column_int(stmt, 9) != 0;

	if ((err = sqlstore_column_text(stmt, 1, u->email,
					sizeof(u->email))) ||
	    (err = sqlstore_column_text(stmt, 2, u->display_name,
					sizeof(u->display_name))) ||
	    (err = sqlstore_column_text(stmt, 4, u->toll_number,
					sizeof(u->toll_number))) ||
	    (err = sqlstore_column_text(stmt, 5, u->toll_free_number,
					sizeof(u->toll_free_number))))
		return err;

	return 0;
}

/* What the admin edits of u (name, audio, numbers) into ?2..?5, as insert
 * and update store it. */
static int bind_profile(sqlite3_stmt *stmt, const struct store_user *u)
{
	int err;

	if ((err = sqlstore_bind_text(stmt, 2, u->display_name,
				      sizeof(u->display_name))) ||
	    (err = sqlstore_bind_int64(stmt, 3, u->audio_enabled)) ||
	    (err = sqlstore_bind_text(stmt, 4, u->toll_number,
				      sizeof(u->toll_number))))
		return err;

	return sqlstore_bind_text(stmt, 5, u->toll_free_number,
				  sizeof(u->toll_free_number));
}

int sqlstore_user_insert(void *conn, struct store_user *u)
{
	static const char sql[] =
		"INSERT INTO users (email, display_name, audio_enabled,"
		" toll_number, toll_free_number, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(user_insert), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_text(stmt, 1, u->email, sizeof(u->email))) ||
	    (err = bind_profile(stmt, u)) ||
	    (err = sqlstore_bind_int64(stmt, 6, u->created_at)))
		goto out;

	err = sqlstore_exec_changes(stmt);
	if (err)
		goto out;

	u->id = sqlite3_last_insert_rowid(s->db);

 out:
	sqlstore_release(s, SQS_OP(user_insert), stmt);
	return err;
}

int sqlstore_user_get(void *conn, int64_t id, struct store_user *u)
{
	static const char sql[] = USER_SELECT "WHERE u.id = ?1";
	const int64_t v[] = { id };

	return sqlstore_select_one(conn, SQS_OP(user_get), sql, v, 1, read_user,
				   u);
}

/* The email column is COLLATE NOCASE, so this finds Ada@x for ada@x. */
int sqlstore_user_get_by_email(void *conn, const char *email,
			       struct store_user *u)
{
	static const char sql[] = USER_SELECT "WHERE u.email = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(user_get_by_email), sql, &stmt);
	if (err)
		return err;

	err = sqlstore_bind_text(stmt, 1, email, STORE_EMAIL_SIZE);
	if (!err)
		err = sqlstore_row(stmt, read_user, u);

	sqlstore_release(s, SQS_OP(user_get_by_email), stmt);
	return err;
}

int sqlstore_user_update(void *conn, const struct store_user *u)
{
	static const char sql[] =
		"UPDATE users SET display_name = ?2, audio_enabled = ?3,"
		" toll_number = ?4, toll_free_number = ?5 WHERE id = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(user_update), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_int64(stmt, 1, u->id)) ||
	    (err = bind_profile(stmt, u)))
		goto out;

	err = sqlstore_exec_changes(stmt);

 out:
	sqlstore_release(s, SQS_OP(user_update), stmt);
	return err;
}

/* EEXIST while the user still holds a live conference ID (trigger
 * users_delete); the user's old rows in conference_ids keep user_id NULL. */
int sqlstore_user_delete(void *conn, int64_t id)
{
	static const char sql[] = "DELETE FROM users WHERE id = ?1";
	const int64_t v[] = { id };

	return sqlstore_exec_ints(conn, SQS_OP(user_delete), sql, v, 1);
}

struct user_scan {
	store_user_h *h;
	void *arg;
};

static int user_row(sqlite3_stmt *stmt, void *arg)
{
	struct user_scan *sc = arg;
	struct store_user u;
	int err;

	err = read_user(stmt, &u);
	return err ? err : sc->h(&u, sc->arg);
}

/* Keyset paging (id > after_id) keeps page N as cheap as page 1 with
 * 100 000 users. Two statements, so the common no-search listing is a
 * plain primary key range scan. LIKE folds ASCII case only. */
int sqlstore_user_list(void *conn, const char *search, int64_t after_id,
		       int limit, store_user_h *h, void *arg)
{
	static const char sql_all[] = USER_SELECT
		"WHERE u.id > ?1 ORDER BY u.id LIMIT ?3";
	static const char sql_search[] = USER_SELECT
		"WHERE u.id > ?1 AND (u.email LIKE ?2 ESCAPE '\\'"
		" OR u.display_name LIKE ?2 ESCAPE '\\')"
		" ORDER BY u.id LIMIT ?3";
	struct user_scan sc = { .h = h, .arg = arg };
	bool all = !search || !*search;
	enum sqlstore_stmt id = all ? SQS_OP(user_list) : SQS_USER_SEARCH;
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	char *pattern = NULL;
	int err;

	if (!all) {
		err = store_like_pattern(search, &pattern);
		if (err)
			return err;
	}

	err = sqlstore_prepare(s, id, all ? sql_all : sql_search, &stmt);
	if (err)
		goto out;

	/* LIMIT -1 is no limit in SQLite. */
	if ((err = sqlstore_bind_int64(stmt, 1, after_id)) ||
	    (err = sqlstore_bind_int64(stmt, 3, limit > 0 ? limit : -1)) ||
	    (!all && (err = sqlstore_bind_text(stmt, 2, pattern,
					       strlen(pattern) + 1))))
		goto out;

	err = sqlstore_rows(stmt, user_row, &sc);

 out:
	sqlstore_release(s, id, stmt);
	free(pattern);
	return err;
}

int sqlstore_user_count(void *conn, int64_t *n)
{
	return sqlstore_count(conn, SQS_OP(user_count),
			      "SELECT count(*) FROM users", n);
}

int sqlstore_pin_set(void *conn, int64_t user_id, const char *hash)
{
	static const char sql[] = "UPDATE users SET pin_hash = ?2 WHERE id = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(pin_set), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_int64(stmt, 1, user_id)) ||
	    (err = sqlstore_bind_opt_text(stmt, 2, hash)))
		goto out;

	err = sqlstore_exec_changes(stmt);

 out:
	sqlstore_release(s, SQS_OP(pin_set), stmt);
	return err;
}

/* ENOENT when there is no such user or the user has no PIN. */
int sqlstore_pin_get(void *conn, int64_t user_id, char *hash, size_t size)
{
	static const char sql[] =
		"SELECT pin_hash FROM users WHERE id = ?1"
		" AND pin_hash IS NOT NULL";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(pin_get), sql, &stmt);
	if (err)
		return err;

	err = sqlstore_bind_int64(stmt, 1, user_id);
	if (err)
		goto out;

	err = sqlstore_step_row(stmt);
	if (err)
		goto out;

	err = sqlstore_column_text(stmt, 0, hash, size);

 out:
	sqlstore_release(s, SQS_OP(pin_get), stmt);
	return err;
}
