/* import: dialconf user import FILE.csv (SPEC §7).
 *
 * Two passes, so that a broken file changes nothing: first the whole file
 * is read with libcsv (RFC 4180 quoting: commas, quotes and line breaks
 * inside quoted fields, CRLF or LF) and checked: the header, the columns,
 * the quoting and the bounds. Any of these wrong is a usage error (exit 2)
 * before the first request. Then all rows go in ONE request,
 * POST /api/v1/users/import, which the server checks whole (emails, names,
 * numbers configured, emails new) and runs as one transaction: every user
 * created, or none and every refused row named (issue #20). The server
 * stays the judge; this file only maps its indexes back to rows.
 *
 * Bounded input (DESIGN): a row is at most IMPORT_ROW_MAX bytes, a file at
 * most IMPORT_ROWS_MAX rows; libcsv is fed IMPORT_CHUNK bytes at a time and
 * its pending field checked after each, so no field grows past a row. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>

#include "cli/cli_priv.h"

#define IMPORT_ROW_MAX 4096     /* bytes of one row, separators counted */
#define IMPORT_ROWS_MAX 1000    /* data rows: the API's users per import */
#define IMPORT_BODY_MAX (1024 * 1024) /* the API's request body cap */
#define IMPORT_FIELDS_MAX 16    /* fields of one row */
#define IMPORT_CHUNK 4096       /* bytes handed to libcsv at a time */
#define IMPORT_WHY_SIZE 512     /* one failure's reason */

enum import_col {
	COL_EMAIL, COL_NAME, COL_AUDIO, COL_TOLL, COL_TOLL_FREE, COL_COUNT_
};

static const char *const col_names[COL_COUNT_] = {
	"email", "displayName", "audioConferencing", "tollNumber",
	"tollFreeNumber",
};

/* One data row, checked and ready to send. */
struct import_row {
	size_t record;          /* in the file; the header is row 1 */
	char *data;             /* the row's fields, NUL-separated */
	const char *f[COL_COUNT_]; /* into data; NULL: no such column */
	bool audio;
	const char *bad;        /* why the row is not sent, or NULL */
};

struct import {
	/* The header: which column each field position holds. */
	bool have_header;
	size_t ncols;
	int map[IMPORT_FIELDS_MAX];

	/* The row being parsed: fields packed NUL-separated in buf. */
	char buf[IMPORT_ROW_MAX + 1];
	size_t len;
	size_t off[IMPORT_FIELDS_MAX];
	size_t nf;
	size_t record; /* rows completed, header included */

	struct import_row *rows;
	size_t nrows, cap;

	/* The first structural error: parsing stops there. */
	int err;
	char why[IMPORT_WHY_SIZE];
};

static void import_fail(struct import *im, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void import_fail(struct import *im, int err, const char *fmt, ...)
{
	va_list ap;

	if (im->err)
		return;
	im->err = err;
	va_start(ap, fmt);
	vsnprintf(im->why, sizeof(im->why), fmt, ap);
	va_end(ap);
}

/* libcsv's field callback: append the field to the row buffer. */
static void field_cb(void *s, size_t len, void *arg)
{
	struct import *im = arg;

	if (im->err)
		return;
	if (im->nf == IMPORT_FIELDS_MAX) {
		import_fail(im, EINVAL, "row %zu: more than %d fields",
			    im->record + 1, IMPORT_FIELDS_MAX);
		return;
	}
	if (len + 1 > sizeof(im->buf) - 1 - im->len) {
		import_fail(im, EFBIG, "row %zu: over %d bytes",
			    im->record + 1, IMPORT_ROW_MAX);
		return;
	}
	im->off[im->nf++] = im->len;
	memcpy(im->buf + im->len, s, len);
	im->len += len;
	im->buf[im->len++] = '\0';
}

/* The header row: each name once, known, email and displayName present.
 * Names match whatever their case: spreadsheets like "Email". */
static void header_take(struct import *im)
{
	bool seen[COL_COUNT_] = {false};
	size_t i, c;

	for (i = 0; i < im->nf; i++) {
		const char *name = im->buf + im->off[i];

		/* A UTF-8 byte order mark, as spreadsheets write it. */
		if (i == 0 && !strncmp(name, "\xEF\xBB\xBF", 3))
			name += 3;
		for (c = 0; c < COL_COUNT_; c++) {
			if (!strcasecmp(name, col_names[c]))
				break;
		}
		if (c == COL_COUNT_) {
			import_fail(im, EINVAL, "row 1: unknown column '%.64s' "
				    "(known: email, displayName, "
				    "audioConferencing, tollNumber, "
				    "tollFreeNumber)", name);
			return;
		}
		if (seen[c]) {
			import_fail(im, EINVAL, "row 1: column '%s' twice",
				    col_names[c]);
			return;
		}
		seen[c] = true;
		im->map[i] = (int)c;
	}
	if (!seen[COL_EMAIL] || !seen[COL_NAME]) {
		import_fail(im, EINVAL, "row 1: the header must name the "
			    "columns email and displayName");
		return;
	}
	im->ncols = im->nf;
	im->have_header = true;
}

/* audioConferencing: empty means the default, enabled. */
static const char *audio_parse(const char *v, bool *on)
{
	*on = true;
	if (v == NULL || *v == '\0' || !strcasecmp(v, "true") ||
	    !strcasecmp(v, "yes"))
		return NULL;
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no")) {
		*on = false;
		return NULL;
	}
	return "audioConferencing must be true, false, yes or no";
}

static void row_take(struct import *im)
{
	struct import_row *r;
	size_t i;

	if (im->nf != im->ncols) {
		import_fail(im, EINVAL, "row %zu: %zu fields, the header has "
			    "%zu", im->record, im->nf, im->ncols);
		return;
	}
	if (im->nrows == IMPORT_ROWS_MAX) {
		import_fail(im, EFBIG, "more than %d rows (one import is one "
			    "transaction of at most %d users: split the file)",
			    IMPORT_ROWS_MAX, IMPORT_ROWS_MAX);
		return;
	}
	if (im->nrows == im->cap) {
		size_t cap = im->cap ? im->cap * 2 : 64;
		struct import_row *v = realloc(im->rows, cap * sizeof(*v));

		if (v == NULL) {
			import_fail(im, ENOMEM, "out of memory");
			return;
		}
		im->rows = v;
		im->cap = cap;
	}
	r = &im->rows[im->nrows];
	memset(r, 0, sizeof(*r));
	r->data = malloc(im->len);
	if (r->data == NULL) {
		import_fail(im, ENOMEM, "out of memory");
		return;
	}
	memcpy(r->data, im->buf, im->len);
	im->nrows++;
	r->record = im->record;
	for (i = 0; i < im->nf; i++)
		r->f[im->map[i]] = r->data + im->off[i];
	r->bad = audio_parse(r->f[COL_AUDIO], &r->audio);
}

/* libcsv's end-of-row callback. Blank lines never get here. */
static void row_cb(int c, void *arg)
{
	struct import *im = arg;

	(void)c;
	if (im->err)
		return;
	im->record++;
	if (!im->have_header)
		header_take(im);
	else
		row_take(im);
	im->nf = 0;
	im->len = 0;
}

void import_free(struct import *im)
{
	size_t i;

	if (im == NULL)
		return;
	for (i = 0; i < im->nrows; i++)
		free(im->rows[i].data);
	free(im->rows);
	free(im);
}

/* Feed f to libcsv chunk by chunk. 0, or im->err with im->why. */
static int import_parse(struct import *im, FILE *f)
{
	struct csv_parser p;
	char chunk[IMPORT_CHUNK];
	size_t n;

	/* STRICT: a quote inside an unquoted field or after a closing quote
	 * is an error; STRICT_FINI: so is a quote still open at the end. */
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		import_fail(im, ENOMEM, "out of memory");
		return im->err;
	}
	while (!im->err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (csv_parse(&p, chunk, n, field_cb, row_cb, im) != n)
			import_fail(im, EINVAL, "row %zu: misplaced quote "
				    "(a field with a quote must be quoted, "
				    "its quotes doubled)", im->record + 1);
		/* A field still being read counts against its row too. */
		else if (p.entry_pos > IMPORT_ROW_MAX - im->len)
			import_fail(im, EFBIG, "row %zu: over %d bytes",
				    im->record + 1, IMPORT_ROW_MAX);
	}
	if (!im->err && ferror(f))
		import_fail(im, EIO, "cannot read the file");
	if (!im->err && csv_fini(&p, field_cb, row_cb, im) != 0)
		import_fail(im, EINVAL, "row %zu: unbalanced quotes (a quoted "
			    "field never ends)", im->record + 1);
	csv_free(&p);
	if (!im->err && !im->have_header)
		import_fail(im, EINVAL, "no header row (email,displayName,...)");
	return im->err;
}

int import_read(struct import **imp, FILE *f, char *why, size_t size)
{
	struct import *im = calloc(1, sizeof(*im));
	int err;

	*imp = NULL;
	if (im == NULL) {
		snprintf(why, size, "out of memory");
		return ENOMEM;
	}
	err = import_parse(im, f);
	if (err) {
		snprintf(why, size, "%s", im->why);
		import_free(im);
		return err;
	}
	*imp = im;
	return 0;
}

/* Put the number field col of r, when not empty, into ac as name. */
static int number_put(json_t *ac, const struct import_row *r, int col,
		      const char *name)
{
	const char *v = r->f[col];

	if (v == NULL || *v == '\0')
		return 0;
	return json_object_set_new(ac, name, json_string(v)) ? EINVAL : 0;
}

/* One row as a user of POST /api/v1/users/import into users; EINVAL when
 * its text is not UTF-8, ENOMEM. */
static int row_add(json_t *users, const struct import_row *r)
{
	json_t *ac, *o = NULL;
	int err = EINVAL;

	ac = json_pack("{s:b}", "enabled", r->audio);
	if (ac == NULL)
		return ENOMEM;
	if (number_put(ac, r, COL_TOLL, "tollNumber") ||
	    number_put(ac, r, COL_TOLL_FREE, "tollFreeNumber"))
		goto out;
	o = json_pack("{s:s, s:s, s:O}", "email", r->f[COL_EMAIL],
		      "displayName", r->f[COL_NAME], "audioConferencing", ac);
	if (o == NULL)
		goto out;
	err = json_array_append(users, o) ? ENOMEM : 0;
out:
	json_decref(o);
	json_decref(ac);
	return err;
}

json_t *import_body(const struct import *im, bool noemail,
			   size_t *nbad)
{
	json_t *body, *users;
	size_t i;
	int err = 0;

	*nbad = 0;
	users = json_array();
	body = json_pack("{s:O}", "users", users);
	if (body != NULL && noemail &&
	    json_object_set_new(body, "sendEmail", json_false()))
		json_decref(body), body = NULL;
	if (body == NULL) {
		json_decref(users);
		return NULL;
	}
	for (i = 0; i < im->nrows; i++) {
		const struct import_row *r = &im->rows[i];

		err = r->bad ? EINVAL : row_add(users, r);
		if (err == ENOMEM)
			break;
		if (err) {
			fprintf(stderr, "row %zu: error: %s\n", r->record,
				r->bad ? r->bad : "the fields must be UTF-8 "
				"text");
			(*nbad)++;
		}
	}
	json_decref(users);
	if (err == ENOMEM || *nbad) {
		json_decref(body);
		return NULL;
	}
	return body;
}

/* The server's refusal: each refused row from the problem's "errors",
 * or its detail. The count of rows named. */
static size_t refused_print(const struct import *im, json_t *problem,
			    const char *why)
{
	json_t *errors = json_object_get(problem, "errors"), *e;
	size_t i, n = 0;

	json_array_foreach(errors, i, e) {
		json_t *idx = json_object_get(e, "index");
		const char *d = api_str(e, "detail");
		json_int_t k = json_is_integer(idx) ?
			json_integer_value(idx) : -1;

		if (k < 0 || (size_t)k >= im->nrows || d == NULL)
			continue;
		fprintf(stderr, "row %zu: error: %s\n",
			im->rows[k].record, d);
		n++;
	}
	if (n == 0)
		fprintf(stderr, "dialconf: %s\n", why[0] ? why : "refused");
	return n;
}

static int import_send(struct import *im, const char *file, bool noemail)
{
	char why[IMPORT_WHY_SIZE] = "";
	json_t *body, *resp = NULL, *problem;
	struct api_url u;
	struct api *a;
	size_t i, nbad, size;
	int err;

	body = import_body(im, noemail, &nbad);
	if (body == NULL && nbad == 0)
		return cli_fail("out of memory");
	if (body == NULL) {
		printf("0 created, %zu failed\n", nbad);
		fprintf(stderr, "dialconf: %s: %zu of %zu rows refused; "
			"nothing was imported\n", file, nbad, im->nrows);
		return CLI_FAIL;
	}
	size = json_dumpb(body, NULL, 0, JSON_COMPACT);
	if (size > IMPORT_BODY_MAX) {
		json_decref(body);
		return cli_fail("%s: %zu bytes as one request, over the API's "
				"%d MiB: split the file; nothing was imported",
				file, size, IMPORT_BODY_MAX >> 20);
	}
	if (api_alloc(&a) != 0) {
		json_decref(body);
		return CLI_FAIL;
	}
	api_quiet(a, why, sizeof(why));
	api_url_path(&u, "/users/import", NULL, NULL);
	err = api_call(a, "POST", &u, body, &resp);
	json_decref(body);
	json_decref(resp);
	if (err == ECONNREFUSED || err == ENOMEM || err == ENAMETOOLONG) {
		/* Nothing sent, or no answer: say no more than is known. */
		fprintf(stderr, "dialconf: %s\n", why);
		api_free(a);
		return CLI_FAIL;
	}
	if (err) {
		problem = api_problem_take(a);
		nbad = refused_print(im, problem, why);
		json_decref(problem);
		api_free(a);
		printf("0 created, %zu failed\n", nbad);
		fprintf(stderr, "dialconf: %s: nothing was imported\n", file);
		return CLI_FAIL;
	}
	api_free(a);
	for (i = 0; i < im->nrows; i++)
		printf("row %zu: %s: created\n", im->rows[i].record,
		       im->rows[i].f[COL_EMAIL]);
	printf("%zu created, 0 failed\n", im->nrows);
	return CLI_OK;
}

int do_user_import(struct cli *c, int argc, char **argv)
{
	bool noemail = false;
	const struct cli_opt opts[] = {
		{"--no-email", CLI_FLAG, &noemail},
		{NULL, 0, NULL},
	};
	struct cli_list pos;
	struct import *im;
	char why[IMPORT_WHY_SIZE];
	FILE *f;
	int err, rc;

	err = cli_parse(c, argc, argv, opts, &pos, 1, 1);
	if (err)
		return cli_parse_exit(err);
	f = fopen(pos.v[0], "rb");
	if (f == NULL)
		return cli_usage_error(c, "cannot open %s: %s", pos.v[0],
				       strerror(errno));
	err = import_read(&im, f, why, sizeof(why));
	fclose(f);
	if (err) {
		/* Nothing was sent: the file is the problem, or memory. */
		fprintf(stderr, "dialconf: %s: %s; nothing was imported\n",
			pos.v[0], why);
		return err == ENOMEM || err == EIO ? CLI_FAIL : CLI_USAGE;
	}
	rc = import_send(im, pos.v[0], noemail);
	import_free(im);
	return rc;
}
