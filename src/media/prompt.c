/* prompt: load the prompt files into memory, one set per language. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "media/codec.h"
#include "media/prompt.h"

struct prompt {
	int16_t *pcm;
	size_t n;
};

struct prompt_set {
	struct prompt *v;
	size_t n;
};

void prompt_set_free(struct prompt_set *ps)
{
	size_t i;

	if (!ps)
		return;
	for (i = 0; ps->v && i < ps->n; i++)
		free(ps->v[i].pcm);
	free(ps->v);
	free(ps);
}

/* Read a whole file of at most PROMPT_MAX_BYTES. */
static int read_file(const char *path, uint8_t **bufp, size_t *lenp)
{
	struct stat st;
	uint8_t *buf = NULL;
	FILE *f;
	int err = 0;

	f = fopen(path, "rb");
	if (!f)
		return errno;
	if (fstat(fileno(f), &st)) {
		err = errno;
		goto out;
	}
	if (st.st_size < PROMPT_MIN_BYTES || st.st_size > PROMPT_MAX_BYTES) {
		err = EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		err = ENOMEM;
		goto out;
	}
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		err = EIO;
		goto out;
	}
	*bufp = buf;
	*lenp = (size_t)st.st_size;
	buf = NULL;
 out:
	free(buf);
	fclose(f);
	return err;
}

static int load_one(struct prompt *p, const char *dir, const char *name,
		    char *why, size_t whysize)
{
	char path[4096];
	uint8_t *raw = NULL;
	size_t len = 0;
	int err;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s.ulaw", dir, name) >=
	    sizeof(path))
		return ENAMETOOLONG;
	err = read_file(path, &raw, &len);
	if (err) {
		if (why)
			snprintf(why, whysize, "%s", path);
		return err;
	}
	p->pcm = malloc(len * sizeof(*p->pcm));
	if (!p->pcm) {
		err = ENOMEM;
		goto out;
	}
	codec_decode(CODEC_PCMU, raw, p->pcm, len);
	p->n = len;
 out:
	free(raw);
	return err;
}

int prompt_set_load(struct prompt_set **psp, const char *dir,
		    const char *const *names, size_t n, char *why,
		    size_t whysize)
{
	struct prompt_set *ps;
	size_t i;
	int err = 0;

	if (!psp || !dir || !names)
		return EINVAL;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return ENOMEM;
	ps->v = calloc(n ? n : 1, sizeof(*ps->v));
	if (!ps->v) {
		err = ENOMEM;
		goto out;
	}
	ps->n = n;
	for (i = 0; i < n && !err; i++)
		err = load_one(&ps->v[i], dir, names[i], why, whysize);
 out:
	if (err)
		prompt_set_free(ps);
	else
		*psp = ps;
	return err;
}

int prompt_get(const struct prompt_set *ps, size_t i, const int16_t **pcm,
	       size_t *n)
{
	if (!ps || i >= ps->n || !ps->v[i].pcm)
		return ENOENT;
	*pcm = ps->v[i].pcm;
	*n = ps->v[i].n;
	return 0;
}

/* The languages file's lines are short; a longer one is not ours. */
#define LANG_LINE_MAX 512
#define LANG_FIELD_MAX 64

struct prompt_lang {
	char tag[PROMPT_TAG_SIZE];
	char dir[LANG_FIELD_MAX];
	struct prompt_set *set;
};

struct prompt_lib {
	struct prompt_lang v[PROMPT_LANGUAGES_MAX];
	size_t n;
	char tags[PROMPT_LANGUAGES_MAX * PROMPT_TAG_SIZE];
};

void prompt_lib_free(struct prompt_lib *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		prompt_set_free(l->v[i].set);
	free(l);
}

/* A BCP 47 tag as the API takes them: letters, digits, '-'. */
static bool tag_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= PROMPT_TAG_SIZE || s[0] == '-')
		return false;
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-')
			return false;
	}
	return true;
}

/* A folder under the prompts' own: "." or one plain name. */
static bool dir_ok(const char *s)
{
	if (!strcmp(s, "."))
		return true;
	if (!s[0] || s[0] == '.')
		return false;
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return false;
	}
	return true;
}

/* One line: "TAG DIR VOICE NAME..." (only TAG and DIR matter here), or a
 * comment or a blank. 0 with *got set when it named a language. */
static int lang_line(struct prompt_lib *l, char *line, bool *got,
		     char *why, size_t whysize)
{
	char tag[LANG_FIELD_MAX], dir[LANG_FIELD_MAX];
	size_t i, dummy;

	*got = false;
	line[strcspn(line, "#\r\n")] = '\0';
	if (sscanf(line, "%63s %63s", tag, dir) < 1)
		return 0; /* blank */
	if (sscanf(line, "%63s %63s", tag, dir) != 2 || !tag_ok(tag) ||
	    !dir_ok(dir)) {
		snprintf(why, whysize, "wants TAG DIR VOICE NAME, with a "
			 "language tag and a folder name");
		return EINVAL;
	}
	if (!prompt_lib_find(l, tag, strlen(tag), &dummy)) {
		snprintf(why, whysize, "%s is listed twice", tag);
		return EINVAL;
	}
	if (l->n == PROMPT_LANGUAGES_MAX) {
		snprintf(why, whysize, "more than %d languages",
			 PROMPT_LANGUAGES_MAX);
		return EINVAL;
	}
	i = l->n++;
	snprintf(l->v[i].tag, sizeof(l->v[i].tag), "%s", tag);
	snprintf(l->v[i].dir, sizeof(l->v[i].dir), "%s", dir);
	*got = true;
	return 0;
}

/* Read dir/languages into l's tags and folders. */
static int lang_read(struct prompt_lib *l, const char *dir, char *why,
		     size_t whysize)
{
	char path[4096], line[LANG_LINE_MAX], what[256] = "";
	unsigned lineno = 0;
	bool got;
	FILE *f;
	int err = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			     PROMPT_LANGUAGES_FILE) >= sizeof(path))
		return ENAMETOOLONG;
	f = fopen(path, "r");
	if (!f) {
		err = errno;
		snprintf(why, whysize, "%s: %s", path, strerror(err));
		return err;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(what, sizeof(what), "longer than %d bytes",
				 LANG_LINE_MAX - 2);
			err = EINVAL;
			break;
		}
		err = lang_line(l, line, &got, what, sizeof(what));
	}
	if (!err && l->n == 0) {
		snprintf(what, sizeof(what), "lists no language");
		lineno = 0;
		err = EINVAL;
	}
	if (err && lineno)
		snprintf(why, whysize, "%s line %u: %s", path, lineno, what);
	else if (err)
		snprintf(why, whysize, "%s: %s", path, what);
	fclose(f);
	return err;
}

static void tags_join(struct prompt_lib *l)
{
	size_t i, len = 0;

	for (i = 0; i < l->n; i++)
		len += (size_t)snprintf(l->tags + len, sizeof(l->tags) - len,
					"%s%s", i ? "," : "", l->v[i].tag);
}

int prompt_lib_load(struct prompt_lib **lp, const char *dir,
		    const char *const *names, size_t n, char *why,
		    size_t whysize)
{
	char sub[4096], path[4096] = "";
	struct prompt_lib *l;
	size_t i;
	int err;

	if (!lp || !dir || !names || !why)
		return EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	err = lang_read(l, dir, why, whysize);
	for (i = 0; !err && i < l->n; i++) {
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir,
				     l->v[i].dir) >= sizeof(sub)) {
			err = ENAMETOOLONG;
			break;
		}
		err = prompt_set_load(&l->v[i].set, sub, names, n, path,
				      sizeof(path));
		if (err)
			snprintf(why, whysize, "%s: %s: %s", l->v[i].tag,
				 path[0] ? path : sub,
				 err == EINVAL ? "shorter than 0.1 s or "
				 "longer than 4 minutes" : strerror(err));
	}
	if (err) {
		prompt_lib_free(l);
		return err;
	}
	tags_join(l);
	*lp = l;
	return 0;
}

size_t prompt_lib_count(const struct prompt_lib *l)
{
	return l ? l->n : 0;
}

const char *prompt_lib_tag(const struct prompt_lib *l, size_t i)
{
	return l && i < l->n ? l->v[i].tag : "";
}

const struct prompt_set *prompt_lib_set(const struct prompt_lib *l,
					size_t i)
{
	return l && i < l->n ? l->v[i].set : NULL;
}

int prompt_lib_find(const struct prompt_lib *l, const char *tag, size_t len,
		    size_t *i)
{
	size_t k;

	for (k = 0; l && tag && k < l->n; k++) {
		if (strlen(l->v[k].tag) == len &&
		    !strncasecmp(l->v[k].tag, tag, len)) {
			*i = k;
			return 0;
		}
	}
	return ENOENT;
}

const char *prompt_lib_tags(const struct prompt_lib *l)
{
	return l ? l->tags : "";
}
