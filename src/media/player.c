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
}

void player_stop(struct player *p)
{
	p->pcm = NULL;
	p->n = p->pos = 0;
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
		if (p->pos >= p->n) {
			player_stop(p);
			ended = true;
		}
	}
	for (; i < CODEC_FRAME; i++)
		frame[i] = p->hold ? hold_sample(p) : 0;
	return ended;
}
