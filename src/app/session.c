/* session: the admin center's sign-in.
 *
 * A session is a random 128-bit id, handed to the browser once as a cookie
 * and stored only as its digest, with a CSRF token the page sends back on
 * every state-changing request. It ends after adminSessionIdleMinutes
 * without a request or adminSessionMaxHours after sign-in, whichever comes
 * first, or at sign-out.
 *
 * Guessing passwords is throttled, never by locking an account (which
 * would let anyone lock the administrator out) and never by sleeping in
 * an HTTP thread (which would let a few clients stall the API). Two abuse
 * guard counters (core/guard.h), kept in the database so that every node
 * sees them, count failed sign-ins within SIGNIN_WINDOW_S:
 *   "signin:pair:ADDRESS:USERNAME"  one address guessing one account;
 *                                   over adminSigninFailureLimit;
 *   "signin:addr:ADDRESS"           one address guessing any accounts;
 *                                   over adminSigninAddressFailureLimit.
 * A blocked key is answered 429 with Retry-After at once, before any
 * password is checked: the right password from another address still
 * works. Keys name the username as typed, whether or not it exists, and
 * an unknown username costs one argon2id check like a wrong password, so
 * neither answers, times nor throttling say which accounts exist.
 *
 * Each check takes 64 MiB and 0.1 s of a core: at most
 * adminSigninConcurrentChecks run at once per process; beyond them the
 * answer is EBUSY at once (503 with Retry-After).
 *
 * Never logged or audited: passwords, session ids, CSRF tokens. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_MODULE "app"
#include "app/app_priv.h"
#include "core/guard.h"
#include "core/log.h"
#include "core/netaddr.h"
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
#define SIGNIN_WINDOW_S (15 * 60)
#define SIGNIN_COOLOFF_MAX_S (15 * 60)
#define LOCAL_ACTOR "local"
#define BAD_LOGIN "wrong username or password"
#define SOURCE_SIZE 64

struct limits {
	struct guard_limits pair; /* one address, one account */
	struct guard_limits addr; /* one address, any accounts */
	long checks;              /* password checks at once */
	long idle_s;
	long max_s;
	char trusted[512];        /* httpTrustedProxies */
};

static void guard_limits_of(struct guard_limits *g, long limit, long cooloff)
{
	g->limit = limit > 0 ? (unsigned)limit : 1;
	g->window_s = SIGNIN_WINDOW_S;
	g->cooloff_s = cooloff > 0 ? cooloff : 1;
	g->cooloff_max_s = SIGNIN_COOLOFF_MAX_S > g->cooloff_s ?
		SIGNIN_COOLOFF_MAX_S : g->cooloff_s;
}

static int limits_read(struct store *st, struct limits *l)
{
	long pair, addr, cooloff;
	int e;

	if ((e = app_setting_int(st, "adminSigninFailureLimit", &pair)) ||
	    (e = app_setting_int(st, "adminSigninAddressFailureLimit",
				 &addr)) ||
	    (e = app_setting_int(st, "adminSigninCooloffSeconds",
				 &cooloff)) ||
	    (e = app_setting_int(st, "adminSigninConcurrentChecks",
				 &l->checks)) ||
	    (e = app_setting_text(st, "httpTrustedProxies", l->trusted,
				  sizeof(l->trusted))) ||
	    (e = app_setting_int(st, "adminSessionIdleMinutes", &l->idle_s)) ||
	    (e = app_setting_int(st, "adminSessionMaxHours", &l->max_s)))
		return e;
	guard_limits_of(&l->pair, pair, cooloff);
	guard_limits_of(&l->addr, addr, cooloff);
	l->idle_s *= 60;
	l->max_s *= 3600;
	return 0;
}

/* The client's address, as netaddr_client tells it ("unknown" without a
 * peer). */
static void source_of(const struct limits *l, const char *peer,
		      const char *forwarded, char *out, size_t size)
{
	netaddr_client(peer && peer[0] ? peer : "unknown", forwarded,
		       l->trusted, out, size);
}

/* The two guard keys of a sign-in (the comment on top). */
struct signin_keys {
	char pair[STORE_GUARD_KEY_SIZE];
	char addr[STORE_GUARD_KEY_SIZE];
};

static void keys_of(const char *source, const char *username,
		    struct signin_keys *k)
{
	snprintf(k->pair, sizeof(k->pair), "signin:pair:%s:%s", source,
		 username);
	snprintf(k->addr, sizeof(k->addr), "signin:addr:%s", source);
}

/* Seconds key stays blocked after now (0: not blocked) into *wait, the
 * longer of the two. */
static int blocked_for(struct store *st, const char *key, int64_t now,
		       int64_t *wait)
{
	struct store_guard g;
	int e;

	e = store_guard_get(st, key, &g);
	if (e == ENOENT)
		return 0;
	if (!e && guard_blocked(&g.state, now) &&
	    g.state.blocked_until - now > *wait)
		*wait = g.state.blocked_until - now;
	return e;
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

/* Password checks running now in this process (the comment on top). */
static atomic_int checks_running;

static bool check_slot_take(long max)
{
	int n = atomic_fetch_add(&checks_running, 1);

	if (n < max)
		return true;
	atomic_fetch_sub(&checks_running, 1);
	return false;
}

static void check_slot_put(void)
{
	atomic_fetch_sub(&checks_running, 1);
}

/* One guard key counted, inside the caller's tx. */
static int count_tx(struct app_tx *tx, const char *key,
		    const struct guard_limits *l, int64_t now,
		    struct guard_state *out)
{
	struct store_guard g;
	int e;

	e = store_guard_get(tx->st, key, &g);
	if (e == ENOENT) {
		memset(&g, 0, sizeof(g));
		snprintf(g.key, sizeof(g.key), "%s", key);
		e = 0;
	}
	if (e)
		return e;
	(void)guard_fail(&g.state, l, now);
	g.updated_at = now;
	*out = g.state;
	return store_guard_put(tx->st, &g);
}

struct failure_args {
	const char *username;
	const char *source;
	const struct signin_keys *k;
	const struct limits *l;
	int64_t now;
};

/* In tx: one failed sign-in counted against both keys and audited. The
 * body of app_tx_run (struct failure_args). */
static int failure_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct failure_args *c = arg;
	struct guard_state pair, addr;
	int64_t until;
	json_t *detail;
	int e;

	(void)err; /* the caller answers "wrong username or password" */
	if ((e = count_tx(tx, c->k->pair, &c->l->pair, c->now, &pair)) ||
	    (e = count_tx(tx, c->k->addr, &c->l->addr, c->now, &addr)))
		return e;
	until = pair.blocked_until > addr.blocked_until ?
		pair.blocked_until : addr.blocked_until;
	detail = json_pack("{s:s, s:s, s:i, s:i}", "reason", "password",
			   "source", c->source, "failuresForAccount",
			   pair.fails, "failuresFromAddress", addr.fails);
	if (detail && until > c->now)
		json_object_set_new(detail, "refusedUntil",
				    json_integer(until));
	return app_audit(tx, c->username, APP_AUDIT_SESSION_FAILURE,
			 c->username, detail);
}

struct create_args {
	const char *username;
	const struct signin_keys *k;
	const struct limits *l;
	int64_t now;
	struct app_session out; /* out */
};

/* In tx: the session row, the pair's counter forgiven, housekeeping,
 * audit. The body of app_tx_run (struct create_args). */
static int create_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct create_args *c = arg;
	struct app_session *out = &c->out;
	int64_t now = c->now;
	struct store_session ss;
	struct store_admin adm;
	struct store_guard g;
	int e;

	(void)err;
	memset(out, 0, sizeof(*out));
	e = store_admin_get(tx->st, c->username, &adm);
	if (e)
		return e == ENOENT ? EACCES : e;
	/* The one who knows the password is forgiven their typos; the
	 * address's own counter stays (it may be guessing other names). */
	e = store_guard_get(tx->st, c->k->pair, &g);
	if (!e && g.state.fails && !guard_blocked(&g.state, now)) {
		g.state.fails = 0;
		g.state.window_start = 0;
		g.updated_at = now;
		e = store_guard_put(tx->st, &g);
	}
	if (e && e != ENOENT)
		return e;
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

/* Settings, the throttle's verdict and the stored hash, in one
 * connection; EAGAIN with *retry_after while a key is blocked. hash is ""
 * for an unknown username. */
static int look_up(struct app *a, const char *username, const char *peer,
		   const char *forwarded, int64_t now, struct limits *l,
		   char *source, struct signin_keys *k, char *hash,
		   int64_t *retry_after)
{
	struct store_admin adm;
	struct store *st;
	int64_t wait = 0;
	int e;

	hash[0] = '\0';
	st = app_conn_get(a);
	e = limits_read(st, l);
	if (!e) {
		source_of(l, peer, forwarded, source, SOURCE_SIZE);
		keys_of(source, username, k);
		e = blocked_for(st, k->pair, now, &wait);
	}
	if (!e)
		e = blocked_for(st, k->addr, now, &wait);
	if (!e && wait > 0) {
		*retry_after = wait;
		e = EAGAIN;
	}
	if (!e) {
		e = store_admin_get(st, username, &adm);
		if (!e)
			snprintf(hash, SECRET_HASH_SIZE, "%s",
				 adm.password_hash);
		if (e == ENOENT)
			e = 0;
		explicit_bzero(&adm, sizeof(adm));
	}
	app_conn_put(a, st);
	return e;
}

/* Check password against hash (the dummy for ""), within the bound on
 * checks at once: 0 right, EPERM wrong, EBUSY no slot free. */
static int verify(const char *hash, const char *password, long max)
{
	bool ok;

	if (!check_slot_take(max))
		return EBUSY;
	if (!hash[0]) {
		pthread_once(&dummy_once, dummy_make);
		(void)secret_verify(dummy_hash, password);
		ok = false;
	}
	else {
		ok = secret_verify(hash, password);
	}
	check_slot_put();
	return ok ? 0 : EPERM;
}

int app_session_create_at(struct app *a, const char *username,
			  const char *password, const char *peer,
			  const char *forwarded, int64_t now,
			  struct app_session *out, int64_t *retry_after,
			  struct app_err *err)
{
	char hash[SECRET_HASH_SIZE], source[SOURCE_SIZE];
	struct signin_keys k;
	struct limits l;
	struct create_args c = { .username = username, .k = &k, .l = &l,
				 .now = now };
	struct failure_args f = { username, source, &k, &l, now };
	int e;

	app_err_clear(err);
	*retry_after = 0;
	memset(out, 0, sizeof(*out));
	if (!app_text_ok(username, USERNAME_MAX) || !password ||
	    strnlen(password, PASSWORD_MAX + 1) > PASSWORD_MAX) {
		app_errf(err, BAD_LOGIN);
		return EACCES;
	}
	e = look_up(a, username, peer, forwarded, now, &l, source, &k, hash,
		    retry_after);
	if (!e)
		e = verify(hash, password, l.checks);
	explicit_bzero(hash, sizeof(hash));
	if (e == EPERM) {
		e = app_tx_run(a, failure_tx, &f, NULL);
		if (!e)
			e = EACCES;
	}
	if (!e) {
		e = app_tx_run(a, create_tx, &c, err);
		if (!e)
			*out = c.out;
	}
	if (e == EACCES)
		app_errf(err, BAD_LOGIN);
	else if (e == EAGAIN)
		app_errf(err, "too many failed sign-ins from this address: "
			 "try again in %lld seconds", (long long)*retry_after);
	else if (e == EBUSY)
		app_errf(err, "too many sign-ins at once: try again in a "
			 "second");
	if (e)
		explicit_bzero(out, sizeof(*out));
	explicit_bzero(&c.out, sizeof(c.out));
	return e;
}

int app_session_create(struct app *a, const char *username,
		       const char *password, const char *peer,
		       const char *forwarded, struct app_session *out,
		       int64_t *retry_after, struct app_err *err)
{
	int e;

	e = app_session_create_at(a, username, password, peer, forwarded,
				  app_now(), out, retry_after, err);
	if (e == EACCES || e == EAGAIN || e == EBUSY)
		log_info("event=session.failure reason=%s",
			 e == EAGAIN ? "throttled" : e == EBUSY ? "busy" :
			 "credentials");
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

/* In tx: the new hash, every session of the account ended (whoever knew the old password is out). The body of app_tx_run
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
