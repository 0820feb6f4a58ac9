/* fuzz_app: the app a harness of the REST API or the SIP server drives:
 * real use cases on a real SQLite database, in a temporary data directory
 * that goes away at exit, with the demo organisation in it (users, a toll
 * and a toll-free number) so that requests find something to act on.
 * fuzz_app_get() opens a fresh one every FUZZ_APP_RUNS inputs, so the
 * database a long run builds up stays small and every input meets about
 * the same state. Every log line is written (debug and up) into a sink
 * that checks it is one line: what a client sends must never forge a line
 * of its own. Header only; include it once per harness. */
#ifndef DIALCONF_TESTS_FUZZ_APP_H
#define DIALCONF_TESTS_FUZZ_APP_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/app.h"
#include "core/log.h"

#define FUZZ_APP_RUNS 2000

static struct app *fuzz_app;
static char fuzz_app_dir[256];
static unsigned fuzz_app_runs;

static int fuzz_rm_cb(const char *path, const struct stat *sb, int flag,
		      struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void fuzz_app_close(void)
{
	app_close(fuzz_app);
	fuzz_app = NULL;
	if (fuzz_app_dir[0])
		nftw(fuzz_app_dir, fuzz_rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	fuzz_app_dir[0] = '\0';
}

static void fuzz_log_sink(const char *line, size_t len, void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i + 1 < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			break;
	if (len == 0 || line[len - 1] != '\n' || i + 1 < len) {
		fprintf(stderr, "fuzz_app: a log line that is not one line: "
			"%.*s\n", (int)len, line);
		abort();
	}
}

/* A fresh app with the demo organisation; exits the fuzzer when none can
 * be made (a broken set-up is not a finding). */
static void fuzz_app_open(void)
{
	struct app_err err = {""};
	const char *tmp = getenv("TMPDIR");
	bool seeded;

	fuzz_app_close();
	log_sink_set(fuzz_log_sink, NULL);
	log_level_set(LOG_DEBUG);
	snprintf(fuzz_app_dir, sizeof(fuzz_app_dir), "%s/dialconf-fuzz.XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(fuzz_app_dir) ||
	    app_open(&fuzz_app, "sqlite:", fuzz_app_dir, 2, &err) ||
	    app_demo_seed(fuzz_app, &seeded, &err)) {
		fprintf(stderr, "fuzz_app: cannot open an app: %s\n",
			err.detail);
		exit(1);
	}
}

static __attribute__((unused)) struct app *fuzz_app_get(void)
{
	static bool hooked;

	if (!hooked) {
		atexit(fuzz_app_close);
		hooked = true;
	}
	if (!fuzz_app || ++fuzz_app_runs % FUZZ_APP_RUNS == 0)
		fuzz_app_open();
	return fuzz_app;
}

#endif
