/* metrics_gauges: the gauges of GET /metrics, read when asked: live
 * calls by state from the registry (calls.c), the rest from the database.
 * Apart from metrics.c's counters, which everything bumps, so that the
 * counters depend on nothing. */
#include <errno.h>
#include <string.h>

#include "app/app_priv.h"
#include "app/metrics.h"

static int call_count(const struct app_call *c, void *arg)
{
	struct metrics_gauges *g = arg;
	size_t i;

	for (i = 0; i < ATT_CALL_STATE_COUNT; i++) {
		if (!strcmp(c->state, attendant_call_states[i].name)) {
			g->calls[i]++;
			break;
		}
	}
	return 0;
}

int metrics_gauges(struct app *a, struct metrics_gauges *g,
		   struct app_err *err)
{
	struct store_stats s;
	struct store *st;
	int e;

	app_err_clear(err);
	memset(g, 0, sizeof(*g));
	e = app_calls_list(a, call_count, g);
	if (e)
		goto out;
	memset(&s, 0, sizeof(s));
	st = app_conn_get(a);
	e = store_stats(st, &s);
	app_conn_put(a, st);
	if (e)
		goto out;
	g->users = s.users;
	g->confids_live = s.confids_live;
	memcpy(g->mail, s.mail, sizeof(g->mail));
 out:
	if (e)
		app_errf(err, "cannot read the metrics: %s", strerror(e));
	return e;
}
