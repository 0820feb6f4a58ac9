/* player: prompt playback and the hold tone.
 *
 * The hold tone is a soft 440 Hz tone, 0.4 s on and 2.6 s off, at about
 * -20 dBFS: clearly "you are still connected" without being tiring. It
 * is generated from a phase accumulator, so it costs no table and no
 * file. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/player.h"

#define HOLD_HZ 440.0
#define HOLD_ON (CODEC_SRATE * 4 / 10)  /* samples of tone */
#define HOLD_PERIOD (CODEC_SRATE * 3)   /* samples of one cycle */
#define HOLD_AMP 3000.0

struct player {
	const int16_t *pcm;
	size_t n;
	size_t pos;
	bool hold;
	uint32_t hold_t; /* position in the hold cycle */
	struct {
		const int16_t *pcm;
		size_t n;
	} queue[PLAYER_QUEUE_MAX]; /* to play after pcm, in order */
	size_t nqueue;
};

int player_alloc(struct player **pp)
{
	struct player *p = calloc(1, sizeof(*p));

	if (!p)
		return ENOMEM;
	*pp = p;
	return 0;
}

void player_free(struct player *p)
{
	free(p);
}

void player_play(struct player *p, const int16_t *pcm, size_t n)
{
	p->pcm = pcm;
	p->n = n;
	p->pos = 0;
	p->nqueue = 0;
}

void player_queue(struct player *p, const int16_t *pcm, size_t n)
{
	if (!p->pcm) {
		player_play(p, pcm, n);
		return;
	}
	if (p->nqueue == PLAYER_QUEUE_MAX)
		return;
	p->queue[p->nqueue].pcm = pcm;
	p->queue[p->nqueue].n = n;
	p->nqueue++;
}

void player_stop(struct player *p)
{
	p->pcm = NULL;
	p->n = p->pos = 0;
	p->nqueue = 0;
}

/* The current prompt is over: the next queued one, or nothing. True when
 * the queue has run dry. */
static bool next_queued(struct player *p)
{
	if (!p->nqueue) {
		player_stop(p);
		return true;
	}
	p->pcm = p->queue[0].pcm;
	p->n = p->queue[0].n;
	p->pos = 0;
	p->nqueue--;
	memmove(p->queue, p->queue + 1, p->nqueue * sizeof(p->queue[0]));
	return false;
}

void player_hold(struct player *p, bool on)
{
	if (on && !p->hold)
		p->hold_t = 0;
	p->hold = on;
}

static int16_t hold_sample(struct player *p)
{
	uint32_t t = p->hold_t;

	p->hold_t = (p->hold_t + 1) % HOLD_PERIOD;
	if (t >= HOLD_ON)
		return 0;
	return (int16_t)(HOLD_AMP * sin(2.0 * M_PI * HOLD_HZ * t / CODEC_SRATE));
}

bool player_frame(struct player *p, int16_t *frame)
{
	bool ended = false;
	size_t i = 0;

	if (p->pcm) {
		size_t k = p->n - p->pos;

		if (k > CODEC_FRAME)
			k = CODEC_FRAME;
		memcpy(frame, p->pcm + p->pos, k * sizeof(*frame));
		p->pos += k;
		i = k;
		if (p->pos >= p->n)
			ended = next_queued(p);
	}
	for (; i < CODEC_FRAME; i++)
		frame[i] = p->hold ? hold_sample(p) : 0;
	return ended;
}
