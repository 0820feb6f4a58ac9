/* worker: the outbox worker thread (SPEC §5, DESIGN "outbox worker").
 *
 * Loop: claim a batch of due rows with a short lease, render and deliver
 * each one outside any transaction, report the verdicts in one transaction,
 * then either go on (the batch was full) or sleep until the next row is due
 * or a commit that queued an email wakes us (app_outbox_nudge).
 *
 * Crash safety: a row is marked sent only after the transport accepted it.
 * A daemon killed after the commit and before delivery finds the row
 * pending at the next start; one killed after delivery and before the
 * report sends it again, with the same Message-ID (at least once, never
 * zero). On start every lease is cleared: with SQLite one node runs one
 * worker, so a lease found at start belongs to a process that is gone and
 * its rows are due at once. Several nodes sharing PostgreSQL would instead
 * wait for those leases to run out (LEASE_S). */
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

#define BATCH_MAX 50
#define LEASE_S 60            /* longer than a batch takes, short after a crash */
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
	struct app_mail_verdict v[BATCH_MAX];
	char reason[BATCH_MAX][MAIL_REASON_SIZE];
	struct buf *msg;
};

enum app_mail_result mail_transport_send(struct mail_transport *t,
					 const struct app_mail *m,
					 const char *msg, size_t len,
					 char *reason, size_t size)
{
	return t->send(t, m, msg, len, reason, size);
}

void mail_transport_batch(struct mail_transport *t)
{
	if (t && t->batch)
		t->batch(t);
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
	if ((!strncmp(url, "smtp://", 7) && url[7]) ||
	    (!strncmp(url, "smtps://", 8) && url[8]))
		return 0;
	return EINVAL;
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

/* Render and deliver job i; the verdict into w->v[i]. */
static void deliver_one(struct mail_worker *w, int i, int64_t now)
{
	struct app_mail_verdict *v = &w->v[i];
	struct job *j = &w->jobs[i];
	char *reason = w->reason[i];
	int e;

	v->id = j->m.id;
	v->error = reason;
	reason[0] = '\0';
	buf_reset(w->msg);
	e = mail_render(&j->m, now, w->msg);
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

/* One batch: 0 and the number claimed in *n, or an errno. */
static int batch_run(struct mail_worker *w, int *n)
{
	int64_t now = now_s();
	int e, i;

	w->njobs = 0;
	e = app_outbox_claim(w->a, now, BATCH_MAX, LEASE_S, claim_cb, w);
	*n = w->njobs;
	if (e || !w->njobs)
		goto out;
	mail_transport_batch(w->t);
	for (i = 0; i < w->njobs; i++)
		deliver_one(w, i, now_s());
	e = app_outbox_report(w->a, w->v, (size_t)w->njobs, now_s());
	/* Unreported rows are sent again when their lease ends. */
	if (e)
		log_error("event=report-failed err=\"%s\" rows=%d",
			  strerror(e), w->njobs);
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
		/* Idle Jitsi rooms lose their IDs (days, not minutes). */
		e = app_jitsi_expire(w->a, now_s(), NULL);
		if (e)
			log_error("event=jitsi-expiry-failed err=\"%s\"",
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
