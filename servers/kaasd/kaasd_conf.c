/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: configuration schema and the parsed configuration. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ti_addr.h"
#include "ti_coap.h"
#include "ti_conf.h"
#include "ti_err.h"
#include "ti_store.h"
#include "ti_util.h"

#include "kaasd_conf.h"

/* In the order of enum ti_store_sync. */
static const char *const sync_names[] = { "off", "normal", "full", "extra", NULL };

/*
 * kaasd reads and writes its UDP sockets itself (IP_RECVERR, TTL per
 * datagram): only coap:// listens. The rest is the common listen check.
 */
static int
check_listen(const char *v, char *err, size_t errlen)
{
	struct ti_uri u;
	int r = ti_uri_parse(v, &u);

	if (r == TI_ESCHEME) {
		snprintf(err, errlen, "not a coap:// URI");
		return r;
	}
	if (r == 0 && u.transport != TI_TRANSPORT_UDP) {
		snprintf(err, errlen, "kaasd serves coap:// (UDP) only, not %s://",
			 ti_transport_scheme(u.transport));
		return TI_ESCHEME;
	}
	return ti_coap_check_listen(v, err, errlen);
}

static int
check_database(const char *v, char *err, size_t errlen)
{
	if (v[0] == '\0') {
		snprintf(err, errlen, "expected a file name");
		return TI_EPARSE;
	}
	return 0;
}

/* RFC 9176 section 5: ep is at most 63 bytes, without control characters. */
static int
check_endpoint(const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (n == 0 || n > 63) {
		snprintf(err, errlen, "an endpoint name has 1 to 63 bytes");
		return TI_ERANGE;
	}
	for (const char *c = v; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '&' || *c == '=') {
			snprintf(err, errlen, "control characters, '&' and '=' are not allowed");
			return TI_EPARSE;
		}
	}
	return 0;
}

static int
check_rd(const char *v, char *err, size_t errlen)
{
	struct ti_uri u;
	int r = ti_uri_parse(v, &u);

	if (r < 0) {
		snprintf(err, errlen, "expected a URI like coap://rd.example:5683");
		return r;
	}
	if (u.transport != TI_TRANSPORT_UDP && u.transport != TI_TRANSPORT_TCP) {
		snprintf(err, errlen, "only coap:// and coap+tcp:// are supported for now");
		return TI_ESCHEME;
	}
	if (u.query[0] != '\0') {
		snprintf(err, errlen, "no query: the registration parameters are kaasd's");
		return TI_EPARSE;
	}
	return 0;
}

static int
check_base(const char *v, char *err, size_t errlen)
{
	struct ti_uri u;

	if (ti_uri_parse(v, &u) < 0 || u.query[0] != '\0') {
		snprintf(err, errlen,
			 "expected a URI without query, like coap://203.0.113.1:5883");
		return TI_EPARSE;
	}
	return 0;
}

/* lo <= mid <= hi for three durations, named as in the file. */
static int
check_window(const char *lo_name, uint64_t lo, const char *name, uint64_t v, const char *hi_name,
	     uint64_t hi, char *err, size_t errlen)
{
	char a[32], b[32], c[32];

	ti_format_duration(a, sizeof(a), lo);
	ti_format_duration(b, sizeof(b), v);
	ti_format_duration(c, sizeof(c), hi);
	if (lo > hi) {
		snprintf(err, errlen, "'%s' (%s) is above '%s' (%s)", lo_name, a, hi_name, c);
		return TI_ERANGE;
	}
	if (v < lo || v > hi) {
		snprintf(err, errlen, "'%s' (%s) is outside '%s'..'%s' (%s..%s)", name, b, lo_name,
			 hi_name, a, c);
		return TI_ERANGE;
	}
	return 0;
}

static int
check_cap(const char *name, uint32_t v, const char *cap_name, uint32_t cap, char *err,
	  size_t errlen)
{
	if (v > cap) {
		snprintf(err, errlen, "'%s' (%u) is above '%s' (%u)", name, v, cap_name, cap);
		return TI_ERANGE;
	}
	return 0;
}

/* The relations between directives; the first one broken is reported. */
static int
validate(const void *conf, char *err, size_t errlen)
{
	const struct kaasd_conf *c = conf;
	int r;

	r = check_window("interval-min", c->interval_min, "interval", c->interval, "interval-max",
			 c->interval_max, err, errlen);
	if (r < 0)
		return r;
	r = check_window("lifetime-min", c->lifetime_min, "lifetime-default", c->lifetime_default,
			 "lifetime-max", c->lifetime_max, err, errlen);
	if (r < 0)
		return r;
	r = check_cap("max-per-address", c->max_per_address, "max-per-prefix", c->max_per_prefix,
		      err, errlen);
	if (r < 0)
		return r;
	r = check_cap("max-per-prefix", c->max_per_prefix, "max-subscriptions",
		      c->max_subscriptions, err, errlen);
	if (r < 0)
		return r;
	if ((c->rd_endpoint || c->rd_base) && c->rd == NULL) {
		snprintf(err, errlen, "'rd-endpoint' and 'rd-base' need 'rd'");
		return TI_EMISSING;
	}
	return 0;
}

#define O(field) offsetof(struct kaasd_conf, field)

/* clang-format off */
#define DURATION(n, f, lo, hi, d) \
	{ .name = n, .type = TI_CONF_DURATION, .offset = O(f), .min = lo, .max = hi, .def = d }
#define U32(n, f, lo, hi, d) \
	{ .name = n, .type = TI_CONF_U32, .offset = O(f), .min = lo, .max = hi, .def = d }

static const struct ti_conf_item items[] = {
	{ .name = "listen", .type = TI_CONF_LIST, .offset = O(listen),
	  .def = KAASD_DEFAULT_LISTEN, .check = check_listen },
	TI_CONF_COMMON_ITEMS(struct kaasd_conf),
	{ .name = "database", .type = TI_CONF_STRING, .offset = O(database),
	  .def = KAASD_DEFAULT_DATABASE, .check = check_database },
	{ .name = "synchronous", .type = TI_CONF_ENUM, .offset = O(synchronous),
	  .def = "full", .choices = sync_names },
	DURATION("interval", interval, 1, 86400, "25s"),
	DURATION("interval-min", interval_min, 1, 86400, "15s"),
	DURATION("interval-max", interval_max, 1, 86400, "1h"),
	DURATION("lifetime-min", lifetime_min, 1, 4294967295u, "60s"),
	DURATION("lifetime-max", lifetime_max, 1, 4294967295u, "30d"),
	DURATION("lifetime-default", lifetime_default, 1, 4294967295u, "1d"),
	U32("max-subscriptions", max_subscriptions, 1, 100000000, "1000000"),
	U32("max-per-address", max_per_address, 1, 100000000, "16"),
	U32("max-per-prefix", max_per_prefix, 1, 100000000, "256"),
	U32("max-pps", max_pps, 1, 10000000, "100000"),
	/* "auto" (0): discover the TTL per subscription. */
	{ .name = "keepalive-ttl", .type = TI_CONF_U32, .offset = O(keepalive_ttl),
	  .min = 1, .max = 255, .def = "auto", .word = "auto" },
	U32("max-ttl", max_ttl, 1, 255, "32"),
	{ .name = "relay", .type = TI_CONF_BOOL, .offset = O(relay), .def = "yes" },
	DURATION("relay-timeout", relay_timeout, 1, 300, "10s"),
	{ .name = "allow-loopback", .type = TI_CONF_BOOL, .offset = O(allow_loopback),
	  .def = "no" },
	{ .name = "rd", .type = TI_CONF_STRING, .offset = O(rd), .check = check_rd },
	{ .name = "rd-endpoint", .type = TI_CONF_STRING, .offset = O(rd_endpoint),
	  .check = check_endpoint },
	DURATION("rd-lifetime", rd_lifetime, 60, 4294967295u, "1h"),
	{ .name = "rd-base", .type = TI_CONF_STRING, .offset = O(rd_base), .check = check_base },
};
/* clang-format on */

#undef U32
#undef DURATION

const struct ti_conf_schema kaasd_conf_schema = {
	.items = items,
	.n_items = TI_ARRAY_SIZE(items),
	.validate = validate,
};

void
kaasd_conf_endpoint(const struct kaasd_conf *conf, char *buf, size_t size)
{
	char host[64] = "localhost";
	size_t n = size < 64 ? size : 64, len;

	if (n == 0)
		return;
	if (conf->rd_endpoint != NULL) {
		ti_strlcpy(buf, conf->rd_endpoint, n);
		return;
	}
	if (gethostname(host, sizeof(host) - 1) < 0)
		ti_strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	/* Keep within the 63-byte limit (cutting the host name) and away from query syntax. */
	ti_strlcpy(buf, "kaasd-", n);
	len = strlen(buf);
	ti_strlcpy(buf + len, host, n - len);
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '&' || *c == '=')
			*c = '_';
}
