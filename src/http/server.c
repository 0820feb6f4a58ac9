/* server: the daemon around the REST API. libmicrohttpd runs a pool of
 * threads; each request gets a struct conn_ctx on the first call of the
 * access handler, where everything that needs no body is decided at once
 * (route, token, announced size), so a client sending 10 MB without a token
 * or over the limit is answered without us reading a byte of it. The body
 * is then gathered into a buffer capped at HTTP_BODY_MAX (core/buf), or at
 * HTTP_PUBLIC_BODY_MAX for a request nobody has authenticated (sign-in);
 * a body that grows past its cap (a chunked upload announces no size) is
 * read on and dropped, and answered 413 at its end (libmicrohttpd cannot
 * queue an answer in the middle of an upload). A client address holds at
 * most HTTP_CONN_PER_ADDRESS connections.
 *
 * A handler that burns CPU for a stranger (sign-in: an argon2id check)
 * does not run in the pool's threads, each of which serves many
 * connections and would stall them all (/healthz included): its
 * connection is suspended and the handler runs on one of
 * HTTP_SLOW_WORKERS threads of our own, at most HTTP_SLOW_QUEUE waiting;
 * beyond them the answer is 503 with Retry-After at once. */
#include <pthread.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#define LOG_MODULE "http"
#include "core/buf.h"
#include "core/log.h"
#include "http/http.h"
#include "http/http_priv.h"

/* Per connection: the request's headers and the read and write buffers.
 * libmicrohttpd clears the whole of it for each request of a kept-alive
 * connection, so its size is paid per request: 16 KiB holds 8 KiB of
 * headers (what nginx takes by default) and reads a body in pieces. */
#define HTTP_CONN_MEMORY (16 * 1024)
#define HTTP_CONN_TIMEOUT 30         /* seconds a silent client may hold on */
#define HTTP_LOG_PATH_MAX 200

#define HTTP_SLOW_WORKERS 4
#define HTTP_SLOW_QUEUE 4
#define HTTP_SLOW_NICE 10

struct conn_ctx;

/* The threads that run slow handlers, and their queue. */
struct slow_pool {
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	pthread_t threads[HTTP_SLOW_WORKERS];
	int nthreads;
	struct conn_ctx *head, *tail;
	int queued;
	bool stopping;
};

struct http {
	struct MHD_Daemon *d;
	struct app *app;
	int fd; /* the listening socket; MHD's once d is running */
	struct slow_pool slow;
};

struct conn_ctx {
	struct timespec t0;
	const struct http_route *route;
	struct http_req req;
	char allow[64];
	struct buf *body; /* NULL until the first byte */
	size_t body_max;  /* the cap of this request's body */
	bool too_big;
	bool answered;
	bool ran;              /* its slow handler has run (slow_pool) */
	bool scoped;           /* holds its thread's read scope */
	struct conn_ctx *next; /* in the slow queue */
	struct MHD_Connection *c;
};

/* Copy path for the log, bounded and with control characters replaced: a
 * decoded path may hold "%0A" and must not forge log lines. */
static void log_path(char *out, size_t size, const char *path)
{
	size_t i;

	for (i = 0; path[i] && i + 1 < size && i < HTTP_LOG_PATH_MAX; i++) {
		unsigned char ch = (unsigned char)path[i];

		out[i] = (ch < 0x21 || ch == 0x7f) ? '?' : (char)ch;
	}
	out[i] = '\0';
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)((t1.tv_sec - t0->tv_sec) * 1000 +
		      (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

/* On every answer, API or page: the admin center runs only its
 * own scripts and styles (no inline script, so an injected tag does
 * nothing), cannot be framed, and leaks no URL to other sites. */
static void add_security_headers(struct MHD_Response *resp)
{
	static const char *const h[][2] = {
		{"Content-Security-Policy",
		 "default-src 'self'; script-src 'self'; style-src 'self'; "
		 "img-src 'self' data:; frame-ancestors 'none'; "
		 "base-uri 'none'; form-action 'self'"},
		{"X-Content-Type-Options", "nosniff"},
		{"Referrer-Policy", "no-referrer"},
		{"X-Frame-Options", "DENY"},
	};
	size_t i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		MHD_add_response_header(resp, h[i][0], h[i][1]);
}

/* An embedded file: its bytes live as long as the program. Browsers check
 * with us before using a cached copy, so a new build shows at once. */
static struct MHD_Response *file_response(struct http_req *r)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(r->file_len, (void *)r->file,
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r->file_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	add_security_headers(resp);
	return resp;
}

/* A generated text answer (r->text, handed over to libmicrohttpd). */
static struct MHD_Response *text_response(struct http_req *r)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(r->text_len, r->text,
					       MHD_RESPMEM_MUST_FREE);
	if (!resp)
		return NULL;
	r->text = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r->file_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	add_security_headers(resp);
	return resp;
}

static void add_answer_headers(struct MHD_Response *resp, struct http_req *r)
{
	char n[24];

	add_security_headers(resp);
	if (r->set_cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
					r->set_cookie);
	if (r->cors_origin[0]) {
		/* Fetch standard §3.2 (CORS): this origin may read it. */
		MHD_add_response_header(resp, "Access-Control-Allow-Origin",
					r->cors_origin);
		MHD_add_response_header(resp, "Vary", "Origin");
	}
	if (r->cors_origin[0] && r->cors_preflight) {
		MHD_add_response_header(resp, "Access-Control-Allow-Methods",
					"GET, OPTIONS");
		MHD_add_response_header(resp, "Access-Control-Allow-Headers",
					"Accept, Content-Type");
		MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
	}
	if ((r->status == 429 || r->status == 503) && r->retry_after > 0) {
		snprintf(n, sizeof(n), "%lld", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, n);
	}
}

static struct MHD_Response *build_response(struct http_req *r)
{
	struct MHD_Response *resp;
	const char *type;
	char *text = NULL;
	size_t len = 0;

	if (r->file && !r->out)
		return file_response(r);
	if (r->text && !r->out)
		return text_response(r);
	if (r->out && r->status != 204) {
		/* 15 digits: a report's 0.9 minutes reads 0.9, not the
		 * 17 digits of the nearest double. */
		text = json_dumps(r->out,
				  JSON_COMPACT | JSON_REAL_PRECISION(15));
		if (!text)
			return NULL;
		len = strlen(text);
	}
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return NULL;
	}

	type = r->status >= 400 && !r->plain_json ?
		"application/problem+json" : "application/json";
	if (text)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	/* Answers may carry a one-time PIN: keep them out of every cache. */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer");
	if (r->status == 405 && r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	add_answer_headers(resp, r);
	return resp;
}

/* Queue the answer held in x->req and log the request line. */
static enum MHD_Result respond(struct MHD_Connection *c, struct conn_ctx *x)
{
	struct http_req *r = &x->req;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char path[HTTP_LOG_PATH_MAX + 1];
	enum log_level level;

	if (!r->status)
		http_problem(r, 500, "the handler gave no answer");
	resp = build_response(r);
	if (!resp)
		return MHD_NO;

	x->answered = true;
	ret = MHD_queue_response(c, (unsigned int)r->status, resp);
	MHD_destroy_response(resp);
	http_metrics_count(r->status);

	/* One line per request only at debug (dialconf_http_requests_total
	 * counts them); a server error is always worth a line. */
	level = r->status >= 500 ? LOG_WARN : LOG_DEBUG;
	if (log_on(level)) {
		log_path(path, sizeof(path), r->path);
		log_write(level, LOG_MODULE, "method=%s path=%s status=%d ms=%ld",
			  r->method, path, r->status, elapsed_ms(&x->t0));
	}
	return ret;
}

/* Methods that change something: with a session cookie they need the
 * X-CSRF-Token header too. */
static bool state_changing(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD") &&
		strcmp(method, "OPTIONS");
}

/* The admin center's cookie: 0 (actor and r->session filled in), or a 401
 * answer (and the cookie cleared) when the session is unknown or over, or
 * 403 when a state-changing request lacks the session's CSRF token. */
static int check_session(struct http *h, struct MHD_Connection *c,
			 struct http_req *r, const char *id)
{
	const char *csrf;
	int err;

	csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
	err = app_session_check(h->app, id, csrf, state_changing(r->method),
				&r->session);
	if (err == ENOTCONN) { /* the session may be fine: keep the cookie */
		http_db_away(r);
		return err;
	}
	if (err && err != EACCES && err != EPERM) {
		http_problem(r, 500, "cannot check the session");
		return err;
	}
	if (err == EPERM) {
		http_problem(r, 403, "the X-CSRF-Token header is missing or "
			     "does not match the session");
		return EPERM;
	}
	if (err) {
		snprintf(r->set_cookie, sizeof(r->set_cookie),
			 "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
			 HTTP_SESSION_COOKIE, r->https ? "; Secure" : "");
		http_problem(r, 401, "the session has ended: sign in again");
		return EACCES;
	}
	snprintf(r->actor, sizeof(r->actor), "%s", r->session.username);
	return 0;
}

/* 0 when the request carries a valid bearer token or admin center session
 * (actor filled in), else a 401 (or 403) answer and EACCES. A request with
 * an Authorization header is judged by it alone. Neither the token nor the
 * cookie is ever logged. A database that cannot be asked is never a bad
 * credential: 503 with Retry-After (or 500), and no cookie cleared. */
static int check_auth(struct http *h, struct MHD_Connection *c,
		      struct http_req *r)
{
	const char *v;
	size_t len;
	int err;

	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_AUTHORIZATION);
	if (!v) {
		v = MHD_lookup_connection_value(c, MHD_COOKIE_KIND,
						HTTP_SESSION_COOKIE);
		if (v && v[0])
			return check_session(h, c, r, v);
		goto fail;
	}
	if (strncasecmp(v, "Bearer ", 7))
		goto fail;
	v += 7;
	while (*v == ' ')
		v++;
	len = strlen(v);
	if (len == 0 || len > HTTP_TOKEN_MAX)
		goto fail;
	err = app_token_check(h->app, v, r->actor, sizeof(r->actor));
	if (err == ENOTCONN) {
		http_db_away(r);
		return err;
	}
	if (err && err != EACCES) {
		log_warn("event=token-check-failed error=%d", err);
		http_problem(r, 500, "cannot check the token: %s",
			     strerror(err));
		return err;
	}
	if (err)
		goto fail;
	return 0;

 fail:
	http_problem(r, 401, "a valid bearer token is required");
	return EACCES;
}

/* The size the client announces, or 0 when it announces none. */
static unsigned long long announced_size(struct MHD_Connection *c)
{
	const char *v;
	char *end = NULL;
	unsigned long long n;

	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!v || !(v[0] >= '0' && v[0] <= '9'))
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end || errno)
		return ~0ULL; /* past any limit */
	return n;
}

/* HTTPS as the client saw it: we serve plain HTTP, so only a front proxy
 * that terminates TLS can say so. Trusting the header costs nothing: it
 * only adds Secure to cookies. */
static bool came_over_https(struct MHD_Connection *c)
{
	const char *v;

	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-Proto");
	return v && !strcasecmp(v, "https");
}

/* The admin center's files need no token (the sign-in page is one of
 * them); nothing under /api/ is ever a file. True when r holds one. */
static bool static_answer(struct http_req *r)
{
	const struct http_asset *f;

	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
		return false;
	if (!strncmp(r->path, "/api/", 5))
		return false;
	f = http_asset_find(r->path);
	if (!f)
		return false;
	r->status = 200;
	r->file = f->data;
	r->file_len = f->len;
	r->file_type = f->type;
	return true;
}

/* Decide what needs no body. Returns true when x->req holds the answer. */
static bool early_answer(struct http *h, struct MHD_Connection *c,
			 struct conn_ctx *x)
{
	struct http_req *r = &x->req;
	enum http_match m;

	r->https = came_over_https(c);
	m = http_route_match(r->method, r->path, &x->route, r->param,
			     x->allow, sizeof(x->allow));
	if (m == HTTP_MATCH_NO_ROUTE && static_answer(r))
		return true;

	/* Only a public route answers without a token, so that nobody can
	 * map the API (404 versus 405) without one. */
	if (!(m == HTTP_MATCH_OK && x->route->public) && check_auth(h, c, r))
		return true;

	switch (m) {
	case HTTP_MATCH_OK:
		break;
	case HTTP_MATCH_NO_METHOD:
		r->allow = x->allow;
		http_problem(r, 405, "%s is not allowed here; allowed: %s",
			     r->method, x->allow);
		return true;
	default:
		http_problem(r, 404, "no such route");
		return true;
	}

	x->body_max = x->route->public ? HTTP_PUBLIC_BODY_MAX : HTTP_BODY_MAX;
	if (announced_size(c) > x->body_max) {
		http_problem(r, 413, "the request body is over %zu bytes",
			     x->body_max);
		return true;
	}
	return false;
}

/* Append data to the body, or mark the request too big and drop it. */
static void body_append(struct conn_ctx *x, const char *data, size_t size)
{
	if (x->too_big)
		return;
	if ((!x->body && buf_alloc(&x->body, x->body_max)) ||
	    buf_append(x->body, data, size)) {
		buf_free(x->body);
		x->body = NULL;
		x->too_big = true;
	}
}

/* Parse the gathered body into r->in (http_body_parse). */
static int parse_body(struct conn_ctx *x)
{
	return http_body_parse(&x->req, buf_str(x->body), buf_len(x->body));
}

static enum MHD_Result too_big(struct MHD_Connection *c, struct conn_ctx *x)
{
	http_problem(&x->req, 413, "the request body is over %zu bytes",
		     x->body_max);
	return respond(c, x);
}

static void run_handler(struct conn_ctx *x)
{
	struct http_req *r = &x->req;
	int err;

	err = x->route->h(r);
	if (err && (!r->status || r->status < 400))
		http_problem(r, 500, "%s", strerror(err));
}

/* Handlers that may take a core for a while for anyone (the top). */
static bool is_slow(const struct http_route *rt)
{
	static http_handler_h *const slow[] = { h_session_create };
	size_t i;

	for (i = 0; i < sizeof(slow) / sizeof(slow[0]); i++)
		if (rt->h == slow[i])
			return true;
	return false;
}

/* Queue x for the slow pool and suspend its connection; false when the
 * queue is full (or the server stops). */
static bool slow_defer(struct http *h, struct MHD_Connection *c,
		       struct conn_ctx *x)
{
	struct slow_pool *p = &h->slow;
	bool ok;

	pthread_mutex_lock(&p->mtx);
	ok = !p->stopping && p->nthreads > 0 && p->queued < HTTP_SLOW_QUEUE;
	if (ok) {
		/* Suspended before a worker can resume it. */
		MHD_suspend_connection(c);
		x->c = c;
		x->next = NULL;
		if (p->tail)
			p->tail->next = x;
		else
			p->head = x;
		p->tail = x;
		p->queued++;
		pthread_cond_signal(&p->cond);
	}
	pthread_mutex_unlock(&p->mtx);
	return ok;
}

static void *slow_worker(void *arg)
{
	struct slow_pool *p = arg;
	struct conn_ctx *x;

	/* Below the pool's threads: on a busy machine the CPU goes to
	 * answering requests first, to strangers' password checks after
	 * (on Linux a thread has a nice value of its own). */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
			  HTTP_SLOW_NICE);
	for (;;) {
		pthread_mutex_lock(&p->mtx);
		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->cond, &p->mtx);
		x = p->head;
		if (x) {
			p->head = x->next;
			if (!p->head)
				p->tail = NULL;
			p->queued--;
		}
		pthread_mutex_unlock(&p->mtx);
		if (!x)
			return NULL; /* stopping, queue empty */
		run_handler(x);
		x->ran = true;
		MHD_resume_connection(x->c);
	}
}

static int slow_start(struct slow_pool *p)
{
	int i, e = 0;

	for (i = 0; i < HTTP_SLOW_WORKERS && !e; i++) {
		e = pthread_create(&p->threads[i], NULL, slow_worker, p);
		if (!e)
			p->nthreads++;
	}
	return p->nthreads ? 0 : e;
}

/* Let the workers finish what is queued (its connections resumed, as
 * MHD_stop_daemon wants none suspended) and end. */
static void slow_stop(struct slow_pool *p)
{
	int i;

	pthread_mutex_lock(&p->mtx);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mtx);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
}

static enum MHD_Result finish(struct http *h, struct MHD_Connection *c,
			      struct conn_ctx *x)
{
	struct http_req *r = &x->req;

	if (x->ran)
		return respond(c, x);
	if (x->too_big)
		return too_big(c, x);
	if (parse_body(x))
		return respond(c, x);
	if (is_slow(x->route)) {
		if (slow_defer(h, c, x))
			return MHD_YES;
		r->retry_after = 1;
		http_problem(r, 503, "too many requests of this kind at once: "
			     "try again in a second");
		return respond(c, x);
	}
	run_handler(x);
	return respond(c, x);
}

/* The client's address as text, "" when libmicrohttpd cannot say. */
static void peer_of(struct MHD_Connection *c, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	out[0] = '\0';
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return;
	sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  (socklen_t)size);
}

/* A GET or HEAD: it reads, and has no body to wait for. */
static bool reads_only(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

/* The request whose read scope is open on this thread, if any. */
static _Thread_local struct conn_ctx *scope_owner;

static void scope_close(struct http *h)
{
	if (!scope_owner)
		return;
	scope_owner->scoped = false;
	scope_owner = NULL;
	app_read_scope_end(h->app);
}

/* A GET or HEAD's token check and its handler's reads run in one read
 * scope (app_read_scope_begin: one connection, one read transaction),
 * from the first call for the request to the last; libmicrohttpd makes
 * the two calls one after the other on this thread, as no body comes
 * between them. A scope some request left open (it never got its last
 * call) is closed first. */
static void scope_open(struct http *h, struct conn_ctx *x)
{
	if (!reads_only(x->req.method))
		return;
	scope_close(h);
	app_read_scope_begin(h->app);
	scope_owner = x;
	x->scoped = true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *size, void **ctxp)
{
	struct http *h = cls;
	struct conn_ctx *x = *ctxp;
	enum MHD_Result ret;

	(void)version;
	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &x->t0);
		x->req.app = h->app;
		x->req.method = method;
		x->req.path = url;
		x->req.conn = c;
		peer_of(c, x->req.peer, sizeof(x->req.peer));
		*ctxp = x;
		scope_open(h, x);
		if (!early_answer(h, c, x))
			return MHD_YES;
		ret = respond(c, x);
		if (x->scoped)
			scope_close(h);
		return ret;
	}

	if (x->answered) {
		*size = 0;
		return MHD_YES;
	}
	if (*size) {
		body_append(x, data, *size);
		*size = 0;
		return MHD_YES;
	}
	ret = finish(h, c, x);
	if (x->scoped)
		scope_close(h);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctxp,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *x = *ctxp;

	(void)c;
	(void)toe;
	if (!x)
		return;
	if (x->scoped)
		scope_close(cls);
	json_decref(x->req.in);
	json_decref(x->req.out);
	free(x->req.text);
	explicit_bzero(&x->req.session, sizeof(x->req.session));
	explicit_bzero(x->req.set_cookie, sizeof(x->req.set_cookie));
	buf_free(x->body);
	free(x);
	*ctxp = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t len;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	log_warn("mhd=\"%s\"", msg);
}

/* Parse "127.0.0.1:8080" or "[::1]:8080" into ss. 0 or EINVAL. */
static int parse_addr(const char *addr, struct sockaddr_storage *ss,
		      bool *v6)
{
	char host[64];
	const char *colon, *hs = addr, *he;
	char *end = NULL;
	long port;

	colon = strrchr(addr, ':');
	if (!colon)
		return EINVAL;
	he = colon;
	*v6 = addr[0] == '[';
	if (*v6) {
		hs = addr + 1;
		if (he == hs || he[-1] != ']')
			return EINVAL;
		he--;
	}
	if ((size_t)(he - hs) >= sizeof(host) || he == hs)
		return EINVAL;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';

	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (!(colon[1] >= '0' && colon[1] <= '9') || *end || errno ||
	    port < 1 || port > 65535)
		return EINVAL;

	memset(ss, 0, sizeof(*ss));
	if (*v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0 : EINVAL;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : EINVAL;
}

bool http_addr_valid(const char *addr)
{
	struct sockaddr_storage ss;
	bool v6;

	return addr && parse_addr(addr, &ss, &v6) == 0;
}

/* A listening TCP socket on ss: close-on-exec and non-blocking (the
 * threads of MHD's pool all accept on it). 0 and *fdp, or an errno. */
static int listen_socket(const struct sockaddr_storage *ss, bool v6, int *fdp)
{
	int fd, one = 1, err = 0;
	socklen_t len = v6 ? sizeof(struct sockaddr_in6) :
		sizeof(struct sockaddr_in);

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	/* As MHD does with the sockets it makes: a restart finds the port
	 * free at once, and an IPv6 address is IPv6 only. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			      sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)ss, len) ||
	    listen(fd, SOMAXCONN) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
		err = errno;
	if (err) {
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

static void http_free(struct http *h)
{
	pthread_mutex_destroy(&h->slow.mtx);
	pthread_cond_destroy(&h->slow.cond);
	free(h);
}

int http_listen(struct http **hp, const char *addr)
{
	struct sockaddr_storage ss;
	struct http *h = NULL;
	bool v6 = false;
	int err;

	if (!hp || !addr)
		return EINVAL;
	err = parse_addr(addr, &ss, &v6);
	if (err)
		return err;
	h = calloc(1, sizeof(*h));
	if (!h)
		return ENOMEM;
	pthread_mutex_init(&h->slow.mtx, NULL);
	pthread_cond_init(&h->slow.cond, NULL);
	err = listen_socket(&ss, v6, &h->fd);
	if (err) {
		http_free(h);
		return err;
	}
	*hp = h;
	return 0;
}

int http_start(struct http *h, struct app *a, int nthreads)
{
	unsigned int flags;

	if (!h || !a || h->d || h->fd < 0 || nthreads < 1 || nthreads > 256)
		return EINVAL;
	h->app = a;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
		MHD_ALLOW_SUSPEND_RESUME;
	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ?
		MHD_USE_EPOLL : MHD_USE_POLL;

	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
		/* first, so that MHD's own messages use it too */
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)nthreads,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_CONN_TIMEOUT,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned int)HTTP_CONN_PER_ADDRESS,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_END);
	if (!h->d)
		return EIO;
	h->fd = -1; /* MHD's now: MHD_stop_daemon closes it */
	if (slow_start(&h->slow))
		log_warn("event=slow-pool-failed"); /* sign-in answers 503 */
	return 0;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	slow_stop(&h->slow);
	if (h->d)
		MHD_stop_daemon(h->d);
	else if (h->fd >= 0)
		close(h->fd);
	http_free(h);
}
