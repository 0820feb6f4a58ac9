/* fuzz_mime: core/mime, the email as it goes to SMTP. Display names,
 * subjects and bodies carry what API users typed (names, meeting
 * subjects) after the templates. The input is
 * "FLAGS\0FROMNAME\0TONAME\0TOADDR\0SUBJECT\0TEXT\0HTML\0EXTRA": the whole
 * message is rendered as mail/render.c does, and the header encoders and
 * body encodings on their own. What comes out must never let a value add
 * a header: no bare CR or LF, no line over 998 bytes (RFC 5322 §2.1.1). */
#include <assert.h>
#include <errno.h>

#include "core/buf.h"
#include "core/mime.h"
#include "fuzz.h"

#define OUT_CAP (1024 * 1024)

/* Lines end in CRLF, nothing else breaks one, none is too long. */
static void check_lines(const struct buf *b)
{
	const char *p = buf_str(b);
	size_t i, n = buf_len(b), col = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			assert(i > 0 && p[i - 1] == '\r');
			col = 0;
			continue;
		}
		if (p[i] == '\r')
			assert(i + 1 < n && p[i + 1] == '\n');
		assert(++col <= 998);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s[8];
	struct mime_addr to[2];
	struct mime_part extra;
	struct mime_message m;
	struct buf *out = NULL;
	char msgid[MIME_MSGID_SIZE];
	uint8_t flags;
	char *mem;
	int err;

	if (!fuzz_strs(data, size, s, 8, &mem))
		return 0;
	flags = (uint8_t)s[0][0];
	if (buf_alloc(&out, OUT_CAP))
		goto out;

	if (mime_header_text(out, "Subject", s[4]) == 0)
		check_lines(out);
	buf_reset(out);
	to[0].name = s[2];
	to[0].addr = s[3];
	to[1].name = s[1];
	to[1].addr = "ada@example.org";
	if (mime_header_addr(out, "To", to, 2) == 0)
		check_lines(out);
	buf_reset(out);
	if (mime_qp_encode(out, s[5], strlen(s[5])) == 0)
		check_lines(out);
	buf_reset(out);
	(void)mime_base64_encode(out, s[6], strlen(s[6]));
	buf_reset(out);

	memset(&m, 0, sizeof(m));
	m.from.name = s[1];
	m.from.addr = "noreply@example.org";
	m.to = to;
	m.nto = (flags & 1) ? 2 : 1;
	m.subject = s[4];
	m.date = 1764633600 + (int64_t)flags * 86400;
	if (mime_message_id(msgid, sizeof(msgid), flags, "0123456789abcdef"
			    "0123456789abcdef", "example.org"))
		goto out;
	m.message_id = msgid;
	m.text = s[5];
	m.html = (flags & 2) ? s[6] : NULL;
	if (flags & 4) {
		extra.type = "text/calendar; charset=UTF-8; method=REQUEST";
		extra.body = s[7];
		extra.len = strlen(s[7]);
		m.extra = &extra;
	}
	m.cte = (flags & 8) ? MIME_BASE64 : MIME_QP;
	m.boundary = (flags & 16) ? NULL : "=_dialconf_0123456789abcdef";
	m.auto_submitted = flags & 32;
	err = mime_render(&m, out);
	assert(err == 0 || err == EINVAL || err == EOVERFLOW);
	if (err == 0)
		check_lines(out);
	else
		assert(buf_len(out) == 0);
 out:
	buf_free(out);
	free(mem);
	return 0;
}
