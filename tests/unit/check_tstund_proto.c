/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for tstund_proto: representations, path checks and the stateless answerer. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <check.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_msg.h"
#include "ti_util.h"
#include "check_main.h"

#include "tstund_proto.h"

static struct sockaddr_storage
sa_make(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNSPEC };

	if (strchr(addr, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	}
	return ss;
}

/* ------------------------------------------------------------------ representations */

/* clang-format off */
#define V4_JSON "{\"address\":\"203.0.113.7\",\"port\":40001,\"family\":\"ipv4\"," \
	"\"transport\":\"udp\",\"uri\":\"coap://203.0.113.7:40001\"}"

/*
 * RFC 8949: a map of 5 pairs (0xa5), text strings (major type 3: 0x60 | n,
 * or 0x78 n from 24 bytes on), the port as an unsigned integer (0x00 | n
 * under 24, 0x18 n under 256, 0x19 nn nn under 65536).
 */
#define V4_CBOR "\xa5" \
	"\x67" "address" "\x6b" "203.0.113.7" \
	"\x64" "port" "\x19\x9c\x41" \
	"\x66" "family" "\x64" "ipv4" \
	"\x69" "transport" "\x63" "udp" \
	"\x63" "uri" "\x78\x18" "coap://203.0.113.7:40001"

static const struct {
	const char *addr;
	uint16_t port;
	enum ti_transport transport;
	unsigned cf;
	const char *expect;
	size_t expect_len;
} reprs[] = {
#define R(a, p, t, cf, s) { a, p, t, cf, s, sizeof(s) - 1 }
	R("203.0.113.7", 40001, TI_TRANSPORT_UDP, 0, "203.0.113.7:40001"),
	R("203.0.113.7", 40001, TI_TRANSPORT_UDP, 40, "<coap://203.0.113.7:40001>"),
	R("203.0.113.7", 40001, TI_TRANSPORT_UDP, 50, V4_JSON),
	R("203.0.113.7", 40001, TI_TRANSPORT_UDP, 60, V4_CBOR),
	/* IPv4-mapped IPv6 is shown as IPv4, byte for byte. */
	R("::ffff:203.0.113.7", 40001, TI_TRANSPORT_UDP, 0, "203.0.113.7:40001"),
	R("::ffff:203.0.113.7", 40001, TI_TRANSPORT_UDP, 40, "<coap://203.0.113.7:40001>"),
	R("::ffff:203.0.113.7", 40001, TI_TRANSPORT_UDP, 50, V4_JSON),
	R("::ffff:203.0.113.7", 40001, TI_TRANSPORT_UDP, 60, V4_CBOR),
	R("203.0.113.7", 40001, TI_TRANSPORT_TCP, 0, "203.0.113.7:40001"),
	R("203.0.113.7", 40001, TI_TRANSPORT_TCP, 40, "<coap+tcp://203.0.113.7:40001>"),
	R("203.0.113.7", 40001, TI_TRANSPORT_TCP, 50,
	  "{\"address\":\"203.0.113.7\",\"port\":40001,\"family\":\"ipv4\",\"transport\":\"tcp\","
	  "\"uri\":\"coap+tcp://203.0.113.7:40001\"}"),
	R("2001:db8::7", 40001, TI_TRANSPORT_UDP, 0, "[2001:db8::7]:40001"),
	R("2001:db8::7", 40001, TI_TRANSPORT_UDP, 40, "<coap://[2001:db8::7]:40001>"),
	R("2001:db8::7", 40001, TI_TRANSPORT_UDP, 50,
	  "{\"address\":\"2001:db8::7\",\"port\":40001,\"family\":\"ipv6\",\"transport\":\"udp\","
	  "\"uri\":\"coap://[2001:db8::7]:40001\"}"),
	R("2001:db8::7", 40001, TI_TRANSPORT_TCP, 40, "<coap+tcp://[2001:db8::7]:40001>"),
	R("2001:db8::7", 40001, TI_TRANSPORT_TCP, 50,
	  "{\"address\":\"2001:db8::7\",\"port\":40001,\"family\":\"ipv6\",\"transport\":\"tcp\","
	  "\"uri\":\"coap+tcp://[2001:db8::7]:40001\"}"),
	R("2001:db8::7", 40001, TI_TRANSPORT_TCP, 60, "\xa5"
	  "\x67" "address" "\x6b" "2001:db8::7"
	  "\x64" "port" "\x19\x9c\x41"
	  "\x66" "family" "\x64" "ipv6"
	  "\x69" "transport" "\x63" "tcp"
	  "\x63" "uri" "\x78\x1e" "coap+tcp://[2001:db8::7]:40001"),
	/* Ports under 24 and under 256 take the short CBOR heads. */
	R("192.0.2.1", 5, TI_TRANSPORT_UDP, 60, "\xa5"
	  "\x67" "address" "\x69" "192.0.2.1"
	  "\x64" "port" "\x05"
	  "\x66" "family" "\x64" "ipv4"
	  "\x69" "transport" "\x63" "udp"
	  "\x63" "uri" "\x72" "coap://192.0.2.1:5"),
	R("192.0.2.1", 200, TI_TRANSPORT_UDP, 60, "\xa5"
	  "\x67" "address" "\x69" "192.0.2.1"
	  "\x64" "port" "\x18\xc8"
	  "\x66" "family" "\x64" "ipv4"
	  "\x69" "transport" "\x63" "udp"
	  "\x63" "uri" "\x74" "coap://192.0.2.1:200"),
	R("192.0.2.1", 5684, TI_TRANSPORT_DTLS, 40, "<coaps://192.0.2.1:5684>"),
	R("::1", 1, TI_TRANSPORT_TLS, 40, "<coaps+tcp://[::1]:1>"),
	R("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 65535, TI_TRANSPORT_TLS, 50,
	  "{\"address\":\"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\",\"port\":65535,"
	  "\"family\":\"ipv6\",\"transport\":\"tls\","
	  "\"uri\":\"coaps+tcp://[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535\"}"),
#undef R
};
/* clang-format on */

START_TEST(test_repr)
{
	struct sockaddr_storage ss = sa_make(reprs[_i].addr, reprs[_i].port);
	uint8_t buf[TSTUND_REPR_MAX];
	size_t len = 9999;

	ck_assert_int_eq(tstund_repr((struct sockaddr *)&ss, reprs[_i].transport, reprs[_i].cf,
				     buf, sizeof(buf), &len),
			 0);
	ck_assert_uint_eq(len, reprs[_i].expect_len);
	ck_assert_mem_eq(buf, reprs[_i].expect, len);
	ck_assert(len < TSTUND_REPR_MAX);
}
END_TEST

/* Too small a buffer: -ENOSPC, with ret_len untouched; one byte to spare is enough. */
START_TEST(test_repr_nospace)
{
	struct sockaddr_storage ss = sa_make(reprs[_i].addr, reprs[_i].port);
	uint8_t buf[TSTUND_REPR_MAX];
	size_t len = 9999, need = reprs[_i].expect_len;

	for (size_t size = 0; size < need; size++) {
		ck_assert_int_eq(tstund_repr((struct sockaddr *)&ss, reprs[_i].transport,
					     reprs[_i].cf, buf, size, &len),
				 -ENOSPC);
		ck_assert_uint_eq(len, 9999);
	}
	ck_assert_int_eq(tstund_repr((struct sockaddr *)&ss, reprs[_i].transport, reprs[_i].cf,
				     buf, need + 1, &len),
			 0);
	ck_assert_uint_eq(len, need);
	ck_assert_mem_eq(buf, reprs[_i].expect, need);
}
END_TEST

START_TEST(test_repr_errors)
{
	struct sockaddr_storage ss = sa_make("203.0.113.7", 40001);
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "/x" };
	static const unsigned bad_cf[] = { 1, 41, 42, 47, 51, 61, 110, 65535, 65536, UINT32_MAX };
	uint8_t buf[TSTUND_REPR_MAX];
	size_t len = 9999;

	for (size_t i = 0; i < TI_ARRAY_SIZE(bad_cf); i++) {
		ck_assert_int_eq(tstund_repr((struct sockaddr *)&ss, TI_TRANSPORT_UDP, bad_cf[i],
					     buf, sizeof(buf), &len),
				 TI_EUNKNOWN);
		ck_assert_int_eq(tstund_cf_supported(bad_cf[i]), 0);
	}
	ck_assert_uint_eq(len, 9999);
	ck_assert_int_ne(tstund_cf_supported(0), 0);
	ck_assert_int_ne(tstund_cf_supported(40), 0);
	ck_assert_int_ne(tstund_cf_supported(50), 0);
	ck_assert_int_ne(tstund_cf_supported(60), 0);
	ck_assert_int_eq(
	    tstund_repr((struct sockaddr *)&sun, TI_TRANSPORT_UDP, 0, buf, sizeof(buf), &len),
	    -EAFNOSUPPORT);
	ck_assert_uint_eq(len, 9999);
}
END_TEST

/* ------------------------------------------------------------------ path check */

static const struct {
	const char *path;
	int ok;
} paths[] = {
	{ "/tstun", 1 },
	{ "/a/b", 1 },
	{ "/t-s_t.u~n", 1 },
	{ "/a:b@c!$&'()*+,;=", 1 },
	{ "/A/B/0/9", 1 },
	{ "/.well-known/tstun", 1 },
	{ "/.well-known/core/x", 1 },
	{ "/.well-known/cor", 1 },
	{ "tstun", 0 },
	{ "", 0 },
	{ "/", 0 },
	{ "//x", 0 },
	{ "/a//b", 0 },
	{ "/a/", 0 },
	{ "/a?b", 0 },
	{ "/a?", 0 },
	{ "/a#b", 0 },
	{ "/a%20b", 0 },
	{ "/a b", 0 },
	{ "/a\\b", 0 },
	{ "/a\"b", 0 },
	{ "/a<b>", 0 },
	{ "/\xc3\xa9", 0 },
	{ "/a\tb", 0 },
	{ "/.well-known/core", 0 },
};

START_TEST(test_path_check)
{
	char err[128] = "";
	int r = tstund_path_check(paths[_i].path, err, sizeof(err));

	if (paths[_i].ok) {
		ck_assert_msg(r == 0, "'%s' rejected: %s", paths[_i].path, err);
	} else {
		ck_assert_msg(r == TI_EPARSE, "'%s' accepted (%d)", paths[_i].path, r);
		ck_assert_str_ne(err, "");
	}
}
END_TEST

START_TEST(test_path_limits)
{
	char path[TSTUND_PATH_MAX + 8], err[128] = "";

	/* Exactly TSTUND_PATH_MAX bytes, then one more. */
	path[0] = '/';
	memset(path + 1, 'p', TSTUND_PATH_MAX - 1);
	path[TSTUND_PATH_MAX] = '\0';
	ck_assert_int_eq(tstund_path_check(path, err, sizeof(err)), 0);
	path[TSTUND_PATH_MAX] = 'p';
	path[TSTUND_PATH_MAX + 1] = '\0';
	ck_assert_int_eq(tstund_path_check(path, err, sizeof(err)), TI_EPARSE);
	ck_assert_str_ne(err, "");

	/* TSTUND_PATH_SEGS segments, then one more. */
	for (int i = 0; i < TSTUND_PATH_SEGS; i++)
		memcpy(path + 2 * i, "/s", 3);
	ck_assert_int_eq(tstund_path_check(path, err, sizeof(err)), 0);
	memcpy(path + 2 * TSTUND_PATH_SEGS, "/s", 3);
	err[0] = '\0';
	ck_assert_int_eq(tstund_path_check(path, err, sizeof(err)), TI_EPARSE);
	ck_assert_str_ne(err, "");

	/* A small err buffer is still NUL-terminated. */
	err[0] = 'X';
	err[1] = 'Y';
	err[2] = 'Z';
	ck_assert_int_eq(tstund_path_check("x", err, 3), TI_EPARSE);
	ck_assert_uint_eq(strlen(err), 2);
}
END_TEST

START_TEST(test_proto_init)
{
	struct tstund_proto p;

	ck_assert_int_eq(tstund_proto_init(&p, "/tstun"), 0);
	ck_assert_str_eq(p.path, "/tstun");
	ck_assert_uint_eq(p.n_segs, 1);
	ck_assert_uint_eq(p.seg_off[0], 1);
	ck_assert_uint_eq(p.seg_len[0], 5);
	ck_assert_str_eq(p.link, "</tstun>;rt=\"tstun\";ct=\"0 40 50 60\"");
	ck_assert_uint_eq(p.link_len, strlen(p.link));

	ck_assert_int_eq(tstund_proto_init(&p, "/a/bc/def"), 0);
	ck_assert_uint_eq(p.n_segs, 3);
	ck_assert_uint_eq(p.seg_off[0], 1);
	ck_assert_uint_eq(p.seg_len[0], 1);
	ck_assert_uint_eq(p.seg_off[1], 3);
	ck_assert_uint_eq(p.seg_len[1], 2);
	ck_assert_uint_eq(p.seg_off[2], 6);
	ck_assert_uint_eq(p.seg_len[2], 3);
	ck_assert_str_eq(p.link, "</a/bc/def>;rt=\"tstun\";ct=\"0 40 50 60\"");

	ck_assert_int_eq(tstund_proto_init(&p, "tstun"), TI_EPARSE);
	ck_assert_int_eq(tstund_proto_init(&p, "/.well-known/core"), TI_EPARSE);
	ck_assert_int_eq(tstund_proto_init(&p, "/a//b"), TI_EPARSE);
}
END_TEST

/* ------------------------------------------------------------------ answerer */

/*
 * Requests are hand-assembled (RFC 7252 section 3): MID 0x1234, token ab cd.
 * Every literal piece ends where a hex escape ends, so that following text
 * is not read as more hex digits.
 */
/* clang-format off */
#define CON(code) "\x42" code "\x12\x34\xab\xcd"
#define CON_GET CON("\x01")
#define NON_GET "\x52\x01\x12\x34\xab\xcd"
#define TSTUN "\xb5" "tstun"                     /* Uri-Path (11) from 0 */
#define WKC "\xbb" ".well-known" "\x04" "core" /* Uri-Path x2 from 0 */
#define NR(v) "\xd1\xea" v                       /* No-Response (258) from 11 */

#define REQ_MID 0x1234
#define NON_MID 0x7000

#define TEXT "203.0.113.7:40001"
#define LINK "<coap://203.0.113.7:40001>"
#define WKC_LINK "</tstun>;rt=\"tstun\";ct=\"0 40 50 60\""
/* clang-format on */

enum { NONE = -1 };

struct answer_case {
	const char *name;
	const char *req;
	size_t req_len;
	int type; /* NONE: no answer */
	uint8_t code;
	int cf;		     /* NONE: no Content-Format */
	const char *payload; /* NULL: no payload; with any_payload: not checked */
	size_t payload_len;
	int any_payload;
	long block2, size2; /* NONE: absent */
};

/* clang-format off */
#define Q(s) .req = s, .req_len = sizeof(s) - 1
#define P(s) .payload = s, .payload_len = sizeof(s) - 1
#define OK(cf_, body) .type = TI_MSG_ACK, .code = 0x45, .cf = cf_, P(body), \
	.block2 = NONE, .size2 = NONE
#define ERR(c, diag) .type = TI_MSG_ACK, .code = c, .cf = NONE, P(diag), \
	.block2 = NONE, .size2 = NONE
#define NOTHING .type = NONE
#define EMPTY(t) .type = t, .code = 0, .cf = NONE, .block2 = NONE, .size2 = NONE

static const struct answer_case answers[] = {
	/* The reflexive resource, each representation. */
	{ "get", Q(CON_GET TSTUN), OK(0, TEXT) },
	{ "get accept 0", Q(CON_GET TSTUN "\x60"), OK(0, TEXT) },
	{ "get accept 0 one byte", Q(CON_GET TSTUN "\x61\x00"), OK(0, TEXT) },
	{ "get accept 40", Q(CON_GET TSTUN "\x61\x28"), OK(40, LINK) },
	{ "get accept 50", Q(CON_GET TSTUN "\x61\x32"), OK(50, V4_JSON) },
	{ "get accept 60", Q(CON_GET TSTUN "\x61\x3c"), OK(60, V4_CBOR) },
	{ "get accept 41", Q(CON_GET TSTUN "\x61\x29"), ERR(0x86, "accept: 0 40 50 60") },
	{ "get accept 110", Q(CON_GET TSTUN "\x61\x6e"), ERR(0x86, "accept: 0 40 50 60") },
	{ "get accept 65535", Q(CON_GET TSTUN "\x62\xff\xff"), ERR(0x86, "accept: 0 40 50 60") },
	{ "non get", Q(NON_GET TSTUN), .type = TI_MSG_NON, .code = 0x45, .cf = 0, P(TEXT),
	  .block2 = NONE, .size2 = NONE },
	{ "non get accept 41", Q(NON_GET TSTUN "\x61\x29"), .type = TI_MSG_NON, .code = 0x86,
	  .cf = NONE, P("accept: 0 40 50 60"), .block2 = NONE, .size2 = NONE },
	{ "get no token", Q("\x40\x01\x12\x34" TSTUN), OK(0, TEXT) },
	{ "get 8-byte token", Q("\x48\x01\x12\x34\x01\x02\x03\x04\x05\x06\x07\x08" TSTUN),
	  OK(0, TEXT) },
	/* Uri-Host and Uri-Port are ours to ignore (a single-host server). */
	{ "get uri-host uri-port", Q(CON_GET "\x39" "localhost" "\x42\x16\x33" "\x45" "tstun"),
	  OK(0, TEXT) },

	/* Methods. */
	{ "post", Q(CON("\x02") TSTUN), ERR(0x85, "method not allowed: use GET") },
	{ "put", Q(CON("\x03") TSTUN), ERR(0x85, "method not allowed: use GET") },
	{ "delete", Q(CON("\x04") TSTUN), ERR(0x85, "method not allowed: use GET") },
	{ "fetch", Q(CON("\x05") TSTUN), ERR(0x85, "method not allowed: use GET") },
	{ "ipatch", Q(CON("\x07") TSTUN), ERR(0x85, "method not allowed: use GET") },
	{ "method 0.31", Q(CON("\x1f") TSTUN), ERR(0x85, "method not allowed: use GET") },
	{ "put wkc", Q(CON("\x03") WKC), ERR(0x85, "method not allowed: use GET") },

	/* Paths. */
	{ "unknown path", Q(CON_GET "\xb3" "foo"), ERR(0x84, "not found") },
	{ "no path", Q(CON_GET), ERR(0x84, "not found") },
	{ "prefix /tstun/x", Q(CON_GET TSTUN "\x01" "x"), ERR(0x84, "not found") },
	{ "/tstun/", Q(CON_GET TSTUN "\x00"), ERR(0x84, "not found") },
	{ "/tstu", Q(CON_GET "\xb4" "tstu"), ERR(0x84, "not found") },
	{ "/tstunx", Q(CON_GET "\xb6" "tstunx"), ERR(0x84, "not found") },
	{ "/TSTUN", Q(CON_GET "\xb5" "TSTUN"), ERR(0x84, "not found") },
	{ "/.well-known", Q(CON_GET "\xbb" ".well-known"), ERR(0x84, "not found") },
	{ "/.well-known/core/x", Q(CON_GET WKC "\x01" "x"), ERR(0x84, "not found") },
	{ "/core/.well-known", Q(CON_GET "\xb4" "core" "\x0b" ".well-known"),
	  ERR(0x84, "not found") },
	{ "put unknown path", Q(CON("\x03") "\xb3" "foo"), ERR(0x84, "not found") },

	/* Discovery (RFC 6690 section 4.1 filtering). */
	{ "wkc", Q(CON_GET WKC), OK(40, WKC_LINK) },
	{ "wkc accept 40", Q(CON_GET WKC "\x61\x28"), OK(40, WKC_LINK) },
	{ "wkc accept 0", Q(CON_GET WKC "\x60"), ERR(0x86, "accept: 40") },
	{ "wkc accept 50", Q(CON_GET WKC "\x61\x32"), ERR(0x86, "accept: 40") },
	{ "wkc rt=tstun", Q(CON_GET WKC "\x48" "rt=tstun"), OK(40, WKC_LINK) },
	{ "wkc rt=ts*", Q(CON_GET WKC "\x46" "rt=ts*"), OK(40, WKC_LINK) },
	{ "wkc rt=*", Q(CON_GET WKC "\x44" "rt=*"), OK(40, WKC_LINK) },
	{ "wkc rt=core.rd", Q(CON_GET WKC "\x4a" "rt=core.rd"), OK(40, "") },
	{ "wkc rt=tstunx", Q(CON_GET WKC "\x49" "rt=tstunx"), OK(40, "") },
	{ "wkc rt=tstun*x", Q(CON_GET WKC "\x4a" "rt=tstun*x"), OK(40, "") },
	{ "wkc ct=50", Q(CON_GET WKC "\x45" "ct=50"), OK(40, WKC_LINK) },
	{ "wkc ct=0", Q(CON_GET WKC "\x44" "ct=0"), OK(40, WKC_LINK) },
	{ "wkc ct=41", Q(CON_GET WKC "\x45" "ct=41"), OK(40, "") },
	{ "wkc href=/tstun", Q(CON_GET WKC "\x4b" "href=/tstun"), OK(40, WKC_LINK) },
	{ "wkc href=/ts*", Q(CON_GET WKC "\x49" "href=/ts*"), OK(40, WKC_LINK) },
	{ "wkc href=/other", Q(CON_GET WKC "\x4b" "href=/other"), OK(40, "") },
	{ "wkc foo=bar", Q(CON_GET WKC "\x47" "foo=bar"), OK(40, "") },
	{ "wkc nonsense", Q(CON_GET WKC "\x48" "nonsense"), OK(40, "") },
	{ "wkc rt=tstun&ct=60", Q(CON_GET WKC "\x48" "rt=tstun" "\x05" "ct=60"),
	  OK(40, WKC_LINK) },
	{ "wkc rt=tstun&ct=1", Q(CON_GET WKC "\x48" "rt=tstun" "\x04" "ct=1"), OK(40, "") },
	{ "wkc query accept 40", Q(CON_GET WKC "\x48" "rt=tstun" "\x21\x28"),
	  OK(40, WKC_LINK) },

	/* Critical and elective options (RFC 7252 section 5.4.1). */
	{ "oscore con", Q(CON_GET "\x90" "\x25" "tstun"), ERR(0x82, "bad option 9") },
	{ "oscore non", Q(NON_GET "\x90" "\x25" "tstun"), EMPTY(TI_MSG_RST) },
	{ "option 2049 con", Q(CON_GET TSTUN "\xe0\x06\xe9"), ERR(0x82, "bad option 2049") },
	{ "option 2049 non", Q(NON_GET TSTUN "\xe0\x06\xe9"), EMPTY(TI_MSG_RST) },
	{ "option 2049 on unknown path", Q(CON_GET "\xb3" "foo" "\xe0\x06\xe9"),
	  ERR(0x82, "bad option 2049") },
	{ "elective 2048 ignored", Q(CON_GET TSTUN "\xe1\x06\xe8" "z"), OK(0, TEXT) },
	{ "elective etag ignored", Q(CON_GET "\x41\x01" "\x75" "tstun"), OK(0, TEXT) },
	{ "elective 65534 ignored", Q(CON_GET TSTUN "\xe0\xfe\xe6"), OK(0, TEXT) },
	{ "repeated accept", Q(CON_GET TSTUN "\x61\x32\x01\x28"), ERR(0x82, "bad option 17") },
	{ "repeated accept non", Q(NON_GET TSTUN "\x61\x32\x01\x28"), EMPTY(TI_MSG_RST) },
	{ "proxy-uri", Q(CON_GET TSTUN "\xd8\x0b" "coap://x"), ERR(0xa5, "proxying not supported") },
	{ "proxy-uri only", Q(CON_GET "\xda\x16" "coap://x/t"),
	  ERR(0xa5, "proxying not supported") },
	{ "proxy-scheme", Q(CON_GET TSTUN "\xd4\x0f" "coap"), ERR(0xa5, "proxying not supported") },

	/* Conditional requests (RFC 7252 section 5.10.8). */
	{ "if-match empty", Q(CON_GET "\x10" "\xa5" "tstun"), OK(0, TEXT) },
	{ "if-match etag", Q(CON_GET "\x11\x01" "\xa5" "tstun"), ERR(0x8c, "precondition failed") },
	{ "if-none-match", Q(CON_GET "\x50" "\x65" "tstun"), ERR(0x8c, "precondition failed") },
	{ "if-none-match wkc", Q(CON_GET "\x50" "\x6b" ".well-known" "\x04" "core"),
	  ERR(0x8c, "precondition failed") },

	/* Block2 (RFC 7959 section 2.2); TEXT is 17 bytes, 16-byte blocks (szx 0). */
	{ "block2 0 szx 0", Q(CON_GET TSTUN "\xc0"), .type = TI_MSG_ACK, .code = 0x45, .cf = 0,
	  P("203.0.113.7:4000"), .block2 = 0x08, .size2 = 17 },
	{ "block2 0 szx 0 one byte", Q(CON_GET TSTUN "\xc1\x00"), .type = TI_MSG_ACK,
	  .code = 0x45, .cf = 0, P("203.0.113.7:4000"), .block2 = 0x08, .size2 = 17 },
	{ "block2 1 szx 0 (last)", Q(CON_GET TSTUN "\xc1\x10"), .type = TI_MSG_ACK, .code = 0x45,
	  .cf = 0, P("1"), .block2 = 0x10, .size2 = NONE },
	{ "block2 2 szx 0 (beyond)", Q(CON_GET TSTUN "\xc1\x20"), ERR(0x82, "block out of range") },
	{ "block2 4095 szx 0 (beyond)", Q(CON_GET TSTUN "\xc2\xff\xf0"),
	  ERR(0x82, "block out of range") },
	{ "block2 0 szx 6", Q(CON_GET TSTUN "\xc1\x06"), .type = TI_MSG_ACK, .code = 0x45,
	  .cf = 0, P(TEXT), .block2 = 0x06, .size2 = 17 },
	{ "block2 1 szx 6 (beyond)", Q(CON_GET TSTUN "\xc1\x16"), ERR(0x82, "block out of range") },
	/* V4_JSON is 105 bytes: 32-byte blocks (szx 1) 0, 1 and 2 are full, 3 is the last. */
	{ "block2 0 szx 1 json", Q(CON_GET TSTUN "\x61\x32" "\x61\x01"), .type = TI_MSG_ACK,
	  .code = 0x45, .cf = 50, P("{\"address\":\"203.0.113.7\",\"port\":"), .block2 = 0x09,
	  .size2 = 105 },
	{ "block2 1 szx 1 json", Q(CON_GET TSTUN "\x61\x32" "\x61\x11"), .type = TI_MSG_ACK,
	  .code = 0x45, .cf = 50, P("40001,\"family\":\"ipv4\",\"transport"), .block2 = 0x19,
	  .size2 = NONE },
	{ "block2 3 szx 1 json (last)", Q(CON_GET TSTUN "\x61\x32" "\x61\x31"),
	  .type = TI_MSG_ACK, .code = 0x45, .cf = 50, P("7:40001\"}"), .block2 = 0x31,
	  .size2 = NONE },
	{ "block2 4 szx 1 json (beyond)", Q(CON_GET TSTUN "\x61\x32" "\x61\x41"),
	  ERR(0x82, "block out of range") },
	/* WKC_LINK is 35 bytes: block 1 of 32 holds its last 3. */
	{ "block2 wkc", Q(CON_GET WKC "\xc1\x11"), .type = TI_MSG_ACK, .code = 0x45, .cf = 40,
	  P("60\""), .block2 = 0x11, .size2 = NONE },
	{ "block2 on empty wkc", Q(CON_GET WKC "\x4a" "rt=core.rd" "\x81\x00"),
	  .type = TI_MSG_ACK, .code = 0x45, .cf = 40, P(""), .block2 = 0x00, .size2 = 0 },
	{ "block2 4 bytes", Q(CON_GET TSTUN "\xc4\x00\x00\x00\x00"), ERR(0x82, "bad option 23") },
	{ "block2 on 4.04", Q(CON_GET "\xb3" "foo" "\xc1\x10"), ERR(0x84, "not found") },

	/* No-Response (RFC 7967 section 2.1). */
	{ "no-response 2 con", Q(CON_GET TSTUN NR("\x02")), EMPTY(TI_MSG_ACK) },
	{ "no-response 2 non", Q(NON_GET TSTUN NR("\x02")), NOTHING },
	{ "no-response 8 con 2.05", Q(CON_GET TSTUN NR("\x08")), OK(0, TEXT) },
	{ "no-response 8 con 4.04", Q(CON_GET "\xb3" "foo" NR("\x08")), EMPTY(TI_MSG_ACK) },
	{ "no-response 8 non 4.04", Q(NON_GET "\xb3" "foo" NR("\x08")), NOTHING },
	{ "no-response 2 con 4.04", Q(CON_GET "\xb3" "foo" NR("\x02")),
	  ERR(0x84, "not found") },
	{ "no-response 16 con 5.05", Q(CON_GET TSTUN "\xd8\x0b" "coap://x" "\xd1\xd2\x10"),
	  EMPTY(TI_MSG_ACK) },
	{ "no-response 26 con 4.05", Q(CON("\x02") TSTUN NR("\x1a")), EMPTY(TI_MSG_ACK) },
	{ "no-response 0 con", Q(CON_GET TSTUN "\xd0\xea"), OK(0, TEXT) },
	/* RFC 7252 section 5.4.5: a supernumerary elective option is ignored, the first counts. */
	{ "no-response repeated", Q(CON_GET TSTUN NR("\x08") "\x01\x02"), OK(0, TEXT) },
	{ "observe repeated", Q(CON_GET "\x60\x00" "\x55" "tstun"), OK(0, TEXT) },

	/* Observe is elective: served as a plain GET, without Observe in the answer. */
	{ "observe register", Q(CON_GET "\x60" "\x55" "tstun"), OK(0, TEXT) },
	{ "observe deregister", Q(CON_GET "\x61\x01" "\x55" "tstun"), OK(0, TEXT) },

	/* Empty messages, stray responses, other versions, format errors. */
	{ "ping", Q("\x40\x00\x12\x34"), EMPTY(TI_MSG_RST) },
	{ "empty non", Q("\x50\x00\x12\x34"), NOTHING },
	{ "empty ack", Q("\x60\x00\x12\x34"), NOTHING },
	{ "empty rst", Q("\x70\x00\x12\x34"), NOTHING },
	{ "2.05 con", Q("\x42\x45\x12\x34\xab\xcd\xff" "x"), EMPTY(TI_MSG_RST) },
	{ "2.05 non", Q("\x52\x45\x12\x34\xab\xcd\xff" "x"), NOTHING },
	{ "4.04 con", Q("\x40\x84\x12\x34"), EMPTY(TI_MSG_RST) },
	{ "2.05 ack", Q("\x62\x45\x12\x34\xab\xcd"), NOTHING },
	{ "get ack", Q("\x62\x01\x12\x34\xab\xcd" TSTUN), NOTHING },
	{ "get rst", Q("\x72\x01\x12\x34\xab\xcd" TSTUN), NOTHING },
	{ "class 1 con", Q("\x40\x21\x12\x34"), EMPTY(TI_MSG_RST) },
	{ "class 7 con", Q("\x40\xe0\x12\x34"), EMPTY(TI_MSG_RST) },
	{ "version 2", Q("\x82\x01\x12\x34\xab\xcd" TSTUN), NOTHING },
	{ "version 0", Q("\x02\x01\x12\x34\xab\xcd" TSTUN), NOTHING },
	{ "version 3 ping", Q("\xc0\x00\x12\x34"), NOTHING },
	{ "truncated 0", .req = "", .req_len = 0, NOTHING },
	{ "truncated 1", Q("\x40"), NOTHING },
	{ "truncated 3", Q("\x40\x01\x12"), NOTHING },
	{ "tkl 9 con", Q("\x49\x01\x12\x34" "123456789" TSTUN), EMPTY(TI_MSG_RST) },
	{ "token cut con", Q("\x48\x01\x12\x34\x01\x02"), EMPTY(TI_MSG_RST) },
	{ "nibble 15 con", Q(CON_GET TSTUN "\xf0"), EMPTY(TI_MSG_RST) },
	{ "option past end con", Q(CON_GET "\xb9" "tstun"), EMPTY(TI_MSG_RST) },
	{ "empty payload con", Q(CON_GET TSTUN "\xff"), EMPTY(TI_MSG_RST) },
	{ "format error non", Q(NON_GET TSTUN "\xf0"), NOTHING },
	{ "ping with token", Q("\x41\x00\x12\x34\x99"), EMPTY(TI_MSG_RST) },
	{ "ping with payload", Q("\x40\x00\x12\x34\xff" "x"), EMPTY(TI_MSG_RST) },
	/* A payload on a GET is allowed and ignored. */
	{ "get with payload", Q(CON_GET TSTUN "\xff" "body"), OK(0, TEXT) },
};
/* clang-format on */

static void
check_answer(const struct answer_case *c, const uint8_t *out, size_t n)
{
	const uint8_t *req = (const uint8_t *)c->req;
	unsigned req_tkl = c->req_len > 0 ? req[0] & 15 : 0;
	const struct ti_msg_opt *o;
	size_t want_opts = 0;
	struct ti_msg m;

	if (c->type == NONE) {
		ck_assert_msg(n == 0, "%s: answered %zu bytes, expected silence", c->name, n);
		return;
	}
	ck_assert_msg(n > 0, "%s: no answer", c->name);
	ck_assert_msg(ti_msg_parse(out, n, &m) == 0, "%s: answer does not parse", c->name);
	ck_assert_msg(m.type == c->type, "%s: type %u, expected %d", c->name, m.type, c->type);
	ck_assert_msg(m.code == c->code, "%s: code %u.%02u, expected %u.%02u", c->name,
		      m.code >> 5, m.code & 31, c->code >> 5, c->code & 31);

	/* MID: an ACK or RST matches the request; a NON takes the counter. */
	if (m.type == TI_MSG_NON)
		ck_assert_uint_eq(m.mid, NON_MID);
	else
		ck_assert_uint_eq(m.mid, REQ_MID);

	/* Token: echoed in responses, absent from Empty messages. */
	if (m.code == 0) {
		ck_assert_uint_eq(n, 4);
		ck_assert_uint_eq(m.tkl, 0);
		return;
	}
	ck_assert_uint_eq(m.tkl, req_tkl);
	ck_assert_mem_eq(m.token, req + 4, req_tkl);

	o = ti_msg_find(&m, TI_OPT_CONTENT_FORMAT);
	if (c->cf == NONE) {
		ck_assert_msg(o == NULL, "%s: unexpected Content-Format", c->name);
	} else {
		ck_assert_msg(o != NULL, "%s: no Content-Format", c->name);
		ck_assert_uint_eq(ti_msg_opt_uint(o), (uint32_t)c->cf);
		want_opts++;
	}
	o = ti_msg_find(&m, TI_OPT_MAX_AGE);
	if (TI_CODE_CLASS(m.code) == 2) {
		ck_assert_msg(o != NULL, "%s: no Max-Age", c->name);
		ck_assert_uint_eq(o->len, 0);
		want_opts++;
	} else {
		ck_assert_ptr_null(o);
	}
	o = ti_msg_find(&m, TI_OPT_BLOCK2);
	if (c->block2 == NONE) {
		ck_assert_msg(o == NULL, "%s: unexpected Block2", c->name);
	} else {
		ck_assert_msg(o != NULL, "%s: no Block2", c->name);
		ck_assert_uint_eq(ti_msg_opt_uint(o), (uint32_t)c->block2);
		want_opts++;
	}
	o = ti_msg_find(&m, TI_OPT_SIZE2);
	if (c->size2 == NONE) {
		ck_assert_msg(o == NULL, "%s: unexpected Size2", c->name);
	} else {
		ck_assert_msg(o != NULL, "%s: no Size2", c->name);
		ck_assert_uint_eq(ti_msg_opt_uint(o), (uint32_t)c->size2);
		want_opts++;
	}
	ck_assert_ptr_null(ti_msg_find(&m, TI_OPT_OBSERVE));
	ck_assert_msg(m.n_opts == want_opts, "%s: %zu options, expected %zu", c->name, m.n_opts,
		      want_opts);

	if (c->any_payload)
		return;
	if (c->payload == NULL || c->payload_len == 0) {
		ck_assert_msg(m.payload == NULL, "%s: unexpected payload", c->name);
		return;
	}
	ck_assert_msg(m.payload_len == c->payload_len &&
			  memcmp(m.payload, c->payload, c->payload_len) == 0,
		      "%s: payload '%.*s', expected '%s'", c->name, (int)m.payload_len,
		      m.payload ? (const char *)m.payload : "", c->payload);
}

static size_t
run_answer(const struct answer_case *c, uint8_t *out, size_t size)
{
	struct sockaddr_storage src = sa_make("203.0.113.7", 40001);
	struct tstund_proto p;

	ck_assert_int_eq(tstund_proto_init(&p, "/tstun"), 0);
	p.next_mid = NON_MID;
	return tstund_proto_answer(&p, (const uint8_t *)c->req, c->req_len,
				   (struct sockaddr *)&src, TI_TRANSPORT_UDP, out, size);
}

START_TEST(test_answer)
{
	uint8_t out[1152];

	check_answer(&answers[_i], out, run_answer(&answers[_i], out, sizeof(out)));
}
END_TEST

/* Every output buffer smaller than the answer yields 0, never a truncated message. */
START_TEST(test_answer_small_buffer)
{
	uint8_t out[1152], small[1152];
	size_t n = run_answer(&answers[_i], out, sizeof(out));

	for (size_t size = 0; size < n; size++)
		ck_assert_uint_eq(run_answer(&answers[_i], small, size), 0);
	if (n > 0) {
		ck_assert_uint_eq(run_answer(&answers[_i], small, n), n);
		ck_assert_mem_eq(small, out, n);
	}
}
END_TEST

/*
 * Cases where the answerer departs from the RFCs. Kept apart from the
 * table above so that the regular behaviour stays visible when these fail.
 */
/* clang-format off */
static const struct answer_case rfc_answers[] = {
	/*
	 * RFC 7959 section 2.2: "The value 7 for SZX ... is reserved, i.e., MUST
	 * NOT be sent and MUST lead to a 4.00 Bad Request response code upon
	 * reception in a request."
	 */
	{ "block2 szx 7", Q(CON_GET TSTUN "\xc1\x07"), .type = TI_MSG_ACK, .code = 0x80,
	  .cf = NONE, .any_payload = 1, .block2 = NONE, .size2 = NONE },
	/*
	 * RFC 7252 section 5.10.8.1: If-Match is satisfied when any of its
	 * values matches; an empty value matches any existing representation.
	 */
	{ "if-match empty and etag", Q(CON_GET "\x10" "\x01\x01" "\xa5" "tstun"), OK(0, TEXT) },
	/*
	 * RFC 7252 section 5.4.3: an option whose length is outside the range
	 * of section 5.10 is treated like an unrecognized option: critical ones
	 * (Accept 0-2, If-Match 0-8, Uri-Host 1-255, If-None-Match 0, Uri-Port
	 * 0-2) draw 4.02 on a CON; elective ones (No-Response 0-1, RFC 7967)
	 * are ignored.
	 */
	{ "accept 3 bytes", Q(CON_GET TSTUN "\x63\x00\x00\x32"), .type = TI_MSG_ACK, .code = 0x82,
	  .cf = NONE, .any_payload = 1, .block2 = NONE, .size2 = NONE },
	{ "if-match 9 bytes", Q(CON_GET "\x19" "123456789" "\xa5" "tstun"), .type = TI_MSG_ACK,
	  .code = 0x82, .cf = NONE, .any_payload = 1, .block2 = NONE, .size2 = NONE },
	{ "uri-host empty", Q(CON_GET "\x30" "\x85" "tstun"), .type = TI_MSG_ACK, .code = 0x82,
	  .cf = NONE, .any_payload = 1, .block2 = NONE, .size2 = NONE },
	{ "if-none-match 1 byte", Q(CON_GET "\x51\x00" "\x65" "tstun"), .type = TI_MSG_ACK,
	  .code = 0x82, .cf = NONE, .any_payload = 1, .block2 = NONE, .size2 = NONE },
	{ "uri-port 3 bytes", Q(CON_GET "\x73\x00\x16\x33" "\x45" "tstun"), .type = TI_MSG_ACK,
	  .code = 0x82, .cf = NONE, .any_payload = 1, .block2 = NONE, .size2 = NONE },
	{ "no-response 2 bytes ignored", Q(CON_GET TSTUN "\xd2\xea\x00\x02"), OK(0, TEXT) },
};
/* clang-format on */

START_TEST(test_answer_rfc)
{
	uint8_t out[1152];

	check_answer(&rfc_answers[_i], out, run_answer(&rfc_answers[_i], out, sizeof(out)));
}
END_TEST

/* Exact bytes of a few answers, independent of ti_msg_parse(). */
START_TEST(test_answer_bytes)
{
	static const struct {
		const char *req;
		size_t req_len;
		const char *resp;
		size_t resp_len;
	} cases[] = {
#define X(q, r) { q, sizeof(q) - 1, r, sizeof(r) - 1 }
		/* ACK 2.05, CF 0 (empty), Max-Age 0 (empty, delta 2). */
		X(CON_GET TSTUN, "\x62\x45\x12\x34\xab\xcd\xc0\x20\xff" TEXT),
		/* NON 2.05 with the counter's MID, CF 50, Max-Age 0. */
		X(NON_GET TSTUN "\x61\x32", "\x52\x45\x70\x00\xab\xcd\xc1\x32\x20\xff" V4_JSON),
		/* Block2 0/M/16 (delta 9), Size2 17 (delta 5). */
		X(CON_GET TSTUN "\xc0", "\x62\x45\x12\x34\xab\xcd\xc0\x20\x91\x08\x51\x11\xff"
					"203.0.113.7:4000"),
		/* 4.04 with a diagnostic payload and no options. */
		X(CON_GET "\xb3"
			  "foo",
		  "\x62\x84\x12\x34\xab\xcd\xff"
		  "not found"),
		/* RST for a ping; empty ACK for a suppressed answer. */
		X("\x40\x00\xbe\xef", "\x70\x00\xbe\xef"),
		X(CON_GET TSTUN NR("\x02"), "\x60\x00\x12\x34"),
		/* Discovery: CF 40 (0x28). */
		X(CON_GET WKC, "\x62\x45\x12\x34\xab\xcd\xc1\x28\x20\xff" WKC_LINK),
#undef X
	};
	struct sockaddr_storage src = sa_make("203.0.113.7", 40001);
	uint8_t out[512];
	struct tstund_proto p;

	ck_assert_int_eq(tstund_proto_init(&p, "/tstun"), 0);
	for (size_t i = 0; i < TI_ARRAY_SIZE(cases); i++) {
		p.next_mid = NON_MID;
		size_t n = tstund_proto_answer(&p, (const uint8_t *)cases[i].req, cases[i].req_len,
					       (struct sockaddr *)&src, TI_TRANSPORT_UDP, out,
					       sizeof(out));
		ck_assert_msg(n == cases[i].resp_len, "case %zu: %zu bytes, expected %zu", i, n,
			      cases[i].resp_len);
		ck_assert_mem_eq(out, cases[i].resp, n);
	}
}
END_TEST

/* NON answers take consecutive MIDs from the counter; CON answers leave it alone. */
START_TEST(test_answer_mid_counter)
{
	static const uint8_t non[] = NON_GET TSTUN, con[] = CON_GET TSTUN;
	static const uint8_t non_nr[] = NON_GET TSTUN NR("\x02");
	struct sockaddr_storage src = sa_make("203.0.113.7", 40001);
	uint8_t out[512];
	struct tstund_proto p;
	static const uint16_t want[] = { 0xfffe, 0xffff, 0x0000, 0x0001 };
	struct ti_msg m;
	size_t n;

	ck_assert_int_eq(tstund_proto_init(&p, "/tstun"), 0);
	p.next_mid = 0xfffe;
	for (size_t i = 0; i < TI_ARRAY_SIZE(want); i++) {
		n = tstund_proto_answer(&p, non, sizeof(non) - 1, (struct sockaddr *)&src,
					TI_TRANSPORT_UDP, out, sizeof(out));
		ck_assert_int_eq(ti_msg_parse(out, n, &m), 0);
		ck_assert_uint_eq(m.type, TI_MSG_NON);
		ck_assert_uint_eq(m.mid, want[i]);

		n = tstund_proto_answer(&p, con, sizeof(con) - 1, (struct sockaddr *)&src,
					TI_TRANSPORT_UDP, out, sizeof(out));
		ck_assert_int_eq(ti_msg_parse(out, n, &m), 0);
		ck_assert_uint_eq(m.type, TI_MSG_ACK);
		ck_assert_uint_eq(m.mid, REQ_MID);
	}
	ck_assert_uint_eq(p.next_mid, 0x0002);

	/* Silence sends nothing; whether it spends a MID does not matter. */
	ck_assert_uint_eq(tstund_proto_answer(&p, non_nr, sizeof(non_nr) - 1,
					      (struct sockaddr *)&src, TI_TRANSPORT_UDP, out,
					      sizeof(out)),
			  0);
}
END_TEST

/* More options than ti_msg can hold: 4.02 for a CON request, silence for a NON. */
START_TEST(test_answer_too_many_options)
{
	struct sockaddr_storage src = sa_make("203.0.113.7", 40001);
	uint8_t req[64], out[512];
	struct tstund_proto p;
	struct ti_msg m;
	size_t len = 0, n;

	memcpy(req, CON_GET TSTUN, sizeof(CON_GET TSTUN) - 1);
	len = sizeof(CON_GET TSTUN) - 1;
	req[len++] = 0x40; /* empty Uri-Query, then repeats */
	for (int i = 1; i < TI_MSG_MAX_OPTS; i++)
		req[len++] = 0x00;
	ck_assert_int_eq(ti_msg_parse(req, len, &m), TI_ETOOBIG);

	ck_assert_int_eq(tstund_proto_init(&p, "/tstun"), 0);
	p.next_mid = NON_MID;
	n = tstund_proto_answer(&p, req, len, (struct sockaddr *)&src, TI_TRANSPORT_UDP, out,
				sizeof(out));
	ck_assert_int_eq(ti_msg_parse(out, n, &m), 0);
	ck_assert_uint_eq(m.type, TI_MSG_ACK);
	ck_assert_uint_eq(m.code, 0x82);
	ck_assert_uint_eq(m.mid, REQ_MID);
	ck_assert_uint_eq(m.tkl, 2);
	ck_assert_mem_eq(m.token, "\xab\xcd", 2);
	ck_assert_uint_eq(m.payload_len, strlen("too many options"));
	ck_assert_mem_eq(m.payload, "too many options", m.payload_len);

	req[0] = 0x52; /* NON */
	ck_assert_uint_eq(tstund_proto_answer(&p, req, len, (struct sockaddr *)&src,
					      TI_TRANSPORT_UDP, out, sizeof(out)),
			  0);
}
END_TEST

/* The source address and transport select the representation. */
START_TEST(test_answer_sources)
{
	static const uint8_t json[] = CON_GET TSTUN "\x61\x32";
	static const uint8_t link[] = CON_GET TSTUN "\x61\x28";
	static const char v6_json[] = "{\"address\":\"2001:db8::7\",\"port\":40001,\"family\":"
				      "\"ipv6\",\"transport\":\"tcp\","
				      "\"uri\":\"coap+tcp://[2001:db8::7]:40001\"}";
	struct sockaddr_storage v6 = sa_make("2001:db8::7", 40001);
	struct sockaddr_storage mapped = sa_make("::ffff:203.0.113.7", 40001);
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "/x" };
	uint8_t out[512];
	struct tstund_proto p;
	struct ti_msg m;
	size_t n;

	ck_assert_int_eq(tstund_proto_init(&p, "/tstun"), 0);
	n = tstund_proto_answer(&p, json, sizeof(json) - 1, (struct sockaddr *)&v6,
				TI_TRANSPORT_TCP, out, sizeof(out));
	ck_assert_int_eq(ti_msg_parse(out, n, &m), 0);
	ck_assert_uint_eq(m.code, 0x45);
	ck_assert_uint_eq(m.payload_len, sizeof(v6_json) - 1);
	ck_assert_mem_eq(m.payload, v6_json, m.payload_len);

	n = tstund_proto_answer(&p, link, sizeof(link) - 1, (struct sockaddr *)&mapped,
				TI_TRANSPORT_UDP, out, sizeof(out));
	ck_assert_int_eq(ti_msg_parse(out, n, &m), 0);
	ck_assert_uint_eq(m.code, 0x45);
	ck_assert_uint_eq(m.payload_len, sizeof(LINK) - 1);
	ck_assert_mem_eq(m.payload, LINK, m.payload_len);

	/* No IP address to reflect: 5.00. */
	n = tstund_proto_answer(&p, json, sizeof(json) - 1, (struct sockaddr *)&sun,
				TI_TRANSPORT_UDP, out, sizeof(out));
	ck_assert_int_eq(ti_msg_parse(out, n, &m), 0);
	ck_assert_uint_eq(m.type, TI_MSG_ACK);
	ck_assert_uint_eq(m.code, 0xa0);
	ck_assert_uint_eq(m.payload_len, strlen("no address"));
	ck_assert_mem_eq(m.payload, "no address", m.payload_len);
}
END_TEST

/* A configured multi-segment path is matched segment by segment. */
START_TEST(test_answer_custom_path)
{
	static const struct {
		const char *req;
		size_t len;
		uint8_t code;
	} cases[] = {
#define X(q, c) { q, sizeof(q) - 1, c }
		X(CON_GET "\xb1"
			  "a"
			  "\x02"
			  "bc",
		  0x45),
		X(CON_GET "\xb1"
			  "a",
		  0x84),
		X(CON_GET "\xb2"
			  "bc"
			  "\x01"
			  "a",
		  0x84),
		X(CON_GET "\xb1"
			  "a"
			  "\x02"
			  "bc"
			  "\x00",
		  0x84),
		X(CON_GET TSTUN, 0x84),
		X(CON_GET "\xb3"
			  "abc",
		  0x84),
		X(CON_GET WKC "\x4a"
			      "href=/a/bc",
		  0x45),
#undef X
	};
	struct sockaddr_storage src = sa_make("203.0.113.7", 40001);
	uint8_t out[512];
	struct tstund_proto p;
	struct ti_msg m;

	ck_assert_int_eq(tstund_proto_init(&p, "/a/bc"), 0);
	for (size_t i = 0; i < TI_ARRAY_SIZE(cases); i++) {
		size_t n = tstund_proto_answer(&p, (const uint8_t *)cases[i].req, cases[i].len,
					       (struct sockaddr *)&src, TI_TRANSPORT_UDP, out,
					       sizeof(out));
		ck_assert_int_eq(ti_msg_parse(out, n, &m), 0);
		ck_assert_msg(m.code == cases[i].code, "case %zu: code 0x%02x, expected 0x%02x", i,
			      m.code, cases[i].code);
	}
	/* The discovery answer names the configured path. */
	ck_assert_uint_eq(m.payload_len, strlen("</a/bc>;rt=\"tstun\";ct=\"0 40 50 60\""));
	ck_assert_mem_eq(m.payload, "</a/bc>;rt=\"tstun\";ct=\"0 40 50 60\"", m.payload_len);
}
END_TEST

Suite *
tstund_proto_suite(void)
{
	Suite *s = suite_create("tstund_proto");
	TCase *tc;

	tc = tcase_create("repr");
	tcase_add_loop_test(tc, test_repr, 0, (int)TI_ARRAY_SIZE(reprs));
	tcase_add_loop_test(tc, test_repr_nospace, 0, (int)TI_ARRAY_SIZE(reprs));
	tcase_add_test(tc, test_repr_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("path");
	tcase_add_loop_test(tc, test_path_check, 0, (int)TI_ARRAY_SIZE(paths));
	tcase_add_test(tc, test_path_limits);
	tcase_add_test(tc, test_proto_init);
	suite_add_tcase(s, tc);

	tc = tcase_create("answer");
	tcase_add_loop_test(tc, test_answer, 0, (int)TI_ARRAY_SIZE(answers));
	tcase_add_loop_test(tc, test_answer_small_buffer, 0, (int)TI_ARRAY_SIZE(answers));
	tcase_add_test(tc, test_answer_bytes);
	tcase_add_test(tc, test_answer_mid_counter);
	tcase_add_test(tc, test_answer_too_many_options);
	tcase_add_test(tc, test_answer_sources);
	tcase_add_test(tc, test_answer_custom_path);
	suite_add_tcase(s, tc);

	tc = tcase_create("answer_rfc");
	tcase_add_loop_test(tc, test_answer_rfc, 0, (int)TI_ARRAY_SIZE(rfc_answers));
	suite_add_tcase(s, tc);
	return s;
}
