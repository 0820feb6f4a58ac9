/* cli_priv: what the files of src/cli/ share. cli.c owns the verb table,
 * flag parsing and usage; api.c the REST client (libcurl, jansson); out.c
 * the printing of tables and fields; users.c, numbers.c, settings.c and
 * misc.c one do_* handler per verb. */
#ifndef DIALCONF_CLI_CLI_PRIV_H
#define DIALCONF_CLI_CLI_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

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

/* ---- api.c: the REST client ---- */

#define API_URL_MAX 4096 /* bytes of a path and query */

/* A path and query under /api/v1, built piece by piece; a value type (on
 * the stack) so that building it cannot fail half-way: the first error
 * sticks in err and api_call() refuses the URL. */
struct api_url {
	char s[API_URL_MAX];
	size_t len;
	int err;
};

struct api;

void api_url_init(struct api_url *u);
/* Append s as it is (a fixed piece of path or "?limit="). */
void api_url_raw(struct api_url *u, const char *s);
/* Append s percent-encoded (an email, "+1425...", a search text). */
void api_url_part(struct api_url *u, const char *s);
/* Start u as prefix, then item percent-encoded and sfx as it is, each
 * unless NULL: ("/users/", "ada@example.org", "/audio-conferencing/"). */
void api_url_path(struct api_url *u, const char *prefix, const char *item,
		  const char *sfx);

/* Open a client for DIALCONF_URL and DIALCONF_TOKEN. Returns 0, ENOMEM or
 * EIO (libcurl could not start), reported on stderr. */
int api_alloc(struct api **ap);
void api_free(struct api *a);
/* From now on api_call() writes a failure's one-line reason into buf
 * (size bytes, emptied here) instead of stderr; size 0 goes back. */
void api_quiet(struct api *a, char *buf, size_t size);

/* Send method u with body (NULL for none). On a 2xx returns 0 and the
 * decoded answer in *resp (NULL when it had no body; the caller decrefs).
 * Otherwise reports the failure on stderr (the problem's detail, or
 * "cannot reach dialconf at URL: ...") and returns EIO (HTTP error),
 * ECONNREFUSED (transport), EFBIG (answer over the cap), EPROTO (answer not
 * JSON), ENAMETOOLONG or ENOMEM. */
int api_call(struct api *a, const char *method, const struct api_url *u,
	     json_t *body, json_t **resp);

/* Member key of o as a string, NULL when o is not an object or the member
 * is missing, null or not a string. */
const char *api_str(const json_t *o, const char *key);
/* Member key of o when it is an object, else NULL. */
json_t *api_obj(const json_t *o, const char *key);
/* Member key of o as "yes"/"no"-able truth; dflt when absent or no bool. */
bool api_bool(const json_t *o, const char *key, bool dflt);

/* ---- cli.c: the client of this invocation ---- */

/* api_call() with the invocation's client, opened on first use. */
int cli_call(struct cli *c, const char *method, const struct api_url *u,
	     json_t *body, json_t **resp);

/* cli_call() that takes body: sends it, then drops it. */
int cli_send(struct cli *c, const char *method, const struct api_url *u,
	     json_t *body, json_t **resp);

struct out_listing;

/* GET u and print the answer with out_list_answer(). Returns an exit
 * code. */
int cli_get_list(struct cli *c, const struct api_url *u, bool json,
		 const struct out_listing *l);

/* ---- out.c: output for people and scripts ---- */

/* Print one object for people ("Field: value" lines). */
typedef void (out_print_h)(const json_t *o);

/* The cells of one table row for item; buf (size bytes, zeroed, one per
 * row) may hold the text of a cell, since the table borrows cells. */
typedef void (out_row_h)(const json_t *item, const char **cells, char *buf,
			 size_t size);

/* How a list verb prints the list member of the answer. */
struct out_listing {
	const char *key;      /* "numbers": the member holding the list */
	const char *missing;  /* the complaint when it is no list */
	const char *empty;    /* the line printed for an empty list */
	size_t ncols;         /* at most OUT_COLS_MAX */
	const char *const *headers;
	size_t scratch;       /* bytes of row's buf, 0 for none */
	out_row_h *row;
};

#define OUT_COLS_MAX 16 /* columns of a table out_list() prints */


/* The answer as pretty JSON on stdout, for --json. */
void out_json(const json_t *j);

/* "Label:      value" with the labels of one block aligned at width;
 * NULL prints as "-". Control characters print as '?'. */
void out_field(int width, const char *label, const char *value);

/* A table with aligned columns, for lists. Cells are borrowed: they must
 * outlive out_table_print(). */
struct out_table;

int out_table_alloc(struct out_table **tp, size_t ncols,
		    const char *const *headers);
/* Add a row of ncols cells (NULL prints as "-"). Returns 0 or ENOMEM. */
int out_table_add(struct out_table *t, const char *const *cells);
/* Print the headers and the rows. Returns 0 or ENOMEM. */
int out_table_print(const struct out_table *t, FILE *f);
void out_table_free(struct out_table *t);

/* The array list as a table, one row per item through l's row. Returns
 * CLI_OK, or CLI_FAIL after reporting "out of memory". */
int out_list(const json_t *list, const struct out_listing *l);

/* Print resp, the answer of a list verb: all of it for --json, else l's
 * list (or l's empty line). Takes resp; returns an exit code. */
int out_list_answer(json_t *resp, bool json, const struct out_listing *l);

/* Print resp, the answer about one object: all of it for --json, else the
 * line what (unless NULL) and print's fields. Takes resp; returns CLI_OK. */
int out_answer(json_t *resp, bool json, const char *what,
	       out_print_h *print);

/* ---- the handlers ---- */

cli_verb_h do_user_list, do_user_show, do_user_add, do_user_set,
	do_user_delete, do_user_reset_confid, do_user_reset_pin;
cli_verb_h do_number_list, do_number_add, do_number_remove,
	do_number_set_default;
cli_verb_h do_settings_show, do_settings_set;
cli_verb_h do_confid_show, do_audit;
cli_verb_h do_user_send_info, do_outbox_list, do_outbox_retry;
cli_verb_h do_calls;
cli_verb_h do_user_import;
cli_verb_h do_meeting_schedule, do_meeting_list, do_meeting_show,
	do_meeting_cancel;

#endif
