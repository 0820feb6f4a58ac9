/* app private header: what the files of src/app/ share. Not for use outside
 * this folder. */
#ifndef DIALCONF_APP_APP_PRIV_H
#define DIALCONF_APP_APP_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "app/app.h"
#include "core/confid.h"
#include "core/secret.h"
#include "store/store.h"

/* app.h speaks its own sizes to the layers above, which never see the
 * store's: they must stay the same. (Mail states are core/mailstate.h's,
 * shared by both.) */
_Static_assert(APP_EMAIL_SIZE == STORE_EMAIL_SIZE, "email size");
_Static_assert(APP_NAME_SIZE == STORE_NAME_SIZE, "name size");
_Static_assert(APP_NUMBER_SIZE == STORE_NUMBER_SIZE, "number size");
_Static_assert(APP_TEXT_SIZE == STORE_TEXT_SIZE, "text size");
_Static_assert(APP_SUBJECT_SIZE == STORE_SUBJECT_SIZE, "subject size");
_Static_assert(APP_UID_SIZE == STORE_UID_SIZE, "uid size");
_Static_assert(APP_MAIL_KIND_SIZE == STORE_MAIL_KIND_SIZE, "mail kind size");
_Static_assert(APP_MAIL_SUBJECT_SIZE == STORE_MAIL_SUBJECT_SIZE,
	       "mail subject size");
_Static_assert(APP_MAIL_ERROR_SIZE == STORE_MAIL_ERROR_SIZE,
	       "mail error size");

/* Seconds between scans for quarantines that have ended. */
#define APP_EXPIRE_SCAN_S 60

struct app {
	char *db_url;
	char *datadir;
	char node[APP_NODE_SIZE]; /* app_node_set */
	char *languages; /* app_prompt_languages_set; NULL: unset */

	/* Connection pool: one store connection per call in flight. */
	pthread_mutex_t conn_mtx;
	pthread_cond_t conn_cond;
	struct store **conns;
	uint64_t memo_id; /* memo.c: this app's copies of reads */
	bool *conn_busy;
	int nconn;

	/* The ID pool only proposes values; the database decides. */
	pthread_mutex_t pool_mtx;
	struct confid_pool *pool;
	int64_t pool_row;   /* highest confid row the pool has seen */
	int64_t pool_scan;  /* quarantines ending up to here are known */
	int64_t pool_synced; /* second of the last look for new rows */
	bool pool_stale;    /* rebuild from the database at the next sync */
	/* conferenceIdQuarantineDays as read at quarantine_days_at (an
	 * app_now() second; 0: not read), for app_confid_revoke. */
	long quarantine_days;
	int64_t quarantine_days_at;

	/* Conference homes this node holds (home.c). */
	struct app_homes *homes;

	/* Live calls (calls.c) and their records (records.c). */
	struct app_calls *calls;
	struct app_records *records;
	/* The poller of other nodes' control commands (control.c). */
	struct app_controller *controller;

	/* Webhook events of the SIP side waiting for the database, and the
	 * webhook thread's wake-ups (webhook.c). */
	struct app_webhooks *hooks;

	/* The outbox worker sleeps on mail_cond; a commit that queued an
	 * email raises mail_gen and wakes it (outbox.c). */
	pthread_mutex_t mail_mtx;
	pthread_cond_t mail_cond;
	uint64_t mail_gen;
};

/* A transaction's hook: h(a, arg) once the transaction has committed
 * (app_tx_on_commit) or rolled back (app_tx_on_rollback). */
typedef void (app_tx_hook_h)(struct app *a, void *arg);

#define APP_TX_HOOKS_MAX 8

struct app_tx_hook {
	bool on_commit; /* false: on rollback */
	app_tx_hook_h *h;
	void *arg;
};

/* One use case's transaction: the connection it holds and the hooks that
 * the modules it went through registered. */
struct app_tx {
	struct app *a;
	struct store *st;
	struct app_tx_hook hooks[APP_TX_HOOKS_MAX];
	size_t nhooks;
};

/* app.c: connections, transactions and their hooks, errors, audit,
 * settings. */
void app_errf(struct app_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void app_err_clear(struct app_err *err)
{
	if (err)
		err->detail[0] = '\0';
}
int64_t app_now(void);
int app_datadir_make(const char *datadir);
/* Once the password of username "admin" is changed, the first one in
 * DATA/initial-admin-password is stale: remove the file. 0, ENOENT (none,
 * or another username), or the errno of unlink. */
int app_admin_password_file_drop(struct app *a, const char *username);
struct store *app_conn_get(struct app *a);
void app_conn_put(struct app *a, struct store *st);

/* memo.c: this thread's copies of recent reads, good while nothing has
 * committed since (store_stamp). app_memo_now: the stamp of now (ENOTSUP:
 * the database cannot tell; keep nothing). app_memo_find: the copy of key
 * when it was read at the stamp now. app_memo_keep: keep a read made
 * after app_memo_now gave now; it is stamped with app_memo_read_at (app.c:
 * the older stamp of the read transaction it may have shared). value is a
 * plain struct of at most 640 bytes, key shorter than 256 bytes. */
enum app_memo_kind { APP_MEMO_TOKEN, APP_MEMO_USER };
void app_memo_init(struct app *a);
int app_memo_now(struct app *a, struct store_stamp *now);
bool app_memo_find(struct app *a, enum app_memo_kind kind, const char *key,
		   const struct store_stamp *now, void *value, size_t size);
void app_memo_keep(struct app *a, enum app_memo_kind kind, const char *key,
		   const struct store_stamp *read_at, const void *value,
		   size_t size);
void app_memo_read_at(struct app *a, const struct store_stamp *now,
		      struct store_stamp *read_at);
/* Run h(tx->a, arg) after tx commits, or after it rolls back: a module
 * that must act then registers itself (as SQLite's commit hooks). The same
 * h and arg registered again run once. 0, or ENOMEM when more than
 * APP_TX_HOOKS_MAX different hooks are asked for. */
int app_tx_on_commit(struct app_tx *tx, app_tx_hook_h *h, void *arg);
int app_tx_on_rollback(struct app_tx *tx, app_tx_hook_h *h, void *arg);
/* The arg that h was registered with in tx (the first), or NULL: a
 * module finds its own record of the transaction again. */
void *app_tx_hook_arg(const struct app_tx *tx, app_tx_hook_h *h);
/* The work of a use case inside tx, for app_tx_run. It may run several
 * times: each run starts from arg as the caller filled it and leaves its
 * results in arg, overwritten by a later run; it returns EAGAIN for
 * nothing but the store's conflict. */
typedef int (app_tx_body_h)(struct app_tx *tx, void *arg,
			    struct app_err *err);
/* Begin, body, commit (roll back on error) and the hooks of the outcome,
 * and all of it again while the store reports a conflict with a concurrent
 * transaction (EAGAIN), a few times after a short random pause; then EIO.
 * Otherwise the result of begin, body or commit. Each run starts with no
 * hooks. The caller copies results out of arg only on 0. */
int app_tx_run(struct app *a, app_tx_body_h *body, void *arg,
	       struct app_err *err);
/* Room for one more element in a growing array: arrayp points at the
 * array's pointer (any element type), *cap is its size in elements, n of
 * them used, elem the size of one. When full it doubles (first elements
 * to start). 0, or ENOMEM with the array and *cap as they were, so that a
 * caller that goes on never writes past the end. */
int app_grow(void *arrayp, size_t *cap, size_t n, size_t elem, size_t first);
/* app_tx_run for a record whose loss costs only a repeat: its commit does
 * not wait for the disk (store_begin_relaxed), so a crash of this process
 * loses nothing, a power cut may lose it whole. */
int app_tx_run_relaxed(struct app *a, app_tx_body_h *body, void *arg,
		       struct app_err *err);
/* Settings were changed through this node: drop what was kept of them. */
void app_settings_changed(struct app *a);
/* Write an audit record of action (APP_AUDIT_ACTIONS, app.h) in tx. Takes
 * ownership of detail. */
int app_audit(struct app_tx *tx, const char *actor,
	      enum app_audit_action action, const char *target,
	      json_t *detail);
int app_setting_text(struct store *st, const char *name, char *out,
		     size_t size);
int app_setting_int(struct store *st, const char *name, long *out);
int app_setting_bool(struct store *st, const char *name, bool *out);
bool app_text_ok(const char *s, size_t maxlen);

/* issue.c: the ID pool. load builds it from the database when the app
 * opens; issue and revoke work inside a use case's transaction, and
 * issue registers the pool's fix-up for a rollback itself. */
int app_pool_load(struct app *a, struct store *st);
int app_confid_issue(struct app_tx *tx, const char *actor,
		     enum store_confid_kind kind, int64_t user_id,
		     int64_t meeting_id, uint32_t *value);
int app_confid_revoke(struct app_tx *tx, uint32_t value);

/* calls.c: set up and torn down with the app. */
int app_calls_init(struct app *a);
void app_calls_fini(struct app *a);

/* webhook.c: set up and torn down with the app; the three moments of a
 * live call (calls.c, under its lock: no I/O, queued in memory); and an
 * event queued inside a use case's transaction (data is taken; nothing is
 * queued while webhookUrl is empty). */
int app_webhooks_init(struct app *a);
void app_webhooks_fini(struct app *a);
void app_webhook_call_started(struct app *a, const struct app_call *c);
void app_webhook_call_changed(struct app *a, const struct app_call *was,
			      const struct app_call *now);
void app_webhook_call_ended(struct app *a, const struct app_call *c);
int app_webhook_enqueue_tx(struct app_tx *tx, const char *type,
			   json_t *data);

/* records.c: set up and torn down with the app (fini stops the writer).
 * put: a snapshot of c for its record, ended at ended_ms (0: live),
 * queued for the writer (nothing before app_records_start). Any thread.
 * settings_changed: the retention may have changed: purge now. */
int app_records_init(struct app *a);
void app_records_fini(struct app *a);
void app_records_put(struct app *a, const struct app_call *c,
		     int64_t ended_ms);
void app_records_settings_changed(struct app *a);

/* user_read.c: the user named by ref (all digits: an id, else an email;
 * ENOENT), and what the API shows of a stored user su: its numbers or the
 * organization's defaults (d, read once for many users). */
struct app_defaults {
	char toll[STORE_NUMBER_SIZE];
	char toll_free[STORE_NUMBER_SIZE];
};
int app_user_resolve(struct store *st, const char *ref, struct store_user *u,
		     struct app_err *err);
int app_defaults_get(struct store *st, struct app_defaults *d);
void app_user_convert(const struct store_user *su,
		      const struct app_defaults *d, struct app_user *out);
int app_user_fill(struct store *st, const struct store_user *su,
		  struct app_user *out);

/* user.c: shared by the user use cases, the import and the demo seed.
 * insert_tx gives the user toll and toll_free (E.164 as app_user_number
 * wrote them; NULL or "": the organization's default) and queues the
 * "enabled" email when pin_hash is given (audio on), send_email is true and
 * automaticallySendEmailsToUsers is on; *queued (may be NULL) tells.
 * app_user_number: a number given for a user into out: "" clears it,
 * anything else must be a configured dial-in number of the right type
 * (EINVAL with the reason). */
int app_pin_prepare(struct store *st, char *pin, size_t size, char *hash,
		    size_t hsize, struct app_err *err);
int app_user_insert_tx(struct app_tx *tx, const char *actor,
		       const char *email, const char *display_name,
		       const char *toll, const char *toll_free,
		       const char *pin, const char *pin_hash, bool send_email,
		       struct store_user *u, bool *queued,
		       struct app_err *err);
int app_user_check(const char *email, const char *display_name,
		   struct app_err *err);
int app_user_number(struct store *st, const char *in, bool toll_free,
		    char *out, size_t size, struct app_err *err);

/* number.c: shared with the demo seed. */
int app_number_insert_tx(struct app_tx *tx, const char *actor,
			 struct store_number *n, struct app_err *err);

/* outbox.c: queue the email kind (a template name) for u in tx, to to (NULL:
 * u's address), with the numbers u dials in with, confid and previous (0:
 * none) and pin (NULL: none). The worker is woken once tx commits. */
int app_outbox_enqueue_tx(struct app_tx *tx, const char *kind,
			  const struct store_user *u, const char *to,
			  uint32_t confid, uint32_t previous, const char *pin);
/* The same with more template variables (a meeting's, from
 * meeting_mail.c); a name of extra that outbox.c does not know is EINVAL. */
struct tmpl_var;
int app_outbox_enqueue_more_tx(struct app_tx *tx, const char *kind,
			       const struct store_user *u, const char *to,
			       uint32_t confid, uint32_t previous,
			       const struct tmpl_var *extra, size_t nextra);
/* Whether an automatic email goes out (*yes): the request's send_email
 * and the organization's automaticallySendEmailsToUsers must both say
 * yes. */
int app_mail_wanted(struct app_tx *tx, bool send_email, bool *yes);

/* meeting_mail.c: invitations and what a reset or a disable does to
 * meetings, inside the caller's transaction. reissue gives every meeting
 * of u that has not ended a new ID (SPEC §3 step 2), *updated counts them
 * and list gets a line each for the reset email (whole lines, as many as
 * fit in size bytes). */
int app_meetings_reissue_tx(struct app_tx *tx, const struct store_user *u,
			    bool update_invitations, int *updated,
			    char *list, size_t size);
int app_meetings_revoke_tx(struct app_tx *tx, const struct store_user *u);
int app_meeting_mail_tx(struct app_tx *tx, const struct store_meeting *m,
			const struct store_user *org, bool cancel);

/* meeting_ics.c: a meeting's calendar object. For the outbox claim: when
 * vars (an outbox row's variables) belong to a meeting email, *out is a
 * copy with "calendar" and "calendarMethod" added (free() it); NULL
 * otherwise. */
struct app_ics_cache;
int app_meeting_mail_vars(struct store *st, const char *vars,
			  struct app_ics_cache **cache, char **out);
void app_ics_cache_free(struct app_ics_cache *c);
/* The iCalendar object of m as of sequence, method and its dial-in
 * details, at stamp. */
int app_meeting_ics_tx(struct store *st, const struct store_meeting *m,
		       bool cancel, int sequence, const char *confid,
		       const char *toll, const char *toll_free, int64_t stamp,
		       char **text);

/* session.c: the sign-in rules at a given time, for tests. */
int app_session_create_at(struct app *a, const char *username,
			  const char *password, const char *peer,
			  const char *forwarded, int64_t now,
			  struct app_session *out, int64_t *retry_after,
			  struct app_err *err);
int app_session_check_at(struct app *a, const char *id, const char *csrf,
			 bool state_changing, int64_t now,
			 struct app_session *out);

#endif
