/* pg_reports: usage reports over call_records in the PostgreSQL backend:
 * the statement of sqlite_reports.c (STORE_USAGE_SQL, store_priv.h). */
#include <errno.h>
#include <string.h>

#include "store/pg_priv.h"

static int usage_row(const PGresult *res, int i, store_usage_h *h, void *arg)
{
	struct store_usage_row r;
	int err;

	memset(&r, 0, sizeof(r));
	r.conference_seconds = pgstore_int(res, i, 1);
	r.calls = pgstore_int(res, i, 2);
	r.callers = pgstore_int(res, i, 3);
	r.peak = pgstore_int(res, i, 4);
	err = pgstore_text(res, i, 0, r.key, sizeof(r.key));
	if (!err)
		err = pgstore_text(res, i, 5, r.email, sizeof(r.email));
	if (!err)
		err = pgstore_text(res, i, 6, r.display_name,
				   sizeof(r.display_name));
	if (!err)
		err = pgstore_text(res, i, 7, r.city, sizeof(r.city));
	if (!err)
		err = pgstore_text(res, i, 8, r.country, sizeof(r.country));
	return err ? err : h(&r, arg);
}

int pgstore_usage_report(void *conn, int64_t from, int64_t to, int64_t now,
			 enum store_usage_group by, store_usage_h *h,
			 void *arg)
{
	static const char sql[] = STORE_USAGE_SQL(
		"$1::bigint", "$2::bigint", "$3::text", "$4::bigint",
		"greatest");
	const char *name = store_usage_group_name(by);
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int i, err;

	pgp_int(&pp, from);
	pgp_int(&pp, to);
	pgp_text(&pp, name, strlen(name) + 1);
	pgp_int(&pp, now);
	err = pgstore_run(conn, PGS_OP(usage_report), sql, &pp, &res);
	for (i = 0; !err && i < PQntuples(res); i++)
		err = usage_row(res, i, h, arg);
	PQclear(res);
	return err;
}
