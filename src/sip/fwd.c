/* fwd: the leg that sends a dial-in call on to a Jitsi Meet room's SIP
 * gateway, Jigasi (SPEC §7, app/jitsi.c).
 *
 * The caller keyed a Jitsi room's ID: instead of a place in one of our
 * mixes, the call gets an outgoing INVITE (RFC 3261 §13) to the configured
 * Jigasi URI, with the header Jigasi reads to pick the room,
 * "Jitsi-Conference-Room: room@muc.domain", and the caller's (masked)
 * number as the display name Jitsi shows. The offer (RFC 3264 §5) holds
 * the caller's own G.711 codec only, so audio is relayed as it is, never
 * transcoded: the caller's payloads go out on this leg's RTP socket with
 * its own sequence numbers and timestamps, and what Jigasi sends comes
 * back to the call (fwd_audio_h) for it to send on as its own frames.
 * Lobby and PIN do not apply: the Jitsi room has its own.
 *
 * Media is taken only from the address Jigasi's answer names (the
 * strict RTP of call.c, the other way round). The leg ends with the call
 * (mem_deref: BYE, or CANCEL before the answer); a leg Jigasi refuses or
 * ends reports it once through fwd_state_h, and the call ends with it.
 * SIP thread only. */
#include <errno.h>
#include <string.h>

#include "sip/sipd_priv.h"

#define FWD_ROOM_HDR "Jitsi-Conference-Room"
#define FWD_HDRS_SIZE 768
#define FWD_INFO_MAX 256

struct fwd {
	struct sipd *s;
	struct sipsess *sess;
	struct sdp_session *sdp;
	struct sdp_media *sm;
	struct rtp_sock *rtp;
	struct mbuf *mb;     /* one RTP packet, reused */
	struct sa raddr;     /* Jigasi's RTP address, from its answer */
	enum codec_type codec;
	uint32_t ts;
	bool marker;
	bool answered;
	bool ended;
	fwd_audio_h *audioh;
	fwd_state_h *stateh;
	fwd_info_h *infoh;
	void *arg;
};

static void destructor(void *arg)
{
	struct fwd *f = arg;

	mem_deref(f->sess); /* BYE once answered, CANCEL before */
	mem_deref(f->rtp);
	mem_deref(f->sdp);
	mem_deref(f->mb);
}

/* Tell the call once: answered (0) or over (an errno). */
static void report(struct fwd *f, int err)
{
	if (f->ended)
		return;
	if (err)
		f->ended = true;
	f->stateh(err, f->arg);
}

/* Jigasi's audio: from the address of its answer only, in our codec. */
static void rtp_h(const struct sa *src, const struct rtp_header *hdr,
		  struct mbuf *mb, void *arg)
{
	struct fwd *f = arg;

	if (!f->answered || f->ended ||
	    !sa_cmp(src, &f->raddr, SA_ADDR) ||
	    hdr->pt != codec_pt(f->codec))
		return;
	f->audioh(mbuf_buf(mb), mbuf_get_left(mb), f->arg);
}

void fwd_send(struct fwd *f, enum codec_type codec, const uint8_t *g711,
	      size_t len)
{
	int err;

	/* Relayed as it is, so only in the codec offered to the gateway (a
	 * caller's re-INVITE may have changed its own). */
	if (!f->answered || f->ended || codec != f->codec)
		return;
	f->mb->pos = f->mb->end = RTP_HEADER_SIZE;
	if (mbuf_write_mem(f->mb, g711, len))
		return;
	f->mb->pos = RTP_HEADER_SIZE;
	err = rtp_send(f->rtp, &f->raddr, false, f->marker,
		       (uint8_t)codec_pt(f->codec), f->ts, f->mb);
	(void)err; /* a lost datagram is the caller's silence, no more */
	f->marker = false;
	f->ts += (uint32_t)len; /* RFC 3550 §5.1: one per sample */
}

/* The answer (RFC 3264 §6): Jigasi's address and our codec in it. */
static int answer_h(const struct sip_msg *msg, void *arg)
{
	struct fwd *f = arg;
	int err;

	err = sdp_decode(f->sdp, msg->mb, false);
	if (err)
		return err;
	if (!sdp_media_rformat(f->sm, NULL) ||
	    !sa_isset(sdp_media_raddr(f->sm), SA_ALL))
		return EPROTO;
	f->raddr = *sdp_media_raddr(f->sm);
	return 0;
}

static int offer_h(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
	struct fwd *f = arg;
	int err;

	/* A re-INVITE from Jigasi: the same single codec, a new address. */
	err = sdp_decode(f->sdp, msg->mb, true);
	if (!err && !sdp_media_rformat(f->sm, NULL))
		err = ENOTSUP;
	if (!err)
		f->raddr = *sdp_media_raddr(f->sm);
	return err ? err : sdp_encode(descp, f->sdp, false);
}

/* An INFO from the far end: a home's news of its leg (leg.c), if the
 * leg takes any; Jigasi's are answered and dropped. */
static void info_h(struct sip *sip, const struct sip_msg *msg, void *arg)
{
	struct fwd *f = arg;
	char body[FWD_INFO_MAX + 1];
	size_t len = mbuf_get_left(msg->mb);

	(void)sip_reply(sip, msg, 200, "OK");
	if (!f->infoh || f->ended || len > FWD_INFO_MAX)
		return;
	memcpy(body, mbuf_buf(msg->mb), len);
	body[len] = '\0';
	f->infoh(body, f->arg);
}

static void estab_h(const struct sip_msg *msg, void *arg)
{
	struct fwd *f = arg;

	(void)msg;
	if (!sa_isset(&f->raddr, SA_ALL)) { /* a 200 without an answer */
		report(f, EPROTO);
		return;
	}
	f->answered = true;
	f->marker = true;
	sipd_log(LOG_INFO, "event=forward-answered raddr=%J", &f->raddr);
	report(f, 0);
}

static void close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct fwd *f = arg;

	sipd_log(LOG_INFO, "event=forward-closed status=%u err=%d",
		 msg ? msg->scode : 0, err);
	report(f, err ? err : ECONNRESET);
}

static int media_setup(struct fwd *f, const struct sa *laddr)
{
	const char *pt = f->codec == CODEC_PCMU ? "0" : "8";
	const char *name = f->codec == CODEC_PCMU ? "PCMU" : "PCMA";
	int err;

	err = rtp_listen(&f->rtp, IPPROTO_UDP, laddr, f->s->opts.rtp_min,
			 f->s->opts.rtp_max, false, rtp_h, NULL, f);
	if (!err)
		err = sdp_session_alloc(&f->sdp, laddr);
	if (!err)
		err = sdp_media_add(&f->sm, f->sdp, "audio",
				    sa_port(rtp_local(f->rtp)), "RTP/AVP");
	if (!err)
		err = sdp_format_add(NULL, f->sm, false, pt, name, CODEC_SRATE,
				     1, NULL, NULL, NULL, false, NULL);
	if (!err) {
		f->mb = mbuf_alloc(RTP_HEADER_SIZE + 2 * CODEC_FRAME);
		if (!f->mb)
			err = ENOMEM;
	}
	return err;
}

int fwd_start(struct fwd **fp, struct sipd *s, const struct fwd_target *t,
	      fwd_audio_h *audioh, fwd_state_h *stateh, void *arg)
{
	char from[SIPD_ADDR_SIZE + 16], hdrs[FWD_HDRS_SIZE];
	struct mbuf *desc = NULL;
	int n;
	struct sa contact;
	struct fwd *f;
	int err;

	f = mem_zalloc(sizeof(*f), destructor);
	if (!f)
		return ENOMEM;
	f->s = s;
	f->codec = t->codec;
	f->audioh = audioh;
	f->stateh = stateh;
	f->infoh = t->infoh;
	f->arg = arg;
	/* Our address as the leg's media and From: the one the caller's
	 * call reached us on, with our SIP port. */
	contact = *t->laddr;
	sa_set_port(&contact, sa_port(&s->laddr));
	/* A Jitsi room's header, or the caller's own (an inter-node leg). */
	if (t->room)
		n = re_snprintf(hdrs, sizeof(hdrs), FWD_ROOM_HDR ": %s\r\n",
				t->room);
	else
		n = re_snprintf(hdrs, sizeof(hdrs), "%s",
				t->headers ? t->headers : "");
	if (n < 0 || re_snprintf(from, sizeof(from), "sip:dialconf@%J",
				 &contact) < 0) {
		err = ENOMEM;
		goto out;
	}
	err = media_setup(f, t->laddr);
	if (!err)
		err = sdp_encode(&desc, f->sdp, true);
	if (!err)
		err = sipsess_connect(&f->sess, s->sock, t->uri, t->caller,
				      from, "dialconf", NULL, 0,
				      "application/sdp", desc, NULL, NULL,
				      false, offer_h, answer_h, NULL,
				      estab_h, info_h, NULL, close_h, f,
				      "%s", hdrs);
	mem_deref(desc);
 out:
	if (err) {
		mem_deref(f);
		return err;
	}
	/* Not the URI: an old-style one may carry a password. */
	sipd_log(LOG_INFO, "event=forward room=%s", t->room ? t->room : "-");
	*fp = f;
	return 0;
}

/* A digit to the far end as SIP INFO (application/dtmf-relay, the form
 * call.c's info_h reads): an inter-node leg's caller typing at the home. */
void fwd_info(struct fwd *f, const char *ctype, const char *text)
{
	struct mbuf *body;

	if (!f->answered || f->ended)
		return;
	body = mbuf_alloc(64);
	if (!body)
		return;
	if (!mbuf_write_str(body, text)) {
		body->pos = 0;
		(void)sipsess_info(f->sess, ctype, body, NULL, NULL);
	}
	mem_deref(body);
}

void fwd_digit(struct fwd *f, char digit)
{
	char text[32];

	snprintf(text, sizeof(text), "Signal=%c\r\nDuration=100\r\n", digit);
	fwd_info(f, "application/dtmf-relay", text);
}
