/* webhook: event names, URL and secret rules, and the signature. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/webhook.h"

#define WEBHOOK_NAME_(id, name, what) [WEBHOOK_##id] = name,
static const char *const names[WEBHOOK_EVENT_COUNT] = {
	WEBHOOK_EVENTS(WEBHOOK_NAME_)
};
#undef WEBHOOK_NAME_

const char *webhook_event_name(enum webhook_event e)
{
	return (unsigned)e < WEBHOOK_EVENT_COUNT ? names[e] : NULL;
}

static int refuse(char *why, size_t whysize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t whysize, const char *fmt, ...)
{
	va_list ap;

	if (why && whysize) {
		va_start(ap, fmt);
		vsnprintf(why, whysize, fmt, ap);
		va_end(ap);
	}
	return EINVAL;
}

int webhook_url_check(const char *url, char *why, size_t whysize)
{
	const char *host, *p;
	size_t hostlen;

	if (!url)
		return EINVAL;
	if (!url[0])
		return 0;
	if (strlen(url) > WEBHOOK_URL_MAX)
		return refuse(why, whysize, "webhookUrl must be at most %d bytes",
			      WEBHOOK_URL_MAX);
	if (!strncmp(url, "https://", 8))
		host = url + 8;
	else if (!strncmp(url, "http://", 7))
		host = url + 7;
	else
		return refuse(why, whysize,
			      "webhookUrl must start with http:// or https://");
	for (p = url; *p; p++) {
		/* Printable ASCII without spaces: a URL, not a header. */
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return refuse(why, whysize, "webhookUrl must not contain "
				      "spaces or control characters");
	}
	hostlen = strcspn(host, "/?#");
	if (!hostlen || host[0] == ':')
		return refuse(why, whysize, "webhookUrl must name a host");
	if (memchr(host, '@', hostlen))
		return refuse(why, whysize, "webhookUrl must not hold a user "
			      "or password");
	return 0;
}

int webhook_secret_check(const char *secret, char *why, size_t whysize)
{
	size_t len;

	if (!secret)
		return EINVAL;
	len = strlen(secret);
	if (len && (len < WEBHOOK_SECRET_MIN || len > WEBHOOK_SECRET_MAX))
		return refuse(why, whysize, "webhookSecret must be empty or %d "
			      "to %d bytes long", WEBHOOK_SECRET_MIN,
			      WEBHOOK_SECRET_MAX);
	return 0;
}

int webhook_sign(const char *secret, int64_t timestamp, const char *body,
		 size_t len, char *out, size_t size)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	char ts[24];
	int n;

	if (!secret || (!body && len) || !out ||
	    size < WEBHOOK_SIGNATURE_SIZE)
		return EINVAL;
	n = snprintf(ts, sizeof(ts), "%lld.", (long long)timestamp);
	/* A key of any length (RFC 2104 §2: longer ones are hashed first). */
	if (crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret,
					strlen(secret)) ||
	    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts,
					  (unsigned long long)n) ||
	    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body,
					  len) ||
	    crypto_auth_hmacsha256_final(&st, mac))
		return EINVAL;
	memcpy(out, "sha256=", 7);
	sodium_bin2hex(out + 7, size - 7, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
	return 0;
}
