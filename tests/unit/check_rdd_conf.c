/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for rdd_conf: defaults, every directive, range and validation errors, policy. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <check.h>
#include <coap3/coap.h>

#include "ti_conf.h"
#include "ti_err.h"
#include "ti_store.h"
#include "ti_linkfmt.h"
#include "ti_util.h"
#include "rdd_conf.h"
#include "rdd_registry.h"
#include "check_main.h"

static const char *
fmt_err(const struct ti_conf_error *e)
{
	static char buf[1024];

	ti_conf_error_format(e, buf, sizeof(buf));
	return buf;
}

static int
load(const char *text, struct rdd_conf *c, struct ti_conf_error *e)
{
	*c = (struct rdd_conf){ .database = NULL };
	return ti_conf_load_string(&rdd_conf_schema, "rdd.conf", text, c, e);
}

/* Load text that must be accepted; the caller frees c with ti_conf_fini(). */
static void
load_ok(const char *text, struct rdd_conf *c)
{
	struct ti_conf_error e = { .line = 0 };
	int r = load(text, c, &e);

	ck_assert_msg(r == 0, "'%s' rejected (%s): %s", text, ti_strerror(r), fmt_err(&e));
}

/* Load text that must be rejected with ret and exactly msg. */
static void
load_fail(const char *text, int ret, const char *msg)
{
	struct ti_conf_error e = { .line = 0 };
	struct rdd_conf c;
	int r = load(text, &c, &e);

	ck_assert_msg(r == ret, "'%s': got %d (%s: %s), want %d", text, r, ti_strerror(r),
		      fmt_err(&e), ret);
	ck_assert_str_eq(fmt_err(&e), msg);
	ck_assert_str_eq(e.file, "rdd.conf");
	ti_conf_fini(&rdd_conf_schema, &c);
}

static void
assert_defaults(const struct rdd_conf *c)
{
	ck_assert_int_eq(c->common.log_level, LOG_INFO);
	ck_assert_int_eq(c->common.log_target, 0); /* stderr */
	ck_assert_ptr_null(c->common.user);
	ck_assert_uint_eq(c->listen.n, 2);
	ck_assert_str_eq(c->listen.v[0], "coap://0.0.0.0:5683");
	ck_assert_str_eq(c->listen.v[1], "coap://[::]:5683");
	ck_assert_str_eq(c->database, RDD_DEFAULT_DATABASE);
	/* The units' StateDirectory=, whatever --localstatedir says. */
	ck_assert_str_eq(c->database, "/var/lib/thinice/rdd.db");
	ck_assert_int_eq(c->synchronous, TI_STORE_SYNC_FULL);
	ck_assert_int_eq(c->group_commit, 1);
	ck_assert_uint_eq(c->lifetime_min, 60);
	ck_assert_uint_eq(c->lifetime_max, 4294967295u);
	ck_assert_uint_eq(c->lifetime_default, 90000);
	ck_assert_uint_eq(c->max_registrations, 1000000);
	ck_assert_uint_eq(c->max_links_per_registration, 128);
	ck_assert_uint_eq(c->max_payload, 16384);
	ck_assert_uint_eq(c->max_lookup_results, 1000);
	ck_assert_uint_eq(c->max_observers, 100000);
	ck_assert_uint_eq(c->max_observers_per_peer, 1000);
	ck_assert_uint_eq(c->max_idle_sessions, 100);
	ck_assert_uint_eq(c->session_timeout, 60);
}

/* Print conf into a string; caller frees. */
static char *
print_conf(const struct rdd_conf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	ti_conf_print(&rdd_conf_schema, c, f);
	ck_assert_int_eq(fclose(f), 0);
	return text;
}

/*
 * Defaults
 */

START_TEST(test_defaults)
{
	struct rdd_conf c;

	load_ok("", &c);
	assert_defaults(&c);
	ti_conf_fini(&rdd_conf_schema, &c);
	/* Comments and blank lines only: still the defaults. */
	load_ok("# rdd\n\n   # nothing set\n", &c);
	assert_defaults(&c);
	ti_conf_fini(&rdd_conf_schema, &c);
}
END_TEST

/* The defaults match the macros rdd documents them by. */
START_TEST(test_default_macros)
{
	struct rdd_conf c;
	char *copy = strdup(RDD_DEFAULT_LISTEN), *save = NULL;
	size_t i = 0;

	ck_assert_int_eq(RDD_DEFAULT_PORT, 5683);
	load_ok("", &c);
	for (char *t = strtok_r(copy, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		ck_assert_uint_lt(i, c.listen.n);
		ck_assert_str_eq(c.listen.v[i++], t);
	}
	ck_assert_uint_eq(i, c.listen.n);
	free(copy);
	ti_conf_fini(&rdd_conf_schema, &c);
}
END_TEST

/* What ti_conf_print() writes for the defaults loads back to the same conf. */
START_TEST(test_print_roundtrip)
{
	struct rdd_conf c, d;
	char *text, *again;

	load_ok("", &c);
	text = print_conf(&c);
	ck_assert_ptr_nonnull(strstr(text, "synchronous full\n"));
	ck_assert_ptr_nonnull(strstr(text, "group-commit yes\n"));
	ck_assert_ptr_nonnull(strstr(text, "lifetime-min 1m\n"));
	ck_assert_ptr_nonnull(strstr(text, "lifetime-max 4294967295s\n"));
	ck_assert_ptr_nonnull(strstr(text, "lifetime-default 25h\n"));
	ck_assert_ptr_nonnull(
	    strstr(text, "listen coap://0.0.0.0:5683\nlisten coap://[::]:5683\n"));
	load_ok(text, &d);
	assert_defaults(&d);
	again = print_conf(&d);
	ck_assert_str_eq(again, text);
	free(text);
	free(again);
	ti_conf_fini(&rdd_conf_schema, &c);
	ti_conf_fini(&rdd_conf_schema, &d);
}
END_TEST

/*
 * The shipped conf/rdd.conf: loads as it is, and every commented-out
 * directive shows its default (uncommenting them all changes nothing).
 */

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	char buf[4096];
	size_t n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_ptr_nonnull(m);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, m), n);
	fclose(f);
	ck_assert_int_eq(fclose(m), 0);
	return text;
}

START_TEST(test_shipped_conf)
{
	struct ti_conf_error e = { .line = 0 };
	struct rdd_conf c = { .database = NULL }, d;
	struct ti_strbuf sb = TI_STRBUF_INIT(1 << 20);
	char *text = read_file(RDD_CONF_PATH), *save = NULL;
	size_t uncommented = 0;
	int r;

	r = ti_conf_load(&rdd_conf_schema, RDD_CONF_PATH, &c, &e);
	ck_assert_msg(r == 0, "%s", fmt_err(&e));
	assert_defaults(&c);
	ti_conf_fini(&rdd_conf_schema, &c);
	/* Uncomment "#name value" lines of schema directives ("#include" stays). */
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *out = line;

		for (size_t i = 0; line[0] == '#' && i < rdd_conf_schema.n_items; i++) {
			const char *name = rdd_conf_schema.items[i].name;
			size_t len = strlen(name);

			if (strncmp(line + 1, name, len) == 0 && line[1 + len] == ' ') {
				out = line + 1;
				uncommented++;
				break;
			}
		}
		ck_assert_int_eq(ti_strbuf_printf(&sb, "%s\n", out), 0);
	}
	/* Every directive but user, which has no default; listen twice. */
	ck_assert_uint_eq(uncommented, rdd_conf_schema.n_items);
	load_ok(ti_strbuf_str(&sb), &d);
	assert_defaults(&d);
	ti_conf_fini(&rdd_conf_schema, &d);
	ti_strbuf_fini(&sb);
	free(text);
}
END_TEST

/*
 * Every directive
 */

static const char every_text[] = "# every directive, none at its default\n"
				 "listen coap://127.0.0.1:15683\n"
				 "listen coap://[::1]\n"
				 "log-level debug\n"
				 "log-target syslog\n"
				 "user thinice\n"
				 "database \"/tmp/rd dir/rdd.db\"\n"
				 "synchronous normal\n"
				 "group-commit no\n"
				 "lifetime-min 30s\n"
				 "lifetime-max 2d\n"
				 "lifetime-default 1h\n"
				 "max-registrations 5000\n"
				 "max-links-per-registration 16\n"
				 "max-payload 2048\n"
				 "max-lookup-results 50\n"
				 "max-observers 200\n"
				 "max-observers-per-peer 20\n"
				 "max-idle-sessions 7\n"
				 "session-timeout 5m\n";

START_TEST(test_every_directive)
{
	struct rdd_conf c;

	load_ok(every_text, &c);
	ck_assert_uint_eq(c.listen.n, 2);
	ck_assert_str_eq(c.listen.v[0], "coap://127.0.0.1:15683");
	ck_assert_str_eq(c.listen.v[1], "coap://[::1]");
	ck_assert_int_eq(c.common.log_level, LOG_DEBUG);
	ck_assert_int_eq(c.common.log_target, 1);
	ck_assert_str_eq(c.common.user, "thinice");
	ck_assert_str_eq(c.database, "/tmp/rd dir/rdd.db");
	ck_assert_int_eq(c.synchronous, TI_STORE_SYNC_NORMAL);
	ck_assert_int_eq(c.group_commit, 0);
	ck_assert_uint_eq(c.lifetime_min, 30);
	ck_assert_uint_eq(c.lifetime_max, 2 * 86400);
	ck_assert_uint_eq(c.lifetime_default, 3600);
	ck_assert_uint_eq(c.max_registrations, 5000);
	ck_assert_uint_eq(c.max_links_per_registration, 16);
	ck_assert_uint_eq(c.max_payload, 2048);
	ck_assert_uint_eq(c.max_lookup_results, 50);
	ck_assert_uint_eq(c.max_observers, 200);
	ck_assert_uint_eq(c.max_observers_per_peer, 20);
	ck_assert_uint_eq(c.max_idle_sessions, 7);
	ck_assert_uint_eq(c.session_timeout, 300);
	ti_conf_fini(&rdd_conf_schema, &c);
}
END_TEST

/* Printing a non-default conf and loading it back keeps every value. */
START_TEST(test_every_directive_roundtrip)
{
	struct rdd_conf c, d;
	char *text, *again;

	load_ok(every_text, &c);
	text = print_conf(&c);
	load_ok(text, &d);
	again = print_conf(&d);
	ck_assert_str_eq(again, text);
	ck_assert_str_eq(d.database, "/tmp/rd dir/rdd.db");
	ck_assert_uint_eq(d.lifetime_max, 2 * 86400);
	ck_assert_int_eq(d.group_commit, 0);
	free(text);
	free(again);
	ti_conf_fini(&rdd_conf_schema, &c);
	ti_conf_fini(&rdd_conf_schema, &d);
}
END_TEST

static const struct {
	const char *text;
	int want;
} sync_cases[] = {
	{ "synchronous off\n", TI_STORE_SYNC_OFF },
	{ "synchronous normal\n", TI_STORE_SYNC_NORMAL },
	{ "synchronous full\n", TI_STORE_SYNC_FULL },
	{ "synchronous extra\n", TI_STORE_SYNC_EXTRA },
};

START_TEST(test_synchronous)
{
	struct rdd_conf c;

	load_ok(sync_cases[_i].text, &c);
	ck_assert_int_eq(c.synchronous, sync_cases[_i].want);
	ti_conf_fini(&rdd_conf_schema, &c);
}
END_TEST

static const struct {
	const char *text;
	int want;
} bool_cases[] = {
	{ "group-commit yes\n", 1 },	{ "group-commit on\n", 1 },  { "group-commit true\n", 1 },
	{ "group-commit no\n", 0 },	{ "group-commit off\n", 0 }, { "group-commit false\n", 0 },
	{ "group-commit \"no\"\n", 0 },
};

START_TEST(test_group_commit)
{
	struct rdd_conf c;

	load_ok(bool_cases[_i].text, &c);
	ck_assert_int_eq(c.group_commit, bool_cases[_i].want);
	ti_conf_fini(&rdd_conf_schema, &c);
}
END_TEST

/* Values at both ends of every range are accepted. */
static const struct {
	const char *text;
	size_t offset;
	int u64; /* 1: uint64_t field, 0: uint32_t */
	uint64_t want;
} bound_cases[] = {
#define F(field) offsetof(struct rdd_conf, field)
	{ "lifetime-min 1\nlifetime-default 1\nlifetime-max 1\n", F(lifetime_min), 1, 1 },
	{ "lifetime-min 1s\n", F(lifetime_min), 1, 1 },
	{ "lifetime-min 4294967295\n"
	  "lifetime-default 4294967295\n",
	  F(lifetime_min), 1, 4294967295u },
	{ "lifetime-max 4294967295s\n", F(lifetime_max), 1, 4294967295u },
	{ "lifetime-max 49710d\n", F(lifetime_max), 1, 49710ull * 86400 },
	{ "lifetime-default 60\n", F(lifetime_default), 1, 60 },
	{ "lifetime-default 4294967295\n", F(lifetime_default), 1, 4294967295u },
	{ "lifetime-default 1500m\n", F(lifetime_default), 1, 90000 },
	{ "max-registrations 1\n", F(max_registrations), 0, 1 },
	{ "max-registrations 100000000\n", F(max_registrations), 0, 100000000 },
	{ "max-links-per-registration 1\n", F(max_links_per_registration), 0, 1 },
	{ "max-links-per-registration 100000\n", F(max_links_per_registration), 0, 100000 },
	{ "max-payload 64\n", F(max_payload), 0, 64 },
	{ "max-payload 1048576\n", F(max_payload), 0, 1048576 },
	{ "max-lookup-results 1\n", F(max_lookup_results), 0, 1 },
	{ "max-lookup-results 1000000\n", F(max_lookup_results), 0, 1000000 },
	{ "max-observers 0\nmax-observers-per-peer 0\n", F(max_observers), 0, 0 },
	{ "max-observers 10000000\n", F(max_observers), 0, 10000000 },
	{ "max-observers-per-peer 0\n", F(max_observers_per_peer), 0, 0 },
	{ "max-observers 10000000\nmax-observers-per-peer 10000000\n", F(max_observers_per_peer),
	  0, 10000000 },
	{ "max-idle-sessions 0\n", F(max_idle_sessions), 0, 0 },
	{ "max-idle-sessions 1000000\n", F(max_idle_sessions), 0, 1000000 },
	{ "session-timeout 1\n", F(session_timeout), 1, 1 },
	{ "session-timeout 1d\n", F(session_timeout), 1, 86400 },
	{ "session-timeout 86400s\n", F(session_timeout), 1, 86400 },
#undef F
};

START_TEST(test_bounds)
{
	struct rdd_conf c;
	const char *field;
	uint64_t got;

	load_ok(bound_cases[_i].text, &c);
	field = (const char *)&c + bound_cases[_i].offset;
	if (bound_cases[_i].u64)
		memcpy(&got, field, sizeof(got));
	else
		got = *(const uint32_t *)(const void *)field;
	ck_assert_msg(got == bound_cases[_i].want, "'%s': got %llu, want %llu",
		      bound_cases[_i].text, (unsigned long long)got,
		      (unsigned long long)bound_cases[_i].want);
	ti_conf_fini(&rdd_conf_schema, &c);
}
END_TEST

/*
 * Errors: each one names the line of the offending directive.
 */

#define DUR(lo, hi) "expected a duration from " lo " to " hi " (a number with unit s, m, h or d)"

static const struct {
	const char *text;
	int ret;
	const char *msg;
} errors[] = {
	/* Ranges. */
	{ "lifetime-min 0\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '0' for 'lifetime-min': " DUR("1s", "4294967295s") },
	{ "# c\n\nlifetime-min 0s\n", TI_ERANGE,
	  "rdd.conf:3: invalid value '0s' for 'lifetime-min': " DUR("1s", "4294967295s") },
	{ "lifetime-max 4294967296\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '4294967296' for 'lifetime-max': " DUR("1s", "4294967295s") },
	{ "lifetime-max 49711d\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '49711d' for 'lifetime-max': " DUR("1s", "4294967295s") },
	{ "lifetime-default 0\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '0' for 'lifetime-default': " DUR("1s", "4294967295s") },
	{ "lifetime-default -1\n", TI_EPARSE,
	  "rdd.conf:1: invalid value '-1' for 'lifetime-default': " DUR("1s", "4294967295s") },
	{ "lifetime-min 1w\n", TI_EPARSE,
	  "rdd.conf:1: invalid value '1w' for 'lifetime-min': " DUR("1s", "4294967295s") },
	{ "max-registrations 0\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '0' for 'max-registrations': expected a number from 1 to "
	  "100000000" },
	{ "max-registrations 100000001\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '100000001' for 'max-registrations': expected a number from "
	  "1 to 100000000" },
	{ "max-links-per-registration 0\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '0' for 'max-links-per-registration': expected a number from "
	  "1 to 100000" },
	{ "max-links-per-registration 100001\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '100001' for 'max-links-per-registration': expected a number "
	  "from 1 to 100000" },
	{ "max-payload 10\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '10' for 'max-payload': expected a number from 64 to "
	  "1048576" },
	{ "log-level info\nmax-payload 63\n", TI_ERANGE,
	  "rdd.conf:2: invalid value '63' for 'max-payload': expected a number from 64 to "
	  "1048576" },
	{ "max-payload 1048577\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '1048577' for 'max-payload': expected a number from 64 to "
	  "1048576" },
	{ "max-payload 16k\n", TI_EPARSE,
	  "rdd.conf:1: invalid value '16k' for 'max-payload': expected a number from 64 to "
	  "1048576" },
	{ "max-lookup-results 0\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '0' for 'max-lookup-results': expected a number from 1 to "
	  "1000000" },
	{ "max-lookup-results 1000001\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '1000001' for 'max-lookup-results': expected a number from 1 "
	  "to 1000000" },
	{ "max-observers 10000001\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '10000001' for 'max-observers': expected a number from 0 to "
	  "10000000" },
	{ "max-observers-per-peer 10000001\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '10000001' for 'max-observers-per-peer': expected a number "
	  "from 0 to 10000000" },
	{ "max-idle-sessions 1000001\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '1000001' for 'max-idle-sessions': expected a number from 0 "
	  "to 1000000" },
	{ "session-timeout 0\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '0' for 'session-timeout': " DUR("1s", "1d") },
	{ "session-timeout 86401\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '86401' for 'session-timeout': " DUR("1s", "1d") },
	{ "session-timeout 2d\n", TI_ERANGE,
	  "rdd.conf:1: invalid value '2d' for 'session-timeout': " DUR("1s", "1d") },
	/* Other values. */
	{ "synchronous fast\n", TI_EPARSE,
	  "rdd.conf:1: invalid value 'fast' for 'synchronous': expected one of off, normal, full, "
	  "extra" },
	{ "synchronous FULL\n", TI_EPARSE,
	  "rdd.conf:1: invalid value 'FULL' for 'synchronous': expected one of off, normal, full, "
	  "extra" },
	{ "group-commit maybe\n", TI_EPARSE,
	  "rdd.conf:1: invalid value 'maybe' for 'group-commit': expected yes or no" },
	{ "database \"\"\n", TI_EPARSE,
	  "rdd.conf:1: invalid value '' for 'database': expected a file name" },
	{ "log-target journal\n", TI_EPARSE,
	  "rdd.conf:1: invalid value 'journal' for 'log-target': expected one of stderr, syslog" },
	{ "database /a\ndatabase /b\n", TI_EDUP,
	  "rdd.conf:2: 'database' given twice (first at rdd.conf:1)" },
	{ "lifetime-min 1m\nlifetime-max 1h\nlifetime-min 2m\n", TI_EDUP,
	  "rdd.conf:3: 'lifetime-min' given twice (first at rdd.conf:1)" },
	{ "max-payload\n", TI_EMISSING, "rdd.conf:1: missing value for 'max-payload'" },
	{ "lifetime 60\n", TI_EUNKNOWN, "rdd.conf:1: unknown directive 'lifetime'" },
	{ "registration-lifetime-max 60\n", TI_EUNKNOWN,
	  "rdd.conf:1: unknown directive 'registration-lifetime-max'" },
	{ "database /a b\n", TI_EPARSE,
	  "rdd.conf:1: 'database' takes one value (quote values that contain spaces)" },
	/* Listen URIs. */
	{ "listen coap://0.0.0.0\nlisten coaps://0.0.0.0:5684\n", TI_EPARSE,
	  "rdd.conf:2: invalid value 'coaps://0.0.0.0:5684' for 'listen': coaps:// is not "
	  "supported yet (no DTLS/TLS credentials)" },
	{ "listen coaps+tcp://[::]\n", TI_EPARSE,
	  "rdd.conf:1: invalid value 'coaps+tcp://[::]' for 'listen': coaps+tcp:// is not "
	  "supported yet (no DTLS/TLS credentials)" },
	{ "# rd\nlisten coap://0.0.0.0:5683/rd\n", TI_EPARSE,
	  "rdd.conf:2: invalid value 'coap://0.0.0.0:5683/rd' for 'listen': a listen URI has no "
	  "path" },
	{ "listen coap://[::]/.well-known/core\n", TI_EPARSE,
	  "rdd.conf:1: invalid value 'coap://[::]/.well-known/core' for 'listen': a listen URI "
	  "has no path" },
	{ "listen coap://0.0.0.0?x=1\n", TI_EPARSE,
	  "rdd.conf:1: invalid value 'coap://0.0.0.0?x=1' for 'listen': a listen URI has no "
	  "query" },
	{ "listen http://0.0.0.0\n", TI_EPARSE,
	  "rdd.conf:1: invalid value 'http://0.0.0.0' for 'listen': not a CoAP URI (coap://, "
	  "coap+tcp://)" },
	{ "listen 0.0.0.0:5683\n", TI_EPARSE,
	  "rdd.conf:1: invalid value '0.0.0.0:5683' for 'listen': expected a URI like "
	  "coap://0.0.0.0:5683 or coap://[::]:5683" },
	{ "listen coap://0.0.0.0:99999\n", TI_EPARSE,
	  "rdd.conf:1: invalid value 'coap://0.0.0.0:99999' for 'listen': expected a URI like "
	  "coap://0.0.0.0:5683 or coap://[::]:5683" },
	{ "listen coap://[::1\n", TI_EPARSE,
	  "rdd.conf:1: invalid value 'coap://[::1' for 'listen': expected a URI like "
	  "coap://0.0.0.0:5683 or coap://[::]:5683" },
	/* Whole-config rules: no line, the file only. */
	{ "lifetime-min 2h\nlifetime-max 1h\nlifetime-default 1h\n", TI_EPARSE,
	  "rdd.conf: 'lifetime-min' is above 'lifetime-max'" },
	{ "lifetime-min 3601\nlifetime-max 3600\n", TI_EPARSE,
	  "rdd.conf: 'lifetime-min' is above 'lifetime-max'" },
	{ "lifetime-default 30s\n", TI_EPARSE,
	  "rdd.conf: 'lifetime-default' is outside 'lifetime-min'..'lifetime-max'" },
	{ "lifetime-min 2d\n", TI_EPARSE,
	  "rdd.conf: 'lifetime-default' is outside 'lifetime-min'..'lifetime-max'" },
	{ "lifetime-max 1h\n", TI_EPARSE,
	  "rdd.conf: 'lifetime-default' is outside 'lifetime-min'..'lifetime-max'" },
	{ "lifetime-max 1h\nlifetime-default 3601\n", TI_EPARSE,
	  "rdd.conf: 'lifetime-default' is outside 'lifetime-min'..'lifetime-max'" },
	{ "lifetime-min 10m\nlifetime-default 599\n", TI_EPARSE,
	  "rdd.conf: 'lifetime-default' is outside 'lifetime-min'..'lifetime-max'" },
	{ "max-observers 10\n", TI_EPARSE,
	  "rdd.conf: 'max-observers-per-peer' is above 'max-observers'" },
	{ "max-observers 100\nmax-observers-per-peer 101\n", TI_EPARSE,
	  "rdd.conf: 'max-observers-per-peer' is above 'max-observers'" },
	{ "max-observers 0\n", TI_EPARSE,
	  "rdd.conf: 'max-observers-per-peer' is above 'max-observers'" },
	/* A parse error wins over a validation error later in the file. */
	{ "lifetime-min 2h\nlifetime-max 1h\nmax-payload 1\n", TI_ERANGE,
	  "rdd.conf:3: invalid value '1' for 'max-payload': expected a number from 64 to "
	  "1048576" },
};

START_TEST(test_errors)
{
	load_fail(errors[_i].text, errors[_i].ret, errors[_i].msg);
}
END_TEST

/* The line number is the line of the directive, also after includes and long comments. */
START_TEST(test_error_line)
{
	struct ti_conf_error e = { .line = 0 };
	struct rdd_conf c;
	char text[4096] = "";
	size_t off = 0;

	for (int i = 0; i < 40; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "# comment %d\n", i);
	snprintf(text + off, sizeof(text) - off, "max-payload 2048\n\nmax-payload-x 1\n");
	ck_assert_int_eq(load(text, &c, &e), TI_EUNKNOWN);
	ck_assert_uint_eq(e.line, 43);
	ti_conf_fini(&rdd_conf_schema, &c);
	snprintf(text + off, sizeof(text) - off, "max-payload 2048\nlifetime-min 0\n");
	ck_assert_int_eq(load(text, &c, &e), TI_ERANGE);
	ck_assert_uint_eq(e.line, 42);
	ck_assert_str_eq(e.file, "rdd.conf");
	ti_conf_fini(&rdd_conf_schema, &c);
}
END_TEST

/* Validation sees values together: a consistent window is accepted. */
START_TEST(test_validate_ok)
{
	struct rdd_conf c;

	load_ok("lifetime-min 1h\nlifetime-max 1h\nlifetime-default 1h\n", &c);
	ck_assert_uint_eq(c.lifetime_min, 3600);
	ck_assert_uint_eq(c.lifetime_max, 3600);
	ck_assert_uint_eq(c.lifetime_default, 3600);
	ti_conf_fini(&rdd_conf_schema, &c);
	/* lifetime-max below the 25 h default is fine with a default inside. */
	load_ok("lifetime-max 1d\nlifetime-default 12h\n", &c);
	ck_assert_uint_eq(c.lifetime_max, 86400);
	ti_conf_fini(&rdd_conf_schema, &c);
	load_ok("lifetime-min 25h\n", &c); /* == lifetime-default */
	ck_assert_uint_eq(c.lifetime_min, 90000);
	ti_conf_fini(&rdd_conf_schema, &c);
	load_ok("max-observers 1000\n", &c); /* == max-observers-per-peer */
	ck_assert_uint_eq(c.max_observers, 1000);
	ti_conf_fini(&rdd_conf_schema, &c);
	load_ok("max-observers 0\nmax-observers-per-peer 0\n", &c);
	ti_conf_fini(&rdd_conf_schema, &c);
}
END_TEST

/* Listen URIs rdd accepts; a given listen replaces the whole default list. */
START_TEST(test_listen_ok)
{
	struct rdd_conf c;

	load_ok("listen coap://127.0.0.1\n", &c);
	ck_assert_uint_eq(c.listen.n, 1);
	ck_assert_str_eq(c.listen.v[0], "coap://127.0.0.1");
	ti_conf_fini(&rdd_conf_schema, &c);
	load_ok("listen coap://[::1]:5683/\nlisten coap://192.0.2.1:40000\nlisten "
		"coap://[::1]:5683/\n",
		&c);
	ck_assert_uint_eq(c.listen.n, 3);
	ck_assert_str_eq(c.listen.v[0], "coap://[::1]:5683/");
	ck_assert_str_eq(c.listen.v[1], "coap://192.0.2.1:40000");
	ck_assert_str_eq(c.listen.v[2], "coap://[::1]:5683/");
	ti_conf_fini(&rdd_conf_schema, &c);
	load_ok("listen coap://localhost:5683\n", &c);
	ck_assert_str_eq(c.listen.v[0], "coap://localhost:5683");
	ti_conf_fini(&rdd_conf_schema, &c);
}
END_TEST

/* coap+tcp:// follows what the linked libcoap supports. */
START_TEST(test_listen_tcp)
{
	struct ti_conf_error e = { .line = 0 };
	struct rdd_conf c;
	int r = load("listen coap+tcp://0.0.0.0\n", &c, &e);

	if (coap_tcp_is_supported()) {
		ck_assert_msg(r == 0, "%s", fmt_err(&e));
		ck_assert_str_eq(c.listen.v[0], "coap+tcp://0.0.0.0");
	} else {
		ck_assert_int_eq(r, TI_EPARSE);
		ck_assert_str_eq(fmt_err(&e), "rdd.conf:1: invalid value 'coap+tcp://0.0.0.0' for "
					      "'listen': this libcoap has no TCP support");
	}
	ti_conf_fini(&rdd_conf_schema, &c);
}
END_TEST

/*
 * Policy
 */

START_TEST(test_policy_defaults)
{
	const struct rdd_policy def = RDD_POLICY_DEFAULT;
	struct rdd_policy pol;
	struct rdd_conf c;

	load_ok("", &c);
	memset(&pol, 0xa5, sizeof(pol)); /* every field is written */
	rdd_conf_policy(&c, &pol);
	ck_assert_uint_eq(pol.lifetime_min, 60);
	ck_assert_uint_eq(pol.lifetime_max, UINT32_MAX);
	ck_assert_uint_eq(pol.lifetime_default, 90000);
	ck_assert_uint_eq(pol.max_payload, 16384);
	ck_assert_uint_eq(pol.max_links, 128);
	ck_assert_uint_eq(pol.max_count, 1000);
	/* Not configurable: as RDD_POLICY_DEFAULT. */
	ck_assert_uint_eq(pol.max_attrs, def.max_attrs);
	ck_assert_ptr_null(pol.default_ep);
	ck_assert_ptr_null(pol.default_d);
	/* The RFC 9176 defaults agree with the configuration's. */
	ck_assert_uint_eq(pol.lifetime_min, def.lifetime_min);
	ck_assert_uint_eq(pol.lifetime_max, def.lifetime_max);
	ck_assert_uint_eq(pol.lifetime_default, def.lifetime_default);
	ck_assert_uint_eq(pol.max_count, def.max_count);
	ti_conf_fini(&rdd_conf_schema, &c);
}
END_TEST

START_TEST(test_policy_values)
{
	const struct rdd_policy def = RDD_POLICY_DEFAULT;
	struct rdd_policy pol;
	struct rdd_conf c;

	load_ok(every_text, &c);
	memset(&pol, 0x5a, sizeof(pol));
	rdd_conf_policy(&c, &pol);
	ck_assert_uint_eq(pol.lifetime_min, 30);
	ck_assert_uint_eq(pol.lifetime_max, 2 * 86400);
	ck_assert_uint_eq(pol.lifetime_default, 3600);
	ck_assert_uint_eq(pol.max_payload, 2048);
	ck_assert_uint_eq(pol.max_links, 16);
	ck_assert_uint_eq(pol.max_count, 50);
	ck_assert_uint_eq(pol.max_attrs, def.max_attrs);
	ck_assert_ptr_null(pol.default_ep);
	ck_assert_ptr_null(pol.default_d);
	ti_conf_fini(&rdd_conf_schema, &c);
	/* The extremes fit the policy's fields without truncation. */
	load_ok("lifetime-min 4294967295\nlifetime-default 4294967295s\nmax-payload 1048576\n"
		"max-links-per-registration 100000\nmax-lookup-results 1000000\n",
		&c);
	rdd_conf_policy(&c, &pol);
	ck_assert_uint_eq(pol.lifetime_min, UINT32_MAX);
	ck_assert_uint_eq(pol.lifetime_max, UINT32_MAX);
	ck_assert_uint_eq(pol.lifetime_default, UINT32_MAX);
	ck_assert_uint_eq(pol.max_payload, 1048576);
	ck_assert_uint_eq(pol.max_links, 100000);
	ck_assert_uint_eq(pol.max_count, 1000000);
	ti_conf_fini(&rdd_conf_schema, &c);
	load_ok("lifetime-min 1\nlifetime-max 1\nlifetime-default 1\n", &c);
	rdd_conf_policy(&c, &pol);
	ck_assert_uint_eq(pol.lifetime_min, 1);
	ck_assert_uint_eq(pol.lifetime_max, 1);
	ck_assert_uint_eq(pol.lifetime_default, 1);
	ti_conf_fini(&rdd_conf_schema, &c);
}
END_TEST

/* The schema itself: every item has a default that passes it (a failed default is a bug). */
START_TEST(test_schema_items)
{
	static const char *const names[] = {
		"listen",
		"log-level",
		"log-target",
		"user",
		"database",
		"synchronous",
		"group-commit",
		"lifetime-min",
		"lifetime-max",
		"lifetime-default",
		"max-registrations",
		"max-links-per-registration",
		"max-payload",
		"max-lookup-results",
		"max-observers",
		"max-observers-per-peer",
		"max-idle-sessions",
		"session-timeout",
	};

	ck_assert_uint_eq(rdd_conf_schema.n_items, TI_ARRAY_SIZE(names));
	ck_assert_ptr_nonnull(rdd_conf_schema.validate);
	for (size_t i = 0; i < TI_ARRAY_SIZE(names); i++) {
		ck_assert_str_eq(rdd_conf_schema.items[i].name, names[i]);
		if (strcmp(names[i], "user") != 0)
			ck_assert_msg(rdd_conf_schema.items[i].def != NULL, "%s has no default",
				      names[i]);
	}
	/* common must stay the first member: ti_daemon reads it through a cast. */
	ck_assert_uint_eq(offsetof(struct rdd_conf, common), 0);
}
END_TEST

Suite *
rdd_conf_suite(void)
{
	Suite *s = suite_create("rdd_conf");
	TCase *tc;

	tc = tcase_create("defaults");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_default_macros);
	tcase_add_test(tc, test_print_roundtrip);
	tcase_add_test(tc, test_schema_items);
	tcase_add_test(tc, test_shipped_conf);
	suite_add_tcase(s, tc);

	tc = tcase_create("directives");
	tcase_add_test(tc, test_every_directive);
	tcase_add_test(tc, test_every_directive_roundtrip);
	tcase_add_loop_test(tc, test_synchronous, 0, (int)TI_ARRAY_SIZE(sync_cases));
	tcase_add_loop_test(tc, test_group_commit, 0, (int)TI_ARRAY_SIZE(bool_cases));
	tcase_add_loop_test(tc, test_bounds, 0, (int)TI_ARRAY_SIZE(bound_cases));
	tcase_add_test(tc, test_listen_ok);
	tcase_add_test(tc, test_listen_tcp);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_errors, 0, (int)TI_ARRAY_SIZE(errors));
	tcase_add_test(tc, test_error_line);
	tcase_add_test(tc, test_validate_ok);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_test(tc, test_policy_defaults);
	tcase_add_test(tc, test_policy_values);
	suite_add_tcase(s, tc);
	return s;
}
