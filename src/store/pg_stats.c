/* pg_stats: the counts behind the operator's gauges (GET /metrics), as in
 * sqlite_stats.c: one statement (STORE_STATS_SQL, store_priv.h). */
#include <errno.h>

#include "store/pg_priv.h"

int pgstore_stats(void *conn, struct store_stats *st)
{
	static const char sql[] = STORE_STATS_SQL;
	PGresult *res = NULL;
	int i, err;

	err = pgstore_one(conn, PGS_OP(stats), sql, NULL, &res);
	if (err)
		return err;
	st->users = pgstore_int(res, 0, 0);
	st->confids_live = pgstore_int(res, 0, 1);
	for (i = 0; i < MAILSTATE_COUNT; i++)
		st->mail[i] = pgstore_int(res, 0, 2 + i);
	PQclear(res);
	return 0;
}
