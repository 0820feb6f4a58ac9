/* app: the connection pool, transactions with their commit and rollback
 * hooks, errors, the audit helper and typed reads of settings, shared by
 * every use case.
 *
 * Every use case takes one connection for its whole call, so nconn bounds
 * how many calls touch the database at once; a call that finds none free
 * waits on conn_cond rather than failing, since calls are short. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#define LOG_MODULE "app"
#include "app/app_priv.h"
#include "core/log.h"
#include "core/settings.h"

#define APP_BEGIN_TRIES 5
/* Runs of a use case that lost a conflict with a concurrent transaction
 * (app_tx_run). PostgreSQL aborts one side of a deadlock or a failed
 * serialization and the other commits within milliseconds, so a second
 * run nearly always passes; four runs ride out a short burst on one hot
 * row, while a conflict that comes back every time (a bug, a trigger)
 * reaches the admin after some 35 ms of pauses, not after a long hang. */
#define APP_TX_TRIES 4
/* The pause before run n+1 is 1 to APP_TX_PAUSE_MS << (n-1) ms, random so
 * that two nodes that collided do not collide again in step. */
#define APP_TX_PAUSE_MS 5

void app_errf(struct app_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

int64_t app_now(void)
{
	return (int64_t)time(NULL);
}

/* A free connection of the pool, waiting for one if need be. */
static struct store *conn_take(struct app *a)
{
	struct store *st = NULL;
	int i;

	pthread_mutex_lock(&a->conn_mtx);
	for (;;) {
		for (i = 0; i < a->nconn; i++) {
			if (!a->conn_busy[i]) {
				a->conn_busy[i] = true;
				st = a->conns[i];
				break;
			}
		}
		if (st)
			break;
		pthread_cond_wait(&a->conn_cond, &a->conn_mtx);
	}
	pthread_mutex_unlock(&a->conn_mtx);
	return st;
}

static void conn_give(struct app *a, struct store *st)
{
	int i;

	if (!st)
		return;
	pthread_mutex_lock(&a->conn_mtx);
	for (i = 0; i < a->nconn; i++) {
		if (a->conns[i] == st) {
			a->conn_busy[i] = false;
			break;
		}
	}
	pthread_cond_signal(&a->conn_cond);
	pthread_mutex_unlock(&a->conn_mtx);
}

/* The read scope of this thread (app_read_scope_begin): its connection,
 * whether a read transaction is open on it, how many app_conn_get hold it. */
struct read_scope {
	struct app *a;
	struct store *st;
	bool reading;
	int held;
	int depth; /* scopes begun within it */
	/* The stamp read just before its read transaction began (memo.c),
	 * all zero when the database could not tell. */
	struct store_stamp began;
};

static _Thread_local struct read_scope scope;

static bool in_scope(const struct app *a)
{
	return scope.st && scope.a == a;
}

void app_read_scope_begin(struct app *a)
{
	if (!a)
		return;
	if (scope.st) {
		scope.depth++;
		return;
	}
	scope.a = a;
	scope.st = conn_take(a);
	scope.reading = false;
	scope.held = 0;
}

void app_read_scope_end(struct app *a)
{
	if (!in_scope(a))
		return;
	if (scope.depth) {
		scope.depth--;
		return;
	}
	if (scope.reading)
		(void)store_read_end(scope.st);
	conn_give(a, scope.st);
	memset(&scope, 0, sizeof(scope));
}

/* After a write committed on another connection: the scope's reads from
 * now on must see it, so its snapshot ends (unless a read holds it). */
static void scope_refresh(struct app *a)
{
	if (in_scope(a) && scope.reading && !scope.held) {
		(void)store_read_end(scope.st);
		scope.reading = false;
	}
}

struct store *app_conn_get(struct app *a)
{
	if (!in_scope(a))
		return conn_take(a);
	if (!scope.reading && !scope.held) {
		if (app_memo_now(a, &scope.began))
			memset(&scope.began, 0, sizeof(scope.began));
		scope.reading = store_read_begin(scope.st) == 0;
	}
	scope.held++;
	return scope.st;
}

/* A read of this thread's scope saw the snapshot its transaction began
 * with, which may be older than now: its copy is stamped as then. */
void app_memo_read_at(struct app *a, const struct store_stamp *now,
		      struct store_stamp *read_at)
{
	*read_at = in_scope(a) && scope.reading ? scope.began : *now;
}

void app_conn_put(struct app *a, struct store *st)
{
	if (st && in_scope(a) && st == scope.st) {
		scope.held--;
		return;
	}
	conn_give(a, st);
}

/* The store waits out its own busy timeout first; a few more tries cover a
 * burst of writers without giving the caller a spurious 500. */
static int tx_begin(struct app *a, struct app_tx *tx, bool relaxed,
		    struct app_err *err)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	int e = EBUSY;
	int i;

	memset(tx, 0, sizeof(*tx));
	tx->a = a;
	tx->st = conn_take(a); /* never the read scope's: it may be reading */
	for (i = 0; i < APP_BEGIN_TRIES && e == EBUSY; i++) {
		e = relaxed ? store_begin_relaxed(tx->st) :
			      store_begin(tx->st);
		if (e == EBUSY)
			nanosleep(&pause, NULL);
	}
	if (e) {
		conn_give(a, tx->st);
		tx->st = NULL;
		/* EBUSY from the database is not the "state forbids it" of
		 * app.h: report it as a server-side failure. */
		app_errf(err, "database unavailable: %s", strerror(e));
		return e == EBUSY ? EIO : e;
	}
	return 0;
}

static int tx_hook(struct app_tx *tx, bool on_commit, app_tx_hook_h *h,
		   void *arg)
{
	struct app_tx_hook *k;
	size_t i;

	for (i = 0; i < tx->nhooks; i++) {
		k = &tx->hooks[i];
		if (k->on_commit == on_commit && k->h == h && k->arg == arg)
			return 0;
	}
	if (tx->nhooks == APP_TX_HOOKS_MAX)
		return ENOMEM;
	tx->hooks[tx->nhooks++] = (struct app_tx_hook){ on_commit, h, arg };
	return 0;
}

int app_tx_on_commit(struct app_tx *tx, app_tx_hook_h *h, void *arg)
{
	return tx_hook(tx, true, h, arg);
}

int app_tx_on_rollback(struct app_tx *tx, app_tx_hook_h *h, void *arg)
{
	return tx_hook(tx, false, h, arg);
}

void *app_tx_hook_arg(const struct app_tx *tx, app_tx_hook_h *h)
{
	size_t i;

	for (i = 0; i < tx->nhooks; i++) {
		if (tx->hooks[i].h == h)
			return tx->hooks[i].arg;
	}
	return NULL;
}

/* Commit when e is 0, else roll back; run the hooks of that outcome in the
 * order they were registered; release the connection. Returns the final
 * result, with a generic reason when the use case gave none. The hooks run
 * before the connection goes back, so that no other transaction on it sees
 * what a rollback hook is still to set right. */
static int tx_end(struct app_tx *tx, int e, struct app_err *err)
{
	size_t i;

	if (!tx->st)
		return e;
	if (!e) {
		e = store_commit(tx->st);
		if (e)
			app_errf(err, "database commit failed: %s",
				 strerror(e));
	}
	if (e) {
		(void)store_rollback(tx->st);
		if (err && !err->detail[0])
			app_errf(err, "database error: %s", strerror(e));
	}
	for (i = 0; i < tx->nhooks; i++) {
		if (tx->hooks[i].on_commit == !e)
			tx->hooks[i].h(tx->a, tx->hooks[i].arg);
	}
	tx->nhooks = 0;
	conn_give(tx->a, tx->st);
	tx->st = NULL;
	if (!e)
		scope_refresh(tx->a);
	return e;
}

static void tx_pause(int tried)
{
	uint32_t ms = 1 + randombytes_uniform((uint32_t)APP_TX_PAUSE_MS <<
					      (tried - 1));
	struct timespec ts = { 0, (long)ms * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int tx_run(struct app *a, bool relaxed, app_tx_body_h *body,
		  void *arg, struct app_err *err)
{
	struct app_tx tx;
	int tried;
	int e;

	for (tried = 0; tried < APP_TX_TRIES; tried++) {
		if (tried) {
			tx_pause(tried);
			app_err_clear(err); /* the lost run's reason */
		}
		e = tx_begin(a, &tx, relaxed, err);
		if (e)
			return e;
		e = body(&tx, arg, err);
		/* A lost run is rolled back here, its pool marks with it. */
		e = tx_end(&tx, e, err);
		if (e != EAGAIN)
			return e;
	}
	log_warn("event=tx.conflict tries=%d", APP_TX_TRIES);
	app_errf(err, "the database kept reporting conflicting transactions: "
		 "try again");
	return EIO;
}

int app_tx_run(struct app *a, app_tx_body_h *body, void *arg,
	       struct app_err *err)
{
	return tx_run(a, false, body, arg, err);
}

int app_grow(void *arrayp, size_t *cap, size_t n, size_t elem, size_t first)
{
	void *v, *nv;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : first;
	if (!elem || ncap > SIZE_MAX / elem)
		return ENOMEM;
	memcpy(&v, arrayp, sizeof(v)); /* the pointer, whatever it points to */
	nv = realloc(v, ncap * elem);
	if (!nv)
		return ENOMEM;
	memcpy(arrayp, &nv, sizeof(nv));
	*cap = ncap;
	return 0;
}

int app_tx_run_relaxed(struct app *a, app_tx_body_h *body, void *arg,
		       struct app_err *err)
{
	return tx_run(a, true, body, arg, err);
}

#define AUDIT_NAME_(id, name, label, what) [APP_AUDIT_##id] = name,
#define AUDIT_LABEL_(id, name, label, what) [APP_AUDIT_##id] = label,
#define AUDIT_HELP_(id, name, label, what) [APP_AUDIT_##id] = what,

const char *const app_audit_action_names[APP_AUDIT_COUNT] = {
	APP_AUDIT_ACTIONS(AUDIT_NAME_)
};

const char *const app_audit_action_labels[APP_AUDIT_COUNT] = {
	APP_AUDIT_ACTIONS(AUDIT_LABEL_)
};

const char *const app_audit_action_help[APP_AUDIT_COUNT] = {
	APP_AUDIT_ACTIONS(AUDIT_HELP_)
};

#undef AUDIT_NAME_
#undef AUDIT_LABEL_
#undef AUDIT_HELP_

/* Takes ownership of detail (NULL means it could not be built). */
int app_audit(struct app_tx *tx, const char *actor,
	      enum app_audit_action action, const char *target,
	      json_t *detail)
{
	struct store_audit rec;
	char *text = NULL;
	int e;

	if (!detail)
		return ENOMEM;
	memset(&rec, 0, sizeof(rec));
	rec.at = app_now();
	snprintf(rec.actor, sizeof(rec.actor), "%s", actor ? actor : "system");
	if ((unsigned)action >= APP_AUDIT_COUNT) {
		json_decref(detail);
		return EINVAL;
	}
	snprintf(rec.action, sizeof(rec.action), "%s",
		 app_audit_action_names[action]);
	snprintf(rec.target, sizeof(rec.target), "%s", target ? target : "");

	text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text) {
		e = ENOMEM;
		goto out;
	}
	/* A cut JSON text would not parse: say it was too big instead. */
	if (strlen(text) >= sizeof(rec.detail))
		snprintf(rec.detail, sizeof(rec.detail), "{\"truncated\":true}");
	else
		snprintf(rec.detail, sizeof(rec.detail), "%s", text);

	e = store_audit_insert(tx->st, &rec);
 out:
	free(text);
	json_decref(detail);
	return e;
}

/* The stored value of a setting in canonical form, or its default when it
 * was never set or no longer passes the table's rules. */
static int setting_value(struct store *st, const struct setting_def *d,
			 char *out, size_t size)
{
	char raw[SETTINGS_VALUE_MAX];
	int e;

	e = store_setting_get(st, d->name, raw, sizeof(raw));
	if (e == ENOENT ||
	    (!e && settings_validate(d, raw, out, size, NULL, 0))) {
		if ((size_t)snprintf(out, size, "%s", d->def) >= size)
			return ERANGE;
		return 0;
	}
	return e;
}

int app_setting_text(struct store *st, const char *name, char *out,
		     size_t size)
{
	const struct setting_def *d = settings_find(name);

	if (!d)
		return EINVAL;
	return setting_value(st, d, out, size);
}

int app_setting_int(struct store *st, const char *name, long *out)
{
	char v[SETTINGS_VALUE_MAX];
	char *end;
	long n;
	int e;

	e = app_setting_text(st, name, v, sizeof(v));
	if (e)
		return e;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end)
		return EINVAL;
	*out = n;
	return 0;
}

int app_setting_bool(struct store *st, const char *name, bool *out)
{
	char v[SETTINGS_VALUE_MAX];
	int e;

	e = app_setting_text(st, name, v, sizeof(v));
	if (e)
		return e;
	*out = strcmp(v, "true") == 0;
	return 0;
}

/* Length of the UTF-8 sequence at s, or 0 when it is malformed (overlong
 * forms, surrogates and values past U+10FFFF included). */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned int c = s[0];
	size_t n, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	}
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	}
	else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	}
	else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* 1..maxlen bytes of valid UTF-8 without control characters: what may go
 * into a name that is shown, emailed and put into JSON. */
bool app_text_ok(const char *s, size_t maxlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, n;

	if (!s)
		return false;
	len = strnlen(s, maxlen + 1);
	if (len == 0 || len > maxlen)
		return false;
	while (*p) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		n = utf8_seq(p);
		if (!n)
			return false;
		p += n;
	}
	return true;
}

/* The data directory holds the database and the initial admin password:
 * readable by the service alone. An existing one is used as it is. */
int app_datadir_make(const char *datadir)
{
	if (!datadir || !datadir[0])
		return 0;
	if (mkdir(datadir, 0700) && errno != EEXIST)
		return errno;
	return 0;
}

int app_setting_get(struct app *a, const char *name, char *value, size_t size)
{
	struct store *st;
	int e;

	if (!a || !name || !value || !size)
		return EINVAL;
	st = app_conn_get(a);
	e = app_setting_text(st, name, value, size);
	app_conn_put(a, st);
	/* A secret setting is never handed out (core/settings.h). */
	if (!e && settings_find(name) && settings_find(name)->secret)
		snprintf(value, size, "%s", settings_shown(settings_find(name),
							   value));
	return e;
}

struct audit_list_ctx {
	app_audit_h *h;
	void *arg;
};

static int audit_list_cb(const struct store_audit *sa, void *arg)
{
	struct audit_list_ctx *c = arg;
	struct app_audit_record r;

	memset(&r, 0, sizeof(r));
	r.id = sa->id;
	r.at = sa->at;
	snprintf(r.actor, sizeof(r.actor), "%s", sa->actor);
	snprintf(r.action, sizeof(r.action), "%s", sa->action);
	snprintf(r.target, sizeof(r.target), "%s", sa->target);
	snprintf(r.detail, sizeof(r.detail), "%s", sa->detail);
	return c->h(&r, c->arg);
}

int app_audit_list(struct app *a, int limit, app_audit_h *h, void *arg,
		   struct app_err *err)
{
	struct audit_list_ctx c = { h, arg };
	struct store *st;
	int e;

	app_err_clear(err);
	if (limit < 1 || limit > 1000) {
		app_errf(err, "limit must be between 1 and 1000");
		return EINVAL;
	}
	st = app_conn_get(a);
	e = store_audit_list(st, limit, audit_list_cb, &c);
	app_conn_put(a, st);
	if (e && err && !err->detail[0])
		app_errf(err, "cannot read the audit log: %s", strerror(e));
	return e;
}
