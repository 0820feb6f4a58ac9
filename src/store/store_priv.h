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

#endif
