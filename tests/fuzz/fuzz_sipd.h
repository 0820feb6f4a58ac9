/* fuzz_sipd: the SIP server a SIP harness sends to: `serve`'s sipd
 * (src/sip/server.c) on a free loopback port with a real app behind it
 * (fuzz_app.h), the dial-in limits raised so that INVITEs get past the
 * per-source refusals to the SDP code, and a client socket. fuzz_sipd_send
 * sends one datagram and then an OPTIONS probe, and returns once the probe
 * is answered: the SIP thread is alive and has handled the datagram (one
 * socket, one thread, in order); a server that stops answering aborts the
 * run, so the input that did it is kept. Header only. */
#ifndef DIALCONF_TESTS_FUZZ_SIPD_H
#define DIALCONF_TESTS_FUZZ_SIPD_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip/sipd.h"
#include "fuzz_app.h"

#define PROBE_TRIES 5
#define PROBE_WAIT_MS 2000

static struct sipd *sipd;
static struct sockaddr_in server;
static int cli_fd = -1;
static unsigned long probe_no;

static void sipd_down(void)
{
	sipd_stop(sipd);
	sipd = NULL;
	if (cli_fd >= 0)
		close(cli_fd);
}

/* A free UDP port on 127.0.0.1 (it may be taken again before the bind:
 * then the set-up fails, loudly). */
static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), port = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static void fuzz_sipd_set_up(void)
{
	static const char *const names[] = {"dialinMaxCallsPerSource",
		"dialinCallRatePerSource", "dialinMaxCallsPerNode"};
	static const char *const values[] = {"100000", "100000", "100000"};
	struct sipd_opts o = {0};
	struct app_err aerr = {""};
	struct sockaddr_in me = {.sin_family = AF_INET};
	char addr[32], why[256] = "";
	int port = 0, tries;

	fuzz_app_open();
	(void)app_settings_set(fuzz_app, "fuzz", names, values, 3, &aerr);
	/* RTP ports of their own, away from the test suites' */
	o.rtp_min = (uint16_t)(50000 + (getpid() % 100) * 100);
	o.rtp_max = (uint16_t)(o.rtp_min + 99);
	o.prompts_dir = DIALCONF_PROMPTS_DIR;
	o.addr = addr;
	/* A UDP port free now may be taken for TCP: try another. */
	for (tries = 0; tries < 20 && !sipd; tries++) {
		port = free_port();
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
		if (port && sipd_listen(&sipd, &o, why, sizeof(why)))
			sipd = NULL;
	}
	if (!sipd || sipd_start(sipd, fuzz_app, why, sizeof(why))) {
		fprintf(stderr, "fuzz_sipd: cannot start the SIP server on %s: "
			"%s\n", addr, why);
		exit(1);
	}
	atexit(sipd_down); /* before fuzz_app_close, which runs after it */
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)port);
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cli_fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (cli_fd < 0 || bind(cli_fd, (struct sockaddr *)&me, sizeof(me))) {
		perror("fuzz_sipd: client socket");
		exit(1);
	}
}

/* Send an OPTIONS and wait for its answer (its branch in the reply). */
static int probe(void)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	char msg[512], branch[48], buf[4096];
	struct pollfd p = {.fd = cli_fd, .events = POLLIN};
	int n, tries;

	getsockname(cli_fd, (struct sockaddr *)&me, &len);
	snprintf(branch, sizeof(branch), "z9hG4bKfuzzprobe%lu", ++probe_no);
	n = snprintf(msg, sizeof(msg),
		"OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:fuzz@127.0.0.1>;tag=probe\r\n"
		"To: <sip:probe@127.0.0.1>\r\n"
		"Call-ID: probe%lu@fuzz\r\n"
		"CSeq: 1 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n",
		ntohs(me.sin_port), branch, probe_no);
	for (tries = 0; tries < PROBE_TRIES; tries++) {
		(void)sendto(cli_fd, msg, (size_t)n, 0,
			     (struct sockaddr *)&server, sizeof(server));
		while (poll(&p, 1, PROBE_WAIT_MS) == 1) {
			ssize_t got = recv(cli_fd, buf, sizeof(buf) - 1, 0);

			if (got <= 0)
				continue;
			buf[got] = '\0';
			if (strstr(buf, branch))
				return 0;
		}
	}
	return -1;
}

/* Send size bytes at data as one datagram, then wait for the probe. */
static void fuzz_sipd_send(const void *data, size_t size)
{
	if (!sipd)
		fuzz_sipd_set_up();
	(void)sendto(cli_fd, data, size, 0, (struct sockaddr *)&server,
		     sizeof(server));
	if (probe()) {
		fprintf(stderr, "fuzz_sipd: the SIP server stopped answering "
			"OPTIONS after this input\n");
		abort();
	}
}

#endif
