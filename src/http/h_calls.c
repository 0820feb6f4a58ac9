/* h_calls: GET /api/v1/calls, the live calls of docs/api.md "Live calls".
 * The list comes from app's in-memory registry, which the SIP thread keeps
 * up to date; the caller's number is already masked there. */
#include <errno.h>

#include "http/http_priv.h"

/* An id as a JSON string, or null for 0 (not known yet). */
static json_t *id_or_null(int64_t id)
{
	return id ? http_json_id(id) : json_null();
}

static int call_one(const struct app_call *c, void *arg)
{
	json_t *o;

	o = json_pack("{s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:b}",
		      "id", http_json_id(c->id),
		      "dialedNumber", c->dialed,
		      "caller", c->caller,
		      "state", c->state,
		      "conferenceId", http_json_str_or_null(c->conference_id),
		      "meetingId", id_or_null(c->meeting_id),
		      "userId", id_or_null(c->user_id),
		      "startedAt", http_json_time(c->started_at),
		      "muted", c->muted);
	return json_array_append_new(arg, o) ? ENOMEM : 0;
}

int h_calls_list(struct http_req *r)
{
	json_t *arr = json_array();
	int err;

	if (!arr)
		return ENOMEM;
	err = app_calls_list(r->app, call_one, arr);
	if (err) {
		json_decref(arr);
		return err;
	}
	return http_reply(r, 200, json_pack("{s:o}", "calls", arr));
}
