/* settings: the one table of organization settings (SPEC §7), with how
 * the admin center shows each one, and the check that turns a value as
 * typed into its canonical text form. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include "core/emailaddr.h"
#include "core/webhook.h"
#include "core/settings.h"

static int check_addrlist(const char *v, char *why, size_t whysize);
static int check_sip_uri(const char *v, char *why, size_t whysize);
static int check_origins(const char *v, char *why, size_t whysize);

static const struct setting_def table[] = {
	{
		.name = "organizationName",
		.type = SETTING_STRING, .min = 1, .max = 100,
		.def = "Contoso",
		.group = SETTING_GROUP_ORGANIZATION,
		.label = "Organization name",
		.help = "Name of the organization, shown in emails and "
			"meeting invitations.",
	},
	{
		.name = "automaticallySendEmailsToUsers",
		.type = SETTING_BOOL, .min = 0, .max = 1,
		.def = "true",
		.group = SETTING_GROUP_EMAIL,
		.label = "Automatically send emails to users",
		.help = "Email users their conference ID, dial-in numbers and "
			"PIN when these are issued or reset.",
	},
	{
		.name = "sendEmailFromAddress",
		.type = SETTING_EMAIL, .min = 3, .max = 254,
		.def = "no-reply@dialconf.example",
		.group = SETTING_GROUP_EMAIL,
		.label = "Send emails from address",
		.help = "Address the emails to users are sent from.",
	},
	{
		.name = "sendEmailFromDisplayName",
		.type = SETTING_STRING, .min = 1, .max = 100,
		.def = "Audio Conferencing",
		.group = SETTING_GROUP_EMAIL,
		.label = "Send emails from display name",
		.help = "Display name the emails to users are sent from.",
	},
	{
		.name = "pinLength",
		.type = SETTING_INT, .min = 4, .max = 12,
		.def = "5",
		.group = SETTING_GROUP_ORGANIZATION,
		.label = "PIN length",
		.help = "Number of digits of new organizer PINs; existing PINs "
			"keep their length until reset.",
	},
	{
		.name = "enableEntryExitNotifications",
		.type = SETTING_BOOL, .min = 0, .max = 1,
		.def = "true",
		.group = SETTING_GROUP_DIALIN,
		.label = "Entry and exit notifications",
		.help = "Play a tone when a caller joins or leaves a conference.",
	},
	{
		.name = "allowPstnUsersToBypassLobby",
		.type = SETTING_BOOL, .min = 0, .max = 1,
		.def = "false",
		.group = SETTING_GROUP_DIALIN,
		.label = "Callers bypass the lobby",
		.help = "Let callers who dial in join a meeting at once instead "
			"of waiting in the lobby for the organizer.",
	},
	{
		.name = "maxParticipants",
		.type = SETTING_INT, .min = 2, .max = 10000,
		.def = "250",
		.group = SETTING_GROUP_DIALIN,
		.label = "Most callers in one conference",
		.help = "Most callers in one conference at once; the next caller "
			"hears that the conference is full and is hung up.",
	},
	{
		.name = "conferenceIdQuarantineDays",
		.type = SETTING_INT, .min = 0, .max = 3650,
		.def = "365",
		.group = SETTING_GROUP_ORGANIZATION,
		.label = "Conference ID quarantine",
		.unit = "days",
		.help = "Days a revoked conference ID is held back before it "
			"may be issued again.",
	},
	{
		.name = "meetingIdGraceHours",
		.type = SETTING_INT, .min = 0, .max = 720,
		.def = "24",
		.group = SETTING_GROUP_DIALIN,
		.label = "Meeting ID works after the meeting",
		.unit = "hours",
		.help = "Hours after a meeting ends during which its conference "
			"ID still works; then the ID is revoked.",
	},
	{
		.name = "emailRetryInitialSeconds",
		.type = SETTING_INT, .min = 1, .max = 86400,
		.def = "60",
		.group = SETTING_GROUP_EMAIL,
		.label = "First retry after",
		.unit = "seconds",
		.help = "Seconds before an email that met a temporary failure "
			"(4xx reply, server unreachable) is tried again; the "
			"wait doubles with each try.",
	},
	{
		.name = "emailRetryMaxSeconds",
		.type = SETTING_INT, .min = 1, .max = 604800,
		.def = "3600",
		.group = SETTING_GROUP_EMAIL,
		.label = "Longest wait between retries",
		.unit = "seconds",
		.help = "Longest wait in seconds between two tries of an "
			"email.",
	},
	{
		.name = "emailGiveUpHours",
		.type = SETTING_INT, .min = 1, .max = 8760,
		.def = "120",
		.group = SETTING_GROUP_EMAIL,
		.label = "Give up after",
		.unit = "hours",
		.help = "Hours of temporary failures after which an email is "
			"marked failed.",
	},
	{
		.name = "emailSendTimeoutSeconds",
		.type = SETTING_INT, .min = 2, .max = 600,
		.def = "30",
		.group = SETTING_GROUP_EMAIL,
		.label = "Give up on one delivery after",
		.unit = "seconds",
		.help = "Seconds one SMTP delivery may take before it is "
			"abandoned and retried later. A node holds an email it "
			"is delivering for twice this long, so another node "
			"takes it over only from a node that stopped.",
	},
	{
		.name = "emailParallelConnections",
		.type = SETTING_INT, .min = 1, .max = 16,
		.def = "4",
		.group = SETTING_GROUP_EMAIL,
		.label = "SMTP connections at once",
		.unit = "connections",
		.help = "Most SMTP connections one node delivers over at once "
			"while emails wait; with only a few waiting, one.",
	},
	{
		.name = "dialinFailureLimit",
		.type = SETTING_INT, .min = 1, .max = 100,
		.def = "6",
		.group = SETTING_GROUP_DIALIN,
		.label = "Wrong IDs and PINs before a caller is refused",
		.help = "Wrong conference IDs and wrong PINs from one caller "
			"source, each counted at once, after which the source is "
			"refused (SIP 403).",
	},
	{
		.name = "dialinFailureWindowMinutes",
		.type = SETTING_INT, .min = 1, .max = 1440,
		.def = "10",
		.group = SETTING_GROUP_DIALIN,
		.label = "Wrong entries window",
		.unit = "minutes",
		.help = "Minutes within which those wrong entries must fall.",
	},
	{
		.name = "dialinCooloffMinutes",
		.type = SETTING_INT, .min = 1, .max = 1440,
		.def = "15",
		.group = SETTING_GROUP_DIALIN,
		.label = "Refused for",
		.unit = "minutes",
		.help = "Minutes a source is refused the first time; each "
			"repeat offence doubles it.",
	},
	{
		.name = "dialinCooloffMaxMinutes",
		.type = SETTING_INT, .min = 1, .max = 10080,
		.def = "1440",
		.group = SETTING_GROUP_DIALIN,
		.label = "Longest refusal",
		.unit = "minutes",
		.help = "Longest refusal of a repeat offender, in minutes; a "
			"source quiet for twice as long starts afresh.",
	},
	{
		.name = "dialinPinFailureLimit",
		.type = SETTING_INT, .min = 1, .max = 1000,
		.def = "10",
		.group = SETTING_GROUP_DIALIN,
		.label = "Wrong PINs before a conference closes its "
			"organizer path",
		.help = "Wrong organizer PINs for one conference within an hour, "
			"from any sources, after which its organizer path "
			"closes (callers who press star wait in the lobby).",
	},
	{
		.name = "dialinPinCloseMinutes",
		.type = SETTING_INT, .min = 1, .max = 10080,
		.def = "60",
		.group = SETTING_GROUP_DIALIN,
		.label = "Organizer path closed for",
		.unit = "minutes",
		.help = "Minutes the organizer path of such a conference stays "
			"closed; repeat offences double it.",
	},
	{
		.name = "dialinMaxCallsPerSource",
		.type = SETTING_INT, .min = 1, .max = 100000,
		.def = "10",
		.group = SETTING_GROUP_DIALIN,
		.label = "Calls per caller source at once",
		.help = "Calls one source may hold at once on a node; the next "
			"is refused (SIP 403).",
	},
	{
		.name = "dialinCallRatePerSource",
		.type = SETTING_INT, .min = 1, .max = 100000,
		.def = "5",
		.group = SETTING_GROUP_DIALIN,
		.label = "New calls per second per caller source",
		.help = "New calls per second one source may start on a node; "
			"more are refused (SIP 403).",
	},
	{
		.name = "dialinMaxCallsPerNode",
		.type = SETTING_INT, .min = 1, .max = 100000,
		.def = "2000",
		.group = SETTING_GROUP_DIALIN,
		.label = "Calls per node at once",
		.help = "Calls one node holds at once; the next is answered "
			"503 with Retry-After.",
	},
	{
		.name = "dialinLobbyTimeoutSeconds",
		.type = SETTING_INT, .min = 5, .max = 86400,
		.def = "1800",
		.group = SETTING_GROUP_DIALIN,
		.label = "Longest wait in the lobby",
		.unit = "seconds",
		.help = "Seconds a caller may wait in the lobby; then they hear "
			"that the meeting has not started and are hung up.",
	},
	{
		.name = "dialinRtpTimeoutSeconds",
		.type = SETTING_INT, .min = 2, .max = 3600,
		.def = "30",
		.group = SETTING_GROUP_DIALIN,
		.label = "Hang up after silence on the line",
		.unit = "seconds",
		.help = "Seconds without a media packet from a caller after "
			"which the call is hung up.",
	},
	{
		.name = "dialinMaxCallSeconds",
		.type = SETTING_INT, .min = 10, .max = 604800,
		.def = "28800",
		.group = SETTING_GROUP_DIALIN,
		.label = "Longest call",
		.unit = "seconds",
		.help = "Longest call, in seconds; then it is hung up.",
	},
	{
		.name = "callRecordRetentionDays",
		.type = SETTING_INT, .min = 0, .max = 3650,
		.def = "90",
		.group = SETTING_GROUP_DIALIN,
		.label = "Keep call records for",
		.unit = "days",
		.help = "Days a call record is kept after the call started; "
			"older records of ended calls are deleted at start, "
			"once an hour and when this setting changes. 0 deletes "
			"each record then once its call has ended.",
	},
	{
		.name = "sipTrustedProxies",
		.type = SETTING_STRING, .min = 0, .max = 500,
		.def = "",
		.group = SETTING_GROUP_DIALIN,
		.label = "Trusted SIP proxies and trunks",
		.check = check_addrlist,
		.help = "IP addresses of SIP proxies and trunks, comma-separated, "
			"whose X-Dialconf-Source header or asserted caller "
			"(P-Asserted-Identity, else From) names the source of a "
			"call; from any other address the source is the address.",
	},
	{
		.name = "adminSigninFailureLimit",
		.type = SETTING_INT, .min = 1, .max = 100,
		.def = "5",
		.group = SETTING_GROUP_ADMIN,
		.label = "Wrong passwords per account and address",
		.help = "Failed sign-ins to one account from one address within "
			"15 minutes after which that address is refused for "
			"that account for a while; the account stays open to "
			"every other address.",
	},
	{
		.name = "adminSigninAddressFailureLimit",
		.type = SETTING_INT, .min = 1, .max = 10000,
		.def = "20",
		.group = SETTING_GROUP_ADMIN,
		.label = "Failed sign-ins per address",
		.help = "Failed sign-ins from one address, to any accounts, "
			"within 15 minutes after which that address is "
			"refused every sign-in for a while.",
	},
	{
		.name = "adminSigninCooloffSeconds",
		.type = SETTING_INT, .min = 1, .max = 900,
		.def = "30",
		.group = SETTING_GROUP_ADMIN,
		.label = "Refused for",
		.unit = "seconds",
		.help = "Seconds an address over one of the limits is refused "
			"(answer 429 with Retry-After) the first time; each "
			"repeat doubles it, up to 15 minutes.",
	},
	{
		.name = "adminSigninConcurrentChecks",
		.type = SETTING_INT, .min = 1, .max = 64,
		.def = "2",
		.group = SETTING_GROUP_ADMIN,
		.label = "Password checks at once",
		.help = "Password checks (64 MiB of memory each) one node runs "
			"at once; a sign-in beyond them is answered 503 with "
			"Retry-After at once.",
	},
	{
		.name = "httpTrustedProxies",
		.type = SETTING_STRING, .min = 0, .max = 500,
		.def = "",
		.group = SETTING_GROUP_ADMIN,
		.label = "Trusted HTTP proxies",
		.check = check_addrlist,
		.help = "IP addresses of reverse proxies, comma-separated, "
			"whose X-Forwarded-For header (its last address) names "
			"the client for sign-in throttling and the Jitsi "
			"endpoints' rate; from any other address the client "
			"is the address.",
	},
	{
		.name = "adminSessionIdleMinutes",
		.type = SETTING_INT, .min = 1, .max = 1440,
		.def = "30",
		.group = SETTING_GROUP_ADMIN,
		.label = "Sign out after inactivity",
		.unit = "minutes",
		.help = "Minutes without a request after which an admin center "
			"session ends.",
	},
	{
		.name = "adminSessionMaxHours",
		.type = SETTING_INT, .min = 1, .max = 168,
		.def = "12",
		.group = SETTING_GROUP_ADMIN,
		.label = "Longest session",
		.unit = "hours",
		.help = "Hours after sign-in at which an admin center session "
			"ends, however active.",
	},
	{
		.name = "jitsiJigasiUri",
		.type = SETTING_STRING, .min = 0, .max = 255,
		.def = "",
		.group = SETTING_GROUP_JITSI,
		.label = "Jigasi SIP URI",
		.check = check_sip_uri,
		.help = "SIP URI of the Jitsi Meet SIP gateway (Jigasi) that "
			"callers of a Jitsi room are sent on to, such as "
			"sip:jigasi@meet.example.org:5060. Empty: the Jitsi "
			"endpoints answer 404 and no room gets an ID.",
	},
	{
		.name = "jitsiAllowedOrigins",
		.type = SETTING_STRING, .min = 0, .max = 500,
		.def = "",
		.group = SETTING_GROUP_JITSI,
		.label = "Jitsi Meet origins",
		.check = check_origins,
		.help = "Origins of the Jitsi Meet web app, comma-separated "
			"(https://meet.example.org), whose browsers may read "
			"the Jitsi endpoints (CORS); other origins get no "
			"CORS headers.",
	},
	{
		.name = "jitsiRoomIdleDays",
		.type = SETTING_INT, .min = 1, .max = 3650,
		.def = "30",
		.group = SETTING_GROUP_JITSI,
		.label = "Forget an idle Jitsi room after",
		.unit = "days",
		.help = "Days without a look-up or a call after which a Jitsi "
			"room's ID is revoked (and quarantined); the room gets "
			"a new ID when it is used again.",
	},
	{
		.name = "jitsiMaxRooms",
		.type = SETTING_INT, .min = 1, .max = 1000000,
		.def = "10000",
		.group = SETTING_GROUP_JITSI,
		.label = "Most Jitsi rooms with an ID",
		.help = "Jitsi rooms that may hold a conference ID at once; a "
			"new room past it is answered 503 until idle rooms are "
			"forgotten. Bounds what the unauthenticated mapper can "
			"take from the ID namespace.",
	},
	{
		.name = "jitsiRequestsPerMinute",
		.type = SETTING_INT, .min = 1, .max = 100000,
		.def = "60",
		.group = SETTING_GROUP_JITSI,
		.label = "Jitsi requests per minute per address",
		.help = "Requests to the Jitsi endpoints one client address may "
			"make in a minute on a node; more are answered 429.",
	},
	{
		.name = "webhookUrl",
		.type = SETTING_STRING, .min = 0, .max = WEBHOOK_URL_MAX,
		.def = "",
		.group = SETTING_GROUP_WEBHOOKS,
		.label = "Webhook URL",
		.check = webhook_url_check,
		.help = "http:// or https:// URL that call, conference and "
			"conference ID events are POSTed to as signed JSON "
			"(docs/api.md, Webhooks). Empty: no events are "
			"queued.",
	},
	{
		.name = "webhookSecret",
		.type = SETTING_STRING, .min = 0, .max = WEBHOOK_SECRET_MAX,
		.def = "",
		.group = SETTING_GROUP_WEBHOOKS,
		.label = "Webhook signing secret",
		.check = webhook_secret_check,
		.secret = true,
		.help = "Shared secret (16 to 256 bytes) each event is signed "
			"with, HMAC-SHA256 in X-Dialconf-Signature. Write-only: "
			"read back as \"set\" or \"\". Empty: events go "
			"unsigned.",
	},
	{
		.name = "webhookTimeoutSeconds",
		.type = SETTING_INT, .min = 1, .max = 60,
		.def = "5",
		.group = SETTING_GROUP_WEBHOOKS,
		.label = "Give up on one delivery after",
		.unit = "seconds",
		.help = "Seconds one POST to the webhook URL may take before "
			"it counts as failed and is retried later.",
	},
	{
		.name = "webhookRetryInitialSeconds",
		.type = SETTING_INT, .min = 1, .max = 3600,
		.def = "5",
		.group = SETTING_GROUP_WEBHOOKS,
		.label = "First retry after",
		.unit = "seconds",
		.help = "Seconds before an event the receiver did not take "
			"(no answer, or not 2xx) is sent again; the wait "
			"doubles with each try.",
	},
	{
		.name = "webhookRetryMaxSeconds",
		.type = SETTING_INT, .min = 1, .max = 86400,
		.def = "3600",
		.group = SETTING_GROUP_WEBHOOKS,
		.label = "Longest wait between retries",
		.unit = "seconds",
		.help = "Longest wait in seconds between two tries of an "
			"event.",
	},
	{
		.name = "webhookGiveUpHours",
		.type = SETTING_INT, .min = 1, .max = 168,
		.def = "24",
		.group = SETTING_GROUP_WEBHOOKS,
		.label = "Give up after",
		.unit = "hours",
		.help = "Hours after it happened past which an event not yet "
			"delivered is marked failed.",
	},
	{
		.name = "webhookRetentionDays",
		.type = SETTING_INT, .min = 1, .max = 365,
		.def = "7",
		.group = SETTING_GROUP_WEBHOOKS,
		.label = "Keep delivered and failed events for",
		.unit = "days",
		.help = "Days a delivered or failed event stays in the "
			"deliveries list (GET /api/v1/webhooks/deliveries) "
			"before it is deleted.",
	},
};

const struct setting_def *settings_table(size_t *n)
{
	if (n)
		*n = sizeof(table) / sizeof(table[0]);

	return table;
}

const char *settings_group_name(enum setting_group g)
{
	static const char *const names[SETTING_GROUP_COUNT] = {
		[SETTING_GROUP_ORGANIZATION] = "Organization",
		[SETTING_GROUP_EMAIL] = "Emails to users",
		[SETTING_GROUP_DIALIN] = "Dial-in",
		[SETTING_GROUP_ADMIN] = "Admin center",
		[SETTING_GROUP_JITSI] = "Jitsi Meet",
		[SETTING_GROUP_WEBHOOKS] = "Webhooks",
	};

	return (unsigned)g < SETTING_GROUP_COUNT ? names[g] : NULL;
}

const char *settings_type_name(enum setting_type t)
{
	switch (t) {
	case SETTING_BOOL:
		return "boolean";
	case SETTING_INT:
		return "integer";
	case SETTING_STRING:
		return "string";
	case SETTING_EMAIL:
		return "email";
	}
	return NULL;
}

const char *settings_shown(const struct setting_def *d, const char *value)
{
	if (!d || !d->secret)
		return value;
	return value && value[0] ? "set" : "";
}

const struct setting_def *settings_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (!strcmp(table[i].name, name))
			return &table[i];
	}

	return NULL;
}

/* Write a reason into why, when the caller asked for one. Always EINVAL,
 * so a failing check is one line: return reason(...). */
__attribute__((format(printf, 3, 4)))
static int reason(char *why, size_t whysize, const char *fmt, ...)
{
	va_list ap;

	if (why && whysize) {
		va_start(ap, fmt);
		(void)vsnprintf(why, whysize, fmt, ap);
		va_end(ap);
	}

	return EINVAL;
}

static int put(const char *canon, char *out, size_t size)
{
	size_t len = strlen(canon);

	if (!out || size <= len)
		return EINVAL;
	memcpy(out, canon, len + 1);

	return 0;
}

static int check_bool(const char *v, const char **canon)
{
	static const char *const yes[] = { "true", "on", "yes", "1" };
	static const char *const no[] = { "false", "off", "no", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(v, yes[i])) {
			*canon = "true";
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*canon = "false";
			return 0;
		}
	}

	return EINVAL;
}

/* Decimal only: strtol alone would take leading spaces, a '+', hex with
 * base 0, and overflow quietly clamped to LONG_MAX. */
static int check_long(const char *v, long *n)
{
	char *end;

	if (!((v[0] >= '0' && v[0] <= '9') ||
	      (v[0] == '-' && v[1] >= '0' && v[1] <= '9')))
		return EINVAL;

	errno = 0;
	*n = strtol(v, &end, 10);
	if (errno || *end != '\0')
		return EINVAL;

	return 0;
}

/* Length of the UTF-8 sequence starting at s, or 0 if it is malformed
 * (RFC 3629 §4: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[0] == 0xe0 && s[1] < 0xa0) ||
		    (s[0] == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80 ||
		    (s[0] == 0xf0 && s[1] < 0x90) ||
		    (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}

	return 0;
}

/* Strings end up in email headers and JSON: no control characters (a
 * newline would be a header injection) and only well-formed UTF-8. */
static int check_text(const struct setting_def *d, const char *v,
		      char *why, size_t whysize)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t len = strlen(v), i, n;

	if ((long)len < d->min || (long)len > d->max)
		return reason(why, whysize, "%s must be %ld to %ld bytes long",
			      d->name, d->min, d->max);

	for (i = 0; i < len; i += n) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return reason(why, whysize,
				      "%s must not contain control characters",
				      d->name);
		n = utf8_seq(s + i);
		if (!n)
			return reason(why, whysize, "%s must be valid UTF-8",
				      d->name);
	}

	return 0;
}

/* "ADDR,ADDR": IPv4 or IPv6 addresses, no spaces, no empty items. */
static int check_addrlist(const char *v, char *why, size_t whysize)
{
	char item[64];
	unsigned char bin[16];
	const char *p = v, *comma;
	size_t len;

	while (*p) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (!len || len >= sizeof(item))
			return reason(why, whysize, "'%.*s' is not an IP address",
				      (int)(len < 64 ? len : 64), p);
		memcpy(item, p, len);
		item[len] = '\0';
		if (inet_pton(AF_INET, item, bin) != 1 &&
		    inet_pton(AF_INET6, item, bin) != 1)
			return reason(why, whysize, "'%s' is not an IP address",
				      item);
		p += len;
		if (*p == ',' && !*++p)
			return reason(why, whysize, "a list must not end in ','");
	}
	return 0;
}

/* "" or sip:/sips: with something after it and no blank. */
static int check_sip_uri(const char *v, char *why, size_t whysize)
{
	size_t skip;

	if (!*v)
		return 0;
	skip = !strncasecmp(v, "sip:", 4) ? 4 :
	       !strncasecmp(v, "sips:", 5) ? 5 : 0;
	if (!skip || !v[skip])
		return reason(why, whysize, "'%s' is not a sip: URI", v);
	if (strpbrk(v, " \t<>\"\r\n"))
		return reason(why, whysize, "a SIP URI has no blanks, <, > "
			      "or quotes");
	return 0;
}

/* A comma-separated list of web origins: http(s)://host[:port], no path
 * (RFC 6454 §6.2, what a browser sends in Origin). */
static int check_origins(const char *v, char *why, size_t whysize)
{
	const char *p = v, *host;
	size_t len;

	while (*p) {
		len = strcspn(p, ",");
		host = !strncmp(p, "https://", 8) ? p + 8 :
		       !strncmp(p, "http://", 7) ? p + 7 : NULL;
		if (!host || host >= p + len || memchr(host, '/', len -
		    (size_t)(host - p)) || memchr(p, ' ', len))
			return reason(why, whysize, "'%.*s' is not an origin "
				      "such as https://meet.example.org",
				      (int)(len < 100 ? len : 100), p);
		p += len;
		if (*p == ',' && !*++p)
			return reason(why, whysize, "a list must not end in ','");
	}
	return 0;
}

int settings_validate(const struct setting_def *d, const char *value,
		      char *out, size_t size, char *why, size_t whysize)
{
	const char *canon = value;
	char num[32];
	long n;
	int err;

	if (why && whysize)
		why[0] = '\0';
	if (!d || !value)
		return reason(why, whysize, "no setting or no value");

	/* Longer than any canonical value: refuse before reading it all. */
	if (strnlen(value, SETTINGS_VALUE_MAX) >= SETTINGS_VALUE_MAX)
		return reason(why, whysize, "%s value is too long", d->name);

	switch (d->type) {

	case SETTING_BOOL:
		if (check_bool(value, &canon))
			return reason(why, whysize, "%s must be true or false",
				      d->name);
		break;

	case SETTING_INT:
		/* The API's words for the same two faults (h_settings.c). */
		if (check_long(value, &n))
			return reason(why, whysize, "%s must be an integer",
				      d->name);
		if (n < d->min || n > d->max)
			return reason(why, whysize,
				      "%s must be between %ld and %ld",
				      d->name, d->min, d->max);
		(void)snprintf(num, sizeof(num), "%ld", n);
		canon = num;
		break;

	case SETTING_STRING:
		err = check_text(d, value, why, whysize);
		if (!err && d->check)
			err = d->check(value, why, whysize);
		if (err)
			return err;
		break;

	case SETTING_EMAIL:
		if (!emailaddr_valid(value))
			return reason(why, whysize,
				      "%s must be an email address", d->name);
		break;

	default:
		return reason(why, whysize, "%s has an unknown type", d->name);
	}

	if (put(canon, out, size))
		return reason(why, whysize, "%s value does not fit", d->name);

	return 0;
}
