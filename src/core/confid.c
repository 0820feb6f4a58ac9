/* confid: conference ID rules (SPEC §2) and the pool IDs are drawn from.
 *
 * The pool keeps one bit per value of the 9,000,000-value namespace (set =
 * unavailable: live, quarantined or trivial) and a Fenwick tree over the
 * free counts of fixed blocks of values. A draw takes r uniform in
 * [0, free) and walks the tree to the block holding the r-th free value,
 * then scans at most one block of bits. Both steps are bounded by the
 * namespace size, not by how full it is, so issuance stays flat to the
 * last free value, unlike retrying random values, whose expected cost is
 * 1 / (free fraction). */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/confid.h"
#include "core/pin.h"

#define WORD_BITS 64u
#define BLOCK_WORDS 8u /* 512 values: one block scan reads one cache line */
#define BLOCK_VALUES (BLOCK_WORDS * WORD_BITS)
#define NWORDS (CONFID_SPACE / WORD_BITS)
#define NBLOCKS ((NWORDS + BLOCK_WORDS - 1) / BLOCK_WORDS)

/* Every bit of every word stands for a real value, so no masking of a
 * partial last word is needed anywhere below. */
_Static_assert(CONFID_SPACE % WORD_BITS == 0, "namespace fills whole words");

struct confid_pool {
	uint32_t free;                /* values not taken */
	uint32_t tree[NBLOCKS + 1];   /* Fenwick tree, 1-based */
	uint64_t bits[NWORDS];        /* 1 = unavailable */
};

bool confid_is_trivial(uint32_t v)
{
	char d[CONFID_DIGITS + 1];
	int i;

	if (v < CONFID_MIN || v > CONFID_MAX)
		return false;

	/* By hand, not snprintf: the pool calls this on every release. */
	d[CONFID_DIGITS] = '\0';
	for (i = CONFID_DIGITS - 1; i >= 0; i--, v /= 10)
		d[i] = (char)('0' + v % 10);

	/* One definition of "trivial" for PINs and IDs, so they never drift. */
	return pin_is_trivial(d);
}

int confid_parse(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (!s || !out)
		return EINVAL;

	/* No strtol: it accepts spaces, signs and leading zeros, all of which
	 * would let a mistyped ID reach someone else's conference. */
	for (i = 0; i < CONFID_DIGITS; i++) {
		if (s[i] < '0' || s[i] > '9')
			return EINVAL;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (s[CONFID_DIGITS] != '\0' || s[0] == '0' || confid_is_trivial(v))
		return EINVAL;

	*out = v;
	return 0;
}

#define CONFID_WHY_SCAN 64 /* characters of s confid_why looks at */

int confid_why(const char *s, char *why, size_t size)
{
	const char *text = NULL;
	size_t len = 0, digits = 0;
	uint32_t v;

	if (!why || !size)
		return EINVAL;
	why[0] = '\0';
	if (s) {
		/* Bounded: a path segment may be long, the answer need not. */
		while (s[len] && len < CONFID_WHY_SCAN) {
			if (s[len] >= '0' && s[len] <= '9')
				digits++;
			len++;
		}
	}
	if (!s || !s[0])
		text = "it is empty; a conference ID is 7 digits";
	else if (digits != len)
		text = "it may hold only the digits 0-9";
	else if (len != CONFID_DIGITS) {
		(void)snprintf(why, size, "it has %s%zu digits; a conference ID "
			       "has %d", len == CONFID_WHY_SCAN ? "at least " :
			       "", len, CONFID_DIGITS);
		return EINVAL;
	} else if (s[0] == '0')
		text = "the first digit may not be 0";
	else if (confid_parse(s, &v))
		text = "it is a trivial pattern (all one digit, or a straight "
		       "run such as 1234567 or 9876543), never issued";
	if (!text)
		return 0;
	(void)snprintf(why, size, "%s", text);
	return EINVAL;
}

void confid_format(uint32_t v, char *buf, size_t size)
{
	if (!buf || !size)
		return;
	(void)snprintf(buf, size, "%07u", (unsigned)v);
}

bool confid_quarantine_over(int64_t revoked_at, int64_t now, int days)
{
	uint64_t span;

	if (days < 0)
		days = 0;
	span = (uint64_t)days * 86400u;

	/* A clock that went backwards must not release an ID early. */
	if (now < revoked_at)
		return false;

	/* The difference of two int64 with now >= revoked_at fits in uint64. */
	return (uint64_t)now - (uint64_t)revoked_at >= span;
}

static void tree_add(struct confid_pool *p, uint32_t block, bool inc)
{
	uint32_t i;

	for (i = block + 1; i <= NBLOCKS; i += i & (~i + 1u)) {
		if (inc)
			++p->tree[i];
		else
			--p->tree[i];
	}
}

/* Block holding the r-th (0-based) free value; *r becomes its offset
 * among the free values of that block. Needs r < p->free. */
static uint32_t tree_find(const struct confid_pool *p, uint32_t *r)
{
	uint32_t pos = 0, step = 1;

	while (step * 2 <= NBLOCKS)
		step *= 2;

	for (; step; step /= 2) {
		if (pos + step <= NBLOCKS && p->tree[pos + step] <= *r) {
			pos += step;
			*r -= p->tree[pos];
		}
	}

	return pos;
}

static void tree_build(struct confid_pool *p)
{
	uint32_t b, w, i, j;

	for (b = 0; b < NBLOCKS; b++) {
		uint32_t n = 0;

		for (w = b * BLOCK_WORDS;
		     w < (b + 1) * BLOCK_WORDS && w < NWORDS; w++)
			n += WORD_BITS - (uint32_t)__builtin_popcountll(p->bits[w]);
		p->tree[b + 1] = n;
	}

	/* Linear-time construction: push each node into its parent. */
	for (i = 1; i <= NBLOCKS; i++) {
		j = i + (i & (~i + 1u));
		if (j <= NBLOCKS)
			p->tree[j] += p->tree[i];
	}
}

static void bit_set(struct confid_pool *p, uint32_t idx)
{
	p->bits[idx / WORD_BITS] |= (uint64_t)1 << (idx % WORD_BITS);
}

/* Mark every trivial value: for each first digit and each step 0, +1, -1,
 * the 7-digit value whose digits follow that step, if all stay in 0-9. */
static uint32_t mark_trivial(struct confid_pool *p)
{
	uint32_t n = 0;
	int first, step, i;

	for (first = 1; first <= 9; first++) {
		for (step = -1; step <= 1; step++) {
			int last = first + step * (CONFID_DIGITS - 1);
			uint32_t v = 0;

			if (last < 0 || last > 9)
				continue;
			for (i = 0; i < CONFID_DIGITS; i++)
				v = v * 10 + (uint32_t)(first + step * i);
			bit_set(p, v - CONFID_MIN);
			++n;
		}
	}

	return n;
}

int confid_pool_alloc(struct confid_pool **pp)
{
	struct confid_pool *p = NULL;
	int err = 0;

	if (!pp)
		return EINVAL;

	/* randombytes_* may be used before this, but libsodium asks for it
	 * once; it is cheap and idempotent after the first call. */
	if (sodium_init() < 0) {
		err = EIO;
		goto out;
	}

	p = calloc(1, sizeof(*p));
	if (!p) {
		err = ENOMEM;
		goto out;
	}

	p->free = CONFID_SPACE - mark_trivial(p);
	tree_build(p);

 out:
	if (err)
		free(p);
	else
		*pp = p;

	return err;
}

void confid_pool_free(struct confid_pool *p)
{
	free(p);
}

void confid_pool_set_taken(struct confid_pool *p, uint32_t v, bool taken)
{
	uint32_t idx;
	uint64_t mask, *w;

	if (!p || v < CONFID_MIN || v > CONFID_MAX)
		return;

	idx = v - CONFID_MIN;
	w = &p->bits[idx / WORD_BITS];
	mask = (uint64_t)1 << (idx % WORD_BITS);

	/* Only a real change moves the counts, so marking twice is harmless. */
	if (!!(*w & mask) == taken)
		return;

	/* Trivial values are set at alloc and stay set; only freeing one
	 * could change them, so only then is the check worth its cost. */
	if (!taken && confid_is_trivial(v))
		return;

	if (taken) {
		*w |= mask;
		--p->free;
	}
	else {
		*w &= ~mask;
		++p->free;
	}
	tree_add(p, idx / BLOCK_VALUES, !taken);
}

bool confid_pool_is_taken(const struct confid_pool *p, uint32_t v)
{
	uint32_t idx;

	/* Out of the namespace is never available. */
	if (!p || v < CONFID_MIN || v > CONFID_MAX)
		return true;

	idx = v - CONFID_MIN;
	return (p->bits[idx / WORD_BITS] >> (idx % WORD_BITS)) & 1u;
}

uint32_t confid_pool_free_count(const struct confid_pool *p)
{
	return p ? p->free : 0;
}

/* Position of the r-th (0-based) set bit of x; needs r < popcount(x). */
static uint32_t select_bit(uint64_t x, uint32_t r)
{
	uint32_t shift = 0, c;

	/* A byte at a time first, so the bit loop below runs at most 7 times. */
	for (;;) {
		c = (uint32_t)__builtin_popcountll((x >> shift) & 0xffu);
		if (r < c)
			break;
		r -= c;
		shift += 8;
	}

	x >>= shift;
	while (r--)
		x &= x - 1;

	return shift + (uint32_t)__builtin_ctzll(x);
}

int confid_pool_draw(const struct confid_pool *p, uint32_t *out)
{
	uint32_t r, block, w, end, c;

	if (!p || !out)
		return EINVAL;
	if (!p->free)
		return ENOSPC;

	r = randombytes_uniform(p->free);
	block = tree_find(p, &r);

	end = (block + 1) * BLOCK_WORDS;
	if (end > NWORDS)
		end = NWORDS;

	for (w = block * BLOCK_WORDS; w < end; w++) {
		uint64_t freebits = ~p->bits[w];

		c = (uint32_t)__builtin_popcountll(freebits);
		if (r < c) {
			*out = CONFID_MIN + w * WORD_BITS + select_bit(freebits, r);
			return 0;
		}
		r -= c;
	}

	/* The tree and the bitmap disagree: a bug, never a full pool. */
	return EFAULT;
}
