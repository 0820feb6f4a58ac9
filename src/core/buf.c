/* buf: bounded growable buffer. Invariants, checked first in every call
 * that changes the content: len < size when mem is set, len <= cap, and
 * mem[len] == 0. Growth doubles, so n appends cost O(n) amortised. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define BUF_MIN_SIZE 64

struct buf {
	char *mem;
	size_t len;  /* bytes of content, not counting the NUL */
	size_t size; /* bytes allocated at mem */
	size_t cap;  /* most bytes of content ever allowed */
};

int buf_alloc(struct buf **bp, size_t cap)
{
	struct buf *b;

	if (!bp || !cap || cap == (size_t)-1)
		return EINVAL;

	b = calloc(1, sizeof(*b));
	if (!b)
		return ENOMEM;

	b->cap = cap;
	*bp = b;
	return 0;
}

void buf_free(struct buf *b)
{
	if (!b)
		return;

	free(b->mem);
	free(b);
}

/* Make room for need more bytes of content plus the NUL. */
static int buf_reserve(struct buf *b, size_t need)
{
	size_t want, size;
	char *mem;

	if (need > b->cap - b->len)
		return EOVERFLOW;

	want = b->len + need + 1;
	if (want <= b->size)
		return 0;

	size = b->size ? b->size : BUF_MIN_SIZE;
	while (size < want)
		size = size > ((size_t)-1) / 2 ? want : size * 2;
	if (size > b->cap + 1)
		size = b->cap + 1;

	mem = realloc(b->mem, size);
	if (!mem)
		return ENOMEM;

	b->mem = mem;
	b->size = size;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t len)
{
	int err;

	if (!b || (!p && len))
		return EINVAL;

	err = buf_reserve(b, len);
	if (err)
		return err;

	if (len)
		memcpy(b->mem + b->len, p, len);
	b->len += len;
	b->mem[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	if (!s)
		return EINVAL;

	return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, err;

	if (!b || !fmt)
		return EINVAL;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return EINVAL;

	err = buf_reserve(b, (size_t)n);
	if (err)
		return err;

	va_start(ap, fmt);
	n = vsnprintf(b->mem + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->mem[b->len] = '\0';
		return EINVAL;
	}

	b->len += (size_t)n;
	return 0;
}

void buf_truncate(struct buf *b, size_t len)
{
	if (!b || len >= b->len)
		return;

	b->len = len;
	b->mem[len] = '\0';
}

void buf_reset(struct buf *b)
{
	buf_truncate(b, 0);
}

const char *buf_str(const struct buf *b)
{
	return b && b->mem ? b->mem : "";
}

size_t buf_len(const struct buf *b)
{
	return b ? b->len : 0;
}

size_t buf_cap(const struct buf *b)
{
	return b ? b->cap : 0;
}

int buf_detach(struct buf *b, char **out, size_t *len)
{
	char *s;

	if (!b || !out)
		return EINVAL;

	s = b->mem;
	if (!s) {
		s = calloc(1, 1);
		if (!s)
			return ENOMEM;
	}

	*out = s;
	if (len)
		*len = b->len;
	b->mem = NULL;
	b->len = 0;
	b->size = 0;
	return 0;
}
