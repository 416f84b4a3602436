/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ti_util: number, duration and bool parsing, strlcpy, time, random. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "ti_err.h"
#include "ti_util.h"
#include "check_main.h"

#define SENTINEL UINT64_C(0xdeadbeefcafe)

struct u64_case {
	const char *s;
	uint64_t min, max;
	int ret;
	uint64_t val; /* when ret == 0 */
};

static const struct u64_case u64_cases[] = {
	{ "0", 0, UINT64_MAX, 0, 0 },
	{ "1", 0, UINT64_MAX, 0, 1 },
	{ "007", 0, UINT64_MAX, 0, 7 },
	{ "5683", 0, UINT64_MAX, 0, 5683 },
	{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", 0, UINT64_MAX, TI_ERANGE, 0 },
	{ "18446744073709551620", 0, UINT64_MAX, TI_ERANGE, 0 },
	{ "99999999999999999999", 0, UINT64_MAX, TI_ERANGE, 0 },
	{ "184467440737095516150", 0, UINT64_MAX, TI_ERANGE, 0 },
	{ "", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "+1", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "-1", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "-0", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ " 1", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "1 ", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "1\n", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "1 2", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "0x10", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "1.5", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "1e3", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "abc", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "5", 5, 10, 0, 5 },
	{ "10", 5, 10, 0, 10 },
	{ "4", 5, 10, TI_ERANGE, 0 },
	{ "11", 5, 10, TI_ERANGE, 0 },
	{ "0", 1, 65535, TI_ERANGE, 0 },
	{ "65536", 1, 65535, TI_ERANGE, 0 },
	{ "7", 7, 7, 0, 7 },
};

START_TEST(test_parse_u64)
{
	const struct u64_case *c = &u64_cases[_i];
	uint64_t v = SENTINEL;

	ck_assert_msg(ti_parse_u64(c->s, c->min, c->max, &v) == c->ret,
		      "ti_parse_u64(\"%s\", %llu, %llu) != %d", c->s, (unsigned long long)c->min,
		      (unsigned long long)c->max, c->ret);
	ck_assert_uint_eq(v, c->ret == 0 ? c->val : SENTINEL);
}
END_TEST

START_TEST(test_parse_u64_null)
{
	uint64_t v = SENTINEL;

	ck_assert_int_eq(ti_parse_u64(NULL, 0, UINT64_MAX, &v), TI_EPARSE);
	ck_assert_uint_eq(v, SENTINEL);
}
END_TEST

struct u32_case {
	const char *s;
	uint32_t min, max;
	int ret;
	uint32_t val;
};

static const struct u32_case u32_cases[] = {
	{ "0", 0, UINT32_MAX, 0, 0 },
	{ "4294967295", 0, UINT32_MAX, 0, UINT32_MAX },
	{ "4294967296", 0, UINT32_MAX, TI_ERANGE, 0 },
	{ "18446744073709551615", 0, UINT32_MAX, TI_ERANGE, 0 },
	{ "18446744073709551616", 0, UINT32_MAX, TI_ERANGE, 0 },
	{ "", 0, UINT32_MAX, TI_EPARSE, 0 },
	{ "-1", 0, UINT32_MAX, TI_EPARSE, 0 },
	{ "+5", 0, UINT32_MAX, TI_EPARSE, 0 },
	{ " 5", 0, UINT32_MAX, TI_EPARSE, 0 },
	{ "5 ", 0, UINT32_MAX, TI_EPARSE, 0 },
	{ "1", 1, 100, 0, 1 },
	{ "100", 1, 100, 0, 100 },
	{ "0", 1, 100, TI_ERANGE, 0 },
	{ "101", 1, 100, TI_ERANGE, 0 },
};

START_TEST(test_parse_u32)
{
	const struct u32_case *c = &u32_cases[_i];
	uint32_t v = 0xdeadbeef;

	ck_assert_msg(ti_parse_u32(c->s, c->min, c->max, &v) == c->ret,
		      "ti_parse_u32(\"%s\", %u, %u) != %d", c->s, c->min, c->max, c->ret);
	ck_assert_uint_eq(v, c->ret == 0 ? c->val : 0xdeadbeef);
}
END_TEST

static const struct u64_case dur_cases[] = {
	{ "0", 0, UINT64_MAX, 0, 0 },
	{ "90", 0, UINT64_MAX, 0, 90 },
	{ "90s", 0, UINT64_MAX, 0, 90 },
	{ "15m", 0, UINT64_MAX, 0, 900 },
	{ "1h", 0, UINT64_MAX, 0, 3600 },
	{ "2d", 0, UINT64_MAX, 0, 172800 },
	{ "0d", 0, UINT64_MAX, 0, 0 },
	{ "007m", 0, UINT64_MAX, 0, 420 },
	{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551615s", 0, UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", 0, UINT64_MAX, TI_ERANGE, 0 },
	{ "307445734561825860m", 0, UINT64_MAX, 0, UINT64_C(18446744073709551600) },
	{ "307445734561825861m", 0, UINT64_MAX, TI_ERANGE, 0 },
	{ "5124095576030431h", 0, UINT64_MAX, 0, UINT64_C(18446744073709551600) },
	{ "5124095576030432h", 0, UINT64_MAX, TI_ERANGE, 0 },
	{ "213503982334601d", 0, UINT64_MAX, 0, UINT64_C(18446744073709526400) },
	{ "213503982334602d", 0, UINT64_MAX, TI_ERANGE, 0 },
	{ "99999999999999999999d", 0, UINT64_MAX, TI_ERANGE, 0 },
	{ "123456789012345678901234", 0, UINT64_MAX, TI_ERANGE, 0 },
	{ "", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "s", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "m", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "d", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "1x", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "1S", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "1ms", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "1hm", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "h1", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "1.5h", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "-1s", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "+1s", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ " 1s", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "1 s", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "1s ", 0, UINT64_MAX, TI_EPARSE, 0 },
	{ "1m", 60, 3600, 0, 60 },
	{ "60m", 60, 3600, 0, 3600 },
	{ "3600", 60, 3600, 0, 3600 },
	{ "59", 60, 3600, TI_ERANGE, 0 },
	{ "59s", 60, 3600, TI_ERANGE, 0 },
	{ "61m", 60, 3600, TI_ERANGE, 0 },
	{ "2h", 60, 3600, TI_ERANGE, 0 },
	{ "0", 1, 86400, TI_ERANGE, 0 },
};

START_TEST(test_parse_duration)
{
	const struct u64_case *c = &dur_cases[_i];
	uint64_t v = SENTINEL;

	ck_assert_msg(ti_parse_duration(c->s, c->min, c->max, &v) == c->ret,
		      "ti_parse_duration(\"%s\", %llu, %llu) != %d", c->s,
		      (unsigned long long)c->min, (unsigned long long)c->max, c->ret);
	ck_assert_uint_eq(v, c->ret == 0 ? c->val : SENTINEL);
}
END_TEST

START_TEST(test_parse_duration_null)
{
	uint64_t v = SENTINEL;

	ck_assert_int_eq(ti_parse_duration(NULL, 0, UINT64_MAX, &v), TI_EPARSE);
	ck_assert_uint_eq(v, SENTINEL);
	/* Over-long input fails, whatever it holds. */
	ck_assert_int_lt(ti_parse_duration("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0, UINT64_MAX, &v),
			 0);
	ck_assert_uint_eq(v, SENTINEL);
}
END_TEST

static const struct {
	uint64_t sec;
	const char *text;
} fmt_cases[] = {
	{ 0, "0s" },
	{ 1, "1s" },
	{ 59, "59s" },
	{ 60, "1m" },
	{ 90, "90s" },
	{ 900, "15m" },
	{ 3599, "3599s" },
	{ 3600, "1h" },
	{ 5400, "90m" },
	{ 7200, "2h" },
	{ 86400, "1d" },
	{ 90000, "25h" },
	{ 172800, "2d" },
	{ 86401, "86401s" },
	{ UINT64_C(18446744073709526400), "213503982334601d" },
	{ UINT64_MAX, "18446744073709551615s" },
};

START_TEST(test_format_duration)
{
	char buf[32];
	uint64_t back = SENTINEL;
	int n;

	n = ti_format_duration(buf, sizeof(buf), fmt_cases[_i].sec);
	ck_assert_str_eq(buf, fmt_cases[_i].text);
	ck_assert_int_eq(n, (int)strlen(fmt_cases[_i].text));
	/* Round trip: what we print parses back to the same number of seconds. */
	ck_assert_int_eq(ti_parse_duration(buf, 0, UINT64_MAX, &back), 0);
	ck_assert_uint_eq(back, fmt_cases[_i].sec);
}
END_TEST

START_TEST(test_format_duration_truncated)
{
	char buf[3] = "xx";

	ck_assert_int_eq(ti_format_duration(buf, sizeof(buf), 100 * 86400), 4);
	ck_assert_str_eq(buf, "10");
	ck_assert_int_eq(ti_format_duration(NULL, 0, 90), 3);
}
END_TEST

/* Every value up to two days, plus unit multiples, survives format + parse. */
START_TEST(test_format_duration_round_trip)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400 };
	char buf[32];
	uint64_t v;

	for (uint64_t sec = 0; sec <= 172800; sec++) {
		ti_format_duration(buf, sizeof(buf), sec);
		ck_assert_int_eq(ti_parse_duration(buf, 0, UINT64_MAX, &v), 0);
		ck_assert_uint_eq(v, sec);
	}
	for (size_t i = 0; i < TI_ARRAY_SIZE(mult); i++) {
		for (uint64_t n = 1; n < 1000; n++) {
			ti_format_duration(buf, sizeof(buf), n * mult[i]);
			ck_assert_int_eq(ti_parse_duration(buf, 0, UINT64_MAX, &v), 0);
			ck_assert_uint_eq(v, n * mult[i]);
		}
	}
}
END_TEST

static const struct {
	const char *s;
	int ret;
	int val;
} bool_cases[] = {
	{ "yes", 0, 1 },
	{ "on", 0, 1 },
	{ "true", 0, 1 },
	{ "1", 0, 1 },
	{ "YES", 0, 1 },
	{ "True", 0, 1 },
	{ "no", 0, 0 },
	{ "off", 0, 0 },
	{ "false", 0, 0 },
	{ "0", 0, 0 },
	{ "NO", 0, 0 },
	{ "Off", 0, 0 },
	{ "", TI_EPARSE, 0 },
	{ "y", TI_EPARSE, 0 },
	{ "n", TI_EPARSE, 0 },
	{ "2", TI_EPARSE, 0 },
	{ "yes ", TI_EPARSE, 0 },
	{ " no", TI_EPARSE, 0 },
	{ "enable", TI_EPARSE, 0 },
	{ "01", TI_EPARSE, 0 },
};

START_TEST(test_parse_bool)
{
	int v = 42;

	ck_assert_msg(ti_parse_bool(bool_cases[_i].s, &v) == bool_cases[_i].ret,
		      "ti_parse_bool(\"%s\") != %d", bool_cases[_i].s, bool_cases[_i].ret);
	ck_assert_int_eq(v, bool_cases[_i].ret == 0 ? bool_cases[_i].val : 42);
}
END_TEST

START_TEST(test_strlcpy)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	ck_assert_uint_eq(ti_strlcpy(buf, "hello", sizeof(buf)), 5);
	ck_assert_str_eq(buf, "hello");

	ck_assert_uint_eq(ti_strlcpy(buf, "1234567", sizeof(buf)), 7);
	ck_assert_str_eq(buf, "1234567");

	/* Truncation: result >= size, output cut and terminated. */
	ck_assert_uint_eq(ti_strlcpy(buf, "12345678", sizeof(buf)), 8);
	ck_assert_str_eq(buf, "1234567");
	ck_assert_uint_eq(ti_strlcpy(buf, "hello, world", 4), 12);
	ck_assert_str_eq(buf, "hel");
	ck_assert_int_eq(buf[4], '5'); /* nothing written past size */

	ck_assert_uint_eq(ti_strlcpy(buf, "abc", 1), 3);
	ck_assert_str_eq(buf, "");

	ck_assert_uint_eq(ti_strlcpy(buf, "", sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_str_equal)
{
	ck_assert_int_eq(ti_str_equal(NULL, NULL), 1);
	ck_assert_int_eq(ti_str_equal("a", NULL), 0);
	ck_assert_int_eq(ti_str_equal(NULL, "a"), 0);
	ck_assert_int_eq(ti_str_equal("a", "a"), 1);
	ck_assert_int_eq(ti_str_equal("a", "b"), 0);
	ck_assert_int_eq(ti_str_equal("", ""), 1);
}
END_TEST

START_TEST(test_strlcpy_size0)
{
	char buf[4] = "xyz";

	ck_assert_uint_eq(ti_strlcpy(buf, "hello", 0), 5);
	ck_assert_str_eq(buf, "xyz");
	ck_assert_uint_eq(ti_strlcpy(NULL, "hello", 0), 5);
}
END_TEST

START_TEST(test_macros)
{
	static const int a[7];
	char *p = strdup("x");
	int *q = NULL;

	ck_assert_uint_eq(TI_ARRAY_SIZE(a), 7);
	ck_assert_ptr_nonnull(p);
	TI_FREE(&p);
	ck_assert_ptr_null(p);
	TI_FREE(&q);
	ck_assert_ptr_null(q);
}
END_TEST

START_TEST(test_now_ms)
{
	struct timespec ts = { .tv_nsec = 30 * 1000000 };
	uint64_t a = ti_now_ms(), b;

	ck_assert_uint_gt(a, 0);
	nanosleep(&ts, NULL);
	b = ti_now_ms();
	ck_assert_uint_ge(b, a + 30);
	ck_assert_uint_lt(b, a + 3000);
}
END_TEST

START_TEST(test_random)
{
	static const uint8_t zero[32];
	uint8_t a[32], b[32];
	uint8_t *big;
	size_t nonzero = 0;

	ck_assert_int_eq(ti_random(a, sizeof(a)), 0);
	ck_assert_int_eq(ti_random(b, sizeof(b)), 0);
	/* 2^-256 chance of a false failure. */
	ck_assert_int_ne(memcmp(a, b, sizeof(a)), 0);
	ck_assert_int_ne(memcmp(a, zero, sizeof(a)), 0);

	ck_assert_int_eq(ti_random(a, 0), 0);
	ck_assert_int_eq(ti_random(NULL, 0), 0);

	big = calloc(1, 1 << 20);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(ti_random(big, 1 << 20), 0);
	for (size_t i = 0; i < (1 << 20); i++)
		nonzero += big[i] != 0;
	/* About 255/256 of the bytes are nonzero; the tail must be filled too. */
	ck_assert_uint_gt(nonzero, (1 << 20) - (1 << 14));
	ck_assert_int_ne(memcmp(big + (1 << 20) - 32, zero, 32), 0);
	free(big);
}
END_TEST

Suite *
util_suite(void)
{
	Suite *s = suite_create("ti_util");
	TCase *tc;

	tc = tcase_create("parse_u64");
	tcase_add_loop_test(tc, test_parse_u64, 0, (int)TI_ARRAY_SIZE(u64_cases));
	tcase_add_test(tc, test_parse_u64_null);
	tcase_add_loop_test(tc, test_parse_u32, 0, (int)TI_ARRAY_SIZE(u32_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("duration");
	tcase_add_loop_test(tc, test_parse_duration, 0, (int)TI_ARRAY_SIZE(dur_cases));
	tcase_add_test(tc, test_parse_duration_null);
	tcase_add_loop_test(tc, test_format_duration, 0, (int)TI_ARRAY_SIZE(fmt_cases));
	tcase_add_test(tc, test_format_duration_truncated);
	tcase_add_test(tc, test_format_duration_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("misc");
	tcase_add_loop_test(tc, test_parse_bool, 0, (int)TI_ARRAY_SIZE(bool_cases));
	tcase_add_test(tc, test_strlcpy);
	tcase_add_test(tc, test_strlcpy_size0);
	tcase_add_test(tc, test_str_equal);
	tcase_add_test(tc, test_macros);
	tcase_add_test(tc, test_now_ms);
	tcase_add_test(tc, test_random);
	suite_add_tcase(s, tc);
	return s;
}
