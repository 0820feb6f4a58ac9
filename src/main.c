/* dialconf: subcommand dispatch. `serve` and `admin token` live here since
 * they work on the local data directory; every other verb is a client of
 * the REST API (src/cli/). Exit codes (SPEC §7): 0 success, 1 the
 * operation failed, 2 usage error. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "cli/cli.h"
#include "core/secret.h"
#include "http/http.h"

#ifndef DIALCONF_VERSION
#define DIALCONF_VERSION "0.1.0"
#endif

#define SERVE_NCONN 8    /* store connections: one per HTTP thread */
#define SERVE_NTHREADS 8
#define PATH_SIZE 4096

enum { EXIT_USAGE = 2 };

struct serve_opts {
	const char *data;
	const char *db;
	const char *http;
	const char *sip;    /* stored; SIP arrives with a later issue */
	const char *mail;   /* stored; the outbox worker arrives later */
	const char *config;
	bool demo;
};

static void usage_main(FILE *f)
{
	fprintf(f,
		"usage: dialconf COMMAND [ARGS]\n"
		"\n"
		"  serve [--data DIR] [--db URL] [--http ADDR:PORT] ...   run the service\n"
		"  admin token [--data DIR] [--db URL] [--name NAME]      print a new API token\n"
		"  user | number | meeting | settings | conference-id | outbox | calls | audit\n"
		"                                 administer a running service over its REST API\n"
		"                                 (DIALCONF_URL, DIALCONF_TOKEN)\n"
		"\n"
		"  dialconf COMMAND --help        help on one command\n"
		"  dialconf --version             print the version\n");
}

static void usage_serve(FILE *f)
{
	fprintf(f,
		"usage: dialconf serve [--data DIR] [--db URL] [--http ADDR:PORT]\n"
		"                      [--sip ADDR:PORT] [--mail URL] [--config FILE] [--demo]\n"
		"\n"
		"  --data DIR        data directory, created if missing (default ./var)\n"
		"  --db URL          database: sqlite: (in DIR), sqlite:/path/file.db\n"
		"                    (default sqlite:)\n"
		"  --http ADDR:PORT  REST API address (default 127.0.0.1:8080)\n"
		"  --sip ADDR:PORT   SIP address (default 127.0.0.1:5060); accepted, the SIP\n"
		"                    service arrives with a later issue\n"
		"  --mail URL        maildir: or smtp://HOST:PORT (default maildir:); accepted,\n"
		"                    email delivery arrives with a later issue\n"
		"  --config FILE     not supported yet\n"
		"  --demo            seed a small demo organization into an empty database\n");
}

static void usage_token(FILE *f)
{
	fprintf(f,
		"usage: dialconf admin token [--data DIR] [--db URL] [--name NAME]\n"
		"\n"
		"Create an API token on the local database (works without a running\n"
		"service) and print it on stdout. NAME (default admin) is the actor the\n"
		"audit log shows for requests made with it.\n");
}

/* mkdir -p with mode 0700 for the parts it creates. 0 or errno. */
static int make_dir(const char *path)
{
	char buf[PATH_SIZE];
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

static int open_app(struct app **ap, const char *data, const char *db,
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
	if (err)
		fprintf(stderr, "dialconf: cannot open database %s: %s\n", db,
			ae.detail[0] ? ae.detail : strerror(err));
	return err;
}

/* First start: create the administrator and show its password once. */
static int ensure_admin(struct app *a, const char *data)
{
	struct app_err ae = {{0}};
	char pw[128] = "";
	bool created = false;
	int err;

	err = app_admin_ensure(a, data, pw, sizeof(pw), &created, &ae);
	if (err) {
		fprintf(stderr, "dialconf: cannot create the administrator: %s\n",
			ae.detail[0] ? ae.detail : strerror(err));
		goto out;
	}
	if (created)
		printf("admin password (shown once, also in "
		       "%s/initial-admin-password): %s\n", data, pw);
 out:
	explicit_bzero(pw, sizeof(pw));
	return err;
}

static int seed_demo(struct app *a)
{
	struct app_err ae = {{0}};
	bool seeded = false;
	int err;

	err = app_demo_seed(a, &seeded, &ae);
	if (err)
		fprintf(stderr, "dialconf: demo organization: %s\n",
			ae.detail[0] ? ae.detail : strerror(err));
	else if (seeded)
		printf("dialconf: demo organization created\n");
	return err;
}

/* Block until SIGTERM or SIGINT arrives (the mask was blocked before any
 * thread started, so every thread inherits it and only we receive them). */
static void wait_for_stop(const sigset_t *set)
{
	int sig = 0;

	while (sigwait(set, &sig) == 0) {
		if (sig == SIGTERM || sig == SIGINT)
			return;
	}
}

/* Run the service until a stop signal. Returns the exit code. */
static int serve_run(const struct serve_opts *o)
{
	struct app *a = NULL;
	struct http *h = NULL;
	sigset_t set;
	int code = 1, err;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (open_app(&a, o->data, o->db, SERVE_NCONN) || ensure_admin(a, o->data))
		goto out;
	if (o->demo && seed_demo(a))
		goto out;

	err = http_start(&h, a, o->http, SERVE_NTHREADS);
	if (err) {
		fprintf(stderr, "dialconf: cannot serve http on %s: %s\n",
			o->http, strerror(err));
		goto out;
	}
	printf("dialconf: serving http://%s (data %s)\n", o->http, o->data);

	wait_for_stop(&set);
	fprintf(stderr, "info main stopping\n");
	code = 0;
 out:
	http_stop(h);
	app_close(a);
	return code;
}

/* getopt_long over argv with a fresh state (it is called more than once
 * per process only in tests, but costs nothing). */
static void getopt_reset(void)
{
	optind = 0;
	opterr = 0;
}

static int cmd_serve(int argc, char **argv)
{
	static const struct option lo[] = {
		{"data", required_argument, NULL, 'd'},
		{"db", required_argument, NULL, 'b'},
		{"http", required_argument, NULL, 'H'},
		{"sip", required_argument, NULL, 's'},
		{"mail", required_argument, NULL, 'm'},
		{"config", required_argument, NULL, 'c'},
		{"demo", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct serve_opts o = {"./var", "sqlite:", "127.0.0.1:8080",
			       "127.0.0.1:5060", "maildir:", NULL, false};
	int c;

	getopt_reset();
	while ((c = getopt_long(argc, argv, "+:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.data = optarg; break;
		case 'b': o.db = optarg; break;
		case 'H': o.http = optarg; break;
		case 's': o.sip = optarg; break;
		case 'm': o.mail = optarg; break;
		case 'c': o.config = optarg; break;
		case 'D': o.demo = true; break;
		case 'h': usage_serve(stdout); return 0;
		case ':':
			fprintf(stderr, "dialconf serve: %s needs a value\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "dialconf serve: bad option '%s'\n",
				argv[optind - 1]);
			usage_serve(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dialconf serve: unexpected '%s'\n", argv[optind]);
		usage_serve(stderr);
		return EXIT_USAGE;
	}
	if (!http_addr_valid(o.http)) {
		fprintf(stderr, "dialconf serve: --http wants ADDR:PORT, e.g. "
			"127.0.0.1:8080, not '%s'\n", o.http);
		return EXIT_USAGE;
	}
	if (o.config) {
		fprintf(stderr, "dialconf serve: --config is not supported yet; "
			"use the command-line flags\n");
		return EXIT_USAGE;
	}
	return serve_run(&o);
}

static int token_run(const char *data, const char *db, const char *name)
{
	struct app_err ae = {{0}};
	char token[SECRET_TOKEN_SIZE] = "";
	struct app *a = NULL;
	int code = 1, err;

	if (open_app(&a, data, db, 1))
		goto out;
	err = app_token_create(a, name, token, sizeof(token), &ae);
	if (err) {
		fprintf(stderr, "dialconf admin token: %s\n",
			ae.detail[0] ? ae.detail : strerror(err));
		goto out;
	}
	printf("%s\n", token);
	code = 0;
 out:
	explicit_bzero(token, sizeof(token));
	app_close(a);
	return code;
}

static int cmd_admin_token(int argc, char **argv)
{
	static const struct option lo[] = {
		{"data", required_argument, NULL, 'd'},
		{"db", required_argument, NULL, 'b'},
		{"name", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *data = "./var", *db = "sqlite:", *name = "admin";
	int c;

	getopt_reset();
	while ((c = getopt_long(argc, argv, "+:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'b': db = optarg; break;
		case 'n': name = optarg; break;
		case 'h': usage_token(stdout); return 0;
		case ':':
			fprintf(stderr, "dialconf admin token: %s needs a "
				"value\n", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "dialconf admin token: bad option '%s'\n",
				argv[optind - 1]);
			usage_token(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || !name[0]) {
		usage_token(stderr);
		return EXIT_USAGE;
	}
	return token_run(data, db, name);
}

/* `dialconf admin ...`: only `token` works offline; the rest is the CLI's. */
static int cmd_admin(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "token"))
		return cmd_admin_token(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage_token(stdout);
		return 0;
	}
	fprintf(stderr, "dialconf admin: unknown subcommand%s%s\n",
		argc >= 2 ? " " : "", argc >= 2 ? argv[1] : "");
	usage_token(stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const char *cmd = argc >= 2 ? argv[1] : NULL;

	if (!cmd) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage_main(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("dialconf %s\n", DIALCONF_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "serve"))
		return cmd_serve(argc - 1, argv + 1);
	if (!strcmp(cmd, "admin"))
		return cmd_admin(argc - 1, argv + 1);
	if (cmd[0] == '-') {
		fprintf(stderr, "dialconf: unknown option '%s'\n", cmd);
		usage_main(stderr);
		return EXIT_USAGE;
	}
	return cli_main(argc - 1, argv + 1);
}
