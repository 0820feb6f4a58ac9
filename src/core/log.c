/* log: one line per event, written with a single call so that lines of
 * different threads never mix. A line is built on the stack (LOG_LINE_MAX,
 * cut when longer), passed through the masking rules and handed to the
 * sink: stderr unless a test set another. The level check is an atomic
 * load in log_on(), so a line below the threshold costs nothing else. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"

atomic_int log_threshold = LOG_DEBUG;

static const char *const level_names[] = {
	[LOG_DEBUG] = "debug",
	[LOG_INFO] = "info",
	[LOG_WARN] = "warn",
	[LOG_ERROR] = "error",
};

/* Keys whose values are never written (see log.h). */
static const char *const secret_words[] = {
	"pin", "password", "passwd", "token", "secret", "cookie", "csrf",
	"session",
};

/* The syslog priority of each level, for log_prefix_set(). */
static const char *const level_priorities[] = {
	[LOG_DEBUG] = "<7>",
	[LOG_INFO] = "<6>",
	[LOG_WARN] = "<4>",
	[LOG_ERROR] = "<3>",
};

static log_sink_h *sink;
static void *sink_arg;
static bool priority_prefix;

void log_prefix_set(bool syslog_priority)
{
	priority_prefix = syslog_priority;
}

void log_level_set(enum log_level level)
{
	atomic_store_explicit(&log_threshold, (int)level,
			      memory_order_relaxed);
}

int log_level_parse(const char *name, enum log_level *level)
{
	size_t i;

	for (i = 0; name && i < sizeof(level_names) / sizeof(*level_names);
	     i++) {
		if (!strcmp(name, level_names[i])) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return EINVAL;
}

void log_sink_set(log_sink_h *h, void *arg)
{
	sink = h;
	sink_arg = arg;
}

void log_mask_caller(const char *caller, char *out, size_t size)
{
	size_t len, keep, i;

	if (!size)
		return;
	len = caller ? strnlen(caller, size - 1) : 0;
	/* Keep the country and area part, hide the last four: enough to
	 * tell callers apart in a list, not enough to call them back. */
	keep = len > 4 ? len - 4 : 0;
	for (i = 0; i < len; i++)
		out[i] = i < keep ? caller[i] : '*';
	out[len] = '\0';
}

/* Does the key k (n bytes) name a secret: one of secret_words, alone or
 * as its last part ("admin_password", "csrfToken")? */
static bool key_secret(const char *k, size_t n)
{
	size_t i, w;
	char before;

	for (i = 0; i < sizeof(secret_words) / sizeof(*secret_words); i++) {
		w = strlen(secret_words[i]);
		if (n < w || strncasecmp(k + n - w, secret_words[i], w))
			continue;
		if (n == w)
			return true;
		before = k[n - w - 1];
		if (before == '.' || before == '_' || before == '-' ||
		    (k[n - w] >= 'A' && k[n - w] <= 'Z'))
			return true;
	}
	return false;
}

/* Bytes of the value at v: up to the closing quote of a quoted one, else
 * up to the next space. */
static size_t value_len(const char *v)
{
	const char *q;

	if (*v != '"')
		return strcspn(v, " ");
	q = strchr(v + 1, '"');
	return q ? (size_t)(q - v) + 1 : strlen(v);
}

struct out {
	char *p;
	size_t len, size; /* size - 1 bytes of text at most, then the NUL */
};

/* Append n bytes of s, control characters as '?': a value may come from
 * a client (an HTTP method, a SIP header) and a CR or LF in it must not
 * start a line of its own that a reader would take for ours. */
static void put(struct out *o, const char *s, size_t n)
{
	size_t i;

	if (n > o->size - 1 - o->len)
		n = o->size - 1 - o->len;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		o->p[o->len + i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	o->len += n;
	o->p[o->len] = '\0';
}

/* One value, after the masking rules for its key k (n bytes). */
static void put_value(struct out *o, const char *k, size_t n, const char *v,
		      size_t vlen)
{
	char masked[LOG_LINE_MAX];

	if (key_secret(k, n)) {
		put(o, "-", 1);
	}
	else if (n == 6 && !strncmp(k, "caller", 6) && vlen < sizeof(masked)) {
		log_mask_caller(v, masked, vlen + 1);
		put(o, masked, vlen);
	}
	else {
		put(o, v, vlen);
	}
}

/* text into o with the masking rules applied to each key=value. */
static void mask_text(struct out *o, const char *text)
{
	const char *p = text;
	size_t n, vlen;

	while (*p) {
		n = strspn(p, " ");
		put(o, p, n);
		p += n;
		n = strcspn(p, "= ");
		if (n && p[n] == '=') {
			put(o, p, n + 1);
			vlen = value_len(p + n + 1);
			put_value(o, p, n, p + n + 1, vlen);
			p += n + 1 + vlen;
		}
		else {
			n = strcspn(p, " ");
			put(o, p, n);
			p += n;
		}
	}
}

void log_text(enum log_level level, const char *module, const char *text)
{
	char line[LOG_LINE_MAX];
	struct out o = { line, 0, sizeof(line) - 1 }; /* room for '\n' */

	if ((unsigned)level > LOG_ERROR)
		level = LOG_ERROR;
	if (!log_on(level))
		return;
	line[0] = '\0';
	if (priority_prefix && !sink)
		put(&o, level_priorities[level], 3);
	put(&o, level_names[level], strlen(level_names[level]));
	put(&o, " ", 1);
	put(&o, module, strlen(module));
	put(&o, " ", 1);
	mask_text(&o, text);
	line[o.len++] = '\n';
	line[o.len] = '\0';
	if (sink)
		sink(line, o.len, sink_arg);
	else
		fwrite(line, 1, o.len, stderr);
}

void log_vwrite(enum log_level level, const char *module, const char *fmt,
		va_list ap)
{
	char text[LOG_LINE_MAX];

	vsnprintf(text, sizeof(text), fmt, ap);
	log_text(level, module, text);
}

void log_write(enum log_level level, const char *module, const char *fmt,
	       ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, module, fmt, ap);
	va_end(ap);
}
