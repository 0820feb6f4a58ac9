/* mailstate: the outbox states' table, made from MAILSTATES (mailstate.h),
 * and the look-ups every layer uses. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core/mailstate.h"

#define DEF(id, n, l, f) \
	[MAILSTATE_##id] = { .name = n, .label = l, .flags = f },

const struct mailstate_def mailstate_defs[MAILSTATE_COUNT] = {
	MAILSTATES(DEF, )
};

const char *mailstate_name(enum mailstate s)
{
	return (unsigned)s < MAILSTATE_COUNT ? mailstate_defs[s].name : NULL;
}

bool mailstate_is(enum mailstate s, unsigned flags)
{
	return (unsigned)s < MAILSTATE_COUNT &&
		(mailstate_defs[s].flags & flags) == flags;
}

int mailstate_parse(const char *name, enum mailstate *out)
{
	size_t i;

	for (i = 0; name && i < MAILSTATE_COUNT; i++) {
		if (!strcmp(name, mailstate_defs[i].name)) {
			*out = (enum mailstate)i;
			return 0;
		}
	}
	return EINVAL;
}
