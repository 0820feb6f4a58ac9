/* smtp: delivery over SMTP (RFC 5321) with libcurl. One easy handle lives
 * as long as the worker, so libcurl keeps the connection open from one
 * message to the next: a batch costs one connection, one EHLO and one
 * STARTTLS/AUTH, then MAIL FROM, RCPT TO and DATA per message.
 *
 * TLS is required: smtp:// must upgrade with STARTTLS (RFC 3207,
 * CURLUSESSL_ALL), so a server, or a man in the middle, that does not offer
 * it gets nothing, neither the email (it may hold a PIN) nor the
 * credentials; the email stays pending with the reason. smtps:// is TLS
 * from the start (RFC 8314). The certificate is verified against the
 * system's CAs, or the file named by "?cafile=PATH". Only "?tls=none" sends
 * in clear, for a relay on the same host or a trusted network. AUTH
 * (RFC 4954) with the URL's user and password, or DIALCONF_SMTP_USER /
 * DIALCONF_SMTP_PASSWORD; the URL is never logged with them
 * (mail_url_redact).
 *
 * Verdicts follow the reply code (RFC 5321 §4.2.1): 2xx delivered, 4xx
 * and no answer at all (refused, timed out) temporary, 5xx permanent,
 * with the server's own reply line kept as the reason. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "mail/mail_priv.h"

#define CONNECT_TIMEOUT_S 10L
#define MESSAGE_TIMEOUT_S 30L /* until the first batch says otherwise */
#define ADDR_SIZE (APP_EMAIL_SIZE + 3)
#define CAFILE_MAX 4096

/* A delivery URL taken apart: the URL handed to curl (our query removed)
 * and our query's options. */
struct smtp_url {
	char *url;    /* curl_free */
	bool tls_none;
	char *cafile; /* NULL: the system's CAs; free */
};

static void smtp_url_free(struct smtp_url *su)
{
	curl_free(su->url);
	free(su->cafile);
	memset(su, 0, sizeof(*su));
}

/* One "name=value" of the query into su. EINVAL for anything unknown. */
static int query_option(struct smtp_url *su, const char *opt, size_t len)
{
	char *v = NULL;
	int n = 0;

	if (len == 8 && !strncmp(opt, "tls=none", 8)) {
		su->tls_none = true;
		return 0;
	}
	if (len > 7 && len < CAFILE_MAX && !strncmp(opt, "cafile=", 7) &&
	    !su->cafile) {
		v = curl_easy_unescape(NULL, opt + 7, (int)len - 7, &n);
		if (!v)
			return ENOMEM;
		if (n > 0 && v[0] == '/' && strlen(v) == (size_t)n)
			su->cafile = strdup(v);
		curl_free(v);
		return su->cafile ? 0 : EINVAL;
	}
	return EINVAL;
}

/* "a=b&c=d": every option known, none empty. */
static int query_parse(struct smtp_url *su, const char *q)
{
	size_t len;
	int e;

	for (;;) {
		len = strcspn(q, "&");
		e = query_option(su, q, len);
		if (e || !q[len])
			return e;
		q += len + 1;
	}
}

/* url into su: 0, EINVAL (not smtp:// or smtps:// with a host, an unknown
 * option, tls=none with smtps://), ENOMEM. */
static int smtp_url_parse(struct smtp_url *su, const char *url)
{
	bool smtps = url && !strncmp(url, "smtps://", 8);
	char *q = NULL, *host = NULL;
	CURLU *u;
	int e = EINVAL;

	memset(su, 0, sizeof(*su));
	if (!url || (strncmp(url, "smtp://", 7) && !smtps))
		return EINVAL;
	u = curl_url();
	if (!u)
		return ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    !host || !host[0] || curl_url_get(u, CURLUPART_FRAGMENT, &q, 0) !=
	    CURLUE_NO_FRAGMENT)
		goto out;
	if (curl_url_get(u, CURLUPART_QUERY, &q, 0) == CURLUE_OK && q) {
		e = query_parse(su, q);
		if (e)
			goto out;
		e = EINVAL;
	}
	if (smtps && su->tls_none)
		goto out;
	if (curl_url_set(u, CURLUPART_QUERY, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &su->url, 0) != CURLUE_OK)
		goto out;
	e = 0;
 out:
	curl_free(q);
	curl_free(host);
	curl_url_cleanup(u);
	if (e)
		smtp_url_free(su);
	return e;
}

int mail_smtp_check(const char *url)
{
	struct smtp_url su;
	int e = smtp_url_parse(&su, url);

	smtp_url_free(&su);
	return e;
}

struct smtp {
	struct mail_transport t; /* first: the transport is the smtp */
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	char reply[MAIL_REASON_SIZE]; /* the server's last 4xx/5xx line */
	bool down;                    /* unreachable during this batch */
	char down_reason[MAIL_REASON_SIZE];

	/* The message being uploaded (read_cb). */
	const char *msg;
	size_t len, off;
};

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct smtp *s = arg;
	size_t n = size * nmemb;

	if (n > s->len - s->off)
		n = s->len - s->off;
	memcpy(ptr, s->msg + s->off, n);
	s->off += n;
	return n;
}

/* Keep the server's last error reply ("550 5.1.1 <x>: no such user"): the
 * error buffer would only say which command failed. Only 4xx and 5xx lines
 * count: after a refusal libcurl ends the session and "221 Bye" follows.
 * Needs VERBOSE, but nothing is printed: this callback replaces libcurl's
 * own output. */
static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size,
		    void *arg)
{
	struct smtp *s = arg;
	size_t n = size;

	(void)h;
	if (type != CURLINFO_HEADER_IN || size < 3 ||
	    (data[0] != '4' && data[0] != '5'))
		return 0;
	while (n && (data[n - 1] == '\r' || data[n - 1] == '\n'))
		n--;
	if (n >= sizeof(s->reply))
		n = sizeof(s->reply) - 1;
	memcpy(s->reply, data, n);
	s->reply[n] = '\0';
	return 0;
}

static void reason_set(char *reason, size_t size, const char *a,
		       const char *b)
{
	snprintf(reason, size, "%s", a && a[0] ? a : b);
}

static enum app_mail_result verdict(struct smtp *s, CURLcode rc,
				    char *reason, size_t size)
{
	long code = 0;

	if (rc == CURLE_OK)
		return APP_MAIL_DELIVERED;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 500 && code <= 599) {
		reason_set(reason, size, s->reply, s->errbuf);
		return APP_MAIL_PERMANENT;
	}
	if (code >= 400 && code <= 499) {
		reason_set(reason, size, s->reply, s->errbuf);
		return APP_MAIL_TEMPORARY;
	}
	/* No reply code: no connection, or no safe one. The rest of the
	 * batch would only meet the same. */
	if (rc == CURLE_USE_SSL_FAILED)
		snprintf(reason, size, "the server does not offer STARTTLS, "
			 "and TLS is required (tls=none allows a relay "
			 "without it): nothing sent");
	else if (rc == CURLE_PEER_FAILED_VERIFICATION)
		snprintf(reason, size, "the server's TLS certificate is not "
			 "trusted (%s): nothing sent",
			 s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
	else
		reason_set(reason, size, s->errbuf, curl_easy_strerror(rc));
	s->down = true;
	snprintf(s->down_reason, sizeof(s->down_reason), "%s", reason);
	return APP_MAIL_TEMPORARY;
}

static enum app_mail_result smtp_send(struct mail_transport *t,
				      const struct app_mail *m,
				      const char *msg, size_t len,
				      char *reason, size_t size)
{
	struct smtp *s = (struct smtp *)t;
	struct curl_slist *rcpt = NULL;
	char from[ADDR_SIZE], to[ADDR_SIZE];
	enum app_mail_result r;
	CURLcode rc;

	if (s->down) {
		snprintf(reason, size, "%s", s->down_reason);
		return APP_MAIL_TEMPORARY;
	}
	snprintf(from, sizeof(from), "<%s>", m->from_addr);
	snprintf(to, sizeof(to), "<%s>", m->to_addr);
	rcpt = curl_slist_append(NULL, to);
	if (!rcpt) {
		snprintf(reason, size, "out of memory");
		return APP_MAIL_TEMPORARY;
	}
	s->msg = msg;
	s->len = len;
	s->off = 0;
	s->errbuf[0] = '\0';
	s->reply[0] = '\0';
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(s->curl);
	r = verdict(s, rc, reason, size);
	/* The list must outlive the transfer only. */
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	return r;
}

static void smtp_batch(struct mail_transport *t, int timeout_s)
{
	struct smtp *s = (struct smtp *)t;
	long connect_s = timeout_s < CONNECT_TIMEOUT_S ? timeout_s :
		CONNECT_TIMEOUT_S;

	s->down = false;
	/* The whole of one message, connecting included, within timeout_s:
	 * the lease the worker renewed before it lasts twice as long. */
	if (timeout_s > 0) {
		curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, connect_s);
		curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, (long)timeout_s);
	}
}

static void smtp_close(struct mail_transport *t)
{
	struct smtp *s = (struct smtp *)t;

	if (s->curl)
		curl_easy_cleanup(s->curl);
	free(s);
}

/* Credentials from the environment when the URL carries none. */
static int auth_from_env(struct smtp *s, const char *url)
{
	const char *user = getenv("DIALCONF_SMTP_USER");
	const char *pass = getenv("DIALCONF_SMTP_PASSWORD");
	CURLU *u = curl_url();
	char *uuser = NULL;
	int e = 0;

	if (!u)
		return ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		e = EINVAL;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &uuser, 0) == CURLUE_OK &&
	    uuser && uuser[0])
		goto out;
	if (user && user[0]) {
		curl_easy_setopt(s->curl, CURLOPT_USERNAME, user);
		curl_easy_setopt(s->curl, CURLOPT_PASSWORD, pass ? pass : "");
	}
 out:
	curl_free(uuser);
	curl_url_cleanup(u);
	return e;
}

static void options_set(struct smtp *s, const struct smtp_url *su)
{
	CURL *c = s->curl;

	curl_easy_setopt(c, CURLOPT_URL, su->url);
	/* smtps:// is TLS anyway; for smtp:// this makes STARTTLS a must. */
	curl_easy_setopt(c, CURLOPT_USE_SSL,
			 su->tls_none ? (long)CURLUSESSL_NONE :
			 (long)CURLUSESSL_ALL);
	if (su->cafile)
		curl_easy_setopt(c, CURLOPT_CAINFO, su->cafile);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, MESSAGE_TIMEOUT_S);
}

int mail_smtp_open(struct mail_transport **tp, const char *url)
{
	struct smtp_url su;
	struct smtp *s = NULL;
	int e;

	e = smtp_url_parse(&su, url);
	if (e)
		return e;
	s = calloc(1, sizeof(*s));
	if (!s) {
		e = ENOMEM;
		goto out;
	}
	s->t.send = smtp_send;
	s->t.batch = smtp_batch;
	s->t.close = smtp_close;
	s->curl = curl_easy_init();
	if (!s->curl) {
		e = ENOMEM;
		goto out;
	}
	/* curl copies the strings it is given (CURLOPT_URL, CAINFO). */
	options_set(s, &su);
	e = auth_from_env(s, su.url);
 out:
	smtp_url_free(&su);
	if (e && s)
		smtp_close(&s->t);
	if (!e)
		*tp = &s->t;
	return e;
}
