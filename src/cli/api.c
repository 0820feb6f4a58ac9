/* api: the CLI's REST client. One libcurl easy handle per invocation, JSON in
 * and out with jansson, answers capped in size (a broken or hostile server
 * must not make the CLI eat the machine's memory). Failures are reported
 * here, once, in the words an administrator needs: the problem's detail
 * (RFC 9457) for an HTTP error, "cannot reach" for a transport error. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli/cli_priv.h"

#define API_DEFAULT_URL "http://127.0.0.1:8080"
#define API_PREFIX "/api/v1"
#define API_BASE_MAX 1024		 /* bytes of DIALCONF_URL */
#define API_TOKEN_MAX 1024		 /* bytes of DIALCONF_TOKEN */
#define API_RESP_MAX (16 * 1024 * 1024) /* bytes of one answer */

struct api {
	CURL *curl;
	char base[API_BASE_MAX];
	char auth[API_TOKEN_MAX + 32]; /* "Authorization: Bearer ..." */
	bool have_token;
	char errbuf[CURL_ERROR_SIZE];
	/* api_quiet(): a request's failure goes here, not to stderr. */
	char *quiet;
	size_t quiet_size;
};

/* The answer's body, grown as it arrives, never past API_RESP_MAX. */
struct api_buf {
	char *p;
	size_t len;
	size_t cap;
	bool toobig;
};

void api_url_init(struct api_url *u)
{
	u->s[0] = '\0';
	u->len = 0;
	u->err = 0;
}

void api_url_raw(struct api_url *u, const char *s)
{
	size_t n = strlen(s);

	if (u->err)
		return;
	if (n >= sizeof(u->s) - u->len) {
		u->err = ENAMETOOLONG;
		return;
	}
	memcpy(u->s + u->len, s, n + 1);
	u->len += n;
}

void api_url_part(struct api_url *u, const char *s)
{
	char *e;

	if (u->err)
		return;
	/* Everything but RFC 3986 unreserved characters is encoded: '@' and
	 * '+' in emails, '+' of E.164, '/' and '?' that would change the
	 * route. Since libcurl 7.82 the handle argument is unused. */
	e = curl_easy_escape(NULL, s, 0);
	if (e == NULL) {
		u->err = ENOMEM;
		return;
	}
	api_url_raw(u, e);
	curl_free(e);
}

void api_url_path(struct api_url *u, const char *prefix, const char *item,
		  const char *sfx)
{
	api_url_init(u);
	api_url_raw(u, prefix);
	if (item != NULL)
		api_url_part(u, item);
	if (sfx != NULL)
		api_url_raw(u, sfx);
}

void api_quiet(struct api *a, char *buf, size_t size)
{
	a->quiet = size ? buf : NULL;
	a->quiet_size = size;
	if (a->quiet)
		a->quiet[0] = '\0';
}

/* A request's failure: on stderr as cli_fail() puts it, or into the
 * api_quiet() buffer, where a caller reporting per item wants it. */
static void api_say(const struct api *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void api_say(const struct api *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (a->quiet) {
		vsnprintf(a->quiet, a->quiet_size, fmt, ap);
	} else {
		fprintf(stderr, "dialconf: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

static int api_env(struct api *a)
{
	const char *url = getenv("DIALCONF_URL");
	const char *tok = getenv("DIALCONF_TOKEN");
	size_t n;

	if (url == NULL || *url == '\0')
		url = API_DEFAULT_URL;
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/') /* "http://h:p/" is fine too */
		n--;
	if (n == 0 || n >= sizeof(a->base)) {
		cli_fail("DIALCONF_URL is empty or too long");
		return EINVAL;
	}
	memcpy(a->base, url, n);
	a->base[n] = '\0';
	if (tok == NULL || *tok == '\0')
		return 0;
	if (strlen(tok) > API_TOKEN_MAX || strpbrk(tok, "\r\n") != NULL) {
		cli_fail("DIALCONF_TOKEN is too long or has a line break");
		return EINVAL;
	}
	snprintf(a->auth, sizeof(a->auth), "Authorization: Bearer %s", tok);
	a->have_token = true;
	return 0;
}

int api_alloc(struct api **ap)
{
	struct api *a;
	int err;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		cli_fail("out of memory");
		return ENOMEM;
	}
	err = api_env(a);
	if (err)
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (a->curl = curl_easy_init()) == NULL) {
		cli_fail("cannot start libcurl");
		err = EIO;
		goto out;
	}
	*ap = a;
	return 0;
out:
	api_free(a);
	return err;
}

void api_free(struct api *a)
{
	if (a == NULL)
		return;
	if (a->curl != NULL) {
		curl_easy_cleanup(a->curl);
		curl_global_cleanup();
	}
	free(a);
}

static size_t api_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct api_buf *b = arg;
	size_t n = size * nmemb;
	size_t cap;
	char *p;

	if (n > API_RESP_MAX - b->len) {
		b->toobig = true;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static int api_header(struct curl_slist **h, const char *line)
{
	struct curl_slist *t = curl_slist_append(*h, line);

	if (t == NULL)
		return ENOMEM;
	*h = t;
	return 0;
}

/* Set up the handle for one request; the headers go in *hdrs, which the
 * caller frees after the transfer. */
static int api_setup(struct api *a, const char *method, const char *url,
		     const char *body, struct api_buf *b,
		     struct curl_slist **hdrs)
{
	CURL *cu = a->curl;
	int err;

	err = api_header(hdrs, "Accept: application/json, "
			       "application/problem+json");
	if (!err && body != NULL)
		err = api_header(hdrs, "Content-Type: application/json");
	if (!err && a->have_token)
		err = api_header(hdrs, a->auth);
	if (err)
		return err;

	curl_easy_reset(cu);
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, api_write);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, a->errbuf);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 300L);
	/* DIALCONF_URL must not turn the CLI into a file:// reader, and
	 * redirects are not followed so that the token goes nowhere else. */
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 0L);
	if (body != NULL) {
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(cu, CURLOPT_HTTPGET, 1L);
	}
	return 0;
}

/* "dialconf: <detail>" from a problem+json answer, or the bare status. */
static void api_report(const struct api *a, long status, const json_t *j)
{
	const char *msg = api_str(j, "detail");

	if (msg == NULL || *msg == '\0')
		msg = api_str(j, "title");
	if (msg != NULL && *msg != '\0')
		api_say(a, "%s", msg);
	else
		api_say(a, "the server answered HTTP %ld", status);
	if (status == 401 && !a->have_token && !a->quiet)
		fprintf(stderr, "dialconf: DIALCONF_TOKEN is not set; get a "
				"token with 'dialconf admin token'\n");
}

static int api_decode(const struct api *a, long status,
		      const struct api_buf *b, json_t **resp)
{
	json_t *j = NULL;
	json_error_t jerr;

	if (b->len > 0) {
		j = json_loadb(b->p, b->len, JSON_DECODE_ANY, &jerr);
		if (j == NULL && status >= 200 && status < 300) {
			api_say(a, "unexpected answer from %s: %s", a->base,
				 jerr.text);
			return EPROTO;
		}
	}
	if (status < 200 || status >= 300) {
		api_report(a, status, j);
		json_decref(j);
		return EIO;
	}
	*resp = j;
	return 0;
}

static int api_perform(struct api *a, const char *method, const char *url,
		       const char *body, json_t **resp)
{
	struct api_buf b = {0};
	struct curl_slist *hdrs = NULL;
	long status = 0;
	CURLcode rc;
	int err;

	a->errbuf[0] = '\0';
	err = api_setup(a, method, url, body, &b, &hdrs);
	if (err) {
		api_say(a, "out of memory");
		goto out;
	}
	rc = curl_easy_perform(a->curl);
	if (b.toobig) {
		api_say(a, "the answer from %s is over %d MiB", a->base,
			 API_RESP_MAX >> 20);
		err = EFBIG;
		goto out;
	}
	if (rc != CURLE_OK) {
		api_say(a, "cannot reach dialconf at %s: %s", a->base,
			 a->errbuf[0] ? a->errbuf : curl_easy_strerror(rc));
		err = ECONNREFUSED;
		goto out;
	}
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
	err = api_decode(a, status, &b, resp);
out:
	curl_slist_free_all(hdrs);
	free(b.p);
	return err;
}

int api_call(struct api *a, const char *method, const struct api_url *u,
	     json_t *body, json_t **resp)
{
	char url[API_BASE_MAX + sizeof(API_PREFIX) + API_URL_MAX];
	char *text = NULL;
	int err;

	*resp = NULL;
	if (u->err) {
		api_say(a, "request too long: %s", strerror(u->err));
		return u->err;
	}
	snprintf(url, sizeof(url), "%s%s%s", a->base, API_PREFIX, u->s);
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		if (text == NULL) {
			api_say(a, "out of memory");
			return ENOMEM;
		}
	}
	err = api_perform(a, method, url, text, resp);
	free(text);
	return err;
}

const char *api_str(const json_t *o, const char *key)
{
	const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *api_obj(const json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_object(v) ? v : NULL;
}

bool api_bool(const json_t *o, const char *key, bool dflt)
{
	const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}
