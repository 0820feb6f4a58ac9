/* docs/settings.md is the settings table of src/core/settings.c, written
 * out: this test fails when a setting, its bounds, default or help differ,
 * and prints the line the document should have. DIALCONF_WRITE_DOCS=1
 * rewrites the file from the table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/settings.h"

#define DOC_PATH DIALCONF_SOURCE_ROOT "/docs/settings.md"
#define DOC_MAX (64 * 1024)

static const char header[] =
	"# Settings\n\n"
	"Every organization setting, as `GET /api/v1/settings` shows it and\n"
	"`PATCH /api/v1/settings` and `dialconf settings set KEY=VALUE` change it,\n"
	"in the groups and with the labels of the admin center (which reads them\n"
	"from `GET /api/v1/meta`). This page is written from the table in\n"
	"`src/core/settings.c` by\n"
	"`DIALCONF_WRITE_DOCS=1 build/tests/unit/test_settings_doc`; `make check`\n"
	"fails when the two differ.\n";

static const char table_head[] =
	"| name | admin center | type | allowed | default | what it does |\n"
	"|---|---|---|---|---|---|\n";

static const char *type_name(enum setting_type t)
{
	switch (t) {
	case SETTING_BOOL: return "boolean";
	case SETTING_INT: return "integer";
	case SETTING_STRING: return "text";
	case SETTING_EMAIL: return "email address";
	}
	return "?";
}

static void row(const struct setting_def *d, char *out, size_t size)
{
	char allowed[64];

	if (d->type == SETTING_INT)
		snprintf(allowed, sizeof(allowed), "%ld–%ld%s%s", d->min,
			 d->max, d->unit ? " " : "", d->unit ? d->unit : "");
	else if (d->type == SETTING_STRING)
		snprintf(allowed, sizeof(allowed), "%ld–%ld bytes", d->min,
			 d->max);
	else if (d->type == SETTING_BOOL)
		snprintf(allowed, sizeof(allowed), "true, false");
	else
		snprintf(allowed, sizeof(allowed), "up to %ld bytes", d->max);
	snprintf(out, size, "| `%s` | %s | %s | %s | `%s` | %s |\n", d->name,
		 d->label, type_name(d->type), allowed, d->def, d->help);
}

/* Append text to doc (DOC_MAX bytes) at *len. */
static void append(char *doc, size_t *len, const char *text)
{
	size_t n = strlen(text);

	assert_true(*len + n < DOC_MAX);
	memcpy(doc + *len, text, n);
	*len += n;
}

/* The header, then each group's settings in table order under its title. */
static char *doc_render(void)
{
	const struct setting_def *t;
	size_t n, i, len = 0;
	char line[1024];
	int g;
	char *doc;

	t = settings_table(&n);
	doc = calloc(1, DOC_MAX);
	assert_non_null(doc);
	append(doc, &len, header);
	for (g = 0; g < SETTING_GROUP_COUNT; g++) {
		snprintf(line, sizeof(line), "\n## %s\n\n",
			 settings_group_name((enum setting_group)g));
		append(doc, &len, line);
		append(doc, &len, table_head);
		for (i = 0; i < n; i++) {
			if (t[i].group != (enum setting_group)g)
				continue;
			row(&t[i], line, sizeof(line));
			append(doc, &len, line);
		}
	}
	return doc;
}

static char *doc_read(const char *path)
{
	char *doc = calloc(1, DOC_MAX + 1);
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(doc);
	if (!f) {
		print_error("cannot read %s: %s\n", path, strerror(errno));
		free(doc);
		return NULL;
	}
	n = fread(doc, 1, DOC_MAX, f);
	doc[n] = '\0';
	fclose(f);
	return doc;
}

static void test_doc_matches_table(void **state)
{
	const char *path = getenv("DIALCONF_SETTINGS_DOC");
	char *want = doc_render();
	char *have;
	FILE *f;

	(void)state;
	if (!path)
		path = DOC_PATH;
	if (getenv("DIALCONF_WRITE_DOCS")) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(want, f);
		fclose(f);
	}
	have = doc_read(path);
	assert_non_null(have);
	if (strcmp(want, have) != 0)
		print_error("%s differs from the settings table; it should "
			    "read:\n%s", path, want);
	assert_string_equal(want, have);
	free(want);
	free(have);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doc_matches_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
