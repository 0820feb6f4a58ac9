/* outbox: the email outbox of SPEC §5 on the app side.
 *
 * Queueing: a use case calls app_outbox_enqueue_tx() inside its own
 * transaction, so the email exists exactly when the change that caused it
 * does; a commit hook wakes the worker once the row can be found. The row holds who it goes to, the From of the settings at that
 * moment, the subject (rendered now, so the outbox list can show it), a
 * random token (the stable Message-ID) and the template variables as JSON.
 * The body is rendered by the worker from those variables.
 *
 * Secrets: the PIN reset and enabled emails need the PIN in their
 * variables until they are delivered. A delivered row loses it at once
 * (secrets at rest only as long as needed); a failed row keeps it, since
 * a retry must be able to send the same email. The other kinds never get a
 * PIN into their variables at all.
 *
 * Delivery state: the worker claims due rows with a short lease under a
 * random claim token, delivers outside any transaction, and reports each
 * verdict as soon as it has it (app_outbox_report). Before handing a row
 * to the transport the worker renews the claim (app_outbox_renew), which
 * fails once another worker has claimed the row since: a row is handed
 * over at most once per lease. A verdict counts only under the claim the
 * row still carries; a late one is dropped and counted. A worker that
 * dies leaves its lease to run out, so the row is claimed again: at least
 * once, never zero times. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app/app_priv.h"
#include "app/metrics.h"
#include "core/buf.h"
#include "core/confid.h"
#include "core/e164.h"
#include "core/emailaddr.h"
#include "core/mime.h"
#include "core/settings.h"
#include "core/tmpl.h"

#define SUBJECT_LINE_MAX 1024 /* bytes of a template's Subject: line */
#define LIST_LIMIT_MAX 1000
#define CLAIM_MAX 256

/* A row's variables: every template variable (TMPL_VARS, core/tmpl.h; a
 * missing one renders as empty), then three that are not template names:
 * they tell the claim which calendar object to attach to a meeting email
 * (meeting_mail.c, app_meeting_mail_vars). */
static const char *const more_names[] = {
	"meetingId", "icalMethod", "icalSequence",
};

#define V_COUNT (TMPL_V_COUNT + sizeof(more_names) / sizeof(more_names[0]))

static const char *var_name(size_t i)
{
	return i < TMPL_V_COUNT ? tmpl_var_names[i] :
		more_names[i - TMPL_V_COUNT];
}

int app_mail_wanted(struct app_tx *tx, bool send_email, bool *yes)
{
	*yes = false;
	if (!send_email)
		return 0;
	return app_setting_bool(tx->st, "automaticallySendEmailsToUsers",
				yes);
}

/* The commit hook of a transaction that queued an email: after the
 * commit, not before, so that the worker finds the row. */
static void queued_committed(struct app *a, void *arg)
{
	(void)arg;
	app_outbox_nudge(a);
}

/* The subject: the template's first line rendered alone, so a PIN in the
 * body is never rendered here. */
static int subject_render(const char *kind, const struct tmpl_var *vars,
			  char *subject, size_t size)
{
	char name[STORE_MAIL_KIND_SIZE + 8];
	char line[SUBJECT_LINE_MAX];
	struct buf *b = NULL;
	const char *t, *body;
	size_t len;
	int e;

	snprintf(name, sizeof(name), "%s.txt", kind);
	t = tmpl_builtin(name);
	if (!t)
		return EINVAL;
	len = strcspn(t, "\n");
	if (len >= sizeof(line))
		return EOVERFLOW;
	memcpy(line, t, len);
	line[len] = '\0';

	e = buf_alloc(&b, sizeof(line) * 4);
	if (!e)
		e = tmpl_render(line, vars, V_COUNT, TMPL_TEXT, b);
	if (!e)
		e = tmpl_subject(buf_str(b), subject, size, &body);
	buf_free(b);
	return e;
}

/* vars as a JSON object text into out; empty values are left out. */
static int vars_json(const struct tmpl_var *vars, char *out, size_t size)
{
	json_t *o = json_object();
	char *text = NULL;
	size_t i;
	int e = 0;

	if (!o)
		return ENOMEM;
	for (i = 0; i < V_COUNT && !e; i++) {
		if (vars[i].value && vars[i].value[0] &&
		    json_object_set_new(o, vars[i].name,
					json_string(vars[i].value)))
			e = EINVAL; /* not UTF-8: refused before it is stored */
	}
	if (!e)
		text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!e && !text)
		e = ENOMEM;
	if (!e && strlen(text) >= size)
		e = EOVERFLOW;
	if (!e)
		memcpy(out, text, strlen(text) + 1);
	if (text) {
		explicit_bzero(text, strlen(text)); /* may hold the PIN */
		free(text);
	}
	json_decref(o);
	return e;
}

/* From, subject, variables of a new row for u (numbers: u's own or the
 * organization's defaults). */
/* Put the extra values into v by name. */
static int vars_merge(struct tmpl_var *v, const struct tmpl_var *extra,
		      size_t nextra)
{
	size_t i, k;

	for (i = 0; i < nextra; i++) {
		for (k = 0; k < V_COUNT; k++) {
			if (!strcmp(var_name(k), extra[i].name))
				break;
		}
		if (k == V_COUNT)
			return EINVAL;
		v[k].value = extra[i].value;
	}
	return 0;
}

static int mail_fill(struct app_tx *tx, struct store_mail *m, const char *kind,
		     const struct store_user *u, uint32_t confid,
		     uint32_t previous, const char *pin,
		     const struct tmpl_var *extra, size_t nextra)
{
	char org[SETTINGS_VALUE_MAX], id[APP_CONFID_SIZE] = "";
	char prev[APP_CONFID_SIZE] = "";
	char toll[E164_FORMAT_SIZE], toll_free[E164_FORMAT_SIZE];
	struct tmpl_var v[V_COUNT];
	struct app_user au;
	size_t i;
	int e;

	if ((e = app_user_fill(tx->st, u, &au)) ||
	    (e = app_setting_text(tx->st, "organizationName", org,
				  sizeof(org))) ||
	    (e = app_setting_text(tx->st, "sendEmailFromAddress",
				  m->from_addr, sizeof(m->from_addr))) ||
	    (e = app_setting_text(tx->st, "sendEmailFromDisplayName",
				  m->from_name, sizeof(m->from_name))))
		return e;
	if (confid)
		confid_format(confid, id, sizeof(id));
	if (previous)
		confid_format(previous, prev, sizeof(prev));
	for (i = 0; i < V_COUNT; i++)
		v[i] = (struct tmpl_var){ var_name(i), NULL };
	v[TMPL_V_DISPLAY_NAME].value = u->display_name;
	v[TMPL_V_ORGANIZATION_NAME].value = org;
	v[TMPL_V_CONFERENCE_ID].value = id;
	v[TMPL_V_PREVIOUS_CONFERENCE_ID].value = prev;
	v[TMPL_V_TOLL_NUMBER].value = au.toll_number;
	v[TMPL_V_TOLL_FREE_NUMBER].value = au.toll_free_number;
	v[TMPL_V_PIN].value = pin;
	e = vars_merge(v, extra, nextra);
	if (e)
		return e;

	/* The numbers as people read them, for the subject; the row keeps
	 * the numbers only, and the worker formats them again (mail). */
	if (e164_format(v[TMPL_V_TOLL_NUMBER].value, toll, sizeof(toll)) ||
	    e164_format(v[TMPL_V_TOLL_FREE_NUMBER].value, toll_free,
			sizeof(toll_free)))
		return EINVAL;
	v[TMPL_V_TOLL_NUMBER_DISPLAY].value = toll;
	v[TMPL_V_TOLL_FREE_NUMBER_DISPLAY].value = toll_free;

	e = subject_render(kind, v, m->subject, sizeof(m->subject));
	v[TMPL_V_TOLL_NUMBER_DISPLAY].value = NULL;
	v[TMPL_V_TOLL_FREE_NUMBER_DISPLAY].value = NULL;
	if (!e)
		e = vars_json(v, m->vars, sizeof(m->vars));
	return e;
}

static int enqueue(struct app_tx *tx, const char *kind,
		   const struct store_user *u, const char *to,
		   uint32_t confid, uint32_t previous, const char *pin,
		   const struct tmpl_var *extra, size_t nextra)
{
	struct store_mail *m;
	int e;

	m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	m->created_at = app_now();
	m->next_attempt_at = m->created_at;
	m->state = MAILSTATE_PENDING;
	snprintf(m->kind, sizeof(m->kind), "%s", kind);
	snprintf(m->to_addr, sizeof(m->to_addr), "%s", to ? to : u->email);
	/* The user's name belongs on the user's own address only. */
	if (!to || !strcasecmp(to, u->email))
		snprintf(m->to_name, sizeof(m->to_name), "%s",
			 u->display_name);

	e = mime_token_new(m->token, sizeof(m->token));
	if (!e)
		e = mail_fill(tx, m, kind, u, confid, previous, pin, extra,
			      nextra);
	if (!e)
		e = store_outbox_insert(tx->st, m);
	if (!e)
		e = app_tx_on_commit(tx, queued_committed, NULL);
	explicit_bzero(m, sizeof(*m));
	free(m);
	return e;
}

int app_outbox_enqueue_tx(struct app_tx *tx, const char *kind,
			  const struct store_user *u, const char *to,
			  uint32_t confid, uint32_t previous, const char *pin)
{
	return enqueue(tx, kind, u, to, confid, previous, pin, NULL, 0);
}

int app_outbox_enqueue_more_tx(struct app_tx *tx, const char *kind,
			       const struct store_user *u, const char *to,
			       uint32_t confid, uint32_t previous,
			       const struct tmpl_var *extra, size_t nextra)
{
	return enqueue(tx, kind, u, to, confid, previous, NULL, extra, nextra);
}

/* What the API and the worker see of a stored row. */
static void mail_convert(const struct store_mail *sm, struct app_mail *m)
{
	const char *at = strrchr(sm->from_addr, '@');

	memset(m, 0, sizeof(*m));
	m->id = sm->id;
	snprintf(m->kind, sizeof(m->kind), "%s", sm->kind);
	snprintf(m->to_addr, sizeof(m->to_addr), "%s", sm->to_addr);
	snprintf(m->to_name, sizeof(m->to_name), "%s", sm->to_name);
	snprintf(m->from_addr, sizeof(m->from_addr), "%s", sm->from_addr);
	snprintf(m->from_name, sizeof(m->from_name), "%s", sm->from_name);
	snprintf(m->subject, sizeof(m->subject), "%s", sm->subject);
	snprintf(m->last_error, sizeof(m->last_error), "%s", sm->last_error);
	/* The From domain names the Message-ID (RFC 5322 §3.6.4: unique
	 * worldwide); the row id and token keep it the same on every try. */
	if (mime_message_id(m->message_id, sizeof(m->message_id), sm->id,
			    sm->token, at ? at + 1 : "localhost"))
		(void)mime_message_id(m->message_id, sizeof(m->message_id),
				      sm->id, sm->token, "localhost");
	m->state = sm->state;
	m->attempts = sm->attempts;
	m->created_at = sm->created_at;
	m->next_attempt_at = mailstate_is(sm->state, MAILSTATE_DUE) ?
		sm->next_attempt_at : 0;
	m->sent_at = sm->sent_at;
}

static int user_enabled(struct store *st, const char *ref,
			struct store_user *u, struct app_err *err)
{
	int e = app_user_resolve(st, ref, u, err);

	if (!e && (!u->audio_enabled || !u->conference_id)) {
		app_errf(err, "user is not enabled for audio conferencing");
		e = EBUSY;
	}
	return e;
}

struct info_args {
	const char *actor;
	const char *ref;
	const char *to; /* NULL: the user's address */
	char to_out[STORE_EMAIL_SIZE]; /* out */
};

/* The body of app_tx_run (struct info_args). */
static int info_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct info_args *c = arg;
	const char *to = c->to;
	struct store_user u;
	int e;

	c->to_out[0] = '\0';
	e = user_enabled(tx->st, c->ref, &u, err);
	if (!e)
		e = app_outbox_enqueue_tx(tx, "conference-info", &u, to,
					  u.conference_id, 0, NULL);
	if (e)
		return e;
	snprintf(c->to_out, sizeof(c->to_out), "%s", to ? to : u.email);
	return app_audit(tx, c->actor, APP_AUDIT_MAIL_CONFERENCE_INFO, u.email,
			 json_pack("{s:s}", "to", to ? to : u.email));
}

int app_send_conference_info(struct app *a, const char *actor, const char *ref,
			     const char *to, bool *queued, char *to_out,
			     size_t to_size, struct app_err *err)
{
	struct info_args c = { .actor = actor, .ref = ref, .to = to };
	int e;

	app_err_clear(err);
	if (queued)
		*queued = false;
	if (to && (!emailaddr_valid(to) ||
		   strnlen(to, STORE_EMAIL_SIZE) >= STORE_EMAIL_SIZE)) {
		app_errf(err, "to is not a valid address");
		return EINVAL;
	}
	e = app_tx_run(a, info_tx, &c, err);
	if (!e && to_out)
		snprintf(to_out, to_size, "%s", c.to_out);
	if (!e && queued)
		*queued = true;
	return e;
}

/* A claimed row, kept until the claim commits: a run lost to a conflict
 * is run again, and the worker must get each row once, and only leased. */
struct claimed {
	struct app_mail m;
	char *vars; /* m.vars: the row's, with the calendar; may hold a PIN */
};

struct claim_ctx {
	int64_t now;
	int max;
	struct app_mail_claim *claim; /* token in, timeout and lease out */
	struct store *st;
	struct app_ics_cache *ics; /* meeting emails of one run */
	struct claimed *rows;      /* out: n of them, room for cap */
	int n, cap;
};

/* Forget a run's rows, so that the next run starts from none. */
static void claimed_clear(struct claim_ctx *c)
{
	int i;

	for (i = 0; i < c->n; i++) {
		explicit_bzero(c->rows[i].vars, strlen(c->rows[i].vars));
		free(c->rows[i].vars);
	}
	c->n = 0;
	app_ics_cache_free(c->ics);
	c->ics = NULL;
}

/* A meeting email gets its calendar object here, from the meeting's
 * attendees as stored (too many for the row's variables). */
static int claim_cb(const struct store_mail *sm, void *arg)
{
	struct claim_ctx *c = arg;
	struct claimed *r;
	char *more = NULL;
	int e, cap;

	if (c->n == c->cap) {
		cap = c->cap ? c->cap * 2 : 8;
		r = realloc(c->rows, (size_t)cap * sizeof(*r));
		if (!r)
			return ENOMEM;
		c->rows = r;
		c->cap = cap;
	}
	e = app_meeting_mail_vars(c->st, sm->vars, &c->ics, &more);
	if (e)
		return e;
	r = &c->rows[c->n];
	r->vars = more ? more : strdup(sm->vars);
	if (!r->vars)
		return ENOMEM;
	mail_convert(sm, &r->m);
	r->m.vars = r->vars;
	c->n++;
	return 0;
}

/* The lease outlives one delivery twice over: renewed just before a
 * message is handed to the transport, it cannot run out while the
 * transport has the message (it gives up after timeout_s). */
static int claim_times(struct store *st, struct app_mail_claim *claim)
{
	long timeout;
	int e;

	e = app_setting_int(st, "emailSendTimeoutSeconds", &timeout);
	if (e)
		return e;
	claim->timeout_s = (int)timeout;
	claim->lease_s = 2 * (int)timeout;
	e = app_setting_int(st, "emailParallelConnections", &timeout);
	claim->parallel = e ? 1 : (int)timeout;
	return e;
}

/* The body of app_tx_run (struct claim_ctx). */
static int claim_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct claim_ctx *c = arg;
	int e;

	(void)err;
	claimed_clear(c);
	c->st = tx->st;
	e = claim_times(tx->st, c->claim);
	if (!e)
		e = store_outbox_claim(tx->st, c->now,
				       c->now + c->claim->lease_s,
				       c->claim->token, c->max, claim_cb, c);
	return e;
}

int app_outbox_claim(struct app *a, int64_t now, int max,
		     struct app_mail_claim *claim, app_mail_h *h, void *arg)
{
	struct claim_ctx *c;
	int e, i;

	if (!a || !h || !claim || max < 1 || max > CLAIM_MAX)
		return EINVAL;
	/* A new token per claim: a row claimed again, even by the same
	 * worker, no longer answers to the old one. */
	e = mime_token_new(claim->token, sizeof(claim->token));
	if (e)
		return e;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->now = now;
	c->max = max;
	c->claim = claim;
	e = app_tx_run(a, claim_tx, c, NULL);
	/* Only now are the rows ours. A callback's error leaves the rest
	 * leased: they are claimed again when the lease ends. */
	for (i = 0; !e && i < c->n; i++)
		e = h(&c->rows[i].m, arg);
	claimed_clear(c);
	free(c->rows);
	free(c);
	return e;
}

/* Backoff of SPEC §5, from the settings of the moment. */
struct backoff {
	long initial, max, give_up_s;
};

static int backoff_get(struct store *st, struct backoff *b)
{
	long hours;
	int e;

	if ((e = app_setting_int(st, "emailRetryInitialSeconds",
				 &b->initial)) ||
	    (e = app_setting_int(st, "emailRetryMaxSeconds", &b->max)) ||
	    (e = app_setting_int(st, "emailGiveUpHours", &hours)))
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

/* Seconds waited between tries before try k: the sum of the earlier
 * waits. Counted from the tries, not the clock, so a daemon that was down
 * for days does not give up on an email it never tried. */
static long backoff_waited(const struct backoff *b, int k)
{
	long sum = 0;
	int i;

	for (i = 1; i < k && sum <= b->give_up_s; i++)
		sum += backoff_delay(b, i);
	return sum;
}

/* Drop the PIN from a delivered row's variables. */
static int vars_forget_pin(struct store_mail *m)
{
	json_t *o = json_loads(m->vars, 0, NULL);
	char *text = NULL;
	int e = 0;

	explicit_bzero(m->vars, sizeof(m->vars));
	if (!o) {
		snprintf(m->vars, sizeof(m->vars), "{}");
		return 0;
	}
	json_object_del(o, "pin");
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text || strlen(text) >= sizeof(m->vars))
		e = ENOMEM;
	else
		memcpy(m->vars, text, strlen(text) + 1);
	free(text);
	json_decref(o);
	return e;
}

static void mail_error(struct store_mail *m, const char *fmt, const char *s)
{
	snprintf(m->last_error, sizeof(m->last_error), fmt,
		 s && s[0] ? s : "unknown error");
}

static void verdict_apply(struct store_mail *m, const struct backoff *b,
			  const struct app_mail_verdict *v, int64_t now)
{
	long delay;

	m->attempts++;
	m->lease_until = 0;
	m->next_attempt_at = 0;
	switch (v->result) {
	case APP_MAIL_DELIVERED:
		m->state = MAILSTATE_SENT;
		m->sent_at = now;
		m->last_error[0] = '\0';
		break;
	case APP_MAIL_PERMANENT:
		m->state = MAILSTATE_FAILED;
		mail_error(m, "%s", v->error);
		break;
	case APP_MAIL_TEMPORARY:
	default:
		delay = backoff_delay(b, m->attempts);
		if (backoff_waited(b, m->attempts) + delay > b->give_up_s) {
			m->state = MAILSTATE_FAILED;
			mail_error(m, "gave up retrying: %s", v->error);
		}
		else {
			m->next_attempt_at = now + delay;
			mail_error(m, "%s", v->error);
		}
		break;
	}
}

/* The row as the verdict leaves it, written only while claim still
 * holds it: ESTALE when it does not (claimed again, settled already). */
static int report_one(struct store *st, struct store_mail *m,
		      const struct backoff *b, const char *claim,
		      const struct app_mail_verdict *v, int64_t now)
{
	int e;

	e = store_outbox_get(st, v->id, m);
	if (e == ENOENT || (!e && (m->state != MAILSTATE_PENDING ||
				   strcmp(m->claim, claim))))
		return ESTALE;
	if (e)
		return e;
	verdict_apply(m, b, v, now);
	if (m->state == MAILSTATE_SENT)
		e = vars_forget_pin(m);
	if (!e)
		e = store_outbox_settle(st, m, claim);
	return e;
}

/* Counted once committed: a verdict rolled back is reported again. */
static void report_count(const struct app_mail_verdict *v, size_t n)
{
	static const enum metrics_counter by_result[] = {
		[APP_MAIL_DELIVERED] = METRICS_EMAILS_SENT,
		[APP_MAIL_TEMPORARY] = METRICS_EMAIL_TEMPFAIL,
		[APP_MAIL_PERMANENT] = METRICS_EMAIL_PERMFAIL,
	};
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].dropped)
			metrics_inc(METRICS_EMAIL_STALE);
		else if ((unsigned)v[i].result <
			 sizeof(by_result) / sizeof(by_result[0]))
			metrics_inc(by_result[v[i].result]);
	}
}

struct report_args {
	const struct app_mail_claim *claim;
	struct app_mail_verdict *v;
	size_t n;
	int64_t now;
	struct store_mail *m; /* room for one row */
};

/* The body of app_tx_run (struct report_args). A verdict on a row the
 * claim no longer holds changes nothing and is marked dropped; the
 * others are recorded all the same. */
static int report_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct report_args *c = arg;
	struct backoff b;
	size_t i;
	int e;

	(void)err;
	for (i = 0; i < c->n; i++)
		c->v[i].dropped = false;
	e = backoff_get(tx->st, &b);
	for (i = 0; i < c->n && !e; i++) {
		e = report_one(tx->st, c->m, &b, c->claim->token, &c->v[i],
			       c->now);
		if (e == ESTALE) {
			c->v[i].dropped = true;
			e = 0;
		}
	}
	return e;
}

int app_outbox_report(struct app *a, const struct app_mail_claim *claim,
		      struct app_mail_verdict *v, size_t n, int64_t now)
{
	struct report_args c = { claim, v, n, now, NULL };
	int e;

	if (!a || !claim || !claim->token[0] || (!v && n))
		return EINVAL;
	c.m = malloc(sizeof(*c.m));
	if (!c.m)
		return ENOMEM;
	/* Relaxed: a verdict lost to a power cut means the email is sent
	 * again with its Message-ID, the cost the outbox accepts anyway. */
	e = app_tx_run_relaxed(a, report_tx, &c, NULL);
	if (!e)
		report_count(v, n);
	explicit_bzero(c.m, sizeof(*c.m));
	free(c.m);
	return e;
}

struct renew_args {
	const struct app_mail_claim *claim;
	int64_t id;
	int64_t now;
};

/* The body of app_tx_run (struct renew_args). */
static int renew_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct renew_args *c = arg;

	(void)err;
	return store_outbox_renew(tx->st, c->claim->token, c->id,
				  c->now + c->claim->lease_s);
}

int app_outbox_renew(struct app *a, const struct app_mail_claim *claim,
		     int64_t id, int64_t now)
{
	struct renew_args c = { claim, id, now };

	if (!a || !claim || !claim->token[0] || claim->lease_s < 1)
		return EINVAL;
	return app_tx_run(a, renew_tx, &c, NULL);
}

struct list_ctx {
	app_mail_h *h;
	void *arg;
	struct app_mail m;
};

static int list_cb(const struct store_mail *sm, void *arg)
{
	struct list_ctx *c = arg;

	mail_convert(sm, &c->m);
	return c->h(&c->m, c->arg);
}

int app_outbox_list(struct app *a, const char *state, int limit, app_mail_h *h,
		    void *arg, struct app_err *err)
{
	struct list_ctx *c;
	struct store *st;
	enum mailstate ms;
	int e, s = -1;

	app_err_clear(err);
	if (state) {
		if (mailstate_parse(state, &ms)) {
			app_errf(err, "state must be one of " MAILSTATE_NAMES);
			return EINVAL;
		}
		s = (int)ms;
	}
	if (limit < 1 || limit > LIST_LIMIT_MAX) {
		app_errf(err, "limit must be between 1 and %d",
			 LIST_LIMIT_MAX);
		return EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->h = h;
	c->arg = arg;
	st = app_conn_get(a);
	e = store_outbox_list(st, s, limit, list_cb, c);
	app_conn_put(a, st);
	free(c);
	if (e && err && !err->detail[0])
		app_errf(err, "cannot list the outbox: %s", strerror(e));
	return e;
}

struct retry_args {
	const char *actor;
	int64_t id;
	struct store_mail *m; /* out: the row as retried */
};

/* The body of app_tx_run (struct retry_args). */
static int retry_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct retry_args *c = arg;
	struct store_mail *m = c->m;
	int64_t id = c->id;
	json_t *detail;
	int e;

	e = store_outbox_get(tx->st, id, m);
	if (e == ENOENT)
		app_errf(err, "no email %lld in the outbox", (long long)id);
	if (e)
		return e;
	if (!mailstate_is(m->state, MAILSTATE_RETRY)) {
		app_errf(err, "email %lld is not failed", (long long)id);
		return EBUSY;
	}
	/* The audit record keeps what happened before: the attempts and
	 * the last error the retry starts over from. attempts itself goes
	 * back to 0, as the backoff and the give-up time count from it. */
	detail = json_pack("{s:I, s:s, s:i, s:s}", "id", (json_int_t)id,
			   "kind", m->kind, "attempts", m->attempts,
			   "lastError", m->last_error);
	m->state = MAILSTATE_PENDING;
	m->attempts = 0;
	m->next_attempt_at = app_now();
	m->lease_until = 0;
	e = store_outbox_update(tx->st, m);
	if (!e)
		e = app_tx_on_commit(tx, queued_committed, NULL);
	if (e) {
		json_decref(detail);
		return e;
	}
	return app_audit(tx, c->actor, APP_AUDIT_MAIL_RETRY, m->to_addr,
			 detail);
}

int app_outbox_retry(struct app *a, const char *actor, int64_t id,
		     struct app_mail *out, struct app_err *err)
{
	struct retry_args c = { actor, id, NULL };
	int e;

	app_err_clear(err);
	c.m = malloc(sizeof(*c.m));
	if (!c.m)
		return ENOMEM;
	e = app_tx_run(a, retry_tx, &c, err);
	if (!e && out)
		mail_convert(c.m, out);
	explicit_bzero(c.m, sizeof(*c.m));
	free(c.m);
	return e;
}

int app_outbox_release_leases(struct app *a)
{
	struct store *st = app_conn_get(a);
	int e = 0;

	/* Only the embedded database has one node for sure. On a shared
	 * PostgreSQL the other nodes' leases are live work: releasing them
	 * would send their emails twice. A dead node's leases simply expire
	 * and the claim picks those rows up then. */
	if (strcmp(store_backend_name(st), "sqlite") == 0)
		e = store_outbox_release_leases(st);
	app_conn_put(a, st);
	return e;
}

int app_outbox_next_due(struct app *a, int64_t *at)
{
	struct store *st = app_conn_get(a);
	int e;

	e = store_outbox_next_due(st, at);
	app_conn_put(a, st);
	return e;
}

void app_outbox_wait(struct app *a, uint64_t *gen, int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&a->mail_mtx);
	while (*gen == a->mail_gen) {
		if (pthread_cond_timedwait(&a->mail_cond, &a->mail_mtx, &ts))
			break;
	}
	*gen = a->mail_gen;
	pthread_mutex_unlock(&a->mail_mtx);
}

void app_outbox_nudge(struct app *a)
{
	pthread_mutex_lock(&a->mail_mtx);
	a->mail_gen++;
	pthread_cond_broadcast(&a->mail_cond);
	pthread_mutex_unlock(&a->mail_mtx);
}
