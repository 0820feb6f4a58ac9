/* prompt: the attendant's prompts, loaded once at start from a folder of
 * NAME.ulaw files (8 kHz mono G.711 mu-law, headerless, as written by
 * prompts/generate.sh) and kept as linear samples, so each call encodes
 * them in the codec it negotiated. */
#ifndef DIALCONF_MEDIA_PROMPT_H
#define DIALCONF_MEDIA_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#define PROMPT_MAX_BYTES (2 * 1024 * 1024) /* 4 minutes: more is a mistake */

struct prompt_set;

/* Load dir/NAME.ulaw for each of the n names. 0, ENOMEM, or the errno of
 * the first file that is missing, unreadable or empty (EINVAL when empty
 * or over PROMPT_MAX_BYTES); the failing path goes to why. */
int prompt_set_load(struct prompt_set **psp, const char *dir,
		    const char *const *names, size_t n, char *why,
		    size_t whysize);
void prompt_set_free(struct prompt_set *ps);

/* The samples of prompt i (the index into names), or ENOENT. */
int prompt_get(const struct prompt_set *ps, size_t i, const int16_t **pcm,
	       size_t *n);

#endif
