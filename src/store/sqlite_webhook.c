/* sqlite_webhook: the webhook event queue in the SQLite backend, the same
 * claim and settle as sqlite_outbox.c: one UPDATE ... RETURNING leases the
 * due rows under SQLite's single write lock, so two threads never lease
 * the same row; a verdict counts only under the claim token the row still
 * carries. The claimed rows are copied out before the callback runs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_priv.h"

#define CLAIM_MAX 256

#define HOOK_COLS \
	"id, event_id, type, body, created_at, state, attempts," \
	" next_attempt_at, lease_until, claim_token, delivered_at," \
	" last_status, last_error"

static int read_hook(sqlite3_stmt *stmt, struct store_webhook *w)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->id = sqlite3_column_int64(stmt, 0);
	w->created_at = sqlite3_column_int64(stmt, 4);
	w->attempts = sqlite3_column_int(stmt, 6);
	w->next_attempt_at = sqlite3_column_int64(stmt, 7);
	w->lease_until = sqlite3_column_int64(stmt, 8);
	w->delivered_at = sqlite3_column_int64(stmt, 10);
	w->last_status = sqlite3_column_int(stmt, 11);
	if ((err = sqlstore_column_text(stmt, 1, w->event_id,
					sizeof(w->event_id))) ||
	    (err = sqlstore_column_text(stmt, 2, w->type, sizeof(w->type))) ||
	    (err = sqlstore_column_text(stmt, 3, w->body, sizeof(w->body))) ||
	    (err = sqlstore_column_text(stmt, 9, w->claim,
					sizeof(w->claim))) ||
	    (err = sqlstore_column_text(stmt, 12, w->last_error,
					sizeof(w->last_error))))
		return err;
	/* The CHECK allows no other state. */
	return store_webhook_state_parse(
		(const char *)sqlite3_column_text(stmt, 5), &w->state) ?
		EIO : 0;
}

int sqlstore_webhook_insert(void *conn, struct store_webhook *w)
{
	static const char sql[] =
		"INSERT INTO webhook_events (event_id, type, body, created_at,"
		" state, attempts, next_attempt_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	const char *state = store_webhook_state_name(w->state);
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	if (!state)
		return EINVAL;
	err = sqlstore_prepare(s, SQS_OP(webhook_insert), sql, &stmt);
	if (err)
		return err;
	if ((err = sqlstore_bind_text(stmt, 1, w->event_id,
				      sizeof(w->event_id))) ||
	    (err = sqlstore_bind_text(stmt, 2, w->type, sizeof(w->type))) ||
	    (err = sqlstore_bind_text(stmt, 3, w->body, sizeof(w->body))) ||
	    (err = sqlstore_bind_int64(stmt, 4, w->created_at)) ||
	    (err = sqlstore_bind_text(stmt, 5, state, strlen(state) + 1)) ||
	    (err = sqlstore_bind_int64(stmt, 6, w->attempts)) ||
	    (err = sqlstore_bind_opt_int64(stmt, 7, w->next_attempt_at)))
		goto out;
	err = sqlstore_exec_changes(stmt);
	if (!err)
		w->id = sqlite3_last_insert_rowid(s->db);
 out:
	sqlstore_release(s, SQS_OP(webhook_insert), stmt);
	return err;
}

struct claimed {
	struct store_webhook *rows;
	int max, n;
};

static int claim_row(sqlite3_stmt *stmt, void *arg)
{
	struct claimed *c = arg;
	int err;

	if (c->n >= c->max)
		return 0;
	err = read_hook(stmt, &c->rows[c->n]);
	if (!err)
		c->n++;
	return err;
}

static int cmp_row(const void *a, const void *b)
{
	const struct store_webhook *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int sqlstore_webhook_claim(void *conn, int64_t now, int64_t lease_until,
			   const char *claim, int max, store_webhook_h *h,
			   void *arg)
{
	static const char sql[] =
		"UPDATE webhook_events SET lease_until = ?2, claim_token = ?4"
		" WHERE id IN ("
		" SELECT id FROM webhook_events WHERE state = 'pending'"
		" AND next_attempt_at <= ?1"
		" AND (lease_until IS NULL OR lease_until <= ?1)"
		" ORDER BY id LIMIT ?3) RETURNING " HOOK_COLS;
	struct sqlstore *s = conn;
	struct claimed c = { .max = max };
	sqlite3_stmt *stmt = NULL;
	int err, i;

	if (max < 1 || max > CLAIM_MAX)
		return EINVAL;
	c.rows = calloc((size_t)max, sizeof(*c.rows));
	if (!c.rows)
		return ENOMEM;
	err = sqlstore_prepare(s, SQS_OP(webhook_claim), sql, &stmt);
	if (err)
		goto out;
	if (!(err = sqlstore_bind_int64(stmt, 1, now)) &&
	    !(err = sqlstore_bind_int64(stmt, 2, lease_until)) &&
	    !(err = sqlstore_bind_int64(stmt, 3, max)) &&
	    !(err = sqlstore_bind_text(stmt, 4, claim, strlen(claim) + 1)))
		err = sqlstore_rows(stmt, claim_row, &c);
	sqlstore_release(s, SQS_OP(webhook_claim), stmt);
	/* RETURNING gives no order: the oldest first, as queued. */
	if (!err)
		qsort(c.rows, (size_t)c.n, sizeof(*c.rows), cmp_row);
	for (i = 0; !err && i < c.n; i++)
		err = h(&c.rows[i], arg);
 out:
	free(c.rows);
	return err;
}

int sqlstore_webhook_settle(void *conn, const struct store_webhook *w,
			    const char *claim)
{
	static const char sql[] =
		"UPDATE webhook_events SET state = ?2, attempts = ?3,"
		" next_attempt_at = ?4, delivered_at = ?5, last_status = ?6,"
		" last_error = ?7, lease_until = NULL, claim_token = NULL"
		" WHERE id = ?1 AND state = 'pending' AND claim_token = ?8";
	const char *state = store_webhook_state_name(w->state);
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	if (!state)
		return EINVAL;
	err = sqlstore_prepare(s, SQS_OP(webhook_settle), sql, &stmt);
	if (err)
		return err;
	if (!(err = sqlstore_bind_int64(stmt, 1, w->id)) &&
	    !(err = sqlstore_bind_text(stmt, 2, state, strlen(state) + 1)) &&
	    !(err = sqlstore_bind_int64(stmt, 3, w->attempts)) &&
	    !(err = sqlstore_bind_opt_int64(stmt, 4, w->next_attempt_at)) &&
	    !(err = sqlstore_bind_opt_int64(stmt, 5, w->delivered_at)) &&
	    !(err = sqlstore_bind_int64(stmt, 6, w->last_status)) &&
	    !(err = sqlstore_bind_text(stmt, 7, w->last_error,
				       sizeof(w->last_error))) &&
	    !(err = sqlstore_bind_text(stmt, 8, claim, strlen(claim) + 1)))
		err = sqlstore_exec_changes(stmt);
	sqlstore_release(s, SQS_OP(webhook_settle), stmt);
	return err == ENOENT ? ESTALE : err;
}

struct scan {
	store_webhook_h *h;
	void *arg;
	struct store_webhook *w;
};

static int scan_row(sqlite3_stmt *stmt, void *arg)
{
	struct scan *sc = arg;
	int err = read_hook(stmt, sc->w);

	return err ? err : sc->h(sc->w, sc->arg);
}

int sqlstore_webhook_list(void *conn, int state, int limit,
			  store_webhook_h *h, void *arg)
{
	static const char sql[] =
		"SELECT " HOOK_COLS " FROM webhook_events"
		" WHERE ?2 IS NULL OR state = ?2 ORDER BY id DESC LIMIT ?1";
	const char *name = NULL;
	struct sqlstore *s = conn;
	struct scan sc = { .h = h, .arg = arg };
	sqlite3_stmt *stmt = NULL;
	int err;

	if (state >= 0 &&
	    !(name = store_webhook_state_name((enum store_webhook_state)state)))
		return EINVAL;
	sc.w = malloc(sizeof(*sc.w));
	if (!sc.w)
		return ENOMEM;
	err = sqlstore_prepare(s, SQS_OP(webhook_list), sql, &stmt);
	if (err)
		goto out;
	if (!(err = sqlstore_bind_int64(stmt, 1, limit > 0 ? limit : -1)) &&
	    !(err = sqlstore_bind_opt_text(stmt, 2, name)))
		err = sqlstore_rows(stmt, scan_row, &sc);
	sqlstore_release(s, SQS_OP(webhook_list), stmt);
 out:
	free(sc.w);
	return err;
}

/* A leased row is due again when its lease runs out, whichever is later. */
int sqlstore_webhook_next_due(void *conn, int64_t *at)
{
	static const char sql[] =
		"SELECT min(max(next_attempt_at, coalesce(lease_until, 0)))"
		" FROM webhook_events WHERE state = 'pending'";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(webhook_next_due), sql, &stmt);
	if (err)
		return err;
	err = sqlstore_step_row(stmt);
	if (!err && sqlite3_column_type(stmt, 0) == SQLITE_NULL)
		err = ENOENT;
	if (!err)
		*at = sqlite3_column_int64(stmt, 0);
	sqlstore_release(s, SQS_OP(webhook_next_due), stmt);
	return err;
}

int sqlstore_webhook_purge(void *conn, int64_t before, int *n)
{
	static const char sql[] =
		"DELETE FROM webhook_events"
		" WHERE state <> 'pending' AND created_at < ?1";
	const int64_t v[] = { before };
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	*n = 0;
	err = sqlstore_prepare_ints(s, SQS_OP(webhook_purge), sql, v, 1,
				    &stmt);
	if (err)
		return err;
	err = sqlstore_err(sqlite3_step(stmt));
	if (!err)
		*n = sqlite3_changes(s->db);
	sqlstore_release(s, SQS_OP(webhook_purge), stmt);
	return err;
}

int sqlstore_webhook_release_leases(void *conn)
{
	static const char sql[] =
		"UPDATE webhook_events SET lease_until = NULL,"
		" claim_token = NULL"
		" WHERE lease_until IS NOT NULL OR claim_token IS NOT NULL";
	struct sqlstore *s = conn;
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(webhook_release_leases), sql, &stmt);
	if (err)
		return err;
	err = sqlstore_err(sqlite3_step(stmt));
	sqlstore_release(s, SQS_OP(webhook_release_leases), stmt);
	return err;
}
