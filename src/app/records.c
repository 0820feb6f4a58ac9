/* records: durable call records, the node heartbeat and the retention of
 * records (issue 15).
 *
 * Design. The SIP thread reports each call to calls.c (add, update,
 * remove); calls.c hands a snapshot of the call here, and the snapshot
 * goes into a queue in memory, where a newer snapshot of the same call
 * replaces the older one. A background thread of its own takes the whole
 * queue at once and writes it in one relaxed transaction (one commit per
 * batch, app_tx_run_relaxed): a record is inserted when the call is
 * answered (or refused), updated on its changes (state, muted, joined)
 * and completed when it ends, each row written whole (an upsert on node
 * and call id), so a batch needs no order. The writer pauses BATCH_PAUSE_MS
 * after each batch: a flood of calls costs one commit per pause, not one
 * per call.
 *
 * A crash of the process loses what the queue held (at most the last
 * BATCH_PAUSE_MS or so of changes): the rows already written stay live,
 * and the next start of the node (same name) marks them 'crashed', ended
 * at its last heartbeat. A node that does not come back is seen by its
 * peers: its heartbeat grows older than APP_NODE_DEAD_MS and any live node
 * marks its records crashed the same way.
 *
 * The same thread beats the heartbeat (nodes row) once a second and
 * deletes records older than callRecordRetentionDays, PURGE_BATCH rows a
 * transaction, at start, once an hour and when the setting changes. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "app/app_priv.h"
#include "core/log.h"

#define LOG_MODULE "records"

#define QUEUE_MAX 20000        /* snapshots waiting; past it they drop */
#define BATCH_PAUSE_MS 200     /* between two batches */
#define BEAT_MS 1000           /* heartbeat */
#define PEER_CHECK_MS 5000     /* look for dead peers */
#define PURGE_EVERY_MS 3600000 /* retention */
#define PURGE_BATCH 500        /* rows deleted per transaction */
#define KEY_SETTING "callRecordCallerKey" /* not a setting of the table */
#define KEY_BYTES 32

struct app_records {
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	struct store_call_record *q; /* pending snapshots, one per call */
	size_t n, cap;
	bool started;   /* the writer runs: snapshots are taken */
	bool stop;
	bool purge_now; /* the retention setting changed */
	unsigned long dropped;
	pthread_t thread;
	unsigned char key[KEY_BYTES]; /* written before the SIP side starts */
	bool key_ok;
	struct store_node self;
};

int64_t app_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int app_records_init(struct app *a)
{
	a->records = calloc(1, sizeof(*a->records));
	if (!a->records)
		return ENOMEM;
	pthread_mutex_init(&a->records->mtx, NULL);
	pthread_cond_init(&a->records->cond, NULL);
	return 0;
}

void app_records_fini(struct app *a)
{
	if (!a->records)
		return;
	app_records_stop(a);
	free(a->records->q);
	pthread_mutex_destroy(&a->records->mtx);
	pthread_cond_destroy(&a->records->cond);
	sodium_memzero(a->records->key, sizeof(a->records->key));
	free(a->records);
	a->records = NULL;
}

void app_caller_key(struct app *a, const char *caller, char *out,
		    size_t size)
{
	unsigned char h[32];

	if (!size)
		return;
	out[0] = '\0';
	if (!a->records || !a->records->key_ok || size < 2 * sizeof(h) + 1)
		return;
	crypto_generichash(h, sizeof(h), (const unsigned char *)caller,
			   strlen(caller), a->records->key, KEY_BYTES);
	sodium_bin2hex(out, size, h, sizeof(h));
}

static const char *final_outcome(const struct app_call *c)
{
	if (c->outcome[0])
		return c->outcome;
	return c->joined_ms ? "joined" : "abandoned";
}

/* The record of c as of now; ended_ms 0 while the call is live. */
static void record_of(struct app *a, const struct app_call *c,
		      int64_t ended_ms, struct store_call_record *r)
{
	memset(r, 0, sizeof(*r));
	r->call_id = c->id;
	snprintf(r->node, sizeof(r->node), "%s", app_node(a));
	r->started_at = c->started_ms ? c->started_ms : c->started_at * 1000;
	r->answered_at = c->answered_ms;
	r->joined_at = c->joined_ms;
	r->ended_at = ended_ms;
	snprintf(r->dialed, sizeof(r->dialed), "%s", c->dialed);
	snprintf(r->caller, sizeof(r->caller), "%s", c->caller);
	snprintf(r->caller_key, sizeof(r->caller_key), "%s", c->caller_key);
	snprintf(r->conference_id, sizeof(r->conference_id), "%s",
		 c->conference_id);
	r->user_id = c->user_id;
	r->meeting_id = c->meeting_id;
	r->muted = c->muted;
	snprintf(r->codec, sizeof(r->codec), "%s", c->codec);
	if (!ended_ms) {
		snprintf(r->state, sizeof(r->state), "%s", c->state);
		snprintf(r->outcome, sizeof(r->outcome), "live");
		return;
	}
	if (ended_ms < r->started_at)
		r->ended_at = r->started_at;
	snprintf(r->outcome, sizeof(r->outcome), "%s", final_outcome(c));
	if (c->joined_ms && r->ended_at > c->joined_ms)
		r->conference_seconds = (r->ended_at - c->joined_ms + 500) / 1000;
}

/* Into the queue, replacing an older snapshot of the same call. Under
 * rs->mtx. */
static void queue_locked(struct app_records *rs,
			 const struct store_call_record *r)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		if (rs->q[i].call_id == r->call_id) {
			rs->q[i] = *r;
			return;
		}
	}
	if (rs->n >= QUEUE_MAX ||
	    app_grow(&rs->q, &rs->cap, rs->n, sizeof(*rs->q), 64)) {
		if (rs->dropped++ % 1000 == 0)
			log_warn("event=record-dropped queued=%zu dropped=%lu",
				 rs->n, rs->dropped);
		return;
	}
	rs->q[rs->n++] = *r;
}

void app_records_put(struct app *a, const struct app_call *c,
		     int64_t ended_ms)
{
	struct app_records *rs = a->records;
	struct store_call_record r;

	if (!rs || !c->id)
		return;
	record_of(a, c, ended_ms, &r);
	pthread_mutex_lock(&rs->mtx);
	if (rs->started && !rs->stop) {
		queue_locked(rs, &r);
		pthread_cond_signal(&rs->cond);
	}
	pthread_mutex_unlock(&rs->mtx);
}

void app_records_settings_changed(struct app *a)
{
	if (!a->records)
		return;
	pthread_mutex_lock(&a->records->mtx);
	a->records->purge_now = true;
	pthread_cond_signal(&a->records->cond);
	pthread_mutex_unlock(&a->records->mtx);
}

/* ---- The writer ---- */

struct batch {
	const struct store_call_record *v;
	size_t n;
};

static int batch_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct batch *b = arg;
	size_t i;
	int e = 0;

	(void)err;
	for (i = 0; !e && i < b->n; i++)
		e = store_call_record_put(tx->st, &b->v[i]);
	return e;
}

/* Worth another try later: the database is away or busy. */
static bool transient(int err)
{
	return err == ENOTCONN || err == EBUSY || err == EAGAIN || err == EIO;
}

/* Put back what could not be written, unless a newer snapshot came. */
static void requeue(struct app_records *rs, const struct store_call_record *r)
{
	size_t i;

	pthread_mutex_lock(&rs->mtx);
	for (i = 0; i < rs->n && rs->q[i].call_id != r->call_id; i++)
		;
	if (i == rs->n)
		queue_locked(rs, r);
	pthread_mutex_unlock(&rs->mtx);
}

/* One transaction for the batch; if it fails, each row alone, so that one
 * bad row does not cost the others. */
static bool write_batch(struct app *a, struct store_call_record *v, size_t n)
{
	struct batch b = {v, n};
	int64_t t0 = app_wall_ms();
	bool again = false;
	size_t i;
	int err;

	err = app_tx_run_relaxed(a, batch_tx, &b, NULL);
	if (!err) {
		log_debug("event=records-batch rows=%zu ms=%lld", n,
			  (long long)(app_wall_ms() - t0));
		return false;
	}
	for (i = 0; i < n; i++) {
		b.v = &v[i];
		b.n = 1;
		err = app_tx_run_relaxed(a, batch_tx, &b, NULL);
		if (err && transient(err)) {
			requeue(a->records, &v[i]);
			again = true;
		}
		else if (err) {
			log_warn("event=record-failed call=%lld err=%d",
				 (long long)v[i].call_id, err);
		}
	}
	if (again)
		log_warn("event=records-deferred err=%d", err);
	return again;
}

static int beat_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	(void)err;
	return store_node_beat(tx->st, arg);
}

static void beat(struct app *a, int64_t now)
{
	a->records->self.seen_at = now;
	(void)app_tx_run_relaxed(a, beat_tx, &a->records->self, NULL);
}

struct crash_args {
	const char *node;
	int64_t at;
	int n;
};

static int crash_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct crash_args *x = arg;

	(void)err;
	return store_call_record_crash(tx->st, x->node, x->at, &x->n);
}

static int crash_node(struct app *a, const char *node, int64_t at)
{
	struct crash_args x = {node, at, 0};
	int err;

	err = app_tx_run(a, crash_tx, &x, NULL);
	if (!err && x.n)
		log_info("event=records-crashed node=%s calls=%d", node, x.n);
	return err;
}

struct dead_scan {
	const char *self;
	int64_t before;
	struct store_node dead[16];
	int n;
};

static int dead_node(const struct store_node *n, void *arg)
{
	struct dead_scan *d = arg;

	if (strcmp(n->name, d->self) && n->seen_at < d->before &&
	    d->n < (int)(sizeof(d->dead) / sizeof(d->dead[0])))
		d->dead[d->n++] = *n;
	return 0;
}

/* Peers silent for APP_NODE_DEAD_MS: their live records are crashed. */
static void crash_dead_peers(struct app *a, int64_t now)
{
	struct dead_scan d = {.self = app_node(a),
			      .before = now - APP_NODE_DEAD_MS};
	struct store *st = app_conn_get(a);
	int i, err;

	err = store_node_list(st, dead_node, &d);
	app_conn_put(a, st);
	for (i = 0; !err && i < d.n; i++)
		(void)crash_node(a, d.dead[i].name, d.dead[i].seen_at);
}

struct purge_args {
	int64_t before;
	int n;
};

static int purge_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct purge_args *x = arg;

	(void)err;
	return store_call_record_purge(tx->st, x->before, PURGE_BATCH, &x->n);
}

/* Records started before now - callRecordRetentionDays, in small
 * transactions so that a long backlog never holds the database. */
static void purge_old(struct app *a, int64_t now)
{
	struct purge_args x = {0, 0};
	struct store *st = app_conn_get(a);
	long days = 90;
	int total = 0, err;

	err = app_setting_int(st, "callRecordRetentionDays", &days);
	app_conn_put(a, st);
	if (err)
		return;
	x.before = now - (int64_t)days * 86400000;
	do {
		x.n = 0;
		err = app_tx_run_relaxed(a, purge_tx, &x, NULL);
		total += x.n;
	} while (!err && x.n == PURGE_BATCH);
	if (total)
		log_info("event=records-purged rows=%d days=%ld", total, days);
}

/* Wait on rs->cond until deadline (app_wall_ms) or a signal. */
static void wait_until(struct app_records *rs, int64_t deadline)
{
	struct timespec ts;
	int64_t ms = deadline - app_wall_ms();

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	(void)pthread_cond_timedwait(&rs->cond, &rs->mtx, &ts);
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	(void)nanosleep(&ts, NULL);
}

static void *writer(void *arg)
{
	struct app *a = arg;
	struct app_records *rs = a->records;
	int64_t next_beat = 0, next_peers = 0, next_purge = 0, now;
	struct store_call_record *v;
	bool purge, stop, again;
	size_t n;

	pthread_mutex_lock(&rs->mtx);
	for (;;) {
		now = app_wall_ms();
		if (!rs->n && !rs->purge_now && !rs->stop && now < next_beat) {
			wait_until(rs, next_beat);
			continue;
		}
		v = rs->q;
		n = rs->n;
		rs->q = NULL;
		rs->n = rs->cap = 0;
		purge = rs->purge_now;
		rs->purge_now = false;
		stop = rs->stop;
		pthread_mutex_unlock(&rs->mtx);

		again = n && write_batch(a, v, n);
		free(v);
		if (stop && !again)
			return NULL;
		now = app_wall_ms();
		if (now >= next_beat) {
			beat(a, now);
			next_beat = now + BEAT_MS;
		}
		if (now >= next_peers) {
			crash_dead_peers(a, now);
			next_peers = now + PEER_CHECK_MS;
		}
		if (purge || now >= next_purge) {
			purge_old(a, now);
			next_purge = now + PURGE_EVERY_MS;
		}
		if (stop) /* the database is away: what is left is lost */
			return NULL;
		if (n)
			pause_ms(again ? 1000 : BATCH_PAUSE_MS);
		pthread_mutex_lock(&rs->mtx);
	}
}

/* The caller key's secret: one for the whole database (so unique callers
 * count across nodes), made by the first node that needs it. */
static int key_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	char hex[2 * KEY_BYTES + 1];
	unsigned char *key = arg;
	int e;

	(void)err;
	e = store_setting_get(tx->st, KEY_SETTING, hex, sizeof(hex));
	if (e == ENOENT) {
		randombytes_buf(key, KEY_BYTES);
		sodium_bin2hex(hex, sizeof(hex), key, KEY_BYTES);
		e = store_setting_set(tx->st, KEY_SETTING, hex);
	}
	else if (!e && sodium_hex2bin(key, KEY_BYTES, hex, strlen(hex), NULL,
				      NULL, NULL)) {
		e = EINVAL;
	}
	sodium_memzero(hex, sizeof(hex));
	return e;
}

int app_records_start(struct app *a, const char *sip, const char *http,
		      struct app_err *err)
{
	struct app_records *rs = a->records;
	struct store_node last;
	struct store *st;
	int64_t now = app_wall_ms();
	int e;

	app_err_clear(err);
	e = app_tx_run(a, key_tx, rs->key, err);
	if (e) {
		app_errf(err, "cannot read the caller key: %s", strerror(e));
		return e;
	}
	rs->key_ok = true;

	/* Our own records left live by the last run: it crashed. */
	st = app_conn_get(a);
	e = store_node_get(st, app_node(a), &last);
	app_conn_put(a, st);
	if (e && e != ENOENT) {
		app_errf(err, "cannot read the node heartbeat: %s",
			 strerror(e));
		return e;
	}
	e = crash_node(a, app_node(a), e ? now : last.seen_at);
	if (e) {
		app_errf(err, "cannot close the last run's records: %s",
			 strerror(e));
		return e;
	}

	snprintf(rs->self.name, sizeof(rs->self.name), "%s", app_node(a));
	snprintf(rs->self.sip, sizeof(rs->self.sip), "%s", sip ? sip : "");
	snprintf(rs->self.http, sizeof(rs->self.http), "%s",
		 http ? http : "");
	rs->self.started_at = now;
	beat(a, now);

	pthread_mutex_lock(&rs->mtx);
	rs->started = true;
	rs->stop = false;
	e = pthread_create(&rs->thread, NULL, writer, a);
	if (e)
		rs->started = false;
	pthread_mutex_unlock(&rs->mtx);
	if (e)
		app_errf(err, "cannot start the records writer: %s",
			 strerror(e));
	return e;
}

void app_records_stop(struct app *a)
{
	struct app_records *rs = a->records;
	bool started;

	if (!rs)
		return;
	pthread_mutex_lock(&rs->mtx);
	started = rs->started;
	rs->stop = true;
	pthread_cond_signal(&rs->cond);
	pthread_mutex_unlock(&rs->mtx);
	if (started)
		pthread_join(rs->thread, NULL);
	pthread_mutex_lock(&rs->mtx);
	rs->started = false;
	pthread_mutex_unlock(&rs->mtx);
}

/* ---- Reading ---- */

static void record_convert(const struct store_call_record *s,
			   struct app_call_record *r)
{
	memset(r, 0, sizeof(*r));
	r->id = s->id;
	r->call_id = s->call_id;
	snprintf(r->node, sizeof(r->node), "%.*s", (int)sizeof(r->node) - 1,
		 s->node);
	r->started_at = s->started_at;
	r->answered_at = s->answered_at;
	r->joined_at = s->joined_at;
	r->ended_at = s->ended_at;
	snprintf(r->dialed, sizeof(r->dialed), "%s", s->dialed);
	snprintf(r->caller, sizeof(r->caller), "%s", s->caller);
	snprintf(r->caller_key, sizeof(r->caller_key), "%s", s->caller_key);
	snprintf(r->conference_id, sizeof(r->conference_id), "%.*s",
		 (int)sizeof(r->conference_id) - 1, s->conference_id);
	r->user_id = s->user_id;
	r->meeting_id = s->meeting_id;
	snprintf(r->state, sizeof(r->state), "%.*s",
		 (int)sizeof(r->state) - 1, s->state);
	r->muted = s->muted;
	snprintf(r->outcome, sizeof(r->outcome), "%s", s->outcome);
	snprintf(r->codec, sizeof(r->codec), "%s", s->codec);
	r->conference_seconds = s->conference_seconds;
}

struct list_args {
	app_call_record_h *h;
	void *arg;
	int limit;
	int n;
	int64_t last_id;
	bool more;
};

static int list_row(const struct store_call_record *s, void *arg)
{
	struct list_args *x = arg;
	struct app_call_record r;

	if (x->n == x->limit) { /* the one asked beyond the page */
		x->more = true;
		return 0;
	}
	record_convert(s, &r);
	x->n++;
	x->last_id = s->id;
	return x->h(&r, x->arg);
}

int app_call_records_list(struct app *a, int64_t from, int64_t to,
			  const char *conference_id, int64_t cursor,
			  int limit, app_call_record_h *h, void *arg,
			  int64_t *next, struct app_err *err)
{
	struct store_call_record_query q = {.from = from, .to = to,
					    .before_id = cursor};
	struct list_args x = {h, arg, limit, 0, 0, false};
	struct store *st;
	int e;

	app_err_clear(err);
	*next = 0;
	if (limit < 1 || limit > 999 || from < 0 || to < 0 || cursor < 0) {
		app_errf(err, "limit is 1 to 999, times and cursor positive");
		return EINVAL;
	}
	if (to && to <= from) {
		app_errf(err, "to must be after from");
		return EINVAL;
	}
	if (conference_id && conference_id[0]) {
		uint32_t v;

		if (confid_parse(conference_id, &v)) {
			app_errf(err, "conferenceId is not a conference ID");
			return EINVAL;
		}
		confid_format(v, q.conference_id, sizeof(q.conference_id));
	}
	q.limit = limit + 1;
	st = app_conn_get(a);
	e = store_call_record_list(st, &q, list_row, &x);
	app_conn_put(a, st);
	if (!e && x.more)
		*next = x.last_id;
	return e;
}
