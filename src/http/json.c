/* json: a request as handlers read it (headers, query arguments, the strict
 * checks of bodies: docs/api.md, unknown fields and wrong types are 400,
 * never silently ignored), the answers they give (a JSON document or an
 * RFC 9457 problem) and the small value conversions every handler needs. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "core/isotime.h"
#include "core/mime.h"
#include "http/http_priv.h"

const char *http_header(const struct http_req *r, const char *name)
{
	if (!r->conn)
		return NULL;
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_req *r, const char *name)
{
	if (!r->conn)
		return NULL;
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
					   name);
}

int http_client_addr(const struct http_req *r, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	const void *bin;

	if (!r->conn || !size)
		return EINVAL;
	ci = MHD_get_connection_info(r->conn,
				     MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci ? ci->client_addr : NULL;
	if (!sa)
		return ENOENT;
	if (sa->sa_family == AF_INET)
		bin = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		bin = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else
		return ENOENT;
	return inet_ntop(sa->sa_family, bin, out, (socklen_t)size) ? 0 : ENOSPC;
}

int http_body_parse(struct http_req *r, const char *data, size_t len)
{
	json_error_t e;

	if (len == 0)
		return 0;
	r->in = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);
	if (!r->in) {
		http_problem(r, 400, "malformed JSON: %s (line %d, column %d)",
			     e.text, e.line, e.column);
		return EINVAL;
	}
	if (!json_is_object(r->in)) {
		http_problem(r, 400, "the request body must be a JSON object");
		return EINVAL;
	}
	return 0;
}

int http_reply(struct http_req *r, int status, json_t *body)
{
	json_decref(r->out);
	r->out = body;
	r->status = status;

	/* A NULL body for a status that needs one means jansson ran out of
	 * memory building it; 204 is the only answer without a body. */
	if (!body && status != 204) {
		r->status = 500;
		return ENOMEM;
	}
	return 0;
}

int http_reply_list(struct http_req *r, int err, const struct app_err *ae,
		    const char *key, json_t *arr)
{
	if (err) {
		json_decref(arr);
		return http_app_problem(r, err, ae);
	}
	return http_reply(r, 200, json_pack("{s:o}", key, arr));
}

int http_status_of(int err)
{
	switch (err) {
	case 0:      return 200;
	case EINVAL: return 400;
	case EACCES: return 401;
	case ENOENT: return 404;
	case EEXIST: return 409;
	case EBUSY:  return 409;
	case ENOSPC: return 503;
	case ENOTCONN: return 503;
	default:     return 500;
	}
}

const char *http_title(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default:  return "Internal Server Error";
	}
}

/* Replace each byte of s that starts no well-formed UTF-8 sequence with
 * '?': a detail may quote a path or a field as the client sent it (any
 * bytes, or cut in the middle of a character by the detail's size), and a
 * JSON string must be UTF-8, else there is no problem document at all. */
static void utf8_scrub(char *s)
{
	size_t i = 0, n = strlen(s);

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 :
			(c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;

		if (k && k <= n - i && mime_utf8_valid(s + i, k))
			i += k;
		else
			s[i++] = '?';
	}
}

int http_problem(struct http_req *r, int status, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	json_t *p;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	utf8_scrub(detail);

	p = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank",
		      "title", http_title(status), "status", status,
		      "detail", detail);
	return http_reply(r, status, p);
}

int http_db_away(struct http_req *r)
{
	r->retry_after = HTTP_DB_RETRY_AFTER;
	return http_problem(r, 503, "the database does not answer (it may be "
			    "restarting): try again");
}

int http_app_problem(struct http_req *r, int err, const struct app_err *ae)
{
	int status = http_status_of(err);
	const char *detail = ae ? ae->detail : "";

	if (err == ENOTCONN)
		return http_db_away(r);
	/* An app that failed without saying why still gets a useful line;
	 * a 500 never leaks more than the errno text. */
	if (!detail[0] || status == 500)
		return http_problem(r, status, "%s%s%s", strerror(err),
				    detail[0] ? ": " : "", detail);
	return http_problem(r, status, "%s", detail);
}

static const char *jtype_name(enum http_jtype t)
{
	switch (t) {
	case HTTP_J_STRING:      return "a string";
	case HTTP_J_STRING_NULL: return "a string or null";
	case HTTP_J_BOOL:        return "a boolean";
	case HTTP_J_OBJECT:      return "an object";
	case HTTP_J_STRINGS:     return "an array of strings";
	}
	return "?";
}

static bool jtype_ok(enum http_jtype t, const json_t *v)
{
	size_t i;
	json_t *e;

	switch (t) {
	case HTTP_J_STRING:      return json_is_string(v);
	case HTTP_J_STRING_NULL: return json_is_string(v) || json_is_null(v);
	case HTTP_J_BOOL:        return json_is_boolean(v);
	case HTTP_J_OBJECT:      return json_is_object(v);
	case HTTP_J_STRINGS:
		if (!json_is_array(v))
			return false;
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				return false;
		}
		return true;
	}
	return false;
}

static const struct http_field *field_find(const struct http_field *fields,
					   size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(fields[i].name, name))
			return &fields[i];
	}
	return NULL;
}

int http_check_fields(struct http_req *r, const json_t *obj, const char *what,
		      const struct http_field *fields, size_t n)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, key, v) {
		const struct http_field *f = field_find(fields, n, key);

		if (!f)
			goto unknown;
		if (!jtype_ok(f->type, v)) {
			http_problem(r, 400, "%s%s%s must be %s", what,
				     what[0] ? "." : "", key,
				     jtype_name(f->type));
			return EINVAL;
		}
	}

	for (i = 0; i < n; i++) {
		if (fields[i].required && !json_object_get(obj, fields[i].name)) {
			http_problem(r, 400, "%s%s%s is required", what,
				     what[0] ? "." : "", fields[i].name);
			return EINVAL;
		}
	}
	return 0;

 unknown:
	http_problem(r, 400, "unknown field '%s%s%s'", what, what[0] ? "." : "",
		     key);
	return EINVAL;
}

bool http_json_bool(const json_t *obj, const char *name, bool def)
{
	json_t *v = json_object_get(obj, name);

	return json_is_boolean(v) ? json_is_true(v) : def;
}

const char *http_json_str(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

json_t *http_json_str_or_null(const char *s)
{
	return (s && s[0]) ? json_string(s) : json_null();
}

json_t *http_json_id(int64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, id);
	return json_string(buf);
}

json_t *http_json_time(int64_t t)
{
	char buf[ISOTIME_SIZE];

	if (t == 0)
		return json_null();
	if (isotime_format(t, buf, sizeof(buf)))
		return json_null();
	return json_string(buf);
}

int http_query_int(struct http_req *r, const char *name, long long min,
		   long long max, long long def, long long *v)
{
	const char *s = http_query(r, name);
	char *end = NULL;
	long long x;

	if (!s) {
		*v = def;
		return 0;
	}

	errno = 0;
	x = strtoll(s, &end, 10);
	/* strtoll would also take " 5" and "+5"; a cursor or limit is only
	 * ever written as plain digits. */
	if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '-') || *end || errno ||
	    x < min || x > max) {
		http_problem(r, 400, "%s must be an integer from %lld to %lld",
			     name, min, max);
		return EINVAL;
	}
	*v = x;
	return 0;
}
