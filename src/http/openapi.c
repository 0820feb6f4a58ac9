/* openapi: the OpenAPI 3.1 description of the REST API, served at
 * GET /api/v1/openapi.json and generated, not written by hand: the paths,
 * methods and which routes need no token come from the route table
 * (router.c); what each route takes and answers comes from ops[] below, one
 * row per handler; the schema bodies live in one file,
 * src/http/openapi_schemas.json (embedded at build time), except Settings
 * and SettingsPatch, which are written from the settings table of
 * core/settings.c. A route without a row here, a row without a route, a
 * placeholder without a name or a schema name that does not exist makes
 * http_openapi_build fail and says which (tests/unit/test_openapi.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app/reports.h"
#include "core/mailstate.h"
#include "core/settings.h"
#include "http/http_priv.h"

#define OPENAPI_WORD_MAX 64 /* bytes of one word of a row's lists */
#define SCHEMA_REF "#/components/schemas/"

/* The bytes of src/http/openapi_schemas.json (scripts/embed_text.sh). */
extern const char openapi_schemas_json[];

/* What one route takes and answers. The lists are words separated by
 * spaces:
 * params    names of the pattern's "{}" placeholders, in order ("user");
 * query     query arguments as NAME:TYPE ("limit:integer"); TYPE
 *           "mailstate" is an enum of the outbox states (core/mailstate.h),
 *           "reportgroup" of the usage report's groupBy (app/reports.h);
 * request   the schema of the JSON body, "?Name" when the body is
 *           optional, NULL for no body;
 * responses STATUS or STATUS:WHAT: WHAT a schema name (a JSON answer) or a
 *           media type ("text/calendar"), or several of them joined by
 *           "," for an answer in the form the client asks ("200:Report,
 *           text/csv" without the space); a bare 2xx has no body, a bare
 *           4xx/5xx is a problem. Every route also answers "default" (any
 *           other error, a problem) and, unless public, 401. */
struct openapi_op {
	http_handler_h *h;
	const char *id; /* operationId */
	const char *summary;
	const char *params;
	const char *query;
	const char *request;
	const char *responses;
};

/* One row per handler of router.c. A new route needs a row here. */
static const struct openapi_op ops[] = {
	{h_healthz, "getHealth", "Health: the database answers",
	 NULL, NULL, NULL, "200:Health 503"},
	{h_metrics, "getMetrics", "Prometheus metrics (text format 0.0.4)",
	 NULL, NULL, NULL, "200:text/plain"},
	{h_openapi, "getOpenApi", "This description (OpenAPI 3.1)",
	 NULL, NULL, NULL, "200:OpenApi"},
	{h_session_create, "createSession", "Sign in to the admin center",
	 NULL, NULL, "SessionCreate", "200:Session 400 401 403 413 429 503"},
	{h_session_get, "getSession", "The admin center session",
	 NULL, NULL, NULL, "200:Session"},
	{h_session_delete, "deleteSession", "Sign out",
	 NULL, NULL, NULL, "204"},
	{h_tokens_list, "listTokens", "API tokens (never their secrets)",
	 NULL, NULL, NULL, "200:TokenList"},
	{h_tokens_create, "createToken", "Make an API token (secret shown once)",
	 NULL, NULL, "TokenCreate", "201:TokenCreated 400"},
	{h_token_delete, "revokeToken", "Revoke an API token",
	 "id", NULL, NULL, "204 404"},
	{h_meta, "getMeta", "The lists this server is built with",
	 NULL, NULL, NULL, "200:Meta"},
	{h_users_list, "listUsers", "List users, one page",
	 NULL, "search:string limit:integer cursor:integer", NULL,
	 "200:UserList 400"},
	{h_users_create, "createUser", "Create a user",
	 NULL, NULL, "UserCreate", "201:User 400 409"},
	{h_users_import, "importUsers", "Create many users, all or none",
	 NULL, NULL, "UserImport", "201:ImportResult 400"},
	{h_user_get, "getUser", "A user, by id or email",
	 "user", NULL, NULL, "200:User 404"},
	{h_user_patch, "updateUser", "Change a user",
	 "user", NULL, "UserPatch", "200:User 400 404 409"},
	{h_user_delete, "deleteUser", "Delete a user",
	 "user", NULL, NULL, "204 404"},
	{h_user_reset_confid, "resetConferenceId",
	 "Give a user a new conference ID",
	 "user", NULL, "?ResetConferenceIdRequest",
	 "200:ResetConferenceIdResult 400 404 409 503"},
	{h_user_reset_pin, "resetPin", "Give a user a new organizer PIN",
	 "user", NULL, "?ResetPinRequest", "200:ResetPinResult 400 404 409"},
	{h_user_send_info, "sendConferenceInfo",
	 "Email a user's conference info",
	 "user", NULL, "?SendInfoRequest", "202:SendInfoResult 400 404 409"},
	{h_outbox_list, "listEmails", "The outbox, newest first",
	 NULL, "state:mailstate limit:integer", NULL, "200:EmailList 400"},
	{h_outbox_retry, "retryEmail", "Queue a failed email again",
	 "id", NULL, NULL, "200:Email 404 409"},
	{h_webhooks_list, "listWebhookDeliveries",
	 "Webhook events and their delivery, newest first",
	 NULL, "state:string limit:integer", NULL,
	 "200:WebhookDeliveryList 400"},
	{h_numbers_list, "listNumbers", "The dial-in numbers",
	 NULL, NULL, NULL, "200:NumberList"},
	{h_numbers_add, "addNumber", "Add a dial-in number",
	 NULL, NULL, "NumberAdd", "201:Number 400 409"},
	{h_number_patch, "updateNumber", "Make a number its type's default",
	 "e164", NULL, "NumberPatch", "200:Number 400 404"},
	{h_number_delete, "removeNumber", "Remove a dial-in number",
	 "e164", NULL, NULL, "200:NumberRemoved 400 404"},
	{h_settings_get, "getSettings", "Every organization setting",
	 NULL, NULL, NULL, "200:Settings"},
	{h_settings_patch, "updateSettings", "Change settings, all or none",
	 NULL, NULL, "SettingsPatch", "200:Settings 400"},
	{h_confid_get, "getConferenceId", "Who a conference ID belongs to",
	 "conferenceId", NULL, NULL, "200:ConferenceId 400 404"},
	{h_audit_list, "listAudit", "The audit log, newest first",
	 NULL, "limit:integer", NULL, "200:AuditList 400"},
	{h_calls_list, "listCalls", "The live calls of every node",
	 NULL, NULL, NULL, "200:CallList"},
	{h_records_list, "listCallRecords", "Call records, newest first",
	 NULL, "from:string to:string conferenceId:string limit:integer "
	 "cursor:integer", NULL, "200:CallRecordList 400"},
	{h_reports_usage, "getUsageReport",
	 "Usage by day, number, user or conference (JSON or CSV)",
	 NULL, "from:string to:string groupBy:reportgroup format:string",
	 NULL, "200:UsageReport,text/csv 400"},
	{h_call_admit, "admitCall", "Let a lobby caller in",
	 "id", NULL, "?Empty", "200:Call 400 404 409"},
	{h_call_mute, "muteCall", "Mute a caller in the conference",
	 "id", NULL, "?Empty", "200:Call 400 404 409"},
	{h_call_unmute, "unmuteCall", "Unmute a caller in the conference",
	 "id", NULL, "?Empty", "200:Call 400 404 409"},
	{h_call_remove, "removeCall", "Say goodbye to a caller and hang up",
	 "id", NULL, "?Empty", "200:Call 400 404"},
	{h_conference_mute_all, "muteConference",
	 "Mute everyone in a conference but the organizer",
	 "conferenceId", NULL, "?Empty", "200:ConferenceControl 400 404 409"},
	{h_conference_admit_all, "admitConferenceLobby",
	 "Let a conference's lobby in",
	 "conferenceId", NULL, "?Empty", "200:ConferenceControl 400 404 409"},
	{h_conference_lock, "lockConference",
	 "Lock a conference: new callers are refused",
	 "conferenceId", NULL, "?Empty", "200:ConferenceControl 400 404 409"},
	{h_conference_unlock, "unlockConference", "Unlock a conference",
	 "conferenceId", NULL, "?Empty", "200:ConferenceControl 400 404 409"},
	{h_conference_end, "endConference",
	 "End a conference: everyone hears so and is hung up",
	 "conferenceId", NULL, "?Empty", "200:ConferenceControl 400 404"},
	{h_meetings_list, "listMeetings", "Meetings, by start",
	 NULL, "organizer:string limit:integer", NULL,
	 "200:MeetingList 400 404"},
	{h_meetings_create, "scheduleMeeting",
	 "Schedule a meeting and send its invitations",
	 NULL, NULL, "MeetingCreate", "201:Meeting 400 404 409 503"},
	{h_meeting_get, "getMeeting", "A meeting",
	 "id", NULL, NULL, "200:Meeting 404"},
	{h_meeting_delete, "cancelMeeting", "Cancel a meeting",
	 "id", NULL, NULL, "200:Meeting 404 409"},
	{h_meeting_ics, "getMeetingInvitation",
	 "A meeting's current calendar object",
	 "id", NULL, NULL, "200:text/calendar 404"},
	{h_jitsi_rooms, "listJitsiRooms",
	 "Jitsi Meet rooms mapped to conference IDs",
	 NULL, NULL, NULL, "200:JitsiRoomList"},
	{h_jitsi_mapper, "jitsiConferenceMapper",
	 "Jitsi Meet's conference mapper (dialInConfCodeUrl)",
	 NULL, "conference:string id:string", NULL,
	 "200:JitsiMapping 400:JitsiMessage 404:JitsiMapping "
	 "429:JitsiMessage 503"},
	{h_jitsi_mapper_preflight, "jitsiConferenceMapperPreflight",
	 "CORS preflight of the conference mapper",
	 NULL, NULL, NULL, "204 403"},
	{h_jitsi_numbers, "jitsiDialInNumbers",
	 "Jitsi Meet's dial-in numbers (dialInNumbersUrl)",
	 NULL, "conference:string format:string", NULL,
	 "200:JitsiNumbers 404:JitsiMessage 429:JitsiMessage 503"},
	{h_jitsi_numbers_preflight, "jitsiDialInNumbersPreflight",
	 "CORS preflight of the dial-in numbers",
	 NULL, NULL, NULL, "204 403"},
};

#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* What went wrong while building: every problem, one line each. */
struct openapi_why {
	char *buf;
	size_t size;
	size_t len;
	int count;
};

static void why_add(struct openapi_why *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void why_add(struct openapi_why *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	w->count++;
	if (!w->buf || w->len + 1 >= w->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, w->size - w->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	w->len += (size_t)n;
	if (w->len >= w->size - 1) {
		w->len = w->size - 1;
		return;
	}
	w->buf[w->len++] = '\n';
	w->buf[w->len] = '\0';
}

/* The next space-separated word of *s into word; false at the end. */
static bool next_word(const char **s, char word[OPENAPI_WORD_MAX])
{
	size_t n;

	if (!*s)
		return false;
	*s += strspn(*s, " ");
	n = strcspn(*s, " ");
	if (n == 0)
		return false;
	if (n >= OPENAPI_WORD_MAX)
		n = OPENAPI_WORD_MAX - 1;
	memcpy(word, *s, n);
	word[n] = '\0';
	*s += strcspn(*s, " ");
	return true;
}

static const struct openapi_op *op_of(http_handler_h *h)
{
	size_t i;

	for (i = 0; i < NOPS; i++)
		if (ops[i].h == h)
			return &ops[i];
	return NULL;
}

/* A schema reference, after checking that the name exists. */
static json_t *schema_ref(const json_t *schemas, const char *name,
			  const struct http_route *rt, struct openapi_why *w)
{
	char ref[sizeof(SCHEMA_REF) + OPENAPI_WORD_MAX];

	if (!json_object_get(schemas, name))
		why_add(w, "%s %s names the schema \"%s\", which is not in "
			"src/http/openapi_schemas.json", rt->method,
			rt->pattern, name);
	snprintf(ref, sizeof(ref), SCHEMA_REF "%s", name);
	return json_pack("{s:s}", "$ref", ref);
}

/* The pattern with its "{}" named after params: /users/{user}. */
static int path_of(const struct http_route *rt, const struct openapi_op *op,
		   char *out, size_t size, json_t *parameters,
		   struct openapi_why *w)
{
	const char *p = rt->pattern, *names = op->params, *hole;
	char name[OPENAPI_WORD_MAX];
	size_t len = 0;
	int n;

	out[0] = '\0';
	while ((hole = strstr(p, "{}")) != NULL) {
		if (!next_word(&names, name)) {
			why_add(w, "%s %s: its row in src/http/openapi.c names "
				"fewer placeholders than the pattern has",
				rt->method, rt->pattern);
			snprintf(name, sizeof(name), "param");
		}
		n = snprintf(out + len, size - len, "%.*s{%s}",
			     (int)(hole - p), p, name);
		if (n < 0 || (size_t)n >= size - len)
			return ENAMETOOLONG;
		len += (size_t)n;
		p = hole + 2;
		if (json_array_append_new(parameters, json_pack(
			    "{s:s, s:s, s:b, s:{s:s}}", "name", name, "in",
			    "path", "required", 1, "schema", "type", "string")))
			return ENOMEM;
	}
	if (next_word(&names, name))
		why_add(w, "%s %s: its row in src/http/openapi.c names more "
			"placeholders than the pattern has", rt->method,
			rt->pattern);
	n = snprintf(out + len, size - len, "%s", p);
	return (n < 0 || (size_t)n >= size - len) ? ENAMETOOLONG : 0;
}

/* A string that is one of the n names. */
static json_t *enum_schema(const char *const *names, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, json_string(names[i]))) {
			json_decref(arr);
			return NULL;
		}
	return json_pack("{s:s, s:o}", "type", "string", "enum", arr);
}

/* The schema of a query argument of type type ("integer", "mailstate",
 * "reportgroup"). */
static json_t *query_schema(const char *type)
{
	const char *names[MAILSTATE_COUNT + APP_REPORT_GROUP_COUNT];
	size_t i;

	if (!strcmp(type, "mailstate")) {
		for (i = 0; i < MAILSTATE_COUNT; i++)
			names[i] = mailstate_defs[i].name;
		return enum_schema(names, MAILSTATE_COUNT);
	}
	if (!strcmp(type, "reportgroup")) {
		for (i = 0; i < APP_REPORT_GROUP_COUNT; i++)
			names[i] = app_report_group_name(
				(enum app_report_group)i);
		return enum_schema(names, APP_REPORT_GROUP_COUNT);
	}
	return json_pack("{s:s}", "type", type);
}

static int query_params(const struct openapi_op *op, json_t *parameters)
{
	const char *q = op->query;
	char word[OPENAPI_WORD_MAX];

	while (next_word(&q, word)) {
		char *type = strchr(word, ':');

		if (type)
			*type++ = '\0';
		if (json_array_append_new(parameters, json_pack(
			    "{s:s, s:s, s:b, s:o}", "name", word, "in",
			    "query", "required", 0, "schema",
			    query_schema(type ? type : "string"))))
			return ENOMEM;
	}
	return 0;
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	default: return http_title(status);
	}
}

static json_t *problem_response(const char *description)
{
	return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description",
			 description, "content", "application/problem+json",
			 "schema", "$ref", SCHEMA_REF "Problem");
}

/* Add to content one form of an answer: a media type ("text/calendar",
 * a text) or a schema name (JSON). */
static int content_add(json_t *content, const char *what,
		       const json_t *schemas, const struct http_route *rt,
		       struct openapi_why *w)
{
	if (strchr(what, '/'))
		return json_object_set_new(content, what, json_pack(
			"{s:{s:s}}", "schema", "type", "string"));
	return json_object_set_new(content, "application/json", json_pack(
		"{s:o}", "schema", schema_ref(schemas, what, rt, w)));
}

/* One response of a row: "200:User", "204", "404", "200:text/calendar",
 * "200:Report,text/csv". */
static json_t *response_of(const char *word, int status, const json_t *schemas,
			   const struct http_route *rt, struct openapi_why *w)
{
	const char *what = strchr(word, ':');
	char one[OPENAPI_WORD_MAX];
	json_t *content;
	size_t n;

	if (!what)
		return status >= 400 ? problem_response(status_text(status)) :
			json_pack("{s:s}", "description", status_text(status));
	content = json_object();
	for (what++; content && *what; what += n + (what[n] == ',')) {
		n = strcspn(what, ",");
		snprintf(one, sizeof(one), "%.*s", (int)n, what);
		if (content_add(content, one, schemas, rt, w)) {
			json_decref(content);
			content = NULL;
		}
	}
	return json_pack("{s:s, s:o}", "description", status_text(status),
			 "content", content);
}

static json_t *responses_of(const struct http_route *rt,
			    const struct openapi_op *op, const json_t *schemas,
			    struct openapi_why *w)
{
	json_t *res = json_object();
	const char *s = op->responses;
	char word[OPENAPI_WORD_MAX], code[8];
	int status, err = ENOMEM;

	if (!res)
		return NULL;
	while (next_word(&s, word)) {
		if (sscanf(word, "%3d", &status) != 1 || status < 100 ||
		    status > 599) {
			why_add(w, "%s %s: bad response \"%s\" in "
				"src/http/openapi.c", rt->method, rt->pattern,
				word);
			continue;
		}
		snprintf(code, sizeof(code), "%d", status);
		if (json_object_set_new(res, code,
					response_of(word, status, schemas, rt, w)))
			goto out;
	}
	if (!rt->public && !json_object_get(res, "401") &&
	    json_object_set_new(res, "401", problem_response(
		    "no or bad token, or no session cookie")))
		goto out;
	if (json_object_set_new(res, "default", problem_response(
		    "any other error (see docs/api.md's error table)")))
		goto out;
	err = 0;
out:
	if (err) {
		json_decref(res);
		res = NULL;
	}
	return res;
}

static json_t *request_of(const struct http_route *rt,
			  const struct openapi_op *op, const json_t *schemas,
			  struct openapi_why *w)
{
	bool optional = op->request[0] == '?';
	const char *name = op->request + optional;

	return json_pack("{s:b, s:{s:{s:o}}}", "required", !optional,
			 "content", "application/json", "schema",
			 schema_ref(schemas, name, rt, w));
}

/* The tag Swagger-style tools group route rt under: the component after
 * /api/v1/ ("users", "meetings"), or the first one ("healthz"). */
static json_t *tags_of(const struct http_route *rt)
{
	static const char api[] = "/api/v1/";
	const char *p = rt->pattern;

	p += strncmp(p, api, strlen(api)) ? 1 : strlen(api);
	return json_pack("[s#]", p, (int)strcspn(p, "/"));
}

/* The operation object of route rt, added to paths. */
static int add_operation(json_t *paths, const struct http_route *rt,
			 const json_t *schemas, struct openapi_why *w)
{
	const struct openapi_op *op = op_of(rt->h);
	char path[HTTP_PARAM_SIZE], method[8];
	json_t *item, *o = NULL, *parameters = json_array();
	size_t i;
	int err = ENOMEM;

	if (!op) {
		why_add(w, "%s %s has no row in ops[] of src/http/openapi.c "
			"(its operationId, summary, placeholders, query, "
			"request and responses): add one for its handler",
			rt->method, rt->pattern);
		err = 0;
		goto out;
	}
	if (!parameters)
		goto out;
	err = path_of(rt, op, path, sizeof(path), parameters, w);
	if (!err)
		err = query_params(op, parameters);
	if (err)
		goto out;
	err = ENOMEM;
	o = json_pack("{s:s, s:s, s:o, s:o}", "operationId", op->id,
		      "summary", op->summary, "tags", tags_of(rt),
		      "responses", responses_of(rt, op, schemas, w));
	if (!o)
		goto out;
	if (json_array_size(parameters) &&
	    json_object_set(o, "parameters", parameters))
		goto out;
	if (op->request &&
	    json_object_set_new(o, "requestBody", request_of(rt, op, schemas, w)))
		goto out;
	if (rt->public && json_object_set_new(o, "security", json_array()))
		goto out;
	item = json_object_get(paths, path);
	if (!item) {
		item = json_object();
		if (json_object_set_new(paths, path, item))
			goto out;
	}
	for (i = 0; rt->method[i] && i < sizeof(method) - 1; i++)
		method[i] = (char)(rt->method[i] | 0x20); /* "get" */
	method[i] = '\0';
	err = json_object_set(item, method, o) ? ENOMEM : 0;
out:
	json_decref(o);
	json_decref(parameters);
	return err;
}

/* Rows whose handler no route has: a route removed, its row left. */
static void check_rows(const struct http_route *routes, size_t n,
		       struct openapi_why *w)
{
	size_t i, j;

	for (i = 0; i < NOPS; i++) {
		for (j = 0; j < n && routes[j].h != ops[i].h; j++)
			;
		if (j == n)
			why_add(w, "ops[] of src/http/openapi.c has a row "
				"\"%s\" whose handler no route of "
				"src/http/router.c has", ops[i].id);
	}
}

/* The JSON Schema of one setting's value, from its table row. */
static json_t *setting_schema(const struct setting_def *d)
{
	switch (d->type) {
	case SETTING_BOOL:
		return json_pack("{s:s, s:s}", "type", "boolean",
				 "description", d->help);
	case SETTING_INT:
		return json_pack("{s:s, s:I, s:I, s:s}", "type", "integer",
				 "minimum", (json_int_t)d->min, "maximum",
				 (json_int_t)d->max, "description", d->help);
	case SETTING_STRING:
	case SETTING_EMAIL:
		return json_pack("{s:s, s:I, s:I, s:s}", "type", "string",
				 "minLength", (json_int_t)d->min, "maxLength",
				 (json_int_t)d->max, "description", d->help);
	}
	return NULL;
}

/* Settings (every setting, as GET answers) and SettingsPatch (any of
 * them), from the settings table. */
static int settings_schemas(json_t *schemas)
{
	json_t *props = json_object(), *req = json_array();
	const struct setting_def *t;
	size_t n, i;
	int err = ENOMEM;

	if (!props || !req)
		goto out;
	t = settings_table(&n);
	for (i = 0; i < n; i++)
		if (json_object_set_new(props, t[i].name,
					setting_schema(&t[i])) ||
		    json_array_append_new(req, json_string(t[i].name)))
			goto out;
	if (json_object_set_new(schemas, "Settings", json_pack(
		    "{s:s, s:O, s:O, s:b}", "type", "object", "properties",
		    props, "required", req, "additionalProperties", 0)) ||
	    json_object_set_new(schemas, "SettingsPatch", json_pack(
		    "{s:s, s:O, s:b}", "type", "object", "properties", props,
		    "additionalProperties", 0)))
		goto out;
	err = 0;
out:
	json_decref(props);
	json_decref(req);
	return err;
}

static json_t *document_head(json_t *schemas)
{
	return json_pack(
		"{s:s, s:{s:s, s:s, s:s}, s:[{s:[]}, {s:[]}], s:{},"
		" s:{s:o, s:{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}}}}",
		"openapi", "3.1.0",
		"info", "title", "dialconf REST API", "version", "1",
		"description", "Generated by dialconf from its route table; "
		"docs/api.md says the rest. HEAD works on every GET route.",
		"security", "bearer", "session",
		"paths",
		"components", "schemas", schemas, "securitySchemes",
		"bearer", "type", "http", "scheme", "bearer", "description",
		"a token from `dialconf admin token`",
		"session", "type", "apiKey", "in", "cookie", "name",
		HTTP_SESSION_COOKIE, "description",
		"the admin center's session; state-changing requests also "
		"need X-CSRF-Token");
}

int http_openapi_build(json_t **out, char *why, size_t whysize)
{
	struct openapi_why w = {why, whysize, 0, 0};
	const struct http_route *routes;
	json_t *doc = NULL, *schemas;
	json_error_t jerr;
	size_t n, i;
	int err = ENOMEM;

	if (why && whysize)
		why[0] = '\0';
	*out = NULL;
	schemas = json_loads(openapi_schemas_json, 0, &jerr);
	if (!schemas) {
		why_add(&w, "src/http/openapi_schemas.json, line %d: %s",
			jerr.line, jerr.text);
		return EINVAL;
	}
	if (settings_schemas(schemas)) {
		json_decref(schemas);
		return ENOMEM;
	}
	doc = document_head(schemas); /* takes schemas */
	if (!doc)
		goto out;
	routes = http_routes(&n);
	for (i = 0; i < n; i++) {
		err = add_operation(json_object_get(doc, "paths"), &routes[i],
				    json_object_get(json_object_get(doc,
					    "components"), "schemas"), &w);
		if (err)
			goto out;
	}
	check_rows(routes, n, &w);
	err = w.count ? EINVAL : 0;
out:
	if (err)
		json_decref(doc);
	else
		*out = doc;
	return err;
}

/* GET /api/v1/openapi.json: public, as Swagger-style tools fetch it
 * before they have a token; it tells nothing the source does not. */
int h_openapi(struct http_req *r)
{
	char why[1024];
	json_t *doc;
	int err = http_openapi_build(&doc, why, sizeof(why));

	if (err == EINVAL)
		return http_problem(r, 500, "the API description is "
				    "incomplete: %s", why);
	if (err)
		return err;
	return http_reply(r, 200, doc);
}
