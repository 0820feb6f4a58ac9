/* mixer: one conference's N-1 audio mix (SPEC §6, issue 6). Each
 * participant feeds G.711 frames (PCMU or PCMA, 20 ms, 160 bytes) into a
 * small jitter buffer; every 20 ms mixer_tick() sums all unmuted inputs
 * once and hands each participant the total minus their own voice,
 * saturated to 16 bits and encoded in their codec, through a frame
 * handler. O(N) per tick.
 *
 * Threading: none inside. Every call, mixer_tick() included, belongs to
 * one thread, the SIP thread (libre's re_main, driven by a tmr): the
 * frame handler may then call rtp_send() directly. mixer_tick() never
 * blocks, allocates or does I/O besides calling the frame handlers. */
#ifndef DIALCONF_MEDIA_MIXER_H
#define DIALCONF_MEDIA_MIXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/codec.h"

#define MIXER_FRAME CODEC_FRAME /* samples, and G.711 bytes, per tick */
#define MIXER_JB_SLOTS 4	/* frames held ahead of playout: 80 ms */
#define MIXER_JB_PREFILL 2	/* frames waited for before playout: 40 ms */
#define MIXER_TONE_SAMPLES 1600 /* an entry or exit tone: 200 ms */

struct mixer;
struct mixer_part;

/* Called once per participant per tick with their next frame: len bytes
 * of G.711 in their codec. frame is valid until the handler returns. It
 * must not add or remove participants, nor free the mixer. */
typedef void (mixer_frame_h)(struct mixer_part *p, const uint8_t *frame,
			     size_t len, void *arg);

/* Per-participant jitter buffer counters, from mixer_part_stats(). */
struct mixer_stat {
	uint64_t put;      /* frames handed to mixer_part_put()        */
	uint64_t played;   /* frames decoded and mixed (or muted)      */
	uint64_t lost;     /* silent ticks once a frame had played    */
	uint64_t late;     /* frames dropped: their tick had passed    */
	uint64_t dup;      /* frames dropped: already buffered         */
	uint64_t overflow; /* frames dropped: too far ahead, or pushed */
};

enum mixer_tone {
	MIXER_TONE_ENTRY, /* low then high: someone joined */
	MIXER_TONE_EXIT,  /* high then low: someone left */
};

/* A new empty conference in *mp. Returns 0 or ENOMEM. */
int mixer_alloc(struct mixer **mp);

/* Frees m and every participant still in it. NULL is fine. */
void mixer_free(struct mixer *m);

/* Number of participants in m. */
size_t mixer_count(const struct mixer *m);

/* Adds a participant speaking codec; frameh(p, frame, len, arg) receives
 * what they hear each tick. Returns 0, EINVAL or ENOMEM. */
int mixer_part_add(struct mixer *m, enum codec_type codec,
		   mixer_frame_h *frameh, void *arg, struct mixer_part **pp);

/* Removes p from its conference and frees it. NULL is fine. */
void mixer_part_remove(struct mixer_part *p);

/* Queues one received RTP payload (len must be MIXER_FRAME bytes) with
 * its RTP sequence number. Late, duplicate and far-ahead frames are
 * dropped and counted, not errors. Returns 0, or EINVAL. */
int mixer_part_put(struct mixer_part *p, uint16_t seq, const uint8_t *payload,
		   size_t len);

/* A muted participant is not heard but still hears everyone else. */
void mixer_part_set_muted(struct mixer_part *p, bool muted);
bool mixer_part_muted(const struct mixer_part *p);

/* The codec p was added with. */
enum codec_type mixer_part_codec(const struct mixer_part *p);

/* Copies p's jitter buffer counters into *st. */
void mixer_part_stats(const struct mixer_part *p, struct mixer_stat *st);

/* Plays n samples of 16-bit audio to the whole conference, from the next
 * tick on, replacing any announcement still playing (entry and exit
 * tones). Copies pcm. Returns 0, EINVAL or ENOMEM. */
int mixer_announce(struct mixer *m, const int16_t *pcm, size_t n);

/* Plays n samples to p alone, over the conference (the *6 and *1
 * prompts), replacing any still playing. Copies pcm. Returns 0, EINVAL
 * or ENOMEM. */
int mixer_part_whisper(struct mixer_part *p, const int16_t *pcm, size_t n);

/* One 20 ms step: every participant's frameh is called once. */
void mixer_tick(struct mixer *m);

/* Renders an entry or exit tone, MIXER_TONE_SAMPLES samples, into pcm
 * (room for n). Returns the number of samples written, 0 if n is short. */
size_t mixer_tone(enum mixer_tone tone, int16_t *pcm, size_t n);

#endif
