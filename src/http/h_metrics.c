/* h_metrics: GET /metrics in the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): for each
 * metric a "# HELP" and a "# TYPE" line, then "name{label="v"} value"
 * lines. Behind the token like the rest of the API (SPEC §7): only /healthz
 * and the Jitsi endpoints answer without one.
 *
 * The HTTP layer counts its own answers here, by status class; every other
 * figure comes from src/app/metrics.h. Every series is written even when
 * zero, so that rate() works from the first scrape. */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>

#include "app/metrics.h"
#include "core/buf.h"
#include "http/http_priv.h"

#define METRICS_TEXT_MAX (64 * 1024) /* bytes of one answer */
#define HTTP_CLASSES 5               /* 1xx .. 5xx */

static atomic_uint_fast64_t http_answers[HTTP_CLASSES];

void http_metrics_count(int status)
{
	int c = status / 100 - 1;

	if (c >= 0 && c < HTTP_CLASSES)
		atomic_fetch_add_explicit(&http_answers[c], 1,
					  memory_order_relaxed);
}

static int head(struct buf *b, const char *name, const char *type,
		const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
			  type);
}

/* A metric of one series without labels. */
static int one(struct buf *b, const char *name, const char *type,
	       const char *help, uint64_t v)
{
	int e = head(b, name, type, help);

	return e ? e : buf_printf(b, "%s %" PRIu64 "\n", name, v);
}

/* Webhook deliveries (app/webhook.c). */
static int webhook_counters(struct buf *b)
{
	int e;

	e = one(b, "dialconf_webhooks_delivered_total", "counter",
		"Webhook events the receiver answered with 2xx.",
		metrics_get(METRICS_WEBHOOKS_DELIVERED));
	if (!e)
		e = head(b, "dialconf_webhook_failures_total", "counter",
			 "Failed webhook deliveries: a retry is tried again "
			 "later, gave-up marks the event failed.");
	if (!e)
		e = buf_printf(b, "dialconf_webhook_failures_total"
			       "{kind=\"retry\"} %" PRIu64 "\n"
			       "dialconf_webhook_failures_total"
			       "{kind=\"gave-up\"} %" PRIu64 "\n",
			       metrics_get(METRICS_WEBHOOK_TEMPFAIL),
			       metrics_get(METRICS_WEBHOOK_FAILED));
	if (!e)
		e = one(b, "dialconf_webhook_events_dropped_total", "counter",
			"Call and conference events lost because too many "
			"waited in memory for the database.",
			metrics_get(METRICS_WEBHOOK_DROPPED));
	return e;
}

static int counters(struct buf *b)
{
	int e;

	e = one(b, "dialconf_conference_id_resets_total", "counter",
		"Conference ID resets since the process started.",
		metrics_get(METRICS_CONFID_RESETS));
	if (!e)
		e = one(b, "dialconf_pin_resets_total", "counter",
			"Organizer PIN resets since the process started.",
			metrics_get(METRICS_PIN_RESETS));
	if (!e)
		e = one(b, "dialconf_dialin_failures_total", "counter",
			"Wrong conference IDs counted against their source "
			"by the abuse guard.",
			metrics_get(METRICS_DIALIN_FAILURES));
	if (!e)
		e = one(b, "dialconf_dialin_pin_failures_total", "counter",
			"Wrong organizer PINs, counted against their source "
			"and their conference.",
			metrics_get(METRICS_DIALIN_PIN_FAILURES));
	if (!e)
		e = one(b, "dialconf_dialin_invalid_ids_total", "counter",
			"Conference IDs typed that were malformed, unknown "
			"or revoked.",
			metrics_get(METRICS_DIALIN_INVALID));
	if (!e)
		e = one(b, "dialconf_dialin_refused_total", "counter",
			"Calls refused: their source cools off (403) or a "
			"call limit was reached (403, 503).",
			metrics_get(METRICS_DIALIN_REFUSED));
	if (!e)
		e = one(b, "dialconf_dialin_limited_total", "counter",
			"Calls refused by a limit on calls per source or per "
			"node, or on new calls per second per source.",
			metrics_get(METRICS_DIALIN_LIMITED));
	if (!e)
		e = one(b, "dialconf_emails_sent_total", "counter",
			"Emails the mail server accepted.",
			metrics_get(METRICS_EMAILS_SENT));
	if (!e)
		e = head(b, "dialconf_email_failures_total", "counter",
			 "Failed delivery attempts: temporary ones are "
			 "retried, permanent ones are not.");
	if (!e)
		e = buf_printf(b, "dialconf_email_failures_total"
			       "{kind=\"temporary\"} %" PRIu64 "\n"
			       "dialconf_email_failures_total"
			       "{kind=\"permanent\"} %" PRIu64 "\n",
			       metrics_get(METRICS_EMAIL_TEMPFAIL),
			       metrics_get(METRICS_EMAIL_PERMFAIL));
	if (!e)
		e = one(b, "dialconf_email_reports_dropped_total", "counter",
			"Delivery results dropped because another worker "
			"had claimed the email since (its lease ran out).",
			metrics_get(METRICS_EMAIL_STALE));
	if (!e)
		e = one(b, "dialconf_calls_answered_total", "counter",
			"Dial-in calls answered.",
			metrics_get(METRICS_CALLS_ANSWERED));
	if (!e)
		e = one(b, "dialconf_conference_joins_total", "counter",
			"Calls put into a conference.",
			metrics_get(METRICS_CONFERENCE_JOINS));
	if (!e)
		e = webhook_counters(b);
	return e;
}

/* The media clock's lateness as a Prometheus histogram (cumulative
 * buckets, in seconds as the format's convention has it). */
static int clock_histogram(struct buf *b)
{
	uint64_t n[METRICS_CLOCK_BUCKETS], sum_ms, total = 0;
	int i, e;

	metrics_clock_get(n, &sum_ms);
	e = head(b, "dialconf_media_clock_lateness_seconds", "histogram",
		 "How late each 20 ms media frame was sent after its time.");
	for (i = 0; !e && i < METRICS_CLOCK_BUCKETS; i++) {
		total += n[i];
		if (i < METRICS_CLOCK_BUCKETS - 1)
			e = buf_printf(b, "dialconf_media_clock_lateness_seconds"
				       "_bucket{le=\"%.3f\"} %" PRIu64 "\n",
				       metrics_clock_le_ms[i] / 1000.0, total);
		else
			e = buf_printf(b, "dialconf_media_clock_lateness_seconds"
				       "_bucket{le=\"+Inf\"} %" PRIu64 "\n"
				       "dialconf_media_clock_lateness_seconds"
				       "_sum %.3f\n"
				       "dialconf_media_clock_lateness_seconds"
				       "_count %" PRIu64 "\n",
				       total, sum_ms / 1000.0, total);
	}
	return e;
}

static int http_counts(struct buf *b)
{
	int i, e;

	e = head(b, "dialconf_http_requests_total", "counter",
		 "HTTP answers by status class.");
	for (i = 0; !e && i < HTTP_CLASSES; i++)
		e = buf_printf(b, "dialconf_http_requests_total"
			       "{code=\"%dxx\"} %" PRIu64 "\n", i + 1,
			       (uint64_t)atomic_load_explicit(
				       &http_answers[i],
				       memory_order_relaxed));
	return e;
}

static int gauges(struct buf *b, const struct metrics_gauges *g)
{
	size_t i;
	int e;

	e = head(b, "dialconf_calls_active", "gauge",
		 "Live calls on this node by state.");
	for (i = 0; !e && i < ATT_CALL_STATE_COUNT; i++)
		e = buf_printf(b, "dialconf_calls_active{state=\"%s\"} %" PRId64
			       "\n", attendant_call_states[i].name,
			       g->calls[i]);
	if (!e)
		e = head(b, "dialconf_outbox_emails", "gauge",
			 "Emails in the outbox by state.");
	for (i = 0; !e && i < MAILSTATE_COUNT; i++)
		e = buf_printf(b, "dialconf_outbox_emails{state=\"%s\"} "
			       "%" PRId64 "\n", mailstate_defs[i].name,
			       g->mail[i]);
	if (!e)
		e = one(b, "dialconf_conference_ids_live", "gauge",
			"Conference IDs that reach a user or a meeting now.",
			(uint64_t)g->confids_live);
	if (!e)
		e = one(b, "dialconf_users", "gauge", "Users.",
			(uint64_t)g->users);
	return e;
}

int h_metrics(struct http_req *r)
{
	struct metrics_gauges g;
	struct app_err ae;
	struct buf *b = NULL;
	int e;

	/* The gauges first: a database failure answers 500 as JSON. */
	e = metrics_gauges(r->app, &g, &ae);
	if (e)
		return http_app_problem(r, e, &ae);
	e = buf_alloc(&b, METRICS_TEXT_MAX);
	if (!e)
		e = counters(b);
	if (!e)
		e = http_counts(b);
	if (!e)
		e = clock_histogram(b);
	if (!e)
		e = gauges(b, &g);
	if (!e)
		e = buf_detach(b, &r->text, &r->text_len);
	buf_free(b);
	if (e)
		return ENOMEM;
	r->status = 200;
	r->file_type = "text/plain; version=0.0.4; charset=utf-8";
	return 0;
}
