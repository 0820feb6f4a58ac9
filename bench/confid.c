/* bench confid: the cost of issuing a conference ID from the pool (draw,
 * then mark taken) as the namespace fills, against the naive way (draw a
 * random 7-digit value, retry while it is taken) on the same pool, in the
 * same run. SPEC §2 asks for a cost that stays flat: the last line is
 * ratio = cost at 1 % full / cost at 90 % full (higher is better, 1 flat).
 *
 * Each level times ROUNDS batches of BATCH issuances; after each batch the
 * values issued are released again, untimed, so the fill level drifts by
 * at most BATCH values (0.1 %) while it is measured. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

#include "core/confid.h"

#define BATCH 10000
#define ROUNDS 20 /* 200,000 issuances per level and method */

typedef int (*draw_fn)(const struct confid_pool *p, uint32_t *out);

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The baseline: rejection sampling over the whole namespace. */
static int naive_draw(const struct confid_pool *p, uint32_t *out)
{
	uint32_t v;

	if (!confid_pool_free_count(p))
		return ENOSPC;
	do
		v = CONFID_MIN + randombytes_uniform(CONFID_SPACE);
	while (confid_pool_is_taken(p, v));
	*out = v;

	return 0;
}

/* Filling is setup, not measured: a fast non-cryptographic generator
 * (splitmix64) keeps it to a fraction of a second. */
static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void fill_to(struct confid_pool *p, double full, uint64_t *seed)
{
	uint32_t want_free = (uint32_t)(CONFID_SPACE * (1.0 - full));

	while (confid_pool_free_count(p) > want_free)
		confid_pool_set_taken(p, CONFID_MIN + (uint32_t)(splitmix(seed) %
					      CONFID_SPACE), true);
}

/* Mean ns per issuance with draw at the pool's current fill. */
static int measure(struct confid_pool *p, draw_fn draw, double *ns)
{
	static uint32_t got[BATCH];
	uint64_t total = 0, t0;
	int r, i, err;

	for (r = 0; r < ROUNDS; r++) {
		t0 = now_ns();
		for (i = 0; i < BATCH; i++) {
			err = draw(p, &got[i]);
			if (err)
				return err;
			confid_pool_set_taken(p, got[i], true);
		}
		total += now_ns() - t0;

		for (i = 0; i < BATCH; i++)
			confid_pool_set_taken(p, got[i], false);
	}
	*ns = (double)total / (ROUNDS * BATCH);

	return 0;
}

int main(void)
{
	static const struct {
		double full;
		const char *tag;
	} levels[] = { { 0.01, "1pct" }, { 0.50, "50pct" }, { 0.90, "90pct" } };
	double pool_ns[3], naive_ns[3];
	struct confid_pool *p = NULL;
	uint64_t seed = 0x64696c636f6e66u;
	size_t i;
	int err;

	err = confid_pool_alloc(&p);
	if (err)
		goto out;

	for (i = 0; i < 3; i++) {
		fill_to(p, levels[i].full, &seed);
		err = measure(p, confid_pool_draw, &pool_ns[i]);
		if (!err)
			err = measure(p, naive_draw, &naive_ns[i]);
		if (err)
			goto out;
	}

	for (i = 0; i < 3; i++)
		printf("draw_ns_at_%s: %.1f ns\n", levels[i].tag, pool_ns[i]);
	for (i = 0; i < 3; i++)
		printf("naive_ns_at_%s: %.1f ns\n", levels[i].tag, naive_ns[i]);
	printf("ratio: %.2f\n", pool_ns[0] / pool_ns[2]);

 out:
	confid_pool_free(p);
	if (err)
		fprintf(stderr, "bench confid: error %d\n", err);

	return err ? 1 : 0;
}
