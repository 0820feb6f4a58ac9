/* mime: RFC 5322 messages with MIME bodies, rendered into a struct buf.
 *
 * Header fields are written word by word through a small line state (struct
 * hdr) that folds before a word that would pass MIME_LINE_MAX columns: a
 * fold replaces a separating space with CRLF SP, which unfolding turns back
 * into that space (RFC 5322 §2.2.3). Text that is not a plain run of ASCII
 * words is written as RFC 2047 "B" encoded-words of whole UTF-8 characters;
 * the space between two encoded-words is dropped by decoders (RFC 2047
 * §6.2), so splitting never changes the text. Each public function leaves
 * its output buffer as it found it when it fails. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/mime.h"

#define EW_PREFIX "=?UTF-8?B?"
#define EW_PREFIX_LEN 10
#define EW_OVERHEAD 12 /* "=?UTF-8?B?" and "?=" */
#define EW_GROUPS_MAX ((MIME_WORD_MAX - EW_OVERHEAD) / 4) /* 15: 45 bytes */
#define FIELD_NAME_MAX 64
#define ADDR_MAX 254      /* RFC 5321 §4.5.3.1.3 path limit, less <> */
#define PART_TYPE_MAX 200
#define B64_LINE_BYTES 57 /* 76 base64 characters */
#define QP_SOFT_MAX 75    /* a soft break's "=" makes 76 */

/* One header field being written. */
struct hdr {
	struct buf *b;
	size_t col;  /* characters on the current line */
	bool bare;   /* the line holds only the field name or the fold's SP */
	bool sep;    /* the next word needs a separating SP */
};

bool mime_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t n, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return false;

		/* RFC 3629 §4: the second byte's range rules out overlong
		 * forms, surrogates and values above U+10FFFF. */
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;

		if (len - i <= n)
			return false;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (k = 2; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		}
		i += n + 1;
	}

	return true;
}

static size_t utf8_seqlen(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/* A header input: bounded, UTF-8, and no control character but HTAB. CR
 * and LF above all: one of them would end the field and start another. */
static int check_value(const char *s, size_t *lenp)
{
	size_t len, i;

	if (!s)
		return EINVAL;

	len = strnlen(s, MIME_VALUE_MAX + 1);
	if (len > MIME_VALUE_MAX)
		return EOVERFLOW;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return EINVAL;
	}

	if (!mime_utf8_valid(s, len))
		return EINVAL;

	*lenp = len;
	return 0;
}

/* RFC 5322 §3.2.3 atext. */
static bool is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;

	return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Printable ASCII words with single spaces between them; anything else is
 * written as encoded-words. */
static bool ascii_words(const char *s, size_t len)
{
	size_t i;

	if (!len || s[0] == ' ' || s[len - 1] == ' ')
		return false;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			return false;
		if (c == ' ' && s[i + 1] == ' ')
			return false;
	}

	return true;
}

/* RFC 2047 §5: plain text that a decoder would take for an encoded-word
 * must not go out as it is. */
static bool looks_encoded(const char *s, size_t len)
{
	return len >= 2 && memmem(s, len, "=?", 2) != NULL;
}

static int hdr_begin(struct hdr *h, struct buf *b, const char *name)
{
	size_t len, i;

	if (!name)
		return EINVAL;

	/* RFC 5322 §3.6.8: field names are printable ASCII but ':'. */
	len = strnlen(name, FIELD_NAME_MAX + 1);
	if (!len || len > FIELD_NAME_MAX)
		return EINVAL;
	for (i = 0; i < len; i++) {
		if (name[i] < 0x21 || name[i] > 0x7e || name[i] == ':')
			return EINVAL;
	}

	h->b = b;
	h->col = len + 1;
	h->bare = true;
	h->sep = true;
	return buf_printf(b, "%s:", name);
}

/* Room for the next word on this line, without folding. */
static size_t hdr_room(const struct hdr *h)
{
	size_t used = h->col + (h->sep ? 1 : 0);

	return used < MIME_LINE_MAX ? MIME_LINE_MAX - used : 0;
}

static int hdr_fold(struct hdr *h)
{
	h->col = 1;
	h->bare = true;
	h->sep = false;
	return buf_append(h->b, "\r\n ", 3);
}

/* Get ready for a word of n characters: a space, or a fold when the word
 * does not fit and the line already holds one. */
static int hdr_space(struct hdr *h, size_t n)
{
	if (!h->bare && n > hdr_room(h))
		return hdr_fold(h);

	if (!h->sep)
		return 0;

	h->col++;
	return buf_putc(h->b, ' ');
}

static void hdr_wrote(struct hdr *h, size_t n)
{
	h->col += n;
	h->bare = false;
	h->sep = true;
}

static int hdr_word(struct hdr *h, const char *w, size_t n)
{
	int err;

	err = hdr_space(h, n);
	if (err)
		return err;

	hdr_wrote(h, n);
	return buf_append(h->b, w, n);
}

/* Encoded-word groups (4 characters, 3 bytes) that fit on this line. */
static size_t hdr_groups(const struct hdr *h)
{
	size_t room = hdr_room(h), g;

	if (room < EW_OVERHEAD + 4)
		return 0;

	g = (room - EW_OVERHEAD) / 4;
	return g < EW_GROUPS_MAX ? g : EW_GROUPS_MAX;
}

/* s as "B" encoded-words (RFC 2047 §4.1), each of whole characters (§5
 * (3): a multi-octet character may not be split across encoded-words) and
 * at most 75 characters (§2), with lines of at most 76. */
static int hdr_encoded(struct hdr *h, const char *s, size_t len)
{
	char word[MIME_WORD_MAX + 1];
	size_t i = 0, b64len;
	int err;

	while (i < len) {
		size_t max, n = 0;

		if (!h->bare && hdr_groups(h) * 3 < utf8_seqlen(s[i])) {
			err = hdr_fold(h);
			if (err)
				return err;
		}

		max = hdr_groups(h) * 3;
		while (i + n < len && n + utf8_seqlen(s[i + n]) <= max)
			n += utf8_seqlen(s[i + n]);
		if (!n)
			return EINVAL; /* only with an absurdly long field name */

		memcpy(word, EW_PREFIX, EW_PREFIX_LEN);
		sodium_bin2base64(word + EW_PREFIX_LEN,
				  sizeof(word) - EW_PREFIX_LEN,
				  (const unsigned char *)s + i, n,
				  sodium_base64_VARIANT_ORIGINAL);
		b64len = strlen(word + EW_PREFIX_LEN);
		memcpy(word + EW_PREFIX_LEN + b64len, "?=", 3);

		err = hdr_word(h, word, EW_OVERHEAD + b64len);
		if (err)
			return err;
		i += n;
	}

	return 0;
}

/* Plain ASCII words, one by one so that folding can happen between them;
 * quoted, a quoted-string whose inner spaces may fold (RFC 5322 §3.2.4). */
static int hdr_words(struct hdr *h, const char *s, size_t len, bool quoted)
{
	size_t i = 0;
	int err = 0;

	while (i < len && !err) {
		size_t n = 0, out, k;

		while (i + n < len && s[i + n] != ' ')
			n++;

		out = n;
		for (k = 0; quoted && k < n; k++)
			out += (s[i + k] == '"' || s[i + k] == '\\');
		if (quoted)
			out += (i == 0) + (i + n == len);

		err = hdr_space(h, out);
		hdr_wrote(h, out);
		if (!err && quoted && i == 0)
			err = buf_putc(h->b, '"');
		for (k = 0; !err && k < n; k++) {
			if (quoted && (s[i + k] == '"' || s[i + k] == '\\'))
				err = buf_putc(h->b, '\\');
			if (!err)
				err = buf_putc(h->b, s[i + k]);
		}
		if (!err && quoted && i + n == len)
			err = buf_putc(h->b, '"');

		i += n + 1;
	}

	return err;
}

/* A display name (RFC 5322 §3.2.5 phrase): atoms as they are, other ASCII
 * as a quoted-string (where "=?" is never decoded, RFC 2047 §5 (3)), the
 * rest as encoded-words. */
static int hdr_phrase(struct hdr *h, const char *s, size_t len)
{
	size_t i;
	bool quoted = false;

	if (!ascii_words(s, len))
		return hdr_encoded(h, s, len);

	quoted = looks_encoded(s, len);
	for (i = 0; i < len; i++) {
		if (s[i] != ' ' && !is_atext((unsigned char)s[i]))
			quoted = true;
	}

	return hdr_words(h, s, len, quoted);
}

int mime_header_text(struct buf *out, const char *name, const char *value)
{
	struct hdr h;
	size_t mark, len = 0;
	int err;

	if (!out)
		return EINVAL;

	mark = buf_len(out);
	err = check_value(value, &len);
	if (err)
		goto out;

	err = hdr_begin(&h, out, name);
	if (err)
		goto out;

	if (ascii_words(value, len) && !looks_encoded(value, len))
		err = hdr_words(&h, value, len, false);
	else
		err = hdr_encoded(&h, value, len);
	if (err)
		goto out;

	err = buf_append(out, "\r\n", 2);
 out:
	if (err)
		buf_truncate(out, mark);
	return err;
}

/* A conservative addr-spec: printable ASCII, one '@' inside, none of the
 * characters that would end or restructure the field. The caller has
 * checked it properly; this only keeps the header well-formed. */
static int check_addr(const char *s, size_t *lenp)
{
	size_t len, i, at = 0, nat = 0;

	if (!s)
		return EINVAL;

	len = strnlen(s, ADDR_MAX + 1);
	if (!len || len > ADDR_MAX)
		return EINVAL;

	for (i = 0; i < len; i++) {
		if (s[i] <= 0x20 || s[i] >= 0x7f || strchr("<>()[]\\,;:\"", s[i]))
			return EINVAL;
		if (s[i] == '@') {
			at = i;
			nat++;
		}
	}
	if (nat != 1 || at == 0 || at == len - 1)
		return EINVAL;

	*lenp = len;
	return 0;
}

static int hdr_mailbox(struct hdr *h, const struct mime_addr *a, bool last)
{
	char tok[ADDR_MAX + 4];
	size_t alen = 0, nlen = 0;
	int err, n;

	err = check_addr(a->addr, &alen);
	if (err)
		return err;

	if (a->name) {
		err = check_value(a->name, &nlen);
		if (err)
			return err;
	}

	if (nlen) {
		err = hdr_phrase(h, a->name, nlen);
		if (err)
			return err;
	}

	n = snprintf(tok, sizeof(tok), nlen ? "<%s>%s" : "%s%s", a->addr,
		     last ? "" : ",");
	if (n < 0 || (size_t)n >= sizeof(tok))
		return EINVAL;

	return hdr_word(h, tok, (size_t)n);
}

int mime_header_addr(struct buf *out, const char *name,
		     const struct mime_addr *a, size_t n)
{
	struct hdr h;
	size_t mark, i;
	int err;

	if (!out || !a || !n)
		return EINVAL;

	mark = buf_len(out);
	err = hdr_begin(&h, out, name);
	for (i = 0; !err && i < n; i++)
		err = hdr_mailbox(&h, &a[i], i + 1 == n);
	if (!err)
		err = buf_append(out, "\r\n", 2);

	if (err)
		buf_truncate(out, mark);
	return err;
}

int mime_date(char *out, size_t size, int64_t t)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm tm;
	time_t tt;
	int n;

	/* Up to 9999-12-31T23:59:59Z: RFC 5322 §3.3 wants a 4-digit year.
	 * Names come from tables, since strftime's follow the locale. */
	if (!out || t < 0 || t > INT64_C(253402300799))
		return EINVAL;

	tt = (time_t)t;
	if (!gmtime_r(&tt, &tm))
		return EINVAL;

	n = snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d +0000",
		     days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= size)
		return ENOSPC;

	return 0;
}

static bool is_lower_hex(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (i >= max || !strchr("0123456789abcdef", s[i]))
			return false;
	}

	return i > 0;
}

/* A host name as RFC 5322 §3.6.4 id-right dot-atom-text: labels of
 * letters, digits and '-', at most 253 characters. */
static bool domain_ok(const char *s)
{
	size_t i, label = 0;

	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= 253)
			return false;
		if (c == '.') {
			if (!label)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (++label > 63)
			return false;
	}

	return label > 0;
}

int mime_message_id(char *out, size_t size, int64_t rowid,
		    const char *token, const char *domain)
{
	int n;

	if (!out || rowid < 0 || !token || !domain)
		return EINVAL;
	if (!is_lower_hex(token, 64) || !domain_ok(domain))
		return EINVAL;

	n = snprintf(out, size, "<dialconf.%" PRId64 ".%s@%s>", rowid, token,
		     domain);
	if (n < 0 || (size_t)n >= size)
		return ENOSPC;

	return 0;
}

static int random_hex(char *out, size_t size, const char *prefix)
{
	unsigned char raw[16];
	char hex[sizeof(raw) * 2 + 1];
	int n;

	if (!out)
		return EINVAL;
	if (sodium_init() < 0)
		return EIO;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));

	n = snprintf(out, size, "%s%s", prefix, hex);
	if (n < 0 || (size_t)n >= size)
		return ENOSPC;

	return 0;
}

int mime_token_new(char *out, size_t size)
{
	return random_hex(out, size, "");
}

int mime_boundary_new(char *out, size_t size)
{
	return random_hex(out, size, "=_dialconf_");
}

/* True when s[i] is the last character before a line break or the end. */
static bool qp_line_end(const char *s, size_t len, size_t i)
{
	if (i + 1 == len || s[i + 1] == '\n')
		return true;

	return s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n';
}

/* RFC 2045 §6.7 (2): printable ASCII but '=' stands for itself; (3): SP
 * and HTAB too, except at the end of a line, where transports strip them.
 * RFC 2049 §3 (8): a '.' or "From " opening a line is encoded as well, so
 * neither SMTP nor an mbox file can alter the line. */
static bool qp_literal(const char *s, size_t len, size_t i, size_t col)
{
	unsigned char c = (unsigned char)s[i];

	if (c == ' ' || c == '\t')
		return !qp_line_end(s, len, i);
	if (c < 33 || c > 126 || c == '=')
		return false;
	if (col == 0 && c == '.')
		return false;
	if (col == 0 && c == 'F' && len - i >= 5 && !memcmp(s + i, "From ", 5))
		return false;

	return true;
}

static int qp_char(struct buf *out, const char *s, size_t len, size_t i,
		   size_t *col)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c = (unsigned char)s[i];
	size_t n, max;
	char enc[3];
	int err;

	/* (5): lines of at most 76 characters; a line that needs a soft
	 * break keeps one column for its '='. */
	max = qp_line_end(s, len, i) ? MIME_LINE_MAX : QP_SOFT_MAX;
	n = qp_literal(s, len, i, *col) ? 1 : 3;
	if (*col + n > max) {
		err = buf_append(out, "=\r\n", 3);
		if (err)
			return err;
		*col = 0;
		n = qp_literal(s, len, i, 0) ? 1 : 3;
	}

	enc[0] = n == 1 ? (char)c : '=';
	enc[1] = hex[c >> 4];
	enc[2] = hex[c & 15];
	*col += n;
	return buf_append(out, enc, n);
}

int mime_qp_encode(struct buf *out, const char *s, size_t len)
{
	size_t mark, i = 0, col = 0;
	int err = 0;

	if (!out || (!s && len))
		return EINVAL;

	mark = buf_len(out);
	while (i < len && !err) {
		if (s[i] == '\n' || (s[i] == '\r' && i + 1 < len &&
				     s[i + 1] == '\n')) {
			/* (1)/(4): a line break in the text is a CRLF. */
			err = buf_append(out, "\r\n", 2);
			i += s[i] == '\r' ? 2 : 1;
			col = 0;
			continue;
		}
		err = qp_char(out, s, len, i, &col);
		i++;
	}

	if (err)
		buf_truncate(out, mark);
	return err;
}

int mime_base64_encode(struct buf *out, const void *p, size_t len)
{
	const unsigned char *bin = p;
	char line[MIME_LINE_MAX + 1];
	size_t mark, off, n;
	int err = 0;

	if (!out || (!p && len))
		return EINVAL;

	mark = buf_len(out);
	for (off = 0; off < len && !err; off += n) {
		n = len - off < B64_LINE_BYTES ? len - off : B64_LINE_BYTES;
		sodium_bin2base64(line, sizeof(line), bin + off, n,
				  sodium_base64_VARIANT_ORIGINAL);
		if (off)
			err = buf_append(out, "\r\n", 2);
		if (!err)
			err = buf_puts(out, line);
	}

	if (err)
		buf_truncate(out, mark);
	return err;
}

/* Text in canonical form (RFC 2045 §6.8, RFC 2046 §4.1.1): every line
 * break a CRLF, so that base64 carries the same lines as QP would. */
static int crlf_normalize(const char *s, size_t len, struct buf **bp)
{
	struct buf *b = NULL;
	size_t i;
	int err;

	err = buf_alloc(&b, len * 2 + 1);
	for (i = 0; !err && i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			err = buf_putc(b, '\r');
		if (!err)
			err = buf_putc(b, s[i]);
	}

	if (err) {
		buf_free(b);
		return err;
	}
	*bp = b;
	return 0;
}

static int put_encoded(struct buf *out, enum mime_cte cte, bool text,
		       const char *s, size_t len)
{
	struct buf *canon = NULL;
	int err;

	if (cte == MIME_QP)
		return mime_qp_encode(out, s, len);
	if (!text)
		return mime_base64_encode(out, s, len);

	err = crlf_normalize(s, len, &canon);
	if (err)
		return err;

	err = mime_base64_encode(out, buf_str(canon), buf_len(canon));
	buf_free(canon);
	return err;
}

static const char *cte_name(enum mime_cte cte)
{
	return cte == MIME_QP ? "quoted-printable" : "base64";
}

/* The part type must be one header line of printable ASCII. */
static int check_part(const struct mime_part *p)
{
	size_t len, i;

	if (!p->type || (!p->body && p->len))
		return EINVAL;

	len = strnlen(p->type, PART_TYPE_MAX + 1);
	if (!len || len > PART_TYPE_MAX)
		return EINVAL;
	for (i = 0; i < len; i++) {
		if (p->type[i] < 0x20 || p->type[i] > 0x7e)
			return EINVAL;
	}

	return 0;
}

/* A boundary of our own making or one that starts with "=_" like ours:
 * at most 70 bchars (RFC 2046 §5.1.1), no space. */
static bool boundary_ok(const char *s)
{
	size_t i;

	if (strncmp(s, "=_", 2))
		return false;

	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= 70)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("'()+_,-./:=?", c)))
			return false;
	}

	return true;
}

/* A msg-id of mime_message_id()'s shape: <left@right>, no space. */
static bool msgid_ok(const char *s)
{
	size_t len = strnlen(s, MIME_MSGID_SIZE), i, nat = 0;

	if (len < 5 || len >= MIME_MSGID_SIZE)
		return false;
	if (s[0] != '<' || s[len - 1] != '>')
		return false;

	for (i = 1; i + 1 < len; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e || strchr("<>\"\\", s[i]))
			return false;
		nat += s[i] == '@';
	}

	return nat == 1;
}

static int check_message(const struct mime_message *m)
{
	if (!m->to || !m->nto || !m->subject || !m->message_id || !m->text)
		return EINVAL;
	if (m->cte != MIME_QP && m->cte != MIME_BASE64)
		return EINVAL;
	if (!msgid_ok(m->message_id))
		return EINVAL;
	if (m->boundary && !boundary_ok(m->boundary))
		return EINVAL;
	if (!mime_utf8_valid(m->text, strlen(m->text)))
		return EINVAL;
	if (m->html && !mime_utf8_valid(m->html, strlen(m->html)))
		return EINVAL;
	if (m->extra)
		return check_part(m->extra);

	return 0;
}

static int render_headers(const struct mime_message *m, struct buf *out)
{
	char date[MIME_DATE_SIZE];
	int err;

	err = mime_date(date, sizeof(date), m->date);
	if (!err)
		err = buf_printf(out, "Date: %s\r\n", date);
	if (!err)
		err = mime_header_addr(out, "From", &m->from, 1);
	if (!err)
		err = mime_header_addr(out, "To", m->to, m->nto);
	if (!err)
		err = mime_header_text(out, "Subject", m->subject);
	if (!err)
		err = buf_printf(out, "Message-ID: %s\r\nMIME-Version: 1.0\r\n",
				 m->message_id);
	/* RFC 3834 §5: tells auto-responders not to answer. */
	if (!err && m->auto_submitted)
		err = buf_puts(out, "Auto-Submitted: auto-generated\r\n");

	return err;
}

static int render_part(struct buf *out, const struct mime_message *m,
		       const char *type, const char *body, size_t len)
{
	bool text = !strncmp(type, "text/", 5);
	int err;

	err = buf_printf(out, "Content-Type: %s\r\n"
			 "Content-Transfer-Encoding: %s\r\n\r\n",
			 type, cte_name(m->cte));
	if (!err)
		err = put_encoded(out, m->cte, text, body, len);

	return err;
}

/* RFC 2046 §5.1.1: each part opens with CRLF "--" boundary; the CRLF
 * belongs to the delimiter, so a part's content ends where its encoding
 * ends. Alternatives go from plainest to richest (§5.1.4). */
static int render_multipart(struct buf *out, const struct mime_message *m,
			    const char *bnd)
{
	const char *text_type = "text/plain; charset=UTF-8";
	const char *html_type = "text/html; charset=UTF-8";
	int err;

	err = buf_printf(out, "Content-Type: multipart/alternative;\r\n"
			 " boundary=\"%s\"\r\n\r\n"
			 "This is a multi-part message in MIME format.\r\n"
			 "--%s\r\n", bnd, bnd);
	if (!err)
		err = render_part(out, m, text_type, m->text, strlen(m->text));
	if (!err && m->html) {
		err = buf_printf(out, "\r\n--%s\r\n", bnd);
		if (!err)
			err = render_part(out, m, html_type, m->html,
					  strlen(m->html));
	}
	if (!err && m->extra) {
		err = buf_printf(out, "\r\n--%s\r\n", bnd);
		if (!err)
			err = render_part(out, m, m->extra->type,
					  m->extra->body, m->extra->len);
	}
	if (!err)
		err = buf_printf(out, "\r\n--%s--\r\n", bnd);

	return err;
}

static int render_single(struct buf *out, const struct mime_message *m)
{
	const char *s;
	int err;

	err = render_part(out, m, "text/plain; charset=UTF-8", m->text,
			  strlen(m->text));
	if (err)
		return err;

	s = buf_str(out);
	if (buf_len(out) < 2 || strcmp(s + buf_len(out) - 2, "\r\n"))
		err = buf_append(out, "\r\n", 2);

	return err;
}

int mime_render(const struct mime_message *m, struct buf *out)
{
	char bnd[72]; /* a given boundary may have 70 characters */
	size_t mark;
	int err;

	if (!m || !out)
		return EINVAL;

	mark = buf_len(out);
	err = check_message(m);
	if (err)
		goto out;

	err = render_headers(m, out);
	if (err)
		goto out;

	if (!m->html && !m->extra) {
		err = render_single(out, m);
		goto out;
	}

	if (m->boundary)
		err = snprintf(bnd, sizeof(bnd), "%s", m->boundary) <
		      (int)sizeof(bnd) ? 0 : EINVAL;
	else
		err = mime_boundary_new(bnd, sizeof(bnd));
	if (!err)
		err = render_multipart(out, m, bnd);
 out:
	if (err)
		buf_truncate(out, mark);
	return err;
}
