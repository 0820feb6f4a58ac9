/* tmpl: a single pass over the template. A tag is "{{" then an optional
 * '#', '^' or '/', a name, then "}}". Sections are rendered by recursion
 * over the text between the open tag and its matching close; a hidden
 * section is still walked, with output off, so its names are checked. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/buf.h"
#include "core/tmpl.h"

#define VAR_NAME(id, name) [TMPL_V_##id] = name,

const char *const tmpl_var_names[TMPL_V_COUNT] = {
	TMPL_VARS(VAR_NAME)
};

enum tag_kind {
	TAG_VAR,
	TAG_OPEN,   /* {{#name}} */
	TAG_INVERT, /* {{^name}} */
	TAG_CLOSE,  /* {{/name}} */
};

struct tag {
	enum tag_kind kind;
	const char *name;
	size_t nlen;
	const char *before; /* first byte the tag replaces */
	const char *after;  /* first byte after it */
};

struct ctx {
	const char *tmpl;
	const struct tmpl_var *vars;
	size_t nvars;
	enum tmpl_mode mode;
	struct buf *out;
};

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* A section tag alone on its line, but for spaces and tabs, stands for the
 * whole line, its line break included (mustache's "standalone" rule). */
static void tag_standalone(const struct ctx *c, const char *lo,
			   const char *end, struct tag *t)
{
	const char *b = t->before, *a = t->after;

	while (b > c->tmpl && (b[-1] == ' ' || b[-1] == '\t'))
		b--;
	if (b > c->tmpl && b[-1] != '\n')
		return;
	if (b < lo)
		return;

	while (a < end && (*a == ' ' || *a == '\t'))
		a++;
	if (a < end && *a == '\r' && a + 1 < end && a[1] == '\n')
		a += 2;
	else if (a < end && *a == '\n')
		a++;
	else if (a < end)
		return;

	t->before = b;
	t->after = a;
}

/* The next tag in [p, end). 0, ENOENT when there is none, EINVAL for a
 * "{{" that does not start a well-formed tag. */
static int next_tag(const struct ctx *c, const char *p, const char *end,
		    struct tag *t)
{
	const char *s, *n;

	s = memmem(p, (size_t)(end - p), "{{", 2);
	if (!s)
		return ENOENT;

	n = s + 2;
	t->kind = TAG_VAR;
	if (n < end && (*n == '#' || *n == '^' || *n == '/')) {
		t->kind = *n == '#' ? TAG_OPEN :
			  *n == '^' ? TAG_INVERT : TAG_CLOSE;
		n++;
	}

	t->name = n;
	while (n < end && is_name_char(*n))
		n++;
	t->nlen = (size_t)(n - t->name);
	if (!t->nlen || t->nlen > TMPL_NAME_MAX)
		return EINVAL;
	if (end - n < 2 || n[0] != '}' || n[1] != '}')
		return EINVAL;

	t->before = s;
	t->after = n + 2;
	if (t->kind != TAG_VAR)
		tag_standalone(c, p, end, t);
	return 0;
}

static int lookup(const struct ctx *c, const struct tag *t, const char **val)
{
	size_t i;

	for (i = 0; i < c->nvars; i++) {
		const char *name = c->vars[i].name;

		if (name && strlen(name) == t->nlen &&
		    !memcmp(name, t->name, t->nlen)) {
			*val = c->vars[i].value ? c->vars[i].value : "";
			return 0;
		}
	}

	return EINVAL;
}

/* The close tag that matches open, searched from p. */
static int find_close(const struct ctx *c, const struct tag *open,
		      const char *p, const char *end, struct tag *close)
{
	int depth = 0, err;

	while ((err = next_tag(c, p, end, close)) == 0) {
		p = close->after;
		if (close->kind == TAG_OPEN || close->kind == TAG_INVERT) {
			depth++;
		} else if (close->kind == TAG_CLOSE && depth) {
			depth--;
		} else if (close->kind == TAG_CLOSE) {
			if (close->nlen != open->nlen ||
			    memcmp(close->name, open->name, open->nlen))
				return EINVAL;
			return 0;
		}
	}

	return EINVAL; /* ENOENT too: a section never closed */
}

/* HTML mode: the five characters that matter in text and in quoted
 * attribute values (HTML Living Standard §13.1.2.6), and line breaks
 * shown as such. */
static int put_value(const struct ctx *c, const char *v)
{
	int err = 0;

	if (c->mode == TMPL_TEXT)
		return buf_puts(c->out, v);

	for (; *v && !err; v++) {
		switch (*v) {
		case '&':  err = buf_puts(c->out, "&amp;");  break;
		case '<':  err = buf_puts(c->out, "&lt;");   break;
		case '>':  err = buf_puts(c->out, "&gt;");   break;
		case '"':  err = buf_puts(c->out, "&quot;"); break;
		case '\'': err = buf_puts(c->out, "&#39;");  break;
		case '\n': err = buf_puts(c->out, "<br>\n"); break;
		default:   err = buf_putc(c->out, *v);       break;
		}
	}

	return err;
}

static int render_span(const struct ctx *c, const char *p, const char *end,
		       bool emit, int depth);

static int render_section(const struct ctx *c, const struct tag *open,
			  const char *end, bool emit, int depth,
			  const char **next)
{
	struct tag close;
	const char *val;
	bool show;
	int err;

	if (depth >= TMPL_DEPTH_MAX)
		return EINVAL;

	err = lookup(c, open, &val);
	if (err)
		return err;

	err = find_close(c, open, open->after, end, &close);
	if (err)
		return err;

	show = (open->kind == TAG_OPEN) == (*val != '\0');
	*next = close.after;
	return render_span(c, open->after, close.before, emit && show,
			   depth + 1);
}

static int render_span(const struct ctx *c, const char *p, const char *end,
		       bool emit, int depth)
{
	struct tag t;
	const char *val;
	int err;

	while (p < end) {
		err = next_tag(c, p, end, &t);
		if (err == ENOENT)
			return emit ? buf_append(c->out, p, (size_t)(end - p)) : 0;
		if (err)
			return err;

		if (emit) {
			err = buf_append(c->out, p, (size_t)(t.before - p));
			if (err)
				return err;
		}

		switch (t.kind) {
		case TAG_VAR:
			err = lookup(c, &t, &val);
			if (!err && emit)
				err = put_value(c, val);
			p = t.after;
			break;
		case TAG_OPEN:
		case TAG_INVERT:
			err = render_section(c, &t, end, emit, depth, &p);
			break;
		case TAG_CLOSE:
			err = EINVAL; /* a close without its open */
			break;
		}
		if (err)
			return err;
	}

	return 0;
}

int tmpl_render(const char *tmpl, const struct tmpl_var *vars, size_t nvars,
		enum tmpl_mode mode, struct buf *out)
{
	struct ctx c;
	size_t mark;
	int err;

	if (!tmpl || !out || (!vars && nvars))
		return EINVAL;
	if (mode != TMPL_TEXT && mode != TMPL_HTML)
		return EINVAL;

	c.tmpl = tmpl;
	c.vars = vars;
	c.nvars = nvars;
	c.mode = mode;
	c.out = out;

	mark = buf_len(out);
	err = render_span(&c, tmpl, tmpl + strlen(tmpl), true, 0);
	if (err)
		buf_truncate(out, mark);
	return err;
}

int tmpl_subject(const char *text, char *subject, size_t size,
		 const char **body)
{
	static const char field[] = "Subject:";
	const char *s, *e;
	size_t len;

	if (!text || !subject || !size || !body)
		return EINVAL;
	if (strncmp(text, field, sizeof(field) - 1))
		return EINVAL;

	s = text + sizeof(field) - 1;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strcspn(s, "\r\n");

	len = (size_t)(e - s);
	if (len >= size)
		return EOVERFLOW;
	memcpy(subject, s, len);
	subject[len] = '\0';

	/* The line break of the Subject line, then one blank line. */
	if (*e == '\r' && e[1] == '\n')
		e += 2;
	else if (*e == '\n')
		e++;
	if (*e == '\r' && e[1] == '\n')
		e += 2;
	else if (*e == '\n')
		e++;

	*body = e;
	return 0;
}
