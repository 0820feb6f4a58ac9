/* pg_org: the organization's own data in the PostgreSQL backend, the mirror
 * of sqlite_org.c: dial-in numbers, settings, the audit log, API tokens and
 * admin accounts. Text orderings use COLLATE "C" so that lists come out in
 * the same (byte) order as from SQLite, whatever the database's locale. */
#include <errno.h>
#include <string.h>

#include "store/pg_priv.h"

#define NUMBER_COLS \
	"SELECT number, toll_free, country, city, languages, is_default" \
	" FROM dial_in_numbers "

static int read_number(const PGresult *res, int row, struct store_number *n)
{
	int err;

	memset(n, 0, sizeof(*n));
	n->toll_free = pgstore_bool(res, row, 1);
	n->is_default = pgstore_bool(res, row, 5);

	if ((err = pgstore_text(res, row, 0, n->number, sizeof(n->number))) ||
	    (err = pgstore_text(res, row, 2, n->country,
				sizeof(n->country))) ||
	    (err = pgstore_text(res, row, 3, n->city, sizeof(n->city))) ||
	    (err = pgstore_text(res, row, 4, n->languages,
				sizeof(n->languages))))
		return err;

	return 0;
}

/* A second default of the same type is EEXIST (the partial unique index):
 * make a new number the default with number_set_default. */
int pgstore_number_insert(void *conn, const struct store_number *n)
{
	static const char sql[] =
		"INSERT INTO dial_in_numbers (number, toll_free, country,"
		" city, languages, is_default) VALUES ($1, $2, $3, $4, $5, $6)";
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, n->number, sizeof(n->number));
	pgp_bool(&pp, n->toll_free);
	pgp_text(&pp, n->country, sizeof(n->country));
	pgp_text(&pp, n->city, sizeof(n->city));
	pgp_text(&pp, n->languages, sizeof(n->languages));
	pgp_bool(&pp, n->is_default);
	return pgstore_changes(conn, PGS_OP(number_insert), sql, &pp);
}

int pgstore_number_get(void *conn, const char *number,
		       struct store_number *n)
{
	static const char sql[] = NUMBER_COLS "WHERE number = $1";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_text(&pp, number, STORE_NUMBER_SIZE);
	err = pgstore_one(conn, PGS_OP(number_get), sql, &pp, &res);
	if (!err)
		err = read_number(res, 0, n);
	PQclear(res);
	return err;
}

int pgstore_number_delete(void *conn, const char *number)
{
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, number, STORE_NUMBER_SIZE);
	return pgstore_changes(conn, PGS_OP(number_delete),
			       "DELETE FROM dial_in_numbers WHERE number = $1",
			       &pp);
}

static int number_flag(struct pgstore *p, enum pgstore_stmt id,
		       const char *sql, const char *number, bool toll_free)
{
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, number, STORE_NUMBER_SIZE);
	pgp_bool(&pp, toll_free);
	return pgstore_run(p, id, sql, &pp, NULL);
}

/* Clear the old default first: the one-default index is checked row by
 * row, so setting the new flag first would clash with the old one. */
int pgstore_number_set_default(void *conn, const char *number)
{
	struct pgstore *p = conn;
	struct store_number n;
	bool own_tx;
	int err;

	err = pgstore_atomic_begin(p, &own_tx);
	if (err)
		return err;

	err = pgstore_number_get(p, number, &n);
	if (err)
		goto out;

	err = number_flag(p, PGS_NUMBER_CLEAR_DEFAULT,
			  "UPDATE dial_in_numbers SET is_default = false"
			  " WHERE toll_free = $2 AND is_default"
			  " AND number <> $1", number, n.toll_free);
	if (err)
		goto out;

	err = number_flag(p, PGS_OP(number_set_default),
			  "UPDATE dial_in_numbers SET is_default = true"
			  " WHERE number = $1 AND toll_free = $2",
			  number, n.toll_free);

 out:
	return pgstore_atomic_end(p, own_tx, err);
}

/* Toll numbers first, each type's default first, then by number. */
int pgstore_number_list(void *conn, store_number_h *h, void *arg)
{
	static const char sql[] = NUMBER_COLS
		"ORDER BY toll_free, is_default DESC, number COLLATE \"C\"";
	struct store_number n;
	PGresult *res = NULL;
	int i, err;

	err = pgstore_run(conn, PGS_OP(number_list), sql, NULL, &res);
	for (i = 0; !err && i < PQntuples(res); i++) {
		err = read_number(res, i, &n);
		if (!err)
			err = h(&n, arg);
	}
	PQclear(res);
	return err;
}

int pgstore_setting_get(void *conn, const char *name, char *value,
			size_t size)
{
	static const char sql[] = "SELECT value FROM settings WHERE name = $1";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_text(&pp, name, strlen(name) + 1);
	err = pgstore_one(conn, PGS_OP(setting_get), sql, &pp, &res);
	if (!err)
		err = pgstore_text(res, 0, 0, value, size);
	PQclear(res);
	return err;
}

int pgstore_setting_set(void *conn, const char *name, const char *value)
{
	static const char sql[] =
		"INSERT INTO settings (name, value) VALUES ($1, $2)"
		" ON CONFLICT (name) DO UPDATE SET value = excluded.value";
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, name, strlen(name) + 1);
	pgp_text(&pp, value, strlen(value) + 1);
	return pgstore_changes(conn, PGS_OP(setting_set), sql, &pp);
}

int pgstore_setting_list(void *conn, store_setting_h *h, void *arg)
{
	static const char sql[] =
		"SELECT name, value FROM settings ORDER BY name COLLATE \"C\"";
	PGresult *res = NULL;
	int i, err;

	err = pgstore_run(conn, PGS_OP(setting_list), sql, NULL, &res);
	for (i = 0; !err && i < PQntuples(res); i++)
		err = h(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), arg);
	PQclear(res);
	return err;
}

/* An empty detail is stored as "{}" so the column always holds JSON.
 * Inside a transaction the record goes out with the next statement or the
 * COMMIT (pgstore_defer): a->id stays 0 then (nothing reads it), and a
 * refusal fails the commit instead, which rolls the use case back as a
 * refusal here would. */
int pgstore_audit_insert(void *conn, struct store_audit *a)
{
	static const char sql[] =
		"INSERT INTO audit (at, actor, action, target, detail)"
		" VALUES ($1, $2, $3, $4, $5) RETURNING id";
	const char *detail = a->detail[0] ? a->detail : "{}";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_int(&pp, a->at);
	pgp_text(&pp, a->actor, sizeof(a->actor));
	pgp_text(&pp, a->action, sizeof(a->action));
	pgp_text(&pp, a->target, sizeof(a->target));
	pgp_text(&pp, detail, sizeof(a->detail));

	if (pgstore_in_tx(conn)) {
		a->id = 0;
		return pgstore_defer(conn, PGS_OP(audit_insert), sql, &pp);
	}
	err = pgstore_run(conn, PGS_OP(audit_insert), sql, &pp, &res);
	if (!err)
		a->id = pgstore_int(res, 0, 0);
	PQclear(res);
	return err;
}

static int read_audit(const PGresult *res, int row, struct store_audit *a)
{
	int err;

	memset(a, 0, sizeof(*a));
	a->id = pgstore_int(res, row, 0);
	a->at = pgstore_int(res, row, 1);

	if ((err = pgstore_text(res, row, 2, a->actor, sizeof(a->actor))) ||
	    (err = pgstore_text(res, row, 3, a->action, sizeof(a->action))) ||
	    (err = pgstore_text(res, row, 4, a->target, sizeof(a->target))) ||
	    (err = pgstore_text(res, row, 5, a->detail, sizeof(a->detail))))
		return err;

	return 0;
}

/* Newest first; limit <= 0 lists everything. */
int pgstore_audit_list(void *conn, int limit, store_audit_h *h, void *arg)
{
	static const char sql[] =
		"SELECT id, at, actor, action, target, detail FROM audit"
		" ORDER BY id DESC LIMIT $1";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	struct store_audit a;
	int i, err;

	pgp_opt_int(&pp, limit > 0 ? limit : 0);
	err = pgstore_run(conn, PGS_OP(audit_list), sql, &pp, &res);
	for (i = 0; !err && i < PQntuples(res); i++) {
		err = read_audit(res, i, &a);
		if (!err)
			err = h(&a, arg);
	}
	PQclear(res);
	return err;
}

int pgstore_token_insert(void *conn, struct store_token *t)
{
	static const char sql[] =
		"INSERT INTO api_tokens (digest, name, created_at, expires_at,"
		" last_used_at) VALUES ($1, $2, $3, $4, $5) RETURNING id";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_text(&pp, t->digest, sizeof(t->digest));
	pgp_text(&pp, t->name, sizeof(t->name));
	pgp_int(&pp, t->created_at);
	pgp_int(&pp, t->expires_at);
	pgp_int(&pp, t->last_used_at);
	err = pgstore_run(conn, PGS_OP(token_insert), sql, &pp, &res);
	if (!err)
		t->id = pgstore_int(res, 0, 0);
	PQclear(res);
	return err;
}

#define TOKEN_COLUMNS "id, digest, name, created_at, expires_at, last_used_at"

static int read_token(const PGresult *res, int row, struct store_token *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->id = pgstore_int(res, row, 0);
	t->created_at = pgstore_int(res, row, 3);
	t->expires_at = pgstore_int(res, row, 4);
	t->last_used_at = pgstore_int(res, row, 5);
	if ((err = pgstore_text(res, row, 1, t->digest, sizeof(t->digest))) ||
	    (err = pgstore_text(res, row, 2, t->name, sizeof(t->name))))
		return err;
	return 0;
}

int pgstore_token_find(void *conn, const char *digest, struct store_token *t)
{
	static const char sql[] =
		"SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE digest = $1";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_text(&pp, digest, strlen(digest) + 1);
	err = pgstore_one(conn, PGS_OP(token_find), sql, &pp, &res);
	if (!err)
		err = read_token(res, 0, t);
	PQclear(res);
	return err;
}

int pgstore_token_list(void *conn, store_token_h *h, void *arg)
{
	static const char sql[] =
		"SELECT " TOKEN_COLUMNS " FROM api_tokens ORDER BY id";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	struct store_token t;
	int i, err;

	err = pgstore_run(conn, PGS_OP(token_list), sql, &pp, &res);
	for (i = 0; !err && i < PQntuples(res); i++) {
		err = read_token(res, i, &t);
		if (!err)
			err = h(&t, arg);
	}
	PQclear(res);
	return err;
}

int pgstore_token_delete(void *conn, int64_t id)
{
	static const char sql[] = "DELETE FROM api_tokens WHERE id = $1";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, id);
	return pgstore_changes(conn, PGS_OP(token_delete), sql, &pp);
}

int pgstore_token_touch(void *conn, int64_t id, int64_t at)
{
	static const char sql[] =
		"UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, id);
	pgp_int(&pp, at);
	return pgstore_changes(conn, PGS_OP(token_touch), sql, &pp);
}

int pgstore_admin_insert(void *conn, struct store_admin *a)
{
	static const char sql[] =
		"INSERT INTO admins (username, password_hash) VALUES ($1, $2)"
		" RETURNING id";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_text(&pp, a->username, sizeof(a->username));
	pgp_text(&pp, a->password_hash, sizeof(a->password_hash));
	err = pgstore_run(conn, PGS_OP(admin_insert), sql, &pp, &res);
	if (!err)
		a->id = pgstore_int(res, 0, 0);
	PQclear(res);
	return err;
}

int pgstore_admin_get(void *conn, const char *username,
		      struct store_admin *a)
{
	static const char sql[] =
		"SELECT id, username, password_hash, failed_logins,"
		" locked_until FROM admins WHERE username = $1";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_text(&pp, username, STORE_NAME_SIZE);
	err = pgstore_one(conn, PGS_OP(admin_get), sql, &pp, &res);
	if (err)
		goto out;

	memset(a, 0, sizeof(*a));
	a->id = pgstore_int(res, 0, 0);
	a->failed_logins = (int)pgstore_int(res, 0, 3);
	a->locked_until = pgstore_int(res, 0, 4);
	err = pgstore_text(res, 0, 1, a->username, sizeof(a->username));
	if (!err)
		err = pgstore_text(res, 0, 2, a->password_hash,
				   sizeof(a->password_hash));

 out:
	PQclear(res);
	return err;
}

int pgstore_admin_count(void *conn, int64_t *n)
{
	return pgstore_count(conn, PGS_OP(admin_count),
			     "SELECT count(*) FROM admins", n);
}
