/* ctl: live control of this node's calls and conferences, on the SIP
 * thread (app/control.c checks and audits; this file acts). A conference
 * is named by its conference ID, the one the calls list shows; its calls
 * are those whose resolved ID it is, in the conference, in the lobby or
 * still answering the attendant's questions.
 *
 * Every action is an event for the call's attendant (core/attendant.h),
 * which decides what it means in the state the call is in now: muting a
 * caller who has left meanwhile does nothing, as it should. */
#include <string.h>

#include "sip/sipd_priv.h"

static struct call *call_by_id(struct sipd *s, int64_t id)
{
	struct le *le;

	for (le = s->calls.head; le; le = le->next) {
		if (call_id(le->data) == id)
			return le->data;
	}
	return NULL;
}

static bool of_conference(const struct call *c, const char *conf_id)
{
	return conf_id[0] && !strcmp(call_conference_id(c), conf_id);
}

void ctl_lock(struct sipd *s, const char *conf_id, bool locked)
{
	struct room *cf = NULL;
	struct le *le;

	for (le = s->calls.head; le && !cf; le = le->next) {
		if (of_conference(le->data, conf_id))
			cf = call_room(le->data);
	}
	if (!cf) { /* no mix here: callers bridged to a home elsewhere? */
		for (le = s->calls.head; le; le = le->next) {
			if (of_conference(le->data, conf_id) &&
			    call_home_lock(le->data, locked))
				return; /* one asks the home for all */
		}
		return;
	}
	room_set_locked(cf, locked);
	for (le = s->calls.head; le; le = le->next) {
		if (of_conference(le->data, conf_id))
			call_command(le->data, ATT_EV_LOCK, locked);
	}
}

void ctl_conference(struct sipd *s, enum app_control_action action,
		    const char *conf_id, const struct call *from)
{
	struct le *le;

	if (action == APP_CONTROL_LOCK || action == APP_CONTROL_UNLOCK) {
		ctl_lock(s, conf_id, action == APP_CONTROL_LOCK);
		return;
	}
	/* The events below never free a call at once (call.c ends calls
	 * from a zero timer), so the walk is safe. */
	for (le = s->calls.head; le; le = le->next) {
		struct call *c = le->data;
		enum att_state st = call_state(c);

		if (c == from || !of_conference(c, conf_id))
			continue;
		if (action == APP_CONTROL_MUTE_ALL && st == ATT_S_JOINED &&
		    !call_organizer(c))
			call_command(c, ATT_EV_MUTE, true);
		else if (action == APP_CONTROL_ADMIT_ALL && st == ATT_S_LOBBY)
			call_command(c, ATT_EV_ORGANIZER_ARRIVED, false);
		else if (action == APP_CONTROL_END)
			call_command(c, ATT_EV_END, false);
	}
	sipd_log(LOG_INFO, "event=control action=%s by=%s",
		 app_control_name(action), from ? "organizer" : "admin");
}

void ctl_run(struct sipd *s, const struct app_control *x)
{
	struct call *c;

	if (app_control_is_conference(x->action)) {
		ctl_conference(s, x->action, x->conference_id, NULL);
		return;
	}
	c = call_by_id(s, x->call_id);
	if (!c)
		return; /* gone since app looked */
	sipd_log(LOG_INFO, "event=control action=%s call=%lld by=admin",
		 app_control_name(x->action), (long long)x->call_id);
	switch (x->action) {
	case APP_CONTROL_MUTE:
	case APP_CONTROL_UNMUTE:
		call_command(c, ATT_EV_MUTE, x->action == APP_CONTROL_MUTE);
		break;
	case APP_CONTROL_REMOVE:
		call_command(c, ATT_EV_REMOVE, false);
		break;
	case APP_CONTROL_ADMIT:
		call_command(c, ATT_EV_ADMIT, false);
		break;
	default:
		break;
	}
}
