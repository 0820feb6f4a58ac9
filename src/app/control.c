/* control: live control of running calls and conferences (docs/api.md
 * "Live control"): mute, unmute, remove and admit one caller; mute
 * everyone but the organizer, admit the lobby, lock, unlock and end one
 * conference.
 *
 * The state that decides whether an action makes sense lives in memory on
 * the node that holds the call (the live calls registry, calls.c): this
 * file checks it there, hands the action to the SIP side (which carries
 * it out on its own thread, app_calls_send) and audits it.
 *
 * A call held by another node is reached through the database: the node
 * the API asked writes a row into call_commands and waits for it to be
 * done (at most APP_CONTROL_WAIT_MS); each node's poller (a thread of its
 * own, never the SIP thread) looks at new rows every CONTROL_POLL_MS,
 * claims those about its own calls or conferences (one claim wins),
 * carries them out as if asked directly, and writes the result. A row
 * nobody claims in time is a call nobody holds: 404. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app_priv.h"
#include "core/attendant.h"

#define CONTROL_POLL_MS 200
#define CONTROL_WAIT_STEP_MS 50
#define CONTROL_LATE_MS 1000 /* for a claimed one, past the wait */
#define CONTROL_KEEP_MS (10 * 60 * 1000) /* done rows kept this long */
#define CONTROL_FRESH_MS (APP_CONTROL_WAIT_MS + 1000) /* older: stale */

struct control_def {
	const char *name;
	bool conference;
	enum app_audit_action audit;
};

#define CONTROL_DEF_(id, n, conf, aud) \
	[APP_CONTROL_##id] = {.name = n, .conference = conf, .audit = aud},
static const struct control_def defs[APP_CONTROL_COUNT] = {
	APP_CONTROLS(CONTROL_DEF_)
};
#undef CONTROL_DEF_

const char *app_control_name(enum app_control_action action)
{
	return (unsigned)action < APP_CONTROL_COUNT ? defs[action].name : NULL;
}

bool app_control_is_conference(enum app_control_action action)
{
	return (unsigned)action < APP_CONTROL_COUNT && defs[action].conference;
}

int app_control_parse(const char *name, bool conference)
{
	int i;

	for (i = 0; name && i < APP_CONTROL_COUNT; i++) {
		if (!strcmp(defs[i].name, name) &&
		    defs[i].conference == conference)
			return i;
	}
	return -1;
}

/* ---- on the node that holds the call ---- */

/* What the registry says about the call or conference x addresses. */
struct control_view {
	const struct app_control *x;
	bool found;           /* call actions: the call */
	struct app_call call;
	unsigned calls;       /* conference actions: its calls here, */
	unsigned joined;      /* in the conference, */
	unsigned lobby;       /* in the lobby */
};

static bool in_state(const struct app_call *c, enum att_call_state st)
{
	return !strcmp(c->state, attendant_call_states[st].name);
}

static int view_one(const struct app_call *c, void *arg)
{
	struct control_view *v = arg;

	if (!defs[v->x->action].conference) {
		if (c->id == v->x->call_id) {
			v->found = true;
			v->call = *c;
		}
		return 0;
	}
	if (!c->conference_id[0] ||
	    strcmp(c->conference_id, v->x->conference_id))
		return 0;
	v->calls++;
	v->joined += in_state(c, ATT_CALL_IN_CONFERENCE);
	v->lobby += in_state(c, ATT_CALL_LOBBY);
	if (!v->found) { /* the first one: whose conference it is */
		v->found = true;
		v->call = *c;
	}
	return 0;
}

/* Does the state the registry shows allow x? ENOENT, EBUSY or 0. */
static int control_allowed(const struct control_view *v,
			   struct app_err *err)
{
	const struct app_control *x = v->x;

	if (!v->found && defs[x->action].conference) {
		app_errf(err, "no live call in conference %s", x->conference_id);
		return ENOENT;
	}
	if (!v->found) {
		app_errf(err, "no live call %lld", (long long)x->call_id);
		return ENOENT;
	}
	switch (x->action) {
	case APP_CONTROL_MUTE:
	case APP_CONTROL_UNMUTE:
		if (in_state(&v->call, ATT_CALL_IN_CONFERENCE))
			return 0;
		app_errf(err, "call %lld is %s, not in the conference",
			 (long long)x->call_id, v->call.state);
		return EBUSY;
	case APP_CONTROL_ADMIT:
		if (in_state(&v->call, ATT_CALL_LOBBY))
			return 0;
		app_errf(err, "call %lld is %s, not in the lobby",
			 (long long)x->call_id, v->call.state);
		return EBUSY;
	case APP_CONTROL_ADMIT_ALL:
		if (v->lobby)
			return 0;
		app_errf(err, "nobody waits in the lobby of conference %s",
			 x->conference_id);
		return EBUSY;
	case APP_CONTROL_MUTE_ALL:
	case APP_CONTROL_LOCK:
	case APP_CONTROL_UNLOCK:
		if (v->joined)
			return 0;
		app_errf(err, "nobody is in conference %s yet",
			 x->conference_id);
		return EBUSY;
	case APP_CONTROL_REMOVE:
	case APP_CONTROL_END:
	case APP_CONTROL_COUNT:
		break;
	}
	return 0;
}

struct audit_args {
	const char *actor;
	const struct control_view *v;
};

static int audit_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct audit_args *y = arg;
	const struct control_view *v = y->v;
	const struct app_control *x = v->x;
	json_t *detail;

	(void)err;
	if (defs[x->action].conference)
		detail = json_pack("{s:i, s:s}", "calls", (int)v->calls,
				   "node", app_node(tx->a));
	else
		detail = json_pack("{s:I, s:s, s:s}", "callId",
				   (json_int_t)x->call_id, "caller",
				   v->call.caller, "node", app_node(tx->a));
	return app_audit(tx, y->actor, defs[x->action].audit,
			 v->call.conference_id, detail);
}

/* x on this node: ENOENT when it holds no such call or conference. */
static int control_here(struct app *a, const char *actor,
			const struct app_control *x,
			struct app_control_result *out, struct app_err *err)
{
	struct control_view v = {.x = x};
	struct audit_args y = {actor, &v};
	int e;

	e = app_calls_list(a, view_one, &v);
	if (!e)
		e = control_allowed(&v, err);
	if (!e) {
		e = app_calls_send(a, x);
		if (e == EBUSY)
			app_errf(err, "this node answers no calls");
	}
	if (e)
		return e;
	memset(out, 0, sizeof(*out));
	out->call = v.call;
	out->calls = defs[x->action].conference ? v.calls : 1;
	snprintf(out->node, sizeof(out->node), "%s", app_node(a));
	return app_tx_run(a, audit_tx, &y, err);
}

/* ---- through the database, for a call another node holds ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Only a database several nodes share can hold another node's call. */
static bool shared_db(const struct app *a)
{
	return !strncmp(a->db_url, "postgres", 8);
}

/* The result of a carried-out command, as the row keeps it. */
static json_t *result_json(int e, const struct app_err *err,
			   const struct app_control_result *r)
{
	return json_pack("{s:i, s:s, s:i, s:s, s:s, s:s, s:b, s:s}",
			 "err", e, "detail", err->detail,
			 "calls", (int)r->calls, "node", r->node,
			 "caller", r->call.caller, "state", r->call.state,
			 "muted", r->call.muted,
			 "conferenceId", r->call.conference_id);
}

static int result_parse(const char *text, struct app_control_result *r,
			struct app_err *err)
{
	const char *detail = "", *node = "", *caller = "", *state = "";
	const char *conf = "";
	int e = EIO, calls = 0, muted = 0;
	json_t *j = json_loads(text, 0, NULL);

	if (!j || json_unpack(j, "{s:i, s?s, s?i, s?s, s?s, s?s, s?b, s?s}",
			      "err", &e, "detail", &detail, "calls", &calls,
			      "node", &node, "caller", &caller,
			      "state", &state, "muted", &muted,
			      "conferenceId", &conf)) {
		json_decref(j);
		app_errf(err, "a node answered the control unreadably");
		return EIO;
	}
	if (e)
		app_errf(err, "%s", detail);
	r->calls = (unsigned)calls;
	r->call.muted = muted;
	snprintf(r->node, sizeof(r->node), "%s", node);
	snprintf(r->call.caller, sizeof(r->call.caller), "%s", caller);
	snprintf(r->call.state, sizeof(r->call.state), "%s", state);
	snprintf(r->call.conference_id, sizeof(r->call.conference_id), "%s",
		 conf);
	json_decref(j);
	return e;
}

static void command_of(struct store_command *cmd, const char *actor,
		       const struct app_control *x)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->call_id = defs[x->action].conference ? 0 : x->call_id;
	snprintf(cmd->conference_id, sizeof(cmd->conference_id), "%s",
		 defs[x->action].conference ? x->conference_id : "");
	snprintf(cmd->action, sizeof(cmd->action), "%s", defs[x->action].name);
	snprintf(cmd->actor, sizeof(cmd->actor), "%s", actor);
	cmd->created_at = now_ms();
}

/* Write the command, then wait for its result: bounded, on the calling
 * thread (an HTTP pool thread). ENOENT when no node took it in time. */
static int control_remote(struct app *a, const char *actor,
			  const struct app_control *x,
			  struct app_control_result *out, struct app_err *err)
{
	struct store_command cmd;
	struct store *st;
	int64_t deadline;
	int e;

	command_of(&cmd, actor, x);
	st = app_conn_get(a);
	if (!st)
		return EIO;
	e = store_command_insert(st, &cmd);
	deadline = cmd.created_at + APP_CONTROL_WAIT_MS;
	while (!e && !cmd.done_at && now_ms() < deadline) {
		app_conn_put(a, st); /* not held while waiting */
		sleep_ms(CONTROL_WAIT_STEP_MS);
		st = app_conn_get(a);
		if (!st)
			return EIO;
		e = store_command_get(st, cmd.id, &cmd);
	}
	/* Too late: nobody may take it now. A node that took it already
	 * is carrying it out: its result is worth a little more wait. */
	if (!e && !cmd.done_at && store_command_claim(st, cmd.id, "") == EBUSY) {
		deadline = now_ms() + CONTROL_LATE_MS;
		e = store_command_get(st, cmd.id, &cmd);
		while (!e && !cmd.done_at && now_ms() < deadline) {
			app_conn_put(a, st);
			sleep_ms(CONTROL_WAIT_STEP_MS);
			st = app_conn_get(a);
			if (!st)
				return EIO;
			e = store_command_get(st, cmd.id, &cmd);
		}
	}
	app_conn_put(a, st);
	if (e) {
		app_errf(err, "cannot reach the other nodes: %s", strerror(e));
		return e;
	}
	if (!cmd.done_at) {
		if (defs[x->action].conference)
			app_errf(err, "no live call in conference %s",
				 x->conference_id);
		else
			app_errf(err, "no live call %lld",
				 (long long)x->call_id);
		return ENOENT;
	}
	memset(out, 0, sizeof(*out));
	out->call.id = x->call_id;
	return result_parse(cmd.result, out, err);
}

static int control_run(struct app *a, const char *actor,
		       const struct app_control *x,
		       struct app_control_result *out, struct app_err *err)
{
	int e;

	app_err_clear(err);
	e = control_here(a, actor, x, out, err);
	if (e == ENOENT && shared_db(a)) {
		app_err_clear(err);
		e = control_remote(a, actor, x, out, err);
	}
	return e;
}

int app_call_control(struct app *a, const char *actor,
		     enum app_control_action action, int64_t id,
		     struct app_control_result *out, struct app_err *err)
{
	struct app_control x = {.action = action, .call_id = id};

	if ((unsigned)action >= APP_CONTROL_COUNT || defs[action].conference ||
	    id <= 0) {
		app_errf(err, "not an action on one call");
		return EINVAL;
	}
	return control_run(a, actor, &x, out, err);
}

int app_conference_control(struct app *a, const char *actor,
			   enum app_control_action action,
			   const char *conference_id,
			   struct app_control_result *out,
			   struct app_err *err)
{
	struct app_control x = {.action = action};

	if ((unsigned)action >= APP_CONTROL_COUNT ||
	    !defs[action].conference || !conference_id ||
	    strlen(conference_id) >= sizeof(x.conference_id)) {
		app_errf(err, "not an action on a conference");
		return EINVAL;
	}
	snprintf(x.conference_id, sizeof(x.conference_id), "%s",
		 conference_id);
	return control_run(a, actor, &x, out, err);
}

/* ---- the poller: other nodes' commands for this node's calls ---- */

struct app_controller {
	pthread_t thread;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	bool stop;
	int64_t seen; /* highest command id looked at */
	int64_t purged_at;
};

/* The new commands, copied out: run outside the store's callback. */
struct pending {
	struct store_command *v;
	size_t n, cap;
};

static int pending_one(const struct store_command *c, void *arg)
{
	struct pending *p = arg;

	if (app_grow(&p->v, &p->cap, p->n, sizeof(*p->v), 8))
		return ENOMEM;
	p->v[p->n++] = *c;
	return 0;
}

static bool command_parse(const struct store_command *c,
			  struct app_control *x)
{
	int action = app_control_parse(c->action, c->call_id == 0);

	if (action < 0)
		return false;
	memset(x, 0, sizeof(*x));
	x->action = (enum app_control_action)action;
	x->call_id = c->call_id;
	snprintf(x->conference_id, sizeof(x->conference_id), "%s",
		 c->conference_id);
	return true;
}

/* Is x about a call or conference of this node? */
static bool held_here(struct app *a, const struct app_control *x)
{
	struct control_view v = {.x = x};

	return !app_calls_list(a, view_one, &v) && v.found;
}

static void command_carry_out(struct app *a, struct store_command *c)
{
	struct app_control_result r;
	struct app_err err = {{0}};
	struct app_control x;
	struct store *st;
	json_t *j;
	char *text;
	int e;

	memset(&r, 0, sizeof(r));
	if (!command_parse(c, &x) || !held_here(a, &x))
		return;
	st = app_conn_get(a);
	if (!st)
		return;
	e = store_command_claim(st, c->id, app_node(a));
	app_conn_put(a, st);
	if (e) /* another node took it, or the asker gave up */
		return;
	e = control_here(a, c->actor, &x, &r, &err);
	j = result_json(e, &err, &r);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	st = app_conn_get(a);
	if (st) {
		(void)store_command_done(st, c->id, now_ms(),
					 text ? text : "{\"err\":5}");
		app_conn_put(a, st);
	}
	free(text);
}

static void poll_once(struct app *a, struct app_controller *k)
{
	struct pending p = {0};
	struct store *st;
	int64_t now = now_ms();
	size_t i;

	st = app_conn_get(a);
	if (!st)
		return;
	if (!store_command_list_new(st, k->seen, now - CONTROL_FRESH_MS,
				    pending_one, &p)) {
		for (i = 0; i < p.n; i++)
			if (p.v[i].id > k->seen)
				k->seen = p.v[i].id;
	}
	if (now - k->purged_at > CONTROL_KEEP_MS / 10) {
		(void)store_command_purge(st, now - CONTROL_KEEP_MS);
		k->purged_at = now;
	}
	app_conn_put(a, st);
	for (i = 0; i < p.n; i++)
		command_carry_out(a, &p.v[i]);
	free(p.v);
}

static void *poller_main(void *arg)
{
	struct app *a = arg;
	struct app_controller *k = a->controller;
	struct timespec until;

	pthread_mutex_lock(&k->mtx);
	while (!k->stop) {
		pthread_mutex_unlock(&k->mtx);
		poll_once(a, k);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += CONTROL_POLL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&k->mtx);
		if (!k->stop)
			(void)pthread_cond_timedwait(&k->cond, &k->mtx, &until);
	}
	pthread_mutex_unlock(&k->mtx);
	return NULL;
}

int app_control_start(struct app *a)
{
	struct app_controller *k;
	int err;

	if (a->controller || !shared_db(a))
		return 0; /* one node alone has nobody to poll for */
	k = calloc(1, sizeof(*k));
	if (!k)
		return ENOMEM;
	pthread_mutex_init(&k->mtx, NULL);
	pthread_cond_init(&k->cond, NULL);
	/* Commands from before this start concern calls this process never
	 * had: list_new looks CONTROL_FRESH_MS back at most. */
	a->controller = k;
	err = pthread_create(&k->thread, NULL, poller_main, a);
	if (err) {
		a->controller = NULL;
		pthread_mutex_destroy(&k->mtx);
		pthread_cond_destroy(&k->cond);
		free(k);
	}
	return err;
}

void app_control_stop(struct app *a)
{
	struct app_controller *k = a ? a->controller : NULL;

	if (!k)
		return;
	pthread_mutex_lock(&k->mtx);
	k->stop = true;
	pthread_cond_signal(&k->cond);
	pthread_mutex_unlock(&k->mtx);
	pthread_join(k->thread, NULL);
	pthread_mutex_destroy(&k->mtx);
	pthread_cond_destroy(&k->cond);
	free(k);
	a->controller = NULL;
}
