/* metrics: the counters of GET /metrics (see metrics.h; its gauges are in
 * metrics_gauges.c).
 *
 * Counters are plain atomics in static storage rather than fields of
 * struct app: they are bumped from the HTTP pool, the SIP worker and the
 * outbox thread, and a relaxed atomic add costs nothing next to the
 * transaction each event is part of. One process has one set; tests that
 * open several apps see the sum, which is what a scrape of the process
 * would see too. */
#include <stdatomic.h>

#include "app/app_priv.h"
#include "app/metrics.h"

static atomic_uint_fast64_t counters[METRICS_COUNTER_COUNT_];

void metrics_inc(enum metrics_counter c)
{
	if ((unsigned)c < METRICS_COUNTER_COUNT_)
		atomic_fetch_add_explicit(&counters[c], 1,
					  memory_order_relaxed);
}

uint64_t metrics_get(enum metrics_counter c)
{
	if ((unsigned)c >= METRICS_COUNTER_COUNT_)
		return 0;
	return atomic_load_explicit(&counters[c], memory_order_relaxed);
}

const unsigned metrics_clock_le_ms[METRICS_CLOCK_BUCKETS - 1] = {
	0, 2, 5, 10, 20,
};
static atomic_uint_fast64_t clock_frames[METRICS_CLOCK_BUCKETS];
static atomic_uint_fast64_t clock_late_ms;

void metrics_clock_frame(unsigned late_ms)
{
	unsigned i = 0;

	while (i < METRICS_CLOCK_BUCKETS - 1 && late_ms > metrics_clock_le_ms[i])
		i++;
	atomic_fetch_add_explicit(&clock_frames[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&clock_late_ms, late_ms,
				  memory_order_relaxed);
}

void metrics_clock_get(uint64_t buckets[METRICS_CLOCK_BUCKETS],
		       uint64_t *sum_ms)
{
	unsigned i;

	for (i = 0; i < METRICS_CLOCK_BUCKETS; i++)
		buckets[i] = atomic_load_explicit(&clock_frames[i],
						  memory_order_relaxed);
	*sum_ms = atomic_load_explicit(&clock_late_ms, memory_order_relaxed);
}
