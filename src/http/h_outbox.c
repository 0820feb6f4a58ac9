/* h_outbox: the email routes of docs/api.md "Email": send a
 * user's conference info, list the outbox, retry a failed email. An EMAIL
 * never shows the body or the variables: they may hold a PIN. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/mailstate.h"
#include "http/http_priv.h"

#define OUTBOX_LIMIT_DEFAULT 100
#define OUTBOX_LIMIT_MAX 1000

/* EMAIL of docs/api.md. NULL when out of memory. */
static json_t *mail_json(const struct app_mail *m)
{
	return json_pack("{s:o, s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o,"
			 " s:s}",
			 "id", http_json_id(m->id),
			 "kind", m->kind,
			 "to", m->to_addr,
			 "subject", m->subject,
			 "state", mailstate_name(m->state),
			 "attempts", m->attempts,
			 "createdAt", http_json_time(m->created_at),
			 "nextAttemptAt", http_json_time(m->next_attempt_at),
			 "sentAt", http_json_time(m->sent_at),
			 "lastError", http_json_str_or_null(m->last_error),
			 "messageId", m->message_id);
}

static const struct http_field info_fields[] = {
	{"to", HTTP_J_STRING, false},
};

int h_user_send_info(struct http_req *r)
{
	char to[APP_EMAIL_SIZE] = "";
	struct app_err ae = {{0}};
	bool queued = false;
	int err;

	if (http_check_fields(r, r->in, "", info_fields, 1))
		return 0;
	err = app_send_conference_info(r->app, r->actor, r->param[0],
				       http_json_str(r->in, "to"), &queued,
				       to, sizeof(to), &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	return http_reply(r, 202, json_pack("{s:b, s:s}", "emailQueued",
					    queued, "to", to));
}

static int list_one(const struct app_mail *m, void *arg)
{
	return json_array_append_new(arg, mail_json(m)) ? ENOMEM : 0;
}

int h_outbox_list(struct http_req *r)
{
	const char *state = http_query(r, "state");
	struct app_err ae = {{0}};
	long long limit;
	json_t *arr;
	int err;

	if (http_query_int(r, "limit", 1, OUTBOX_LIMIT_MAX,
			   OUTBOX_LIMIT_DEFAULT, &limit))
		return 0;
	arr = json_array();
	if (!arr)
		return ENOMEM;
	err = app_outbox_list(r->app, state, (int)limit, list_one, arr, &ae);
	return http_reply_list(r, err, &ae, "emails", arr);
}

/* {id}: the decimal id of the list; anything else names no email. */
static int id_parse(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (s[0] < '1' || s[0] > '9')
		return ENOENT;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return ENOENT;
	*id = (int64_t)v;
	return 0;
}

int h_outbox_retry(struct http_req *r)
{
	struct app_err ae = {{0}};
	struct app_mail m;
	int64_t id = 0;
	int err;

	if (http_check_fields(r, r->in, "", NULL, 0))
		return 0;
	if (id_parse(r->param[0], &id))
		return http_problem(r, 404, "no email '%.64s' in the outbox",
				    r->param[0]);
	err = app_outbox_retry(r->app, r->actor, id, &m, &ae);
	if (err)
		return http_app_problem(r, err, &ae);
	return http_reply(r, 200, mail_json(&m));
}
