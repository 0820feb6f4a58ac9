/* sqlite_org: the organization's own data in the SQLite backend: dial-in
 * numbers, settings, the audit log, API tokens and admin accounts. */
#include <errno.h>
#include <string.h>

#include "store/sqlite_priv.h"

#define NUMBER_COLS \
	"SELECT number, toll_free, country, city, languages, is_default" \
	" FROM dial_in_numbers "

static int read_number(sqlite3_stmt *stmt, void *arg)
{
	struct store_number *n = arg;
	int err;

	memset(n, 0, sizeof(*n));
	n->toll_free = sqlite3_column_int(stmt, 1) != 0;
	n->is_default = sqlite3_column_int(stmt, 5) != 0;

	if ((err = sqlstore_column_text(stmt, 0, n->number,
					sizeof(n->number))) ||
	    (err = sqlstore_column_text(stmt, 2, n->country,
					sizeof(n->country))) ||
	    (err = sqlstore_column_text(stmt, 3, n->city, sizeof(n->city))) ||
	    (err = sqlstore_column_text(stmt, 4, n->languages,
					sizeof(n->languages))))
		return err;

	return 0;
}

/* A second default of the same type is EEXIST: make a new number the
 * default with number_set_default. */
int sqlstore_number_insert(void *conn, const struct store_number *n)
{
	static const char sql[] =
		"INSERT INTO dial_in_numbers (number, toll_free, country,"
		" city, languages, is_default) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(number_insert), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_text(stmt, 1, n->number,
				      sizeof(n->number))) ||
	    (err = sqlstore_bind_int64(stmt, 2, n->toll_free)) ||
	    (err = sqlstore_bind_text(stmt, 3, n->country,
				      sizeof(n->country))) ||
	    (err = sqlstore_bind_text(stmt, 4, n->city, sizeof(n->city))) ||
	    (err = sqlstore_bind_text(stmt, 5, n->languages,
				      sizeof(n->languages))) ||
	    (err = sqlstore_bind_int64(stmt, 6, n->is_default)))
		goto out;

	err = sqlstore_exec_changes(stmt);

 out:
	sqlstore_release(s, SQS_OP(number_insert), stmt);
	return err;
}

int sqlstore_number_get(void *conn, const char *number,
			struct store_number *n)
{
	static const char sql[] = NUMBER_COLS "WHERE number = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(number_get), sql, &stmt);
	if (err)
		return err;

	err = sqlstore_bind_text(stmt, 1, number, STORE_NUMBER_SIZE);
	if (err)
		goto out;

	err = sqlstore_step_row(stmt);
	if (!err)
		err = read_number(stmt, n);

 out:
	sqlstore_release(s, SQS_OP(number_get), stmt);
	return err;
}

int sqlstore_number_delete(void *conn, const char *number)
{
	static const char sql[] = "DELETE FROM dial_in_numbers WHERE number = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(number_delete), sql, &stmt);
	if (err)
		return err;

	err = sqlstore_bind_text(stmt, 1, number, STORE_NUMBER_SIZE);
	if (!err)
		err = sqlstore_exec_changes(stmt);

	sqlstore_release(s, SQS_OP(number_delete), stmt);
	return err;
}

/* Run one of the two default-flag updates with number bound to ?1. */
static int number_flag(struct sqlstore *s, enum sqlstore_stmt id,
		       const char *sql, const char *number, bool toll_free)
{
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, id, sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_text(stmt, 1, number, STORE_NUMBER_SIZE)) ||
	    (err = sqlstore_bind_int64(stmt, 2, toll_free)))
		goto out;

	err = sqlstore_err(sqlite3_step(stmt));

 out:
	sqlstore_release(s, id, stmt);
	return err;
}

/* Clear the old default first: SQLite checks the one-default index row by
 * row, so setting the new flag first would clash with the old one. */
int sqlstore_number_set_default(void *conn, const char *number)
{
	struct sqlstore *s = conn;
	struct store_number n;
	int err;

	err = sqlstore_savepoint(s);
	if (err)
		return err;

	err = sqlstore_number_get(s, number, &n);
	if (err)
		goto out;

	err = number_flag(s, SQS_NUMBER_CLEAR_DEFAULT,
			  "UPDATE dial_in_numbers SET is_default = 0"
			  " WHERE toll_free = ?2 AND is_default = 1"
			  " AND number <> ?1", number, n.toll_free);
	if (err)
		goto out;

	err = number_flag(s, SQS_OP(number_set_default),
			  "UPDATE dial_in_numbers SET is_default = 1"
			  " WHERE number = ?1 AND toll_free = ?2",
			  number, n.toll_free);

 out:
	return sqlstore_savepoint_end(s, err);
}

struct number_scan {
	store_number_h *h;
	void *arg;
};

static int number_row(sqlite3_stmt *stmt, void *arg)
{
	struct number_scan *sc = arg;
	struct store_number n;
	int err;

	err = read_number(stmt, &n);
	return err ? err : sc->h(&n, sc->arg);
}

/* Toll numbers first, each type's default first, then by number. */
int sqlstore_number_list(void *conn, store_number_h *h, void *arg)
{
	static const char sql[] = NUMBER_COLS
		"ORDER BY toll_free, is_default DESC, number";
	struct number_scan sc = { .h = h, .arg = arg };

	return sqlstore_select(conn, SQS_OP(number_list), sql, NULL, 0,
			       number_row, &sc);
}

int sqlstore_setting_get(void *conn, const char *name, char *value,
			 size_t size)
{
	static const char sql[] = "SELECT value FROM settings WHERE name = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(setting_get), sql, &stmt);
	if (err)
		return err;

	err = sqlstore_bind_text(stmt, 1, name, strlen(name) + 1);
	if (err)
		goto out;

	err = sqlstore_step_row(stmt);
	if (!err)
		err = sqlstore_column_text(stmt, 0, value, size);

 out:
	sqlstore_release(s, SQS_OP(setting_get), stmt);
	return err;
}

int sqlstore_setting_set(void *conn, const char *name, const char *value)
{
	static const char sql[] =
		"INSERT INTO settings (name, value) VALUES (?1, ?2)"
		" ON CONFLICT (name) DO UPDATE SET value = excluded.value";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(setting_set), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_text(stmt, 1, name, strlen(name) + 1)) ||
	    (err = sqlstore_bind_text(stmt, 2, value, strlen(value) + 1)))
		goto out;

	err = sqlstore_exec_changes(stmt);

 out:
	sqlstore_release(s, SQS_OP(setting_set), stmt);
	return err;
}

struct setting_scan {
	store_setting_h *h;
	void *arg;
};

static int setting_row(sqlite3_stmt *stmt, void *arg)
{
	const char *name = (const char *)sqlite3_column_text(stmt, 0);
	const char *value = (const char *)sqlite3_column_text(stmt, 1);
	struct setting_scan *sc = arg;

	return sc->h(name ? name : "", value ? value : "", sc->arg);
}

int sqlstore_setting_list(void *conn, store_setting_h *h, void *arg)
{
	static const char sql[] = "SELECT name, value FROM settings ORDER BY name";
	struct setting_scan sc = { .h = h, .arg = arg };

	return sqlstore_select(conn, SQS_OP(setting_list), sql, NULL, 0,
			       setting_row, &sc);
}

/* An empty detail is stored as "{}" so the column always holds JSON. */
int sqlstore_audit_insert(void *conn, struct store_audit *a)
{
	static const char sql[] =
		"INSERT INTO audit (at, actor, action, target, detail)"
		" VALUES (?1, ?2, ?3, ?4, ?5)";
	const char *detail = a->detail[0] ? a->detail : "{}";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(audit_insert), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_int64(stmt, 1, a->at)) ||
	    (err = sqlstore_bind_text(stmt, 2, a->actor, sizeof(a->actor))) ||
	    (err = sqlstore_bind_text(stmt, 3, a->action,
				      sizeof(a->action))) ||
	    (err = sqlstore_bind_text(stmt, 4, a->target,
				      sizeof(a->target))) ||
	    (err = sqlstore_bind_text(stmt, 5, detail, sizeof(a->detail))))
		goto out;

	err = sqlstore_exec_changes(stmt);
	if (!err)
		a->id = sqlite3_last_insert_rowid(s->db);

 out:
	sqlstore_release(s, SQS_OP(audit_insert), stmt);
	return err;
}

static int read_audit(sqlite3_stmt *stmt, void *arg)
{
	struct store_audit *a = arg;
	int err;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(stmt, 0);
	a->at = sqlite3_column_int64(stmt, 1);

	if ((err = sqlstore_column_text(stmt, 2, a->actor,
					sizeof(a->actor))) ||
	    (err = sqlstore_column_text(stmt, 3, a->action,
					sizeof(a->action))) ||
	    (err = sqlstore_column_text(stmt, 4, a->target,
					sizeof(a->target))) ||
	    (err = sqlstore_column_text(stmt, 5, a->detail,
					sizeof(a->detail))))
		return err;

	return 0;
}

struct audit_scan {
	store_audit_h *h;
	void *arg;
};

static int audit_row(sqlite3_stmt *stmt, void *arg)
{
	struct audit_scan *sc = arg;
	struct store_audit a;
	int err;

	err = read_audit(stmt, &a);
	return err ? err : sc->h(&a, sc->arg);
}

/* Newest first; limit <= 0 lists everything. */
int sqlstore_audit_list(void *conn, int limit, store_audit_h *h, void *arg)
{
	static const char sql[] =
		"SELECT id, at, actor, action, target, detail FROM audit"
		" ORDER BY id DESC LIMIT ?1";
	const int64_t v[] = { limit > 0 ? limit : -1 };
	struct audit_scan sc = { .h = h, .arg = arg };

	return sqlstore_select(conn, SQS_OP(audit_list), sql, v, 1, audit_row,
			       &sc);
}

int sqlstore_token_insert(void *conn, struct store_token *t)
{
	static const char sql[] =
		"INSERT INTO api_tokens (digest, name, created_at, expires_at,"
		" last_used_at) VALUES (?1, ?2, ?3, ?4, ?5)";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(token_insert), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_text(stmt, 1, t->digest,
				      sizeof(t->digest))) ||
	    (err = sqlstore_bind_text(stmt, 2, t->name, sizeof(t->name))) ||
	    (err = sqlstore_bind_int64(stmt, 3, t->created_at)) ||
	    (err = sqlstore_bind_int64(stmt, 4, t->expires_at)) ||
	    (err = sqlstore_bind_int64(stmt, 5, t->last_used_at)))
		goto out;

	err = sqlstore_exec_changes(stmt);
	if (!err)
		t->id = sqlite3_last_insert_rowid(s->db);

 out:
	sqlstore_release(s, SQS_OP(token_insert), stmt);
	return err;
}

#define TOKEN_COLUMNS "id, digest, name, created_at, expires_at, last_used_at"

static int read_token(sqlite3_stmt *stmt, void *arg)
{
	struct store_token *t = arg;
	int err;

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(stmt, 0);
	t->created_at = sqlite3_column_int64(stmt, 3);
	t->expires_at = sqlite3_column_int64(stmt, 4);
	t->last_used_at = sqlite3_column_int64(stmt, 5);
	if ((err = sqlstore_column_text(stmt, 1, t->digest,
					sizeof(t->digest))) ||
	    (err = sqlstore_column_text(stmt, 2, t->name, sizeof(t->name))))
		return err;
	return 0;
}

int sqlstore_token_find(void *conn, const char *digest, struct store_token *t)
{
	static const char sql[] =
		"SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE digest = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(token_find), sql, &stmt);
	if (err)
		return err;

	err = sqlstore_bind_text(stmt, 1, digest, strlen(digest) + 1);
	if (!err)
		err = sqlstore_step_row(stmt);
	if (!err)
		err = read_token(stmt, t);

	sqlstore_release(s, SQS_OP(token_find), stmt);
	return err;
}

struct token_scan {
	store_token_h *h;
	void *arg;
};

static int token_row(sqlite3_stmt *stmt, void *arg)
{
	struct token_scan *sc = arg;
	struct store_token t;
	int err;

	err = read_token(stmt, &t);
	return err ? err : sc->h(&t, sc->arg);
}

int sqlstore_token_list(void *conn, store_token_h *h, void *arg)
{
	static const char sql[] =
		"SELECT " TOKEN_COLUMNS " FROM api_tokens ORDER BY id";
	struct token_scan sc = { .h = h, .arg = arg };

	return sqlstore_select(conn, SQS_OP(token_list), sql, NULL, 0,
			       token_row, &sc);
}

int sqlstore_token_delete(void *conn, int64_t id)
{
	static const char sql[] = "DELETE FROM api_tokens WHERE id = ?1";
	const int64_t v[] = { id };

	return sqlstore_exec_ints(conn, SQS_OP(token_delete), sql, v, 1);
}

int sqlstore_token_touch(void *conn, int64_t id, int64_t at)
{
	static const char sql[] =
		"UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1";
	const int64_t v[] = { id, at };

	return sqlstore_exec_ints(conn, SQS_OP(token_touch), sql, v, 2);
}

int sqlstore_admin_insert(void *conn, struct store_admin *a)
{
	static const char sql[] =
		"INSERT INTO admins (username, password_hash) VALUES (?1, ?2)";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(admin_insert), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_text(stmt, 1, a->username,
				      sizeof(a->username))) ||
	    (err = sqlstore_bind_text(stmt, 2, a->password_hash,
				      sizeof(a->password_hash))))
		goto out;

	err = sqlstore_exec_changes(stmt);
	if (!err)
		a->id = sqlite3_last_insert_rowid(s->db);

 out:
	sqlstore_release(s, SQS_OP(admin_insert), stmt);
	return err;
}

int sqlstore_admin_get(void *conn, const char *username,
		       struct store_admin *a)
{
	static const char sql[] =
		"SELECT id, username, password_hash, failed_logins,"
		" locked_until FROM admins WHERE username = ?1";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(admin_get), sql, &stmt);
	if (err)
		return err;

	err = sqlstore_bind_text(stmt, 1, username, STORE_NAME_SIZE);
	if (err)
		goto out;

	err = sqlstore_step_row(stmt);
	if (err)
		goto out;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(stmt, 0);
	a->failed_logins = sqlite3_column_int(stmt, 3);
	a->locked_until = sqlite3_column_int64(stmt, 4);
	if ((err = sqlstore_column_text(stmt, 1, a->username,
					sizeof(a->username))))
		goto out;
	err = sqlstore_column_text(stmt, 2, a->password_hash,
				   sizeof(a->password_hash));

 out:
	sqlstore_release(s, SQS_OP(admin_get), stmt);
	return err;
}

int sqlstore_admin_count(void *conn, int64_t *n)
{
	return sqlstore_count(conn, SQS_OP(admin_count),
			      "SELECT count(*) FROM admins", n);
}
