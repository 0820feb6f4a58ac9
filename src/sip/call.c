/* call: one dial-in call, from the INVITE to the BYE.
 *
 * Media (RFC 3264 offer/answer over RFC 4566 SDP): the answer carries one
 * G.711 codec, the first of PCMU and PCMA in the caller's order, plus
 * telephone-event when offered. Formats are matched by libre on the
 * static payload type, so an offer of a bare "0" without a=rtpmap works;
 * we look at the negotiated local format, never at the remote name. An
 * offer without G.711 is refused with 488 (RFC 3261 §21.4.26).
 *
 * Digits come as RFC 4733 telephone-events (§2.5: one digit per event,
 * the repeated and end packets of the same event collapsed by libre's
 * telev) or as SIP INFO bodies, application/dtmf-relay ("Signal=5") and
 * application/dtmf ("5"). Both feed the same attendant.
 *
 * In the conference the call is a participant of its
 * conference's mixer (room.c): what it hears comes from the mixer's frame
 * handler instead of the attendant's player, its G.711 payloads go into
 * the mixer's jitter buffer, and the attendant's prompts (help, muted,
 * unmuted) are whispered to it over the mix. Whether the conference is
 * full is the attendant's decision: asked (ATT_ACT_ROOM), this file tells
 * it how many are in (ATT_EV_ROOM), and it joins or says goodbye.
 *
 * The phone edge is hostile (SPEC §6). A new call rings (180) while a
 * worker asks the database whether the number is a dial-in number and
 * the source is not refused; only then is it answered. RTP is taken only
 * from the caller: the first packet from the offer's address (or, when
 * the offer names another host than the signalling one and the call did
 * not come through a trusted proxy, from the signalling host) fixes the
 * media source, and everything from elsewhere is dropped (as strict RTP
 * does); until then nothing is sent to an address the caller's own
 * packets have not come from, so an offer cannot aim our media at a
 * third party. Once a second the call checks its clock: no RTP for
 * dialinRtpTimeoutSeconds, or longer than dialinMaxCallSeconds, ends it;
 * a caller who has not joined yet has its ID checked again, so a reset,
 * a disable or a cancelled meeting on any node reaches it.
 *
 * The prompts are those of the caller's language: the dialed number's
 * first (the ADMIT job brings its languages), until the attendant's menu
 * switches to another (ATT_ACT_LANGUAGE); the menu itself is each other
 * language's "for <language> press N", queued after the welcome.
 *
 * A caller who keys a Jitsi Meet room's ID is not mixed here: the
 * attendant asks for a forward (ATT_ACT_FORWARD) and the call gets a leg
 * to the room's gateway (fwd.c); once it answers, the caller's payloads
 * go out on that leg as they come, and the gateway's come back as this
 * call's frames (relaying), in place of the attendant's player.
 *
 * A call is ended by destroying it from a zero timer, never inside the
 * libre handler that decided it, so no handler sees its call freed, and
 * never inside a mixer tick, so a conference never loses a participant
 * while it mixes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app/metrics.h"
#include "media/player.h"
#include "sip/sipd_priv.h"

#define INFO_BODY_MAX 256
#define ALLOW_HDR "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO\r\n"
/* Consecutive RTP send failures (one a frame) before the call is given
 * up: one second of a peer we cannot reach, not one lost datagram. */
#define TX_FAIL_MAX 50

/* A call's part in a conference homed elsewhere (issue 13, leg.c). */
struct call_home {
	bool incoming;        /* this call is another node's leg to us */
	struct leg_in cred;   /* its credentials (incoming), or ours out */
	bool held;            /* we hold the conference's home (UNHOME) */
	enum att_action_type wait; /* LOBBY or ROOM: deferred for the home;
				    * kept while bridged, for a failover */
	bool asked;           /* a HOME job is out */
	bool waiting;         /* wait is set */
	struct fwd *leg;      /* our leg to the home */
	bool bridged;         /* it answered: audio flows both ways */
	bool end_call;        /* the home hung up: so do we */
	uint64_t rx_ms;       /* the home's last audio */
	char node[APP_NODE_SIZE];  /* the home we are bridged to */
	char dead[APP_NODE_SIZE];  /* a home that stopped answering */
	uint64_t give_up_ms;  /* failing over until then, 0: not */
	struct tmr tmr;
	char sent_state[APP_CALL_STATE_SIZE]; /* incoming: told its node */
	bool sent_muted;
};

struct call {
	struct le le;
	struct sipd *s;
	uint64_t key;
	struct sipsess *sess;
	struct sdp_session *sdp;
	struct sdp_media *sm;
	struct sdp_format *f_pcmu, *f_pcma, *f_tel;
	struct rtpmux_leg *rtp; /* on the node's one RTP socket */
	struct telev *telev;
	uint32_t info_cseq;  /* CSeq of the last INFO whose digit was taken */
	bool info_taken;     /* info_cseq is set */
	struct sa raddr;
	enum codec_type codec;
	int pt_tel;          /* -1: no telephone-event */
	uint32_t ts;
	bool marker;
	bool established;
	bool ending;
	bool trusted;        /* came through a trusted proxy */
	bool media_locked;   /* media_src is the caller's RTP source */
	bool recheck_out;    /* a periodic RECHECK job is out */
	struct sa sig_addr;  /* where the INVITE came from */
	struct sa media_src;
	uint64_t last_rx_ms; /* the last RTP packet from the caller */
	uint64_t answered_ms;
	bool arrived;        /* organizer present when we entered the lobby */
	struct attendant *att;
	struct player *pl;
	const struct prompt_set *ps; /* the prompts in the caller's language */
	uint8_t langs[ATT_LANGUAGES_MAX]; /* the number's, as s->prompts sets */
	unsigned nlangs;
	struct sa laddr;          /* our media address toward the caller */
	struct fwd *fwd;          /* sent on to a Jitsi room's gateway */
	bool relaying;            /* the gateway answered: audio flows */
	struct room *conf;        /* in the conference: its mix, and */
	struct mixer_part *mp;    /* our place in it */
	bool tones;               /* entry/exit tones (from the ID's look-up) */
	bool room_asked;          /* the attendant asked how many are in */
	unsigned tx_fail;         /* RTP sends failed in a row */
	struct tmr att_tmr;
	struct tmr end_tmr;
	struct app_dialin_target target;
	struct app_call reg;
	struct app_call reg_pub; /* reg as the registry last got it */
	char source[APP_DIALIN_SOURCE_SIZE];
	char address[SIPD_ADDR_SIZE];
	char user[SIPD_USER_SIZE]; /* the Request-URI user, until admitted */
	int64_t submit_us;   /* when the last ID went to the workers */
	struct call_home home; /* issue 13: the conference's home (leg.c) */
};

static void call_event(struct call *c, const struct att_event *ev);
static void admitted(struct call *c, const struct sipd_job *job);
static void leg_admitted(struct call *c, const struct sipd_job *job);
static bool home_defer(struct call *c, enum att_action_type kind);
static void home_homed(struct call *c, const struct sipd_job *job);
static void home_free(struct call *c);
static void lobby_enter(struct call *c);
static bool home_digit(struct call *c, char d);
static bool home_second(struct call *c, uint64_t now_ms);
static bool home_tick(struct call *c);
static void home_sync(struct call *c);
static void room_answer(struct call *c);

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Out of the mix; the others hear the exit tone. Never during a tick. */
static void conf_leave(struct call *c)
{
	int16_t tone[MIXER_TONE_SAMPLES];
	struct mixer *m;

	if (!c->mp)
		return;
	m = room_mixer(c->conf);
	mixer_part_remove(c->mp);
	c->mp = NULL;
	if (c->tones && mixer_count(m) &&
	    mixer_tone(MIXER_TONE_EXIT, tone, MIXER_TONE_SAMPLES))
		(void)mixer_announce(m, tone, MIXER_TONE_SAMPLES);
	sipd_log(LOG_DEBUG, "event=conference-leave call=%lld participants=%zu",
		 (long long)c->reg.id, mixer_count(m));
	room_put(c->conf);
	c->conf = NULL;
}

static void destructor(void *arg)
{
	struct call *c = arg;

	conf_leave(c);
	list_unlink(&c->le);
	tmr_cancel(&c->att_tmr);
	tmr_cancel(&c->end_tmr);
	if (c->reg.id)
		app_call_remove(c->s->app, c->reg.id);
	mem_deref(c->fwd); /* BYE (or CANCEL) to the gateway first */
	home_free(c);
	mem_deref(c->sess); /* sends BYE unless the peer ended it */
	mem_deref(c->rtp);
	mem_deref(c->sdp);
	mem_deref(c->telev);
	attendant_free(c->att);
	player_free(c->pl);
}

uint64_t call_key(const struct call *c)
{
	return c->key;
}

void call_hangup(struct call *c)
{
	mem_deref(c);
}

static void end_h(void *arg)
{
	struct call *c = arg;

	sipd_log(LOG_DEBUG, "event=end call=%lld", (long long)c->reg.id);
	mem_deref(c);
}

/* End the call once the handler at hand has returned. */
static void call_end(struct call *c)
{
	if (c->ending)
		return;
	c->ending = true;
	tmr_start(&c->end_tmr, 0, end_h, c);
}

static bool same_conf(const struct call *a, const struct call *b)
{
	if (!a->target.valid || !b->target.valid ||
	    a->target.personal != b->target.personal)
		return false;
	return a->target.personal ? a->target.user_id == b->target.user_id
				  : a->target.meeting_id == b->target.meeting_id;
}

static bool organizer_present(const struct call *c)
{
	struct le *le;

	for (le = c->s->calls.head; le; le = le->next) {
		const struct call *o = le->data;

		if (o != c && !o->ending && same_conf(c, o) &&
		    attendant_state(o->att) == ATT_S_JOINED &&
		    attendant_organizer(o->att))
			return true;
	}
	return false;
}

/* The organizer is in: whoever waits in this conference's lobby joins. */
static void lobby_release(const struct call *org)
{
	struct att_event ev = {.type = ATT_EV_ORGANIZER_ARRIVED};
	struct le *le;

	for (le = org->s->calls.head; le; le = le->next) {
		struct call *o = le->data;

		if (o != org && !o->ending && same_conf(org, o) &&
		    attendant_state(o->att) == ATT_S_LOBBY)
			call_event(o, &ev);
	}
}

/* Publish c->reg if it changed since last time (the actions of an event
 * may have changed it before this runs, so compare with what was sent). */
static void registry_sync(struct call *c)
{
	enum att_state st = attendant_state(c->att);

	/* A caller turned away from a full conference never was in it: the
	 * list keeps what it was before the attendant's goodbye. */
	if (st != ATT_S_ENDING && st != ATT_S_DONE && st != ATT_S_IDLE &&
	    st != ATT_S_ENTERING && !c->home.leg) /* bridged: the home's */
		snprintf(c->reg.state, sizeof(c->reg.state), "%s",
			 attendant_state_name(st));
	if (c->target.valid) {
		snprintf(c->reg.conference_id, sizeof(c->reg.conference_id),
			 "%s", c->target.conference_id);
		c->reg.user_id = c->target.user_id;
		c->reg.meeting_id = c->target.meeting_id;
	}
	c->reg.locked = call_room(c) && room_locked(call_room(c));
	if (c->reg.id && memcmp(&c->reg_pub, &c->reg, sizeof(c->reg))) {
		(void)app_call_update(c->s->app, &c->reg);
		c->reg_pub = c->reg;
	}
	home_sync(c);
}

/* A job for the workers about c, with what the guard and the audit log
 * need to know of the call. */
static struct sipd_job *job_new(struct call *c, enum sipd_job_kind kind,
				const char *digits)
{
	struct sipd_job *job = calloc(1, sizeof(*job));

	if (!job)
		return NULL;
	job->kind = kind;
	job->call_key = c->key;
	snprintf(job->digits, sizeof(job->digits), "%s", digits ? digits : "");
	snprintf(job->user, sizeof(job->user), "%s", c->user);
	job->target = c->target;
	snprintf(job->source, sizeof(job->source), "%s", c->source);
	snprintf(job->caller, sizeof(job->caller), "%s", c->reg.caller);
	snprintf(job->dialed, sizeof(job->dialed), "%s", c->reg.dialed);
	snprintf(job->address, sizeof(job->address), "%s", c->address);
	job->leg = c->home.cred;
	return job;
}

/* Hand job to the workers; a call that cannot ask cannot go on. */
static bool job_send(struct call *c, struct sipd_job *job)
{
	if (job && !work_submit(c->s->work, job))
		return true;
	sipd_job_free(job);
	call_end(c);
	return false;
}

static void submit(struct call *c, enum sipd_job_kind kind,
		   const char *digits)
{
	if (kind == SIPD_JOB_RESOLVE)
		c->submit_us = mono_us();
	(void)job_send(c, job_new(c, kind, digits));
}

static void att_tmr_h(void *arg)
{
	struct att_event ev = {.type = ATT_EV_TIMEOUT};

	call_event(arg, &ev);
}

/* A prompt (enum att_prompt or enum sipd_prompt): over the mix to this
 * caller alone when in the conference, else from the player. */
static void play(struct call *c, size_t p)
{
	const int16_t *pcm;
	size_t n;

	if (prompt_get(c->ps, p, &pcm, &n))
		return;
	if (c->mp)
		(void)mixer_part_whisper(c->mp, pcm, n);
	else
		player_play(c->pl, pcm, n);
}

/* One RTP packet of len G.711 bytes, the call's own sequence and
 * timestamp (RFC 3550 §5.1: ts advances one per sample). */
static int send_frame(struct call *c, const uint8_t *g711, size_t len)
{
	int err = 0;

	if (!c->media_locked && !sa_cmp(&c->raddr, &c->sig_addr, SA_ADDR) &&
	    !c->trusted)
		goto out; /* not to a host the caller has not sent from */
	err = rtpmux_send(c->rtp, &c->raddr, c->marker,
			  (uint8_t)codec_pt(c->codec), c->ts, g711, len);
 out:
	c->marker = false;
	c->ts += (uint32_t)len;
	return err;
}

/* The mixer's frame handler, inside mixer_tick: send, nothing else. A
 * peer we keep failing to reach is hung up from a zero timer. */
static void frame_h(struct mixer_part *p, const uint8_t *frame, size_t len,
		    void *arg)
{
	struct call *c = arg;

	(void)p;
	if (!c->established || c->ending)
		return;
	if (!send_frame(c, frame, len)) {
		c->tx_fail = 0;
		return;
	}
	if (++c->tx_fail == TX_FAIL_MAX) {
		sipd_log(LOG_WARN, "event=rtp-send-failed call=%lld",
			 (long long)c->reg.id);
		call_end(c);
	}
}

/* The conference's key: the owner of a personal room, or the meeting. */
static int64_t conf_id_of(const struct call *c)
{
	return c->target.personal ? c->target.user_id : c->target.meeting_id;
}

/* How many are in the call's conference on this node now: the fact the
 * attendant decides "full" on (ATT_EV_ROOM). */
static unsigned room_count(struct call *c)
{
	struct room *cf;

	if (room_get(c->s, c->target.personal, conf_id_of(c), false, &cf))
		return 0;
	return (unsigned)mixer_count(room_mixer(cf));
}

/* Into the conference's mix (made if we are the first). */
static void conf_join(struct call *c)
{
	int16_t tone[MIXER_TONE_SAMPLES];
	struct mixer *m;
	struct room *cf;
	const int16_t *pcm;
	size_t n;
	int err;

	err = room_get(c->s, c->target.personal, conf_id_of(c), true, &cf);
	if (err) {
		sipd_log(LOG_WARN, "event=join-failed call=%lld err=%d",
			 (long long)c->reg.id, err);
		call_end(c);
		return;
	}
	m = room_mixer(cf);
	err = mixer_part_add(m, c->codec, frame_h, c, &c->mp);
	if (err) {
		sipd_log(LOG_WARN, "event=join-failed call=%lld err=%d",
			 (long long)c->reg.id, err);
		room_put(cf);
		call_end(c);
		return;
	}
	c->conf = cf;
	/* The attendant has just started "joining" on the player; the mix
	 * carries the call's audio from now on, so the prompt moves there. */
	player_stop(c->pl);
	if (!c->home.dead[0] && /* not again after a failover */
	    !prompt_get(c->ps, ATT_PROMPT_JOINING, &pcm, &n))
		(void)mixer_part_whisper(c->mp, pcm, n);
	if (c->tones && mixer_count(m) > 1 &&
	    mixer_tone(MIXER_TONE_ENTRY, tone, MIXER_TONE_SAMPLES))
		(void)mixer_announce(m, tone, MIXER_TONE_SAMPLES);
	metrics_inc(METRICS_CONFERENCE_JOINS);
	sipd_log(LOG_DEBUG, "event=conference-join call=%lld participants=%zu",
		 (long long)c->reg.id, mixer_count(m));
}

/* A re-INVITE changed the codec: take our place again in the new one. */
static void conf_recodec(struct call *c)
{
	struct mixer *m;
	bool muted;

	if (!c->mp || mixer_part_codec(c->mp) == c->codec)
		return;
	m = room_mixer(c->conf);
	muted = mixer_part_muted(c->mp);
	mixer_part_remove(c->mp);
	c->mp = NULL;
	if (mixer_part_add(m, c->codec, frame_h, c, &c->mp)) {
		room_put(c->conf);
		c->conf = NULL;
		call_end(c);
		return;
	}
	mixer_part_set_muted(c->mp, muted);
}

/* The gateway's audio, relayed to the caller as our own frames. */
static void fwd_audio(const uint8_t *g711, size_t len, void *arg)
{
	struct call *c = arg;

	if (c->established && !c->ending)
		(void)send_frame(c, g711, len);
}

/* The gateway answered (0): audio flows both ways from now on. Refused
 * before that: the attendant says goodbye. Ended after: so is the call. */
static void fwd_state(int err, void *arg)
{
	struct att_event failed = {.type = ATT_EV_FORWARD_FAILED};
	struct call *c = arg;
	bool was = c->relaying;

	c->relaying = !err;
	if (!err) {
		player_stop(c->pl);
		c->marker = true;
		return;
	}
	sipd_log(LOG_INFO, "event=forward-ended call=%lld answered=%d err=%d",
		 (long long)c->reg.id, was, err);
	if (was)
		call_end(c);
	else
		call_event(c, &failed);
}

static void forward_start(struct call *c)
{
	struct fwd_target t = {
		.uri = c->target.jigasi_uri, .room = c->target.jitsi_room,
		.caller = c->reg.caller, .laddr = &c->laddr,
		.codec = c->codec,
	};
	struct att_event failed = {.type = ATT_EV_FORWARD_FAILED};
	int err;

	err = fwd_start(&c->fwd, c->s, &t, fwd_audio, fwd_state, c);
	if (!err)
		return;
	sipd_log(LOG_WARN, "event=forward-failed call=%lld err=%d",
		 (long long)c->reg.id, err);
	call_event(c, &failed);
}

/* The language menu's entry for the number's language i, in it, after
 * what plays; and the switch to language i. */
static void menu_queue(struct call *c, unsigned i)
{
	const int16_t *pcm;
	size_t n;

	if (i < c->nlangs &&
	    !prompt_get(prompt_lib_set(c->s->prompts, c->langs[i]),
			SIPD_PROMPT_MENU_1 + i, &pcm, &n))
		player_queue(c->pl, pcm, n);
}

static void language_set(struct call *c, unsigned i)
{
	if (i >= c->nlangs)
		return;
	c->ps = prompt_lib_set(c->s->prompts, c->langs[i]);
	sipd_log(LOG_DEBUG, "event=language call=%lld language=%s",
		 (long long)c->reg.id, prompt_lib_tag(c->s->prompts,
						      c->langs[i]));
}

static void lobby_enter(struct call *c)
{
	player_hold(c->pl, true);
	c->arrived = organizer_present(c);
	sipd_log(LOG_DEBUG, "event=lobby call=%lld", (long long)c->reg.id);
}

static void act(struct call *c, const struct att_action *x)
{
	switch (x->type) {
	case ATT_ACT_PLAY:
		play(c, (size_t)x->prompt);
		break;
	case ATT_ACT_STOP_PLAY:
		player_stop(c->pl);
		break;
	case ATT_ACT_TIMER:
		if (x->ms)
			tmr_start(&c->att_tmr, x->ms, att_tmr_h, c);
		else
			tmr_cancel(&c->att_tmr);
		break;
	case ATT_ACT_RESOLVE:
		submit(c, SIPD_JOB_RESOLVE, x->digits);
		break;
	case ATT_ACT_VERIFY_PIN:
		submit(c, SIPD_JOB_PIN, x->digits);
		break;
	case ATT_ACT_LOBBY:
		if (!home_defer(c, x->type))
			lobby_enter(c);
		break;
	case ATT_ACT_JOIN:
		player_hold(c->pl, false);
		sipd_log(LOG_DEBUG, "event=join call=%lld organizer=%d",
			 (long long)c->reg.id, x->organizer);
		conf_join(c);
		if (c->mp && !c->reg.joined_ms)
			c->reg.joined_ms = app_wall_ms();
		break;
	case ATT_ACT_MUTE:
		/* The attendant keeps the state; the mix and the list follow. */
		if (!c->mp)
			break;
		c->reg.muted = x->muted;
		mixer_part_set_muted(c->mp, x->muted);
		play(c, x->muted ? SIPD_PROMPT_MUTED : SIPD_PROMPT_UNMUTED);
		sipd_log(LOG_DEBUG, "event=%s call=%lld",
			 x->muted ? "mute" : "unmute", (long long)c->reg.id);
		break;
	case ATT_ACT_ROOM:
		if (!home_defer(c, x->type))
			c->room_asked = true;
		break;
	case ATT_ACT_RECHECK:
		submit(c, SIPD_JOB_RECHECK, NULL);
		break;
	case ATT_ACT_FORWARD:
		forward_start(c);
		break;
	case ATT_ACT_HANGUP:
		call_end(c);
		break;
	case ATT_ACT_LEAVE: /* the last words come from the player */
		conf_leave(c);
		player_hold(c->pl, false);
		c->fwd = mem_deref(c->fwd);
		c->relaying = false;
		break;
	case ATT_ACT_LOCK:
		ctl_lock(c->s, c->target.conference_id, x->locked);
		break;
	case ATT_ACT_ADMIT_LOBBY:
		ctl_conference(c->s, APP_CONTROL_ADMIT_ALL,
			       c->target.conference_id, c);
		break;
	case ATT_ACT_MUTE_OTHERS:
		ctl_conference(c->s, APP_CONTROL_MUTE_ALL,
			       c->target.conference_id, c);
		break;
	case ATT_ACT_MENU:
		menu_queue(c, x->lang);
		break;
	case ATT_ACT_LANGUAGE:
		language_set(c, x->lang);
		break;
	}
}

/* The call record's outcome, once the attendant says goodbye (or sends
 * the call on): removed, ended or locked out by the goodbye it hears,
 * else by where the caller was: wrong ID, wrong PIN, lobby timeout,
 * conference full, ID revoked. Joined and abandoned are told
 * at the end (app/records.c). */
static const char *outcome_by_prompt(const struct att_action *acts,
				     size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (acts[i].type != ATT_ACT_PLAY)
			continue;
		switch (acts[i].prompt) {
		case ATT_PROMPT_REMOVED:
			return "removed";
		case ATT_PROMPT_MEETING_ENDED:
			return "ended";
		case ATT_PROMPT_MEETING_LOCKED:
			return "locked";
		default:
			break;
		}
	}
	return NULL;
}

static void record_outcome(struct call *c, enum att_state before,
			   const struct att_event *ev,
			   const struct att_action *acts, size_t n)
{
	enum att_state now = attendant_state(c->att);
	const char *o;

	if (now == before || c->reg.outcome[0] ||
	    (now != ATT_S_ENDING && now != ATT_S_FORWARDED))
		return;
	/* What an admin or a lock did says it best, from any state. */
	o = outcome_by_prompt(acts, n);
	if (o) {
		snprintf(c->reg.outcome, sizeof(c->reg.outcome), "%s", o);
		return;
	}
	switch (before) {
	case ATT_S_COLLECT_ID:
	case ATT_S_RESOLVING:
		o = now == ATT_S_FORWARDED ? "forwarded" : "wrong-id";
		break;
	case ATT_S_COLLECT_PIN:
	case ATT_S_VERIFYING:
		o = "wrong-pin";
		break;
	case ATT_S_LOBBY:
		o = ev->type == ATT_EV_TIMEOUT ? "lobby-timeout" : "revoked";
		break;
	case ATT_S_ENTERING:
		o = "full";
		break;
	case ATT_S_FORWARDED:
		o = "forwarded";
		break;
	default:
		o = "revoked";
		break;
	}
	snprintf(c->reg.outcome, sizeof(c->reg.outcome), "%s", o);
}

static void call_event(struct call *c, const struct att_event *ev)
{
	struct att_action acts[ATT_ACTIONS_MAX];
	struct att_event arrived = {.type = ATT_EV_ORGANIZER_ARRIVED};
	enum att_state before = attendant_state(c->att);
	bool was_joined = before == ATT_S_JOINED;
	bool joined_org;
	size_t n = 0, i;

	if (c->ending && ev->type != ATT_EV_HANGUP)
		return;
	if (attendant_handle(c->att, ev, acts, &n))
		return;
	record_outcome(c, before, ev, acts, n);
	for (i = 0; i < n; i++)
		act(c, &acts[i]);
	explicit_bzero(acts, sizeof(acts)); /* may hold a PIN */
	registry_sync(c);
	joined_org = attendant_state(c->att) == ATT_S_JOINED &&
		     attendant_organizer(c->att);
	if (joined_org && !was_joined)
		lobby_release(c);
	if (c->arrived) {
		c->arrived = false;
		call_event(c, &arrived);
	}
	else if (c->room_asked) {
		c->room_asked = false;
		room_answer(c);
	}
}

/* The attendant asked how many are in (ATT_ACT_ROOM): tell it. */
static void room_answer(struct call *c)
{
	struct att_event room = {.type = ATT_EV_ROOM,
				 .participants = room_count(c)};

	if (room.participants >= c->target.max_parts)
		sipd_log(LOG_DEBUG, "event=conference-full call=%lld "
			 "participants=%u", (long long)c->reg.id,
			 room.participants);
	call_event(c, &room);
}

static void resolved(struct call *c, const struct sipd_job *job)
{
	struct att_event ev = {.type = ATT_EV_RESOLVED};

	if (!job->err && job->target.valid) {
		c->target = job->target;
		c->tones = job->target.tones;
	}
	ev.valid = !job->err && job->target.valid;
	ev.bypass = job->target.bypass;
	ev.forward = ev.valid && job->target.jitsi_room[0];
	ev.closed = job->target.closed;
	ev.max_parts = job->target.max_parts;
	ev.blocked = !job->err && job->blocked;
	ev.locked = ev.valid && call_room(c) && room_locked(call_room(c));
	sipd_log(LOG_DEBUG,
		 "event=resolved call=%lld valid=%d blocked=%d us=%lld",
		 (long long)c->reg.id, ev.valid, ev.blocked,
		 (long long)(mono_us() - c->submit_us));
	call_event(c, &ev);
}

static void pin_checked(struct call *c, const struct sipd_job *job)
{
	struct att_event ev = {.type = ATT_EV_PIN_RESULT};

	if (!job->err && job->pin == APP_PIN_REVOKED) {
		ev.type = ATT_EV_REVOKED;
	}
	else {
		ev.valid = !job->err && job->pin == APP_PIN_OK;
		ev.closed = !job->err && job->pin == APP_PIN_CLOSED;
		ev.blocked = !job->err && job->blocked;
	}
	sipd_log(LOG_DEBUG, "event=pin call=%lld valid=%d closed=%d revoked=%d",
		 (long long)c->reg.id, ev.valid, ev.closed,
		 ev.type == ATT_EV_REVOKED);
	call_event(c, &ev);
}

/* A RECHECK's answer: the lobby's last check before the join, or the
 * periodic one, which only ever puts a caller out. A database error
 * keeps a waiting caller waiting; it lets no one in. */
static void rechecked(struct call *c, const struct sipd_job *job)
{
	struct att_event ev = {.type = ATT_EV_RECHECKED};

	if (job->poll) {
		c->recheck_out = false;
		if (job->err || job->valid)
			return;
		ev.type = ATT_EV_REVOKED;
	}
	ev.valid = !job->err && job->valid;
	if (ev.type == ATT_EV_REVOKED || !ev.valid)
		sipd_log(LOG_DEBUG, "event=revoked call=%lld",
			 (long long)c->reg.id);
	call_event(c, &ev);
}

void call_job_done(struct call *c, struct sipd_job *job)
{
	if (job->err && !(job->kind == SIPD_JOB_ADMIT && job->err == ENOENT))
		sipd_log(LOG_WARN, "event=job-failed call=%lld kind=%d err=%d",
			 (long long)c->reg.id, (int)job->kind, job->err);
	if (job->blocked)
		edge_deny(c->s, "src", c->source, 403);
	switch (job->kind) {
	case SIPD_JOB_ADMIT:
		admitted(c, job);
		break;
	case SIPD_JOB_RESOLVE:
		resolved(c, job);
		break;
	case SIPD_JOB_PIN:
		pin_checked(c, job);
		break;
	case SIPD_JOB_RECHECK:
		rechecked(c, job);
		break;
	case SIPD_JOB_HOME:
		home_homed(c, job);
		break;
	case SIPD_JOB_LEG:
		leg_admitted(c, job);
		break;
	case SIPD_JOB_LIMITS:
	case SIPD_JOB_PURGE:
	case SIPD_JOB_UNHOME:
		break;
	}
}

static void call_digit(struct call *c, char d, const char *how)
{
	struct att_event ev = {.type = ATT_EV_DIGIT, .digit = d};

	/* The digit itself is not logged: it may belong to a PIN. */
	sipd_log(LOG_DEBUG, "event=digit call=%lld via=%s",
		 (long long)c->reg.id, how);
	if (home_digit(c, d))
		return;
	call_event(c, &ev);
}

/* The attendant's audio, for a call not in a conference (whose frames
 * come from its mixer). */
void call_tick(struct call *c)
{
	struct att_event ev = {.type = ATT_EV_PROMPT_DONE};
	int16_t pcm[CODEC_FRAME];
	uint8_t g711[CODEC_FRAME];
	bool ended;

	if (!c->established || c->ending || c->mp || c->relaying ||
	    home_tick(c))
		return;
	ended = player_frame(c->pl, pcm);
	codec_encode(c->codec, pcm, g711, CODEC_FRAME);
	(void)send_frame(c, g711, CODEC_FRAME);
	if (ended)
		call_event(c, &ev);
}

/* Strict RTP: is src the caller's media source? The first packet from
 * the offer's address, or from the signalling host, fixes it. */
static bool from_caller(struct call *c, const struct sa *src)
{
	if (c->media_locked)
		return sa_cmp(src, &c->media_src, SA_ALL);
	if (!sa_cmp(src, &c->raddr, SA_ALL) &&
	    !sa_cmp(src, &c->sig_addr, SA_ADDR))
		return false;
	c->media_src = *src;
	c->raddr = *src; /* symmetric RTP (RFC 4961): answer where it comes from */
	c->media_locked = true;
	return true;
}

/* The caller's voice (the negotiated G.711 payload type) goes to the mix
 * once in the conference; RFC 4733 events to the attendant. */
static void rtp_h(const struct sa *src, const struct rtp_header *hdr,
		  struct mbuf *mb, void *arg)
{
	struct call *c = arg;
	char d;

	if (!from_caller(c, src))
		return;
	c->last_rx_ms = tmr_jiffies();
	if (hdr->pt == codec_pt(c->codec)) {
		if (c->relaying)
			fwd_send(c->fwd, c->codec, mbuf_buf(mb),
				 mbuf_get_left(mb));
		else if (c->home.bridged)
			fwd_send(c->home.leg, c->codec, mbuf_buf(mb),
				 mbuf_get_left(mb));
		else if (c->mp)
			(void)mixer_part_put(c->mp, hdr->seq, mbuf_buf(mb),
					     mbuf_get_left(mb));
		return;
	}
	if (c->pt_tel < 0 || hdr->pt != c->pt_tel)
		return;
	d = call_telev_digit(c->telev, mb);
	if (d)
		call_digit(c, d, "rfc4733");
}

char call_telev_digit(struct telev *t, struct mbuf *mb)
{
	bool end = false;
	int event = 0, d;

	/* A digit counts once, at its first packet; the end packets and
	 * their retransmissions (RFC 4733 §2.5.1.4) add nothing. */
	if (telev_recv(t, mb, &event, &end) || end)
		return 0;
	d = telev_code2digit(event);
	return d > 0 ? (char)d : 0;
}

char call_info_digit(const char *body, bool relay)
{
	const char *p = body;

	if (relay) {
		p = strcasestr(body, "signal");
		if (!p)
			return 0;
		p += 6;
		p += strspn(p, " \t");
		if (*p++ != '=')
			return 0;
	}
	p += strspn(p, " \t\r\n");
	if (!strncmp(p, "10", 2))
		return '*';
	if (!strncmp(p, "11", 2))
		return '#';
	if ((*p >= '0' && *p <= '9') || *p == '*' || *p == '#')
		return *p;
	return 0;
}

/* At the home, on a leg (signed when it came): the caller's node asks
 * for a lock or unlock an admin asked of it ("lock=1" / "lock=0"). */
static void leg_control(struct call *c, struct sip *sip,
			const struct sip_msg *msg)
{
	struct pl v;

	if (re_regex((const char *)mbuf_buf(msg->mb), mbuf_get_left(msg->mb),
		     "lock=[01]1", &v)) {
		(void)sip_reply(sip, msg, 400, "Bad Control");
		return;
	}
	(void)sip_reply(sip, msg, 200, "OK");
	ctl_lock(c->s, c->target.conference_id, v.p[0] == '1');
}

static void info_h(struct sip *sip, const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	char body[INFO_BODY_MAX + 1];
	size_t len = mbuf_get_left(msg->mb);
	bool relay = msg_ctype_cmp(&msg->ctyp, "application", "dtmf-relay");
	char d;

	if (c->home.incoming && msg_ctype_cmp(&msg->ctyp, "application",
					      "x-dialconf-control")) {
		leg_control(c, sip, msg);
		return;
	}
	if (!relay && !msg_ctype_cmp(&msg->ctyp, "application", "dtmf")) {
		(void)sip_reply(sip, msg, 415, "Unsupported Media Type");
		return;
	}
	if (len > INFO_BODY_MAX)
		len = INFO_BODY_MAX;
	memcpy(body, mbuf_buf(msg->mb), len);
	body[len] = '\0';
	d = call_info_digit(body, relay);
	if (!d) {
		(void)sip_reply(sip, msg, 400, "Bad DTMF");
		return;
	}
	(void)sip_reply(sip, msg, 200, "OK");
	/* A retransmission (its 200 was lost or late) has the CSeq of the
	 * INFO already taken: answered again, never a second digit. A server
	 * transaction absorbs it (RFC 3261 section 17.2.2); libre's session
	 * layer passes it up, and a busy node saw IDs typed twice. */
	if (c->info_taken && msg->cseq.num == c->info_cseq)
		return;
	c->info_taken = true;
	c->info_cseq = msg->cseq.num;
	call_digit(c, d, "info");
}

/* After sdp_decode of an offer: keep the caller's first G.711 codec,
 * drop the other one from the answer. ENOTSUP when none was offered. */
static int pick_codec(struct call *c)
{
	const struct list *lst = sdp_media_format_lst(c->sm, true);
	struct sdp_format *first = NULL;
	struct le *le;

	for (le = lst ? lst->head : NULL; le && !first; le = le->next) {
		struct sdp_format *f = le->data;

		if (f->sup && (f == c->f_pcmu || f == c->f_pcma))
			first = f;
	}
	if (!first || !sa_port(sdp_media_raddr(c->sm)))
		return ENOTSUP;
	if (first == c->f_pcmu)
		c->f_pcma->sup = false;
	else
		c->f_pcmu->sup = false;
	c->codec = first == c->f_pcmu ? CODEC_PCMU : CODEC_PCMA;
	c->pt_tel = c->f_tel->sup ? c->f_tel->pt : -1;
	/* A new address in a re-INVITE: learn the source again. */
	if (!sa_cmp(&c->raddr, sdp_media_raddr(c->sm), SA_ALL)) {
		c->media_locked = false;
		rtpmux_leg_expect(c->rtp, sdp_media_raddr(c->sm),
				  &c->sig_addr);
	}
	c->raddr = *sdp_media_raddr(c->sm);
	return 0;
}

static int offer_h(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	int err;

	/* A re-INVITE (RFC 3261 §14.2): answer again from the same set. */
	c->f_pcmu->sup = c->f_pcma->sup = true;
	err = sdp_decode(c->sdp, msg->mb, true);
	if (!err)
		err = pick_codec(c);
	if (!err)
		err = sdp_encode(descp, c->sdp, false);
	if (!err)
		conf_recodec(c);
	return err;
}

static int answer_h(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return 0;
}

/* The ACK: media may flow (the attendant started at the 200 already, so
 * that digits which overtake a late ACK are not lost). */
static void estab_h(const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;

	(void)msg;
	c->established = true;
	c->marker = true;
	c->answered_ms = c->last_rx_ms = tmr_jiffies();
	home_sync(c);
}

static void close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	struct att_event ev = {.type = ATT_EV_HANGUP};

	(void)msg;
	sipd_log(LOG_DEBUG, "event=closed call=%lld by=%s", (long long)c->reg.id,
		 err == ECONNRESET ? "caller" : "error");
	call_event(c, &ev);
	call_end(c);
}

static int media_setup(struct call *c, const struct sip_msg *msg)
{
	struct sipd *s = c->s;
	struct sa laddr = s->laddr;
	int err;

	if (!mbuf_get_left(msg->mb)) /* no offer: we only answer */
		return ENOTSUP;
	if (sa_is_any(&laddr))
		(void)sip_transp_laddr(s->sip, &laddr, msg->tp, &msg->src);
	c->laddr = laddr;
	err = rtpmux_leg_alloc(&c->rtp, s->mux, rtp_h, c);
	if (err)
		return err;
	err = sdp_session_alloc(&c->sdp, &laddr);
	if (!err)
		err = sdp_media_add(&c->sm, c->sdp, "audio",
				    rtpmux_port(s->mux), "RTP/AVP");
	if (!err)
		err = sdp_format_add(&c->f_pcmu, c->sm, false, "0", "PCMU",
				     CODEC_SRATE, 1, NULL, NULL, NULL, false,
				     NULL);
	if (!err)
		err = sdp_format_add(&c->f_pcma, c->sm, false, "8", "PCMA",
				     CODEC_SRATE, 1, NULL, NULL, NULL, false,
				     NULL);
	if (!err)
		err = sdp_format_add(&c->f_tel, c->sm, false, "101",
				     telev_rtpfmt, TELEV_SRATE, 1, NULL, NULL,
				     NULL, false, "0-15");
	if (err)
		return err;
	if (sdp_decode(c->sdp, msg->mb, true))
		return ENOTSUP;
	return pick_codec(c);
}

static int call_setup(struct call *c, const struct sip_msg *msg,
		      uint16_t *scode)
{
	struct att_config cfg;
	int err;

	err = media_setup(c, msg);
	if (err) {
		*scode = err == ENOTSUP ? 488 : 500;
		return err;
	}
	att_config_default(&cfg);
	cfg.lobby_ms = c->s->lim.lobby_s * 1000;
	err = telev_alloc(&c->telev, TELEV_PTIME);
	if (!err)
		err = attendant_alloc(&c->att, &cfg);
	if (!err)
		err = player_alloc(&c->pl);
	c->ps = prompt_lib_set(c->s->prompts, 0); /* till the number's known */
	/* Ringing while the workers look at the number and the source. */
	if (!err)
		err = sipsess_accept(&c->sess, c->s->sock, msg, 180, "Ringing",
				     "dialconf", "application/sdp", NULL, NULL,
				     NULL, false,
				     offer_h, answer_h, estab_h, info_h, NULL,
				     close_h, c, ALLOW_HDR);
	return err;
}

/* The workers' answer to a new call: reject it, or answer with our SDP. */
static void admitted(struct call *c, const struct sipd_job *job)
{
	struct att_event answered = {.type = ATT_EV_ANSWERED};
	struct mbuf *desc = NULL;
	uint16_t scode = 0;
	int err;

	if (c->ending) /* cancelled while the workers looked */
		return;
	if (job->err == ENOENT)
		scode = 404; /* not a dial-in number (RFC 3261 §21.4.5) */
	else if (job->err) /* no database: the node keeps its calls and
			    * asks new ones to come back (§21.5.4) */
		scode = 503;
	else if (job->refused)
		scode = 403; /* the source cools off (§21.4.4) */
	if (scode == 404)
		edge_deny(c->s, "num", c->user, 404);
	else if (scode == 403)
		edge_deny(c->s, "src", c->source, 403);
	if (scode) {
		sipd_log(LOG_DEBUG, "event=refused status=%u caller=%s reason=%s",
			 scode, c->reg.caller, scode == 404 ?
			 "not-a-dial-in-number" : scode == 403 ?
			 "cooling-off" : "error");
		if (scode == 503)
			(void)sipsess_reject(c->sess, 503, "Service Unavailable",
					     "Retry-After: 30\r\n");
		else
			(void)sipsess_reject(c->sess, scode, scode == 404 ?
					     "Not Found" : "Forbidden", NULL);
		snprintf(c->reg.dialed, sizeof(c->reg.dialed), "%s",
			 scode == 404 ? "" : job->dialed);
		(void)app_call_refused(c->s->app, &c->reg);
		c->reg.id = 0; /* no live entry to remove */
		call_end(c);
		return;
	}
	snprintf(c->reg.dialed, sizeof(c->reg.dialed), "%s", job->dialed);
	snprintf(c->reg.codec, sizeof(c->reg.codec), "%s",
		 c->codec == CODEC_PCMU ? "PCMU" : "PCMA");
	c->nlangs = job->nlangs;
	memcpy(c->langs, job->langs, sizeof(c->langs));
	language_set(c, 0);
	answered.languages = c->nlangs;
	err = sdp_encode(&desc, c->sdp, false);
	if (!err)
		err = sipsess_answer(c->sess, 200, "OK", desc, ALLOW_HDR);
	mem_deref(desc);
	if (err) {
		(void)sipsess_reject(c->sess, 500, "Server Internal Error", NULL);
		call_end(c);
		return;
	}
	if (app_call_add(c->s->app, &c->reg))
		c->reg.id = 0;
	c->reg_pub = c->reg;
	call_event(c, &answered);
	metrics_inc(METRICS_CALLS_ANSWERED);
	sipd_log(LOG_DEBUG, "event=answered call=%lld dialed=%s caller=%s "
		 "codec=%s dtmf=%s", (long long)c->reg.id, c->reg.dialed,
		 c->reg.caller, c->codec == CODEC_PCMU ? "PCMU" : "PCMA",
		 c->pt_tel >= 0 ? "rfc4733+info" : "info");
}

void call_incoming(struct sipd *s, const struct sip_msg *msg,
		   const struct call_origin *o)
{
	struct call *c;
	uint16_t scode = 500;
	int err;

	c = mem_zalloc(sizeof(*c), destructor);
	if (!c) {
		(void)sip_treply(NULL, s->sip, msg, 500, "Out of Memory");
		return;
	}
	c->s = s;
	c->key = ++s->next_key;
	c->pt_tel = -1;
	c->trusted = o->trusted;
	c->sig_addr = msg->src;
	tmr_init(&c->att_tmr);
	tmr_init(&c->end_tmr);
	list_append(&s->calls, &c->le, c);
	snprintf(c->source, sizeof(c->source), "%s", o->source);
	snprintf(c->address, sizeof(c->address), "%s", o->address);
	snprintf(c->user, sizeof(c->user), "%s", o->user);
	snprintf(c->reg.caller, sizeof(c->reg.caller), "%s", o->caller_masked);
	snprintf(c->reg.state, sizeof(c->reg.state), "%s",
		 attendant_call_states[ATT_CALL_COLLECTING_ID].name);
	c->reg.started_at = (int64_t)time(NULL);
	c->reg.started_ms = app_wall_ms();
	snprintf(c->reg.caller_key, sizeof(c->reg.caller_key), "%s",
		 o->caller_key ? o->caller_key : "");
	tmr_init(&c->home.tmr);
	if (o->leg) {
		c->home.incoming = true;
		c->home.cred = *o->leg;
	}

	err = call_setup(c, msg, &scode);
	if (err) {
		sipd_log(LOG_INFO, "event=refused status=%u caller=%s err=%d",
			 scode, o->caller_masked, err);
		if (c->sess)
			(void)sipsess_reject(c->sess, scode,
					     "Server Internal Error", NULL);
		else
			(void)sip_treply(NULL, s->sip, msg, scode,
					 scode == 488 ? "Not Acceptable Here"
						      : "Server Internal Error");
		mem_deref(c);
		return;
	}
	submit(c, o->leg ? SIPD_JOB_LEG : SIPD_JOB_ADMIT, NULL);
}

void call_command(struct call *c, enum att_event_type type, bool valid)
{
	struct att_event ev = {.type = type, .valid = valid};

	sipd_log(LOG_DEBUG, "event=control call=%lld type=%d valid=%d",
		 (long long)c->reg.id, (int)type, valid);
	/* Bridged, the home mixes the caller and keeps its mute (its
	 * attendant saw the caller's *6, ours did not): an admin's mute goes
	 * there as the caller's own *6, when the home's state differs. */
	if (type == ATT_EV_MUTE && c->home.bridged) {
		if (valid != c->reg.muted) {
			home_digit(c, '*');
			home_digit(c, '6');
		}
		return;
	}
	call_event(c, &ev);
}

const char *call_conference_id(const struct call *c)
{
	return c->target.valid && !c->target.jitsi_room[0] ?
	       c->target.conference_id : "";
}

bool call_organizer(const struct call *c)
{
	return attendant_organizer(c->att);
}

enum att_state call_state(const struct call *c)
{
	return attendant_state(c->att);
}

struct room *call_room(const struct call *c)
{
	struct room *cf;

	if (!c->target.valid || c->target.jitsi_room[0] ||
	    room_get(c->s, c->target.personal, conf_id_of(c), false, &cf))
		return NULL;
	return cf;
}

int64_t call_id(const struct call *c)
{
	return c->reg.id;
}

const char *call_source(const struct call *c)
{
	return c->source;
}

/* Has the caller not joined yet, with an ID resolved? Then a revocation
 * must reach it. */
static bool waiting(const struct call *c)
{
	enum att_state st = attendant_state(c->att);

	return c->target.valid &&
	       (st == ATT_S_ASK_STAR || st == ATT_S_COLLECT_PIN ||
		st == ATT_S_VERIFYING || st == ATT_S_LOBBY);
}

void call_second(struct call *c, uint64_t now_ms)
{
	const struct app_dialin_limits *l = &c->s->lim;
	struct sipd_job *job;

	if (!c->established || c->ending)
		return;
	if (now_ms - c->last_rx_ms > (uint64_t)l->rtp_timeout_s * 1000) {
		sipd_log(LOG_INFO, "event=rtp-timeout call=%lld seconds=%u",
			 (long long)c->reg.id, l->rtp_timeout_s);
		call_end(c);
		return;
	}
	if (now_ms - c->answered_ms > (uint64_t)l->max_call_s * 1000) {
		sipd_log(LOG_INFO, "event=max-duration call=%lld seconds=%u",
			 (long long)c->reg.id, l->max_call_s);
		call_end(c);
		return;
	}
	if (home_second(c, now_ms))
		return;
	if (!waiting(c) || c->recheck_out)
		return;
	job = job_new(c, SIPD_JOB_RECHECK, NULL);
	if (job)
		job->poll = true;
	c->recheck_out = job_send(c, job);
}

/* -- homes and inter-node legs (issue 13) ---------------------------------
 *
 * A conference is mixed on one node, its home (app/home.c). When the
 * attendant is done with its own part (ID, '*', PIN) and asks for the
 * lobby or the room, the call first asks the workers where the home is
 * (HOME: claimed when there is none or it ran out). Here: on as ever,
 * holding the home until the call ends. Elsewhere: a leg to the home
 * (leg.c), which runs the lobby, the limit and *6 for us; the caller's
 * audio and digits go there, the home's audio comes back as our frames.
 * The home silent for LEG_SILENT_MS, or the leg failing: the home is
 * asked again (failover) until LEG_FAILOVER_MS have passed. */
#define LEG_SILENT_MS 1000
#define LEG_FAILOVER_MS 10000
#define LEG_RETRY_MS 300

static const char *home_role(const struct call *c)
{
	if (attendant_organizer(c->att))
		return "organizer";
	return c->home.wait == ATT_ACT_LOBBY ? "lobby" : "participant";
}

static void home_ask(struct call *c)
{
	struct sipd_job *job = job_new(c, SIPD_JOB_HOME, NULL);

	if (job)
		snprintf(job->leg.role, sizeof(job->leg.role), "%s",
			 home_role(c));
	c->home.asked = job_send(c, job);
}

/* An attendant's LOBBY or ROOM: true when it waits for the home. */
static bool home_defer(struct call *c, enum att_action_type kind)
{
	if (c->home.incoming || c->home.held)
		return false;
	c->home.wait = kind;
	c->home.waiting = true;
	if (!c->home.asked)
		home_ask(c);
	return true;
}

/* The home is this node: what the attendant asked for, done here. */
static void home_local(struct call *c)
{
	struct att_event arrived = {.type = ATT_EV_ORGANIZER_ARRIVED};
	enum att_state st = attendant_state(c->att);

	c->home.waiting = false;
	c->home.give_up_ms = 0;
	if (c->home.wait == ATT_ACT_LOBBY && st == ATT_S_LOBBY) {
		lobby_enter(c);
		if (c->arrived) {
			c->arrived = false;
			call_event(c, &arrived);
		}
	}
	else if (st == ATT_S_ENTERING) {
		room_answer(c);
	}
}

static void leg_audio(const uint8_t *g711, size_t len, void *arg)
{
	struct call *c = arg;

	c->home.rx_ms = tmr_jiffies();
	if (c->established && !c->ending)
		(void)send_frame(c, g711, len);
}

static void home_lost_h(void *arg);

/* The home's news of our caller (leg.c): its state and mute, for our
 * live calls list. */
static void leg_info(const char *body, void *arg)
{
	struct call *c = arg;
	const char *st = strstr(body, "state="), *mu = strstr(body, "muted=");
	size_t i;

	for (i = 0; st && i < ATT_CALL_STATE_COUNT; i++) {
		size_t n = strlen(attendant_call_states[i].name);

		if (!strncmp(st + 6, attendant_call_states[i].name, n) &&
		    (st[6 + n] == '\r' || st[6 + n] == '\n' || !st[6 + n]))
			snprintf(c->reg.state, sizeof(c->reg.state), "%s",
				 attendant_call_states[i].name);
	}
	if (mu)
		c->reg.muted = mu[6] == '1';
	registry_sync(c);
}

static void leg_state(int err, void *arg)
{
	struct call *c = arg;

	if (!err) {
		c->home.bridged = true;
		c->home.give_up_ms = 0;
		c->home.dead[0] = '\0';
		c->home.rx_ms = tmr_jiffies();
		player_stop(c->pl);
		c->marker = true;
		return;
	}
	/* A BYE from a home that answered: its goodbye (full, lobby
	 * timeout, ID revoked) is ours. Anything else: fail over. Not
	 * here: the leg is freed from a zero timer, out of its handler. */
	c->home.end_call = c->home.bridged && err == ECONNRESET;
	sipd_log(LOG_INFO, "event=leg-ended call=%lld home=%s err=%d",
		 (long long)c->reg.id, c->home.node, err);
	tmr_start(&c->home.tmr, 0, home_lost_h, c);
}

static void home_retry_h(void *arg)
{
	struct call *c = arg;

	if (!c->ending && !c->home.asked)
		home_ask(c);
}

/* The home stopped answering: ask again (a new home may be us). */
static void home_lost_h(void *arg)
{
	struct call *c = arg;
	uint64_t now = tmr_jiffies();

	c->home.leg = mem_deref(c->home.leg);
	c->home.bridged = false;
	if (c->home.end_call) {
		call_end(c);
		return;
	}
	snprintf(c->home.dead, sizeof(c->home.dead), "%s", c->home.node);
	if (!c->home.give_up_ms)
		c->home.give_up_ms = now + LEG_FAILOVER_MS;
	if (now > c->home.give_up_ms) {
		sipd_log(LOG_WARN, "event=failover-failed call=%lld",
			 (long long)c->reg.id);
		call_end(c);
		return;
	}
	tmr_start(&c->home.tmr, LEG_RETRY_MS, home_retry_h, c);
}

static void leg_open(struct call *c, const struct sipd_job *job)
{
	struct leg_req r = {
		.home_uri = job->home.sip_uri, .conf_user = job->conf_user,
		.in = job->leg, .caller = c->reg.caller, .laddr = &c->laddr,
		.codec = c->codec, .infoh = leg_info,
	};
	int err;

	snprintf(c->home.node, sizeof(c->home.node), "%s", job->home.node);
	tmr_cancel(&c->att_tmr); /* the lobby's clock is the home's now */
	err = leg_start(&c->home.leg, c->s, &r, leg_audio, leg_state, c);
	if (err) {
		sipd_log(LOG_WARN, "event=leg-failed call=%lld err=%d",
			 (long long)c->reg.id, err);
		tmr_start(&c->home.tmr, 0, home_lost_h, c);
	}
}

static void home_homed(struct call *c, const struct sipd_job *job)
{
	c->home.asked = false;
	if (!job->err && job->home.mine)
		c->home.held = true; /* given up when the call ends */
	if (c->ending || !c->home.waiting)
		return;
	if (job->err || job->home.mine) {
		if (job->err) /* one node's conference: as before homes */
			sipd_log(LOG_WARN, "event=home-failed call=%lld err=%d",
				 (long long)c->reg.id, job->err);
		home_local(c);
		return;
	}
	if (c->home.dead[0] && !strcmp(job->home.node, c->home.dead)) {
		/* its lease has not run out yet */
		if (tmr_jiffies() > c->home.give_up_ms) {
			call_end(c);
			return;
		}
		tmr_start(&c->home.tmr, LEG_RETRY_MS, home_retry_h, c);
		return;
	}
	leg_open(c, job);
}

/* An incoming leg's workers' answer: a conference of ours, signed by a
 * node of the cluster? Then answered, past the attendant's questions. */
static void leg_admitted(struct call *c, const struct sipd_job *job)
{
	struct att_event ev = {.type = ATT_EV_BRIDGED};
	struct mbuf *desc = NULL;
	uint16_t scode = 0;
	int err;

	if (!job->err) {
		c->home.held = true; /* of c->target's home: set it first */
		c->target = job->target;
	}
	if (c->ending)
		return;
	if (job->err == EACCES)
		scode = 403;
	else if (job->err == ENOENT)
		scode = 404;
	else if (job->err == EEXIST)
		scode = 503; /* not the home (any more): ask the database */
	else if (job->err)
		scode = 500;
	if (scode == 403)
		edge_deny(c->s, "src", c->source, 403);
	if (scode) {
		sipd_log(LOG_INFO, "event=leg-refused status=%u conf=%s",
			 scode, c->user);
		(void)sipsess_reject(c->sess, scode, scode == 403 ? "Forbidden"
				     : scode == 404 ? "Not Found" : scode == 503
				     ? "Service Unavailable"
				     : "Server Internal Error", NULL);
		call_end(c);
		return;
	}
	c->target = job->target;
	c->tones = job->target.tones;
	err = sdp_encode(&desc, c->sdp, false);
	if (!err)
		err = sipsess_answer(c->sess, 200, "OK", desc, ALLOW_HDR);
	mem_deref(desc);
	if (err) {
		(void)sipsess_reject(c->sess, 500, "Server Internal Error", NULL);
		call_end(c);
		return;
	}
	/* Not in the live calls list: its caller is listed by its node. */
	sipd_log(LOG_INFO, "event=leg-in conf=%s role=%s", c->user,
		 c->home.cred.role);
	ev.organizer = !strcmp(c->home.cred.role, "organizer");
	ev.bypass = !strcmp(c->home.cred.role, "participant");
	ev.max_parts = job->target.max_parts;
	/* Locked here, at the home: a caller of another node is turned away
	 * as one of ours would be (the lock lives with the mix). */
	ev.locked = call_room(c) && room_locked(call_room(c));
	call_event(c, &ev);
}

bool call_home_lock(struct call *c, bool locked)
{
	if (!c->home.leg || !c->home.bridged)
		return false;
	fwd_info(c->home.leg, "application/x-dialconf-control",
		 locked ? "lock=1\r\n" : "lock=0\r\n");
	return true;
}

static bool home_digit(struct call *c, char d)
{
	if (!c->home.leg)
		return false;
	fwd_digit(c->home.leg, d); /* dropped until the home answers */
	return true;
}

/* Each frame: true while the home's audio flows (it is the caller's).
 * A home silent for a frame or two leaves a gap that our own (silent)
 * frames fill, so the caller's clock runs on; silent for LEG_SILENT_MS,
 * it is dead. */
static bool home_tick(struct call *c)
{
	uint64_t quiet;

	if (!c->home.bridged)
		return false;
	quiet = tmr_jiffies() - c->home.rx_ms;
	if (quiet > LEG_SILENT_MS) {
		sipd_log(LOG_WARN, "event=leg-silent call=%lld home=%s",
			 (long long)c->reg.id, c->home.node);
		c->home.bridged = false;
		tmr_start(&c->home.tmr, 0, home_lost_h, c);
		return false;
	}
	return quiet < 3 * CODEC_PTIME_MS;
}

/* Once a second: true while the home runs the lobby (no recheck here). */
static bool home_second(struct call *c, uint64_t now_ms)
{
	(void)now_ms;
	return c->home.leg || c->home.waiting;
}

static void home_free(struct call *c)
{
	struct sipd_job *job;

	tmr_cancel(&c->home.tmr);
	c->home.leg = mem_deref(c->home.leg);
	if (!c->home.held)
		return;
	job = job_new(c, SIPD_JOB_UNHOME, NULL);
	if (!job)
		return;
	job->call_key = 0; /* the call is gone by the answer */
	if (work_submit(c->s->work, job))
		sipd_job_free(job);
}

/* At the home, for a leg: its state and mute to the caller's node
 * whenever they change (leg_info there). */
static void home_sync(struct call *c)
{
	struct mbuf *body;

	if (!c->home.incoming || !c->established || c->ending ||
	    (!strcmp(c->home.sent_state, c->reg.state) &&
	     c->home.sent_muted == c->reg.muted))
		return;
	body = mbuf_alloc(64);
	if (!body)
		return;
	if (!mbuf_printf(body, "state=%s\r\nmuted=%d\r\n", c->reg.state,
			 c->reg.muted)) {
		body->pos = 0;
		if (!sipsess_info(c->sess, "application/x-dialconf-state", body,
				  NULL, NULL)) {
			snprintf(c->home.sent_state, sizeof(c->home.sent_state),
				 "%s", c->reg.state);
			c->home.sent_muted = c->reg.muted;
		}
	}
	mem_deref(body);
}
