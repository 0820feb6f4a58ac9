/* cli: the administrative commands of SPEC §7, clients of the REST API.
 *
 * A table of verbs with one do_* handler each (OpenSMTPD smtpctl): this file
 * finds the verb for "GROUP VERB ...", parses each verb's flags against the
 * handler's own option table and prints usage. Verbs of later releases stay
 * in the table without a handler so that --help is honest about them. */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_priv.h"
#include "core/mailstate.h"

struct cli_verb {
	const char *group;
	const char *name; /* NULL: the group itself is the verb ("audit") */
	cli_verb_h *h;    /* NULL: not available yet */
	const char *args;
	const char *help;
};

struct cli {
	const struct cli_verb *verb;
	struct api *api;
};

static const struct cli_verb verbs[] = {
	{"user", "list", do_user_list,
	 "[--search TEXT] [--limit N] [--all] [--json]",
	 "list users (one page of --limit, default 50; --all for every page)"},
	{"user", "show", do_user_show, "USER [--json]",
	 "show a user; USER is an email address or an id"},
	{"user", "add", do_user_add,
	 "EMAIL --name NAME [--no-audio-conferencing] [--json]",
	 "add a user, enabled for audio conferencing unless told not to"},
	{"user", "set", do_user_set,
	 "USER [--name NAME] [--audio-conferencing on|off] "
	 "[--toll-number E164|default] [--toll-free-number E164|default] "
	 "[--json]",
	 "change a user; \"default\" returns a number to the organization's"},
	{"user", "delete", do_user_delete, "USER", "delete a user"},
	{"user", "reset-conference-id", do_user_reset_confid,
	 "USER [--no-email] [--no-invitation-update] [--json]",
	 "issue a new conference ID; the old one stops working at once"},
	{"user", "reset-pin", do_user_reset_pin, "USER [--no-email] [--json]",
	 "issue a new organizer PIN, shown once"},
	{"user", "send-conference-info", do_user_send_info,
	 "USER [--to ADDRESS] [--json]",
	 "email the conference ID and dial-in numbers"},
	{"user", "import", do_user_import, "FILE.csv [--no-email]",
	 "add users from a CSV file, all or nothing; --no-email: no\n"
	 "      \"enabled\" emails. Header row required: email, displayName,\n"
	 "      optional audioConferencing (true/false/yes/no, default true),\n"
	 "      tollNumber, tollFreeNumber. At most 1000 rows of 4096 bytes.\n"
	 "      The whole file is read and checked before anything is sent\n"
	 "      (a bad header, an unknown column, unbalanced quotes or a row\n"
	 "      over the bounds exits 2), then the server checks\n"
	 "      every row (email, name, numbers configured, email new) and\n"
	 "      creates them all in one transaction, or none: each refused row\n"
	 "      is named and the command exits 1 with nothing imported.\n"
	 "      Prints one line per row and \"N created, N failed\"."},
	{"number", "list", do_number_list, "[--json]",
	 "list the dial-in numbers"},
	{"number", "add", do_number_add,
	 "E164 --type toll|tollFree --country CC [--city C] "
	 "[--language L]... [--default] [--json]",
	 "add a dial-in number"},
	{"number", "remove", do_number_remove, "E164 [--json]",
	 "remove a dial-in number; says how many users moved to the default"},
	{"number", "set-default", do_number_set_default, "E164 [--json]",
	 "make a number the default of its type"},
	{"settings", "show", do_settings_show, "[--json]",
	 "show the organization settings"},
	{"settings", "set", do_settings_set, "KEY=VALUE... [--json]",
	 "change settings, all or nothing"},
	{"conference-id", "show", do_confid_show, "ID [--json]",
	 "who owns a conference ID, live or revoked"},
	{"audit", NULL, do_audit, "[--limit N] [--json]",
	 "the audit log, newest first (default 100 entries)"},
	{"meeting", "schedule", do_meeting_schedule,
	 "--organizer USER --subject S --start ISO8601 --end ISO8601 "
	 "[--attendee EMAIL]... [--json]",
	 "schedule a meeting; invitations go to the organizer and attendees"},
	{"meeting", "list", do_meeting_list, "[--organizer USER] [--json]",
	 "list meetings"},
	{"meeting", "show", do_meeting_show, "ID [--json]", "show a meeting"},
	{"meeting", "cancel", do_meeting_cancel, "ID [--json]",
	 "cancel a meeting: its ID stops working, attendees are told"},
	{"outbox", "list", do_outbox_list,
	 "[--state " MAILSTATE_NAMES "] [--limit N] [--json]",
	 "list emails, newest first (default 100)"},
	{"outbox", "retry", do_outbox_retry, "ID [--json]",
	 "send a failed email again"},
	{"webhooks", "list", do_webhooks_list,
	 "[--state pending|delivered|failed] [--limit N] [--json]",
	 "list webhook events and their delivery, newest first "
	 "(default 100)"},
	{"calls", NULL, do_calls, "[--json]",
	 "list the live calls of every node"},
	{"records", "list", do_records_list,
	 "[--from ISO8601] [--to ISO8601] [--conference ID] [--limit N] "
	 "[--cursor C] [--json]",
	 "call records, newest first (default 50; --cursor for the next page)"},
	{"report", "usage", do_report_usage,
	 "--from DATE --to DATE [--group-by day|number|user|conference] "
	 "[--csv|--json]",
	 "minutes, calls, unique callers and peak concurrent calls per UTC\n"
	 "      day, dial-in number, user or conference; DATE is 2026-12-01\n"
	 "      (to: through that day) or a date-time with an offset"},
	{"calls", "mute", do_call_control, "ID [--json]",
	 "mute a caller in the conference"},
	{"calls", "unmute", do_call_control, "ID [--json]",
	 "unmute a caller in the conference"},
	{"calls", "remove", do_call_control, "ID [--json]",
	 "say goodbye to a caller and hang up"},
	{"calls", "admit", do_call_control, "ID [--json]",
	 "let a caller waiting in the lobby in"},
	{"conference", "mute-all", do_conference_control,
	 "CONFERENCE-ID [--json]", "mute everyone but the organizer"},
	{"conference", "admit-all", do_conference_control,
	 "CONFERENCE-ID [--json]", "let everyone waiting in the lobby in"},
	{"conference", "lock", do_conference_control, "CONFERENCE-ID [--json]",
	 "lock a conference: new callers are refused"},
	{"conference", "unlock", do_conference_control,
	 "CONFERENCE-ID [--json]", "unlock a conference"},
	{"conference", "end", do_conference_control, "CONFERENCE-ID [--json]",
	 "end a conference: everyone is told and hung up"},
	{"jitsi", "rooms", do_jitsi_rooms, "[--json]",
	 "list the Jitsi Meet rooms mapped to conference IDs"},
	{"token", "list", do_token_list, "[--json]",
	 "list API tokens (never their secrets)"},
	{"token", "create", do_token_create,
	 "NAME [--expires-days DAYS] [--json]",
	 "make an API token and print it (shown this once)"},
	{"token", "revoke", do_token_revoke, "ID",
	 "revoke an API token: it gets 401 from now on"},
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static void verb_usage(FILE *f, const struct cli_verb *v)
{
	fprintf(f, "  dialconf %s%s%s%s%s%s\n", v->group, v->name ? " " : "",
		v->name ? v->name : "", v->args[0] ? " " : "", v->args,
		v->h ? "" : "   (not available yet)");
}

/* Every verb, or those of one group; with the help lines when long. */
static void usage(FILE *f, const char *group, bool lng)
{
	size_t i;

	fprintf(f, "usage:\n");
	if (group == NULL) {
		fprintf(f, "  dialconf serve ...         (see dialconf serve "
			   "--help)\n"
			   "  dialconf admin token ...   (see dialconf admin "
			   "--help)\n"
			   "  dialconf admin passwd ...  (see dialconf admin "
			   "--help)\n");
	}
	for (i = 0; i < NVERBS; i++) {
		if (group != NULL && strcmp(verbs[i].group, group) != 0)
			continue;
		verb_usage(f, &verbs[i]);
		if (lng)
			fprintf(f, "      %s\n", verbs[i].help);
	}
	if (group == NULL || lng) {
		fprintf(f, "environment: DIALCONF_URL (default "
			   "http://127.0.0.1:8080), DIALCONF_TOKEN (from "
			   "'dialconf admin token')\n");
	}
}

static void verb_help(const struct cli_verb *v)
{
	fprintf(stdout, "usage:\n");
	verb_usage(stdout, v);
	fprintf(stdout, "%s\n", v->help);
	if (v->args[0] != '\0' && strstr(v->args, "--json") != NULL)
		fprintf(stdout, "--json prints the server's answer as JSON.\n");
}

int cli_usage_error(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dialconf: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage:\n");
	verb_usage(stderr, c->verb);
	return CLI_USAGE;
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dialconf: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_FAIL;
}

int cli_parse_json(struct cli *c, int argc, char **argv, bool *json,
		   struct cli_list *pos, size_t minpos, size_t maxpos)
{
	const struct cli_opt opts[] = {
		{"--json", CLI_FLAG, json},
		{NULL, 0, NULL},
	};

	return cli_parse(c, argc, argv, json != NULL ? opts : opts + 1, pos,
			 minpos, maxpos);
}

int cli_parse_exit(int err)
{
	return err == ECANCELED ? CLI_OK : CLI_USAGE;
}

int cli_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '+')
		return EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return EINVAL;
	*out = v;
	return 0;
}

static const struct cli_opt *opt_find(const struct cli_opt *opts,
				      const char *arg, size_t len)
{
	for (; opts->name != NULL; opts++) {
		if (strlen(opts->name) == len &&
		    strncmp(opts->name, arg, len) == 0)
			return opts;
	}
	return NULL;
}

static int list_add(struct cli *c, struct cli_list *l, const char *what,
		    const char *v)
{
	if (l->n == CLI_LIST_MAX) {
		cli_usage_error(c, "too many %s (at most %d)", what,
				CLI_LIST_MAX);
		return EINVAL;
	}
	l->v[l->n++] = v;
	return 0;
}

/* One flag at argv[*i]; a value comes after '=' or in the next word. */
static int parse_flag(struct cli *c, int argc, char **argv, int *i,
		      const struct cli_opt *opts)
{
	const char *arg = argv[*i];
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct cli_opt *o = opt_find(opts, arg, len);
	const char *val = eq ? eq + 1 : NULL;

	if (o == NULL) {
		cli_usage_error(c, "unknown option '%.*s'", (int)len, arg);
		return EINVAL;
	}
	if (o->kind == CLI_FLAG) {
		if (val != NULL) {
			cli_usage_error(c, "%s takes no value", o->name);
			return EINVAL;
		}
		*(bool *)o->dest = true;
		return 0;
	}
	if (val == NULL) {
		if (*i + 1 >= argc) {
			cli_usage_error(c, "%s needs a value", o->name);
			return EINVAL;
		}
		val = argv[++*i];
	}
	if (o->kind == CLI_STRING) {
		*(const char **)o->dest = val;
		return 0;
	}
	return list_add(c, o->dest, o->name, val);
}

int cli_parse(struct cli *c, int argc, char **argv,
	      const struct cli_opt *opts, struct cli_list *pos,
	      size_t minpos, size_t maxpos)
{
	bool dashdash = false;
	int i, err;

	pos->n = 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && a[0] == '-' && a[1] != '\0') {
			if (strcmp(a, "--") == 0) {
				dashdash = true;
				continue;
			}
			if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
				verb_help(c->verb);
				return ECANCELED;
			}
			err = parse_flag(c, argc, argv, &i, opts);
		} else {
			err = list_add(c, pos, "arguments", a);
		}
		if (err)
			return err;
	}
	if (pos->n < minpos) {
		/* The verb's usage names its first argument: "USER", "E164". */
		int n = (int)strcspn(c->verb->args, " ");

		cli_usage_error(c, "missing %.*s", n, c->verb->args);
		return EINVAL;
	}
	if (pos->n > maxpos) {
		cli_usage_error(c, "unexpected argument '%s'", pos->v[maxpos]);
		return EINVAL;
	}
	return 0;
}

int cli_call(struct cli *c, const char *method, const struct api_url *u,
	     json_t *body, json_t **resp)
{
	int err;

	if (c->api == NULL) {
		err = api_alloc(&c->api);
		if (err)
			return err;
	}
	return api_call(c->api, method, u, body, resp);
}

int cli_get_text(struct cli *c, const struct api_url *u, char **text)
{
	int err;

	*text = NULL;
	if (c->api == NULL) {
		err = api_alloc(&c->api);
		if (err)
			return err;
	}
	return api_get_text(c->api, u, text);
}

int cli_send(struct cli *c, const char *method, const struct api_url *u,
	     json_t *body, json_t **resp)
{
	int err = cli_call(c, method, u, body, resp);

	json_decref(body);
	return err;
}

int cli_list_answer(json_t *resp, bool json, const struct out_listing *l)
{
	const json_t *list = json_object_get(resp, l->key);
	int rc = CLI_OK;

	if (json)
		out_json(resp);
	else if (!json_is_array(list))
		rc = cli_fail("%s", l->missing);
	else if (json_array_size(list) == 0)
		fprintf(stdout, "%s\n", l->empty);
	else
		rc = out_list(list, l) ? cli_fail("out of memory") : CLI_OK;
	json_decref(resp);
	return rc;
}

int cli_answer(json_t *resp, bool json, const char *what,
	       out_print_h *print)
{
	if (json) {
		out_json(resp);
	} else {
		if (what != NULL)
			fprintf(stdout, "%s\n", what);
		print(resp);
	}
	json_decref(resp);
	return CLI_OK;
}

int cli_get_list(struct cli *c, const struct api_url *u, bool json,
		 const struct out_listing *l)
{
	json_t *resp;

	if (cli_call(c, "GET", u, NULL, &resp) != 0)
		return CLI_FAIL;
	return cli_list_answer(resp, json, l);
}

const char *cli_verb_name(const struct cli *c)
{
	return c->verb->name ? c->verb->name : "";
}

static const struct cli_verb *verb_find(const char *group, const char *name)
{
	size_t i;

	/* A group that is a verb itself may have verbs too ("calls",
	 * "calls mute"): a named one wins. */
	for (i = 0; name && i < NVERBS; i++) {
		if (!strcmp(verbs[i].group, group) && verbs[i].name &&
		    !strcmp(verbs[i].name, name))
			return &verbs[i];
	}
	for (i = 0; i < NVERBS; i++) {
		if (strcmp(verbs[i].group, group) != 0)
			continue;
		if (verbs[i].name == NULL ||
		    (name != NULL && strcmp(verbs[i].name, name) == 0))
			return &verbs[i];
	}
	return NULL;
}

static bool group_known(const char *group)
{
	size_t i;

	for (i = 0; i < NVERBS; i++) {
		if (strcmp(verbs[i].group, group) == 0)
			return true;
	}
	return false;
}

static bool is_help(const char *s)
{
	return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0 ||
	       strcmp(s, "help") == 0;
}

/* The verb's arguments start after the group, or after the group's verb. */
static int run(const struct cli_verb *v, int argc, char **argv)
{
	struct cli c = {.verb = v, .api = NULL};
	int rc;

	if (v->name != NULL) {
		argc--;
		argv++;
	}
	if (v->h == NULL) {
		if (argc > 1 && is_help(argv[1])) {
			verb_help(v);
			return CLI_OK;
		}
		return cli_fail("'%s%s%s' is not available yet", v->group,
				v->name ? " " : "", v->name ? v->name : "");
	}
	rc = v->h(&c, argc, argv);
	api_free(c.api);
	return rc;
}

int cli_main(int argc, char **argv)
{
	const struct cli_verb *v;
	const char *group = argc > 0 ? argv[0] : NULL;

	if (group == NULL || is_help(group)) {
		usage(group ? stdout : stderr, NULL, group != NULL);
		return group ? CLI_OK : CLI_USAGE;
	}
	if (!group_known(group)) {
		fprintf(stderr, "dialconf: unknown command '%s'\n", group);
		usage(stderr, NULL, false);
		return CLI_USAGE;
	}
	if (argc > 1 && is_help(argv[1])) { /* every verb of the group */
		usage(stdout, group, true);
		return CLI_OK;
	}
	v = verb_find(group, argc > 1 ? argv[1] : NULL);
	if (v != NULL)
		return run(v, argc, argv);
	if (argc < 2 || is_help(argv[1])) {
		if (argc < 2)
			fprintf(stderr, "dialconf: %s needs a verb\n", group);
		usage(argc < 2 ? stderr : stdout, group, argc >= 2);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	v = verb_find(group, argv[1]);
	if (v == NULL) {
		fprintf(stderr, "dialconf: unknown command '%s %s'\n", group,
			argv[1]);
		usage(stderr, group, false);
		return CLI_USAGE;
	}
	return run(v, argc, argv);
}
