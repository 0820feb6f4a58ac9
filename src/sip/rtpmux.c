/* rtpmux: one UDP socket for the RTP of every call (issue 18).
 *
 * A socket per call cost two descriptors (libre's rtp_sock binds RTCP
 * beside it) and one system call per packet each way: at 1 000 callers a
 * node spent two thirds of its time in sendto/recvfrom and the 20 ms tick
 * no longer fitted in 10 ms. Here every call's SDP answer names the same
 * port, and the calls are told apart by where their packets come from.
 *
 * Strict RTP (call.c from_caller, SPEC §6) decides which source is a
 * call's, and the socket is shared, so the demultiplexer applies the same
 * rule when it picks the call:
 *  1. a leg whose source is fixed takes packets from that (ip, port) only;
 *  2. a leg not fixed yet takes the first packet from its offer's (ip,
 *     port) exactly, and that fixes it;
 *  3. else the first packet from the signalling host (any port: a caller
 *     behind NAT) fixes it, but only when exactly one such leg waits for
 *     that host: with two, the packet could be either's, and crossing two
 *     callers' audio is worse than a packet dropped (the next one comes
 *     20 ms later, and the other call is fixed by its own offer by then).
 * Anything else is dropped, as a foreign packet at a call's own port was.
 *
 * Reading: recvmmsg takes up to RX_BATCH datagrams per system call, one
 * call per wakeup of the loop. libre reads one SIP datagram per wakeup,
 * so the batch is what a SIP message waits behind: 32 keeps a node with
 * 100 000 RTP packets a second answering 3 000 SIP messages a second (a
 * larger budget starved SIP at 1 000 callers: INFO answered seconds late). Sending: between rtpmux_hold and
 * rtpmux_flush (one 20 ms tick, when the mixer sends a frame to every
 * caller) packets are queued and go out with sendmmsg; outside a tick (a
 * relayed Jitsi packet) at once. A send that fails at the flush is
 * reported by the leg's next rtpmux_send, one frame late, so a call still
 * sees its failures in a row. The socket's buffers are raised (up to
 * net.core.rmem_max / wmem_max): one socket now queues what a thousand
 * did. SIP thread only. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip/sipd_priv.h"

#define RX_BATCH 32
#define RX_SIZE 1500       /* one Ethernet MTU: a G.711 frame is 172 */
#define TX_BATCH 512       /* packets per sendmmsg */
#define TX_PAYLOAD 480     /* 60 ms of G.711; longer ones go at once */
#define SOCK_BUF (4 << 20) /* bytes asked for each way */
#define LEG_HASH 1024

struct rtpmux_leg {
	struct le he;       /* in mux->legs, keyed by addr */
	struct le pe;       /* in mux->pending while not fixed */
	struct rtpmux *m;
	struct sa addr;     /* the fixed source, or the offer's address */
	struct sa sig;      /* the signalling host (port ignored) */
	bool fixed;
	uint32_t ssrc;
	uint16_t seq;
	int tx_err;         /* a queued packet's failure, told once */
	rtpmux_recv_h *recvh;
	void *arg;
};

struct tx_slot {
	struct rtpmux_leg *leg; /* NULL: the leg went before the flush */
	struct sa dst;
	size_t len;
	uint8_t pkt[RTP_HEADER_SIZE + TX_PAYLOAD];
};

struct rtpmux {
	int fd;
	struct sa laddr;
	struct hash *legs;
	struct list pending;
	bool holding;
	size_t queued;
	struct tx_slot *tx;     /* TX_BATCH */
	struct mmsghdr *txm;    /* TX_BATCH */
	struct iovec *txv;      /* TX_BATCH */
	uint8_t (*rx)[RX_SIZE]; /* RX_BATCH */
	struct mmsghdr *rxm;
	struct iovec *rxv;
	struct sa *rxa;
};

static void leg_unhook(struct rtpmux_leg *l)
{
	hash_unlink(&l->he);
	list_unlink(&l->pe);
}

static void leg_destructor(void *arg)
{
	struct rtpmux_leg *l = arg;
	size_t i;

	leg_unhook(l);
	for (i = 0; i < l->m->queued; i++)
		if (l->m->tx[i].leg == l)
			l->m->tx[i].leg = NULL;
	mem_deref(l->m);
}

static void mux_destructor(void *arg)
{
	struct rtpmux *m = arg;

	if (m->fd >= 0) {
		fd_close(m->fd);
		(void)close(m->fd);
	}
	mem_deref(m->legs); /* empty: each leg holds a reference */
	free(m->tx);
	free(m->txm);
	free(m->txv);
	free(m->rx);
	free(m->rxm);
	free(m->rxv);
	free(m->rxa);
}

/* The leg that takes a packet from src, fixing it if it was not (the
 * rules on top); NULL: nobody's. */
static struct rtpmux_leg *leg_of(struct rtpmux *m, const struct sa *src)
{
	struct rtpmux_leg *offer = NULL, *host = NULL;
	struct le *le;

	le = list_head(hash_list(m->legs, sa_hash(src, SA_ALL)));
	for (; le; le = le->next) {
		struct rtpmux_leg *l = le->data;

		if (!sa_cmp(src, &l->addr, SA_ALL))
			continue;
		if (l->fixed)
			return l;
		offer = l; /* the newest offer of that address */
	}
	if (!offer) {
		for (le = m->pending.head; le; le = le->next) {
			struct rtpmux_leg *l = le->data;

			if (!sa_cmp(src, &l->sig, SA_ADDR))
				continue;
			if (host)
				return NULL; /* two could be its */
			host = l;
		}
		offer = host;
	}
	if (!offer)
		return NULL;
	leg_unhook(offer);
	offer->addr = *src;
	offer->fixed = true;
	hash_append(m->legs, sa_hash(src, SA_ALL), &offer->he, offer);
	return offer;
}

static void deliver(struct rtpmux *m, const struct sa *src, uint8_t *buf,
		    size_t len)
{
	struct mbuf mb = {.buf = buf, .size = len, .pos = 0, .end = len};
	struct rtp_header hdr;
	struct rtpmux_leg *l;

	if (rtp_hdr_decode(&hdr, &mb) || hdr.ver != RTP_VERSION)
		return;
	if (hdr.pad) { /* RFC 3550 §5.1: the last octet counts the padding */
		uint8_t n = mb.end > mb.pos ? buf[mb.end - 1] : 0;

		if (!n || n > mb.end - mb.pos)
			return;
		mb.end -= n;
	}
	l = leg_of(m, src);
	if (l)
		l->recvh(src, &hdr, &mb, l->arg);
}

static void rx_h(int flags, void *arg)
{
	struct rtpmux *m = arg;
	int n, i;

	(void)flags;
	for (i = 0; i < RX_BATCH; i++) {
		m->rxm[i].msg_hdr.msg_namelen = sizeof(m->rxa[i].u);
		m->rxm[i].msg_len = 0;
	}
	n = recvmmsg(m->fd, m->rxm, RX_BATCH, MSG_DONTWAIT, NULL);
	for (i = 0; i < n; i++) {
		m->rxa[i].len = m->rxm[i].msg_hdr.msg_namelen;
		/* A handler may free its leg, never the mux: the SIP thread
		 * holds it until teardown. */
		deliver(m, &m->rxa[i], m->rx[i], m->rxm[i].msg_len);
	}
}

/* Ask for SOCK_BUF each way; a kernel that grants less (its
 * net.core.rmem_max, 208 KiB by default) is named in the log, since a
 * busy node then drops what arrives while a tick sends. */
static void buffers_raise(int fd)
{
	int opt[2] = {SO_RCVBUF, SO_SNDBUF}, size, i;
	socklen_t len = sizeof(size);

	for (i = 0; i < 2; i++) {
		size = SOCK_BUF;
		(void)setsockopt(fd, SOL_SOCKET, opt[i], &size, sizeof(size));
		/* Linux reports twice what it grants (its bookkeeping). */
		if (!getsockopt(fd, SOL_SOCKET, opt[i], &size, &len) &&
		    size < 2 * SOCK_BUF)
			sipd_log(LOG_WARN, "event=rtp-buffer-small dir=%s "
				 "bytes=%d want=%d sysctl=net.core.%s",
				 i ? "send" : "receive", size / 2, SOCK_BUF,
				 i ? "wmem_max" : "rmem_max");
	}
}

/* Bind the first free even port of [lo, hi] on laddr's address. */
static int bind_range(struct rtpmux *m, const struct sa *laddr, uint16_t lo,
		      uint16_t hi)
{
	uint32_t port;

	m->fd = socket(sa_af(laddr), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (m->fd < 0)
		return errno;
	buffers_raise(m->fd);
	for (port = lo + (lo & 1); port <= hi; port += 2) {
		m->laddr = *laddr;
		sa_set_port(&m->laddr, (uint16_t)port);
		if (!bind(m->fd, &m->laddr.u.sa, m->laddr.len))
			return 0;
		if (errno != EADDRINUSE && errno != EACCES)
			return errno;
	}
	return EADDRINUSE;
}

static int buffers_alloc(struct rtpmux *m)
{
	int i;

	m->tx = calloc(TX_BATCH, sizeof(*m->tx));
	m->txm = calloc(TX_BATCH, sizeof(*m->txm));
	m->txv = calloc(TX_BATCH, sizeof(*m->txv));
	m->rx = calloc(RX_BATCH, sizeof(*m->rx));
	m->rxm = calloc(RX_BATCH, sizeof(*m->rxm));
	m->rxv = calloc(RX_BATCH, sizeof(*m->rxv));
	m->rxa = calloc(RX_BATCH, sizeof(*m->rxa));
	if (!m->tx || !m->txm || !m->txv || !m->rx || !m->rxm || !m->rxv ||
	    !m->rxa)
		return ENOMEM;
	for (i = 0; i < RX_BATCH; i++) {
		m->rxv[i].iov_base = m->rx[i];
		m->rxv[i].iov_len = RX_SIZE;
		m->rxm[i].msg_hdr.msg_iov = &m->rxv[i];
		m->rxm[i].msg_hdr.msg_iovlen = 1;
		m->rxm[i].msg_hdr.msg_name = &m->rxa[i].u;
	}
	return 0;
}

int rtpmux_alloc(struct rtpmux **mp, const struct sa *laddr, uint16_t lo,
		 uint16_t hi)
{
	struct rtpmux *m;
	int err;

	m = mem_zalloc(sizeof(*m), mux_destructor);
	if (!m)
		return ENOMEM;
	m->fd = -1;
	err = hash_alloc(&m->legs, LEG_HASH);
	if (!err)
		err = buffers_alloc(m);
	if (!err)
		err = bind_range(m, laddr, lo, hi);
	if (!err)
		err = fd_listen(m->fd, FD_READ, rx_h, m);
	if (err) {
		mem_deref(m);
		return err;
	}
	*mp = m;
	return 0;
}

uint16_t rtpmux_port(const struct rtpmux *m)
{
	return sa_port(&m->laddr);
}

int rtpmux_leg_alloc(struct rtpmux_leg **lp, struct rtpmux *m,
		     rtpmux_recv_h *recvh, void *arg)
{
	struct rtpmux_leg *l;

	l = mem_zalloc(sizeof(*l), leg_destructor);
	if (!l)
		return ENOMEM;
	l->m = mem_ref(m);
	l->recvh = recvh;
	l->arg = arg;
	l->ssrc = rand_u32();
	l->seq = rand_u16() & 0x7fff; /* RFC 3550 §5.1: a random start */
	*lp = l;
	return 0;
}

void rtpmux_leg_expect(struct rtpmux_leg *l, const struct sa *offer,
		       const struct sa *sig)
{
	leg_unhook(l);
	l->addr = *offer;
	l->sig = *sig;
	l->fixed = false;
	hash_append(l->m->legs, sa_hash(offer, SA_ALL), &l->he, l);
	list_append(&l->m->pending, &l->pe, l);
}

/* RFC 3550 §5.1: the fixed header, no CSRC, no extension. */
static size_t header(struct rtpmux_leg *l, uint8_t *p, bool marker,
		     uint8_t pt, uint32_t ts)
{
	uint32_t ssrc = l->ssrc;
	uint16_t seq = l->seq++;

	p[0] = RTP_VERSION << 6;
	p[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24);
	p[5] = (uint8_t)(ts >> 16);
	p[6] = (uint8_t)(ts >> 8);
	p[7] = (uint8_t)ts;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	return RTP_HEADER_SIZE;
}

static int send_now(struct rtpmux_leg *l, const struct sa *dst, bool marker,
		    uint8_t pt, uint32_t ts, const uint8_t *payload,
		    size_t len)
{
	uint8_t hdr[RTP_HEADER_SIZE];
	struct iovec iov[2] = {{hdr, sizeof(hdr)},
			       {(void *)(uintptr_t)payload, len}};
	struct msghdr msg = {.msg_name = (void *)(uintptr_t)&dst->u,
			     .msg_namelen = dst->len, .msg_iov = iov,
			     .msg_iovlen = 2};

	(void)header(l, hdr, marker, pt, ts);
	return sendmsg(l->m->fd, &msg, 0) < 0 ? errno : 0;
}

static void flush(struct rtpmux *m);

int rtpmux_send(struct rtpmux_leg *l, const struct sa *dst, bool marker,
		uint8_t pt, uint32_t ts, const uint8_t *payload, size_t len)
{
	struct rtpmux *m = l->m;
	struct tx_slot *t;
	int err = l->tx_err;

	l->tx_err = 0;
	if (!m->holding || len > TX_PAYLOAD) {
		int now = send_now(l, dst, marker, pt, ts, payload, len);

		return now ? now : err;
	}
	if (m->queued == TX_BATCH)
		flush(m);
	t = &m->tx[m->queued++];
	t->leg = l;
	t->dst = *dst;
	t->len = header(l, t->pkt, marker, pt, ts);
	memcpy(t->pkt + t->len, payload, len);
	t->len += len;
	return err;
}

void rtpmux_hold(struct rtpmux *m)
{
	m->holding = true;
}

static void flush(struct rtpmux *m)
{
	size_t i, off = 0;
	int n;

	for (i = 0; i < m->queued; i++) {
		struct tx_slot *t = &m->tx[i];

		m->txv[i].iov_base = t->pkt;
		m->txv[i].iov_len = t->len;
		memset(&m->txm[i], 0, sizeof(m->txm[i]));
		m->txm[i].msg_hdr.msg_name = &t->dst.u;
		m->txm[i].msg_hdr.msg_namelen = t->dst.len;
		m->txm[i].msg_hdr.msg_iov = &m->txv[i];
		m->txm[i].msg_hdr.msg_iovlen = 1;
	}
	while (off < m->queued) {
		n = sendmmsg(m->fd, m->txm + off, (unsigned)(m->queued - off),
			     0);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* The packet at off failed (sendmmsg tells the error of
		 * the first one it could not send): its leg hears of it. */
		if (m->tx[off].leg)
			m->tx[off].leg->tx_err = n < 0 ? errno : EIO;
		off++;
	}
	m->queued = 0;
}

void rtpmux_flush(struct rtpmux *m)
{
	flush(m);
	m->holding = false;
}
