/* store_priv: what the storage front end (store.c) and its backends share.
 * Each backend defines one const struct store_backend, its entries made
 * from STORE_OPS (store_ops.h); store.c lists them in its registry and
 * picks one by URL scheme. The helpers below are written once in store.c
 * for both backends. */
#ifndef DIALCONF_STORE_STORE_PRIV_H
#define DIALCONF_STORE_STORE_PRIV_H

#include "store/store.h"

extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_pg_backend;     /* postgres:// */
extern const struct store_backend store_pg_backend_alt; /* postgresql:// */

/* The declaration of PREFIX_NAME(conn, params...), a backend's function
 * for operation NAME; each backend's private header expands STORE_OPS
 * with it. */
#define STORE_BACKEND_DECL(prefix, op, params) \
	int prefix##_##op(void *conn, STORE_PARAMS params);
#define STORE_BACKEND_DECL0(prefix, op) int prefix##_##op(void *conn);

/* "%" + search with %, _ and \ escaped + "%", for LIKE ... ESCAPE '\'.
 * 0 and *patp (free it), or ENOMEM. */
int store_like_pattern(const char *search, char **patp);

/* The text the schemas store for a kind or state, and back. A parse of
 * an unknown text gives the first value (the schema's CHECK allows no
 * other). Mail states: core/mailstate.h. */
const char *store_confid_kind_name(enum store_confid_kind kind);
enum store_confid_kind store_confid_kind_parse(const char *s);
const char *store_meeting_state_name(enum store_meeting_state s);
enum store_meeting_state store_meeting_state_parse(const char *s);

/* The statement of store_stats in both backends: users, live conference
 * IDs, then the outbox rows of each mail state in enum mailstate order,
 * one column each. One statement, so that a scrape sees one snapshot;
 * each count is served by an index (conference_ids_live, outbox_state). */
#define STORE_STATS_MAIL_(id, name, label, flags) \
	", (SELECT count(*) FROM outbox WHERE state = '" name "')"
#define STORE_STATS_SQL \
	"SELECT (SELECT count(*) FROM users)," \
	" (SELECT count(*) FROM conference_ids WHERE revoked_at IS NULL)" \
	MAILSTATES(STORE_STATS_MAIL_, )

/* The statement of store_usage_report in both backends, written once:
 * FROM, TO, BY, NOW are the placeholders of its four parameters (BY: the
 * group's name, store_usage_group_name), GREATEST the two-argument
 * maximum of the dialect. c: the calls that started in the range, with
 * their group's key, start and end (a live call ends now); the sweep adds
 * +1 at each start and -1 at each end, ends first at the same instant
 * (back to back is not at once), and a running sum over them, per group
 * (over all calls for days, so that a call across midnight counts on
 * both), is the number in progress; its most at a start is the peak.
 * Served by call_records_started. Columns: key, seconds, calls, callers,
 * peak, email, display_name, city, country. */
#define STORE_USAGE_SQL(FROM, TO, BY, NOW, GREATEST)			\
	"WITH c AS (SELECT CASE " BY					\
	"  WHEN 'day' THEN CAST(started_at / 86400000 AS TEXT)"	\
	"  WHEN 'number' THEN dialed"					\
	"  WHEN 'user' THEN coalesce(CAST(user_id AS TEXT), '')"	\
	"  WHEN 'conference' THEN coalesce(conference_id, '')"	\
	"  ELSE '' END AS k, started_at AS s,"			\
	"  coalesce(ended_at, " GREATEST "(" NOW ", started_at)) AS e,"	\
	"  caller_key, conference_seconds, user_id"			\
	" FROM call_records"						\
	" WHERE started_at >= " FROM " AND started_at < " TO "),"	\
	"ev AS (SELECT k, s AS t, 1 AS d FROM c"			\
	" UNION ALL SELECT k, e AS t, -1 AS d FROM c),"		\
	"run AS (SELECT k, d, sum(d) OVER (PARTITION BY"		\
	"  CASE WHEN " BY " = 'day' THEN '' ELSE k END"		\
	"  ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS n FROM ev),"	\
	"peak AS (SELECT k, max(n) AS p FROM run WHERE d = 1 GROUP BY k)," \
	"g AS (SELECT k, sum(conference_seconds) AS secs,"		\
	"  count(*) AS calls, count(DISTINCT caller_key) AS callers,"	\
	"  max(user_id) AS uid FROM c GROUP BY k)"			\
	" SELECT g.k, g.secs, g.calls, g.callers, peak.p, u.email,"	\
	"  u.display_name, n.city, n.country"				\
	" FROM g JOIN peak ON peak.k = g.k"				\
	" LEFT JOIN users u ON " BY " = 'user' AND u.id = g.uid"	\
	" LEFT JOIN dial_in_numbers n"				\
	"  ON " BY " = 'number' AND n.number = g.k"			\
	" ORDER BY CASE WHEN " BY " = 'day' THEN g.k END,"		\
	"  g.secs DESC, g.calls DESC, g.k"

/* The name STORE_USAGE_SQL takes for a group. */
static inline const char *store_usage_group_name(enum store_usage_group g)
{
	static const char *const names[STORE_USAGE_COUNT_] = {
		"day", "number", "user", "conference", "total",
	};

	return g >= 0 && g < STORE_USAGE_COUNT_ ? names[g] : "total";
}

#endif
