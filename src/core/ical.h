/* ical: the iCalendar object of a meeting invitation (RFC 5545), with the
 * scheduling method of iTIP (RFC 5546), built with libical so that line
 * folding, escaping and CRLFs are libical's business, not ours. */
#ifndef DIALCONF_CORE_ICAL_H
#define DIALCONF_CORE_ICAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ical_method {
	ICAL_REQUEST, /* RFC 5546 §3.2.2 (new) and §3.2.2.1 (update) */
	ICAL_CANCEL,  /* RFC 5546 §3.2.5 */
};

/* One VEVENT and its VCALENDAR. Pointers are borrowed; strings UTF-8. */
struct ical_event {
	enum ical_method method;
	const char *uid;
	int sequence;
	int64_t stamp; /* DTSTAMP: when this version was made, unix seconds */
	int64_t start; /* DTSTART, written in UTC */
	int64_t end;   /* DTEND, written in UTC */
	const char *summary;
	const char *description; /* the dial-in section, may be NULL */
	const char *location;    /* may be NULL */
	const char *organizer_email;
	const char *organizer_name; /* may be NULL or "" */
	const char *const *attendees; /* email addresses */
	size_t nattendees;
};

/* The VCALENDAR text of ev (CRLF lines, folded) into *out, allocated:
 * free() it. 0, EINVAL (a missing field, a control character in an address,
 * end not after start) or ENOMEM. */
int ical_render(const struct ical_event *ev, char **out);

/* The iTIP method's name ("REQUEST", "CANCEL"), for the MIME
 * Content-Type's method parameter (RFC 6047 §2.4). */
const char *ical_method_name(enum ical_method m);

#endif
