/* api: the CLI's REST client. One libcurl easy handle per invocation, JSON in
 * and out with jansson, answers capped in size (a broken or hostile server
 * must not make the CLI eat the machine's memory). Failures are reported
 * here, once, in the words an administrator needs: the problem's detail
 * (RFC 9457) for an HTTP error, "cannot reach" for a transport error.
 * URLs are put together by libcurl's URL API from DIALCONF_URL, the path
 * and the query, never by hand. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli/api.h"
#include "core/buf.h"

#define API_DEFAULT_URL "http://127.0.0.1:8080"
#define API_PREFIX "/api/v1"
#define API_BASE_MAX 1024		 /* bytes of DIALCONF_URL */
#define API_TOKEN_MAX 1024		 /* bytes of DIALCONF_TOKEN */
#define API_RESP_MAX (16 * 1024 * 1024) /* bytes of one answer */

struct api {
	CURL *curl;
	char base[API_BASE_MAX]; /* DIALCONF_URL, for messages */
	CURLU *url;              /* DIALCONF_URL, parsed */
	char auth[API_TOKEN_MAX + 32]; /* "Authorization: Bearer ..." */
	bool have_token;
	char errbuf[CURL_ERROR_SIZE];
	/* api_quiet(): a request's failure goes here, not to stderr. */
	char *quiet;
	size_t quiet_size;
	/* The last failing answer's body, for api_problem_take(). */
	json_t *problem;
};

/* The answer's body, grown as it arrives, never past API_RESP_MAX. */
struct api_answer {
	struct buf *b;
	bool toobig;
};

/* Append n bytes of s to dst (len of size in use); the first error sticks
 * in *err. */
static void url_add(char *dst, size_t size, size_t *len, const char *s,
		    size_t n, int *err)
{
	if (*err)
		return;
	if (n >= size - *len) {
		*err = ENAMETOOLONG;
		return;
	}
	memcpy(dst + *len, s, n);
	*len += n;
	dst[*len] = '\0';
}

void api_url_path(struct api_url *u, const char *prefix, const char *item,
		  const char *sfx)
{
	char *e;

	memset(u, 0, sizeof(*u));
	url_add(u->path, sizeof(u->path), &u->len, prefix, strlen(prefix),
		&u->err);
	if (item != NULL && !u->err) {
		/* Everything but RFC 3986 unreserved characters is encoded:
		 * '@' and '+' in emails, '+' of E.164, '/' and '?' that
		 * would change the route. Since libcurl 7.82 the handle
		 * argument is unused. */
		e = curl_easy_escape(NULL, item, 0);
		if (e == NULL)
			u->err = ENOMEM;
		else
			url_add(u->path, sizeof(u->path), &u->len, e,
				strlen(e), &u->err);
		curl_free(e);
	}
	if (sfx != NULL)
		url_add(u->path, sizeof(u->path), &u->len, sfx, strlen(sfx),
			&u->err);
}

void api_url_query(struct api_url *u, const char *name, const char *value)
{
	url_add(u->query, sizeof(u->query), &u->qlen, name, strlen(name),
		&u->err);
	url_add(u->query, sizeof(u->query), &u->qlen, "=", 1, &u->err);
	/* The NUL ends the pair: the next one starts after it. */
	url_add(u->query, sizeof(u->query), &u->qlen, value,
		strlen(value) + 1, &u->err);
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
	CURLUcode uc;
	size_t n;

	if (url == NULL || *url == '\0')
		url = API_DEFAULT_URL;
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/') /* "http://h:p/" is fine too */
		n--;
	if (n == 0 || n >= sizeof(a->base)) {
		api_say(a, "DIALCONF_URL is empty or too long");
		return EINVAL;
	}
	memcpy(a->base, url, n);
	a->base[n] = '\0';
	/* "127.0.0.1:8080" without a scheme means http, as curl has it. */
	a->url = curl_url();
	if (a->url == NULL) {
		api_say(a, "out of memory");
		return ENOMEM;
	}
	uc = curl_url_set(a->url, CURLUPART_URL, a->base,
			  CURLU_GUESS_SCHEME);
	if (uc != CURLUE_OK) {
		api_say(a, "DIALCONF_URL is not a URL: %s",
			curl_url_strerror(uc));
		return EINVAL;
	}
	if (tok == NULL || *tok == '\0')
		return 0;
	if (strlen(tok) > API_TOKEN_MAX || strpbrk(tok, "\r\n") != NULL) {
		api_say(a, "DIALCONF_TOKEN is too long or has a line break");
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
		fprintf(stderr, "dialconf: out of memory\n");
		return ENOMEM;
	}
	err = api_env(a);
	if (err)
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (a->curl = curl_easy_init()) == NULL) {
		api_say(a, "cannot start libcurl");
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
	json_decref(a->problem);
	if (a->curl != NULL) {
		curl_easy_cleanup(a->curl);
		curl_global_cleanup();
	}
	curl_url_cleanup(a->url);
	free(a);
}

static size_t api_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct api_answer *ans = arg;
	size_t n = size * nmemb;
	int err;

	err = buf_append(ans->b, data, n);
	if (err == EOVERFLOW)
		ans->toobig = true;
	/* Less than n stops curl with CURLE_WRITE_ERROR. */
	return err ? 0 : n;
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
static int api_setup(struct api *a, const char *method, CURLU *url,
		     const char *body, struct api_answer *ans,
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
	curl_easy_setopt(cu, CURLOPT_CURLU, url);
	curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, api_write);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, ans);
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

static int api_decode(struct api *a, long status,
		      const struct buf *b, json_t **resp)
{
	json_t *j = NULL;
	json_error_t jerr;

	if (buf_len(b) > 0) {
		j = json_loadb(buf_str(b), buf_len(b), JSON_DECODE_ANY,
			       &jerr);
		if (j == NULL && status >= 200 && status < 300) {
			api_say(a, "unexpected answer from %s: %s", a->base,
				 jerr.text);
			return EPROTO;
		}
	}
	if (status < 200 || status >= 300) {
		api_report(a, status, j);
		json_decref(a->problem);
		a->problem = j;
		return EIO;
	}
	*resp = j;
	return 0;
}

/* One request; a 2xx answer decoded into *resp, or, when text is not
 * NULL, handed over as it came into *text (free() it). */
static int api_perform(struct api *a, const char *method, CURLU *url,
		       const char *body, json_t **resp, char **text)
{
	struct api_answer ans = { NULL, false };
	struct curl_slist *hdrs = NULL;
	long status = 0;
	CURLcode rc;
	int err;

	a->errbuf[0] = '\0';
	err = buf_alloc(&ans.b, API_RESP_MAX);
	if (!err)
		err = api_setup(a, method, url, body, &ans, &hdrs);
	if (err) {
		api_say(a, "out of memory");
		goto out;
	}
	rc = curl_easy_perform(a->curl);
	if (ans.toobig) {
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
	if (text && status >= 200 && status < 300)
		err = buf_detach(ans.b, text, NULL);
	else
		err = api_decode(a, status, ans.b, resp);
out:
	curl_slist_free_all(hdrs);
	buf_free(ans.b);
	return err;
}

/* DIALCONF_URL with its path (trailing slashes dropped) followed by
 * API_PREFIX and u's path, and u's query pairs, encoded, into *out
 * (curl_url_cleanup() it). 0, ENAMETOOLONG or ENOMEM. */
static int api_url_make(const struct api *a, const struct api_url *u,
			CURLU **out)
{
	char path[API_BASE_MAX + sizeof(API_PREFIX) + API_URL_MAX];
	char *base = NULL;
	const char *q;
	size_t n;
	CURLU *h;
	int err = ENOMEM;

	h = curl_url_dup(a->url);
	if (h == NULL ||
	    curl_url_get(h, CURLUPART_PATH, &base, 0) != CURLUE_OK)
		goto out;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	if ((size_t)snprintf(path, sizeof(path), "%.*s%s%s", (int)n, base,
			     API_PREFIX, u->path) >= sizeof(path)) {
		err = ENAMETOOLONG;
		goto out;
	}
	if (curl_url_set(h, CURLUPART_PATH, path, 0) != CURLUE_OK)
		goto out;
	/* Each pair is appended with '&'; the value is percent-encoded,
	 * the first '=' kept. */
	for (q = u->query; q < u->query + u->qlen; q += strlen(q) + 1) {
		if (curl_url_set(h, CURLUPART_QUERY, q,
				 CURLU_APPENDQUERY | CURLU_URLENCODE) !=
		    CURLUE_OK)
			goto out;
	}
	err = 0;
out:
	curl_free(base);
	if (err) {
		curl_url_cleanup(h);
		h = NULL;
	}
	*out = h;
	return err;
}

static int api_request(struct api *a, const char *method,
		       const struct api_url *u, json_t *body, json_t **resp,
		       char **raw)
{
	CURLU *url = NULL;
	char *text = NULL;
	int err;

	*resp = NULL;
	err = u->err ? u->err : api_url_make(a, u, &url);
	if (err == ENOMEM) {
		api_say(a, "out of memory");
		return err;
	}
	if (err) {
		api_say(a, "request too long: %s", strerror(err));
		return err;
	}
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		if (text == NULL) {
			api_say(a, "out of memory");
			curl_url_cleanup(url);
			return ENOMEM;
		}
	}
	err = api_perform(a, method, url, text, resp, raw);
	free(text);
	curl_url_cleanup(url);
	return err;
}

int api_call(struct api *a, const char *method, const struct api_url *u,
	     json_t *body, json_t **resp)
{
	return api_request(a, method, u, body, resp, NULL);
}

int api_get_text(struct api *a, const struct api_url *u, char **text)
{
	json_t *none = NULL;
	int err;

	*text = NULL;
	err = api_request(a, "GET", u, NULL, &none, text);
	json_decref(none);
	return err;
}

json_t *api_problem_take(struct api *a)
{
	json_t *j = a->problem;

	a->problem = NULL;
	return j;
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
