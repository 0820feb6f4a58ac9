/* player: what one call hears from the attendant, one 20 ms frame at a
 * time: a prompt (borrowed samples), then either silence or, in the lobby,
 * the hold tone. */
#ifndef DIALCONF_MEDIA_PLAYER_H
#define DIALCONF_MEDIA_PLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/codec.h"

#define PLAYER_QUEUE_MAX 9 /* prompts waiting after the one playing */

struct player;

int player_alloc(struct player **pp);
void player_free(struct player *p);

/* Play pcm (n samples, which must outlive the playback) from its start,
 * replacing what plays. */
void player_play(struct player *p, const int16_t *pcm, size_t n);
/* Play pcm after what plays and is queued (at most PLAYER_QUEUE_MAX
 * prompts wait; more are dropped), as one prompt: its end is reported
 * once, when the last ends. Nothing playing: as player_play. */
void player_queue(struct player *p, const int16_t *pcm, size_t n);
/* Stop the prompt at once (barge-in), and what was queued after it; no
 * "finished" is reported for it. */
void player_stop(struct player *p);
/* Hold tone (on) or silence (off) whenever no prompt plays. */
void player_hold(struct player *p, bool on);

/* The next frame of CODEC_FRAME samples. Returns true when a prompt ended
 * within this frame. */
bool player_frame(struct player *p, int16_t *frame);

#endif
