/* server: the SIP thread. libre is not thread-safe, so every libre object
 * is made, used and freed on this one thread; other threads talk to it
 * only through the mqueue (a pipe). The thread owns:
 *  - the UDP and TCP transports on one address (RFC 3261 §18),
 *  - OPTIONS answered 200 for a front proxy's health checks (§11),
 *  - the checks every new INVITE passes before a call exists: the called
 *    number (Request-URI user part) must be a dial-in number, else 404
 *    (§21.4.5); a source cooling off after failed calls gets 403 (§21.4.4),
 *  - the media clock: one timer for all calls and conferences, a frame
 *    every 20 ms, scheduled against a monotonic deadline (next += 20 ms,
 *    armed for next - now) so it does not drift by the handlers' run
 *    time. Each frame: the attendant's audio of the calls not in a
 *    conference, then every conference's mix (room.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sipd_priv.h"

#define SIPD_HASH 32
#define SIPD_WORKERS 2
#define SIPD_SOFTWARE "dialconf"
#define FRAME_MS CODEC_PTIME_MS
#define CLOCK_SLIP_MS 200 /* further behind than this: skip, don't burst */

void sipd_logf(const char *level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	(void)re_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s sip %s\n", level, line);
}

int sipd_ports_parse(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;
	char *end;

	if (!s || s[0] < '0' || s[0] > '9')
		return EINVAL;
	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno || *end != '-' || end[1] < '0' || end[1] > '9')
		return EINVAL;
	b = strtoul(end + 1, &end, 10);
	if (errno || *end || a < 1024 || b > 65535 || a > b)
		return EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* The user part of a URI as a C string ("" when too long). */
static void pl_user(const struct pl *pl, char *out, size_t size)
{
	out[0] = '\0';
	if (pl->l < size)
		(void)pl_strcpy(pl, out, size);
}

static bool options_h(const struct sip_msg *msg, void *arg)
{
	struct sipd *s = arg;

	if (pl_strcmp(&msg->met, "OPTIONS"))
		return false;
	(void)sip_treplyf(NULL, NULL, s->sip, msg, false, 200, "OK",
			  "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO\r\n"
			  "Accept: application/sdp, application/dtmf-relay, "
			  "application/dtmf\r\n"
			  "Content-Length: 0\r\n\r\n");
	return true;
}

/* A new INVITE: the number and abuse checks, then the call. */
static void conn_h(const struct sip_msg *msg, void *arg)
{
	struct sipd *s = arg;
	char user[SIPD_USER_SIZE], dialed[STORE_NUMBER_SIZE];
	char caller[SIPD_USER_SIZE], masked[APP_CALLER_SIZE];
	char source[APP_DIALIN_SOURCE_SIZE];

	pl_user(&msg->uri.user, user, sizeof(user));
	if (app_dialin_number(s->app, user, dialed, sizeof(dialed))) {
		sipd_log("info", "event=refused status=404 reason=not-a-dial-in-number");
		(void)sip_treply(NULL, s->sip, msg, 404, "Not Found");
		return;
	}
	pl_user(&msg->from.uri.user, caller, sizeof(caller));
	app_caller_mask(caller[0] ? caller : "anonymous", masked,
			sizeof(masked));
	/* The source: who the caller says they are, and where they are. */
	(void)re_snprintf(source, sizeof(source), "%s@%j", caller, &msg->src);
	if (app_dialin_refused(s->app, source, (int64_t)time(NULL))) {
		sipd_log("info", "event=refused status=403 caller=%s "
			 "reason=cooling-off", masked);
		(void)sip_treply(NULL, s->sip, msg, 403, "Forbidden");
		return;
	}
	call_incoming(s, msg, dialed, source, masked);
}

static void tick_h(void *arg)
{
	struct sipd *s = arg;
	uint64_t now = tmr_jiffies();
	struct le *le;

	if (now > s->next_frame_ms + CLOCK_SLIP_MS)
		s->next_frame_ms = now;
	while (s->next_frame_ms <= now) {
		for (le = s->calls.head; le;) {
			struct call *c = le->data;

			le = le->next; /* a frame may end the call */
			call_tick(c);
		}
		room_tick_all(s);
		s->next_frame_ms += FRAME_MS;
	}
	tmr_start(&s->tick, s->next_frame_ms - now, tick_h, s);
}

static void mq_h(int id, void *data, void *arg)
{
	struct sipd *s = arg;
	struct sipd_job *job = data;
	struct le *le;

	if (id == SIPD_MQ_STOP) {
		while (s->calls.head)
			call_hangup(s->calls.head->data);
		re_cancel();
		return;
	}
	for (le = s->calls.head; le; le = le->next) {
		if (call_key(le->data) == job->call_key) {
			call_job_done(le->data, job);
			break;
		}
	}
	sipd_job_free(job);
}

static int setup(struct sipd *s)
{
	struct sa dns;
	int err;

	err = sa_set_str(&dns, "127.0.0.1", 53);
	if (!err)
		err = dnsc_alloc(&s->dnsc, NULL, &dns, 1);
	if (!err)
		err = sip_alloc(&s->sip, s->dnsc, SIPD_HASH, SIPD_HASH,
				SIPD_HASH, SIPD_SOFTWARE, NULL, NULL);
	if (!err)
		err = sip_transp_add(s->sip, SIP_TRANSP_UDP, &s->laddr);
	if (!err)
		err = sip_transp_add(s->sip, SIP_TRANSP_TCP, &s->laddr);
	if (!err)
		err = sipsess_listen(&s->sock, s->sip, SIPD_HASH, conn_h, s);
	if (!err)
		err = sip_listen(&s->lsnr, s->sip, true, options_h, s);
	if (!err)
		err = mqueue_alloc(&s->mq, mq_h, s);
	if (err)
		return err;
	s->next_frame_ms = tmr_jiffies() + FRAME_MS;
	tmr_start(&s->tick, FRAME_MS, tick_h, s);
	return 0;
}

static void teardown(struct sipd *s)
{
	while (s->calls.head)
		call_hangup(s->calls.head->data);
	room_flush(s); /* empty by now: each call left its conference */
	tmr_cancel(&s->tick);
	work_stop(s->work); /* no call is left to submit more */
	s->work = NULL;
	s->lsnr = mem_deref(s->lsnr);
	s->sock = mem_deref(s->sock);
	if (s->sip)
		sip_close(s->sip, true);
	s->sip = mem_deref(s->sip);
	s->dnsc = mem_deref(s->dnsc);
	s->mq = mem_deref(s->mq);
}

static void started(struct sipd *s, int err)
{
	pthread_mutex_lock(&s->mtx);
	s->start_err = err;
	s->ready = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mtx);
}

static void *thread_main(void *arg)
{
	struct sipd *s = arg;
	int err;

	err = libre_init();
	if (!err)
		err = setup(s);
	if (err) { /* all cleaned up before the starter hears of it */
		teardown(s);
		libre_close();
		started(s, err);
		return NULL;
	}
	started(s, 0);
	sipd_log("info", "event=listening addr=%J transports=udp,tcp",
		 &s->laddr);
	(void)re_main(NULL); /* signals stay with main (sigwait) */
	teardown(s);
	libre_close();
	return NULL;
}

static int load_prompts(struct sipd *s, char *why, size_t whysize)
{
	const char *names[SIPD_PROMPT_COUNT];
	char path[512] = "";
	size_t i;
	int err;

	for (i = 0; i < ATT_PROMPT_COUNT; i++)
		names[i] = attendant_prompt_name((enum att_prompt)i);
	names[SIPD_PROMPT_MUTED] = "muted";
	names[SIPD_PROMPT_UNMUTED] = "unmuted";
	names[SIPD_PROMPT_FULL] = "conference-full";
	err = prompt_set_load(&s->prompts, s->opts.prompts_dir, names,
			      SIPD_PROMPT_COUNT, path, sizeof(path));
	if (err)
		snprintf(why, whysize, "cannot load prompt %s: %s", path,
			 strerror(err));
	return err;
}

int sipd_start(struct sipd **sp, struct app *a, const struct sipd_opts *o,
	       char *why, size_t whysize)
{
	struct sipd *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->app = a;
	s->opts = *o;
	pthread_mutex_init(&s->mtx, NULL);
	pthread_cond_init(&s->cond, NULL);
	list_init(&s->calls);
	list_init(&s->confs);
	if (sa_decode(&s->laddr, o->addr, strlen(o->addr)) ||
	    !sa_port(&s->laddr)) {
		snprintf(why, whysize, "--sip wants ADDR:PORT, not '%s'",
			 o->addr);
		err = EINVAL;
		goto out;
	}
	err = load_prompts(s, why, whysize);
	if (err)
		goto out;
	err = work_start(&s->work, s, SIPD_WORKERS);
	if (err) {
		snprintf(why, whysize, "cannot start workers: %s",
			 strerror(err));
		goto out;
	}
	err = pthread_create(&s->thread, NULL, thread_main, s);
	if (err)
		goto out;
	s->thread_started = true;
	pthread_mutex_lock(&s->mtx);
	while (!s->ready)
		pthread_cond_wait(&s->cond, &s->mtx);
	err = s->start_err;
	pthread_mutex_unlock(&s->mtx);
	if (err) {
		snprintf(why, whysize, "cannot listen on %s: %s", o->addr,
			 strerror(err));
		goto out;
	}
 out:
	if (err) {
		sipd_stop(s);
		return err;
	}
	*sp = s;
	return 0;
}

void sipd_stop(struct sipd *s)
{
	if (!s)
		return;
	/* The SIP thread stops the workers itself (teardown), while the
	 * mqueue their results go through is still there. */
	if (s->thread_started) {
		if (s->mq)
			(void)mqueue_push(s->mq, SIPD_MQ_STOP, NULL);
		pthread_join(s->thread, NULL);
	}
	else {
		work_stop(s->work);
	}
	prompt_set_free(s->prompts);
	pthread_mutex_destroy(&s->mtx);
	pthread_cond_destroy(&s->cond);
	free(s);
}
