/* pg_webhook: the webhook event queue in the PostgreSQL backend, the
 * mirror of sqlite_webhook.c with the claim of pg_outbox.c: due, unleased
 * rows picked FOR UPDATE SKIP LOCKED, leased and returned in one
 * statement, so the delivery threads of several nodes never lease the
 * same row at once; a lease that runs out (a node that died) makes the
 * row due again: at least once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_priv.h"

#define CLAIM_MAX 256

#define HOOK_COLS \
	"id, event_id, type, body, created_at, state, attempts," \
	" next_attempt_at, lease_until, claim_token, delivered_at," \
	" last_status, last_error"

static int read_hook(const PGresult *res, int row, struct store_webhook *w)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->id = pgstore_int(res, row, 0);
	w->created_at = pgstore_int(res, row, 4);
	w->attempts = (int)pgstore_int(res, row, 6);
	w->next_attempt_at = pgstore_int(res, row, 7);
	w->lease_until = pgstore_int(res, row, 8);
	w->delivered_at = pgstore_int(res, row, 10);
	w->last_status = (int)pgstore_int(res, row, 11);
	if ((err = pgstore_text(res, row, 1, w->event_id,
				sizeof(w->event_id))) ||
	    (err = pgstore_text(res, row, 2, w->type, sizeof(w->type))) ||
	    (err = pgstore_text(res, row, 3, w->body, sizeof(w->body))) ||
	    (err = pgstore_text(res, row, 9, w->claim, sizeof(w->claim))) ||
	    (err = pgstore_text(res, row, 12, w->last_error,
				sizeof(w->last_error))))
		return err;
	return store_webhook_state_parse(PQgetvalue(res, row, 5),
					 &w->state) ? EIO : 0;
}

/* Each row of res to h, through one heap struct (the body is 4 KiB). */
static int hook_each(const PGresult *res, store_webhook_h *h, void *arg)
{
	struct store_webhook *w;
	int i, err = 0;

	if (!PQntuples(res))
		return 0;
	w = malloc(sizeof(*w));
	if (!w)
		return ENOMEM;
	for (i = 0; !err && i < PQntuples(res); i++) {
		err = read_hook(res, i, w);
		if (!err)
			err = h(w, arg);
	}
	free(w);
	return err;
}

int pgstore_webhook_insert(void *conn, struct store_webhook *w)
{
	static const char sql[] =
		"INSERT INTO webhook_events (event_id, type, body, created_at,"
		" state, attempts, next_attempt_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
	const char *state = store_webhook_state_name(w->state);
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	if (!state)
		return EINVAL;
	pgp_text(&pp, w->event_id, sizeof(w->event_id));
	pgp_text(&pp, w->type, sizeof(w->type));
	pgp_text(&pp, w->body, sizeof(w->body));
	pgp_int(&pp, w->created_at);
	pgp_text(&pp, state, strlen(state) + 1);
	pgp_int(&pp, w->attempts);
	pgp_opt_int(&pp, w->next_attempt_at);
	err = pgstore_run(conn, PGS_OP(webhook_insert), sql, &pp, &res);
	if (!err)
		w->id = pgstore_int(res, 0, 0);
	PQclear(res);
	return err;
}

int pgstore_webhook_claim(void *conn, int64_t now, int64_t lease_until,
			  const char *claim, int max, store_webhook_h *h,
			  void *arg)
{
	static const char sql[] =
		"WITH picked AS MATERIALIZED ("
		"  SELECT id FROM webhook_events WHERE state = 'pending'"
		"  AND next_attempt_at <= $1"
		"  AND (lease_until IS NULL OR lease_until <= $1)"
		"  ORDER BY id LIMIT $3"
		"  FOR UPDATE SKIP LOCKED),"
		" leased AS ("
		"  UPDATE webhook_events w SET lease_until = $2,"
		"  claim_token = $4 FROM picked"
		"  WHERE w.id = picked.id RETURNING w.*)"
		" SELECT " HOOK_COLS " FROM leased ORDER BY id";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	if (max < 1 || max > CLAIM_MAX)
		return EINVAL;
	pgp_int(&pp, now);
	pgp_int(&pp, lease_until);
	pgp_int(&pp, max);
	pgp_text(&pp, claim, strlen(claim) + 1);
	err = pgstore_run(conn, PGS_OP(webhook_claim), sql, &pp, &res);
	if (!err)
		err = hook_each(res, h, arg);
	PQclear(res);
	return err;
}

/* Under READ COMMITTED the UPDATE re-reads a row changed meanwhile, so a
 * row claimed again since is left alone (ESTALE). */
int pgstore_webhook_settle(void *conn, const struct store_webhook *w,
			   const char *claim)
{
	static const char sql[] =
		"UPDATE webhook_events SET state = $2, attempts = $3,"
		" next_attempt_at = $4, delivered_at = $5, last_status = $6,"
		" last_error = $7, lease_until = NULL, claim_token = NULL"
		" WHERE id = $1 AND state = 'pending' AND claim_token = $8";
	const char *state = store_webhook_state_name(w->state);
	struct pgparams pp = { .n = 0 };
	int err;

	if (!state)
		return EINVAL;
	pgp_int(&pp, w->id);
	pgp_text(&pp, state, strlen(state) + 1);
	pgp_int(&pp, w->attempts);
	pgp_opt_int(&pp, w->next_attempt_at);
	pgp_opt_int(&pp, w->delivered_at);
	pgp_int(&pp, w->last_status);
	pgp_text(&pp, w->last_error, sizeof(w->last_error));
	pgp_text(&pp, claim, strlen(claim) + 1);
	err = pgstore_changes(conn, PGS_OP(webhook_settle), sql, &pp);
	return err == ENOENT ? ESTALE : err;
}

int pgstore_webhook_list(void *conn, int state, int limit,
			 store_webhook_h *h, void *arg)
{
	static const char sql[] =
		"SELECT " HOOK_COLS " FROM webhook_events"
		" WHERE $2::text IS NULL OR state = $2"
		" ORDER BY id DESC LIMIT $1";
	struct pgparams pp = { .n = 0 };
	const char *name = NULL;
	PGresult *res = NULL;
	int err;

	if (state >= 0 &&
	    !(name = store_webhook_state_name((enum store_webhook_state)state)))
		return EINVAL;
	pgp_opt_int(&pp, limit > 0 ? limit : 0);
	pgp_opt_text(&pp, name);
	err = pgstore_run(conn, PGS_OP(webhook_list), sql, &pp, &res);
	if (!err)
		err = hook_each(res, h, arg);
	PQclear(res);
	return err;
}

int pgstore_webhook_next_due(void *conn, int64_t *at)
{
	static const char sql[] =
		"SELECT min(greatest(next_attempt_at, coalesce(lease_until, 0)))"
		" FROM webhook_events WHERE state = 'pending'";
	PGresult *res = NULL;
	int err;

	err = pgstore_one(conn, PGS_OP(webhook_next_due), sql, NULL, &res);
	if (!err && pgstore_null(res, 0, 0))
		err = ENOENT;
	if (!err)
		*at = pgstore_int(res, 0, 0);
	PQclear(res);
	return err;
}

int pgstore_webhook_purge(void *conn, int64_t before, int *n)
{
	static const char sql[] =
		"DELETE FROM webhook_events"
		" WHERE state <> 'pending' AND created_at < $1";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	*n = 0;
	pgp_int(&pp, before);
	err = pgstore_run(conn, PGS_OP(webhook_purge), sql, &pp, &res);
	if (!err)
		*n = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return err;
}

/* For a single node at start-up only (the caller knows). */
int pgstore_webhook_release_leases(void *conn)
{
	static const char sql[] =
		"UPDATE webhook_events SET lease_until = NULL,"
		" claim_token = NULL"
		" WHERE lease_until IS NOT NULL OR claim_token IS NOT NULL";

	return pgstore_run(conn, PGS_OP(webhook_release_leases), sql, NULL,
			   NULL);
}
