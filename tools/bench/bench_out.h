/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: one result line as key=value pairs or as a JSON object. */
#ifndef BENCH_OUT_H
#define BENCH_OUT_H

#include <stdint.h>
#include <stdio.h>

/** A line being printed; fill with bench_out_begin(). */
struct bench_out {
	FILE *f;  /**< borrowed */
	int json; /**< JSON object instead of key=value pairs */
	int n;	  /**< pairs printed so far */
};

/**
 * Start a line on f. A non-NULL tag is printed first: as a bare word
 * ("interval t=1") or as the JSON member "tag":true.
 */
void bench_out_begin(struct bench_out *o, FILE *f, int json, const char *tag);

/** A string value; JSON escapes it, key=value prints it as it is. */
void bench_out_str(struct bench_out *o, const char *key, const char *val);

/** An unsigned integer value. */
void bench_out_u64(struct bench_out *o, const char *key, uint64_t val);

/** A number with prec decimals. */
void bench_out_num(struct bench_out *o, const char *key, double val, int prec);

/**
 * CoAP codes counted in codes[256] (wire values; [0] counts RST) as
 * "4.04:12,5.03:1,rst:2", leaving out skip; "-" when there are none.
 */
void bench_out_codes(struct bench_out *o, const char *key, const uint64_t codes[256], int skip);

/** End the line and flush f. */
void bench_out_end(struct bench_out *o);

#endif /* BENCH_OUT_H */
