/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: log-linear latency histogram (about 3% resolution). */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

/* 32 linear sub-buckets per power of two, values up to 2^63 ns. */
#define BENCH_HIST_SUB 32
#define BENCH_HIST_N (BENCH_HIST_SUB * 60)

/** A histogram of nanosecond values; zero-initialise it. */
struct bench_hist {
	uint64_t count;
	uint64_t bucket[BENCH_HIST_N];
};

/** Count one value in nanoseconds. */
void bench_hist_add(struct bench_hist *h, uint64_t ns);

/** Add the counts of src to dst. */
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);

/**
 * The value at quantile q (0 < q <= 1), as the middle of its bucket.
 * @return nanoseconds, 0 when the histogram is empty.
 */
uint64_t bench_hist_quantile(const struct bench_hist *h, double q);

#endif /* BENCH_HIST_H */
