/* fuzz_csv: a CSV file given to `dialconf user import`, the whole way:
 * the CLI's reader (cli/import.c over libcsv: quoting, bounds, header),
 * the request body it makes, and that body through POST
 * /api/v1/users/import's handler into the app's import (app/import.c: one
 * transaction, every row checked) on a real database (fuzz_app.h). A file
 * is refused with a reason, or its rows are created, or refused by the
 * server with a problem; never a 500, never a crash. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>

#include "cli/cli_priv.h"
#include "http/http_priv.h"
#include "fuzz.h"
#include "fuzz_app.h"

static void send_body(json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	struct http_req r;

	assert(text); /* import_body only makes UTF-8 strings */
	memset(&r, 0, sizeof(r));
	r.app = fuzz_app_get();
	r.method = "POST";
	r.path = "/api/v1/users/import";
	snprintf(r.actor, sizeof(r.actor), "admin");
	if (!http_body_parse(&r, text, strlen(text)) && h_users_import(&r) &&
	    r.status < 400)
		r.status = 500;
	if (r.status == 500)
		fprintf(stderr, "500: %s\n",
			json_string_value(json_object_get(r.out, "detail")));
	assert(r.status != 500 && r.status >= 200);
	json_decref(r.in);
	json_decref(r.out);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import *im = NULL;
	char why[512];
	json_t *body;
	size_t nbad;
	FILE *f;
	int err;

	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	err = import_read(&im, f, why, sizeof(why));
	fclose(f);
	if (err) {
		assert(!im && why[0]);
		assert(err == EINVAL || err == EFBIG || err == ENOMEM);
		return 0;
	}
	body = import_body(im, size & 1, &nbad);
	if (body)
		send_body(body);
	json_decref(body);
	import_free(im);
	return 0;
}
