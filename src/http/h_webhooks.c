/* h_webhooks: GET /api/v1/webhooks/deliveries, the webhook events of
 * docs/api.md "Webhooks" with their delivery state, newest first. The
 * bodies are not shown: the list is for seeing what reached the
 * receiver, and the receiver has them. */
#include <errno.h>

#include "http/http_priv.h"

#define DELIVERIES_LIMIT_DEFAULT 100
#define DELIVERIES_LIMIT_MAX 1000

/* WEBHOOK_DELIVERY of docs/api.md. NULL when out of memory. */
static json_t *delivery_json(const struct app_webhook *w)
{
	return json_pack("{s:o, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o,"
			 " s:o}",
			 "id", http_json_id(w->id),
			 "eventId", w->event_id,
			 "type", w->type,
			 "state", w->state ? w->state : "",
			 "attempts", w->attempts,
			 "createdAt", http_json_time(w->created_at),
			 "nextAttemptAt", http_json_time(w->next_attempt_at),
			 "deliveredAt", http_json_time(w->delivered_at),
			 "lastStatus", w->last_status ?
			 json_integer(w->last_status) : json_null(),
			 "lastError", http_json_str_or_null(w->last_error));
}

static int list_one(const struct app_webhook *w, void *arg)
{
	return json_array_append_new(arg, delivery_json(w)) ? ENOMEM : 0;
}

int h_webhooks_list(struct http_req *r)
{
	const char *state = http_query(r, "state");
	struct app_err ae = {{0}};
	long long limit;
	json_t *arr;
	int err;

	if (http_query_int(r, "limit", 1, DELIVERIES_LIMIT_MAX,
			   DELIVERIES_LIMIT_DEFAULT, &limit))
		return 0;
	arr = json_array();
	if (!arr)
		return ENOMEM;
	err = app_webhook_list(r->app, state, (int)limit, list_one, arr, &ae);
	return http_reply_list(r, err, &ae, "deliveries", arr);
}
