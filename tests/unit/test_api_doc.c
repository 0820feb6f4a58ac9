/* docs/api.md and README.md against the code's own tables, so they cannot
 * drift: the audit actions are APP_AUDIT_ACTIONS (app/app.h), written out
 * as a table in api.md's Audit section; the error statuses are those
 * http_title knows (http/json.c), each a row of api.md's error table and
 * named in the README's list. On a difference the test prints what the
 * document should have. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/app.h"
#include "http/http_priv.h"

#define API_DOC DIALCONF_SOURCE_ROOT "/docs/api.md"
#define README DIALCONF_SOURCE_ROOT "/README.md"
#define DOC_MAX (256 * 1024)
#define TABLE_MAX (16 * 1024)

static const char audit_head[] =
	"| action | what it records |\n"
	"|---|---|\n";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = malloc(DOC_MAX);
	size_t n;

	assert_non_null(f);
	assert_non_null(s);
	n = fread(s, 1, DOC_MAX - 1, f);
	assert_true(n < DOC_MAX - 1);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* The text from the line "## title" to the next "## " heading. */
static char *section(const char *doc, const char *title)
{
	char head[128];
	const char *a, *b;
	char *s;

	snprintf(head, sizeof(head), "\n## %s\n", title);
	a = strstr(doc, head);
	if (!a)
		fail_msg("docs/api.md has no section \"## %s\"", title);
	a += 1;
	b = strstr(a + strlen(head) - 1, "\n## ");
	if (!b)
		b = a + strlen(a);
	s = strndup(a, (size_t)(b - a));
	assert_non_null(s);
	return s;
}

/* Every action the code records is a row of api.md's Audit section, with
 * the table's description, in the table's order, and the section has no
 * other row. */
static void test_audit_actions(void **state)
{
	char *doc = slurp(API_DOC), *sec, *want;
	const char *p;
	size_t len = 0, i, rows = 0;
	int w;

	(void)state;
	want = malloc(TABLE_MAX);
	assert_non_null(want);
	w = snprintf(want, TABLE_MAX, "%s", audit_head);
	len = (size_t)w;
	for (i = 0; i < APP_AUDIT_COUNT; i++) {
		w = snprintf(want + len, TABLE_MAX - len, "| `%s` | %s |\n",
			     app_audit_action_names[i],
			     app_audit_action_help[i]);
		assert_true(w > 0 && (size_t)w < TABLE_MAX - len);
		len += (size_t)w;
	}
	sec = section(doc, "Audit");
	if (!strstr(sec, want)) {
		/* Whole, as cmocka cuts long messages. */
		fprintf(stderr, "docs/api.md's Audit section should have "
			"this table of APP_AUDIT_ACTIONS (src/app/app.h):\n"
			"%s", want);
		fail_msg("docs/api.md's Audit section differs from the table");
	}
	for (p = strstr(sec, "\n| `"); p; p = strstr(p + 1, "\n| `"))
		rows++;
	if (rows != APP_AUDIT_COUNT)
		fail_msg("docs/api.md's Audit section has %zu action rows, the "
			 "code %d", rows, APP_AUDIT_COUNT);
	free(sec);
	free(want);
	free(doc);
}

/* The statuses the server answers with: those with a title of their own,
 * and 500. */
static int status_known(int s)
{
	return s == 500 || strcmp(http_title(s), http_title(500)) != 0;
}

/* api.md's error table has a row for every status the server answers
 * with and no other; the README's list names them all. */
static void test_error_statuses(void **state)
{
	char *doc = slurp(API_DOC), *readme = slurp(README);
	const char *table, *end, *p, *list, *list_end;
	char row[16], code[8];
	int s, n = 0;

	(void)state;
	table = strstr(doc, "| status | when |\n");
	assert_non_null(table);
	end = strstr(table, "\n\n");
	assert_non_null(end);
	list = strstr(readme, "went wrong (");
	assert_non_null(list);
	list_end = strchr(list, ')');
	assert_non_null(list_end);

	for (s = 100; s < 600; s++) {
		snprintf(row, sizeof(row), "\n| %d |", s);
		p = strstr(table, row);
		if (status_known(s)) {
			n++;
			if (!p || p > end)
				fail_msg("docs/api.md's error table lacks %d "
					 "(%s)", s, http_title(s));
			snprintf(code, sizeof(code), "%d", s);
			p = strstr(list, code);
			if (!p || p > list_end)
				fail_msg("README.md's list of error statuses "
					 "lacks %d", s);
		}
		else if (p && p < end) {
			fail_msg("docs/api.md's error table has %d, which the "
				 "server never answers (http_title)", s);
		}
	}
	assert_true(n >= 8);
	free(doc);
	free(readme);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_actions),
		cmocka_unit_test(test_error_statuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
