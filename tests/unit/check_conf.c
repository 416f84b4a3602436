/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ti_conf: tokenizer, schema types, defaults, errors, include, print. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <check.h>

#include "ti_conf.h"
#include "ti_err.h"
#include "ti_util.h"
#include "check_main.h"

/* A test schema with every type, a check callback and a validate callback. */
struct tconf {
	char *name;
	char *path;
	uint32_t count;
	uint64_t lifetime;
	int enabled;
	int level;
	int mode;
	struct ti_conf_list listen;
	struct ti_conf_list peer;
};

static const char *const modes[] = { "fast", "safe", "slow", NULL };

static int validate_calls;

static int
check_abs(const char *value, char *err, size_t errlen)
{
	if (value[0] == '/')
		return 0;
	snprintf(err, errlen, "must be an absolute path");
	return -1;
}

static int
check_coap(const char *value, char *err, size_t errlen)
{
	if (strncmp(value, "coap", 4) == 0)
		return 0;
	snprintf(err, errlen, "must be a coap URI");
	return 1;
}

static int
validate(const void *conf, char *err, size_t errlen)
{
	const struct tconf *c = conf;

	validate_calls++;
	if (c->count > 50 && !c->enabled) {
		snprintf(err, errlen, "'count' above 50 needs 'enabled yes'");
		return -1;
	}
	return 0;
}

static const struct ti_conf_item items[] = {
	{ .name = "name",
	  .type = TI_CONF_STRING,
	  .offset = offsetof(struct tconf, name),
	  .def = "thinice" },
	{ .name = "path",
	  .type = TI_CONF_STRING,
	  .offset = offsetof(struct tconf, path),
	  .check = check_abs },
	{ .name = "count",
	  .type = TI_CONF_U32,
	  .offset = offsetof(struct tconf, count),
	  .min = 1,
	  .max = 100,
	  .def = "10" },
	{ .name = "lifetime",
	  .type = TI_CONF_DURATION,
	  .offset = offsetof(struct tconf, lifetime),
	  .min = 60,
	  .max = 86400,
	  .def = "1h" },
	{ .name = "enabled",
	  .type = TI_CONF_BOOL,
	  .offset = offsetof(struct tconf, enabled),
	  .def = "yes" },
	{ .name = "log-level",
	  .type = TI_CONF_LOGLEVEL,
	  .offset = offsetof(struct tconf, level),
	  .def = "info" },
	{ .name = "mode",
	  .type = TI_CONF_ENUM,
	  .offset = offsetof(struct tconf, mode),
	  .def = "safe",
	  .choices = modes },
	{ .name = "listen",
	  .type = TI_CONF_LIST,
	  .offset = offsetof(struct tconf, listen),
	  .def = "coap://127.0.0.1 coap://[::1]",
	  .check = check_coap },
	{ .name = "peer", .type = TI_CONF_LIST, .offset = offsetof(struct tconf, peer) },
};

static const struct ti_conf_schema schema = {
	.items = items,
	.n_items = TI_ARRAY_SIZE(items),
	.validate = validate,
};

/* Text of the default config as ti_conf_print() writes it. */
static const char defaults_text[] = "name thinice\n"
				    "# path (not set)\n"
				    "count 10\n"
				    "lifetime 1h\n"
				    "enabled yes\n"
				    "log-level info\n"
				    "mode safe\n"
				    "listen coap://127.0.0.1\n"
				    "listen coap://[::1]\n"
				    "# peer (not set)\n";

static const char *
fmt_err(const struct ti_conf_error *e)
{
	static char buf[1024];

	ti_conf_error_format(e, buf, sizeof(buf));
	return buf;
}

static int
load(const char *text, struct tconf *c, struct ti_conf_error *e)
{
	return ti_conf_load_string(&schema, "t.conf", text, c, e);
}

/* Load text that must be accepted, reporting the error if it is not. */
static void
load_ok(const char *text, struct tconf *c)
{
	struct ti_conf_error e = { .line = 0 };
	int r = load(text, c, &e);

	ck_assert_msg(r == 0, "load failed (%d): %s", r, fmt_err(&e));
}

static void
assert_list(const struct ti_conf_list *l, size_t n, const char *const *want)
{
	ck_assert_uint_eq(l->n, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(l->v[i], want[i]);
}

static void
assert_defaults(const struct tconf *c)
{
	static const char *const listen[] = { "coap://127.0.0.1", "coap://[::1]" };

	ck_assert_str_eq(c->name, "thinice");
	ck_assert_ptr_null(c->path);
	ck_assert_uint_eq(c->count, 10);
	ck_assert_uint_eq(c->lifetime, 3600);
	ck_assert_int_eq(c->enabled, 1);
	ck_assert_int_eq(c->level, LOG_INFO);
	ck_assert_int_eq(c->mode, 1);
	assert_list(&c->listen, 2, listen);
	ck_assert_uint_eq(c->peer.n, 0);
	ck_assert_ptr_null(c->peer.v);
}

/* Print conf into a string; caller frees. */
static char *
print_conf(const struct tconf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	ti_conf_print(&schema, c, f);
	ck_assert_int_eq(fclose(f), 0);
	return text;
}

START_TEST(test_defaults)
{
	struct tconf c = { 0 };

	validate_calls = 0;
	load_ok("", &c);
	assert_defaults(&c);
	ck_assert_int_eq(validate_calls, 1);
	ti_conf_fini(&schema, &c);
}
END_TEST

START_TEST(test_comments_and_blanks)
{
	struct tconf c = { 0 };

	load_ok("# a comment\n\n   \n\t\t\n\t# indented comment\n#no space\n\r\n", &c);
	assert_defaults(&c);
	ti_conf_fini(&schema, &c);
}
END_TEST

/* Every directive, one per line, single spaces: the usual way to write a config. */
START_TEST(test_all_directives)
{
	static const char *const listen[] = { "coap://0.0.0.0:5683", "coap+tcp://[::]:5683" };
	static const char *const peer[] = { "a", "b", "c" };
	struct tconf c = { 0 };

	load_ok("name rd1\n"
		"path /var/lib/thinice\n"
		"count 42\n"
		"lifetime 15m\n"
		"enabled no\n"
		"log-level debug\n"
		"mode slow\n"
		"listen coap://0.0.0.0:5683\n"
		"listen coap+tcp://[::]:5683\n"
		"peer a\n"
		"peer b\n"
		"peer c\n",
		&c);
	ck_assert_str_eq(c.name, "rd1");
	ck_assert_str_eq(c.path, "/var/lib/thinice");
	ck_assert_uint_eq(c.count, 42);
	ck_assert_uint_eq(c.lifetime, 900);
	ck_assert_int_eq(c.enabled, 0);
	ck_assert_int_eq(c.level, LOG_DEBUG);
	ck_assert_int_eq(c.mode, 2);
	assert_list(&c.listen, 2, listen);
	assert_list(&c.peer, 3, peer);
	ti_conf_fini(&schema, &c);
}
END_TEST

/* Two directives, in the simplest layout. */
START_TEST(test_two_lines)
{
	struct tconf c = { 0 };

	load_ok("count 5\nname x\n", &c);
	ck_assert_uint_eq(c.count, 5);
	ck_assert_str_eq(c.name, "x");
	ti_conf_fini(&schema, &c);
}
END_TEST

START_TEST(test_no_final_newline)
{
	struct tconf c = { 0 };

	load_ok("count 5\nname x", &c);
	ck_assert_uint_eq(c.count, 5);
	ck_assert_str_eq(c.name, "x");
	ti_conf_fini(&schema, &c);

	struct tconf d = { 0 };
	load_ok("count 7", &d);
	ck_assert_uint_eq(d.count, 7);
	ti_conf_fini(&schema, &d);
}
END_TEST

START_TEST(test_whitespace_layouts)
{
	struct tconf c = { 0 };

	load_ok("  count   5  \n\tname\t\tx\t\r\nenabled off# comment right after\r\n"
		"mode fast #\n",
		&c);
	ck_assert_uint_eq(c.count, 5);
	ck_assert_str_eq(c.name, "x");
	ck_assert_int_eq(c.enabled, 0);
	ck_assert_int_eq(c.mode, 0);
	ti_conf_fini(&schema, &c);
}
END_TEST

START_TEST(test_crlf)
{
	struct tconf c = { 0 };

	load_ok("count 5\r\nname x\r\n", &c);
	ck_assert_uint_eq(c.count, 5);
	ck_assert_str_eq(c.name, "x");
	ti_conf_fini(&schema, &c);
}
END_TEST

static const struct {
	const char *text;
	const char *name;
} quoted[] = {
	{ "name \"hello world\"\n", "hello world" },
	{ "name \"say \\\"hi\\\"\"\n", "say \"hi\"" },
	{ "name \"back\\\\slash\"\n", "back\\slash" },
	{ "name \"a\\b\"\n", "a\\b" },
	{ "name \"tab\\there\"\n", "tab\\there" },
	{ "name \"\"\n", "" },
	{ "name \"#not a comment\"\n", "#not a comment" },
	{ "name \"x\"# comment\n", "x" },
	{ "name \"x\"\t# comment\n", "x" },
	{ "name \"  two  spaces  \"\n", "  two  spaces  " },
	{ "name x#y\n", "x" },
	{ "name 'single'\n", "'single'" },
	{ "name \"end\\\\\"\n", "end\\" },
	{ "\"name\" quoted-directive\n", "quoted-directive" },
	{ "name \"\\\"\"\n", "\"" },
	{ "name \"a\"\r\n", "a" },
};

START_TEST(test_quoted)
{
	struct tconf c = { 0 };

	load_ok(quoted[_i].text, &c);
	ck_assert_str_eq(c.name, quoted[_i].name);
	ti_conf_fini(&schema, &c);
}
END_TEST

START_TEST(test_list_order_and_default)
{
	static const char *const peer[] = { "z", "a", "m", "a" };
	static const char *const listen[] = { "coap://h" };
	struct tconf c = { 0 };

	/* Repeats append in file order, duplicates kept; other lines in between. */
	load_ok("peer z\ncount 3\npeer a\n# c\npeer m\npeer a\n", &c);
	assert_list(&c.peer, 4, peer);
	ti_conf_fini(&schema, &c);

	/* A list given in the file replaces its default entirely. */
	struct tconf d = { 0 };
	load_ok("listen coap://h\n", &d);
	assert_list(&d.listen, 1, listen);
	ti_conf_fini(&schema, &d);
}
END_TEST

START_TEST(test_list_quoted_value)
{
	static const char *const peer[] = { "p 1", "", "p#3" };
	struct tconf c = { 0 };

	load_ok("peer \"p 1\"\npeer \"\"\npeer \"p#3\"\n", &c);
	assert_list(&c.peer, 3, peer);
	ti_conf_fini(&schema, &c);
}
END_TEST

START_TEST(test_ranges_ok)
{
	struct tconf c = { 0 };

	load_ok("count 1\nlifetime 60\n", &c);
	ck_assert_uint_eq(c.count, 1);
	ck_assert_uint_eq(c.lifetime, 60);
	ti_conf_fini(&schema, &c);

	struct tconf d = { 0 };
	load_ok("count 100\nlifetime 1d\n", &d);
	ck_assert_uint_eq(d.count, 100);
	ck_assert_uint_eq(d.lifetime, 86400);
	ti_conf_fini(&schema, &d);
}
END_TEST

static const struct {
	const char *text;
	const char *name;
	int level;
} level_cases[] = {
	{ "log-level err\n", "err", LOG_ERR },
	{ "log-level error\n", "error", LOG_ERR },
	{ "log-level warning\n", "warning", LOG_WARNING },
	{ "log-level warn\n", "warn", LOG_WARNING },
	{ "log-level notice\n", "notice", LOG_NOTICE },
	{ "log-level info\n", "info", LOG_INFO },
	{ "log-level debug\n", "debug", LOG_DEBUG },
};

START_TEST(test_loglevel)
{
	struct tconf c = { 0 };

	load_ok(level_cases[_i].text, &c);
	ck_assert_int_eq(c.level, level_cases[_i].level);
	ti_conf_fini(&schema, &c);
}
END_TEST

START_TEST(test_bool_and_enum)
{
	static const char *const t[] = { "yes", "on", "true", "1" };
	static const char *const f[] = { "no", "off", "false", "0" };
	char text[64];

	for (size_t i = 0; i < TI_ARRAY_SIZE(t); i++) {
		struct tconf c = { 0 }, d = { 0 };

		snprintf(text, sizeof(text), "enabled %s\n", f[i]);
		load_ok(text, &c);
		ck_assert_int_eq(c.enabled, 0);
		snprintf(text, sizeof(text), "enabled %s\nmode %s\n", t[i], modes[i % 3]);
		load_ok(text, &d);
		ck_assert_int_eq(d.enabled, 1);
		ck_assert_int_eq(d.mode, (int)(i % 3));
		ti_conf_fini(&schema, &c);
		ti_conf_fini(&schema, &d);
	}
}
END_TEST

static const struct {
	const char *text;
	int ret;
	const char *msg;
} errors[] = {
	{ "count 5\n\nbogus 1\n", TI_EUNKNOWN, "t.conf:3: unknown directive 'bogus'" },
	{ "bogus\n", TI_EUNKNOWN, "t.conf:1: unknown directive 'bogus'" },
	{ "Count 5\n", TI_EUNKNOWN, "t.conf:1: unknown directive 'Count'" },
	{ "peer a\npeer b\n  bogus \"x y\" # c\n", TI_EUNKNOWN,
	  "t.conf:3: unknown directive 'bogus'" },
	{ "count\n", TI_EMISSING, "t.conf:1: missing value for 'count'" },
	{ "# c\n  count   # c\n", TI_EMISSING, "t.conf:2: missing value for 'count'" },
	{ "name a b\n", TI_EPARSE,
	  "t.conf:1: 'name' takes one value (quote values that contain spaces)" },
	{ "peer a b\n", TI_EPARSE,
	  "t.conf:1: 'peer' takes one value (quote values that contain spaces)" },
	{ "count 1\ncount 2\n", TI_EDUP, "t.conf:2: 'count' given twice (first at t.conf:1)" },
	{ "name a\n#\n\nname a\n", TI_EDUP, "t.conf:4: 'name' given twice (first at t.conf:1)" },
	{ "count 5\r\ncount 6\r\n", TI_EDUP, "t.conf:2: 'count' given twice (first at t.conf:1)" },
	{ "count 1\n\"count\" 2\n", TI_EDUP, "t.conf:2: 'count' given twice (first at t.conf:1)" },
	{ "count 0\n", TI_ERANGE,
	  "t.conf:1: invalid value '0' for 'count': expected a number from 1 to 100" },
	{ "count 101\n", TI_ERANGE,
	  "t.conf:1: invalid value '101' for 'count': expected a number from 1 to 100" },
	{ "count 4294967296\n", TI_ERANGE,
	  "t.conf:1: invalid value '4294967296' for 'count': expected a number from 1 to 100" },
	{ "count ten\n", TI_EPARSE,
	  "t.conf:1: invalid value 'ten' for 'count': expected a number from 1 to 100" },
	{ "count -1\n", TI_EPARSE,
	  "t.conf:1: invalid value '-1' for 'count': expected a number from 1 to 100" },
	{ "count \"\"\n", TI_EPARSE,
	  "t.conf:1: invalid value '' for 'count': expected a number from 1 to 100" },
	{ "lifetime 59s\n", TI_ERANGE,
	  "t.conf:1: invalid value '59s' for 'lifetime': expected a duration from 1m to 1d "
	  "(a number with unit s, m, h or d)" },
	{ "lifetime 2d\n", TI_ERANGE,
	  "t.conf:1: invalid value '2d' for 'lifetime': expected a duration from 1m to 1d "
	  "(a number with unit s, m, h or d)" },
	{ "lifetime 1w\n", TI_EPARSE,
	  "t.conf:1: invalid value '1w' for 'lifetime': expected a duration from 1m to 1d "
	  "(a number with unit s, m, h or d)" },
	{ "enabled maybe\n", TI_EPARSE,
	  "t.conf:1: invalid value 'maybe' for 'enabled': expected yes or no" },
	{ "log-level loud\n", TI_EPARSE,
	  "t.conf:1: invalid value 'loud' for 'log-level': expected err, warning, notice, info "
	  "or debug" },
	{ "mode quick\n", TI_EPARSE,
	  "t.conf:1: invalid value 'quick' for 'mode': expected one of fast, safe, slow" },
	{ "mode Fast\n", TI_EPARSE,
	  "t.conf:1: invalid value 'Fast' for 'mode': expected one of fast, safe, slow" },
	{ "path relative/x\n", TI_EPARSE,
	  "t.conf:1: invalid value 'relative/x' for 'path': must be an absolute path" },
	{ "listen coap://a\nlisten http://b\n", TI_EPARSE,
	  "t.conf:2: invalid value 'http://b' for 'listen': must be a coap URI" },
	{ "name \"unterminated\n", TI_EPARSE, "t.conf:1: unterminated quoted string" },
	{ "name \"a\\\"\n", TI_EPARSE, "t.conf:1: unterminated quoted string" },
	{ "name \"a\"b\n", TI_EPARSE, "t.conf:1: missing space after quoted string" },
	{ "name \"\"x\n", TI_EPARSE, "t.conf:1: missing space after quoted string" },
	{ "name a\"b\"\n", TI_EPARSE, "t.conf:1: unexpected quote" },
	{ "peer 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", TI_EPARSE,
	  "t.conf:1: too many values" },
	{ "peer 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n", TI_EPARSE,
	  "t.conf:1: 'peer' takes one value (quote values that contain spaces)" },
	{ "include\n", TI_EPARSE, "t.conf:1: 'include' takes exactly one path" },
	{ "include a b\n", TI_EPARSE, "t.conf:1: 'include' takes exactly one path" },
	{ "count 60\nenabled no\n", TI_EPARSE, "t.conf: 'count' above 50 needs 'enabled yes'" },
	{ "count 51\nenabled off\npeer x\n", TI_EPARSE,
	  "t.conf: 'count' above 50 needs 'enabled yes'" },
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxyyyy 1\n", TI_EUNKNOWN,
	  "t.conf:1: unknown directive "
	  "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'" },
};

START_TEST(test_errors)
{
	struct tconf c = { 0 };
	struct ti_conf_error e = { .line = 0 };
	int r = load(errors[_i].text, &c, &e);

	ck_assert_msg(r == errors[_i].ret, "'%s': got %d (%s), want %d", errors[_i].text, r,
		      fmt_err(&e), errors[_i].ret);
	ck_assert_str_eq(fmt_err(&e), errors[_i].msg);
	ck_assert_str_eq(e.file, "t.conf");
	/* Partly filled on failure: fini still frees everything. */
	ti_conf_fini(&schema, &c);
}
END_TEST

/* Validation sees the defaults, and runs only when parsing succeeded. */
START_TEST(test_validate)
{
	struct tconf c = { 0 }, d = { 0 }, f = { 0 };
	struct ti_conf_error e;

	validate_calls = 0;
	load_ok("count 60\n", &c);
	load_ok("enabled no\n", &d);
	ck_assert_int_eq(validate_calls, 2);
	ck_assert_int_eq(load("bogus 1\n", &f, &e), TI_EUNKNOWN);
	ck_assert_int_eq(validate_calls, 2);
	ti_conf_fini(&schema, &c);
	ti_conf_fini(&schema, &d);
	ti_conf_fini(&schema, &f);
}
END_TEST

START_TEST(test_line_length)
{
	size_t n = 4096 + 64;
	char *text = malloc(n);
	struct tconf c = { 0 }, d = { 0 };
	struct ti_conf_error e;

	ck_assert_ptr_nonnull(text);
	/* 4095 bytes before the newline are accepted... */
	text[0] = '#';
	memset(text + 1, 'x', 4094);
	memcpy(text + 4095, "\ncount 5\n", 10);
	load_ok(text, &c);
	ck_assert_uint_eq(c.count, 5);
	ti_conf_fini(&schema, &c);

	/* ...4096 are not, even in a comment. */
	memcpy(text, "count 5\n#", 9);
	memset(text + 9, 'x', 4095);
	memcpy(text + 8 + 4096, "\n", 2);
	ck_assert_int_eq(load(text, &d, &e), TI_ETOOBIG);
	ck_assert_str_eq(fmt_err(&e), "t.conf:2: line longer than 4095 bytes");
	ti_conf_fini(&schema, &d);
	free(text);
}
END_TEST

START_TEST(test_reterr_optional)
{
	struct tconf c = { 0 };
	struct ti_conf_error e = { .file = "untouched", .line = 99, .msg = "untouched" };

	ck_assert_int_eq(ti_conf_load_string(&schema, "t.conf", "bogus\n", &c, NULL), TI_EUNKNOWN);
	ti_conf_fini(&schema, &c);

	/* On success the error is not written. */
	struct tconf d = { 0 };
	ck_assert_int_eq(load("count 3\n", &d, &e), 0);
	ck_assert_str_eq(e.file, "untouched");
	ck_assert_uint_eq(e.line, 99);
	ti_conf_fini(&schema, &d);
}
END_TEST

START_TEST(test_fini)
{
	struct tconf c = { 0 }, z = { 0 };

	load_ok("path /x\npeer a\npeer b\n", &c);
	ti_conf_fini(&schema, &c);
	ck_assert_ptr_null(c.name);
	ck_assert_ptr_null(c.path);
	ck_assert_ptr_null(c.listen.v);
	ck_assert_uint_eq(c.listen.n, 0);
	ck_assert_ptr_null(c.peer.v);
	ck_assert_uint_eq(c.peer.n, 0);
	/* Twice, and on a conf never loaded: both harmless. */
	ti_conf_fini(&schema, &c);
	ti_conf_fini(&schema, &z);
}
END_TEST

START_TEST(test_print_defaults)
{
	struct tconf c = { 0 };
	char *text;

	load_ok("", &c);
	text = print_conf(&c);
	ck_assert_str_eq(text, defaults_text);
	free(text);
	ti_conf_fini(&schema, &c);
}
END_TEST

START_TEST(test_print_quoting)
{
	struct tconf c = { 0 };
	char *text;

	load_ok("name \"a b\"\n"
		"path \"/x \\\"y\\\" \\\\z#\"\n"
		"peer \"\"\n"
		"peer \"#p\"\n"
		"peer \"tab\there\"\n"
		"peer plain\n",
		&c);
	text = print_conf(&c);
	ck_assert_str_eq(text, "name \"a b\"\n"
			       "path \"/x \\\"y\\\" \\\\z#\"\n"
			       "count 10\n"
			       "lifetime 1h\n"
			       "enabled yes\n"
			       "log-level info\n"
			       "mode safe\n"
			       "listen coap://127.0.0.1\n"
			       "listen coap://[::1]\n"
			       "peer \"\"\n"
			       "peer \"#p\"\n"
			       "peer \"tab\there\"\n"
			       "peer plain\n");
	free(text);
	ti_conf_fini(&schema, &c);
}
END_TEST

static void
assert_same(const struct tconf *a, const struct tconf *b)
{
	if (a->name == NULL || b->name == NULL)
		ck_assert_ptr_eq(a->name, b->name);
	else
		ck_assert_str_eq(a->name, b->name);
	if (a->path == NULL || b->path == NULL)
		ck_assert_ptr_eq(a->path, b->path);
	else
		ck_assert_str_eq(a->path, b->path);
	ck_assert_uint_eq(a->count, b->count);
	ck_assert_uint_eq(a->lifetime, b->lifetime);
	ck_assert_int_eq(a->enabled, b->enabled);
	ck_assert_int_eq(a->level, b->level);
	ck_assert_int_eq(a->mode, b->mode);
	assert_list(&b->listen, a->listen.n, (const char *const *)a->listen.v);
	assert_list(&b->peer, a->peer.n, (const char *const *)a->peer.v);
}

static const char *const round_trips[] = {
	"",
	"name rd1\npath /var/lib/thinice\ncount 42\nlifetime 15m\nenabled no\n"
	"log-level debug\nmode slow\nlisten coap://0.0.0.0:5683\nlisten coap+tcp://[::]:5683\n"
	"peer a\npeer b\n",
	"name \"with \\\"quotes\\\" and \\\\ and # and  spaces\"\npeer \"\"\npeer \" \"\n",
	"name \"\"\nlifetime 5400\ncount 100\nlog-level error\n",
	"lifetime 90\nlog-level warn\nmode fast\npath \"/a b\"\n",
	"lifetime 86399\nlog-level err\nenabled off\ncount 1\n",
};

/* ti_conf_print() output loads back to the same config, and prints the same. */
START_TEST(test_print_round_trip)
{
	struct tconf a = { 0 }, b = { 0 };
	struct ti_conf_error e;
	char *text1, *text2;
	int r;

	r = load(round_trips[_i], &a, &e);
	ck_assert_msg(r == 0, "load failed: %s", fmt_err(&e));
	text1 = print_conf(&a);
	ck_assert_msg(ti_conf_load_string(&schema, "printed", text1, &b, &e) == 0,
		      "printed config does not load: %s\n%s", fmt_err(&e), text1);
	assert_same(&a, &b);
	text2 = print_conf(&b);
	ck_assert_str_eq(text2, text1);
	free(text1);
	free(text2);
	ti_conf_fini(&schema, &a);
	ti_conf_fini(&schema, &b);
}
END_TEST

/*
 * A carriage return inside quotes is kept in the value, but the tokenizer
 * splits unquoted tokens at it, so print must quote it to read back.
 */
START_TEST(test_print_round_trip_cr)
{
	struct tconf a = { 0 }, b = { 0 };
	struct ti_conf_error e;
	char *text;

	load_ok("name \"a\rb\"\n", &a);
	ck_assert_str_eq(a.name, "a\rb");
	text = print_conf(&a);
	ck_assert_msg(ti_conf_load_string(&schema, "printed", text, &b, &e) == 0,
		      "printed config does not load: %s", fmt_err(&e));
	ck_assert_str_eq(b.name, "a\rb");
	free(text);
	ti_conf_fini(&schema, &a);
	ti_conf_fini(&schema, &b);
}
END_TEST

START_TEST(test_error_format)
{
	struct ti_conf_error e = { .file = "f.conf", .line = 3, .msg = "boom" };
	char buf[8];

	ck_assert_str_eq(fmt_err(&e), "f.conf:3: boom");
	e.line = 0;
	ck_assert_str_eq(fmt_err(&e), "f.conf: boom");
	e.file[0] = '\0';
	ck_assert_str_eq(fmt_err(&e), "boom");
	e.line = 7;
	ck_assert_str_eq(fmt_err(&e), "boom");
	/* Truncated to the buffer, always terminated. */
	ti_strlcpy(e.file, "f.conf", sizeof(e.file));
	ti_conf_error_format(&e, buf, sizeof(buf));
	ck_assert_str_eq(buf, "f.conf:");
}
END_TEST

/* A default that fails its own schema is reported without a location. */
/* A U32 with a word: the word is 0 and prints as the word; numbers keep their range. */
struct wconf {
	uint32_t ttl;
	uint32_t plain;
};

static const struct ti_conf_item word_items[] = {
	{ .name = "ttl",
	  .type = TI_CONF_U32,
	  .offset = offsetof(struct wconf, ttl),
	  .min = 1,
	  .max = 255,
	  .def = "auto",
	  .word = "auto" },
	{ .name = "plain",
	  .type = TI_CONF_U32,
	  .offset = offsetof(struct wconf, plain),
	  .min = 0,
	  .max = 9,
	  .def = "0" },
};

static const struct ti_conf_schema word_schema = {
	.items = word_items,
	.n_items = TI_ARRAY_SIZE(word_items),
};

static const struct {
	const char *text;
	int ret;
	uint32_t ttl;
	const char *msg; /* on error */
} word_cases[] = {
	{ "", 0, 0, NULL },
	{ "ttl auto\n", 0, 0, NULL },
	{ "ttl \"auto\"\n", 0, 0, NULL },
	{ "ttl 1\n", 0, 1, NULL },
	{ "ttl 255\n", 0, 255, NULL },
	{ "ttl 0\n", TI_ERANGE, 0,
	  "w.conf:1: invalid value '0' for 'ttl': expected auto or a number from 1 to 255" },
	{ "ttl 256\n", TI_ERANGE, 0,
	  "w.conf:1: invalid value '256' for 'ttl': expected auto or a number from 1 to 255" },
	{ "\nttl AUTO\n", TI_EPARSE, 0,
	  "w.conf:2: invalid value 'AUTO' for 'ttl': expected auto or a number from 1 to 255" },
	{ "ttl autox\n", TI_EPARSE, 0,
	  "w.conf:1: invalid value 'autox' for 'ttl': expected auto or a number from 1 to 255" },
	{ "ttl \"\"\n", TI_EPARSE, 0,
	  "w.conf:1: invalid value '' for 'ttl': expected auto or a number from 1 to 255" },
	/* Without a word, the word means nothing. */
	{ "plain auto\n", TI_EPARSE, 0,
	  "w.conf:1: invalid value 'auto' for 'plain': expected a number from 0 to 9" },
};

START_TEST(test_u32_word)
{
	struct ti_conf_error e = { .line = 0 };
	struct wconf w = { .ttl = 77 };
	int r = ti_conf_load_string(&word_schema, "w.conf", word_cases[_i].text, &w, &e);

	ck_assert_msg(r == word_cases[_i].ret, "'%s': got %d (%s)", word_cases[_i].text, r,
		      fmt_err(&e));
	if (r == 0)
		ck_assert_uint_eq(w.ttl, word_cases[_i].ttl);
	else
		ck_assert_str_eq(fmt_err(&e), word_cases[_i].msg);
	ti_conf_fini(&word_schema, &w);
}
END_TEST

START_TEST(test_u32_word_print)
{
	struct wconf w = { 0 }, back = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(ti_conf_load_string(&word_schema, "w.conf", "", &w, NULL), 0);
	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	ti_conf_print(&word_schema, &w, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_str_eq(text, "ttl auto\nplain 0\n");
	free(text);
	ck_assert_int_eq(ti_conf_load_string(&word_schema, "w.conf", "ttl 7\n", &w, NULL), 0);
	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	ti_conf_print(&word_schema, &w, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_str_eq(text, "ttl 7\nplain 0\n");
	ck_assert_int_eq(ti_conf_load_string(&word_schema, "printed", text, &back, NULL), 0);
	ck_assert_uint_eq(back.ttl, 7);
	free(text);
}
END_TEST

START_TEST(test_bad_default)
{
	static const struct ti_conf_item bad_u32[] = {
		{ .name = "count",
		  .type = TI_CONF_U32,
		  .offset = offsetof(struct tconf, count),
		  .min = 1,
		  .max = 100,
		  .def = "0" },
	};
	static const struct ti_conf_item bad_list[] = {
		{ .name = "listen",
		  .type = TI_CONF_LIST,
		  .offset = offsetof(struct tconf, listen),
		  .def = "coap://a http://b coap://c",
		  .check = check_coap },
	};
	const struct ti_conf_schema s1 = { .items = bad_u32, .n_items = 1 };
	const struct ti_conf_schema s2 = { .items = bad_list, .n_items = 1 };
	struct tconf c = { 0 }, d = { 0 };
	struct ti_conf_error e;

	ck_assert_int_eq(ti_conf_load_string(&s1, "t.conf", "", &c, &e), TI_ERANGE);
	ck_assert_str_eq(e.file, "");
	ck_assert_uint_eq(e.line, 0);
	ck_assert_str_eq(fmt_err(&e),
			 "bad built-in default for 'count': expected a number from 1 to 100");
	ti_conf_fini(&s1, &c);

	/* Not reached when the file sets the directive. */
	ck_assert_int_eq(ti_conf_load_string(&s1, "t.conf", "count 5\n", &c, &e), 0);
	ck_assert_uint_eq(c.count, 5);
	ti_conf_fini(&s1, &c);

	ck_assert_int_eq(ti_conf_load_string(&s2, "t.conf", "", &d, &e), TI_EPARSE);
	ck_assert_str_eq(fmt_err(&e), "bad built-in default for 'listen': must be a coap URI");
	ti_conf_fini(&s2, &d);
	ck_assert_ptr_null(d.listen.v);
}
END_TEST

START_TEST(test_empty_schema)
{
	const struct ti_conf_schema s = { .items = NULL, .n_items = 0 };
	struct tconf c = { 0 };
	struct ti_conf_error e;

	ck_assert_int_eq(ti_conf_load_string(&s, "t.conf", "# nothing\n", &c, &e), 0);
	ck_assert_int_eq(ti_conf_load_string(&s, "t.conf", "x 1\n", &c, &e), TI_EUNKNOWN);
	ck_assert_str_eq(fmt_err(&e), "t.conf:1: unknown directive 'x'");
	ti_conf_fini(&s, &c);
}
END_TEST

/*
 * File tests share one temp dir, made in the parent before the case and
 * removed after it (even when a forked test fails). Each test uses its own
 * file names.
 */
static char *tmpdir;

static void
files_setup(void)
{
	tmpdir = check_mkdtemp();
}

static void
files_teardown(void)
{
	check_rmtree(tmpdir);
	tmpdir = NULL;
}

static char *
file(const char *name, const char *text)
{
	return check_write_str(tmpdir, name, text);
}

static void
mkdir_in(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static int
load_file(const char *path, struct tconf *c, struct ti_conf_error *e)
{
	return ti_conf_load(&schema, path, c, e);
}

START_TEST(test_file_basic)
{
	static const char *const peer[] = { "a", "b" };
	char *path = file("basic.conf", "# c\ncount 5\nname x\npeer a\npeer b\n");
	struct tconf c = { 0 };
	struct ti_conf_error e;

	ck_assert_msg(load_file(path, &c, &e) == 0, "%s", fmt_err(&e));
	ck_assert_uint_eq(c.count, 5);
	ck_assert_str_eq(c.name, "x");
	assert_list(&c.peer, 2, peer);
	ti_conf_fini(&schema, &c);
	free(path);
}
END_TEST

START_TEST(test_file_empty)
{
	char *path = file("empty.conf", "");
	struct tconf c = { 0 };
	struct ti_conf_error e;

	ck_assert_msg(load_file(path, &c, &e) == 0, "%s", fmt_err(&e));
	assert_defaults(&c);
	ti_conf_fini(&schema, &c);
	free(path);
}
END_TEST

START_TEST(test_file_error_location)
{
	char *path = file("err.conf", "count 5\n\nbogus 1\n");
	char want[PATH_MAX + 64];
	struct tconf c = { 0 };
	struct ti_conf_error e;

	ck_assert_int_eq(load_file(path, &c, &e), TI_EUNKNOWN);
	ck_assert_str_eq(e.file, path);
	ck_assert_uint_eq(e.line, 3);
	snprintf(want, sizeof(want), "%s:3: unknown directive 'bogus'", path);
	ck_assert_str_eq(fmt_err(&e), want);
	ti_conf_fini(&schema, &c);
	free(path);
}
END_TEST

START_TEST(test_file_missing)
{
	char path[PATH_MAX], want[PATH_MAX + 64];
	struct tconf c = { 0 };
	struct ti_conf_error e;

	snprintf(path, sizeof(path), "%s/none.conf", tmpdir);
	ck_assert_int_eq(load_file(path, &c, &e), -ENOENT);
	ck_assert_str_eq(e.file, path);
	ck_assert_uint_eq(e.line, 0);
	snprintf(want, sizeof(want), "%s: cannot open (No such file or directory)", path);
	ck_assert_str_eq(fmt_err(&e), want);
	ti_conf_fini(&schema, &c);
}
END_TEST

START_TEST(test_file_nul_byte)
{
	static const char text[] = "count 1\n\0name x\n";
	char *path = check_write_file(tmpdir, "nul.conf", text, sizeof(text) - 1);
	char want[PATH_MAX + 64];
	struct tconf c = { 0 };
	struct ti_conf_error e;

	ck_assert_int_eq(load_file(path, &c, &e), TI_EPARSE);
	snprintf(want, sizeof(want), "%s: file contains a NUL byte", path);
	ck_assert_str_eq(fmt_err(&e), want);
	/* Nothing was applied. */
	ck_assert_uint_eq(c.count, 0);
	ti_conf_fini(&schema, &c);
	free(path);
}
END_TEST

START_TEST(test_file_size_limit)
{
	size_t max = 1024 * 1024;
	char *text = malloc(max + 2), *path;
	char want[PATH_MAX + 64];
	struct tconf c = { 0 }, d = { 0 };
	struct ti_conf_error e;

	ck_assert_ptr_nonnull(text);
	/* Exactly 1 MiB of 64-byte comment lines, the last one "count 9". */
	for (size_t i = 0; i < max; i += 64) {
		memset(text + i, 'x', 63);
		text[i] = '#';
		text[i + 63] = '\n';
	}
	memcpy(text + max - 64, "count 9 #", 9);
	path = check_write_file(tmpdir, "max.conf", text, max);
	ck_assert_msg(load_file(path, &c, &e) == 0, "%s", fmt_err(&e));
	ck_assert_uint_eq(c.count, 9);
	ti_conf_fini(&schema, &c);
	free(path);

	text[max] = '\n';
	path = check_write_file(tmpdir, "big.conf", text, max + 1);
	ck_assert_int_eq(load_file(path, &d, &e), TI_ETOOBIG);
	snprintf(want, sizeof(want), "%s: file larger than 1048576 bytes", path);
	ck_assert_str_eq(fmt_err(&e), want);
	ti_conf_fini(&schema, &d);
	free(path);
	free(text);
}
END_TEST

START_TEST(test_file_is_directory)
{
	struct tconf c = { 0 };
	struct ti_conf_error e;

	ck_assert_int_lt(load_file(tmpdir, &c, &e), 0);
	ck_assert_str_eq(e.file, tmpdir);
	ti_conf_fini(&schema, &c);
}
END_TEST

START_TEST(test_include_relative)
{
	static const char *const peer[] = { "before", "inc", "deeper", "after" };
	char *main, *inc, *deeper;
	struct tconf c = { 0 };
	struct ti_conf_error e;

	mkdir_in("rel");
	mkdir_in("rel/sub");
	main = file("rel/main.conf", "count 5\npeer before\ninclude sub/inc.conf\npeer after\n"
				     "name after-include\n");
	/* Relative to sub/, the directory of the including file, not to the cwd. */
	inc = file("rel/sub/inc.conf", "peer inc\ninclude deeper.conf\n");
	deeper = file("rel/sub/deeper.conf", "peer deeper\n");
	ck_assert_msg(load_file(main, &c, &e) == 0, "%s", fmt_err(&e));
	ck_assert_uint_eq(c.count, 5);
	ck_assert_str_eq(c.name, "after-include");
	assert_list(&c.peer, 4, peer);
	ti_conf_fini(&schema, &c);
	free(main);
	free(inc);
	free(deeper);
}
END_TEST

START_TEST(test_include_absolute)
{
	char *inc = file("abs-inc.conf", "count 77\n");
	char *text = NULL, *main;
	struct tconf c = { 0 };
	struct ti_conf_error e;

	mkdir_in("abs");
	ck_assert_int_gt(asprintf(&text, "include \"%s\"\n", inc), 0);
	main = file("abs/main.conf", text);
	ck_assert_msg(load_file(main, &c, &e) == 0, "%s", fmt_err(&e));
	ck_assert_uint_eq(c.count, 77);
	ti_conf_fini(&schema, &c);
	free(text);
	free(main);
	free(inc);
}
END_TEST

START_TEST(test_include_error_location)
{
	char *main, *bad;
	char want[PATH_MAX + 64];
	struct tconf c = { 0 };
	struct ti_conf_error e;

	main = file("loc-main.conf", "count 5\ninclude loc-bad.conf\n");
	bad = file("loc-bad.conf", "peer x\nbogus 1\n");
	ck_assert_int_eq(load_file(main, &c, &e), TI_EUNKNOWN);
	/* Reported in the included file, at its own line. */
	snprintf(want, sizeof(want), "%s:2: unknown directive 'bogus'", bad);
	ck_assert_str_eq(fmt_err(&e), want);
	ti_conf_fini(&schema, &c);
	free(main);
	free(bad);
}
END_TEST

START_TEST(test_include_duplicate)
{
	char *main, *inc;
	char want[2 * PATH_MAX + 64];
	struct tconf c = { 0 };
	struct ti_conf_error e;

	main = file("dup-main.conf", "count 1\ninclude dup-inc.conf\n");
	inc = file("dup-inc.conf", "# again\ncount 2\n");
	ck_assert_int_eq(load_file(main, &c, &e), TI_EDUP);
	snprintf(want, sizeof(want), "%s:2: 'count' given twice (first at %s:1)", inc, main);
	ck_assert_str_eq(fmt_err(&e), want);
	ti_conf_fini(&schema, &c);
	free(main);
	free(inc);
}
END_TEST

START_TEST(test_include_missing)
{
	char *main = file("miss-main.conf", "count 5\ninclude nope.conf\n");
	char want[2 * PATH_MAX + 64];
	struct tconf c = { 0 };
	struct ti_conf_error e;

	ck_assert_int_eq(load_file(main, &c, &e), -ENOENT);
	/* Reported at the include line. */
	ck_assert_str_eq(e.file, main);
	ck_assert_uint_eq(e.line, 2);
	snprintf(want, sizeof(want),
		 "%s:2: cannot read include '%s/nope.conf' (No such file or directory)", main,
		 tmpdir);
	ck_assert_str_eq(fmt_err(&e), want);
	ti_conf_fini(&schema, &c);
	free(main);
}
END_TEST

/* Write chain<tag>0 .. chain<tag>n; each includes the next, the last sets count. */
static char *
write_chain(const char *tag, int n)
{
	char name[64], text[128];
	char *first = NULL;

	for (int i = 0; i <= n; i++) {
		snprintf(name, sizeof(name), "chain%s%d.conf", tag, i);
		if (i < n)
			snprintf(text, sizeof(text), "include chain%s%d.conf\n", tag, i + 1);
		else
			snprintf(text, sizeof(text), "count %d\n", n);
		char *path = file(name, text);
		if (i == 0)
			first = path;
		else
			free(path);
	}
	return first;
}

START_TEST(test_include_depth)
{
	char *ok = write_chain("a", 8), *deep = write_chain("b", 9);
	char want[2 * PATH_MAX + 64];
	struct tconf c = { 0 }, d = { 0 };
	struct ti_conf_error e;

	/* Eight nested includes are fine... */
	ck_assert_msg(load_file(ok, &c, &e) == 0, "%s", fmt_err(&e));
	ck_assert_uint_eq(c.count, 8);
	ti_conf_fini(&schema, &c);

	/* ...the ninth is refused, at the line that asks for it. */
	ck_assert_int_eq(load_file(deep, &d, &e), TI_ERANGE);
	snprintf(want, sizeof(want),
		 "%s/chainb8.conf:1: includes nested too deeply at '%s/chainb9.conf'", tmpdir,
		 tmpdir);
	ck_assert_str_eq(fmt_err(&e), want);
	ti_conf_fini(&schema, &d);
	free(ok);
	free(deep);
}
END_TEST

START_TEST(test_include_self)
{
	char *self = file("self.conf", "peer again\ninclude self.conf\n");
	char want[2 * PATH_MAX + 64];
	struct tconf c = { 0 };
	struct ti_conf_error e;

	ck_assert_int_eq(load_file(self, &c, &e), TI_ERANGE);
	snprintf(want, sizeof(want), "%s:2: includes nested too deeply at '%s'", self, self);
	ck_assert_str_eq(fmt_err(&e), want);
	/* The list grew once per level before the limit; fini frees it all. */
	ck_assert_uint_eq(c.peer.n, 9);
	ti_conf_fini(&schema, &c);
	free(self);
}
END_TEST

/* ti_conf_load_string() resolves includes against the current directory. */
START_TEST(test_include_from_string)
{
	char *inc = file("cwd-inc.conf", "count 12\n");
	char old[PATH_MAX];
	struct tconf c = { 0 };

	ck_assert_ptr_nonnull(getcwd(old, sizeof(old)));
	ck_assert_int_eq(chdir(tmpdir), 0);
	load_ok("include cwd-inc.conf\n", &c);
	ck_assert_int_eq(chdir(old), 0);
	ck_assert_uint_eq(c.count, 12);
	ti_conf_fini(&schema, &c);
	free(inc);
}
END_TEST

/* The shipped fixture: read from another directory, include relative to it. */
START_TEST(test_fixture_sample)
{
	static const char *const listen[] = { "coap://0.0.0.0:5683", "coap+tcp://[::]:5683" };
	static const char *const peer[] = { "p1", "p2", "p 3" };
	struct tconf c = { 0 };
	struct ti_conf_error e;

	ck_assert_msg(load_file(TI_TEST_DATADIR "/conf/sample.conf", &c, &e) == 0, "%s",
		      fmt_err(&e));
	ck_assert_str_eq(c.name, "sample server");
	ck_assert_str_eq(c.path, "/var/lib/thinice");
	ck_assert_uint_eq(c.count, 42);
	ck_assert_uint_eq(c.lifetime, 900);
	ck_assert_int_eq(c.enabled, 0);
	ck_assert_int_eq(c.level, LOG_DEBUG);
	ck_assert_int_eq(c.mode, 0);
	assert_list(&c.listen, 2, listen);
	assert_list(&c.peer, 3, peer);
	ti_conf_fini(&schema, &c);
}
END_TEST

/* ti_conf_list_join(): what reloads compare listen lists with. */
START_TEST(test_list_join)
{
	char *a[] = { (char *)"coap://0.0.0.0:5683", (char *)"coap://[::]:5683" };
	struct ti_conf_list none = { 0 }, two = { .v = a, .n = 2 }, one = { .v = a, .n = 1 };
	char *s;

	s = ti_conf_list_join(&none);
	ck_assert_str_eq(s, "");
	free(s);
	s = ti_conf_list_join(&two);
	ck_assert_str_eq(s, "coap://0.0.0.0:5683\ncoap://[::]:5683\n");
	free(s);
	s = ti_conf_list_join(&one);
	ck_assert_str_eq(s, "coap://0.0.0.0:5683\n");
	free(s);
}
END_TEST
Suite *
conf_suite(void)
{
	Suite *s = suite_create("ti_conf");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_comments_and_blanks);
	tcase_add_test(tc, test_all_directives);
	tcase_add_test(tc, test_two_lines);
	tcase_add_test(tc, test_no_final_newline);
	tcase_add_test(tc, test_whitespace_layouts);
	tcase_add_test(tc, test_crlf);
	tcase_add_loop_test(tc, test_quoted, 0, (int)TI_ARRAY_SIZE(quoted));
	tcase_add_test(tc, test_list_order_and_default);
	tcase_add_test(tc, test_list_quoted_value);
	tcase_add_test(tc, test_ranges_ok);
	tcase_add_loop_test(tc, test_loglevel, 0, (int)TI_ARRAY_SIZE(level_cases));
	tcase_add_test(tc, test_bool_and_enum);
	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_fini);
	tcase_add_test(tc, test_empty_schema);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_errors, 0, (int)TI_ARRAY_SIZE(errors));
	tcase_add_test(tc, test_line_length);
	tcase_add_test(tc, test_reterr_optional);
	tcase_add_test(tc, test_error_format);
	tcase_add_test(tc, test_bad_default);
	tcase_add_loop_test(tc, test_u32_word, 0, (int)TI_ARRAY_SIZE(word_cases));
	tcase_add_test(tc, test_u32_word_print);
	suite_add_tcase(s, tc);

	tc = tcase_create("print");
	tcase_add_test(tc, test_print_defaults);
	tcase_add_test(tc, test_print_quoting);
	tcase_add_loop_test(tc, test_print_round_trip, 0, (int)TI_ARRAY_SIZE(round_trips));
	tcase_add_test(tc, test_print_round_trip_cr);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_unchecked_fixture(tc, files_setup, files_teardown);
	tcase_add_test(tc, test_file_basic);
	tcase_add_test(tc, test_file_empty);
	tcase_add_test(tc, test_file_error_location);
	tcase_add_test(tc, test_file_missing);
	tcase_add_test(tc, test_file_nul_byte);
	tcase_add_test(tc, test_file_size_limit);
	tcase_add_test(tc, test_file_is_directory);
	tcase_add_test(tc, test_include_relative);
	tcase_add_test(tc, test_include_absolute);
	tcase_add_test(tc, test_include_error_location);
	tcase_add_test(tc, test_include_duplicate);
	tcase_add_test(tc, test_include_missing);
	tcase_add_test(tc, test_include_depth);
	tcase_add_test(tc, test_include_self);
	tcase_add_test(tc, test_include_from_string);
	tcase_add_test(tc, test_fixture_sample);
	tcase_add_test(tc, test_list_join);
	suite_add_tcase(s, tc);
	return s;
}
