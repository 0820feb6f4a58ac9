/* h_calls: GET /api/v1/calls and POST /api/v1/calls/{id}/admit, the live
 * calls of docs/api.md "Live calls".
 * The list comes from app's in-memory registry, which the SIP thread keeps
 * up to date, then the live calls of the other nodes from their call
 * records; the caller's number is already masked there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_priv.h"

/* An id as a JSON string, or null for 0 (not known yet). */
static json_t *id_or_null(int64_t id)
{
	return id ? http_json_id(id) : json_null();
}

static json_t *call_json(const struct app_call *c)
{
	return json_pack("{s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:s}",
		      "id", http_json_id(c->id),
		      "dialedNumber", c->dialed,
		      "caller", c->caller,
		      "state", c->state,
		      "conferenceId", http_json_str_or_null(c->conference_id),
		      "meetingId", id_or_null(c->meeting_id),
		      "userId", id_or_null(c->user_id),
		      "startedAt", http_json_time(c->started_at),
		      "muted", c->muted,
		      "node", c->node);
}

static int call_one(const struct app_call *c, void *arg)
{
	return json_array_append_new(arg, call_json(c)) ? ENOMEM : 0;
}

int h_calls_list(struct http_req *r)
{
	json_t *arr = json_array();
	bool partial = false;
	int err;

	if (!arr)
		return ENOMEM;
	err = app_calls_cluster(r->app, call_one, arr, &partial);
	if (err) {
		json_decref(arr);
		return err;
	}
	/* partial (the other nodes' calls could not be read just now) is
	 * logged by app: the answer keeps its shape, this node's calls. */
	(void)partial;
	return http_reply(r, 200, json_pack("{s:o}", "calls", arr));
}

/* POST /api/v1/calls/{id}/admit: the lobby caller in, as the organizer. */
int h_call_admit(struct http_req *r)
{
	struct app_err ae = {{0}};
	struct app_call c;
	char *end;
	long long id;
	int err;

	if (http_check_fields(r, r->in, "", NULL, 0))
		return 0;
	errno = 0;
	id = strtoll(r->param[0], &end, 10);
	if (errno || *end || id <= 0 || r->param[0][0] < '1' ||
	    r->param[0][0] > '9')
		return http_problem(r, 404, "no live call '%.64s'",
				    r->param[0]);
	err = app_call_admit(r->app, r->actor, id, &c, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	snprintf(c.state, sizeof(c.state), "admitted");
	return http_reply(r, 200, call_json(&c));
}
