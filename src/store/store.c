/* store: the front end of the storage interface. store_open() picks a
 * backend from the registry by the URL's scheme; every other function is a
 * thin dispatch through the backend's vtable, so the use cases never know
 * which database sits below (DESIGN: backends as vtables). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_priv.h"

struct store {
	const struct store_backend *be;
	void *conn;
};

static const struct store_backend *const backends[] = {
	&store_sqlite_backend,
	&store_pg_backend,
	&store_pg_backend_alt,
};

static const struct store_backend *backend_find(const char *url)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		const char *scheme = backends[i]->scheme;

		if (!strncmp(url, scheme, strlen(scheme)))
			return backends[i];
	}

	return NULL;
}

int store_open(struct store **stp, const char *url, const char *datadir)
{
	const struct store_backend *be;
	struct store *st = NULL;
	int err;

	if (!stp || !url)
		return EINVAL;

	be = backend_find(url);
	if (!be)
		return EINVAL;

	st = calloc(1, sizeof(*st));
	if (!st)
		return ENOMEM;

	st->be = be;
	err = be->open(&st->conn, url, datadir);
	if (err)
		goto out;

	*stp = st;
	st = NULL;

 out:
	free(st);
	return err;
}

void store_close(struct store *st)
{
	if (!st)
		return;

	st->be->close(st->conn);
	free(st);
}

const char *store_backend_name(const struct store *st)
{
	return st ? st->be->name : NULL;
}

int store_begin(struct store *st)
{
	return st->be->begin(st->conn);
}

int store_commit(struct store *st)
{
	return st->be->commit(st->conn);
}

int store_rollback(struct store *st)
{
	return st->be->rollback(st->conn);
}

int store_user_insert(struct store *st, struct store_user *u)
{
	return u ? st->be->user_insert(st->conn, u) : EINVAL;
}

int store_user_get(struct store *st, int64_t id, struct store_user *u)
{
	return u ? st->be->user_get(st->conn, id, u) : EINVAL;
}

int store_user_get_by_email(struct store *st, const char *email,
			    struct store_user *u)
{
	if (!email || !u)
		return EINVAL;

	return st->be->user_get_by_email(st->conn, email, u);
}

int store_user_update(struct store *st, const struct store_user *u)
{
	return u ? st->be->user_update(st->conn, u) : EINVAL;
}

int store_user_delete(struct store *st, int64_t id)
{
	return st->be->user_delete(st->conn, id);
}

int store_user_list(struct store *st, const char *search, int64_t after_id,
		    int limit, store_user_h *h, void *arg)
{
	if (!h)
		return EINVAL;

	return st->be->user_list(st->conn, search, after_id, limit, h, arg);
}

int store_user_count(struct store *st, int64_t *n)
{
	return n ? st->be->user_count(st->conn, n) : EINVAL;
}

int store_pin_set(struct store *st, int64_t user_id, const char *hash)
{
	return st->be->pin_set(st->conn, user_id, hash);
}

int store_pin_get(struct store *st, int64_t user_id, char *hash, size_t size)
{
	if (!hash || !size)
		return EINVAL;

	return st->be->pin_get(st->conn, user_id, hash, size);
}

int store_confid_insert(struct store *st, struct store_confid *c)
{
	return c ? st->be->confid_insert(st->conn, c) : EINVAL;
}

int store_confid_revoke(struct store *st, uint32_t value, int64_t at,
			int64_t quarantine_until)
{
	return st->be->confid_revoke(st->conn, value, at, quarantine_until);
}

int store_confid_lookup(struct store *st, uint32_t value, struct store_confid *c)
{
	return c ? st->be->confid_lookup(st->conn, value, c) : EINVAL;
}

int store_confid_personal(struct store *st, int64_t user_id,
			  struct store_confid *c)
{
	return c ? st->be->confid_personal(st->conn, user_id, c) : EINVAL;
}

int store_confid_scan_unavailable(struct store *st, int64_t now,
				  store_confid_h *h, void *arg)
{
	if (!h)
		return EINVAL;

	return st->be->confid_scan_unavailable(st->conn, now, h, arg);
}

int store_confid_scan_since(struct store *st, int64_t after_row,
			    store_confid_h *h, void *arg)
{
	if (!h)
		return EINVAL;

	return st->be->confid_scan_since(st->conn, after_row, h, arg);
}

int store_confid_scan_expired(struct store *st, int64_t from, int64_t to,
			      store_confid_h *h, void *arg)
{
	if (!h)
		return EINVAL;

	return st->be->confid_scan_expired(st->conn, from, to, h, arg);
}

int store_confid_oldest_quarantined(struct store *st, int64_t now,
				    struct store_confid *c)
{
	return c ? st->be->confid_oldest_quarantined(st->conn, now, c) : EINVAL;
}

int store_confid_end_quarantine(struct store *st, uint32_t value, int64_t now)
{
	return st->be->confid_end_quarantine(st->conn, value, now);
}

int store_number_insert(struct store *st, const struct store_number *n)
{
	return n ? st->be->number_insert(st->conn, n) : EINVAL;
}

int store_number_get(struct store *st, const char *number, struct store_number *n)
{
	if (!number || !n)
		return EINVAL;

	return st->be->number_get(st->conn, number, n);
}

int store_number_delete(struct store *st, const char *number)
{
	return number ? st->be->number_delete(st->conn, number) : EINVAL;
}

int store_number_set_default(struct store *st, const char *number)
{
	return number ? st->be->number_set_default(st->conn, number) : EINVAL;
}

int store_number_list(struct store *st, store_number_h *h, void *arg)
{
	return h ? st->be->number_list(st->conn, h, arg) : EINVAL;
}

int store_setting_get(struct store *st, const char *name, char *value,
		      size_t size)
{
	if (!name || !value || !size)
		return EINVAL;

	return st->be->setting_get(st->conn, name, value, size);
}

int store_setting_set(struct store *st, const char *name, const char *value)
{
	if (!name || !value)
		return EINVAL;

	return st->be->setting_set(st->conn, name, value);
}

int store_setting_list(struct store *st, store_setting_h *h, void *arg)
{
	return h ? st->be->setting_list(st->conn, h, arg) : EINVAL;
}

int store_audit_insert(struct store *st, struct store_audit *a)
{
	return a ? st->be->audit_insert(st->conn, a) : EINVAL;
}

int store_audit_list(struct store *st, int limit, store_audit_h *h, void *arg)
{
	return h ? st->be->audit_list(st->conn, limit, h, arg) : EINVAL;
}

int store_token_insert(struct store *st, const char *digest, const char *name,
		       int64_t at)
{
	if (!digest || !name)
		return EINVAL;

	return st->be->token_insert(st->conn, digest, name, at);
}

int store_token_find(struct store *st, const char *digest, char *name,
		     size_t size)
{
	if (!digest || !name || !size)
		return EINVAL;

	return st->be->token_find(st->conn, digest, name, size);
}

int store_admin_insert(struct store *st, struct store_admin *a)
{
	return a ? st->be->admin_insert(st->conn, a) : EINVAL;
}

int store_admin_get(struct store *st, const char *username,
		    struct store_admin *a)
{
	if (!username || !a)
		return EINVAL;

	return st->be->admin_get(st->conn, username, a);
}

int store_admin_count(struct store *st, int64_t *n)
{
	return n ? st->be->admin_count(st->conn, n) : EINVAL;
}

int store_admin_update(struct store *st, const struct store_admin *a)
{
	return a ? st->be->admin_update(st->conn, a) : EINVAL;
}

int store_session_insert(struct store *st, const struct store_session *s)
{
	return s ? st->be->session_insert(st->conn, s) : EINVAL;
}

int store_session_get(struct store *st, const char *digest,
		      struct store_session *s)
{
	return digest && s ? st->be->session_get(st->conn, digest, s) : EINVAL;
}

int store_session_touch(struct store *st, const char *digest, int64_t at)
{
	return digest ? st->be->session_touch(st->conn, digest, at) : EINVAL;
}

int store_session_delete(struct store *st, const char *digest)
{
	return digest ? st->be->session_delete(st->conn, digest) : EINVAL;
}

int store_session_delete_admin(struct store *st, int64_t admin_id)
{
	return st->be->session_delete_admin(st->conn, admin_id);
}

int store_session_purge(struct store *st, int64_t now, int64_t idle_before)
{
	return st->be->session_purge(st->conn, now, idle_before);
}

int store_outbox_insert(struct store *st, struct store_mail *m)
{
	return m ? st->be->outbox_insert(st->conn, m) : EINVAL;
}

int store_outbox_get(struct store *st, int64_t id, struct store_mail *m)
{
	return m ? st->be->outbox_get(st->conn, id, m) : EINVAL;
}

int store_outbox_update(struct store *st, const struct store_mail *m)
{
	return m ? st->be->outbox_update(st->conn, m) : EINVAL;
}

int store_outbox_claim(struct store *st, int64_t now, int64_t lease_until,
		       int max, store_mail_h *h, void *arg)
{
	if (!h || max < 1 || max > 256)
		return EINVAL;

	return st->be->outbox_claim(st->conn, now, lease_until, max, h, arg);
}

int store_outbox_list(struct store *st, int state, int limit,
		      store_mail_h *h, void *arg)
{
	if (!h || state < -1 || state > STORE_MAIL_FAILED)
		return EINVAL;

	return st->be->outbox_list(st->conn, state, limit, h, arg);
}

int store_outbox_next_due(struct store *st, int64_t *at)
{
	return at ? st->be->outbox_next_due(st->conn, at) : EINVAL;
}

int store_outbox_release_leases(struct store *st)
{
	return st->be->outbox_release_leases(st->conn);
}

int store_meeting_insert(struct store *st, struct store_meeting *m)
{
	return m ? st->be->meeting_insert(st->conn, m) : EINVAL;
}

int store_meeting_get(struct store *st, int64_t id, struct store_meeting *m)
{
	return m ? st->be->meeting_get(st->conn, id, m) : EINVAL;
}

int store_meeting_update(struct store *st, const struct store_meeting *m)
{
	return m ? st->be->meeting_update(st->conn, m) : EINVAL;
}

int store_meeting_list(struct store *st, int64_t organizer_id,
		       int64_t end_after, int limit, store_meeting_h *h,
		       void *arg)
{
	if (!h)
		return EINVAL;
	return st->be->meeting_list(st->conn, organizer_id, end_after, limit,
				    h, arg);
}

int store_meeting_scan_live_ended(struct store *st, int64_t ended_by,
				  store_meeting_h *h, void *arg)
{
	if (!h)
		return EINVAL;
	return st->be->meeting_scan_live_ended(st->conn, ended_by, h, arg);
}

int store_attendee_add(struct store *st, int64_t meeting_id,
		       const char *email)
{
	return email ? st->be->attendee_add(st->conn, meeting_id, email) :
		EINVAL;
}

int store_attendee_list(struct store *st, int64_t meeting_id,
			store_attendee_h *h, void *arg)
{
	return h ? st->be->attendee_list(st->conn, meeting_id, h, arg) :
		EINVAL;
}

/* A guard key is a whole string within struct store_guard's field: a
 * longer one is refused, never cut short into another caller's key. */
static bool guard_key_ok(const char *key)
{
	return key && key[0] &&
		strnlen(key, STORE_GUARD_KEY_SIZE) < STORE_GUARD_KEY_SIZE;
}

int store_guard_get(struct store *st, const char *key, struct store_guard *g)
{
	if (!guard_key_ok(key) || !g)
		return EINVAL;

	return st->be->guard_get(st->conn, key, g);
}

int store_guard_put(struct store *st, const struct store_guard *g)
{
	if (!g || !guard_key_ok(g->key))
		return EINVAL;

	return st->be->guard_put(st->conn, g);
}

int store_guard_purge(struct store *st, int64_t before, int *n)
{
	int ignored;

	return st->be->guard_purge(st->conn, before, n ? n : &ignored);
}

int store_stats(struct store *st, struct store_stats *s)
{
	return s ? st->be->stats(st->conn, s) : EINVAL;
}
