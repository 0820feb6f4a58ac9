/* app/webhook.c: the queue as the webhook thread drives it, on a real
 * SQLite database, with the clock handed in: events of the SIP side
 * written by a flush, claimed, retried with doubling waits, given up on
 * after webhookGiveUpHours, delivered, purged after webhookRetentionDays;
 * nothing queued while webhookUrl is empty. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fixture_app.h"

struct seen {
	int n;
	struct app_webhook last;
	char body[4096];
};

static int seen_cb(const struct app_webhook *w, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->last = *w;
	snprintf(s->body, sizeof(s->body), "%s", w->body ? w->body : "");
	s->last.body = s->body;
	return 0;
}

static void set(struct app *a, const char *name, const char *value)
{
	const char *names[] = { name }, *values[] = { value };
	struct app_err err = { "" };

	assert_int_equal(app_settings_set(a, "test", names, values, 1, &err),
			 0);
}

/* A call answered: call.started in memory, written by the flush. */
static void call_started(struct app *a)
{
	struct app_call c;

	memset(&c, 0, sizeof(c));
	snprintf(c.dialed, sizeof(c.dialed), "+14255550100");
	snprintf(c.caller, sizeof(c.caller), "+1425555****");
	snprintf(c.state, sizeof(c.state), "collecting-id");
	c.started_at = (int64_t)time(NULL);
	assert_int_equal(app_call_add(a, &c), 0);
	assert_int_equal(app_webhook_flush(a), 0);
}

static struct seen claim(struct app *a, int64_t now,
			 struct app_webhook_claim *cl)
{
	struct seen s = { .n = 0 };

	assert_int_equal(app_webhook_claim(a, now, 16, cl, seen_cb, &s), 0);
	return s;
}

static void verdict(struct app *a, const struct app_webhook_claim *cl,
		    const struct seen *s, enum app_webhook_result r,
		    int64_t now)
{
	struct app_webhook_verdict v = {
		.id = s->last.id, .attempts = s->last.attempts,
		.created_at = s->last.created_at, .result = r,
		.status = r == APP_WEBHOOK_DELIVERED ? 204 : 503,
		.error = r == APP_WEBHOOK_DELIVERED ? NULL : "HTTP 503",
	};

	assert_int_equal(app_webhook_report(a, cl, &v, 1, now), 0);
	assert_false(v.dropped);
}

static struct seen listed(struct app *a, const char *state)
{
	struct app_err err = { "" };
	struct seen s = { .n = 0 };

	assert_int_equal(app_webhook_list(a, state, 100, seen_cb, &s, &err),
			 0);
	return s;
}

static void test_retry_backoff_give_up(void **state)
{
	struct fx *f = *state;
	struct app_webhook_claim cl;
	int64_t t = (int64_t)time(NULL);
	struct seen s;

	set(f->a, "webhookUrl", "http://127.0.0.1:9/hook");
	set(f->a, "webhookSecret", "0123456789abcdef");
	set(f->a, "webhookRetryInitialSeconds", "10");
	set(f->a, "webhookRetryMaxSeconds", "15");
	set(f->a, "webhookGiveUpHours", "1");
	app_webhook_accept(f->a, true);
	call_started(f->a);

	s = claim(f->a, t, &cl);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.last.type, "call.started");
	assert_non_null(strstr(s.body, "\"caller\":\"+1425555****\""));
	assert_string_equal(cl.url, "http://127.0.0.1:9/hook");
	assert_string_equal(cl.secret, "0123456789abcdef");
	verdict(f->a, &cl, &s, APP_WEBHOOK_RETRY, t);

	/* 10 s, then doubling up to 15 s. */
	assert_int_equal(claim(f->a, t + 9, &cl).n, 0);
	s = claim(f->a, t + 10, &cl);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last.attempts, 1);
	verdict(f->a, &cl, &s, APP_WEBHOOK_RETRY, t + 10);
	assert_int_equal(claim(f->a, t + 24, &cl).n, 0);
	s = claim(f->a, t + 25, &cl);
	assert_int_equal(s.n, 1);
	/* Not tried (the receiver was down): the tries stay as they were. */
	verdict(f->a, &cl, &s, APP_WEBHOOK_UNTRIED, t + 25);
	s = claim(f->a, t + 25, &cl);
	assert_int_equal(s.last.attempts, 2);

	/* An hour after it happened the event is no news: failed. */
	verdict(f->a, &cl, &s, APP_WEBHOOK_RETRY, t + 3600);
	s = listed(f->a, "failed");
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last.attempts, 3);
	assert_int_equal(s.last.last_status, 503);
	assert_non_null(strstr(s.last.last_error, "gave up"));
	assert_int_equal(claim(f->a, t + 7200, &cl).n, 0);
}

static void test_delivered_purged_and_off(void **state)
{
	struct fx *f = *state;
	struct app_webhook_claim cl;
	int64_t t = (int64_t)time(NULL);
	struct app_err err = { "" };
	struct seen s;
	int n = -1;

	set(f->a, "webhookUrl", "https://hooks.example.org/x");
	app_webhook_accept(f->a, true);
	call_started(f->a);
	s = claim(f->a, t, &cl);
	assert_int_equal(s.n, 1);
	assert_string_equal(cl.secret, ""); /* none set: unsigned */
	verdict(f->a, &cl, &s, APP_WEBHOOK_DELIVERED, t);
	s = listed(f->a, "delivered");
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last.attempts, 1);
	assert_int_equal(s.last.delivered_at, t);

	/* Kept for webhookRetentionDays (7), then deleted. */
	assert_int_equal(app_webhook_purge(f->a, t + 6 * 86400, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(app_webhook_purge(f->a, t + 8 * 86400, &n), 0);
	assert_int_equal(n, 1);

	/* Off: the events of the SIP side are dropped, nothing claimed. */
	set(f->a, "webhookUrl", "");
	call_started(f->a);
	assert_int_equal(listed(f->a, NULL).n, 0);
	assert_int_equal(claim(f->a, t, &cl).n, 0);
	assert_string_equal(cl.url, "");
	assert_int_equal(app_webhook_list(f->a, "sent", 10, seen_cb, &s,
					  &err), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_retry_backoff_give_up,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivered_purged_and_off,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
