/* webhook: the webhook events of issue #15 on the app side.
 *
 * An event is a row of webhook_events holding the JSON body it is
 * delivered with, fixed when queued: {id, type, occurredAt, node, data}.
 * conferenceId.reset is queued inside the reset's transaction (the
 * outbox pattern: the event exists exactly when the reset does). Call
 * and conference events happen on the SIP thread, which never touches
 * the database: their bodies are made there and kept in a bounded list
 * in memory, and the webhook thread (src/mail/webhook.c), woken by each
 * one, writes them to the database (app_webhook_flush) before it
 * delivers anything. So a node killed with SIGKILL loses at most the
 * events of the last moment that were not yet written (milliseconds);
 * a list that overflows (the database down for long) drops the newest
 * and counts them (dialconf_webhook_events_dropped_total).
 *
 * Order: the receiver sees events in the order they were queued while it
 * keeps up, and after it could not be reached (one thread delivers them
 * oldest first, and tries nothing while the receiver is down); an event it
 * answers with an error is retried on its own, later ones go on. A
 * conference's events follow the calls that cause them: conference.started
 * just after the call.joined of the caller who opened it, conference.ended
 * just after the call.ended of the last caller to leave, however the SIP
 * side orders its work (it makes the room before the caller is shown
 * joined, and ends it before the call is gone).
 *
 * Secrets: no event carries a PIN or a full caller number (callers are
 * masked by the SIP side already); the signing secret is read for each
 * claim and handed to the webhook thread only. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app_priv.h"
#include "app/metrics.h"
#include "core/attendant.h"
#include "core/mime.h"
#include "core/settings.h"
#include "core/webhook.h"

#define MEM_MAX 10000      /* events waiting in memory for the database */
#define FLUSH_MAX 500      /* events written by one transaction */
#define CLAIM_MAX 16       /* events of one claim, POSTed one by one */
#define LIST_LIMIT_MAX 1000
#define ENDED_GRACE_MS 1000 /* a conference.ended waits this long at most
			     * for its last call's call.ended */

/* An event made on the SIP thread, waiting for the database. */
struct mem_event {
	struct mem_event *next;
	struct store_webhook w; /* event_id, type, body, created_at */
};

/* A live call as the events need it: when it started and joined. */
struct live_call {
	int64_t id;
	int64_t started_ms;
	int64_t joined_ms; /* 0: never in the mix */
};

/* A live conference of this node: when it started, its ID once a caller
 * joined (announced: conference.started sent), and when it ended
 * (ended_ms: conference.ended waits for its last call.ended). */
struct live_conf {
	bool personal;
	int64_t id;
	int64_t started_ms;
	int64_t ended_ms;
	bool announced;
	char conference_id[APP_CONFID_SIZE];
};

struct app_webhooks {
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	uint64_t gen; /* raised by each nudge */
	bool accept;  /* a webhook thread runs */

	struct mem_event *head, *tail;
	size_t n;

	struct live_call *calls;
	size_t ncalls, capcalls;
	struct live_conf *confs;
	size_t nconfs, capconfs;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int app_webhooks_init(struct app *a)
{
	a->hooks = calloc(1, sizeof(*a->hooks));
	if (!a->hooks)
		return ENOMEM;
	pthread_mutex_init(&a->hooks->mtx, NULL);
	pthread_cond_init(&a->hooks->cond, NULL);
	return 0;
}

static void mem_free(struct mem_event *m)
{
	struct mem_event *next;

	for (; m; m = next) {
		next = m->next;
		free(m);
	}
}

void app_webhooks_fini(struct app *a)
{
	if (!a->hooks)
		return;
	mem_free(a->hooks->head);
	free(a->hooks->calls);
	free(a->hooks->confs);
	pthread_mutex_destroy(&a->hooks->mtx);
	pthread_cond_destroy(&a->hooks->cond);
	free(a->hooks);
	a->hooks = NULL;
}

/* "2026-12-02T04:39:17.123Z" */
static void iso_ms(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, size, "%s.%03dZ", s, (int)(ms % 1000));
}

/* The row of a new event of type made at ms: a fresh id and the body,
 * data taken. 0, ENOMEM, EOVERFLOW (a body over the row's bound). */
static int event_make(const struct app *a, const char *type, int64_t ms,
		      json_t *data, struct store_webhook *w)
{
	char at[40];
	json_t *o;
	char *text = NULL;
	int e;

	memset(w, 0, sizeof(*w));
	iso_ms(ms, at, sizeof(at));
	e = mime_token_new(w->event_id, sizeof(w->event_id));
	if (e) {
		json_decref(data);
		return e;
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", w->event_id,
		      "type", type, "occurredAt", at, "node", app_node(a),
		      "data", data ? data : json_object());
	if (o)
		text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return ENOMEM;
	if (strlen(text) >= sizeof(w->body))
		e = EOVERFLOW;
	else
		memcpy(w->body, text, strlen(text) + 1);
	free(text);
	snprintf(w->type, sizeof(w->type), "%s", type);
	w->created_at = ms / 1000;
	w->state = STORE_WEBHOOK_PENDING;
	w->next_attempt_at = w->created_at;
	return e;
}

static void nudge_locked(struct app_webhooks *h)
{
	h->gen++;
	pthread_cond_broadcast(&h->cond);
}

/* Queue an event in memory, under h->mtx. data is taken. */
static void mem_push(struct app *a, enum webhook_event ev, int64_t ms,
		     json_t *data)
{
	struct app_webhooks *h = a->hooks;
	struct mem_event *m;

	if (!h->accept) {
		json_decref(data);
		return;
	}
	if (h->n >= MEM_MAX) {
		json_decref(data);
		metrics_inc(METRICS_WEBHOOK_DROPPED);
		return;
	}
	m = calloc(1, sizeof(*m));
	if (!m || event_make(a, webhook_event_name(ev), ms, data, &m->w)) {
		free(m);
		metrics_inc(METRICS_WEBHOOK_DROPPED);
		return;
	}
	if (h->tail)
		h->tail->next = m;
	else
		h->head = m;
	h->tail = m;
	h->n++;
	nudge_locked(h);
}

/* An id as the API writes it: a decimal string (a JSON number may lose
 * digits in JavaScript); 0 as null. */
static json_t *id_json(int64_t id)
{
	char buf[24];

	if (!id)
		return json_null();
	snprintf(buf, sizeof(buf), "%lld", (long long)id);
	return json_string(buf);
}

/* The call's data: what every call event shows of it, named as
 * GET /api/v1/calls names it. */
static json_t *call_data(const struct app_call *c)
{
	return json_pack("{s:o, s:s, s:s, s:s?, s:o, s:o}",
			 "callId", id_json(c->id),
			 "caller", c->caller,
			 "dialedNumber", c->dialed,
			 "conferenceId",
			 c->conference_id[0] ? c->conference_id : NULL,
			 "userId", id_json(c->user_id),
			 "meetingId", id_json(c->meeting_id));
}

static struct live_call *call_find(struct app_webhooks *h, int64_t id)
{
	size_t i;

	for (i = 0; i < h->ncalls; i++) {
		if (h->calls[i].id == id)
			return &h->calls[i];
	}
	return NULL;
}

/* The conference c is in, by the room's key (personal: the owner). */
static struct live_conf *conf_of_call(struct app_webhooks *h,
				      const struct app_call *c)
{
	bool personal = c->meeting_id == 0;
	int64_t id = personal ? c->user_id : c->meeting_id;
	size_t i;

	for (i = 0; i < h->nconfs; i++) {
		if (h->confs[i].personal == personal && h->confs[i].id == id)
			return &h->confs[i];
	}
	return NULL;
}

void app_webhook_call_started(struct app *a, const struct app_call *c)
{
	struct app_webhooks *h = a->hooks;
	int64_t ms = now_ms();

	pthread_mutex_lock(&h->mtx);
	if (h->accept &&
	    !app_grow(&h->calls, &h->capcalls, h->ncalls, sizeof(*h->calls),
		      16))
		h->calls[h->ncalls++] = (struct live_call){ c->id, ms, 0 };
	mem_push(a, WEBHOOK_CALL_STARTED, ms, call_data(c));
	pthread_mutex_unlock(&h->mtx);
}

static json_t *conf_data(const struct live_conf *cf)
{
	return json_pack("{s:s, s:s, s:o}", "conferenceId", cf->conference_id,
			 "kind", cf->personal ? "personal" : "meeting",
			 cf->personal ? "userId" : "meetingId", id_json(cf->id));
}

static void conf_ended_push(struct app *a, struct live_conf *cf, int64_t ms)
{
	json_t *d;

	if (!cf->announced)
		return;
	d = conf_data(cf);
	if (d)
		json_object_set_new(d, "durationSeconds",
				    json_integer((ms - cf->started_ms) / 1000));
	mem_push(a, WEBHOOK_CONFERENCE_ENDED, ms, d);
}

static void conf_drop(struct app_webhooks *h, struct live_conf *cf)
{
	*cf = h->confs[--h->nconfs];
}

void app_webhook_call_changed(struct app *a, const struct app_call *was,
			      const struct app_call *now)
{
	const char *joined =
		attendant_call_states[ATT_CALL_IN_CONFERENCE].name;
	struct app_webhooks *h = a->hooks;
	struct live_conf *cf;
	struct live_call *lc;
	int64_t ms;

	if (!strcmp(was->state, joined) || strcmp(now->state, joined))
		return;
	ms = now_ms();
	pthread_mutex_lock(&h->mtx);
	lc = call_find(h, now->id);
	if (lc && !lc->joined_ms)
		lc->joined_ms = ms;
	mem_push(a, WEBHOOK_CALL_JOINED, ms, call_data(now));
	/* The conference opened for this caller is announced now, with the
	 * ID it was reached by. */
	cf = conf_of_call(h, now);
	if (cf && !cf->ended_ms && !cf->announced) {
		snprintf(cf->conference_id, sizeof(cf->conference_id), "%s",
			 now->conference_id);
		cf->announced = true;
		mem_push(a, WEBHOOK_CONFERENCE_STARTED, ms, conf_data(cf));
	}
	pthread_mutex_unlock(&h->mtx);
}

void app_webhook_call_ended(struct app *a, const struct app_call *c)
{
	struct app_webhooks *h = a->hooks;
	struct live_call *lc;
	struct live_conf *cf;
	int64_t ms = now_ms(), started, joined;
	json_t *d;

	pthread_mutex_lock(&h->mtx);
	lc = call_find(h, c->id);
	started = lc ? lc->started_ms : c->started_at * 1000;
	joined = lc ? lc->joined_ms : 0;
	if (lc)
		*lc = h->calls[--h->ncalls];
	d = call_data(c);
	if (d) {
		json_object_set_new(d, "outcome", json_string(joined ?
							      "joined" :
							      "not-joined"));
		json_object_set_new(d, "lastState", json_string(c->state));
		json_object_set_new(d, "durationSeconds",
				    json_integer((ms - started) / 1000));
		json_object_set_new(d, "conferenceSeconds",
				    json_integer(joined ?
						 (ms - joined) / 1000 : 0));
	}
	mem_push(a, WEBHOOK_CALL_ENDED, ms, d);
	/* The last caller's end ends the conference it left just now. */
	cf = conf_of_call(h, c);
	if (joined && cf && cf->ended_ms) {
		conf_ended_push(a, cf, ms);
		conf_drop(h, cf);
	}
	pthread_mutex_unlock(&h->mtx);
}

/* A conference that ended without a call.ended soon after (its last call
 * went on elsewhere) is told of anyway, a moment later. */
static void conf_ended_overdue(struct app *a, int64_t ms)
{
	struct app_webhooks *h = a->hooks;
	size_t i = 0;

	while (i < h->nconfs) {
		if (h->confs[i].ended_ms &&
		    ms - h->confs[i].ended_ms >= ENDED_GRACE_MS) {
			conf_ended_push(a, &h->confs[i], ms);
			conf_drop(h, &h->confs[i]);
		}
		else {
			i++;
		}
	}
}

void app_webhook_conference(struct app *a, bool started, bool personal,
			    int64_t id)
{
	struct app_webhooks *h = a->hooks;
	struct live_conf *cf = NULL;
	int64_t ms = now_ms();
	size_t i;

	pthread_mutex_lock(&h->mtx);
	for (i = 0; i < h->nconfs; i++) {
		if (h->confs[i].personal == personal && h->confs[i].id == id)
			cf = &h->confs[i];
	}
	/* A conference that starts again before the end of the last one was
	 * told: that end first. */
	if (started && cf) {
		conf_ended_push(a, cf, ms);
		conf_drop(h, cf);
	}
	if (started && h->accept &&
	    !app_grow(&h->confs, &h->capconfs, h->nconfs, sizeof(*h->confs),
		      8))
		h->confs[h->nconfs++] = (struct live_conf){
			.personal = personal, .id = id, .started_ms = ms };
	if (!started && cf)
		cf->ended_ms = ms;
	pthread_mutex_unlock(&h->mtx);
}

void app_webhook_accept(struct app *a, bool on)
{
	pthread_mutex_lock(&a->hooks->mtx);
	a->hooks->accept = on;
	pthread_mutex_unlock(&a->hooks->mtx);
}

/* The commit hook of a transaction that queued an event. */
static void queued_committed(struct app *a, void *arg)
{
	(void)arg;
	app_webhook_nudge(a);
}

static int webhooks_on(struct store *st, bool *on)
{
	char url[SETTINGS_VALUE_MAX];
	int e;

	e = app_setting_text(st, "webhookUrl", url, sizeof(url));
	*on = !e && url[0];
	return e;
}

int app_webhook_enqueue_tx(struct app_tx *tx, const char *type,
			   json_t *data)
{
	struct store_webhook *w;
	bool on;
	int e;

	e = webhooks_on(tx->st, &on);
	if (e || !on) {
		json_decref(data);
		return e;
	}
	w = malloc(sizeof(*w));
	if (!w) {
		json_decref(data);
		return ENOMEM;
	}
	e = event_make(tx->a, type, now_ms(), data, w);
	if (!e)
		e = store_webhook_insert(tx->st, w);
	if (!e)
		e = app_tx_on_commit(tx, queued_committed, NULL);
	free(w);
	return e;
}

struct flush_args {
	struct mem_event *head;
};

/* The body of app_tx_run (struct flush_args): every event, or none. */
static int flush_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct flush_args *f = arg;
	struct mem_event *m;
	bool on;
	int e;

	(void)err;
	e = webhooks_on(tx->st, &on);
	for (m = f->head; !e && on && m; m = m->next)
		e = store_webhook_insert(tx->st, &m->w);
	return e;
}

/* Up to FLUSH_MAX events off the front of the list. */
static struct mem_event *mem_take(struct app_webhooks *h)
{
	struct mem_event *head = h->head, *last = NULL, *m = head;
	size_t n = 0;

	while (m && n < FLUSH_MAX) {
		last = m;
		m = m->next;
		n++;
	}
	if (!last)
		return NULL;
	last->next = NULL;
	h->head = m;
	if (!m)
		h->tail = NULL;
	h->n -= n;
	return head;
}

/* Put events that could not be written back in front, in their order. */
static void mem_unshift(struct app_webhooks *h, struct mem_event *head)
{
	struct mem_event *last = head;
	size_t n = 1;

	while (last->next) {
		last = last->next;
		n++;
	}
	last->next = h->head;
	h->head = head;
	if (!h->tail)
		h->tail = last;
	h->n += n;
}

int app_webhook_flush(struct app *a)
{
	struct app_webhooks *h = a->hooks;
	struct flush_args f;
	int e = 0;

	for (;;) {
		pthread_mutex_lock(&h->mtx);
		conf_ended_overdue(a, now_ms());
		f.head = mem_take(h);
		pthread_mutex_unlock(&h->mtx);
		if (!f.head)
			return 0;
		e = app_tx_run(a, flush_tx, &f, NULL);
		if (e) {
			pthread_mutex_lock(&h->mtx);
			mem_unshift(h, f.head);
			pthread_mutex_unlock(&h->mtx);
			return e;
		}
		mem_free(f.head);
	}
}

/* What the API and the webhook thread see of a row. */
static void hook_convert(const struct store_webhook *sw,
			 struct app_webhook *w)
{
	memset(w, 0, sizeof(*w));
	w->id = sw->id;
	snprintf(w->event_id, sizeof(w->event_id), "%s", sw->event_id);
	snprintf(w->type, sizeof(w->type), "%s", sw->type);
	w->state = store_webhook_state_name(sw->state);
	w->attempts = sw->attempts;
	w->created_at = sw->created_at;
	w->next_attempt_at = sw->state == STORE_WEBHOOK_PENDING ?
		sw->next_attempt_at : 0;
	w->delivered_at = sw->delivered_at;
	w->last_status = sw->last_status;
	snprintf(w->last_error, sizeof(w->last_error), "%s", sw->last_error);
}

/* A claimed row, kept until the claim commits (a run lost to a conflict
 * runs again; the thread gets each row once). */
struct claim_ctx {
	int64_t now;
	int max;
	struct app_webhook_claim *claim;
	struct store_webhook *rows; /* max of them */
	int n;
};

static int claim_cb(const struct store_webhook *sw, void *arg)
{
	struct claim_ctx *c = arg;

	if (c->n < c->max)
		c->rows[c->n++] = *sw;
	return 0;
}

static int claim_settings(struct store *st, struct app_webhook_claim *claim)
{
	long timeout;
	int e;

	if ((e = app_setting_text(st, "webhookUrl", claim->url,
				  sizeof(claim->url))) ||
	    (e = app_setting_text(st, "webhookSecret", claim->secret,
				  sizeof(claim->secret))) ||
	    (e = app_setting_int(st, "webhookTimeoutSeconds", &timeout)))
		return e;
	claim->timeout_s = (int)timeout;
	/* One POST after another, each at most timeout_s: the lease lasts
	 * a whole claim, twice over. */
	claim->lease_s = 2 * (int)timeout * CLAIM_MAX + 10;
	return 0;
}

/* The body of app_tx_run (struct claim_ctx). */
static int claim_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct claim_ctx *c = arg;
	int e;

	(void)err;
	c->n = 0;
	e = claim_settings(tx->st, c->claim);
	if (e || !c->claim->url[0])
		return e;
	return store_webhook_claim(tx->st, c->now, c->now + c->claim->lease_s,
				   c->claim->token, c->max, claim_cb, c);
}

int app_webhook_claim(struct app *a, int64_t now, int max,
		      struct app_webhook_claim *claim, app_webhook_h *h,
		      void *arg)
{
	struct claim_ctx c = { .now = now, .max = max, .claim = claim };
	struct app_webhook w;
	int e, i;

	if (!a || !h || !claim || max < 1 || max > CLAIM_MAX)
		return EINVAL;
	e = mime_token_new(claim->token, sizeof(claim->token));
	if (e)
		return e;
	c.rows = calloc((size_t)max, sizeof(*c.rows));
	if (!c.rows)
		return ENOMEM;
	e = app_tx_run(a, claim_tx, &c, NULL);
	for (i = 0; !e && i < c.n; i++) {
		hook_convert(&c.rows[i], &w);
		w.body = c.rows[i].body;
		e = h(&w, arg);
	}
	free(c.rows);
	return e;
}

struct backoff {
	long initial, max, give_up_s;
};

static int backoff_get(struct store *st, struct backoff *b)
{
	long hours;
	int e;

	if ((e = app_setting_int(st, "webhookRetryInitialSeconds",
				 &b->initial)) ||
	    (e = app_setting_int(st, "webhookRetryMaxSeconds", &b->max)) ||
	    (e = app_setting_int(st, "webhookGiveUpHours", &hours)))
		return e;
	b->give_up_s = hours * 3600;
	return 0;
}

/* The wait after try k (1, 2, ...): initial, doubling, capped at max. */
static long backoff_delay(const struct backoff *b, int k)
{
	long d = b->initial;

	while (--k > 0 && d < b->max)
		d *= 2;
	return d < b->max ? d : b->max;
}

/* The row as verdict v leaves it. */
static void verdict_apply(struct store_webhook *w, const struct backoff *b,
			  struct app_webhook_verdict *v, int64_t now)
{
	memset(w, 0, sizeof(*w));
	w->id = v->id;
	w->attempts = v->attempts;
	w->state = STORE_WEBHOOK_PENDING;
	w->last_status = v->status;
	snprintf(w->last_error, sizeof(w->last_error), "%s",
		 v->error ? v->error : "");
	switch (v->result) {
	case APP_WEBHOOK_DELIVERED:
		w->attempts++;
		w->state = STORE_WEBHOOK_DELIVERED;
		w->delivered_at = now;
		w->last_error[0] = '\0';
		break;
	case APP_WEBHOOK_UNTRIED:
		w->next_attempt_at = v->retry_at > now ? v->retry_at : now;
		break;
	case APP_WEBHOOK_RETRY:
	default:
		w->attempts++;
		w->next_attempt_at = now + backoff_delay(b, w->attempts);
		/* Counted from when it happened: an event is news only for
		 * so long. */
		if (w->next_attempt_at - v->created_at > b->give_up_s) {
			w->state = STORE_WEBHOOK_FAILED;
			w->next_attempt_at = 0;
			snprintf(w->last_error, sizeof(w->last_error),
				 "gave up retrying: %.200s",
				 v->error ? v->error : "");
		}
		v->retry_at = w->next_attempt_at;
		break;
	}
}

struct report_args {
	const struct app_webhook_claim *claim;
	struct app_webhook_verdict *v;
	size_t n;
	int64_t now;
	bool *failed; /* out: which were marked failed */
};

/* The body of app_tx_run (struct report_args). */
static int report_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct report_args *c = arg;
	struct store_webhook *w;
	struct backoff b;
	size_t i;
	int e;

	(void)err;
	w = malloc(sizeof(*w));
	if (!w)
		return ENOMEM;
	e = backoff_get(tx->st, &b);
	for (i = 0; i < c->n && !e; i++) {
		c->v[i].dropped = false;
		verdict_apply(w, &b, &c->v[i], c->now);
		c->failed[i] = w->state == STORE_WEBHOOK_FAILED;
		e = store_webhook_settle(tx->st, w, c->claim->token);
		if (e == ESTALE) {
			c->v[i].dropped = true;
			e = 0;
		}
	}
	free(w);
	return e;
}

/* Counted once committed. */
static void report_count(const struct app_webhook_verdict *v,
			 const bool *failed, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].dropped || v[i].result == APP_WEBHOOK_UNTRIED)
			continue;
		if (v[i].result == APP_WEBHOOK_DELIVERED)
			metrics_inc(METRICS_WEBHOOKS_DELIVERED);
		else
			metrics_inc(failed[i] ? METRICS_WEBHOOK_FAILED :
				    METRICS_WEBHOOK_TEMPFAIL);
	}
}

int app_webhook_report(struct app *a, const struct app_webhook_claim *claim,
		       struct app_webhook_verdict *v, size_t n, int64_t now)
{
	struct report_args c = { claim, v, n, now, NULL };
	int e;

	if (!a || !claim || !claim->token[0] || (!v && n))
		return EINVAL;
	if (!n)
		return 0;
	c.failed = calloc(n, sizeof(*c.failed));
	if (!c.failed)
		return ENOMEM;
	/* Relaxed: a verdict lost to a power cut costs one delivery again,
	 * which at least once allows. */
	e = app_tx_run_relaxed(a, report_tx, &c, NULL);
	if (!e)
		report_count(v, c.failed, n);
	free(c.failed);
	return e;
}

struct list_ctx {
	app_webhook_h *h;
	void *arg;
	struct app_webhook w;
};

static int list_cb(const struct store_webhook *sw, void *arg)
{
	struct list_ctx *c = arg;

	hook_convert(sw, &c->w);
	return c->h(&c->w, c->arg);
}

int app_webhook_list(struct app *a, const char *state, int limit,
		     app_webhook_h *h, void *arg, struct app_err *err)
{
	struct list_ctx c = { .h = h, .arg = arg };
	enum store_webhook_state s;
	struct store *st;
	int e;

	app_err_clear(err);
	if (state && store_webhook_state_parse(state, &s)) {
		app_errf(err, "state must be pending, delivered or failed");
		return EINVAL;
	}
	if (limit < 1 || limit > LIST_LIMIT_MAX) {
		app_errf(err, "limit must be between 1 and %d",
			 LIST_LIMIT_MAX);
		return EINVAL;
	}
	st = app_conn_get(a);
	e = store_webhook_list(st, state ? (int)s : -1, limit, list_cb, &c);
	app_conn_put(a, st);
	if (e && err && !err->detail[0])
		app_errf(err, "cannot list webhook events: %s", strerror(e));
	return e;
}

int app_webhook_purge(struct app *a, int64_t now, int *n)
{
	struct store *st = app_conn_get(a);
	long days;
	int e;

	e = app_setting_int(st, "webhookRetentionDays", &days);
	if (!e)
		e = store_webhook_purge(st, now - days * 86400, n);
	app_conn_put(a, st);
	return e;
}

int app_webhook_release_leases(struct app *a)
{
	struct store *st = app_conn_get(a);
	int e = 0;

	/* As app_outbox_release_leases: only a single node may. */
	if (strcmp(store_backend_name(st), "sqlite") == 0)
		e = store_webhook_release_leases(st);
	app_conn_put(a, st);
	return e;
}

int app_webhook_next_due(struct app *a, int64_t *at)
{
	struct store *st = app_conn_get(a);
	int e;

	e = store_webhook_next_due(st, at);
	app_conn_put(a, st);
	return e;
}

void app_webhook_wait(struct app *a, uint64_t *gen, int timeout_ms)
{
	struct app_webhooks *h = a->hooks;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&h->mtx);
	while (*gen == h->gen) {
		if (pthread_cond_timedwait(&h->cond, &h->mtx, &ts))
			break;
	}
	*gen = h->gen;
	pthread_mutex_unlock(&h->mtx);
}

void app_webhook_nudge(struct app *a)
{
	pthread_mutex_lock(&a->hooks->mtx);
	nudge_locked(a->hooks);
	pthread_mutex_unlock(&a->hooks->mtx);
}
