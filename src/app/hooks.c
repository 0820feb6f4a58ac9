/* hooks: the places where meetings and the outbox join the use cases. Each
 * runs inside the caller's transaction, so what it adds commits or rolls
 * back with the change that caused it (SPEC §3, §5).
 *
 * Meetings and the outbox come with later issues; until then these do
 * nothing and say so through their out-parameters. Fill them in here: the
 * use cases already call them at the right moment. */
#include <errno.h>

#include "app/app_priv.h"

/* SPEC §3 step 2: give every meeting of u that has not ended a new dynamic
 * ID, revoke the old one, raise its sequence and, when update_invitations,
 * queue the updated invitations. *updated counts the meetings. */
int app_hook_meetings_reissue(struct app_tx *tx, const struct store_user *u,
			      bool update_invitations, int *updated)
{
	(void)tx;
	(void)u;
	(void)update_invitations;
	*updated = 0;
	return 0;
}

/* SPEC §2: disabling (or deleting) a user revokes the IDs of the user's
 * meetings at once. */
int app_hook_meetings_revoke(struct app_tx *tx, const struct store_user *u)
{
	(void)tx;
	(void)u;
	return 0;
}

/* SPEC §3 step 3: the "conference ID reset" email, unless send_email is
 * false or automaticallySendEmailsToUsers is off. */
int app_hook_mail_confid_reset(struct app_tx *tx, const struct store_user *u,
			       uint32_t confid, bool send_email, bool *queued)
{
	(void)tx;
	(void)u;
	(void)confid;
	(void)send_email;
	*queued = false;
	return 0;
}

/* SPEC §5: the "PIN reset" email, the one email that carries the PIN. */
int app_hook_mail_pin_reset(struct app_tx *tx, const struct store_user *u,
			    const char *pin, bool send_email, bool *queued)
{
	(void)tx;
	(void)u;
	(void)pin;
	(void)send_email;
	*queued = false;
	return 0;
}

/* SPEC §5: the "enabled" email with ID, numbers and PIN, sent when a user
 * is created enabled or becomes enabled. The PIN is never returned to the
 * administrator in that case: this email is the only way it leaves. */
int app_hook_mail_enabled(struct app_tx *tx, const struct store_user *u,
			  uint32_t confid, const char *pin, bool *queued)
{
	(void)tx;
	(void)u;
	(void)confid;
	(void)pin;
	*queued = false;
	return 0;
}
