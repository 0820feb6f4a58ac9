/* h_jitsi: the two endpoints Jitsi Meet's web app calls for its dial-in
 * (SPEC §7, docs/api.md "Jitsi Meet"), in Jitsi's own shapes rather than
 * ours, and the admin's list of mapped rooms.
 *
 *   GET /jitsi/conference-mapper?conference=ROOM@MUC   (dialInConfCodeUrl)
 *   GET /jitsi/conference-mapper?id=NUMBER
 *   GET /jitsi/dial-in-numbers?conference=ROOM@MUC     (dialInNumbersUrl)
 *
 * They answer without credentials, since the browser calls them, so:
 * only the origins of jitsiAllowedOrigins get CORS headers (a preflight
 * from another is refused); each client address may make
 * jitsiRequestsPerMinute requests a minute on this node (behind a trusted
 * proxy, httpTrustedProxies, the address it forwarded; a fixed window,
 * in memory: as the SIP edge's per-source rate, a node's own defence);
 * and a look-up by ID answers only for a Jitsi room's ID, one 404 for
 * everything else, so enumerating it tells what dialling the IDs would.
 * Nothing answers while jitsiJigasiUri is empty. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/e164.h"
#include "core/netaddr.h"
#include "http/http_priv.h"

#define MAPPER_OK "Successfully retrieved conference mapping"
#define MAPPER_NONE "No conference mapping was found"
#define RATE_SLOTS 4096 /* client addresses remembered at once */
#define ADDR_SIZE 64

/* One address's count in the current minute. Slots are picked by hash;
 * another address landing on a busy slot takes it over: the table stays
 * bounded whatever the number of addresses, at the price of a count
 * restarted now and then. */
struct rate_slot {
	char addr[ADDR_SIZE];
	int64_t minute;
	unsigned n;
};

static struct rate_slot rates[RATE_SLOTS];
static pthread_mutex_t rates_mtx = PTHREAD_MUTEX_INITIALIZER;

static size_t addr_hash(const char *s)
{
	size_t h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % RATE_SLOTS;
}

/* Count a request of addr; true while within limit per minute. */
static bool rate_ok(const char *addr, unsigned limit, int64_t *retry)
{
	int64_t now = (int64_t)time(NULL), minute = now / 60;
	struct rate_slot *s;
	bool ok;

	pthread_mutex_lock(&rates_mtx);
	s = &rates[addr_hash(addr)];
	if (s->minute != minute || strcmp(s->addr, addr)) {
		snprintf(s->addr, sizeof(s->addr), "%s", addr);
		s->minute = minute;
		s->n = 0;
	}
	ok = s->n < limit;
	if (ok)
		s->n++;
	pthread_mutex_unlock(&rates_mtx);
	*retry = (minute + 1) * 60 - now;
	return ok;
}

static void cors_allow(struct http_req *r, const struct app_jitsi_config *c)
{
	const char *origin = http_header(r, "Origin");

	if (origin && strlen(origin) < sizeof(r->cors_origin) &&
	    netaddr_listed(c->origins, origin))
		snprintf(r->cors_origin, sizeof(r->cors_origin), "%s", origin);
}

/* The client a request counts against: its address, or, from a proxy of
 * httpTrustedProxies, the address that proxy forwarded (netaddr_client). */
static int client_of(const struct http_req *r, const struct app_jitsi_config *c,
		     char *out, size_t size)
{
	char peer[HTTP_PEER_SIZE];
	int err;

	err = http_client_addr(r, peer, sizeof(peer));
	if (!err)
		netaddr_client(peer, http_header(r, "X-Forwarded-For"),
			       c->trusted, out, size);
	return err;
}

/* Jitsi's error shape: {"message": ...} and whatever else it carries. */
static int jitsi_error(struct http_req *r, int status, const char *message)
{
	return http_reply(r, status, json_pack("{s:s}", "message", message));
}

/* What every Jitsi request goes through: CORS, the rate, the switch.
 * True when r holds the answer already. */
static bool jitsi_begin(struct http_req *r)
{
	struct app_jitsi_config c;
	char addr[ADDR_SIZE];
	int64_t retry;

	if (app_jitsi_config(r->app, &c)) {
		(void)http_db_away(r);
		return true;
	}
	r->plain_json = true; /* Jitsi's shapes from here on */
	cors_allow(r, &c);
	if (!client_of(r, &c, addr, sizeof(addr)) &&
	    !rate_ok(addr, c.per_minute, &retry)) {
		r->retry_after = retry;
		(void)jitsi_error(r, 429, "Too many requests: try again later");
		return true;
	}
	if (!c.enabled) {
		(void)jitsi_error(r, 404, "Jitsi Meet dial-in is not "
				  "configured");
		return true;
	}
	return false;
}

static int preflight(struct http_req *r)
{
	struct app_jitsi_config c;

	if (app_jitsi_config(r->app, &c))
		return http_db_away(r);
	cors_allow(r, &c);
	if (!r->cors_origin[0])
		return http_problem(r, 403, "this origin may not call the "
				    "Jitsi endpoints (jitsiAllowedOrigins)");
	r->cors_preflight = true;
	return http_reply(r, 204, NULL);
}

/* One handler per route, so that each is its own OpenAPI operation. */
int h_jitsi_mapper_preflight(struct http_req *r)
{
	return preflight(r);
}

int h_jitsi_numbers_preflight(struct http_req *r)
{
	return preflight(r);
}

static int mapping_reply(struct http_req *r, const struct app_jitsi_room *m)
{
	return http_reply(r, 200, json_pack("{s:s, s:I, s:s}",
					    "message", MAPPER_OK,
					    "id", (json_int_t)strtol(
						    m->conference_id, NULL, 10),
					    "conference", m->conference));
}

/* The 404 of a look-up by ID: the id as asked (a number when it is one),
 * and "conference": false. */
static int no_mapping(struct http_req *r, const char *id)
{
	json_t *jid = json_false();
	size_t n = strspn(id, "0123456789");

	if (n && n <= 15 && !id[n])
		jid = json_integer((json_int_t)strtoll(id, NULL, 10));
	return http_reply(r, 404, json_pack("{s:s, s:o, s:b}",
					    "message", MAPPER_NONE,
					    "id", jid, "conference", 0));
}

int h_jitsi_mapper(struct http_req *r)
{
	const char *conf = http_query(r, "conference");
	const char *id = http_query(r, "id");
	struct app_err ae = {{0}};
	struct app_jitsi_room m;
	int err;

	if (jitsi_begin(r))
		return 0;
	if (!conf == !id)
		return jitsi_error(r, 400, "give either conference=ROOM@MUC "
				   "or id=NUMBER");
	if (id) {
		err = app_jitsi_room_of(r->app, id, &m);
		if (err == ENOENT)
			return no_mapping(r, id);
		r->plain_json = !err;
		return err ? http_app_problem(r, err, NULL) :
			     mapping_reply(r, &m);
	}
	err = app_jitsi_map(r->app, conf, &m, &ae);
	if (err == EINVAL || err == EBUSY)
		return jitsi_error(r, err == EINVAL ? 400 : 404, ae.detail);
	r->plain_json = !err; /* 503 and the rest: a problem */
	return err ? http_app_problem(r, err, &ae) : mapping_reply(r, &m);
}

/* The array form: asked by ?format=array or an Accept of
 * application/json with format=array (docs/api.md). */
static bool want_array(const struct http_req *r)
{
	const char *f = http_query(r, "format");
	const char *accept = http_header(r, "Accept");

	if (f)
		return !strcmp(f, "array");
	return accept && strstr(accept, "format=array");
}

struct numbers_ctx {
	json_t *by_country; /* object form */
	json_t *list;       /* array form */
	size_t n;
};

static int number_one(const struct app_number *n, void *arg)
{
	struct numbers_ctx *x = arg;
	char shown[E164_FORMAT_SIZE], cc[3];
	json_t *arr;

	if (e164_format(n->number, shown, sizeof(shown)))
		snprintf(shown, sizeof(shown), "%s", n->number);
	x->n++;
	arr = json_object_get(x->by_country, n->country);
	if (!arr && json_object_set_new(x->by_country, n->country,
					arr = json_array()))
		return ENOMEM;
	if (json_array_append_new(arr, json_string(shown)))
		return ENOMEM;
	cc[0] = (char)(n->country[0] | 0x20); /* Jitsi's codes: lowercase */
	cc[1] = (char)(n->country[1] | 0x20);
	cc[2] = '\0';
	return json_array_append_new(x->list, json_pack(
		"{s:s, s:b, s:s, s:b}", "countryCode", cc,
		"tollFree", n->toll_free, "formattedNumber", shown,
		"default", n->is_default)) ? ENOMEM : 0;
}

int h_jitsi_numbers(struct http_req *r)
{
	struct numbers_ctx x = { json_object(), json_array(), 0 };
	struct app_err ae = {{0}};
	int err = ENOMEM;

	if (jitsi_begin(r))
		goto out;
	if (x.by_country && x.list)
		err = app_number_list(r->app, number_one, &x, &ae);
	if (err) {
		r->plain_json = false;
		err = http_app_problem(r, err, &ae);
		goto out;
	}
	if (want_array(r)) {
		err = http_reply(r, 200, x.list);
		x.list = NULL;
	}
	else {
		err = http_reply(r, 200, json_pack(
			"{s:s, s:O, s:b}", "message", x.n ?
			"Phone numbers available." : "No phone numbers.",
			"numbers", x.by_country, "numbersEnabled", x.n > 0));
	}
 out:
	json_decref(x.by_country);
	json_decref(x.list);
	return err;
}

static int room_one(const struct app_jitsi_room *m, void *arg)
{
	return json_array_append_new(arg, json_pack(
		"{s:s, s:s, s:o, s:o}", "conference", m->conference,
		"conferenceId", m->conference_id,
		"createdAt", http_json_time(m->created_at),
		"lastUsedAt", http_json_time(m->last_used_at))) ? ENOMEM : 0;
}

int h_jitsi_rooms(struct http_req *r)
{
	struct app_err ae = {{0}};
	json_t *arr = json_array();
	int err;

	if (!arr)
		return ENOMEM;
	err = app_jitsi_rooms(r->app, room_one, arr, &ae);
	return http_reply_list(r, err, &ae, "rooms", arr);
}
