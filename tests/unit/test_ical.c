/* The invitation's iCalendar object, built with core/ical and read back
 * with libical's parser as a calendar program would (RFC 5545, 5546). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libical/ical.h>

#include "core/ical.h"

#define START 1795735800 /* 2026-11-26T23:30:00Z */
#define END   (START + 3600)

static struct ical_event event(const char *const *att, size_t n)
{
	struct ical_event ev = {
		.method = ICAL_REQUEST, .uid = "abc123@contoso.example",
		.sequence = 0, .stamp = START - 86400, .start = START,
		.end = END, .summary = "Budget review, Q4; draft",
		.description = "Join by phone\n+14255550100,,4829173#",
		.organizer_email = "ada@example.org",
		.organizer_name = "Ada Lovelace",
		.attendees = att, .nattendees = n,
	};
	return ev;
}

static icalcomponent *parse(const char *text)
{
	icalcomponent *cal = icalparser_parse_string(text);

	assert_non_null(cal);
	assert_int_equal(icalcomponent_isa(cal), ICAL_VCALENDAR_COMPONENT);
	return cal;
}

static void test_request(void **state)
{
	static const char *const att[] = { "grace@example.org",
					   "alan@example.org" };
	struct ical_event ev = event(att, 2);
	icalcomponent *cal, *ve;
	icalproperty *p;
	char *text = NULL;
	int n = 0;

	(void)state;
	assert_int_equal(ical_render(&ev, &text), 0);
	assert_non_null(strstr(text, "METHOD:REQUEST\r\n"));
	assert_non_null(strstr(text, "DTSTART:20261126T233000Z\r\n"));
	cal = parse(text);
	assert_int_equal(icalcomponent_get_method(cal), ICAL_METHOD_REQUEST);
	ve = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_non_null(ve);
	assert_string_equal(icalcomponent_get_uid(ve), ev.uid);
	assert_int_equal(icalcomponent_get_sequence(ve), 0);
	assert_int_equal(icaltime_as_timet(icalcomponent_get_dtstart(ve)),
			 START);
	assert_true(icaltime_is_utc(icalcomponent_get_dtstart(ve)));
	assert_int_equal(icaltime_as_timet(icalcomponent_get_dtend(ve)), END);
	assert_string_equal(icalcomponent_get_summary(ve), ev.summary);
	assert_string_equal(icalcomponent_get_description(ve),
			    ev.description);
	p = icalcomponent_get_first_property(ve, ICAL_ORGANIZER_PROPERTY);
	assert_string_equal(icalproperty_get_organizer(p),
			    "mailto:ada@example.org");
	for (p = icalcomponent_get_first_property(ve, ICAL_ATTENDEE_PROPERTY);
	     p; p = icalcomponent_get_next_property(ve,
						    ICAL_ATTENDEE_PROPERTY)) {
		char want[64];

		snprintf(want, sizeof(want), "mailto:%s", att[n]);
		assert_string_equal(icalproperty_get_attendee(p), want);
		n++;
	}
	assert_int_equal(n, 2);
	icalcomponent_free(cal);
	free(text);
}

static void test_cancel_and_many(void **state)
{
	enum { N = 1000 };
	char (*addr)[32] = calloc(N, sizeof(*addr));
	const char **att = calloc(N, sizeof(*att));
	struct ical_event ev;
	icalcomponent *cal, *ve;
	char *text = NULL;
	int i;

	(void)state;
	assert_non_null(addr);
	assert_non_null(att);
	for (i = 0; i < N; i++) {
		snprintf(addr[i], sizeof(addr[i]), "a%d@example.org", i);
		att[i] = addr[i];
	}
	ev = event(att, N);
	ev.method = ICAL_CANCEL;
	ev.sequence = 3;
	assert_int_equal(ical_render(&ev, &text), 0);
	cal = parse(text);
	assert_int_equal(icalcomponent_get_method(cal), ICAL_METHOD_CANCEL);
	ve = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_int_equal(icalcomponent_get_sequence(ve), 3);
	assert_int_equal(icalcomponent_get_status(ve), ICAL_STATUS_CANCELLED);
	assert_int_equal(icalcomponent_count_properties(ve,
		ICAL_ATTENDEE_PROPERTY), N);
	icalcomponent_free(cal);
	free(text);
	free(att);
	free(addr);
}

static void test_refused(void **state)
{
	static const char *const bad[] = { "a b@example.org" };
	struct ical_event ev = event(NULL, 0);
	char *text = NULL;

	(void)state;
	ev.end = ev.start;
	assert_int_equal(ical_render(&ev, &text), EINVAL);
	ev = event(bad, 1);
	assert_int_equal(ical_render(&ev, &text), EINVAL);
	assert_null(text);
	ev = event(NULL, 0);
	ev.uid = "";
	assert_int_equal(ical_render(&ev, &text), EINVAL);
}

/* Every line ends in CRLF (no bare CR or LF) and holds at most 75
 * octets (RFC 5545 §3.1). */
static void assert_lines(const char *text)
{
	size_t i, col = 0;

	for (i = 0; text[i]; i++) {
		if (text[i] == '\r') {
			assert_int_equal(text[i + 1], '\n');
		} else if (text[i] == '\n') {
			assert_true(i > 0 && text[i - 1] == '\r');
			col = 0;
		} else {
			col++;
			assert_true(col <= 75);
		}
	}
}

/* An organizer address whose folded line ends at the fold column: libical
 * splits the line's CRLF with a fold of its own (found by fuzz_ical). */
static void test_long_address_lines(void **state)
{
	static const char *const att[] = {
		"b0123456789012345678901234567890123456789012345678901234567"
		"890@example.org",
	};
	struct ical_event ev = event(att, 1);
	char *text = NULL;
	icalcomponent *cal;

	(void)state;
	/* 73 octets: "mailto:" and it fill the folded line to the column */
	ev.organizer_email = "j012345678901234567890123456789012345678901234"
		"567890123456789@example.org";
	ev.organizer_name = "J";
	assert_int_equal(ical_render(&ev, &text), 0);
	assert_lines(text);
	cal = parse(text);
	assert_non_null(strstr(icalproperty_get_organizer(
		icalcomponent_get_first_property(icalcomponent_get_first_component(
		cal, ICAL_VEVENT_COMPONENT), ICAL_ORGANIZER_PROPERTY)),
		ev.organizer_email));
	icalcomponent_free(cal);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_cancel_and_many),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_long_address_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
