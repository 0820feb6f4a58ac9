/* h_settings: /api/v1/settings, and the settings table itself for
 * GET /api/v1/meta. The core settings table says each setting's type; the
 * API shows it typed (true, 5, "Contoso") and insists on that JSON type on
 * the way in, so "6" for an integer is a 400 rather than a guess. The app
 * checks bounds and writes all pairs or none. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/settings.h"
#include "http/http_priv.h"

/* The typed JSON value of a setting's canonical text. */
static json_t *setting_json(const char *name, const char *value)
{
	const struct setting_def *d = settings_find(name);
	char *end = NULL;
	long long v;

	if (!d)
		return json_string(value);
	switch (d->type) {
	case SETTING_BOOL:
		return json_boolean(!strcmp(value, "true"));
	case SETTING_INT:
		errno = 0;
		v = strtoll(value, &end, 10);
		if (!value[0] || *end || errno)
			return json_string(value); /* show, don't hide, odd data */
		return json_integer(v);
	default:
		return json_string(value);
	}
}

/* One row of the table, as docs/api.md "Meta" shows it. */
static json_t *def_json(const struct setting_def *d)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:o, s:s, s:s, s:s?, s:s, s:b}",
			 "name", d->name,
			 "type", settings_type_name(d->type),
			 "min", (json_int_t)d->min,
			 "max", (json_int_t)d->max,
			 "default", setting_json(d->name, d->def),
			 "group", settings_group_name(d->group),
			 "label", d->label,
			 "unit", d->unit,
			 "help", d->help,
			 "secret", d->secret);
}

int http_settings_meta(json_t *meta)
{
	const struct setting_def *t;
	json_t *groups = json_array(), *defs = json_array();
	size_t n, i;
	int g, err = ENOMEM;

	if (!groups || !defs)
		goto out;
	for (g = 0; g < SETTING_GROUP_COUNT; g++) {
		if (json_array_append_new(groups, json_string(
			    settings_group_name((enum setting_group)g))))
			goto out;
	}
	t = settings_table(&n);
	for (i = 0; i < n; i++) {
		if (json_array_append_new(defs, def_json(&t[i])))
			goto out;
	}
	if (!json_object_set(meta, "settingGroups", groups) &&
	    !json_object_set(meta, "settings", defs))
		err = 0;
 out:
	json_decref(groups);
	json_decref(defs);
	return err;
}

static int list_one(const char *name, const char *value, void *arg)
{
	return json_object_set_new(arg, name, setting_json(name, value)) ?
		ENOMEM : 0;
}

int h_settings_get(struct http_req *r)
{
	struct app_err ae = {{0}};
	json_t *o = json_object();
	int err;

	if (!o)
		return ENOMEM;
	err = app_settings_list(r->app, list_one, o, &ae);
	if (err) {
		json_decref(o);
		return http_app_problem(r, err, &ae);
	}
	return http_reply(r, 200, o);
}

/* The canonical text of v for d into out; 400 and EINVAL when the JSON
 * type is not the setting's type. */
static int canonical(struct http_req *r, const struct setting_def *d,
		     const json_t *v, char *out, size_t size)
{
	switch (d->type) {
	case SETTING_BOOL:
		if (!json_is_boolean(v))
			goto type;
		snprintf(out, size, "%s", json_is_true(v) ? "true" : "false");
		return 0;
	case SETTING_INT:
		if (!json_is_integer(v))
			goto type;
		snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	default:
		if (!json_is_string(v))
			goto type;
		if (json_string_length(v) >= size) {
			http_problem(r, 400, "%s is too long", d->name);
			return EINVAL;
		}
		snprintf(out, size, "%s", json_string_value(v));
		return 0;
	}

 type:
	http_problem(r, 400, "%s must be %s", d->name,
		     d->type == SETTING_BOOL ? "a boolean" :
		     d->type == SETTING_INT ? "an integer" : "a string");
	return EINVAL;
}

/* Check every pair of the body and hand them to the app at once. */
static int settings_apply(struct http_req *r, const char **names,
			  char (*values)[SETTINGS_VALUE_MAX],
			  const char **vptrs)
{
	struct app_err ae = {{0}};
	const char *key;
	size_t n = 0;
	json_t *v;
	int err;

	json_object_foreach(r->in, key, v) {
		const struct setting_def *d = settings_find(key);

		if (!d) {
			http_problem(r, 400, "unknown setting '%s'", key);
			return EINVAL;
		}
		if (canonical(r, d, v, values[n], SETTINGS_VALUE_MAX))
			return EINVAL;
		names[n] = d->name;
		vptrs[n] = values[n];
		n++;
	}
	if (n == 0)
		return 0;

	err = app_settings_set(r->app, r->actor, names, vptrs, n, &ae);
	if (err) {
		http_app_problem(r, err, &ae);
		return err;
	}
	return 0;
}

int h_settings_patch(struct http_req *r)
{
	char (*values)[SETTINGS_VALUE_MAX] = NULL;
	const char **names = NULL, **vptrs = NULL;
	size_t n;
	int err;

	if (!r->in)
		return http_problem(r, 400, "a JSON object body is required");

	/* Unknown names are refused and duplicates by the parser, so there
	 * are never more pairs than table rows; size for the body anyway. */
	n = json_object_size(r->in) + 1;
	names = calloc(n, sizeof(*names));
	vptrs = calloc(n, sizeof(*vptrs));
	values = calloc(n, sizeof(*values));
	if (!names || !vptrs || !values) {
		err = ENOMEM;
		goto out;
	}

	err = settings_apply(r, names, values, vptrs);
	if (err) {
		err = 0; /* the problem is the answer */
		goto out;
	}
	err = h_settings_get(r);
 out:
	free(values);
	free(vptrs);
	free(names);
	return err;
}
