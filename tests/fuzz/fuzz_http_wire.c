/* fuzz_http_wire: whole HTTP requests, bytes as a client sends them, into
 * the real REST API server (src/http/server.c over libmicrohttpd, on a
 * loopback port, a real app behind it). This is where query strings
 * (limit, cursor, search, state, organizer), headers (Authorization,
 * Cookie, X-CSRF-Token, Origin, Host, Content-Length, chunked bodies) and
 * the early answers (auth, 404/405, 413) are fuzzed; fuzz_http goes
 * deeper into bodies. "$T" in the input stands for a valid API token, so
 * that the fuzzer gets past authentication. Every answer must be a
 * well-formed status line, never a 500, and the server must keep
 * answering. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/secret.h"
#include "http/http.h"
#include "fuzz.h"
#include "fuzz_app.h"

#define REQ_MAX (64 * 1024)
#define WAIT_MS 300 /* an answer later than this goes unchecked */

static struct http *srv;
static struct sockaddr_in server;
static char token[SECRET_TOKEN_SIZE];

static void srv_down(void)
{
	http_stop(srv);
	srv = NULL;
}

static void set_up(void)
{
	struct app_err err = {""};
	char addr[32];
	int port, tries;

	fuzz_app_open();
	if (app_token_create(fuzz_app, "local", "fuzz", 0, token, sizeof(token),
			     NULL, &err)) {
		fprintf(stderr, "fuzz_http_wire: no token: %s\n", err.detail);
		exit(1);
	}
	/* A port of our own: try a few in the ephemeral range. */
	for (tries = 0; tries < 50 && !srv; tries++) {
		port = 40000 + (getpid() * 7 + tries * 131) % 20000;
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
		if (http_listen(&srv, addr))
			srv = NULL;
	}
	if (!srv || http_start(srv, fuzz_app, 2)) {
		fprintf(stderr, "fuzz_http_wire: cannot start the server\n");
		exit(1);
	}
	atexit(srv_down);
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)port);
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* The input with each "$T" replaced by the token, into out (REQ_MAX). */
static size_t with_token(const uint8_t *data, size_t size, char *out)
{
	size_t i, n = 0, tl = strlen(token);

	for (i = 0; i < size && n + tl < REQ_MAX; i++) {
		if (data[i] == '$' && i + 1 < size && data[i + 1] == 'T') {
			memcpy(out + n, token, tl);
			n += tl;
			i++;
		} else {
			out[n++] = (char)data[i];
		}
	}
	return n;
}

/* True when buf (have bytes) holds a whole answer: its head, and as many
 * bytes after it as Content-Length says (libmicrohttpd keeps the
 * connection open for the next request, so its close cannot tell). */
static bool complete(const char *buf, size_t have, bool head)
{
	const char *end = strstr(buf, "\r\n\r\n"), *cl;
	unsigned long len = 0;

	if (!end)
		return false;
	cl = strcasestr(buf, "\r\nContent-Length:");
	if (cl && cl < end)
		len = strtoul(cl + 17, NULL, 10);
	return head || (size_t)(end + 4 - buf) + len <= have;
}

/* Read one answer; check its status line. */
static void answer(int fd, bool head)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	static char buf[256 * 1024];
	size_t have = 0;
	ssize_t got;
	int status = 0;

	buf[0] = '\0';
	while (have < sizeof(buf) - 1 && poll(&p, 1, WAIT_MS) == 1) {
		got = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (got <= 0)
			break;
		have += (size_t)got;
		buf[have] = '\0';
		if (complete(buf, have, head))
			break;
	}
	if (have)
		sscanf(buf, "HTTP/1.%*d %d", &status);
	if (getenv("FUZZ_WIRE_SHOW"))
		fprintf(stderr, "fuzz_http_wire: status %d\n", status);
	if (status == 500) {
		fprintf(stderr, "fuzz_http_wire: 500: %.300s\n", buf);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char req[REQ_MAX];
	size_t n;
	int fd;

	if (!srv)
		set_up();
	n = with_token(data, size, req);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&server, sizeof(server))) {
		perror("fuzz_http_wire: connect");
		abort(); /* the server stopped listening */
	}
	if (n)
		(void)send(fd, req, n, MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	answer(fd, n >= 5 && !memcmp(req, "HEAD ", 5));
	close(fd);
	return 0;
}
