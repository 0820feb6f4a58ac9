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

struct token_args {
	const char *name;
	const char *digest;
};

/* The body of app_tx_run (struct token_args). */
static int token_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct token_args *c = arg;
	int e;

	e = store_token_insert(tx->st, c->digest, c->name, app_now());
	if (e == EEXIST)
		app_errf(err, "a token named '%s' exists already", c->name);
	if (e)
		return e;
	return app_audit(tx, LOCAL_ACTOR, APP_AUDIT_TOKEN_CREATE, c->name,
			 json_object());
}

int app_token_create(struct app *a, const char *name, char *token, size_t size,
		     struct app_err *err)
{
	char tok[SECRET_TOKEN_SIZE] = "";
	char digest[SECRET_DIGEST_SIZE];
	struct token_args c = { name, digest };
	int e;

	app_err_clear(err);
	if (!app_text_ok(name, TOKEN_NAME_MAX)) {
		app_errf(err, "token name must be 1 to %d bytes of UTF-8 "
			 "without control characters", TOKEN_NAME_MAX);
		return EINVAL;
	}
	if (!token || size < SECRET_TOKEN_SIZE) {
		app_errf(err, "token buffer too small");
		return EINVAL;
	}
	e = secret_token_new(tok, sizeof(tok));
	if (!e)
		e = secret_token_digest(tok, digest, sizeof(digest));
	if (e) {
		app_errf(err, "cannot make a token");
		goto out;
	}
	e = app_tx_run(a, token_tx, &c, err);
	if (!e)
		snprintf(token, size, "%s", tok);
 out:
	explicit_bzero(tok, sizeof(tok));
	return e;
}

/* The actor of a token seen this second (APP_TOKENS_SEEN), into name. Tokens
 * are never changed once made, and none is revoked through dialconf; one
 * deleted from the database by hand stops working within a second. */
static bool token_seen(struct app *a, const char *digest, int64_t now,
		       char *name, size_t size)
{
	const struct app_token_seen *t;
	bool hit = false;
	int i;

	pthread_mutex_lock(&a->token_mtx);
	for (i = 0; i < APP_TOKENS_SEEN && !hit; i++) {
		t = &a->tokens_seen[i];
		hit = t->at == now && !strcmp(t->digest, digest);
		if (hit)
			snprintf(name, size, "%s", t->actor);
	}
	pthread_mutex_unlock(&a->token_mtx);
	return hit;
}

/* Remember a token found in the database, in the slot seen longest ago. */
static void token_remember(struct app *a, const char *digest, int64_t now,
			   const char *name)
{
	struct app_token_seen *t, *oldest;
	int i;

	pthread_mutex_lock(&a->token_mtx);
	oldest = &a->tokens_seen[0];
	for (i = 1; i < APP_TOKENS_SEEN; i++) {
		t = &a->tokens_seen[i];
		if (t->at < oldest->at)
			oldest = t;
	}
	snprintf(oldest->digest, sizeof(oldest->digest), "%s", digest);
	snprintf(oldest->actor, sizeof(oldest->actor), "%s", name);
	oldest->at = now;
	pthread_mutex_unlock(&a->token_mtx);
}

int app_token_check(struct app *a, const char *token, char *actor, size_t size)
{
	char digest[SECRET_DIGEST_SIZE];
	char name[STORE_NAME_SIZE];
	int64_t now = app_now();
	struct store *st;
	int e = 0;

	/* Anything not shaped like one of ours is refused unhashed. */
	if (!token || !token[0] ||
	    strnlen(token, SECRET_TOKEN_SIZE) >= SECRET_TOKEN_SIZE)
		return EACCES;
	if (!actor || !size)
		return EINVAL;
	if (secret_token_digest(token, digest, sizeof(digest)))
		return EACCES;
	if (!token_seen(a, digest, now, name, sizeof(name))) {
		st = app_conn_get(a);
		e = store_token_find(st, digest, name, sizeof(name));
		app_conn_put(a, st);
		if (!e)
			token_remember(a, digest, now, name);
	}
	if (e == ENOENT)
		return EACCES;
	if (e)
		return e;
	if ((size_t)snprintf(actor, size, "%s", name) >= size)
		return ERANGE;
	return 0;
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
