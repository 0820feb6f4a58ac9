/*
 * bench/reflector.c: the machine's own limit for moving dial-in media, the
 * baseline of bench/run load (bench/load.py runs it; not a bench_ program,
 * so `bench/run` alone does not run it without arguments).
 *
 *   reflector serve ADDR PORT COUNT   COUNT UDP sockets on ADDR:PORT...
 *   reflector send ADDR PORT COUNT    COUNT callers streaming to them
 *
 * serve does what a dialconf node does with media and nothing else, on one
 * thread like dialconf's SIP and media loop: every socket takes whatever
 * arrives (epoll, one recvfrom per packet), remembers who sent it, and every
 * 20 ms (timerfd, as the mixer's clock) sends each socket's last sender one
 * 172-byte RTP packet (12-byte header, 160 bytes of PCMU), its sequence
 * number counting up. It does not mix: that is the work dialconf does on top.
 *
 * send is the load generator for serve, as SIPp's rtp_stream is for
 * dialconf: COUNT sockets, each sending a 172-byte PCMU packet every 20 ms to
 * its own server port, paced on one absolute clock; it never reads (as
 * rtp_stream, whose sockets' input the kernel drops when their buffers fill).
 * Both run until killed.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define PACKET 172
#define TICK_NS 20000000L

struct peer {
	int fd;
	int have_peer;
	struct sockaddr_in to;
	uint16_t seq;
	uint32_t ts;
};

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int udp_socket(const char *addr, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
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

static int serve(const char *addr, int port, int count)
{
	struct peer *peers = calloc((size_t)count, sizeof *peers);
	int ep = epoll_create1(0);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec it = {.it_interval = {0, TICK_NS},
				.it_value = {0, TICK_NS}};
	struct epoll_event ev = {.events = EPOLLIN};
	uint8_t pkt[PACKET], buf[2048];

	if (!peers || ep < 0 || tfd < 0)
		return 1;
	memset(pkt + 12, 0xFF, PACKET - 12); /* mu-law silence */
	for (int i = 0; i < count; i++) {
		peers[i].fd = udp_socket(addr, port + i);
		if (peers[i].fd < 0) {
			fprintf(stderr, "reflector: bind %s:%d: %s\n", addr,
				port + i, strerror(errno));
			return 1;
		}
		ev.data.u32 = (uint32_t)i;
		epoll_ctl(ep, EPOLL_CTL_ADD, peers[i].fd, &ev);
	}
	ev.data.u32 = UINT32_MAX;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	timerfd_settime(tfd, 0, &it, NULL);
	printf("ready\n");
	fflush(stdout);

	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, -1);
		for (int k = 0; k < n; k++) {
			uint32_t i = evs[k].data.u32;
			if (i == UINT32_MAX) { /* the 20 ms clock */
				uint64_t ticks;
				if (read(tfd, &ticks, sizeof ticks) < 0)
					continue;
				for (int j = 0; j < count; j++) {
					struct peer *p = &peers[j];
					if (!p->have_peer)
						continue;
					rtp_header(pkt, p->seq++, p->ts,
						   (uint32_t)j + 1);
					p->ts += 160;
					(void)sendto(p->fd, pkt, PACKET, 0,
						     (struct sockaddr *)&p->to,
						     sizeof p->to);
				}
				continue;
			}
			for (;;) { /* everything the socket holds */
				struct sockaddr_in from;
				socklen_t fl = sizeof from;
				ssize_t r = recvfrom(peers[i].fd, buf, sizeof buf,
						     0, (struct sockaddr *)&from,
						     &fl);
				if (r < 0)
					break;
				peers[i].to = from;
				peers[i].have_peer = 1;
			}
		}
	}
}

static int sender(const char *addr, int port, int count)
{
	int *fds = calloc((size_t)count, sizeof *fds);
	struct sockaddr_in to = {.sin_family = AF_INET};
	uint8_t pkt[PACKET];
	struct timespec next;
	uint16_t seq = 0;
	uint32_t ts = 0;

	if (!fds || inet_pton(AF_INET, addr, &to.sin_addr) != 1)
		return 1;
	for (int i = 0; i < count; i++) {
		fds[i] = udp_socket("127.0.0.1", 0);
		if (fds[i] < 0) {
			perror("reflector send: socket");
			return 1;
		}
	}
	memset(pkt + 12, 0x7F, PACKET - 12);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		for (int i = 0; i < count; i++) {
			to.sin_port = htons((uint16_t)(port + i));
			rtp_header(pkt, seq, ts, (uint32_t)i + 1000);
			(void)sendto(fds[i], pkt, PACKET, 0,
				     (struct sockaddr *)&to, sizeof to);
		}
		seq++;
		ts += 160;
		next.tv_nsec += TICK_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
}

int main(int argc, char **argv)
{
	char *end;
	long port, count;

	if (argc != 5) {
		fprintf(stderr, "usage: reflector serve|send ADDR PORT COUNT\n");
		return 2;
	}
	port = strtol(argv[3], &end, 10);
	if (*end || port < 1 || port > 65535)
		return 2;
	count = strtol(argv[4], &end, 10);
	if (*end || count < 1 || port + count > 65536)
		return 2;
	raise_nofile();
	if (strcmp(argv[1], "serve") == 0)
		return serve(argv[2], (int)port, (int)count);
	if (strcmp(argv[1], "send") == 0)
		return sender(argv[2], (int)port, (int)count);
	return 2;
}
