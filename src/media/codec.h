/* codec: G.711 at 8 kHz (ITU-T G.711; RTP payload types 0 PCMU and 8 PCMA,
 * RFC 3551 §4.5.14), 20 ms frames of 160 samples. Built on librem's
 * tables. */
#ifndef DIALCONF_MEDIA_CODEC_H
#define DIALCONF_MEDIA_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define CODEC_SRATE 8000
#define CODEC_PTIME_MS 20
#define CODEC_FRAME (CODEC_SRATE / 1000 * CODEC_PTIME_MS) /* 160 samples */

enum codec_type {
	CODEC_PCMU, /* mu-law, static payload type 0 */
	CODEC_PCMA, /* A-law, static payload type 8 */
};

/* The static RTP payload type of t (RFC 3551 table 4). */
int codec_pt(enum codec_type t);

/* n linear samples to n G.711 bytes, and back. */
void codec_encode(enum codec_type t, const int16_t *pcm, uint8_t *out,
		  size_t n);
void codec_decode(enum codec_type t, const uint8_t *in, int16_t *pcm,
		  size_t n);

#endif
