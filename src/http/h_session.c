/* h_session: /api/v1/session, the admin center's sign-in and sign-out
 * (docs/api.md "Admin center session"). The session id travels only in
 * the HttpOnly cookie, so page scripts never see it; the CSRF token goes
 * in the body, for the page to send back as X-CSRF-Token. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http_priv.h"

static const struct http_field create_fields[] = {
	{"username", HTTP_J_STRING, true},
	{"password", HTTP_J_STRING, true},
};

/* Set (id non-NULL) or clear the session cookie. SameSite=Strict keeps it
 * off every request another site starts; Secure only behind HTTPS, or a
 * plain-HTTP deployment could never sign in. */
static void cookie_set(struct http_req *r, const char *id)
{
	snprintf(r->set_cookie, sizeof(r->set_cookie),
		 "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
		 HTTP_SESSION_COOKIE, id ? id : "",
		 id ? "" : "; Max-Age=0", r->https ? "; Secure" : "");
}

/* A browser says where a cross-site form post comes from: sign-in is
 * public, so refuse one started by another site's page (login CSRF). */
static bool origin_ok(const struct http_req *r)
{
	const char *origin = http_header(r, "Origin");
	const char *host = http_header(r, "Host");
	const char *rest;

	if (!origin)
		return true; /* not a browser, or a same-origin GET-like fetch */
	if (!host)
		return false;
	if (!strncasecmp(origin, "https://", 8))
		rest = origin + 8;
	else if (!strncasecmp(origin, "http://", 7))
		rest = origin + 7;
	else
		return false;
	return !strcasecmp(rest, host);
}

static json_t *session_json(const struct app_session *s)
{
	return json_pack("{s:s, s:s, s:o}", "csrfToken", s->csrf,
			 "username", s->username,
			 "expiresAt", http_json_time(s->expires_at));
}

int h_session_create(struct http_req *r)
{
	struct app_err ae = {{0}};
	struct app_session s;
	int64_t retry = 0;
	int err;

	if (!origin_ok(r))
		return http_problem(r, 403, "sign-in from another site's page "
				    "is refused");
	if (!r->in)
		return http_problem(r, 400, "a JSON object body is required");
	if (http_check_fields(r, r->in, "", create_fields, 2))
		return 0;

	err = app_session_create(r->app, http_json_str(r->in, "username"),
				 http_json_str(r->in, "password"), r->peer,
				 http_header(r, "X-Forwarded-For"), &s,
				 &retry, &ae);
	if (err == EAGAIN || err == EBUSY) {
		r->retry_after = retry > 0 ? retry : 1;
		return http_problem(r, err == EAGAIN ? 429 : 503, "%s",
				    ae.detail);
	}
	if (err)
		return http_app_problem(r, err, &ae);

	cookie_set(r, s.id);
	err = http_reply(r, 200, session_json(&s));
	explicit_bzero(&s, sizeof(s));
	return err;
}

/* Who is signed in, and the CSRF token again: a page reloaded in the same
 * tab has lost it, the cookie has not. A bearer token has neither. */
int h_session_get(struct http_req *r)
{
	if (!r->session.id[0])
		return http_reply(r, 200, json_pack("{s:s, s:n, s:n}",
				  "username", r->actor, "csrfToken",
				  "expiresAt"));
	return http_reply(r, 200, session_json(&r->session));
}

/* The auth step has checked the cookie and the CSRF header already. */
int h_session_delete(struct http_req *r)
{
	int err;

	if (r->session.id[0]) {
		err = app_session_delete(r->app, r->session.id);
		if (err && err != ENOENT)
			return http_app_problem(r, err, NULL);
	}
	cookie_set(r, NULL);
	return http_reply(r, 204, NULL);
}
