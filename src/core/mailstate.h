/* mailstate: the states of an email in the outbox (SPEC §5), listed once.
 * The store (as text in outbox.state), the use cases, the API, the CLI,
 * the metrics and the admin center (through GET /api/v1/meta) all read
 * this list; only the schemas' CHECK (a released migration) spells the
 * names again, so a new state also takes a migration in each backend. */
#ifndef DIALCONF_CORE_MAILSTATE_H
#define DIALCONF_CORE_MAILSTATE_H

#include <stdbool.h>

/* What a state means for its rows, as bits of struct mailstate_def flags:
 * DUE        waiting for a delivery attempt at next_attempt_at (the worker
 *            claims only these rows);
 * DELIVERED  the mail server took it (sent_at is set);
 * RETRY      an operator may queue it again (POST .../retry). */
#define MAILSTATE_DUE 1u
#define MAILSTATE_DELIVERED 2u
#define MAILSTATE_RETRY 4u

/* MAILSTATES(X, SEP): X(ID, name, label, flags) for each state, SEP between
 * two. name is its text in the database, the API and on the command line;
 * label what the admin center calls it. */
#define MAILSTATES(X, SEP)						\
	X(PENDING, "pending", "Pending", MAILSTATE_DUE) SEP		\
	X(SENT, "sent", "Sent", MAILSTATE_DELIVERED) SEP		\
	X(FAILED, "failed", "Failed", MAILSTATE_RETRY)

#define MAILSTATE_ENUM_(id, name, label, flags) MAILSTATE_##id,

enum mailstate {
	MAILSTATES(MAILSTATE_ENUM_, )
	MAILSTATE_COUNT /* keep last */
};

#undef MAILSTATE_ENUM_

/* The names joined by '|', a string literal: "pending|sent|failed". */
#define MAILSTATE_NAME_(id, name, label, flags) name
#define MAILSTATE_NAMES MAILSTATES(MAILSTATE_NAME_, "|")

struct mailstate_def {
	const char *name;
	const char *label;
	unsigned flags; /* MAILSTATE_DUE, ... */
};

/* Every state, indexed by enum mailstate. */
extern const struct mailstate_def mailstate_defs[MAILSTATE_COUNT];

/* The state's name, or NULL when s is none of them. */
const char *mailstate_name(enum mailstate s);
/* Does s have every bit of flags? false when s is none of the states. */
bool mailstate_is(enum mailstate s, unsigned flags);
/* The state called name: 0 and *out, or EINVAL (also for NULL). */
int mailstate_parse(const char *name, enum mailstate *out);

#endif
