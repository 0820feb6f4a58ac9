/* router: the route table of docs/api.md and the matcher. A pattern is a
 * path whose "{}" components match any one non-empty component; the path
 * handed in is already URL-decoded by libmicrohttpd, so a component may
 * hold '@', '+' or spaces but never stands for more than one segment. */
#include <stdio.h>
#include <string.h>

#include "http/http_priv.h"

/* A new route also needs a row in ops[] of src/http/openapi.c (what it
 * takes and answers, for GET /api/v1/openapi.json); test_openapi names
 * each route that lacks one. */
static const struct http_route routes[] = {
	{"GET",    "/healthz", h_healthz, true},
	{"GET",    "/metrics", h_metrics, false},
	{"POST",   "/api/v1/session", h_session_create, true},
	{"GET",    "/api/v1/session", h_session_get, false},
	{"GET",    "/api/v1/meta", h_meta, false},
	{"GET",    "/api/v1/openapi.json", h_openapi, true},
	{"DELETE", "/api/v1/session", h_session_delete, false},
	{"GET",    "/api/v1/tokens", h_tokens_list, false},
	{"POST",   "/api/v1/tokens", h_tokens_create, false},
	{"DELETE", "/api/v1/tokens/{}", h_token_delete, false},
	{"GET",    "/api/v1/users", h_users_list, false},
	{"POST",   "/api/v1/users", h_users_create, false},
	{"POST",   "/api/v1/users/import", h_users_import, false},
	{"GET",    "/api/v1/users/{}", h_user_get, false},
	{"PATCH",  "/api/v1/users/{}", h_user_patch, false},
	{"DELETE", "/api/v1/users/{}", h_user_delete, false},
	{"POST",   "/api/v1/users/{}/audio-conferencing/reset-conference-id",
		   h_user_reset_confid, false},
	{"POST",   "/api/v1/users/{}/audio-conferencing/reset-pin",
		   h_user_reset_pin, false},
	{"POST",   "/api/v1/users/{}/audio-conferencing/send-conference-info",
		   h_user_send_info, false},
	{"GET",    "/api/v1/outbox", h_outbox_list, false},
	{"POST",   "/api/v1/outbox/{}/retry", h_outbox_retry, false},
	{"GET",    "/api/v1/webhooks/deliveries", h_webhooks_list, false},
	{"GET",    "/api/v1/dial-in-numbers", h_numbers_list, false},
	{"POST",   "/api/v1/dial-in-numbers", h_numbers_add, false},
	{"PATCH",  "/api/v1/dial-in-numbers/{}", h_number_patch, false},
	{"DELETE", "/api/v1/dial-in-numbers/{}", h_number_delete, false},
	{"GET",    "/api/v1/settings", h_settings_get, false},
	{"PATCH",  "/api/v1/settings", h_settings_patch, false},
	{"GET",    "/api/v1/conference-ids/{}", h_confid_get, false},
	{"GET",    "/api/v1/audit", h_audit_list, false},
	{"GET",    "/api/v1/calls", h_calls_list, false},
	{"GET",    "/api/v1/call-records", h_records_list, false},
	{"POST",   "/api/v1/calls/{}/admit", h_call_admit, false},
	{"GET",    "/api/v1/reports/usage", h_reports_usage, false},
	{"POST",   "/api/v1/calls/{}/mute", h_call_mute, false},
	{"POST",   "/api/v1/calls/{}/unmute", h_call_unmute, false},
	{"POST",   "/api/v1/calls/{}/remove", h_call_remove, false},
	{"POST",   "/api/v1/conferences/{}/mute-all", h_conference_mute_all,
		   false},
	{"POST",   "/api/v1/conferences/{}/admit-all", h_conference_admit_all,
		   false},
	{"POST",   "/api/v1/conferences/{}/lock", h_conference_lock, false},
	{"POST",   "/api/v1/conferences/{}/unlock", h_conference_unlock, false},
	{"POST",   "/api/v1/conferences/{}/end", h_conference_end, false},
	{"GET",    "/api/v1/meetings", h_meetings_list, false},
	{"POST",   "/api/v1/meetings", h_meetings_create, false},
	{"GET",    "/api/v1/meetings/{}", h_meeting_get, false},
	{"DELETE", "/api/v1/meetings/{}", h_meeting_delete, false},
	{"GET",    "/api/v1/meetings/{}/invitation.ics", h_meeting_ics, false},
	{"GET",    "/api/v1/jitsi/rooms", h_jitsi_rooms, false},
	{"GET",    "/jitsi/conference-mapper", h_jitsi_mapper, true},
	{"OPTIONS", "/jitsi/conference-mapper", h_jitsi_mapper_preflight, true},
	{"GET",    "/jitsi/dial-in-numbers", h_jitsi_numbers, true},
	{"OPTIONS", "/jitsi/dial-in-numbers", h_jitsi_numbers_preflight, true},
};

const struct http_route *http_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}

/* Length of the component that starts at s (up to '/' or the end). */
static size_t comp_len(const char *s)
{
	return strcspn(s, "/");
}

/* Match path against pattern, copying placeholders into param. Returns
 * HTTP_MATCH_OK, HTTP_MATCH_NO_ROUTE or HTTP_MATCH_TOO_LONG. */
static enum http_match match_one(const char *pattern, const char *path,
				 char param[HTTP_PARAM_MAX][HTTP_PARAM_SIZE])
{
	size_t np = 0;

	while (*pattern && *path) {
		if (*pattern != '/' || *path != '/')
			return HTTP_MATCH_NO_ROUTE;
		pattern++;
		path++;

		size_t pl = comp_len(pattern);
		size_t sl = comp_len(path);

		if (pl == 2 && !strncmp(pattern, "{}", 2)) {
			if (sl == 0 || np >= HTTP_PARAM_MAX)
				return HTTP_MATCH_NO_ROUTE;
			if (sl >= HTTP_PARAM_SIZE)
				return HTTP_MATCH_TOO_LONG;
			if (param) {
				memcpy(param[np], path, sl);
				param[np][sl] = '\0';
			}
			np++;
		}
		else if (pl != sl || strncmp(pattern, path, pl)) {
			return HTTP_MATCH_NO_ROUTE;
		}
		pattern += pl;
		path += sl;
	}

	return (*pattern || *path) ? HTTP_MATCH_NO_ROUTE : HTTP_MATCH_OK;
}

/* Add method to the comma-separated allow list. */
static void allow_add(char *allow, size_t size, const char *method)
{
	size_t len = strlen(allow);

	if (strstr(allow, method))
		return;
	snprintf(allow + len, size - len, "%s%s", len ? ", " : "", method);
}

enum http_match http_route_match(const char *method, const char *path,
				 const struct http_route **rp,
				 char param[HTTP_PARAM_MAX][HTTP_PARAM_SIZE],
				 char *allow, size_t allowsize)
{
	enum http_match res = HTTP_MATCH_NO_ROUTE;
	size_t i;

	if (allow && allowsize)
		allow[0] = '\0';

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct http_route *rt = &routes[i];
		/* HEAD is GET without the body, which libmicrohttpd leaves
		 * out by itself (RFC 9110 §9.3.2). */
		bool same = !strcmp(rt->method, method) ||
			(!strcmp(method, "HEAD") && !strcmp(rt->method, "GET"));
		enum http_match m;

		m = match_one(rt->pattern, path, same ? param : NULL);
		if (m == HTTP_MATCH_TOO_LONG)
			return m;
		if (m != HTTP_MATCH_OK)
			continue;
		if (same) {
			*rp = rt;
			return HTTP_MATCH_OK;
		}
		res = HTTP_MATCH_NO_METHOD;
		if (allow && allowsize)
			allow_add(allow, allowsize, rt->method);
	}

	return res;
}
