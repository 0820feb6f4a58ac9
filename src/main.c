/* dialconf: subcommand dispatch, and `serve` (its options, --config file,
 * wiring). `admin` (admin.c) also works on the local data directory (what
 * both share: local.c); every other verb is a client of the REST API
 * (src/cli/). Exit codes (SPEC §7): 0 success, 1 the operation failed, 2
 * usage error. */
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#define LOG_MODULE "main"
#include "admin.h"
#include "app/app.h"
#include "cli/cli.h"
#include "core/log.h"
#include "http/http.h"
#include "mail/mail.h"
#include "local.h"
#include "sip/sipd.h"

#ifndef DIALCONF_VERSION
#define DIALCONF_VERSION "0.1.0"
#endif

#define SERVE_NCONN 8    /* store connections: HTTP requests, SIP, mail share them */
/* HTTP threads: two per core, at least 4 (a handler waiting on the database
 * stalls the other connections of its thread), at most SERVE_NCONN. More
 * threads than that on few cores only trade requests for context switches
 * (bench/run rest: 8 threads on 2 cores cost a third more CPU a request). */
#define SERVE_NTHREADS_MIN 4

/* Where `meson install` puts the prompts, and the source tree's copy, used
 * when the first is missing (a build run in place, `make run`). */
#ifndef DIALCONF_PROMPTS_DIR
#define DIALCONF_PROMPTS_DIR "prompts"
#endif
#ifndef DIALCONF_SOURCE_PROMPTS_DIR
#define DIALCONF_SOURCE_PROMPTS_DIR DIALCONF_PROMPTS_DIR
#endif


/* What serve runs with: one field per row of serve_options. */
struct serve_opts {
	const char *data;
	const char *db;
	const char *http;
	const char *sip;
	const char *rtp_ports; /* "LOW-HIGH" */
	const char *prompts;
	const char *mail;   /* delivery URL of the outbox worker */
	const char *log_level;
	const char *node;
	const char *media_priority; /* "0" (off) or a SCHED_FIFO 1-99 */
	const char *config;
	bool demo;
	bool print_config;
};

/* One option of `serve`. The table below is the only list of them (DESIGN:
 * every list of names written once, as redis's config.c): it drives
 * getopt_long, the keys of a --config file and the --help text. */
struct serve_option {
	const char *name; /* --NAME, and the key NAME of a [serve] section */
	const char *arg;  /* its value in --help ("DIR"); NULL: a switch */
	size_t field;     /* offsetof the const char * (bool for a switch) */
	const char *def;  /* the default value, NULL for none */
	bool flag_only;   /* not a key of the config file */
	const char *help; /* for --help; the default is added */
	bool reloadable;  /* SIGHUP applies a new value of the config file */
};

#define SERVE_FIELD(f) offsetof(struct serve_opts, f)

static const struct serve_option serve_options[] = {
	{"data", "DIR", SERVE_FIELD(data), "./var", false,
	 "data directory, created if missing", false},
	{"db", "URL", SERVE_FIELD(db), "sqlite:", false,
	 "database: sqlite: (in DIR), sqlite:/path/file.db, or "
	 "postgres://USER@HOST:PORT/DB for several nodes", false},
	{"http", "ADDR:PORT", SERVE_FIELD(http), "127.0.0.1:8080", false,
	 "REST API address", false},
	{"sip", "ADDR:PORT", SERVE_FIELD(sip), "127.0.0.1:5060", false,
	 "SIP address, UDP and TCP", false},
	{"rtp-ports", "LOW-HIGH", SERVE_FIELD(rtp_ports), "30000-39999", false,
	 "RTP ports of calls", false},
	{"prompts", "DIR", SERVE_FIELD(prompts), DIALCONF_PROMPTS_DIR, false,
	 "the attendant's prompt audio (DIR/languages, a folder per "
	 "language); when the default is missing, the source tree's "
	 "prompts/ (a build run in place)", false},
	{"mail", "URL", SERVE_FIELD(mail), "maildir:", false,
	 "where emails go: maildir: (DIR/maildir), maildir:PATH, "
	 "smtp://HOST:PORT (STARTTLS required; ?tls=none for a local "
	 "relay, ?cafile=/PATH for a private CA) or smtps://HOST:PORT; "
	 "credentials in the URL or in DIALCONF_SMTP_USER, "
	 "DIALCONF_SMTP_PASSWORD", false},
	{"log-level", "LEVEL", SERVE_FIELD(log_level), "info", false,
	 "the lowest level logged: debug, info, warn or error (each call's "
	 "and each request's events are debug, counted in /metrics); SIGHUP "
	 "applies a new value from the config file", true},
	{"node", "NAME", SERVE_FIELD(node), NULL, false,
	 "this node's name among the nodes of one database (call records, "
	 "live calls, conference homes): 1-63 of A-Z a-z 0-9 . _ : -; "
	 "default HOSTNAME:SIP-PORT", false},
	{"media-priority", "PRIO", SERVE_FIELD(media_priority), "0", false,
	 "real-time priority of the SIP and media thread, which sends every "
	 "caller's audio each 20 ms: 1-99 runs it SCHED_FIFO at PRIO (as "
	 "Asterisk -p), so other work on the machine cannot make frames late; "
	 "needs an RLIMIT_RTPRIO of PRIO (systemd: LimitRTPRIO=), root or "
	 "CAP_SYS_NICE (refused: logged, serves at normal priority); the "
	 "kernel's RT throttling (95 % of a core) bounds it; 0: normal "
	 "scheduling", false},
	{"config", "FILE", SERVE_FIELD(config), NULL, true,
	 "read the options from the [serve] section of an INI file first, "
	 "by their names; flags given on the command line win", false},
	{"demo", NULL, SERVE_FIELD(demo), NULL, false,
	 "seed a small demo organization into an empty database", false},
	{"print-config", NULL, SERVE_FIELD(print_config), NULL, true,
	 "print a config file of every option, set to the values the other "
	 "flags give, and exit", false},
};

#define SERVE_NOPTIONS (sizeof(serve_options) / sizeof(serve_options[0]))

/* The value of option so in o. */
static const char **serve_value(struct serve_opts *o,
				const struct serve_option *so)
{
	return (const char **)(void *)((char *)o + so->field);
}

static bool *serve_switch(struct serve_opts *o, const struct serve_option *so)
{
	return (bool *)(void *)((char *)o + so->field);
}

static void usage_main(FILE *f)
{
	fprintf(f,
		"usage: dialconf COMMAND [ARGS]\n"
		"\n"
		"  serve [--data DIR] [--db URL] [--http ADDR:PORT] ...   run the service\n"
		"  admin token [--data DIR] [--db URL] [--name NAME] [--expires-days DAYS]\n"
		"                                                         print a new API token\n"
		"  admin passwd [--data DIR] [--db URL] [USERNAME]        set an admin password\n"
		"  admin backup [--data DIR] [--db URL] FILE              copy the database to FILE\n"
		"  admin restore [--data DIR] [--db URL] FILE             replace it by a backup\n"
		"  user | number | meeting | settings | conference-id | outbox | webhooks | calls | conference | records | report | jitsi | audit | token\n"
		"                                 administer a running service over its REST API\n"
		"                                 (DIALCONF_URL, DIALCONF_TOKEN)\n"
		"\n"
		"  dialconf COMMAND --help        help on one command\n"
		"  dialconf --version             print the version\n");
}

#define USAGE_WIDTH 78
#define USAGE_HELP_COL 20 /* where an option's help starts */

/* Where --help writes next: the column, and whether it is the start of a
 * line's text (no space before the next word). */
struct usage_pos {
	int col;
	bool fresh;
};

/* The len bytes of word onto f at p, on a new line at column indent when
 * they would pass USAGE_WIDTH. */
static void usage_word(FILE *f, const char *word, int len, int indent,
		       struct usage_pos *p)
{
	if (!p->fresh && p->col + 1 + len > USAGE_WIDTH) {
		fprintf(f, "\n%*s", indent, "");
		p->col = indent;
	} else if (!p->fresh) {
		fputc(' ', f);
		p->col++;
	}
	fprintf(f, "%.*s", len, word);
	p->col += len;
	p->fresh = false;
}

/* The words of text, each as usage_word. */
static void usage_words(FILE *f, const char *text, int indent,
			struct usage_pos *p)
{
	while (*text) {
		int len = (int)strcspn(text, " ");

		usage_word(f, text, len, indent, p);
		text += len;
		while (*text == ' ')
			text++;
	}
}

/* The keys of a [serve] section, for --config's help. */
static void usage_keys(FILE *f, struct usage_pos *p)
{
	char word[128];
	size_t i, k;

	usage_word(f, "(keys:", 6, USAGE_HELP_COL, p);
	for (i = 0; i < SERVE_NOPTIONS; i++) {
		const struct serve_option *so = &serve_options[i];

		if (so->flag_only)
			continue;
		for (k = i + 1; k < SERVE_NOPTIONS; k++) {
			if (!serve_options[k].flag_only)
				break;
		}
		snprintf(word, sizeof(word), "%s%s%s", so->name,
			 so->arg ? "" : " = yes|no",
			 k < SERVE_NOPTIONS ? "," : ")");
		usage_word(f, word, (int)strlen(word), USAGE_HELP_COL, p);
	}
}

/* `serve --help`, from serve_options. */
static void usage_serve(FILE *f)
{
	static const char head[] = "usage: dialconf serve";
	struct usage_pos p = { (int)strlen(head), false };
	char item[LOCAL_PATH_SIZE];
	size_t i;

	fprintf(f, "%s", head);
	for (i = 0; i < SERVE_NOPTIONS; i++) {
		const struct serve_option *so = &serve_options[i];

		snprintf(item, sizeof(item), "[--%s%s%s]", so->name,
			 so->arg ? " " : "", so->arg ? so->arg : "");
		usage_word(f, item, (int)strlen(item), (int)strlen(head) + 1,
			   &p);
	}
	fprintf(f, "\n\n");
	for (i = 0; i < SERVE_NOPTIONS; i++) {
		const struct serve_option *so = &serve_options[i];

		p.col = fprintf(f, "  --%s%s%s", so->name, so->arg ? " " : "",
				so->arg ? so->arg : "");
		p.col += fprintf(f, "%*s", p.col < USAGE_HELP_COL ?
				 USAGE_HELP_COL - p.col : 2, "");
		p.fresh = true;
		usage_words(f, so->help, USAGE_HELP_COL, &p);
		if (so->field == SERVE_FIELD(config))
			usage_keys(f, &p);
		if (so->def) {
			snprintf(item, sizeof(item), "(default %s)", so->def);
			usage_word(f, item, (int)strlen(item), USAGE_HELP_COL,
				   &p);
		}
		fprintf(f, "\n");
	}
}

static int http_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN) * 2;

	if (n < SERVE_NTHREADS_MIN)
		return SERVE_NTHREADS_MIN;
	return n > SERVE_NCONN ? SERVE_NCONN : (int)n;
}

/* --node, or HOSTNAME:SIP-PORT: unique among nodes on one machine too. */
static int name_node(struct app *a, const struct serve_opts *o)
{
	char host[APP_NODE_SIZE] = "", name[APP_NODE_SIZE * 2];
	const char *port = strrchr(o->sip, ':');

	if (o->node)
		return app_node_set(a, o->node);
	if (gethostname(host, sizeof(host) - 1) || !app_node_valid(host))
		snprintf(host, sizeof(host), "node");
	host[strcspn(host, ".")] = '\0';
	snprintf(name, sizeof(name), "%.50s:%s", host, port ? port + 1 : "5060");
	return app_node_set(a, name);
}

/* First start: create the administrator; its password into pw (size
 * bytes), "" when it existed already. serve shows it once it serves. */
static int ensure_admin(struct app *a, const char *data, char *pw,
			size_t size)
{
	struct app_err ae = {{0}};
	bool created = false;
	int err;

	err = app_admin_ensure(a, data, pw, size, &created, &ae);
	if (err)
		fprintf(stderr, "dialconf: cannot create the administrator: %s\n",
			ae.detail[0] ? ae.detail : strerror(err));
	if (err || !created)
		pw[0] = '\0';
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

/* Tell systemd (a Type=notify unit) how serve is doing: "READY=1" once
 * every server answers, "RELOADING=1", "STOPPING=1". Nothing without
 * NOTIFY_SOCKET, or in a build without libsystemd. */
static void notify(const char *state)
{
#ifdef HAVE_LIBSYSTEMD
	(void)sd_notify(0, state);
#else
	(void)state;
#endif
}

/* Is fd the journal's stream? systemd names it in JOURNAL_STREAM as
 * "DEVICE:INODE" (systemd.exec(5)); a stream merely inherited from a
 * parent that logged to the journal has another inode. */
static bool fd_is_journal(int fd)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(fd, &st))
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

static void serve_reload(const struct serve_opts *cur,
			 const struct serve_opts *flags);

/* Block until SIGTERM or SIGINT arrives, reloading on SIGHUP (the mask was
 * blocked before any thread started, so every thread inherits it and only
 * we receive them). */
static void wait_for_stop(const sigset_t *set, const struct serve_opts *cur,
			  const struct serve_opts *flags)
{
	int sig = 0;

	while (sigwait(set, &sig) == 0) {
		if (sig == SIGHUP)
			serve_reload(cur, flags);
		else if (sig == SIGTERM || sig == SIGINT)
			return;
	}
}

/* "0" (off) or a SCHED_FIFO priority 1-99 into *prio. 0 or EINVAL. */
static int media_priority_parse(const char *s, int *prio)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 99)
		return EINVAL;
	*prio = (int)v;
	return 0;
}

/* The SIP side (src/sip/): its own thread, bound here, serving from
 * start_sip, stopped by sipd_stop(). */
static int listen_sip(struct sipd **sp, const struct serve_opts *o)
{
	struct sipd_opts so = {o->sip, 0, 0, o->prompts, 0};
	char why[512] = "";
	int err;

	(void)sipd_ports_parse(o->rtp_ports, &so.rtp_min, &so.rtp_max);
	(void)media_priority_parse(o->media_priority, &so.rt_priority);
	err = sipd_listen(sp, &so, why, sizeof(why));
	if (err)
		fprintf(stderr, "dialconf: cannot serve sip on %s: %s\n",
			o->sip, why[0] ? why : strerror(err));
	return err;
}

static int start_sip(struct sipd *s, struct app *a,
		     const struct serve_opts *o)
{
	char why[512] = "";
	int err;

	err = sipd_start(s, a, why, sizeof(why));
	if (err)
		fprintf(stderr, "dialconf: cannot serve sip on %s: %s\n",
			o->sip, why[0] ? why : strerror(err));
	/* Controls other nodes write for this node's calls. */
	if (!err && (err = app_control_start(a)))
		fprintf(stderr, "dialconf: cannot start the control poller: "
			"%s\n", strerror(err));
	return err;
}

/* Call records: close what the last run left live, start the writer. */
static int start_records(struct app *a, const struct serve_opts *o)
{
	struct app_err ae = {{0}};
	int err;

	err = app_records_start(a, o->sip, o->http, &ae);
	if (err)
		fprintf(stderr, "dialconf: call records: %s\n",
			ae.detail[0] ? ae.detail : strerror(err));
	return err;
}

/* Run the service with o until a stop signal; SIGHUP reads the config file
 * again, flags (the command line's) still winning. Returns the exit code.
 * The order is the point: every port is bound first, so that a taken one
 * fails before anything is created; then the database (and the first
 * admin); then the servers start, and only then does serve say so. */
static int serve_run(const struct serve_opts *o,
		     const struct serve_opts *flags)
{
	struct app *a = NULL;
	struct http *h = NULL;
	struct sipd *sip = NULL;
	struct mail_worker *mail = NULL;
	struct mail_webhook *hooks = NULL;
	char pw[128] = "";
	sigset_t set;
	int code = 1, err;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	err = http_listen(&h, o->http);
	if (err) {
		fprintf(stderr, "dialconf: cannot serve http on %s: %s\n",
			o->http, strerror(err));
		goto out;
	}
	if (listen_sip(&sip, o))
		goto out;

	if (local_open_app(&a, o->data, o->db, SERVE_NCONN) ||
	    name_node(a, o) || ensure_admin(a, o->data, pw, sizeof(pw)))
		goto out;
	/* The languages of the prompts just loaded: all a number may name. */
	if (app_prompt_languages_set(a, sipd_languages(sip)))
		goto out;
	if (o->demo && seed_demo(a))
		goto out;
	if (start_records(a, o))
		goto out;

	err = http_start(h, a, http_threads());
	if (err) {
		fprintf(stderr, "dialconf: cannot serve http on %s: %s\n",
			o->http, strerror(err));
		goto out;
	}
	if (start_sip(sip, a, o))
		goto out;
	err = mail_worker_start(&mail, a, o->mail, o->data);
	if (err) {
		char shown[512];

		mail_url_redact(o->mail, shown, sizeof(shown));
		fprintf(stderr, "dialconf: cannot deliver email to %s: %s\n",
			shown, strerror(err));
		goto out;
	}
	err = mail_webhook_start(&hooks, a);
	if (err) {
		fprintf(stderr, "dialconf: cannot start webhooks: %s\n",
			strerror(err));
		goto out;
	}

	/* The journal keeps what it is given: the password stays in its file. */
	if (pw[0] && fd_is_journal(STDOUT_FILENO))
		printf("dialconf: admin password in %s/initial-admin-password\n",
		       o->data);
	else if (pw[0])
		printf("admin password (shown once, also in "
		       "%s/initial-admin-password): %s\n", o->data, pw);
	explicit_bzero(pw, sizeof(pw));
	printf("dialconf: serving http://%s (data %s)\n", o->http, o->data);
	printf("dialconf: serving sip:%s (udp, tcp; rtp %s)\n", o->sip,
	       o->rtp_ports);

	notify("READY=1");

	wait_for_stop(&set, o, flags);
	notify("STOPPING=1");
	log_info("event=stopping");
	code = 0;
 out:
	explicit_bzero(pw, sizeof(pw));
	app_control_stop(a); /* no control reaches the SIP side after */
	sipd_stop(sip); /* BYE to every caller, before app goes away */
	if (a)
		app_records_stop(a); /* writes the records of those calls */
	http_stop(h);
	mail_worker_stop(mail); /* what it claimed and did not send stays due */
	mail_webhook_stop(hooks); /* after sipd: the last call events kept */
	app_close(a);
	return code;
}

/* The values of a --config file, owned here until serve returns. */
struct config_file {
	char *values[SERVE_NOPTIONS];
	size_t n;
	const char *path;
	int bad_line;
};

struct config_ctx {
	struct config_file *cf;
	struct serve_opts *o;
};

static int config_keep(struct config_file *cf, const char *value,
		       const char **slot)
{
	char *copy;

	if (cf->n == SERVE_NOPTIONS || strlen(value) > 4096)
		return 0;
	copy = strdup(value);
	if (!copy)
		return 0;
	cf->values[cf->n++] = copy;
	*slot = copy;
	return 1;
}

static bool config_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
		*out = false;
	else
		return false;
	return true;
}

/* inih handler: 1 to go on, 0 marks the line bad (an unknown key is an
 * error, so a typo does not silently fall back to a default). */
static int config_entry(void *arg, const char *section, const char *name,
			const char *value)
{
	struct config_ctx *c = arg;
	size_t i;

	if (section[0] && strcmp(section, "serve") != 0)
		return 0;
	for (i = 0; i < SERVE_NOPTIONS; i++) {
		const struct serve_option *so = &serve_options[i];

		if (so->flag_only || strcmp(name, so->name))
			continue;
		if (!so->arg)
			return config_bool(value, serve_switch(c->o, so));
		return config_keep(c->cf, value, serve_value(c->o, so));
	}
	return 0;
}

/* Read path into o. 0, or -1 with the reason on stderr. */
static int config_load(struct config_file *cf, const char *path,
		       struct serve_opts *o)
{
	struct config_ctx c = { cf, o };
	int r;

	cf->path = path;
	r = ini_parse(path, config_entry, &c);
	if (r == 0)
		return 0;
	if (r < 0)
		fprintf(stderr, "dialconf serve: cannot read --config %s\n",
			path);
	else
		fprintf(stderr, "dialconf serve: %s line %d: unknown key, bad "
			"value or section other than [serve]\n", path, r);
	return -1;
}

static void config_free(struct config_file *cf)
{
	size_t i;

	for (i = 0; i < cf->n; i++)
		free(cf->values[i]);
	cf->n = 0;
}

/* Flags given on the command line win over the file and the defaults. */
static void opts_overlay(struct serve_opts *o, struct serve_opts *f)
{
	size_t i;

	for (i = 0; i < SERVE_NOPTIONS; i++) {
		const struct serve_option *so = &serve_options[i];

		if (!so->arg && *serve_switch(f, so))
			*serve_switch(o, so) = true;
		else if (so->arg && *serve_value(f, so))
			*serve_value(o, so) = *serve_value(f, so);
	}
}

/* The default prompts missing (a build run in place): the source tree's. */
static void prompts_fallback(struct serve_opts *o)
{
	if (!strcmp(o->prompts, DIALCONF_PROMPTS_DIR) &&
	    access(o->prompts, F_OK) != 0)
		o->prompts = DIALCONF_SOURCE_PROMPTS_DIR;
}

/* Every option at its default. */
static void serve_defaults(struct serve_opts *o)
{
	size_t i;

	for (i = 0; i < SERVE_NOPTIONS; i++) {
		if (serve_options[i].arg)
			*serve_value(o, &serve_options[i]) = serve_options[i].def;
	}
}

/* Whether option so has the same value in a and b. */
static bool serve_same(struct serve_opts *a, struct serve_opts *b,
		       const struct serve_option *so)
{
	const char *va, *vb;

	if (!so->arg)
		return *serve_switch(a, so) == *serve_switch(b, so);
	va = *serve_value(a, so);
	vb = *serve_value(b, so);
	return va == vb || (va && vb && !strcmp(va, vb));
}

/* SIGHUP: read the config file again (flags still win) and apply what is
 * safe to change while calls run: the options marked reloadable. A changed
 * option that is not is logged as needing a restart; a bad file changes
 * nothing. cur is what serve started with. */
static void serve_reload(const struct serve_opts *cur,
			 const struct serve_opts *flags)
{
	struct serve_opts o = {0}, now = *cur, fl = *flags;
	struct config_file cf = {0};
	enum log_level level;
	size_t i;

	notify("RELOADING=1");
	serve_defaults(&o);
	if (fl.config && config_load(&cf, fl.config, &o) != 0) {
		log_error("event=reload_failed config=%s reason=bad_file",
			  fl.config);
		goto out;
	}
	opts_overlay(&o, &fl);
	prompts_fallback(&o);
	if (log_level_parse(o.log_level, &level)) {
		log_error("event=reload_failed option=log-level value=%s",
			  o.log_level);
		goto out;
	}
	for (i = 0; i < SERVE_NOPTIONS; i++) {
		const struct serve_option *so = &serve_options[i];

		if (!so->flag_only && !so->reloadable &&
		    !serve_same(&now, &o, so))
			log_warn("event=reload_skipped option=%s "
				 "reason=restart_needed", so->name);
	}
	log_level_set(level);
	log_info("event=reloaded config=%s log_level=%s",
		 fl.config ? fl.config : "-", o.log_level);
 out:
	config_free(&cf);
	notify("READY=1");
}

/* text as "# " comment lines of at most USAGE_WIDTH columns. */
static void config_comment(FILE *f, const char *text)
{
	int col = 0;

	while (*text) {
		int len = (int)strcspn(text, " ");

		if (col && col + 1 + len > USAGE_WIDTH) {
			fputc('\n', f);
			col = 0;
		}
		col += fprintf(f, col ? " %.*s" : "# %.*s", len, text);
		text += len;
		while (*text == ' ')
			text++;
	}
	fputc('\n', f);
}

/* `serve --print-config`: o as a config file, each option with its help.
 * One that differs from its default is set; the others are commented out,
 * showing the default. The list of reloadable options comes from the
 * table too, so the file cannot tell another story than the code. */
static void print_config(FILE *f, struct serve_opts *o)
{
	char reload[512] = "";
	size_t i, len = 0;

	for (i = 0; i < SERVE_NOPTIONS; i++) {
		if (serve_options[i].reloadable && len < sizeof(reload))
			len += (size_t)snprintf(reload + len, sizeof(reload) - len,
						"%s%s", len ? ", " : "",
						serve_options[i].name);
	}
	fprintf(f, "# dialconf.conf: the options of `dialconf serve`, read "
		"with --config FILE;\n"
		"# the systemd unit reads this file. Made by `dialconf serve "
		"--print-config`:\n"
		"# a commented-out line shows the default. A flag on the command "
		"line wins\n"
		"# over this file. SIGHUP (systemctl reload dialconf) applies new "
		"values of:\n"
		"# %s; the others need a restart.\n"
		"\n[serve]\n", reload);
	for (i = 0; i < SERVE_NOPTIONS; i++) {
		const struct serve_option *so = &serve_options[i];
		const char *v;

		if (so->flag_only)
			continue;
		fputc('\n', f);
		config_comment(f, so->help);
		if (!so->arg) {
			bool on = *serve_switch(o, so);

			fprintf(f, "%s%s = %s\n", on ? "" : "#", so->name,
				on ? "yes" : "no");
			continue;
		}
		v = *serve_value(o, so);
		/* Unset (no default, as --node): commented out, empty. */
		fprintf(f, "%s%s = %s\n",
			!v || (so->def && !strcmp(v, so->def)) ? "#" : "",
			so->name, v ? v : "");
	}
}

static int serve_checked(struct serve_opts *opts,
			 const struct serve_opts *flags);

/* getopt_long's val of option i of serve_options: past any character. */
#define SERVE_OPT_VAL 256

static int cmd_serve(int argc, char **argv)
{
	struct option lo[SERVE_NOPTIONS + 2];
	struct serve_opts o = {0}, flags = {0};
	struct config_file cf = {0};
	size_t i;
	int c, rc;

	for (i = 0; i < SERVE_NOPTIONS; i++) {
		const struct serve_option *so = &serve_options[i];

		lo[i] = (struct option){ so->name, so->arg ? required_argument :
					 no_argument, NULL,
					 SERVE_OPT_VAL + (int)i };
	}
	serve_defaults(&o);
	lo[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[i] = (struct option){ NULL, 0, NULL, 0 };

	local_getopt_reset();
	while ((c = getopt_long(argc, argv, "+:h", lo, NULL)) != -1) {
		const struct serve_option *so;

		if (c >= SERVE_OPT_VAL &&
		    c < SERVE_OPT_VAL + (int)SERVE_NOPTIONS) {
			so = &serve_options[c - SERVE_OPT_VAL];
			if (so->arg)
				*serve_value(&flags, so) = optarg;
			else
				*serve_switch(&flags, so) = true;
			continue;
		}
		switch (c) {
		case 'h': usage_serve(stdout); return 0;
		case ':':
			fprintf(stderr, "dialconf serve: %s needs a value\n",
				argv[optind - 1]);
			return LOCAL_EXIT_USAGE;
		default:
			fprintf(stderr, "dialconf serve: bad option '%s'\n",
				argv[optind - 1]);
			usage_serve(stderr);
			return LOCAL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dialconf serve: unexpected '%s'\n", argv[optind]);
		usage_serve(stderr);
		return LOCAL_EXIT_USAGE;
	}
	if (flags.config && config_load(&cf, flags.config, &o) != 0) {
		config_free(&cf);
		return LOCAL_EXIT_USAGE;
	}
	opts_overlay(&o, &flags);
	rc = serve_checked(&o, &flags);
	config_free(&cf);
	return rc;
}

/* Check the options, then serve (or print them, --print-config). Usage
 * errors exit 2 before anything opens. */
static int serve_checked(struct serve_opts *opts,
			 const struct serve_opts *flags)
{
	struct serve_opts o = *opts;
	enum log_level level;
	int prio;

	if (log_level_parse(o.log_level, &level)) {
		fprintf(stderr, "dialconf serve: --log-level wants debug, info, "
			"warn or error, not '%s'\n", o.log_level);
		return LOCAL_EXIT_USAGE;
	}
	if (!http_addr_valid(o.http)) {
		fprintf(stderr, "dialconf serve: --http wants ADDR:PORT, e.g. "
			"127.0.0.1:8080, not '%s'\n", o.http);
		return LOCAL_EXIT_USAGE;
	}
	uint16_t rtp_lo, rtp_hi;

	if (sipd_ports_parse(o.rtp_ports, &rtp_lo, &rtp_hi)) {
		fprintf(stderr, "dialconf serve: --rtp-ports wants LOW-HIGH "
			"within 1024-65535, not '%s'\n", o.rtp_ports);
		return LOCAL_EXIT_USAGE;
	}
	if (local_db_url_usage("serve", o.db))
		return LOCAL_EXIT_USAGE;
	if (media_priority_parse(o.media_priority, &prio)) {
		fprintf(stderr, "dialconf serve: --media-priority wants 0 (off) "
			"or a real-time priority 1-99, not '%s'\n",
			o.media_priority);
		return LOCAL_EXIT_USAGE;
	}
	if (o.node && !app_node_valid(o.node)) {
		fprintf(stderr, "dialconf serve: --node wants 1-63 of A-Z a-z "
			"0-9 . _ : -, not '%s'\n", o.node);
		return LOCAL_EXIT_USAGE;
	}
	if (mail_url_check(o.mail)) {
		char shown[512];

		mail_url_redact(o.mail, shown, sizeof(shown));
		fprintf(stderr, "dialconf serve: --mail wants maildir:[DIR], "
			"smtp://HOST:PORT or smtps://HOST:PORT (options "
			"?tls=none, ?cafile=/PATH), not '%s'\n", shown);
		return LOCAL_EXIT_USAGE;
	}
	if (o.print_config) {
		print_config(stdout, opts);
		return 0;
	}
	prompts_fallback(&o);
	log_level_set(level);
	log_prefix_set(fd_is_journal(STDERR_FILENO));
	return serve_run(&o, flags);
}

int main(int argc, char **argv)
{
	const char *cmd = argc >= 2 ? argv[1] : NULL;

	if (!cmd) {
		usage_main(stderr);
		return LOCAL_EXIT_USAGE;
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
		return admin_main(argc - 1, argv + 1);
	if (cmd[0] == '-') {
		fprintf(stderr, "dialconf: unknown option '%s'\n", cmd);
		usage_main(stderr);
		return LOCAL_EXIT_USAGE;
	}
	return cli_main(argc - 1, argv + 1);
}
