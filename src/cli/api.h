/* api: the CLI's REST client (libcurl, jansson): requests under
 * DIALCONF_URL/api/v1 with DIALCONF_TOKEN, answers decoded and capped. */
#ifndef DIALCONF_CLI_API_H
#define DIALCONF_CLI_API_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define API_URL_MAX 4096 /* bytes of a path, and of a query */

/* A request's path under /api/v1 and its query, built piece by piece; a
 * value type (on the stack) so that building it cannot fail half-way: the
 * first error sticks in err and api_call() refuses the URL. api_call()
 * joins it to DIALCONF_URL with libcurl's URL API (curl_url). */
struct api_url {
	char path[API_URL_MAX]; /* percent-encoded */
	size_t len;
	char query[API_URL_MAX]; /* "name=value" pairs as given, each NUL-ended */
	size_t qlen;
	int err;
};

struct api;

/* Start u as prefix, then item percent-encoded and sfx as it is, each
 * unless NULL: ("/users/", "ada@example.org", "/audio-conferencing/"). */
void api_url_path(struct api_url *u, const char *prefix, const char *item,
		  const char *sfx);
/* Add name=value to u's query; the value is percent-encoded when the URL
 * is put together. */
void api_url_query(struct api_url *u, const char *name, const char *value);

/* Open a client for DIALCONF_URL and DIALCONF_TOKEN. Returns 0, EINVAL (a
 * bad variable), ENOMEM or EIO (libcurl could not start), reported on
 * stderr. */
int api_alloc(struct api **ap);
void api_free(struct api *a);
/* From now on api_call() writes a failure's one-line reason into buf
 * (size bytes, emptied here) instead of stderr; size 0 goes back. */
void api_quiet(struct api *a, char *buf, size_t size);

/* Send method u with body (NULL for none). On a 2xx returns 0 and the
 * decoded answer in *resp (NULL when it had no body; the caller decrefs).
 * Otherwise reports the failure on stderr (the problem's detail, or
 * "cannot reach dialconf at URL: ...") and returns EIO (HTTP error),
 * ECONNREFUSED (transport), EFBIG (answer over the cap), EPROTO (answer not
 * JSON), ENAMETOOLONG or ENOMEM. */
int api_call(struct api *a, const char *method, const struct api_url *u,
	     json_t *body, json_t **resp);

/* GET u for an answer that is not JSON (a CSV): api_call(), but a 2xx
 * body comes as it is into *text (free() it; NULL when empty). */
int api_get_text(struct api *a, const struct api_url *u, char **text);

/* The body of the last answer that was not a 2xx (a problem+json), or
 * NULL; the caller decrefs it. Taken once. */
json_t *api_problem_take(struct api *a);

/* Member key of o as a string, NULL when o is not an object or the member
 * is missing, null or not a string. */
const char *api_str(const json_t *o, const char *key);
/* Member key of o when it is an object, else NULL. */
json_t *api_obj(const json_t *o, const char *key);
/* Member key of o as "yes"/"no"-able truth; dflt when absent or no bool. */
bool api_bool(const json_t *o, const char *key, bool dflt);

#endif
