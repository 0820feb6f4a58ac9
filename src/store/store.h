/* store: the storage interface. One vtable, struct store_backend, with a
 * SQLite and a PostgreSQL implementation, chosen by URL:
 *   "sqlite:"            DATADIR/dialconf.db
 *   "sqlite:/path/x.db"  that file ("sqlite:///path/x.db" too)
 *   "postgres://..."     PostgreSQL (libpq), for several nodes
 * A struct store is one connection; use one per thread. Migrations run in
 * store_open(). Every write happens inside store_begin()/store_commit().
 *
 * The database itself enforces the invariants (SPEC §8): unique email; at
 * most one live personal conference ID per user; live IDs unique across
 * personal and meeting IDs; a revoked ID cannot be inserted again while its
 * quarantine_until lies in the future. A write that breaks one of them
 * returns EEXIST. So does issuing a personal ID to a user not enabled for
 * audio, clearing audio_enabled while the user holds a live personal ID
 * (revoke first, then disable), deleting a user who holds any live ID, and
 * inserting a second default dial-in number of a type (use
 * number_set_default). conference_ids rows are never deleted.
 *
 * Errors: 0, ENOENT (no such row, or a reference to a missing one), EEXIST
 * (constraint), EBUSY (locked after the busy timeout), EAGAIN (the
 * transaction lost a conflict with a concurrent one and was rolled back:
 * run it again; PostgreSQL's serialization failure or deadlock), EINVAL (a
 * value the schema's CHECKs refuse: ID out of range, number not E.164,
 * detail not JSON...), ERANGE (a stored text does not fit the caller's
 * buffer), ENOMEM, EIO (anything else from the engine).
 *
 * Row callbacks may call back into the same store (the running scan keeps
 * its own statement). */
#ifndef DIALCONF_STORE_STORE_H
#define DIALCONF_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guard.h"

#define STORE_EMAIL_SIZE 255
#define STORE_NAME_SIZE 257
#define STORE_NUMBER_SIZE 17
#define STORE_HASH_SIZE 128
#define STORE_TEXT_SIZE 1024

struct store_user {
	int64_t id;
	char email[STORE_EMAIL_SIZE];
	char display_name[STORE_NAME_SIZE];
	bool audio_enabled;
	char toll_number[STORE_NUMBER_SIZE];      /* "" = organization default */
	char toll_free_number[STORE_NUMBER_SIZE]; /* "" = organization default */
	bool pin_set;
	uint32_t conference_id; /* the live personal ID, 0 = none (read only) */
	bool has_meetings; /* organizes a meeting not cancelled (read only) */
	int64_t created_at;
};

enum store_confid_kind { STORE_CONFID_PERSONAL, STORE_CONFID_MEETING };

struct store_confid {
	int64_t row;    /* row id, increasing with each issue */
	uint32_t value;
	enum store_confid_kind kind;
	int64_t user_id;    /* owner (organizer for meeting IDs) */
	int64_t meeting_id; /* 0 for personal IDs */
	int64_t issued_at;
	int64_t revoked_at; /* 0 = live */
	int64_t quarantine_until; /* 0 while live */
};

struct store_number {
	char number[STORE_NUMBER_SIZE]; /* E.164 */
	bool toll_free;
	char country[3];   /* ISO 3166-1 alpha-2 */
	char city[STORE_NAME_SIZE];
	char languages[STORE_NAME_SIZE]; /* comma-separated BCP 47 tags */
	bool is_default;
};

struct store_audit {
	int64_t id;
	int64_t at;
	char actor[STORE_NAME_SIZE];
	char action[64];
	char target[STORE_EMAIL_SIZE];
	char detail[STORE_TEXT_SIZE]; /* JSON object text */
};

struct store_admin {
	int64_t id;
	char username[STORE_NAME_SIZE];
	char password_hash[STORE_HASH_SIZE];
	int failed_logins;    /* wrong passwords since the last success */
	int64_t locked_until; /* no sign-in before then; 0 = not locked */
};

/* An admin center session. The session id (the cookie) is stored only as
 * its digest; csrf is the token the page sends back in X-CSRF-Token.
 * username is read only (joined from admins). Times are unix seconds. */
#define STORE_DIGEST_SIZE 65
#define STORE_CSRF_SIZE 64

struct store_session {
	char digest[STORE_DIGEST_SIZE];
	int64_t admin_id;
	char username[STORE_NAME_SIZE];
	char csrf[STORE_CSRF_SIZE];
	int64_t created_at;
	int64_t last_seen_at;
	int64_t expires_at; /* absolute end */
};

/* An outbox row (SPEC §5): an email waiting, sent or failed. vars is the
 * JSON object text of its template variables; it may hold a PIN until the
 * row is sent, so it is never logged. Times are unix seconds, 0 = none. */
#define STORE_MAIL_KIND_SIZE 32
#define STORE_MAIL_TOKEN_SIZE 33
#define STORE_MAIL_SUBJECT_SIZE 512
#define STORE_MAIL_VARS_SIZE 8192
#define STORE_MAIL_ERROR_SIZE 512

enum store_mail_state {
	STORE_MAIL_PENDING,
	STORE_MAIL_SENT,
	STORE_MAIL_FAILED,
};

struct store_mail {
	int64_t id;
	int64_t created_at;
	char kind[STORE_MAIL_KIND_SIZE];
	char to_addr[STORE_EMAIL_SIZE];
	char to_name[STORE_NAME_SIZE];
	char from_addr[STORE_EMAIL_SIZE];
	char from_name[STORE_NAME_SIZE];
	char subject[STORE_MAIL_SUBJECT_SIZE];
	char token[STORE_MAIL_TOKEN_SIZE]; /* random hex, unique */
	char vars[STORE_MAIL_VARS_SIZE];
	enum store_mail_state state;
	int attempts;
	int64_t next_attempt_at; /* pending rows only */
	int64_t lease_until;     /* claimed by a worker until then */
	int64_t sent_at;
	char last_error[STORE_MAIL_ERROR_SIZE];
};

/* A meeting (issue 4). Times are UTC unix seconds; uid is its iCalendar
 * UID (RFC 5545 §3.8.4.7), fixed for life; sequence its SEQUENCE
 * (RFC 5545 §3.8.7.4). conference_id and confid_live are read only: the
 * meeting's latest ID in conference_ids and whether it is still live.
 * organizer_id is 0 once the organizer is deleted. */
#define STORE_SUBJECT_SIZE 256
#define STORE_UID_SIZE 128

enum store_meeting_state {
	STORE_MEETING_SCHEDULED,
	STORE_MEETING_CANCELLED,
};

struct store_meeting {
	int64_t id;
	int64_t organizer_id;
	char subject[STORE_SUBJECT_SIZE];
	int64_t start_at;
	int64_t end_at;
	char uid[STORE_UID_SIZE];
	int sequence;
	enum store_meeting_state state;
	int64_t created_at;
	uint32_t conference_id; /* read only, 0 = none */
	bool confid_live;       /* read only */
};

/* One abuse-guard counter (core/guard.h) under its key: "src:ADDRESS" for a
 * caller's source, "pin:KIND:ID" for one conference's organizer path. */
#define STORE_GUARD_KEY_SIZE 200

struct store_guard {
	char key[STORE_GUARD_KEY_SIZE];
	struct guard_state state;
	int64_t updated_at; /* unix seconds of the last put, for the purge */
};

/* Row callbacks: return 0 to go on, non-zero to stop (returned as is). */
/* Counts for the operator's gauges (GET /metrics): whole-table counts,
 * read in one statement so the figures agree with each other. */
struct store_stats {
	int64_t users;
	int64_t confids_live;
	int64_t mail_pending;
	int64_t mail_sent;
	int64_t mail_failed;
};

typedef int (store_user_h)(const struct store_user *u, void *arg);
typedef int (store_confid_h)(const struct store_confid *c, void *arg);
typedef int (store_number_h)(const struct store_number *n, void *arg);
typedef int (store_audit_h)(const struct store_audit *a, void *arg);
typedef int (store_setting_h)(const char *name, const char *value, void *arg);
typedef int (store_mail_h)(const struct store_mail *m, void *arg);
typedef int (store_meeting_h)(const struct store_meeting *m, void *arg);
typedef int (store_attendee_h)(const char *email, void *arg);

struct store;

/* The vtable each backend fills in. conn is the backend's own connection. */
struct store_backend {
	const char *name;   /* "sqlite" */
	const char *scheme; /* URL prefix it answers, "sqlite:" */
	int (*open)(void **connp, const char *url, const char *datadir);
	void (*close)(void *conn);
	int (*begin)(void *conn);
	int (*commit)(void *conn);
	int (*rollback)(void *conn);

	int (*user_insert)(void *conn, struct store_user *u);
	int (*user_get)(void *conn, int64_t id, struct store_user *u);
	int (*user_get_by_email)(void *conn, const char *email, struct store_user *u);
	int (*user_update)(void *conn, const struct store_user *u);
	int (*user_delete)(void *conn, int64_t id);
	int (*user_list)(void *conn, const char *search, int64_t after_id,
			 int limit, store_user_h *h, void *arg);
	int (*user_count)(void *conn, int64_t *n);
	int (*pin_set)(void *conn, int64_t user_id, const char *hash);
	int (*pin_get)(void *conn, int64_t user_id, char *hash, size_t size);

	int (*confid_insert)(void *conn, struct store_confid *c);
	int (*confid_revoke)(void *conn, uint32_t value, int64_t at,
			     int64_t quarantine_until);
	int (*confid_lookup)(void *conn, uint32_t value, struct store_confid *c);
	int (*confid_personal)(void *conn, int64_t user_id, struct store_confid *c);
	int (*confid_scan_unavailable)(void *conn, int64_t now, store_confid_h *h,
				       void *arg);
	int (*confid_scan_since)(void *conn, int64_t after_row, store_confid_h *h,
				 void *arg);
	int (*confid_scan_expired)(void *conn, int64_t from, int64_t to,
				   store_confid_h *h, void *arg);
	int (*confid_oldest_quarantined)(void *conn, int64_t now,
					 struct store_confid *c);
	int (*confid_end_quarantine)(void *conn, uint32_t value, int64_t now);

	int (*number_insert)(void *conn, const struct store_number *n);
	int (*number_get)(void *conn, const char *number, struct store_number *n);
	int (*number_delete)(void *conn, const char *number);
	int (*number_set_default)(void *conn, const char *number);
	int (*number_list)(void *conn, store_number_h *h, void *arg);

	int (*setting_get)(void *conn, const char *name, char *value, size_t size);
	int (*setting_set)(void *conn, const char *name, const char *value);
	int (*setting_list)(void *conn, store_setting_h *h, void *arg);

	int (*audit_insert)(void *conn, struct store_audit *a);
	int (*audit_list)(void *conn, int limit, store_audit_h *h, void *arg);

	int (*token_insert)(void *conn, const char *digest, const char *name,
			    int64_t at);
	int (*token_find)(void *conn, const char *digest, char *name, size_t size);

	int (*admin_insert)(void *conn, struct store_admin *a);
	int (*admin_get)(void *conn, const char *username, struct store_admin *a);
	int (*admin_count)(void *conn, int64_t *n);
	int (*admin_update)(void *conn, const struct store_admin *a);

	int (*session_insert)(void *conn, const struct store_session *s);
	int (*session_get)(void *conn, const char *digest,
			   struct store_session *s);
	int (*session_touch)(void *conn, const char *digest, int64_t at);
	int (*session_delete)(void *conn, const char *digest);
	int (*session_delete_admin)(void *conn, int64_t admin_id);
	int (*session_purge)(void *conn, int64_t now, int64_t idle_before);

	int (*outbox_insert)(void *conn, struct store_mail *m);
	int (*outbox_get)(void *conn, int64_t id, struct store_mail *m);
	int (*outbox_update)(void *conn, const struct store_mail *m);
	int (*outbox_claim)(void *conn, int64_t now, int64_t lease_until,
			    int max, store_mail_h *h, void *arg);
	int (*outbox_list)(void *conn, int state, int limit, store_mail_h *h,
			   void *arg);
	int (*outbox_next_due)(void *conn, int64_t *at);
	int (*outbox_release_leases)(void *conn);

	int (*meeting_insert)(void *conn, struct store_meeting *m);
	int (*meeting_get)(void *conn, int64_t id, struct store_meeting *m);
	int (*meeting_update)(void *conn, const struct store_meeting *m);
	int (*meeting_list)(void *conn, int64_t organizer_id, int64_t end_after,
			    int limit, store_meeting_h *h, void *arg);
	int (*meeting_scan_live_ended)(void *conn, int64_t ended_by,
				       store_meeting_h *h, void *arg);
	int (*attendee_add)(void *conn, int64_t meeting_id, const char *email);
	int (*attendee_list)(void *conn, int64_t meeting_id,
			     store_attendee_h *h, void *arg);

	int (*guard_get)(void *conn, const char *key, struct store_guard *g);
	int (*guard_put)(void *conn, const struct store_guard *g);
	int (*guard_purge)(void *conn, int64_t before, int *n);

	int (*stats)(void *conn, struct store_stats *s);
};

/* Open a connection to the database at url (see above), creating it and
 * applying pending migrations. 0, EINVAL (unknown scheme, or "sqlite:"
 * without datadir), the errno of creating datadir, EIO (also: the file
 * has a newer schema than this build knows). */
int store_open(struct store **stp, const char *url, const char *datadir);
void store_close(struct store *st);
const char *store_backend_name(const struct store *st);

/* BEGIN IMMEDIATE (SQLite) / BEGIN (PostgreSQL); commit; rollback. */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);

/* Users. user_insert sets u->id and honours u->created_at. user_update
 * writes display_name, audio_enabled and the two numbers. user_list returns
 * users with id > after_id, by id, whose email or display name contains
 * search (case-insensitive; NULL or "" for all), at most limit of them
 * (limit <= 0: no limit). */
int store_user_insert(struct store *st, struct store_user *u);
int store_user_get(struct store *st, int64_t id, struct store_user *u);
int store_user_get_by_email(struct store *st, const char *email,
			    struct store_user *u);
int store_user_update(struct store *st, const struct store_user *u);
int store_user_delete(struct store *st, int64_t id);
int store_user_list(struct store *st, const char *search, int64_t after_id,
		    int limit, store_user_h *h, void *arg);
int store_user_count(struct store *st, int64_t *n);
/* The user's PIN hash; hash NULL or "" clears it. pin_get: ENOENT when
 * there is no such user or no PIN. */
int store_pin_set(struct store *st, int64_t user_id, const char *hash);
int store_pin_get(struct store *st, int64_t user_id, char *hash, size_t size);

/* Conference IDs. confid_insert issues c->value (live), setting c->row;
 * EEXIST if it is live or quarantined already, or the user has a live
 * personal ID already. confid_revoke revokes the live row of value; ENOENT
 * if there is none, which inside a transaction a backend may report from
 * a later call of that transaction or its commit (PostgreSQL sends the
 * revocation with the next statement), so any error there means roll
 * back.
 * confid_lookup gives the latest row ever issued for value (ENOENT if
 * never). confid_personal gives the user's live personal ID.
 * scan_unavailable: rows live, or revoked with quarantine_until > now.
 * scan_since: rows with row > after_row, by row. scan_expired: revoked rows
 * with from < quarantine_until <= to and no live row of the same value.
 * oldest_quarantined / end_quarantine: reuse under low free space. */
int store_confid_insert(struct store *st, struct store_confid *c);
int store_confid_revoke(struct store *st, uint32_t value, int64_t at,
			int64_t quarantine_until);
int store_confid_lookup(struct store *st, uint32_t value, struct store_confid *c);
int store_confid_personal(struct store *st, int64_t user_id,
			  struct store_confid *c);
int store_confid_scan_unavailable(struct store *st, int64_t now,
				  store_confid_h *h, void *arg);
int store_confid_scan_since(struct store *st, int64_t after_row,
			    store_confid_h *h, void *arg);
int store_confid_scan_expired(struct store *st, int64_t from, int64_t to,
			      store_confid_h *h, void *arg);
int store_confid_oldest_quarantined(struct store *st, int64_t now,
				    struct store_confid *c);
int store_confid_end_quarantine(struct store *st, uint32_t value, int64_t now);

/* Dial-in numbers. number_set_default makes number the default of its type
 * and clears the flag on the others of that type. */
int store_number_insert(struct store *st, const struct store_number *n);
int store_number_get(struct store *st, const char *number, struct store_number *n);
int store_number_delete(struct store *st, const char *number);
int store_number_set_default(struct store *st, const char *number);
int store_number_list(struct store *st, store_number_h *h, void *arg);

/* Settings stored by name in canonical text; ENOENT if never set. */
int store_setting_get(struct store *st, const char *name, char *value, size_t size);
int store_setting_set(struct store *st, const char *name, const char *value);
int store_setting_list(struct store *st, store_setting_h *h, void *arg);

/* Audit log: insert sets a->id (an empty detail is stored as "{}"); list
 * gives the newest first, limit <= 0 for all. The log is append-only. */
int store_audit_insert(struct store *st, struct store_audit *a);
int store_audit_list(struct store *st, int limit, store_audit_h *h, void *arg);

/* API tokens by digest; token_find gives the token's name (the actor). */
int store_token_insert(struct store *st, const char *digest, const char *name,
		       int64_t at);
int store_token_find(struct store *st, const char *digest, char *name, size_t size);

/* Admin accounts (the admin center signs in with these). */
int store_admin_insert(struct store *st, struct store_admin *a);
int store_admin_get(struct store *st, const char *username, struct store_admin *a);
int store_admin_count(struct store *st, int64_t *n);
/* Writes password_hash, failed_logins and locked_until of the admin a->id. */
int store_admin_update(struct store *st, const struct store_admin *a);

/* Admin center sessions, by the digest of their id. get fills username
 * from the admin; touch moves last_seen_at forward (never back: ENOENT
 * when at is older or the session is gone); delete_admin removes every
 * session of one admin; purge removes those past expires_at (<= now) or
 * last seen before idle_before. */
int store_session_insert(struct store *st, const struct store_session *s);
int store_session_get(struct store *st, const char *digest,
		      struct store_session *s);
int store_session_touch(struct store *st, const char *digest, int64_t at);
int store_session_delete(struct store *st, const char *digest);
int store_session_delete_admin(struct store *st, int64_t admin_id);
int store_session_purge(struct store *st, int64_t now, int64_t idle_before);

/* Outbox (SPEC §5). insert sets m->id (the row starts as given: normally
 * pending, due at m->next_attempt_at); EEXIST for a token in use.
 * update writes everything but id, created_at, kind, the addresses and
 * token. claim leases up to max (1-256) pending rows that are due
 * (next_attempt_at <= now) and not leased (lease_until NULL or <= now) until
 * lease_until, in one statement, then calls h for each claimed row: a
 * second worker running the same claim gets other rows or none. list gives
 * rows in state (an enum store_mail_state, or -1 for all), newest first, at
 * most limit (<= 0: all). next_due: the earliest time a pending row can be
 * claimed (ENOENT when there is none). release_leases clears every lease:
 * for a single node at start-up, when no other worker can hold one. */
int store_outbox_insert(struct store *st, struct store_mail *m);
int store_outbox_get(struct store *st, int64_t id, struct store_mail *m);
int store_outbox_update(struct store *st, const struct store_mail *m);
int store_outbox_claim(struct store *st, int64_t now, int64_t lease_until,
		       int max, store_mail_h *h, void *arg);
int store_outbox_list(struct store *st, int state, int limit,
		      store_mail_h *h, void *arg);
int store_outbox_next_due(struct store *st, int64_t *at);
int store_outbox_release_leases(struct store *st);

/* Meetings (issue 4). insert sets m->id (state, sequence and created_at as
 * given); EEXIST for a uid in use. update writes sequence and state only:
 * the rest of a meeting is fixed once scheduled. list gives the meetings of
 * organizer_id (0: everyone's) whose end_at > end_after, by start_at then
 * id, at most limit (<= 0: all). scan_live_ended: meetings whose ID is
 * still live and whose end_at <= ended_by (end of life, SPEC §2). Attendees
 * are unique per meeting whatever their case: add ignores a repeat. */
int store_meeting_insert(struct store *st, struct store_meeting *m);
int store_meeting_get(struct store *st, int64_t id, struct store_meeting *m);
int store_meeting_update(struct store *st, const struct store_meeting *m);
int store_meeting_list(struct store *st, int64_t organizer_id,
		       int64_t end_after, int limit, store_meeting_h *h,
		       void *arg);
int store_meeting_scan_live_ended(struct store *st, int64_t ended_by,
				  store_meeting_h *h, void *arg);
int store_attendee_add(struct store *st, int64_t meeting_id,
		       const char *email);
int store_attendee_list(struct store *st, int64_t meeting_id,
			store_attendee_h *h, void *arg);

/* The abuse guard's counters, shared by every node (SPEC §6); a use case
 * runs get, guard_fail() and put in one transaction. A key is 1 to
 * STORE_GUARD_KEY_SIZE - 1 bytes, else EINVAL.
 * guard_get reads the counter of key; ENOENT when it has none. Inside a
 * transaction on PostgreSQL it locks the row (SELECT ... FOR UPDATE, and a
 * lock on the key for a row not there yet) so that two nodes counting the
 * same key at once do not lose a failure. */
int store_guard_get(struct store *st, const char *key, struct store_guard *g);
/* Insert or replace g (upsert on key). Inside a transaction. */
int store_guard_put(struct store *st, const struct store_guard *g);
/* Delete the counters not updated since before (updated_at < before) and
 * not blocked after it (blocked_until <= before); *n (may be NULL) counts
 * them. A purged key starts again with no offences, so before should lie
 * further back than the guard remembers them (core/guard.h). */
int store_guard_purge(struct store *st, int64_t before, int *n);

/* Users, live conference IDs and outbox rows by state (store_stats). */
int store_stats(struct store *st, struct store_stats *s);

#endif
