/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ti_log: level names, threshold filtering, line format, libcoap bridge. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <coap3/coap.h>

#include "ti_err.h"
#include "ti_log.h"
#include "ti_util.h"
#include "check_main.h"

/* stderr is swapped for a temp file while a test logs, then read back. */
static FILE *cap_file;
static int cap_saved_fd = -1;
static char cap_buf[8192];

static void
capture_start(void)
{
	cap_file = tmpfile();
	ck_assert_ptr_nonnull(cap_file);
	fflush(stderr);
	cap_saved_fd = dup(STDERR_FILENO);
	ck_assert_int_ge(cap_saved_fd, 0);
	ck_assert_int_eq(dup2(fileno(cap_file), STDERR_FILENO), STDERR_FILENO);
}

static const char *
capture_end(void)
{
	size_t n;

	fflush(stderr);
	ck_assert_int_eq(dup2(cap_saved_fd, STDERR_FILENO), STDERR_FILENO);
	close(cap_saved_fd);
	cap_saved_fd = -1;
	rewind(cap_file);
	n = fread(cap_buf, 1, sizeof(cap_buf) - 1, cap_file);
	cap_buf[n] = '\0';
	fclose(cap_file);
	cap_file = NULL;
	return cap_buf;
}

static const struct {
	const char *name;
	int level;
} names[] = {
	{ "emerg", LOG_EMERG },	 { "alert", LOG_ALERT },   { "crit", LOG_CRIT },
	{ "err", LOG_ERR },	 { "error", LOG_ERR },	   { "warning", LOG_WARNING },
	{ "warn", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
};

START_TEST(test_level_parse)
{
	int level = -42;

	ck_assert_int_eq(ti_log_level_parse(names[_i].name, &level), 0);
	ck_assert_int_eq(level, names[_i].level);
}
END_TEST

static const char *const bad_names[] = { "",  "ERR", "Info",  "information", "debug ", " debug",
					 "7", "0",   "trace", "warnings",    "none" };

START_TEST(test_level_parse_bad)
{
	int level = -42;

	ck_assert_int_eq(ti_log_level_parse(bad_names[_i], &level), TI_EUNKNOWN);
	ck_assert_int_eq(level, -42);
}
END_TEST

static const struct {
	int level;
	const char *name;
} levels[] = {
	{ LOG_EMERG, "emerg" }, { LOG_ALERT, "alert" },	    { LOG_CRIT, "crit" },
	{ LOG_ERR, "err" },	{ LOG_WARNING, "warning" }, { LOG_NOTICE, "notice" },
	{ LOG_INFO, "info" },	{ LOG_DEBUG, "debug" },	    { LOG_DEBUG + 1, "debug" },
	{ 100, "debug" },	{ -1, "unknown" },
};

START_TEST(test_level_name)
{
	ck_assert_str_eq(ti_log_level_name(levels[_i].level), levels[_i].name);
}
END_TEST

/* Every level's name parses back to it, so `-p` output re-reads. */
START_TEST(test_level_round_trip)
{
	for (int level = LOG_EMERG; level <= LOG_DEBUG; level++) {
		int back = -1;

		ck_assert_int_eq(ti_log_level_parse(ti_log_level_name(level), &back), 0);
		ck_assert_int_eq(back, level);
	}
}
END_TEST

START_TEST(test_threshold)
{
	capture_start();
	ti_log_open("tst", TI_LOG_STDERR, LOG_WARNING);
	ck_assert_int_eq(ti_log_get_level(), LOG_WARNING);
	ti_log_err("e %d", 1);
	ti_log_warn("w %s", "2");
	ti_log_notice("n 3");
	ti_log_info("i 4");
	ti_log_debug("d 5");
	ti_log(LOG_CRIT, "c %c", '6');
	ck_assert_str_eq(capture_end(), "tst[err]: e 1\ntst[warning]: w 2\ntst[crit]: c 6\n");

	capture_start();
	ti_log_set_level(LOG_DEBUG);
	ck_assert_int_eq(ti_log_get_level(), LOG_DEBUG);
	ti_log_notice("n");
	ti_log_info("i");
	ti_log_debug("d");
	ck_assert_str_eq(capture_end(), "tst[notice]: n\ntst[info]: i\ntst[debug]: d\n");

	capture_start();
	ti_log_set_level(LOG_ERR);
	ti_log_warn("hidden");
	ti_log_err("shown");
	ck_assert_str_eq(capture_end(), "tst[err]: shown\n");
}
END_TEST

START_TEST(test_default_ident)
{
	capture_start();
	ti_log_open(NULL, TI_LOG_STDERR, LOG_INFO);
	ti_log_info("hello");
	ck_assert_str_eq(capture_end(), "thinice[info]: hello\n");
}
END_TEST

static void call_logv(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
call_logv(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ti_logv(level, fmt, ap);
	va_end(ap);
}

START_TEST(test_logv)
{
	capture_start();
	ti_log_open("tst", TI_LOG_STDERR, LOG_INFO);
	call_logv(LOG_NOTICE, "%s=%u", "x", 7u);
	call_logv(LOG_DEBUG, "filtered");
	ck_assert_str_eq(capture_end(), "tst[notice]: x=7\n");
}
END_TEST

/* Messages are cut to the line buffer (2047 characters) but keep their newline. */
START_TEST(test_long_message)
{
	static char msg[3000];
	const char *out;

	memset(msg, 'a', sizeof(msg) - 1);
	capture_start();
	ti_log_open("tst", TI_LOG_STDERR, LOG_INFO);
	ti_log_err("%s", msg);
	out = capture_end();
	ck_assert_uint_eq(strlen(out), strlen("tst[err]: ") + 2047 + 1);
	ck_assert_int_eq(strncmp(out, "tst[err]: aaaa", 14), 0);
	ck_assert_int_eq(out[strlen(out) - 1], '\n');
	ck_assert_int_eq(out[strlen(out) - 2], 'a');
}
END_TEST

START_TEST(test_syslog_close)
{
	ti_log_open("tst", TI_LOG_SYSLOG, LOG_INFO);
	ti_log_close();
	/* After close, logging falls back to stderr with the same ident. */
	capture_start();
	ti_log_info("back");
	ck_assert_str_eq(capture_end(), "tst[info]: back\n");
	ti_log_close(); /* twice is harmless */
	ti_log_open("tst2", TI_LOG_STDERR, LOG_INFO);
	capture_start();
	ti_log_info("again");
	ck_assert_str_eq(capture_end(), "tst2[info]: again\n");
}
END_TEST

START_TEST(test_coap_bridge)
{
	capture_start();
	ti_log_open("tst", TI_LOG_STDERR, LOG_DEBUG);
	ti_log_bridge_coap();
	ck_assert_int_eq(coap_get_log_level(), LOG_DEBUG);
	coap_log(LOG_INFO, "hello %d\n", 5);
	coap_log(LOG_DEBUG, "no newline");
	coap_log(LOG_WARNING, "crlf\r\n");
	/* libcoap errors concern one peer or packet: capped at warning. */
	coap_log(LOG_ERR, "bad packet\n");
	coap_log(LOG_EMERG, "worse\n");
	ck_assert_str_eq(capture_end(), "tst[info]: libcoap: hello 5\n"
					"tst[debug]: libcoap: no newline\n"
					"tst[warning]: libcoap: crlf\n"
					"tst[warning]: libcoap: bad packet\n"
					"tst[warning]: libcoap: worse\n");

	/* The threshold reaches libcoap too. */
	capture_start();
	ti_log_set_level(LOG_NOTICE);
	ck_assert_int_eq(coap_get_log_level(), LOG_NOTICE);
	coap_log(LOG_INFO, "hidden\n");
	coap_log(LOG_NOTICE, "shown\n");
	ck_assert_str_eq(capture_end(), "tst[notice]: libcoap: shown\n");
}
END_TEST

Suite *
log_suite(void)
{
	Suite *s = suite_create("ti_log");
	TCase *tc;

	tc = tcase_create("levels");
	tcase_add_loop_test(tc, test_level_parse, 0, (int)TI_ARRAY_SIZE(names));
	tcase_add_loop_test(tc, test_level_parse_bad, 0, (int)TI_ARRAY_SIZE(bad_names));
	tcase_add_loop_test(tc, test_level_name, 0, (int)TI_ARRAY_SIZE(levels));
	tcase_add_test(tc, test_level_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_add_test(tc, test_threshold);
	tcase_add_test(tc, test_default_ident);
	tcase_add_test(tc, test_logv);
	tcase_add_test(tc, test_long_message);
	tcase_add_test(tc, test_syslog_close);
	tcase_add_test(tc, test_coap_bridge);
	suite_add_tcase(s, tc);
	return s;
}
