/* worker: the outbox worker thread (SPEC §5, DESIGN "outbox worker").
 *
 * Loop: claim a batch of due rows under a fresh claim token and a lease of
 * twice emailSendTimeoutSeconds; for each row, make sure the lease holds
 * for one more delivery (renewing it when it gets short: that fails if
 * another worker has claimed the row since, and the row is skipped),
 * render, deliver outside any transaction, and record an accepted message
 * as sent at once; the verdicts on the others are recorded together at
 * the end of the batch. Then either go on (the batch was full) or sleep
 * until the next row is due or a commit that queued an email wakes us
 * (app_outbox_nudge).
 *
 * Why: the transport gives up on a message after emailSendTimeoutSeconds
 * and a message is only handed over with at least one and a half of those
 * left on the lease, so the lease cannot run out while the server has the
 * message; and each accepted message is marked sent before the next is
 * tried. So an email is handed over at most once per lease, however slow
 * the server, and a daemon killed mid-batch sends again at most the one
 * message it had in flight (with the same Message-ID: at least once, never
 * zero). A message the server refused or never got may go again, which is
 * no duplicate. A verdict that comes too late (the row claimed again
 * meanwhile) is dropped.
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

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

struct job {
	struct app_mail m;
	char *vars; /* owned copy; may hold a PIN */
};

struct mail_worker {
	struct app *a;
	struct mail_transport *t;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	uint64_t gen;

	struct job jobs[BATCH_MAX];
	int njobs;
	struct app_mail_claim claim;
	int64_t lease_until; /* of the claim's rows, as last set */
	/* Verdicts of messages the server did not take, recorded together
	 * at the end of the batch: sending one again is no duplicate. */
	struct app_mail_verdict later[BATCH_MAX];
	char reason[BATCH_MAX][MAIL_REASON_SIZE];
	int nlater;
	struct buf *msg;
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
	struct mail_worker *w = arg;
	struct job *j;

	if (w->njobs >= BATCH_MAX)
		return 0;
	j = &w->jobs[w->njobs];
	j->vars = strdup(m->vars ? m->vars : "{}");
	if (!j->vars)
		return ENOMEM;
	j->m = *m;
	j->m.vars = j->vars;
	w->njobs++;
	return 0;
}

static void jobs_clear(struct mail_worker *w)
{
	int i;

	for (i = 0; i < w->njobs; i++) {
		explicit_bzero(w->jobs[i].vars, strlen(w->jobs[i].vars));
		free(w->jobs[i].vars);
		w->jobs[i].vars = NULL;
	}
	w->njobs = 0;
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
static void deliver(struct mail_worker *w, const struct job *j,
		    struct app_mail_verdict *v, char *reason)
{
	int e;

	v->id = j->m.id;
	v->error = reason;
	reason[0] = '\0';
	buf_reset(w->msg);
	e = mail_render(&j->m, now_s(), w->msg);
	if (e) {
		/* A row that cannot be rendered never will be. */
		snprintf(reason, MAIL_REASON_SIZE, "cannot render: %s",
			 strerror(e));
		v->result = APP_MAIL_PERMANENT;
	}
	else {
		v->result = mail_transport_send(w->t, &j->m, buf_str(w->msg),
						buf_len(w->msg), reason,
						MAIL_REASON_SIZE);
	}
	/* The rendered message may show a PIN. */
	explicit_bzero((char *)buf_str(w->msg), buf_len(w->msg));
	log_verdict(j, v);
}

static void report(struct mail_worker *w, struct app_mail_verdict *v,
		   int n)
{
	int e, i;

	if (!n)
		return;
	e = app_outbox_report(w->a, &w->claim, v, (size_t)n, now_s());
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
static bool lease_hold(struct mail_worker *w, int64_t id)
{
	int64_t now = now_s();
	int e;

	if (w->lease_until - now > w->claim.timeout_s * 3 / 2)
		return true;
	e = app_outbox_renew(w->a, &w->claim, id, now);
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
	w->lease_until = now + w->claim.lease_s;
	return true;
}

/* Job i, if the claim still holds it, handed to the transport; an
 * accepted message is recorded as sent before the next one is tried. */
static void job_run(struct mail_worker *w, int i)
{
	const struct job *j = &w->jobs[i];
	struct app_mail_verdict *v = &w->later[w->nlater];

	if (!lease_hold(w, j->m.id))
		return;
	deliver(w, j, v, w->reason[w->nlater]);
	if (v->result == APP_MAIL_DELIVERED)
		report(w, v, 1);
	else
		w->nlater++;
}

/* One batch: 0 and the number claimed in *n, or an errno. A stop between
 * two messages leaves the rest leased: due again when the lease ends (at
 * once after a restart with SQLite). */
static int batch_run(struct mail_worker *w, int *n)
{
	int64_t now = now_s();
	int e, i;

	w->njobs = 0;
	w->nlater = 0;
	e = app_outbox_claim(w->a, now, BATCH_MAX, &w->claim, claim_cb, w);
	*n = w->njobs;
	if (e || !w->njobs)
		goto out;
	w->lease_until = now + w->claim.lease_s;
	mail_transport_batch(w->t, w->claim.timeout_s);
	for (i = 0; i < w->njobs && !atomic_load(&w->stop); i++)
		job_run(w, i);
	report(w, w->later, w->nlater);
 out:
	jobs_clear(w);
	return e;
}

/* Milliseconds until the next row is due, at most IDLE_MS. */
static int sleep_ms(struct mail_worker *w)
{
	int64_t due = 0, now = now_s();

	if (app_outbox_next_due(w->a, &due))
		return IDLE_MS;
	if (due <= now)
		return 10;
	if (due - now > IDLE_MS / 1000)
		return IDLE_MS;
	return (int)(due - now) * 1000;
}

static void *worker_main(void *arg)
{
	struct mail_worker *w = arg;
	int n, e;

	while (!atomic_load(&w->stop)) {
		/* End of life of meeting IDs: the worker wakes at least
		 * every IDLE_MS, often enough for an hour-sized grace
		 * period; resolution refuses them meanwhile anyway. */
		e = app_meeting_expire(w->a, now_s(), NULL);
		if (e)
			log_error("event=meeting-expiry-failed err=\"%s\"",
				  strerror(e));
		e = batch_run(w, &n);
		if (e)
			log_error("event=batch-failed err=\"%s\"",
				  strerror(e));
		if (!e && n == BATCH_MAX)
			continue;
		if (atomic_load(&w->stop))
			break;
		app_outbox_wait(w->a, &w->gen, e ? IDLE_MS : sleep_ms(w));
	}
	return NULL;
}

static int transport_open(struct mail_worker *w, const char *url,
			  const char *datadir)
{
	char dir[4096];

	if (strncmp(url, "maildir:", 8))
		return mail_smtp_open(&w->t, url);
	if (url[8])
		return mail_maildir_open(&w->t, url + 8);
	if (!datadir || !datadir[0])
		return EINVAL;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", datadir,
			     DATADIR_MAILDIR) >= sizeof(dir))
		return ENAMETOOLONG;
	return mail_maildir_open(&w->t, dir);
}

static void worker_free(struct mail_worker *w)
{
	if (!w)
		return;
	mail_transport_close(w->t);
	buf_free(w->msg);
	free(w);
}

int mail_worker_start(struct mail_worker **wp, struct app *a,
		      const char *mail_url, const char *datadir)
{
	struct mail_worker *w;
	int e;

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
	w->a = a;
	e = buf_alloc(&w->msg, MESSAGE_CAP);
	if (!e)
		e = transport_open(w, mail_url, datadir);
	if (!e)
		e = app_outbox_release_leases(a);
	if (!e)
		e = pthread_create(&w->thread, NULL, worker_main, w);
	if (e) {
		worker_free(w);
		return e;
	}
	w->started = true;
	*wp = w;
	return 0;
}

void mail_worker_stop(struct mail_worker *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, true);
	app_outbox_nudge(w->a);
	if (w->started)
		pthread_join(w->thread, NULL);
	worker_free(w);
}
