/* out: what the CLI prints on stdout: "Label: value" blocks and aligned
 * tables for people, the server's JSON for scripts. */
#ifndef DIALCONF_CLI_OUT_H
#define DIALCONF_CLI_OUT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Print one object for people ("Field: value" lines). */
typedef void (out_print_h)(const json_t *o);

/* The cells of one table row for item; buf (size bytes, zeroed, one per
 * row) may hold the text of a cell, since the table borrows cells. */
typedef void (out_row_h)(const json_t *item, const char **cells, char *buf,
			 size_t size);

#define OUT_COLS_MAX 16 /* columns of a table out_list() prints */

/* How a list verb prints the list member of the answer. */
struct out_listing {
	const char *key;      /* "numbers": the member holding the list */
	const char *missing;  /* the complaint when it is no list */
	const char *empty;    /* the line printed for an empty list */
	size_t ncols;         /* at most OUT_COLS_MAX */
	const char *const *headers;
	size_t scratch;       /* bytes of row's buf, 0 for none */
	out_row_h *row;
};

/* The answer as pretty JSON on stdout, for --json. */
void out_json(const json_t *j);

/* "Label:      value" with the labels of one block aligned at width;
 * NULL prints as "-". Control characters print as '?'. */
void out_field(int width, const char *label, const char *value);

/* A table with aligned columns, for lists. Cells are borrowed: they must
 * outlive out_table_print(). */
struct out_table;

int out_table_alloc(struct out_table **tp, size_t ncols,
		    const char *const *headers);
/* Add a row of ncols cells (NULL prints as "-"). Returns 0 or ENOMEM. */
int out_table_add(struct out_table *t, const char *const *cells);
/* Print the headers and the rows. Returns 0 or ENOMEM. */
int out_table_print(const struct out_table *t, FILE *f);
void out_table_free(struct out_table *t);

/* The array list as a table on stdout, one row per item through l's row.
 * Returns 0, or ENOMEM (EINVAL for more than OUT_COLS_MAX columns). */
int out_list(const json_t *list, const struct out_listing *l);

#endif
