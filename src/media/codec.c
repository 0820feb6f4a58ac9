/* codec: G.711 both ways with librem's conversion tables. */
#include <stdbool.h>
#include <stdint.h>

#include <rem_g711.h>

#include "media/codec.h"

int codec_pt(enum codec_type t)
{
	return t == CODEC_PCMA ? 8 : 0;
}

void codec_encode(enum codec_type t, const int16_t *pcm, uint8_t *out,
		  size_t n)
{
	size_t i;

	if (t == CODEC_PCMA) {
		for (i = 0; i < n; i++)
			out[i] = g711_pcm2alaw(pcm[i]);
		return;
	}
	for (i = 0; i < n; i++)
		out[i] = g711_pcm2ulaw(pcm[i]);
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
