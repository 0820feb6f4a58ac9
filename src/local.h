/* local: what the commands working on the local data directory share
 * (local.c). */
#ifndef DIALCONF_LOCAL_H
#define DIALCONF_LOCAL_H

struct app;

#define LOCAL_PATH_SIZE 4096 /* a path of the data directory's, or shown */

/* Exit codes (SPEC §7): 0 success, 1 the operation failed, 2 usage. */
enum { LOCAL_EXIT_USAGE = 2 };

/* Make the data directory (0700), initialise libsodium and open the app
 * with nconn database connections; each failure said on stderr. 0 or
 * errno. */
int local_open_app(struct app **ap, const char *data, const char *db,
		   int nconn);
/* EINVAL (said on stderr as "dialconf VERB: --db: ...") when no backend
 * takes db, else 0. */
int local_db_url_usage(const char *verb, const char *db);
/* getopt_long over a new argv from the start, without its messages. */
void local_getopt_reset(void);

#endif
