/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: ti_wheel, the hashed timer wheel behind kaasd's keepalives. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "check_main.h"
#include "ti_wheel.h"

Suite *wheel_suite(void);

struct item {
	struct ti_wheel_entry e;
	uint64_t want;	 /* the due time it was given */
	uint64_t ran_at; /* the clock when it ran; 0: not yet */
	int runs;
	int readd_ms; /* >= 0: add again this far ahead when run (once) */
};

static uint64_t clock_ms;

static void
record(struct ti_wheel_entry *e, void *arg)
{
	struct item *it = (struct item *)e;
	struct ti_wheel *w = arg;

	ck_assert(!ti_wheel_pending(e));
	it->runs++;
	it->ran_at = clock_ms;
	if (it->readd_ms >= 0) {
		uint64_t at = clock_ms + (uint64_t)it->readd_ms;
		it->readd_ms = -1;
		it->want = at;
		ti_wheel_add(w, e, at);
	}
}

START_TEST(test_empty)
{
	struct ti_wheel *w = ti_wheel_new(10, 100, 5000);

	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(ti_wheel_count(w), 0);
	ck_assert(ti_wheel_next(w) == UINT64_MAX);
	ck_assert_uint_eq(ti_wheel_run(w, 1000000, 100, record, w), 0);
	ti_wheel_free(w);
	ti_wheel_free(NULL);
}
END_TEST

START_TEST(test_add_del_run)
{
	struct ti_wheel *w = ti_wheel_new(10, 64, 0);
	struct item a = { .readd_ms = -1 }, b = { .readd_ms = -1 }, c = { .readd_ms = -1 };

	ti_wheel_add(w, &a.e, 100);
	ti_wheel_add(w, &b.e, 250);
	ti_wheel_add(w, &c.e, 250);
	ck_assert(ti_wheel_pending(&a.e));
	ck_assert_uint_eq(ti_wheel_count(w), 3);
	ck_assert(ti_wheel_next(w) <= 100);
	ti_wheel_del(w, &c.e);
	ck_assert(!ti_wheel_pending(&c.e));
	ti_wheel_del(w, &c.e); /* not pending: nothing */
	ck_assert_uint_eq(ti_wheel_count(w), 2);

	clock_ms = 99;
	ck_assert_uint_eq(ti_wheel_run(w, clock_ms, 100, record, w), 0);
	clock_ms = 100;
	ck_assert_uint_eq(ti_wheel_run(w, clock_ms, 100, record, w), 1);
	ck_assert_int_eq(a.runs, 1);
	ck_assert(ti_wheel_next(w) <= 250);
	ck_assert(ti_wheel_next(w) > 100);
	clock_ms = 1000;
	ck_assert_uint_eq(ti_wheel_run(w, clock_ms, 100, record, w), 1);
	ck_assert_int_eq(b.runs, 1);
	ck_assert_int_eq(c.runs, 0);
	ck_assert(ti_wheel_next(w) == UINT64_MAX);
	ti_wheel_free(w);
}
END_TEST

START_TEST(test_far_future)
{
	/* 64 slots of 10 ms: one turn is 640 ms; 10 turns ahead waits its turn. */
	struct ti_wheel *w = ti_wheel_new(10, 64, 0);
	struct item a = { .readd_ms = -1 };

	ti_wheel_add(w, &a.e, 6405);
	for (clock_ms = 0; clock_ms < 6400; clock_ms += 10) {
		ti_wheel_run(w, clock_ms, 100, record, w);
		ck_assert_int_eq(a.runs, 0);
		ck_assert(ti_wheel_next(w) <= 6405);
	}
	clock_ms = 6409;
	ti_wheel_run(w, clock_ms, 100, record, w);
	ck_assert_int_eq(a.runs, 1);
	ti_wheel_free(w);
}
END_TEST

START_TEST(test_jump)
{
	struct ti_wheel *w = ti_wheel_new(10, 64, 0);
	struct item it[3] = { { .readd_ms = -1 }, { .readd_ms = -1 }, { .readd_ms = -1 } };

	ti_wheel_add(w, &it[0].e, 50);
	ti_wheel_add(w, &it[1].e, 5000);
	ti_wheel_add(w, &it[2].e, 90000);
	clock_ms = 60000; /* many turns at once */
	ck_assert_uint_eq(ti_wheel_run(w, clock_ms, 100, record, w), 2);
	ck_assert_int_eq(it[2].runs, 0);
	clock_ms = 90000;
	ck_assert_uint_eq(ti_wheel_run(w, clock_ms, 100, record, w), 1);
	/* A due time in the past runs at the next call. */
	struct item p = { .readd_ms = -1 };
	ti_wheel_add(w, &p.e, 10);
	ck_assert(ti_wheel_next(w) <= clock_ms + 10); /* the tick after the last one run */
	ck_assert_uint_eq(ti_wheel_run(w, clock_ms, 100, record, w), 1);
	ti_wheel_free(w);
}
END_TEST

START_TEST(test_readd_in_callback)
{
	struct ti_wheel *w = ti_wheel_new(10, 64, 0);
	struct item now = { .readd_ms = 0 }, later = { .readd_ms = 300 };

	ti_wheel_add(w, &now.e, 20);
	ti_wheel_add(w, &later.e, 20);
	clock_ms = 20;
	/* now is re-added for the current time: it must not run twice in one call... */
	size_t n = ti_wheel_run(w, clock_ms, 100, record, w);
	ck_assert_uint_eq(n, 2);
	ck_assert(ti_wheel_pending(&now.e));
	/* ...but at the next one. */
	clock_ms = 30;
	ti_wheel_run(w, clock_ms, 100, record, w);
	ck_assert_int_eq(now.runs, 2);
	ck_assert_int_eq(later.runs, 1);
	clock_ms = 320;
	ti_wheel_run(w, clock_ms, 100, record, w);
	ck_assert_int_eq(later.runs, 2);
	ti_wheel_free(w);
}
END_TEST

static struct item *victim;

static void
delete_victim(struct ti_wheel_entry *e, void *arg)
{
	struct ti_wheel *w = arg;

	record(e, arg);
	if (victim) {
		ti_wheel_del(w, &victim->e);
		memset(victim, 0xa5, sizeof(*victim)); /* as if freed */
		victim = NULL;
	}
}

START_TEST(test_delete_in_callback)
{
	struct ti_wheel *w = ti_wheel_new(10, 64, 0);
	struct item it[4];

	for (int i = 0; i < 4; i++) {
		memset(&it[i], 0, sizeof(it[i]));
		it[i].readd_ms = -1;
		ti_wheel_add(w, &it[i].e, 40);
	}
	victim = &it[1];
	clock_ms = 40;
	ck_assert_uint_eq(ti_wheel_run(w, clock_ms, 100, delete_victim, w), 3);
	ck_assert_uint_eq(ti_wheel_count(w), 0);
	ck_assert_int_eq(it[0].runs + it[2].runs + it[3].runs, 3);
	ti_wheel_free(w);
}
END_TEST

START_TEST(test_max)
{
	struct ti_wheel *w = ti_wheel_new(10, 64, 0);
	struct item it[10];

	for (int i = 0; i < 10; i++) {
		memset(&it[i], 0, sizeof(it[i]));
		it[i].readd_ms = -1;
		ti_wheel_add(w, &it[i].e, (uint64_t)(i < 5 ? 10 : 20));
	}
	clock_ms = 100;
	ck_assert_uint_eq(ti_wheel_run(w, clock_ms, 3, record, w), 3);
	ck_assert_uint_eq(ti_wheel_run(w, clock_ms, 3, record, w), 3);
	ck_assert_uint_eq(ti_wheel_run(w, clock_ms, 3, record, w), 3);
	ck_assert_uint_eq(ti_wheel_run(w, clock_ms, 3, record, w), 1);
	ck_assert_uint_eq(ti_wheel_run(w, clock_ms, 3, record, w), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(it[i].runs, 1);
	/* Earlier ticks ran first. */
	for (int i = 0; i < 5; i++)
		for (int j = 5; j < 10; j++)
			ck_assert_uint_le(it[i].ran_at, it[j].ran_at);
	ti_wheel_free(w);
}
END_TEST

/* Random adds, deletes and runs against a brute-force model. */
START_TEST(test_random_model)
{
	enum { N = 2000 };
	static struct item it[N];
	struct ti_wheel *w = ti_wheel_new(10, 128, 1000);
	uint64_t seed = 0x1234567u + (uint64_t)_i;

	memset(it, 0, sizeof(it));
	clock_ms = 1000;
	for (int step = 0; step < 20000; step++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		unsigned r = (unsigned)(seed >> 33);
		struct item *x = &it[r % N];
		switch ((r >> 12) % 4) {
		case 0:
		case 1:
			if (!ti_wheel_pending(&x->e)) {
				x->want = clock_ms + (r >> 16) % 5000;
				x->ran_at = 0;
				x->runs = 0;
				x->readd_ms = -1;
				ti_wheel_add(w, &x->e, x->want);
			}
			break;
		case 2:
			ti_wheel_del(w, &x->e);
			x->runs = 0;
			break;
		default: {
			uint64_t next = ti_wheel_next(w);
			/* next is never later than the tick after the earliest due time. */
			uint64_t earliest = UINT64_MAX;
			size_t pending = 0;
			for (int i = 0; i < N; i++) {
				if (!ti_wheel_pending(&it[i].e))
					continue;
				pending++;
				if (it[i].want < earliest)
					earliest = it[i].want;
			}
			ck_assert_uint_eq(pending, ti_wheel_count(w));
			ck_assert_msg(next <= earliest ||
					  (earliest != UINT64_MAX && next / 10 <= earliest / 10 + 1),
				      "next %llu after the earliest due %llu",
				      (unsigned long long)next, (unsigned long long)earliest);
			clock_ms += (r >> 16) % 300;
			ti_wheel_run(w, clock_ms, SIZE_MAX, record, w);
			for (int i = 0; i < N; i++) {
				if (ti_wheel_pending(&it[i].e)) {
					ck_assert_msg(it[i].want / 10 > clock_ms / 10,
						      "due %llu not run at %llu",
						      (unsigned long long)it[i].want,
						      (unsigned long long)clock_ms);
				} else if (it[i].runs) {
					ck_assert_int_eq(it[i].runs, 1);
					ck_assert_uint_ge(it[i].ran_at / 10, it[i].want / 10);
				}
			}
			break;
		}
		}
	}
	ti_wheel_free(w);
}
END_TEST

Suite *
wheel_suite(void)
{
	Suite *s = suite_create("wheel");
	TCase *tc = tcase_create("wheel");

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_add_del_run);
	tcase_add_test(tc, test_far_future);
	tcase_add_test(tc, test_jump);
	tcase_add_test(tc, test_readd_in_callback);
	tcase_add_test(tc, test_delete_in_callback);
	tcase_add_test(tc, test_max);
	tcase_add_loop_test(tc, test_random_model, 0, 4);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
