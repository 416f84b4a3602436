/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: shared main that runs one module's suite, plus file helpers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "check_main.h"

char *
check_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = NULL;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	ck_assert_int_gt(asprintf(&dir, "%s/thinice-check.XXXXXX", tmp), 0);
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp(%s): %s", dir, strerror(errno));
	return dir;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
check_rmtree(char *dir)
{
	if (dir == NULL)
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

char *
check_write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char *path = NULL;
	int fd;

	ck_assert_int_gt(asprintf(&path, "%s/%s", dir, name), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "open(%s): %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	return path;
}

char *
check_write_str(const char *dir, const char *name, const char *text)
{
	return check_write_file(dir, name, text, strlen(text));
}

int
main(void)
{
	SRunner *sr = srunner_create(TI_CHECK_SUITE());
	int failed;

	/*
	 * Fork mode comes from CK_FORK (default: fork); verbosity from
	 * CK_VERBOSITY (default: CK_NORMAL).
	 */
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
