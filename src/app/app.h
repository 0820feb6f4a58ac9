/* app: the use cases, the only code that changes data. Each one runs in a
 * single store transaction and writes an audit record with it.
 *
 * A struct app is shared by every thread of the process: it holds a small
 * pool of store connections (one is taken per call) and the conference ID
 * pool (struct confid_pool) behind a mutex. Resolution of a dialled ID always
 * reads the database; nothing here caches who owns an ID.
 *
 * Users are named by a reference: their numeric id ("42") or their email.
 *
 * Errors: 0 or an errno value, with a one-line reason in err->detail when
 * err is not NULL:
 *   EINVAL  bad input (400)          ENOENT  no such user/number/ID (404)
 *   EEXIST  already exists (409)     EBUSY   the state forbids it (409),
 *                                            e.g. reset of a disabled user
 *   EACCES  bad or missing credentials (401)
 *   ENOSPC  no conference ID free (503)      anything else (500) */
#ifndef DIALCONF_APP_APP_H
#define DIALCONF_APP_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mailstate.h"

#define APP_PIN_SIZE 13
#define APP_CONFID_SIZE 8
#define APP_DETAIL_SIZE 256
#define APP_JITSI_ROOM_SIZE 256 /* "room@muc.domain", NUL included */
#define APP_JITSI_URI_SIZE 256  /* jitsiJigasiUri */

/* Sizes of the text fields that cross to the layers above, NUL included;
 * the same as the database's (app_priv.h checks that they stay so). */
#define APP_EMAIL_SIZE 255
#define APP_NAME_SIZE 257
#define APP_NUMBER_SIZE 17 /* E.164 */
#define APP_TEXT_SIZE 1024
#define APP_SUBJECT_SIZE 256
#define APP_UID_SIZE 128
#define APP_MAIL_KIND_SIZE 32
#define APP_MAIL_SUBJECT_SIZE 512
#define APP_MAIL_ERROR_SIZE 512

struct app_err {
	char detail[APP_DETAIL_SIZE];
};

struct app;

/* What the API, CLI and admin center see of a user (SPEC §7). */
struct app_user {
	int64_t id;
	char email[APP_EMAIL_SIZE];
	char display_name[APP_NAME_SIZE];
	bool audio_enabled;
	char conference_id[APP_CONFID_SIZE]; /* "" when not enabled */
	char toll_number[APP_NUMBER_SIZE];      /* effective: own or default */
	char toll_free_number[APP_NUMBER_SIZE]; /* effective: own or default */
	bool pin_set;
};

/* A change to a user: NULL / -1 leave a field as it is; "" for a number
 * goes back to the organization default. */
struct app_user_patch {
	const char *display_name;
	int audio_enabled; /* -1, 0, 1 */
	const char *toll_number;
	const char *toll_free_number;
};

struct app_reset_result {
	char conference_id[APP_CONFID_SIZE];
	char previous_conference_id[APP_CONFID_SIZE];
	int meetings_updated;
	bool email_queued;
};

/* Who owns a conference ID (GET /api/v1/conference-ids/{id}). */
struct app_confid_info {
	char conference_id[APP_CONFID_SIZE];
	bool live;
	bool personal; /* false: a meeting ID, or a Jitsi room's */
	bool jitsi;    /* a Jitsi Meet room's ID (jitsi.c) */
	char jitsi_room[APP_JITSI_ROOM_SIZE]; /* its room while live, or "" */
	int64_t user_id;
	char user_email[APP_EMAIL_SIZE];
	int64_t meeting_id;
	int64_t issued_at;
	int64_t revoked_at; /* 0 while live */
};

/* A dial-in number of the organization. */
struct app_number {
	char number[APP_NUMBER_SIZE]; /* E.164 */
	bool toll_free;
	char country[3]; /* ISO 3166-1 alpha-2 */
	char city[APP_NAME_SIZE];
	char languages[APP_NAME_SIZE]; /* comma-separated BCP 47 tags */
	bool is_default;
};

/* APP_AUDIT_ACTIONS(X): every action the audit log records, listed once:
 * X(ID, name, label, who and what); the label is the admin center's
 * (GET /api/v1/meta, auditActions). A use case names its action by ID
 * (APP_AUDIT_USER_CREATE); docs/api.md lists them all, as the unit test
 * test_audit_doc checks. */
#define APP_AUDIT_ACTIONS(X)						\
	X(USER_CREATE, "user.create",					\
	  "User created",						\
	  "a user was created (target: the email)")			\
	X(USER_UPDATE, "user.update",					\
	  "User changed",						\
	  "a user's name or numbers changed (detail: the changes)")	\
	X(USER_DELETE, "user.delete",					\
	  "User deleted",						\
	  "a user was deleted")						\
	X(USER_AUDIO_ENABLE, "user.audio-enable",			\
	  "Audio conferencing enabled",					\
	  "a user was enabled for audio conferencing")			\
	X(USER_AUDIO_DISABLE, "user.audio-disable",			\
	  "Audio conferencing disabled",				\
	  "a user was disabled for audio conferencing (the "		\
	  "conference ID goes to quarantine)")				\
	X(CONFID_RESET, "confid.reset",					\
	  "Conference ID reset",					\
	  "a user's conference ID was reset")				\
	X(CONFID_QUARANTINE_SHORTENED, "confid.quarantine-shortened",	\
	  "Conference ID quarantine shortened",				\
	  "free IDs ran low: the oldest quarantined ID was given "	\
	  "out again early (target: that ID)")				\
	X(PIN_RESET, "pin.reset",					\
	  "PIN reset",							\
	  "a user's organizer PIN was reset (detail: its length, "	\
	  "never the PIN)")						\
	X(NUMBER_ADD, "number.add",					\
	  "Dial-in number added",					\
	  "a dial-in number was added")					\
	X(NUMBER_REMOVE, "number.remove",				\
	  "Dial-in number removed",					\
	  "a dial-in number was removed (detail: whether it was the"	\
	  " default, and the new default)")				\
	X(NUMBER_DEFAULT, "number.default",				\
	  "Default dial-in number set",					\
	  "a number became the default of its type")			\
	X(SETTINGS_SET, "settings.set",					\
	  "Settings changed",						\
	  "settings changed (detail: the new values, or only the "	\
	  "names when they are long)")					\
	X(TOKEN_CREATE, "token.create",					\
	  "API token created",						\
	  "an API token was made, by `dialconf admin token` (actor "	\
	  "`local`) or the API (target: its name; detail: its id and "	\
	  "expiry)")							\
	X(TOKEN_REVOKE, "token.revoke",					\
	  "API token revoked",						\
	  "an API token was revoked (target: its name; detail: its id)") \
	X(ADMIN_CREATE, "admin.create",					\
	  "Administrator created",					\
	  "an admin account was made: at the first start (actor "	\
	  "`system`), or by `dialconf admin passwd` for a new name")	\
	X(ADMIN_PASSWD, "admin.passwd",					\
	  "Administrator password set",					\
	  "`dialconf admin passwd` changed an admin's password (its"	\
	  " sessions end, its lock is lifted)")				\
	X(SESSION_CREATE, "session.create",				\
	  "Signed in",							\
	  "an admin signed in to the admin center")			\
	X(SESSION_DELETE, "session.delete",				\
	  "Signed out",							\
	  "an admin signed out")					\
	X(SESSION_FAILURE, "session.failure",				\
	  "Sign-in failed",						\
	  "a sign-in to an existing account with a wrong password "	\
	  "(detail: failed attempts, or the lock it caused)")		\
	X(MAIL_CONFERENCE_INFO, "mail.conference-info",			\
	  "Conference info email queued",				\
	  "a conference info email was queued (detail: to whom)")	\
	X(MAIL_RETRY, "mail.retry",					\
	  "Email retried",						\
	  "a failed email was queued again (detail: `id`, `kind`, and the " \
	  "`attempts` and `lastError` it had before)")			\
	X(MEETING_SCHEDULE, "meeting.schedule",				\
	  "Meeting scheduled",						\
	  "a meeting was scheduled")					\
	X(MEETING_CANCEL, "meeting.cancel",				\
	  "Meeting cancelled",						\
	  "a meeting was cancelled")					\
	X(MEETING_ID_EXPIRED, "meeting.id-expired",			\
	  "Meeting ID expired",						\
	  "a meeting's ID went to quarantine after its grace period"	\
	  " (actor `system`)")						\
	X(DIALIN_FAILURE, "dialin.failure",				\
	  "Wrong conference ID dialled",				\
	  "a caller dialled a wrong conference ID (actor `sip`, "	\
	  "target: the masked caller)")					\
	X(DIALIN_PIN_FAILURE, "dialin.pin-failure",			\
	  "Wrong organizer PIN",					\
	  "a caller entered a wrong organizer PIN (never the "		\
	  "digits)")							\
	X(DIALIN_ORGANIZER_CLOSED, "dialin.organizer-closed",		\
	  "Organizer path closed",					\
	  "too many wrong PINs closed a conference's organizer path"	\
	  " (target: the conference ID)")				\
	X(JITSI_MAP, "jitsi.map",					\
	  "Jitsi room mapped",						\
	  "a Jitsi Meet room got a conference ID at its first "	\
	  "look-up (actor `jitsi`, target: the ID, detail: the room)")	\
	X(JITSI_EXPIRE, "jitsi.expire",					\
	  "Jitsi room forgotten",					\
	  "an idle Jitsi Meet room's ID went to quarantine (actor "	\
	  "`system`)")							\
	X(CALL_ADMIT, "call.admit",					\
	  "Lobby call admitted",					\
	  "an admin admitted a call waiting in the lobby (target: "	\
	  "the conference ID)")						\
	X(CALL_MUTE, "call.mute",					\
	  "Caller muted",						\
	  "an admin muted a caller (target: the conference ID)")	\
	X(CALL_UNMUTE, "call.unmute",					\
	  "Caller unmuted",						\
	  "an admin unmuted a caller (target: the conference ID)")	\
	X(CALL_REMOVE, "call.remove",					\
	  "Caller removed",						\
	  "an admin removed a caller from a conference (target: the "	\
	  "conference ID)")						\
	X(CONFERENCE_MUTE_ALL, "conference.mute-all",			\
	  "Conference muted",						\
	  "an admin muted everyone but the organizer (target: the "	\
	  "conference ID)")						\
	X(CONFERENCE_ADMIT_ALL, "conference.admit-all",			\
	  "Lobby admitted",						\
	  "an admin let a conference's lobby in (target: the "		\
	  "conference ID)")						\
	X(CONFERENCE_LOCK, "conference.lock",				\
	  "Conference locked",						\
	  "an admin locked a conference: new callers are refused "	\
	  "(target: the conference ID)")				\
	X(CONFERENCE_UNLOCK, "conference.unlock",			\
	  "Conference unlocked",					\
	  "an admin unlocked a conference (target: the conference ID)")	\
	X(CONFERENCE_END, "conference.end",				\
	  "Conference ended",						\
	  "an admin ended a conference: every caller hung up (target: "	\
	  "the conference ID)")

#define APP_AUDIT_ENUM_(id, name, label, what) APP_AUDIT_##id,

enum app_audit_action {
	APP_AUDIT_ACTIONS(APP_AUDIT_ENUM_)
	APP_AUDIT_COUNT /* keep last */
};

#undef APP_AUDIT_ENUM_

/* The name, label and description of each action, by enum
 * app_audit_action. */
extern const char *const app_audit_action_names[APP_AUDIT_COUNT];
extern const char *const app_audit_action_labels[APP_AUDIT_COUNT];
extern const char *const app_audit_action_help[APP_AUDIT_COUNT];

/* One record of the audit log. */
struct app_audit_record {
	int64_t id;
	int64_t at;
	char actor[APP_NAME_SIZE];
	char action[64];
	char target[APP_EMAIL_SIZE];
	char detail[APP_TEXT_SIZE]; /* JSON object text */
};

typedef int (app_user_h)(const struct app_user *u, void *arg);
typedef int (app_number_h)(const struct app_number *n, void *arg);
typedef int (app_audit_h)(const struct app_audit_record *r, void *arg);
typedef int (app_setting_h)(const char *name, const char *value, void *arg);
typedef int (app_attendee_h)(const char *email, void *arg);

/* Open the database at db_url ("sqlite:" in datadir, "sqlite:/path/file.db"
 * or "postgres://...") with nconn connections and load the ID pool. 0 or an
 * errno value. */
int app_open(struct app **ap, const char *db_url, const char *datadir,
	     int nconn, struct app_err *err);

/* This node's name in a cluster (serve --node): what call records, the
 * live calls list and conference homes say about where something runs.
 * 1-63 of [A-Za-z0-9._:-]. app_node_set: 0 or EINVAL; app_node: "" until
 * set. */
#define APP_NODE_SIZE 64
bool app_node_valid(const char *name);
int app_node_set(struct app *a, const char *name);
const char *app_node(const struct app *a);

/* The languages this node has prompts for, comma-separated in the prompts'
 * languages file's order ("en-US,fr-FR"; serve passes sipd_languages):
 * a dial-in number may name only these. Set once, before serving; while
 * unset, any language tag is taken. app_prompt_languages_set: 0, EINVAL or
 * ENOMEM; app_prompt_languages: "" while unset. */
int app_prompt_languages_set(struct app *a, const char *tags);
const char *app_prompt_languages(const struct app *a);

/* The database URL forms app_open takes, for a usage message. */
#define APP_DB_URL_FORMS "sqlite: (in the data directory), " \
	"sqlite:/path/file.db or postgres://USER@HOST:PORT/DB"

/* 0 when some backend takes db_url's scheme, else EPROTONOSUPPORT with
 * err naming the forms taken: a mistyped --db is refused before anything
 * is created. */
int app_db_url_check(const char *db_url, struct app_err *err);

/* db_url for a person to read: any password in it replaced by "***". */
void app_db_url_safe(char *out, size_t size, const char *db_url);
void app_close(struct app *a);

/* Users. create issues a personal ID and a PIN when audio is true; when
 * it does (and update when it enables a user) the "enabled" email is queued
 * unless send_email is false or automaticallySendEmailsToUsers is off,
 * which *email_queued (may be NULL) tells. list
 * pages by id: users with id > cursor matching search, at most limit (1-500),
 * and *next is the cursor of the next page or 0 at the end. */
int app_user_create(struct app *a, const char *actor, const char *email,
		    const char *display_name, bool audio, bool send_email,
		    struct app_user *out, bool *email_queued,
		    struct app_err *err);
int app_user_get(struct app *a, const char *ref, struct app_user *out,
		 struct app_err *err);
int app_user_list(struct app *a, const char *search, int limit, int64_t cursor,
		  app_user_h *h, void *arg, int64_t *next, struct app_err *err);
int app_user_update(struct app *a, const char *actor, const char *ref,
		    const struct app_user_patch *p, bool send_email,
		    struct app_user *out, bool *email_queued,
		    struct app_err *err);
int app_user_delete(struct app *a, const char *actor, const char *ref,
		    struct app_err *err);

/* One user of an import: as app_user_create takes it, with its numbers
 * (NULL or "": the organization's defaults). */
struct app_import_row {
	const char *email;
	const char *display_name;
	bool audio;
	const char *toll_number;
	const char *toll_free_number;
};
#define APP_IMPORT_MAX 1000 /* users of one import */
/* A refused user of an import: its index in rows and why. 0 goes on. */
typedef int (app_import_h)(size_t index, const char *detail, void *arg);
/* Create the n users of rows all in one transaction, or none: every row is
 * checked first (the rules of app_user_create, numbers configured and of
 * their type, no user with the email in the organization or earlier in
 * rows). When some are refused: EINVAL, each refused row to bad(index,
 * reason, arg) and nothing written. Their "enabled" emails are queued in
 * the same transaction, as app_user_create does; *queued counts them. */
int app_user_import(struct app *a, const char *actor,
		    const struct app_import_row *rows, size_t n,
		    bool send_email, app_import_h *bad, void *arg,
		    size_t *queued, struct app_err *err);

/* SPEC §3: a new personal ID, the old one revoked and quarantined at once.
 * EBUSY when the user is not enabled for audio conferencing. */
int app_reset_conference_id(struct app *a, const char *actor, const char *ref,
			    bool send_email, bool update_invitations,
			    struct app_reset_result *res, struct app_err *err);

/* SPEC §4: a new PIN of pinLength digits in pin (APP_PIN_SIZE bytes),
 * stored only as an argon2id hash. EBUSY when not enabled. */
int app_reset_pin(struct app *a, const char *actor, const char *ref,
		  bool send_email, char *pin, bool *email_queued,
		  struct app_err *err);

/* Who owns the 7-digit ID text; EINVAL if malformed, ENOENT if never issued. */
int app_confid_lookup(struct app *a, const char *text,
		      struct app_confid_info *out, struct app_err *err);

/* Dial-in numbers: n->number is normalised to E.164 on add; the first
 * number of a type becomes its default. */
int app_number_add(struct app *a, const char *actor, struct app_number *n,
		   struct app_err *err);
/* What removing a number did: the users who had chosen it (users_moved)
 * now get the default of its type, now_default ("" when none is left). */
struct app_number_removal {
	char number[APP_NUMBER_SIZE]; /* E.164 */
	bool toll_free;
	bool was_default;
	size_t users_moved;
	char now_default[APP_NUMBER_SIZE];
};

/* Remove number; out (may be NULL) says who moved where. ENOENT when no
 * such number. */
int app_number_remove(struct app *a, const char *actor, const char *number,
		      struct app_number_removal *out, struct app_err *err);
int app_number_set_default(struct app *a, const char *actor,
			   const char *number, struct app_err *err);
int app_number_list(struct app *a, app_number_h *h, void *arg,
		    struct app_err *err);

/* Settings: every name of the core table with its current value (stored or
 * default); set writes n name=value pairs all or nothing. */
int app_settings_list(struct app *a, app_setting_h *h, void *arg,
		      struct app_err *err);
int app_setting_get(struct app *a, const char *name, char *value, size_t size);
int app_settings_set(struct app *a, const char *actor, const char *const *names,
		     const char *const *values, size_t n, struct app_err *err);

int app_audit_list(struct app *a, int limit, app_audit_h *h, void *arg,
		   struct app_err *err);

/* Credentials: API tokens, stored as digests. A token is shown once, when
 * made; lists give everything but the secret. */
struct app_token {
	int64_t id;
	char name[APP_NAME_SIZE];
	int64_t created_at;
	int64_t expires_at;   /* 0: never */
	int64_t last_used_at; /* 0: never; updated at most once a minute */
};
typedef int (app_token_h)(const struct app_token *t, void *arg);

/* The reads of this thread from here to app_read_scope_end share one
 * database connection and, with SQLite, one read transaction (its locks
 * taken once, not once a read). A write (app_tx_run) runs on a connection
 * of its own, and the reads after its commit see it. Scopes nest; the
 * outermost end counts. For a request that mostly reads (a GET): begun and
 * ended on the same thread, around the token check and the handler. */
void app_read_scope_begin(struct app *a);
void app_read_scope_end(struct app *a);

/* Make a token named name for actor ("local" for the CLI), expiring at
 * expires_at (unix seconds, in the future; 0 never); the secret goes to
 * token (SECRET_TOKEN_SIZE bytes), the record to out (may be NULL).
 * EINVAL for a bad name or expiry. Audited as token.create. */
int app_token_create(struct app *a, const char *actor, const char *name,
		     int64_t expires_at, char *token, size_t size,
		     struct app_token *out, struct app_err *err);
/* Every token, oldest first. */
int app_token_list(struct app *a, app_token_h *h, void *arg,
		   struct app_err *err);
/* Revoke (delete) token id; ENOENT when there is none. Audited. */
int app_token_revoke(struct app *a, const char *actor, int64_t id,
		     struct app_err *err);
/* The token's name into actor, or EACCES: unknown, revoked or expired. */
int app_token_check(struct app *a, const char *token, char *actor, size_t size);

/* First start: when there is no admin account, create "admin" with a random
 * password, write it to datadir/initial-admin-password (mode 0600) and copy
 * it to password; *created tells whether this happened. */
int app_admin_ensure(struct app *a, const char *datadir, char *password,
		     size_t size, bool *created, struct app_err *err);

/* A small demo organization (a few users, a toll and a toll-free number),
 * only into an empty database. *seeded tells whether it did. */
int app_demo_seed(struct app *a, bool *seeded, struct app_err *err);

/* ---- Admin center sessions ----
 * A session id (the cookie) and its CSRF token are secrets: never log
 * them. */
#define APP_SESSION_ID_SIZE 23 /* 128 random bits, base64url, NUL */

struct app_session {
	char id[APP_SESSION_ID_SIZE];
	char csrf[APP_SESSION_ID_SIZE];
	char username[APP_NAME_SIZE];
	int64_t expires_at; /* absolute end, unix seconds */
};

/* Sign in from peer (the client's address; forwarded: its
 * X-Forwarded-For header or NULL, believed only from httpTrustedProxies).
 * 0 with out filled; EACCES for a wrong username or password (one answer
 * for both, at once); EAGAIN while this address is throttled (for this
 * account or for all), *retry_after seconds from now; EBUSY when too many
 * password checks run at once (try again in a second). Audited as
 * session.create / session.failure. */
int app_session_create(struct app *a, const char *username,
		       const char *password, const char *peer,
		       const char *forwarded, struct app_session *out,
		       int64_t *retry_after, struct app_err *err);
/* The session of id: 0 with out filled (the admin's username is the
 * actor); EACCES when unknown, signed out, idle or expired; EPERM when
 * state_changing and csrf (may be NULL) is not its token. */
int app_session_check(struct app *a, const char *id, const char *csrf,
		      bool state_changing, struct app_session *out);
/* Sign out: the session is gone. ENOENT when there was none. */
int app_session_delete(struct app *a, const char *id);
/* Set username's password (a new argon2id hash), creating the account
 * when missing (*created); ends its sessions. EINVAL for
 * a password under 8 bytes. */
int app_admin_passwd(struct app *a, const char *username,
		     const char *password, bool *created, struct app_err *err);

/* Backups (SQLite; on PostgreSQL both answer ENOTSUP and point to pg_dump).
 * backup writes a consistent copy of the whole database to path while the
 * service goes on. restore replaces the whole database by the copy in path
 * and migrates it: EBUSY while another process (a serve) has it open,
 * ENOENT for no file, EINVAL for a file that is no dialconf database,
 * ERANGE for one from a newer dialconf; both ELOOP when path is the
 * database itself. a must have one connection. */
int app_backup(struct app *a, const char *path, struct app_err *err);
int app_restore(struct app *a, const char *path, struct app_err *err);

/* ---- Email outbox (SPEC §5) ----
 * Rows are written by the use cases in the same transaction as the change
 * that causes them (unless automaticallySendEmailsToUsers is off or the
 * request said no); the worker in src/mail/ claims due rows, renders and
 * delivers them, and reports back. Delivery is at least once: a row is
 * marked sent only after the server accepted it. */

#define APP_MAIL_MSGID_SIZE 320 /* MIME_MSGID_SIZE */

/* One outbox row as the worker and the API see it. */
struct app_mail {
	int64_t id;
	char kind[APP_MAIL_KIND_SIZE]; /* template name: "pin-reset" */
	char to_addr[APP_EMAIL_SIZE];
	char to_name[APP_NAME_SIZE];
	char from_addr[APP_EMAIL_SIZE];
	char from_name[APP_NAME_SIZE];
	char subject[APP_MAIL_SUBJECT_SIZE]; /* rendered when queued */
	char message_id[APP_MAIL_MSGID_SIZE];  /* "<...>", stable per row */
	enum mailstate state;    /* core/mailstate.h */
	int attempts;  /* tries since queued or since the last retry */
	int64_t created_at;
	int64_t next_attempt_at; /* 0 when not pending */
	int64_t sent_at;         /* 0 until sent */
	char last_error[APP_MAIL_ERROR_SIZE];
	/* The template variables as a JSON object text. Only set for the
	 * worker (app_outbox_claim), valid during the callback; it may hold
	 * a PIN: never log or show it. NULL elsewhere. */
	const char *vars;
};

typedef int (app_mail_h)(const struct app_mail *m, void *arg);

/* "Send conference info in email" to the user's primary address, or to to
 * when not NULL: the conference ID and dial-in numbers, never the PIN.
 * Queued whatever automaticallySendEmailsToUsers says (it is asked for);
 * the address it goes to into to_out. EBUSY when the user is not enabled,
 * EINVAL for a bad address. */
int app_send_conference_info(struct app *a, const char *actor, const char *ref,
			     const char *to, bool *queued, char *to_out,
			     size_t to_size, struct app_err *err);

/* One claim of the worker: the random token its rows are leased under,
 * and from emailSendTimeoutSeconds at the time, how long one delivery may
 * take and how long a lease lasts (twice that). */
#define APP_MAIL_CLAIM_SIZE 33

struct app_mail_claim {
	char token[APP_MAIL_CLAIM_SIZE];
	int timeout_s; /* the transport gives up on one message after it */
	int lease_s;   /* a claim or renewal leases rows until now + lease_s */
	int parallel;  /* emailParallelConnections at the claim */
};

/* Claim up to max (1-256) due rows (pending, next_attempt_at <= now, not
 * leased) under a new claim (into claim) in one transaction, then one
 * callback each once it has committed (a run lost to a conflict is run
 * again, and each row must reach the worker once). The callback must copy
 * what it needs: m is valid during the call only. A failing callback
 * leaves the rest of the rows leased until their lease runs out. */
int app_outbox_claim(struct app *a, int64_t now, int max,
		     struct app_mail_claim *claim, app_mail_h *h, void *arg);

/* Just before row id is handed to the transport: whether claim still
 * holds it, and if so every row claim holds leased until now + lease_s.
 * ESTALE when another worker claimed the row since (do not send it). */
int app_outbox_renew(struct app *a, const struct app_mail_claim *claim,
		     int64_t id, int64_t now);

/* The worker's verdict on one claimed row. */
enum app_mail_result {
	APP_MAIL_DELIVERED,  /* the server took it */
	APP_MAIL_TEMPORARY,  /* 4xx, no connection: retry with backoff */
	APP_MAIL_PERMANENT,  /* 5xx: failed with the server's reply text */
};

struct app_mail_verdict {
	int64_t id;
	enum app_mail_result result;
	const char *error; /* reply text or reason; NULL when delivered */
	bool dropped;      /* out: the claim no longer held the row */
};

/* Record n verdicts in one transaction, each only if claim still holds
 * its row: one it does not is left alone and marked dropped (counted in
 * dialconf_email_reports_dropped_total). A delivered row loses the PIN
 * from its variables. A temporary failure is retried after
 * emailRetryInitialSeconds, doubling up to emailRetryMaxSeconds, and
 * marked failed once the waits would pass emailGiveUpHours. */
int app_outbox_report(struct app *a, const struct app_mail_claim *claim,
		      struct app_mail_verdict *v, size_t n, int64_t now);

/* Rows in the state called state (core/mailstate.h; NULL: all), newest
 * first, at most limit (1-1000). EINVAL for another state or limit. */
int app_outbox_list(struct app *a, const char *state, int limit, app_mail_h *h,
		    void *arg, struct app_err *err);
/* Send a failed row again: pending, due now, attempts from 0; audited as
 * mail.retry. ENOENT when there is no such row, EBUSY unless failed. */
int app_outbox_retry(struct app *a, const char *actor, int64_t id,
		     struct app_mail *out, struct app_err *err);

/* For the worker. release_leases: at start-up of a single node (SQLite)
 * every lease belongs to a process that died, so its rows become due at
 * once; with PostgreSQL it does nothing, leases expire instead.
 * next_due: when the next pending row can be claimed (ENOENT: none).
 * wait: sleep until nudge is called or timeout_ms passed; *gen is the
 * caller's last seen generation (start with 0), so a nudge between two
 * waits is never missed. nudge: wake the waiters (called after a commit
 * that queued an email, and to stop the worker). */
int app_outbox_release_leases(struct app *a);
int app_outbox_next_due(struct app *a, int64_t *at);
void app_outbox_wait(struct app *a, uint64_t *gen, int timeout_ms);
void app_outbox_nudge(struct app *a);

/* ---- Dial-in (SPEC §6): what the auto attendant asks ----
 * Every rule of who may call and who may join lives here; src/sip/ does
 * SIP, SDP, RTP and timers and asks, from its worker threads (each of
 * these reads the database). The abuse guard's counters are in the
 * database (core/guard.h rules), so every node sees the same ones. */

#define APP_DIALIN_SOURCE_SIZE 128 /* an address or an asserted caller */
#define APP_CALLER_SIZE 64
#define APP_CALL_STATE_SIZE 16
#define APP_DIALIN_TRUSTED_SIZE 512 /* sipTrustedProxies, canonical */

/* What a typed conference ID reaches. valid is false for a malformed,
 * unknown or revoked ID. user_id: the owner (personal) or the organizer
 * (meeting), whose PIN makes the organizer. */
struct app_dialin_target {
	bool valid;
	bool personal;
	int64_t user_id;
	int64_t meeting_id; /* 0 for a personal ID */
	char conference_id[APP_CONFID_SIZE];
	bool bypass;        /* allowPstnUsersToBypassLobby */
	bool closed;        /* the organizer path is closed (PIN guessing) */
	bool tones;         /* enableEntryExitNotifications */
	uint32_t max_parts; /* maxParticipants */
	/* A Jitsi Meet room's ID: the room, and the gateway its callers are
	 * sent on to (jitsiJigasiUri); "" for every other ID. */
	char jitsi_room[APP_JITSI_ROOM_SIZE];
	char jigasi_uri[APP_JITSI_URI_SIZE];
};

/* One call as the abuse guard and the audit log see it. */
struct app_dialin_call {
	const char *source;        /* app_dialin_source() */
	const char *caller_masked; /* app_caller_mask() */
	const char *dialed;        /* E.164 */
	const char *address;       /* the caller's IP address */
};

/* The settings the SIP side applies itself, in their units. */
struct app_dialin_limits {
	unsigned calls_per_source; /* dialinMaxCallsPerSource */
	unsigned rate_per_source;  /* dialinCallRatePerSource, calls/s */
	unsigned calls_per_node;   /* dialinMaxCallsPerNode */
	unsigned lobby_s;          /* dialinLobbyTimeoutSeconds */
	unsigned rtp_timeout_s;    /* dialinRtpTimeoutSeconds */
	unsigned max_call_s;       /* dialinMaxCallSeconds */
	char trusted[APP_DIALIN_TRUSTED_SIZE]; /* sipTrustedProxies */
};

/* Outcome of an organizer PIN. */
enum app_pin_result {
	APP_PIN_OK,
	APP_PIN_WRONG,
	APP_PIN_CLOSED,  /* the conference's organizer path is closed */
	APP_PIN_REVOKED, /* the ID stopped working meanwhile */
};

/* The caller's number with its last four characters hidden
 * ("+1425555****"), for logs, the audit log and the calls list. */
void app_caller_mask(const char *caller, char *out, size_t size);

/* The guard's source of a call (SPEC §6): its network address addr,
 * unless addr is one of l->trusted; from a trusted proxy the address it
 * forwarded (forwarded, "" if none), else the caller identity it asserted
 * (asserted: P-Asserted-Identity or From user part). True when addr is a
 * trusted proxy. No I/O. */
bool app_dialin_source(const struct app_dialin_limits *l, const char *addr,
		       const char *forwarded, const char *asserted,
		       char *out, size_t size);

/* The limits as the database has them now (defaults for what cannot be
 * read). 0 or a database errno (l filled with defaults anyway). */
int app_dialin_limits(struct app *a, struct app_dialin_limits *l);

/* A new INVITE: user (Request-URI user part, "+" optional) must be a
 * dial-in number (ENOENT; its E.164 form into e164, its languages,
 * comma-separated as stored, into languages of lsize) and the source not
 * refused by the guard (*refused, counted in metrics). 0 or an errno. */
int app_dialin_admit(struct app *a, const char *user, const char *source,
		     char *e164, size_t size, char *languages, size_t lsize,
		     bool *refused);

/* What typed digits reach now, read from the database (no cache, no
 * counting). 0 with t filled (t->valid false when not valid), or errno. */
int app_confid_resolve(struct app *a, const char *digits,
		       struct app_dialin_target *t);

/* Resolve typed digits, on every attempt (no cache). A wrong ID counts
 * against c->source at once and is audited (dialin.failure); *blocked
 * tells that the source is refused from now on (or already was). 0 with t
 * filled (t->valid false when not valid), or a database errno. */
int app_dialin_resolve(struct app *a, const struct app_dialin_call *c,
		       const char *digits, struct app_dialin_target *t,
		       bool *blocked);

/* Check the organizer PIN for t: the ID must still be valid and the
 * organizer path open, then argon2id (~0.1 s of CPU: call it from a worker
 * thread). A wrong PIN counts against the source and the conference and is
 * audited (dialin.pin-failure, never the digits; dialin.organizer-closed
 * when the conference's path closes). 0 with *r and *blocked, or errno. */
int app_dialin_pin(struct app *a, const struct app_dialin_call *c,
		   const struct app_dialin_target *t, const char *pin,
		   enum app_pin_result *r, bool *blocked);

/* Forget the guard's counters that can no longer matter: not blocked,
 * and quiet for longer than a repeat offender is remembered. *n (may be
 * NULL) counts them. 0 or errno. */
int app_dialin_purge(struct app *a, int *n);

/* Does t's ID still reach the same conference now? (A reset, a disable,
 * a delete or a cancelled meeting revoke it.) 0 and *valid, or errno. */
int app_dialin_recheck(struct app *a, const struct app_dialin_target *t,
		       bool *valid);

/* Conference homes (issue 13, home.c): a conference is mixed on one
 * node, its home, recorded in the database with a lease the home renews
 * once a second (app_home_start's thread); callers on other nodes reach
 * it over an inter-node SIP leg signed with the cluster's secret. */
#define APP_HOME_URI_SIZE 128
#define APP_HOME_AUTH_SIZE 65   /* HMAC-SHA256 in hex */
#define APP_HOME_LEASE_MS 3000  /* a dead home is replaced after this */
#define APP_HOME_SKEW_S 30      /* a signed leg's time may be this far off */
struct app_home {
	bool mine;                     /* this node is the home (held) */
	char node[APP_NODE_SIZE];      /* the home's node name */
	char sip_uri[APP_HOME_URI_SIZE]; /* where its SIP side listens */
};
/* Start renewing this node's homes once a second from a thread of its
 * own, and say where this node's SIP side is reachable (sip_uri, e.g.
 * "sip:127.0.0.1:5060"). 0 or an errno. app_home_stop ends the thread. */
int app_home_start(struct app *a, const char *sip_uri);
void app_home_stop(struct app *a);
/* The conference's home now: this node when it holds a live lease, had
 * none, or the last one has run out (the lease is then taken, and held
 * once more by this node until app_home_release), else the other node.
 * 0 with h filled, or an errno. Worker threads only (database). */
int app_home_claim(struct app *a, bool personal, int64_t conf,
		   struct app_home *h);
/* Drop one hold of app_home_claim; the last one gives the home up. */
void app_home_release(struct app *a, bool personal, int64_t conf);
/* The leg's signature over what (the conference, role, ID) and ts (unix
 * seconds) with the cluster's secret (made once, in the database), in
 * hex; app_home_verify: 0 when mac is right and ts within
 * APP_HOME_SKEW_S of now, EACCES when not, or a database errno. */
int app_home_sign(struct app *a, const char *what, int64_t ts, char *mac,
		  size_t size);
int app_home_verify(struct app *a, const char *what, int64_t ts,
		    const char *mac);
/* The conference a leg's Request-URI user names ("conf-meeting-42",
 * "conf-personal-7"): 0, or EINVAL for anything else. No I/O. */
int app_home_parse(const char *user, bool *personal, int64_t *conf);
/* An incoming inter-node leg, as its headers say. */
#define APP_HOME_ROLE_SIZE 16
struct app_home_leg {
	const char *user;   /* Request-URI user: the conference */
	const char *role;   /* organizer | participant | lobby */
	const char *confid; /* the ID its caller keyed */
	int64_t ts;         /* unix seconds it was signed at */
	const char *mac;    /* app_home_sign over "user|role|confid" */
};
/* May leg join here? Signed by a node of the cluster (EACCES), its ID
 * still reaching its conference (ENOENT), and this node its home
 * (EEXIST: another node holds it; held on success, app_home_release
 * when the leg ends). 0 with t filled as app_confid_resolve does. */
int app_home_admit(struct app *a, const struct app_home_leg *leg,
		   struct app_dialin_target *t);

/* The live calls registry (GET /api/v1/calls), in memory. Each change
 * also goes to the call records (app/records.c), written by a background
 * thread: the SIP thread never waits for the database. */
#define APP_OUTCOME_SIZE 24
#define APP_CODEC_SIZE 16
#define APP_CALLER_KEY_SIZE 65
struct app_call {
	int64_t id; /* set by app_call_add */
	char dialed[APP_NUMBER_SIZE];
	char caller[APP_CALLER_SIZE]; /* masked */
	char state[APP_CALL_STATE_SIZE];
	char conference_id[APP_CONFID_SIZE]; /* "" until resolved */
	int64_t meeting_id;
	int64_t user_id;
	int64_t started_at;
	bool muted;
	/* For the call records. Times in unix milliseconds, 0: not yet. */
	char node[APP_NODE_SIZE]; /* in lists: the node holding the call */
	char caller_key[APP_CALLER_KEY_SIZE]; /* app_caller_key() */
	char codec[APP_CODEC_SIZE];   /* "PCMU", "PCMA"; "" before media */
	/* How the call ends, once known ("wrong-id", "full", ...; see
	 * docs/operations.md); "": joined if it joined, else abandoned. */
	char outcome[APP_OUTCOME_SIZE];
	int64_t started_ms;  /* the INVITE arrived */
	int64_t answered_ms; /* set by app_call_add when 0 */
	int64_t joined_ms;   /* first entry into the mix */
	bool locked; /* its conference is locked */
};

typedef int (app_call_h)(const struct app_call *c, void *arg);

int app_call_add(struct app *a, struct app_call *c);
/* Replace the entry with c->id. 0 or ENOENT. */
int app_call_update(struct app *a, const struct app_call *c);
void app_call_remove(struct app *a, int64_t id);
/* Every live call, oldest first; h's non-zero return stops and is returned. */
int app_calls_list(struct app *a, app_call_h *h, void *arg);
/* A call refused before it was answered (the workers' admission: not a
 * dial-in number, the guard): no live entry, one ended record, outcome
 * "refused". Sets c->id. */
int app_call_refused(struct app *a, struct app_call *c);
/* This node's calls (app_calls_list, fresh), then the live calls of the
 * other live nodes of the cluster as their records have them (a second
 * old at most); c->node says whose. A database error leaves out the
 * other nodes' calls (*partial true), never this node's. */
int app_calls_cluster(struct app *a, app_call_h *h, void *arg,
		      bool *partial);

/* ---- Call records (issue 15; app/records.c) ----
 * Every call leaves one record: inserted when it starts, updated on its
 * changes and completed when it ends, in batches by a background writer
 * (one relaxed commit each). A node's heartbeat (once a second) tells the
 * others it lives; a node that restarts, and the peers of a node silent
 * for APP_NODE_DEAD_MS, mark its live records "crashed". */
#define APP_NODE_DEAD_MS 10000
struct app_call_record {
	int64_t id;
	int64_t call_id;
	char node[APP_NODE_SIZE];
	int64_t started_at, answered_at, joined_at, ended_at; /* ms, 0: none */
	char dialed[APP_NUMBER_SIZE];
	char caller[APP_CALLER_SIZE];
	char caller_key[APP_CALLER_KEY_SIZE];
	char conference_id[APP_CONFID_SIZE];
	int64_t user_id, meeting_id;
	char state[APP_CALL_STATE_SIZE]; /* "" once ended */
	bool muted;
	char outcome[APP_OUTCOME_SIZE];
	char codec[APP_CODEC_SIZE];
	int64_t conference_seconds;
};
typedef int (app_call_record_h)(const struct app_call_record *r, void *arg);

/* Records started in [from, to) (ms; to 0: no end) of conference_id (""
 * for all), newest first, after the cursor (the id of the last one of the
 * page before; 0: from the newest), at most limit (1-1000). *next: the
 * cursor of the next page, 0 when this was the last. */
int app_call_records_list(struct app *a, int64_t from, int64_t to,
			  const char *conference_id, int64_t cursor,
			  int limit, app_call_record_h *h, void *arg,
			  int64_t *next, struct app_err *err);

/* serve: mark this node's records left live by its last run crashed (at
 * its last heartbeat), send the first heartbeat and start the writer and
 * the heartbeat thread. sip and http: where this node listens. stop:
 * write what is queued and end the thread (after the SIP side stopped). */
int app_records_start(struct app *a, const char *sip, const char *http,
		      struct app_err *err);
void app_records_stop(struct app *a);
/* Wall clock in unix milliseconds. */
int64_t app_wall_ms(void);
/* A keyed hash (BLAKE2b, hex) of the full caller identity, the same on
 * every node of a database: unique callers counted without storing
 * their numbers. "" before app_records_start. */
void app_caller_key(struct app *a, const char *caller, char *out,
		    size_t size);

/* ---- Live control (control.c) ----
 * APP_CONTROLS(X): every action on a live call or conference, listed
 * once: X(ID, name, conference, audit). The API's paths, the CLI's verbs
 * and the audit actions read it. conference: the action addresses a
 * conference (by its conference ID) rather than one call. */
#define APP_CONTROLS(X)							\
	X(MUTE, "mute", false, APP_AUDIT_CALL_MUTE)			\
	X(UNMUTE, "unmute", false, APP_AUDIT_CALL_UNMUTE)		\
	X(REMOVE, "remove", false, APP_AUDIT_CALL_REMOVE)		\
	X(ADMIT, "admit", false, APP_AUDIT_CALL_ADMIT)			\
	X(MUTE_ALL, "mute-all", true, APP_AUDIT_CONFERENCE_MUTE_ALL)	\
	X(ADMIT_ALL, "admit-all", true, APP_AUDIT_CONFERENCE_ADMIT_ALL)	\
	X(LOCK, "lock", true, APP_AUDIT_CONFERENCE_LOCK)		\
	X(UNLOCK, "unlock", true, APP_AUDIT_CONFERENCE_UNLOCK)		\
	X(END, "end", true, APP_AUDIT_CONFERENCE_END)

#define APP_CONTROL_ENUM_(id, name, conf, audit) APP_CONTROL_##id,
enum app_control_action {
	APP_CONTROLS(APP_CONTROL_ENUM_)
	APP_CONTROL_COUNT /* keep last */
};
#undef APP_CONTROL_ENUM_

/* The action's name ("mute-all"), or NULL. */
const char *app_control_name(enum app_control_action action);
/* The action called name (its scope must match conference), or -1. */
int app_control_parse(const char *name, bool conference);
bool app_control_is_conference(enum app_control_action action);

/* One control as the SIP side carries it out: the call (call_id) or the
 * conference (conference_id) it addresses. */
struct app_control {
	enum app_control_action action;
	int64_t call_id;
	char conference_id[APP_CONFID_SIZE];
};

/* The SIP side registers who carries controls out (on its own thread;
 * NULL: none, e.g. while stopping). The handler queues x and returns at
 * once: 0 or an errno. */
typedef int (app_control_h)(const struct app_control *x, void *arg);
void app_calls_control(struct app *a, app_control_h *h, void *arg);
/* Hand x to the SIP side of this node: 0, EBUSY (no SIP side), or the
 * handler's errno. */
int app_calls_send(struct app *a, const struct app_control *x);

/* What a control did. call: the call as it was (call actions), calls:
 * how many calls of the conference it reached (conference actions). */
struct app_control_result {
	struct app_call call;
	unsigned calls;
	char node[APP_NODE_SIZE]; /* the node that carried it out */
};

/* Act on live call id (mute, unmute, remove, admit) on whichever node
 * holds it: this one at once, another through the call_commands table
 * (waiting at most APP_CONTROL_WAIT_MS for it). ENOENT (no such live
 * call), EBUSY (its state forbids it: muting a caller not in the
 * conference, admitting one not in the lobby), EINVAL (not a call
 * action). Audited (call.mute, ...) on the node that carried it out.
 * admit: the caller joins; as the organizer (whose arrival lets the
 * lobby in) when it pressed '*' on a closed organizer path. */
#define APP_CONTROL_WAIT_MS 2000
int app_call_control(struct app *a, const char *actor,
		     enum app_control_action action, int64_t id,
		     struct app_control_result *out, struct app_err *err);
/* The same for the conference whose ID is conference_id: mute-all
 * (everyone but the organizer), admit-all (its lobby), lock, unlock,
 * end. ENOENT (no live call in it), EBUSY (nobody in the conference yet,
 * for mute-all, lock and unlock). */
int app_conference_control(struct app *a, const char *actor,
			   enum app_control_action action,
			   const char *conference_id,
			   struct app_control_result *out,
			   struct app_err *err);
/* The command poller: a thread that, every ~200 ms, claims the
 * call_commands other nodes wrote for this node's calls and conferences,
 * carries them out and writes their results. start: 0 or an errno. */
int app_control_start(struct app *a);
void app_control_stop(struct app *a);

/* ---- Webhooks (issue #15, "Events"; docs/api.md "Webhooks") ----
 * Each event is one JSON object {id, type, occurredAt, node, data} POSTed
 * to webhookUrl, signed with webhookSecret. Events are rows of a durable
 * queue like the outbox: conferenceId.reset is queued in the transaction
 * of the reset; call and conference events come from the SIP thread,
 * which never touches the database, into a bounded queue in memory that
 * the webhook thread (src/mail/webhook.c) writes to the database at once.
 * Delivery is at least once: a row is delivered when the receiver
 * answered 2xx, retried with backoff otherwise, failed after
 * webhookGiveUpHours. Nothing is queued while webhookUrl is empty. */

#define APP_WEBHOOK_ID_SIZE 33 /* 32 hex digits */
#define APP_WEBHOOK_TYPE_SIZE 32
#define APP_WEBHOOK_ERROR_SIZE 256
#define APP_WEBHOOK_URL_SIZE 512
#define APP_WEBHOOK_SECRET_SIZE 257

/* One event as the API and the webhook thread see it. */
struct app_webhook {
	int64_t id;
	char event_id[APP_WEBHOOK_ID_SIZE]; /* X-Dialconf-Delivery */
	char type[APP_WEBHOOK_TYPE_SIZE];   /* "call.started" */
	const char *state;                  /* pending, delivered, failed */
	int attempts;
	int64_t created_at;      /* unix seconds it was queued */
	int64_t next_attempt_at; /* 0 unless pending */
	int64_t delivered_at;    /* 0 until delivered */
	int last_status;         /* the receiver's last HTTP status, 0: none */
	char last_error[APP_WEBHOOK_ERROR_SIZE];
	const char *body; /* the JSON body: for the webhook thread only */
};

typedef int (app_webhook_h)(const struct app_webhook *w, void *arg);

/* Events, newest first: in state (NULL: all) at most limit (1-1000). */
int app_webhook_list(struct app *a, const char *state, int limit,
		     app_webhook_h *h, void *arg, struct app_err *err);

/* A conference of this node started (its first caller entered the mix,
 * started true) or ended (its last caller left): the SIP side's
 * room.c says so; personal and id name it as the room does (the owner's
 * user id, or the meeting id). No I/O: queued in memory. */
void app_webhook_conference(struct app *a, bool started, bool personal,
			    int64_t id);

/* For the webhook thread. One claim: its token, the settings of the
 * moment (url "" when webhooks are off: nothing is claimed then) and the
 * lease of its rows. secret may be "": send unsigned. */
struct app_webhook_claim {
	char token[APP_MAIL_CLAIM_SIZE];
	char url[APP_WEBHOOK_URL_SIZE];
	char secret[APP_WEBHOOK_SECRET_SIZE]; /* never log it */
	int timeout_s; /* one POST gives up after it */
	int lease_s;   /* the claim's rows are leased until now + lease_s */
};

/* Claim up to max (1-16) due events under a new claim (claim filled), in
 * one transaction, then h for each once it has committed (w valid during
 * the call only, with its body). */
int app_webhook_claim(struct app *a, int64_t now, int max,
		      struct app_webhook_claim *claim, app_webhook_h *h,
		      void *arg);

enum app_webhook_result {
	APP_WEBHOOK_DELIVERED, /* the receiver answered 2xx */
	APP_WEBHOOK_RETRY,     /* a try failed: retry with backoff */
	APP_WEBHOOK_UNTRIED,   /* not tried (receiver down): due again at
				* retry_at, attempts unchanged */
};

struct app_webhook_verdict {
	int64_t id;
	int attempts;       /* of the claimed row */
	int64_t created_at; /* of the claimed row */
	enum app_webhook_result result;
	int status;         /* HTTP status, 0: none */
	const char *error;  /* why it failed; NULL when delivered */
	int64_t retry_at;   /* UNTRIED: when; out for RETRY: when */
	bool dropped;       /* out: the claim no longer held the row */
};

/* Record n verdicts in one transaction, each only while claim holds its
 * row (else marked dropped). A retry waits webhookRetryInitialSeconds,
 * doubling up to webhookRetryMaxSeconds; an event older than
 * webhookGiveUpHours is marked failed instead. */
int app_webhook_report(struct app *a, const struct app_webhook_claim *claim,
		       struct app_webhook_verdict *v, size_t n, int64_t now);

/* Write the events queued in memory to the database (in one
 * transaction; kept for the next call when it fails). 0 or an errno. */
int app_webhook_flush(struct app *a);
/* Delete delivered and failed events older than webhookRetentionDays;
 * *n (may be NULL) counts them. */
int app_webhook_purge(struct app *a, int64_t now, int *n);
/* As app_outbox_release_leases, next_due, wait and nudge, for the
 * webhook queue. accept: whether events of the SIP side are queued at
 * all (true while a webhook thread runs). */
int app_webhook_release_leases(struct app *a);
int app_webhook_next_due(struct app *a, int64_t *at);
void app_webhook_wait(struct app *a, uint64_t *gen, int timeout_ms);
void app_webhook_nudge(struct app *a);
void app_webhook_accept(struct app *a, bool on);

/* ---- Meetings (SPEC §1-§3, §5) ----
 * A meeting of an enabled organizer gets its own conference ID at
 * scheduling time, from the same namespace as personal IDs; invitations
 * (an iCalendar part plus text and HTML ending with the dial-in section)
 * go to the organizer and each attendee through the outbox. The ID stops
 * working when the meeting is cancelled, when its organizer is disabled,
 * and meetingIdGraceHours after its end (checked when a caller types it,
 * and revoked into quarantine by app_meeting_expire). */

#define APP_MEETING_ATTENDEES_MAX 2000
#define APP_MEETING_SUBJECT_MAX 255 /* bytes */

struct app_meeting {
	int64_t id;
	int64_t organizer_id; /* 0 once the organizer is deleted */
	char organizer_email[APP_EMAIL_SIZE];
	char organizer_name[APP_NAME_SIZE];
	char subject[APP_SUBJECT_SIZE];
	int64_t start_at; /* UTC unix seconds */
	int64_t end_at;
	char uid[APP_UID_SIZE];
	int sequence;
	const char *state; /* "scheduled", "cancelled" or "ended" */
	char conference_id[APP_CONFID_SIZE]; /* the latest, "" if none */
	bool confid_live;
	size_t nattendees;
};

typedef int (app_meeting_h)(const struct app_meeting *m, void *arg);

/* Schedule: organizer (id or email; ENOENT), subject (1-255 bytes), start
 * and end (ISO 8601 with an offset; end after start, end not already past:
 * EINVAL), n attendees (valid addresses, at most
 * APP_MEETING_ATTENDEES_MAX; repeats count once). EBUSY when the organizer
 * is not enabled for audio conferencing. Audited as meeting.schedule. */
int app_meeting_schedule(struct app *a, const char *actor,
			 const char *organizer, const char *subject,
			 const char *start, const char *end,
			 const char *const *attendees, size_t n,
			 struct app_meeting *out, struct app_err *err);
/* One meeting by id (ENOENT), its attendees one callback each. */
int app_meeting_get(struct app *a, int64_t id, struct app_meeting *out,
		    struct app_err *err);
int app_meeting_attendees(struct app *a, int64_t id, app_attendee_h *h,
			  void *arg);
/* Meetings of organizer (NULL: everyone's), by start, at most limit
 * (1-1000). */
int app_meeting_list(struct app *a, const char *organizer, int limit,
		     app_meeting_h *h, void *arg, struct app_err *err);
/* Cancel: the ID revoked at once, SEQUENCE up by one, METHOD:CANCEL to
 * the attendees and the organizer. EBUSY when already cancelled or ended.
 * Audited as meeting.cancel. */
int app_meeting_cancel(struct app *a, const char *actor, int64_t id,
		       struct app_meeting *out, struct app_err *err);
/* The meeting's current iCalendar object (METHOD:REQUEST, or CANCEL once
 * cancelled) into *text (free() it). */
int app_meeting_ics(struct app *a, int64_t id, char **text,
		    struct app_err *err);
/* End of life: revoke (into quarantine) the IDs of meetings that ended
 * more than meetingIdGraceHours before now; *n (may be NULL) counts them. */
int app_meeting_expire(struct app *a, int64_t now, int *n);

/* ---- Jitsi Meet dial-in (SPEC §7) ----
 * A Jitsi Meet room ("room@conference.meet.example.org") is given a
 * conference ID at its first look-up: the same namespace, rules and
 * quarantine as every other ID. Its callers are not mixed here but sent
 * on to the Jigasi gateway (jitsiJigasiUri). A room unused (no look-up, no
 * call) for jitsiRoomIdleDays loses its ID to quarantine. Nothing here
 * works while jitsiJigasiUri is empty. */

struct app_jitsi_room {
	char conference[APP_JITSI_ROOM_SIZE];
	char conference_id[APP_CONFID_SIZE];
	int64_t created_at;
	int64_t last_used_at;
};

typedef int (app_jitsi_room_h)(const struct app_jitsi_room *r, void *arg);

/* The settings the Jitsi endpoints apply themselves. */
struct app_jitsi_config {
	bool enabled;            /* jitsiJigasiUri is set */
	char origins[512];       /* jitsiAllowedOrigins */
	unsigned per_minute;     /* jitsiRequestsPerMinute */
	char trusted[512];       /* httpTrustedProxies */
};

/* The current settings (defaults for what cannot be read). */
int app_jitsi_config(struct app *a, struct app_jitsi_config *c);

/* The ID of room conference (lowercased first), issued and audited
 * (jitsi.map) on the first look-up, its use recorded on each. EINVAL for
 * a name that is not room@domain (err says why), EBUSY while Jitsi is not
 * configured, ENOSPC when no ID is free or jitsiMaxRooms rooms have one. */
int app_jitsi_map(struct app *a, const char *conference,
		  struct app_jitsi_room *out, struct app_err *err);

/* The room whose live ID is the text id: ENOENT when it is malformed,
 * unknown, or the ID of anything but a Jitsi room (one answer for all,
 * so that the question tells nothing the phone side would not). */
int app_jitsi_room_of(struct app *a, const char *id,
		      struct app_jitsi_room *out);

/* Every mapped room, by name. */
int app_jitsi_rooms(struct app *a, app_jitsi_room_h *h, void *arg,
		    struct app_err *err);

/* A call reached the room of t: it counts as use. */
int app_jitsi_used(struct app *a, const struct app_dialin_target *t);

/* Revoke (into quarantine) the IDs of rooms unused for jitsiRoomIdleDays
 * before now and forget them; *n (may be NULL) counts them. */
int app_jitsi_expire(struct app *a, int64_t now, int *n);

#endif
