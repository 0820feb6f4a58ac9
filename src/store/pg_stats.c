/* pg_stats: the counts behind the operator's gauges (GET /metrics), as in
 * sqlite_stats.c: one statement, so that a scrape sees one snapshot. */
#include <errno.h>

#include "store/pg_priv.h"

int pgstore_stats(void *conn, struct store_stats *st)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM users),"
		" (SELECT count(*) FROM conference_ids WHERE revoked_at IS NULL),"
		" (SELECT count(*) FROM outbox WHERE state = 'pending'),"
		" (SELECT count(*) FROM outbox WHERE state = 'sent'),"
		" (SELECT count(*) FROM outbox WHERE state = 'failed')";
	PGresult *res = NULL;
	int err;

	err = pgstore_one(conn, PGS_OP(stats), sql, NULL, &res);
	if (err)
		return err;
	st->users = pgstore_int(res, 0, 0);
	st->confids_live = pgstore_int(res, 0, 1);
	st->mail_pending = pgstore_int(res, 0, 2);
	st->mail_sent = pgstore_int(res, 0, 3);
	st->mail_failed = pgstore_int(res, 0, 4);
	PQclear(res);
	return 0;
}
