/* demo: a small organization for `make run` and first looks: two dial-in
 * numbers, three users enabled for audio conferencing and one who is not.
 * Only ever into an empty database (no users), all in one transaction, with
 * "demo" as the actor of every audit record. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "app/app_priv.h"
#include "core/secret.h"

#define DEMO_ACTOR "demo"

struct demo_user {
	const char *email;
	const char *name;
	bool audio;
};

static const struct demo_user demo_users[] = {
	{ "ada@example.org", "Ada Lovelace", true },
	{ "grace@example.org", "Grace Hopper", true },
	{ "alan@example.org", "Alan Turing", true },
	{ "margaret@example.org", "Margaret Hamilton", false },
};

#define NDEMO (sizeof(demo_users) / sizeof(demo_users[0]))

static const struct store_number demo_numbers[] = {
	{ "+14255550100", false, "US", "Redmond", "en-US", true },
	{ "+18005550199", true, "US", "", "en-US", true },
};

#define NNUMBERS (sizeof(demo_numbers) / sizeof(demo_numbers[0]))

struct demo_pins {
	char pin[NDEMO][APP_PIN_SIZE];
	char hash[NDEMO][SECRET_HASH_SIZE];
};

static int user_count(struct app *a, int64_t *n)
{
	struct store *st = app_conn_get(a);
	int e;

	e = store_user_count(st, n);
	app_conn_put(a, st);
	return e;
}

/* The PINs are hashed before the transaction: argon2 is slow. They are not
 * shown anywhere; the "enabled" email hook is where they would leave. */
static int pins_prepare(struct app *a, struct demo_pins *p,
			struct app_err *err)
{
	struct store *st = app_conn_get(a);
	size_t i;
	int e = 0;

	for (i = 0; i < NDEMO && !e; i++) {
		if (demo_users[i].audio)
			e = app_pin_prepare(st, p->pin[i], APP_PIN_SIZE,
					    p->hash[i], SECRET_HASH_SIZE,
					    err);
	}
	app_conn_put(a, st);
	return e;
}

struct seed_args {
	const struct demo_pins *p;
	bool seeded; /* out */
};

/* The body of app_tx_run (struct seed_args). */
static int seed_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	struct seed_args *c = arg;
	const struct demo_pins *p = c->p;
	struct store_number n, old;
	struct store_user u;
	int64_t count;
	size_t i;
	int e;

	c->seeded = false;
	e = store_user_count(tx->st, &count);
	if (e || count > 0)
		return e;
	for (i = 0; i < NNUMBERS; i++) {
		/* An administrator may have added numbers already. */
		n = demo_numbers[i];
		e = store_number_get(tx->st, n.number, &old);
		if (e == ENOENT)
			e = app_number_insert_tx(tx, DEMO_ACTOR, &n, err);
		if (e)
			return e;
	}
	/* Demo addresses are made up: nothing to email them. */
	for (i = 0; i < NDEMO; i++) {
		e = app_user_insert_tx(tx, DEMO_ACTOR, demo_users[i].email,
				       demo_users[i].name, NULL, NULL, p->pin[i],
				       demo_users[i].audio ? p->hash[i] : NULL,
				       false, &u, NULL, err);
		if (e)
			return e;
	}
	c->seeded = true;
	return 0;
}

int app_demo_seed(struct app *a, bool *seeded, struct app_err *err)
{
	struct demo_pins p;
	struct seed_args c = { &p, false };
	int64_t n;
	int e;

	app_err_clear(err);
	memset(&p, 0, sizeof(p));
	if (seeded)
		*seeded = false;
	e = user_count(a, &n);
	if (e || n > 0)
		goto out;
	e = pins_prepare(a, &p, err);
	if (e)
		goto out;
	e = app_tx_run(a, seed_tx, &c, err);
	if (!e && seeded)
		*seeded = c.seeded;
 out:
	if (e && err && !err->detail[0])
		app_errf(err, "cannot seed the demo: %s", strerror(e));
	explicit_bzero(&p, sizeof(p));
	return e;
}
