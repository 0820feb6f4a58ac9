/* fuzz_http: JSON request bodies through the real REST API handlers, as
 * src/http/server.c runs them once the request is in: the route table's
 * matcher (router.c), the body parser (http_body_parse), the handler, on
 * a real app (fuzz_app.h), as an admin already signed in. The input is
 * "METHOD PATH\n" and then the body, so the fuzzer finds routes, path
 * parameters and bodies alike (the corpus holds one of each route).
 * Every answer must be a status with a JSON document (or a text file),
 * problems (4xx, 5xx) as application/problem+json objects; 500 is a bug
 * unless the database went away. Query arguments and headers, which need
 * libmicrohttpd's connection, are fuzz_http_wire's. */
#include <assert.h>
#include <errno.h>

#include "http/http.h"
#include "http/http_priv.h"
#include "fuzz.h"
#include "fuzz_app.h"

#define LINE_MAX_ 1024

static void check_answer(const struct http_req *r)
{
	if (r->status < 200 || r->status > 599)
		fprintf(stderr, "status %d for %s %s\n", r->status, r->method,
			r->path);
	assert(r->status >= 200 && r->status <= 599);
	if (r->status >= 400) {
		if (!json_is_object(r->out))
			fprintf(stderr, "status %d without a problem for %s %s\n",
				r->status, r->method, r->path);
		assert(json_is_object(r->out));
		assert(json_integer_value(json_object_get(r->out, "status")) ==
		       r->status);
		assert(json_is_string(json_object_get(r->out, "detail")));
	}
	if (r->out && r->status != 204) {
		char *text = json_dumps(r->out, JSON_COMPACT);

		assert(text);
		free(text);
	}
	/* A 500 is a bug: the handler failed on a request it should have
	 * refused (400) or served. */
	if (r->status == 500) {
		fprintf(stderr, "500 for %s %s: %s\n", r->method, r->path,
			json_string_value(json_object_get(r->out, "detail")));
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[LINE_MAX_], allow[64], *sp;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t llen = nl ? (size_t)(nl - data) : size;
	const struct http_route *rt = NULL;
	struct http_req r;
	enum http_match m;

	if (llen >= sizeof(line) || memchr(data, '\0', llen))
		return 0;
	memcpy(line, data, llen);
	line[llen] = '\0';
	sp = strchr(line, ' ');
	if (!sp)
		return 0;
	*sp = '\0';
	data += nl ? llen + 1 : llen;
	size -= nl ? llen + 1 : llen;

	memset(&r, 0, sizeof(r));
	r.app = fuzz_app_get();
	r.method = line;
	r.path = sp + 1;
	snprintf(r.actor, sizeof(r.actor), "admin");
	m = http_route_match(r.method, r.path, &rt, r.param, allow,
			     sizeof(allow));
	if (m != HTTP_MATCH_OK || size > HTTP_BODY_MAX)
		return 0;
	if (!http_body_parse(&r, (const char *)data, size)) {
		int err = rt->h(&r);

		if (err && (!r.status || r.status < 400))
			http_problem(&r, 500, "%s", strerror(err));
	}
	check_answer(&r);
	json_decref(r.in);
	json_decref(r.out);
	free(r.text);
	return 0;
}
