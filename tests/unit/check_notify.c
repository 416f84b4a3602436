/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ti_notify: the sd_notify datagram sent to $NOTIFY_SOCKET. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "ti_notify.h"
#include "ti_util.h"
#include "check_main.h"

/*
 * A temp dir for the socket files, made in the parent before the test case
 * and removed after it, even when a forked test fails. Each test binds its
 * own socket name.
 */
static char *tmpdir;

static void
setup(void)
{
	tmpdir = check_mkdtemp();
}

static void
teardown(void)
{
	check_rmtree(tmpdir);
	tmpdir = NULL;
}

static void
clear_env(void)
{
	unsetenv("NOTIFY_SOCKET");
}

/* Bind a datagram socket at path ('@' for abstract) and point NOTIFY_SOCKET at it. */
static int
listen_at(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(len, sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)),
			 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", path, 1), 0);
	return fd;
}

/* Receive one datagram as a string. */
static char *
recv_msg(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, 0);

	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	return buf;
}

static char *
sock_path(const char *name)
{
	static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", tmpdir, name), (int)sizeof(path));
	return path;
}

START_TEST(test_unset)
{
	ck_assert_int_eq(ti_notify("READY=1"), 0);
	ck_assert_int_eq(ti_notify_reloading(), 0);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "", 1), 0);
	ck_assert_int_eq(ti_notify("READY=1"), 0);
}
END_TEST

START_TEST(test_path_socket)
{
	char buf[256];
	int fd = listen_at(sock_path("path"));

	ck_assert_int_eq(ti_notify("READY=1"), 1);
	ck_assert_str_eq(recv_msg(fd, buf, sizeof(buf)), "READY=1");
	ck_assert_int_eq(ti_notify("STATUS=serving 3 endpoints\nMAINPID=1"), 1);
	ck_assert_str_eq(recv_msg(fd, buf, sizeof(buf)), "STATUS=serving 3 endpoints\nMAINPID=1");
	ck_assert_int_eq(ti_notify("STOPPING=1"), 1);
	ck_assert_str_eq(recv_msg(fd, buf, sizeof(buf)), "STOPPING=1");
	close(fd);
}
END_TEST

START_TEST(test_abstract_socket)
{
	char name[64], buf[256];
	unsigned rnd;
	int fd;

	ck_assert_int_eq(ti_random(&rnd, sizeof(rnd)), 0);
	snprintf(name, sizeof(name), "@thinice-check-%ld-%08x", (long)getpid(), rnd);
	fd = listen_at(name);
	ck_assert_int_eq(ti_notify("READY=1"), 1);
	ck_assert_str_eq(recv_msg(fd, buf, sizeof(buf)), "READY=1");
	close(fd);
}
END_TEST

static uint64_t
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

START_TEST(test_reloading)
{
	static const char prefix[] = "RELOADING=1\nMONOTONIC_USEC=";
	char buf[256];
	int fd = listen_at(sock_path("reload"));
	uint64_t before, after, usec;
	const char *digits;

	before = mono_usec();
	ck_assert_int_eq(ti_notify_reloading(), 1);
	after = mono_usec();
	recv_msg(fd, buf, sizeof(buf));
	ck_assert_int_eq(strncmp(buf, prefix, strlen(prefix)), 0);
	digits = buf + strlen(prefix);
	ck_assert_uint_gt(strlen(digits), 0);
	ck_assert_uint_eq(strspn(digits, "0123456789"), strlen(digits));
	ck_assert_int_eq(ti_parse_u64(digits, before, after, &usec), 0);
	close(fd);
}
END_TEST

START_TEST(test_bad_socket)
{
	char longpath[200];

	/* Only absolute paths and abstract names are valid. */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "relative/notify", 1), 0);
	ck_assert_int_eq(ti_notify("READY=1"), -EINVAL);
	ck_assert_int_eq(ti_notify_reloading(), -EINVAL);

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", longpath, 1), 0);
	ck_assert_int_eq(ti_notify("READY=1"), -EINVAL);

	/* Nothing listening there. */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path("absent"), 1), 0);
	ck_assert_int_eq(ti_notify("READY=1"), -ENOENT);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "@thinice-check-nobody-listens", 1), 0);
	ck_assert_int_eq(ti_notify("READY=1"), -ECONNREFUSED);
}
END_TEST

/* The longest path that fits sun_path (107 bytes plus NUL) still works. */
START_TEST(test_long_path)
{
	struct sockaddr_un sun;
	char path[sizeof(sun.sun_path)], buf[64];
	size_t len = strlen(tmpdir);
	int fd;

	ck_assert_uint_lt(len + 2, sizeof(path) - 1);
	memcpy(path, tmpdir, len);
	path[len] = '/';
	memset(path + len + 1, 's', sizeof(path) - len - 2);
	path[sizeof(path) - 1] = '\0';
	ck_assert_uint_eq(strlen(path), sizeof(sun.sun_path) - 1);
	fd = listen_at(path);
	ck_assert_int_eq(ti_notify("READY=1"), 1);
	ck_assert_str_eq(recv_msg(fd, buf, sizeof(buf)), "READY=1");
	close(fd);
}
END_TEST

Suite *
notify_suite(void)
{
	Suite *s = suite_create("ti_notify");
	TCase *tc = tcase_create("notify");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tc, clear_env, NULL);
	tcase_add_test(tc, test_unset);
	tcase_add_test(tc, test_path_socket);
	tcase_add_test(tc, test_abstract_socket);
	tcase_add_test(tc, test_reloading);
	tcase_add_test(tc, test_bad_socket);
	tcase_add_test(tc, test_long_path);
	suite_add_tcase(s, tc);
	return s;
}
