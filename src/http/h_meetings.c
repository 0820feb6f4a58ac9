/* h_meetings: /api/v1/meetings (docs/api.md "Meetings"): schedule, list,
 * show, cancel, and the current calendar object as text/calendar. {id}
 * is param[0], a meeting's decimal id. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_priv.h"

#define MEETINGS_LIMIT_DEFAULT 100
#define MEETINGS_LIMIT_MAX 1000

static int add_attendee(const char *email, void *arg)
{
	return json_array_append_new(arg, json_string(email)) ? ENOMEM : 0;
}

/* MEETING of docs/api.md, attendees read from the app. */
static json_t *meeting_json(struct app *a, const struct app_meeting *m)
{
	json_t *att = json_array(), *org;

	if (!att || app_meeting_attendees(a, m->id, add_attendee, att)) {
		json_decref(att);
		return NULL;
	}
	org = m->organizer_id ?
		json_pack("{s:o, s:s, s:s}", "id", http_json_id(m->organizer_id),
			  "email", m->organizer_email, "displayName",
			  m->organizer_name) : json_null();
	return json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:s, s:i, s:s}",
			 "id", http_json_id(m->id), "organizer", org,
			 "subject", m->subject,
			 "start", http_json_time(m->start_at),
			 "end", http_json_time(m->end_at),
			 "attendees", att,
			 "conferenceId", http_json_str_or_null(m->conference_id),
			 "uid", m->uid, "sequence", m->sequence,
			 "state", m->state);
}

/* The meeting id of the path; answers 404 when it is not one. */
static int path_id(struct http_req *r, int64_t *id)
{
	const char *s = r->param[0];
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!s[0] || *end || errno || v <= 0 || s[0] < '0' || s[0] > '9') {
		http_problem(r, 404, "no meeting '%.100s'", s);
		return ENOENT;
	}
	*id = (int64_t)v;
	return 0;
}

struct list_ctx {
	struct app *a;
	json_t *arr;
};

static int list_one(const struct app_meeting *m, void *arg)
{
	struct list_ctx *c = arg;

	return json_array_append_new(c->arr, meeting_json(c->a, m)) ?
		ENOMEM : 0;
}

int h_meetings_list(struct http_req *r)
{
	struct list_ctx c = { r->app, NULL };
	struct app_err ae = {{0}};
	long long limit;
	int err;

	if (http_query_int(r, "limit", 1, MEETINGS_LIMIT_MAX,
			   MEETINGS_LIMIT_DEFAULT, &limit))
		return 0;
	c.arr = json_array();
	if (!c.arr)
		return ENOMEM;
	err = app_meeting_list(r->app, http_query(r, "organizer"), (int)limit,
			       list_one, &c, &ae);
	return http_reply_list(r, err, &ae, "meetings", c.arr);
}

static const struct http_field schedule_fields[] = {
	{"organizer", HTTP_J_STRING, true},
	{"subject", HTTP_J_STRING, true},
	{"start", HTTP_J_STRING, true},
	{"end", HTTP_J_STRING, true},
	{"attendees", HTTP_J_STRINGS, false},
};

int h_meetings_create(struct http_req *r)
{
	const json_t *att = json_object_get(r->in, "attendees");
	struct app_err ae = {{0}};
	struct app_meeting m;
	const char **v = NULL;
	size_t i, n;
	int err;

	if (http_check_fields(r, r->in, "meeting", schedule_fields,
			      sizeof(schedule_fields) /
			      sizeof(schedule_fields[0])))
		return 0;
	n = json_array_size(att);
	if (n > APP_MEETING_ATTENDEES_MAX)
		return http_problem(r, 400, "at most %d attendees",
				    APP_MEETING_ATTENDEES_MAX);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = json_string_value(json_array_get(att, i));
	err = app_meeting_schedule(r->app, r->actor,
				   http_json_str(r->in, "organizer"),
				   http_json_str(r->in, "subject"),
				   http_json_str(r->in, "start"),
				   http_json_str(r->in, "end"), v, n, &m, &ae);
	free(v);
	if (err)
		return http_app_problem(r, err, &ae);
	return http_reply(r, 201, meeting_json(r->app, &m));
}

int h_meeting_get(struct http_req *r)
{
	struct app_err ae = {{0}};
	struct app_meeting m;
	int64_t id;
	int err;

	if (path_id(r, &id))
		return 0;
	err = app_meeting_get(r->app, id, &m, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	return http_reply(r, 200, meeting_json(r->app, &m));
}

int h_meeting_delete(struct http_req *r)
{
	struct app_err ae = {{0}};
	struct app_meeting m;
	int64_t id;
	int err;

	if (path_id(r, &id))
		return 0;
	if (r->in && json_object_size(r->in))
		return http_problem(r, 400, "cancel takes no body");
	err = app_meeting_cancel(r->app, r->actor, id, &m, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	return http_reply(r, 200, meeting_json(r->app, &m));
}

/* RFC 5545 §8.1: text/calendar; the method parameter names the iTIP
 * method inside (RFC 6047 §2.4). */
int h_meeting_ics(struct http_req *r)
{
	struct app_err ae = {{0}};
	struct app_meeting m;
	char *text = NULL;
	int64_t id;
	int err;

	if (path_id(r, &id))
		return 0;
	err = app_meeting_get(r->app, id, &m, &ae);
	if (!err)
		err = app_meeting_ics(r->app, id, &text, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	r->status = 200;
	r->text = text;
	r->text_len = strlen(text);
	r->file_type = strcmp(m.state, "cancelled") ?
		"text/calendar; charset=utf-8; method=REQUEST" :
		"text/calendar; charset=utf-8; method=CANCEL";
	return 0;
}
