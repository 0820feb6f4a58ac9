/* session: the admin center's sign-in.
 *
 * A session is a random 128-bit id, handed to the browser once as a cookie
 * and stored only as its digest, with a CSRF token the page sends back on
 * every state-changing request. It ends after adminSessionIdleMinutes
 * without a request or adminSessionMaxHours after sign-in, whichever comes
 * first, or at sign-out.
 *
 * Guessing passwords is made slow twice over: each wrong password for an
 * account makes the answer wait longer (250 ms, doubling, at most 4 s),
 * and adminLockoutAttempts wrong ones in a row lock the account for
 * adminLockoutMinutes, during which even the right password is refused.
 * A wrong username and a wrong password get the same answer, and an
 * unknown username still costs one argon2id verification, so neither the
 * answer nor its time says which accounts exist (a lockout does, by
 * nature: it only happens to real accounts).
 *
 * Never logged or audited: passwords, session ids, CSRF tokens. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_MODULE "app"
#include "app/app_priv.h"
#include "core/log.h"
#include "core/secret.h"

_Static_assert(APP_SESSION_ID_SIZE == SECRET_ID_SIZE, "session id size");
_Static_assert(STORE_DIGEST_SIZE >= SECRET_DIGEST_SIZE, "digest size");
_Static_assert(STORE_CSRF_SIZE >= SECRET_ID_SIZE, "csrf size");

#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024
#define USERNAME_MAX (STORE_NAME_SIZE - 1)
/* last_seen_at is written at most this often: a page polling every few
 * seconds should not turn every read into a database write. */
#define TOUCH_EVERY_S 60
#define DELAY_BASE_MS 250
#define DELAY_MAX_MS 4000
#define LOCAL_ACTOR "local"
#define BAD_LOGIN "wrong username or password"

struct limits {
	long attempts; /* wrong passwords in a row before the lock */
	long lock_s;
	long idle_s;
	long max_s;
};

static int limits_read(struct store *st, struct limits *l)
{
	int e;

	if ((e = app_setting_int(st, "adminLockoutAttempts", &l->attempts)) ||
	    (e = app_setting_int(st, "adminLockoutMinutes", &l->lock_s)) ||
	    (e = app_setting_int(st, "adminSessionIdleMinutes", &l->idle_s)) ||
	    (e = app_setting_int(st, "adminSessionMaxHours", &l->max_s)))
		return e;
	l->lock_s *= 60;
	l->idle_s *= 60;
	l->max_s *= 3600;
	return 0;
}

/* An argon2id hash no password matches, verified against when the
 * username is unknown so that answer takes as long as a wrong password. */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[SECRET_HASH_SIZE];

static void dummy_make(void)
{
	char pw[SECRET_ID_SIZE];

	if (secret_id_new(pw, sizeof(pw)) ||
	    secret_hash(pw, dummy_hash, sizeof(dummy_hash)))
		dummy_hash[0] = '\0';
	explicit_bzero(pw, sizeof(pw));
}

unsigned int app_session_delay_ms(int failed)
{
	unsigned int ms = DELAY_BASE_MS;

	while (--failed > 0 && ms < DELAY_MAX_MS)
		ms *= 2;
	return ms < DELAY_MAX_MS ? ms : DELAY_MAX_MS;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

struct failure_args {
	const char *username;
	const struct limits *l;
	int64_t now;
	int failed; /* out */
};

/* In tx: count one wrong password, lock the account at the limit. The
 * body of app_tx_run (struct failure_args). */
static int failure_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct failure_args *c = arg;
	const struct limits *l = c->l;
	int64_t now = c->now;
	struct store_admin adm;
	json_t *detail;
	int e;

	(void)err; /* the caller answers "wrong username or password" */
	c->failed = 0;
	e = store_admin_get(tx->st, c->username, &adm);
	if (e)
		return e;
	if (adm.locked_until > now)
		return 0; /* a parallel attempt locked it meanwhile */
	adm.failed_logins++;
	c->failed = adm.failed_logins;
	if (adm.failed_logins >= l->attempts) {
		adm.failed_logins = 0;
		adm.locked_until = now + l->lock_s;
	}
	e = store_admin_update(tx->st, &adm);
	if (e)
		return e;
	detail = adm.locked_until > now ?
		json_pack("{s:s, s:b, s:I}", "reason", "password",
			  "locked", 1, "lockedSeconds", (json_int_t)l->lock_s) :
		json_pack("{s:s, s:i}", "reason", "password",
			  "failedAttempts", c->failed);
	return app_audit(tx, c->username, APP_AUDIT_SESSION_FAILURE, c->username,
			 detail);
}

static int record_failure(struct app *a, const char *username,
			  const struct limits *l, int64_t now, int *failed)
{
	struct failure_args c = { username, l, now, 0 };
	int e;

	e = app_tx_run(a, failure_tx, &c, NULL);
	if (!e)
		*failed = c.failed;
	return e;
}

/* The locked answer, from the account's row as read. */
static bool locked(const struct store_admin *adm, int64_t now,
		   int64_t *retry_after, struct app_err *err)
{
	if (adm->locked_until <= now)
		return false;
	*retry_after = adm->locked_until - now;
	app_errf(err, "too many wrong passwords: try again in %lld minutes",
		 (long long)((*retry_after + 59) / 60));
	return true;
}

/* What create_tx returns for a locked account, which the caller turns into
 * EAGAIN: a body returns EAGAIN for the store's conflicts only, which
 * app_tx_run runs again. Negative, so never an errno value. */
#define LOCKED (-1)

struct create_args {
	const char *username;
	const struct limits *l;
	int64_t now;
	struct app_session out; /* out */
	int64_t retry_after;    /* out, with LOCKED */
};

/* In tx: the session row, the counter back to 0, housekeeping, audit. The
 * body of app_tx_run (struct create_args). */
static int create_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct create_args *c = arg;
	struct app_session *out = &c->out;
	int64_t now = c->now;
	struct store_session ss;
	struct store_admin adm;
	int e;

	memset(out, 0, sizeof(*out));
	c->retry_after = 0;
	e = store_admin_get(tx->st, c->username, &adm);
	if (e)
		return e == ENOENT ? EACCES : e;
	/* A parallel attempt locked it since verify(). */
	if (locked(&adm, now, &c->retry_after, err))
		return LOCKED;
	if (adm.failed_logins) {
		adm.failed_logins = 0;
		e = store_admin_update(tx->st, &adm);
		if (e)
			return e;
	}
	/* Sessions nobody signs out of would pile up otherwise. */
	e = store_session_purge(tx->st, now, now - c->l->idle_s);
	if (e)
		return e;

	memset(&ss, 0, sizeof(ss));
	if ((e = secret_id_new(out->id, sizeof(out->id))) ||
	    (e = secret_id_new(out->csrf, sizeof(out->csrf))) ||
	    (e = secret_token_digest(out->id, ss.digest, sizeof(ss.digest))))
		return e;
	snprintf(ss.csrf, sizeof(ss.csrf), "%s", out->csrf);
	ss.admin_id = adm.id;
	ss.created_at = ss.last_seen_at = now;
	ss.expires_at = now + c->l->max_s;
	e = store_session_insert(tx->st, &ss);
	if (e)
		return e;
	snprintf(out->username, sizeof(out->username), "%s", adm.username);
	out->expires_at = ss.expires_at;
	return app_audit(tx, adm.username, APP_AUDIT_SESSION_CREATE,
			 adm.username,
			 json_pack("{s:I}", "expiresAt",
				   (json_int_t)ss.expires_at));
}

/* Look the account up and check its password, outside any transaction
 * (argon2id takes 0.1 s: no write lock is held meanwhile). */
static int verify(struct app *a, const char *username, const char *password,
		  struct limits *l, int64_t now, int64_t *retry_after,
		  struct app_err *err)
{
	struct store_admin adm;
	struct store *st;
	int e;

	st = app_conn_get(a);
	e = limits_read(st, l);
	if (!e)
		e = store_admin_get(st, username, &adm);
	app_conn_put(a, st);
	if (e == ENOENT) {
		pthread_once(&dummy_once, dummy_make);
		(void)secret_verify(dummy_hash, password);
		return EACCES;
	}
	if (e)
		return e;
	if (locked(&adm, now, retry_after, err))
		return EAGAIN;
	e = secret_verify(adm.password_hash, password) ? 0 : EPERM;
	explicit_bzero(&adm, sizeof(adm));
	return e;
}

int app_session_create_at(struct app *a, const char *username,
			  const char *password, int64_t now,
			  struct app_session *out, int64_t *retry_after,
			  int *failed, struct app_err *err)
{
	struct limits l;
	struct create_args c = { .username = username, .l = &l, .now = now };
	int e;

	app_err_clear(err);
	*failed = 0;
	*retry_after = 0;
	memset(out, 0, sizeof(*out));
	if (!app_text_ok(username, USERNAME_MAX) || !password ||
	    strnlen(password, PASSWORD_MAX + 1) > PASSWORD_MAX) {
		app_errf(err, BAD_LOGIN);
		return EACCES;
	}
	e = verify(a, username, password, &l, now, retry_after, err);
	if (e == EPERM) {
		e = record_failure(a, username, &l, now, failed);
		if (!e || e == ENOENT)
			e = EACCES;
	}
	if (e)
		goto out;
	e = app_tx_run(a, create_tx, &c, err);
	if (e == LOCKED) {
		*retry_after = c.retry_after;
		e = EAGAIN;
	}
	if (!e)
		*out = c.out;
 out:
	if (e == EACCES)
		app_errf(err, BAD_LOGIN);
	else if (e == EAGAIN && err && !err->detail[0])
		app_errf(err, "too many wrong passwords: try again later");
	if (e)
		explicit_bzero(out, sizeof(*out));
	explicit_bzero(&c.out, sizeof(c.out));
	return e;
}

int app_session_create(struct app *a, const char *username,
		       const char *password, struct app_session *out,
		       int64_t *retry_after, struct app_err *err)
{
	int failed = 0;
	int e;

	e = app_session_create_at(a, username, password, app_now(), out,
				  retry_after, &failed, err);
	if (e == EACCES)
		sleep_ms(app_session_delay_ms(failed));
	if (e == EACCES || e == EAGAIN)
		log_info("event=session.failure reason=%s",
			 e == EAGAIN ? "locked" : "credentials");
	return e;
}

struct touch_args {
	const char *digest;
	int64_t now;
};

/* The body of app_tx_run (struct touch_args). */
static int touch_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct touch_args *c = arg;
	int e;

	(void)err;
	e = store_session_touch(tx->st, c->digest, c->now);
	if (e == ENOENT)
		e = 0; /* signed out or touched by a parallel request */
	return e;
}

static int touch(struct app *a, const char *digest, int64_t now)
{
	struct touch_args c = { digest, now };

	return app_tx_run(a, touch_tx, &c, NULL);
}

/* Look the session up; EACCES when unknown or over one of its times. */
static int session_find(struct app *a, const char *id, int64_t now,
			char *digest, size_t dsize, struct store_session *ss)
{
	struct limits l;
	struct store *st;
	int e;

	/* Anything not shaped like one of our ids is refused unhashed. */
	if (!id || strnlen(id, SECRET_ID_SIZE) != SECRET_ID_SIZE - 1)
		return EACCES;
	if (secret_token_digest(id, digest, dsize))
		return EACCES;
	st = app_conn_get(a);
	e = limits_read(st, &l);
	if (!e)
		e = store_session_get(st, digest, ss);
	app_conn_put(a, st);
	if (e == ENOENT)
		return EACCES;
	if (e)
		return e;
	if (now >= ss->expires_at || now - ss->last_seen_at >= l.idle_s)
		return EACCES;
	return 0;
}

int app_session_check_at(struct app *a, const char *id, const char *csrf,
			 bool state_changing, int64_t now,
			 struct app_session *out)
{
	char digest[SECRET_DIGEST_SIZE];
	struct store_session ss;
	int e;

	if (!out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	e = session_find(a, id, now, digest, sizeof(digest), &ss);
	if (e)
		return e;
	if (state_changing && !secret_equal(csrf, ss.csrf))
		return EPERM;
	if (now - ss.last_seen_at >= TOUCH_EVERY_S) {
		e = touch(a, digest, now);
		if (e)
			return e;
	}
	snprintf(out->id, sizeof(out->id), "%s", id);
	/* Ours are SECRET_ID_SIZE - 1 long; %.*s says so to the compiler. */
	snprintf(out->csrf, sizeof(out->csrf), "%.*s",
		 (int)sizeof(out->csrf) - 1, ss.csrf);
	snprintf(out->username, sizeof(out->username), "%s", ss.username);
	out->expires_at = ss.expires_at;
	return 0;
}

int app_session_check(struct app *a, const char *id, const char *csrf,
		      bool state_changing, struct app_session *out)
{
	return app_session_check_at(a, id, csrf, state_changing, app_now(),
				    out);
}

/* The body of app_tx_run (arg: the session's digest). */
static int delete_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const char *digest = arg;
	struct store_session ss;
	int e;

	(void)err;
	e = store_session_get(tx->st, digest, &ss);
	if (e)
		return e;
	e = store_session_delete(tx->st, digest);
	if (e)
		return e;
	return app_audit(tx, ss.username, APP_AUDIT_SESSION_DELETE, ss.username,
			 json_object());
}

int app_session_delete(struct app *a, const char *id)
{
	char digest[SECRET_DIGEST_SIZE];

	if (!id || strnlen(id, SECRET_ID_SIZE) != SECRET_ID_SIZE - 1 ||
	    secret_token_digest(id, digest, sizeof(digest)))
		return ENOENT;
	return app_tx_run(a, delete_tx, digest, NULL);
}

struct passwd_args {
	const char *username;
	const char *hash;
	bool created; /* out */
};

/* In tx: the new hash, the lock lifted, every session of the account
 * ended (whoever knew the old password is out). The body of app_tx_run
 * (struct passwd_args). */
static int passwd_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct passwd_args *c = arg;
	const char *username = c->username;
	const char *hash = c->hash;
	struct store_admin adm;
	int e;

	(void)err;
	c->created = false;
	e = store_admin_get(tx->st, username, &adm);
	if (e == ENOENT) {
		memset(&adm, 0, sizeof(adm));
		snprintf(adm.username, sizeof(adm.username), "%s", username);
		snprintf(adm.password_hash, sizeof(adm.password_hash), "%s",
			 hash);
		e = store_admin_insert(tx->st, &adm);
		c->created = true;
	}
	else if (!e) {
		snprintf(adm.password_hash, sizeof(adm.password_hash), "%s",
			 hash);
		adm.failed_logins = 0;
		adm.locked_until = 0;
		e = store_admin_update(tx->st, &adm);
		if (!e)
			e = store_session_delete_admin(tx->st, adm.id);
	}
	if (e)
		return e;
	return app_audit(tx, LOCAL_ACTOR, c->created ? APP_AUDIT_ADMIN_CREATE :
			 APP_AUDIT_ADMIN_PASSWD, username, json_object());
}

int app_admin_passwd(struct app *a, const char *username,
		     const char *password, bool *created, struct app_err *err)
{
	char hash[SECRET_HASH_SIZE] = "";
	struct passwd_args c = { username, hash, false };
	size_t len;
	int e;

	app_err_clear(err);
	if (!app_text_ok(username, USERNAME_MAX)) {
		app_errf(err, "the username must be 1 to %d bytes of UTF-8 "
			 "without control characters", USERNAME_MAX);
		return EINVAL;
	}
	len = password ? strnlen(password, PASSWORD_MAX + 1) : 0;
	if (len < PASSWORD_MIN || len > PASSWORD_MAX) {
		app_errf(err, "the password must be %d to %d bytes long",
			 PASSWORD_MIN, PASSWORD_MAX);
		return EINVAL;
	}
	e = secret_hash(password, hash, sizeof(hash));
	if (e) {
		app_errf(err, "cannot hash the password");
		goto out;
	}
	e = app_tx_run(a, passwd_tx, &c, err);
	if (!e && created)
		*created = c.created;
	if (!e) {
		/* Left there, the file would show a password that no longer
		 * works, or tempt someone to use it. The change stands even
		 * when it cannot go, so only say so. */
		int d = app_admin_password_file_drop(a, username);

		if (d && d != ENOENT)
			log_warn("event=password-file-kept error=\"%s\"",
				 strerror(d));
	}
 out:
	explicit_bzero(hash, sizeof(hash));
	return e;
}
