/* sipd: the SIP side of `dialconf serve` (SPEC §6): SIP over UDP and TCP
 * with libre, one thread running re_main for signalling, RTP and the
 * 20 ms media clock, and a small worker pool for what may block (database
 * look-ups, argon2 PIN checks). Each call runs the auto attendant of
 * core/attendant.h. Nothing outside this folder sees libre. */
#ifndef DIALCONF_SIP_SIPD_H
#define DIALCONF_SIP_SIPD_H

#include <stddef.h>
#include <stdint.h>

struct app;

struct sipd_opts {
	const char *addr;        /* "127.0.0.1:5060": UDP and TCP */
	uint16_t rtp_min;        /* RTP ports, inclusive */
	uint16_t rtp_max;
	const char *prompts_dir; /* its `languages` file, and each language's
				  * NAME.ulaw files */
	int rt_priority;         /* SCHED_FIFO priority of the SIP and media
				  * thread, 1-99; 0: normal scheduling */
};

struct sipd;

/* Parse "LOW-HIGH" (1024-65535, LOW <= HIGH). 0 or EINVAL. */
int sipd_ports_parse(const char *s, uint16_t *lo, uint16_t *hi);

/* Load the prompts, start the SIP thread and bind UDP and TCP, serving
 * nothing yet (what comes early waits in the sockets' queues): `serve`
 * holds every port before it creates anything. 0 or an errno, with the
 * reason in why. */
int sipd_listen(struct sipd **sp, const struct sipd_opts *o, char *why,
		size_t whysize);
/* The languages whose prompts sipd_listen loaded, comma-separated in the
 * languages file's order ("en-US,fr-FR"): what a dial-in number may
 * name (app_prompt_languages_set). Lives as long as s. */
const char *sipd_languages(const struct sipd *s);
/* Serve calls of a on what sipd_listen bound. 0 or an errno, with the
 * reason in why. */
int sipd_start(struct sipd *s, struct app *a, char *why, size_t whysize);
/* Hang up every call (BYE) and stop the thread. NULL is fine. */
void sipd_stop(struct sipd *s);

#endif
