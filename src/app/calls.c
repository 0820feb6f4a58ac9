/* calls: the live calls registry behind GET /api/v1/calls. The SIP thread
 * adds, updates and removes entries; HTTP threads list them. In memory
 * behind one mutex: calls live as long as the process, and a caller's
 * number is kept here masked only. Each change is also handed to the call
 * records (records.c), which write it from their own thread. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "app/app_priv.h"
#include "core/log.h"

#define LOG_MODULE "calls"

struct call_entry {
	struct app_call c;
	struct call_entry *next;
};

struct app_calls {
	pthread_mutex_t mtx;
	struct call_entry *head;
	int64_t next_id;
	app_control_h *control; /* the SIP side's, under mtx */
	void *control_arg;
};

/* Call ids are unique among the nodes of a cluster without asking the
 * database: each node counts up from a random start below 2^52 (a JSON
 * number keeps it exactly), 2^32 calls apart on average. */
static int64_t first_call_id(void)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)time(NULL);
	return ((int64_t)(r & 0xfffff) << 32) + 1;
}

int app_calls_init(struct app *a)
{
	a->calls = calloc(1, sizeof(*a->calls));
	if (!a->calls)
		return ENOMEM;
	pthread_mutex_init(&a->calls->mtx, NULL);
	a->calls->next_id = first_call_id();
	return 0;
}

void app_calls_fini(struct app *a)
{
	struct call_entry *e, *next;

	if (!a->calls)
		return;
	for (e = a->calls->head; e; e = next) {
		next = e->next;
		free(e);
	}
	pthread_mutex_destroy(&a->calls->mtx);
	free(a->calls);
	a->calls = NULL;
}

int app_call_add(struct app *a, struct app_call *c)
{
	struct call_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return ENOMEM;
	if (!c->answered_ms)
		c->answered_ms = app_wall_ms();
	if (!c->started_ms)
		c->started_ms = c->started_at * 1000;
	pthread_mutex_lock(&a->calls->mtx);
	c->id = a->calls->next_id++;
	e->c = *c;
	app_webhook_call_started(a, c);
	e->next = a->calls->head;
	a->calls->head = e;
	pthread_mutex_unlock(&a->calls->mtx);
	app_records_put(a, c, 0);
	return 0;
}

int app_call_refused(struct app *a, struct app_call *c)
{
	pthread_mutex_lock(&a->calls->mtx);
	c->id = a->calls->next_id++;
	pthread_mutex_unlock(&a->calls->mtx);
	if (!c->started_ms)
		c->started_ms = c->started_at * 1000;
	snprintf(c->outcome, sizeof(c->outcome), "refused");
	app_records_put(a, c, app_wall_ms());
	return 0;
}

int app_call_update(struct app *a, const struct app_call *c)
{
	struct call_entry *e;
	int err = ENOENT;

	pthread_mutex_lock(&a->calls->mtx);
	for (e = a->calls->head; e; e = e->next) {
		if (e->c.id == c->id) {
			app_webhook_call_changed(a, &e->c, c);
			e->c = *c;
			err = 0;
			break;
		}
	}
	pthread_mutex_unlock(&a->calls->mtx);
	if (!err)
		app_records_put(a, c, 0);
	return err;
}

void app_call_remove(struct app *a, int64_t id)
{
	struct call_entry **pp, *e;

	pthread_mutex_lock(&a->calls->mtx);
	for (pp = &a->calls->head; (e = *pp) != NULL; pp = &e->next) {
		if (e->c.id == id) {
			*pp = e->next;
			app_webhook_call_ended(a, &e->c);
			break;
		}
	}
	pthread_mutex_unlock(&a->calls->mtx);
	if (e)
		app_records_put(a, &e->c, app_wall_ms());
	free(e);
}

/* Copies under the lock, callbacks outside it: a slow HTTP client must
 * not hold up the SIP thread. Oldest call first. */
int app_calls_list(struct app *a, app_call_h *h, void *arg)
{
	struct app_call *v = NULL;
	struct call_entry *e;
	size_t n = 0, i;
	int err = 0;

	pthread_mutex_lock(&a->calls->mtx);
	for (e = a->calls->head; e; e = e->next)
		n++;
	if (n) {
		v = calloc(n, sizeof(*v));
		if (!v)
			err = ENOMEM;
	}
	for (e = a->calls->head, i = n; v && e; e = e->next)
		v[--i] = e->c;
	pthread_mutex_unlock(&a->calls->mtx);
	for (i = 0; v && i < n; i++)
		snprintf(v[i].node, sizeof(v[i].node), "%s", app_node(a));

	for (i = 0; !err && i < n; i++)
		err = h(&v[i], arg);
	free(v);
	return err;
}

void app_calls_control(struct app *a, app_control_h *h, void *arg)
{
	pthread_mutex_lock(&a->calls->mtx);
	a->calls->control = h;
	a->calls->control_arg = arg;
	pthread_mutex_unlock(&a->calls->mtx);
}

/* Under the lock, so the SIP side cannot go away in between. */
int app_calls_send(struct app *a, const struct app_control *x)
{
	int err = EBUSY;

	pthread_mutex_lock(&a->calls->mtx);
	if (a->calls->control)
		err = a->calls->control(x, a->calls->control_arg);
	pthread_mutex_unlock(&a->calls->mtx);
	return err;
}

/* The live calls of the cluster: this node's from memory, the other live
 * nodes' from their call records (records.c writes them). */
struct live_args {
	app_call_h *h;
	void *arg;
};

static int live_row(const struct store_call_record *s, void *arg)
{
	struct live_args *x = arg;
	struct app_call c;

	memset(&c, 0, sizeof(c));
	c.id = s->call_id;
	snprintf(c.dialed, sizeof(c.dialed), "%s", s->dialed);
	snprintf(c.caller, sizeof(c.caller), "%s", s->caller);
	snprintf(c.state, sizeof(c.state), "%.*s", (int)sizeof(c.state) - 1,
		 s->state);
	snprintf(c.conference_id, sizeof(c.conference_id), "%.*s",
		 (int)sizeof(c.conference_id) - 1, s->conference_id);
	c.meeting_id = s->meeting_id;
	c.user_id = s->user_id;
	c.started_at = s->started_at / 1000;
	c.muted = s->muted;
	snprintf(c.node, sizeof(c.node), "%.*s", (int)sizeof(c.node) - 1,
		 s->node);
	snprintf(c.codec, sizeof(c.codec), "%s", s->codec);
	c.started_ms = s->started_at;
	c.answered_ms = s->answered_at;
	c.joined_ms = s->joined_at;
	return x->h(&c, x->arg);
}

int app_calls_cluster(struct app *a, app_call_h *h, void *arg,
		      bool *partial)
{
	struct live_args x = {h, arg};
	struct store *st;
	int e;

	*partial = false;
	e = app_calls_list(a, h, arg);
	if (e)
		return e;
	st = app_conn_get(a);
	e = store_call_record_live(st, app_node(a),
				   app_wall_ms() - APP_NODE_DEAD_MS, live_row,
				   &x);
	app_conn_put(a, st);
	if (e == ENOTCONN || e == EBUSY || e == EIO) {
		log_warn("event=cluster-calls-unread err=%d", e);
		*partial = true;
		e = 0;
	}
	return e;
}
