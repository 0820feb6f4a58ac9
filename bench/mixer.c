/* bench mixer: the audio work of one 20 ms tick (issue 6): for every
 * participant, one received G.711 frame into its jitter buffer, decode,
 * the N-1 mix, saturation, encode, and the hand-off to the frame handler
 * (here a sink; the real one is rtp_send, network cost not counted).
 *
 * Sizes 10, 100, 1 000 and 10 000 participants in conferences of 10, and
 * one conference of 1 000 (and of 10 000), everyone talking, half PCMU and
 * half PCMA: the worst case, where nobody shares an encoded frame. The
 * cost per participant must stay flat across sizes. Beside it, a naive
 * mix (each listener sums all the others: O(N^2) per conference) in one
 * conference of 10, 100 and 1 000, and a realistic large meeting (1 000
 * in one conference, 10 talking, the rest muted).
 *
 * Each figure is the fastest of REPEAT runs: the machine is shared, and
 * other work only ever adds time.
 *
 * participants per core = 20 ms / (ns per participant per tick). The
 * last line is ratio = the smallest of those over the all-talking runs /
 * 10 000 (issue 6's goal: at least 1). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/codec.h"
#include "media/mixer.h"

#define F MIXER_FRAME
#define VOICES 64      /* distinct input streams, reused round robin */
#define VOICE_FRAMES 8 /* frames per stream, looped */
#define TICK_NS 20e6
#define BUDGET 2e5     /* participant-ticks per measurement */
#define REPEAT 5       /* measurements per size; the fastest counts */

static uint8_t voice[2][VOICES][VOICE_FRAMES][F]; /* [codec][stream][t] */
static uint8_t enc_tab[2][65536]; /* the naive mix encodes as fast as ours */
static unsigned sink;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Speech-like enough for the codec tables: a different pitch and level
 * per stream, so the samples cover most of the G.711 range. */
static void make_voices(void)
{
	int16_t pcm[F], x;
	size_t c, v, t, i;
	double hz, amp;

	for (c = 0; c < 2; c++) {
		for (i = 0; i < 65536; i++) {
			x = (int16_t)((int32_t)i - 32768);
			x = x < -32767 ? -32767 : x;
			codec_encode((enum codec_type)c, &x,
				     &enc_tab[c][(uint16_t)x], 1);
		}
	}

	for (v = 0; v < VOICES; v++) {
		hz = 150.0 + 45.0 * (double)v;
		amp = 1000.0 + 250.0 * (double)v;
		for (t = 0; t < VOICE_FRAMES; t++) {
			for (i = 0; i < F; i++)
				pcm[i] = (int16_t)lrint(amp * sin(2 * M_PI *
					hz * (double)(t * F + i) /
					CODEC_SRATE));
			for (c = 0; c < 2; c++)
				codec_encode((enum codec_type)c, pcm,
					     voice[c][v][t], F);
		}
	}
}

static void on_frame(struct mixer_part *p, const uint8_t *frame, size_t len,
		     void *arg)
{
	(void)p;
	(void)arg;
	sink += frame[0] ^ frame[len - 1];
}

struct room {
	struct mixer **m;
	struct mixer_part **p;
	size_t nconf;
	size_t total; /* participants */
};

static void room_free(struct room *r)
{
	size_t i;

	for (i = 0; i < r->nconf && r->m; i++)
		mixer_free(r->m[i]);
	free(r->m);
	free(r->p);
}

static enum codec_type codec_of(size_t i)
{
	return i % 2 ? CODEC_PCMA : CODEC_PCMU;
}

/* total participants in conferences of size; talkers per conference
 * unmuted, the rest muted. */
static int room_alloc(struct room *r, size_t total, size_t size,
		      size_t talkers)
{
	size_t i;
	int err;

	memset(r, 0, sizeof(*r));
	r->nconf = total / size;
	r->total = total;
	r->m = calloc(r->nconf, sizeof(*r->m));
	r->p = calloc(total, sizeof(*r->p));
	if (!r->m || !r->p)
		return ENOMEM;
	for (i = 0; i < r->nconf; i++) {
		err = mixer_alloc(&r->m[i]);
		if (err)
			return err;
	}
	for (i = 0; i < total; i++) {
		err = mixer_part_add(r->m[i / size], codec_of(i), on_frame,
				     NULL, &r->p[i]);
		if (err)
			return err;
		mixer_part_set_muted(r->p[i], i % size >= talkers);
	}
	return 0;
}

static void put_all(struct room *r, uint16_t seq)
{
	const uint8_t *frame;
	size_t i;

	for (i = 0; i < r->total; i++) {
		frame = voice[codec_of(i)][i % VOICES][seq % VOICE_FRAMES];
		mixer_part_put(r->p[i], seq, frame, F);
	}
}

/* Mean ns per participant per tick for this room, fastest of REPEAT. */
static double measure(struct room *r)
{
	size_t ticks = (size_t)(BUDGET / (double)r->total) + 10, t, i, k;
	uint16_t seq = 0;
	double ns, best = 0;
	uint64_t t0;

	/* Prefill, and a warm-up pass over every buffer. */
	put_all(r, seq++);
	for (t = 0; t < 3; t++) {
		put_all(r, seq++);
		for (i = 0; i < r->nconf; i++)
			mixer_tick(r->m[i]);
	}

	for (k = 0; k < REPEAT; k++) {
		t0 = now_ns();
		for (t = 0; t < ticks; t++) {
			put_all(r, seq++);
			for (i = 0; i < r->nconf; i++)
				mixer_tick(r->m[i]);
		}
		ns = (double)(now_ns() - t0) / (double)ticks / (double)r->total;
		best = k == 0 || ns < best ? ns : best;
	}
	return best;
}

static int16_t clamp(int32_t s)
{
	return (int16_t)(s > 32767 ? 32767 : s < -32767 ? -32767 : s);
}

/* The baseline: one conference of n, every listener sums every other
 * participant's decoded frame. Same decode and encode, no buffer. */
static void naive_tick(int16_t (*pcm)[F], size_t n, size_t t)
{
	const uint8_t *tab;
	uint8_t out[F];
	int32_t sum[F];
	size_t j, k, i;

	for (j = 0; j < n; j++)
		codec_decode(codec_of(j), voice[codec_of(j)][j % VOICES]
			     [t % VOICE_FRAMES], pcm[j], F);
	for (j = 0; j < n; j++) {
		memset(sum, 0, sizeof(sum));
		for (k = 0; k < n; k++) {
			if (k == j)
				continue;
			for (i = 0; i < F; i++)
				sum[i] += pcm[k][i];
		}
		tab = enc_tab[codec_of(j)];
		for (i = 0; i < F; i++)
			out[i] = tab[(uint16_t)clamp(sum[i])];
		on_frame(NULL, out, F, NULL);
	}
}

/* Mean ns per participant per naive tick, fastest of REPEAT. */
static int naive(size_t n, double *ns)
{
	size_t ticks = (size_t)(BUDGET * 10 / ((double)n * (double)n)) + 3;
	int16_t (*pcm)[F] = calloc(n, sizeof(*pcm));
	double cur, best = 0;
	size_t t, k;
	uint64_t t0;

	if (!pcm)
		return ENOMEM;

	for (k = 0; k < REPEAT; k++) {
		t0 = now_ns();
		for (t = 0; t < ticks; t++)
			naive_tick(pcm, n, t);
		cur = (double)(now_ns() - t0) / (double)ticks / (double)n;
		best = k == 0 || cur < best ? cur : best;
	}
	*ns = best;
	free(pcm);

	return 0;
}

/* Measures one room and prints its two lines; returns ns/participant. */
static int run(const char *tag, size_t total, size_t size, size_t talkers,
	       double *ns)
{
	struct room r;
	int err;

	err = room_alloc(&r, total, size, talkers);
	if (!err) {
		*ns = measure(&r);
		printf("ns_per_participant_%s: %.1f ns\n", tag, *ns);
		printf("participants_per_core_%s: %.0f\n", tag, TICK_NS / *ns);
	}
	room_free(&r);

	return err;
}

int main(void)
{
	static const size_t sizes[] = { 10, 100, 1000, 10000 };
	double ns, worst = 0;
	char tag[64];
	size_t i;
	int err = 0;

	make_voices();

	/* Conferences of 10: the figures issue 6 names. */
	for (i = 0; i < 4; i++) {
		snprintf(tag, sizeof(tag), "at_%zu", sizes[i]);
		err = run(tag, sizes[i], 10, 10, &ns);
		if (err)
			goto out;
		worst = ns > worst ? ns : worst;
	}

	/* One conference of n, against the naive mix where it finishes. */
	for (i = 0; i < 4; i++) {
		snprintf(tag, sizeof(tag), "one_conf_at_%zu", sizes[i]);
		err = run(tag, sizes[i], sizes[i], sizes[i], &ns);
		if (err)
			goto out;
		worst = ns > worst ? ns : worst;
	}
	for (i = 0; i < 3; i++) {
		err = naive(sizes[i], &ns);
		if (err)
			goto out;
		printf("naive_ns_per_participant_one_conf_at_%zu: %.1f ns\n",
		       sizes[i], ns);
	}

	/* A town hall: 1 000 listening, 10 speaking. Not in the ratio. */
	err = run("one_conf_at_1000_10_talking", 1000, 1000, 10, &ns);
	if (err)
		goto out;

	printf("sink: %u\n", sink & 0xff);
	printf("ratio: %.2f\n", TICK_NS / worst / 10000.0);
 out:
	if (err)
		fprintf(stderr, "bench mixer: error %d\n", err);

	return err ? 1 : 0;
}
