/* pg_backup: no backup or restore through the store on PostgreSQL. The
 * database server has its own tools, which take a consistent snapshot
 * without stopping the nodes and restore into a new database: pg_dump -Fc
 * and pg_restore (docs/operations.md, "Backups and upgrades"). */
#include <errno.h>

#include "store/pg_priv.h"

int pgstore_backup(void *conn, const char *path)
{
	(void)conn;
	(void)path;
	return ENOTSUP;
}

int pgstore_restore(void *conn, const char *path)
{
	(void)conn;
	(void)path;
	return ENOTSUP;
}
