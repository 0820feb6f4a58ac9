/* http: the REST API of SPEC §7 over libmicrohttpd, JSON with jansson,
 * problem+json errors (RFC 9457), bearer-token authentication. */
#ifndef DIALCONF_HTTP_HTTP_H
#define DIALCONF_HTTP_HTTP_H

#include <stdbool.h>

#include "app/app.h"

#define HTTP_BODY_MAX (1024 * 1024) /* bytes of a request body */

struct http;

/* True when addr is an address http_listen can bind: "IPv4:PORT" or
 * "[IPv6]:PORT", port 1-65535. */
bool http_addr_valid(const char *addr);

/* Bind addr ("127.0.0.1:8080") and listen, serving nothing yet: `serve`
 * holds every port before it creates anything, and clients that come
 * early wait in the backlog. Returns 0, EINVAL (bad address), EADDRINUSE,
 * EACCES, EADDRNOTAVAIL (from bind) or another errno of the socket. */
int http_listen(struct http **hp, const char *addr);
/* Serve the API of a on h's socket from a thread pool of nthreads. 0,
 * EINVAL or EIO. */
int http_start(struct http *h, struct app *a, int nthreads);
/* Stop serving and close the socket. NULL is fine. */
void http_stop(struct http *h);

#endif
