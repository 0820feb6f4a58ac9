/* h_misc: who owns a conference ID, the audit log, the health check and
 * the server's lists (GET /api/v1/meta). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/attendant.h"
#include "core/mailstate.h"
#include "http/http_priv.h"

#define AUDIT_LIMIT_DEFAULT 100
#define AUDIT_LIMIT_MAX 1000

int h_confid_get(struct http_req *r)
{
	struct app_confid_info ci;
	struct app_err ae = {{0}};
	json_t *user, *meeting;
	int err;

	memset(&ci, 0, sizeof(ci));
	err = app_confid_lookup(r->app, r->param[0], &ci, &ae);
	if (err)
		return http_app_problem(r, err, &ae);

	user = ci.user_id ? json_pack("{s:o, s:s}", "id",
				      http_json_id(ci.user_id),
				      "email", ci.user_email) : json_null();
	meeting = (!ci.personal && ci.meeting_id) ?
		json_pack("{s:o}", "id", http_json_id(ci.meeting_id)) :
		json_null();

	return http_reply(r, 200, json_pack(
		"{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
		"conferenceId", ci.conference_id,
		"state", ci.live ? "live" : "revoked",
		"kind", ci.personal ? "personal" : ci.jitsi ? "jitsi" : "meeting",
		"user", user, "meeting", meeting,
		"jitsiRoom", http_json_str_or_null(ci.jitsi_room),
		"issuedAt", http_json_time(ci.issued_at),
		"revokedAt", ci.live ? json_null() :
			http_json_time(ci.revoked_at)));
}

/* The stored detail text as an object; {} when it is empty or not JSON,
 * so that one odd row does not break the whole page. */
static json_t *audit_detail(const char *text)
{
	json_t *d = text[0] ? json_loads(text, 0, NULL) : NULL;

	if (json_is_object(d))
		return d;
	json_decref(d);
	return json_object();
}

static int audit_one(const struct app_audit_record *a, void *arg)
{
	json_t *e;

	e = json_pack("{s:o, s:o, s:s, s:s, s:o, s:o}",
		      "id", http_json_id(a->id), "at", http_json_time(a->at),
		      "actor", a->actor, "action", a->action,
		      "target", http_json_str_or_null(a->target),
		      "detail", audit_detail(a->detail));
	return json_array_append_new(arg, e) ? ENOMEM : 0;
}

int h_audit_list(struct http_req *r)
{
	struct app_err ae = {{0}};
	long long limit;
	json_t *arr;
	int err;

	if (http_query_int(r, "limit", 1, AUDIT_LIMIT_MAX, AUDIT_LIMIT_DEFAULT,
			   &limit))
		return 0;
	arr = json_array();
	if (!arr)
		return ENOMEM;
	err = app_audit_list(r->app, (int)limit, audit_one, arr, &ae);
	return http_reply_list(r, err, &ae, "entries", arr);
}

/* Health means the database answers: read one setting through the app. */
int h_healthz(struct http_req *r)
{
	char value[64];

	if (app_setting_get(r->app, "pinLength", value, sizeof(value)))
		return http_db_away(r);
	return http_reply(r, 200, json_pack("{s:s}", "status", "ok"));
}

/* The mail states of core/mailstate.h, in their order. */
static json_t *mail_states_json(void)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < MAILSTATE_COUNT; i++) {
		const struct mailstate_def *d = &mailstate_defs[i];

		if (json_array_append_new(a, json_pack(
			    "{s:s, s:s, s:b, s:b, s:b}",
			    "name", d->name, "label", d->label,
			    "due", (d->flags & MAILSTATE_DUE) != 0,
			    "delivered", (d->flags & MAILSTATE_DELIVERED) != 0,
			    "retry", (d->flags & MAILSTATE_RETRY) != 0))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* The call states of core/attendant.h, in their order. */
static json_t *call_states_json(void)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < ATT_CALL_STATE_COUNT; i++) {
		if (json_array_append_new(a, json_pack("{s:s, s:s}",
			    "name", attendant_call_states[i].name,
			    "label", attendant_call_states[i].label))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* The audit actions of app/app.h (APP_AUDIT_ACTIONS), in their order. */
static json_t *audit_actions_json(void)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < APP_AUDIT_COUNT; i++) {
		if (json_array_append_new(a, json_pack("{s:s, s:s, s:s}",
			    "name", app_audit_action_names[i],
			    "label", app_audit_action_labels[i],
			    "help", app_audit_action_help[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* The languages this node has prompts for (the prompts' languages file, as
 * serve loaded it): what a dial-in number may name. */
static json_t *prompt_languages_json(const struct app *app)
{
	const char *p = app_prompt_languages(app);
	json_t *a = json_array();
	size_t len;

	while (a && *p) {
		len = strcspn(p, ",");
		if (json_array_append_new(a, json_stringn(p, len))) {
			json_decref(a);
			return NULL;
		}
		p += len + (p[len] == ',');
	}
	return a;
}

/* The lists the server is built with, for the admin center: written once
 * in core/ (and the audit actions in app/), so the pages show what this
 * server knows. */
int h_meta(struct http_req *r)
{
	json_t *meta = json_pack("{s:o, s:o, s:o, s:o}",
				 "mailStates", mail_states_json(),
				 "callStates", call_states_json(),
				 "auditActions", audit_actions_json(),
				 "promptLanguages",
				 prompt_languages_json(r->app));

	if (!meta || http_settings_meta(meta)) {
		json_decref(meta);
		return ENOMEM;
	}
	return http_reply(r, 200, meta);
}
