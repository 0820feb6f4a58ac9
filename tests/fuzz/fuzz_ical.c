/* fuzz_ical: core/ical, the invitation's calendar object. What reaches
 * it from outside: the meeting's subject, the organiser's name and
 * address, the attendees' addresses, the dial-in text, the times (all
 * from POST /api/v1/meetings). The input is
 * "TIMES\0UID\0SUMMARY\0DESCRIPTION\0LOCATION\0ORGEMAIL\0ORGNAME\0ATT..."
 * with TIMES' bytes picking start, length, sequence and method. The texts
 * are what the app lets through (app_text_ok: UTF-8 without control
 * characters; the description, ours, may break lines): an input outside
 * that is skipped, not rendered. What comes out must be CRLF lines of at
 * most 75 octets (RFC 5545 §3.1). */
#include <assert.h>
#include <errno.h>
#include <stdio.h>

#include "core/ical.h"
#include "core/mime.h"
#include "fuzz.h"

#define ATT_MAX 8

static int64_t num(const char *s, size_t at, int64_t mod)
{
	size_t len = strlen(s);
	int64_t v = 0;
	size_t i;

	for (i = at; i < at + 4 && i < len; i++)
		v = v * 256 + (unsigned char)s[i];
	return mod ? v % mod : v;
}

/* UTF-8 without control characters (but '\n' when lines). */
static bool text_ok(const char *s, bool lines)
{
	const char *p;

	for (p = s; *p; p++)
		if (((unsigned char)*p < 0x20 && !(lines && *p == '\n')) ||
		    *p == 0x7f)
			return false;
	return mime_utf8_valid(s, strlen(s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s[7 + ATT_MAX];
	struct ical_event ev;
	char *text = NULL, *mem;
	size_t n, i, col;
	int err;

	n = fuzz_strs(data, size, s, 7 + ATT_MAX, &mem);
	if (!n)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.method = (num(s[0], 0, 2) == 1) ? ICAL_CANCEL : ICAL_REQUEST;
	ev.sequence = (int)num(s[0], 1, 1000);
	ev.stamp = 1764633600;
	/* Any time from 1970 to past 9999, any length (negative too). */
	ev.start = num(s[0], 2, 300000000000LL);
	ev.end = ev.start + num(s[0], 6, 0) - 0x7fffffff;
	ev.uid = s[1];
	ev.summary = s[2];
	ev.description = s[3][0] ? s[3] : NULL;
	ev.location = s[4][0] ? s[4] : NULL;
	ev.organizer_email = s[5];
	ev.organizer_name = s[6];
	ev.attendees = s + 7;
	ev.nattendees = n > 7 ? n - 7 : 0;
	for (i = 1; i < n; i++) {
		if (!text_ok(s[i], i == 3)) {
			free(mem);
			return 0;
		}
	}
	err = ical_render(&ev, &text);
	assert(err == 0 || err == EINVAL || err == ENOMEM);
	for (i = 0, col = 0; !err && text[i]; i++) {
		if (text[i] == '\n') {
			if (i == 0 || text[i - 1] != '\r')
				break;
			col = 0;
		} else if (text[i] != '\r' && ++col > 75) {
			break;
		}
	}
	if (!err && text[i]) {
		fprintf(stderr, "fuzz_ical: a bare LF or a line over 75 octets "
			"at %zu in:\n%s\n", i, text);
		abort();
	}
	free(text);
	free(mem);
	return 0;
}
