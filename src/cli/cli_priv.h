/* cli_priv: what the files of src/cli/ share. cli.c owns the verb table,
 * flag parsing, usage, failures and exit codes, and runs the API client
 * (api.h) and the printing (out.h) for the handlers: users.c, numbers.c,
 * settings.c, meetings.c, outbox.c, calls.c, reports.c, import.c and
 * misc.c, one do_* handler per verb. */
#ifndef DIALCONF_CLI_CLI_PRIV_H
#define DIALCONF_CLI_CLI_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "cli/api.h"
#include "cli/out.h"

/* Exit codes of SPEC §7. */
enum cli_exit {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2,
};

/* One invocation: the verb being run and the API client, opened on first
 * use so that --help and usage errors never touch the network. */
struct cli;

/* A verb's handler: argv[0] is the verb's own name ("list"), the rest its
 * arguments. Returns an exit code. */
typedef int (cli_verb_h)(struct cli *c, int argc, char **argv);

/* ---- cli.c: flags ---- */

#define CLI_LIST_MAX 64 /* values of one repeated flag, or positionals */

struct cli_list {
	const char *v[CLI_LIST_MAX];
	size_t n;
};

enum cli_opt_kind {
	CLI_FLAG,   /* dest: bool *; no value */
	CLI_STRING, /* dest: const char **; the last one given wins */
	CLI_REPEAT, /* dest: struct cli_list *; each use adds one value */
};

struct cli_opt {
	const char *name; /* "--search" */
	enum cli_opt_kind kind;
	void *dest;
};

/* Split argv[1..] into the flags of opts (terminated by a NULL name) and
 * between minpos and maxpos positionals (into pos). "--name VALUE",
 * "--name=VALUE", "--" and -h/--help are understood. Returns 0; ECANCELED
 * when help was printed; EINVAL when a usage error was reported. */
int cli_parse(struct cli *c, int argc, char **argv,
	      const struct cli_opt *opts, struct cli_list *pos,
	      size_t minpos, size_t maxpos);

/* cli_parse() for a verb whose only flag is --json; json NULL: a verb
 * with no flag at all. */
/* The verb being run ("mute" of "calls mute"; "" for a group that is
 * a verb itself). */
const char *cli_verb_name(const struct cli *c);
int cli_parse_json(struct cli *c, int argc, char **argv, bool *json,
		   struct cli_list *pos, size_t minpos, size_t maxpos);

/* The exit code for a cli_parse() failure: 0 after help, 2 otherwise. */
int cli_parse_exit(int err);

/* Report a usage error ("dialconf: ..." and the verb's usage on stderr).
 * Returns CLI_USAGE. */
int cli_usage_error(struct cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parse a decimal integer in [min, max]. Returns 0 or EINVAL. */
int cli_parse_long(const char *s, long min, long max, long *out);

/* Report a failure as "dialconf: ..." on stderr. Returns CLI_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- cli.c: the client of this invocation ---- */

/* api_call() with the invocation's client, opened on first use. */
int cli_call(struct cli *c, const char *method, const struct api_url *u,
	     json_t *body, json_t **resp);

/* GET u for a text answer (api_get_text()): 0 and *text (free() it),
 * or the error, reported. */
int cli_get_text(struct cli *c, const struct api_url *u, char **text);

/* cli_call() that takes body: sends it, then drops it. */
int cli_send(struct cli *c, const char *method, const struct api_url *u,
	     json_t *body, json_t **resp);

/* Print resp, the answer of a list verb: all of it for --json, else l's
 * list (or l's empty line). Takes resp; returns an exit code. */
int cli_list_answer(json_t *resp, bool json, const struct out_listing *l);

/* Print resp, the answer about one object: all of it for --json, else the
 * line what (unless NULL) and print's fields. Takes resp; returns CLI_OK. */
int cli_answer(json_t *resp, bool json, const char *what,
	       out_print_h *print);

/* GET u and print the answer with cli_list_answer(). Returns an exit
 * code. */
int cli_get_list(struct cli *c, const struct api_url *u, bool json,
		 const struct out_listing *l);

/* ---- import.c: the CSV file of `user import` ----
 * import_read reads f (libcsv) and checks its structure and bounds: 0 and
 * *imp, or EINVAL, EFBIG, EIO or ENOMEM with the reason in why and *imp
 * NULL. import_body makes the body of POST /api/v1/users/import from its
 * rows, or reports each row refused here (stderr) and gives NULL with
 * their count in *nbad (NULL and 0: out of memory). */
struct import;
int import_read(struct import **imp, FILE *f, char *why, size_t size);
json_t *import_body(const struct import *im, bool noemail, size_t *nbad);
void import_free(struct import *im);

/* ---- the handlers ---- */

cli_verb_h do_user_list, do_user_show, do_user_add, do_user_set,
	do_user_delete, do_user_reset_confid, do_user_reset_pin;
cli_verb_h do_number_list, do_number_add, do_number_remove,
	do_number_set_default;
cli_verb_h do_settings_show, do_settings_set;
cli_verb_h do_confid_show, do_audit;
cli_verb_h do_user_send_info, do_outbox_list, do_outbox_retry;
cli_verb_h do_webhooks_list;
cli_verb_h do_calls, do_records_list;
cli_verb_h do_report_usage;
cli_verb_h do_calls;
cli_verb_h do_call_control;
cli_verb_h do_conference_control;
cli_verb_h do_jitsi_rooms;
cli_verb_h do_token_list, do_token_create, do_token_revoke;
cli_verb_h do_user_import;
cli_verb_h do_meeting_schedule, do_meeting_list, do_meeting_show,
	do_meeting_cancel;

#endif
