/*
 * bench/reflector.c: the machine's own limit for moving dial-in media, the
 * baseline of bench/run load, and the media load generator for both sides
 * (bench/load.py runs it; not a bench_ program, so `bench/run` alone does
 * not run it without arguments).
 *
 *   reflector serve ADDR PORT MAXPEERS   one UDP socket on ADDR:PORT
 *   reflector push ADDR PORT FIRST COUNT COUNT callers streaming to it
 *   reflector probe SECONDS              how late a thread gets to run
 *
 * serve does what a dialconf node does with media and nothing else, with
 * the same sockets (src/sip/rtpmux.c) on one thread like dialconf's SIP
 * and media loop: one socket for every caller, read with recvmmsg (64 at a
 * time), each packet's source looked up in a table (the callers told apart
 * by address, as the node does), and every 20 ms (timerfd, as the media
 * clock) each caller gets one 172-byte RTP packet (12-byte header, 160
 * bytes of PCMU, its own sequence number counting up), sent with sendmmsg.
 * It does not mix: that is the work dialconf does on top.
 *
 * push is the load generator for serve and for dialconf (SIPp does the
 * signalling; its rtp_stream sends with one socket and one sendto per
 * call, and could not push 2 000 callers on this machine beside the
 * node): one socket on a port of its own (printed as "port N" once bound)
 * and COUNT callers, caller i (FIRST <= i < FIRST + COUNT) sending from
 * address 127.64.0.0 + i + 1 (every 127/8 address is this host's; the
 * source address is set per packet with IP_PKTINFO), a 172-byte PCMU
 * packet every 20 ms to ADDR:PORT, paced on one absolute clock, a tenth
 * of the callers every 2 ms with sendmmsg (2 000 phones are not in step:
 * one burst of all of them made both the node and the reflector late). It never reads: what comes back fills its receive
 * buffer and the kernel drops the rest, as rtp_stream's sockets did.
 * Both run until killed.
 *
 * probe tells the machine's stalls from the node's: it sleeps to an
 * absolute deadline every millisecond for SECONDS and prints how many
 * wakeups came more than 5 and more than 10 ms late and the latest (as
 * rt-tests' cyclictest). load.py runs it beside every recorded window at
 * the media thread's priority: a tick every receiver got late while the
 * probe, which does nothing else, also woke > 10 ms late is a stall of the
 * machine (the hypervisor, the kernel), not of what was measured.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define PACKET 172
#define TICK_NS 20000000L
#define RX_BATCH 64
#define TX_BATCH 512
#define SOCK_BUF (4 << 20)
#define PUSH_BASE 0x7f400000u /* 127.64.0.0 */
#define SLICES 10

struct peer {
	struct sockaddr_in to;
	uint16_t seq;
	uint32_t ts;
	uint8_t pkt[PACKET];
};

/* The peers by address: open addressing, twice the room it needs. */
struct table {
	struct peer *peers;
	size_t count, max;
	uint32_t *slots; /* index + 1; 0 empty */
	size_t nslots;
};

static uint32_t addr_hash(const struct sockaddr_in *a)
{
	uint32_t h = a->sin_addr.s_addr * 2654435761u;

	return h ^ (a->sin_port * 40503u);
}

static struct peer *peer_of(struct table *t, const struct sockaddr_in *a)
{
	size_t i = addr_hash(a) & (t->nslots - 1);

	for (;; i = (i + 1) & (t->nslots - 1)) {
		uint32_t s = t->slots[i];
		struct peer *p;

		if (!s)
			break;
		p = &t->peers[s - 1];
		if (p->to.sin_addr.s_addr == a->sin_addr.s_addr &&
		    p->to.sin_port == a->sin_port)
			return p;
	}
	if (t->count == t->max)
		return NULL;
	t->slots[i] = (uint32_t)++t->count;
	t->peers[t->count - 1].to = *a;
	return &t->peers[t->count - 1];
}

static int udp_socket(const char *addr, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	int size = SOCK_BUF;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void rtp_header(uint8_t *p, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	p[0] = 0x80;
	p[1] = 0; /* PCMU */
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
}

/* sendmmsg all of msgs, in batches; a failed packet is skipped. */
static void send_all(int fd, struct mmsghdr *msgs, size_t n)
{
	size_t off = 0;

	while (off < n) {
		size_t k = n - off > TX_BATCH ? TX_BATCH : n - off;
		int r = sendmmsg(fd, msgs + off, (unsigned)k, 0);

		if (r < 0 && errno == EINTR)
			continue;
		off += r > 0 ? (size_t)r : 1;
	}
}

static void tick(int fd, struct table *t, struct mmsghdr *msgs,
		 struct iovec *iov)
{
	for (size_t j = 0; j < t->count; j++) {
		struct peer *p = &t->peers[j];

		rtp_header(p->pkt, p->seq++, p->ts, (uint32_t)j + 1);
		p->ts += 160;
		iov[j].iov_base = p->pkt;
		iov[j].iov_len = PACKET;
		memset(&msgs[j], 0, sizeof msgs[j]);
		msgs[j].msg_hdr.msg_name = &p->to;
		msgs[j].msg_hdr.msg_namelen = sizeof p->to;
		msgs[j].msg_hdr.msg_iov = &iov[j];
		msgs[j].msg_hdr.msg_iovlen = 1;
	}
	send_all(fd, msgs, t->count);
}

static void drain(int fd, struct table *t)
{
	static uint8_t buf[RX_BATCH][2048];
	struct sockaddr_in from[RX_BATCH];
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];

	for (int round = 0; round < 16; round++) {
		int n;

		for (int i = 0; i < RX_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof buf[i];
			memset(&msgs[i], 0, sizeof msgs[i]);
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof from[i];
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++)
			(void)peer_of(t, &from[i]);
		if (n < RX_BATCH)
			return;
	}
}

static int serve(const char *addr, int port, size_t max)
{
	struct table t = {.max = max};
	int fd = udp_socket(addr, port);
	int ep = epoll_create1(0);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec it = {.it_interval = {0, TICK_NS},
				.it_value = {0, TICK_NS}};
	struct epoll_event ev = {.events = EPOLLIN};
	struct mmsghdr *msgs = calloc(max, sizeof *msgs);
	struct iovec *iov = calloc(max, sizeof *iov);

	for (t.nslots = 16; t.nslots < 2 * max; t.nslots *= 2)
		;
	t.peers = calloc(max, sizeof *t.peers);
	t.slots = calloc(t.nslots, sizeof *t.slots);
	if (fd < 0) {
		fprintf(stderr, "reflector: bind %s:%d: %s\n", addr, port,
			strerror(errno));
		return 1;
	}
	if (!t.peers || !t.slots || !msgs || !iov || ep < 0 || tfd < 0)
		return 1;
	for (size_t j = 0; j < max; j++)
		memset(t.peers[j].pkt + 12, 0xFF, PACKET - 12); /* silence */
	ev.data.u32 = 0;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	ev.data.u32 = 1;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	timerfd_settime(tfd, 0, &it, NULL);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, -1);

		for (int k = 0; k < n; k++) {
			uint64_t ticks;

			if (evs[k].data.u32 == 0) {
				drain(fd, &t);
				continue;
			}
			if (read(tfd, &ticks, sizeof ticks) > 0)
				tick(fd, &t, msgs, iov);
		}
	}
}

static int push(const char *addr, int port, uint32_t first, size_t count)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	struct sockaddr_in me;
	socklen_t ml = sizeof me;
	size_t cmsg_size = CMSG_SPACE(sizeof(struct in_pktinfo));
	struct mmsghdr *msgs = calloc(count, sizeof *msgs);
	struct iovec *iov = calloc(count, sizeof *iov);
	uint8_t *pkts = calloc(count, PACKET);
	uint8_t *cmsgs = calloc(count, cmsg_size);
	int fd = udp_socket("0.0.0.0", 0);
	int small = 4096;
	struct timespec next;
	uint16_t seq = 0;
	uint32_t ts = 0;

	if (!msgs || !iov || !pkts || !cmsgs || fd < 0 ||
	    inet_pton(AF_INET, addr, &to.sin_addr) != 1 ||
	    getsockname(fd, (struct sockaddr *)&me, &ml))
		return 1;
	/* What comes back is dropped at once, not queued. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	for (size_t i = 0; i < count; i++) {
		struct msghdr *h = &msgs[i].msg_hdr;
		struct cmsghdr *c;
		struct in_pktinfo pi = {0};

		memset(pkts + i * PACKET + 12, 0x7F, PACKET - 12);
		iov[i].iov_base = pkts + i * PACKET;
		iov[i].iov_len = PACKET;
		h->msg_name = &to;
		h->msg_namelen = sizeof to;
		h->msg_iov = &iov[i];
		h->msg_iovlen = 1;
		h->msg_control = cmsgs + i * cmsg_size;
		h->msg_controllen = cmsg_size;
		c = CMSG_FIRSTHDR(h);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		pi.ipi_spec_dst.s_addr = htonl(PUSH_BASE + first + (uint32_t)i +
					       1);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
	}
	printf("port %d\n", ntohs(me.sin_port));
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		/* Phones are not in step: each 20 ms goes out in SLICES
		 * parts spread over it, not as one burst of every caller. */
		for (size_t k = 0; k < SLICES; k++) {
			size_t lo = count * k / SLICES;
			size_t hi = count * (k + 1) / SLICES;

			for (size_t i = lo; i < hi; i++)
				rtp_header(pkts + i * PACKET, seq, ts,
					   first + (uint32_t)i + 1000);
			send_all(fd, msgs + lo, hi - lo);
			next.tv_nsec += TICK_NS / SLICES;
			if (next.tv_nsec >= 1000000000L) {
				next.tv_nsec -= 1000000000L;
				next.tv_sec++;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
					NULL);
		}
		seq++;
		ts += 160;
	}
}

static int probe(long seconds)
{
	struct timespec next, now;
	long wakeups = 0, late5 = 0, late10 = 0, worst = 0;
	const long step = 1000000L; /* 1 ms */

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long n = 0; n < seconds * 1000; n++) {
		long late;

		next.tv_nsec += step;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		late = (now.tv_sec - next.tv_sec) * 1000000000L +
		       (now.tv_nsec - next.tv_nsec);
		wakeups++;
		late5 += late > 5000000L;
		late10 += late > 10000000L;
		if (late > worst)
			worst = late;
		if (late > step) /* a stall: start again from now */
			next = now;
	}
	printf("wakeups %ld late5 %ld late10 %ld max_us %ld\n", wakeups,
	       late5, late10, worst / 1000);
	return 0;
}

static int number(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return !errno && !*end && end != s && *out >= lo && *out <= hi;
}

int main(int argc, char **argv)
{
	long port, a, b;

	if (argc >= 5 && !strcmp(argv[1], "serve") && argc == 5 &&
	    number(argv[3], 1, 65535, &port) && number(argv[4], 1, 1 << 20, &a))
		return serve(argv[2], (int)port, (size_t)a);
	if (argc == 6 && !strcmp(argv[1], "push") &&
	    number(argv[3], 1, 65535, &port) &&
	    number(argv[4], 0, 1 << 20, &a) && number(argv[5], 1, 1 << 20, &b))
		return push(argv[2], (int)port, (uint32_t)a, (size_t)b);
	if (argc == 3 && !strcmp(argv[1], "probe") &&
	    number(argv[2], 1, 3600, &a))
		return probe(a);
	fprintf(stderr, "usage: reflector serve ADDR PORT MAXPEERS\n"
		"       reflector push ADDR PORT FIRST COUNT\n"
		"       reflector probe SECONDS\n");
	return 2;
}
