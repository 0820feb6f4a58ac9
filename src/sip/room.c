/* room: the live conferences of this node. A conference exists from the
 * moment its first caller is admitted to the mix until its last one
 * leaves; nothing else keeps it alive, so the organizer leaving ends
 * nothing. A list is enough: joins and leaves are rare next to ticks,
 * and a tick walks every conference anyway. */
#include <errno.h>
#include <stdlib.h>

#include "sip/sipd_priv.h"

struct room {
	struct le le;
	bool personal;
	int64_t id;
	struct mixer *m;
	bool locked;
	struct app *app; /* for its webhook events */
};

static void destructor(void *arg)
{
	struct room *cf = arg;

	list_unlink(&cf->le);
	mixer_free(cf->m);
}

int room_get(struct sipd *s, bool personal, int64_t id, bool make,
	     struct room **cp)
{
	struct room *cf;
	struct le *le;
	int err;

	for (le = s->confs.head; le; le = le->next) {
		cf = le->data;
		if (cf->personal == personal && cf->id == id) {
			*cp = cf;
			return 0;
		}
	}
	if (!make)
		return ENOENT;
	cf = mem_zalloc(sizeof(*cf), destructor);
	if (!cf)
		return ENOMEM;
	err = mixer_alloc(&cf->m);
	if (err) {
		mem_deref(cf);
		return err;
	}
	cf->personal = personal;
	cf->id = id;
	cf->app = s->app;
	list_append(&s->confs, &cf->le, cf);
	sipd_log(LOG_INFO, "event=conference-start kind=%s id=%lld",
		 personal ? "personal" : "meeting", (long long)id);
	app_webhook_conference(s->app, true, personal, id);
	*cp = cf;
	return 0;
}

void room_put(struct room *cf)
{
	if (!cf || mixer_count(cf->m))
		return;
	sipd_log(LOG_INFO, "event=conference-end kind=%s id=%lld",
		 cf->personal ? "personal" : "meeting", (long long)cf->id);
	app_webhook_conference(cf->app, false, cf->personal, cf->id);
	mem_deref(cf);
}

struct mixer *room_mixer(const struct room *cf)
{
	return cf->m;
}

void room_tick_all(struct sipd *s)
{
	struct le *le;

	/* Frame handlers only send (mixer.h): no conference comes or goes
	 * during this walk. */
	for (le = s->confs.head; le; le = le->next)
		mixer_tick(((struct room *)le->data)->m);
}

void room_flush(struct sipd *s)
{
	while (s->confs.head)
		mem_deref(s->confs.head->data);
}

bool room_locked(const struct room *cf)
{
	return cf->locked;
}

void room_set_locked(struct room *cf, bool locked)
{
	cf->locked = locked;
	sipd_log(LOG_INFO, "event=conference-%s kind=%s id=%lld",
		 locked ? "lock" : "unlock",
		 cf->personal ? "personal" : "meeting", (long long)cf->id);
}
