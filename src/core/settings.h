/* settings: the one table of organization settings (SPEC §7). The API, the
 * CLI, validation, the docs and the admin center (through GET /api/v1/meta)
 * all read this table: name, type, bounds, default, and how to show it:
 * group, label, unit, help. Values travel and are stored in a canonical
 * text form: "true"/"false", decimal integers, plain strings. */
#ifndef DIALCONF_CORE_SETTINGS_H
#define DIALCONF_CORE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

enum setting_type {
	SETTING_BOOL,
	SETTING_INT,
	SETTING_STRING, /* min/max bound the length in bytes */
	SETTING_EMAIL,  /* an email address, see emailaddr_valid() */
};

/* The groups the admin center and docs/settings.md show settings in, in
 * their order. */
enum setting_group {
	SETTING_GROUP_ORGANIZATION,
	SETTING_GROUP_EMAIL,
	SETTING_GROUP_DIALIN,
	SETTING_GROUP_ADMIN,
	SETTING_GROUP_JITSI,
	SETTING_GROUP_WEBHOOKS,
	SETTING_GROUP_COUNT /* keep last */
};

struct setting_def {
	const char *name;
	enum setting_type type;
	long min;
	long max;
	const char *def; /* canonical text form */
	enum setting_group group;
	const char *label; /* a few words, without the unit */
	const char *unit;  /* of an INT: "seconds", ...; NULL: none */
	const char *help;  /* what it does, one or two sentences */
	/* More checks for a STRING, after the length and characters. */
	int (*check)(const char *value, char *why, size_t whysize);
	/* Write-only: GET /api/v1/settings and the audit log show "set" or
	 * "" (settings_shown), never the value. */
	bool secret;
};

#define SETTINGS_VALUE_MAX 512 /* bytes of a canonical value, with NUL */

/* The whole table and its length. */
const struct setting_def *settings_table(size_t *n);

/* The group's title ("Dial-in"), or NULL for none of them. */
const char *settings_group_name(enum setting_group g);

/* The type's name in the API: "boolean", "integer", "string", "email". */
const char *settings_type_name(enum setting_type t);

/* The definition called name, or NULL. */
const struct setting_def *settings_find(const char *name);

/* Check value against d and write its canonical form to out (size bytes).
 * Accepts for BOOL: true/false/on/off/yes/no/1/0. Returns 0, or EINVAL with
 * a one-line reason in why (may be NULL). */
int settings_validate(const struct setting_def *d, const char *value,
		      char *out, size_t size, char *why, size_t whysize);

/* What may be shown of d's canonical value: the value itself, or for a
 * secret "set" when it has one and "" when not. */
const char *settings_shown(const struct setting_def *d, const char *value);

#endif
