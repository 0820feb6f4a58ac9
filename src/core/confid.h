/* confid: the conference ID rules of SPEC §2 and the pool IDs are drawn from.
 *
 * A conference ID is exactly 7 decimal digits, first digit 1-9, never all one
 * digit and never a straight ascending or descending run (1234567, 9876543).
 * The pool is an in-memory picture of which values are unavailable (live,
 * quarantined or trivial); drawing picks uniformly at random, with libsodium's
 * CSPRNG, among the values that are free, at a cost that does not grow as the
 * namespace fills (a bitmap plus a Fenwick tree of per-block free counts).
 * The database stays the authority: the pool only proposes candidates. */
#ifndef DIALCONF_CORE_CONFID_H
#define DIALCONF_CORE_CONFID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFID_DIGITS 7
#define CONFID_MIN 1000000u
#define CONFID_MAX 9999999u
#define CONFID_SPACE (CONFID_MAX - CONFID_MIN + 1u)
/* Below this many free values the oldest quarantined IDs may be reused. */
#define CONFID_LOW_WATER 9000u

/* True for values no one may ever be given: all one digit, straight runs. */
bool confid_is_trivial(uint32_t v);

/* Parse a caller- or admin-supplied ID: exactly 7 digits, first 1-9, not
 * trivial. Returns 0 and *out, or EINVAL. */
int confid_parse(const char *s, uint32_t *out);

/* Why s is not a conference ID, for an admin to read: 0 when it is one,
 * else EINVAL with a sentence in why ("it has 3 digits; a conference ID
 * has 7", "the first digit may not be 0", "... a trivial pattern ...").
 * The same rules as confid_parse; the phone side keeps to that one. */
int confid_why(const char *s, char *why, size_t size);

/* Write the 7 digits of v and a NUL into buf (at least 8 bytes). */
void confid_format(uint32_t v, char *buf, size_t size);

/* True when an ID revoked at revoked_at (unix seconds) may be issued again
 * at now, with a quarantine of days. */
bool confid_quarantine_over(int64_t revoked_at, int64_t now, int days);

struct confid_pool;

/* A pool with every non-trivial value free. Returns 0, or ENOMEM. */
int confid_pool_alloc(struct confid_pool **pp);
void confid_pool_free(struct confid_pool *p);

/* Mark v taken (live or quarantined) or free again. Values outside the
 * namespace and trivial values are ignored. */
void confid_pool_set_taken(struct confid_pool *p, uint32_t v, bool taken);
bool confid_pool_is_taken(const struct confid_pool *p, uint32_t v);
uint32_t confid_pool_free_count(const struct confid_pool *p);

/* Draw one free value uniformly at random. Does not mark it taken.
 * Returns 0, or ENOSPC when no value is free. */
int confid_pool_draw(const struct confid_pool *p, uint32_t *out);

#endif
