/* worker: the outbox worker (SPEC §5, DESIGN "outbox worker"): up to
 * MAIL_SENDERS_MAX sender threads, each with its own transport (its own SMTP
 * connection, kept open from one message to the next).
 *
 * A sender's loop: claim a batch of due rows under a fresh claim token and
 * a lease of twice emailSendTimeoutSeconds; for each row, make sure the
 * lease holds for one more delivery (renewing it when it gets short: that
 * fails if another worker has claimed the row since, and the row is
 * skipped), render, deliver outside any transaction; the verdicts are
 * recorded in one commit for several messages (below). Then either go on
 * (the batch was full) or sleep until the next row is due or a commit that
 * queued an email wakes us (app_outbox_nudge).
 *
 * Sender 0 always runs. The others join only while a backlog waits (a
 * claim came back full) and while their number is below
 * emailParallelConnections as the last claim read it: a trickle of email
 * goes over one connection, a backlog over several, each batch on its own
 * claim, as two nodes would share it.
 *
 * Why: the transport gives up on a message after emailSendTimeoutSeconds
 * and a message is only handed over with at least one and a half of those
 * left on the lease, so the lease cannot run out while the server has the
 * message. An accepted message is marked sent before the next is tried
 * once MARK_MS have passed since it was handed over, or once MARK_EVERY
 * accepted ones wait to be marked: one commit per message would bound a
 * fast server's rate by the database (a commit costs more than an SMTP
 * exchange), while a slow server still has each message marked before the
 * next. So an email is handed over at most once per lease, however slow the
 * server, and a daemon killed mid-batch sends again at most MARK_EVERY
 * messages per connection (the accepted ones not yet marked, and the one in
 * flight), with the same Message-ID: at least once, never zero. A message
 * the server refused or never got may go again, which is no duplicate. A
 * verdict that comes too late (the row claimed again meanwhile) is
 * dropped.
 *
 * On start every lease is cleared: with SQLite one node runs one worker,
 * so a lease found at start belongs to a process that is gone and its rows
 * are due at once. Several nodes sharing PostgreSQL instead wait for those
 * leases to run out. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define LOG_MODULE "mail"
#include "core/buf.h"
#include "core/log.h"
#include "mail/mail.h"
#include "mail/mail_priv.h"

#define BATCH_MAX 20          /* rows of one claim; each leased while it waits */
#define IDLE_MS 5000          /* look again even without a nudge */
#define MESSAGE_CAP (1024 * 1024)
#define DATADIR_MAILDIR "maildir"
#define MAIL_SENDERS_MAX 16   /* emailParallelConnections' maximum */
#define MARK_EVERY 8          /* accepted messages marked sent in one commit */
#define MARK_MS 50            /* ... or this long after the oldest went out */

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct job {
	struct app_mail m;
	char *vars; /* owned copy; may hold a PIN */
};

struct mail_worker;

/* One sender thread and its transport. */
struct sender {
	struct mail_worker *w;
	int index;
	struct mail_transport *t;
	pthread_t thread;
	bool started;
	uint64_t gen;

	struct job jobs[BATCH_MAX];
	int njobs;
	struct app_mail_claim claim;
	int64_t lease_until; /* of the claim's rows, as last set */
	/* Verdicts not recorded yet: accepted ones (at most MARK_EVERY, the
	 * oldest handed over at oldest_ms) and the others. */
	struct app_mail_verdict v[BATCH_MAX];
	char reason[BATCH_MAX][MAIL_REASON_SIZE];
	int nv;
	int naccepted;
	int64_t oldest_ms;
	struct buf *msg;
};

struct mail_worker {
	struct app *a;
	atomic_bool stop;
	atomic_int parallel; /* emailParallelConnections, as last claimed */
	atomic_bool backlog; /* the last claim came back full */
	int nsenders;        /* started */
	struct sender s[MAIL_SENDERS_MAX];
};

enum app_mail_result mail_transport_send(struct mail_transport *t,
					 const struct app_mail *m,
					 const char *msg, size_t len,
					 char *reason, size_t size)
{
	return t->send(t, m, msg, len, reason, size);
}

void mail_transport_batch(struct mail_transport *t, int timeout_s)
{
	if (t && t->batch)
		t->batch(t, timeout_s);
}

void mail_transport_close(struct mail_transport *t)
{
	if (t)
		t->close(t);
}

int mail_url_check(const char *url)
{
	if (!url)
		return EINVAL;
	if (!strncmp(url, "maildir:", 8))
		return 0;
	return mail_smtp_check(url);
}

void mail_url_redact(const char *url, char *out, size_t size)
{
	const char *auth, *end, *at = NULL, *p;

	if (!size)
		return;
	auth = url ? strstr(url, "://") : NULL;
	if (!auth) {
		snprintf(out, size, "%s", url ? url : "");
		return;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	/* The user information ends at the last '@' of the authority. */
	for (p = auth; p < end; p++) {
		if (*p == '@')
			at = p;
	}
	if (!at)
		snprintf(out, size, "%s", url);
	else
		snprintf(out, size, "%.*s***%s", (int)(auth - url), url, at);
}

static int claim_cb(const struct app_mail *m, void *arg)
{
	struct sender *s = arg;
	struct job *j;

	if (s->njobs >= BATCH_MAX)
		return 0;
	j = &s->jobs[s->njobs];
	j->vars = strdup(m->vars ? m->vars : "{}");
	if (!j->vars)
		return ENOMEM;
	j->m = *m;
	j->m.vars = j->vars;
	s->njobs++;
	return 0;
}

static void jobs_clear(struct sender *s)
{
	int i;

	for (i = 0; i < s->njobs; i++) {
		explicit_bzero(s->jobs[i].vars, strlen(s->jobs[i].vars));
		free(s->jobs[i].vars);
		s->jobs[i].vars = NULL;
	}
	s->njobs = 0;
}

static void log_verdict(const struct job *j, const struct app_mail_verdict *v)
{
	if (v->result == APP_MAIL_DELIVERED)
		return;
	log_warn("id=%lld kind=%s result=%s reason=\"%s\"",
		 (long long)j->m.id, j->m.kind,
		 v->result == APP_MAIL_PERMANENT ? "failed" : "deferred",
		 v->error);
}

/* Render job j and hand it to the transport: the verdict into v, its
 * reason into reason. */
static void deliver(struct sender *s, const struct job *j,
		    struct app_mail_verdict *v, char *reason)
{
	int e;

	v->id = j->m.id;
	v->error = reason;
	reason[0] = '\0';
	buf_reset(s->msg);
	e = mail_render(&j->m, now_s(), s->msg);
	if (e) {
		/* A row that cannot be rendered never will be. */
		snprintf(reason, MAIL_REASON_SIZE, "cannot render: %s",
			 strerror(e));
		v->result = APP_MAIL_PERMANENT;
	}
	else {
		v->result = mail_transport_send(s->t, &j->m, buf_str(s->msg),
						buf_len(s->msg), reason,
						MAIL_REASON_SIZE);
	}
	/* The rendered message may show a PIN. */
	explicit_bzero((char *)buf_str(s->msg), buf_len(s->msg));
	log_verdict(j, v);
}

/* Record the verdicts held (one commit) and forget them. */
static void report(struct sender *s)
{
	struct app_mail_verdict *v = s->v;
	int n = s->nv;
	int e, i;

	s->nv = 0;
	s->naccepted = 0;
	if (!n)
		return;
	e = app_outbox_report(s->w->a, &s->claim, v, (size_t)n, now_s());
	if (e) {
		/* Sent again when the lease ends. */
		log_error("event=report-failed rows=%d err=\"%s\"", n,
			  strerror(e));
		return;
	}
	for (i = 0; i < n; i++) {
		if (v[i].dropped)
			log_warn("event=report-dropped id=%lld result=%s",
				 (long long)v[i].id,
				 v[i].result == APP_MAIL_DELIVERED ? "sent" :
				 "not-sent");
	}
}

/* Whether row id is still ours for one more delivery: while the lease
 * has more than one and a half deliveries to run nobody else can have
 * claimed it; closer to its end, renew it (the claim's other rows with
 * it), which fails if another worker has claimed the row since. */
static bool lease_hold(struct sender *s, int64_t id)
{
	int64_t now = now_s();
	int e;

	if (s->lease_until - now > s->claim.timeout_s * 3 / 2)
		return true;
	e = app_outbox_renew(s->w->a, &s->claim, id, now);
	if (e == ESTALE) {
		log_warn("event=lease-lost id=%lld", (long long)id);
		return false;
	}
	if (e) {
		/* Not sure it is ours: leave it to its lease. */
		log_error("event=renew-failed id=%lld err=\"%s\"",
			  (long long)id, strerror(e));
		return false;
	}
	s->lease_until = now + s->claim.lease_s;
	return true;
}

/* Whether the accepted messages held must be marked sent before the next
 * is handed over (MARK_EVERY, MARK_MS). */
static bool marks_due(const struct sender *s)
{
	return s->naccepted >= MARK_EVERY ||
		(s->naccepted && now_ms() - s->oldest_ms >= MARK_MS);
}

/* Job i, if the claim still holds it, handed to the transport. */
static void job_run(struct sender *s, int i)
{
	const struct job *j = &s->jobs[i];
	struct app_mail_verdict *v;
	int64_t t0;

	if (marks_due(s))
		report(s);
	v = &s->v[s->nv];
	if (!lease_hold(s, j->m.id))
		return;
	t0 = now_ms();
	deliver(s, j, v, s->reason[s->nv]);
	s->nv++;
	if (v->result == APP_MAIL_DELIVERED && !s->naccepted++)
		s->oldest_ms = t0;
	if (s->naccepted >= MARK_EVERY)
		report(s);
}

/* One batch: 0 and the number claimed in *n, or an errno. A stop between
 * two messages leaves the rest leased: due again when the lease ends (at
 * once after a restart with SQLite). */
static int batch_run(struct sender *s, int *n)
{
	int64_t now = now_s();
	int e, i;

	s->njobs = 0;
	s->nv = 0;
	s->naccepted = 0;
	e = app_outbox_claim(s->w->a, now, BATCH_MAX, &s->claim, claim_cb, s);
	*n = s->njobs;
	if (!e)
		atomic_store(&s->w->parallel, s->claim.parallel);
	if (e || !s->njobs)
		goto out;
	s->lease_until = now + s->claim.lease_s;
	mail_transport_batch(s->t, s->claim.timeout_s);
	for (i = 0; i < s->njobs && !atomic_load(&s->w->stop); i++)
		job_run(s, i);
	report(s);
 out:
	jobs_clear(s);
	return e;
}

/* Milliseconds until the next row is due, at most IDLE_MS. */
static int sleep_ms(struct app *a)
{
	int64_t due = 0, now = now_s();

	if (app_outbox_next_due(a, &due))
		return IDLE_MS;
	if (due <= now)
		return 10;
	if (due - now > IDLE_MS / 1000)
		return IDLE_MS;
	return (int)(due - now) * 1000;
}

/* Sender 0's other duties, each wake-up. */
static void housekeeping(struct app *a)
{
	int e;

	/* End of life of meeting IDs: the worker wakes at least every
	 * IDLE_MS, often enough for an hour-sized grace period; resolution
	 * refuses them meanwhile anyway. */
	e = app_meeting_expire(a, now_s(), NULL);
	if (e)
		log_error("event=meeting-expiry-failed err=\"%s\"",
			  strerror(e));
	/* Idle Jitsi rooms lose their IDs (days, not minutes). */
	e = app_jitsi_expire(a, now_s(), NULL);
	if (e)
		log_error("event=jitsi-expiry-failed err=\"%s\"", strerror(e));
}

/* Sender 0 always claims; the others only help with a backlog. */
static bool sender_due(const struct sender *s)
{
	return s->index == 0 ||
		(atomic_load(&s->w->backlog) &&
		 s->index < atomic_load(&s->w->parallel));
}

/* A full claim calls the other senders in (once), a short one lets them
 * go back to sleep after their batch. */
static void backlog_set(struct mail_worker *w, bool full)
{
	if (!full)
		atomic_store(&w->backlog, false);
	else if (!atomic_exchange(&w->backlog, true) &&
		 atomic_load(&w->parallel) > 1)
		app_outbox_nudge(w->a);
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	struct mail_worker *w = s->w;
	int n, e;

	while (!atomic_load(&w->stop)) {
		if (s->index == 0)
			housekeeping(w->a);
		if (!sender_due(s)) {
			app_outbox_wait(w->a, &s->gen, IDLE_MS);
			continue;
		}
		e = batch_run(s, &n);
		if (e)
			log_error("event=batch-failed err=\"%s\"",
				  strerror(e));
		backlog_set(w, !e && n == BATCH_MAX);
		if (!e && n == BATCH_MAX)
			continue;
		if (atomic_load(&w->stop))
			break;
		app_outbox_wait(w->a, &s->gen,
				e || s->index ? IDLE_MS : sleep_ms(w->a));
	}
	return NULL;
}

static int transport_open(struct sender *s, const char *url,
			  const char *datadir)
{
	char dir[4096];

	if (strncmp(url, "maildir:", 8))
		return mail_smtp_open(&s->t, url);
	if (url[8])
		return mail_maildir_open(&s->t, url + 8);
	if (!datadir || !datadir[0])
		return EINVAL;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", datadir,
			     DATADIR_MAILDIR) >= sizeof(dir))
		return ENAMETOOLONG;
	return mail_maildir_open(&s->t, dir);
}

/* Stop and join the senders started, free everything. */
static void worker_free(struct mail_worker *w)
{
	int i;

	if (!w)
		return;
	atomic_store(&w->stop, true);
	app_outbox_nudge(w->a);
	for (i = 0; i < MAIL_SENDERS_MAX; i++) {
		struct sender *s = &w->s[i];

		if (s->started)
			pthread_join(s->thread, NULL);
		mail_transport_close(s->t);
		buf_free(s->msg);
	}
	free(w);
}

static int sender_start(struct mail_worker *w, int i, const char *mail_url,
			const char *datadir)
{
	struct sender *s = &w->s[i];
	int e;

	s->w = w;
	s->index = i;
	e = buf_alloc(&s->msg, MESSAGE_CAP);
	if (!e)
		e = transport_open(s, mail_url, datadir);
	if (!e)
		e = pthread_create(&s->thread, NULL, sender_main, s);
	if (!e)
		s->started = true;
	return e;
}

int mail_worker_start(struct mail_worker **wp, struct app *a,
		      const char *mail_url, const char *datadir)
{
	struct mail_worker *w;
	int e, i;

	if (!wp || !a || mail_url_check(mail_url))
		return EINVAL;
	/* Before any thread: curl_global_init is not thread-safe
	 * everywhere. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return EIO;
	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	atomic_init(&w->stop, false);
	atomic_init(&w->parallel, 1);
	atomic_init(&w->backlog, false);
	w->a = a;
	e = app_outbox_release_leases(a);
	/* Every sender is there from the start (an idle one costs a thread
	 * and a curl handle, no connection), so that the setting takes effect
	 * at the next claim. */
	for (i = 0; i < MAIL_SENDERS_MAX && !e; i++)
		e = sender_start(w, i, mail_url, datadir);
	if (e) {
		worker_free(w);
		return e;
	}
	*wp = w;
	return 0;
}

void mail_worker_stop(struct mail_worker *w)
{
	worker_free(w);
}
