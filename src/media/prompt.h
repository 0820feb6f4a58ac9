/* prompt: the attendant's prompts, loaded once at start from a folder of
 * NAME.ulaw files (8 kHz mono G.711 mu-law, headerless, as written by
 * prompts/generate.sh) and kept as linear samples, so each call encodes
 * them in the codec it negotiated.
 *
 * A prompt library is one set per language: the folder's `languages` file
 * lists them (TAG DIR VOICE NAME a line, the first the default), and each
 * language's set is DIR/NAME.ulaw of the same names, all loaded at start
 * so that a missing or truncated file stops `serve` instead of a call. */
#ifndef DIALCONF_MEDIA_PROMPT_H
#define DIALCONF_MEDIA_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#define PROMPT_MAX_BYTES (2 * 1024 * 1024) /* 4 minutes: more is a mistake */
#define PROMPT_MIN_BYTES 800 /* 0.1 s: less is a truncated file */
#define PROMPT_LANGUAGES_MAX 32  /* languages of a library */
#define PROMPT_TAG_SIZE 36       /* a BCP 47 tag of up to 35 characters */
#define PROMPT_LANGUAGES_FILE "languages"

struct prompt_set;

/* Load dir/NAME.ulaw for each of the n names. 0, ENOMEM, or the errno of
 * the first file that is missing, unreadable, too short or too long
 * (EINVAL: under PROMPT_MIN_BYTES or over PROMPT_MAX_BYTES); the failing
 * path goes to why. */
int prompt_set_load(struct prompt_set **psp, const char *dir,
		    const char *const *names, size_t n, char *why,
		    size_t whysize);
void prompt_set_free(struct prompt_set *ps);

/* The samples of prompt i (the index into names), or ENOENT. */
int prompt_get(const struct prompt_set *ps, size_t i, const int16_t **pcm,
	       size_t *n);

struct prompt_lib;

/* Read dir/languages and load each language's set of the n names (as
 * prompt_set_load). 0, or EINVAL (a bad languages file: why says which
 * line and what), ENOMEM, or the errno of the first prompt that does not
 * load (why: "fr-FR: /path/fr-FR/goodbye.ulaw: ..." ). */
int prompt_lib_load(struct prompt_lib **lp, const char *dir,
		    const char *const *names, size_t n, char *why,
		    size_t whysize);
void prompt_lib_free(struct prompt_lib *l);

/* How many languages (at least 1 once loaded). */
size_t prompt_lib_count(const struct prompt_lib *l);
/* The tag of language i ("fr-FR"), as the languages file spells it. */
const char *prompt_lib_tag(const struct prompt_lib *l, size_t i);
/* The set of language i; language 0 is the default. */
const struct prompt_set *prompt_lib_set(const struct prompt_lib *l,
					size_t i);
/* The language whose tag is the len bytes at tag, compared without case,
 * into *i. 0 or ENOENT. */
int prompt_lib_find(const struct prompt_lib *l, const char *tag, size_t len,
		    size_t *i);
/* Every tag, in the file's order, comma-separated: "en-US,fr-FR". */
const char *prompt_lib_tags(const struct prompt_lib *l);

#endif
