/* h_records: GET /api/v1/call-records, the call records of every node
 * (docs/api.md "Call records"), newest first, one page at a time. Times
 * are ISO 8601 to the second; durationSeconds keeps the milliseconds. */
#include <errno.h>
#include <stdint.h>

#include "core/isotime.h"
#include "http/http_priv.h"

#define RECORDS_LIMIT_DEFAULT 50
#define RECORDS_LIMIT_MAX 500

static json_t *id_or_null(int64_t id)
{
	return id ? http_json_id(id) : json_null();
}

/* A time in milliseconds as the API's seconds, null for none. */
static json_t *ms_time(int64_t ms)
{
	return ms ? http_json_time(ms / 1000) : json_null();
}

/* From the answer (or the start, if never answered) to the end; null
 * while live. */
static json_t *duration(const struct app_call_record *c)
{
	int64_t from = c->answered_at ? c->answered_at : c->started_at;

	if (!c->ended_at)
		return json_null();
	return json_real((double)(c->ended_at - from) / 1000.0);
}

static json_t *record_json(const struct app_call_record *c)
{
	return json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:s,"
			 " s:s, s:o, s:o, s:o, s:o, s:b, s:s, s:o, s:I}",
			 "id", http_json_id(c->id),
			 "callId", http_json_id(c->call_id),
			 "node", c->node,
			 "startedAt", ms_time(c->started_at),
			 "answeredAt", ms_time(c->answered_at),
			 "joinedAt", ms_time(c->joined_at),
			 "endedAt", ms_time(c->ended_at),
			 "durationSeconds", duration(c),
			 "dialedNumber", c->dialed,
			 "caller", c->caller,
			 "callerKey", c->caller_key,
			 "conferenceId",
			 http_json_str_or_null(c->conference_id),
			 "userId", id_or_null(c->user_id),
			 "meetingId", id_or_null(c->meeting_id),
			 "state", http_json_str_or_null(c->state),
			 "muted", c->muted,
			 "outcome", c->outcome,
			 "codec", http_json_str_or_null(c->codec),
			 "conferenceSeconds",
			 (json_int_t)c->conference_seconds);
}

static int record_one(const struct app_call_record *c, void *arg)
{
	return json_array_append_new(arg, record_json(c)) ? ENOMEM : 0;
}

/* The time query argument name (ISO 8601) in ms into *ms (0: absent).
 * 0, or a 400 answer and EINVAL. */
static int query_time(struct http_req *r, const char *name, int64_t *ms)
{
	const char *s = http_query(r, name);
	int64_t t;

	*ms = 0;
	if (!s || !s[0])
		return 0;
	if (isotime_parse(s, &t) || t < 0) {
		(void)http_problem(r, 400, "%s must be a date-time such as "
				   "2026-12-01T00:00:00Z", name);
		return EINVAL;
	}
	*ms = t * 1000;
	return 0;
}

int h_records_list(struct http_req *r)
{
	long long limit, cursor;
	struct app_err ae = {{0}};
	int64_t from, to, next = 0;
	json_t *arr;
	int err;

	if (http_query_int(r, "limit", 1, RECORDS_LIMIT_MAX,
			   RECORDS_LIMIT_DEFAULT, &limit) ||
	    http_query_int(r, "cursor", 0, INT64_MAX, 0, &cursor) ||
	    query_time(r, "from", &from) || query_time(r, "to", &to))
		return 0;
	arr = json_array();
	if (!arr)
		return ENOMEM;
	err = app_call_records_list(r->app, from, to,
				    http_query(r, "conferenceId"),
				    (int64_t)cursor, (int)limit, record_one,
				    arr, &next, &ae);
	if (err) {
		json_decref(arr);
		return http_app_problem(r, err, &ae);
	}
	return http_reply(r, 200, json_pack("{s:o, s:o}", "records", arr,
		"nextCursor", next ? http_json_id(next) : json_null()));
}
