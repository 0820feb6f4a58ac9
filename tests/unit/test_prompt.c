/* Prompts per language (media/prompt.c) and their playback in a row
 * (media/player.c): a folder as prompts/generate.sh makes it, with its
 * languages file, written to a temporary directory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "media/codec.h"
#include "media/player.h"
#include "media/prompt.h"

static const char *const names[] = {"welcome", "goodbye"};
#define NNAMES 2

struct tree {
	char dir[64];
};

static void put(const char *dir, const char *file, const void *data,
		size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* dir/sub/NAME.ulaw for each name: len bytes of u-law byte b. */
static void put_prompts(const char *dir, const char *sub, uint8_t b,
			size_t len)
{
	char d[128], file[64];
	uint8_t *buf = malloc(len);
	size_t i;

	assert_non_null(buf);
	memset(buf, b, len);
	snprintf(d, sizeof(d), "%s/%s", dir, sub);
	mkdir(d, 0700);
	for (i = 0; i < NNAMES; i++) {
		snprintf(file, sizeof(file), "%s.ulaw", names[i]);
		put(d, file, buf, len);
	}
	free(buf);
}

static void put_languages(const struct tree *t, const char *text)
{
	put(t->dir, "languages", text, strlen(text));
}

/* English at the top, French in fr-FR/: as shipped. */
static void make(struct tree *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/dialconf-prompt-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	put_languages(t, "# TAG DIR VOICE NAME\n"
		      "en-US . en-us English\n"
		      "\n"
		      "fr-FR  fr-FR  fr-fr  fran\xc3\xa7" "ais # comment\n");
	put_prompts(t->dir, ".", 0x10, 1000);
	put_prompts(t->dir, "fr-FR", 0x20, 1200);
}

static void unmake(struct tree *t)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

static int load(struct tree *t, struct prompt_lib **l, char *why,
		size_t whysize)
{
	why[0] = '\0';
	return prompt_lib_load(l, t->dir, names, NNAMES, why, whysize);
}

static void test_sets_per_language(void **state)
{
	struct tree t;
	struct prompt_lib *l = NULL;
	const int16_t *pcm;
	int16_t want;
	char why[512];
	size_t n, i;

	(void)state;
	make(&t);
	assert_int_equal(load(&t, &l, why, sizeof(why)), 0);
	assert_int_equal(prompt_lib_count(l), 2);
	assert_string_equal(prompt_lib_tag(l, 0), "en-US");
	assert_string_equal(prompt_lib_tag(l, 1), "fr-FR");
	assert_string_equal(prompt_lib_tags(l), "en-US,fr-FR");
	assert_int_equal(prompt_lib_find(l, "FR-fr", 5, &i), 0);
	assert_int_equal(i, 1);
	assert_int_equal(prompt_lib_find(l, "fr-FR,en", 5, &i), 0);
	assert_int_equal(prompt_lib_find(l, "fr", 2, &i), ENOENT);
	assert_int_equal(prompt_lib_find(l, "de-DE", 5, &i), ENOENT);

	/* each language's own files */
	assert_int_equal(prompt_get(prompt_lib_set(l, 1), 1, &pcm, &n), 0);
	assert_int_equal(n, 1200);
	codec_decode(CODEC_PCMU, (const uint8_t *)"\x20", &want, 1);
	assert_int_equal(pcm[0], want);
	assert_int_equal(prompt_get(prompt_lib_set(l, 0), 0, &pcm, &n), 0);
	assert_int_equal(n, 1000);
	assert_null(prompt_lib_set(l, 2));
	prompt_lib_free(l);
	unmake(&t);
}

/* A prompt missing or cut short in any language stops the load, naming
 * the language and the file. */
static void test_missing_or_short_prompt(void **state)
{
	struct tree t;
	struct prompt_lib *l = NULL;
	char why[512], path[128];

	(void)state;
	make(&t);
	snprintf(path, sizeof(path), "%s/fr-FR/goodbye.ulaw", t.dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(load(&t, &l, why, sizeof(why)), ENOENT);
	assert_null(l);
	assert_non_null(strstr(why, "fr-FR: "));
	assert_non_null(strstr(why, "fr-FR/goodbye.ulaw"));

	put(t.dir, "fr-FR/goodbye.ulaw", "\xff\xff\xff", 3);
	assert_int_equal(load(&t, &l, why, sizeof(why)), EINVAL);
	assert_non_null(strstr(why, "fr-FR/goodbye.ulaw"));
	assert_non_null(strstr(why, "shorter"));
	unmake(&t);
}

static void test_bad_languages_file(void **state)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{"en-US . en-us English\nen-us . en-us English\n",
		 "line 2: en-us is listed twice"},
		{"en-US ../elsewhere en-us English\n", "line 1: wants"},
		{"en_US . en-us English\n", "line 1: wants"},
		{"en-US\n", "line 1: wants"},
		{"# nothing\n\n", "lists no language"},
	};
	struct tree t;
	struct prompt_lib *l = NULL;
	char why[512], path[128];
	size_t i;

	(void)state;
	make(&t);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_languages(&t, bad[i].text);
		assert_int_equal(load(&t, &l, why, sizeof(why)), EINVAL);
		assert_null(l);
		if (!strstr(why, bad[i].why))
			fail_msg("%zu: '%s' lacks '%s'", i, why, bad[i].why);
	}
	snprintf(path, sizeof(path), "%s/languages", t.dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(load(&t, &l, why, sizeof(why)), ENOENT);
	assert_non_null(strstr(why, "/languages"));
	unmake(&t);
}

/* The welcome, then the menu's entries queued after it: one prompt to
 * the attendant, whose end is reported once, after the last; a barge-in
 * stops them all. */
static void test_player_queue(void **state)
{
	int16_t a[200], b[100], frame[CODEC_FRAME];
	struct player *p;
	size_t i;

	(void)state;
	for (i = 0; i < 200; i++)
		a[i] = 1000;
	for (i = 0; i < 100; i++)
		b[i] = 2000;
	assert_int_equal(player_alloc(&p), 0);
	player_play(p, a, 200);
	player_queue(p, b, 100);
	assert_false(player_frame(p, frame)); /* a[0..160) */
	assert_int_equal(frame[0], 1000);
	assert_false(player_frame(p, frame)); /* a's end: b is next */
	assert_int_equal(frame[39], 1000);
	assert_true(player_frame(p, frame)); /* b[0..100): the end */
	assert_int_equal(frame[0], 2000);
	assert_int_equal(frame[100], 0);
	/* nothing is reported before the last prompt's end */
	player_stop(p);
	player_play(p, a, 200);
	player_queue(p, b, 100);
	player_queue(p, b, 100);
	for (i = 0; i < 3; i++)
		assert_false(player_frame(p, frame));
	assert_true(player_frame(p, frame));
	assert_int_equal(frame[0], 2000);
	assert_false(player_frame(p, frame)); /* silence after */
	assert_int_equal(frame[0], 0);

	/* queued with nothing playing: plays at once */
	player_queue(p, b, 100);
	assert_true(player_frame(p, frame));
	assert_int_equal(frame[0], 2000);

	/* barge-in: the queue goes too */
	player_play(p, a, 200);
	player_queue(p, b, 100);
	player_stop(p);
	assert_false(player_frame(p, frame));
	assert_int_equal(frame[0], 0);
	assert_false(player_frame(p, frame));
	player_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sets_per_language),
		cmocka_unit_test(test_missing_or_short_prompt),
		cmocka_unit_test(test_bad_languages_file),
		cmocka_unit_test(test_player_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
