/* webhook: the webhook delivery thread (issue #15, "Events"), the
 * outbox worker's sibling (DESIGN: src/mail/ holds the threads that
 * deliver what app queued, over libcurl).
 *
 * Loop: write the events the SIP side queued in memory to the database
 * (app_webhook_flush); claim a few due events under a fresh claim and a
 * lease long enough for all of them; POST each in turn, signed, and
 * record its verdict at once (app_webhook_report), so a delivered event
 * is marked delivered before the next one is tried. When the receiver
 * cannot be reached at all (no connection, timeout), the rest of the
 * claim is not tried and nothing is claimed until the retry time of the
 * event that failed: the events then go oldest first, so they reach the
 * receiver in their order once it is back. Then sleep
 * until the next event is due or new events wake us (app_webhook_nudge).
 * Once a minute, delivered and failed events past webhookRetentionDays
 * are deleted.
 *
 * At least once: a daemon killed between a POST and its verdict sends
 * that event again (same X-Dialconf-Delivery: receivers drop repeats).
 * On start every lease is cleared with SQLite (one node: a lease found
 * belongs to a process that is gone), as the outbox does. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define LOG_MODULE "webhook"
#include "app/app.h"
#include "core/log.h"
#include "core/webhook.h"
#include "mail/mail.h"

#define BATCH_MAX 16       /* events of one claim (app_webhook_claim) */
#define IDLE_MS 5000       /* look again even without a nudge */
#define PURGE_EVERY_S 60
#define REPLY_CAP (64 * 1024) /* bytes of a receiver's reply we read */
#define ERROR_SIZE 200

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

struct job {
	int64_t id;
	int attempts;
	int64_t created_at;
	char event_id[APP_WEBHOOK_ID_SIZE];
	char type[APP_WEBHOOK_TYPE_SIZE];
	char *body;
};

struct mail_webhook {
	struct app *a;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	uint64_t gen;
	int64_t purged_at;
	CURL *curl;

	struct app_webhook_claim claim;
	struct job jobs[BATCH_MAX];
	int njobs;
	/* The receiver could not be reached: nothing is tried before then
	 * (the retry time of the event that failed), so the events queued
	 * meanwhile do not overtake it. 0: it answered last time. */
	int64_t down_until;
};

static int claim_cb(const struct app_webhook *w, void *arg)
{
	struct mail_webhook *wh = arg;
	struct job *j;

	if (wh->njobs >= BATCH_MAX)
		return 0;
	j = &wh->jobs[wh->njobs];
	j->body = strdup(w->body ? w->body : "{}");
	if (!j->body)
		return ENOMEM;
	j->id = w->id;
	j->attempts = w->attempts;
	j->created_at = w->created_at;
	snprintf(j->event_id, sizeof(j->event_id), "%s", w->event_id);
	snprintf(j->type, sizeof(j->type), "%s", w->type);
	wh->njobs++;
	return 0;
}

static void jobs_clear(struct mail_webhook *wh)
{
	int i;

	for (i = 0; i < wh->njobs; i++) {
		free(wh->jobs[i].body);
		wh->jobs[i].body = NULL;
	}
	wh->njobs = 0;
	explicit_bzero(wh->claim.secret, sizeof(wh->claim.secret));
}

/* The reply is read and forgotten, up to a bound. */
static size_t reply_discard(char *p, size_t size, size_t n, void *arg)
{
	size_t *seen = arg;

	(void)p;
	*seen += size * n;
	return *seen > REPLY_CAP ? 0 : size * n;
}

static struct curl_slist *headers_make(const struct job *j,
				       const struct app_webhook_claim *cl)
{
	char line[160], sig[WEBHOOK_SIGNATURE_SIZE];
	struct curl_slist *h = NULL, *t;
	int64_t ts = now_s();
	bool ok = true;
	size_t i;
	const char *fixed[] = {
		"Content-Type: application/json",
		"User-Agent: dialconf-webhook",
		"Expect:", /* no 100-continue round trip */
	};

	for (i = 0; ok && i < sizeof(fixed) / sizeof(fixed[0]); i++)
		ok = (t = curl_slist_append(h, fixed[i])) && (h = t);
	snprintf(line, sizeof(line), "X-Dialconf-Event: %s", j->type);
	ok = ok && (t = curl_slist_append(h, line)) && (h = t);
	snprintf(line, sizeof(line), "X-Dialconf-Delivery: %s", j->event_id);
	ok = ok && (t = curl_slist_append(h, line)) && (h = t);
	snprintf(line, sizeof(line), "X-Dialconf-Timestamp: %lld",
		 (long long)ts);
	ok = ok && (t = curl_slist_append(h, line)) && (h = t);
	if (ok && cl->secret[0]) {
		ok = !webhook_sign(cl->secret, ts, j->body, strlen(j->body),
				   sig, sizeof(sig));
		snprintf(line, sizeof(line), "X-Dialconf-Signature: %s", sig);
		ok = ok && (t = curl_slist_append(h, line)) && (h = t);
	}
	if (!ok) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

/* POST job j: the verdict into v (error text in err). *unreachable when
 * no HTTP answer came at all. */
static void post(struct mail_webhook *wh, const struct job *j,
		 struct app_webhook_verdict *v, char *err, bool *unreachable)
{
	const struct app_webhook_claim *cl = &wh->claim;
	struct curl_slist *h = headers_make(j, cl);
	size_t seen = 0;
	long status = 0;
	CURLcode rc;

	*unreachable = false;
	err[0] = '\0';
	v->error = err;
	v->status = 0;
	v->result = APP_WEBHOOK_RETRY;
	if (!h) {
		snprintf(err, ERROR_SIZE, "out of memory");
		return;
	}
	curl_easy_reset(wh->curl);
	curl_easy_setopt(wh->curl, CURLOPT_URL, cl->url);
	curl_easy_setopt(wh->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(wh->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(wh->curl, CURLOPT_TIMEOUT, (long)cl->timeout_s);
	curl_easy_setopt(wh->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(wh->curl, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(wh->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(j->body));
	curl_easy_setopt(wh->curl, CURLOPT_WRITEFUNCTION, reply_discard);
	curl_easy_setopt(wh->curl, CURLOPT_WRITEDATA, &seen);
	rc = curl_easy_perform(wh->curl);
	curl_slist_free_all(h);
	curl_easy_getinfo(wh->curl, CURLINFO_RESPONSE_CODE, &status);
	v->status = (int)status;
	if (status >= 200 && status < 300) {
		v->result = APP_WEBHOOK_DELIVERED;
		v->error = NULL;
	}
	else if (status) {
		snprintf(err, ERROR_SIZE, "HTTP %ld", status);
	}
	else {
		*unreachable = true;
		snprintf(err, ERROR_SIZE, "%s", curl_easy_strerror(rc));
	}
}

static void report(struct mail_webhook *wh, struct app_webhook_verdict *v,
		   int n)
{
	int e;

	if (!n)
		return;
	e = app_webhook_report(wh->a, &wh->claim, v, (size_t)n, now_s());
	if (e)
		/* Delivered again when the lease ends: at least once. */
		log_error("event=report-failed events=%d err=\"%s\"", n,
			  strerror(e));
}

static void verdict_init(struct app_webhook_verdict *v, const struct job *j)
{
	memset(v, 0, sizeof(*v));
	v->id = j->id;
	v->attempts = j->attempts;
	v->created_at = j->created_at;
}

/* One claim: 0 and the number claimed in *n, or an errno. */
static int batch_run(struct mail_webhook *wh, int *n)
{
	struct app_webhook_verdict v, later[BATCH_MAX];
	char err[ERROR_SIZE];
	bool unreachable = false;
	int64_t wait_until = 0;
	int e, i, nlater = 0;

	wh->njobs = 0;
	*n = 0;
	if (now_s() < wh->down_until)
		return 0;
	e = app_webhook_claim(wh->a, now_s(), BATCH_MAX, &wh->claim, claim_cb,
			      wh);
	*n = wh->njobs;
	for (i = 0; !e && i < wh->njobs; i++) {
		const struct job *j = &wh->jobs[i];

		verdict_init(&v, j);
		if (atomic_load(&wh->stop) || unreachable) {
			/* Waits with the one that failed, in its order. */
			v.result = APP_WEBHOOK_UNTRIED;
			v.error = "not tried: the receiver was unreachable";
			v.retry_at = wait_until;
			later[nlater++] = v;
			continue;
		}
		post(wh, j, &v, err, &unreachable);
		if (v.result != APP_WEBHOOK_DELIVERED)
			log_warn("event=delivery-failed id=%s type=%s "
				 "attempt=%d reason=\"%s\"", j->event_id,
				 j->type, j->attempts + 1, err);
		report(wh, &v, 1);
		if (unreachable)
			wait_until = v.retry_at; /* set by the report */
		wh->down_until = wait_until;
	}
	report(wh, later, nlater);
	jobs_clear(wh);
	return e;
}

/* Milliseconds until the next event is due, at most IDLE_MS. */
static int sleep_ms(struct mail_webhook *wh)
{
	int64_t due = 0, now = now_s();

	/* Off (webhookUrl empty): what waits stays until it is set again,
	 * looked at now and then. */
	if (!wh->claim.url[0] || app_webhook_next_due(wh->a, &due))
		return IDLE_MS;
	if (due < wh->down_until)
		due = wh->down_until;
	if (due <= now)
		return 10;
	if (due - now > IDLE_MS / 1000)
		return IDLE_MS;
	return (int)(due - now) * 1000;
}

static void housekeeping(struct mail_webhook *wh)
{
	int64_t now = now_s();
	int e, n = 0;

	if (now - wh->purged_at < PURGE_EVERY_S)
		return;
	wh->purged_at = now;
	e = app_webhook_purge(wh->a, now, &n);
	if (e)
		log_error("event=purge-failed err=\"%s\"", strerror(e));
	else if (n)
		log_info("event=purged events=%d", n);
}

static void *webhook_main(void *arg)
{
	struct mail_webhook *wh = arg;
	int n, e;

	while (!atomic_load(&wh->stop)) {
		e = app_webhook_flush(wh->a);
		if (e)
			log_error("event=flush-failed err=\"%s\"", strerror(e));
		housekeeping(wh);
		if (!e)
			e = batch_run(wh, &n);
		if (e)
			log_error("event=batch-failed err=\"%s\"", strerror(e));
		if (!e && n == BATCH_MAX)
			continue;
		if (atomic_load(&wh->stop))
			break;
		app_webhook_wait(wh->a, &wh->gen, e ? IDLE_MS : sleep_ms(wh));
	}
	/* What the SIP side said last (its calls ended at stop) is kept. */
	e = app_webhook_flush(wh->a);
	if (e)
		log_error("event=flush-failed err=\"%s\"", strerror(e));
	return NULL;
}

int mail_webhook_start(struct mail_webhook **wp, struct app *a)
{
	struct mail_webhook *wh;
	int e;

	if (!wp || !a)
		return EINVAL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return EIO;
	wh = calloc(1, sizeof(*wh));
	if (!wh)
		return ENOMEM;
	atomic_init(&wh->stop, false);
	wh->a = a;
	wh->curl = curl_easy_init();
	e = wh->curl ? app_webhook_release_leases(a) : ENOMEM;
	if (!e) {
		app_webhook_accept(a, true);
		e = pthread_create(&wh->thread, NULL, webhook_main, wh);
	}
	if (e) {
		app_webhook_accept(a, false);
		if (wh->curl)
			curl_easy_cleanup(wh->curl);
		free(wh);
		return e;
	}
	wh->started = true;
	*wp = wh;
	return 0;
}

void mail_webhook_stop(struct mail_webhook *wh)
{
	if (!wh)
		return;
	atomic_store(&wh->stop, true);
	app_webhook_nudge(wh->a);
	if (wh->started)
		pthread_join(wh->thread, NULL);
	app_webhook_accept(wh->a, false);
	curl_easy_cleanup(wh->curl);
	free(wh);
}
