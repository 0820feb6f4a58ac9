/* The OpenAPI description (src/http/openapi.c) against the route table:
 * every route of src/http/router.c has its row in ops[] (a route added
 * without one fails here, naming it), every row a route, every schema name
 * a schema, every "$ref" of the document a target. The document's validity
 * as OpenAPI 3.1 and the live server's answers against it are checked by
 * tests/integration/test_openapi.py with a real validator. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_priv.h"

#define WHY_SIZE 8192
#define REF_PREFIX "#/components/schemas/"

static json_t *build(void)
{
	char *why = malloc(WHY_SIZE);
	json_t *doc = NULL;
	int err;

	assert_non_null(why);
	err = http_openapi_build(&doc, why, WHY_SIZE);
	if (err) {
		/* Whole, as cmocka cuts long messages. */
		fprintf(stderr, "the OpenAPI description does not build "
			"(errno %d):\n%s", err, why);
		fail_msg("%s", why);
	}
	free(why);
	assert_non_null(doc);
	return doc;
}

/* "/api/v1/users/{}" with its placeholders named: "/api/v1/users/{x}"
 * matches "/api/v1/users/{}" when each {...} stands for "{}". */
static bool same_path(const char *pattern, const char *path)
{
	while (*pattern && *path) {
		if (!strncmp(pattern, "{}", 2) && *path == '{') {
			const char *end = strchr(path, '}');

			if (!end || end == path + 1)
				return false;
			pattern += 2;
			path = end + 1;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return !*pattern && !*path;
}

static void test_every_route_described(void **state)
{
	const struct http_route *routes;
	json_t *doc = build(), *paths, *item;
	const char *path;
	size_t n, i, ops = 0;

	(void)state;
	paths = json_object_get(doc, "paths");
	routes = http_routes(&n);
	for (i = 0; i < n; i++) {
		char method[8];
		size_t k;
		bool found = false;

		for (k = 0; routes[i].method[k] && k < sizeof(method) - 1; k++)
			method[k] = (char)(routes[i].method[k] | 0x20);
		method[k] = '\0';
		json_object_foreach(paths, path, item) {
			json_t *op = json_object_get(item, method);

			if (!op || !same_path(routes[i].pattern, path))
				continue;
			found = true;
			assert_non_null(json_object_get(op, "operationId"));
			assert_non_null(json_object_get(op, "responses"));
			/* A public route says so; the others need a token. */
			assert_int_equal(routes[i].public,
					 json_is_array(json_object_get(op,
							"security")));
		}
		if (!found)
			fail_msg("%s %s is not in the OpenAPI paths",
				 routes[i].method, routes[i].pattern);
	}
	json_object_foreach(paths, path, item)
		ops += json_object_size(item);
	assert_int_equal(ops, n);
	json_decref(doc);
}

/* Every "$ref" in v names a schema of schemas. */
static void check_refs(const json_t *v, const json_t *schemas, int *refs)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			check_refs(x, schemas, refs);
		return;
	}
	if (!json_is_object(v))
		return;
	json_object_foreach((json_t *)v, key, x) {
		if (!strcmp(key, "$ref")) {
			const char *ref = json_string_value(x);

			assert_non_null(ref);
			if (strncmp(ref, REF_PREFIX, strlen(REF_PREFIX)) ||
			    !json_object_get(schemas, ref + strlen(REF_PREFIX)))
				fail_msg("\"$ref\": \"%s\" names no schema",
					 ref);
			(*refs)++;
		}
		else {
			check_refs(x, schemas, refs);
		}
	}
}

static void test_refs_resolve(void **state)
{
	json_t *doc = build();
	int refs = 0;

	(void)state;
	check_refs(doc, json_object_get(json_object_get(doc, "components"),
					"schemas"), &refs);
	assert_true(refs > 50);
	json_decref(doc);
}

/* Settings is written from the settings table: a PATCH of one name is
 * described, and an unknown name is not. */
static void test_settings_from_table(void **state)
{
	json_t *doc = build(), *s;

	(void)state;
	s = json_object_get(json_object_get(json_object_get(doc,
		"components"), "schemas"), "SettingsPatch");
	assert_non_null(s);
	assert_non_null(json_object_get(json_object_get(s, "properties"),
					"pinLength"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		json_object_get(s, "properties"), "pinLength"), "minimum")), 4);
	assert_true(json_is_false(json_object_get(s, "additionalProperties")));
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_route_described),
		cmocka_unit_test(test_refs_resolve),
		cmocka_unit_test(test_settings_from_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
