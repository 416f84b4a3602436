/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: the suite hook each program provides, and shared test helpers. */
#ifndef CHECK_MAIN_H
#define CHECK_MAIN_H

#include <stddef.h>

#include <check.h>

/*
 * Each test program defines `Suite *<module>_suite(void)`; subdir.am names it
 * with -DTI_CHECK_SUITE=<module>_suite so that the shared main can run it.
 */
#ifndef TI_CHECK_SUITE
#error "TI_CHECK_SUITE must name the suite function (see tests/unit/subdir.am)"
#endif

/** The program's suite; called once by the shared main. */
Suite *TI_CHECK_SUITE(void);

/**
 * Create a fresh directory under $TMPDIR (or /tmp).
 * @return its path (caller frees with check_rmtree()); fails the test on error.
 */
char *check_mkdtemp(void);

/** Remove dir and everything below it, then free the path. NULL is ignored. */
void check_rmtree(char *dir);

/**
 * Write len bytes of text to dir/name, creating or truncating it.
 * @return the full path (caller frees); fails the test on error.
 */
char *check_write_file(const char *dir, const char *name, const char *text, size_t len);

/** check_write_file() of a NUL-terminated string. */
char *check_write_str(const char *dir, const char *name, const char *text);

#endif /* CHECK_MAIN_H */
