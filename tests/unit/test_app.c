/* test_app: the use cases of src/app/ against a real SQLite database in a
 * temporary data directory per test. Each test checks what an administrator
 * or a caller would notice: IDs that change or stay, errors, the audit log.
 * Few users are enabled per test: each PIN costs an argon2id hash. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/app.h"
#include "app/app_priv.h" /* app_now, app_conn_get: a token made directly */
#include "core/confid.h"
#include "core/secret.h"
#include "core/settings.h"
#include "store/store.h"

#include "fixture_app.h"

#define ACTOR "tester"

static void reopen(struct fx *f)
{
	struct app_err err = { "" };

	app_close(f->a);
	f->a = NULL;
	assert_int_equal(app_open(&f->a, "sqlite:", f->dir, 2, &err), 0);
}

static void create(struct fx *f, const char *email, const char *name,
		   bool audio, struct app_user *u)
{
	struct app_err err = { "" };
	int e;

	e = app_user_create(f->a, ACTOR, email, name, audio, true, u, NULL,
			    &err);
	if (e)
		fprintf(stderr, "create %s: %s\n", email, err.detail);
	assert_int_equal(e, 0);
}

struct audits {
	struct app_audit_record rec[64];
	int n;
};

static int audit_cb(const struct app_audit_record *a, void *arg)
{
	struct audits *x = arg;

	if (x->n < 64)
		x->rec[x->n++] = *a;
	return 0;
}

static void audits_get(struct fx *f, struct audits *x)
{
	struct app_err err = { "" };

	memset(x, 0, sizeof(*x));
	assert_int_equal(app_audit_list(f->a, 64, audit_cb, x, &err), 0);
}

/* The newest audit record of action, or NULL. */
static const struct app_audit_record *audit_find(const struct audits *x,
					    const char *action)
{
	int i;

	for (i = 0; i < x->n; i++) {
		if (!strcmp(x->rec[i].action, action))
			return &x->rec[i];
	}
	return NULL;
}

static void lookup(struct fx *f, const char *id, struct app_confid_info *ci)
{
	struct app_err err = { "" };

	assert_int_equal(app_confid_lookup(f->a, id, ci, &err), 0);
}

static void test_create_get(void **state)
{
	struct fx *f = *state;
	struct app_user u, g, m;
	struct app_err err = { "" };
	char ref[32];
	uint32_t v;

	create(f, "ada@example.org", "Ada Lovelace", true, &u);
	assert_true(u.id > 0);
	assert_string_equal(u.email, "ada@example.org");
	assert_string_equal(u.display_name, "Ada Lovelace");
	assert_true(u.audio_enabled);
	assert_true(u.pin_set);
	assert_int_equal(confid_parse(u.conference_id, &v), 0);

	assert_int_equal(app_user_get(f->a, "ada@example.org", &g, &err), 0);
	assert_int_equal(g.id, u.id);
	assert_string_equal(g.conference_id, u.conference_id);
	snprintf(ref, sizeof(ref), "%lld", (long long)u.id);
	assert_int_equal(app_user_get(f->a, ref, &g, &err), 0);
	assert_string_equal(g.email, "ada@example.org");
	assert_string_equal(g.toll_number, ""); /* no numbers yet */

	create(f, "margaret@example.org", "Margaret Hamilton", false, &m);
	assert_false(m.audio_enabled);
	assert_string_equal(m.conference_id, "");
	assert_false(m.pin_set);

	assert_int_equal(app_user_get(f->a, "nobody@example.org", &g, &err),
			 ENOENT);
	assert_non_null(strstr(err.detail, "nobody@example.org"));
	assert_int_equal(app_user_get(f->a, "999", &g, &err), ENOENT);

	assert_int_equal(app_user_create(f->a, ACTOR, "not an email", "X",
					 false, true, &g, NULL, &err), EINVAL);
	assert_int_equal(app_user_create(f->a, ACTOR, "x@example.org", "",
					 false, true, &g, NULL, &err), EINVAL);
	assert_int_equal(app_user_create(f->a, ACTOR, "x@example.org",
					 "bad\nname", false, true, &g, NULL, &err),
			 EINVAL);
}

static void test_duplicate_email(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_user u;
	struct audits x;

	create(f, "grace@example.org", "Grace Hopper", false, &u);
	assert_int_equal(app_user_create(f->a, ACTOR, "grace@example.org",
					 "Other", false, true, &u, NULL, &err), EEXIST);
	assert_non_null(strstr(err.detail, "exists"));
	assert_int_equal(app_user_create(f->a, ACTOR, "GRACE@example.org",
					 "Other", false, true, &u, NULL, &err), EEXIST);
	audits_get(f, &x);
	assert_int_equal(x.n, 1); /* the failed ones left no trace */
	assert_string_equal(x.rec[0].action, "user.create");
	assert_string_equal(x.rec[0].actor, ACTOR);
}

static void test_reset_conference_id(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_reset_result r;
	struct app_confid_info ci;
	const struct app_audit_record *rec;
	struct app_user u, g;
	struct audits x;
	uint32_t v;

	create(f, "ada@example.org", "Ada Lovelace", true, &u);
	assert_int_equal(app_reset_conference_id(f->a, ACTOR,
						 "ada@example.org", true, true,
						 &r, &err), 0);
	assert_string_equal(r.previous_conference_id, u.conference_id);
	assert_int_equal(confid_parse(r.conference_id, &v), 0);
	assert_string_not_equal(r.conference_id, u.conference_id);
	assert_int_equal(r.meetings_updated, 0);
	assert_true(r.email_queued); /* automaticallySendEmailsToUsers */

	lookup(f, u.conference_id, &ci);
	assert_false(ci.live);
	assert_true(ci.revoked_at > 0);
	assert_int_equal(ci.user_id, u.id);
	lookup(f, r.conference_id, &ci);
	assert_true(ci.live);
	assert_true(ci.personal);
	assert_int_equal(ci.user_id, u.id);
	assert_string_equal(ci.user_email, "ada@example.org");

	assert_int_equal(app_user_get(f->a, "ada@example.org", &g, &err), 0);
	assert_string_equal(g.conference_id, r.conference_id);

	audits_get(f, &x);
	rec = audit_find(&x, "confid.reset");
	assert_non_null(rec);
	assert_string_equal(rec->actor, ACTOR);
	assert_string_equal(rec->target, "ada@example.org");
	assert_non_null(strstr(rec->detail, r.conference_id));
	assert_non_null(strstr(rec->detail, u.conference_id));
}

static void test_reset_disabled_busy(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_reset_result r;
	struct app_user u, g;
	struct audits x;
	char pin[APP_PIN_SIZE];

	create(f, "margaret@example.org", "Margaret Hamilton", false, &u);
	memset(&r, 0, sizeof(r));
	assert_int_equal(app_reset_conference_id(f->a, ACTOR,
						 "margaret@example.org", true,
						 true, &r, &err), EBUSY);
	assert_string_equal(err.detail,
			    "user is not enabled for audio conferencing");
	assert_string_equal(r.conference_id, "");
	assert_int_equal(app_reset_pin(f->a, ACTOR, "margaret@example.org",
				       true, pin, NULL, &err), EBUSY);
	assert_int_equal(app_user_get(f->a, "margaret@example.org", &g, &err),
			 0);
	assert_false(g.audio_enabled);
	assert_string_equal(g.conference_id, "");
	audits_get(f, &x);
	assert_int_equal(x.n, 1);
	assert_int_equal(app_reset_conference_id(f->a, ACTOR, "nobody", true,
						 true, &r, &err), ENOENT);
}

static void test_disable_enable(void **state)
{
	struct fx *f = *state;
	struct app_user_patch p = { NULL, 0, NULL, NULL };
	struct app_err err = { "" };
	struct app_confid_info ci;
	struct app_user u, g;
	struct audits x;

	create(f, "alan@example.org", "Alan Turing", true, &u);
	assert_int_equal(app_user_update(f->a, ACTOR, "alan@example.org", &p,
					 true, &g, NULL, &err), 0);
	assert_false(g.audio_enabled);
	assert_string_equal(g.conference_id, "");
	assert_false(g.pin_set);
	lookup(f, u.conference_id, &ci);
	assert_false(ci.live);
	audits_get(f, &x);
	assert_non_null(audit_find(&x, "user.audio-disable"));

	p.audio_enabled = 1;
	assert_int_equal(app_user_update(f->a, ACTOR, "alan@example.org", &p,
					 true, &g, NULL, &err), 0);
	assert_true(g.audio_enabled);
	assert_true(g.pin_set);
	assert_string_not_equal(g.conference_id, "");
	/* Quarantine: the revoked ID is not given back at once. */
	assert_string_not_equal(g.conference_id, u.conference_id);
	audits_get(f, &x);
	assert_non_null(audit_find(&x, "user.audio-enable"));

	/* Enabling an enabled user changes nothing. */
	assert_int_equal(app_user_update(f->a, ACTOR, "alan@example.org", &p,
					 true, &u, NULL, &err), 0);
	assert_string_equal(u.conference_id, g.conference_id);

	p.audio_enabled = -1;
	p.display_name = "Alan M. Turing";
	assert_int_equal(app_user_update(f->a, ACTOR, "alan@example.org", &p,
					 true, &u, NULL, &err), 0);
	assert_string_equal(u.display_name, "Alan M. Turing");
	audits_get(f, &x);
	assert_non_null(audit_find(&x, "user.update"));
}

static void test_reset_pin(void **state)
{
	struct fx *f = *state;
	const char *names[] = { "pinLength" };
	const char *values[] = { "7" };
	struct app_err err = { "" };
	char hash[STORE_HASH_SIZE];
	char pin[APP_PIN_SIZE];
	const struct app_audit_record *rec;
	struct store *st;
	struct app_user u;
	struct audits x;
	bool queued = true;
	size_t i;

	create(f, "ada@example.org", "Ada Lovelace", true, &u);
	assert_int_equal(app_settings_set(f->a, ACTOR, names, values, 1, &err),
			 0);
	assert_int_equal(app_reset_pin(f->a, ACTOR, "ada@example.org", true,
				       pin, &queued, &err), 0);
	assert_true(queued);
	assert_int_equal(strlen(pin), 7);
	for (i = 0; i < 7; i++)
		assert_true(pin[i] >= '0' && pin[i] <= '9');

	assert_int_equal(store_open(&st, "sqlite:", f->dir), 0);
	assert_int_equal(store_pin_get(st, u.id, hash, sizeof(hash)), 0);
	store_close(st);
	assert_string_not_equal(hash, pin);
	assert_null(strstr(hash, pin));
	assert_true(secret_verify(hash, pin));

	audits_get(f, &x);
	rec = audit_find(&x, "pin.reset");
	assert_non_null(rec);
	assert_null(strstr(rec->detail, pin));
	for (i = 0; i < (size_t)x.n; i++)
		assert_null(strstr(x.rec[i].detail, pin));
}

static void test_settings(void **state)
{
	struct fx *f = *state;
	const char *bad_names[] = { "organizationName", "pinLength" };
	const char *bad_values[] = { "Fabrikam", "13" };
	const char *unk[] = { "noSuchSetting" };
	const char *good_names[] = { "organizationName", "pinLength",
				     "automaticallySendEmailsToUsers" };
	const char *good_values[] = { "Fabrikam", "8", "off" };
	struct app_err err = { "" };
	char v[64];
	struct audits x;

	assert_int_equal(app_setting_get(f->a, "pinLength", v, sizeof(v)), 0);
	assert_string_equal(v, "5");
	assert_int_equal(app_settings_set(f->a, ACTOR, bad_names, bad_values,
					  2, &err), EINVAL);
	assert_non_null(strstr(err.detail, "pinLength"));
	assert_int_equal(app_setting_get(f->a, "organizationName", v,
					 sizeof(v)), 0);
	assert_string_equal(v, "Contoso"); /* nothing changed */
	assert_int_equal(app_settings_set(f->a, ACTOR, unk, good_values, 1,
					  &err), EINVAL);
	assert_string_equal(err.detail, "unknown setting 'noSuchSetting'");
	audits_get(f, &x);
	assert_int_equal(x.n, 0);

	assert_int_equal(app_settings_set(f->a, ACTOR, good_names,
					  good_values, 3, &err), 0);
	assert_int_equal(app_setting_get(f->a, "pinLength", v, sizeof(v)), 0);
	assert_string_equal(v, "8");
	assert_int_equal(app_setting_get(f->a,
					 "automaticallySendEmailsToUsers", v,
					 sizeof(v)), 0);
	assert_string_equal(v, "false");
	assert_int_equal(app_setting_get(f->a, "nope", v, sizeof(v)), EINVAL);
	audits_get(f, &x);
	assert_int_equal(x.n, 1);
	assert_string_equal(x.rec[0].action, "settings.set");
	assert_non_null(strstr(x.rec[0].detail, "\"pinLength\":8"));
}

struct setlist {
	int n;
	bool org;
};

static int setlist_cb(const char *name, const char *value, void *arg)
{
	struct setlist *s = arg;

	s->n++;
	if (!strcmp(name, "organizationName") && !strcmp(value, "Contoso"))
		s->org = true;
	return 0;
}

static void test_settings_list(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct setlist s = { 0, false };
	size_t n;

	assert_int_equal(app_settings_list(f->a, setlist_cb, &s, &err), 0);
	settings_table(&n);
	assert_int_equal((size_t)s.n, n);
	assert_true(s.org);
}

struct numlist {
	struct app_number n[8];
	int count;
};

static int numlist_cb(const struct app_number *n, void *arg)
{
	struct numlist *l = arg;

	if (l->count < 8)
		l->n[l->count++] = *n;
	return 0;
}

static const struct app_number *num_find(struct fx *f, struct numlist *l,
					   const char *number)
{
	struct app_err err = { "" };
	int i;

	memset(l, 0, sizeof(*l));
	assert_int_equal(app_number_list(f->a, numlist_cb, l, &err), 0);
	for (i = 0; i < l->count; i++) {
		if (!strcmp(l->n[i].number, number))
			return &l->n[i];
	}
	return NULL;
}

static void num_add(struct fx *f, const char *number, bool toll_free,
		    const char *cc, bool def, int want)
{
	struct app_err err = { "" };
	struct app_number n;

	memset(&n, 0, sizeof(n));
	snprintf(n.number, sizeof(n.number), "%s", number);
	n.toll_free = toll_free;
	snprintf(n.country, sizeof(n.country), "%s", cc);
	snprintf(n.city, sizeof(n.city), "Redmond");
	snprintf(n.languages, sizeof(n.languages), "en-US");
	n.is_default = def;
	if (app_number_add(f->a, ACTOR, &n, &err) != want)
		fail_msg("add %s: %s", number, err.detail);
}

/* Add number with languages; want the errno, and on success the languages
 * as saved in saved (NULL: not checked). */
static void num_add_langs(struct fx *f, const char *number,
			  const char *langs, int want, const char *saved,
			  const char *why)
{
	struct app_err err = { "" };
	struct app_number n;
	struct numlist l;

	memset(&n, 0, sizeof(n));
	snprintf(n.number, sizeof(n.number), "%s", number);
	snprintf(n.country, sizeof(n.country), "FR");
	snprintf(n.languages, sizeof(n.languages), "%s", langs);
	if (app_number_add(f->a, ACTOR, &n, &err) != want)
		fail_msg("add %s [%s]: %s", number, langs, err.detail);
	if (why && !strstr(err.detail, why))
		fail_msg("add [%s]: '%s' lacks '%s'", langs, err.detail, why);
	if (saved)
		assert_string_equal(num_find(f, &l, number)->languages, saved);
}

/* Once serve says which languages have prompts, a number names only
 * those, each once, spelled as the prompts spell them. */
static void test_number_languages(void **state)
{
	struct fx *f = *state;

	/* before: any tag (a unit without prompts has nothing to check) */
	num_add_langs(f, "+33170000001", "xx-XX", 0, "xx-XX", NULL);
	assert_string_equal(app_prompt_languages(f->a), "");
	assert_int_equal(app_prompt_languages_set(f->a, "en-US,fr-FR,ja-JP"),
			 0);
	assert_int_equal(app_prompt_languages_set(f->a, "de-DE"), EINVAL);
	assert_string_equal(app_prompt_languages(f->a), "en-US,fr-FR,ja-JP");

	num_add_langs(f, "+33170000002", "fr-fr,EN-us", 0, "fr-FR,en-US",
		      NULL);
	num_add_langs(f, "+33170000003", "", 0, "", NULL);
	num_add_langs(f, "+33170000004", "fr-FR,xx-XX", EINVAL, NULL,
		      "xx-XX has no prompts; the languages with prompts are "
		      "en-US,fr-FR,ja-JP");
	num_add_langs(f, "+33170000004", "fr", EINVAL, NULL,
		      "fr has no prompts");
	num_add_langs(f, "+33170000004", "ja-JP,fr-FR,JA-jp", EINVAL, NULL,
		      "ja-JP is listed twice");
	num_add_langs(f, "+33170000004", "ja-JP,,fr-FR", EINVAL, NULL,
		      "comma-separated");
}

static void test_numbers(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	const struct app_number *n;
	struct numlist l;
	struct audits x;

	num_add(f, "1 425 555-0100", false, "us", false, 0);
	n = num_find(f, &l, "+14255550100");
	assert_non_null(n);
	assert_true(n->is_default); /* first of its type */
	assert_string_equal(n->country, "US");

	num_add(f, "+14255550101", false, "US", false, 0);
	assert_false(num_find(f, &l, "+14255550101")->is_default);
	num_add(f, "+14255550100", false, "US", false, EEXIST);
	num_add(f, "12ab", false, "US", false, EINVAL);
	num_add(f, "+14255550102", false, "", false, EINVAL);
	num_add(f, "+14255550102", false, "1X", false, EINVAL);

	assert_int_equal(app_number_set_default(f->a, ACTOR, "+14255550101",
						&err), 0);
	assert_true(num_find(f, &l, "+14255550101")->is_default);
	assert_false(num_find(f, &l, "+14255550100")->is_default);

	/* Removing the default hands the role on. */
	assert_int_equal(app_number_remove(f->a, ACTOR, "14255550101", NULL,
					   &err), 0);
	assert_null(num_find(f, &l, "+14255550101"));
	assert_true(num_find(f, &l, "+14255550100")->is_default);
	assert_int_equal(app_number_remove(f->a, ACTOR, "+14255550101", NULL,
					   &err), ENOENT);
	assert_int_equal(app_number_remove(f->a, ACTOR, "bad", NULL, &err),
			 EINVAL);
	assert_int_equal(app_number_set_default(f->a, ACTOR, "+19995550100",
						&err), ENOENT);

	audits_get(f, &x);
	assert_non_null(audit_find(&x, "number.add"));
	assert_non_null(audit_find(&x, "number.default"));
	assert_non_null(audit_find(&x, "number.remove"));
}

static void test_user_numbers(void **state)
{
	struct fx *f = *state;
	struct app_user_patch p = { NULL, -1, NULL, NULL };
	struct app_err err = { "" };
	struct app_number_removal r;
	struct app_user u;

	num_add(f, "+14255550100", false, "US", false, 0);
	num_add(f, "+14255550101", false, "US", false, 0);
	num_add(f, "+18005550199", true, "US", false, 0);
	create(f, "grace@example.org", "Grace Hopper", false, &u);
	assert_string_equal(u.toll_number, "+14255550100");
	assert_string_equal(u.toll_free_number, "+18005550199");

	p.toll_number = "+18005550199"; /* toll-free, not toll */
	assert_int_equal(app_user_update(f->a, ACTOR, "grace@example.org", &p,
					 true, &u, NULL, &err), EINVAL);
	p.toll_number = "+14255550199"; /* not configured */
	assert_int_equal(app_user_update(f->a, ACTOR, "grace@example.org", &p,
					 true, &u, NULL, &err), EINVAL);
	p.toll_number = "not a number";
	assert_int_equal(app_user_update(f->a, ACTOR, "grace@example.org", &p,
					 true, &u, NULL, &err), EINVAL);
	p.toll_number = "1 425 555 0101";
	assert_int_equal(app_user_update(f->a, ACTOR, "grace@example.org", &p,
					 true, &u, NULL, &err), 0);
	assert_string_equal(u.toll_number, "+14255550101");

	/* Her number goes away: she falls back to the default, and the
	 * removal says so. */
	assert_int_equal(app_number_remove(f->a, ACTOR, "+14255550101", &r,
					   &err), 0);
	assert_string_equal(r.number, "+14255550101");
	assert_false(r.toll_free);
	assert_false(r.was_default);
	assert_int_equal(r.users_moved, 1);
	assert_string_equal(r.now_default, "+14255550100");
	assert_int_equal(app_user_get(f->a, "grace@example.org", &u, &err), 0);
	assert_string_equal(u.toll_number, "+14255550100");

	p.toll_number = "+14255550100";
	assert_int_equal(app_user_update(f->a, ACTOR, "grace@example.org", &p,
					 true, &u, NULL, &err), 0);
	p.toll_number = "";
	assert_int_equal(app_user_update(f->a, ACTOR, "grace@example.org", &p,
					 true, &u, NULL, &err), 0);
	assert_string_equal(u.toll_number, "+14255550100");
}

struct import_bad {
	size_t index[8];
	char detail[8][APP_DETAIL_SIZE];
	size_t n;
};

static int import_bad_cb(size_t index, const char *detail, void *arg)
{
	struct import_bad *b = arg;

	if (b->n < 8) {
		b->index[b->n] = index;
		snprintf(b->detail[b->n], sizeof(b->detail[0]), "%s", detail);
		b->n++;
	}
	return 0;
}

/* An import with one bad row creates nobody and audits nothing; every
 * bad row is named by its index; the fixed import creates them all with
 * their numbers, their emails queued. */
static void test_import(void **state)
{
	struct fx *f = *state;
	struct app_import_row rows[] = {
		{ "ada@example.org", "Ada Lovelace", true, "+14255550101",
		  NULL },
		{ "bad@example.org", "Bad Number", false, "+14255550199",
		  NULL },
		{ "GRACE@example.org", "Grace Again", false, NULL, NULL },
		{ "ADA@example.org", "Ada Twice", false, NULL, NULL },
	};
	struct app_err err = { "" };
	struct import_bad b;
	struct audits x, y;
	struct app_user u;
	size_t queued = 9;

	num_add(f, "+14255550100", false, "US", false, 0);
	num_add(f, "+14255550101", false, "US", false, 0);
	create(f, "grace@example.org", "Grace Hopper", false, &u);
	audits_get(f, &x);

	memset(&b, 0, sizeof(b));
	assert_int_equal(app_user_import(f->a, ACTOR, rows, 4, true,
					 import_bad_cb, &b, &queued, &err),
			 EINVAL);
	assert_int_equal(queued, 0);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.index[0], 1);
	assert_non_null(strstr(b.detail[0], "not a configured"));
	assert_int_equal(b.index[1], 2);
	assert_non_null(strstr(b.detail[1], "exists already"));
	assert_int_equal(b.index[2], 3);
	assert_non_null(strstr(b.detail[2], "twice"));
	assert_int_equal(app_user_get(f->a, "ada@example.org", &u, &err),
			 ENOENT);
	audits_get(f, &y);
	assert_int_equal(y.n, x.n);

	/* The bounds. */
	assert_int_equal(app_user_import(f->a, ACTOR, rows, 0, true, NULL,
					 NULL, NULL, &err), EINVAL);
	assert_int_equal(app_user_import(f->a, ACTOR, rows,
					 APP_IMPORT_MAX + 1, true, NULL,
					 NULL, NULL, &err), EINVAL);

	/* Fixed: Ada and Bad, Bad without a number. */
	rows[1].toll_number = "";
	memset(&b, 0, sizeof(b));
	assert_int_equal(app_user_import(f->a, ACTOR, rows, 2, true,
					 import_bad_cb, &b, &queued, &err), 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(queued, 1); /* Ada's "enabled" email */
	assert_int_equal(app_user_get(f->a, "ada@example.org", &u, &err), 0);
	assert_true(u.audio_enabled);
	assert_true(u.pin_set);
	assert_string_equal(u.toll_number, "+14255550101");
	assert_int_equal(app_user_get(f->a, "bad@example.org", &u, &err), 0);
	assert_false(u.audio_enabled);
	assert_string_equal(u.toll_number, "+14255550100");
	audits_get(f, &y);
	assert_int_equal(y.n, x.n + 2);
}

static void test_lookup_errors(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_confid_info ci;

	assert_int_equal(app_confid_lookup(f->a, "123", &ci, &err), EINVAL);
	assert_int_equal(app_confid_lookup(f->a, "0123456", &ci, &err),
			 EINVAL);
	assert_int_equal(app_confid_lookup(f->a, "1234567", &ci, &err),
			 EINVAL);
	assert_int_equal(app_confid_lookup(f->a, "48a9173", &ci, &err),
			 EINVAL);
	assert_int_equal(app_confid_lookup(f->a, "4829173", &ci, &err),
			 ENOENT);
}

static void test_delete(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_confid_info ci;
	struct app_user u;
	struct audits x;

	create(f, "ada@example.org", "Ada Lovelace", true, &u);
	assert_int_equal(app_user_delete(f->a, ACTOR, "ada@example.org", &err),
			 0);
	assert_int_equal(app_user_get(f->a, "ada@example.org", &u, &err),
			 ENOENT);
	lookup(f, u.conference_id, &ci);
	assert_false(ci.live);
	assert_string_equal(ci.user_email, "");
	assert_int_equal(app_user_delete(f->a, ACTOR, "ada@example.org", &err),
			 ENOENT);
	audits_get(f, &x);
	assert_non_null(audit_find(&x, "user.delete"));
	/* The address is free again. */
	create(f, "ada@example.org", "Ada Lovelace", false, &u);
}

static int collect_app_token(const struct app_token *t, void *arg)
{
	struct app_token *out = arg;
	int i;

	for (i = 0; i < 4 && out[i].id; i++)
		;
	if (i < 4)
		out[i] = *t;
	return 0;
}

static void test_tokens(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	char token[SECRET_TOKEN_SIZE], token2[SECRET_TOKEN_SIZE];
	char actor[64];
	struct app_token made, list[4];
	struct store_token old;
	struct store *st;
	struct audits x;
	int64_t now = app_now();

	assert_int_equal(app_token_create(f->a, NULL, "ci-bot", 0, token,
					  sizeof(token), &made, &err), 0);
	assert_true(made.id > 0);
	assert_int_equal(made.expires_at, 0);
	assert_int_equal(app_token_check(f->a, token, actor, sizeof(actor)),
			 0);
	assert_string_equal(actor, "ci-bot");
	assert_int_equal(app_token_check(f->a, "dct_nope", actor,
					 sizeof(actor)), EACCES);
	assert_int_equal(app_token_check(f->a, "", actor, sizeof(actor)),
			 EACCES);
	assert_int_equal(app_token_check(f->a, NULL, actor, sizeof(actor)),
			 EACCES);
	token2[0] = '\0';
	snprintf(token2, sizeof(token2), "%s", token);
	token2[5] = token2[5] == 'A' ? 'B' : 'A';
	assert_int_equal(app_token_check(f->a, token2, actor, sizeof(actor)),
			 EACCES);
	audits_get(f, &x);
	assert_int_equal(x.n, 1);
	assert_string_equal(x.rec[0].action, "token.create");
	assert_string_equal(x.rec[0].target, "ci-bot");
	assert_int_equal(app_token_create(f->a, NULL, "", 0, token2,
					  sizeof(token2), NULL, &err), EINVAL);
	/* An expiry in the past is refused. */
	assert_int_equal(app_token_create(f->a, "admin", "late", now - 1,
					  token2, sizeof(token2), NULL, &err),
			 EINVAL);

	/* Listed (never the secret), with its last use recorded. */
	memset(list, 0, sizeof(list));
	assert_int_equal(app_token_list(f->a, collect_app_token, list, &err),
			 0);
	assert_int_equal(list[0].id, made.id);
	assert_string_equal(list[0].name, "ci-bot");
	assert_true(list[0].last_used_at >= now);
	assert_int_equal(list[1].id, 0);

	/* An expired token is refused (made directly: no waiting). */
	memset(&old, 0, sizeof(old));
	assert_int_equal(secret_token_digest("dct_expired", old.digest,
					     sizeof(old.digest)), 0);
	snprintf(old.name, sizeof(old.name), "old");
	old.created_at = now - 7200;
	old.expires_at = now - 1;
	st = app_conn_get(f->a);
	assert_int_equal(store_token_insert(st, &old), 0);
	app_conn_put(f->a, st);
	assert_int_equal(app_token_check(f->a, "dct_expired", actor,
					 sizeof(actor)), EACCES);

	/* Revoked: refused at once, gone from the list, audited. */
	assert_int_equal(app_token_revoke(f->a, "admin", made.id, &err), 0);
	assert_int_equal(app_token_check(f->a, token, actor, sizeof(actor)),
			 EACCES);
	assert_int_equal(app_token_revoke(f->a, "admin", made.id, &err),
			 ENOENT);
	audits_get(f, &x);
	assert_string_equal(x.rec[0].action, "token.revoke");
	assert_string_equal(x.rec[0].target, "ci-bot");
}

static void test_admin_ensure(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	char pw[64], pw2[64], path[512], buf[64];
	bool created = false;
	struct stat sb;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/sub", f->dir);
	assert_int_equal(app_admin_ensure(f->a, path, pw, sizeof(pw),
					  &created, &err), 0);
	assert_true(created);
	assert_int_equal(strlen(pw), 20);
	snprintf(path, sizeof(path), "%s/sub/initial-admin-password", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_int_equal(n, 21);
	buf[n] = '\0';
	assert_memory_equal(buf, pw, 20);

	snprintf(path, sizeof(path), "%s/sub", f->dir);
	assert_int_equal(app_admin_ensure(f->a, path, pw2, sizeof(pw2),
					  &created, &err), 0);
	assert_false(created);
	assert_string_equal(pw2, "");
}

static void test_persistence(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct app_reset_result r;
	struct app_user u, g;

	create(f, "ada@example.org", "Ada Lovelace", true, &u);
	reopen(f);
	assert_int_equal(app_user_get(f->a, "ada@example.org", &g, &err), 0);
	assert_string_equal(g.conference_id, u.conference_id);
	assert_int_equal(app_reset_conference_id(f->a, ACTOR,
						 "ada@example.org", false,
						 false, &r, &err), 0);
	assert_string_equal(r.previous_conference_id, u.conference_id);
	reopen(f);
	assert_int_equal(app_user_get(f->a, "ada@example.org", &g, &err), 0);
	assert_string_equal(g.conference_id, r.conference_id);
}

/* Every ID ever issued here must differ from every other: live ones are
 * unique and revoked ones stay in quarantine. */
static void test_many_resets(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	const char *refs[] = { "ada@example.org", "grace@example.org" };
	enum { N = 300 };
	uint32_t seen[N + 2];
	struct app_reset_result r;
	struct app_user u;
	int i, j;

	create(f, refs[0], "Ada Lovelace", true, &u);
	assert_int_equal(confid_parse(u.conference_id, &seen[0]), 0);
	create(f, refs[1], "Grace Hopper", true, &u);
	assert_int_equal(confid_parse(u.conference_id, &seen[1]), 0);
	for (i = 0; i < N; i++) {
		assert_int_equal(app_reset_conference_id(f->a, ACTOR,
							 refs[i % 2], false,
							 false, &r, &err), 0);
		assert_int_equal(confid_parse(r.conference_id,
					      &seen[i + 2]), 0);
		/* Restarting midway must not forget what was issued. */
		if (i == N / 2)
			reopen(f);
	}
	for (i = 0; i < N + 2; i++) {
		for (j = i + 1; j < N + 2; j++)
			assert_int_not_equal(seen[i], seen[j]);
	}
}

enum { CONC_N = 60 };

struct resetter {
	struct app *a;
	const char *ref;
	uint32_t ids[CONC_N];
	int err;
};

static void *resetter_run(void *arg)
{
	struct resetter *r = arg;
	struct app_err err = { "" };
	struct app_reset_result res;
	int i;

	for (i = 0; i < CONC_N && !r->err; i++) {
		r->err = app_reset_conference_id(r->a, ACTOR, r->ref, false,
						 false, &res, &err);
		if (!r->err)
			r->err = confid_parse(res.conference_id, &r->ids[i]);
	}
	return NULL;
}

/* Two threads share one struct app, as the HTTP thread pool does: their
 * resets interleave and still never hand out the same ID twice. */
static void test_concurrent_resets(void **state)
{
	struct fx *f = *state;
	struct resetter r[2];
	pthread_t th[2];
	struct app_user u;
	int i, j;

	create(f, "ada@example.org", "Ada Lovelace", true, &u);
	create(f, "grace@example.org", "Grace Hopper", true, &u);
	memset(r, 0, sizeof(r));
	for (i = 0; i < 2; i++) {
		r[i].a = f->a;
		r[i].ref = i ? "grace@example.org" : "ada@example.org";
		assert_int_equal(pthread_create(&th[i], NULL, resetter_run,
						&r[i]), 0);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].err, 0);
	}
	for (i = 0; i < 2 * CONC_N; i++) {
		for (j = i + 1; j < 2 * CONC_N; j++)
			assert_int_not_equal(r[i / CONC_N].ids[i % CONC_N],
					     r[j / CONC_N].ids[j % CONC_N]);
	}
}

struct ulist {
	int n;
	int64_t ids[8];
};

static int ulist_cb(const struct app_user *u, void *arg)
{
	struct ulist *l = arg;

	if (l->n < 8)
		l->ids[l->n++] = u->id;
	return 0;
}

static void test_list(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct ulist l = { 0, { 0 } };
	struct app_user u;
	int64_t next = -1;

	create(f, "ada@example.org", "Ada Lovelace", false, &u);
	create(f, "grace@example.org", "Grace Hopper", false, &u);
	create(f, "alan@example.org", "Alan Turing", false, &u);
	assert_int_equal(app_user_list(f->a, NULL, 2, 0, ulist_cb, &l, &next,
				       &err), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(next, l.ids[1]);
	assert_int_equal(app_user_list(f->a, NULL, 2, next, ulist_cb, &l,
				       &next, &err), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(next, 0);
	l.n = 0;
	assert_int_equal(app_user_list(f->a, "HOPPER", 50, 0, ulist_cb, &l,
				       &next, &err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(app_user_list(f->a, NULL, 0, 0, ulist_cb, &l, &next,
				       &err), EINVAL);
	assert_int_equal(app_user_list(f->a, NULL, 501, 0, ulist_cb, &l,
				       &next, &err), EINVAL);
}

static void test_demo_seed(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	struct ulist l = { 0, { 0 } };
	bool seeded = false;
	struct app_user u;
	struct audits x;
	int64_t next;

	assert_int_equal(app_demo_seed(f->a, &seeded, &err), 0);
	assert_true(seeded);
	assert_int_equal(app_demo_seed(f->a, &seeded, &err), 0);
	assert_false(seeded);
	assert_int_equal(app_user_list(f->a, NULL, 50, 0, ulist_cb, &l, &next,
				       &err), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(app_user_get(f->a, "ada@example.org", &u, &err), 0);
	assert_true(u.audio_enabled);
	assert_string_equal(u.toll_number, "+14255550100");
	assert_string_equal(u.toll_free_number, "+18005550199");
	assert_int_equal(app_user_get(f->a, "margaret@example.org", &u, &err),
			 0);
	assert_false(u.audio_enabled);
	audits_get(f, &x);
	assert_int_equal(x.n, 6);
	assert_string_equal(x.rec[0].actor, "demo");
}

/* Jitsi rooms (app/jitsi.c): nothing while no Jigasi is set; a room's
 * name is checked and lowercased; its ID is a conference ID that resolves
 * to the room; an idle room loses its ID to quarantine and gets a new one
 * when it is used again. */
static void test_jitsi_rooms(void **state)
{
	struct fx *f = *state;
	struct app_err err = { "" };
	const char *names[] = { "jitsiJigasiUri" };
	const char *values[] = { "sip:jigasi@127.0.0.1:5099" };
	struct app_jitsi_room m, again, back;
	struct app_dialin_target t;
	struct app_confid_info ci;
	int n = -1;

	assert_int_equal(app_jitsi_map(f->a, "daily@conference.example.org",
				       &m, &err), EBUSY);
	assert_int_equal(app_settings_set(f->a, ACTOR, names, values, 1, &err),
			 0);
	assert_int_equal(app_jitsi_map(f->a, "no-domain", &m, &err), EINVAL);
	assert_int_equal(app_jitsi_map(f->a, "a b@conference.example.org", &m,
				       &err), EINVAL);
	assert_int_equal(app_jitsi_map(f->a, "a@conf_x.example.org", &m, &err),
			 EINVAL);
	assert_int_equal(app_jitsi_map(f->a, "Daily@Conference.Example.ORG",
				       &m, &err), 0);
	assert_string_equal(m.conference, "daily@conference.example.org");
	assert_int_equal(app_jitsi_map(f->a, "daily@conference.example.org",
				       &again, &err), 0);
	assert_string_equal(again.conference_id, m.conference_id);
	assert_int_equal(app_jitsi_room_of(f->a, m.conference_id, &back), 0);
	assert_string_equal(back.conference, m.conference);
	assert_int_equal(app_jitsi_room_of(f->a, "12", &back), ENOENT);

	assert_int_equal(app_confid_resolve(f->a, m.conference_id, &t), 0);
	assert_true(t.valid);
	assert_string_equal(t.jitsi_room, "daily@conference.example.org");
	assert_string_equal(t.jigasi_uri, values[0]);

	/* Used just now: not idle. Thirty-one days on: gone. */
	assert_int_equal(app_jitsi_expire(f->a, time(NULL), &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(app_jitsi_expire(f->a, time(NULL) + 31 * 86400, &n),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(app_jitsi_room_of(f->a, m.conference_id, &back),
			 ENOENT);
	assert_int_equal(app_confid_lookup(f->a, m.conference_id, &ci, &err),
			 0);
	assert_false(ci.live);
	assert_true(ci.jitsi);
	assert_int_equal(app_confid_resolve(f->a, m.conference_id, &t), 0);
	assert_false(t.valid);
	/* Used again: a new ID (the old one is in quarantine). */
	assert_int_equal(app_jitsi_map(f->a, "daily@conference.example.org",
				       &again, &err), 0);
	assert_string_not_equal(again.conference_id, m.conference_id);

	/* Anyone may ask: jitsiMaxRooms bounds what they take. */
	names[0] = "jitsiMaxRooms";
	values[0] = "1";
	assert_int_equal(app_settings_set(f->a, ACTOR, names, values, 1, &err),
			 0);
	assert_int_equal(app_jitsi_map(f->a, "other@conference.example.org",
				       &m, &err), ENOSPC);
	assert_non_null(strstr(err.detail, "jitsiMaxRooms"));
	assert_int_equal(app_jitsi_map(f->a, "daily@conference.example.org",
				       &m, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_get, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_email, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reset_conference_id,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_disabled_busy,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_disable_enable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reset_pin, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_settings, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_settings_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_number_languages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_user_numbers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_ensure, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_persistence, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_many_resets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_resets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_demo_seed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_jitsi_rooms, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("app", tests, NULL, NULL);
}
