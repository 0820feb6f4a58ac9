/* leg: the inter-node leg (issue 13). A conference is mixed at its home
 * (app/home.c); a caller whose node is not the home gets, once its own
 * node has asked the ID, '*' and the PIN, an outgoing SIP call to the
 * home: fwd.c's leg (one G.711 codec, relayed as it is, never decoded
 * here, so the hop adds no jitter buffer and no mix: only the network),
 * with a Request-URI naming the conference and headers the home checks:
 *
 *   INVITE sip:conf-meeting-42@HOME-HOST:PORT
 *   X-Dialconf-Role: organizer | participant | lobby
 *   X-Dialconf-Conference: the ID the caller keyed (not a secret)
 *   X-Dialconf-Time: unix seconds
 *   X-Dialconf-Auth: HMAC-SHA256 of "user|role|ID|time", cluster secret
 *
 * The home answers such an INVITE only with a right signature, and only
 * while it is the home; it makes the leg a participant of its mix like a
 * caller of its own (mix-minus: the leg never hears itself), runs the
 * lobby, the participant limit and *6 for it, and its prompts come back
 * over the leg. The caller's digits go to the home as SIP INFO; the home
 * tells the caller's node the call's state and mute the same way
 * (application/x-dialconf-state: "state=in-conference\r\nmuted=0\r\n"),
 * so that node's live calls list shows what the home decided; and an
 * admin's lock asked of the caller's node goes to the home as
 * application/x-dialconf-control "lock=1" (or 0), taken on legs only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sipd_priv.h"

#define LEG_URI_SIZE (APP_HOME_URI_SIZE + SIPD_USER_SIZE + 8)

int leg_start(struct fwd **fp, struct sipd *s, const struct leg_req *r,
	      fwd_audio_h *audioh, fwd_state_h *stateh, void *arg)
{
	char uri[LEG_URI_SIZE], hdrs[512];
	const char *host = r->home_uri;
	struct fwd_target t = {
		.uri = uri, .room = NULL, .headers = hdrs,
		.caller = r->caller, .laddr = r->laddr, .codec = r->codec,
		.infoh = r->infoh,
	};

	if (!strncmp(host, "sip:", 4))
		host += 4;
	if (snprintf(uri, sizeof(uri), "sip:%s@%s", r->conf_user, host) >=
	    (int)sizeof(uri) ||
	    snprintf(hdrs, sizeof(hdrs),
		     "X-Dialconf-Role: %s\r\nX-Dialconf-Conference: %s\r\n"
		     "X-Dialconf-Time: %lld\r\nX-Dialconf-Auth: %s\r\n",
		     r->in.role, r->in.confid, (long long)r->in.ts,
		     r->in.mac) >= (int)sizeof(hdrs))
		return EINVAL;
	sipd_log(LOG_INFO, "event=leg-out conf=%s role=%s home=%s",
		 r->conf_user, r->in.role, host);
	return fwd_start(fp, s, &t, audioh, stateh, arg);
}

static void xhdr(const struct sip_msg *msg, const char *name, char *out,
		 size_t size)
{
	const struct sip_hdr *h = sip_msg_xhdr(msg, name);

	out[0] = '\0';
	if (h && h->val.l < size)
		(void)pl_strcpy(&h->val, out, size);
}

bool leg_read(const struct sip_msg *msg, const char *user, struct leg_in *in)
{
	char ts[24];
	char *end;

	memset(in, 0, sizeof(*in));
	if (strncmp(user, "conf-", 5))
		return false;
	xhdr(msg, "X-Dialconf-Role", in->role, sizeof(in->role));
	xhdr(msg, "X-Dialconf-Conference", in->confid, sizeof(in->confid));
	xhdr(msg, "X-Dialconf-Auth", in->mac, sizeof(in->mac));
	xhdr(msg, "X-Dialconf-Time", ts, sizeof(ts));
	in->ts = strtoll(ts, &end, 10);
	if (end == ts || *end)
		in->ts = 0; /* refused by the signature's check */
	return true;
}
