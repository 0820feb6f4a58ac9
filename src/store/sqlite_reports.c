/* sqlite_reports: usage reports over call_records in the SQLite backend,
 * one statement aggregated by the engine (STORE_USAGE_SQL, store_priv.h),
 * so a year of calls costs the database a sort, not this process a row
 * each. */
#include <errno.h>
#include <string.h>

#include "store/sqlite_priv.h"

struct usage_ctx {
	store_usage_h *h;
	void *arg;
};

static int usage_row(sqlite3_stmt *stmt, void *arg)
{
	struct usage_ctx *c = arg;
	struct store_usage_row r;
	int err;

	memset(&r, 0, sizeof(r));
	r.conference_seconds = sqlite3_column_int64(stmt, 1);
	r.calls = sqlite3_column_int64(stmt, 2);
	r.callers = sqlite3_column_int64(stmt, 3);
	r.peak = sqlite3_column_int64(stmt, 4);
	err = sqlstore_column_text(stmt, 0, r.key, sizeof(r.key));
	if (!err)
		err = sqlstore_column_text(stmt, 5, r.email, sizeof(r.email));
	if (!err)
		err = sqlstore_column_text(stmt, 6, r.display_name,
					   sizeof(r.display_name));
	if (!err)
		err = sqlstore_column_text(stmt, 7, r.city, sizeof(r.city));
	if (!err)
		err = sqlstore_column_text(stmt, 8, r.country,
					   sizeof(r.country));
	return err ? err : c->h(&r, c->arg);
}

int sqlstore_usage_report(void *conn, int64_t from, int64_t to, int64_t now,
			  enum store_usage_group by, store_usage_h *h,
			  void *arg)
{
	static const char sql[] =
		STORE_USAGE_SQL("?1", "?2", "?3", "?4", "max");
	struct sqlstore *s = conn;
	struct usage_ctx c = { h, arg };
	sqlite3_stmt *stmt = NULL;
	int err;

	err = sqlstore_prepare(s, SQS_OP(usage_report), sql, &stmt);
	if (err)
		return err;
	err = sqlstore_bind_int64(stmt, 1, from);
	if (!err)
		err = sqlstore_bind_int64(stmt, 2, to);
	if (!err)
		err = sqlstore_err(sqlite3_bind_text(
			stmt, 3, store_usage_group_name(by), -1,
			SQLITE_STATIC));
	if (!err)
		err = sqlstore_bind_int64(stmt, 4, now);
	if (!err)
		err = sqlstore_rows(stmt, usage_row, &c);
	sqlstore_release(s, SQS_OP(usage_report), stmt);
	return err;
}
