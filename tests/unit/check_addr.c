/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ti_addr: CoAP URI parsing and resolving, address formatting and comparison. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include <check.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_util.h"
#include "check_main.h"

START_TEST(test_transport_tables)
{
	ck_assert_str_eq(ti_transport_scheme(TI_TRANSPORT_UDP), "coap");
	ck_assert_str_eq(ti_transport_scheme(TI_TRANSPORT_DTLS), "coaps");
	ck_assert_str_eq(ti_transport_scheme(TI_TRANSPORT_TCP), "coap+tcp");
	ck_assert_str_eq(ti_transport_scheme(TI_TRANSPORT_TLS), "coaps+tcp");
	ck_assert_str_eq(ti_transport_name(TI_TRANSPORT_UDP), "udp");
	ck_assert_str_eq(ti_transport_name(TI_TRANSPORT_DTLS), "dtls");
	ck_assert_str_eq(ti_transport_name(TI_TRANSPORT_TCP), "tcp");
	ck_assert_str_eq(ti_transport_name(TI_TRANSPORT_TLS), "tls");
	ck_assert_uint_eq(ti_transport_default_port(TI_TRANSPORT_UDP), 5683);
	ck_assert_uint_eq(ti_transport_default_port(TI_TRANSPORT_DTLS), 5684);
	ck_assert_uint_eq(ti_transport_default_port(TI_TRANSPORT_TCP), 5683);
	ck_assert_uint_eq(ti_transport_default_port(TI_TRANSPORT_TLS), 5684);
}
END_TEST

static const struct {
	const char *s;
	enum ti_transport transport;
	const char *host;
	uint16_t port;
	int port_given;
	const char *path;
	const char *query;
} good_uris[] = {
	{ "coap://host", TI_TRANSPORT_UDP, "host", 5683, 0, "", "" },
	{ "coap://host/", TI_TRANSPORT_UDP, "host", 5683, 0, "/", "" },
	{ "coap://1.2.3.4:5683/path?q", TI_TRANSPORT_UDP, "1.2.3.4", 5683, 1, "/path", "q" },
	{ "coap://rd.example.com:1/a/b/c?x=1&y=2", TI_TRANSPORT_UDP, "rd.example.com", 1, 1,
	  "/a/b/c", "x=1&y=2" },
	{ "coap://[2001:db8::1]:5783", TI_TRANSPORT_UDP, "2001:db8::1", 5783, 1, "", "" },
	{ "coap://[::]", TI_TRANSPORT_UDP, "::", 5683, 0, "", "" },
	{ "coap://[::ffff:192.0.2.1]:65535/rd", TI_TRANSPORT_UDP, "::ffff:192.0.2.1", 65535, 1,
	  "/rd", "" },
	{ "coap+tcp://host", TI_TRANSPORT_TCP, "host", 5683, 0, "", "" },
	{ "coap+tcp://127.0.0.1:6000/x", TI_TRANSPORT_TCP, "127.0.0.1", 6000, 1, "/x", "" },
	{ "coaps://host", TI_TRANSPORT_DTLS, "host", 5684, 0, "", "" },
	{ "coaps://host:5683", TI_TRANSPORT_DTLS, "host", 5683, 1, "", "" },
	{ "coaps+tcp://[::1]", TI_TRANSPORT_TLS, "::1", 5684, 0, "", "" },
	{ "COAP://Host", TI_TRANSPORT_UDP, "Host", 5683, 0, "", "" },
	{ "coap://host?rt=core.rd", TI_TRANSPORT_UDP, "host", 5683, 0, "", "rt=core.rd" },
	{ "coap://host:99?", TI_TRANSPORT_UDP, "host", 99, 1, "", "" },
	{ "coap://host/.well-known/core?a?b", TI_TRANSPORT_UDP, "host", 5683, 0,
	  "/.well-known/core", "a?b" },
	{ "coap://0.0.0.0:00080", TI_TRANSPORT_UDP, "0.0.0.0", 80, 1, "", "" },
};

START_TEST(test_uri_parse_good)
{
	struct ti_uri u;

	ck_assert_msg(ti_uri_parse(good_uris[_i].s, &u) == 0, "'%s' rejected", good_uris[_i].s);
	ck_assert_int_eq(u.transport, good_uris[_i].transport);
	ck_assert_str_eq(u.host, good_uris[_i].host);
	ck_assert_uint_eq(u.port, good_uris[_i].port);
	ck_assert_int_eq(u.port_given, good_uris[_i].port_given);
	ck_assert_str_eq(u.path, good_uris[_i].path);
	ck_assert_str_eq(u.query, good_uris[_i].query);
}
END_TEST

static const struct {
	const char *s;
	int ret;
} bad_uris[] = {
	{ "", TI_EPARSE },
	{ "host", TI_EPARSE },
	{ "host:5683", TI_EPARSE },
	{ "coap:host", TI_EPARSE },
	{ "coap:/host", TI_EPARSE },
	{ "://host", TI_ESCHEME },
	{ "http://host", TI_ESCHEME },
	{ "coapx://host", TI_ESCHEME },
	{ "coap+udp://host", TI_ESCHEME },
	{ "coap://", TI_EPARSE },
	{ "coap:///path", TI_EPARSE },
	{ "coap://:5683", TI_EPARSE },
	{ "coap://?q", TI_EPARSE },
	{ "coap://host:", TI_EPARSE },
	{ "coap://host:/p", TI_EPARSE },
	{ "coap://host:0", TI_ERANGE },
	{ "coap://host:65536", TI_ERANGE },
	{ "coap://host:99999999", TI_ERANGE },
	{ "coap://host:abc", TI_EPARSE },
	{ "coap://host:-1", TI_EPARSE },
	{ "coap://host:+1", TI_EPARSE },
	{ "coap://host:56 83", TI_EPARSE },
	{ "coap://host:5683:1", TI_EPARSE },
	{ "coap://[2001:db8::1", TI_EPARSE },
	{ "coap://[2001:db8::1:5683/x", TI_EPARSE },
	{ "coap://[]", TI_EPARSE },
	{ "coap://[1.2.3.4]", TI_EPARSE },
	{ "coap://[example.com]", TI_EPARSE },
	{ "coap://[fe80::1%eth0]", TI_EPARSE },
	{ "coap://[::1]x", TI_EPARSE },
	{ "coap://2001:db8::1", TI_EPARSE },
	{ "coap://host#frag", TI_EPARSE },
	{ "coap://host/path#frag", TI_EPARSE },
	{ "coap://host/path?q#frag", TI_EPARSE },
	{ "coap://host:5683#", TI_EPARSE },
	{ "coap://user@host", TI_EPARSE },
	{ "coap://ho%41st", TI_EPARSE },
	{ "coap://ho]st", TI_EPARSE },
	{ "coap://host path", TI_EPARSE },
	{ " coap://host", TI_EPARSE },
	{ "coap://host ", TI_EPARSE },
	{ "coap://host/a b", TI_EPARSE },
	{ "coap://host\t", TI_EPARSE },
	{ "coap://host/\n", TI_EPARSE },
	{ "coap://ho\x01st", TI_EPARSE },
	{ "coap://host/\x7f", TI_EPARSE },
	{ "coap://host?\r", TI_EPARSE },
};

START_TEST(test_uri_parse_bad)
{
	struct ti_uri u = { .port = 4242 };

	ck_assert_msg(ti_uri_parse(bad_uris[_i].s, &u) == bad_uris[_i].ret, "'%s' not %d",
		      bad_uris[_i].s, bad_uris[_i].ret);
	/* ret_uri is written on success only. */
	ck_assert_uint_eq(u.port, 4242);
}
END_TEST

START_TEST(test_uri_parse_limits)
{
	char s[600], host[300], path[300];
	struct ti_uri u;

	ck_assert_int_eq(ti_uri_parse(NULL, &u), TI_EPARSE);

	/* host[256]: 255 characters fit, 256 do not. */
	memset(host, 'h', 255);
	host[255] = '\0';
	snprintf(s, sizeof(s), "coap://%s:1/p", host);
	ck_assert_int_eq(ti_uri_parse(s, &u), 0);
	ck_assert_uint_eq(strlen(u.host), 255);
	snprintf(s, sizeof(s), "coap://%sh:1/p", host);
	ck_assert_int_eq(ti_uri_parse(s, &u), TI_EPARSE);

	/* path[256] counts the leading slash. */
	path[0] = '/';
	memset(path + 1, 'p', 254);
	path[255] = '\0';
	snprintf(s, sizeof(s), "coap://h%s?q", path);
	ck_assert_int_eq(ti_uri_parse(s, &u), 0);
	ck_assert_uint_eq(strlen(u.path), 255);
	ck_assert_str_eq(u.query, "q");
	snprintf(s, sizeof(s), "coap://h%sp", path);
	ck_assert_int_eq(ti_uri_parse(s, &u), TI_EPARSE);

	memset(path, 'q', 255);
	path[255] = '\0';
	snprintf(s, sizeof(s), "coap://h?%s", path);
	ck_assert_int_eq(ti_uri_parse(s, &u), 0);
	ck_assert_uint_eq(strlen(u.query), 255);
	snprintf(s, sizeof(s), "coap://h?%sq", path);
	ck_assert_int_eq(ti_uri_parse(s, &u), TI_EPARSE);
}
END_TEST

static struct sockaddr_in
sin4(const char *a, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	ck_assert_int_eq(inet_pton(AF_INET, a, &sin.sin_addr), 1);
	return sin;
}

static struct sockaddr_in6
sin6(const char *a, uint16_t port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	ck_assert_int_eq(inet_pton(AF_INET6, a, &sin6.sin6_addr), 1);
	return sin6;
}

START_TEST(test_addr_format_v4)
{
	struct sockaddr_in a = sin4("203.0.113.7", 40001);
	char buf[TI_ADDR_STRLEN];

	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&a, buf, sizeof(buf)), 17);
	ck_assert_str_eq(buf, "203.0.113.7:40001");
	ck_assert_int_eq(ti_addr_format_host((struct sockaddr *)&a, buf, sizeof(buf)), 11);
	ck_assert_str_eq(buf, "203.0.113.7");
	ck_assert_uint_eq(ti_addr_port((struct sockaddr *)&a), 40001);
	ck_assert_int_eq(ti_addr_is_ipv4((struct sockaddr *)&a), 1);

	a = sin4("255.255.255.255", 65535);
	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&a, buf, sizeof(buf)), 21);
	ck_assert_str_eq(buf, "255.255.255.255:65535");
	a = sin4("0.0.0.0", 0);
	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&a, buf, sizeof(buf)), 9);
	ck_assert_str_eq(buf, "0.0.0.0:0");
}
END_TEST

START_TEST(test_addr_format_v6)
{
	struct sockaddr_in6 a = sin6("2001:db8::7", 40001);
	char buf[TI_ADDR_STRLEN];

	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&a, buf, sizeof(buf)), 19);
	ck_assert_str_eq(buf, "[2001:db8::7]:40001");
	ck_assert_int_eq(ti_addr_format_host((struct sockaddr *)&a, buf, sizeof(buf)), 11);
	ck_assert_str_eq(buf, "2001:db8::7");
	ck_assert_uint_eq(ti_addr_port((struct sockaddr *)&a), 40001);
	ck_assert_int_eq(ti_addr_is_ipv4((struct sockaddr *)&a), 0);

	a = sin6("::1", 5683);
	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&a, buf, sizeof(buf)), 10);
	ck_assert_str_eq(buf, "[::1]:5683");

	/* The longest form fits TI_ADDR_STRLEN. */
	a = sin6("1111:2222:3333:4444:5555:6666:7777:8888", 65535);
	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&a, buf, sizeof(buf)), 47);
	ck_assert_str_eq(buf, "[1111:2222:3333:4444:5555:6666:7777:8888]:65535");
	a = sin6("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 65535);
	ck_assert_int_gt(ti_addr_format((struct sockaddr *)&a, buf, sizeof(buf)), 0);
	ck_assert_uint_lt(strlen(buf), TI_ADDR_STRLEN);
}
END_TEST

START_TEST(test_addr_format_mapped)
{
	struct sockaddr_in6 a = sin6("::ffff:203.0.113.7", 40001);
	char buf[TI_ADDR_STRLEN];

	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&a, buf, sizeof(buf)), 17);
	ck_assert_str_eq(buf, "203.0.113.7:40001");
	ck_assert_int_eq(ti_addr_format_host((struct sockaddr *)&a, buf, sizeof(buf)), 11);
	ck_assert_str_eq(buf, "203.0.113.7");
	ck_assert_int_eq(ti_addr_is_ipv4((struct sockaddr *)&a), 1);
	ck_assert_uint_eq(ti_addr_port((struct sockaddr *)&a), 40001);

	/* IPv4-compatible (deprecated) and NAT64 addresses stay IPv6. */
	a = sin6("::203.0.113.7", 1);
	ck_assert_int_eq(ti_addr_is_ipv4((struct sockaddr *)&a), 0);
	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&a, buf, sizeof(buf)), 17);
	ck_assert_str_eq(buf, "[::203.0.113.7]:1");
	a = sin6("64:ff9b::cb00:7107", 1);
	ck_assert_int_eq(ti_addr_is_ipv4((struct sockaddr *)&a), 0);
}
END_TEST

START_TEST(test_addr_format_errors)
{
	struct sockaddr_in a = sin4("203.0.113.7", 40001);
	struct sockaddr_in6 b = sin6("2001:db8::7", 40001);
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/x" };
	char buf[TI_ADDR_STRLEN];

	/* "203.0.113.7:40001" is 17 characters: 18 bytes fit, 17 do not. */
	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&a, buf, 18), 17);
	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&a, buf, 17), -ENOSPC);
	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&a, buf, 4), -ENOSPC);
	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&b, buf, 20), 19);
	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&b, buf, 19), -ENOSPC);
	ck_assert_int_eq(ti_addr_format_host((struct sockaddr *)&a, buf, 12), 11);
	ck_assert_int_eq(ti_addr_format_host((struct sockaddr *)&a, buf, 11), -ENOSPC);
	ck_assert_int_eq(ti_addr_format_host((struct sockaddr *)&b, buf, 11), -ENOSPC);

	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&un, buf, sizeof(buf)), -EAFNOSUPPORT);
	ck_assert_int_eq(ti_addr_format_host((struct sockaddr *)&un, buf, sizeof(buf)),
			 -EAFNOSUPPORT);
	ck_assert_uint_eq(ti_addr_port((struct sockaddr *)&un), 0);
	ck_assert_int_eq(ti_addr_is_ipv4((struct sockaddr *)&un), 0);
}
END_TEST

START_TEST(test_addr_unmap)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 m = sin6("::ffff:198.51.100.9", 3478);
	struct sockaddr_in want = sin4("198.51.100.9", 3478);
	struct sockaddr_in6 v6 = sin6("2001:db8::9", 3478);
	struct sockaddr_in v4 = sin4("198.51.100.9", 3478);

	memcpy(&ss, &m, sizeof(m));
	ti_addr_unmap(&ss);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&ss, (struct sockaddr *)&want), 1);
	ck_assert_uint_eq(ti_addr_port((struct sockaddr *)&ss), 3478);
	/* Nothing of the old IPv6 address is left behind the sockaddr_in. */
	for (size_t i = sizeof(struct sockaddr_in); i < sizeof(ss); i++)
		ck_assert_int_eq(((unsigned char *)&ss)[i], 0);

	/* Real IPv6 and plain IPv4 are left as they are. */
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, &v6, sizeof(v6));
	ti_addr_unmap(&ss);
	ck_assert_int_eq(memcmp(&ss, &v6, sizeof(v6)), 0);
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, &v4, sizeof(v4));
	ti_addr_unmap(&ss);
	ck_assert_int_eq(memcmp(&ss, &v4, sizeof(v4)), 0);
}
END_TEST

START_TEST(test_addr_equal)
{
	struct sockaddr_in a = sin4("192.0.2.1", 5683), b = sin4("192.0.2.1", 5683);
	struct sockaddr_in c = sin4("192.0.2.2", 5683), d = sin4("192.0.2.1", 5684);
	struct sockaddr_in6 e = sin6("2001:db8::1", 5683), f = sin6("2001:db8::1", 5683);
	struct sockaddr_in6 g = sin6("2001:db8::2", 5683), h = sin6("2001:db8::1", 1);
	struct sockaddr_in6 m = sin6("::ffff:192.0.2.1", 5683);
	struct sockaddr_in6 scoped = sin6("fe80::1", 5683), scoped2 = sin6("fe80::1", 5683);
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/x" };

	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b), 1);
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&c), 0);
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&d), 0);
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&e, (struct sockaddr *)&f), 1);
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&e, (struct sockaddr *)&g), 0);
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&e, (struct sockaddr *)&h), 0);
	/* Families differ: a mapped address is not equal to its IPv4 form. */
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&m), 0);
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&m, (struct sockaddr *)&a), 0);
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&e), 0);
	scoped.sin6_scope_id = 2;
	scoped2.sin6_scope_id = 3;
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&scoped, (struct sockaddr *)&scoped2),
			 0);
	scoped2.sin6_scope_id = 2;
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&scoped, (struct sockaddr *)&scoped2),
			 1);
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&un, (struct sockaddr *)&un), 0);
}
END_TEST

START_TEST(test_uri_resolve_v4)
{
	struct sockaddr_storage ss;
	struct sockaddr_in want = sin4("127.0.0.1", 5683);
	socklen_t len = 0;
	struct ti_uri u;

	ck_assert_int_eq(ti_uri_parse("coap://127.0.0.1/x", &u), 0);
	memset(&ss, 0xa5, sizeof(ss));
	ck_assert_int_eq(ti_uri_resolve(&u, &ss, &len), 0);
	ck_assert_int_eq(len, sizeof(struct sockaddr_in));
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&ss, (struct sockaddr *)&want), 1);
	/* The rest of the storage is zeroed. */
	for (size_t i = len; i < sizeof(ss); i++)
		ck_assert_int_eq(((unsigned char *)&ss)[i], 0);

	ck_assert_int_eq(ti_uri_parse("coaps://0.0.0.0:65535", &u), 0);
	ck_assert_int_eq(ti_uri_resolve(&u, &ss, &len), 0);
	want = sin4("0.0.0.0", 65535);
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&ss, (struct sockaddr *)&want), 1);
}
END_TEST

START_TEST(test_uri_resolve_v6)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 want = sin6("2001:db8::1", 5783);
	char buf[TI_ADDR_STRLEN];
	socklen_t len = 0;
	struct ti_uri u;

	ck_assert_int_eq(ti_uri_parse("coap://[2001:db8::1]:5783", &u), 0);
	ck_assert_int_eq(ti_uri_resolve(&u, &ss, &len), 0);
	ck_assert_int_eq(len, sizeof(struct sockaddr_in6));
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_int_eq(ti_addr_equal((struct sockaddr *)&ss, (struct sockaddr *)&want), 1);

	ck_assert_int_eq(ti_uri_parse("coaps+tcp://[::]", &u), 0);
	ck_assert_int_eq(ti_uri_resolve(&u, &ss, &len), 0);
	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&ss, buf, sizeof(buf)), 9);
	ck_assert_str_eq(buf, "[::]:5684");

	/* A mapped literal resolves as given and prints as IPv4. */
	ck_assert_int_eq(ti_uri_parse("coap://[::ffff:192.0.2.1]:9", &u), 0);
	ck_assert_int_eq(ti_uri_resolve(&u, &ss, &len), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_int_eq(ti_addr_format((struct sockaddr *)&ss, buf, sizeof(buf)), 11);
	ck_assert_str_eq(buf, "192.0.2.1:9");
}
END_TEST

START_TEST(test_uri_resolve_fail)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNIX };
	struct ti_uri u = { .transport = TI_TRANSPORT_UDP, .port = 5683 };
	socklen_t len = 77;

	/* Not a valid literal and not a name (no DNS lookup for ""). */
	ck_assert_int_eq(ti_uri_resolve(&u, &ss, &len), TI_EPARSE);
	ck_assert_int_eq(ss.ss_family, AF_UNIX);
	ck_assert_int_eq(len, 77);
}
END_TEST

Suite *
addr_suite(void)
{
	Suite *s = suite_create("ti_addr");
	TCase *tc;

	tc = tcase_create("uri");
	tcase_add_test(tc, test_transport_tables);
	tcase_add_loop_test(tc, test_uri_parse_good, 0, (int)TI_ARRAY_SIZE(good_uris));
	tcase_add_loop_test(tc, test_uri_parse_bad, 0, (int)TI_ARRAY_SIZE(bad_uris));
	tcase_add_test(tc, test_uri_parse_limits);
	tcase_add_test(tc, test_uri_resolve_v4);
	tcase_add_test(tc, test_uri_resolve_v6);
	tcase_add_test(tc, test_uri_resolve_fail);
	suite_add_tcase(s, tc);

	tc = tcase_create("addr");
	tcase_add_test(tc, test_addr_format_v4);
	tcase_add_test(tc, test_addr_format_v6);
	tcase_add_test(tc, test_addr_format_mapped);
	tcase_add_test(tc, test_addr_format_errors);
	tcase_add_test(tc, test_addr_unmap);
	tcase_add_test(tc, test_addr_equal);
	suite_add_tcase(s, tc);
	return s;
}
