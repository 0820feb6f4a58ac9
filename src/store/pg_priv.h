/* pg_priv: shared by the files of the PostgreSQL backend (pg*.c). Prefix
 * pgstore_. The public face is store_pg_backend (store_priv.h).
 *
 * One struct pgstore per connection (one per thread, as for SQLite). Each
 * statement is prepared once per connection, on first use, under a name
 * derived from its enum pgstore_stmt, then run with PQexecPrepared. Results
 * are read whole before any row callback runs, so a callback may call back
 * into the store on the same connection.
 *
 * In PostgreSQL a failed statement aborts the whole transaction, where in
 * SQLite only the statement is undone. One use case relies on the latter:
 * the issue loop (src/app/issue.c) tries another value after a refused
 * conference ID insert. So the schema does not raise an error there: the
 * insert trigger skips the row (pg_schema.c, migration 5), and the insert
 * without a row back reads as EEXIST. Every other refusal ends the use
 * case, whose transaction is rolled back anyway. (A savepoint around the
 * insert did the same for two more statements and a subtransaction.)
 *
 * Round trips are what a transaction here mostly costs, so: BEGIN goes out
 * with the transaction's first statement, statements that belong together
 * (lock, then read a user) go as one pipeline (pgstore_pipeline, libpq's
 * pipeline mode), and the audit record, a use case's last write, goes with
 * the COMMIT (pgstore_defer). */
#ifndef DIALCONF_STORE_PG_PRIV_H
#define DIALCONF_STORE_PG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store/store.h"

/* First key of the advisory lock every conference ID insert takes on its
 * value, the second key (pg_schema.c, migration 5). Part of a released
 * migration: never changed. */
#define PGSTORE_CONFID_LOCK_KEY "1684627820"

/* First key of the advisory lock store_guard_get takes on a key inside a
 * transaction ("guar"; the second key is the hash of the guard key,
 * pg_guard.c). Nodes of one database must agree on it: never changed. */
#define PGSTORE_GUARD_LOCK_KEY "1735745906"

enum pgstore_stmt {
	PGS_USER_INSERT,
	PGS_USER_GET,
	PGS_USER_GET_BY_EMAIL,
	PGS_USER_LOCK,
	PGS_USER_LOCK_BY_EMAIL,
	PGS_USER_UPDATE,
	PGS_USER_DELETE,
	PGS_USER_LIST,
	PGS_USER_SEARCH,
	PGS_USER_COUNT,
	PGS_PIN_SET,
	PGS_PIN_GET,
	PGS_CONFID_INSERT,
	PGS_CONFID_REVOKE,
	PGS_CONFID_LOOKUP,
	PGS_CONFID_PERSONAL,
	PGS_CONFID_UNAVAILABLE,
	PGS_CONFID_SINCE,
	PGS_CONFID_EXPIRED,
	PGS_CONFID_OLDEST,
	PGS_CONFID_END_QUARANTINE,
	PGS_NUMBER_INSERT,
	PGS_NUMBER_GET,
	PGS_NUMBER_DELETE,
	PGS_NUMBER_CLEAR_DEFAULT,
	PGS_NUMBER_SET_DEFAULT,
	PGS_NUMBER_LIST,
	PGS_SETTING_GET,
	PGS_SETTING_SET,
	PGS_SETTING_LIST,
	PGS_AUDIT_INSERT,
	PGS_AUDIT_LIST,
	PGS_TOKEN_INSERT,
	PGS_TOKEN_FIND,
	PGS_ADMIN_INSERT,
	PGS_ADMIN_GET,
	PGS_ADMIN_COUNT,
	PGS_ADMIN_UPDATE,
	PGS_SESSION_INSERT,
	PGS_SESSION_GET,
	PGS_SESSION_TOUCH,
	PGS_SESSION_DELETE,
	PGS_SESSION_DELETE_ADMIN,
	PGS_SESSION_PURGE,
	PGS_OUTBOX_INSERT,
	PGS_OUTBOX_GET,
	PGS_OUTBOX_UPDATE,
	PGS_OUTBOX_CLAIM,
	PGS_OUTBOX_LIST,
	PGS_OUTBOX_LIST_STATE,
	PGS_OUTBOX_NEXT_DUE,
	PGS_OUTBOX_RELEASE,
	PGS_MEETING_INSERT,
	PGS_MEETING_GET,
	PGS_MEETING_UPDATE,
	PGS_MEETING_LIST,
	PGS_MEETING_LIST_ORGANIZER,
	PGS_MEETING_LIVE_ENDED,
	PGS_ATTENDEE_ADD,
	PGS_ATTENDEE_LIST,
	PGS_GUARD_LOCK,
	PGS_GUARD_GET,
	PGS_GUARD_GET_LOCKED,
	PGS_GUARD_PUT,
	PGS_GUARD_PURGE,
	PGS_STATS,
	PGS_COUNT_ /* keep last */
};

/* The parameters of one statement as text (NULL = SQL NULL). A helper that
 * fails records the first error in err; pgstore_run refuses to run then. */
#define PGSTORE_MAX_PARAMS 16
#define PGSTORE_NUM_SIZE 24

struct pgparams {
	const char *v[PGSTORE_MAX_PARAMS];
	char num[PGSTORE_MAX_PARAMS][PGSTORE_NUM_SIZE];
	int n;
	int err;
};

struct pgstore {
	PGconn *conn;
	bool prepared[PGS_COUNT_];
	/* Sent with the next statement or COMMIT (pg.c): BEGIN, and one
	 * deferred write with a copy of its parameters (pgstore_defer). */
	bool begin_pending;
	bool deferred;
	bool deferred_needs_row; /* changing no row is ENOENT */
	enum pgstore_stmt deferred_id;
	struct pgparams deferred_pp;
	char deferred_buf[4096];
};

/* One migration step (pg_schema.c), as in sqlite_priv.h. */
struct pgstore_migration {
	int version;
	const char *sql;
};

extern const struct pgstore_migration pgstore_migrations[];
extern const size_t pgstore_migration_count;

void pgp_int(struct pgparams *pp, int64_t v);
void pgp_opt_int(struct pgparams *pp, int64_t v); /* 0 -> NULL */
void pgp_bool(struct pgparams *pp, bool v);
void pgp_text(struct pgparams *pp, const char *text, size_t size);
void pgp_opt_text(struct pgparams *pp, const char *text); /* "" -> NULL */

/* pg.c: errors, statements, small helpers. */
int pgstore_err(const PGresult *res);
bool pgstore_in_tx(const struct pgstore *p);
/* Run statement id (prepared from sql on first use). A refusal leaves the
 * transaction failed and the caller must roll back. 0 and *resp (PQclear
 * it; resp may be NULL), or the error mapped from the SQLSTATE. */
int pgstore_run(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		const struct pgparams *pp, PGresult **resp);
/* Several statements in one round trip, run in order, each seeing what
 * the ones before it did (in READ COMMITTED each takes its own snapshot
 * after the previous one finished, lock waits included). results[i] gets
 * each one's result (PQclear them); on error none is kept and the error of
 * the first that failed is returned. For use inside a transaction. */
#define PGSTORE_MAX_STEPS 4
struct pgstore_step {
	enum pgstore_stmt id;
	const char *sql;
	const struct pgparams *pp;
};
int pgstore_pipeline(struct pgstore *p, const struct pgstore_step *steps,
		     int n, PGresult **results);
/* A write whose result nobody reads and whose refusal fails the use case
 * anyway (the audit record): inside a transaction it is not sent now but
 * with the transaction's next statement or its COMMIT, saving a round
 * trip; an error it meets is returned there. Outside one it runs now. */
int pgstore_defer(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		  const struct pgparams *pp);
/* pgstore_defer for a write that must change a row: ENOENT (there, or now
 * outside a transaction) when it changed none. Since statements sent with
 * it have run by then, the caller must roll back on that error, as on any
 * other; so a COMMIT never goes out in the same round trip as it. */
int pgstore_defer_changes(struct pgstore *p, enum pgstore_stmt id,
			  const char *sql, const struct pgparams *pp);
/* A write: 0 if it changed a row, ENOENT if it matched none. */
int pgstore_changes(struct pgstore *p, enum pgstore_stmt id,
		    const char *sql, const struct pgparams *pp);
/* A read of one row: 0 and *resp, ENOENT when there is no row. */
int pgstore_one(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		const struct pgparams *pp, PGresult **resp);
int pgstore_count(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		  int64_t *n);
/* Make several statements all-or-nothing: a savepoint inside a
 * transaction, else a transaction of their own. */
int pgstore_atomic_begin(struct pgstore *p, bool *own_tx);
int pgstore_atomic_end(struct pgstore *p, bool own_tx, int err);

/* Reading a result: NULL reads as 0 / false / "". */
int64_t pgstore_int(const PGresult *res, int row, int col);
bool pgstore_bool(const PGresult *res, int row, int col);
bool pgstore_null(const PGresult *res, int row, int col);
int pgstore_text(const PGresult *res, int row, int col, char *buf,
		 size_t size);

/* pg_users.c */
int pgstore_user_insert(void *conn, struct store_user *u);
int pgstore_user_get(void *conn, int64_t id, struct store_user *u);
int pgstore_user_get_by_email(void *conn, const char *email,
			      struct store_user *u);
int pgstore_user_update(void *conn, const struct store_user *u);
int pgstore_user_delete(void *conn, int64_t id);
int pgstore_user_list(void *conn, const char *search, int64_t after_id,
		      int limit, store_user_h *h, void *arg);
int pgstore_user_count(void *conn, int64_t *n);
int pgstore_pin_set(void *conn, int64_t user_id, const char *hash);
int pgstore_pin_get(void *conn, int64_t user_id, char *hash, size_t size);

/* pg_confid.c */
int pgstore_confid_insert(void *conn, struct store_confid *c);
int pgstore_confid_revoke(void *conn, uint32_t value, int64_t at,
			  int64_t quarantine_until);
int pgstore_confid_lookup(void *conn, uint32_t value, struct store_confid *c);
int pgstore_confid_personal(void *conn, int64_t user_id,
			    struct store_confid *c);
int pgstore_confid_scan_unavailable(void *conn, int64_t now,
				    store_confid_h *h, void *arg);
int pgstore_confid_scan_since(void *conn, int64_t after_row,
			      store_confid_h *h, void *arg);
int pgstore_confid_scan_expired(void *conn, int64_t from, int64_t to,
				store_confid_h *h, void *arg);
int pgstore_confid_oldest_quarantined(void *conn, int64_t now,
				      struct store_confid *c);
int pgstore_confid_end_quarantine(void *conn, uint32_t value, int64_t now);

/* pg_org.c: numbers, settings, audit, tokens, admins. */
int pgstore_number_insert(void *conn, const struct store_number *n);
int pgstore_number_get(void *conn, const char *number,
		       struct store_number *n);
int pgstore_number_delete(void *conn, const char *number);
int pgstore_number_set_default(void *conn, const char *number);
int pgstore_number_list(void *conn, store_number_h *h, void *arg);
int pgstore_setting_get(void *conn, const char *name, char *value,
			size_t size);
int pgstore_setting_set(void *conn, const char *name, const char *value);
int pgstore_setting_list(void *conn, store_setting_h *h, void *arg);
int pgstore_audit_insert(void *conn, struct store_audit *a);
int pgstore_audit_list(void *conn, int limit, store_audit_h *h, void *arg);
int pgstore_token_insert(void *conn, const char *digest, const char *name,
			 int64_t at);
int pgstore_token_find(void *conn, const char *digest, char *name,
		       size_t size);
int pgstore_admin_insert(void *conn, struct store_admin *a);
int pgstore_admin_get(void *conn, const char *username,
		      struct store_admin *a);
int pgstore_admin_count(void *conn, int64_t *n);

/* pg_session.c */
int pgstore_admin_update(void *conn, const struct store_admin *a);
int pgstore_session_insert(void *conn, const struct store_session *s);
int pgstore_session_get(void *conn, const char *digest,
			struct store_session *s);
int pgstore_session_touch(void *conn, const char *digest, int64_t at);
int pgstore_session_delete(void *conn, const char *digest);
int pgstore_session_delete_admin(void *conn, int64_t admin_id);
int pgstore_session_purge(void *conn, int64_t now, int64_t idle_before);

/* pg_outbox.c */
int pgstore_outbox_insert(void *conn, struct store_mail *m);
int pgstore_outbox_get(void *conn, int64_t id, struct store_mail *m);
int pgstore_outbox_update(void *conn, const struct store_mail *m);
int pgstore_outbox_claim(void *conn, int64_t now, int64_t lease_until,
			 int max, store_mail_h *h, void *arg);
int pgstore_outbox_list(void *conn, int state, int limit, store_mail_h *h,
			void *arg);
int pgstore_outbox_next_due(void *conn, int64_t *at);
int pgstore_outbox_release_leases(void *conn);

/* pg_meeting.c */
int pgstore_meeting_insert(void *conn, struct store_meeting *m);
int pgstore_meeting_get(void *conn, int64_t id, struct store_meeting *m);
int pgstore_meeting_update(void *conn, const struct store_meeting *m);
int pgstore_meeting_list(void *conn, int64_t organizer_id, int64_t end_after,
			 int limit, store_meeting_h *h, void *arg);
int pgstore_meeting_scan_live_ended(void *conn, int64_t ended_by,
				    store_meeting_h *h, void *arg);
int pgstore_attendee_add(void *conn, int64_t meeting_id, const char *email);
int pgstore_attendee_list(void *conn, int64_t meeting_id,
			  store_attendee_h *h, void *arg);

/* pg_guard.c: the abuse guard's counters. */
int pgstore_guard_get(void *conn, const char *key, struct store_guard *g);
int pgstore_guard_put(void *conn, const struct store_guard *g);
int pgstore_guard_purge(void *conn, int64_t before, int *n);

/* pg_stats.c */
int pgstore_stats(void *conn, struct store_stats *st);

#endif
