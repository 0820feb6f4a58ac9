/* user_read: how the use cases read a user: a reference (id or email) to
 * the stored user, and the stored user to what the API shows of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_priv.h"
#include "core/confid.h"

static int default_cb(const struct store_number *n, void *arg)
{
	struct app_defaults *d = arg;

	if (n->is_default) {
		if (n->toll_free)
			snprintf(d->toll_free, sizeof(d->toll_free), "%s",
				 n->number);
		else
			snprintf(d->toll, sizeof(d->toll), "%s", n->number);
	}
	return 0;
}

int app_defaults_get(struct store *st, struct app_defaults *d)
{
	memset(d, 0, sizeof(*d));
	return store_number_list(st, default_cb, d);
}

void app_user_convert(const struct store_user *su,
		      const struct app_defaults *d, struct app_user *out)
{
	memset(out, 0, sizeof(*out));
	out->id = su->id;
	snprintf(out->email, sizeof(out->email), "%s", su->email);
	snprintf(out->display_name, sizeof(out->display_name), "%s",
		 su->display_name);
	out->audio_enabled = su->audio_enabled;
	if (su->audio_enabled && su->conference_id)
		confid_format(su->conference_id, out->conference_id,
			      sizeof(out->conference_id));
	snprintf(out->toll_number, sizeof(out->toll_number), "%s",
		 su->toll_number[0] ? su->toll_number : d->toll);
	snprintf(out->toll_free_number, sizeof(out->toll_free_number), "%s",
		 su->toll_free_number[0] ? su->toll_free_number :
		 d->toll_free);
	out->pin_set = su->audio_enabled && su->pin_set;
}

/* out from the stored user su, with the effective numbers. */
int app_user_fill(struct store *st, const struct store_user *su,
		  struct app_user *out)
{
	struct app_defaults d;
	int e;

	e = app_defaults_get(st, &d);
	if (e)
		return e;
	app_user_convert(su, &d, out);
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

/* The user named by ref: all digits is an id, anything else an email. */
int app_user_resolve(struct store *st, const char *ref, struct store_user *u,
		     struct app_err *err)
{
	char *end;
	long long id;
	int e;

	if (!ref || !ref[0]) {
		app_errf(err, "no user given");
		return EINVAL;
	}
	if (strnlen(ref, STORE_EMAIL_SIZE) >= STORE_EMAIL_SIZE) {
		app_errf(err, "no user '%.200s'", ref);
		return ENOENT;
	}
	if (all_digits(ref)) {
		errno = 0;
		id = strtoll(ref, &end, 10);
		if (errno || *end || id <= 0) {
			app_errf(err, "no user '%.200s'", ref);
			return ENOENT;
		}
		e = store_user_get(st, (int64_t)id, u);
	}
	else {
		e = store_user_get_by_email(st, ref, u);
	}
	if (e == ENOENT)
		app_errf(err, "no user '%.200s'", ref);
	return e;
}
