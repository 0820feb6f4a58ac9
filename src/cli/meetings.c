/* meetings: "dialconf meeting schedule|list|show|cancel" over the meeting
 * routes of docs/api.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_priv.h"

#define MEETING_FIELD_W 15

static void meeting_print(const json_t *m)
{
	const json_t *att = json_object_get(m, "attendees");
	char seq[24], natt[24];

	snprintf(seq, sizeof(seq), "%lld", (long long)
		 json_integer_value(json_object_get(m, "sequence")));
	snprintf(natt, sizeof(natt), "%zu", json_array_size(att));
	out_field(MEETING_FIELD_W, "ID", api_str(m, "id"));
	out_field(MEETING_FIELD_W, "Subject", api_str(m, "subject"));
	out_field(MEETING_FIELD_W, "Organizer",
		  api_str(api_obj(m, "organizer"), "email"));
	out_field(MEETING_FIELD_W, "Start", api_str(m, "start"));
	out_field(MEETING_FIELD_W, "End", api_str(m, "end"));
	out_field(MEETING_FIELD_W, "Conference ID",
		  api_str(m, "conferenceId"));
	out_field(MEETING_FIELD_W, "State", api_str(m, "state"));
	out_field(MEETING_FIELD_W, "Sequence", seq);
	out_field(MEETING_FIELD_W, "UID", api_str(m, "uid"));
	out_field(MEETING_FIELD_W, "Attendees", natt);
}

static json_t *schedule_body(const char *org, const char *subject,
			     const char *start, const char *end,
			     const struct cli_list *att)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < att->n; i++) {
		if (json_array_append_new(a, json_string(att->v[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a ? json_pack("{s:s, s:s, s:s, s:s, s:o}", "organizer", org,
			     "subject", subject, "start", start, "end", end,
			     "attendees", a) : NULL;
}

int do_meeting_schedule(struct cli *c, int argc, char **argv)
{
	const char *org = NULL, *subject = NULL, *start = NULL, *end = NULL;
	struct cli_list att = { {0}, 0 };
	bool json = false;
	const struct cli_opt opts[] = {
		{"--organizer", CLI_STRING, &org},
		{"--subject", CLI_STRING, &subject},
		{"--start", CLI_STRING, &start},
		{"--end", CLI_STRING, &end},
		{"--attendee", CLI_REPEAT, &att},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	json_t *body, *resp = NULL;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	if (!org || !subject || !start || !end)
		return cli_usage_error(c, "--organizer, --subject, --start and "
				       "--end are required");
	body = schedule_body(org, subject, start, end, &att);
	if (!body)
		return cli_fail("out of memory");
	api_url_path(&u, "/meetings", NULL, NULL);
	err = cli_send(c, "POST", &u, body, &resp);
	return err ? CLI_FAIL : cli_answer(resp, json, NULL, meeting_print);
}

static void meeting_row(const json_t *m, const char **cells, char *buf,
			size_t size)
{
	cells[0] = api_str(m, "id");
	cells[1] = api_str(m, "subject");
	cells[2] = api_str(api_obj(m, "organizer"), "email");
	cells[3] = api_str(m, "start");
	cells[4] = api_str(m, "end");
	cells[5] = api_str(m, "conferenceId");
	cells[6] = api_str(m, "state");
}

int do_meeting_list(struct cli *c, int argc, char **argv)
{
	static const char *const hdr[] = {"ID", "SUBJECT", "ORGANIZER",
					  "START", "END", "CONFERENCE ID",
					  "STATE"};
	static const struct out_listing l = {
		"meetings", "unexpected answer: no meetings", "No meetings.", 7,
		hdr, 0, meeting_row,
	};
	const char *org = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{"--organizer", CLI_STRING, &org},
		{"--json", CLI_FLAG, &json},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct api_url u;
	int err;

	err = cli_parse(c, argc, argv, opts, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	api_url_path(&u, "/meetings", NULL, NULL);
	api_url_query(&u, "limit", "1000");
	if (org)
		api_url_query(&u, "organizer", org);
	return cli_get_list(c, &u, json, &l);
}

/* show and cancel: one meeting by id. */
static int meeting_one(struct cli *c, int argc, char **argv,
		       const char *method)
{
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	json_t *resp = NULL;
	int err;

	err = cli_parse_json(c, argc, argv, &json, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	api_url_path(&u, "/meetings/", pos.v[0], NULL);
	if (cli_call(c, method, &u, NULL, &resp) != 0)
		return CLI_FAIL;
	return cli_answer(resp, json, NULL, meeting_print);
}

int do_meeting_show(struct cli *c, int argc, char **argv)
{
	return meeting_one(c, argc, argv, "GET");
}

int do_meeting_cancel(struct cli *c, int argc, char **argv)
{
	return meeting_one(c, argc, argv, "DELETE");
}
