/* http_priv: what the files of src/http/ share. Handlers never see
 * libmicrohttpd: they read a struct http_req (params, query, parsed body,
 * actor) and leave a status and a JSON document in it; http.c turns that
 * into the response. This keeps handlers short and testable without a
 * socket. */
#ifndef DIALCONF_HTTP_HTTP_PRIV_H
#define DIALCONF_HTTP_HTTP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "app/app.h"

#define HTTP_PARAM_MAX 2     /* {placeholders} in one route */
#define HTTP_PARAM_SIZE 512  /* bytes of one decoded path component */
#define HTTP_ACTOR_SIZE 257
#define HTTP_TOKEN_MAX 256   /* bytes of a bearer token we look at */
#define HTTP_COOKIE_SIZE 160 /* bytes of a Set-Cookie value we send */
#define HTTP_ORIGIN_SIZE 256 /* bytes of an Origin we answer to */
#define HTTP_PEER_SIZE 48   /* an IPv6 address as text */
/* Bodies of requests not (yet) authenticated (sign-in): a few KiB are
 * plenty, and a stranger gets no more of our memory. */
#define HTTP_PUBLIC_BODY_MAX (4 * 1024)
/* Connections one client address may hold at once. Behind a reverse proxy
 * every client shares the proxy's address: see docs/operations.md. */
#define HTTP_CONN_PER_ADDRESS 32
#define HTTP_DB_RETRY_AFTER 1 /* seconds: a database restart is quick */

/* One request as handlers see it. */
struct http_req {
	struct app *app;
	const char *method;
	const char *path;
	void *conn; /* the MHD connection, for http_query() only */
	char actor[HTTP_ACTOR_SIZE];
	char peer[HTTP_PEER_SIZE]; /* the client's address, "" if unknown */
	char param[HTTP_PARAM_MAX][HTTP_PARAM_SIZE];
	json_t *in;  /* the body as a JSON object, or NULL when empty */

	/* The admin center session the request came with, when it
	 * authenticated by cookie; a secret, never logged. https: it came
	 * over HTTPS (or X-Forwarded-Proto: https), so cookies get Secure. */
	struct app_session session;
	bool https;

	/* The answer: status, and out (owned) or a problem. */
	int status;
	json_t *out;
	const char *allow; /* for 405 */
	char set_cookie[HTTP_COOKIE_SIZE]; /* a Set-Cookie value, or "" */
	long long retry_after; /* seconds, for 429, 503; 0 = no Retry-After */
	/* A static file instead of JSON (out NULL): not owned. */
	const unsigned char *file;
	size_t file_len;
	const char *file_type;
	/* CORS (h_jitsi.c): the Origin allowed to read the answer, "" for
	 * none; preflight: the answer to an OPTIONS preflight, with the
	 * methods and headers allowed. plain_json: an error answer is
	 * application/json too (Jitsi's shapes), not a problem. */
	char cors_origin[HTTP_ORIGIN_SIZE];
	bool cors_preflight;
	bool plain_json;
	/* A text answer of file_type instead of JSON (out NULL): owned,
	 * freed with the request (the calendar object of a meeting). */
	char *text;
	size_t text_len;
};

/* An admin center file embedded at build time (web/, scripts/embed_web.sh):
 * served at "/" + path. */
struct http_asset {
	const char *path; /* "index.html", "js/users.js" */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t len;
};

/* The generated table (web.c) and its length. */
extern const struct http_asset http_assets[];
extern const size_t http_asset_count;

/* static.c: the asset served at url path ("/" is index.html), or NULL. */
const struct http_asset *http_asset_find(const char *path);


#define HTTP_SESSION_COOKIE "dialconf_session"

typedef int (http_handler_h)(struct http_req *r);

/* router.c: a table of method, pattern ("/api/v1/users/{}"), handler. */
struct http_route {
	const char *method;
	const char *pattern;
	http_handler_h *h;
	bool public; /* answers without a token */
};

/* The route table and its length (the OpenAPI description walks it). */
const struct http_route *http_routes(size_t *n);

enum http_match {
	HTTP_MATCH_OK,
	HTTP_MATCH_NO_ROUTE,  /* 404 */
	HTTP_MATCH_NO_METHOD, /* 405, allow filled in */
	HTTP_MATCH_TOO_LONG,  /* a component over HTTP_PARAM_SIZE: 404 */
};

/* Find the route of method and path in the built-in table. On OK *rp is
 * the route and the placeholders are copied to param; on NO_METHOD allow
 * holds the methods the path answers ("GET, POST"). */
enum http_match http_route_match(const char *method, const char *path,
				 const struct http_route **rp,
				 char param[HTTP_PARAM_MAX][HTTP_PARAM_SIZE],
				 char *allow, size_t allowsize);

/* json.c: the request body (len bytes at data, as received) into r->in:
 * empty is NULL, else it must be one JSON object without duplicate names.
 * 0, or a 400 answer in r and EINVAL. */
int http_body_parse(struct http_req *r, const char *data, size_t len);

/* json.c: answers and body checks. Each sets r->status and r->out and
 * returns 0, or ENOMEM (the caller answers 500). */
int http_reply(struct http_req *r, int status, json_t *body);
int http_problem(struct http_req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The problem for an app errno: EINVAL 400, ENOENT 404, EEXIST/EBUSY 409,
 * EACCES 401, ENOSPC 503, ENOTCONN (the database is away) 503 with
 * Retry-After, anything else 500. */
int http_app_problem(struct http_req *r, int err, const struct app_err *ae);
/* 503 with Retry-After: HTTP_DB_RETRY_AFTER: the database does not answer
 * now (a restart); the next request opens the connection again. */
int http_db_away(struct http_req *r);
int http_status_of(int err);
const char *http_title(int status);
/* The answer of a list handler after the app filled arr: 200 and
 * {key: arr}, or the problem of err. Takes arr. */
int http_reply_list(struct http_req *r, int err, const struct app_err *ae,
		    const char *key, json_t *arr);

/* What a body field may hold. */
enum http_jtype {
	HTTP_J_STRING,
	HTTP_J_STRING_NULL, /* a string or null */
	HTTP_J_BOOL,
	HTTP_J_OBJECT,
	HTTP_J_STRINGS,     /* an array of strings */
};

struct http_field {
	const char *name;
	enum http_jtype type;
	bool required;
};

/* Check obj (NULL counts as {}) against fields: no unknown names, the
 * right types, required ones present. On a mismatch answers 400 and
 * returns EINVAL; what names the body part in the detail. */
int http_check_fields(struct http_req *r, const json_t *obj, const char *what,
		      const struct http_field *fields, size_t n);

/* Optional boolean field of obj, def when absent (types checked before). */
bool http_json_bool(const json_t *obj, const char *name, bool def);
/* String field of obj or NULL when absent or null. */
const char *http_json_str(const json_t *obj, const char *name);

/* A string or null when s is "". */
json_t *http_json_str_or_null(const char *s);
/* A decimal id as a JSON string ("42"). */
json_t *http_json_id(int64_t id);
/* Unix seconds as "2026-11-26T23:30:00Z", or null when t is 0. */
json_t *http_json_time(int64_t t);

/* A request header, or NULL. */
const char *http_header(const struct http_req *r, const char *name);
/* The client's IP address as text: 0, or an errno. */
int http_client_addr(const struct http_req *r, char *out, size_t size);
/* A query argument of the request, or NULL. */
const char *http_query(const struct http_req *r, const char *name);
/* Parse the integer query argument name into *v: def when absent, 400 and
 * EINVAL when not a decimal in [min, max]. */
int http_query_int(struct http_req *r, const char *name, long long min,
		   long long max, long long def, long long *v);

/* Handlers, one per route (h_*.c). */
int h_users_list(struct http_req *r);
int h_users_create(struct http_req *r);
int h_users_import(struct http_req *r);
int h_user_get(struct http_req *r);
int h_user_patch(struct http_req *r);
int h_user_delete(struct http_req *r);
int h_user_reset_confid(struct http_req *r);
int h_user_reset_pin(struct http_req *r);
int h_numbers_list(struct http_req *r);
int h_numbers_add(struct http_req *r);
int h_number_patch(struct http_req *r);
int h_number_delete(struct http_req *r);
int h_settings_get(struct http_req *r);
int h_settings_patch(struct http_req *r);
int h_confid_get(struct http_req *r);
int h_audit_list(struct http_req *r);
int h_user_send_info(struct http_req *r);
int h_outbox_list(struct http_req *r);
int h_outbox_retry(struct http_req *r);
int h_webhooks_list(struct http_req *r);
int h_calls_list(struct http_req *r);
int h_records_list(struct http_req *r);
int h_call_admit(struct http_req *r);
int h_reports_usage(struct http_req *r);
int h_call_mute(struct http_req *r);
int h_call_unmute(struct http_req *r);
int h_call_remove(struct http_req *r);
int h_conference_mute_all(struct http_req *r);
int h_conference_admit_all(struct http_req *r);
int h_conference_lock(struct http_req *r);
int h_conference_unlock(struct http_req *r);
int h_conference_end(struct http_req *r);
int h_healthz(struct http_req *r);
int h_meta(struct http_req *r);
/* h_settings.c: set "settingGroups" and "settings" (the settings table,
 * docs/api.md "Meta") in the object meta. 0 or ENOMEM. */
int http_settings_meta(json_t *meta);
int h_session_create(struct http_req *r);
int h_session_get(struct http_req *r);
int h_session_delete(struct http_req *r);
int h_tokens_list(struct http_req *r);
int h_tokens_create(struct http_req *r);
int h_token_delete(struct http_req *r);
int h_meetings_list(struct http_req *r);
int h_meetings_create(struct http_req *r);
int h_meeting_get(struct http_req *r);
int h_meeting_delete(struct http_req *r);
int h_meeting_ics(struct http_req *r);
/* h_metrics.c: GET /metrics, and the count of answers by status class
 * (server.c calls it for every answer it queues). */
int h_metrics(struct http_req *r);
/* h_jitsi.c: Jitsi Meet's two endpoints, their CORS preflight, and the
 * admin's list of mapped rooms. */
int h_jitsi_mapper(struct http_req *r);
int h_jitsi_numbers(struct http_req *r);
int h_jitsi_mapper_preflight(struct http_req *r);
int h_jitsi_numbers_preflight(struct http_req *r);
int h_jitsi_rooms(struct http_req *r);
void http_metrics_count(int status);
/* openapi.c: GET /api/v1/openapi.json, and the document itself, built
 * from the route table and ops[] of openapi.c. EINVAL when a route has no
 * row there (or a row no route, a schema name is unknown, ...): why then
 * has one line per problem. 0, EINVAL or ENOMEM. */
int h_openapi(struct http_req *r);
int http_openapi_build(json_t **out, char *why, size_t whysize);

#endif
