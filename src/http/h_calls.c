/* h_calls: GET /api/v1/calls and the live control of docs/api.md "Live
 * control": POST /api/v1/calls/{id}/ACTION (mute, unmute, remove, admit)
 * and POST /api/v1/conferences/{conferenceId}/ACTION (mute-all,
 * admit-all, lock, unlock, end), the actions of APP_CONTROLS.
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
	return json_pack("{s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:s, s:b}",
		      "id", http_json_id(c->id),
		      "dialedNumber", c->dialed,
		      "caller", c->caller,
		      "state", c->state,
		      "conferenceId", http_json_str_or_null(c->conference_id),
		      "meetingId", id_or_null(c->meeting_id),
		      "userId", id_or_null(c->user_id),
		      "startedAt", http_json_time(c->started_at),
		      "muted", c->muted,
		      "node", c->node,
		      "conferenceLocked", c->locked);
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

/* POST /api/v1/calls/{id}/ACTION: the call as it was, its state what the
 * action makes of it. */
static int call_control(struct http_req *r, enum app_control_action action)
{
	struct app_control_result res;
	struct app_err ae = {{0}};
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
	err = app_call_control(r->app, r->actor, action, id, &res, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	res.call.id = id;
	if (action == APP_CONTROL_MUTE || action == APP_CONTROL_UNMUTE)
		res.call.muted = action == APP_CONTROL_MUTE;
	else
		snprintf(res.call.state, sizeof(res.call.state), "%s",
			 action == APP_CONTROL_ADMIT ? "admitted" : "removed");
	return http_reply(r, 200, call_json(&res.call));
}

int h_call_mute(struct http_req *r)
{
	return call_control(r, APP_CONTROL_MUTE);
}

int h_call_unmute(struct http_req *r)
{
	return call_control(r, APP_CONTROL_UNMUTE);
}

int h_call_remove(struct http_req *r)
{
	return call_control(r, APP_CONTROL_REMOVE);
}

/* admit: the lobby caller joins (as the organizer when it pressed '*'
 * on a closed organizer path). */
int h_call_admit(struct http_req *r)
{
	return call_control(r, APP_CONTROL_ADMIT);
}

/* POST /api/v1/conferences/{conferenceId}/ACTION: how many of its calls
 * it reached, and where. */
static int conference_control(struct http_req *r,
			      enum app_control_action action)
{
	struct app_control_result res;
	struct app_err ae = {{0}};
	const char *id = r->param[0];
	size_t n = strlen(id);
	int err;

	if (http_check_fields(r, r->in, "", NULL, 0))
		return 0;
	if (n != 7 || strspn(id, "0123456789") != n)
		return http_problem(r, 404, "no live conference '%.64s'", id);
	err = app_conference_control(r->app, r->actor, action, id, &res, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	return http_reply(r, 200, json_pack("{s:s, s:s, s:i, s:s}",
					    "conferenceId", id,
					    "action", app_control_name(action),
					    "calls", (int)res.calls,
					    "node", res.node));
}

int h_conference_mute_all(struct http_req *r)
{
	return conference_control(r, APP_CONTROL_MUTE_ALL);
}

int h_conference_admit_all(struct http_req *r)
{
	return conference_control(r, APP_CONTROL_ADMIT_ALL);
}

int h_conference_lock(struct http_req *r)
{
	return conference_control(r, APP_CONTROL_LOCK);
}

int h_conference_unlock(struct http_req *r)
{
	return conference_control(r, APP_CONTROL_UNLOCK);
}

int h_conference_end(struct http_req *r)
{
	return conference_control(r, APP_CONTROL_END);
}
