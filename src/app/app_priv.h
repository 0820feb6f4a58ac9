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

/* Seconds between scans for quarantines that have ended. */
#define APP_EXPIRE_SCAN_S 60

/* API tokens found in the database within the current second are taken
 * without asking it again (credential.c): a token used by many requests
 * costs one lookup a second, not one each. */
#define APP_TOKENS_SEEN 8
struct app_token_seen {
	char digest[SECRET_DIGEST_SIZE];
	char actor[STORE_NAME_SIZE];
	int64_t at; /* app_now() of the lookup; 0: empty slot */
};

struct app {
	char *db_url;
	char *datadir;

	/* Connection pool: one store connection per call in flight. */
	pthread_mutex_t conn_mtx;
	pthread_cond_t conn_cond;
	struct store **conns;
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

	pthread_mutex_t token_mtx;
	struct app_token_seen tokens_seen[APP_TOKENS_SEEN];

	/* Live calls (calls.c). */
	struct app_calls *calls;

	/* The outbox worker sleeps on mail_cond; a commit that queued an
	 * email raises mail_gen and wakes it (outbox.c). */
	pthread_mutex_t mail_mtx;
	pthread_cond_t mail_cond;
	uint64_t mail_gen;
};

/* One use case's transaction: the connection it holds and what it did to
 * the ID pool, so that a rollback can leave the pool right. */
struct app_tx {
	struct app *a;
	struct store *st;
	int issued;      /* IDs inserted in this transaction */
	bool pool_dirty; /* pool marked from rows this tx may roll back */
	bool no_email;    /* the request said sendEmail:false */
	bool mail_queued; /* an email was queued: wake the worker on commit */
	/* A reset's updated meetings, one a line, for its email (hooks.c). */
	char meetings_list[2048];
	bool invitations_updated;
};

/* app.c: connections, transactions, errors, audit, settings. */
void app_errf(struct app_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void app_err_clear(struct app_err *err)
{
	if (err)
		err->detail[0] = '\0';
}
int64_t app_now(void);
int app_datadir_make(const char *datadir);
struct store *app_conn_get(struct app *a);
void app_conn_put(struct app *a, struct store *st);
int app_tx_begin(struct app *a, struct app_tx *tx, struct app_err *err);
int app_tx_end(struct app_tx *tx, int e, struct app_err *err);
/* The work of a use case inside tx, for app_tx_run. It may run several
 * times: each run starts from arg as the caller filled it and leaves its
 * results in arg, overwritten by a later run; it returns EAGAIN for
 * nothing but the store's conflict. */
typedef int (app_tx_body_h)(struct app_tx *tx, void *arg,
			    struct app_err *err);
/* Begin, body, commit (roll back on error), and all of it again while the
 * store reports a conflict with a concurrent transaction (EAGAIN), a few
 * times after a short random pause; then EIO. Otherwise the result of
 * begin, body or commit. The caller copies results out of arg only on 0. */
int app_tx_run(struct app *a, app_tx_body_h *body, void *arg,
	       struct app_err *err);
/* Settings were changed through this node: drop what was kept of them. */
void app_settings_changed(struct app *a);
int app_audit(struct app_tx *tx, const char *actor, const char *action,
	      const char *target, json_t *detail);
int app_setting_text(struct store *st, const char *name, char *out,
		     size_t size);
int app_setting_int(struct store *st, const char *name, long *out);
int app_setting_bool(struct store *st, const char *name, bool *out);
bool app_text_ok(const char *s, size_t maxlen);

/* issue.c: the ID pool. */
int app_pool_load(struct app *a, struct store *st);
int app_confid_issue(struct app_tx *tx, const char *actor,
		     enum store_confid_kind kind, int64_t user_id,
		     int64_t meeting_id, uint32_t *value);
int app_confid_revoke(struct app_tx *tx, uint32_t value);
void app_tx_rolled_back(struct app_tx *tx);

/* calls.c: set up and torn down with the app. */
int app_calls_init(struct app *a);
void app_calls_fini(struct app *a);

/* user.c: shared by the user use cases and the demo seed. */
int app_user_resolve(struct store *st, const char *ref, struct store_user *u,
		     struct app_err *err);
int app_user_fill(struct store *st, const struct store_user *su,
		  struct app_user *out);
int app_pin_prepare(struct store *st, char *pin, size_t size, char *hash,
		    size_t hsize, struct app_err *err);
int app_user_insert_tx(struct app_tx *tx, const char *actor,
		       const char *email, const char *display_name,
		       const char *pin, const char *pin_hash,
		       struct store_user *u, struct app_err *err);
int app_user_check(const char *email, const char *display_name,
		   struct app_err *err);

/* number.c: shared with the demo seed. */
int app_number_insert_tx(struct app_tx *tx, const char *actor,
			 struct store_number *n, struct app_err *err);

/* hooks.c: what later issues (meetings, the outbox) fill in. Each runs
 * inside the caller's transaction. */
int app_hook_meetings_reissue(struct app_tx *tx, const struct store_user *u,
			      bool update_invitations, int *updated);
int app_hook_meetings_revoke(struct app_tx *tx, const struct store_user *u);
int app_hook_mail_confid_reset(struct app_tx *tx, const struct store_user *u,
			       uint32_t confid, uint32_t previous,
			       bool send_email, bool *queued);
int app_hook_mail_pin_reset(struct app_tx *tx, const struct store_user *u,
			    const char *pin, bool send_email, bool *queued);
int app_hook_mail_enabled(struct app_tx *tx, const struct store_user *u,
			  uint32_t confid, const char *pin, bool *queued);

/* outbox.c: queue the email kind (a template name) for u in tx, to to (NULL:
 * u's address), with the numbers u dials in with, confid and previous (0:
 * none) and pin (NULL: none). Sets tx->mail_queued. */
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
/* Whether the automatic emails are on (automaticallySendEmailsToUsers). */
int app_mail_auto(struct store *st, bool *on);

/* meeting_mail.c: invitations and what a reset or a disable does to
 * meetings, inside the caller's transaction. */
int app_meetings_reissue_tx(struct app_tx *tx, const char *actor,
			    const struct store_user *u,
			    bool update_invitations, int *updated);
int app_meetings_revoke_tx(struct app_tx *tx, const struct store_user *u);
int app_meeting_mail_tx(struct app_tx *tx, const struct store_meeting *m,
			const struct store_user *org, bool cancel);
/* For the outbox claim: when vars (an outbox row's variables) belong to
 * a meeting email, *out is a copy with "calendar" and "calendarMethod"
 * added (free() it); NULL otherwise. */
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

/* session.c: the sign-in rules at a given time, for tests; *failed is the
 * account's count of wrong passwords after this one (0 if none). */
int app_session_create_at(struct app *a, const char *username,
			  const char *password, int64_t now,
			  struct app_session *out, int64_t *retry_after,
			  int *failed, struct app_err *err);
int app_session_check_at(struct app *a, const char *id, const char *csrf,
			 bool state_changing, int64_t now,
			 struct app_session *out);
/* How long a wrong password's answer waits, after failed of them. */
unsigned int app_session_delay_ms(int failed);

#endif
