/* tmpl: the smallest template renderer the emails need, in the spirit of
 * mustache. {{name}} is replaced by a value; {{#name}}...{{/name}} is shown
 * when the value is not empty and {{^name}}...{{/name}} when it is. A
 * section tag alone on its line takes the line with it, so templates stay
 * readable without leaving blank lines behind. Values are inserted once,
 * never read as template text, so "{{pin}}" in a display name stays text.
 * A name the caller did not give is an error (EINVAL), even inside a hidden
 * section, so a typo in a template fails the tests, not an email. */
#ifndef DIALCONF_CORE_TMPL_H
#define DIALCONF_CORE_TMPL_H

#include <stddef.h>

struct buf;

#define TMPL_NAME_MAX 64   /* characters of a name: letters, digits, _ . - */
#define TMPL_DEPTH_MAX 8   /* sections inside sections */

enum tmpl_mode {
	TMPL_TEXT = 0,  /* values as they are */
	TMPL_HTML,      /* & < > " ' escaped, line breaks as <br> */
};

struct tmpl_var {
	const char *name;
	const char *value; /* UTF-8; NULL counts as empty */
};

/* TMPL_VARS(X): the variables the email templates (templates/) may name,
 * listed once: X(ID, name). tollNumber and tollFreeNumber are E.164
 * ("+14255550100", for tel: links and dial strings); their ...Display twins
 * are the same numbers as people read them (e164_format, "+1 425 555
 * 0100"), made from them when an email is rendered. The outbox stores a row's values under these
 * names (app) and the worker renders with them (mail); a name not listed
 * here fails the rendering. */
#define TMPL_VARS(X)							\
	X(DISPLAY_NAME, "displayName")					\
	X(ORGANIZATION_NAME, "organizationName")			\
	X(CONFERENCE_ID, "conferenceId")				\
	X(PREVIOUS_CONFERENCE_ID, "previousConferenceId")		\
	X(TOLL_NUMBER, "tollNumber")					\
	X(TOLL_FREE_NUMBER, "tollFreeNumber")				\
	X(TOLL_NUMBER_DISPLAY, "tollNumberDisplay")			\
	X(TOLL_FREE_NUMBER_DISPLAY, "tollFreeNumberDisplay")		\
	X(PIN, "pin")							\
	X(MEETINGS_LIST, "meetingsList")				\
	X(INVITATIONS_UPDATED, "invitationsUpdated")			\
	X(MEETING_SUBJECT, "meetingSubject")				\
	X(MEETING_START, "meetingStart")				\
	X(MEETING_END, "meetingEnd")					\
	X(ORGANIZER_EMAIL, "organizerEmail")				\
	X(OTHER_NUMBERS, "otherNumbers")				\
	X(UPDATED, "updated")

#define TMPL_V_ENUM_(id, name) TMPL_V_##id,

enum tmpl_var_id {
	TMPL_VARS(TMPL_V_ENUM_)
	TMPL_V_COUNT /* keep last */
};

#undef TMPL_V_ENUM_

/* The names of TMPL_VARS, indexed by enum tmpl_var_id. */
extern const char *const tmpl_var_names[TMPL_V_COUNT];

/* Render tmpl with vars (the first of equal names wins) and append the
 * result to out. Returns 0; EINVAL for an unknown name, a malformed or
 * unbalanced tag or sections too deep; EOVERFLOW past out's cap; ENOMEM.
 * On failure out is left as it was. */
int tmpl_render(const char *tmpl, const struct tmpl_var *vars, size_t nvars,
		enum tmpl_mode mode, struct buf *out);

/* Split a rendered text template: its first line is "Subject: ...". The
 * subject goes to subject (size bytes) and *body points after the line and
 * after one blank line that follows it. Returns 0, EINVAL when there is no
 * Subject line, or EOVERFLOW when the subject does not fit. */
int tmpl_subject(const char *text, char *subject, size_t size,
		 const char **body);

/* The template built into the binary from templates/NAME (for instance
 * "pin-reset.txt"), or NULL. Defined in the C file scripts/embed.sh makes. */
const char *tmpl_builtin(const char *name);

/* The name of built-in template i (0, 1, ...), or NULL past the last. */
const char *tmpl_builtin_name(size_t i);

#endif
