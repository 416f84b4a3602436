/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: a hashed timer wheel for very many timers (keepalives of a million subscriptions). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ti_wheel.h"

struct ti_wheel {
	unsigned tick_ms;
	size_t mask;		    /* slots - 1 */
	uint64_t cur;		    /* the next tick to process */
	size_t count;		    /* pending entries */
	uint64_t dels;		    /* deletions of pending entries, to notice them during a run */
	int running;		    /* inside ti_wheel_run(): slot cur is being processed */
	struct ti_wheel_entry *slot; /* list heads (circular, sentinel per slot) */
	uint64_t *bits;		    /* one bit per non-empty slot */
};

static size_t
round_pow2(unsigned n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

struct ti_wheel *
ti_wheel_new(unsigned tick_ms, unsigned slots, uint64_t now_ms)
{
	struct ti_wheel *w = calloc(1, sizeof(*w));
	size_t n = round_pow2(slots < 64 ? 64 : slots);

	if (w == NULL)
		return NULL;
	w->tick_ms = tick_ms ? tick_ms : 1;
	w->mask = n - 1;
	w->cur = now_ms / w->tick_ms;
	w->slot = calloc(n, sizeof(*w->slot));
	w->bits = calloc(n / 64, sizeof(*w->bits));
	if (w->slot == NULL || w->bits == NULL) {
		ti_wheel_free(w);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		w->slot[i].next = w->slot[i].prev = &w->slot[i];
	return w;
}

void
ti_wheel_free(struct ti_wheel *w)
{
	if (w == NULL)
		return;
	free(w->slot);
	free(w->bits);
	free(w);
}

int
ti_wheel_pending(const struct ti_wheel_entry *e)
{
	return e->next != NULL;
}

void
ti_wheel_add(struct ti_wheel *w, struct ti_wheel_entry *e, uint64_t due_ms)
{
	uint64_t tick = due_ms / w->tick_ms;
	struct ti_wheel_entry *head;
	size_t i;

	/* Due already: the tick about to be processed runs it (the next one during a run). */
	if (tick < w->cur + (uint64_t)w->running)
		tick = w->cur + (uint64_t)w->running;
	i = tick & w->mask;
	head = &w->slot[i];
	e->due = due_ms;
	e->prev = head->prev;
	e->next = head;
	head->prev->next = e;
	head->prev = e;
	w->bits[i / 64] |= 1ull << (i % 64);
	w->count++;
}

static void
unlink_entry(struct ti_wheel *w, struct ti_wheel_entry *e, size_t i)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->next = e->prev = NULL;
	w->count--;
	if (w->slot[i].next == &w->slot[i])
		w->bits[i / 64] &= ~(1ull << (i % 64));
}

void
ti_wheel_del(struct ti_wheel *w, struct ti_wheel_entry *e)
{
	struct ti_wheel_entry *p;

	if (e->next == NULL)
		return;
	/* Which slot: walk the circular list to its sentinel (a slot holds few entries). */
	for (p = e->next; p < w->slot || p > &w->slot[w->mask]; p = p->next)
		;
	unlink_entry(w, e, (size_t)(p - w->slot));
	w->dels++;
}

size_t
ti_wheel_run(struct ti_wheel *w, uint64_t now_ms, size_t max, ti_wheel_fn *fn, void *arg)
{
	uint64_t now_tick = now_ms / w->tick_ms;
	size_t ran = 0;

	w->running = 1;
	while (w->cur <= now_tick && ran < max) {
		size_t i = w->cur & w->mask;
		struct ti_wheel_entry *head = &w->slot[i], *e, *next;

		for (e = head->next; e != head && ran < max; e = next) {
			next = e->next;
			if (e->due / w->tick_ms > w->cur)
				continue; /* a later turn */
			uint64_t dels = w->dels;
			unlink_entry(w, e, i);
			ran++;
			fn(e, arg);
			/* Something was deleted: next may be gone; look at the slot again. */
			if (w->dels != dels)
				next = head->next;
		}
		if (e != head)
			break; /* max reached inside this tick: resume here next time */
		w->cur++;
		if (w->count == 0 && w->cur <= now_tick)
			w->cur = now_tick + 1;
	}
	/* Stay on the current tick, so that entries added due now run at the next call
	 * (processing a tick again only skips what is not due). */
	if (w->cur > now_tick)
		w->cur = now_tick;
	w->running = 0;
	return ran;
}

uint64_t
ti_wheel_next(const struct ti_wheel *w)
{
	size_t nwords = (w->mask + 1) / 64, start = w->cur & w->mask, sw = start / 64;
	uint64_t low = (1ull << (start % 64)) - 1, bits;
	size_t j;

	if (w->count == 0)
		return UINT64_MAX;
	/* The first non-empty slot from the cursor on: the rest of its word, the other
	 * words, then the part of the cursor's word before it (the end of the turn). */
	if ((bits = w->bits[sw] & ~low) != 0) {
		j = sw * 64 + (size_t)__builtin_ctzll(bits);
	} else {
		size_t k;
		for (k = 1; k < nwords && w->bits[(sw + k) % nwords] == 0; k++)
			;
		if (k < nwords) {
			size_t word = (sw + k) % nwords;
			j = word * 64 + (size_t)__builtin_ctzll(w->bits[word]);
		} else {
			j = sw * 64 + (size_t)__builtin_ctzll(w->bits[sw] & low);
		}
	}
	return (w->cur + ((j - start) & w->mask)) * w->tick_ms;
}

size_t
ti_wheel_count(const struct ti_wheel *w)
{
	return w->count;
}
