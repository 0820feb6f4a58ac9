/* issue: issuing and revoking conference IDs (SPEC §2) against the in-memory
 * pool of core/confid.h.
 *
 * The pool is a proposal, the database the authority: a value is drawn from
 * the pool, then inserted, and the store's constraints refuse one that is
 * live or quarantined (EEXIST), in which case the pool learns it and we draw
 * again. So the pool may lag behind the database without harm, and it is
 * brought up to date from committed rows only:
 *  - rows issued since the last look (store_confid_scan_since) are marked,
 *    live or quarantined ones taken, at most once a second: values are
 *    drawn at random from millions, so one issued elsewhere within the
 *    last second is drawn again next to never, and then only costs a
 *    retry, while a look at every issue cost every reset a round trip;
 *  - every APP_EXPIRE_SCAN_S seconds, values whose quarantine ended are
 *    marked free again (store_confid_scan_expired).
 * Both happen inside the issuing transaction, whose write lock (SQLite: BEGIN
 * IMMEDIATE) means no other writer commits meanwhile. A sync that runs after
 * this same transaction inserted a row sees that uncommitted row too; if the
 * transaction then rolls back, the pool is flagged stale and rebuilt from the
 * database at the next issue, so a rollback never leaves it wrong for good:
 * the transaction's first insert registers that fix-up as a rollback hook
 * (struct pool_tx).
 *
 * pool_mtx guards memory only: a sync reads the database without it, then
 * applies what it read under it. Holding it across the queries serialized
 * every issue of the process on a database round trip (PostgreSQL, where
 * transactions run side by side). Two syncs may now overlap; each applies
 * only rows past the highest one the pool has seen, and either order leaves
 * a proposal that the constraints correct. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_priv.h"
#include "core/confid.h"

/* Consecutive refused candidates after which the pool is too far off the
 * database to go on: 32 misses in a row are next to impossible otherwise. */
#define ISSUE_TRIES 32
#define EXPIRE_OVERLAP_S 5

struct scan_state {
	struct confid_pool *pool;
	int64_t now;
	int64_t max_row;
};

/* What one transaction did to the pool, from its first insert to its end;
 * its hooks hold it (app_tx_hook_arg finds it again). */
struct pool_tx {
	bool marked; /* the pool was marked from rows this tx may roll back */
};

static void pool_tx_committed(struct app *a, void *arg)
{
	(void)a;
	free(arg);
}

static void pool_tx_rolled_back(struct app *a, void *arg)
{
	struct pool_tx *p = arg;

	if (p->marked) {
		pthread_mutex_lock(&a->pool_mtx);
		a->pool_stale = true;
		pthread_mutex_unlock(&a->pool_mtx);
	}
	free(p);
}

/* tx inserted a row: from now on a mark of the pool may come from it. */
static int pool_tx_inserted(struct app_tx *tx)
{
	struct pool_tx *p;
	int e;

	if (app_tx_hook_arg(tx, pool_tx_rolled_back))
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	e = app_tx_on_rollback(tx, pool_tx_rolled_back, p);
	if (e) {
		free(p);
		return e;
	}
	/* Should this fail, tx rolls back, and the hook above frees p. */
	return app_tx_on_commit(tx, pool_tx_committed, p);
}

/* The pool is being marked in tx: remember it if tx inserted rows. */
static void pool_tx_marked(struct app_tx *tx)
{
	struct pool_tx *p = app_tx_hook_arg(tx, pool_tx_rolled_back);

	if (p)
		p->marked = true;
}

static bool row_unavailable(const struct store_confid *c, int64_t now)
{
	return c->revoked_at == 0 || c->quarantine_until > now;
}

static int scan_mark(const struct store_confid *c, void *arg)
{
	struct scan_state *s = arg;

	/* Rows come by row id: a value's latest row is applied last. */
	confid_pool_set_taken(s->pool, c->value, row_unavailable(c, s->now));
	if (c->row > s->max_row)
		s->max_row = c->row;
	return 0;
}

/* A pool built from scratch: every value live or quarantined at now. */
static int pool_build(struct store *st, int64_t now, struct confid_pool **pp,
		      int64_t *max_row)
{
	struct scan_state s = { NULL, now, 0 };
	int e;

	e = confid_pool_alloc(&s.pool);
	if (e)
		return e;
	e = store_confid_scan_unavailable(st, now, scan_mark, &s);
	if (e) {
		confid_pool_free(s.pool);
		return e;
	}
	*pp = s.pool;
	*max_row = s.max_row;
	return 0;
}

int app_pool_load(struct app *a, struct store *st)
{
	int64_t now = app_now();
	int e;

	e = pool_build(st, now, &a->pool, &a->pool_row);
	if (e)
		return e;
	a->pool_scan = now;
	a->pool_stale = false;
	return 0;
}

struct expired {
	uint32_t *v;
	size_t n;
	size_t cap;
};

static int expired_add(const struct store_confid *c, void *arg)
{
	struct expired *x = arg;

	if (app_grow(&x->v, &x->cap, x->n, sizeof(*x->v), 64))
		return ENOMEM;
	x->v[x->n++] = c->value;
	return 0;
}

/* The values whose quarantine ended in (from, to] and that are free now,
 * into x. Each is checked against its latest row, since a value may have
 * been reissued and revoked again after an earlier quarantine was cut
 * short. Database reads only: the caller applies x under pool_mtx. */
static int expired_free(struct store *st, int64_t from, int64_t to,
			struct expired *x)
{
	struct store_confid c;
	size_t i, n = 0;
	int e;

	e = store_confid_scan_expired(st, from, to, expired_add, x);
	for (i = 0; !e && i < x->n; i++) {
		e = store_confid_lookup(st, x->v[i], &c);
		if (!e && !row_unavailable(&c, to))
			x->v[n++] = x->v[i];
	}
	x->n = n;
	return e;
}

struct since_row {
	int64_t row;
	uint32_t value;
	bool taken;
};

struct since {
	struct since_row *v;
	size_t n;
	size_t cap;
	int64_t now;
};

static int since_add(const struct store_confid *c, void *arg)
{
	struct since *x = arg;

	if (app_grow(&x->v, &x->cap, x->n, sizeof(*x->v), 16))
		return ENOMEM;
	x->v[x->n].row = c->row;
	x->v[x->n].value = c->value;
	x->v[x->n].taken = row_unavailable(c, x->now);
	x->n++;
	return 0;
}

/* Rebuild a stale pool from the database, then put it in place. */
static int pool_rebuild(struct app_tx *tx, int64_t now)
{
	struct app *a = tx->a;
	struct confid_pool *fresh;
	int64_t max_row;
	int e;

	e = pool_build(tx->st, now, &fresh, &max_row);
	if (e)
		return e;
	pthread_mutex_lock(&a->pool_mtx);
	confid_pool_free(a->pool);
	a->pool = fresh;
	a->pool_row = max_row;
	a->pool_scan = now;
	a->pool_stale = false;
	pthread_mutex_unlock(&a->pool_mtx);
	return 0;
}

/* Bring the pool up to date; takes pool_mtx only around memory work. */
static int pool_sync(struct app_tx *tx, int64_t now)
{
	struct app *a = tx->a;
	struct expired x = { NULL, 0, 0 };
	struct since rows = { NULL, 0, 0, now };
	int64_t after, expire_from = 0;
	bool stale, expire;
	size_t i;
	int e;

	pthread_mutex_lock(&a->pool_mtx);
	stale = a->pool_stale;
	if (!stale && now == a->pool_synced && now - a->pool_scan <
	    APP_EXPIRE_SCAN_S && now >= a->pool_scan) {
		pthread_mutex_unlock(&a->pool_mtx);
		return 0; /* looked this second already (top of file) */
	}
	a->pool_synced = now;
	after = a->pool_row;
	/* Rows this transaction inserted are visible to it: marking from
	 * them is undone by a rebuild should it roll back. */
	pool_tx_marked(tx);
	/* The expiry scan is due: this sync claims it, so that the syncs
	 * running beside it do not run it too. The window reaches back a
	 * little: a revocation with no quarantine (0 days) ends in the very
	 * second of the last scan, and every value found is checked. */
	expire = !stale && (now - a->pool_scan >= APP_EXPIRE_SCAN_S ||
			    now < a->pool_scan);
	if (expire) {
		expire_from = a->pool_scan - EXPIRE_OVERLAP_S;
		a->pool_scan = now;
	}
	pthread_mutex_unlock(&a->pool_mtx);

	if (stale)
		return pool_rebuild(tx, now);

	e = store_confid_scan_since(tx->st, after, since_add, &rows);
	if (!e && expire)
		e = expired_free(tx->st, expire_from, now, &x);

	pthread_mutex_lock(&a->pool_mtx);
	if (e) {
		/* A claimed expiry scan that failed is redone by the
		 * rebuild, which also forgets whatever half was read. */
		if (expire)
			a->pool_stale = true;
	}
	else {
		/* Rows come by row id: a value's latest row is applied last.
		 * Rows up to pool_row were applied by a sync beside this one. */
		int64_t seen = a->pool_row;

		for (i = 0; i < rows.n; i++) {
			if (rows.v[i].row <= seen)
				continue;
			confid_pool_set_taken(a->pool, rows.v[i].value,
					      rows.v[i].taken);
			if (rows.v[i].row > a->pool_row)
				a->pool_row = rows.v[i].row;
		}
		for (i = 0; i < x.n; i++)
			confid_pool_set_taken(a->pool, x.v[i], false);
	}
	pthread_mutex_unlock(&a->pool_mtx);
	free(rows.v);
	free(x.v);
	return e;
}

/* SPEC §2: only when free values run low may the oldest quarantined one be
 * given out again, and that is written to the audit log. Called with
 * pool_mtx held. */
static int pool_refill(struct app_tx *tx, const char *actor, int64_t now)
{
	struct app *a = tx->a;
	struct store_confid c;
	char id[APP_CONFID_SIZE];
	int e;

	if (confid_pool_free_count(a->pool) >= CONFID_LOW_WATER)
		return 0;
	e = store_confid_oldest_quarantined(tx->st, now, &c);
	if (e == ENOENT)
		return 0;
	if (e)
		return e;
	e = store_confid_end_quarantine(tx->st, c.value, now);
	if (e)
		return e;
	confid_format(c.value, id, sizeof(id));
	e = app_audit(tx, actor, APP_AUDIT_CONFID_QUARANTINE_SHORTENED, id,
		      json_pack("{s:s, s:I, s:I, s:I}", "conferenceId", id,
				"revokedAt", (json_int_t)c.revoked_at,
				"quarantineUntil",
				(json_int_t)c.quarantine_until,
				"freeValues",
				(json_int_t)confid_pool_free_count(a->pool)));
	if (e)
		return e;
	/* Should this transaction roll back, the value is still quarantined
	 * in the database and an insert of it fails: self-correcting. */
	confid_pool_set_taken(a->pool, c.value, false);
	return 0;
}

static int draw(struct app_tx *tx, const char *actor, bool sync,
		int64_t now, uint32_t *v)
{
	struct app *a = tx->a;
	int e = 0;

	if (sync)
		e = pool_sync(tx, now);
	if (e)
		return e;
	pthread_mutex_lock(&a->pool_mtx);
	/* Queries under the lock only when free values run low: rare. */
	if (sync)
		e = pool_refill(tx, actor, now);
	if (!e)
		e = confid_pool_draw(a->pool, v);
	pthread_mutex_unlock(&a->pool_mtx);
	return e;
}

/* After EEXIST on insert of v: true when v itself is unavailable (then the
 * pool learns it), false when the refusal was about the owner, e.g. a user
 * who has a live personal ID already. */
static int refused_value(struct app_tx *tx, uint32_t v, int64_t now,
			 bool *value_taken)
{
	struct app *a = tx->a;
	struct store_confid c;
	int e;

	e = store_confid_lookup(tx->st, v, &c);
	if (e == ENOENT) {
		*value_taken = false;
		return 0;
	}
	if (e)
		return e;
	*value_taken = row_unavailable(&c, now);
	if (*value_taken) {
		pthread_mutex_lock(&a->pool_mtx);
		pool_tx_marked(tx);
		confid_pool_set_taken(a->pool, v, true);
		pthread_mutex_unlock(&a->pool_mtx);
	}
	return 0;
}

/* Issue a new live ID of kind for user_id (and meeting_id) inside tx.
 * 0 and *value; ENOSPC when none is free; EEXIST when the owner may not
 * have another (one live personal ID per user); EIO when the pool keeps
 * proposing values the database refuses. */
int app_confid_issue(struct app_tx *tx, const char *actor,
		     enum store_confid_kind kind, int64_t user_id,
		     int64_t meeting_id, uint32_t *value)
{
	int64_t now = app_now();
	struct store_confid c;
	bool taken;
	uint32_t v;
	int tries;
	int e;

	for (tries = 0; tries < ISSUE_TRIES; tries++) {
		e = draw(tx, actor, tries == 0, now, &v);
		if (e)
			return e;

		memset(&c, 0, sizeof(c));
		c.value = v;
		c.kind = kind;
		c.user_id = user_id;
		c.meeting_id = meeting_id;
		c.issued_at = now;
		e = store_confid_insert(tx->st, &c);
		if (!e) {
			*value = v;
			return pool_tx_inserted(tx);
		}
		if (e != EEXIST)
			return e;

		e = refused_value(tx, v, now, &taken);
		if (e)
			return e;
		if (!taken)
			return EEXIST;
	}
	return EIO;
}

/* conferenceIdQuarantineDays, read at most once a second: every reset
 * needs it, and a query for it cost each one a round trip. A change through
 * this node applies at once (app_settings_changed), one through another
 * node within a second. */
static int quarantine_days(struct app_tx *tx, int64_t now, long *days)
{
	struct app *a = tx->a;
	bool fresh;
	int e;

	pthread_mutex_lock(&a->pool_mtx);
	fresh = a->quarantine_days_at == now;
	*days = a->quarantine_days;
	pthread_mutex_unlock(&a->pool_mtx);
	if (fresh)
		return 0;

	e = app_setting_int(tx->st, "conferenceIdQuarantineDays", days);
	if (e)
		return e;
	pthread_mutex_lock(&a->pool_mtx);
	a->quarantine_days = *days;
	a->quarantine_days_at = now;
	pthread_mutex_unlock(&a->pool_mtx);
	return 0;
}

void app_settings_changed(struct app *a)
{
	app_records_settings_changed(a);
	pthread_mutex_lock(&a->pool_mtx);
	a->quarantine_days_at = 0;
	pthread_mutex_unlock(&a->pool_mtx);
}

/* Revoke the live ID value and quarantine it for conferenceIdQuarantineDays.
 * It stays taken in the pool; the expiry scan frees it later. */
int app_confid_revoke(struct app_tx *tx, uint32_t value)
{
	int64_t now = app_now();
	long days;
	int e;

	e = quarantine_days(tx, now, &days);
	if (e)
		return e;
	if (days < 0)
		days = 0;
	return store_confid_revoke(tx->st, value, now,
				   now + (int64_t)days * 86400);
}
