/* sipd_priv: what the files of src/sip/ share. server.c owns the thread,
 * the transports, the media clock and the call list; call.c one call
 * (SDP, RTP, DTMF, the attendant, joining and leaving the mix); room.c the
 * live conferences, one mixer each; rtpmux.c every call's RTP on one
 * socket; work.c the worker pool. Everything
 * here runs on the SIP thread unless it says otherwise. */
#ifndef DIALCONF_SIP_SIPD_PRIV_H
#define DIALCONF_SIP_SIPD_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <re.h>

#include "app/app.h"
#include "core/attendant.h"
#include "core/log.h"
#include "media/codec.h"
#include "media/mixer.h"
#include "media/prompt.h"
#include "sip/sipd.h"

#define SIPD_USER_SIZE 64
#define SIPD_ADDR_SIZE 64

/* One log line per event: "level sip key=value ..." through core/log,
 * level a LOG_* of core/log.h; nothing is formatted when the level is
 * off. Never a PIN, never a full caller number. */
#define sipd_log(level, ...)                                            \
	do {                                                            \
		if (log_on(level))                                      \
			sipd_logf((level), __VA_ARGS__);                \
	} while (0)
/* Format with libre's re_vsnprintf (%j an address, %J address and port,
 * %r a struct pl) and hand the line to core/log. */
void sipd_logf(enum log_level level, const char *fmt, ...);

struct work;
struct rtpmux;

/* Prompts beyond the attendant's, in the same set: index = the enum. */
enum sipd_prompt {
	SIPD_PROMPT_MUTED = ATT_PROMPT_COUNT,
	SIPD_PROMPT_UNMUTED,
	/* "for <this language> press N": language-menu-N, N = 1.. */
	SIPD_PROMPT_MENU_1,
	SIPD_PROMPT_MENU_LAST = SIPD_PROMPT_MENU_1 + ATT_LANGUAGES_MAX - 1,
	SIPD_PROMPT_COUNT,
};

struct sipd {
	struct app *app;
	struct sipd_opts opts;
	struct sa laddr;
	struct prompt_lib *prompts; /* a set per language, the default first */

	pthread_t thread;
	bool thread_started;
	pthread_mutex_t mtx;   /* start handshake */
	pthread_cond_t cond;
	bool ready;     /* the thread has bound (or failed: start_err) */
	int start_err;
	bool go;        /* sipd_start: serve calls */
	bool abort;     /* sipd_stop before sipd_start: end unserved */

	/* libre objects: SIP thread only. */
	struct dnsc *dnsc;
	struct sip *sip;
	struct sipsess_sock *sock;
	struct sip_lsnr *lsnr;
	struct mqueue *mq;
	struct tmr tick;
	uint64_t next_frame_ms; /* media clock: when the next frame is due */
	struct list calls;
	struct list confs;      /* struct room: conferences with someone in */
	uint64_t next_key;
	struct tmr second;      /* housekeeping, once a second */
	struct hash *rates;     /* struct src_rate: new calls per source */
	struct hash *denies;    /* struct deny: refusals kept a moment */
	/* The limits, as a worker last read them (SIP thread only). */
	struct app_dialin_limits lim;
	bool lim_pending;       /* a LIMITS job is out */

	struct rtpmux *mux;     /* every call's RTP, one socket */
	struct work *work;
	int max_fds;            /* RLIMIT_NOFILE, raised to its hard limit */
};

/* mqueue message ids. */
enum { SIPD_MQ_STOP = 1, SIPD_MQ_RESULT = 2, SIPD_MQ_CONTROL = 3 };

/* A job for the worker pool and, filled in, its result: every question
 * that needs the database, so the SIP thread never waits on it. */
enum sipd_job_kind {
	SIPD_JOB_ADMIT,   /* a new INVITE: dial-in number? source refused? */
	SIPD_JOB_RESOLVE, /* the typed ID */
	SIPD_JOB_PIN,     /* the typed PIN for target */
	SIPD_JOB_RECHECK, /* does target still work? */
	SIPD_JOB_LIMITS,  /* read the limits (no call) */
	SIPD_JOB_PURGE,   /* forget the guard's old counters (no call) */
	SIPD_JOB_HOME,    /* where is target's home? (and sign a leg there) */
	SIPD_JOB_UNHOME,  /* let go of target's home (no call) */
	SIPD_JOB_LEG,     /* an inter-node leg's INVITE: may it join here? */
};

/* An inter-node leg's credentials (leg.c): what the caller's node signs,
 * what the home checks. */
struct leg_in {
	char role[APP_HOME_ROLE_SIZE];   /* organizer|participant|lobby */
	char confid[APP_CONFID_SIZE];
	int64_t ts;
	char mac[APP_HOME_AUTH_SIZE];
};

struct sipd_job {
	enum sipd_job_kind kind;
	uint64_t call_key;
	bool poll;                    /* RECHECK: the periodic one */
	char digits[ATT_DIGITS_SIZE]; /* ID or PIN: wiped when done */
	char user[SIPD_USER_SIZE];    /* ADMIT: the Request-URI user part */
	/* the guard's and the audit log's view of the call */
	char source[APP_DIALIN_SOURCE_SIZE];
	char caller[APP_CALLER_SIZE];
	char dialed[APP_NUMBER_SIZE];
	char address[SIPD_ADDR_SIZE];
	struct app_dialin_target target; /* in for PIN, RECHECK; out RESOLVE */
	/* results */
	int err;
	bool refused;                /* ADMIT */
	/* ADMIT: the dialed number's languages that have prompts, as
	 * indexes into s->prompts, in the number's order; at least the
	 * default (0) */
	uint8_t langs[ATT_LANGUAGES_MAX];
	unsigned nlangs;
	bool blocked;                /* RESOLVE, PIN */
	bool valid;                  /* RECHECK */
	enum app_pin_result pin;     /* PIN */
	struct app_dialin_limits lim; /* LIMITS */
	struct leg_in leg;           /* HOME: role in, signature out; LEG */
	struct app_home home;        /* HOME */
	char conf_user[SIPD_USER_SIZE]; /* HOME: "conf-meeting-42" */
	struct sipd_job *next;
};

/* edge.c: the SIP thread's memory of new calls. edge_rate_ok counts a
 * new call of source and says whether it is within dialinCallRatePerSource;
 * edge_deny keeps a worker's refusal (kind "src" with the source, 403;
 * "num" with the Request-URI user, 404) for a few seconds; edge_denied
 * gives its status, or 0; edge_expire (once a second) forgets the old. */
int edge_init(struct sipd *s);
bool edge_rate_ok(struct sipd *s, const char *source);
void edge_deny(struct sipd *s, const char *kind, const char *what,
	       uint16_t scode);
uint16_t edge_denied(struct sipd *s, const char *kind, const char *what);
void edge_expire(struct sipd *s, uint64_t now_ms);
void edge_close(struct sipd *s);

/* work.c: nthreads threads running jobs; each finished job goes back
 * through s->mq as SIPD_MQ_RESULT. submit is any-thread. */
int work_start(struct work **wp, struct sipd *s, int nthreads);
int work_submit(struct work *w, struct sipd_job *job);
void work_stop(struct work *w);
void sipd_job_free(struct sipd_job *job);

/* room.c: one live conference, keyed like the attendant's target (a
 * personal room by its owner's user id, a meeting by its id), with its
 * mixer. room_get finds it or, with make, allocates it (ENOENT, ENOMEM);
 * room_put frees it once its mixer is empty. */
struct room;
int room_get(struct sipd *s, bool personal, int64_t id, bool make,
	     struct room **cp);
void room_put(struct room *cf);
struct mixer *room_mixer(const struct room *cf);
/* One 20 ms mix of every conference: all the audio work of a tick. */
void room_tick_all(struct sipd *s);
/* Free every conference (the SIP thread is stopping, calls are gone). */
void room_flush(struct sipd *s);
/* Locked: callers who are not the organizer and not in the lobby yet are
 * turned away ("meeting-locked"). Until the conference ends. */
bool room_locked(const struct room *cf);
void room_set_locked(struct room *cf, bool locked);

struct call;

/* ctl.c: live control on the SIP thread. ctl_run carries out what
 * app_calls_send queued (app/control.c checked it against the registry;
 * what changed since is skipped). ctl_lock locks or unlocks conference
 * conf_id and tells its callers; ctl_conference runs a conference action
 * (except lock, unlock) for the calls of conf_id, from (NULL: an admin)
 * excepted. */
void ctl_run(struct sipd *s, const struct app_control *x);
void ctl_lock(struct sipd *s, const char *conf_id, bool locked);
void ctl_conference(struct sipd *s, enum app_control_action action,
		    const char *conf_id, const struct call *from);

/* rtpmux.c: the RTP of every call on one UDP socket, told apart by the
 * packets' source under call.c's strict RTP rules (see the file). alloc
 * binds the first free even port of [lo, hi] on laddr's address (0 or
 * an errno); a leg is one call's: expect gives it the offer's address and
 * the signalling host (again after a re-INVITE: its source is learned
 * anew), recvh gets its packets (as libre's rtp_recv_h), send sends one
 * RTP packet with the leg's SSRC and sequence (0 or an errno, a queued
 * one's failure told by the next send); between hold and flush sends are
 * queued and leave together (sendmmsg). mem_deref frees a leg. */
typedef void (rtpmux_recv_h)(const struct sa *src,
			     const struct rtp_header *hdr, struct mbuf *mb,
			     void *arg);
struct rtpmux_leg;
int rtpmux_alloc(struct rtpmux **mp, const struct sa *laddr, uint16_t lo,
		 uint16_t hi);
uint16_t rtpmux_port(const struct rtpmux *m);
int rtpmux_leg_alloc(struct rtpmux_leg **lp, struct rtpmux *m,
		     rtpmux_recv_h *recvh, void *arg);
void rtpmux_leg_expect(struct rtpmux_leg *l, const struct sa *offer,
		       const struct sa *sig);
int rtpmux_send(struct rtpmux_leg *l, const struct sa *dst, bool marker,
		uint8_t pt, uint32_t ts, const uint8_t *payload, size_t len);
void rtpmux_hold(struct rtpmux *m);
void rtpmux_flush(struct rtpmux *m);

/* fwd.c: a call's leg to a Jitsi room's gateway (Jigasi). audio_h gets
 * the gateway's G.711 payloads for the caller; state_h says once that it
 * answered (0), and once that it is over (an errno: refused, ended,
 * unreachable). fwd_send relays the caller's payloads once answered,
 * when they are in the codec the leg offered.
 * mem_deref ends the leg (BYE or CANCEL), without a state_h. */
struct fwd;
struct fwd_target {
	const char *uri;      /* jitsiJigasiUri */
	const char *room;     /* for the Jitsi-Conference-Room header, or */
	const char *headers;  /* NULL: these, each ending in CRLF */
	const char *caller;   /* masked: Jitsi's display name for us */
	const struct sa *laddr; /* our media address toward the caller */
	enum codec_type codec;  /* the caller's: relayed as it is */
	/* NULL, or the far end's INFO bodies (NUL-terminated, capped) */
	void (*infoh)(const char *body, void *arg);
};
typedef void (fwd_info_h)(const char *body, void *arg);
typedef void (fwd_audio_h)(const uint8_t *g711, size_t len, void *arg);
typedef void (fwd_state_h)(int err, void *arg);
int fwd_start(struct fwd **fp, struct sipd *s, const struct fwd_target *t,
	      fwd_audio_h *audioh, fwd_state_h *stateh, void *arg);
void fwd_send(struct fwd *f, enum codec_type codec, const uint8_t *g711,
	      size_t len);
/* A digit to the far end, as SIP INFO (once answered). */
void fwd_digit(struct fwd *f, char digit);
/* text (a short body of ctype) to the far end, as SIP INFO (once
 * answered). */
void fwd_info(struct fwd *f, const char *ctype, const char *text);

/* leg.c: the inter-node leg to a conference's home, a fwd.c leg with
 * the cluster's headers (leg_start); leg_read takes an incoming one's
 * headers: false when user does not name a conference ("conf-..."). */
struct leg_req {
	const char *home_uri;  /* the home's app_home sip_uri */
	const char *conf_user; /* "conf-meeting-42" */
	struct leg_in in;
	const char *caller;    /* masked */
	const struct sa *laddr;
	enum codec_type codec;
	fwd_info_h *infoh;     /* the home's news of the call */
};
int leg_start(struct fwd **fp, struct sipd *s, const struct leg_req *r,
	      fwd_audio_h *audioh, fwd_state_h *stateh, void *arg);
bool leg_read(const struct sip_msg *msg, const char *user,
	      struct leg_in *in);

/* call.c */
struct call;
/* Who a new call is, as server.c found it. */
struct call_origin {
	const char *user;    /* Request-URI user part: the dialed number */
	const char *source;  /* the guard's source (app_dialin_source) */
	const char *address; /* the packet's IP address */
	const char *caller_masked;
	bool trusted;        /* from a trusted proxy: media may come from
				* another address than the signalling */
	const char *caller_key; /* app_caller_key() of the full caller */
	const struct leg_in *leg; /* an inter-node leg from another node */
};
/* An INVITE outside a dialog that passed the limits of server.c: ring,
 * ask the workers, then answer or reject it. */
void call_incoming(struct sipd *s, const struct sip_msg *msg,
		   const struct call_origin *o);
/* Once a second: RTP inactivity, call duration, revocation polling. */
void call_second(struct call *c, uint64_t now_ms);
/* A control from outside (an admin, the organizer's keys): the event
 * type (ATT_EV_ADMIT, _MUTE, _LOCK, _REMOVE, _END, _ORGANIZER_ARRIVED)
 * with valid, fed to the call's attendant. */
void call_command(struct call *c, enum att_event_type type, bool valid);
/* The conference ID the call resolved ("" none yet, or a Jitsi room's). */
const char *call_conference_id(const struct call *c);
bool call_organizer(const struct call *c);
enum att_state call_state(const struct call *c);
/* The live conference of the call's ID on this node, NULL if none. */
struct room *call_room(const struct call *c);
/* Bridged to its conference's home: ask the home to lock or unlock the
 * conference (true), as an admin asked this node; false when the call is
 * not bridged. */
bool call_home_lock(struct call *c, bool locked);
/* The call's id in the live calls registry (0: none). */
int64_t call_id(const struct call *c);
/* The guard's source of the call, for the per-source limits. */
const char *call_source(const struct call *c);
/* One 20 ms frame out to every established call. */
void call_tick(struct call *c);
/* A worker's answer for this call. */
void call_job_done(struct call *c, struct sipd_job *job);
uint64_t call_key(const struct call *c);
/* Hang up (BYE) and forget the call. */
void call_hangup(struct call *c);
/* The digit of an RFC 4733 telephone-event payload in mb, fed to t (the
 * call's receiver), or 0 when the packet starts no new digit. */
char call_telev_digit(struct telev *t, struct mbuf *mb);
/* The digit of a SIP INFO body (NUL-terminated): "Signal=5" when relay
 * (application/dtmf-relay, where some send 10 and 11 for '*' and '#'),
 * else a bare "5" (application/dtmf). 0 if none. */
char call_info_digit(const char *body, bool relay);

#endif
