/* pg_outbox: the email outbox in the PostgreSQL backend (SPEC §5), the
 * mirror of sqlite_outbox.c.
 *
 * A claim is one statement: pick due, unleased rows FOR UPDATE SKIP LOCKED,
 * lease them, return them. Several nodes' workers claiming at once each
 * skip the rows another is leasing right now instead of waiting for them,
 * and the lease (recorded in the row) keeps them off those rows afterwards,
 * so in normal operation each email is sent once. A lease that runs out
 * (a node that died mid-send) makes the row due again: at least once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_priv.h"

#define CLAIM_MAX 256

#define MAIL_COLS \
	"id, created_at, kind, to_addr, to_name, from_addr," \
	" from_name, subject, token, vars, state, attempts," \
	" next_attempt_at, lease_until, sent_at, last_error, claim_token"

#define OUTBOX_COLS "SELECT " MAIL_COLS " FROM outbox "

static int read_mail(const PGresult *res, int row, struct store_mail *m)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->id = pgstore_int(res, row, 0);
	m->created_at = pgstore_int(res, row, 1);
	m->attempts = (int)pgstore_int(res, row, 11);
	m->next_attempt_at = pgstore_int(res, row, 12);
	m->lease_until = pgstore_int(res, row, 13);
	m->sent_at = pgstore_int(res, row, 14);

	if ((err = pgstore_text(res, row, 2, m->kind, sizeof(m->kind))) ||
	    (err = pgstore_text(res, row, 3, m->to_addr,
				sizeof(m->to_addr))) ||
	    (err = pgstore_text(res, row, 4, m->to_name,
				sizeof(m->to_name))) ||
	    (err = pgstore_text(res, row, 5, m->from_addr,
				sizeof(m->from_addr))) ||
	    (err = pgstore_text(res, row, 6, m->from_name,
				sizeof(m->from_name))) ||
	    (err = pgstore_text(res, row, 7, m->subject,
				sizeof(m->subject))) ||
	    (err = pgstore_text(res, row, 8, m->token, sizeof(m->token))) ||
	    (err = pgstore_text(res, row, 9, m->vars, sizeof(m->vars))) ||
	    (err = pgstore_text(res, row, 15, m->last_error,
				sizeof(m->last_error))) ||
	    (err = pgstore_text(res, row, 16, m->claim, sizeof(m->claim))))
		return err;

	/* The CHECK allows no other state. */
	return mailstate_parse(PQgetvalue(res, row, 10), &m->state) ? EIO : 0;
}

/* Hand each row of res to h, through one heap struct (vars is 8 KiB). */
static int mail_each(const PGresult *res, store_mail_h *h, void *arg)
{
	struct store_mail *m;
	int i, err = 0;

	if (!PQntuples(res))
		return 0;
	m = malloc(sizeof(*m));
	if (!m)
		return ENOMEM;
	for (i = 0; !err && i < PQntuples(res); i++) {
		err = read_mail(res, i, m);
		if (!err)
			err = h(m, arg);
	}
	free(m);
	return err;
}

int pgstore_outbox_insert(void *conn, struct store_mail *m)
{
	static const char sql[] =
		"INSERT INTO outbox (created_at, kind, to_addr, to_name,"
		" from_addr, from_name, subject, token, vars, state, attempts,"
		" next_attempt_at, lease_until, sent_at, last_error)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
		" $13, $14, $15) RETURNING id";
	const char *state = mailstate_name(m->state);
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	if (!state)
		return EINVAL;

	pgp_int(&pp, m->created_at);
	pgp_text(&pp, m->kind, sizeof(m->kind));
	pgp_text(&pp, m->to_addr, sizeof(m->to_addr));
	pgp_text(&pp, m->to_name, sizeof(m->to_name));
	pgp_text(&pp, m->from_addr, sizeof(m->from_addr));
	pgp_text(&pp, m->from_name, sizeof(m->from_name));
	pgp_text(&pp, m->subject, sizeof(m->subject));
	pgp_text(&pp, m->token, sizeof(m->token));
	pgp_text(&pp, m->vars[0] ? m->vars : "{}", sizeof(m->vars));
	pgp_text(&pp, state, strlen(state) + 1);
	pgp_int(&pp, m->attempts);
	pgp_opt_int(&pp, m->next_attempt_at);
	pgp_opt_int(&pp, m->lease_until);
	pgp_opt_int(&pp, m->sent_at);
	pgp_opt_text(&pp, m->last_error);

	err = pgstore_run(conn, PGS_OP(outbox_insert), sql, &pp, &res);
	if (!err)
		m->id = pgstore_int(res, 0, 0);
	PQclear(res);
	return err;
}

int pgstore_outbox_get(void *conn, int64_t id, struct store_mail *m)
{
	static const char sql[] = OUTBOX_COLS "WHERE id = $1";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_int(&pp, id);
	err = pgstore_one(conn, PGS_OP(outbox_get), sql, &pp, &res);
	if (!err)
		err = read_mail(res, 0, m);
	PQclear(res);
	return err;
}

/* Who the email goes to and what it is stay as queued; the rest is the
 * row's delivery state. Written by update (any row) and settle (a row
 * still held under claim $10); either ends the claim. */
#define UPDATE_SQL \
	"UPDATE outbox SET subject = $2, vars = $3, state = $4," \
	" attempts = $5, next_attempt_at = $6, lease_until = $7," \
	" sent_at = $8, last_error = $9, claim_token = NULL WHERE id = $1"

static int update_by(struct pgstore *p, enum pgstore_stmt id,
		     const char *sql, const struct store_mail *m,
		     const char *claim)
{
	const char *state = mailstate_name(m->state);
	struct pgparams pp = { .n = 0 };

	if (!state)
		return EINVAL;

	pgp_int(&pp, m->id);
	pgp_text(&pp, m->subject, sizeof(m->subject));
	pgp_text(&pp, m->vars[0] ? m->vars : "{}", sizeof(m->vars));
	pgp_text(&pp, state, strlen(state) + 1);
	pgp_int(&pp, m->attempts);
	pgp_opt_int(&pp, m->next_attempt_at);
	pgp_opt_int(&pp, m->lease_until);
	pgp_opt_int(&pp, m->sent_at);
	pgp_opt_text(&pp, m->last_error);
	if (claim)
		pgp_text(&pp, claim, strlen(claim) + 1);
	return pgstore_changes(p, id, sql, &pp);
}

int pgstore_outbox_update(void *conn, const struct store_mail *m)
{
	return update_by(conn, PGS_OP(outbox_update), UPDATE_SQL, m, NULL);
}

/* The claim is checked in the statement itself: under READ COMMITTED an
 * UPDATE re-reads a row another transaction changed meanwhile, so a row
 * claimed again since is left alone (ESTALE), whatever was read before. */
int pgstore_outbox_settle(void *conn, const struct store_mail *m,
			  const char *claim)
{
	static const char sql[] = UPDATE_SQL
		" AND state = 'pending' AND claim_token = $10";
	int err;

	err = update_by(conn, PGS_OP(outbox_settle), sql, m, claim);
	return err == ENOENT ? ESTALE : err;
}

int pgstore_outbox_renew(void *conn, const char *claim, int64_t id,
			 int64_t lease_until)
{
	static const char sql[] =
		"WITH renewed AS ("
		"  UPDATE outbox SET lease_until = $2"
		"  WHERE claim_token = $1 AND state = 'pending' RETURNING id)"
		" SELECT count(*) FROM renewed WHERE id = $3";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_text(&pp, claim, strlen(claim) + 1);
	pgp_int(&pp, lease_until);
	pgp_int(&pp, id);
	err = pgstore_one(conn, PGS_OP(outbox_renew), sql, &pp, &res);
	if (!err && pgstore_int(res, 0, 0) != 1)
		err = ESTALE;
	PQclear(res);
	return err;
}

/* The rows come back oldest first, as a queue promises, and whole: the
 * callback may write to the store. */
int pgstore_outbox_claim(void *conn, int64_t now, int64_t lease_until,
			 const char *claim, int max, store_mail_h *h,
			 void *arg)
{
	static const char sql[] =
		"WITH picked AS MATERIALIZED ("
		"  SELECT id FROM outbox WHERE state = 'pending'"
		"  AND next_attempt_at <= $1"
		"  AND (lease_until IS NULL OR lease_until <= $1)"
		"  ORDER BY next_attempt_at, id LIMIT $3"
		"  FOR UPDATE SKIP LOCKED),"
		" leased AS ("
		"  UPDATE outbox o SET lease_until = $2, claim_token = $4"
		"  FROM picked"
		"  WHERE o.id = picked.id RETURNING o.*)"
		" SELECT " MAIL_COLS " FROM leased ORDER BY id";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	if (max < 1 || max > CLAIM_MAX)
		return EINVAL;

	pgp_int(&pp, now);
	pgp_int(&pp, lease_until);
	pgp_int(&pp, max);
	pgp_text(&pp, claim, strlen(claim) + 1);
	err = pgstore_run(conn, PGS_OP(outbox_claim), sql, &pp, &res);
	if (!err)
		err = mail_each(res, h, arg);
	PQclear(res);
	return err;
}

int pgstore_outbox_list(void *conn, int state, int limit, store_mail_h *h,
			void *arg)
{
	static const char sql_all[] = OUTBOX_COLS
		"ORDER BY id DESC LIMIT $1";
	static const char sql_state[] = OUTBOX_COLS
		"WHERE state = $2 ORDER BY id DESC LIMIT $1";
	struct pgparams pp = { .n = 0 };
	const char *name = NULL;
	PGresult *res = NULL;
	int err;

	if (state >= 0) {
		name = mailstate_name((enum mailstate)state);
		if (!name)
			return EINVAL;
	}

	pgp_opt_int(&pp, limit > 0 ? limit : 0);
	if (name)
		pgp_text(&pp, name, strlen(name) + 1);
	err = pgstore_run(conn,
			  name ? PGS_OUTBOX_LIST_STATE : PGS_OP(outbox_list),
			  name ? sql_state : sql_all, &pp, &res);
	if (!err)
		err = mail_each(res, h, arg);
	PQclear(res);
	return err;
}

/* A leased row is due again when its lease runs out, whichever is later. */
int pgstore_outbox_next_due(void *conn, int64_t *at)
{
	static const char sql[] =
		"SELECT min(greatest(next_attempt_at, coalesce(lease_until, 0)))"
		" FROM outbox WHERE state = 'pending'";
	PGresult *res = NULL;
	int err;

	err = pgstore_one(conn, PGS_OP(outbox_next_due), sql, NULL, &res);
	if (!err && pgstore_null(res, 0, 0))
		err = ENOENT;
	if (!err)
		*at = pgstore_int(res, 0, 0);
	PQclear(res);
	return err;
}

/* For a single node at start-up only: with several nodes another node's
 * worker may hold a lease right now (the caller's business to know). */
int pgstore_outbox_release_leases(void *conn)
{
	static const char sql[] =
		"UPDATE outbox SET lease_until = NULL, claim_token = NULL"
		" WHERE lease_until IS NOT NULL OR claim_token IS NOT NULL";

	return pgstore_run(conn, PGS_OP(outbox_release_leases), sql, NULL,
			   NULL);
}
