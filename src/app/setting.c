/* setting: organization settings, read and written through the one table of
 * core/settings.h. A change is all or nothing: every pair is checked before
 * anything is written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_priv.h"
#include "core/settings.h"

/* Pairs in one change: far more than the table has names. */
#define SET_MAX 64

int app_settings_list(struct app *a, app_setting_h *h, void *arg,
		      struct app_err *err)
{
	char v[SETTINGS_VALUE_MAX];
	const struct setting_def *t;
	struct store *st;
	size_t n, i;
	int e = 0;

	app_err_clear(err);
	t = settings_table(&n);
	st = app_conn_get(a);
	for (i = 0; i < n && !e; i++) {
		e = app_setting_text(st, t[i].name, v, sizeof(v));
		if (e)
			app_errf(err, "cannot read setting '%s'", t[i].name);
		else
			e = h(t[i].name, settings_shown(&t[i], v), arg);
	}
	app_conn_put(a, st);
	return e;
}

/* The canonical value as a typed JSON value, for the audit record. */
static json_t *typed(const struct setting_def *d, const char *v)
{
	char *end;
	long long n;

	switch (d->type) {
	case SETTING_BOOL:
		return json_boolean(strcmp(v, "true") == 0);
	case SETTING_INT:
		n = strtoll(v, &end, 10);
		return *end ? json_string(v) : json_integer(n);
	default:
		return json_string(v);
	}
}

/* Check every pair, writing canonical forms to canon (n slots). */
static int check_all(const char *const *names, const char *const *values,
		     size_t n, char (*canon)[SETTINGS_VALUE_MAX],
		     const struct setting_def **defs, struct app_err *err)
{
	char why[APP_DETAIL_SIZE];
	size_t i;

	for (i = 0; i < n; i++) {
		if (!names[i] || !values[i]) {
			app_errf(err, "setting without a name or value");
			return EINVAL;
		}
		defs[i] = settings_find(names[i]);
		if (!defs[i]) {
			app_errf(err, "unknown setting '%.64s'", names[i]);
			return EINVAL;
		}
		why[0] = '\0';
		if (settings_validate(defs[i], values[i], canon[i],
				      SETTINGS_VALUE_MAX, why, sizeof(why))) {
			if (why[0])
				app_errf(err, "%s", why);
			else
				app_errf(err, "bad value for %s",
					 defs[i]->name);
			return EINVAL;
		}
	}
	return 0;
}

/* Long string values may not fit an audit record: then the names only. */
static json_t *fit(json_t *detail, const struct setting_def **defs, size_t n)
{
	json_t *names;
	size_t len, i;
	char *text;

	text = json_dumps(detail, JSON_COMPACT);
	len = text ? strlen(text) : 0;
	free(text);
	if (len && len < STORE_TEXT_SIZE / 2)
		return detail;
	json_decref(detail);
	names = json_array();
	for (i = 0; names && i < n; i++)
		json_array_append_new(names, json_string(defs[i]->name));
	return names ? json_pack("{s:o}", "names", names) : NULL;
}

struct set_args {
	const char *actor;
	const struct setting_def **defs;
	char (*canon)[SETTINGS_VALUE_MAX];
	size_t n;
};

/* The body of app_tx_run (struct set_args). */
static int set_tx(struct app_tx *tx, void *arg, struct app_err *err)
{
	const struct set_args *c = arg;
	const struct setting_def **defs = c->defs;
	char (*canon)[SETTINGS_VALUE_MAX] = c->canon;
	json_t *detail = json_object();
	size_t n = c->n;
	size_t i;
	int e = 0;

	(void)err; /* a failed write says enough by its errno */
	if (!detail)
		return ENOMEM;
	for (i = 0; i < n && !e; i++) {
		e = store_setting_set(tx->st, defs[i]->name, canon[i]);
		if (!e)
			e = json_object_set_new(detail, defs[i]->name,
						typed(defs[i],
						      settings_shown(defs[i],
								     canon[i]))) ?
				ENOMEM : 0;
	}
	if (e) {
		json_decref(detail);
		return e;
	}
	return app_audit(tx, c->actor, APP_AUDIT_SETTINGS_SET, "",
			 fit(detail, defs, n));
}

int app_settings_set(struct app *a, const char *actor, const char *const *names,
		     const char *const *values, size_t n, struct app_err *err)
{
	char (*canon)[SETTINGS_VALUE_MAX] = NULL;
	const struct setting_def **defs = NULL;
	struct set_args c = { .actor = actor, .n = n };
	int e;

	app_err_clear(err);
	if (n == 0 || n > SET_MAX || !names || !values) {
		app_errf(err, n ? "too many settings" : "no settings given");
		return EINVAL;
	}
	canon = calloc(n, sizeof(*canon));
	defs = calloc(n, sizeof(*defs));
	if (!canon || !defs) {
		e = ENOMEM;
		goto out;
	}
	e = check_all(names, values, n, canon, defs, err);
	if (e)
		goto out;
	c.defs = defs;
	c.canon = canon;
	e = app_tx_run(a, set_tx, &c, err);
	if (!e)
		app_settings_changed(a);
 out:
	free(canon);
	free(defs);
	return e;
}
