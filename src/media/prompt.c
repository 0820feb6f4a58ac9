/* prompt: load the prompt files into memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	if (st.st_size <= 0 || st.st_size > PROMPT_MAX_BYTES) {
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
