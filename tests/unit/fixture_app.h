/* fixture_app: a cmocka fixture shared by the unit tests of src/app/: an
 * app on a fresh SQLite database in a temporary data directory per test,
 * removed again after it. Header only; include it once per test file. */
#ifndef DIALCONF_TESTS_FIXTURE_APP_H
#define DIALCONF_TESTS_FIXTURE_APP_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "app/app.h"

struct fx {
	char dir[256];
	struct app *a;
};

static int rm_cb(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct app_err err = { "" };
	const char *tmp = getenv("TMPDIR");
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/test_app.XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	if (app_open(&f->a, "sqlite:", f->dir, 2, &err)) {
		fprintf(stderr, "app_open: %s\n", err.detail);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	app_close(f->a);
	nftw(f->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

#endif
