/* out: what the CLI prints. For people: "Label: value" blocks and tables
 * with aligned columns; for scripts: the server's JSON, pretty. Text that
 * came from the server (a display name, a city) is printed with control
 * characters replaced, so that a name cannot move the cursor or recolour an
 * administrator's terminal. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/out.h"

#define OUT_ROWS_MAX 10000000 /* rows of one table, far beyond any list */

struct out_table {
	size_t ncols;
	const char *const *headers;
	const char **cells; /* nrows * ncols, row-major */
	size_t nrows;
	size_t cap;
};

void out_json(const json_t *j)
{
	if (j == NULL)
		return;
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	fputc('\n', stdout);
}

/* Columns s takes: UTF-8 code points (jansson strings are valid UTF-8;
 * wide East Asian characters are counted as one, a known simplification). */
static size_t out_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

static void out_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, f);
	}
}

static void out_pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

void out_field(int width, const char *label, const char *value)
{
	size_t used = out_width(label) + 1;

	fprintf(stdout, "%s:", label);
	out_pad(stdout, (size_t)width > used ? (size_t)width - used + 1 : 1);
	out_text(stdout, value != NULL ? value : "-");
	fputc('\n', stdout);
}

int out_table_alloc(struct out_table **tp, size_t ncols,
		    const char *const *headers)
{
	struct out_table *t;

	if (ncols == 0)
		return EINVAL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ENOMEM;
	t->ncols = ncols;
	t->headers = headers;
	*tp = t;
	return 0;
}

int out_table_add(struct out_table *t, const char *const *cells)
{
	const char **p;
	size_t cap;

	if (t->nrows == t->cap) {
		if (t->cap >= OUT_ROWS_MAX)
			return ENOMEM;
		cap = t->cap ? t->cap * 2 : 64;
		p = reallocarray(t->cells, cap * t->ncols, sizeof(*p));
		if (p == NULL)
			return ENOMEM;
		t->cells = p;
		t->cap = cap;
	}
	memcpy(t->cells + t->nrows * t->ncols, cells,
	       t->ncols * sizeof(*cells));
	t->nrows++;
	return 0;
}

static const char *out_cell(const char *s)
{
	return s != NULL ? s : "-";
}

static void out_row(const struct out_table *t, FILE *f,
		    const char *const *row, const size_t *w)
{
	size_t i;

	for (i = 0; i < t->ncols; i++) {
		const char *s = out_cell(row[i]);

		out_text(f, s);
		if (i + 1 < t->ncols)
			out_pad(f, w[i] - out_width(s) + 2);
	}
	fputc('\n', f);
}

int out_table_print(const struct out_table *t, FILE *f)
{
	size_t *w, i, r;

	w = calloc(t->ncols, sizeof(*w));
	if (w == NULL)
		return ENOMEM;
	for (i = 0; i < t->ncols; i++)
		w[i] = out_width(t->headers[i]);
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			const char *s = out_cell(t->cells[r * t->ncols + i]);
			size_t n = out_width(s);

			if (n > w[i])
				w[i] = n;
		}
	}
	out_row(t, f, t->headers, w);
	for (r = 0; r < t->nrows; r++)
		out_row(t, f, t->cells + r * t->ncols, w);
	free(w);
	return 0;
}

void out_table_free(struct out_table *t)
{
	if (t == NULL)
		return;
	free(t->cells);
	free(t);
}

int out_list(const json_t *list, const struct out_listing *l)
{
	const char *cells[OUT_COLS_MAX];
	struct out_table *t = NULL;
	size_t size = l->scratch ? l->scratch : 1, i;
	const json_t *item;
	char *bufs;
	int err;

	if (l->ncols > OUT_COLS_MAX)
		return EINVAL;
	/* One buffer per row: the table borrows its cells. */
	bufs = calloc(json_array_size(list) + 1, size);
	err = bufs ? out_table_alloc(&t, l->ncols, l->headers) : ENOMEM;
	json_array_foreach(list, i, item) {
		if (err)
			break;
		l->row(item, cells, bufs + i * size, size);
		err = out_table_add(t, cells);
	}
	if (!err)
		err = out_table_print(t, stdout);
	out_table_free(t);
	free(bufs);
	return err;
}
