/* sqlite_stats: the counts behind the operator's gauges (GET /metrics),
 * one statement (STORE_STATS_SQL, store_priv.h). */
#include <errno.h>

#include "store/sqlite_priv.h"

static int read_stats(sqlite3_stmt *stmt, void *arg)
{
	struct store_stats *st = arg;
	int i;

	st->users = sqlite3_column_int64(stmt, 0);
	st->confids_live = sqlite3_column_int64(stmt, 1);
	for (i = 0; i < MAILSTATE_COUNT; i++)
		st->mail[i] = sqlite3_column_int64(stmt, 2 + i);
	return 0;
}

int sqlstore_stats(void *conn, struct store_stats *st)
{
	static const char sql[] = STORE_STATS_SQL;

	return sqlstore_select_one(conn, SQS_OP(stats), sql, NULL, 0,
				   read_stats, st);
}
