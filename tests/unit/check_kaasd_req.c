/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for kaasd_req: subscription query parameters, source addresses, prefix keys. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <check.h>

#include "ti_msg.h"
#include "ti_util.h"

#include "kaasd_req.h"
#include "check_main.h"

#define EP63 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
#define EP64 EP63 "x"
#define MAXQ 6

/* The shipped defaults (kaasd.conf.5): lifetime 60s..7d, 1d; interval 15s..1h, 25s. */
static const struct kaasd_req_policy def_pol = {
	.lifetime_min = 60,
	.lifetime_max = 7 * 86400,
	.lifetime_default = 86400,
	.interval = 25,
	.interval_min = 15,
	.interval_max = 3600,
	.allow_loopback = 0,
};

/* One Uri-Query option; len 0 means strlen(s), so NUL bytes need an explicit len. */
struct q {
	const char *s;
	size_t len;
};

/*
 * Write a POST /kaas carrying the queries (NULL-terminated) between a
 * Uri-Host and an Accept option, parse it with ti_msg_parse() and run
 * kaasd_req_subscribe() on it.
 */
static int
subscribe_q(const struct kaasd_req_policy *pol, const struct q *qs, struct kaasd_sub_req *ret,
	    char *diag, size_t diaglen)
{
	static const uint8_t token[] = { 0xca, 0xfe };
	uint8_t buf[1024];
	struct ti_msgw w;
	struct ti_msg m;
	size_t len;

	ti_msgw_init(&w, buf, sizeof(buf), TI_MSG_CON, TI_CODE(0, 2), 0x1234, token,
		     sizeof(token));
	ti_msgw_opt(&w, TI_OPT_URI_HOST, "ep=host", 7);
	ti_msgw_opt(&w, TI_OPT_URI_PATH, "kaas", 4);
	for (size_t i = 0; qs[i].s != NULL; i++)
		ti_msgw_opt(&w, TI_OPT_URI_QUERY, qs[i].s,
			    qs[i].len > 0 ? qs[i].len : strlen(qs[i].s));
	ti_msgw_opt_uint(&w, TI_OPT_ACCEPT, 50);
	len = ti_msgw_finish(&w);
	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(ti_msg_parse(buf, len, &m), 0);
	return kaasd_req_subscribe(&m, pol, ret, diag, diaglen);
}

/* subscribe_q() for plain strings (at most MAXQ, NULL-terminated). */
static int
subscribe(const struct kaasd_req_policy *pol, const char *const *qs, struct kaasd_sub_req *ret,
	  char *diag, size_t diaglen)
{
	struct q v[MAXQ + 1] = { { NULL, 0 } };

	for (size_t i = 0; i < MAXQ && qs[i] != NULL; i++)
		v[i].s = qs[i];
	return subscribe_q(pol, v, ret, diag, diaglen);
}

/* A socket address from "203.0.113.7" or "2001:db8::7". */
static struct sockaddr_storage
addr(const char *host, uint16_t port)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNSPEC };

	if (strchr(host, ':') == NULL) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET, host, &s4->sin_addr), 1);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET6, host, &s6->sin6_addr), 1);
	}
	return ss;
}

/* ------------------------------------------------------------------------ */
/* Accepted subscriptions                                                   */
/* ------------------------------------------------------------------------ */

static const struct accept_case {
	const char *q[MAXQ + 1];
	const char *ep;
	uint64_t lifetime;
	uint32_t interval;
	uint8_t ttl;
} accept_cases[] = {
	{ { "ep=node1" }, "node1", 86400, 25, 0 },
	{ { "ep=node1", "lt=3600" }, "node1", 3600, 25, 0 },
	{ { "lt=3600", "ep=node1" }, "node1", 3600, 25, 0 },
	{ { "ep=node1", "lt=3600", "ttl=64", "interval=30" }, "node1", 3600, 30, 64 },
	{ { "interval=20", "ttl=128", "lt=120", "ep=z" }, "z", 120, 20, 128 },
	/* lt: clamped up to lifetime-min, down to lifetime-max */
	{ { "ep=n", "lt=1" }, "n", 60, 25, 0 },
	{ { "ep=n", "lt=59" }, "n", 60, 25, 0 },
	{ { "ep=n", "lt=60" }, "n", 60, 25, 0 },
	{ { "ep=n", "lt=61" }, "n", 61, 25, 0 },
	{ { "ep=n", "lt=604799" }, "n", 604799, 25, 0 },
	{ { "ep=n", "lt=604800" }, "n", 604800, 25, 0 },
	{ { "ep=n", "lt=604801" }, "n", 604800, 25, 0 },
	{ { "ep=n", "lt=4294967295" }, "n", 604800, 25, 0 },
	/* ttl: the whole range */
	{ { "ep=n", "ttl=1" }, "n", 86400, 25, 1 },
	{ { "ep=n", "ttl=9" }, "n", 86400, 25, 9 },
	{ { "ep=n", "ttl=64" }, "n", 86400, 25, 64 },
	{ { "ep=n", "ttl=255" }, "n", 86400, 25, 255 },
	/* interval: clamped into [interval-min, interval-max] */
	{ { "ep=n", "interval=1" }, "n", 86400, 15, 0 },
	{ { "ep=n", "interval=14" }, "n", 86400, 15, 0 },
	{ { "ep=n", "interval=15" }, "n", 86400, 15, 0 },
	{ { "ep=n", "interval=16" }, "n", 86400, 16, 0 },
	{ { "ep=n", "interval=3599" }, "n", 86400, 3599, 0 },
	{ { "ep=n", "interval=3600" }, "n", 86400, 3600, 0 },
	{ { "ep=n", "interval=3601" }, "n", 86400, 3600, 0 },
	{ { "ep=n", "interval=4294967295" }, "n", 86400, 3600, 0 },
	/* ep: every allowed character class, both length limits */
	{ { "ep=x" }, "x", 86400, 25, 0 },
	{ { "ep=" EP63 }, EP63, 86400, 25, 0 },
	{ { "ep=!#$%'()*+,-.:;<=>@[\\]^_`{|}~" }, "!#$%'()*+,-.:;<=>@[\\]^_`{|}~", 86400, 25, 0 },
	{ { "ep=a=b" }, "a=b", 86400, 25, 0 },
	{ { "ep==" }, "=", 86400, 25, 0 },
	{ { "ep=0" }, "0", 86400, 25, 0 },
	/* names match without regard to case, like rdd's */
	{ { "EP=Node", "Lt=100", "TTL=3", "Interval=40" }, "Node", 100, 40, 3 },
};

START_TEST(test_accept)
{
	const struct accept_case *c = &accept_cases[_i];
	struct kaasd_sub_req r;
	char diag[128] = "";

	ck_assert_int_eq(subscribe(&def_pol, c->q, &r, diag, sizeof(diag)), 0);
	ck_assert_str_eq(diag, "");
	ck_assert_str_eq(r.ep, c->ep);
	ck_assert_uint_eq(r.lifetime, c->lifetime);
	ck_assert_uint_eq(r.interval, c->interval);
	ck_assert_uint_eq(r.ttl_hint, c->ttl);
}
END_TEST

/* The defaults themselves go through the same clamping. */
START_TEST(test_defaults_clamped)
{
	const char *q[] = { "ep=n", NULL };
	struct kaasd_req_policy pol = def_pol;
	struct kaasd_sub_req r;
	char diag[64];

	pol.lifetime_default = 10;
	pol.interval = 5;
	ck_assert_int_eq(subscribe(&pol, q, &r, diag, sizeof(diag)), 0);
	ck_assert_uint_eq(r.lifetime, 60);
	ck_assert_uint_eq(r.interval, 15);

	pol.lifetime_default = 10 * 86400;
	pol.interval = 7200;
	ck_assert_int_eq(subscribe(&pol, q, &r, diag, sizeof(diag)), 0);
	ck_assert_uint_eq(r.lifetime, 7 * 86400);
	ck_assert_uint_eq(r.interval, 3600);
}
END_TEST

/* Other windows: a wide one (nothing clamped), a degenerate one, and a zero minimum. */
START_TEST(test_policy_windows)
{
	const char *wide[] = { "ep=n", "lt=4294967295", "interval=4294967295", NULL };
	const char *low[] = { "ep=n", "lt=1", "interval=1", NULL };
	struct kaasd_req_policy pol = def_pol;
	struct kaasd_sub_req r;
	char diag[64];

	pol.lifetime_min = 1;
	pol.lifetime_max = UINT64_MAX;
	pol.interval_min = 1;
	pol.interval_max = UINT64_MAX;
	ck_assert_int_eq(subscribe(&pol, wide, &r, diag, sizeof(diag)), 0);
	ck_assert_uint_eq(r.lifetime, 4294967295u);
	ck_assert_uint_eq(r.interval, 4294967295u);
	ck_assert_int_eq(subscribe(&pol, low, &r, diag, sizeof(diag)), 0);
	ck_assert_uint_eq(r.lifetime, 1);
	ck_assert_uint_eq(r.interval, 1);

	/* min 0 still means at least 1 s */
	pol.lifetime_min = 0;
	pol.interval_min = 0;
	pol.lifetime_default = 0;
	pol.interval = 0;
	ck_assert_int_eq(subscribe(&pol, (const char *[]){ "ep=n", NULL }, &r, diag, sizeof(diag)),
			 0);
	ck_assert_uint_eq(r.lifetime, 1);
	ck_assert_uint_eq(r.interval, 1);

	/* min == max pins every request */
	pol = def_pol;
	pol.lifetime_min = pol.lifetime_max = 300;
	pol.interval_min = pol.interval_max = 20;
	ck_assert_int_eq(subscribe(&pol, low, &r, diag, sizeof(diag)), 0);
	ck_assert_uint_eq(r.lifetime, 300);
	ck_assert_uint_eq(r.interval, 20);
	ck_assert_int_eq(subscribe(&pol, wide, &r, diag, sizeof(diag)), 0);
	ck_assert_uint_eq(r.lifetime, 300);
	ck_assert_uint_eq(r.interval, 20);
}
END_TEST

/* Options other than Uri-Query never count as parameters. */
START_TEST(test_only_uri_query)
{
	static const uint8_t token[] = { 1 };
	uint8_t buf[256];
	struct ti_msgw w;
	struct ti_msg m;
	struct kaasd_sub_req r;
	char diag[64] = "";
	size_t len;

	ti_msgw_init(&w, buf, sizeof(buf), TI_MSG_CON, TI_CODE(0, 2), 7, token, sizeof(token));
	ti_msgw_opt(&w, TI_OPT_URI_HOST, "ep=a", 4);
	ti_msgw_opt(&w, TI_OPT_URI_PATH, "ep=b", 4);
	ti_msgw_opt(&w, TI_OPT_PROXY_URI, "coap://h/kaas?ep=c", 18);
	len = ti_msgw_finish(&w);
	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(ti_msg_parse(buf, len, &m), 0);
	ck_assert_int_eq(kaasd_req_subscribe(&m, &def_pol, &r, diag, sizeof(diag)), TI_CODE(4, 0));
	ck_assert_str_eq(diag, "ep: missing");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Rejected subscriptions                                                   */
/* ------------------------------------------------------------------------ */

static const struct reject_case {
	const char *q[MAXQ + 1];
	const char *diag;
} reject_cases[] = {
	/* ep */
	{ { NULL }, "ep: missing" },
	{ { "lt=60", "ttl=3" }, "ep: missing" },
	{ { "lt=abc" }, "ep: missing" },
	{ { "ep=" }, "ep: empty value" },
	{ { "ep" }, "ep: empty value" },
	{ { "ep=" EP64 }, "ep: too long (max 63 bytes)" },
	{ { "ep=a b" }, "ep: bad character 0x20" },
	{ { "ep=a&b" }, "ep: bad character 0x26" },
	{ { "ep=a?b" }, "ep: bad character 0x3f" },
	{ { "ep=a/b" }, "ep: bad character 0x2f" },
	{ { "ep=a\"b" }, "ep: bad character 0x22" },
	{ { "ep=\x7f" }, "ep: bad character 0x7f" },
	{ { "ep=a\tb" }, "ep: bad character 0x09" },
	{ { "ep=caf\xc3\xa9" }, "ep: bad character 0xc3" },
	{ { "ep= n" }, "ep: bad character 0x20" },
	/* structure: duplicates, unknown names, empty names and values */
	{ { "ep=a", "ep=a" }, "ep: given twice" },
	{ { "ep=a", "EP=b" }, "ep: given twice" },
	{ { "ep=a", "lt=60", "lt=60" }, "lt: given twice" },
	{ { "ep=a", "ttl=3", "ttl=4" }, "ttl: given twice" },
	{ { "ep=a", "interval=30", "interval=30" }, "interval: given twice" },
	{ { "lt=abc", "lt=5", "ep=a" }, "lt: given twice" },
	{ { "ep=a", "ep" }, "ep: given twice" },
	{ { "ep=a", "foo=1" }, "foo: unknown parameter" },
	{ { "foo=1", "ep=a" }, "foo: unknown parameter" },
	{ { "ep=a", "d=x" }, "d: unknown parameter" },
	{ { "ep=a", "base=coap://h" }, "base: unknown parameter" },
	{ { "ep=a", "eps=1" }, "eps: unknown parameter" },
	{ { "ep=a", "l=1" }, "l: unknown parameter" },
	{ { "ep=a", "intervals=1" }, "intervals: unknown parameter" },
	{ { "ep=a", "foo" }, "foo: unknown parameter" },
	{ { "ep =a" }, "unknown parameter" },
	{ { "ep=a", "Ep.=1" }, "Ep.: unknown parameter" },
	{ { "ep=a", "f\x01o=1" }, "unknown parameter" },
	{ { "ep=a", "abcdefghijklmnopqrstuvwxyzabcdefghij=1" }, "unknown parameter" },
	{ { "ep=a", "=5" }, "empty parameter name" },
	{ { "ep=a", "" }, "empty parameter name" },
	{ { "ep=a", "=" }, "empty parameter name" },
	/* lt */
	{ { "ep=a", "lt=" }, "lt: empty value" },
	{ { "ep=a", "lt" }, "lt: empty value" },
	{ { "ep=a", "lt=abc" }, "lt: not a number" },
	{ { "ep=a", "lt=-5" }, "lt: not a number" },
	{ { "ep=a", "lt=+5" }, "lt: not a number" },
	{ { "ep=a", "lt= 5" }, "lt: not a number" },
	{ { "ep=a", "lt=5 " }, "lt: not a number" },
	{ { "ep=a", "lt=1.5" }, "lt: not a number" },
	{ { "ep=a", "lt=1h" }, "lt: not a number" },
	{ { "ep=a", "lt=0x10" }, "lt: not a number" },
	{ { "ep=a", "lt=1e3" }, "lt: not a number" },
	{ { "ep=a", "lt=05" }, "lt: leading zero" },
	{ { "ep=a", "lt=00" }, "lt: leading zero" },
	{ { "ep=a", "lt=0" }, "lt: out of range (1-4294967295)" },
	{ { "ep=a", "lt=4294967296" }, "lt: out of range (1-4294967295)" },
	{ { "ep=a", "lt=18446744073709551615" }, "lt: out of range (1-4294967295)" },
	{ { "ep=a", "lt=18446744073709551616" }, "lt: out of range (1-4294967295)" },
	{ { "ep=a", "lt=99999999999999999999999999999" }, "lt: out of range (1-4294967295)" },
	/* ttl */
	{ { "ep=a", "ttl=" }, "ttl: empty value" },
	{ { "ep=a", "ttl" }, "ttl: empty value" },
	{ { "ep=a", "ttl=abc" }, "ttl: not a number" },
	{ { "ep=a", "ttl=-1" }, "ttl: not a number" },
	{ { "ep=a", "ttl=064" }, "ttl: leading zero" },
	{ { "ep=a", "ttl=0" }, "ttl: out of range (1-255)" },
	{ { "ep=a", "ttl=256" }, "ttl: out of range (1-255)" },
	{ { "ep=a", "ttl=4294967297" }, "ttl: out of range (1-255)" },
	/* interval */
	{ { "ep=a", "interval=" }, "interval: empty value" },
	{ { "ep=a", "interval=-1" }, "interval: not a number" },
	{ { "ep=a", "interval=25s" }, "interval: not a number" },
	{ { "ep=a", "interval=00" }, "interval: leading zero" },
	{ { "ep=a", "interval=0" }, "interval: out of range (1-4294967295)" },
	{ { "ep=a", "interval=4294967296" }, "interval: out of range (1-4294967295)" },
	/* the first bad value wins, in the order ep, lt, ttl, interval */
	{ { "interval=x", "ttl=x", "lt=x", "ep=a" }, "lt: not a number" },
	{ { "interval=x", "ttl=x", "ep=a" }, "ttl: not a number" },
	{ { "interval=x", "lt=x", "ep=a b" }, "ep: bad character 0x20" },
};

START_TEST(test_reject)
{
	const struct reject_case *c = &reject_cases[_i];
	struct kaasd_sub_req r, before;
	char diag[128] = "";

	memset(&r, 0xa5, sizeof(r));
	memcpy(&before, &r, sizeof(r));
	ck_assert_int_eq(subscribe(&def_pol, c->q, &r, diag, sizeof(diag)), TI_CODE(4, 0));
	ck_assert_str_eq(diag, c->diag);
	/* ret_req is written on success only */
	ck_assert_mem_eq(&r, &before, sizeof(r));
}
END_TEST

/* NUL bytes inside option values and names (CoAP strings are counted, not terminated). */
START_TEST(test_reject_nul)
{
	static const struct {
		struct q q[3];
		const char *diag;
	} cases[] = {
		{ { { "ep=a\0b", 6 } }, "ep: bad character 0x00" },
		{ { { "ep=\0", 4 } }, "ep: bad character 0x00" },
		{ { { "ep=a", 0 }, { "lt=1\0", 5 } }, "lt: not a number" },
		{ { { "ep=a", 0 }, { "ttl=\0001", 6 } }, "ttl: not a number" },
		{ { { "ep\0=a", 5 } }, "unknown parameter" },
		{ { { "\0", 1 } }, "unknown parameter" },
	};

	for (size_t i = 0; i < TI_ARRAY_SIZE(cases); i++) {
		struct kaasd_sub_req r;
		char diag[64] = "";

		ck_assert_int_eq(subscribe_q(&def_pol, cases[i].q, &r, diag, sizeof(diag)),
				 TI_CODE(4, 0));
		ck_assert_str_eq(diag, cases[i].diag);
	}
}
END_TEST

/* A short or absent diagnostic buffer stays safe. */
START_TEST(test_diag_buffer)
{
	const char *q[] = { "ep=a", "lt=abc", NULL };
	struct kaasd_sub_req r;
	char small[5] = "xxxx";

	ck_assert_int_eq(subscribe(&def_pol, q, &r, small, sizeof(small)), TI_CODE(4, 0));
	ck_assert_str_eq(small, "lt: ");
	ck_assert_int_eq(subscribe(&def_pol, q, &r, NULL, 0), TI_CODE(4, 0));
	small[0] = 'x';
	ck_assert_int_eq(subscribe(&def_pol, q, &r, small, 0), TI_CODE(4, 0));
	ck_assert_int_eq(small[0], 'x');
}
END_TEST

START_TEST(test_null_args)
{
	struct ti_msg m = { .n_opts = 0 };
	struct kaasd_sub_req r;
	char diag[64];

	ck_assert_int_eq(kaasd_req_subscribe(NULL, &def_pol, &r, diag, sizeof(diag)),
			 TI_CODE(5, 0));
	ck_assert_int_eq(kaasd_req_subscribe(&m, NULL, &r, diag, sizeof(diag)), TI_CODE(5, 0));
	ck_assert_int_eq(kaasd_req_subscribe(&m, &def_pol, NULL, diag, sizeof(diag)),
			 TI_CODE(5, 0));
	ck_assert_str_eq(diag, "internal error");
}
END_TEST

START_TEST(test_ep_valid)
{
	char all[0x7f - 0x21 + 1];
	size_t n = 0;

	ck_assert_int_eq(kaasd_req_ep_valid("node1", 5), 1);
	ck_assert_int_eq(kaasd_req_ep_valid("x", 1), 1);
	ck_assert_int_eq(kaasd_req_ep_valid(EP63, 63), 1);
	ck_assert_int_eq(kaasd_req_ep_valid(EP64, 64), 0);
	ck_assert_int_eq(kaasd_req_ep_valid("", 0), 0);
	ck_assert_int_eq(kaasd_req_ep_valid(NULL, 3), 0);
	/* len is what counts, not the NUL */
	ck_assert_int_eq(kaasd_req_ep_valid("ab/c", 2), 1);
	ck_assert_int_eq(kaasd_req_ep_valid("a\0b", 3), 0);
	for (int c = 0; c < 256; c++) {
		char s[3] = { 'a', (char)c, 'b' };
		int ok = c >= 0x21 && c <= 0x7e && c != '&' && c != '?' && c != '/' && c != '"';

		ck_assert_msg(kaasd_req_ep_valid(s, 3) == ok, "character 0x%02x", c);
		if (ok)
			all[n++] = (char)c;
	}
	/* 94 printable characters minus the four forbidden ones */
	ck_assert_uint_eq(n, 90);
	ck_assert_int_eq(kaasd_req_ep_valid(all, 63), 1);
	ck_assert_int_eq(kaasd_req_ep_valid(all + 27, 63), 1);
	ck_assert_int_eq(kaasd_req_ep_valid(all, 64), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Source addresses                                                         */
/* ------------------------------------------------------------------------ */

static const struct peer_case {
	const char *host;
	uint16_t port;
	int allow_loopback;
	const char *diag; /* NULL: accepted */
} peer_cases[] = {
	/* IPv4 refused */
	{ "0.0.0.0", 5683, 0, "unspecified address refused" },
	{ "0.0.0.0", 5683, 1, "unspecified address refused" },
	{ "0.1.2.3", 5683, 0, "this-network address refused" },
	{ "0.255.255.255", 5683, 0, "this-network address refused" },
	{ "127.0.0.1", 5683, 0, "loopback address refused" },
	{ "127.255.255.254", 5683, 0, "loopback address refused" },
	{ "127.1.2.3", 5683, 0, "loopback address refused" },
	{ "224.0.0.1", 5683, 0, "multicast address refused" },
	{ "224.0.0.1", 5683, 1, "multicast address refused" },
	{ "239.255.255.255", 5683, 0, "multicast address refused" },
	{ "240.0.0.1", 5683, 0, "reserved address refused" },
	{ "250.1.2.3", 5683, 1, "reserved address refused" },
	{ "255.255.255.254", 5683, 0, "reserved address refused" },
	{ "255.255.255.255", 5683, 0, "broadcast address refused" },
	{ "255.255.255.255", 5683, 1, "broadcast address refused" },
	{ "203.0.113.7", 0, 0, "port 0 refused" },
	{ "127.0.0.1", 0, 1, "port 0 refused" },
	/* IPv4 accepted: documentation, private, shared, edges of the refused blocks */
	{ "127.0.0.1", 5683, 1, NULL },
	{ "127.255.255.255", 1, 1, NULL },
	{ "192.0.2.1", 5683, 0, NULL },
	{ "198.51.100.200", 40001, 0, NULL },
	{ "203.0.113.7", 65535, 0, NULL },
	{ "10.0.0.1", 5683, 0, NULL },
	{ "172.16.5.4", 5683, 0, NULL },
	{ "192.168.1.1", 5683, 0, NULL },
	{ "100.64.0.1", 5683, 0, NULL },
	{ "169.254.1.1", 5683, 0, NULL },
	{ "1.0.0.0", 5683, 0, NULL },
	{ "126.255.255.255", 5683, 0, NULL },
	{ "128.0.0.0", 5683, 0, NULL },
	{ "223.255.255.255", 5683, 0, NULL },
	/* IPv6 refused */
	{ "::", 5683, 0, "unspecified address refused" },
	{ "::", 5683, 1, "unspecified address refused" },
	{ "::1", 5683, 0, "loopback address refused" },
	{ "ff02::1", 5683, 0, "multicast address refused" },
	{ "ff05::fd", 5683, 1, "multicast address refused" },
	{ "ff0e::1", 5683, 0, "multicast address refused" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 5683, 0, "multicast address refused" },
	{ "2001:db8::7", 0, 0, "port 0 refused" },
	/* IPv6 accepted */
	{ "::1", 5683, 1, NULL },
	{ "2001:db8::7", 40001, 0, NULL },
	{ "2001:db8:ffff::1", 1, 0, NULL },
	{ "fd00::1", 5683, 0, NULL },
	{ "fe80::1", 5683, 0, NULL },
	{ "2a00:1450::1", 5683, 0, NULL },
	{ "::2", 5683, 0, NULL },
	{ "feff:ffff::1", 5683, 0, NULL },
	{ "64:ff9b::203.0.113.7", 5683, 0, NULL },
	/* IPv4-mapped IPv6: the IPv4 rules */
	{ "::ffff:0.0.0.0", 5683, 0, "unspecified address refused" },
	{ "::ffff:0.0.0.1", 5683, 0, "this-network address refused" },
	{ "::ffff:127.0.0.1", 5683, 0, "loopback address refused" },
	{ "::ffff:127.0.0.1", 5683, 1, NULL },
	{ "::ffff:224.0.0.251", 5683, 0, "multicast address refused" },
	{ "::ffff:239.1.1.1", 5683, 1, "multicast address refused" },
	{ "::ffff:240.0.0.0", 5683, 0, "reserved address refused" },
	{ "::ffff:255.255.255.255", 5683, 0, "broadcast address refused" },
	{ "::ffff:203.0.113.7", 0, 0, "port 0 refused" },
	{ "::ffff:203.0.113.7", 5683, 0, NULL },
	{ "::ffff:10.1.2.3", 5683, 0, NULL },
	{ "::ffff:192.0.2.1", 5683, 0, NULL },
};

START_TEST(test_check_peer)
{
	const struct peer_case *c = &peer_cases[_i];
	struct sockaddr_storage ss = addr(c->host, c->port);
	char diag[64] = "";
	int code =
	    kaasd_req_check_peer((struct sockaddr *)&ss, c->allow_loopback, diag, sizeof(diag));

	if (c->diag == NULL) {
		ck_assert_msg(code == 0, "%s port %u refused: %s", c->host, c->port, diag);
		ck_assert_str_eq(diag, "");
	} else {
		ck_assert_int_eq(code, TI_CODE(4, 3));
		ck_assert_str_eq(diag, c->diag);
	}
}
END_TEST

START_TEST(test_check_peer_other)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sockaddr_storage ss = { .ss_family = AF_UNSPEC };
	char diag[64] = "";

	ck_assert_int_eq(kaasd_req_check_peer((struct sockaddr *)&un, 1, diag, sizeof(diag)),
			 TI_CODE(4, 3));
	ck_assert_str_eq(diag, "address family not supported");
	ck_assert_int_eq(kaasd_req_check_peer((struct sockaddr *)&ss, 1, diag, sizeof(diag)),
			 TI_CODE(4, 3));
	ck_assert_int_eq(kaasd_req_check_peer(NULL, 1, diag, sizeof(diag)), TI_CODE(4, 3));
	ck_assert_str_eq(diag, "no source address");
	ss = addr("127.0.0.1", 5683);
	ck_assert_int_eq(kaasd_req_check_peer((struct sockaddr *)&ss, 0, NULL, 0), TI_CODE(4, 3));
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Prefix keys                                                              */
/* ------------------------------------------------------------------------ */

static void
key_of(const char *host, uint16_t port, uint8_t key[8])
{
	struct sockaddr_storage ss = addr(host, port);

	memset(key, 0x5a, 8);
	kaasd_req_prefix((struct sockaddr *)&ss, key);
}

static int
same_prefix(const char *a, const char *b)
{
	uint8_t ka[8], kb[8];

	key_of(a, 1000, ka);
	key_of(b, 2000, kb);
	return memcmp(ka, kb, 8) == 0;
}

static const struct prefix_case {
	const char *a, *b;
	int same;
} prefix_cases[] = {
	{ "203.0.113.7", "203.0.113.7", 1 },
	{ "203.0.113.7", "203.0.113.0", 1 },
	{ "203.0.113.7", "203.0.113.255", 1 },
	{ "203.0.113.7", "::ffff:203.0.113.200", 1 },
	{ "::ffff:10.0.0.1", "10.0.0.254", 1 },
	{ "203.0.113.7", "203.0.114.7", 0 },
	{ "203.0.113.7", "203.1.113.7", 0 },
	{ "203.0.113.7", "204.0.113.7", 0 },
	{ "203.0.113.7", "::ffff:203.0.112.7", 0 },
	{ "0.0.0.1", "::1", 0 },
	{ "2001:db8:1:2::1", "2001:db8:1:2::1", 1 },
	{ "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", 1 },
	{ "2001:db8:1:2::", "2001:db8:1:2:8000::", 1 },
	{ "2001:db8:1:2::1", "2001:db8:1:3::1", 0 },
	{ "2001:db8:1:2::1", "2001:db9:1:2::1", 0 },
	{ "2001:db8:1:2::1", "3001:db8:1:2::1", 0 },
	{ "2001:db8:1:2::1", "2001:db8:1:2:0:0:0:1", 1 },
	/* across families, including IPv6 prefixes that spell the IPv4 bytes */
	{ "203.0.113.7", "::203.0.113.7", 0 },
	{ "203.0.113.7", "4cb:71::1", 0 },
	{ "203.0.113.7", "0400:cb00:7100::1", 0 },
	{ "203.0.113.7", "cb00:7100::1", 0 },
	{ "203.0.113.7", "ff04:cb00:7100::1", 1 }, /* multicast: refused by check_peer */
	{ "0.0.0.0", "::", 0 },
	{ "10.0.0.1", "a00:1::", 0 },
};

START_TEST(test_prefix)
{
	const struct prefix_case *c = &prefix_cases[_i];

	ck_assert_msg(same_prefix(c->a, c->b) == c->same, "%s vs %s: expected %s", c->a, c->b,
		      c->same ? "same key" : "different keys");
	ck_assert_int_eq(same_prefix(c->b, c->a), c->same);
}
END_TEST

/* The documented layout, byte for byte. */
START_TEST(test_prefix_layout)
{
	static const uint8_t v4[8] = { 0xff, 0x04, 203, 0, 113, 0, 0, 0 };
	static const uint8_t v6[8] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02 };
	static const uint8_t other[8] = { 0xff, 0, 0, 0, 0, 0, 0, 0 };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	uint8_t key[8];

	key_of("203.0.113.77", 5683, key);
	ck_assert_mem_eq(key, v4, 8);
	key_of("::ffff:203.0.113.1", 5683, key);
	ck_assert_mem_eq(key, v4, 8);
	key_of("2001:db8:1:2:3:4:5:6", 5683, key);
	ck_assert_mem_eq(key, v6, 8);
	memset(key, 0x5a, sizeof(key));
	kaasd_req_prefix((struct sockaddr *)&un, key);
	ck_assert_mem_eq(key, other, 8);
	memset(key, 0x5a, sizeof(key));
	kaasd_req_prefix(NULL, key);
	ck_assert_mem_eq(key, other, 8);
}
END_TEST

/* Every address check_peer accepts has a key whose family can be told from its first byte. */
START_TEST(test_prefix_families_disjoint)
{
	for (size_t i = 0; i < TI_ARRAY_SIZE(peer_cases); i++) {
		const struct peer_case *c = &peer_cases[i];
		struct sockaddr_storage ss = addr(c->host, c->port);
		int v4 = strchr(c->host, ':') == NULL || strncmp(c->host, "::ffff:", 7) == 0;
		uint8_t key[8];

		if (c->diag != NULL)
			continue;
		kaasd_req_prefix((struct sockaddr *)&ss, key);
		ck_assert_msg((key[0] == 0xff) == v4, "%s", c->host);
		if (v4)
			ck_assert_int_eq(key[1], 0x04);
	}
}
END_TEST

Suite *
kaasd_req_suite(void)
{
	Suite *s = suite_create("kaasd_req");
	TCase *tc;

	tc = tcase_create("subscribe");
	tcase_add_loop_test(tc, test_accept, 0, TI_ARRAY_SIZE(accept_cases));
	tcase_add_test(tc, test_defaults_clamped);
	tcase_add_test(tc, test_policy_windows);
	tcase_add_test(tc, test_only_uri_query);
	tcase_add_loop_test(tc, test_reject, 0, TI_ARRAY_SIZE(reject_cases));
	tcase_add_test(tc, test_reject_nul);
	tcase_add_test(tc, test_diag_buffer);
	tcase_add_test(tc, test_null_args);
	tcase_add_test(tc, test_ep_valid);
	suite_add_tcase(s, tc);

	tc = tcase_create("peer");
	tcase_add_loop_test(tc, test_check_peer, 0, TI_ARRAY_SIZE(peer_cases));
	tcase_add_test(tc, test_check_peer_other);
	suite_add_tcase(s, tc);

	tc = tcase_create("prefix");
	tcase_add_loop_test(tc, test_prefix, 0, TI_ARRAY_SIZE(prefix_cases));
	tcase_add_test(tc, test_prefix_layout);
	tcase_add_test(tc, test_prefix_families_disjoint);
	suite_add_tcase(s, tc);
	return s;
}
