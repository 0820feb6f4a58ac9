/* settings: the one table of organization settings (SPEC §7). The API, the
 * CLI, validation and the docs all read this table: name, type, bounds,
 * default, help. Values travel and are stored in a canonical text form:
 * "true"/"false", decimal integers, plain strings. */
#ifndef DIALCONF_CORE_SETTINGS_H
#define DIALCONF_CORE_SETTINGS_H

#include <stddef.h>

enum setting_type {
	SETTING_BOOL,
	SETTING_INT,
	SETTING_STRING, /* min/max bound the length in bytes */
	SETTING_EMAIL,  /* an email address, see emailaddr_valid() */
};

struct setting_def {
	const char *name;
	enum setting_type type;
	long min;
	long max;
	const char *def; /* canonical text form */
	const char *help;
	/* More checks for a STRING, after the length and characters. */
	int (*check)(const char *value, char *why, size_t whysize);
};

#define SETTINGS_VALUE_MAX 512 /* bytes of a canonical value, with NUL */

/* The whole table and its length. */
const struct setting_def *settings_table(size_t *n);

/* The definition called name, or NULL. */
const struct setting_def *settings_find(const char *name);

/* Check value against d and write its canonical form to out (size bytes).
 * Accepts for BOOL: true/false/on/off/yes/no/1/0. Returns 0, or EINVAL with
 * a one-line reason in why (may be NULL). */
int settings_validate(const struct setting_def *d, const char *value,
		      char *out, size_t size, char *why, size_t whysize);

#endif
