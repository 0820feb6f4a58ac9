/* The conference mixer (SPEC §6, issue 6): who hears what, on synthetic
 * frames. A participant's expected output is computed the slow way here
 * (decode every other input, add, clamp, encode in the listener's codec)
 * and must match the mixer byte for byte: G.711 quantization is the only
 * loss, and it is the same on both sides. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "media/codec.h"
#include "media/mixer.h"

#define F MIXER_FRAME
#define TICKS 20   /* 400 ms: enough for tone detection at 8 kHz */
#define MAXP 5

/* One participant as a test sees it: what it sends, what it heard. */
struct peer {
	struct mixer_part *p;
	enum codec_type codec;
	uint8_t in[TICKS + 1][F];  /* frames sent, in its codec */
	int16_t dec[TICKS + 1][F]; /* the same, as the mixer decodes them */
	uint8_t out[TICKS][F];     /* frames heard */
	unsigned heard;
	bool drop[TICKS + 1];      /* frames lost on the way */
	bool gone;                 /* removed from the conference */
};

struct conf {
	struct mixer *m;
	struct peer peer[MAXP];
	size_t n;
	uint16_t seq; /* of the next frame run() sends */
};

static void on_frame(struct mixer_part *p, const uint8_t *frame, size_t len,
		     void *arg)
{
	struct peer *pe = arg;

	assert_ptr_equal(p, pe->p);
	assert_int_equal(len, F);
	assert_true(pe->heard < TICKS);
	memcpy(pe->out[pe->heard++], frame, F);
}

/* A tone of hz (0: a constant amp) as participant input, encoded. */
static void make_signal(struct peer *pe, double hz, double amp)
{
	int16_t pcm[F];
	size_t t, i, k;

	for (t = 0; t <= TICKS; t++) {
		for (i = 0; i < F; i++) {
			k = t * F + i;
			pcm[i] = (int16_t)lrint(hz > 0 ?
				amp * sin(2 * M_PI * hz * (double)k / 8000) :
				amp);
		}
		codec_encode(pe->codec, pcm, pe->in[t], F);
		codec_decode(pe->codec, pe->in[t], pe->dec[t], F);
	}
}

static struct peer *add_peer(struct conf *c, enum codec_type codec,
			     double hz, double amp)
{
	struct peer *pe = &c->peer[c->n++];

	pe->codec = codec;
	make_signal(pe, hz, amp);
	assert_int_equal(mixer_part_add(c->m, codec, on_frame, pe, &pe->p), 0);

	return pe;
}

static void send_frame(const struct conf *c, struct peer *pe, size_t t)
{
	if (!pe->gone && !pe->drop[t])
		assert_int_equal(mixer_part_put(pe->p, (uint16_t)(c->seq + t),
						pe->in[t], F), 0);
}

/* Frame 0 primes the buffers; then before tick t frame t + 1 arrives, so
 * tick t plays frame t (one frame of playout delay after the prefill). */
static void run(struct conf *c, size_t ticks)
{
	size_t t, i;

	for (i = 0; i < c->n; i++)
		send_frame(c, &c->peer[i], 0);
	for (t = 0; t < ticks; t++) {
		for (i = 0; i < c->n; i++)
			send_frame(c, &c->peer[i], t + 1);
		mixer_tick(c->m);
	}
	c->seq = (uint16_t)(c->seq + ticks + 1);
}

static int16_t clamp(int32_t s)
{
	return (int16_t)(s > 32767 ? 32767 : s < -32767 ? -32767 : s);
}

/* What listener should hear at tick t: everyone else's decoded frame
 * (unless muted or lost), summed, clamped, encoded in its codec. */
static void expected(const struct conf *c, size_t listener, size_t t,
		     uint8_t *frame)
{
	int32_t sum[F] = { 0 };
	int16_t pcm[F];
	const struct peer *o;
	size_t i, k;

	for (i = 0; i < c->n; i++) {
		o = &c->peer[i];
		if (i == listener || o->gone || mixer_part_muted(o->p) ||
		    o->drop[t])
			continue;
		for (k = 0; k < F; k++)
			sum[k] += o->dec[t][k];
	}
	for (k = 0; k < F; k++)
		pcm[k] = clamp(sum[k]);
	codec_encode(c->peer[listener].codec, pcm, frame, F);
}

static void assert_heard_expected(const struct conf *c, size_t ticks)
{
	uint8_t want[F];
	size_t i, t;

	for (i = 0; i < c->n; i++) {
		if (c->peer[i].gone)
			continue;
		assert_int_equal(c->peer[i].heard, ticks);
		for (t = 0; t < ticks; t++) {
			expected(c, i, t, want);
			if (memcmp(want, c->peer[i].out[t], F))
				fail_msg("participant %zu tick %zu", i, t);
		}
	}
}

/* Power of frequency hz in what pe heard (Goertzel over all ticks). */
static double power_at(const struct peer *pe, double hz)
{
	const double w = 2 * cos(2 * M_PI * hz / 8000);
	int16_t pcm[F];
	double s0, s1 = 0, s2 = 0;
	size_t t, i;

	for (t = 0; t < pe->heard; t++) {
		codec_decode(pe->codec, pe->out[t], pcm, F);
		for (i = 0; i < F; i++) {
			s0 = pcm[i] + w * s1 - s2;
			s2 = s1;
			s1 = s0;
		}
	}
	return s1 * s1 + s2 * s2 - w * s1 * s2;
}

static int setup(void **state)
{
	struct conf *c = calloc(1, sizeof(*c));

	if (!c || mixer_alloc(&c->m))
		return -1;
	c->seq = 65530; /* runs cross the 16-bit wrap */
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct conf *c = *state;

	mixer_free(c->m);
	free(c);
	return 0;
}

/* Four talkers, sines at distinct pitches and one steady offset: each
 * hears exactly the other three and nothing of itself. */
static void test_n_minus_one(void **state)
{
	static const double hz[] = { 400, 1000, 1800, 2600 };
	struct conf *c = *state;
	double own, other;
	size_t i, j;

	for (i = 0; i < 4; i++)
		add_peer(c, CODEC_PCMU, hz[i], 4000);
	add_peer(c, CODEC_PCMU, 0, 1500);
	run(c, TICKS);
	assert_heard_expected(c, TICKS);

	for (i = 0; i < 4; i++) {
		own = power_at(&c->peer[i], hz[i]);
		for (j = 0; j < 4; j++) {
			if (j == i)
				continue;
			other = power_at(&c->peer[i], hz[j]);
			/* Quantization noise only: 40 dB below the others. */
			if (own * 1e4 > other)
				fail_msg("peer %zu hears itself: %g vs %g", i,
					 own, other);
		}
	}
}

/* Three loud talkers: each hears two of them (60000) and the listener all
 * three (90000); both clip at full scale instead of wrapping negative. */
static void test_saturation(void **state)
{
	struct conf *c = *state;
	int16_t max = 32767, top, pcm[F];
	uint8_t enc;
	size_t i, t;

	for (i = 0; i < 3; i++)
		add_peer(c, CODEC_PCMU, 0, 30000);
	add_peer(c, CODEC_PCMA, 0, -30000); /* a loud listener, opposite sign */
	mixer_part_set_muted(c->peer[3].p, true);
	run(c, 4);
	assert_heard_expected(c, 4);

	for (i = 0; i < 3; i++) {
		codec_encode(CODEC_PCMU, &max, &enc, 1);
		codec_decode(CODEC_PCMU, &enc, &top, 1);
		for (t = 0; t < 4; t++) {
			codec_decode(CODEC_PCMU, c->peer[i].out[t], pcm, F);
			assert_int_equal(pcm[0], top);
			assert_int_equal(pcm[F - 1], top);
		}
	}
	codec_encode(CODEC_PCMA, &max, &enc, 1);
	codec_decode(CODEC_PCMA, &enc, &top, 1);
	codec_decode(CODEC_PCMA, c->peer[3].out[3], pcm, F);
	assert_int_equal(pcm[F / 2], top);
}

/* One caller loses packets (single ones and a burst): those ticks it adds
 * silence, and the other two keep hearing each other throughout. */
static void test_missing_packets(void **state)
{
	struct conf *c = *state;
	struct mixer_stat st;
	struct peer *lossy;

	add_peer(c, CODEC_PCMU, 500, 5000);
	add_peer(c, CODEC_PCMU, 1500, 5000);
	lossy = add_peer(c, CODEC_PCMU, 700, 5000);
	lossy->drop[3] = lossy->drop[7] = lossy->drop[8] = true;
	run(c, TICKS);
	assert_heard_expected(c, TICKS);

	mixer_part_stats(lossy->p, &st);
	assert_int_equal(st.lost, 3);
	assert_int_equal(st.played, TICKS - 3);
	assert_true(power_at(&c->peer[0], 1500) > 1e6);
	assert_true(power_at(&c->peer[1], 500) > 1e6);
}

/* A caller who stops sending altogether is silence to the rest. */
static void test_silent_participant(void **state)
{
	struct conf *c = *state;
	struct peer *mute;
	size_t t;

	add_peer(c, CODEC_PCMU, 500, 5000);
	add_peer(c, CODEC_PCMA, 1500, 5000);
	mute = add_peer(c, CODEC_PCMU, 900, 5000);
	for (t = 0; t <= TICKS; t++)
		mute->drop[t] = true;
	run(c, TICKS);
	assert_heard_expected(c, TICKS);
}

/* Muted: not heard by the others, still hears them; unmuted: heard. */
static void test_muted(void **state)
{
	struct conf *c = *state;
	struct peer *a, *b, *m;

	a = add_peer(c, CODEC_PCMU, 500, 5000);
	b = add_peer(c, CODEC_PCMU, 1500, 5000);
	m = add_peer(c, CODEC_PCMA, 900, 5000);
	mixer_part_set_muted(m->p, true);
	assert_true(mixer_part_muted(m->p));
	run(c, TICKS);
	assert_heard_expected(c, TICKS);
	assert_true(power_at(a, 900) * 1e4 < power_at(a, 1500));
	assert_true(power_at(m, 500) > 1e6 && power_at(m, 1500) > 1e6);

	/* *6 again: heard from the next tick on. */
	mixer_part_set_muted(m->p, false);
	a->heard = b->heard = m->heard = 0;
	run(c, TICKS);
	assert_true(power_at(a, 900) > 1e6 && power_at(b, 900) > 1e6);
}

/* A PCMU caller and a PCMA caller hear each other, each in its codec. */
static void test_mixed_codecs(void **state)
{
	struct conf *c = *state;
	struct peer *u, *a;

	u = add_peer(c, CODEC_PCMU, 440, 6000);
	a = add_peer(c, CODEC_PCMA, 1000, 6000);
	assert_int_equal(mixer_part_codec(a->p), CODEC_PCMA);
	run(c, TICKS);
	assert_heard_expected(c, TICKS);
	assert_true(power_at(u, 1000) > 1e4 * power_at(u, 440));
	assert_true(power_at(a, 440) > 1e4 * power_at(a, 1000));
}

/* Alone in the conference: silence, whatever one says. */
static void test_lone(void **state)
{
	struct conf *c = *state;
	int16_t pcm[F];
	size_t t, i;

	add_peer(c, CODEC_PCMA, 0, 20000);
	run(c, 5);
	for (t = 0; t < 5; t++) {
		codec_decode(CODEC_PCMA, c->peer[0].out[t], pcm, F);
		for (i = 0; i < F; i++)
			assert_true(abs(pcm[i]) <= 8);
	}
}

/* The buffer plays in sequence order whatever the arrival order, drops
 * duplicates and late frames, and survives the 16-bit wrap. */
static void test_jitter_buffer(void **state)
{
	struct conf *c = *state;
	struct peer *s, *l;
	struct mixer_stat st;
	int16_t pcm[F];
	uint8_t fr[5][F];
	size_t k;

	s = add_peer(c, CODEC_PCMU, 0, 0); /* driven by hand */
	l = add_peer(c, CODEC_PCMU, 0, 0);
	for (k = 0; k < 5; k++)
		memset(fr[k], 0x80 + (int)k * 8, F); /* distinct loud levels */

	/* 65534, 0, 65535 (reordered, across the wrap), 65534 again. */
	assert_int_equal(mixer_part_put(s->p, 65534, fr[0], F), 0);
	mixer_tick(c->m); /* prefill: one frame is not enough yet */
	assert_int_equal(mixer_part_put(s->p, 0, fr[2], F), 0);
	assert_int_equal(mixer_part_put(s->p, 65535, fr[1], F), 0);
	assert_int_equal(mixer_part_put(s->p, 65534, fr[0], F), 0);
	for (k = 0; k < 3; k++)
		mixer_tick(c->m);
	assert_int_equal(mixer_part_put(s->p, 65535, fr[1], F), 0); /* late */
	assert_int_equal(mixer_part_put(s->p, 1, fr[3], F), 0);
	mixer_tick(c->m);

	assert_int_equal(l->heard, 5);
	codec_decode(CODEC_PCMU, l->out[0], pcm, F);
	assert_true(abs(pcm[0]) <= 8);
	for (k = 0; k < 4; k++)
		assert_memory_equal(l->out[k + 1], fr[k], F);

	mixer_part_stats(s->p, &st);
	assert_int_equal(st.put, 6);
	assert_int_equal(st.played, 4);
	assert_int_equal(st.dup, 1);
	assert_int_equal(st.late, 1);
	assert_int_equal(mixer_part_put(s->p, 2, fr[0], F - 1), EINVAL);
}

/* A jump far ahead (the sender restarted, or runs fast) slides playout
 * forward instead of stalling; a dry buffer re-anchors on the next
 * packet, so a caller back from hold is heard again at once. */
static void test_jitter_resync(void **state)
{
	struct conf *c = *state;
	struct peer *s, *l;
	struct mixer_stat st;
	int16_t pcm[F];
	uint8_t fr[F];
	size_t k;

	s = add_peer(c, CODEC_PCMU, 0, 0); /* driven by hand */
	l = add_peer(c, CODEC_PCMU, 0, 0);
	memset(fr, 0x90, F);

	assert_int_equal(mixer_part_put(s->p, 10, fr, F), 0);
	assert_int_equal(mixer_part_put(s->p, 11, fr, F), 0);
	mixer_tick(c->m);
	assert_int_equal(mixer_part_put(s->p, 12, fr, F), 0);
	mixer_tick(c->m);
	assert_int_equal(mixer_part_put(s->p, 500, fr, F), 0); /* jump */
	mixer_part_stats(s->p, &st);
	assert_int_equal(st.overflow, 1); /* 12, pushed out */
	for (k = 0; k < 4; k++)
		mixer_tick(c->m); /* 497..499 never came, then 500 */
	for (k = 2; k < 5; k++) {
		codec_decode(CODEC_PCMU, l->out[k], pcm, F);
		assert_true(abs(pcm[0]) <= 8);
	}
	assert_memory_equal(l->out[5], fr, F);
	mixer_part_stats(s->p, &st);
	assert_int_equal(st.lost, 3);

	/* Dry for a while (hold), then back with a much older seq. */
	for (k = 0; k < 6; k++)
		mixer_tick(c->m);
	assert_int_equal(mixer_part_put(s->p, 200, fr, F), 0);
	assert_int_equal(mixer_part_put(s->p, 201, fr, F), 0);
	mixer_tick(c->m);
	assert_memory_equal(l->out[l->heard - 1], fr, F);
	mixer_part_stats(s->p, &st);
	assert_int_equal(st.late, 0);
	assert_int_equal(st.lost, 9);
}

/* Entry tone: everyone hears it, the lone caller too; a whisper (the *6
 * prompt) only its addressee, over the conference. */
static void test_tones_and_whisper(void **state)
{
	struct conf *c = *state;
	int16_t entry[MIXER_TONE_SAMPLES], exit_[MIXER_TONE_SAMPLES];
	struct peer *a, *b;
	size_t k;

	assert_int_equal(mixer_tone(MIXER_TONE_ENTRY, entry, 10), 0);
	assert_int_equal(mixer_tone(MIXER_TONE_ENTRY, entry,
				    MIXER_TONE_SAMPLES), MIXER_TONE_SAMPLES);
	assert_int_equal(mixer_tone(MIXER_TONE_EXIT, exit_,
				    MIXER_TONE_SAMPLES), MIXER_TONE_SAMPLES);
	assert_true(abs(entry[0]) < 100);
	assert_true(abs(entry[MIXER_TONE_SAMPLES - 1]) < 100);
	assert_memory_not_equal(entry, exit_, sizeof(entry));
	/* Entry rises, exit falls: entry's second half is exit's first. */
	assert_memory_equal(entry + MIXER_TONE_SAMPLES / 2, exit_,
			    sizeof(entry) / 2);

	a = add_peer(c, CODEC_PCMU, 0, 0);
	assert_int_equal(mixer_announce(c->m, entry, MIXER_TONE_SAMPLES), 0);
	for (k = 0; k < MIXER_TONE_SAMPLES / F + 1; k++)
		mixer_tick(c->m);
	assert_true(power_at(a, 660) > 1e8 && power_at(a, 990) > 1e8);

	b = add_peer(c, CODEC_PCMA, 0, 0);
	a->heard = 0;
	assert_int_equal(mixer_part_whisper(b->p, exit_, 1000), 0);
	for (k = 0; k < 8; k++)
		mixer_tick(c->m);
	assert_true(power_at(b, 990) > 1e8);
	assert_true(power_at(a, 990) < 1e3);
	assert_int_equal(mixer_announce(c->m, entry, 0), EINVAL);
	assert_int_equal(mixer_part_whisper(b->p, NULL, 5), EINVAL);
}

/* Leaving: the others stop hearing you, the conference goes on. */
static void test_remove(void **state)
{
	struct conf *c = *state;
	struct peer *a, *b;

	a = add_peer(c, CODEC_PCMU, 500, 5000);
	b = add_peer(c, CODEC_PCMA, 1500, 5000);
	add_peer(c, CODEC_PCMU, 0, 3000);
	assert_int_equal(mixer_count(c->m), 3);
	mixer_part_remove(a->p);
	a->gone = true;
	assert_int_equal(mixer_count(c->m), 2);
	run(c, TICKS);
	assert_heard_expected(c, TICKS);
	assert_int_equal(a->heard, 0);

	assert_int_equal(mixer_part_add(c->m, (enum codec_type)7, on_frame, b,
					&b->p), EINVAL);
	assert_int_equal(mixer_part_add(NULL, CODEC_PCMU, on_frame, b, &b->p),
			 EINVAL);
	assert_int_equal(mixer_count(c->m), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_n_minus_one, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_saturation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_packets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_silent_participant, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_muted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mixed_codecs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_jitter_buffer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_jitter_resync, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tones_and_whisper, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
