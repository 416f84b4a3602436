/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: log-linear latency histogram (about 3% resolution). */
#include "config.h"

#include "bench_hist.h"

/*
 * Values below 2 * SUB have a bucket each. Above, a value v with highest
 * bit e keeps its top 6 bits: bucket (e - 4) * SUB + (v >> (e - 5)) - SUB.
 */
static unsigned
bucket_of(uint64_t v)
{
	unsigned e, shift, idx;

	if (v < 2 * BENCH_HIST_SUB)
		return (unsigned)v;
	e = 63 - (unsigned)__builtin_clzll(v);
	shift = e - 5;
	idx = (shift + 1) * BENCH_HIST_SUB + (unsigned)(v >> shift) - BENCH_HIST_SUB;
	return idx < BENCH_HIST_N ? idx : BENCH_HIST_N - 1;
}

static uint64_t
bucket_mid(unsigned idx)
{
	unsigned shift;
	uint64_t low;

	if (idx < 2 * BENCH_HIST_SUB)
		return idx;
	shift = idx / BENCH_HIST_SUB - 1;
	low = (uint64_t)(idx % BENCH_HIST_SUB + BENCH_HIST_SUB) << shift;
	return low + ((1ull << shift) >> 1);
}

void
bench_hist_add(struct bench_hist *h, uint64_t ns)
{
	h->bucket[bucket_of(ns)]++;
	h->count++;
}

void
bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	for (unsigned i = 0; i < BENCH_HIST_N; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
}

uint64_t
bench_hist_quantile(const struct bench_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->count + 0.5);
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < BENCH_HIST_N; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			return bucket_mid(i);
	}
	return bucket_mid(BENCH_HIST_N - 1);
}
