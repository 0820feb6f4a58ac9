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

#include "store/store.h"

#define APP_PIN_SIZE 13
#define APP_CONFID_SIZE 8
#define APP_DETAIL_SIZE 256

struct app_err {
	char detail[APP_DETAIL_SIZE];
};

struct app;

/* What the API, CLI and admin center see of a user (SPEC §7). */
struct app_user {
	int64_t id;
	char email[STORE_EMAIL_SIZE];
	char display_name[STORE_NAME_SIZE];
	bool audio_enabled;
	char conference_id[APP_CONFID_SIZE]; /* "" when not enabled */
	char toll_number[STORE_NUMBER_SIZE];      /* effective: own or default */
	char toll_free_number[STORE_NUMBER_SIZE]; /* effective: own or default */
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
	bool personal; /* false: a meeting ID */
	int64_t user_id;
	char user_email[STORE_EMAIL_SIZE];
	int64_t meeting_id;
	int64_t issued_at;
	int64_t revoked_at; /* 0 while live */
};

typedef int (app_user_h)(const struct app_user *u, void *arg);

/* Open the database at db_url (see store_open) with nconn connections and
 * load the ID pool. 0 or an errno value. */
int app_open(struct app **ap, const char *db_url, const char *datadir,
	     int nconn, struct app_err *err);
void app_close(struct app *a);

/* Users. create issues a personal ID and a PIN when audio is true. list
 * pages by id: users with id > cursor matching search, at most limit (1-500),
 * and *next is the cursor of the next page or 0 at the end. */
int app_user_create(struct app *a, const char *actor, const char *email,
		    const char *display_name, bool audio, struct app_user *out,
		    struct app_err *err);
int app_user_get(struct app *a, const char *ref, struct app_user *out,
		 struct app_err *err);
int app_user_list(struct app *a, const char *search, int limit, int64_t cursor,
		  app_user_h *h, void *arg, int64_t *next, struct app_err *err);
int app_user_update(struct app *a, const char *actor, const char *ref,
		    const struct app_user_patch *p, struct app_user *out,
		    struct app_err *err);
int app_user_delete(struct app *a, const char *actor, const char *ref,
		    struct app_err *err);

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
int app_number_add(struct app *a, const char *actor, struct store_number *n,
		   struct app_err *err);
int app_number_remove(struct app *a, const char *actor, const char *number,
		      struct app_err *err);
int app_number_set_default(struct app *a, const char *actor,
			   const char *number, struct app_err *err);
int app_number_list(struct app *a, store_number_h *h, void *arg,
		    struct app_err *err);

/* Settings: every name of the core table with its current value (stored or
 * default); set writes n name=value pairs all or nothing. */
int app_settings_list(struct app *a, store_setting_h *h, void *arg,
		      struct app_err *err);
int app_setting_get(struct app *a, const char *name, char *value, size_t size);
int app_settings_set(struct app *a, const char *actor, const char *const *names,
		     const char *const *values, size_t n, struct app_err *err);

int app_audit_list(struct app *a, int limit, store_audit_h *h, void *arg,
		   struct app_err *err);

/* Credentials. token_create makes and stores (hashed) a new API token named
 * name and writes it to token (SECRET_TOKEN_SIZE bytes). token_check puts the
 * token's name in actor, or returns EACCES. */
int app_token_create(struct app *a, const char *name, char *token, size_t size,
		     struct app_err *err);
int app_token_check(struct app *a, const char *token, char *actor, size_t size);

/* First start: when there is no admin account, create "admin" with a random
 * password, write it to datadir/initial-admin-password (mode 0600) and copy
 * it to password; *created tells whether this happened. */
int app_admin_ensure(struct app *a, const char *datadir, char *password,
		     size_t size, bool *created, struct app_err *err);

/* A small demo organization (a few users, a toll and a toll-free number),
 * only into an empty database. *seeded tells whether it did. */
int app_demo_seed(struct app *a, bool *seeded, struct app_err *err);

/* ---- Email outbox (issue 3, SPEC §5) ----
 * Rows are written by the use cases in the same transaction as the change
 * that causes them; the worker in src/mail/ claims due rows, renders and
 * delivers them, and reports back. */

#define APP_MAIL_KIND_SIZE 32
#define APP_MAIL_TOKEN_SIZE 33
#define APP_MAIL_ERROR_SIZE 512

enum app_mail_state { APP_MAIL_PENDING, APP_MAIL_SENT, APP_MAIL_FAILED };

/* One outbox row as the worker and the API see it. vars is a JSON object
 * text of template variables (may hold a PIN: never log or show it). */
struct app_mail {
	int64_t id;
	char kind[APP_MAIL_KIND_SIZE]; /* template name: "conference-id-reset" */
	char to_addr[STORE_EMAIL_SIZE];
	char to_name[STORE_NAME_SIZE];
	char from_addr[STORE_EMAIL_SIZE];
	char from_name[STORE_NAME_SIZE];
	char subject[STORE_NAME_SIZE]; /* filled once rendered, else "" */
	char token[APP_MAIL_TOKEN_SIZE]; /* stable per row: the Message-ID */
	enum app_mail_state state;
	int attempts;
	int64_t created_at;
	int64_t next_attempt_at; /* 0 when not pending */
	int64_t sent_at;         /* 0 until sent */
	char last_error[APP_MAIL_ERROR_SIZE];
	char *vars; /* owned by the callee; valid during the callback only */
};

typedef int (app_mail_h)(const struct app_mail *m, void *arg);

/* "Send conference info in email" to the user's primary address, or to to
 * when not NULL. EBUSY when the user is not enabled. */
int app_send_conference_info(struct app *a, const char *actor, const char *ref,
			     const char *to, bool *queued, char *to_out,
			     size_t to_size, struct app_err *err);

/* Claim up to max due rows (pending, next_attempt_at <= now, not leased by
 * another worker) for lease_s seconds, one callback each. */
int app_outbox_claim(struct app *a, int64_t now, int max, int lease_s,
		     app_mail_h *h, void *arg);
/* The worker's verdicts: delivered; a temporary failure (retried with the
 * backoff of the settings, failed for good after the give-up time); a
 * permanent failure (5xx): failed with the server's reply text. */
int app_outbox_sent(struct app *a, int64_t id, const char *subject, int64_t now);
int app_outbox_defer(struct app *a, int64_t id, const char *error, int64_t now);
int app_outbox_fail(struct app *a, int64_t id, const char *error, int64_t now);

/* Rows in state (NULL: all), newest first, at most limit. */
int app_outbox_list(struct app *a, const char *state, int limit, app_mail_h *h,
		    void *arg, struct app_err *err);
/* Send a failed row again: pending, due now. EBUSY unless failed. */
int app_outbox_retry(struct app *a, const char *actor, int64_t id,
		     struct app_mail *out, struct app_err *err);

#endif
