/* ical: a meeting as an iCalendar object (RFC 5545) carrying an iTIP
 * method (RFC 5546), built with libical.
 *
 * What calendar programs rely on, and why it is here:
 *  - METHOD on the VCALENDAR and the same in the MIME Content-Type
 *    (RFC 6047 §2.4), REQUEST for a new or changed meeting and CANCEL to
 *    remove it (RFC 5546 §3.2.2, §3.2.5);
 *  - UID fixed for the meeting's life and SEQUENCE raised with each
 *    change, so an update replaces the earlier copy instead of adding one
 *    (RFC 5545 §3.8.4.7, §3.8.7.4; RFC 5546 §2.1.4);
 *  - DTSTAMP on every object (RFC 5545 §3.8.7.2, required with METHOD);
 *  - DTSTART / DTEND in UTC ("Z" form, RFC 5545 §3.3.5 form #2), so no
 *    VTIMEZONE is needed;
 *  - ORGANIZER and each ATTENDEE as mailto: URIs (RFC 5545 §3.8.4.1,
 *    §3.8.4.3), attendees asked to answer (PARTSTAT=NEEDS-ACTION,
 *    RSVP=TRUE) on a request; a cancel also says STATUS:CANCELLED
 *    (RFC 5546 §3.2.5). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "core/ical.h"

#define PRODID "-//dialconf//dialconf 0.1//EN"
#define MAILTO_MAX 300

const char *ical_method_name(enum ical_method m)
{
	return m == ICAL_CANCEL ? "CANCEL" : "REQUEST";
}

static struct icaltimetype utc_time(int64_t t)
{
	return icaltime_from_timet_with_zone((time_t)t, 0,
					     icaltimezone_get_utc_timezone());
}

/* "mailto:ADDR"; false for an address with a control character or
 * space, which would break the URI. */
static bool mailto(const char *addr, char *out, size_t size)
{
	const char *p;
	int n;

	if (!addr || !addr[0])
		return false;
	for (p = addr; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	}
	n = snprintf(out, size, "mailto:%s", addr);
	return n > 0 && (size_t)n < size;
}

static int add_organizer(icalcomponent *ev, const struct ical_event *e)
{
	char uri[MAILTO_MAX];
	icalproperty *p;

	if (!mailto(e->organizer_email, uri, sizeof(uri)))
		return EINVAL;
	p = icalproperty_new_organizer(uri);
	if (!p)
		return ENOMEM;
	if (e->organizer_name && e->organizer_name[0])
		icalproperty_add_parameter(p,
			icalparameter_new_cn(e->organizer_name));
	icalcomponent_add_property(ev, p);
	return 0;
}

static int add_attendee(icalcomponent *ev, const char *addr, bool request)
{
	char uri[MAILTO_MAX];
	icalproperty *p;

	if (!mailto(addr, uri, sizeof(uri)))
		return EINVAL;
	p = icalproperty_new_attendee(uri);
	if (!p)
		return ENOMEM;
	icalproperty_add_parameter(p,
		icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
	icalproperty_add_parameter(p,
		icalparameter_new_cutype(ICAL_CUTYPE_INDIVIDUAL));
	if (request) {
		icalproperty_add_parameter(p,
			icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION));
		icalproperty_add_parameter(p,
			icalparameter_new_rsvp(ICAL_RSVP_TRUE));
	}
	icalcomponent_add_property(ev, p);
	return 0;
}

static int event_fill(icalcomponent *ev, const struct ical_event *e)
{
	bool request = e->method == ICAL_REQUEST;
	size_t i;
	int err;

	icalcomponent_add_property(ev, icalproperty_new_uid(e->uid));
	icalcomponent_add_property(ev, icalproperty_new_sequence(e->sequence));
	icalcomponent_add_property(ev,
		icalproperty_new_dtstamp(utc_time(e->stamp)));
	icalcomponent_add_property(ev,
		icalproperty_new_dtstart(utc_time(e->start)));
	icalcomponent_add_property(ev,
		icalproperty_new_dtend(utc_time(e->end)));
	icalcomponent_add_property(ev, icalproperty_new_summary(e->summary));
	if (e->location && e->location[0])
		icalcomponent_add_property(ev,
			icalproperty_new_location(e->location));
	if (e->description && e->description[0])
		icalcomponent_add_property(ev,
			icalproperty_new_description(e->description));
	icalcomponent_add_property(ev, icalproperty_new_status(request ?
		ICAL_STATUS_CONFIRMED : ICAL_STATUS_CANCELLED));
	icalcomponent_add_property(ev,
		icalproperty_new_transp(ICAL_TRANSP_OPAQUE));
	err = add_organizer(ev, e);
	for (i = 0; i < e->nattendees && !err; i++)
		err = add_attendee(ev, e->attendees[i], request);
	return err;
}

static bool event_ok(const struct ical_event *e)
{
	return e && e->uid && e->uid[0] && e->summary && e->sequence >= 0 &&
		e->end > e->start && (e->attendees || !e->nattendees);
}

/* libical 3.0 folds a line whose content ends right at the fold column
 * between the CR and the LF that end it ("...\r" "\r\n " "\n": a long
 * organizer address does it), leaving a bare CR and a bare LF that mail
 * and calendar programs read as broken lines. Take such a fold out again:
 * what is left is the line as it was, CRLF at its end, within 75 octets.
 * No value can hold a CR or LF of its own (libical escapes them), so the
 * pattern is always this defect. */
static void crlf_unsplit(char *text)
{
	char *r = text, *w = text;

	while (*r) {
		if (!strncmp(r, "\r\r\n \n", 5)) {
			*w++ = '\r';
			*w++ = '\n';
			r += 5;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

int ical_render(const struct ical_event *e, char **out)
{
	icalcomponent *cal = NULL, *ev;
	char *text;
	int err;

	if (!out || !event_ok(e))
		return EINVAL;
	*out = NULL;
	cal = icalcomponent_new_vcalendar();
	ev = icalcomponent_new_vevent();
	if (!cal || !ev) {
		err = ENOMEM;
		if (ev)
			icalcomponent_free(ev);
		goto out;
	}
	icalcomponent_add_property(cal, icalproperty_new_prodid(PRODID));
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
	icalcomponent_add_property(cal, icalproperty_new_method(
		e->method == ICAL_CANCEL ? ICAL_METHOD_CANCEL :
		ICAL_METHOD_REQUEST));
	icalcomponent_add_component(cal, ev);
	err = event_fill(ev, e);
	if (err)
		goto out;
	text = icalcomponent_as_ical_string_r(cal);
	if (!text) {
		err = ENOMEM;
		goto out;
	}
	crlf_unsplit(text);
	*out = text;
 out:
	if (cal)
		icalcomponent_free(cal);
	return err;
}
