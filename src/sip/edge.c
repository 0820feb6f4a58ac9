/* edge: what the SIP thread remembers about new calls, to refuse them
 * before any call exists: new calls per source in the current second,
 * and the workers' refusals kept a few seconds (sipd_priv.h). */
#include <string.h>

#include "sip/sipd_priv.h"

#define EDGE_HASH 256
#define DENY_MS 3000 /* how long a worker's refusal is kept */

/* New calls of one source within the current second. */
struct src_rate {
	struct le he;
	uint64_t second; /* tmr_jiffies() / 1000 when counted */
	unsigned n;
	char source[APP_DIALIN_SOURCE_SIZE];
};

static bool rate_cmp(struct le *le, void *arg)
{
	return !strcmp(((struct src_rate *)le->data)->source, arg);
}

/* Count a new call of source; false once it is over the rate. */
bool edge_rate_ok(struct sipd *s, const char *source)
{
	uint64_t sec = tmr_jiffies() / 1000;
	uint32_t key = hash_joaat_str(source);
	struct src_rate *r;
	struct le *le;

	le = hash_lookup(s->rates, key, rate_cmp, (void *)source);
	r = le ? le->data : NULL;
	if (!r) {
		r = mem_zalloc(sizeof(*r), NULL);
		if (!r)
			return false;
		snprintf(r->source, sizeof(r->source), "%s", source);
		hash_append(s->rates, key, &r->he, r);
	}
	if (r->second != sec) {
		r->second = sec;
		r->n = 0;
	}
	return ++r->n <= s->lim.rate_per_source;
}

static bool rate_stale(struct le *le, void *arg)
{
	struct src_rate *r = le->data;

	if (r->second < *(uint64_t *)arg) {
		hash_unlink(&r->he);
		mem_deref(r);
	}
	return false;
}

/* What the workers found out about new calls, kept a few seconds so
 * that a flood of the same refused INVITE is answered on this thread
 * without asking again: sources the guard refuses ("src:SOURCE"),
 * numbers that are not dial-in numbers ("num:USER"). A hint only: once it
 * runs out, the database is asked again. */
struct deny {
	struct le he;
	uint64_t until_ms;
	uint16_t scode;
	char key[APP_DIALIN_SOURCE_SIZE + 8];
};

static bool deny_cmp(struct le *le, void *arg)
{
	return !strcmp(((struct deny *)le->data)->key, arg);
}

void edge_deny(struct sipd *s, const char *kind, const char *what,
	       uint16_t scode)
{
	char key[sizeof(((struct deny *)0)->key)];
	struct deny *d;
	struct le *le;

	snprintf(key, sizeof(key), "%s:%s", kind, what);
	le = hash_lookup(s->denies, hash_joaat_str(key), deny_cmp, key);
	d = le ? le->data : mem_zalloc(sizeof(*d), NULL);
	if (!d)
		return;
	if (!le) {
		snprintf(d->key, sizeof(d->key), "%s", key);
		hash_append(s->denies, hash_joaat_str(key), &d->he, d);
	}
	d->scode = scode;
	d->until_ms = tmr_jiffies() + DENY_MS;
}

/* The status a kept refusal answers with, or 0. */
uint16_t edge_denied(struct sipd *s, const char *kind, const char *what)
{
	char key[sizeof(((struct deny *)0)->key)];
	struct le *le;
	struct deny *d;

	snprintf(key, sizeof(key), "%s:%s", kind, what);
	le = hash_lookup(s->denies, hash_joaat_str(key), deny_cmp, key);
	d = le ? le->data : NULL;
	return d && d->until_ms > tmr_jiffies() ? d->scode : 0;
}

static bool deny_stale(struct le *le, void *arg)
{
	struct deny *d = le->data;

	if (d->until_ms <= *(uint64_t *)arg) {
		hash_unlink(&d->he);
		mem_deref(d);
	}
	return false;
}

int edge_init(struct sipd *s)
{
	int err = hash_alloc(&s->rates, EDGE_HASH);

	if (!err)
		err = hash_alloc(&s->denies, EDGE_HASH);
	return err;
}

void edge_expire(struct sipd *s, uint64_t now_ms)
{
	uint64_t sec = now_ms / 1000;

	(void)hash_apply(s->rates, rate_stale, &sec);
	(void)hash_apply(s->denies, deny_stale, &now_ms);
}

void edge_close(struct sipd *s)
{
	hash_flush(s->rates);
	s->rates = mem_deref(s->rates);
	hash_flush(s->denies);
	s->denies = mem_deref(s->denies);
}
