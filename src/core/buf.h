/* buf: a growable byte buffer with a hard cap (after curl's dynbuf). Every
 * append either fits under the cap or fails without changing the content,
 * so a caller that sees an error never holds half a header or half a body.
 * The content is always NUL-terminated, so text can be read as a string. */
#ifndef DIALCONF_CORE_BUF_H
#define DIALCONF_CORE_BUF_H

#include <stddef.h>

struct buf;

/* A new empty buffer that refuses to hold more than cap bytes (the NUL not
 * counted). Returns 0, EINVAL for cap 0, or ENOMEM. */
int buf_alloc(struct buf **bp, size_t cap);
void buf_free(struct buf *b);

/* Append len bytes. Returns 0, EOVERFLOW past the cap, or ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);

/* Append formatted text (vsnprintf). Returns 0, EOVERFLOW, ENOMEM, or
 * EINVAL for a bad format. */
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Drop the content from byte len on (len <= buf_len); keeps the memory. */
void buf_truncate(struct buf *b, size_t len);
void buf_reset(struct buf *b);

/* The content, NUL-terminated ("" when empty), valid until the next change,
 * and its length in bytes. */
const char *buf_str(const struct buf *b);
size_t buf_len(const struct buf *b);
size_t buf_cap(const struct buf *b);

/* Hand the content to the caller (free() it) and leave b empty. Returns 0,
 * or ENOMEM. len may be NULL. */
int buf_detach(struct buf *b, char **out, size_t *len);

#endif
