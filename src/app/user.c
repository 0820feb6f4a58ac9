/* user: creating, reading, listing, changing and deleting users, with the
 * audio conferencing switch that issues or revokes a personal ID and PIN. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_priv.h"
#include "core/confid.h"
#include "core/e164.h"
#include "core/emailaddr.h"
#include "core/pin.h"
#include "core/secret.h"

#define NAME_MAX_BYTES (STORE_NAME_SIZE - 1)
#define SEARCH_MAX_BYTES 256
#define LIST_MAX 500
/* Returned by the list callback to stop after one row too many; negative
 * so that it can never be mistaken for an errno value. */
#define LIST_MORE (-1)

int app_user_check(const char *email, const char *display_name,
		   struct app_err *err)
{
	if (!email || !emailaddr_valid(email) ||
	    strlen(email) >= STORE_EMAIL_SIZE) {
		/* The bad value is not echoed: it may hold anything. */
		app_errf(err, "email is not a valid address");
		return EINVAL;
	}
	if (!app_text_ok(display_name, NAME_MAX_BYTES)) {
		app_errf(err, "displayName must be 1 to %d bytes of UTF-8 "
			 "without control characters", NAME_MAX_BYTES);
		return EINVAL;
	}
	return 0;
}

/* A new PIN of pinLength digits and its hash. Hashing is slow on purpose
 * (argon2id), so callers do it before they take the write lock. */
int app_pin_prepare(struct store *st, char *pin, size_t size, char *hash,
		    size_t hsize, struct app_err *err)
{
	long len;
	int e;

	e = app_setting_int(st, "pinLength", &len);
	if (e) {
		app_errf(err, "cannot read pinLength");
		return e;
	}
	e = pin_generate(pin, size, (int)len);
	if (e) {
		app_errf(err, "pinLength must be between %d and %d",
			 PIN_LEN_MIN, PIN_LEN_MAX);
		return e;
	}
	e = secret_hash(pin, hash, hsize);
	if (e)
		app_errf(err, "cannot hash the PIN");
	return e;
}

static int pin_prepare_conn(struct app *a, char *pin, size_t size, char *hash,
			    size_t hsize, struct app_err *err)
{
	struct store *st = app_conn_get(a);
	int e;

	e = app_pin_prepare(st, pin, size, hash, hsize, err);
	app_conn_put(a, st);
	return e;
}

static int issue_personal(struct app_tx *tx, const char *actor,
			  struct store_user *u, struct app_err *err)
{
	uint32_t v;
	int e;

	e = app_confid_issue(tx, actor, STORE_CONFID_PERSONAL, u->id, 0, &v);
	if (e == ENOSPC)
		app_errf(err, "no conference ID free");
	else if (e == EEXIST)
		app_errf(err, "user has a live conference ID already");
	else if (e)
		app_errf(err, "could not issue a conference ID");
	if (!e)
		u->conference_id = v;
	return e;
}

/* Audio on for u: a personal ID and the PIN whose hash is given, and the
 * "enabled" email (SPEC §5) with ID, numbers and PIN unless send_email or
 * automaticallySendEmailsToUsers says no; *queued (may be NULL) tells. The
 * PIN is never returned to the administrator in that case: this email is
 * the only way it leaves. */
static int audio_on(struct app_tx *tx, const char *actor, struct store_user *u,
		    const char *pin, const char *hash, bool send_email,
		    bool *queued, struct app_err *err)
{
	bool yes = false;
	int e;

	e = issue_personal(tx, actor, u, err);
	if (e)
		return e;
	e = store_pin_set(tx->st, u->id, hash);
	if (e)
		return e;
	u->audio_enabled = true;
	u->pin_set = true;
	e = app_mail_wanted(tx, send_email, &yes);
	if (!e && yes)
		e = app_outbox_enqueue_tx(tx, "enabled", u, NULL,
					  u->conference_id, 0, pin);
	if (!e && queued)
		*queued = yes;
	return e;
}

static json_t *confid_json(uint32_t v)
{
	char id[APP_CONFID_SIZE];

	if (!v)
		return json_null();
	confid_format(v, id, sizeof(id));
	return json_string(id);
}

int app_user_insert_tx(struct app_tx *tx, const char *actor,
		       const char *email, const char *display_name,
		       const char *toll, const char *toll_free,
		       const char *pin, const char *pin_hash, bool send_email,
		       struct store_user *u, bool *queued,
		       struct app_err *err)
{
	int e;

	memset(u, 0, sizeof(*u));
	snprintf(u->email, sizeof(u->email), "%s", email);
	snprintf(u->display_name, sizeof(u->display_name), "%s", display_name);
	/* Before audio_on: the "enabled" email shows the user's numbers. */
	snprintf(u->toll_number, sizeof(u->toll_number), "%s",
		 toll ? toll : "");
	snprintf(u->toll_free_number, sizeof(u->toll_free_number), "%s",
		 toll_free ? toll_free : "");
	u->audio_enabled = pin_hash != NULL;
	u->created_at = app_now();
	e = store_user_insert(tx->st, u);
	if (e == EEXIST)
		app_errf(err, "a user with email '%s' exists already", email);
	if (!e && pin_hash)
		e = audio_on(tx, actor, u, pin, pin_hash, send_email, queued,
			     err);
	if (e)
		return e;
	return app_audit(tx, actor, APP_AUDIT_USER_CREATE, u->email,
			 json_pack("{s:s, s:b, s:o}", "displayName",
				   u->display_name, "audioConferencing",
				   u->audio_enabled, "conferenceId",
				   confid_json(u->conference_id)));
}

struct create_args {
	const char *actor;
	const char *email;
	const char *display_name;
	const char *pin;
	const char *hash; /* NULL: audio off */
	bool send_email;
	bool fill;            /* the caller wants out */
	struct app_user out;  /* out */
	bool queued;          /* out */
};

/* The body of app_tx_run (struct create_args). */
static int create_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct create_args *c = arg;
	struct store_user u;
	int e;

	c->queued = false;
	e = app_user_insert_tx(tx, c->actor, c->email, c->display_name,
			       NULL, NULL, c->pin, c->hash, c->send_email, &u, &c->queued,
			       err);
	if (!e && c->fill)
		e = app_user_fill(tx->st, &u, &c->out);
	return e;
}

int app_user_create(struct app *a, const char *actor, const char *email,
		    const char *display_name, bool audio, bool send_email,
		    struct app_user *out, bool *email_queued,
		    struct app_err *err)
{
	char pin[APP_PIN_SIZE] = "";
	char hash[SECRET_HASH_SIZE] = "";
	struct create_args c = { .actor = actor, .email = email,
				 .display_name = display_name, .pin = pin,
				 .hash = audio ? hash : NULL,
				 .send_email = send_email,
				 .fill = out != NULL };
	int e;

	app_err_clear(err);
	e = app_user_check(email, display_name, err);
	if (e)
		return e;
	if (audio) {
		e = pin_prepare_conn(a, pin, sizeof(pin), hash, sizeof(hash),
				     err);
		if (e)
			goto out;
	}

	e = app_tx_run(a, create_tx, &c, err);
	if (!e && out)
		*out = c.out;
	if (!e && email_queued)
		*email_queued = c.queued;
 out:
	explicit_bzero(pin, sizeof(pin));
	return e;
}

int app_user_get(struct app *a, const char *ref, struct app_user *out,
		 struct app_err *err)
{
	struct store_user u;
	struct store *st;
	int e;

	struct store_stamp now, read_at;
	bool stamped;

	app_err_clear(err);
	stamped = ref && app_memo_now(a, &now) == 0;
	if (stamped && app_memo_find(a, APP_MEMO_USER, ref, &now, out,
				     sizeof(*out)))
		return 0; /* as read, and nothing committed since */
	/* The user and the default numbers: one read transaction. */
	app_read_scope_begin(a);
	st = app_conn_get(a);
	e = app_user_resolve(st, ref, &u, err);
	if (!e)
		e = app_user_fill(st, &u, out);
	if (!e && stamped) {
		app_memo_read_at(a, &now, &read_at);
		app_memo_keep(a, APP_MEMO_USER, ref, &read_at, out,
			      sizeof(*out));
	}
	app_conn_put(a, st);
	app_read_scope_end(a);
	if (e && err && !err->detail[0])
		app_errf(err, "cannot read user: %s", strerror(e));
	return e;
}

struct list_state {
	const struct app_defaults *d;
	app_user_h *h;
	void *arg;
	int limit;
	int n;
	int64_t last;
};

static int list_cb(const struct store_user *su, void *arg)
{
	struct list_state *s = arg;
	struct app_user u;

	if (s->n == s->limit)
		return LIST_MORE;
	app_user_convert(su, s->d, &u);
	s->n++;
	s->last = su->id;
	return s->h(&u, s->arg);
}

int app_user_list(struct app *a, const char *search, int limit, int64_t cursor,
		  app_user_h *h, void *arg, int64_t *next, struct app_err *err)
{
	struct list_state s = { NULL, h, arg, limit, 0, 0 };
	struct app_defaults d;
	struct store *st;
	int e;

	app_err_clear(err);
	if (limit < 1 || limit > LIST_MAX) {
		app_errf(err, "limit must be between 1 and %d", LIST_MAX);
		return EINVAL;
	}
	if (cursor < 0) {
		app_errf(err, "cursor must not be negative");
		return EINVAL;
	}
	if (search && strnlen(search, SEARCH_MAX_BYTES + 1) >
	    SEARCH_MAX_BYTES) {
		app_errf(err, "search must be at most %d bytes",
			 SEARCH_MAX_BYTES);
		return EINVAL;
	}
	st = app_conn_get(a);
	e = app_defaults_get(st, &d);
	s.d = &d;
	/* One row more than asked tells whether there is a next page. */
	if (!e)
		e = store_user_list(st, search, cursor, limit + 1, list_cb,
				    &s);
	app_conn_put(a, st);
	if (next)
		*next = e == LIST_MORE ? s.last : 0;
	if (e == LIST_MORE)
		e = 0;
	if (e && err && !err->detail[0])
		app_errf(err, "cannot list users: %s", strerror(e));
	return e;
}

int app_user_number(struct store *st, const char *in, bool toll_free,
		    char *out, size_t size, struct app_err *err)
{
	const char *kind = toll_free ? "tollFreeNumber" : "tollNumber";
	char e164[E164_SIZE];
	struct store_number n;
	int e;

	if (!in[0]) {
		out[0] = '\0';
		return 0;
	}
	if (e164_normalize(in, e164, sizeof(e164))) {
		app_errf(err, "%s is not an E.164 number", kind);
		return EINVAL;
	}
	e = store_number_get(st, e164, &n);
	if (e == ENOENT) {
		app_errf(err, "%s %s is not a configured dial-in number",
			 kind, e164);
		return EINVAL;
	}
	if (e)
		return e;
	if (n.toll_free != toll_free) {
		app_errf(err, "%s %s is a %s number", kind, e164,
			 n.toll_free ? "toll-free" : "toll");
		return EINVAL;
	}
	snprintf(out, size, "%s", e164);
	return 0;
}

/* Apply the name and number parts of p to u; changes collects what
 * changed, for the audit record. */
static int patch_fields(struct store *st, const struct app_user_patch *p,
			struct store_user *u, json_t *changes,
			struct app_err *err)
{
	char num[STORE_NUMBER_SIZE];
	int e;

	if (p->display_name &&
	    strcmp(p->display_name, u->display_name) != 0) {
		if (!app_text_ok(p->display_name, NAME_MAX_BYTES)) {
			app_errf(err, "displayName must be 1 to %d bytes of "
				 "UTF-8 without control characters",
				 NAME_MAX_BYTES);
			return EINVAL;
		}
		snprintf(u->display_name, sizeof(u->display_name), "%s",
			 p->display_name);
		json_object_set_new(changes, "displayName",
				    json_string(u->display_name));
	}
	if (p->toll_number) {
		e = app_user_number(st, p->toll_number, false, num,
				    sizeof(num), err);
		if (e)
			return e;
		if (strcmp(num, u->toll_number) != 0) {
			snprintf(u->toll_number, sizeof(u->toll_number), "%s",
				 num);
			json_object_set_new(changes, "tollNumber",
					    json_string(num));
		}
	}
	if (p->toll_free_number) {
		e = app_user_number(st, p->toll_free_number, true, num,
				    sizeof(num), err);
		if (e)
			return e;
		if (strcmp(num, u->toll_free_number) != 0) {
			snprintf(u->toll_free_number,
				 sizeof(u->toll_free_number), "%s", num);
			json_object_set_new(changes, "tollFreeNumber",
					    json_string(num));
		}
	}
	return 0;
}

/* Audio off: the personal ID is revoked into quarantine, the PIN cleared,
 * the user's meeting IDs revoked (SPEC §2). */
static int audio_off(struct app_tx *tx, const char *actor,
		     struct store_user *u)
{
	struct store_confid c;
	uint32_t old = 0;
	int e;

	e = store_confid_personal(tx->st, u->id, &c);
	if (!e) {
		old = c.value;
		e = app_confid_revoke(tx, old);
	}
	else if (e == ENOENT) {
		e = 0;
	}
	if (!e)
		e = app_meetings_revoke_tx(tx, u);
	if (!e)
		e = store_pin_set(tx->st, u->id, NULL);
	if (e)
		return e;
	u->audio_enabled = false;
	u->pin_set = false;
	u->conference_id = 0;
	e = store_user_update(tx->st, u);
	if (e)
		return e;
	return app_audit(tx, actor, APP_AUDIT_USER_AUDIO_DISABLE, u->email,
			 json_pack("{s:o}", "previousConferenceId",
				   confid_json(old)));
}

static int audio_switch(struct app_tx *tx, const char *actor,
			struct store_user *u, int want, const char *pin,
			const char *hash, bool send_email, bool *queued,
			struct app_err *err)
{
	char lpin[APP_PIN_SIZE] = "";
	char lhash[SECRET_HASH_SIZE] = "";
	int e;

	if (want < 0 || (want > 0) == u->audio_enabled)
		return 0;
	if (!want)
		return audio_off(tx, actor, u);

	/* Normally hashed before the transaction; this covers a user who was
	 * enabled meanwhile and disabled again. */
	if (!hash[0]) {
		e = app_pin_prepare(tx->st, lpin, sizeof(lpin), lhash,
				    sizeof(lhash), err);
		if (e)
			goto out;
		pin = lpin;
		hash = lhash;
	}
	u->audio_enabled = true;
	e = store_user_update(tx->st, u);
	if (!e)
		e = audio_on(tx, actor, u, pin, hash, send_email, queued,
			     err);
	if (!e)
		e = app_audit(tx, actor, APP_AUDIT_USER_AUDIO_ENABLE, u->email,
			      json_pack("{s:o}", "conferenceId",
					confid_json(u->conference_id)));
 out:
	explicit_bzero(lpin, sizeof(lpin));
	return e;
}

static int update_tx(struct app_tx *tx, const char *actor, const char *ref,
		     const struct app_user_patch *p, const char *pin,
		     const char *hash, bool send_email, struct app_user *out,
		     bool *queued, struct app_err *err)
{
	json_t *changes = NULL;
	struct store_user u;
	int e;

	e = app_user_resolve(tx->st, ref, &u, err);
	if (e)
		return e;
	changes = json_object();
	if (!changes)
		return ENOMEM;
	e = patch_fields(tx->st, p, &u, changes, err);
	if (e)
		goto out;
	if (json_object_size(changes)) {
		e = store_user_update(tx->st, &u);
		if (!e)
			e = app_audit(tx, actor, APP_AUDIT_USER_UPDATE, u.email,
				      json_incref(changes));
		if (e)
			goto out;
	}
	e = audio_switch(tx, actor, &u, p->audio_enabled, pin, hash,
			 send_email, queued, err);
	if (e)
		goto out;
	if (out) {
		/* Read back: the store knows the live ID after the switch. */
		e = store_user_get(tx->st, u.id, &u);
		if (!e)
			e = app_user_fill(tx->st, &u, out);
	}
 out:
	json_decref(changes);
	return e;
}

struct update_args {
	const char *actor;
	const char *ref;
	const struct app_user_patch *p;
	const char *pin;  /* "" unless hashed ahead (update_prepare) */
	const char *hash;
	bool send_email;
	bool fill;            /* the caller wants out */
	struct app_user out;  /* out */
	bool queued;          /* out */
};

/* The body of app_tx_run (struct update_args). */
static int update_body(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct update_args *c = arg;
	int e;

	c->queued = false;
	e = update_tx(tx, c->actor, c->ref, c->p, c->pin, c->hash,
		      c->send_email, c->fill ? &c->out : NULL, &c->queued, err);
	return e;
}

/* Hash a PIN ahead of the transaction only when the patch will enable a
 * user who is not enabled now: argon2 takes a tenth of a second. */
static int update_prepare(struct app *a, const char *ref,
			  const struct app_user_patch *p, char *pin,
			  size_t size, char *hash, size_t hsize,
			  struct app_err *err)
{
	struct store_user u;
	struct store *st;
	int e;

	if (p->audio_enabled != 1)
		return 0;
	st = app_conn_get(a);
	e = app_user_resolve(st, ref, &u, NULL);
	if (!e && !u.audio_enabled)
		e = app_pin_prepare(st, pin, size, hash, hsize, err);
	else
		e = 0; /* the transaction reports a missing user */
	app_conn_put(a, st);
	return e;
}

int app_user_update(struct app *a, const char *actor, const char *ref,
		    const struct app_user_patch *p, bool send_email,
		    struct app_user *out, bool *email_queued,
		    struct app_err *err)
{
	char pin[APP_PIN_SIZE] = "";
	char hash[SECRET_HASH_SIZE] = "";
	struct update_args c = { .actor = actor, .ref = ref, .p = p,
				 .pin = pin, .hash = hash,
				 .send_email = send_email,
				 .fill = out != NULL };
	int e;

	app_err_clear(err);
	if (!p || p->audio_enabled < -1 || p->audio_enabled > 1) {
		app_errf(err, "bad change");
		return EINVAL;
	}
	e = update_prepare(a, ref, p, pin, sizeof(pin), hash, sizeof(hash),
			   err);
	if (e)
		goto out;
	e = app_tx_run(a, update_body, &c, err);
	if (!e && out)
		*out = c.out;
	if (!e && email_queued)
		*email_queued = c.queued;
 out:
	explicit_bzero(pin, sizeof(pin));
	return e;
}

struct delete_args {
	const char *actor;
	const char *ref;
};

/* The body of app_tx_run (struct delete_args). */
static int delete_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct delete_args *d = arg;
	struct store_confid c;
	struct store_user u;
	uint32_t old = 0;
	int e;

	e = app_user_resolve(tx->st, d->ref, &u, err);
	if (e)
		return e;
	/* The ID goes into quarantine: callers who still dial it must not
	 * reach the next owner soon. */
	e = store_confid_personal(tx->st, u.id, &c);
	if (!e) {
		old = c.value;
		e = app_confid_revoke(tx, old);
	}
	else if (e == ENOENT) {
		e = 0;
	}
	if (!e)
		e = app_meetings_revoke_tx(tx, &u);
	if (!e)
		e = store_user_delete(tx->st, u.id);
	if (e)
		return e;
	return app_audit(tx, d->actor, APP_AUDIT_USER_DELETE, u.email,
			 json_pack("{s:s, s:o}", "displayName", u.display_name,
				   "previousConferenceId", confid_json(old)));
}

int app_user_delete(struct app *a, const char *actor, const char *ref,
		    struct app_err *err)
{
	struct delete_args d = { actor, ref };

	app_err_clear(err);
	return app_tx_run(a, delete_tx, &d, err);
}
