/* sqlite_outbox: the email outbox in the SQLite backend (SPEC §5).
 *
 * A claim is one UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING id:
 * SQLite runs it under the database's single write lock, so two workers can
 * never lease the same row; the PostgreSQL mirror adds FOR UPDATE SKIP
 * LOCKED to the inner SELECT for the same effect under concurrency. The
 * claimed rows are read after the UPDATE has finished, so the callback may
 * write to the store. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_priv.h"

#define CLAIM_MAX 256

#define OUTBOX_COLS \
	"SELECT id, created_at, kind, to_addr, to_name, from_addr," \
	" from_name, subject, token, vars, state, attempts," \
	" next_attempt_at, lease_until, sent_at, last_error, claim_token" \
	" FROM outbox "

static int read_mail(sqlite3_stmt *stmt, void *arg)
{
	struct store_mail *m = arg;
	int err;

	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(stmt, 0);
	m->created_at = sqlite3_column_int64(stmt, 1);
	m->attempts = sqlite3_column_int(stmt, 11);
	m->next_attempt_at = sqlite3_column_int64(stmt, 12);
	m->lease_until = sqlite3_column_int64(stmt, 13);
	m->sent_at = sqlite3_column_int64(stmt, 14);

	if ((err = sqlstore_column_text(stmt, 2, m->kind, sizeof(m->kind))) ||
	    (err = sqlstore_column_text(stmt, 3, m->to_addr,
					sizeof(m->to_addr))) ||
	    (err = sqlstore_column_text(stmt, 4, m->to_name,
					sizeof(m->to_name))) ||
	    (err = sqlstore_column_text(stmt, 5, m->from_addr,
					sizeof(m->from_addr))) ||
	    (err = sqlstore_column_text(stmt, 6, m->from_name,
					sizeof(m->from_name))) ||
	    (err = sqlstore_column_text(stmt, 7, m->subject,
					sizeof(m->subject))) ||
	    (err = sqlstore_column_text(stmt, 8, m->token,
					sizeof(m->token))) ||
	    (err = sqlstore_column_text(stmt, 9, m->vars, sizeof(m->vars))) ||
	    (err = sqlstore_column_text(stmt, 15, m->last_error,
					sizeof(m->last_error))) ||
	    (err = sqlstore_column_text(stmt, 16, m->claim,
					sizeof(m->claim))))
		return err;

	/* The CHECK allows no other state. */
	return mailstate_parse((const char *)sqlite3_column_text(stmt, 10),
			       &m->state) ? EIO : 0;
}

/* The delivery state of m (state named state, attempts, next attempt,
 * lease, sent, last error) into ?i..?i+5, as insert and update store it. */
static int bind_delivery(sqlite3_stmt *stmt, int i, const struct store_mail *m,
			 const char *state)
{
	int err;

	if ((err = sqlstore_bind_text(stmt, i, state, strlen(state) + 1)) ||
	    (err = sqlstore_bind_int64(stmt, i + 1, m->attempts)) ||
	    (err = sqlstore_bind_opt_int64(stmt, i + 2, m->next_attempt_at)) ||
	    (err = sqlstore_bind_opt_int64(stmt, i + 3, m->lease_until)) ||
	    (err = sqlstore_bind_opt_int64(stmt, i + 4, m->sent_at)))
		return err;

	return sqlstore_bind_opt_text(stmt, i + 5, m->last_error);
}

int sqlstore_outbox_insert(void *conn, struct store_mail *m)
{
	static const char sql[] =
		"INSERT INTO outbox (created_at, kind, to_addr, to_name,"
		" from_addr, from_name, subject, token, vars, state, attempts,"
		" next_attempt_at, lease_until, sent_at, last_error)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		" ?13, ?14, ?15)";
	const char *state = mailstate_name(m->state);
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	if (!state)
		return EINVAL;
	err = sqlstore_prepare(s, SQS_OP(outbox_insert), sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_int64(stmt, 1, m->created_at)) ||
	    (err = sqlstore_bind_text(stmt, 2, m->kind, sizeof(m->kind))) ||
	    (err = sqlstore_bind_text(stmt, 3, m->to_addr,
				      sizeof(m->to_addr))) ||
	    (err = sqlstore_bind_text(stmt, 4, m->to_name,
				      sizeof(m->to_name))) ||
	    (err = sqlstore_bind_text(stmt, 5, m->from_addr,
				      sizeof(m->from_addr))) ||
	    (err = sqlstore_bind_text(stmt, 6, m->from_name,
				      sizeof(m->from_name))) ||
	    (err = sqlstore_bind_text(stmt, 7, m->subject,
				      sizeof(m->subject))) ||
	    (err = sqlstore_bind_text(stmt, 8, m->token, sizeof(m->token))) ||
	    (err = sqlstore_bind_text(stmt, 9, m->vars[0] ? m->vars : "{}",
				      sizeof(m->vars))) ||
	    (err = bind_delivery(stmt, 10, m, state)))
		goto out;

	err = sqlstore_exec_changes(stmt);
	if (!err)
		m->id = sqlite3_last_insert_rowid(s->db);

 out:
	sqlstore_release(s, SQS_OP(outbox_insert), stmt);
	return err;
}

int sqlstore_outbox_get(void *conn, int64_t id, struct store_mail *m)
{
	static const char sql[] = OUTBOX_COLS "WHERE id = ?1";
	const int64_t v[] = { id };

	return sqlstore_select_one(conn, SQS_OP(outbox_get), sql, v, 1,
				   read_mail, m);
}

/* Who the email goes to and what it is stay as queued; the rest is the
 * row's delivery state. Written by update (any row) and settle (a row
 * still held under claim ?10); either ends the claim. */
#define UPDATE_SQL \
	"UPDATE outbox SET subject = ?2, vars = ?3, state = ?4," \
	" attempts = ?5, next_attempt_at = ?6, lease_until = ?7," \
	" sent_at = ?8, last_error = ?9, claim_token = NULL WHERE id = ?1"

static int update_by(struct sqlstore *s, enum sqlstore_stmt id,
		     const char *sql, const struct store_mail *m,
		     const char *claim)
{
	const char *state = mailstate_name(m->state);
	sqlite3_stmt *stmt = NULL;
	int err;

	if (!state)
		return EINVAL;
	err = sqlstore_prepare(s, id, sql, &stmt);
	if (err)
		return err;

	if ((err = sqlstore_bind_int64(stmt, 1, m->id)) ||
	    (err = sqlstore_bind_text(stmt, 2, m->subject,
				      sizeof(m->subject))) ||
	    (err = sqlstore_bind_text(stmt, 3, m->vars[0] ? m->vars : "{}",
				      sizeof(m->vars))) ||
	    (err = bind_delivery(stmt, 4, m, state)) ||
	    (claim && (err = sqlstore_bind_text(stmt, 10, claim,
						strlen(claim) + 1))))
		goto out;

	err = sqlstore_exec_changes(stmt);

 out:
	sqlstore_release(s, id, stmt);
	return err;
}

int sqlstore_outbox_update(void *conn, const struct store_mail *m)
{
	return update_by(conn, SQS_OP(outbox_update), UPDATE_SQL, m, NULL);
}

/* The claim is checked in the statement itself: a row claimed again since
 * is left alone (ESTALE), whatever was read before. */
int sqlstore_outbox_settle(void *conn, const struct store_mail *m,
			   const char *claim)
{
	static const char sql[] = UPDATE_SQL
		" AND state = 'pending' AND claim_token = ?10";
	int err;

	err = update_by(conn, SQS_OP(outbox_settle), sql, m, claim);
	return err == ENOENT ? ESTALE : err;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

struct claimed {
	int64_t *ids;
	int max;
	int *n;
};

static int claim_row(sqlite3_stmt *stmt, void *arg)
{
	struct claimed *c = arg;

	if (*c->n < c->max)
		c->ids[(*c->n)++] = sqlite3_column_int64(stmt, 0);
	return 0;
}

/* Lease the due rows under claim; their ids into ids (at most max). The
 * oldest due come first in outbox_due, so the claim reads as many index
 * entries as it skips leased rows plus max; SQLite's planner (no ANALYZE
 * statistics) took outbox_state instead and sorted every pending row for
 * each claim (17 ms a claim at 4 000 pending, a backlog quadratic), hence
 * INDEXED BY. */
static int claim_ids(struct sqlstore *s, int64_t now, int64_t lease_until,
		     const char *claim, int max, int64_t *ids, int *n)
{
	static const char sql[] =
		"UPDATE outbox SET lease_until = ?2, claim_token = ?4"
		" WHERE id IN ("
		" SELECT id FROM outbox INDEXED BY outbox_due"
		" WHERE state = 'pending' AND next_attempt_at <= ?1"
		" AND (lease_until IS NULL OR lease_until <= ?1)"
		" ORDER BY next_attempt_at, id LIMIT ?3) RETURNING id";
	struct claimed c = { .ids = ids, .max = max, .n = n };
	sqlite3_stmt *stmt = NULL;
	int err;

	*n = 0;
	err = sqlstore_prepare(s, SQS_OP(outbox_claim), sql, &stmt);
	if (err)
		return err;
	if ((err = sqlstore_bind_int64(stmt, 1, now)) ||
	    (err = sqlstore_bind_int64(stmt, 2, lease_until)) ||
	    (err = sqlstore_bind_int64(stmt, 3, max)) ||
	    (err = sqlstore_bind_text(stmt, 4, claim, strlen(claim) + 1)))
		goto out;
	err = sqlstore_rows(stmt, claim_row, &c);
 out:
	sqlstore_release(s, SQS_OP(outbox_claim), stmt);
	return err;
}

int sqlstore_outbox_claim(void *conn, int64_t now, int64_t lease_until,
			  const char *claim, int max, store_mail_h *h,
			  void *arg)
{
	struct store_mail *m = NULL;
	int64_t ids[CLAIM_MAX];
	int i, n = 0;
	int err;

	if (max < 1 || max > CLAIM_MAX)
		return EINVAL;
	err = claim_ids(conn, now, lease_until, claim, max, ids, &n);
	if (err || !n)
		return err;

	/* RETURNING gives no order: oldest first is what a queue promises. */
	qsort(ids, (size_t)n, sizeof(ids[0]), cmp_id);
	m = malloc(sizeof(*m));
	if (!m)
		return ENOMEM;
	for (i = 0; i < n && !err; i++) {
		err = sqlstore_outbox_get(conn, ids[i], m);
		if (!err)
			err = h(m, arg);
	}
	free(m);
	return err;
}

struct held {
	int64_t id;
	bool found;
};

static int held_row(sqlite3_stmt *stmt, void *arg)
{
	struct held *h = arg;

	if (sqlite3_column_int64(stmt, 0) == h->id)
		h->found = true;
	return 0;
}

int sqlstore_outbox_renew(void *conn, const char *claim, int64_t id,
			  int64_t lease_until)
{
	static const char sql[] =
		"UPDATE outbox SET lease_until = ?2"
		" WHERE claim_token = ?1 AND state = 'pending' RETURNING id";
	struct sqlstore *s = conn;
	struct held h = { .id = id };
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(outbox_renew), sql, &stmt);
	if (err)
		return err;
	if (!(err = sqlstore_bind_text(stmt, 1, claim, strlen(claim) + 1)) &&
	    !(err = sqlstore_bind_int64(stmt, 2, lease_until)))
		err = sqlstore_rows(stmt, held_row, &h);
	sqlstore_release(s, SQS_OP(outbox_renew), stmt);
	if (!err && !h.found)
		err = ESTALE;
	return err;
}

struct mail_scan {
	store_mail_h *h;
	void *arg;
	struct store_mail *m;
};

static int mail_row(sqlite3_stmt *stmt, void *arg)
{
	struct mail_scan *sc = arg;
	int err;

	err = read_mail(stmt, sc->m);
	return err ? err : sc->h(sc->m, sc->arg);
}

int sqlstore_outbox_list(void *conn, int state, int limit, store_mail_h *h,
			 void *arg)
{
	static const char sql_all[] = OUTBOX_COLS
		"ORDER BY id DESC LIMIT ?1";
	static const char sql_state[] = OUTBOX_COLS
		"WHERE state = ?2 ORDER BY id DESC LIMIT ?1";
	enum sqlstore_stmt id = state < 0 ? SQS_OP(outbox_list) :
		SQS_OUTBOX_LIST_STATE;
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	struct mail_scan sc = { .h = h, .arg = arg };
	const char *name = NULL;
	int err;

	if (state >= 0) {
		name = mailstate_name((enum mailstate)state);
		if (!name)
			return EINVAL;
	}
	sc.m = malloc(sizeof(*sc.m));
	if (!sc.m)
		return ENOMEM;
	err = sqlstore_prepare(s, id, state < 0 ? sql_all : sql_state, &stmt);
	if (err)
		goto out;

	err = sqlstore_bind_int64(stmt, 1, limit > 0 ? limit : -1);
	if (!err && name)
		err = sqlstore_bind_text(stmt, 2, name, strlen(name) + 1);
	if (err)
		goto out;

	err = sqlstore_rows(stmt, mail_row, &sc);

 out:
	sqlstore_release(s, id, stmt);
	free(sc.m);
	return err;
}

/* A leased row is due again when its lease runs out, whichever is later. */
int sqlstore_outbox_next_due(void *conn, int64_t *at)
{
	static const char sql[] =
		"SELECT min(max(next_attempt_at, coalesce(lease_until, 0)))"
		" FROM outbox WHERE state = 'pending'";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(outbox_next_due), sql, &stmt);
	if (err)
		return err;

	err = sqlstore_step_row(stmt);
	if (!err && sqlite3_column_type(stmt, 0) == SQLITE_NULL)
		err = ENOENT;
	if (!err)
		*at = sqlite3_column_int64(stmt, 0);

	sqlstore_release(s, SQS_OP(outbox_next_due), stmt);
	return err;
}

int sqlstore_outbox_release_leases(void *conn)
{
	static const char sql[] =
		"UPDATE outbox SET lease_until = NULL, claim_token = NULL"
		" WHERE lease_until IS NOT NULL OR claim_token IS NOT NULL";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(outbox_release_leases), sql, &stmt);
	if (err)
		return err;

	err = sqlstore_err(sqlite3_step(stmt));
	sqlstore_release(s, SQS_OP(outbox_release_leases), stmt);
	return err;
}
