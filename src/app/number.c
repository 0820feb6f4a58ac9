/* number: the organization's dial-in numbers. One number of each type is the
 * default: the first one added becomes it, and removing it hands the role
 * to the next number of that type, so users who rely on the default always
 * have one while any number of the type exists. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app_priv.h"
#include "core/attendant.h"
#include "core/e164.h"

#define USER_PAGE 500

static const char *type_name(bool toll_free)
{
	return toll_free ? "tollFree" : "toll";
}

static bool languages_ok(const char *s, size_t size)
{
	size_t len = strnlen(s, size);
	bool tag_empty = true;

	if (len >= size)
		return false;
	for (; *s; s++) {
		if (*s == ',') {
			if (tag_empty)
				return false;
			tag_empty = true;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
		tag_empty = false;
	}
	return len == 0 || !tag_empty;
}

int app_prompt_languages_set(struct app *a, const char *tags)
{
	char *copy;

	if (!a || !tags || !tags[0] || a->languages)
		return EINVAL;
	copy = strdup(tags);
	if (!copy)
		return ENOMEM;
	a->languages = copy;
	return 0;
}

const char *app_prompt_languages(const struct app *a)
{
	return a->languages ? a->languages : "";
}

/* The tag of len bytes at tag in the comma-separated list, compared
 * without case: where it starts in list, or NULL. */
static const char *tag_in(const char *list, const char *tag, size_t len)
{
	size_t k;

	while (*list) {
		k = strcspn(list, ",");
		if (k == len && !strncasecmp(list, tag, len))
			return list;
		list += k + (list[k] == ',');
	}
	return NULL;
}

/* Each of the number's languages (a valid list) must have prompts on this
 * node, be named once, and have a menu digit; each is spelled as the
 * prompts' languages file spells it. */
static int languages_check(const struct app *a, char *langs,
			   struct app_err *err)
{
	const char *avail = app_prompt_languages(a), *hit;
	char *p = langs;
	size_t len, count = 0;

	if (!avail[0])
		return 0;
	for (; *p; p += len + (p[len] == ','), count++) {
		len = strcspn(p, ",");
		hit = tag_in(avail, p, len);
		if (!hit) {
			app_errf(err, "languages: %.*s has no prompts; the "
				 "languages with prompts are %s", (int)len, p,
				 avail);
			return EINVAL;
		}
		memcpy(p, hit, len); /* "fr-fr" is fr-FR */
		if (tag_in(langs, p, len) != p) {
			app_errf(err, "languages: %.*s is listed twice",
				 (int)len, p);
			return EINVAL;
		}
	}
	if (count > ATT_LANGUAGES_MAX) {
		app_errf(err, "languages: at most %d (one menu digit each)",
			 ATT_LANGUAGES_MAX);
		return EINVAL;
	}
	return 0;
}

static int number_check(const struct app *a, struct store_number *n,
			struct app_err *err)
{
	char e164[E164_SIZE];
	int i;

	if (strnlen(n->number, sizeof(n->number)) >= sizeof(n->number) ||
	    e164_normalize(n->number, e164, sizeof(e164))) {
		app_errf(err, "number is not an E.164 number");
		return EINVAL;
	}
	snprintf(n->number, sizeof(n->number), "%s", e164);
	for (i = 0; i < 2; i++) {
		char c = n->country[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			break;
		n->country[i] = c;
	}
	if (i < 2 || n->country[2] != '\0') {
		app_errf(err, "countryCode must be 2 letters");
		return EINVAL;
	}
	if (strnlen(n->city, sizeof(n->city)) >= sizeof(n->city) ||
	    (n->city[0] && !app_text_ok(n->city, sizeof(n->city) - 1))) {
		app_errf(err, "city must be at most %zu bytes of UTF-8 "
			 "without control characters", sizeof(n->city) - 1);
		return EINVAL;
	}
	if (!languages_ok(n->languages, sizeof(n->languages))) {
		app_errf(err, "languages must be comma-separated language "
			 "tags");
		return EINVAL;
	}
	return languages_check(a, n->languages, err);
}

struct type_count {
	bool toll_free;
	int n;
	char first[STORE_NUMBER_SIZE];
	char dflt[STORE_NUMBER_SIZE]; /* the type's default, "" when none */
};

static int type_count_cb(const struct store_number *n, void *arg)
{
	struct type_count *tc = arg;

	if (n->toll_free != tc->toll_free)
		return 0;
	if (!tc->n++)
		snprintf(tc->first, sizeof(tc->first), "%s", n->number);
	if (n->is_default)
		snprintf(tc->dflt, sizeof(tc->dflt), "%s", n->number);
	return 0;
}

static int type_count(struct store *st, bool toll_free, struct type_count *tc)
{
	memset(tc, 0, sizeof(*tc));
	tc->toll_free = toll_free;
	return store_number_list(st, type_count_cb, tc);
}

int app_number_insert_tx(struct app_tx *tx, const char *actor,
			 struct store_number *n, struct app_err *err)
{
	struct type_count tc;
	struct store_number old;
	bool want_default;
	int e;

	e = store_number_get(tx->st, n->number, &old);
	if (!e) {
		app_errf(err, "dial-in number %s exists already", n->number);
		return EEXIST;
	}
	if (e != ENOENT)
		return e;
	e = type_count(tx->st, n->toll_free, &tc);
	if (e)
		return e;
	want_default = n->is_default || tc.n == 0;

	/* set_default clears the flag on the others of the type. */
	n->is_default = false;
	e = store_number_insert(tx->st, n);
	if (e == EEXIST)
		app_errf(err, "dial-in number %s exists already", n->number);
	if (!e && want_default)
		e = store_number_set_default(tx->st, n->number);
	if (e)
		return e;
	n->is_default = want_default;
	return app_audit(tx, actor, APP_AUDIT_NUMBER_ADD, n->number,
			 json_pack("{s:s, s:s, s:s, s:s, s:b}", "type",
				   type_name(n->toll_free), "countryCode",
				   n->country, "city", n->city, "languages",
				   n->languages, "isDefault", n->is_default));
}

/* The same number as the store and as the layers above see it. Field by
 * field as they are, unterminated text included: number_check judges it
 * (the sizes are the same, app_priv.h). */
#define NUMBER_COPY(dst, src)                                            \
	do {                                                             \
		memcpy((dst)->number, (src)->number, sizeof((dst)->number)); \
		(dst)->toll_free = (src)->toll_free;                     \
		memcpy((dst)->country, (src)->country,                   \
		       sizeof((dst)->country));                          \
		memcpy((dst)->city, (src)->city, sizeof((dst)->city));   \
		memcpy((dst)->languages, (src)->languages,               \
		       sizeof((dst)->languages));                        \
		(dst)->is_default = (src)->is_default;                   \
	} while (0)

_Static_assert(sizeof(((struct app_number *)0)->country) ==
	       sizeof(((struct store_number *)0)->country), "country size");

static void number_to_store(const struct app_number *in,
			    struct store_number *n)
{
	memset(n, 0, sizeof(*n));
	NUMBER_COPY(n, in);
}

static void number_from_store(const struct store_number *in,
			      struct app_number *n)
{
	memset(n, 0, sizeof(*n));
	NUMBER_COPY(n, in);
}

struct add_args {
	const char *actor;
	const struct store_number *in;
	struct store_number n; /* out */
};

/* The body of app_tx_run (struct add_args). The insert changes its number
 * (the default flag), so each run starts from the caller's. */
static int add_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct add_args *c = arg;

	c->n = *c->in;
	return app_number_insert_tx(tx, c->actor, &c->n, err);
}

int app_number_add(struct app *a, const char *actor, struct app_number *n,
		   struct app_err *err)
{
	struct store_number in;
	struct add_args c = { .actor = actor, .in = &in };
	int e;

	app_err_clear(err);
	if (!n) {
		app_errf(err, "no number given");
		return EINVAL;
	}
	number_to_store(n, &in);
	e = number_check(a, &in, err);
	if (e)
		return e;
	e = app_tx_run(a, add_tx, &c, err);
	if (!e)
		number_from_store(&c.n, n);
	return e;
}

/* The ids of users whose own toll or toll-free number is number. */
struct holders {
	const char *number;
	int64_t *ids;
	size_t n;
	size_t cap;
	int64_t last;
	int seen;
};

static int holders_cb(const struct store_user *u, void *arg)
{
	struct holders *h = arg;
	h->last = u->id;
	h->seen++;
	if (strcmp(u->toll_number, h->number) != 0 &&
	    strcmp(u->toll_free_number, h->number) != 0)
		return 0;
	if (app_grow(&h->ids, &h->cap, h->n, sizeof(*h->ids), 16))
		return ENOMEM;
	h->ids[h->n++] = u->id;
	return 0;
}

/* Users who chose number go back to the default. The store has no query by
 * number, so every user is read, a page at a time; removal is rare. */
static int clear_holders(struct store *st, const char *number, size_t *count)
{
	struct holders h = { number, NULL, 0, 0, 0, 0 };
	struct store_user u;
	size_t i;
	int e;

	do {
		h.seen = 0;
		e = store_user_list(st, NULL, h.last, USER_PAGE, holders_cb,
				    &h);
	} while (!e && h.seen == USER_PAGE);

	for (i = 0; !e && i < h.n; i++) {
		e = store_user_get(st, h.ids[i], &u);
		if (e)
			break;
		if (!strcmp(u.toll_number, number))
			u.toll_number[0] = '\0';
		if (!strcmp(u.toll_free_number, number))
			u.toll_free_number[0] = '\0';
		e = store_user_update(st, &u);
	}
	*count = h.n;
	free(h.ids);
	return e;
}

/* The body of the removal: struct app_number_removal is filled as it goes,
 * so that the caller can say who moved where. */
static int remove_tx(struct app_tx *tx, const char *actor, const char *number,
		     void *arg, struct app_err *err)
{
	struct app_number_removal *r = arg;
	struct store_number n;
	struct type_count tc;
	size_t cleared = 0;
	int e;

	e = store_number_get(tx->st, number, &n);
	if (e == ENOENT)
		app_errf(err, "no dial-in number %s", number);
	if (!e)
		e = clear_holders(tx->st, number, &cleared);
	if (!e)
		e = store_number_delete(tx->st, number);
	if (!e)
		e = type_count(tx->st, n.toll_free, &tc);
	if (!e && n.is_default && tc.n)
		e = store_number_set_default(tx->st, tc.first);
	if (e)
		return e;
	/* Where the moved users are now: the first of the type when the
	 * default went, else the default that was there all along. */
	snprintf(r->now_default, sizeof(r->now_default), "%s",
		 n.is_default ? tc.first : tc.dflt);
	snprintf(r->number, sizeof(r->number), "%s", number);
	r->toll_free = n.toll_free;
	r->was_default = n.is_default;
	r->users_moved = cleared;
	return app_audit(tx, actor, APP_AUDIT_NUMBER_REMOVE, number,
			 json_pack("{s:s, s:b, s:s?, s:I}", "type",
				   type_name(n.toll_free), "wasDefault",
				   n.is_default, "newDefault",
				   r->now_default[0] ? r->now_default : NULL,
				   "usersCleared", (json_int_t)cleared));
}

static int normalize_arg(const char *in, char *out, size_t size,
			 struct app_err *err)
{
	if (!in || strnlen(in, 64) >= 64 || e164_normalize(in, out, size)) {
		app_errf(err, "number is not an E.164 number");
		return EINVAL;
	}
	return 0;
}

/* The body of a use case on one number: actor, the number in E.164, and
 * the use case's own argument. */
typedef int (number_tx_h)(struct app_tx *tx, const char *actor,
			  const char *number, void *arg, struct app_err *err);

struct use_case_args {
	const char *actor;
	const char *number; /* E.164 */
	number_tx_h *tx_fn;
	void *arg;
};

/* The body of app_tx_run (struct use_case_args). */
static int use_case_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct use_case_args *c = arg;

	return c->tx_fn(tx, c->actor, c->number, c->arg, err);
}

/* One use case on an existing number: normalise it, then run tx_fn in a
 * transaction of its own. */
static int number_use_case(struct app *a, const char *actor,
			   const char *number, number_tx_h *tx_fn, void *arg,
			   struct app_err *err)
{
	char e164[E164_SIZE];
	struct use_case_args c = { actor, e164, tx_fn, arg };
	int e;

	app_err_clear(err);
	e = normalize_arg(number, e164, sizeof(e164), err);
	if (e)
		return e;
	return app_tx_run(a, use_case_tx, &c, err);
}

int app_number_remove(struct app *a, const char *actor, const char *number,
		      struct app_number_removal *out, struct app_err *err)
{
	struct app_number_removal r;
	int e;

	memset(&r, 0, sizeof(r));
	e = number_use_case(a, actor, number, remove_tx, &r, err);
	if (!e && out)
		*out = r;
	return e;
}

static int default_tx(struct app_tx *tx, const char *actor,
		      const char *number, void *arg, struct app_err *err)
{
	struct store_number n;
	int e;

	(void)arg;

	e = store_number_get(tx->st, number, &n);
	if (e == ENOENT)
		app_errf(err, "no dial-in number %s", number);
	if (e)
		return e;
	if (n.is_default)
		return 0; /* nothing changes, nothing to record */
	e = store_number_set_default(tx->st, number);
	if (e)
		return e;
	return app_audit(tx, actor, APP_AUDIT_NUMBER_DEFAULT, number,
			 json_pack("{s:s}", "type", type_name(n.toll_free)));
}

int app_number_set_default(struct app *a, const char *actor,
			   const char *number, struct app_err *err)
{
	return number_use_case(a, actor, number, default_tx, NULL, err);
}

struct list_ctx {
	app_number_h *h;
	void *arg;
};

static int list_cb(const struct store_number *sn, void *arg)
{
	struct list_ctx *c = arg;
	struct app_number n;

	number_from_store(sn, &n);
	return c->h(&n, c->arg);
}

int app_number_list(struct app *a, app_number_h *h, void *arg,
		    struct app_err *err)
{
	struct list_ctx c = { h, arg };
	struct store *st;
	int e;

	app_err_clear(err);
	st = app_conn_get(a);
	e = store_number_list(st, list_cb, &c);
	app_conn_put(a, st);
	if (e && err && !err->detail[0])
		app_errf(err, "cannot list dial-in numbers: %s", strerror(e));
	return e;
}
