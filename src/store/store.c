/* store: the front end of the storage interface. store_open() picks a
 * backend from the registry by the URL's scheme; every operation is a thin
 * dispatch through the backend's vtable, generated from the list in
 * store_ops.h, so the use cases never know which database sits below
 * (DESIGN: backends as vtables). Helpers both backends share live here
 * too (store_priv.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_priv.h"

struct store {
	const struct store_backend *be;
	void *conn;
};

static const struct store_backend *const backends[] = {
	&store_sqlite_backend,
	&store_pg_backend,
	&store_pg_backend_alt,
};

static const struct store_backend *backend_find(const char *url)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		const char *scheme = backends[i]->scheme;

		if (!strncmp(url, scheme, strlen(scheme)))
			return backends[i];
	}

	return NULL;
}

int store_url_check(const char *url)
{
	return url && backend_find(url) ? 0 : EPROTONOSUPPORT;
}

void store_url_safe(char *out, size_t size, const char *url)
{
	const char *auth, *end, *colon, *at, *pw;
	size_t n = 0;

	if (!size)
		return;
	out[0] = '\0';
	if (!url)
		return;
	/* The authority is between "://" and the first '/', '?' or '#'; its
	 * password, if any, between the first ':' and the last '@'. */
	auth = strstr(url, "://");
	auth = auth ? auth + 3 : url;
	end = auth + strcspn(auth, "/?#");
	colon = memchr(auth, ':', (size_t)(end - auth));
	at = NULL;
	for (pw = auth; pw < end; pw++) {
		if (*pw == '@')
			at = pw;
	}
	if (at && colon && colon < at) {
		n = (size_t)snprintf(out, size, "%.*s***",
				     (int)(colon + 1 - url), url);
		url = at;
	}
	/* libpq also takes the password as a parameter: ?password=... */
	pw = strstr(url, "password=");
	if (pw && n < size) {
		n += (size_t)snprintf(out + n, size - n, "%.*s***",
				      (int)(pw + 9 - url), url);
		url = pw + 9 + strcspn(pw + 9, "&");
	}
	if (n < size)
		snprintf(out + n, size - n, "%s", url);
}

int store_open(struct store **stp, const char *url, const char *datadir)
{
	const struct store_backend *be;
	struct store *st = NULL;
	int err;

	if (!stp || !url)
		return EINVAL;

	be = backend_find(url);
	if (!be)
		return EINVAL;

	st = calloc(1, sizeof(*st));
	if (!st)
		return ENOMEM;

	st->be = be;
	err = be->open(&st->conn, url, datadir);
	if (err)
		goto out;

	*stp = st;
	st = NULL;

 out:
	free(st);
	return err;
}

void store_close(struct store *st)
{
	if (!st)
		return;

	st->be->close(st->conn);
	free(st);
}

const char *store_backend_name(const struct store *st)
{
	return st ? st->be->name : NULL;
}

/* A guard key is a whole string within struct store_guard's field: a
 * longer one is refused, never cut short into another caller's key. */
static bool store_guard_key_ok(const char *key)
{
	return key && key[0] &&
		strnlen(key, STORE_GUARD_KEY_SIZE) < STORE_GUARD_KEY_SIZE;
}

/* An error of an operation: ENOTCONN when the connection is what failed,
 * so that the layers above can tell "the database is away, try again" from
 * a real answer (a missing token is ENOENT, a lost connection never is). */
static int store_result(const struct store *st, int err)
{
	if (err && st->be->lost && st->be->lost(st->conn))
		return ENOTCONN;
	return err;
}

/* One wrapper per operation of STORE_OPS: check the arguments, then call
 * the backend's function through the vtable. */
#define STORE_WRAP(op, params, args, valid)				\
	int store_##op(struct store *st, STORE_PARAMS params)		\
	{								\
		if (!(valid))						\
			return EINVAL;					\
		return store_result(st, st->be->op(st->conn,		\
						   STORE_PARAMS args));	\
	}
#define STORE_WRAP0(op)							\
	int store_##op(struct store *st)				\
	{								\
		return store_result(st, st->be->op(st->conn));		\
	}

STORE_OPS(STORE_WRAP, STORE_WRAP0)

/* The helpers both backends share (store_priv.h). */

int store_like_pattern(const char *search, char **patp)
{
	size_t n = strlen(search);
	size_t i, j = 0;
	char *p;

	p = malloc(2 * n + 3);
	if (!p)
		return ENOMEM;

	p[j++] = '%';
	for (i = 0; i < n; i++) {
		if (search[i] == '%' || search[i] == '_' || search[i] == '\\')
			p[j++] = '\\';
		p[j++] = search[i];
	}
	p[j++] = '%';
	p[j] = '\0';

	*patp = p;
	return 0;
}

const char *store_confid_kind_name(enum store_confid_kind kind)
{
	switch (kind) {
	case STORE_CONFID_PERSONAL:
		return "personal";
	case STORE_CONFID_MEETING:
		return "meeting";
	}

	return NULL;
}

enum store_confid_kind store_confid_kind_parse(const char *s)
{
	return s && !strcmp(s, "meeting") ?
		STORE_CONFID_MEETING : STORE_CONFID_PERSONAL;
}

const char *store_meeting_state_name(enum store_meeting_state s)
{
	return s == STORE_MEETING_CANCELLED ? "cancelled" : "scheduled";
}

enum store_meeting_state store_meeting_state_parse(const char *s)
{
	return s && !strcmp(s, "cancelled") ?
		STORE_MEETING_CANCELLED : STORE_MEETING_SCHEDULED;
}
