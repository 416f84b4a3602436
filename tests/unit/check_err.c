/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ti_err: ti_strerror() over project codes, errno values and others. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <check.h>

#include "ti_err.h"
#include "ti_util.h"
#include "check_main.h"

static const struct {
	int err;
	const char *text;
} codes[] = {
	{ 0, "success" },
	{ TI_EPARSE, "parse error" },
	{ TI_ERANGE, "value out of range" },
	{ TI_EUNKNOWN, "unknown name" },
	{ TI_ESCHEME, "unsupported URI scheme" },
	{ TI_EDB, "database error" },
	{ TI_ECOAP, "CoAP library error" },
	{ TI_EDUP, "duplicate value" },
	{ TI_EMISSING, "missing value" },
	{ TI_ETOOBIG, "too big" },
};

START_TEST(test_project_codes)
{
	ck_assert_str_eq(ti_strerror(codes[_i].err), codes[_i].text);
}
END_TEST

/* The project range must stay contiguous and below every errno value. */
START_TEST(test_code_values)
{
	ck_assert_int_eq(TI_EPARSE, -1000);
	ck_assert_int_eq(TI_ERANGE, -1001);
	ck_assert_int_eq(TI_EUNKNOWN, -1002);
	ck_assert_int_eq(TI_ESCHEME, -1003);
	ck_assert_int_eq(TI_EDB, -1004);
	ck_assert_int_eq(TI_ECOAP, -1005);
	ck_assert_int_eq(TI_EDUP, -1006);
	ck_assert_int_eq(TI_EMISSING, -1007);
	ck_assert_int_eq(TI_ETOOBIG, -1008);
}
END_TEST

static const int errnos[] = { EPERM,  ENOENT, EINTR,  EIO,	    ENOMEM,	EACCES,
			      EEXIST, EINVAL, ENOSPC, EAFNOSUPPORT, EADDRINUSE, ENOTSUP };

START_TEST(test_errno)
{
	int e = errnos[_i];

	ck_assert_str_eq(ti_strerror(-e), strerror(e));
}
END_TEST

START_TEST(test_errno_examples)
{
	ck_assert_str_eq(ti_strerror(-ENOENT), "No such file or directory");
	ck_assert_str_eq(ti_strerror(-EINVAL), "Invalid argument");
	/* The errno range ends at -999; its unnamed values still get some text. */
	ck_assert_ptr_nonnull(ti_strerror(-999));
	ck_assert_uint_gt(strlen(ti_strerror(-999)), 0);
}
END_TEST

/*
 * The header promises static strings, so two results can be used together
 * (e.g. in one log call). glibc's strerror() text for an unnamed errno lives
 * in a buffer that the next strerror() call frees.
 */
START_TEST(test_strings_stay_valid)
{
	const char *a = ti_strerror(-999);
	char copy[64];

	ti_strlcpy(copy, a, sizeof(copy));
	ck_assert_ptr_nonnull(ti_strerror(-998));
	ck_assert_ptr_nonnull(strerror(997));
	ck_assert_str_eq(a, copy);
}
END_TEST

static const int unknown[] = { 1, EINVAL, 1000, INT_MAX, -1009, -1100, -5000, INT_MIN };

START_TEST(test_unknown)
{
	ck_assert_str_eq(ti_strerror(unknown[_i]), "unknown error");
}
END_TEST

Suite *
err_suite(void)
{
	Suite *s = suite_create("ti_err");
	TCase *tc = tcase_create("strerror");

	tcase_add_loop_test(tc, test_project_codes, 0, (int)TI_ARRAY_SIZE(codes));
	tcase_add_test(tc, test_code_values);
	tcase_add_loop_test(tc, test_errno, 0, (int)TI_ARRAY_SIZE(errnos));
	tcase_add_test(tc, test_errno_examples);
	tcase_add_test(tc, test_strings_stay_valid);
	tcase_add_loop_test(tc, test_unknown, 0, (int)TI_ARRAY_SIZE(unknown));
	suite_add_tcase(s, tc);
	return s;
}
