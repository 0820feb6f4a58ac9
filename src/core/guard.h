/* guard: the abuse guard's rule for one counter (SPEC §6), pure: no clock,
 * no storage. A counter counts failures (a wrong conference ID or PIN) of
 * one key — a caller's source, or one conference's organizer path — inside
 * a window; the failure that reaches the limit blocks the key for a
 * cooling-off that doubles with each repeat offence (capped). The caller
 * stores the state (store/: shared by every node) and passes now. */
#ifndef DIALCONF_CORE_GUARD_H
#define DIALCONF_CORE_GUARD_H

#include <stdbool.h>
#include <stdint.h>

struct guard_limits {
	unsigned limit;         /* failures in one window that block */
	int64_t window_s;       /* a window starts at its first failure */
	int64_t cooloff_s;      /* the first block */
	int64_t cooloff_max_s;  /* doubling stops here; a key this long
				 * without a block is forgiven its offences */
};

struct guard_state {
	int fails;            /* failures in the current window */
	int64_t window_start; /* its first failure (unix s), 0: none */
	int64_t blocked_until;/* 0 or the end of the block */
	int offences;         /* blocks so far, for the doubling */
	int64_t last_block;   /* when the last block began */
};

/* Is the key blocked at now? */
bool guard_blocked(const struct guard_state *g, int64_t now);

/* Count one failure at now. True when this failure starts a block (then
 * g->blocked_until says until when). A failure while blocked counts too
 * and is not forgiven, but does not lengthen the block. */
bool guard_fail(struct guard_state *g, const struct guard_limits *l,
		int64_t now);

#endif
