/* admin: `dialconf admin token|passwd|backup|restore`, the verbs that work
 * on the local database without a running service (an API token made, an
 * admin's password set, a backup taken or restored). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "app/app.h"
#include "core/secret.h"
#include "local.h"

#define PASSWORD_SIZE 1026 /* 1024 bytes, newline, NUL */

static void usage_token(FILE *f)
{
	fprintf(f,
		"usage: dialconf admin token [--data DIR] [--db URL] [--name NAME]\n"
		"                            [--expires-days DAYS]\n"
		"\n"
		"Create an API token on the local database (works without a running\n"
		"service) and print it on stdout; stderr says which database it went\n"
		"to. Give the --data (or --db) the server runs with: a token made in\n"
		"another database is refused as \"a valid bearer token is required\".\n"
		"NAME (default admin) is the actor the audit log shows for requests\n"
		"made with it. With --expires-days (1 to 3650) it stops working that\n"
		"many days from now; without, it works until revoked (dialconf token\n"
		"revoke ID, or DELETE /api/v1/tokens/ID).\n");
}

/* The options of the offline admin verbs (token, passwd). */
struct admin_opts {
	const char *data;
	const char *db;
	const char *name; /* --name; NULL where the verb has none */
	const char *expires; /* --expires-days; NULL when not given */
};

/* Parse the options of `dialconf admin VERB` per lo into o; the words
 * after them start at argv[optind]. -1 to go on, else the exit code. Only
 * a verb with --name tells a missing value from a bad option. */
static int admin_opts_parse(int argc, char **argv, const char *verb,
			    const struct option *lo, void (*usage)(FILE *),
			    struct admin_opts *o)
{
	int c;

	local_getopt_reset();
	while ((c = getopt_long(argc, argv, "+:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->data = optarg; break;
		case 'b': o->db = optarg; break;
		case 'n': o->name = optarg; break;
		case 'e': o->expires = optarg; break;
		case 'h': usage(stdout); return 0;
		case ':':
			if (o->name) {
				fprintf(stderr, "dialconf admin %s: %s needs a "
					"value\n", verb, argv[optind - 1]);
				return LOCAL_EXIT_USAGE;
			}
			/* fall through */
		default:
			fprintf(stderr, "dialconf admin %s: bad option '%s'\n",
				verb, argv[optind - 1]);
			usage(stderr);
			return LOCAL_EXIT_USAGE;
		}
	}
	return -1;
}

/* Say why an admin verb failed: the use case's detail, else err. */
static void admin_fail(const char *verb, const struct app_err *ae, int err)
{
	fprintf(stderr, "dialconf admin %s: %s\n", verb,
		ae->detail[0] ? ae->detail : strerror(err));
}

/* Where db (a --db URL) keeps its data, for a person to read: the SQLite
 * file, or a PostgreSQL URL without its user and password. */
static void db_where(char *out, size_t size, const char *data, const char *db)
{
	const char *at, *rest;

	if (!strcmp(db, "sqlite:")) {
		snprintf(out, size, "%s/dialconf.db", data);
		return;
	}
	if (!strncmp(db, "sqlite:", 7)) {
		rest = db + 7;
		if (!strncmp(rest, "//", 2))
			rest += 2;
		snprintf(out, size, "%s", rest);
		return;
	}
	rest = strstr(db, "://");
	if (!rest) {
		snprintf(out, size, "%s", db);
		return;
	}
	rest += 3;
	at = strchr(rest, '@');
	if (at && at < rest + strcspn(rest, "/?"))
		rest = at + 1;
	snprintf(out, size, "%.*s://%s", (int)(strstr(db, "://") - db), db,
		 rest);
}

static int token_run(const char *data, const char *db, const char *name,
		     int64_t expires_at)
{
	struct app_err ae = {{0}};
	char token[SECRET_TOKEN_SIZE] = "";
	char where[LOCAL_PATH_SIZE];
	struct app *a = NULL;
	int code = 1, err;

	if (local_open_app(&a, data, db, 1))
		goto out;
	err = app_token_create(a, NULL, name, expires_at, token, sizeof(token),
			       NULL, &ae);
	if (err) {
		admin_fail("token", &ae, err);
		goto out;
	}
	printf("%s\n", token);
	/* On stderr, so that $(dialconf admin token) is the token alone: a
	 * server started on another --data or --db will not know it. */
	db_where(where, sizeof(where), data, db);
	fprintf(stderr, "dialconf admin token: token \"%s\" stored in %s "
		"(data %s); it works against a server using that database\n",
		name, where, data);
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
		{"expires-days", required_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct admin_opts o = {
		.data = "./var", .db = "sqlite:", .name = "admin",
	};
	int64_t expires_at = 0;
	char *end = NULL;
	long days;
	int code;

	code = admin_opts_parse(argc, argv, "token", lo, usage_token, &o);
	if (code >= 0)
		return code;
	if (optind < argc || !o.name[0]) {
		usage_token(stderr);
		return LOCAL_EXIT_USAGE;
	}
	if (local_db_url_usage("admin token", o.db))
		return LOCAL_EXIT_USAGE;
	if (o.expires) {
		errno = 0;
		days = strtol(o.expires, &end, 10);
		if (errno || end == o.expires || *end || days < 1 ||
		    days > 3650) {
			fprintf(stderr, "dialconf admin token: --expires-days "
				"must be a whole number of days, 1 to 3650\n");
			return LOCAL_EXIT_USAGE;
		}
		expires_at = (int64_t)time(NULL) + days * 86400;
	}
	return token_run(o.data, o.db, o.name, expires_at);
}

static void usage_passwd(FILE *f)
{
	fprintf(f,
		"usage: dialconf admin passwd [--data DIR] [--db URL] [USERNAME]\n"
		"\n"
		"Set the admin center password of USERNAME (default admin) on the\n"
		"local database, creating the account if it is missing; works without\n"
		"a running service. The password (8 bytes at least) is read from\n"
		"stdin, one line; on a terminal it is asked twice, not echoed. The\n"
		"account's lock is lifted and its sessions end; for admin,\n"
		"DIR/initial-admin-password (its first password) is removed.\n");
}

/* One line of stdin into buf, without its line end. EINVAL when empty, too
 * long or missing; prompt (on a terminal only) goes to stderr. */
static int read_line(const char *prompt, bool tty, char *buf, size_t size)
{
	size_t len;

	if (tty)
		fprintf(stderr, "%s", prompt);
	if (!fgets(buf, (int)size, stdin))
		buf[0] = '\0';
	if (tty)
		fprintf(stderr, "\n");
	len = strlen(buf);
	if (len && buf[len - 1] != '\n' && !feof(stdin))
		return EINVAL; /* longer than any password we take */
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return len ? 0 : EINVAL;
}

/* The new password from stdin, asked twice with echo off on a terminal. */
static int read_password(char *pw, size_t size)
{
	char again[PASSWORD_SIZE];
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &old);
	int err;

	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	err = read_line("New password: ", tty, pw, size);
	if (!err && tty) {
		err = read_line("Again: ", tty, again, sizeof(again));
		if (!err && strcmp(pw, again))
			err = EPERM;
	}
	if (tty)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	explicit_bzero(again, sizeof(again));
	if (err)
		fprintf(stderr, "dialconf admin passwd: %s\n", err == EPERM ?
			"the two passwords differ" :
			"no password on stdin (one line, at most 1024 bytes)");
	return err;
}

static int passwd_run(const char *data, const char *db, const char *user)
{
	struct app_err ae = {{0}};
	char pw[PASSWORD_SIZE] = "";
	struct app *a = NULL;
	bool created = false;
	int code = 1, err;

	if (read_password(pw, sizeof(pw)) || local_open_app(&a, data, db, 1))
		goto out;
	err = app_admin_passwd(a, user, pw, &created, &ae);
	if (err) {
		admin_fail("passwd", &ae, err);
		goto out;
	}
	printf("dialconf: password of %s %s\n", user,
	       created ? "set (new account)" : "changed");
	code = 0;
 out:
	explicit_bzero(pw, sizeof(pw));
	app_close(a);
	return code;
}

static int cmd_admin_passwd(int argc, char **argv)
{
	static const struct option lo[] = {
		{"data", required_argument, NULL, 'd'},
		{"db", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct admin_opts o = { .data = "./var", .db = "sqlite:" };
	const char *user = "admin";
	int code;

	code = admin_opts_parse(argc, argv, "passwd", lo, usage_passwd, &o);
	if (code >= 0)
		return code;
	if (optind < argc)
		user = argv[optind++];
	if (optind < argc || !user[0]) {
		usage_passwd(stderr);
		return LOCAL_EXIT_USAGE;
	}
	if (local_db_url_usage("admin passwd", o.db))
		return LOCAL_EXIT_USAGE;
	return passwd_run(o.data, o.db, user);
}

static void usage_backup(FILE *f)
{
	fprintf(f,
		"usage: dialconf admin backup [--data DIR] [--db URL] FILE\n"
		"\n"
		"Write a copy of the whole SQLite database to FILE (mode 0600, replaced\n"
		"at once), consistent while dialconf serve runs and writes. PostgreSQL:\n"
		"use pg_dump -Fc (docs/operations.md, \"Backups and upgrades\").\n");
}

static void usage_restore(FILE *f)
{
	fprintf(f,
		"usage: dialconf admin restore [--data DIR] [--db URL] FILE\n"
		"\n"
		"Replace the whole SQLite database by the backup FILE, in one\n"
		"transaction, and bring it to this version's schema. Refused while a\n"
		"dialconf serve (or any other process of ours) has the database open,\n"
		"and for a FILE that is no dialconf database. PostgreSQL: use\n"
		"pg_restore into a new database.\n");
}

typedef int (copy_run_h)(struct app *a, const char *path,
			 struct app_err *err);

/* backup and restore: open the database (one connection, so that a
 * restore finds no other of ours), run, and say what was done. */
static int copy_run(const char *verb, copy_run_h *run,
		    const struct admin_opts *o, const char *file)
{
	struct app_err ae = {{0}};
	char where[LOCAL_PATH_SIZE];
	struct app *a = NULL;
	int code = 1, err;

	if (local_open_app(&a, o->data, o->db, 1))
		goto out;
	err = run(a, file, &ae);
	if (err) {
		admin_fail(verb, &ae, err);
		goto out;
	}
	db_where(where, sizeof(where), o->data, o->db);
	printf("dialconf admin %s: %s %s %s\n", verb, where,
	       run == app_backup ? "copied to" : "replaced by", file);
	code = 0;
 out:
	app_close(a);
	return code;
}

/* `dialconf admin backup|restore [--data DIR] [--db URL] FILE`. */
static int cmd_admin_copy(int argc, char **argv, const char *verb,
			  copy_run_h *run, void (*usage)(FILE *))
{
	static const struct option lo[] = {
		{"data", required_argument, NULL, 'd'},
		{"db", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct admin_opts o = { .data = "./var", .db = "sqlite:" };
	int code;

	code = admin_opts_parse(argc, argv, verb, lo, usage, &o);
	if (code >= 0)
		return code;
	if (optind != argc - 1 || !argv[optind][0]) {
		usage(stderr);
		return LOCAL_EXIT_USAGE;
	}
	if (local_db_url_usage(!strcmp(verb, "backup") ? "admin backup" :
			 "admin restore", o.db))
		return LOCAL_EXIT_USAGE;
	return copy_run(verb, run, &o, argv[optind]);
}

/* The subcommands of `dialconf admin`. */
static void usage_admin(FILE *f)
{
	usage_token(f);
	fprintf(f, "\n");
	usage_passwd(f);
	fprintf(f, "\n");
	usage_backup(f);
	fprintf(f, "\n");
	usage_restore(f);
}

/* `dialconf admin ...`: token, passwd, backup and restore work on the
 * local database; the rest is the CLI's. */
int admin_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "token"))
		return cmd_admin_token(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "passwd"))
		return cmd_admin_passwd(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "backup"))
		return cmd_admin_copy(argc - 1, argv + 1, "backup", app_backup,
				      usage_backup);
	if (argc >= 2 && !strcmp(argv[1], "restore"))
		return cmd_admin_copy(argc - 1, argv + 1, "restore",
				      app_restore, usage_restore);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage_admin(stdout);
		return 0;
	}
	fprintf(stderr, "dialconf admin: unknown subcommand%s%s\n",
		argc >= 2 ? " " : "", argc >= 2 ? argv[1] : "");
	usage_admin(stderr);
	return LOCAL_EXIT_USAGE;
}

