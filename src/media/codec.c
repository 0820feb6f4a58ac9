/* codec: G.711 both ways with librem's conversion tables.
 *
 * librem's encoders negate a negative sample before the table look-up;
 * -32768 has no positive twin in 16 bits, so it stays negative: A-law
 * then indexes its table at -2048 (out of bounds) and mu-law encodes it
 * as 0x7f, a zero in the middle of a full-scale trough (a click). Such
 * samples are clamped to -32767 first, a difference below G.711's
 * quantization step at that level. */
#include <stdbool.h>
#include <stdint.h>

#include <rem_g711.h>

#include "media/codec.h"

int codec_pt(enum codec_type t)
{
	return t == CODEC_PCMA ? 8 : 0;
}

static inline int16_t clamp(int16_t s)
{
	return s == INT16_MIN ? -INT16_MAX : s;
}

void codec_encode(enum codec_type t, const int16_t *pcm, uint8_t *out,
		  size_t n)
{
	size_t i;

	if (t == CODEC_PCMA) {
		for (i = 0; i < n; i++)
			out[i] = g711_pcm2alaw(clamp(pcm[i]));
		return;
	}
	for (i = 0; i < n; i++)
		out[i] = g711_pcm2ulaw(clamp(pcm[i]));
}

void codec_decode(enum codec_type t, const uint8_t *in, int16_t *pcm,
		  size_t n)
{
	size_t i;

	if (t == CODEC_PCMA) {
		for (i = 0; i < n; i++)
			pcm[i] = g711_alaw2pcm(in[i]);
		return;
	}
	for (i = 0; i < n; i++)
		pcm[i] = g711_ulaw2pcm(in[i]);
}
