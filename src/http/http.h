/* http: the REST API of SPEC §7 over libmicrohttpd, JSON with jansson,
 * problem+json errors (RFC 9457), bearer-token authentication. */
#ifndef DIALCONF_HTTP_HTTP_H
#define DIALCONF_HTTP_HTTP_H

#include <stdbool.h>

#include "app/app.h"

#define HTTP_BODY_MAX (1024 * 1024) /* bytes of a request body */

struct http;

/* True when addr is an address http_start can listen on: "IPv4:PORT" or
 * "[IPv6]:PORT", port 1-65535. */
bool http_addr_valid(const char *addr);

/* Listen on addr ("127.0.0.1:8080") and serve the API from a thread pool of
 * nthreads. Returns 0, EINVAL (bad address), EADDRINUSE, EACCES,
 * EADDRNOTAVAIL (from bind) or EIO. */
int http_start(struct http **hp, struct app *a, const char *addr, int nthreads);
void http_stop(struct http *h);

#endif
