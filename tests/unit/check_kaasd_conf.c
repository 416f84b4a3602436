/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for kaasd_conf: defaults, every directive, ranges, errors, cross checks, endpoint. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <check.h>

#include "ti_conf.h"
#include "ti_err.h"
#include "ti_store.h"
#include "ti_util.h"
#include "kaasd_conf.h"
#include "check_main.h"

static const char *
fmt_err(const struct ti_conf_error *e)
{
	static char buf[1024];

	ti_conf_error_format(e, buf, sizeof(buf));
	return buf;
}

static int
load(const char *text, struct kaasd_conf *c, struct ti_conf_error *e)
{
	*c = (struct kaasd_conf){ .database = NULL };
	return ti_conf_load_string(&kaasd_conf_schema, "kaasd.conf", text, c, e);
}

/* Load text that must be accepted; the caller frees c with ti_conf_fini(). */
static void
load_ok(const char *text, struct kaasd_conf *c)
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
	struct kaasd_conf c;
	int r = load(text, &c, &e);

	ck_assert_msg(r == ret, "'%s': got %d (%s: %s), want %d", text, r, ti_strerror(r),
		      fmt_err(&e), ret);
	ck_assert_str_eq(fmt_err(&e), msg);
	ck_assert_str_eq(e.file, "kaasd.conf");
	ti_conf_fini(&kaasd_conf_schema, &c);
}

static void
assert_defaults(const struct kaasd_conf *c)
{
	ck_assert_int_eq(c->common.log_level, LOG_INFO);
	ck_assert_int_eq(c->common.log_target, 0); /* stderr */
	ck_assert_ptr_null(c->common.user);
	ck_assert_uint_eq(c->listen.n, 2);
	ck_assert_str_eq(c->listen.v[0], "coap://0.0.0.0:5883");
	ck_assert_str_eq(c->listen.v[1], "coap://[::]:5883");
	/* The units' StateDirectory=, whatever --localstatedir says. */
	ck_assert_str_eq(c->database, "/var/lib/thinice/kaasd.db");
	ck_assert_int_eq(c->synchronous, TI_STORE_SYNC_FULL);
	ck_assert_uint_eq(c->interval, 25);
	ck_assert_uint_eq(c->interval_min, 15);
	ck_assert_uint_eq(c->interval_max, 3600);
	ck_assert_uint_eq(c->lifetime_min, 60);
	ck_assert_uint_eq(c->lifetime_max, 30 * 86400);
	ck_assert_uint_eq(c->lifetime_default, 86400);
	ck_assert_uint_eq(c->max_subscriptions, 1000000);
	ck_assert_uint_eq(c->max_per_address, 16);
	ck_assert_uint_eq(c->max_per_prefix, 256);
	ck_assert_uint_eq(c->max_pps, 100000);
	ck_assert_uint_eq(c->keepalive_ttl, 0); /* auto */
	ck_assert_uint_eq(c->max_ttl, 32);
	ck_assert_int_eq(c->relay, 1);
	ck_assert_uint_eq(c->relay_timeout, 10);
	ck_assert_int_eq(c->allow_loopback, 0);
	ck_assert_ptr_null(c->rd);
	ck_assert_ptr_null(c->rd_endpoint);
	ck_assert_uint_eq(c->rd_lifetime, 3600);
	ck_assert_ptr_null(c->rd_base);
}

/* Print conf into a string; caller frees. */
static char *
print_conf(const struct kaasd_conf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	ti_conf_print(&kaasd_conf_schema, c, f);
	ck_assert_int_eq(fclose(f), 0);
	return text;
}

/*
 * Defaults
 */

START_TEST(test_defaults)
{
	struct kaasd_conf c;

	load_ok("", &c);
	assert_defaults(&c);
	ti_conf_fini(&kaasd_conf_schema, &c);
	load_ok("# kaasd\n\n   # nothing set\n\t\n", &c);
	assert_defaults(&c);
	ti_conf_fini(&kaasd_conf_schema, &c);
}
END_TEST

/* The defaults match the macros the daemon uses for them. */
START_TEST(test_default_macros)
{
	struct kaasd_conf c;
	char *copy = strdup(KAASD_DEFAULT_LISTEN), *save = NULL;
	size_t i = 0;

	ck_assert_int_eq(KAASD_DEFAULT_PORT, 5883);
	ck_assert_str_eq(KAASD_DEFAULT_DATABASE, "/var/lib/thinice/kaasd.db");
	load_ok("", &c);
	for (char *t = strtok_r(copy, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		ck_assert_uint_lt(i, c.listen.n);
		ck_assert_str_eq(c.listen.v[i++], t);
	}
	ck_assert_uint_eq(i, c.listen.n);
	ck_assert_str_eq(c.database, KAASD_DEFAULT_DATABASE);
	free(copy);
	ti_conf_fini(&kaasd_conf_schema, &c);
}
END_TEST

/* What ti_conf_print() writes for the defaults loads back to the same conf. */
START_TEST(test_print_roundtrip)
{
	struct kaasd_conf c, d;
	char *text, *again;

	load_ok("", &c);
	text = print_conf(&c);
	ck_assert_ptr_nonnull(
	    strstr(text, "listen coap://0.0.0.0:5883\nlisten coap://[::]:5883\n"));
	ck_assert_ptr_nonnull(strstr(text, "synchronous full\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ninterval 25s\n"));
	ck_assert_ptr_nonnull(strstr(text, "interval-min 15s\n"));
	ck_assert_ptr_nonnull(strstr(text, "interval-max 1h\n"));
	ck_assert_ptr_nonnull(strstr(text, "lifetime-min 1m\n"));
	ck_assert_ptr_nonnull(strstr(text, "lifetime-max 30d\n"));
	ck_assert_ptr_nonnull(strstr(text, "lifetime-default 1d\n"));
	ck_assert_ptr_nonnull(strstr(text, "keepalive-ttl auto\n"));
	ck_assert_ptr_nonnull(strstr(text, "max-ttl 32\n"));
	ck_assert_ptr_nonnull(strstr(text, "relay yes\n"));
	ck_assert_ptr_nonnull(strstr(text, "relay-timeout 10s\n"));
	ck_assert_ptr_nonnull(strstr(text, "allow-loopback no\n"));
	ck_assert_ptr_nonnull(strstr(text, "# rd (not set)\n"));
	ck_assert_ptr_nonnull(strstr(text, "# rd-endpoint (not set)\n"));
	ck_assert_ptr_nonnull(strstr(text, "rd-lifetime 1h\n"));
	ck_assert_ptr_nonnull(strstr(text, "# rd-base (not set)\n"));
	load_ok(text, &d);
	assert_defaults(&d);
	again = print_conf(&d);
	ck_assert_str_eq(again, text);
	free(text);
	free(again);
	ti_conf_fini(&kaasd_conf_schema, &c);
	ti_conf_fini(&kaasd_conf_schema, &d);
}
END_TEST

/* The schema itself: names in order, a default wherever the daemon needs one. */
START_TEST(test_schema_items)
{
	static const char *const names[] = {
		"listen",
		"log-level",
		"log-target",
		"user",
		"database",
		"synchronous",
		"interval",
		"interval-min",
		"interval-max",
		"lifetime-min",
		"lifetime-max",
		"lifetime-default",
		"max-subscriptions",
		"max-per-address",
		"max-per-prefix",
		"max-pps",
		"keepalive-ttl",
		"max-ttl",
		"relay",
		"relay-timeout",
		"allow-loopback",
		"rd",
		"rd-endpoint",
		"rd-lifetime",
		"rd-base",
	};
	/* Unset by default: the daemon reads NULL as "none" or "derive it". */
	static const char *const no_default[] = { "user", "rd", "rd-endpoint", "rd-base" };

	ck_assert_uint_eq(kaasd_conf_schema.n_items, TI_ARRAY_SIZE(names));
	ck_assert_ptr_nonnull(kaasd_conf_schema.validate);
	for (size_t i = 0; i < TI_ARRAY_SIZE(names); i++) {
		int optional = 0;

		ck_assert_str_eq(kaasd_conf_schema.items[i].name, names[i]);
		for (size_t j = 0; j < TI_ARRAY_SIZE(no_default); j++)
			optional |= strcmp(names[i], no_default[j]) == 0;
		if (optional)
			ck_assert_ptr_null(kaasd_conf_schema.items[i].def);
		else
			ck_assert_msg(kaasd_conf_schema.items[i].def != NULL, "%s has no default",
				      names[i]);
	}
	/* common must stay the first member: ti_daemon reads it through a cast. */
	ck_assert_uint_eq(offsetof(struct kaasd_conf, common), 0);
}
END_TEST

/*
 * The shipped conf/kaasd.conf: loads as it is, and every commented-out
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
	struct kaasd_conf c = { .database = NULL }, d;
	char *text = read_file(KAASD_CONF_PATH), *save = NULL, *out = NULL;
	size_t outlen = 0, uncommented = 0, unset = 0;
	FILE *m = open_memstream(&out, &outlen);
	int r;

	ck_assert_ptr_nonnull(m);
	r = ti_conf_load(&kaasd_conf_schema, KAASD_CONF_PATH, &c, &e);
	ck_assert_msg(r == 0, "%s", fmt_err(&e));
	assert_defaults(&c);
	ti_conf_fini(&kaasd_conf_schema, &c);
	/*
	 * Uncomment "#name value" lines of schema directives ("#include"
	 * stays); count the "# name (not set)" ones.
	 */
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *o = line;

		for (size_t i = 0; line[0] == '#' && i < kaasd_conf_schema.n_items; i++) {
			const char *name = kaasd_conf_schema.items[i].name;
			size_t len = strlen(name);

			if (strncmp(line + 1, name, len) == 0 && line[1 + len] == ' ') {
				o = line + 1;
				uncommented++;
				break;
			}
			if (strncmp(line, "# ", 2) == 0 && strncmp(line + 2, name, len) == 0 &&
			    strcmp(line + 2 + len, " (not set)") == 0) {
				ck_assert_ptr_null(kaasd_conf_schema.items[i].def);
				unset++;
				break;
			}
		}
		ck_assert_int_ge(fprintf(m, "%s\n", o), 0);
	}
	ck_assert_int_eq(fclose(m), 0);
	/* Every directive once (listen twice), but user, rd, rd-endpoint, rd-base. */
	ck_assert_uint_eq(unset, 4);
	ck_assert_uint_eq(uncommented, kaasd_conf_schema.n_items - 4 + 1);
	load_ok(out, &d);
	assert_defaults(&d);
	ti_conf_fini(&kaasd_conf_schema, &d);
	free(out);
	free(text);
}
END_TEST

/*
 * Every directive
 */

static const char every_text[] = "# every directive, none at its default\n"
				 "listen coap://127.0.0.1:15883\n"
				 "listen coap://[::1]\n"
				 "log-level debug\n"
				 "log-target syslog\n"
				 "user thinice\n"
				 "database \"/tmp/kaas dir/kaasd.db\"\n"
				 "synchronous normal\n"
				 "interval 2m\n"
				 "interval-min 1s\n"
				 "interval-max 1d\n"
				 "lifetime-min 30s\n"
				 "lifetime-max 7d\n"
				 "lifetime-default 2h\n"
				 "max-subscriptions 5000\n"
				 "max-per-address 4\n"
				 "max-per-prefix 64\n"
				 "max-pps 2500\n"
				 "keepalive-ttl 3\n"
				 "max-ttl 64\n"
				 "relay no\n"
				 "relay-timeout 30s\n"
				 "allow-loopback yes\n"
				 "rd coap://[2001:db8::1]:5683/rd\n"
				 "rd-endpoint kaas-1.example\n"
				 "rd-lifetime 2h\n"
				 "rd-base coap://203.0.113.1:5883\n";

START_TEST(test_every_directive)
{
	struct kaasd_conf c;

	load_ok(every_text, &c);
	ck_assert_uint_eq(c.listen.n, 2);
	ck_assert_str_eq(c.listen.v[0], "coap://127.0.0.1:15883");
	ck_assert_str_eq(c.listen.v[1], "coap://[::1]");
	ck_assert_int_eq(c.common.log_level, LOG_DEBUG);
	ck_assert_int_eq(c.common.log_target, 1);
	ck_assert_str_eq(c.common.user, "thinice");
	ck_assert_str_eq(c.database, "/tmp/kaas dir/kaasd.db");
	ck_assert_int_eq(c.synchronous, TI_STORE_SYNC_NORMAL);
	ck_assert_uint_eq(c.interval, 120);
	ck_assert_uint_eq(c.interval_min, 1);
	ck_assert_uint_eq(c.interval_max, 86400);
	ck_assert_uint_eq(c.lifetime_min, 30);
	ck_assert_uint_eq(c.lifetime_max, 7 * 86400);
	ck_assert_uint_eq(c.lifetime_default, 7200);
	ck_assert_uint_eq(c.max_subscriptions, 5000);
	ck_assert_uint_eq(c.max_per_address, 4);
	ck_assert_uint_eq(c.max_per_prefix, 64);
	ck_assert_uint_eq(c.max_pps, 2500);
	ck_assert_uint_eq(c.keepalive_ttl, 3);
	ck_assert_uint_eq(c.max_ttl, 64);
	ck_assert_int_eq(c.relay, 0);
	ck_assert_uint_eq(c.relay_timeout, 30);
	ck_assert_int_eq(c.allow_loopback, 1);
	ck_assert_str_eq(c.rd, "coap://[2001:db8::1]:5683/rd");
	ck_assert_str_eq(c.rd_endpoint, "kaas-1.example");
	ck_assert_uint_eq(c.rd_lifetime, 7200);
	ck_assert_str_eq(c.rd_base, "coap://203.0.113.1:5883");
	ti_conf_fini(&kaasd_conf_schema, &c);
}
END_TEST

/* Printing a non-default conf and loading it back keeps every value. */
START_TEST(test_every_directive_roundtrip)
{
	struct kaasd_conf c, d;
	char *text, *again;

	load_ok(every_text, &c);
	text = print_conf(&c);
	ck_assert_ptr_nonnull(strstr(text, "keepalive-ttl 3\n"));
	ck_assert_ptr_nonnull(strstr(text, "rd-endpoint kaas-1.example\n"));
	load_ok(text, &d);
	again = print_conf(&d);
	ck_assert_str_eq(again, text);
	ck_assert_str_eq(d.database, "/tmp/kaas dir/kaasd.db");
	ck_assert_uint_eq(d.keepalive_ttl, 3);
	ck_assert_uint_eq(d.interval_max, 86400);
	ck_assert_int_eq(d.allow_loopback, 1);
	free(text);
	free(again);
	ti_conf_fini(&kaasd_conf_schema, &c);
	ti_conf_fini(&kaasd_conf_schema, &d);
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
	struct kaasd_conf c;

	load_ok(sync_cases[_i].text, &c);
	ck_assert_int_eq(c.synchronous, sync_cases[_i].want);
	ti_conf_fini(&kaasd_conf_schema, &c);
}
END_TEST

/* relay and allow-loopback take every boolean spelling. */
static const struct {
	const char *text;
	size_t offset;
	int want;
} bool_cases[] = {
#define F(field) offsetof(struct kaasd_conf, field)
	{ "relay yes\n", F(relay), 1 },
	{ "relay on\n", F(relay), 1 },
	{ "relay true\n", F(relay), 1 },
	{ "relay 1\n", F(relay), 1 },
	{ "relay no\n", F(relay), 0 },
	{ "relay off\n", F(relay), 0 },
	{ "relay FALSE\n", F(relay), 0 },
	{ "relay 0\n", F(relay), 0 },
	{ "allow-loopback yes\n", F(allow_loopback), 1 },
	{ "allow-loopback \"on\"\n", F(allow_loopback), 1 },
	{ "allow-loopback no\n", F(allow_loopback), 0 },
	{ "allow-loopback off\n", F(allow_loopback), 0 },
#undef F
};

START_TEST(test_bools)
{
	struct kaasd_conf c;
	int got;

	load_ok(bool_cases[_i].text, &c);
	memcpy(&got, (const char *)&c + bool_cases[_i].offset, sizeof(got));
	ck_assert_msg(got == bool_cases[_i].want, "'%s': got %d", bool_cases[_i].text, got);
	ti_conf_fini(&kaasd_conf_schema, &c);
}
END_TEST

/* keepalive-ttl: "auto" is 0 (discover), a number forces that TTL. */
static const struct {
	const char *text;
	uint32_t want;
} ttl_cases[] = {
	{ "keepalive-ttl auto\n", 0 },	{ "keepalive-ttl \"auto\"\n", 0 },
	{ "keepalive-ttl 1\n", 1 },	{ "keepalive-ttl 2\n", 2 },
	{ "keepalive-ttl 9\n", 9 },	{ "keepalive-ttl 10\n", 10 },
	{ "keepalive-ttl 64\n", 64 },	{ "keepalive-ttl 99\n", 99 },
	{ "keepalive-ttl 100\n", 100 }, { "keepalive-ttl 128\n", 128 },
	{ "keepalive-ttl 249\n", 249 }, { "keepalive-ttl 250\n", 250 },
	{ "keepalive-ttl 255\n", 255 }, { "keepalive-ttl 200 # near\n", 200 },
	{ "keepalive-ttl 064\n", 64 },
};

START_TEST(test_keepalive_ttl)
{
	struct kaasd_conf c;

	load_ok(ttl_cases[_i].text, &c);
	ck_assert_msg(c.keepalive_ttl == ttl_cases[_i].want, "'%s': got %u", ttl_cases[_i].text,
		      c.keepalive_ttl);
	ti_conf_fini(&kaasd_conf_schema, &c);
}
END_TEST

/* Every TTL 1..255 reads as itself and prints as itself. */
START_TEST(test_keepalive_ttl_all)
{
	struct kaasd_conf c;
	char text[64], want[64], *out;

	for (unsigned t = 1; t <= 255; t++) {
		snprintf(text, sizeof(text), "keepalive-ttl %u\n", t);
		load_ok(text, &c);
		ck_assert_uint_eq(c.keepalive_ttl, t);
		out = print_conf(&c);
		snprintf(want, sizeof(want), "\nkeepalive-ttl %u\n", t);
		ck_assert_msg(strstr(out, want) != NULL, "no '%s' in the printed conf", text);
		free(out);
		ti_conf_fini(&kaasd_conf_schema, &c);
	}
}
END_TEST

/* Values at both ends of every range are accepted. */
static const struct {
	const char *text;
	size_t offset;
	int u64; /* 1: uint64_t field, 0: uint32_t */
	uint64_t want;
} bound_cases[] = {
#define F(field) offsetof(struct kaasd_conf, field)
	{ "interval-min 1\ninterval 1\n", F(interval), 1, 1 },
	{ "interval-max 1d\ninterval 86400s\n", F(interval), 1, 86400 },
	{ "interval 15\n", F(interval), 1, 15 },     /* == interval-min */
	{ "interval 3600\n", F(interval), 1, 3600 }, /* == interval-max */
	{ "interval-min 1s\n", F(interval_min), 1, 1 },
	{ "interval-min 25s\n", F(interval_min), 1, 25 },
	{ "interval-min 1d\ninterval 1d\ninterval-max 1d\n", F(interval_min), 1, 86400 },
	{ "interval-max 25s\n", F(interval_max), 1, 25 },
	{ "interval-max 1440m\n", F(interval_max), 1, 86400 },
	{ "interval-min 1\ninterval 1\ninterval-max 1\n", F(interval_max), 1, 1 },
	{ "lifetime-min 1\n", F(lifetime_min), 1, 1 },
	{ "lifetime-min 1d\n", F(lifetime_min), 1, 86400 },
	{ "lifetime-min 4294967295\nlifetime-default 4294967295\nlifetime-max 4294967295\n",
	  F(lifetime_min), 1, 4294967295u },
	{ "lifetime-max 1d\n", F(lifetime_max), 1, 86400 },
	{ "lifetime-max 4294967295s\n", F(lifetime_max), 1, 4294967295u },
	{ "lifetime-max 49710d\n", F(lifetime_max), 1, 49710ull * 86400 },
	{ "lifetime-min 1\nlifetime-default 1\nlifetime-max 1\n", F(lifetime_default), 1, 1 },
	{ "lifetime-default 60\n", F(lifetime_default), 1, 60 },
	{ "lifetime-default 30d\n", F(lifetime_default), 1, 30 * 86400 },
	{ "max-subscriptions 256\n", F(max_subscriptions), 0, 256 },
	{ "max-subscriptions 100000000\n", F(max_subscriptions), 0, 100000000 },
	{ "max-per-address 1\nmax-per-prefix 1\nmax-subscriptions 1\n", F(max_subscriptions), 0,
	  1 },
	{ "max-per-address 1\n", F(max_per_address), 0, 1 },
	{ "max-per-address 256\n", F(max_per_address), 0, 256 },
	{ "max-per-address 100000000\nmax-per-prefix 100000000\nmax-subscriptions 100000000\n",
	  F(max_per_address), 0, 100000000 },
	{ "max-per-prefix 16\n", F(max_per_prefix), 0, 16 },
	{ "max-per-prefix 1000000\n", F(max_per_prefix), 0, 1000000 },
	{ "max-pps 1\n", F(max_pps), 0, 1 },
	{ "max-pps 10000000\n", F(max_pps), 0, 10000000 },
	{ "max-ttl 1\n", F(max_ttl), 0, 1 },
	{ "max-ttl 255\n", F(max_ttl), 0, 255 },
	{ "relay-timeout 1\n", F(relay_timeout), 1, 1 },
	{ "relay-timeout 5m\n", F(relay_timeout), 1, 300 },
	{ "relay-timeout 300s\n", F(relay_timeout), 1, 300 },
	{ "rd coap://rd.example\nrd-lifetime 60\n", F(rd_lifetime), 1, 60 },
	{ "rd-lifetime 1m\n", F(rd_lifetime), 1, 60 },
	{ "rd-lifetime 4294967295\n", F(rd_lifetime), 1, 4294967295u },
#undef F
};

START_TEST(test_bounds)
{
	struct kaasd_conf c;
	const char *field;
	uint64_t got;

	load_ok(bound_cases[_i].text, &c);
	field = (const char *)&c + bound_cases[_i].offset;
	if (bound_cases[_i].u64) {
		memcpy(&got, field, sizeof(got));
	} else {
		uint32_t v;
		memcpy(&v, field, sizeof(v));
		got = v;
	}
	ck_assert_msg(got == bound_cases[_i].want, "'%s': got %llu, want %llu",
		      bound_cases[_i].text, (unsigned long long)got,
		      (unsigned long long)bound_cases[_i].want);
	ti_conf_fini(&kaasd_conf_schema, &c);
}
END_TEST

/*
 * Errors: each one names the line of the offending directive.
 */

#define DUR(lo, hi) "expected a duration from " lo " to " hi " (a number with unit s, m, h or d)"
#define NUM(lo, hi) "expected a number from " lo " to " hi
#define TTL_CHOICES "expected auto or a number from 1 to 255"
#define LISTEN_LIKE "expected a URI like coap://0.0.0.0:5683 or coap://[::]:5683"

static const struct {
	const char *text;
	int ret;
	const char *msg;
} errors[] = {
	/* Ranges of durations. */
	{ "interval 0\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '0' for 'interval': " DUR("1s", "1d") },
	{ "interval 86401\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '86401' for 'interval': " DUR("1s", "1d") },
	{ "interval 2d\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '2d' for 'interval': " DUR("1s", "1d") },
	{ "interval 25ms\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value '25ms' for 'interval': " DUR("1s", "1d") },
	{ "interval-min 0s\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '0s' for 'interval-min': " DUR("1s", "1d") },
	{ "# c\n\ninterval-min 25h\n", TI_ERANGE,
	  "kaasd.conf:3: invalid value '25h' for 'interval-min': " DUR("1s", "1d") },
	{ "interval-max 0\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '0' for 'interval-max': " DUR("1s", "1d") },
	{ "interval-max 1441m\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '1441m' for 'interval-max': " DUR("1s", "1d") },
	{ "lifetime-min 0\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '0' for 'lifetime-min': " DUR("1s", "4294967295s") },
	{ "lifetime-max 4294967296\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '4294967296' for 'lifetime-max': " DUR("1s",
									      "4294967295s") },
	{ "lifetime-max 49711d\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '49711d' for 'lifetime-max': " DUR("1s", "4294967295s") },
	{ "lifetime-default -1\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value '-1' for 'lifetime-default': " DUR("1s", "4294967295s") },
	{ "lifetime-default 1w\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value '1w' for 'lifetime-default': " DUR("1s", "4294967295s") },
	{ "relay-timeout 0\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '0' for 'relay-timeout': " DUR("1s", "5m") },
	{ "relay-timeout 301\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '301' for 'relay-timeout': " DUR("1s", "5m") },
	{ "relay-timeout 1h\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '1h' for 'relay-timeout': " DUR("1s", "5m") },
	{ "rd-lifetime 59\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '59' for 'rd-lifetime': " DUR("1m", "4294967295s") },
	{ "rd-lifetime 4294967296s\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '4294967296s' for 'rd-lifetime': " DUR("1m",
									      "4294967295s") },
	/* Ranges of numbers. */
	{ "max-subscriptions 0\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '0' for 'max-subscriptions': " NUM("1", "100000000") },
	{ "max-subscriptions 100000001\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '100000001' for 'max-subscriptions': " NUM("1",
										  "100000000") },
	{ "max-subscriptions 1e6\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value '1e6' for 'max-subscriptions': " NUM("1", "100000000") },
	{ "max-per-address 0\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '0' for 'max-per-address': " NUM("1", "100000000") },
	{ "max-per-address 100000001\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '100000001' for 'max-per-address': " NUM("1",
										"100000000") },
	{ "max-per-prefix 0\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '0' for 'max-per-prefix': " NUM("1", "100000000") },
	{ "max-per-prefix 100000001\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '100000001' for 'max-per-prefix': " NUM("1", "100000000") },
	{ "max-pps 0\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '0' for 'max-pps': " NUM("1", "10000000") },
	{ "max-pps 10000001\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '10000001' for 'max-pps': " NUM("1", "10000000") },
	{ "max-pps 100k\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value '100k' for 'max-pps': " NUM("1", "10000000") },
	{ "max-ttl 0\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '0' for 'max-ttl': " NUM("1", "255") },
	{ "log-level info\nmax-ttl 256\n", TI_ERANGE,
	  "kaasd.conf:2: invalid value '256' for 'max-ttl': " NUM("1", "255") },
	{ "max-ttl auto\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'auto' for 'max-ttl': " NUM("1", "255") },
	/* keepalive-ttl: auto or 1..255, nothing else. */
	{ "keepalive-ttl 0\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '0' for 'keepalive-ttl': " TTL_CHOICES },
	{ "keepalive-ttl 256\n", TI_ERANGE,
	  "kaasd.conf:1: invalid value '256' for 'keepalive-ttl': " TTL_CHOICES },
	{ "keepalive-ttl AUTO\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'AUTO' for 'keepalive-ttl': " TTL_CHOICES },
	{ "keepalive-ttl 1.5\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value '1.5' for 'keepalive-ttl': " TTL_CHOICES },
	{ "keepalive-ttl -1\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value '-1' for 'keepalive-ttl': " TTL_CHOICES },
	{ "\n\n\nkeepalive-ttl discover\n", TI_EPARSE,
	  "kaasd.conf:4: invalid value 'discover' for 'keepalive-ttl': " TTL_CHOICES },
	{ "keepalive-ttl \"\"\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value '' for 'keepalive-ttl': " TTL_CHOICES },
	{ "keepalive-ttl 3 4\n", TI_EPARSE,
	  "kaasd.conf:1: 'keepalive-ttl' takes one value (quote values that contain spaces)" },
	{ "keepalive-ttl\n", TI_EMISSING, "kaasd.conf:1: missing value for 'keepalive-ttl'" },
	{ "keepalive-ttl auto\nkeepalive-ttl 3\n", TI_EDUP,
	  "kaasd.conf:2: 'keepalive-ttl' given twice (first at kaasd.conf:1)" },
	/* Other values. */
	{ "synchronous fast\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'fast' for 'synchronous': expected one of off, normal, "
	  "full, extra" },
	{ "relay maybe\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'maybe' for 'relay': expected yes or no" },
	{ "allow-loopback 2\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value '2' for 'allow-loopback': expected yes or no" },
	{ "database \"\"\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value '' for 'database': expected a file name" },
	{ "log-level verbose\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'verbose' for 'log-level': expected err, warning, notice, "
	  "info or debug" },
	{ "log-target journal\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'journal' for 'log-target': expected one of stderr, "
	  "syslog" },
	{ "database /a\ndatabase /b\n", TI_EDUP,
	  "kaasd.conf:2: 'database' given twice (first at kaasd.conf:1)" },
	{ "interval 30\ninterval-max 1h\ninterval 40\n", TI_EDUP,
	  "kaasd.conf:3: 'interval' given twice (first at kaasd.conf:1)" },
	{ "max-per-address\n", TI_EMISSING, "kaasd.conf:1: missing value for 'max-per-address'" },
	{ "lifetime 60\n", TI_EUNKNOWN, "kaasd.conf:1: unknown directive 'lifetime'" },
	{ "max-registrations 60\n", TI_EUNKNOWN,
	  "kaasd.conf:1: unknown directive 'max-registrations'" },
	{ "keepalive_ttl 3\n", TI_EUNKNOWN, "kaasd.conf:1: unknown directive 'keepalive_ttl'" },
	{ "database /a b\n", TI_EPARSE,
	  "kaasd.conf:1: 'database' takes one value (quote values that contain spaces)" },
	/* Listen URIs: kaasd reads its UDP sockets itself, so coap:// only. */
	{ "listen coap://0.0.0.0\nlisten coap+tcp://0.0.0.0:5883\n", TI_EPARSE,
	  "kaasd.conf:2: invalid value 'coap+tcp://0.0.0.0:5883' for 'listen': kaasd serves "
	  "coap:// (UDP) only, not coap+tcp://" },
	{ "listen coaps://[::]:5884\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'coaps://[::]:5884' for 'listen': kaasd serves coap:// "
	  "(UDP) only, not coaps://" },
	{ "listen coaps+tcp://[::]\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'coaps+tcp://[::]' for 'listen': kaasd serves coap:// "
	  "(UDP) only, not coaps+tcp://" },
	{ "listen http://0.0.0.0\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'http://0.0.0.0' for 'listen': not a coap:// URI" },
	{ "# kaas\nlisten coap://0.0.0.0:5883/kaas\n", TI_EPARSE,
	  "kaasd.conf:2: invalid value 'coap://0.0.0.0:5883/kaas' for 'listen': a listen URI has "
	  "no path" },
	{ "listen coap://0.0.0.0?x=1\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'coap://0.0.0.0?x=1' for 'listen': a listen URI has no "
	  "query" },
	{ "listen 0.0.0.0:5883\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value '0.0.0.0:5883' for 'listen': " LISTEN_LIKE },
	{ "listen coap://0.0.0.0:65536\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'coap://0.0.0.0:65536' for 'listen': " LISTEN_LIKE },
	{ "listen coap://[::1\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'coap://[::1' for 'listen': " LISTEN_LIKE },
	/* The RD. */
	{ "rd rd.example\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'rd.example' for 'rd': expected a URI like "
	  "coap://rd.example:5683" },
	{ "rd coaps://rd.example\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'coaps://rd.example' for 'rd': only coap:// and "
	  "coap+tcp:// are supported for now" },
	{ "rd coap://rd.example/rd?ep=x\n", TI_EPARSE,
	  "kaasd.conf:1: invalid value 'coap://rd.example/rd?ep=x' for 'rd': no query: the "
	  "registration parameters are kaasd's" },
	{ "rd coap://rd.example\nrd-endpoint \"\"\n", TI_EPARSE,
	  "kaasd.conf:2: invalid value '' for 'rd-endpoint': an endpoint name has 1 to 63 bytes" },
	{ "rd coap://rd.example\n"
	  "rd-endpoint 0123456789012345678901234567890123456789012345678901234567890123\n",
	  TI_EPARSE,
	  "kaasd.conf:2: invalid value "
	  "'0123456789012345678901234567890123456789012345678901234567890123' for "
	  "'rd-endpoint': an endpoint name has 1 to 63 bytes" },
	{ "rd coap://rd.example\nrd-endpoint a&b\n", TI_EPARSE,
	  "kaasd.conf:2: invalid value 'a&b' for 'rd-endpoint': control characters, '&' and '=' "
	  "are not allowed" },
	{ "rd coap://rd.example\nrd-endpoint \"a\tb\"\n", TI_EPARSE,
	  "kaasd.conf:2: invalid value 'a\tb' for 'rd-endpoint': control characters, '&' and '=' "
	  "are not allowed" },
	{ "rd coap://rd.example\nrd-base coap://h?x\n", TI_EPARSE,
	  "kaasd.conf:2: invalid value 'coap://h?x' for 'rd-base': expected a URI without query, "
	  "like coap://203.0.113.1:5883" },
	{ "rd coap://rd.example\nrd-base 203.0.113.1:5883\n", TI_EPARSE,
	  "kaasd.conf:2: invalid value '203.0.113.1:5883' for 'rd-base': expected a URI without "
	  "query, like coap://203.0.113.1:5883" },
	/* Whole-config rules: no line, the file only. */
	{ "interval 10s\n", TI_EPARSE,
	  "kaasd.conf: 'interval' (10s) is outside 'interval-min'..'interval-max' (15s..1h)" },
	{ "interval 2h\n", TI_EPARSE,
	  "kaasd.conf: 'interval' (2h) is outside 'interval-min'..'interval-max' (15s..1h)" },
	{ "interval-min 30s\n", TI_EPARSE,
	  "kaasd.conf: 'interval' (25s) is outside 'interval-min'..'interval-max' (30s..1h)" },
	{ "interval-max 20s\n", TI_EPARSE,
	  "kaasd.conf: 'interval' (25s) is outside 'interval-min'..'interval-max' (15s..20s)" },
	{ "interval-min 2m\ninterval-max 1m\ninterval 90\n", TI_EPARSE,
	  "kaasd.conf: 'interval-min' (2m) is above 'interval-max' (1m)" },
	{ "lifetime-min 2h\nlifetime-max 1h\nlifetime-default 1h\n", TI_EPARSE,
	  "kaasd.conf: 'lifetime-min' (2h) is above 'lifetime-max' (1h)" },
	{ "lifetime-default 30s\n", TI_EPARSE,
	  "kaasd.conf: 'lifetime-default' (30s) is outside 'lifetime-min'..'lifetime-max' "
	  "(1m..30d)" },
	{ "lifetime-max 12h\n", TI_EPARSE,
	  "kaasd.conf: 'lifetime-default' (1d) is outside 'lifetime-min'..'lifetime-max' "
	  "(1m..12h)" },
	{ "lifetime-min 2d\n", TI_EPARSE,
	  "kaasd.conf: 'lifetime-default' (1d) is outside 'lifetime-min'..'lifetime-max' "
	  "(2d..30d)" },
	{ "lifetime-default 2592001\n", TI_EPARSE,
	  "kaasd.conf: 'lifetime-default' (2592001s) is outside 'lifetime-min'..'lifetime-max' "
	  "(1m..30d)" },
	{ "max-per-address 257\n", TI_EPARSE,
	  "kaasd.conf: 'max-per-address' (257) is above 'max-per-prefix' (256)" },
	{ "max-per-prefix 15\n", TI_EPARSE,
	  "kaasd.conf: 'max-per-address' (16) is above 'max-per-prefix' (15)" },
	{ "max-subscriptions 255\n", TI_EPARSE,
	  "kaasd.conf: 'max-per-prefix' (256) is above 'max-subscriptions' (255)" },
	{ "max-per-prefix 1000001\n", TI_EPARSE,
	  "kaasd.conf: 'max-per-prefix' (1000001) is above 'max-subscriptions' (1000000)" },
	{ "max-subscriptions 10\nmax-per-prefix 10\n", TI_EPARSE,
	  "kaasd.conf: 'max-per-address' (16) is above 'max-per-prefix' (10)" },
	{ "rd-endpoint kaas1\n", TI_EPARSE, "kaasd.conf: 'rd-endpoint' and 'rd-base' need 'rd'" },
	{ "rd-base coap://203.0.113.1\n", TI_EPARSE,
	  "kaasd.conf: 'rd-endpoint' and 'rd-base' need 'rd'" },
	/* The first broken rule is reported, in the order interval, lifetime, caps. */
	{ "interval 1s\nlifetime-default 1s\nmax-per-address 1000\n", TI_EPARSE,
	  "kaasd.conf: 'interval' (1s) is outside 'interval-min'..'interval-max' (15s..1h)" },
	{ "lifetime-default 1s\nmax-per-address 1000\n", TI_EPARSE,
	  "kaasd.conf: 'lifetime-default' (1s) is outside 'lifetime-min'..'lifetime-max' "
	  "(1m..30d)" },
	/* A parse error wins over a validation error earlier in the file. */
	{ "interval 1s\nlifetime-max 1h\nmax-ttl 0\n", TI_ERANGE,
	  "kaasd.conf:3: invalid value '0' for 'max-ttl': " NUM("1", "255") },
};

START_TEST(test_errors)
{
	load_fail(errors[_i].text, errors[_i].ret, errors[_i].msg);
}
END_TEST

/* The line number is the line of the directive, also after long comments. */
START_TEST(test_error_line)
{
	struct ti_conf_error e = { .line = 0 };
	struct kaasd_conf c;
	char text[4096] = "";
	size_t off = 0;

	for (int i = 0; i < 40; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "# comment %d\n", i);
	snprintf(text + off, sizeof(text) - off, "max-ttl 64\n\nkeepalive-ttl none\n");
	ck_assert_int_eq(load(text, &c, &e), TI_EPARSE);
	ck_assert_uint_eq(e.line, 43);
	ck_assert_str_eq(e.file, "kaasd.conf");
	ti_conf_fini(&kaasd_conf_schema, &c);
	snprintf(text + off, sizeof(text) - off, "max-ttl 64\ninterval-min 0\n");
	ck_assert_int_eq(load(text, &c, &e), TI_ERANGE);
	ck_assert_uint_eq(e.line, 42);
	ti_conf_fini(&kaasd_conf_schema, &c);
	/* Whole-config errors have no line. */
	snprintf(text + off, sizeof(text) - off, "max-ttl 64\ninterval 1\n");
	ck_assert_int_eq(load(text, &c, &e), TI_EPARSE);
	ck_assert_uint_eq(e.line, 0);
	ck_assert_str_eq(e.file, "kaasd.conf");
	ti_conf_fini(&kaasd_conf_schema, &c);
}
END_TEST

/* An error in an included file names that file and its line. */
START_TEST(test_error_include)
{
	struct ti_conf_error e = { .line = 0 };
	struct kaasd_conf c = { .database = NULL };
	char *dir = check_mkdtemp(), *main_path, *inc_path, want[1024];

	main_path = check_write_str(dir, "kaasd.conf", "max-ttl 16\ninclude kaasd.local.conf\n");
	inc_path =
	    check_write_str(dir, "kaasd.local.conf", "# local\nkeepalive-ttl 4\nmax-pps x\n");
	ck_assert_int_eq(ti_conf_load(&kaasd_conf_schema, main_path, &c, &e), TI_EPARSE);
	snprintf(want, sizeof(want),
		 "%s:3: invalid value 'x' for 'max-pps': expected a number from 1 to 10000000",
		 inc_path);
	ck_assert_str_eq(fmt_err(&e), want);
	ti_conf_fini(&kaasd_conf_schema, &c);
	/* Fixed, the include applies. */
	free(check_write_str(dir, "kaasd.local.conf", "# local\nkeepalive-ttl 4\nmax-pps 50\n"));
	c = (struct kaasd_conf){ .database = NULL };
	ck_assert_int_eq(ti_conf_load(&kaasd_conf_schema, main_path, &c, &e), 0);
	ck_assert_uint_eq(c.max_ttl, 16);
	ck_assert_uint_eq(c.keepalive_ttl, 4);
	ck_assert_uint_eq(c.max_pps, 50);
	ti_conf_fini(&kaasd_conf_schema, &c);
	free(main_path);
	free(inc_path);
	check_rmtree(dir);
}
END_TEST

/* Validation sees values together: consistent windows are accepted. */
START_TEST(test_validate_ok)
{
	struct kaasd_conf c;

	load_ok("interval-min 25s\ninterval-max 25s\n", &c); /* interval 25s in between */
	ck_assert_uint_eq(c.interval_min, 25);
	ck_assert_uint_eq(c.interval_max, 25);
	ti_conf_fini(&kaasd_conf_schema, &c);
	/* Moving the window and the interval together. */
	load_ok("interval-min 1s\ninterval 5s\ninterval-max 10s\n", &c);
	ck_assert_uint_eq(c.interval, 5);
	ti_conf_fini(&kaasd_conf_schema, &c);
	load_ok("interval 2h\ninterval-max 2h\n", &c);
	ck_assert_uint_eq(c.interval, 7200);
	ti_conf_fini(&kaasd_conf_schema, &c);
	load_ok("lifetime-min 1d\n", &c); /* == lifetime-default */
	ck_assert_uint_eq(c.lifetime_min, 86400);
	ti_conf_fini(&kaasd_conf_schema, &c);
	load_ok("lifetime-max 1d\n", &c); /* == lifetime-default */
	ck_assert_uint_eq(c.lifetime_max, 86400);
	ti_conf_fini(&kaasd_conf_schema, &c);
	load_ok("lifetime-max 4294967295\nlifetime-default 4294967295\n", &c);
	ti_conf_fini(&kaasd_conf_schema, &c);
	load_ok("max-per-address 256\n", &c); /* == max-per-prefix */
	ti_conf_fini(&kaasd_conf_schema, &c);
	load_ok("max-subscriptions 256\n", &c); /* == max-per-prefix */
	ti_conf_fini(&kaasd_conf_schema, &c);
	load_ok("max-subscriptions 16\nmax-per-prefix 16\n", &c);
	ck_assert_uint_eq(c.max_subscriptions, 16);
	ti_conf_fini(&kaasd_conf_schema, &c);
	/* A forced TTL above max-ttl is the operator's call. */
	load_ok("keepalive-ttl 200\nmax-ttl 8\n", &c);
	ck_assert_uint_eq(c.keepalive_ttl, 200);
	ck_assert_uint_eq(c.max_ttl, 8);
	ti_conf_fini(&kaasd_conf_schema, &c);
	load_ok("rd coap+tcp://rd.example\nrd-endpoint kaas1\nrd-base coap://203.0.113.1\n", &c);
	ti_conf_fini(&kaasd_conf_schema, &c);
	load_ok("rd coap://rd.example:5683/rd\n", &c);
	ck_assert_ptr_null(c.rd_endpoint);
	ck_assert_ptr_null(c.rd_base);
	ti_conf_fini(&kaasd_conf_schema, &c);
}
END_TEST

/* Listen URIs kaasd accepts; a given listen replaces the whole default list. */
START_TEST(test_listen_ok)
{
	struct kaasd_conf c;

	load_ok("listen coap://127.0.0.1\n", &c);
	ck_assert_uint_eq(c.listen.n, 1);
	ck_assert_str_eq(c.listen.v[0], "coap://127.0.0.1");
	ti_conf_fini(&kaasd_conf_schema, &c);
	load_ok("listen coap://[::1]:5883/\nlisten coap://192.0.2.1:40000\n"
		"listen coap://localhost:5883\n",
		&c);
	ck_assert_uint_eq(c.listen.n, 3);
	ck_assert_str_eq(c.listen.v[0], "coap://[::1]:5883/");
	ck_assert_str_eq(c.listen.v[1], "coap://192.0.2.1:40000");
	ck_assert_str_eq(c.listen.v[2], "coap://localhost:5883");
	ti_conf_fini(&kaasd_conf_schema, &c);
}
END_TEST

/*
 * kaasd_conf_endpoint
 */

/* What kaasd_conf_endpoint() must not put in a name (RFC 9176 ep, and no query syntax). */
static void
assert_clean_name(const char *name)
{
	ck_assert_uint_ge(strlen(name), 1);
	ck_assert_uint_le(strlen(name), 63);
	for (const char *p = name; *p; p++)
		ck_assert_msg((unsigned char)*p > 0x20 && *p != 0x7f && *p != '&' && *p != '=',
			      "bad byte 0x%02x in '%s'", (unsigned char)*p, name);
}

START_TEST(test_endpoint_default)
{
	struct kaasd_conf c;
	char host[256] = "", buf[128], want[128];

	load_ok("", &c);
	memset(buf, 'x', sizeof(buf));
	kaasd_conf_endpoint(&c, buf, sizeof(buf));
	assert_clean_name(buf);
	ck_assert_int_eq(strncmp(buf, "kaasd-", 6), 0);
	ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
	/* Host names here are plain: the name is "kaasd-" and the host, cut at 63 bytes. */
	if (strpbrk(host, " \t&=") == NULL) {
		snprintf(want, sizeof(want), "kaasd-%.57s", host);
		ck_assert_str_eq(buf, want);
	}
	/* A short buffer gets a cut, terminated name. */
	memset(buf, 'x', sizeof(buf));
	kaasd_conf_endpoint(&c, buf, 4);
	ck_assert_str_eq(buf, "kaa");
	ck_assert_int_eq(buf[4], 'x');
	memset(buf, 'x', sizeof(buf));
	kaasd_conf_endpoint(&c, buf, 1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(buf[1], 'x');
	/* Size 0: nothing is written. */
	memset(buf, 'x', sizeof(buf));
	kaasd_conf_endpoint(&c, buf, 0);
	ck_assert_int_eq(buf[0], 'x');
	ti_conf_fini(&kaasd_conf_schema, &c);
}
END_TEST

START_TEST(test_endpoint_configured)
{
	static const char long_ep[] =
	    "kaas-0123456789012345678901234567890123456789012345678901234567";
	struct kaasd_conf c;
	char buf[128], text[256];

	load_ok("rd coap://rd.example\nrd-endpoint kaas-eu-1\n", &c);
	kaasd_conf_endpoint(&c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "kaas-eu-1");
	/* Cut to the buffer. */
	kaasd_conf_endpoint(&c, buf, 5);
	ck_assert_str_eq(buf, "kaas");
	ti_conf_fini(&kaasd_conf_schema, &c);
	/* The longest name (63 bytes) is kept whole. */
	ck_assert_uint_eq(strlen(long_ep), 63);
	snprintf(text, sizeof(text), "rd coap://rd.example\nrd-endpoint %s\n", long_ep);
	load_ok(text, &c);
	kaasd_conf_endpoint(&c, buf, sizeof(buf));
	ck_assert_str_eq(buf, long_ep);
	kaasd_conf_endpoint(&c, buf, 64);
	ck_assert_str_eq(buf, long_ep);
	ti_conf_fini(&kaasd_conf_schema, &c);
	/* Only the name matters, not whether rd is set (the caller checks rd). */
	c = (struct kaasd_conf){ .rd_endpoint = (char *)"direct" };
	kaasd_conf_endpoint(&c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "direct");
}
END_TEST

Suite *
kaasd_conf_suite(void)
{
	Suite *s = suite_create("kaasd_conf");
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
	tcase_add_loop_test(tc, test_bools, 0, (int)TI_ARRAY_SIZE(bool_cases));
	tcase_add_loop_test(tc, test_keepalive_ttl, 0, (int)TI_ARRAY_SIZE(ttl_cases));
	tcase_add_test(tc, test_keepalive_ttl_all);
	tcase_add_loop_test(tc, test_bounds, 0, (int)TI_ARRAY_SIZE(bound_cases));
	tcase_add_test(tc, test_listen_ok);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_errors, 0, (int)TI_ARRAY_SIZE(errors));
	tcase_add_test(tc, test_error_line);
	tcase_add_test(tc, test_error_include);
	tcase_add_test(tc, test_validate_ok);
	suite_add_tcase(s, tc);

	tc = tcase_create("endpoint");
	tcase_add_test(tc, test_endpoint_default);
	tcase_add_test(tc, test_endpoint_configured);
	suite_add_tcase(s, tc);
	return s;
}
