/* sqlite_stats: the counts behind the operator's gauges (GET /metrics).
 * One statement of scalar subqueries, so that a scrape sees one snapshot;
 * each count is served by an index (conference_ids_live, outbox_state). */
#include <errno.h>

#include "store/sqlite_priv.h"

static int read_stats(sqlite3_stmt *stmt, void *arg)
{
	struct store_stats *st = arg;

	st->users = sqlite3_column_int64(stmt, 0);
	st->confids_live = sqlite3_column_int64(stmt, 1);
	st->mail_pending = sqlite3_column_int64(stmt, 2);
	st->mail_sent = sqlite3_column_int64(stmt, 3);
	st->mail_failed = sqlite3_column_int64(stmt, 4);
	return 0;
}

int sqlstore_stats(void *conn, struct store_stats *st)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM users),"
		" (SELECT count(*) FROM conference_ids WHERE revoked_at IS NULL),"
		" (SELECT count(*) FROM outbox WHERE state = 'pending'),"
		" (SELECT count(*) FROM outbox WHERE state = 'sent'),"
		" (SELECT count(*) FROM outbox WHERE state = 'failed')";

	return sqlstore_select_one(conn, SQS_OP(stats), sql, NULL, 0,
				   read_stats, st);
}
