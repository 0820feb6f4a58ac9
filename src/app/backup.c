/* backup: copying the whole database out and back (store_backup and
 * store_restore), with the reason a person can act on when it fails. The
 * copy on SQLite is SQLite's online backup, consistent while the service
 * writes; PostgreSQL has pg_dump and pg_restore for it. */
#include <errno.h>
#include <string.h>

#include "app/app_priv.h"

#define PG_DUMP_HINT "see docs/operations.md, \"Backups and upgrades\""

int app_backup(struct app *a, const char *path, struct app_err *err)
{
	struct store *st;
	int e;

	app_err_clear(err);
	if (!a || !path || !path[0]) {
		app_errf(err, "no backup file named");
		return EINVAL;
	}
	st = app_conn_get(a);
	e = store_backup(st, path);
	app_conn_put(a, st);
	if (e == ENOTSUP)
		app_errf(err, "a PostgreSQL database is backed up with its own "
			 "tools: pg_dump -Fc (%s)", PG_DUMP_HINT);
	else if (e == ELOOP)
		app_errf(err, "%s is the database itself: name a file apart",
			 path);
	else if (e)
		app_errf(err, "cannot write the backup %s: %s", path,
			 strerror(e));
	return e;
}

int app_restore(struct app *a, const char *path, struct app_err *err)
{
	struct store *st;
	int e;

	app_err_clear(err);
	if (!a || !path || !path[0]) {
		app_errf(err, "no backup file named");
		return EINVAL;
	}
	st = app_conn_get(a);
	e = store_restore(st, path);
	app_conn_put(a, st);
	switch (e) {
	case 0:
		break;
	case ENOTSUP:
		app_errf(err, "a PostgreSQL database is restored with its own "
			 "tools: pg_restore into a new database (%s)",
			 PG_DUMP_HINT);
		break;
	case EBUSY:
		app_errf(err, "the database is in use by another process (a "
			 "running dialconf serve?): stop it, then restore; "
			 "nothing was changed");
		break;
	case EINVAL:
		app_errf(err, "%s is not a dialconf database (not SQLite, "
			 "damaged, or no schema version); nothing was changed",
			 path);
		break;
	case ELOOP:
		app_errf(err, "%s is the database itself; nothing was changed",
			 path);
		break;
	case ERANGE:
		app_errf(err, "%s was written by a newer dialconf (a newer "
			 "schema version); nothing was changed", path);
		break;
	default:
		app_errf(err, "cannot restore %s: %s", path, strerror(e));
	}
	return e;
}
