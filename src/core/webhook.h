/* webhook: the pure rules of the webhook events (issue #15 "Events"): the
 * event types, listed once; what a webhook URL and a shared secret must
 * look like; and the signature a receiver checks, HMAC-SHA256 (RFC 2104,
 * FIPS 180-4) of "TIMESTAMP.BODY" under the secret. No I/O. */
#ifndef DIALCONF_CORE_WEBHOOK_H
#define DIALCONF_CORE_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

/* WEBHOOK_EVENTS(X): X(ID, name, what) for each event type. */
#define WEBHOOK_EVENTS(X)						\
	X(CALL_STARTED, "call.started",					\
	  "a dial-in call was answered")				\
	X(CALL_JOINED, "call.joined",					\
	  "a call entered its conference's mix")			\
	X(CALL_ENDED, "call.ended",					\
	  "a call ended (outcome, seconds in all and in the mix)")	\
	X(CONFERENCE_STARTED, "conference.started",			\
	  "the first caller entered a conference on this node")		\
	X(CONFERENCE_ENDED, "conference.ended",				\
	  "the last caller left a conference on this node")		\
	X(CONFID_RESET, "conferenceId.reset",				\
	  "a user's conference ID was reset")

#define WEBHOOK_ENUM_(id, name, what) WEBHOOK_##id,
enum webhook_event {
	WEBHOOK_EVENTS(WEBHOOK_ENUM_)
	WEBHOOK_EVENT_COUNT /* keep last */
};
#undef WEBHOOK_ENUM_

/* The event's name ("call.started"), or NULL out of range. */
const char *webhook_event_name(enum webhook_event e);

/* Bounds of the settings (core/settings.c) and of a stored event. */
#define WEBHOOK_URL_MAX 500
#define WEBHOOK_SECRET_MIN 16
#define WEBHOOK_SECRET_MAX 256
#define WEBHOOK_SIGNATURE_SIZE 72 /* "sha256=" + 64 hex digits + NUL */

/* webhookUrl: "" (off) or an http:// or https:// URL with a host, no
 * spaces, no user information (a password would show in logs). 0 or
 * EINVAL with a one-line reason in why. */
int webhook_url_check(const char *url, char *why, size_t whysize);

/* webhookSecret: "" (no signature asked for: events go unsigned) or
 * WEBHOOK_SECRET_MIN to WEBHOOK_SECRET_MAX bytes. */
int webhook_secret_check(const char *secret, char *why, size_t whysize);

/* X-Dialconf-Signature: "sha256=" and the lowercase hex HMAC-SHA256 under
 * secret of the decimal timestamp, ".", and the len bytes of body, into
 * out (WEBHOOK_SIGNATURE_SIZE bytes). 0 or EINVAL. */
int webhook_sign(const char *secret, int64_t timestamp, const char *body,
		 size_t len, char *out, size_t size);

#endif
