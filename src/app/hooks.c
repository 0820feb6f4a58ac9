/* hooks: the places where meetings and the outbox join the use cases. Each
 * runs inside the caller's transaction, so what it adds commits or rolls
 * back with the change that caused it (SPEC §3, §5).
 *
 * Meetings come with a later issue; until then their hooks do nothing
 * and say so through their out-parameters. The mail hooks queue their
 * email in the outbox (outbox.c). */
#include <errno.h>

#include "app/app_priv.h"
#include "core/tmpl.h"

/* SPEC §3 step 2: give every meeting of u that has not ended a new dynamic
 * ID, revoke the old one, raise its sequence and, when update_invitations,
 * queue the updated invitations (meeting_mail.c). *updated counts the
 * meetings; their lines for the reset email wait in tx->meetings_list. */
int app_hook_meetings_reissue(struct app_tx *tx, const struct store_user *u,
			      bool update_invitations, int *updated)
{
	return app_meetings_reissue_tx(tx, "system", u, update_invitations,
				       updated);
}

/* SPEC §2: disabling (or deleting) a user revokes the IDs of the user's
 * meetings at once. */
int app_hook_meetings_revoke(struct app_tx *tx, const struct store_user *u)
{
	return app_meetings_revoke_tx(tx, u);
}

/* Whether an automatic email goes out: the organization's switch and the
 * request's own choice must both say yes. */
static int mail_wanted(struct app_tx *tx, bool send_email, bool *yes)
{
	bool on = false;
	int e;

	*yes = false;
	if (!send_email || tx->no_email)
		return 0;
	e = app_mail_auto(tx->st, &on);
	if (!e)
		*yes = on;
	return e;
}

/* SPEC §3 step 3: the "conference ID reset" email, unless send_email is
 * false or automaticallySendEmailsToUsers is off. It never carries the
 * PIN: none is handed to the outbox. */
int app_hook_mail_confid_reset(struct app_tx *tx, const struct store_user *u,
			       uint32_t confid, uint32_t previous,
			       bool send_email, bool *queued)
{
	bool yes;
	int e;

	*queued = false;
	e = mail_wanted(tx, send_email, &yes);
	if (e || !yes)
		return e;
	const struct tmpl_var more[] = {
		{ "meetingsList", tx->meetings_list },
		{ "invitationsUpdated", tx->invitations_updated ? "yes" : "" },
	};

	e = app_outbox_enqueue_more_tx(tx, "conference-id-reset", u, NULL,
				       confid, previous, more, 2);
	*queued = e == 0;
	return e;
}

/* SPEC §5: the "PIN reset" email, one of the two emails that carry the
 * PIN (the outbox drops it once the email is sent). */
int app_hook_mail_pin_reset(struct app_tx *tx, const struct store_user *u,
			    const char *pin, bool send_email, bool *queued)
{
	bool yes;
	int e;

	*queued = false;
	e = mail_wanted(tx, send_email, &yes);
	if (e || !yes)
		return e;
	e = app_outbox_enqueue_tx(tx, "pin-reset", u, NULL, 0, 0, pin);
	*queued = e == 0;
	return e;
}

/* SPEC §5: the "enabled" email with ID, numbers and PIN, sent when a user
 * is created enabled or becomes enabled. The PIN is never returned to the
 * administrator in that case: this email is the only way it leaves. The
 * request's sendEmail choice travels in tx->no_email. */
int app_hook_mail_enabled(struct app_tx *tx, const struct store_user *u,
			  uint32_t confid, const char *pin, bool *queued)
{
	bool yes;
	int e;

	*queued = false;
	e = mail_wanted(tx, true, &yes);
	if (e || !yes)
		return e;
	e = app_outbox_enqueue_tx(tx, "enabled", u, NULL, confid, 0, pin);
	*queued = e == 0;
	return e;
}
