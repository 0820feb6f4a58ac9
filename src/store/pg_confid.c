/* pg_confid: conference IDs in the PostgreSQL backend, the mirror of
 * sqlite_confid.c. The database refuses a second live row of a value, a
 * second live personal ID of a user and a value still in quarantine
 * (pg_schema.c): its insert trigger skips such a row, which leaves here as
 * EEXIST with the transaction still usable. In the struct, 0 stands for SQL
 * NULL.
 *
 * scan_since and the pool: row numbers come from a sequence, taken when a
 * row is inserted, while rows become visible when their transaction
 * commits. With several nodes a row may commit after a higher one already
 * did, so a node that follows the table by "row > last seen" can miss a
 * row for good (until its pool is rebuilt). That costs no correctness: the
 * pool only proposes values, the constraints decide, and a refused value is
 * learnt by the pool (src/app/issue.c). It only costs a retry.
 *
 * The long scans read in pages of SCAN_PAGE rows (keyset on row), so that a
 * full namespace is never one result held in memory. */
#include <errno.h>
#include <string.h>

#include "store/pg_priv.h"

#define SCAN_PAGE 4096

#define CONFID_COLS \
	"SELECT \"row\", value, kind, user_id, meeting_id, issued_at," \
	" revoked_at, quarantine_until FROM conference_ids "

static void read_confid(const PGresult *res, int row, struct store_confid *c)
{
	memset(c, 0, sizeof(*c));
	c->row = pgstore_int(res, row, 0);
	c->value = (uint32_t)pgstore_int(res, row, 1);
	c->kind = store_confid_kind_parse(PQgetvalue(res, row, 2));
	c->user_id = pgstore_int(res, row, 3);
	c->meeting_id = pgstore_int(res, row, 4);
	c->issued_at = pgstore_int(res, row, 5);
	c->revoked_at = pgstore_int(res, row, 6);
	c->quarantine_until = pgstore_int(res, row, 7);
}

static int confid_one(struct pgstore *p, enum pgstore_stmt id,
		      const char *sql, const struct pgparams *pp,
		      struct store_confid *c)
{
	PGresult *res = NULL;
	int err;

	err = pgstore_one(p, id, sql, pp, &res);
	if (!err)
		read_confid(res, 0, c);
	PQclear(res);
	return err;
}

/* Hand each row of res to h; h's non-zero return stops the scan. *last
 * gets the last row number handed out. */
static int confid_each(const PGresult *res, store_confid_h *h, void *arg,
		       int64_t *last)
{
	struct store_confid c;
	int i, err;

	for (i = 0; i < PQntuples(res); i++) {
		read_confid(res, i, &c);
		if (last)
			*last = c.row;
		err = h(&c, arg);
		if (err)
			return err;
	}
	return 0;
}

/* A scan by row in pages: sql takes $1 (a bound of the scan's own), $2
 * (row after which the page starts) and $3 (page size). */
static int confid_paged(struct pgstore *p, enum pgstore_stmt id,
			const char *sql, int64_t bound, int64_t after_row,
			store_confid_h *h, void *arg)
{
	PGresult *res = NULL;
	int n, err;

	do {
		struct pgparams pp = { .n = 0 };

		pgp_int(&pp, bound);
		pgp_int(&pp, after_row);
		pgp_int(&pp, SCAN_PAGE);
		err = pgstore_run(p, id, sql, &pp, &res);
		if (err)
			return err;
		n = PQntuples(res);
		err = confid_each(res, h, arg, &after_row);
		PQclear(res);
	} while (!err && n == SCAN_PAGE);

	return err;
}

int pgstore_confid_insert(void *conn, struct store_confid *c)
{
	static const char sql[] =
		"INSERT INTO conference_ids (value, kind, user_id, meeting_id,"
		" issued_at) VALUES ($1, $2, $3, $4, $5) RETURNING \"row\"";
	const char *kind = store_confid_kind_name(c->kind);
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	if (!kind)
		return EINVAL;

	pgp_int(&pp, c->value);
	pgp_text(&pp, kind, strlen(kind) + 1);
	pgp_opt_int(&pp, c->user_id);
	pgp_opt_int(&pp, c->meeting_id);
	pgp_int(&pp, c->issued_at);

	/* No row back: the trigger refused the value or the owner, and the
	 * transaction goes on (the issue loop draws another value). */
	err = pgstore_run(conn, PGS_OP(confid_insert), sql, &pp, &res);
	if (!err && PQntuples(res) < 1)
		err = EEXIST;
	if (!err) {
		c->row = pgstore_int(res, 0, 0);
		c->revoked_at = 0;
		c->quarantine_until = 0;
	}
	PQclear(res);
	return err;
}

/* ENOENT if value has no live row. Inside a transaction it goes out with
 * the next statement (a reset: the insert of the new ID), and the ENOENT
 * comes from there: every caller revokes a value it just read as live and
 * gives up on any error. */
int pgstore_confid_revoke(void *conn, uint32_t value, int64_t at,
			  int64_t quarantine_until)
{
	static const char sql[] =
		"UPDATE conference_ids SET revoked_at = $2,"
		" quarantine_until = $3"
		" WHERE value = $1 AND revoked_at IS NULL";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, value);
	pgp_int(&pp, at);
	pgp_int(&pp, quarantine_until);
	return pgstore_defer_changes(conn, PGS_OP(confid_revoke), sql, &pp);
}

/* The dial-in hot path: one probe of conference_ids_value, newest row. */
int pgstore_confid_lookup(void *conn, uint32_t value, struct store_confid *c)
{
	static const char sql[] = CONFID_COLS
		"WHERE value = $1 ORDER BY \"row\" DESC LIMIT 1";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, value);
	return confid_one(conn, PGS_OP(confid_lookup), sql, &pp, c);
}

int pgstore_confid_personal(void *conn, int64_t user_id,
			    struct store_confid *c)
{
	static const char sql[] = CONFID_COLS
		"WHERE user_id = $1 AND kind = 'personal'"
		" AND revoked_at IS NULL";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, user_id);
	return confid_one(conn, PGS_OP(confid_personal), sql, &pp, c);
}

/* Everything the allocator must not draw at now: live and quarantined. */
int pgstore_confid_scan_unavailable(void *conn, int64_t now,
				    store_confid_h *h, void *arg)
{
	static const char sql[] = CONFID_COLS
		"WHERE (revoked_at IS NULL OR quarantine_until > $1)"
		" AND \"row\" > $2 ORDER BY \"row\" LIMIT $3";

	return confid_paged(conn, PGS_OP(confid_scan_unavailable), sql, now, 0,
			    h, arg);
}

/* Rows issued after after_row, by row (see the top of this file on rows
 * that commit out of order). */
int pgstore_confid_scan_since(void *conn, int64_t after_row,
			      store_confid_h *h, void *arg)
{
	static const char sql[] = CONFID_COLS
		"WHERE $1::bigint IS NOT NULL AND \"row\" > $2"
		" ORDER BY \"row\" LIMIT $3";

	return confid_paged(conn, PGS_OP(confid_scan_since), sql, 0, after_row,
			    h, arg);
}

/* Values whose quarantine ran out in (from, to] and that nobody holds
 * again: the allocator may free them. */
int pgstore_confid_scan_expired(void *conn, int64_t from, int64_t to,
				store_confid_h *h, void *arg)
{
	static const char sql[] = CONFID_COLS
		"WHERE quarantine_until > $1 AND quarantine_until <= $2"
		" AND NOT EXISTS (SELECT 1 FROM conference_ids l"
		"  WHERE l.value = conference_ids.value"
		"  AND l.revoked_at IS NULL)"
		" ORDER BY quarantine_until, \"row\"";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_int(&pp, from);
	pgp_int(&pp, to);
	err = pgstore_run(conn, PGS_OP(confid_scan_expired), sql, &pp, &res);
	if (!err)
		err = confid_each(res, h, arg, NULL);
	PQclear(res);
	return err;
}

/* The quarantined row closest to release; ENOENT if none is. */
int pgstore_confid_oldest_quarantined(void *conn, int64_t now,
				      struct store_confid *c)
{
	static const char sql[] = CONFID_COLS
		"WHERE quarantine_until > $1"
		" ORDER BY quarantine_until, \"row\" LIMIT 1";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, now);
	return confid_one(conn, PGS_OP(confid_oldest_quarantined), sql, &pp, c);
}

/* Cut the quarantine of value short at now, so an issue at now or later
 * passes the insert trigger. ENOENT if value is not quarantined. */
int pgstore_confid_end_quarantine(void *conn, uint32_t value, int64_t now)
{
	static const char sql[] =
		"UPDATE conference_ids SET quarantine_until = $2"
		" WHERE value = $1 AND quarantine_until > $2";
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, value);
	pgp_int(&pp, now);
	return pgstore_changes(conn, PGS_OP(confid_end_quarantine), sql, &pp);
}
