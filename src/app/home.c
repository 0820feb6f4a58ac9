/* home: which node mixes a conference (issue 13).
 *
 * A conference has one home, the node that mixes it; the database says
 * which (table conference_homes) and until when its lease holds. The
 * first node that needs the conference (a caller about to join or to
 * wait in the lobby) claims it in one statement: a new row, a renewal of
 * its own, or a take-over of a lease that has run out. Callers on other
 * nodes are bridged to the home over an inter-node leg (src/sip/leg.c).
 *
 * The home holds its conferences in memory with a count of holds (its
 * own callers and the legs of other nodes' callers): a thread of its own
 * renews every held lease once a second, so a home that dies is replaced
 * APP_HOME_LEASE_MS after its last renewal at the latest; the last hold
 * let go deletes the row. Claim and release take homes->mtx around their
 * statement, so a release of the last hold and a new claim of the same
 * conference on this node cannot interleave into a row that is gone
 * while a caller is in.
 *
 * Legs are signed: HMAC-SHA256 with a secret of the cluster, made once in
 * the database by whichever node needs it first, over the leg's
 * conference, role and time; the home refuses a leg without a right one,
 * so nobody outside the cluster can walk into a conference through the
 * Request-URI. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "app/app_priv.h"
#define LOG_MODULE "home"
#include "core/log.h"

#define home_log(level, ...) log_at(level, __VA_ARGS__)

struct home_held {
	struct home_held *next;
	bool personal;
	int64_t conf;
	unsigned holds;
};

struct app_homes {
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	pthread_t thread;
	bool stop;
	char sip_uri[APP_HOME_URI_SIZE];
	struct home_held *held;
	bool have_secret;
	unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct home_held **held_find(struct app_homes *h, bool personal,
				    int64_t conf)
{
	struct home_held **pp;

	for (pp = &h->held; *pp; pp = &(*pp)->next)
		if ((*pp)->personal == personal && (*pp)->conf == conf)
			break;
	return pp;
}

/* The claim statement (a renewal too) for conf with this node's name. */
static int claim_row(struct app *a, struct store *st, bool personal,
		     int64_t conf)
{
	struct store_home row = {.personal = personal, .conf = conf};
	int64_t now = now_ms();

	snprintf(row.node, sizeof(row.node), "%s", app_node(a));
	snprintf(row.sip_uri, sizeof(row.sip_uri), "%s", a->homes->sip_uri);
	row.lease_until = now + APP_HOME_LEASE_MS;
	return store_home_claim(st, &row, now);
}

struct claim_tx {
	bool personal;
	int64_t conf;
	struct app_home *out;
};

static int claim_body(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct claim_tx *c = arg;
	struct store_home row;
	int e;

	(void)err;
	memset(c->out, 0, sizeof(*c->out));
	e = claim_row(tx->a, tx->st, c->personal, c->conf);
	if (!e) {
		c->out->mine = true;
		snprintf(c->out->node, sizeof(c->out->node), "%s",
			 app_node(tx->a));
		snprintf(c->out->sip_uri, sizeof(c->out->sip_uri), "%s",
			 tx->a->homes->sip_uri);
		return 0;
	}
	if (e != EEXIST)
		return e;
	e = store_home_get(tx->st, c->personal, c->conf, &row);
	if (e == ENOENT) /* released meanwhile: try again */
		return EAGAIN;
	if (e)
		return e;
	snprintf(c->out->node, sizeof(c->out->node), "%s", row.node);
	snprintf(c->out->sip_uri, sizeof(c->out->sip_uri), "%s", row.sip_uri);
	return 0;
}

int app_home_claim(struct app *a, bool personal, int64_t conf,
		   struct app_home *out)
{
	struct claim_tx c = {personal, conf, out};
	struct app_homes *h = a->homes;
	struct home_held **pp, *n;
	int e;

	if (!h)
		return ENOTCONN;
	pthread_mutex_lock(&h->mtx);
	e = app_tx_run(a, claim_body, &c, NULL);
	if (!e && out->mine) {
		pp = held_find(h, personal, conf);
		if (*pp) {
			(*pp)->holds++;
		}
		else if ((n = calloc(1, sizeof(*n)))) {
			n->personal = personal;
			n->conf = conf;
			n->holds = 1;
			n->next = h->held;
			h->held = n;
			home_log(LOG_INFO, "event=home-claimed kind=%s id=%" PRId64,
				 personal ? "personal" : "meeting", conf);
		}
		else {
			e = ENOMEM;
		}
	}
	pthread_mutex_unlock(&h->mtx);
	return e;
}

void app_home_release(struct app *a, bool personal, int64_t conf)
{
	struct app_homes *h = a->homes;
	struct home_held **pp, *n;
	struct store *st;
	int e;

	if (!h)
		return;
	pthread_mutex_lock(&h->mtx);
	pp = held_find(h, personal, conf);
	n = *pp;
	if (n && --n->holds == 0) {
		*pp = n->next;
		free(n);
		st = app_conn_get(a);
		e = store_home_release(st, personal, conf, app_node(a));
		app_conn_put(a, st);
		home_log(LOG_INFO, "event=home-released kind=%s id=%" PRId64
			 " err=%d", personal ? "personal" : "meeting", conf, e);
	}
	pthread_mutex_unlock(&h->mtx);
}

/* Once a second: every held lease renewed. A database that does not
 * answer costs nothing here: the calls go on (a node without its
 * database refuses new calls, not current ones). */
static void renew_all(struct app *a)
{
	struct app_homes *h = a->homes;
	struct home_held *n;
	struct store *st;
	int e;

	pthread_mutex_lock(&h->mtx);
	if (!h->held) {
		pthread_mutex_unlock(&h->mtx);
		return;
	}
	/* One transaction for all, not one commit each: relaxed, as a
	 * lease lost in a crash costs nothing (it runs out anyway). */
	st = app_conn_get(a);
	e = store_begin_relaxed(st);
	for (n = h->held; n && !e; n = n->next) {
		e = claim_row(a, st, n->personal, n->conf);
		if (e == EEXIST) { /* taken over: ours ran out meanwhile */
			home_log(LOG_WARN, "event=home-lost kind=%s id=%" PRId64,
				 n->personal ? "personal" : "meeting", n->conf);
			e = 0;
		}
	}
	e = e ? e : store_commit(st);
	if (e) {
		(void)store_rollback(st);
		home_log(LOG_WARN, "event=home-renew-failed err=%d", e);
	}
	app_conn_put(a, st);
	pthread_mutex_unlock(&h->mtx);
}

static void *renew_main(void *arg)
{
	struct app *a = arg;
	struct app_homes *h = a->homes;
	struct timespec until;

	pthread_mutex_lock(&h->mtx);
	while (!h->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		(void)pthread_cond_timedwait(&h->cond, &h->mtx, &until);
		if (h->stop)
			break;
		pthread_mutex_unlock(&h->mtx);
		renew_all(a);
		pthread_mutex_lock(&h->mtx);
	}
	pthread_mutex_unlock(&h->mtx);
	return NULL;
}

int app_home_start(struct app *a, const char *sip_uri)
{
	struct app_homes *h;
	int e;

	if (a->homes)
		return EALREADY;
	if (!sip_uri || strlen(sip_uri) >= APP_HOME_URI_SIZE)
		return EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return ENOMEM;
	pthread_mutex_init(&h->mtx, NULL);
	pthread_cond_init(&h->cond, NULL);
	snprintf(h->sip_uri, sizeof(h->sip_uri), "%s", sip_uri);
	a->homes = h;
	e = pthread_create(&h->thread, NULL, renew_main, a);
	if (e) {
		a->homes = NULL;
		pthread_mutex_destroy(&h->mtx);
		pthread_cond_destroy(&h->cond);
		free(h);
	}
	return e;
}

void app_home_stop(struct app *a)
{
	struct app_homes *h = a->homes;
	struct home_held *n;
	struct store *st;

	if (!h)
		return;
	pthread_mutex_lock(&h->mtx);
	h->stop = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->mtx);
	pthread_join(h->thread, NULL);
	/* A clean stop gives its homes up at once: no one waits out a
	 * lease for a node that said goodbye. */
	st = h->held ? app_conn_get(a) : NULL;
	while ((n = h->held)) {
		h->held = n->next;
		(void)store_home_release(st, n->personal, n->conf,
					 app_node(a));
		free(n);
	}
	if (st)
		app_conn_put(a, st);
	a->homes = NULL;
	sodium_memzero(h->key, sizeof(h->key));
	pthread_mutex_destroy(&h->mtx);
	pthread_cond_destroy(&h->cond);
	free(h);
}

/* The cluster's key: read once; made by the first node that needs it. */
static int key_load(struct app *a)
{
	struct app_homes *h = a->homes;
	unsigned char raw[32];
	char hex[STORE_CLUSTER_SECRET_SIZE];
	struct store *st;
	size_t len = 0;
	int e;

	if (h->have_secret)
		return 0;
	st = app_conn_get(a);
	e = store_cluster_secret_get(st, hex, sizeof(hex));
	if (e == ENOENT) {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
		e = store_cluster_secret_init(st, hex);
		if (!e)
			e = store_cluster_secret_get(st, hex, sizeof(hex));
	}
	app_conn_put(a, st);
	if (!e && (sodium_hex2bin(h->key, sizeof(h->key), hex, strlen(hex),
				  NULL, &len, NULL) || len != 32))
		e = EPROTO;
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(raw, sizeof(raw));
	if (!e)
		h->have_secret = true;
	return e;
}

static int mac_of(struct app *a, const char *what, int64_t ts,
		  unsigned char *mac)
{
	crypto_auth_hmacsha256_state st;
	char tsbuf[24];
	int e;

	if (!a->homes)
		return ENOTCONN;
	pthread_mutex_lock(&a->homes->mtx);
	e = key_load(a);
	if (!e) {
		snprintf(tsbuf, sizeof(tsbuf), "|%" PRId64, ts);
		crypto_auth_hmacsha256_init(&st, a->homes->key,
					    sizeof(a->homes->key));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)what,
					      strlen(what));
		crypto_auth_hmacsha256_update(&st,
					      (const unsigned char *)tsbuf,
					      strlen(tsbuf));
		crypto_auth_hmacsha256_final(&st, mac);
	}
	pthread_mutex_unlock(&a->homes->mtx);
	return e;
}

int app_home_sign(struct app *a, const char *what, int64_t ts, char *out,
		  size_t size)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	int e;

	if (size < APP_HOME_AUTH_SIZE)
		return EINVAL;
	e = mac_of(a, what, ts, mac);
	if (!e)
		sodium_bin2hex(out, size, mac, sizeof(mac));
	return e;
}

int app_home_verify(struct app *a, const char *what, int64_t ts,
		    const char *mac)
{
	char want[APP_HOME_AUTH_SIZE];
	int64_t now = (int64_t)time(NULL);
	int e;

	if (!mac || strlen(mac) != APP_HOME_AUTH_SIZE - 1 ||
	    ts < now - APP_HOME_SKEW_S || ts > now + APP_HOME_SKEW_S)
		return EACCES;
	e = app_home_sign(a, what, ts, want, sizeof(want));
	if (e)
		return e;
	return sodium_memcmp(want, mac, APP_HOME_AUTH_SIZE - 1) ? EACCES : 0;
}

/* "conf-personal-7" / "conf-meeting-42": the conference a leg names. */
int app_home_parse(const char *user, bool *personal, int64_t *conf)
{
	const char *p;
	char *end;
	long long v;

	if (!strncmp(user, "conf-personal-", 14)) {
		*personal = true;
		p = user + 14;
	}
	else if (!strncmp(user, "conf-meeting-", 13)) {
		*personal = false;
		p = user + 13;
	}
	else {
		return EINVAL;
	}
	if (*p < '1' || *p > '9')
		return EINVAL;
	errno = 0;
	v = strtoll(p, &end, 10);
	if (errno || *end || v <= 0)
		return EINVAL;
	*conf = v;
	return 0;
}

int app_home_admit(struct app *a, const struct app_home_leg *leg,
		   struct app_dialin_target *t)
{
	char what[APP_HOME_URI_SIZE + 64];
	struct app_home home;
	bool personal;
	int64_t conf;
	int e;

	memset(t, 0, sizeof(*t));
	if (app_home_parse(leg->user, &personal, &conf) ||
	    (strcmp(leg->role, "organizer") && strcmp(leg->role, "participant")
	     && strcmp(leg->role, "lobby")))
		return EACCES;
	snprintf(what, sizeof(what), "%s|%s|%s", leg->user, leg->role,
		 leg->confid);
	e = app_home_verify(a, what, leg->ts, leg->mac);
	if (e)
		return e;
	e = app_confid_resolve(a, leg->confid, t);
	if (e)
		return e;
	if (!t->valid || t->personal != personal ||
	    (personal ? t->user_id : t->meeting_id) != conf) {
		t->valid = false; /* reset meanwhile: not this conference */
		return ENOENT;
	}
	e = app_home_claim(a, personal, conf, &home);
	if (e)
		return e;
	return home.mine ? 0 : EEXIST;
}
