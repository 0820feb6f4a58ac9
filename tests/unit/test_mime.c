/* test_mime: what a mail client sees of the messages we write. Encoded
 * names decode back exactly, nothing breaks a line limit, CR/LF in any
 * header input is refused, bodies survive quoted-printable and base64. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/mime.h"

#define ZOE "Zo\xc3\xab \xc3\x91\xc3\xba\xc3\xb1" "ez"

static int setup(void **state)
{
	struct buf *b = NULL;

	if (sodium_init() < 0 || buf_alloc(&b, 1 << 20))
		return -1;
	*state = b;
	return 0;
}

static int teardown(void **state)
{
	buf_free(*state);
	return 0;
}

/* The text of every "=?UTF-8?B?...?=" in s, decoded and joined: what a
 * mail client shows (RFC 2047 §6.2 drops the space between words). Each
 * word must hold whole UTF-8 characters on its own and be <= 75 chars. */
static char *decode_words(const char *s, int *nwords)
{
	static char out[4096];
	size_t used = 0;
	const char *p = s;

	*nwords = 0;
	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		const char *b64 = p + 10, *e = strstr(b64, "?=");
		size_t n = 0;

		assert_non_null(e);
		assert_true(e + 2 - p <= MIME_WORD_MAX);
		assert_int_equal(sodium_base642bin((unsigned char *)out + used,
						   sizeof(out) - used - 1, b64,
						   (size_t)(e - b64), NULL, &n,
						   NULL,
						   sodium_base64_VARIANT_ORIGINAL),
				 0);
		assert_true(mime_utf8_valid(out + used, n));
		used += n;
		(*nwords)++;
		p = e + 2;
	}
	out[used] = '\0';
	return out;
}

/* Every line of s ends in CRLF (no bare CR or LF) and is at most max
 * characters long. */
static void assert_lines(const char *s, size_t max)
{
	const char *p = s;

	while (*p) {
		const char *e = strstr(p, "\r\n");

		assert_non_null(e);
		assert_null(memchr(p, '\n', (size_t)(e - p)));
		assert_null(memchr(p, '\r', (size_t)(e - p)));
		if ((size_t)(e - p) > max)
			fail_msg("line of %zu > %zu: %.*s", (size_t)(e - p), max,
				 (int)(e - p), p);
		p = e + 2;
	}
}

/* s with every CRLF SP fold removed (RFC 5322 §2.2.3 unfolding). */
static char *unfold(const char *s)
{
	static char out[8192];
	size_t n = 0;

	for (; *s && n + 1 < sizeof(out); s++) {
		if (s[0] == '\r' && s[1] == '\n' && s[2] == ' ') {
			s++;
			continue;
		}
		out[n++] = *s;
	}
	out[n] = '\0';
	return out;
}

static void test_zoe_to_decodes_exactly(void **state)
{
	struct buf *b = *state;
	struct mime_addr to = { ZOE, "zoe@example.org" };
	int nwords;

	assert_int_equal(mime_header_addr(b, "To", &to, 1), 0);
	assert_lines(buf_str(b), MIME_LINE_MAX);

	/* To: =?UTF-8?B?...?= <zoe@example.org>, no raw 8-bit byte. */
	assert_true(strncmp(buf_str(b), "To: =?UTF-8?B?", 14) == 0);
	assert_non_null(strstr(buf_str(b), "?= <zoe@example.org>\r\n"));
	for (const char *p = buf_str(b); *p; p++)
		assert_true((unsigned char)*p < 0x80);

	assert_string_equal(decode_words(buf_str(b), &nwords), ZOE);
	assert_int_equal(nwords, 1);
}

static void test_long_subject_splits(void **state)
{
	struct buf *b = *state;
	char subject[600];
	size_t used = 0;
	int nwords, i;

	/* Two-, three- and four-byte characters, so some split point falls
	 * inside a character unless the encoder takes care. */
	for (i = 0; i < 20; i++)
		used += (size_t)snprintf(subject + used, sizeof(subject) - used,
					 "R\xc3\xa9union \xe2\x82\xac "
					 "\xf0\x9f\x93\x9e ");
	assert_true(used < sizeof(subject));

	assert_int_equal(mime_header_text(b, "Subject", subject), 0);
	assert_lines(buf_str(b), MIME_LINE_MAX);
	assert_string_equal(decode_words(buf_str(b), &nwords), subject);
	assert_true(nwords > 5);
}

static void test_ascii_subject_folds(void **state)
{
	struct buf *b = *state;
	const char *subject = "Your conference ID has been reset and here is a "
			      "rather long subject line that goes on and on "
			      "past seventy-six columns, twice over";
	char want[512];

	assert_int_equal(mime_header_text(b, "Subject", subject), 0);
	assert_lines(buf_str(b), MIME_LINE_MAX);
	assert_non_null(strstr(buf_str(b), "\r\n "));
	assert_null(strstr(buf_str(b), "=?"));

	snprintf(want, sizeof(want), "Subject: %s\r\n", subject);
	assert_string_equal(unfold(buf_str(b)), want);
}

static void test_ascii_looking_like_encoded_word_is_encoded(void **state)
{
	struct buf *b = *state;
	const char *s = "=?UTF-8?B?SGk=?= is not a greeting";
	int nwords;

	assert_int_equal(mime_header_text(b, "Subject", s), 0);
	assert_string_equal(decode_words(buf_str(b), &nwords), s);
}

static void test_crlf_injection_rejected(void **state)
{
	struct buf *b = *state;
	const char *evil[] = {
		"Hello\r\nBcc: victim@example.org",
		"Hello\nBcc: victim@example.org",
		"Hello\rBcc: victim@example.org",
		"Hello\x01",
	};
	struct mime_addr to = { "Ada", "ada@example.org" };
	size_t i;

	assert_int_equal(buf_puts(b, "kept"), 0);
	for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		assert_int_equal(mime_header_text(b, "Subject", evil[i]),
				 EINVAL);
		to.name = evil[i];
		to.addr = "ada@example.org";
		assert_int_equal(mime_header_addr(b, "To", &to, 1), EINVAL);
		to.name = "Ada";
		to.addr = evil[i];
		assert_int_equal(mime_header_addr(b, "To", &to, 1), EINVAL);
	}
	assert_int_equal(mime_header_text(b, "Subject\r\nBcc", "x"), EINVAL);
	assert_string_equal(buf_str(b), "kept");
}

static void test_invalid_utf8_rejected(void **state)
{
	struct buf *b = *state;

	assert_int_equal(mime_header_text(b, "Subject", "caf\xe9"), EINVAL);
	assert_false(mime_utf8_valid("\xc0\x80", 2));          /* overlong */
	assert_false(mime_utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
	assert_false(mime_utf8_valid("\xf4\x90\x80\x80", 4));  /* > U+10FFFF */
	assert_false(mime_utf8_valid("\xe2\x82", 2));          /* cut short */
	assert_true(mime_utf8_valid(ZOE, strlen(ZOE)));
	assert_int_equal(buf_len(b), 0);
}

static void test_display_names(void **state)
{
	struct buf *b = *state;
	struct mime_addr a[] = {
		{ "Ada Lovelace", "ada@example.org" },
		{ "Lovelace, Ada", "ada@example.org" },
		{ "Ada \"The Countess\" Lovelace", "ada@example.org" },
		{ "=?UTF-8?B?SGk=?=", "x@example.org" },
		{ NULL, "bare@example.org" },
		{ "", "empty@example.org" },
	};
	const char *want[] = {
		"To: Ada Lovelace <ada@example.org>\r\n",
		"To: \"Lovelace, Ada\" <ada@example.org>\r\n",
		"To: \"Ada \\\"The Countess\\\" Lovelace\" <ada@example.org>\r\n",
		"To: \"=?UTF-8?B?SGk=?=\" <x@example.org>\r\n",
		"To: bare@example.org\r\n",
		"To: empty@example.org\r\n",
	};
	size_t i;

	for (i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		buf_reset(b);
		assert_int_equal(mime_header_addr(b, "To", &a[i], 1), 0);
		assert_string_equal(buf_str(b), want[i]);
	}

	buf_reset(b);
	assert_int_equal(mime_header_addr(b, "To", a, 3), 0);
	assert_lines(buf_str(b), MIME_LINE_MAX);
	assert_string_equal(unfold(buf_str(b)),
			    "To: Ada Lovelace <ada@example.org>, \"Lovelace, "
			    "Ada\" <ada@example.org>, \"Ada \\\"The Countess\\\" "
			    "Lovelace\" <ada@example.org>\r\n");
}

static void test_bad_addresses_rejected(void **state)
{
	struct buf *b = *state;
	const char *bad[] = {
		"", "no-at", "a@b@c", "@example.org", "ada@", "a b@example.org",
		"ada@example.org>, evil@example.org", "z\xc3\xab@example.org",
	};
	struct mime_addr a = { "Ada", NULL };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a.addr = bad[i];
		assert_int_equal(mime_header_addr(b, "To", &a, 1), EINVAL);
	}
	assert_int_equal(buf_len(b), 0);
}

static void test_date(void **state)
{
	char d[MIME_DATE_SIZE];

	(void)state;
	assert_int_equal(mime_date(d, sizeof(d), 0), 0);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	assert_int_equal(mime_date(d, sizeof(d), 1700000000), 0);
	assert_string_equal(d, "Tue, 14 Nov 2023 22:13:20 +0000");
	assert_int_equal(mime_date(d, sizeof(d), 951782400), 0);
	assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 +0000");
	assert_int_equal(mime_date(d, sizeof(d), -1), EINVAL);
	assert_int_equal(mime_date(d, 10, 0), ENOSPC);
}

static void test_message_id(void **state)
{
	char id[MIME_MSGID_SIZE], again[MIME_MSGID_SIZE];
	char tok[MIME_TOKEN_SIZE], tok2[MIME_TOKEN_SIZE];

	(void)state;
	assert_int_equal(mime_message_id(id, sizeof(id), 42, "0123abcd",
					 "mail.example.org"), 0);
	assert_string_equal(id, "<dialconf.42.0123abcd@mail.example.org>");

	/* Stable per outbox row: the same row and token, the same ID. */
	assert_int_equal(mime_token_new(tok, sizeof(tok)), 0);
	assert_int_equal(strlen(tok), 32);
	assert_int_equal(strspn(tok, "0123456789abcdef"), 32);
	assert_int_equal(mime_message_id(id, sizeof(id), 7, tok, "example.org"),
			 0);
	assert_int_equal(mime_message_id(again, sizeof(again), 7, tok,
					 "example.org"), 0);
	assert_string_equal(id, again);

	assert_int_equal(mime_token_new(tok2, sizeof(tok2)), 0);
	assert_string_not_equal(tok, tok2);

	assert_int_equal(mime_message_id(id, sizeof(id), 1, "XYZ", "e.org"),
			 EINVAL);
	assert_int_equal(mime_message_id(id, sizeof(id), 1, "ab", "e .org"),
			 EINVAL);
	assert_int_equal(mime_message_id(id, sizeof(id), 1, "ab", "e.org>\r\n"),
			 EINVAL);
	assert_int_equal(mime_message_id(id, sizeof(id), -1, "ab", "e.org"),
			 EINVAL);
	assert_int_equal(mime_message_id(id, 8, 1, "ab", "e.org"), ENOSPC);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 2045 §6.7 decoding, strict: only uppercase hex after '='. */
static size_t qp_decode(const char *s, char *out, size_t size)
{
	size_t n = 0;

	while (*s) {
		assert_true(n + 1 < size);
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3;
		} else if (s[0] == '=') {
			assert_true(hexval(s[1]) >= 0 && hexval(s[2]) >= 0);
			out[n++] = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 3;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	return n;
}

static void test_qp_lines_and_roundtrip(void **state)
{
	struct buf *b = *state;
	const char *text =
		"Hello Zo\xc3\xab,\n"
		"\n"
		"Your new conference ID is 4829173 and a=b stays a=b.\n"
		"Trailing spaces here:   \n"
		"Trailing tab:\t\n"
		".a line that starts with a dot\n"
		"From here on, mbox would mangle this line\n"
		"A long line: Lorem ipsum dolor sit amet, consectetur adipiscing "
		"elit, sed do eiusmod tempor incididunt ut labore et dolore magna "
		"aliqua. \xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82"
		"\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\n"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"\r\n"
		"no newline at the end =";
	char want[2048], got[2048];
	size_t i, n = 0;
	const char *p;

	assert_int_equal(mime_qp_encode(b, text, strlen(text)), 0);

	/* Lines <= 76, CRLF only, no whitespace before a line break. */
	assert_int_equal(buf_puts(b, "\r\n"), 0);
	assert_lines(buf_str(b), MIME_LINE_MAX);
	for (p = buf_str(b); (p = strstr(p, "\r\n")) != NULL; p += 2)
		assert_true(p == buf_str(b) || (p[-1] != ' ' && p[-1] != '\t'));
	assert_null(strstr(buf_str(b), "\r\n."));
	assert_null(strstr(buf_str(b), "\r\nFrom "));
	buf_truncate(b, buf_len(b) - 2);

	/* Decodes to the text with CRLF line breaks. */
	for (i = 0; text[i]; i++) {
		if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			want[n++] = '\r';
		want[n++] = text[i];
	}
	want[n] = '\0';
	qp_decode(buf_str(b), got, sizeof(got));
	assert_string_equal(got, want);
}

static void test_base64_roundtrip(void **state)
{
	struct buf *b = *state;
	unsigned char data[1000], back[1000];
	size_t i, n = 0;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);

	assert_int_equal(mime_base64_encode(b, data, sizeof(data)), 0);
	assert_int_equal(buf_puts(b, "\r\n"), 0);
	assert_lines(buf_str(b), MIME_LINE_MAX);
	assert_int_equal(sodium_base642bin(back, sizeof(back), buf_str(b),
					   buf_len(b), "\r\n", &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(n, sizeof(data));
	assert_memory_equal(back, data, sizeof(data));
}

static void fill_message(struct mime_message *m, const struct mime_addr *to,
			 const struct mime_part *extra)
{
	memset(m, 0, sizeof(*m));
	m->from.name = "Contoso Audio Conferencing";
	m->from.addr = "noreply@contoso.example";
	m->to = to;
	m->nto = 1;
	m->subject = "Your new conference ID: 4829173";
	m->date = 1700000000;
	m->message_id = "<dialconf.42.0123abcd@contoso.example>";
	m->text = "Hello Zo\xc3\xab,\n\nYour new conference ID: 4829173\n";
	m->html = "<p>Hello Zo\xc3\xab,</p>\n<p>Your new conference ID: "
		  "<b>4829173</b></p>\n";
	m->extra = extra;
	m->auto_submitted = true;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void test_render_multipart(void **state)
{
	struct buf *b = *state;
	struct mime_addr to = { ZOE, "zoe@example.org" };
	const char ics[] = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n";
	struct mime_part cal = {
		"text/calendar; charset=UTF-8; method=REQUEST", ics,
		sizeof(ics) - 1
	};
	struct mime_message m;
	const char *s, *body;
	char delim[128];
	int nwords;

	fill_message(&m, &to, &cal);
	m.boundary = "=_test_boundary";
	assert_int_equal(mime_render(&m, b), 0);
	s = buf_str(b);
	assert_lines(s, MIME_LINE_MAX);

	body = strstr(s, "\r\n\r\n");
	assert_non_null(body);
	assert_non_null(strstr(s, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_non_null(strstr(s, "From: Contoso Audio Conferencing "
				  "<noreply@contoso.example>\r\n"));
	assert_non_null(strstr(s, "Subject: Your new conference ID: 4829173\r\n"));
	assert_non_null(strstr(s, "Message-ID: <dialconf.42.0123abcd@contoso."
				  "example>\r\n"));
	assert_non_null(strstr(s, "MIME-Version: 1.0\r\n"));
	assert_non_null(strstr(s, "Auto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(s, "Content-Type: multipart/alternative;\r\n"
				  " boundary=\"=_test_boundary\"\r\n"));
	assert_true(strstr(s, "To: =?UTF-8?B?") < body);
	assert_string_equal(decode_words(strstr(s, "To: "), &nwords), ZOE);

	/* Three parts in order, then the close delimiter, last. */
	snprintf(delim, sizeof(delim), "\r\n--%s\r\n", m.boundary);
	assert_int_equal(count(s, delim), 3);
	assert_true(strstr(s, "text/plain; charset=UTF-8") <
		    strstr(s, "text/html; charset=UTF-8"));
	assert_true(strstr(s, "text/html; charset=UTF-8") <
		    strstr(s, "text/calendar; charset=UTF-8; method=REQUEST"));
	assert_int_equal(count(s, "Content-Transfer-Encoding: "
				  "quoted-printable\r\n"), 3);
	assert_non_null(strstr(s, "Hello Zo=C3=AB,\r\n"));
	assert_non_null(strstr(s, "METHOD:REQUEST\r\n"));
	snprintf(delim, sizeof(delim), "\r\n--%s--\r\n", m.boundary);
	assert_string_equal(s + strlen(s) - strlen(delim), delim);
}

static void test_render_random_boundary_base64(void **state)
{
	struct buf *b = *state;
	struct mime_addr to = { "Ada Lovelace", "ada@example.org" };
	struct mime_message m;
	const char *s, *p;

	fill_message(&m, &to, NULL);
	m.cte = MIME_BASE64;
	m.auto_submitted = false;
	assert_int_equal(mime_render(&m, b), 0);
	s = buf_str(b);
	assert_lines(s, MIME_LINE_MAX);
	assert_null(strstr(s, "Auto-Submitted"));

	p = strstr(s, "boundary=\"=_dialconf_");
	assert_non_null(p);
	assert_int_equal(count(s, "Content-Transfer-Encoding: base64\r\n"), 2);
	/* "Hello Zoë,\r\n\r\nYour new" in base64: LFs became CRLFs first. */
	assert_non_null(strstr(s, "SGVsbG8gWm/DqywNCg0KWW91ciBuZXc"));
}

static void test_render_single_part(void **state)
{
	struct buf *b = *state;
	struct mime_addr to = { "Ada", "ada@example.org" };
	struct mime_message m;
	const char *s;

	fill_message(&m, &to, NULL);
	m.html = NULL;
	assert_int_equal(mime_render(&m, b), 0);
	s = buf_str(b);
	assert_lines(s, MIME_LINE_MAX);
	assert_null(strstr(s, "multipart"));
	assert_non_null(strstr(s, "Content-Type: text/plain; charset=UTF-8\r\n"
				  "Content-Transfer-Encoding: quoted-printable"
				  "\r\n\r\nHello Zo=C3=AB,\r\n"));
}

static void test_render_refuses_bad_input(void **state)
{
	struct buf *b = *state;
	struct mime_addr to = { "Ada", "ada@example.org" };
	struct mime_part cal = { "text/calendar\r\nBcc: x@y.org", "x", 1 };
	struct mime_message m;

	assert_int_equal(buf_puts(b, "kept"), 0);

	fill_message(&m, &to, NULL);
	m.subject = "Hi\r\nBcc: victim@example.org";
	assert_int_equal(mime_render(&m, b), EINVAL);

	fill_message(&m, &to, &cal);
	assert_int_equal(mime_render(&m, b), EINVAL);

	fill_message(&m, &to, NULL);
	m.message_id = "<a@b>\r\nBcc: x@y.org";
	assert_int_equal(mime_render(&m, b), EINVAL);

	fill_message(&m, &to, NULL);
	m.boundary = "plain-boundary";
	assert_int_equal(mime_render(&m, b), EINVAL);

	fill_message(&m, &to, NULL);
	m.text = "not utf-8 \xff";
	assert_int_equal(mime_render(&m, b), EINVAL);

	assert_string_equal(buf_str(b), "kept");
}

static void test_render_respects_cap(void **state)
{
	struct buf *small = NULL;
	struct mime_addr to = { "Ada", "ada@example.org" };
	struct mime_message m;

	(void)state;
	assert_int_equal(buf_alloc(&small, 300), 0);
	fill_message(&m, &to, NULL);
	assert_int_equal(mime_render(&m, small), EOVERFLOW);
	assert_int_equal(buf_len(small), 0);
	buf_free(small);
}

static void test_buf_bounds(void **state)
{
	struct buf *b = NULL;
	char *s = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(buf_alloc(&b, 0), EINVAL);
	assert_int_equal(buf_alloc(&b, 8), 0);
	assert_string_equal(buf_str(b), "");
	assert_int_equal(buf_puts(b, "12345678"), 0);
	assert_int_equal(buf_putc(b, '9'), EOVERFLOW);
	assert_int_equal(buf_printf(b, "%d", 1), EOVERFLOW);
	assert_string_equal(buf_str(b), "12345678");
	buf_truncate(b, 3);
	assert_int_equal(buf_printf(b, "%s-%d", "ab", 7), 0);
	assert_string_equal(buf_str(b), "123ab-7");
	assert_int_equal(buf_detach(b, &s, &len), 0);
	assert_string_equal(s, "123ab-7");
	assert_int_equal(len, 7);
	assert_int_equal(buf_len(b), 0);
	free(s);
	buf_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_zoe_to_decodes_exactly,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_subject_splits,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ascii_subject_folds,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_ascii_looking_like_encoded_word_is_encoded,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_crlf_injection_rejected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8_rejected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_display_names,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_addresses_rejected,
						setup, teardown),
		cmocka_unit_test(test_date),
		cmocka_unit_test_setup_teardown(test_message_id,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_qp_lines_and_roundtrip,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_base64_roundtrip,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_multipart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_render_random_boundary_base64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_single_part,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_refuses_bad_input,
						setup, teardown),
		cmocka_unit_test(test_render_respects_cap),
		cmocka_unit_test(test_buf_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
