/* metrics: what the use cases count for the operator (SPEC §6, §7
 * GET /metrics). Process-local counters, bumped where the event happens in
 * src/app/ and lost on restart (Prometheus handles resets of a _total);
 * gauges read when asked: live calls from the in-memory registry, the rest
 * from the database, so every node of a shared database reports the same.
 * src/http/h_metrics.c renders them; nothing here knows HTTP. */
#ifndef DIALCONF_APP_METRICS_H
#define DIALCONF_APP_METRICS_H

#include <stdint.h>

#include "core/attendant.h"
#include "core/mailstate.h"

struct app;
struct app_err;

enum metrics_counter {
	METRICS_CONFID_RESETS,   /* app_reset_conference_id committed */
	METRICS_PIN_RESETS,      /* app_reset_pin committed */
	METRICS_DIALIN_INVALID,  /* a typed ID malformed, unknown or revoked */
	METRICS_DIALIN_FAILURES, /* a wrong ID counted by the guard */
	METRICS_DIALIN_PIN_FAILURES, /* a wrong organizer PIN */
	METRICS_DIALIN_REFUSED,  /* a call refused while cooling off (403) */
	METRICS_DIALIN_LIMITED,  /* a call refused by a call limit (403/503) */
	METRICS_EMAILS_SENT,     /* the server took an email */
	METRICS_EMAIL_TEMPFAIL,  /* a try failed, to be retried */
	METRICS_EMAIL_PERMFAIL,  /* an email failed for good */
	METRICS_EMAIL_STALE,     /* a verdict dropped: the lease was lost */
	METRICS_CALLS_ANSWERED,  /* a dial-in call answered (200 OK) */
	METRICS_CONFERENCE_JOINS, /* a call put into a conference's mix */
	METRICS_WEBHOOKS_DELIVERED, /* a receiver answered 2xx */
	METRICS_WEBHOOK_TEMPFAIL, /* a try failed, to be retried */
	METRICS_WEBHOOK_FAILED,  /* an event given up on */
	METRICS_WEBHOOK_DROPPED, /* an event lost: the memory queue was full */
	METRICS_COUNTER_COUNT_   /* keep last */
};

/* Read when asked for (metrics_gauges). */
struct metrics_gauges {
	int64_t calls[ATT_CALL_STATE_COUNT]; /* by enum att_call_state */
	int64_t users;
	int64_t confids_live;
	int64_t mail[MAILSTATE_COUNT]; /* outbox rows by enum mailstate */
};

/* Add one to counter c; lock-free, safe from any thread. */
void metrics_inc(enum metrics_counter c);
/* The counter's value since the process started. */
uint64_t metrics_get(enum metrics_counter c);

/* The SIP thread's 20 ms media clock: how late each frame was sent,
 * in ms, counted in buckets of upper bounds metrics_clock_le_ms (the
 * last bucket is everything later, Prometheus's +Inf). */
#define METRICS_CLOCK_BUCKETS 6
extern const unsigned metrics_clock_le_ms[METRICS_CLOCK_BUCKETS - 1];

/* Count one frame of the media clock that ran late_ms behind schedule. */
void metrics_clock_frame(unsigned late_ms);
/* Frames per bucket (not cumulative) and the sum of their lateness. */
void metrics_clock_get(uint64_t buckets[METRICS_CLOCK_BUCKETS],
		       uint64_t *sum_ms);

/* Fill g from the live calls and one database read. 0 or an errno. */
int metrics_gauges(struct app *a, struct metrics_gauges *g,
		   struct app_err *err);

#endif
