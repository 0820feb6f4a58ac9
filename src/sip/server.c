/* server: the SIP thread. libre is not thread-safe, so every libre object
 * is made, used and freed on this one thread; other threads talk to it
 * only through the mqueue (a pipe). The thread owns:
 *  - the UDP and TCP transports on one address (RFC 3261 §18),
 *  - OPTIONS answered 200 for a front proxy's health checks (§11),
 *  - who a new INVITE is from (its source: the packet's address, or
 *    what a trusted proxy says, app_dialin_source) and the limits it
 *    passes before a call exists, all in memory: calls on the node (else
 *    503 with Retry-After, RFC 3261 §21.5.4), calls and new calls per
 *    second of its source (else 403, §21.4.4). The database's questions
 *    (a dial-in number? the source refused by the guard?) go to the
 *    workers from call.c,
 *  - once a second: the limits read again by a worker, the per-source
 *    rates forgotten, and every call's own clock (call_second),
 *  - the media clock: one timer for all calls and conferences, a frame
 *    every 20 ms, scheduled against a monotonic deadline (next += 20 ms,
 *    armed for next - now) so it does not drift by the handlers' run
 *    time. Each frame: the attendant's audio of the calls not in a
 *    conference, then every conference's mix (room.c); the frame's packets
 *    are queued and leave together at its end (rtpmux.c, sendmmsg),
 *  - the one RTP socket of every call (rtpmux.c), bound with the SIP
 *    transports on the first free even port of --rtp-ports. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "app/metrics.h"
#include "sip/sipd_priv.h"

#define SIPD_HASH 32
#define SIPD_WORKERS 4
#define RETRY_AFTER_S 30 /* a full node asks callers to come back then */
#define PURGE_S 60       /* how often the guard's old counters go */
#define FDS_MAX 65536    /* descriptors libre watches at most */
#define SIPD_SOFTWARE "dialconf"
#define FRAME_MS CODEC_PTIME_MS
#define CLOCK_SLIP_MS 200 /* further behind than this: skip, don't burst */

void sipd_logf(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)re_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_text(level, "sip", line);
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

static unsigned calls_of(const struct sipd *s, const char *source)
{
	unsigned n = 0;
	struct le *le;

	for (le = s->calls.head; le; le = le->next)
		n += !strcmp(call_source(le->data), source);
	return n;
}

/* The value of header name (a struct pl) into out, "" if none or too
 * long. */
static void hdr_text(const struct pl *pl, char *out, size_t size)
{
	out[0] = '\0';
	if (pl && pl->p && pl->l < size)
		(void)pl_strcpy(pl, out, size);
}

/* The caller identity the request asserts: P-Asserted-Identity's user
 * part (RFC 3325 §9.1), else From's. Believed only from a trusted proxy. */
static void asserted_caller(const struct sip_msg *msg, char *out, size_t size)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_P_ASSERTED_IDENTITY);
	struct sip_addr addr;

	out[0] = '\0';
	if (h && !sip_addr_decode(&addr, &h->val))
		pl_user(&addr.uri.user, out, size);
	if (!out[0])
		pl_user(&msg->from.uri.user, out, size);
}

/* A refusal before any call exists: stateless (RFC 3261 §8.2.6), so a
 * flood of INVITEs that never ACK leaves no transaction and no timer
 * behind; a lost answer is sent again when the INVITE comes again. */
static void refuse(struct sipd *s, const struct sip_msg *msg, uint16_t scode,
		   const char *masked, const char *why)
{
	metrics_inc(METRICS_DIALIN_REFUSED);
	if (scode != 404 && strcmp(why, "cooling-off"))
		metrics_inc(METRICS_DIALIN_LIMITED);
	sipd_log(LOG_DEBUG, "event=refused status=%u caller=%s reason=%s", scode,
		 masked, why);
	if (scode == 503)
		(void)sip_replyf(s->sip, msg, 503, "Service Unavailable",
				 "Retry-After: %u\r\nContent-Length: 0\r\n\r\n",
				 RETRY_AFTER_S);
	else
		(void)sip_reply(s->sip, msg, scode,
				scode == 404 ? "Not Found" : "Forbidden");
}

/* A new INVITE: who it is from and the limits, then the call. */
static void conn_h(const struct sip_msg *msg, void *arg)
{
	struct sipd *s = arg;
	char user[SIPD_USER_SIZE], caller[SIPD_USER_SIZE];
	char masked[APP_CALLER_SIZE], addr[SIPD_ADDR_SIZE];
	char fwd[SIPD_ADDR_SIZE], source[APP_DIALIN_SOURCE_SIZE];
	char key[APP_CALLER_KEY_SIZE];
	struct call_origin o = {user, source, addr, masked, false, key, NULL};
	struct leg_in leg;

	pl_user(&msg->uri.user, user, sizeof(user));
	(void)re_snprintf(addr, sizeof(addr), "%j", &msg->src);
	hdr_text(sip_msg_xhdr(msg, "X-Dialconf-Source") ?
		 &sip_msg_xhdr(msg, "X-Dialconf-Source")->val : NULL,
		 fwd, sizeof(fwd));
	asserted_caller(msg, caller, sizeof(caller));
	o.trusted = app_dialin_source(&s->lim, addr, fwd, caller, source,
				      sizeof(source));
	app_caller_mask(caller[0] ? caller : "anonymous", masked,
			sizeof(masked));
	if (list_count(&s->calls) >= s->lim.calls_per_node) {
		refuse(s, msg, 503, masked, "node-full");
		return;
	}
	if (edge_denied(s, "src", source)) {
		refuse(s, msg, 403, masked, "cooling-off");
		return;
	}
	/* Another node's caller bridged to a conference homed here: its
	 * signature, not the per-source limits, decides (the workers); a
	 * source whose signature was wrong cools off like a guesser. */
	if (leg_read(msg, user, &leg)) {
		o.leg = &leg;
		call_incoming(s, msg, &o);
		return;
	}
	if (edge_denied(s, "num", user)) {
		refuse(s, msg, 404, masked, "not-a-dial-in-number");
		return;
	}
	if (!edge_rate_ok(s, source)) {
		refuse(s, msg, 403, masked, "source-rate");
		return;
	}
	if (calls_of(s, source) >= s->lim.calls_per_source) {
		refuse(s, msg, 403, masked, "source-calls");
		return;
	}
	app_caller_key(s->app, caller[0] ? caller : "anonymous", key,
		       sizeof(key));
	call_incoming(s, msg, &o);
}

/* A job about no call. 0 or an errno. */
/* From an HTTP thread or the control poller (app_calls_send): a copy to
 * the SIP thread. */
static int control_h(const struct app_control *x, void *arg)
{
	struct sipd *s = arg;
	struct app_control *copy = malloc(sizeof(*copy));
	int err;

	if (!copy)
		return ENOMEM;
	*copy = *x;
	err = mqueue_push(s->mq, SIPD_MQ_CONTROL, copy);
	if (err)
		free(copy);
	return err;
}

static int submit_plain(struct sipd *s, enum sipd_job_kind kind)
{
	struct sipd_job *job = calloc(1, sizeof(*job));
	int err;

	if (!job)
		return ENOMEM;
	job->kind = kind;
	err = work_submit(s->work, job);
	if (err)
		sipd_job_free(job);
	return err;
}

/* Once a second: fresh limits, old rates out, each call's clock. */
static void second_h(void *arg)
{
	struct sipd *s = arg;
	uint64_t now = tmr_jiffies(), sec = now / 1000;
	struct le *le;

	tmr_start(&s->second, 1000, second_h, s);
	edge_expire(s, now);
	if (!s->lim_pending)
		s->lim_pending = !submit_plain(s, SIPD_JOB_LIMITS);
	if (sec % PURGE_S == 0)
		(void)submit_plain(s, SIPD_JOB_PURGE);
	for (le = s->calls.head; le;) {
		struct call *c = le->data;

		le = le->next; /* the second may end the call */
		call_second(c, now);
	}
}

static void tick_h(void *arg)
{
	struct sipd *s = arg;
	uint64_t now = tmr_jiffies();
	struct le *le;

	if (now > s->next_frame_ms + CLOCK_SLIP_MS) {
		metrics_clock_frame((unsigned)(now - s->next_frame_ms));
		s->next_frame_ms = now;
	}
	while (s->next_frame_ms <= now) {
		metrics_clock_frame((unsigned)(now - s->next_frame_ms));
		rtpmux_hold(s->mux); /* the frame's packets leave together */
		for (le = s->calls.head; le;) {
			struct call *c = le->data;

			le = le->next; /* a frame may end the call */
			call_tick(c);
		}
		room_tick_all(s);
		rtpmux_flush(s->mux);
		s->next_frame_ms += FRAME_MS;
	}
	/* From the clock as it is now, not as it was when the tick began:
	 * else every frame is late by the time the last one took to send. */
	now = tmr_jiffies();
	tmr_start(&s->tick, s->next_frame_ms > now ? s->next_frame_ms - now : 0,
		  tick_h, s);
}

/* A home held for a call that ended before the answer came: let go of
 * it (the job goes back as UNHOME). True when job was taken. */
static bool home_orphan(struct sipd *s, struct sipd_job *job)
{
	if (job->err || !job->call_key ||
	    !((job->kind == SIPD_JOB_HOME && job->home.mine) ||
	      job->kind == SIPD_JOB_LEG))
		return false;
	job->kind = SIPD_JOB_UNHOME;
	job->call_key = 0;
	return !work_submit(s->work, job);
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
	if (id == SIPD_MQ_CONTROL) {
		ctl_run(s, data);
		free(data);
		return;
	}
	if (job->kind == SIPD_JOB_LIMITS) {
		s->lim_pending = false;
		if (!job->err)
			s->lim = job->lim;
	}
	for (le = s->calls.head; le && job->call_key; le = le->next) {
		if (call_key(le->data) == job->call_key) {
			call_job_done(le->data, job);
			break;
		}
	}
	if (!le && home_orphan(s, job))
		return;
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
	if (!err)
		err = edge_init(s);
	if (!err)
		err = rtpmux_alloc(&s->mux, &s->laddr, s->opts.rtp_min,
				   s->opts.rtp_max);
	return err;
}

/* The clocks, once there is an app to ask. */
static void clocks_start(struct sipd *s)
{
	s->next_frame_ms = tmr_jiffies() + FRAME_MS;
	tmr_start(&s->tick, FRAME_MS, tick_h, s);
	tmr_start(&s->second, 1000, second_h, s);
}

static void drain_done(void *arg)
{
	(void)arg;
	re_cancel();
}

/* Run the loop once more to read what the workers sent after it stopped
 * (work_stop runs the queued jobs to their end, and their results go
 * through s->mq): each is freed by mq_h, not lost with the queue. Only
 * the queue has a descriptor left by now. */
static void mq_drain(struct sipd *s)
{
	struct tmr t;

	if (!s->mq)
		return;
	tmr_init(&t);
	tmr_start(&t, 0, drain_done, NULL);
	(void)re_main(NULL);
	tmr_cancel(&t);
}

static void teardown(struct sipd *s)
{
	while (s->calls.head)
		call_hangup(s->calls.head->data);
	room_flush(s); /* empty by now: each call left its conference */
	tmr_cancel(&s->tick);
	tmr_cancel(&s->second);
	edge_close(s);
	s->mux = mem_deref(s->mux); /* every call's leg is gone */
	work_stop(s->work); /* no call is left to submit more */
	s->work = NULL;
	s->lsnr = mem_deref(s->lsnr);
	s->sock = mem_deref(s->sock);
	if (s->sip)
		sip_close(s->sip, true);
	s->sip = mem_deref(s->sip);
	s->dnsc = mem_deref(s->dnsc);
	mq_drain(s);
	s->mq = mem_deref(s->mq);
}

static void started(struct sipd *s, int err)
{
	pthread_mutex_lock(&s->mtx);
	s->start_err = err;
	s->ready = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mtx);
}

/* Bound: wait for sipd_start (true) or sipd_stop (false). */
static bool wait_go(struct sipd *s)
{
	bool go;

	pthread_mutex_lock(&s->mtx);
	while (!s->go && !s->abort)
		pthread_cond_wait(&s->cond, &s->mtx);
	go = s->go;
	pthread_mutex_unlock(&s->mtx);
	return go;
}

/* --media-priority: this thread (SIP and the 20 ms media clock) as
 * SCHED_FIFO, so no normal-priority work on the machine (a build, a
 * backup) runs while a frame is due; the kernel's RT throttling keeps a
 * share of each core for the rest. Set here, after the workers started
 * (they are the main thread's and keep normal scheduling). Refused (no
 * CAP_SYS_NICE, an RLIMIT_RTPRIO below it): said in the log, and the node
 * serves at normal priority. */
static void media_realtime(const struct sipd *s)
{
	struct sched_param sp = {.sched_priority = s->opts.rt_priority};
	int err;

	if (!s->opts.rt_priority)
		return;
	err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (err)
		sipd_log(LOG_WARN, "event=media-realtime-refused priority=%d "
			 "reason=%s", sp.sched_priority, strerror(err));
	else
		sipd_log(LOG_INFO, "event=media-realtime policy=fifo "
			 "priority=%d", sp.sched_priority);
}

static void *thread_main(void *arg)
{
	struct sipd *s = arg;
	int err;

	/* Its name in top -H and /proc/PID/task/TID/comm. */
	(void)pthread_setname_np(pthread_self(), "dialconf-sip");
	err = libre_init();
	/* libre watches 1024 descriptors unless told (a call holds about
	 * two): as many as the process may open. */
	if (!err)
		err = fd_setsize(s->max_fds);
	if (!err)
		err = setup(s);
	if (err) { /* all cleaned up before the starter hears of it */
		teardown(s);
		libre_close();
		started(s, err);
		return NULL;
	}
	started(s, 0);
	if (wait_go(s)) {
		media_realtime(s);
		clocks_start(s);
		sipd_log(LOG_INFO, "event=listening addr=%J transports=udp,tcp "
			 "rtp=%u max_fds=%d", &s->laddr, rtpmux_port(s->mux),
			 s->max_fds);
		(void)re_main(NULL); /* signals stay with main (sigwait) */
	}
	teardown(s);
	libre_close();
	return NULL;
}

/* Raise the soft limit on open files to the hard one; the limit now. */
static int raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	/* libre keeps an array of this many entries: stay reasonable. */
	return rl.rlim_cur > FDS_MAX ? FDS_MAX : (int)rl.rlim_cur;
}

/* Every language's prompts, all of them now: a missing one stops serve,
 * not a call. */
static int load_prompts(struct sipd *s, char *why, size_t whysize)
{
	static const char *const menu[ATT_LANGUAGES_MAX] = {
		"language-menu-1", "language-menu-2", "language-menu-3",
		"language-menu-4", "language-menu-5", "language-menu-6",
		"language-menu-7", "language-menu-8", "language-menu-9",
	};
	const char *names[SIPD_PROMPT_COUNT];
	char reason[1024] = "";
	size_t i;
	int err;

	for (i = 0; i < ATT_PROMPT_COUNT; i++)
		names[i] = attendant_prompt_name((enum att_prompt)i);
	names[SIPD_PROMPT_MUTED] = "muted";
	names[SIPD_PROMPT_UNMUTED] = "unmuted";
	for (i = 0; i < ATT_LANGUAGES_MAX; i++)
		names[SIPD_PROMPT_MENU_1 + i] = menu[i];
	err = prompt_lib_load(&s->prompts, s->opts.prompts_dir, names,
			      SIPD_PROMPT_COUNT, reason, sizeof(reason));
	if (err)
		snprintf(why, whysize, "cannot load the prompts: %s",
			 reason[0] ? reason : strerror(err));
	return err;
}

const char *sipd_languages(const struct sipd *s)
{
	return prompt_lib_tags(s->prompts);
}

int sipd_listen(struct sipd **sp, const struct sipd_opts *o, char *why,
		size_t whysize)
{
	struct sipd *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->opts = *o;
	s->max_fds = raise_fd_limit();
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

/* Where other nodes reach this one's conferences: the SIP address, or
 * the loopback one when bound to every address (one machine). */
static int home_start(struct sipd *s, struct app *a)
{
	char uri[APP_HOME_URI_SIZE];
	struct sa addr = s->laddr;

	if (sa_is_any(&addr))
		(void)sa_set_str(&addr, "127.0.0.1", sa_port(&s->laddr));
	if (re_snprintf(uri, sizeof(uri), "sip:%J", &addr) < 0)
		return ENAMETOOLONG;
	return app_home_start(a, uri);
}

int sipd_start(struct sipd *s, struct app *a, char *why, size_t whysize)
{
	int err;

	if (!s || !a || s->app)
		return EINVAL;
	(void)app_dialin_limits(a, &s->lim); /* defaults where it fails */
	err = work_start(&s->work, s, SIPD_WORKERS);
	if (err) {
		snprintf(why, whysize, "cannot start workers: %s",
			 strerror(err));
		return err;
	}
	s->app = a;
	err = home_start(s, a);
	if (err) {
		snprintf(why, whysize, "cannot start homes: %s",
			 strerror(err));
		return err;
	}
	/* The thread reads app, lim and work only after it sees go. */
	pthread_mutex_lock(&s->mtx);
	s->go = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mtx);
	app_calls_control(a, control_h, s);
	return 0;
}

void sipd_stop(struct sipd *s)
{
	bool go;

	if (!s)
		return;
	if (s->app)
		app_calls_control(s->app, NULL, NULL);
	/* The SIP thread stops the workers itself (teardown), while the
	 * mqueue their results go through is still there. A thread still
	 * waiting for sipd_start ends without serving; one told to go ends
	 * at STOP (its mqueue keeps it until re_main runs). */
	if (s->thread_started) {
		pthread_mutex_lock(&s->mtx);
		go = s->go;
		s->abort = true;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->mtx);
		if (go && s->mq)
			(void)mqueue_push(s->mq, SIPD_MQ_STOP, NULL);
		pthread_join(s->thread, NULL);
	}
	else {
		work_stop(s->work);
	}
	if (s->app)
		app_home_stop(s->app);
	prompt_lib_free(s->prompts);
	pthread_mutex_destroy(&s->mtx);
	pthread_cond_destroy(&s->cond);
	free(s);
}
