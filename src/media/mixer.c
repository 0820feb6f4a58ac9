/* mixer: the N-1 conference mix.
 *
 * Design. A tick decodes each participant's next frame once, adds the
 * unmuted ones into one 32-bit total, then gives participant i the total
 * minus their own frame: 2N frame passes instead of the N(N-1) of summing
 * the others for each listener, and nobody hears themselves. The
 * difference is clamped to +-32767 (not -32768: G.711 encoders negate the
 * sample, and -32768 has no positive twin) so loud rooms clip instead of
 * wrapping into noise. Participants who contributed nothing this tick
 * (muted, silent, still buffering) all hear the same total; it is encoded
 * once per codec and shared, which is what keeps a large conference of
 * mostly listeners cheap.
 *
 * Jitter buffer: our own, not libre's jbuf. Frames are fixed (160 bytes,
 * 20 ms) and the tick pulls exactly one per participant, so a ring of
 * MIXER_JB_SLOTS slots indexed by RTP sequence number does the job with
 * no allocation per packet (jbuf wants a mem_ref'd buffer per frame) and
 * no libre in the mixer, which keeps it testable as plain C. Playout
 * starts once MIXER_JB_PREFILL frames are in; a missing frame is one tick
 * of silence; when the ring runs dry (hold, a long loss burst, a new
 * SSRC) playout stops and re-anchors on the next packet.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "media/mixer.h"

#define JB_MASK (MIXER_JB_SLOTS - 1)
#define SAMPLE_MAX 32767

_Static_assert((MIXER_JB_SLOTS & JB_MASK) == 0, "slots: a power of two");
_Static_assert(MIXER_JB_PREFILL <= MIXER_JB_SLOTS, "prefill fits");
_Static_assert(CODEC_PCMU == 0 && CODEC_PCMA == 1, "shared[] index");

/* A copied stretch of audio played out one frame per tick; padded with
 * silence to whole frames so the tick never sees a partial one. */
struct clip {
	int16_t *pcm;
	size_t len;
	size_t pos;
};

struct slot {
	uint8_t data[MIXER_FRAME];
	uint16_t seq;
	bool full;
};

struct mixer_part {
	struct mixer *m;
	size_t idx; /* in m->parts */
	enum codec_type codec;
	mixer_frame_h *frameh;
	void *arg;
	bool muted;
	bool talking; /* contributed to this tick's total */

	/* jitter buffer: every full slot holds a seq in
	 * [next_seq, next_seq + MIXER_JB_SLOTS) at index seq & JB_MASK */
	struct slot ring[MIXER_JB_SLOTS];
	unsigned n;
	uint16_t next_seq;
	bool anchored;
	bool buffering;

	int16_t pcm[MIXER_FRAME]; /* this tick's decoded input */
	struct clip whisper;
	struct mixer_stat stat;
};

struct mixer {
	struct mixer_part **parts;
	size_t n;
	size_t cap;
	int32_t total[MIXER_FRAME];
	struct clip announce;
	uint8_t shared[2][MIXER_FRAME]; /* the total encoded, per codec */
	bool shared_ok[2];
};

static const int16_t silence[MIXER_FRAME];

/* G.711 encoding as one lookup per sample: codec_encode's per-sample
 * arithmetic was half the tick's cost. 64 KB per codec, built once from
 * codec_encode itself so the two can never disagree. */
static uint8_t enc_tab[2][65536];
static pthread_once_t enc_once = PTHREAD_ONCE_INIT;

static void enc_build(void)
{
	int16_t pcm[256];
	uint8_t *row;
	int32_t i, v;
	size_t c;

	for (c = 0; c < 2; c++) {
		for (v = 0; v < 65536; v += 256) {
			for (i = 0; i < 256; i++) {
				pcm[i] = (int16_t)(v + i - 32768);
				if (pcm[i] < -SAMPLE_MAX)
					pcm[i] = -SAMPLE_MAX;
			}
			row = enc_tab[c] + (uint16_t)(v - 32768);
			codec_encode((enum codec_type)c, pcm, row, 256);
		}
	}
}

static void clip_clear(struct clip *c)
{
	free(c->pcm);
	memset(c, 0, sizeof(*c));
}

static int clip_set(struct clip *c, const int16_t *pcm, size_t n)
{
	size_t frames;
	int16_t *buf;

	if (!pcm || !n || n > SIZE_MAX / sizeof(*buf) - MIXER_FRAME)
		return EINVAL;

	frames = (n + MIXER_FRAME - 1) / MIXER_FRAME;
	buf = calloc(frames * MIXER_FRAME, sizeof(*buf));
	if (!buf)
		return ENOMEM;
	memcpy(buf, pcm, n * sizeof(*buf));

	clip_clear(c);
	c->pcm = buf;
	c->len = frames * MIXER_FRAME;

	return 0;
}

/* This tick's frame of c, or NULL when nothing is playing. The clip is
 * freed on the tick after its last frame, outside the hot loop's way. */
static const int16_t *clip_next(struct clip *c)
{
	const int16_t *f;

	if (!c->pcm)
		return NULL;
	if (c->pos >= c->len) {
		clip_clear(c);
		return NULL;
	}
	f = c->pcm + c->pos;
	c->pos += MIXER_FRAME;

	return f;
}

int mixer_alloc(struct mixer **mp)
{
	struct mixer *m;

	if (!mp)
		return EINVAL;

	pthread_once(&enc_once, enc_build);
	m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;

	*mp = m;

	return 0;
}

void mixer_free(struct mixer *m)
{
	if (!m)
		return;

	while (m->n)
		mixer_part_remove(m->parts[m->n - 1]);
	free(m->parts);
	clip_clear(&m->announce);
	free(m);
}

size_t mixer_count(const struct mixer *m)
{
	return m ? m->n : 0;
}

int mixer_part_add(struct mixer *m, enum codec_type codec,
		   mixer_frame_h *frameh, void *arg, struct mixer_part **pp)
{
	struct mixer_part *p = NULL, **parts;
	size_t cap;
	int err = 0;

	if (!m || !frameh || !pp ||
	    (codec != CODEC_PCMU && codec != CODEC_PCMA))
		return EINVAL;

	if (m->n == m->cap) {
		cap = m->cap ? m->cap * 2 : 8;
		parts = realloc(m->parts, cap * sizeof(*parts));
		if (!parts) {
			err = ENOMEM;
			goto out;
		}
		m->parts = parts;
		m->cap = cap;
	}

	p = calloc(1, sizeof(*p));
	if (!p) {
		err = ENOMEM;
		goto out;
	}
	p->m = m;
	p->codec = codec;
	p->frameh = frameh;
	p->arg = arg;
	p->buffering = true;
	p->idx = m->n;
	m->parts[m->n++] = p;

	*pp = p;
 out:
	return err;
}

void mixer_part_remove(struct mixer_part *p)
{
	struct mixer *m;

	if (!p)
		return;

	/* Swap with the last one: O(1), and the array stays dense for the
	 * tick's two passes. */
	m = p->m;
	m->parts[p->idx] = m->parts[m->n - 1];
	m->parts[p->idx]->idx = p->idx;
	m->n--;

	clip_clear(&p->whisper);
	free(p);
}

/* Slides the playout point forward to next, dropping buffered frames that
 * fall behind it: a sender running fast, or a jump in sequence numbers. */
static void jb_slide(struct mixer_part *p, uint16_t next)
{
	struct slot *s;
	size_t i;

	for (i = 0; i < MIXER_JB_SLOTS; i++) {
		s = &p->ring[i];
		if (s->full && (int16_t)(uint16_t)(s->seq - next) < 0) {
			s->full = false;
			p->n--;
			p->stat.overflow++;
		}
	}
	p->next_seq = next;
}

int mixer_part_put(struct mixer_part *p, uint16_t seq, const uint8_t *payload,
		   size_t len)
{
	struct slot *s;
	int16_t d;

	if (!p || !payload || len != MIXER_FRAME)
		return EINVAL;

	p->stat.put++;
	if (!p->anchored) {
		p->anchored = true;
		p->next_seq = seq;
	}

	/* Serial number arithmetic (RFC 3550 §A.1): the signed 16-bit
	 * distance survives the wrap from 65535 to 0. */
	d = (int16_t)(uint16_t)(seq - p->next_seq);
	if (d < 0) {
		p->stat.late++;
		return 0;
	}
	if (d >= MIXER_JB_SLOTS)
		jb_slide(p, (uint16_t)(seq - (MIXER_JB_SLOTS - 1)));

	s = &p->ring[seq & JB_MASK];
	if (s->full) {
		/* By the ring's invariant this is the same seq. */
		p->stat.dup++;
		return 0;
	}
	memcpy(s->data, payload, MIXER_FRAME);
	s->seq = seq;
	s->full = true;
	p->n++;

	return 0;
}

/* The frame due this tick, or NULL for silence. */
static const uint8_t *jb_pop(struct mixer_part *p)
{
	struct slot *s;
	uint16_t seq;

	if (p->buffering) {
		if (p->n < MIXER_JB_PREFILL) {
			/* Silence in the middle of a call counts, the wait
			 * for the first frames does not. */
			if (p->stat.played)
				p->stat.lost++;
			return NULL;
		}
		p->buffering = false;
	}
	if (!p->n) {
		/* Dry: rather than march next_seq on through a pause and then
		 * drop everything after it as late, wait and re-anchor. */
		p->stat.lost++;
		p->buffering = true;
		p->anchored = false;
		return NULL;
	}

	seq = p->next_seq++;
	s = &p->ring[seq & JB_MASK];
	if (!s->full) {
		p->stat.lost++;
		return NULL;
	}
	s->full = false;
	p->n--;
	p->stat.played++;

	return s->data;
}

void mixer_part_set_muted(struct mixer_part *p, bool muted)
{
	if (p)
		p->muted = muted;
}

bool mixer_part_muted(const struct mixer_part *p)
{
	return p && p->muted;
}

enum codec_type mixer_part_codec(const struct mixer_part *p)
{
	return p->codec;
}

void mixer_part_stats(const struct mixer_part *p, struct mixer_stat *st)
{
	if (p && st)
		*st = p->stat;
}

int mixer_announce(struct mixer *m, const int16_t *pcm, size_t n)
{
	return m ? clip_set(&m->announce, pcm, n) : EINVAL;
}

int mixer_part_whisper(struct mixer_part *p, const int16_t *pcm, size_t n)
{
	return p ? clip_set(&p->whisper, pcm, n) : EINVAL;
}

static inline int16_t saturate(int32_t s)
{
	return (int16_t)(s > SAMPLE_MAX ? SAMPLE_MAX :
			 s < -SAMPLE_MAX ? -SAMPLE_MAX : s);
}

/* Pass one for p: pull and decode its frame, add it to the total. A muted
 * participant's frame is still pulled so the buffer keeps its pace. */
static void gather(struct mixer *m, struct mixer_part *p)
{
	const uint8_t *frame = jb_pop(p);
	size_t i;

	p->talking = frame && !p->muted;
	if (!p->talking)
		return;

	codec_decode(p->codec, frame, p->pcm, MIXER_FRAME);
	for (i = 0; i < MIXER_FRAME; i++)
		m->total[i] += p->pcm[i];
}

/* The total encoded in codec, for everyone who adds nothing of their own. */
static const uint8_t *shared_frame(struct mixer *m, enum codec_type codec)
{
	const uint8_t *tab = enc_tab[codec];
	uint8_t *out = m->shared[codec];
	size_t i;

	if (!m->shared_ok[codec]) {
		for (i = 0; i < MIXER_FRAME; i++)
			out[i] = tab[(uint16_t)saturate(m->total[i])];
		m->shared_ok[codec] = true;
	}

	return m->shared[codec];
}

/* Pass two for p: total - own + whisper, clamped, encoded, delivered. */
static void emit(struct mixer *m, struct mixer_part *p)
{
	const int16_t *own = p->talking ? p->pcm : silence;
	const int16_t *w = clip_next(&p->whisper);
	const uint8_t *tab = enc_tab[p->codec];
	uint8_t out[MIXER_FRAME];
	size_t i;

	if (!p->talking && !w) {
		p->frameh(p, shared_frame(m, p->codec), MIXER_FRAME, p->arg);
		return;
	}

	if (!w)
		w = silence;
	for (i = 0; i < MIXER_FRAME; i++)
		out[i] = tab[(uint16_t)saturate(m->total[i] - own[i] + w[i])];
	p->frameh(p, out, MIXER_FRAME, p->arg);
}

void mixer_tick(struct mixer *m)
{
	const int16_t *ann;
	size_t i;

	if (!m)
		return;

	memset(m->total, 0, sizeof(m->total));
	for (i = 0; i < m->n; i++)
		gather(m, m->parts[i]);

	/* The announcement is nobody's own voice: everyone hears it. */
	ann = clip_next(&m->announce);
	if (ann) {
		for (i = 0; i < MIXER_FRAME; i++)
			m->total[i] += ann[i];
	}

	m->shared_ok[CODEC_PCMU] = m->shared_ok[CODEC_PCMA] = false;
	for (i = 0; i < m->n; i++)
		emit(m, m->parts[i]);
}

/* One note of a tone: a sine with 10 ms raised-cosine edges, since a
 * hard start or stop is heard as a click. */
static void note(int16_t *pcm, size_t n, double hz)
{
	const size_t edge = CODEC_SRATE / 100;
	const double amp = 6000.0; /* about -15 dBFS: audible, not harsh */
	double g;
	size_t i;

	for (i = 0; i < n; i++) {
		g = 1.0;
		if (i < edge)
			g = 0.5 - 0.5 * cos(M_PI * (double)i / edge);
		else if (n - 1 - i < edge)
			g = 0.5 - 0.5 * cos(M_PI * (double)(n - 1 - i) / edge);
		pcm[i] = (int16_t)lrint(amp * g *
					sin(2.0 * M_PI * hz * (double)i /
					    CODEC_SRATE));
	}
}

size_t mixer_tone(enum mixer_tone tone, int16_t *pcm, size_t n)
{
	const size_t half = MIXER_TONE_SAMPLES / 2;
	/* A fifth apart (660 and 990 Hz): well inside the 300-3400 Hz
	 * telephone band, rising on entry and falling on exit. */
	const double lo = 660.0, hi = 990.0;
	bool entry = tone == MIXER_TONE_ENTRY;

	if (!pcm || n < MIXER_TONE_SAMPLES)
		return 0;

	note(pcm, half, entry ? lo : hi);
	note(pcm + half, half, entry ? hi : lo);

	return MIXER_TONE_SAMPLES;
}
