/* sqlite_priv: shared by the files of the SQLite backend (sqlite*.c).
 * Prefix sqlstore_. The public face is store_sqlite_backend (store_priv.h).
 *
 * A connection keeps its prepared statements in a cache indexed by enum
 * sqlstore_stmt, prepared on first use with SQLITE_PREPARE_PERSISTENT so
 * the hot paths (lookup of a dialled ID, user paging) never parse SQL again.
 * A cached statement that is already running (a row callback calling back
 * into the store) is not reused: a one-off statement is prepared instead. */
#ifndef DIALCONF_STORE_SQLITE_PRIV_H
#define DIALCONF_STORE_SQLITE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"

enum sqlstore_stmt {
	SQS_USER_INSERT,
	SQS_USER_GET,
	SQS_USER_GET_BY_EMAIL,
	SQS_USER_UPDATE,
	SQS_USER_DELETE,
	SQS_USER_LIST,
	SQS_USER_SEARCH,
	SQS_USER_COUNT,
	SQS_PIN_SET,
	SQS_PIN_GET,
	SQS_CONFID_INSERT,
	SQS_CONFID_REVOKE,
	SQS_CONFID_LOOKUP,
	SQS_CONFID_PERSONAL,
	SQS_CONFID_UNAVAILABLE,
	SQS_CONFID_SINCE,
	SQS_CONFID_EXPIRED,
	SQS_CONFID_OLDEST,
	SQS_CONFID_END_QUARANTINE,
	SQS_NUMBER_INSERT,
	SQS_NUMBER_GET,
	SQS_NUMBER_DELETE,
	SQS_NUMBER_CLEAR_DEFAULT,
	SQS_NUMBER_SET_DEFAULT,
	SQS_NUMBER_LIST,
	SQS_SETTING_GET,
	SQS_SETTING_SET,
	SQS_SETTING_LIST,
	SQS_AUDIT_INSERT,
	SQS_AUDIT_LIST,
	SQS_TOKEN_INSERT,
	SQS_TOKEN_FIND,
	SQS_ADMIN_INSERT,
	SQS_ADMIN_GET,
	SQS_ADMIN_COUNT,
	SQS_ADMIN_UPDATE,
	SQS_SESSION_INSERT,
	SQS_SESSION_GET,
	SQS_SESSION_TOUCH,
	SQS_SESSION_DELETE,
	SQS_SESSION_DELETE_ADMIN,
	SQS_SESSION_PURGE,
	SQS_OUTBOX_INSERT,
	SQS_OUTBOX_GET,
	SQS_OUTBOX_UPDATE,
	SQS_OUTBOX_CLAIM,
	SQS_OUTBOX_LIST,
	SQS_OUTBOX_LIST_STATE,
	SQS_OUTBOX_NEXT_DUE,
	SQS_OUTBOX_RELEASE,
	SQS_MEETING_INSERT,
	SQS_MEETING_GET,
	SQS_MEETING_UPDATE,
	SQS_MEETING_LIST,
	SQS_MEETING_LIVE_ENDED,
	SQS_ATTENDEE_ADD,
	SQS_ATTENDEE_LIST,
	SQS_GUARD_GET,
	SQS_GUARD_PUT,
	SQS_GUARD_PURGE,
	SQS_STATS,
	SQS_BEGIN,
	SQS_COMMIT,
	SQS_ROLLBACK,
	SQS_SAVEPOINT,
	SQS_RELEASE,
	SQS_ROLLBACK_TO,
	SQS_COUNT_ /* keep last */
};

struct sqlstore_cached {
	sqlite3_stmt *stmt;
	bool running; /* handed out and not yet given back */
};

struct sqlstore {
	sqlite3 *db;
	struct sqlstore_cached cache[SQS_COUNT_];
};

/* One migration step: its version and the SQL that brings the schema
 * from version - 1 to version (sqlite_schema.c). */
struct sqlstore_migration {
	int version;
	const char *sql;
};

extern const struct sqlstore_migration sqlstore_migrations[];
extern const size_t sqlstore_migration_count;

/* sqlite.c: errors, statements, small helpers. */
int sqlstore_err(int rc);
int sqlstore_prepare(struct sqlstore *s, enum sqlstore_stmt id,
		     const char *sql, sqlite3_stmt **stmtp);
void sqlstore_release(struct sqlstore *s, enum sqlstore_stmt id,
		      sqlite3_stmt *stmt);
int sqlstore_exec_changes(sqlite3_stmt *stmt);
int sqlstore_step_row(sqlite3_stmt *stmt);
int sqlstore_bind_text(sqlite3_stmt *stmt, int i, const char *text,
		       size_t size);
int sqlstore_bind_int64(sqlite3_stmt *stmt, int i, int64_t v);
int sqlstore_bind_opt_text(sqlite3_stmt *stmt, int i, const char *text);
int sqlstore_bind_opt_int64(sqlite3_stmt *stmt, int i, int64_t v);
int sqlstore_column_text(sqlite3_stmt *stmt, int col, char *buf,
			 size_t size);
int sqlstore_savepoint(struct sqlstore *s);
int sqlstore_savepoint_end(struct sqlstore *s, int err);
int sqlstore_count(struct sqlstore *s, enum sqlstore_stmt id,
		   const char *sql, int64_t *n);

/* Reads the current row of stmt: into the object arg (a read_* function),
 * or on to a caller's handler. Non-zero stops a scan. */
typedef int (sqlstore_row_h)(sqlite3_stmt *stmt, void *arg);

int sqlstore_prepare_ints(struct sqlstore *s, enum sqlstore_stmt id,
			  const char *sql, const int64_t *v, int n,
			  sqlite3_stmt **stmtp);
int sqlstore_rows(sqlite3_stmt *stmt, sqlstore_row_h *row, void *arg);
int sqlstore_row(sqlite3_stmt *stmt, sqlstore_row_h *row, void *arg);
int sqlstore_select(struct sqlstore *s, enum sqlstore_stmt id,
		    const char *sql, const int64_t *v, int n,
		    sqlstore_row_h *row, void *arg);
int sqlstore_exec_ints(struct sqlstore *s, enum sqlstore_stmt id,
		       const char *sql, const int64_t *v, int n);
int sqlstore_select_one(struct sqlstore *s, enum sqlstore_stmt id,
			const char *sql, const int64_t *v, int n,
			sqlstore_row_h *row, void *arg);

/* sqlite_users.c */
int sqlstore_user_insert(void *conn, struct store_user *u);
int sqlstore_user_get(void *conn, int64_t id, struct store_user *u);
int sqlstore_user_get_by_email(void *conn, const char *email,
			       struct store_user *u);
int sqlstore_user_update(void *conn, const struct store_user *u);
int sqlstore_user_delete(void *conn, int64_t id);
int sqlstore_user_list(void *conn, const char *search, int64_t after_id,
		       int limit, store_user_h *h, void *arg);
int sqlstore_user_count(void *conn, int64_t *n);
int sqlstore_pin_set(void *conn, int64_t user_id, const char *hash);
int sqlstore_pin_get(void *conn, int64_t user_id, char *hash, size_t size);

/* sqlite_confid.c */
int sqlstore_confid_insert(void *conn, struct store_confid *c);
int sqlstore_confid_revoke(void *conn, uint32_t value, int64_t at,
			   int64_t quarantine_until);
int sqlstore_confid_lookup(void *conn, uint32_t value, struct store_confid *c);
int sqlstore_confid_personal(void *conn, int64_t user_id,
			     struct store_confid *c);
int sqlstore_confid_scan_unavailable(void *conn, int64_t now,
				     store_confid_h *h, void *arg);
int sqlstore_confid_scan_since(void *conn, int64_t after_row,
			       store_confid_h *h, void *arg);
int sqlstore_confid_scan_expired(void *conn, int64_t from, int64_t to,
				 store_confid_h *h, void *arg);
int sqlstore_confid_oldest_quarantined(void *conn, int64_t now,
				       struct store_confid *c);
int sqlstore_confid_end_quarantine(void *conn, uint32_t value, int64_t now);

/* sqlite_org.c: numbers, settings, audit, tokens, admins. */
int sqlstore_number_insert(void *conn, const struct store_number *n);
int sqlstore_number_get(void *conn, const char *number,
			struct store_number *n);
int sqlstore_number_delete(void *conn, const char *number);
int sqlstore_number_set_default(void *conn, const char *number);
int sqlstore_number_list(void *conn, store_number_h *h, void *arg);
int sqlstore_setting_get(void *conn, const char *name, char *value,
			 size_t size);
int sqlstore_setting_set(void *conn, const char *name, const char *value);
int sqlstore_setting_list(void *conn, store_setting_h *h, void *arg);
int sqlstore_audit_insert(void *conn, struct store_audit *a);
int sqlstore_audit_list(void *conn, int limit, store_audit_h *h, void *arg);
int sqlstore_token_insert(void *conn, const char *digest, const char *name,
			  int64_t at);
int sqlstore_token_find(void *conn, const char *digest, char *name,
			size_t size);
int sqlstore_admin_insert(void *conn, struct store_admin *a);
int sqlstore_admin_get(void *conn, const char *username,
		       struct store_admin *a);
int sqlstore_admin_count(void *conn, int64_t *n);

/* sqlite_session.c: admin center sessions, admin sign-in bookkeeping. */
int sqlstore_admin_update(void *conn, const struct store_admin *a);
int sqlstore_session_insert(void *conn, const struct store_session *s);
int sqlstore_session_get(void *conn, const char *digest,
			 struct store_session *s);
int sqlstore_session_touch(void *conn, const char *digest, int64_t at);
int sqlstore_session_delete(void *conn, const char *digest);
int sqlstore_session_delete_admin(void *conn, int64_t admin_id);
int sqlstore_session_purge(void *conn, int64_t now, int64_t idle_before);

/* sqlite_outbox.c */
int sqlstore_outbox_insert(void *conn, struct store_mail *m);
int sqlstore_outbox_get(void *conn, int64_t id, struct store_mail *m);
int sqlstore_outbox_update(void *conn, const struct store_mail *m);
int sqlstore_outbox_claim(void *conn, int64_t now, int64_t lease_until,
			  int max, store_mail_h *h, void *arg);
int sqlstore_outbox_list(void *conn, int state, int limit, store_mail_h *h,
			 void *arg);
int sqlstore_outbox_next_due(void *conn, int64_t *at);
int sqlstore_outbox_release_leases(void *conn);

/* sqlite_meeting.c */
int sqlstore_meeting_insert(void *conn, struct store_meeting *m);
int sqlstore_meeting_get(void *conn, int64_t id, struct store_meeting *m);
int sqlstore_meeting_update(void *conn, const struct store_meeting *m);
int sqlstore_meeting_list(void *conn, int64_t organizer_id, int64_t end_after,
			  int limit, store_meeting_h *h, void *arg);
int sqlstore_meeting_scan_live_ended(void *conn, int64_t ended_by,
				     store_meeting_h *h, void *arg);
int sqlstore_attendee_add(void *conn, int64_t meeting_id, const char *email);
int sqlstore_attendee_list(void *conn, int64_t meeting_id,
			   store_attendee_h *h, void *arg);

/* sqlite_guard.c: the abuse guard's counters. */
int sqlstore_guard_get(void *conn, const char *key, struct store_guard *g);
int sqlstore_guard_put(void *conn, const struct store_guard *g);
int sqlstore_guard_purge(void *conn, int64_t before, int *n);

/* sqlite_stats.c */
int sqlstore_stats(void *conn, struct store_stats *st);

#endif
