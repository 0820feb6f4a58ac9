/* mime: the text of an email as RFC 5322 and MIME (RFC 2045-2047) want it.
 * Pure rendering, no I/O: header fields with display names and subjects
 * encoded per RFC 2047 and folded to 76 columns, Date and Message-ID, and a
 * multipart/alternative body of text/plain, text/html and an optional third
 * part (text/calendar for invitations), quoted-printable or base64.
 * CRLF line endings throughout. Any CR, LF or other control character in a
 * header input is refused with EINVAL, so no value can add a header. */
#ifndef DIALCONF_CORE_MIME_H
#define DIALCONF_CORE_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define MIME_LINE_MAX 76       /* RFC 2045 §6.7 (5), RFC 2047 §2 */
#define MIME_WORD_MAX 75       /* an encoded-word, RFC 2047 §2 */
#define MIME_VALUE_MAX 900     /* bytes of one header input (name, subject) */
#define MIME_DATE_SIZE 32      /* "Thu, 01 Jan 1970 00:00:00 +0000" + NUL */
#define MIME_TOKEN_SIZE 33     /* 32 hex digits + NUL */
#define MIME_MSGID_SIZE 320    /* <dialconf.ROWID.TOKEN@DOMAIN> + NUL */
#define MIME_BOUNDARY_SIZE 48  /* "=_dialconf_" + 32 hex digits + NUL */

enum mime_cte {
	MIME_QP = 0,     /* quoted-printable, RFC 2045 §6.7: readable source */
	MIME_BASE64,     /* RFC 2045 §6.8 */
};

/* A mailbox: display name (UTF-8, may be NULL or empty) and address. */
struct mime_addr {
	const char *name;
	const char *addr;
};

/* One more alternative after text and HTML, e.g. type
 * "text/calendar; charset=UTF-8; method=REQUEST". */
struct mime_part {
	const char *type;  /* the whole Content-Type value, ASCII */
	const char *body;
	size_t len;
};

/* Everything a message is made of. Pointers are borrowed for the call.
 * html and extra may be NULL; with neither, the message is one text/plain
 * part. boundary NULL draws a random one. */
struct mime_message {
	struct mime_addr from;
	const struct mime_addr *to;
	size_t nto;
	const char *subject;
	int64_t date;              /* unix seconds, written in UTC */
	const char *message_id;    /* from mime_message_id() */
	const char *text;
	const char *html;
	const struct mime_part *extra;
	enum mime_cte cte;
	const char *boundary;
	bool auto_submitted;       /* add "Auto-Submitted: auto-generated" */
};

/* The whole message (headers, blank line, body) appended to out. On
 * failure out is left as it was. Returns 0, EINVAL (a bad or missing
 * input, CR/LF in a header input, text that is not UTF-8), EOVERFLOW (out's
 * cap), or ENOMEM. */
int mime_render(const struct mime_message *m, struct buf *out);

/* "Name: value" for unstructured text (Subject), encoded-words when the
 * value is not plain ASCII, folded, CRLF at the end. 0, EINVAL, EOVERFLOW
 * or ENOMEM; out unchanged on failure. */
int mime_header_text(struct buf *out, const char *name, const char *value);

/* "Name: mailbox, mailbox" (From, To): display names as atoms, a quoted
 * string (RFC 5322 §3.2.4) or encoded-words (RFC 2047 §5 (3)). */
int mime_header_addr(struct buf *out, const char *name,
		     const struct mime_addr *a, size_t n);

/* RFC 5322 §3.3 date-time of unix time t in UTC ("+0000") into out
 * (MIME_DATE_SIZE bytes). 0, EINVAL (year outside 1970-9999) or ENOSPC. */
int mime_date(char *out, size_t size, int64_t t);

/* "<dialconf.ROWID.TOKEN@DOMAIN>" into out (MIME_MSGID_SIZE bytes): the
 * same outbox row gives the same Message-ID on every retry. token is the
 * row's random hex token (mime_token_new), domain a host name. 0, EINVAL
 * or ENOSPC. */
int mime_message_id(char *out, size_t size, int64_t rowid,
		    const char *token, const char *domain);

/* 32 random lowercase hex digits into out (MIME_TOKEN_SIZE bytes), to be
 * stored with an outbox row. 0, ENOSPC, or EIO when libsodium cannot
 * start. */
int mime_token_new(char *out, size_t size);

/* A random boundary "=_dialconf_HEX" into out (MIME_BOUNDARY_SIZE bytes).
 * "=_" can appear in neither quoted-printable nor base64 text, so the
 * boundary never occurs in a part encoded here (RFC 2046 §5.1.1). */
int mime_boundary_new(char *out, size_t size);

/* len bytes of text as quoted-printable (RFC 2045 §6.7): LF or CRLF become
 * hard line breaks (CRLF), lines of at most 76 characters with soft breaks,
 * no trailing whitespace on any line. 0, EOVERFLOW or ENOMEM. */
int mime_qp_encode(struct buf *out, const char *s, size_t len);

/* len bytes as base64 (RFC 2045 §6.8) in lines of 76 characters separated
 * by CRLF, no CRLF after the last line. 0, EOVERFLOW or ENOMEM. */
int mime_base64_encode(struct buf *out, const void *p, size_t len);

/* True when len bytes at s are well-formed UTF-8 (RFC 3629 §4: no overlong
 * forms, no surrogates, nothing above U+10FFFF). */
bool mime_utf8_valid(const char *s, size_t len);

#endif
