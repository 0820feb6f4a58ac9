/* credential: API tokens and the first administrator account. Tokens are
 * stored as digests, passwords as argon2id hashes; neither the token nor
 * the password is ever logged or audited, only names. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app_priv.h"
#include "core/secret.h"

#define TOKEN_NAME_MAX (STORE_NAME_SIZE - 1)
#define ADMIN_USER "admin"
#define ADMIN_PASSWORD_LEN 20
#define ADMIN_PASSWORD_FILE "initial-admin-password"
/* Who made a token: `dialconf admin token` runs offline, on the machine. */
#define LOCAL_ACTOR "local"

/* A token's last use is written at most this often: a script calling the
 * API in a loop should not turn every request into a database write. */
#define TOKEN_TOUCH_EVERY_S 60

static void token_out(const struct store_token *t, struct app_token *out)
{
	memset(out, 0, sizeof(*out));
	out->id = t->id;
	snprintf(out->name, sizeof(out->name), "%s", t->name);
	out->created_at = t->created_at;
	out->expires_at = t->expires_at;
	out->last_used_at = t->last_used_at;
}

struct token_args {
	const char *actor;
	struct store_token t;
};

/* The body of app_tx_run (struct token_args). */
static int token_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct token_args *c = arg;
	json_t *detail;
	int e;

	(void)err;
	e = store_token_insert(tx->st, &c->t);
	if (e)
		return e;
	detail = json_pack("{s:I}", "id", (json_int_t)c->t.id);
	if (detail && c->t.expires_at)
		json_object_set_new(detail, "expiresAt",
				    json_integer(c->t.expires_at));
	return app_audit(tx, c->actor, APP_AUDIT_TOKEN_CREATE, c->t.name,
			 detail);
}

int app_token_create(struct app *a, const char *actor, const char *name,
		     int64_t expires_at, char *token, size_t size,
		     struct app_token *out, struct app_err *err)
{
	char tok[SECRET_TOKEN_SIZE] = "";
	struct token_args c = { .actor = actor ? actor : LOCAL_ACTOR };
	int64_t now = app_now();
	int e;

	app_err_clear(err);
	if (!app_text_ok(name, TOKEN_NAME_MAX)) {
		app_errf(err, "token name must be 1 to %d bytes of UTF-8 "
			 "without control characters", TOKEN_NAME_MAX);
		return EINVAL;
	}
	if (expires_at != 0 && expires_at <= now) {
		app_errf(err, "a token's expiry must lie in the future");
		return EINVAL;
	}
	if (!token || size < SECRET_TOKEN_SIZE) {
		app_errf(err, "token buffer too small");
		return EINVAL;
	}
	e = secret_token_new(tok, sizeof(tok));
	if (!e)
		e = secret_token_digest(tok, c.t.digest, sizeof(c.t.digest));
	if (e) {
		app_errf(err, "cannot make a token");
		goto out;
	}
	snprintf(c.t.name, sizeof(c.t.name), "%s", name);
	c.t.created_at = now;
	c.t.expires_at = expires_at;
	e = app_tx_run(a, token_tx, &c, err);
	if (!e) {
		snprintf(token, size, "%s", tok);
		if (out)
			token_out(&c.t, out);
	}
 out:
	explicit_bzero(tok, sizeof(tok));
	explicit_bzero(&c.t, sizeof(c.t));
	return e;
}

struct list_args {
	app_token_h *h;
	void *arg;
};

static int list_one(const struct store_token *t, void *arg)
{
	const struct list_args *c = arg;
	struct app_token out;

	token_out(t, &out);
	return c->h(&out, c->arg);
}

int app_token_list(struct app *a, app_token_h *h, void *arg,
		   struct app_err *err)
{
	struct list_args c = { h, arg };
	struct store *st;
	int e;

	app_err_clear(err);
	st = app_conn_get(a);
	e = store_token_list(st, list_one, &c);
	app_conn_put(a, st);
	return e;
}

struct revoke_args {
	const char *actor;
	int64_t id;
};

/* Find one token by id in a list (store_token_h). */
struct token_pick {
	int64_t id;
	struct store_token *t;
	bool *found;
};

static int token_pick(const struct store_token *t, void *arg)
{
	const struct token_pick *p = arg;

	if (t->id == p->id) {
		*p->t = *t;
		*p->found = true;
	}
	return 0;
}

/* The body of app_tx_run (struct revoke_args). */
static int revoke_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct revoke_args *c = arg;
	struct store_token t;
	bool found = false;
	int e;

	/* No lookup by id: the list is short (tokens are made by hand). */
	(void)err;
	memset(&t, 0, sizeof(t));
	e = store_token_list(tx->st, token_pick, &(struct token_pick){
				     c->id, &t, &found });
	if (!e && !found)
		e = ENOENT;
	if (!e)
		e = store_token_delete(tx->st, c->id);
	if (!e)
		e = app_audit(tx, c->actor, APP_AUDIT_TOKEN_REVOKE, t.name,
			      json_pack("{s:I}", "id", (json_int_t)c->id));
	explicit_bzero(&t, sizeof(t));
	return e;
}

int app_token_revoke(struct app *a, const char *actor, int64_t id,
		     struct app_err *err)
{
	struct revoke_args c = { actor ? actor : LOCAL_ACTOR, id };
	int e;

	app_err_clear(err);
	e = app_tx_run(a, revoke_tx, &c, err);
	if (e == ENOENT)
		app_errf(err, "no token has id %lld", (long long)id);
	return e;
}

struct touch_args {
	int64_t id;
	int64_t now;
};

/* The body of app_tx_run_relaxed (struct touch_args). */
static int touch_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct touch_args *c = arg;

	(void)err;
	return store_token_touch(tx->st, c->id, c->now);
}

/* Look digest up (or find the copy of it that nothing has committed
 * since); its last use written when older than a minute, in a
 * transaction of its own (the lookup may share a read transaction with the
 * rest of the request, which must not become a write). A failed write
 * costs the request nothing: the use is only a hint. */
static int token_lookup(struct app *a, const char *digest, int64_t now,
			struct store_token *t)
{
	struct store_stamp stamp, read_at;
	bool stamped = app_memo_now(a, &stamp) == 0;
	struct store *st;
	int e = 0;

	if (!stamped || !app_memo_find(a, APP_MEMO_TOKEN, digest, &stamp,
				       t, sizeof(*t))) {
		st = app_conn_get(a);
		e = store_token_find(st, digest, t);
		if (!e && stamped) {
			app_memo_read_at(a, &stamp, &read_at);
			app_memo_keep(a, APP_MEMO_TOKEN, digest, &read_at, t,
				      sizeof(*t));
		}
		app_conn_put(a, st);
	}
	if (!e && (!t->expires_at || now < t->expires_at) &&
	    now - t->last_used_at >= TOKEN_TOUCH_EVERY_S)
		(void)app_tx_run_relaxed(a, touch_tx,
					 &(struct touch_args){ t->id, now },
					 NULL);
	return e;
}

int app_token_check(struct app *a, const char *token, char *actor, size_t size)
{
	char digest[SECRET_DIGEST_SIZE];
	int64_t now = app_now();
	struct store_token t;
	int e;

	/* Anything not shaped like one of ours is refused unhashed. */
	if (!token || !token[0] ||
	    strnlen(token, SECRET_TOKEN_SIZE) >= SECRET_TOKEN_SIZE)
		return EACCES;
	if (!actor || !size)
		return EINVAL;
	if (secret_token_digest(token, digest, sizeof(digest)))
		return EACCES;
	/* Asked of the database, or of a copy made since which nothing has
	 * committed (memo.c): a token revoked on any node or by any process is
	 * refused by the next request here; expiry is checked every time. */
	e = token_lookup(a, digest, now, &t);
	if (e == ENOENT)
		e = EACCES;
	else if (!e && t.expires_at && now >= t.expires_at)
		e = EACCES;
	else if (!e && (size_t)snprintf(actor, size, "%s", t.name) >= size)
		e = ERANGE;
	return e;
}

/* Write the password to a new file of mode 0600. A file left there while no
 * admin exists is stale (a start that failed before its commit, or a wiped
 * database) and is replaced; O_EXCL and O_NOFOLLOW keep us from writing
 * through a link someone put in its place. */
static int password_file_write(const char *path, const char *password)
{
	size_t len = strlen(password);
	ssize_t n;
	int fd;
	int e = 0;

	if (unlink(path) && errno != ENOENT)
		return errno;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return errno;
	if (fchmod(fd, 0600))
		e = errno;
	if (!e) {
		n = write(fd, password, len);
		if (n < 0 || (size_t)n != len)
			e = n < 0 ? errno : EIO;
	}
	if (!e && write(fd, "\n", 1) != 1)
		e = EIO;
	if (!e && fsync(fd))
		e = errno;
	if (close(fd) && !e)
		e = errno;
	if (e)
		(void)unlink(path);
	return e;
}

int app_admin_password_file_drop(struct app *a, const char *username)
{
	char path[4096];

	/* The file only ever holds the first password of "admin". */
	if (strcmp(username, ADMIN_USER))
		return ENOENT;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", a->datadir,
			     ADMIN_PASSWORD_FILE) >= sizeof(path))
		return ENAMETOOLONG;
	return unlink(path) ? errno : 0;
}

static int admin_count(struct app *a, int64_t *n)
{
	struct store *st = app_conn_get(a);
	int e;

	e = store_admin_count(st, n);
	app_conn_put(a, st);
	return e;
}

struct admin_args {
	const char *path;
	const char *password;
	const char *hash;
	bool written; /* out */
};

/* In tx: the admin row, its audit record and the password file. The file is
 * written last so that a failure before it leaves nothing behind; written
 * tells the caller to remove it should the commit fail. The body of
 * app_tx_run (struct admin_args): a lost run's file goes first, or a run
 * that finds an admin made meanwhile would leave a password file behind
 * for an account it did not make. */
static int admin_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct admin_args *c = arg;
	const char *path = c->path;
	struct store_admin adm;
	int64_t n;
	int e;

	if (c->written)
		(void)unlink(path);
	c->written = false;
	e = store_admin_count(tx->st, &n);
	if (e || n > 0)
		return e; /* another process made one meanwhile */
	memset(&adm, 0, sizeof(adm));
	snprintf(adm.username, sizeof(adm.username), "%s", ADMIN_USER);
	snprintf(adm.password_hash, sizeof(adm.password_hash), "%s", c->hash);
	e = store_admin_insert(tx->st, &adm);
	if (!e)
		e = app_audit(tx, "system", APP_AUDIT_ADMIN_CREATE, ADMIN_USER,
			      json_pack("{s:s}", "passwordFile", path));
	if (e)
		return e;
	e = password_file_write(path, c->password);
	if (e) {
		app_errf(err, "cannot write %s: %s", path, strerror(e));
		return e;
	}
	c->written = true;
	return 0;
}

int app_admin_ensure(struct app *a, const char *datadir, char *password,
		     size_t size, bool *created, struct app_err *err)
{
	char pw[ADMIN_PASSWORD_LEN + 1] = "";
	char hash[SECRET_HASH_SIZE] = "";
	char path[4096];
	struct admin_args c = { path, pw, hash, false };
	int64_t n;
	int e;

	app_err_clear(err);
	if (created)
		*created = false;
	if (!password || size < sizeof(pw)) {
		app_errf(err, "password buffer too small");
		return EINVAL;
	}
	password[0] = '\0';
	if (!datadir)
		datadir = a->datadir;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", datadir,
			     ADMIN_PASSWORD_FILE) >= sizeof(path)) {
		app_errf(err, "data directory path too long");
		return EINVAL;
	}
	e = admin_count(a, &n);
	if (e || n > 0)
		goto out;

	e = app_datadir_make(datadir);
	if (e) {
		app_errf(err, "cannot create %s: %s", datadir, strerror(e));
		goto out;
	}
	e = secret_password_new(pw, sizeof(pw), ADMIN_PASSWORD_LEN);
	if (!e)
		e = secret_hash(pw, hash, sizeof(hash));
	if (e) {
		app_errf(err, "cannot make a password");
		goto out;
	}
	e = app_tx_run(a, admin_tx, &c, err);
	if (e == EEXIST) {
		/* Another node sharing the database made it at the same
		 * moment: its password file and output carry the password. */
		app_err_clear(err);
		e = 0;
	}
	if (e && c.written)
		(void)unlink(path);
	if (e || !c.written)
		goto out;
	snprintf(password, size, "%s", pw);
	if (created)
		*created = true;
 out:
	if (e && err && !err->detail[0])
		app_errf(err, "cannot create the admin account: %s",
			 strerror(e));
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(hash, sizeof(hash));
	return e;
}
