/* reset: SPEC §3 (reset conference ID), §4 (reset PIN) and the lookup of who
 * owns a conference ID. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "app/app_priv.h"
#include "app/metrics.h"
#include "core/confid.h"
#include "core/secret.h"
#include "core/tmpl.h"
#include "core/webhook.h"

/* The reset email's list of meetings with a new ID, one a line. */
#define MEETINGS_LIST_SIZE 2048

static int enabled_user(struct store *st, const char *ref,
			struct store_user *u, struct app_err *err)
{
	int e;

	e = app_user_resolve(st, ref, u, err);
	if (e)
		return e;
	if (!u->audio_enabled) {
		app_errf(err, "user is not enabled for audio conferencing");
		return EBUSY;
	}
	return 0;
}

struct reset_args {
	const char *actor;
	const char *ref;
	bool send_email;
	bool update_invitations;
	struct app_reset_result res; /* out */
};

/* SPEC §3 step 3: the "conference ID reset" email with the meetings that
 * got a new ID (list), unless the request or automaticallySendEmailsToUsers
 * says no. It never carries the PIN: none is handed to the outbox. */
static int mail_confid_reset(struct app_tx *tx, const struct store_user *u,
			     uint32_t confid, uint32_t previous,
			     struct reset_args *r, const char *list)
{
	const struct tmpl_var more[] = {
		{ "meetingsList", list },
		{ "invitationsUpdated", r->update_invitations ? "yes" : "" },
	};
	bool yes;
	int e;

	r->res.email_queued = false;
	e = app_mail_wanted(tx, r->send_email, &yes);
	if (e || !yes)
		return e;
	e = app_outbox_enqueue_more_tx(tx, "conference-id-reset", u, NULL,
				       confid, previous, more, 2);
	r->res.email_queued = e == 0;
	return e;
}

/* Steps 1-4 of SPEC §3, all in tx: the old ID is revoked before the new one
 * is inserted, since the database allows one live personal ID per user.
 * The body of app_tx_run (struct reset_args). */
static int reset_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct reset_args *r = arg;
	struct app_reset_result *res = &r->res;
	const char *actor = r->actor;
	char list[MEETINGS_LIST_SIZE];
	char user_id[24];
	struct store_user u;
	uint32_t old;
	uint32_t v;
	int e;

	memset(res, 0, sizeof(*res));
	e = enabled_user(tx->st, r->ref, &u, err);
	if (e)
		return e;
	/* The user's live personal ID came with the user, read inside this
	 * transaction once it holds the user (SQLite: the write lock;
	 * PostgreSQL: the user's row lock, pg_users.c), so no second lookup
	 * is needed. 0 when enabled without an ID: the reset repairs it. */
	old = u.conference_id;
	if (old) {
		e = app_confid_revoke(tx, old);
		if (e)
			return e;
	}

	e = app_confid_issue(tx, actor, STORE_CONFID_PERSONAL, u.id, 0, &v);
	if (e) {
		app_errf(err, e == ENOSPC ? "no conference ID free" :
			 "could not issue a conference ID");
		return e;
	}
	u.conference_id = v;
	e = app_meetings_reissue_tx(tx, &u, r->update_invitations,
				    &res->meetings_updated, list,
				    sizeof(list));
	if (!e)
		e = mail_confid_reset(tx, &u, v, old, r, list);
	if (e)
		return e;

	confid_format(v, res->conference_id, sizeof(res->conference_id));
	if (old)
		confid_format(old, res->previous_conference_id,
			      sizeof(res->previous_conference_id));
	/* Conference IDs are not secrets: both go into the record, and to
	 * the webhook (never the PIN). */
	snprintf(user_id, sizeof(user_id), "%lld", (long long)u.id);
	e = app_webhook_enqueue_tx(tx, webhook_event_name(WEBHOOK_CONFID_RESET),
				   json_pack("{s:s, s:s, s:s, s:s?, s:i}",
					     "userId", user_id,
					     "email", u.email,
					     "conferenceId",
					     res->conference_id,
					     "previousConferenceId",
					     old ? res->previous_conference_id :
					     NULL,
					     "meetingsUpdated",
					     res->meetings_updated));
	if (e)
		return e;
	return app_audit(tx, actor, APP_AUDIT_CONFID_RESET, u.email,
			 json_pack("{s:s?, s:s, s:i, s:b}", "previous",
				   old ? res->previous_conference_id : NULL,
				   "new", res->conference_id,
				   "meetingsUpdated", res->meetings_updated,
				   "emailQueued", res->email_queued));
}

int app_reset_conference_id(struct app *a, const char *actor, const char *ref,
			    bool send_email, bool update_invitations,
			    struct app_reset_result *res, struct app_err *err)
{
	struct reset_args r = { .actor = actor, .ref = ref,
				.send_email = send_email,
				.update_invitations = update_invitations };
	int e;

	app_err_clear(err);
	e = app_tx_run(a, reset_tx, &r, err);
	if (!e)
		metrics_inc(METRICS_CONFID_RESETS);
	if (!e && res)
		*res = r.res;
	return e;
}

struct reset_pin_args {
	const char *actor;
	const char *ref;
	bool send_email;
	const char *pin;  /* made and hashed before the transaction */
	const char *hash;
	bool queued; /* out */
};

/* The body of app_tx_run (struct reset_pin_args). */
static int reset_pin_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct reset_pin_args *r = arg;
	struct store_user u;
	bool yes = false;
	int e;

	r->queued = false;
	e = enabled_user(tx->st, r->ref, &u, err);
	if (!e)
		e = store_pin_set(tx->st, u.id, r->hash);
	if (!e)
		e = app_mail_wanted(tx, r->send_email, &yes);
	/* SPEC §5: one of the two emails that carry the PIN (the outbox
	 * drops it once the email is sent). */
	if (!e && yes)
		e = app_outbox_enqueue_tx(tx, "pin-reset", &u, NULL, 0, 0,
					  r->pin);
	if (e)
		return e;
	r->queued = yes;
	/* The length only: the PIN itself never reaches the audit log. */
	return app_audit(tx, r->actor, APP_AUDIT_PIN_RESET, u.email,
			 json_pack("{s:i, s:b}", "pinLength",
				   (int)strlen(r->pin), "emailQueued",
				   r->queued));
}

int app_reset_pin(struct app *a, const char *actor, const char *ref,
		  bool send_email, char *pin, bool *email_queued,
		  struct app_err *err)
{
	char lpin[APP_PIN_SIZE] = "";
	char hash[SECRET_HASH_SIZE] = "";
	struct reset_pin_args r = { .actor = actor, .ref = ref,
				    .send_email = send_email, .pin = lpin,
				    .hash = hash };
	struct store_user u;
	struct store *st;
	int e;

	app_err_clear(err);
	if (!pin) {
		app_errf(err, "no PIN buffer");
		return EINVAL;
	}
	/* Check first, hash outside the write lock (argon2 is slow). */
	st = app_conn_get(a);
	e = enabled_user(st, ref, &u, err);
	if (!e)
		e = app_pin_prepare(st, lpin, sizeof(lpin), hash,
				    sizeof(hash), err);
	app_conn_put(a, st);
	if (e)
		goto out;

	e = app_tx_run(a, reset_pin_tx, &r, err);
	if (e)
		goto out;
	metrics_inc(METRICS_PIN_RESETS);
	snprintf(pin, APP_PIN_SIZE, "%s", lpin);
	if (email_queued)
		*email_queued = r.queued;
 out:
	explicit_bzero(lpin, sizeof(lpin));
	explicit_bzero(hash, sizeof(hash));
	return e;
}

int app_confid_lookup(struct app *a, const char *text,
		      struct app_confid_info *out, struct app_err *err)
{
	struct store_confid c;
	struct store_user u;
	struct store *st;
	uint32_t v;
	int e;

	app_err_clear(err);
	if (!text || confid_parse(text, &v)) {
		char why[128];

		(void)confid_why(text, why, sizeof(why));
		app_errf(err, "not a valid conference ID: %s", why);
		return EINVAL;
	}
	st = app_conn_get(a);
	e = store_confid_lookup(st, v, &c);
	if (e == ENOENT)
		app_errf(err, "conference ID %s was never issued", text);
	if (e)
		goto out;

	memset(out, 0, sizeof(*out));
	confid_format(c.value, out->conference_id,
		      sizeof(out->conference_id));
	out->live = c.revoked_at == 0;
	out->personal = c.kind == STORE_CONFID_PERSONAL;
	/* Only a Jitsi room's ID is of kind meeting without a meeting. */
	out->jitsi = c.kind == STORE_CONFID_MEETING && c.meeting_id == 0;
	if (out->jitsi && out->live) {
		struct store_jitsi_room r;

		if (!store_jitsi_room_by_value(st, v, &r))
			snprintf(out->jitsi_room, sizeof(out->jitsi_room),
				 "%s", r.conference);
	}
	out->user_id = c.user_id;
	out->meeting_id = c.meeting_id;
	out->issued_at = c.issued_at;
	out->revoked_at = c.revoked_at;
	/* The owner may have been deleted since; the ID's record stays. */
	e = store_user_get(st, c.user_id, &u);
	if (!e)
		snprintf(out->user_email, sizeof(out->user_email), "%s",
			 u.email);
	else if (e == ENOENT)
		e = 0;
 out:
	app_conn_put(a, st);
	if (e && err && !err->detail[0])
		app_errf(err, "cannot look up conference ID: %s",
			 strerror(e));
	return e;
}
