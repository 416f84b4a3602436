/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: Observe fan-out: K observers, one change, time to the last notification. */
#ifndef BENCH_OBSERVE_H
#define BENCH_OBSERVE_H

#include <stdint.h>

#include "bench_proto.h"

struct bench;

/** What an observe run does besides what struct bench holds. */
struct bench_obs {
	unsigned observers;	 /**< observers of b->req's query, each its own socket */
	unsigned idle_observers; /**< observers of idle, which no trigger may notify */
	unsigned triggers;	 /**< changes, one after the other */
	uint64_t settle_ms;	 /**< listen this long after each change for extra notifications */
	struct bench_req idle;	 /**< the idle observers' GET (Observe 0) */
	struct bench_req trig;	 /**< the change; its placeholders take the trigger number */
	/**
	 * NULL, or what the payload of a notification must contain to count for
	 * a change (placeholders as trig's); others count as stale.
	 */
	const char *match;
};

/**
 * Register the observers with GET Observe 0 (at most 64 outstanding, each
 * retried up to 3 times after b->timeout_ms), then send each trigger and
 * wait up to b->duration_ms for a notification on every established
 * observer that shows the change (o->match), acknowledging CON
 * notifications; then deregister (Observe 1).
 * Prints a "trigger" line per change and a summary line on stdout.
 *
 * @param[in] b  the target, the observers' GET template (b->req), timeouts
 *               and output format; borrowed.
 * @param[in] o  borrowed.
 * @return 0 when every trigger reached every established observer, 1 when
 *         not, or -errno when the sockets could not be opened.
 */
int bench_observe_run(const struct bench *b, const struct bench_obs *o);

#endif /* BENCH_OBSERVE_H */
