/* store: the storage interface. One vtable, struct store_backend, with a
 * SQLite and a PostgreSQL implementation, chosen by URL:
 *   "sqlite:"            DATADIR/dialconf.db
 *   "sqlite:/path/x.db"  that file ("sqlite:///path/x.db" too)
 *   "postgres://..."     PostgreSQL (libpq), for several nodes
 * A struct store is one connection; use one per thread. Migrations run in
 * store_open(). Every write happens inside store_begin()/store_commit().
 * The operations, store_NAME(), are listed once, with what each does, in
 * store_ops.h.
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
 * buffer), ENOMEM, ENOTCONN (the connection to the database server is
 * gone, or cannot be opened again: the database restarts or is down; the
 * next call tries to open it again), EIO (anything else from the engine).
 *
 * Row callbacks may call back into the same store (the running scan keeps
 * its own statement). */
#ifndef DIALCONF_STORE_STORE_H
#define DIALCONF_STORE_STORE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/guard.h"
#include "core/mailstate.h"
#include "store/store_ops.h"

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

/* store_stamp: the database's state as far as commits go (opaque). */
#define STORE_STAMP_SIZE 48
struct store_stamp {
	unsigned char v[STORE_STAMP_SIZE];
};

/* An API token, stored as the digest of its secret. expires_at 0: never;
 * last_used_at 0: never used (written at most once a minute, app/). */
struct store_token {
	int64_t id;
	char digest[STORE_DIGEST_SIZE];
	char name[STORE_NAME_SIZE];
	int64_t created_at;
	int64_t expires_at;
	int64_t last_used_at;
};

/* An outbox row (SPEC §5): an email waiting, sent or failed. vars is the
 * JSON object text of its template variables; it may hold a PIN until the
 * row is sent, so it is never logged. Times are unix seconds, 0 = none. */
#define STORE_MAIL_KIND_SIZE 32
#define STORE_MAIL_TOKEN_SIZE 33
#define STORE_MAIL_SUBJECT_SIZE 512
#define STORE_MAIL_VARS_SIZE 8192
#define STORE_MAIL_ERROR_SIZE 512
#define STORE_MAIL_CLAIM_SIZE 33 /* a claim token: 32 hex digits */

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
	enum mailstate state;
	int attempts;
	int64_t next_attempt_at; /* pending rows only */
	int64_t lease_until;     /* claimed by a worker until then */
	char claim[STORE_MAIL_CLAIM_SIZE]; /* the claim holding the lease */
	int64_t sent_at;
	char last_error[STORE_MAIL_ERROR_SIZE];
};

/* A meeting. Times are UTC unix seconds; uid is its iCalendar
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

/* Counts for the operator's gauges (GET /metrics): whole-table counts,
 * read in one statement so the figures agree with each other. */
struct store_stats {
	int64_t users;
	int64_t confids_live;
	int64_t mail[MAILSTATE_COUNT]; /* outbox rows by enum mailstate */
};

/* Usage reports over call_records (the **records** table, migration 11):
 * how store_usage_report groups calls. key of a row: the UTC day as the
 * number of days since 1970-01-01 in decimal ("20424"), the dialed E.164
 * number, the user's id in decimal, the conference ID, or "" (no user, no
 * conference, or TOTAL). */
enum store_usage_group {
	STORE_USAGE_DAY,
	STORE_USAGE_NUMBER,
	STORE_USAGE_USER,
	STORE_USAGE_CONFERENCE,
	STORE_USAGE_TOTAL,
	STORE_USAGE_COUNT_ /* keep last */
};

struct store_usage_row {
	char key[STORE_NAME_SIZE];
	int64_t conference_seconds;
	int64_t calls;
	int64_t callers;  /* distinct caller_key */
	int64_t peak;     /* most calls in progress at once */
	/* USER: the user's (or "" when gone); NUMBER: the number's. */
	char email[STORE_EMAIL_SIZE];
	char display_name[STORE_NAME_SIZE];
	char city[STORE_NAME_SIZE];
	char country[3];
};

/* A Jitsi Meet room mapped to a conference ID (SPEC §7, app/jitsi.c).
 * conference is "room@muc.domain" as Jitsi names it, lowercased; the ID is
 * a conference_ids row (kind meeting, no meeting, no user) that this row
 * points to, so it shares the namespace, the rules and the quarantine of
 * every conference ID. value is read only: the ID of confid_row. */
#define STORE_JITSI_ROOM_SIZE 256

struct store_jitsi_room {
	char conference[STORE_JITSI_ROOM_SIZE];
	int64_t confid_row;
	uint32_t value;        /* read only */
	int64_t created_at;
	int64_t last_used_at;  /* the last mapper request or forwarded call */
};

/* A webhook event (app/webhook.c): its JSON body as delivered, fixed when
 * queued (no PIN, no full caller number), and its delivery state. Times
 * are unix seconds, 0 = none. */
#define STORE_WEBHOOK_ID_SIZE 33    /* 32 hex digits */
#define STORE_WEBHOOK_TYPE_SIZE 32
#define STORE_WEBHOOK_BODY_SIZE 4096
#define STORE_WEBHOOK_ERROR_SIZE 256

enum store_webhook_state {
	STORE_WEBHOOK_PENDING,
	STORE_WEBHOOK_DELIVERED,
	STORE_WEBHOOK_FAILED,
	STORE_WEBHOOK_STATE_COUNT /* keep last */
};

/* "pending", "delivered", "failed"; NULL out of range. parse: 0 or
 * EINVAL. */
static inline const char *
store_webhook_state_name(enum store_webhook_state s)
{
	static const char *const names[STORE_WEBHOOK_STATE_COUNT] = {
		"pending", "delivered", "failed",
	};

	return (unsigned)s < STORE_WEBHOOK_STATE_COUNT ? names[s] : NULL;
}

static inline int store_webhook_state_parse(const char *name,
					    enum store_webhook_state *s)
{
	int i;

	for (i = 0; name && i < STORE_WEBHOOK_STATE_COUNT; i++) {
		if (!strcmp(name, store_webhook_state_name(
				    (enum store_webhook_state)i))) {
			*s = (enum store_webhook_state)i;
			return 0;
		}
	}
	return EINVAL;
}

struct store_webhook {
	int64_t id;
	char event_id[STORE_WEBHOOK_ID_SIZE];
	char type[STORE_WEBHOOK_TYPE_SIZE];
	char body[STORE_WEBHOOK_BODY_SIZE];
	int64_t created_at;
	enum store_webhook_state state;
	int attempts;
	int64_t next_attempt_at; /* pending rows only */
	int64_t lease_until;
	char claim[STORE_MAIL_CLAIM_SIZE];
	int64_t delivered_at;
	int last_status; /* the receiver's last HTTP status, 0: none */
	char last_error[STORE_WEBHOOK_ERROR_SIZE];
};

/* One call's record (app/records.c; sqlite_schema.c migration 11). Times
 * are unix milliseconds, 0 = none (NULL); ended_at 0 while live. Text
 * fields "" = NULL where the column allows it (conference_id, state,
 * codec); user_id and meeting_id 0 = none. id is the row (read only). */
#define STORE_CALLER_SIZE 64
#define STORE_OUTCOME_SIZE 24
#define STORE_CODEC_SIZE 16
#define STORE_CALL_STATE_SIZE 32
#define STORE_CONFID_TEXT_SIZE 16

struct store_call_record {
	int64_t id;
	int64_t call_id;
	char node[STORE_NAME_SIZE];
	int64_t started_at;
	int64_t answered_at;
	int64_t joined_at;
	int64_t ended_at;
	char dialed[STORE_NUMBER_SIZE];
	char caller[STORE_CALLER_SIZE];     /* masked */
	char caller_key[STORE_DIGEST_SIZE]; /* keyed hash of the caller */
	char conference_id[STORE_CONFID_TEXT_SIZE];
	int64_t user_id;
	int64_t meeting_id;
	char state[STORE_CALL_STATE_SIZE];
	bool muted;
	char outcome[STORE_OUTCOME_SIZE];
	char codec[STORE_CODEC_SIZE];
	int64_t conference_seconds;
};

/* Which call records store_call_record_list gives: started_at in [from,
 * to) (to 0: no end), of conference_id ("" for all), with id < before_id
 * (0: from the newest), newest first, at most limit (1-1000). */
struct store_call_record_query {
	int64_t from;
	int64_t to;
	char conference_id[STORE_CONFID_TEXT_SIZE];
	int64_t before_id;
	int limit;
};

/* A node's heartbeat row (times unix milliseconds). */
struct store_node {
	char name[STORE_NAME_SIZE];
	char sip[STORE_NAME_SIZE];  /* where its SIP listens, host:port */
	char http[STORE_NAME_SIZE]; /* where its HTTP listens */
	int64_t started_at;
	int64_t seen_at;
};

/* A live control for whichever node holds the call (app/control.c),
 * migration 12. call_id: the call, 0 for a conference action, whose
 * conference_id is then set. Times in unix milliseconds; claimed_by ""
 * and done_at 0 while nobody took it / it is not done. result: the
 * outcome as JSON text. */
#define STORE_COMMAND_RESULT_SIZE 512

struct store_command {
	int64_t id;
	int64_t call_id;
	char conference_id[8];
	char action[16];
	char actor[STORE_NAME_SIZE];
	int64_t created_at;
	char claimed_by[64];
	int64_t done_at;
	char result[STORE_COMMAND_RESULT_SIZE];
};

/* Which node is home to a conference (issue 13, app/home.c): the one
 * node that mixes it, where its SIP side is reachable, and until when
 * its lease holds (unix ms; renewed once a second by the home). */
#define STORE_HOME_NODE_SIZE 64
#define STORE_HOME_URI_SIZE 128
#define STORE_CLUSTER_SECRET_SIZE 65 /* 64 hex digits */

struct store_home {
	bool personal;          /* kind: personal room, else meeting */
	int64_t conf;           /* the owner's user id, or the meeting id */
	char node[STORE_HOME_NODE_SIZE];
	char sip_uri[STORE_HOME_URI_SIZE];
	int64_t lease_until;
};

/* Row callbacks: return 0 to go on, non-zero to stop (returned as is). */
typedef int (store_user_h)(const struct store_user *u, void *arg);
typedef int (store_confid_h)(const struct store_confid *c, void *arg);
typedef int (store_number_h)(const struct store_number *n, void *arg);
typedef int (store_audit_h)(const struct store_audit *a, void *arg);
typedef int (store_token_h)(const struct store_token *t, void *arg);
typedef int (store_setting_h)(const char *name, const char *value, void *arg);
typedef int (store_mail_h)(const struct store_mail *m, void *arg);
typedef int (store_meeting_h)(const struct store_meeting *m, void *arg);
typedef int (store_attendee_h)(const char *email, void *arg);
typedef int (store_jitsi_room_h)(const struct store_jitsi_room *r, void *arg);
typedef int (store_webhook_h)(const struct store_webhook *w, void *arg);
typedef int (store_call_record_h)(const struct store_call_record *r,
				   void *arg);
typedef int (store_node_h)(const struct store_node *n, void *arg);
typedef int (store_usage_h)(const struct store_usage_row *r, void *arg);
typedef int (store_command_h)(const struct store_command *c, void *arg);

struct store;

/* The vtable each backend fills in: open and close, then one slot per
 * operation of STORE_OPS (store_ops.h). conn is the backend's own
 * connection. */
#define STORE_SLOT(op, params, args, valid) \
	int (*op)(void *conn, STORE_PARAMS params);
#define STORE_SLOT0(op) int (*op)(void *conn);

struct store_backend {
	const char *name;   /* "sqlite" */
	const char *scheme; /* URL prefix it answers, "sqlite:" */
	int (*open)(void **connp, const char *url, const char *datadir);
	void (*close)(void *conn);
	/* True when the connection to the server is lost (an operation's
	 * error then reads ENOTCONN); NULL for an engine without one. */
	bool (*lost)(void *conn);
	STORE_OPS(STORE_SLOT, STORE_SLOT0)
};

#undef STORE_SLOT
#undef STORE_SLOT0

/* Open a connection to the database at url (see above), creating it and
 * applying pending migrations. 0, EINVAL (unknown scheme, or "sqlite:"
 * without datadir), the errno of creating datadir, EIO (also: the file
 * has a newer schema than this build knows). */
int store_open(struct store **stp, const char *url, const char *datadir);

/* Whether some backend answers url's scheme: 0, or EPROTONOSUPPORT. Lets a
 * caller refuse a mistyped --db before it creates anything. */
int store_url_check(const char *url);

/* url for a message or a log: the password of a "user:pass@" and of a
 * "password=" parameter replaced by "***". Never longer than size-1. */
void store_url_safe(char *out, size_t size, const char *url);
void store_close(struct store *st);
const char *store_backend_name(const struct store *st);

/* store_NAME(st, params...) for each operation NAME of STORE_OPS: what it
 * does is written beside it in store_ops.h. */
#define STORE_PROTO(op, params, args, valid) \
	int store_##op(struct store *st, STORE_PARAMS params);
#define STORE_PROTO0(op) int store_##op(struct store *st);

STORE_OPS(STORE_PROTO, STORE_PROTO0)

#undef STORE_PROTO
#undef STORE_PROTO0

#endif
