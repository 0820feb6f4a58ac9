/* import: many users at once, all or none (issue #20; dialconf user import
 * and POST /api/v1/users/import).
 *
 * Every row is checked before anything is written: the email and name by
 * the rules of a single create, the numbers against the configured dial-in
 * numbers, the email against the organization and the rows before it.
 * Any refused row refuses the import, with every refused row named. Then
 * the PINs are hashed (argon2id, slow on purpose, so outside the write
 * lock), and one transaction checks the rows again (the organization may
 * have changed meanwhile) and inserts them all, their "enabled" emails
 * queued in the same transaction: a failure anywhere leaves no user and no
 * email behind.
 *
 * Bounded: at most APP_IMPORT_MAX rows, whose hashing (about 0.1 s each,
 * no connection held) is most of the time an import takes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app_priv.h"
#include "core/pin.h"
#include "core/secret.h"

/* A refused row. */
struct import_bad {
	size_t index;
	char detail[APP_DETAIL_SIZE];
};

struct import_args {
	const char *actor;
	const struct app_import_row *rows;
	size_t n;
	bool send_email;
	char (*toll)[STORE_NUMBER_SIZE];      /* canonical, per row */
	char (*toll_free)[STORE_NUMBER_SIZE];
	char (*pin)[APP_PIN_SIZE];
	char (*hash)[SECRET_HASH_SIZE];
	struct import_bad *bad; /* n of them at most */
	size_t nbad;
	size_t queued;          /* out */
};

static void bad_add(struct import_args *c, size_t i, const struct app_err *e)
{
	struct import_bad *b = &c->bad[c->nbad++];

	b->index = i;
	snprintf(b->detail, sizeof(b->detail), "%s", e->detail);
}

/* Row i against the rules, the numbers, the organization and the rows
 * before it. 0; EINVAL with the reason in e; another errno when the store
 * failed. */
static int row_check(struct store *st, struct import_args *c, size_t i,
		     struct app_err *e)
{
	const struct app_import_row *r = &c->rows[i];
	struct store_user u;
	size_t j;
	int err;

	app_err_clear(e);
	err = app_user_check(r->email, r->display_name, e);
	if (err)
		return err;
	/* The store's uniqueness ignores ASCII case; so does this. */
	for (j = 0; j < i; j++) {
		if (!strcasecmp(c->rows[j].email, r->email)) {
			app_errf(e, "email '%s' is in the import twice",
				 r->email);
			return EINVAL;
		}
	}
	err = store_user_get_by_email(st, r->email, &u);
	if (!err) {
		app_errf(e, "a user with email '%s' exists already", r->email);
		return EINVAL;
	}
	if (err != ENOENT)
		return err;
	err = app_user_number(st, r->toll_number ? r->toll_number : "",
			      false, c->toll[i], sizeof(c->toll[i]), e);
	if (!err)
		err = app_user_number(st, r->toll_free_number ?
				      r->toll_free_number : "", true,
				      c->toll_free[i], sizeof(c->toll_free[i]),
				      e);
	return err;
}

/* Every row; the refused ones into c->bad. 0 when all pass, EINVAL when
 * some did not, another errno when the store failed. */
static int rows_check(struct store *st, struct import_args *c)
{
	struct app_err e;
	size_t i;
	int err;

	c->nbad = 0;
	for (i = 0; i < c->n; i++) {
		err = row_check(st, c, i, &e);
		if (err == EINVAL)
			bad_add(c, i, &e);
		else if (err)
			return err;
	}
	return c->nbad ? EINVAL : 0;
}

/* The body of app_tx_run (struct import_args). */
static int import_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct import_args *c = arg;
	struct store_user u;
	struct app_err e;
	size_t i;
	int rc;

	c->queued = 0;
	rc = rows_check(tx->st, c);
	if (rc)
		return rc;
	for (i = 0; i < c->n; i++) {
		const struct app_import_row *r = &c->rows[i];
		bool queued = false;

		app_err_clear(&e);
		rc = app_user_insert_tx(tx, c->actor, r->email,
					r->display_name, c->toll[i],
					c->toll_free[i], c->pin[i],
					r->audio ? c->hash[i] : NULL,
					c->send_email, &u, &queued, &e);
		if (rc == EEXIST || rc == EINVAL) {
			/* Checked a moment ago: a store that disagrees. */
			bad_add(c, i, &e);
			return EINVAL;
		}
		if (rc) {
			if (e.detail[0])
				app_errf(err, "%s", e.detail);
			return rc;
		}
		c->queued += queued;
	}
	return 0;
}

static int import_alloc(struct import_args *c)
{
	c->toll = calloc(c->n, sizeof(*c->toll));
	c->toll_free = calloc(c->n, sizeof(*c->toll_free));
	c->pin = calloc(c->n, sizeof(*c->pin));
	c->hash = calloc(c->n, sizeof(*c->hash));
	c->bad = calloc(c->n, sizeof(*c->bad));
	return c->toll && c->toll_free && c->pin && c->hash && c->bad ?
		0 : ENOMEM;
}

static void import_release(struct import_args *c)
{
	if (c->pin)
		explicit_bzero(c->pin, c->n * sizeof(*c->pin));
	free(c->toll);
	free(c->toll_free);
	free(c->pin);
	free(c->hash);
	free(c->bad);
}

int app_user_import(struct app *a, const char *actor,
		    const struct app_import_row *rows, size_t n,
		    bool send_email, app_import_h *bad, void *arg,
		    size_t *queued, struct app_err *err)
{
	struct import_args c = { .actor = actor, .rows = rows, .n = n,
				 .send_email = send_email };
	struct store *st;
	long pinlen = 0;
	size_t i;
	int e;

	app_err_clear(err);
	if (queued)
		*queued = 0;
	if (n == 0 || n > APP_IMPORT_MAX || !rows) {
		app_errf(err, "an import holds 1 to %d users",
			 APP_IMPORT_MAX);
		return EINVAL;
	}
	e = import_alloc(&c);
	if (e)
		goto out;

	/* Check first: a refused file costs no hashing. */
	st = app_conn_get(a);
	e = rows_check(st, &c);
	if (!e)
		e = app_setting_int(st, "pinLength", &pinlen);
	app_conn_put(a, st);
	/* Then hash without holding a connection: a thousand argon2id
	 * hashes take minutes that the pool's other callers need. */
	for (i = 0; !e && i < n; i++) {
		if (!rows[i].audio)
			continue;
		e = pin_generate(c.pin[i], sizeof(c.pin[i]), (int)pinlen);
		if (e)
			app_errf(err, "pinLength must be between %d and %d",
				 PIN_LEN_MIN, PIN_LEN_MAX);
		else if ((e = secret_hash(c.pin[i], c.hash[i],
					  sizeof(c.hash[i]))))
			app_errf(err, "cannot hash the PIN");
	}
	if (!e)
		e = app_tx_run(a, import_tx, &c, err);
	if (!e && queued)
		*queued = c.queued;
	if (e == EINVAL && c.nbad) {
		app_errf(err, "%zu of %zu users refused; nothing was imported",
			 c.nbad, n);
		for (i = 0; bad && i < c.nbad; i++) {
			int he = bad(c.bad[i].index, c.bad[i].detail, arg);

			if (he) {
				e = he;
				break;
			}
		}
	}
 out:
	import_release(&c);
	if (e && err && !err->detail[0])
		app_errf(err, "cannot import: %s", strerror(e));
	return e;
}
