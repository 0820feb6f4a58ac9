/* local: what the commands working on this machine's data directory and
 * database share (serve, and the offline admin verbs of admin.c): the
 * data directory made, the app opened with its errors said on stderr, a
 * --db URL checked as a usage error, getopt reset. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "app/app.h"
#include "core/secret.h"
#include "local.h"


/* mkdir -p with mode 0700 for the parts it creates. 0 or errno. */
static int make_dir(const char *path)
{
	char buf[LOCAL_PATH_SIZE];
	struct stat st;
	size_t i, len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return EINVAL;
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return errno;
		buf[i] = path[i];
	}
	if (stat(path, &st))
		return errno;
	return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

int local_open_app(struct app **ap, const char *data, const char *db,
		   int nconn)
{
	struct app_err ae = {{0}};
	int err;

	err = make_dir(data);
	if (err) {
		fprintf(stderr, "dialconf: data directory %s: %s\n", data,
			strerror(err));
		return err;
	}
	err = secret_init();
	if (err) {
		fprintf(stderr, "dialconf: cannot initialise libsodium\n");
		return err;
	}
	err = app_open(ap, db, data, nconn, &ae);
	if (err && ae.detail[0]) {
		/* The detail names the database already, its password masked. */
		fprintf(stderr, "dialconf: %s\n", ae.detail);
	} else if (err) {
		char safe[256];

		app_db_url_safe(safe, sizeof(safe), db);
		fprintf(stderr, "dialconf: cannot open database %s: %s\n",
			safe, strerror(err));
	}
	return err;
}

/* A --db URL no backend takes is a usage error: say so once, with the
 * forms taken, before the data directory is created. */
int local_db_url_usage(const char *verb, const char *db)
{
	struct app_err ae = {{0}};
	int err;

	err = app_db_url_check(db, &ae);
	if (err)
		fprintf(stderr, "dialconf %s: --db: %s\n", verb, ae.detail);
	return err;
}

/* getopt_long over argv with a fresh state (it is called more than once
 * per process only in tests, but costs nothing). */
void local_getopt_reset(void)
{
	optind = 0;
	opterr = 0;
}
