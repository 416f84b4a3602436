/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: a hashed timer wheel for very many timers (keepalives of a million subscriptions). */
#ifndef TI_WHEEL_H
#define TI_WHEEL_H

#include <stddef.h>
#include <stdint.h>

/**
 * One timer, embedded in the caller's object (intrusive: no allocation per
 * timer). Zero-initialise it; it is "pending" while in a wheel.
 */
struct ti_wheel_entry {
	struct ti_wheel_entry *next, *prev;
	uint64_t due; /**< ms, on the caller's clock; read-only for the caller */
};

struct ti_wheel;

/**
 * Create a wheel of slots ticks of tick_ms each (slots is rounded up to a
 * power of two). Entries due beyond one turn wait in their slot for the
 * right turn, so any due time works; choose slots * tick_ms near the
 * usual timer span.
 * @param now_ms  the caller's clock now (monotonic ms).
 * @return the wheel, or NULL (ENOMEM).
 */
struct ti_wheel *ti_wheel_new(unsigned tick_ms, unsigned slots, uint64_t now_ms);

/** Free the wheel; entries still in it are the caller's and are left as they are. */
void ti_wheel_free(struct ti_wheel *w);

/**
 * Schedule e at due_ms; e must not be pending. A due time in the past runs
 * at the next ti_wheel_run().
 */
void ti_wheel_add(struct ti_wheel *w, struct ti_wheel_entry *e, uint64_t due_ms);

/** Unschedule e if pending (otherwise nothing). */
void ti_wheel_del(struct ti_wheel *w, struct ti_wheel_entry *e);

/** Non-zero while e is scheduled. */
int ti_wheel_pending(const struct ti_wheel_entry *e);

/** Called for a due entry, which is no longer pending; it may be added again. */
typedef void ti_wheel_fn(struct ti_wheel_entry *e, void *arg);

/**
 * Run every entry due at or before now_ms, at most max of them (the rest
 * stay pending for the next call). Entries of one tick run in no
 * particular order; earlier ticks run before later ones. Callbacks may add
 * and delete any entries.
 * @return the number run.
 */
size_t ti_wheel_run(struct ti_wheel *w, uint64_t now_ms, size_t max, ti_wheel_fn *fn, void *arg);

/**
 * When ti_wheel_run() should be called next: the start of the tick in
 * which the earliest entry runs. That is at or before its due time, or
 * one tick after it for an entry added, due already, after its tick was
 * processed (such entries run in the tick after). It may be earlier by
 * up to one turn for entries of a later turn. UINT64_MAX when empty.
 */
uint64_t ti_wheel_next(const struct ti_wheel *w);

/** Number of pending entries. */
size_t ti_wheel_count(const struct ti_wheel *w);

#endif /* TI_WHEEL_H */
