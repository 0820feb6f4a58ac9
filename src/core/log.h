/* log: the daemon's log, one line per event: "level module key=value ...".
 * The masking rules of every line live here, so that no caller can forget
 * them: a caller's number never appears whole, a secret never at all. */
#ifndef DIALCONF_CORE_LOG_H
#define DIALCONF_CORE_LOG_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
};

#define LOG_LINE_MAX 1024 /* bytes of one line; a longer one is cut */

/* Where lines go: one call per line, ending in '\n'. */
typedef void (log_sink_h)(const char *line, size_t len, void *arg);

/* The lowest level written (LOG_DEBUG, everything, until set). Read by
 * log_on() on every call: keep to the setters. */
extern atomic_int log_threshold;

/* Lines below level are dropped from now on. */
void log_level_set(enum log_level level);
/* "debug", "info", "warn" or "error" into *level. 0 or EINVAL. */
int log_level_parse(const char *name, enum log_level *level);
/* Start each line written to stderr with its syslog priority ("<6>" for
 * info), which the journal reads as the line's level (sd-daemon(3)); for a
 * service whose stderr is the journal. Set before threads start. */
void log_prefix_set(bool syslog_priority);
/* Send lines to h instead of stderr (h NULL: back to stderr). For tests;
 * not thread-safe against a concurrent log_write(). */
void log_sink_set(log_sink_h *h, void *arg);

/* Whether a line of level would be written. */
static inline bool log_on(enum log_level level)
{
	return (int)level >= atomic_load_explicit(&log_threshold,
						  memory_order_relaxed);
}

/* Write "level module text" with text formatted by fmt (printf), masked.
 * The macros below check the level first, so that arguments are not even
 * evaluated for a line nobody reads. */
void log_write(enum log_level level, const char *module, const char *fmt,
	       ...) __attribute__((format(printf, 3, 4)));
void log_vwrite(enum log_level level, const char *module, const char *fmt,
		va_list ap);
/* The same with text formatted already (libre's %j and %J in src/sip/). */
void log_text(enum log_level level, const char *module, const char *text);

/* A file defines LOG_MODULE ("http") before it includes this header, and
 * logs with log_info("event=... key=%s", v). */
#define log_at(level, ...)                                              \
	do {                                                            \
		if (log_on(level))                                      \
			log_write((level), LOG_MODULE, __VA_ARGS__);    \
	} while (0)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_at(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_at(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_at(LOG_ERROR, __VA_ARGS__)

/* The masking rules, applied by log_write() to every key=value of a line:
 *  - the value of a key that names a secret (pin, password, passwd,
 *    token, secret, cookie, csrf, session, or a key ending in one of them
 *    after '.', '_' or '-') is written as "-";
 *  - the value of caller is masked as log_mask_caller() does.
 * Callers mask numbers themselves too (log_mask_caller) where the number
 * leaves by another way: the audit log, the calls list. */

/* caller with its last four characters hidden ("+1425555****"), into out
 * (size bytes; at most size - 1 characters of caller are used). Masking a
 * masked number changes nothing. */
void log_mask_caller(const char *caller, char *out, size_t size);

#endif
