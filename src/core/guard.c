/* guard: one failure counter with an escalating cooling-off (guard.h). */
#include "core/guard.h"

bool guard_blocked(const struct guard_state *g, int64_t now)
{
	return g->blocked_until > now;
}

/* The block for the offence about to begin: cooloff_s, doubled for each
 * earlier offence, at most cooloff_max_s. */
static int64_t block_length(const struct guard_state *g,
			    const struct guard_limits *l)
{
	int64_t len = l->cooloff_s;
	int i;

	for (i = 0; i < g->offences && len < l->cooloff_max_s; i++)
		len *= 2;
	return len < l->cooloff_max_s ? len : l->cooloff_max_s;
}

bool guard_fail(struct guard_state *g, const struct guard_limits *l,
		int64_t now)
{
	/* Quiet for a whole maximum block since the last one: a new start. */
	if (g->offences && now - g->last_block > 2 * l->cooloff_max_s)
		g->offences = 0;
	if (!g->window_start || now - g->window_start >= l->window_s) {
		g->window_start = now;
		g->fails = 0;
	}
	g->fails++;
	if (guard_blocked(g, now) || (unsigned)g->fails < l->limit)
		return false;
	g->blocked_until = now + block_length(g, l);
	g->last_block = now;
	g->offences++;
	g->fails = 0;
	g->window_start = 0;
	return true;
}
