/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: kaasd_icmp, the classification of error-queue messages. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/errqueue.h>

#include <check.h>

#include "check_main.h"
#include "ti_err.h"

#include "kaasd_icmp.h"

Suite *kaasd_icmp_suite(void);

/*
 * A message as recvmsg(MSG_ERRQUEUE) leaves it on Linux: msg_name is where
 * the quoted datagram went; one IP_RECVERR / IPV6_RECVERR cmsg holds struct
 * sock_extended_err followed by the offender's sockaddr (SO_EE_OFFENDER);
 * with IP_RECVTTL / IPV6_RECVHOPLIMIT, IP_TTL / IPV6_HOPLIMIT carries the
 * TTL of the ICMP packet. The layout is the kernel's (ip_recv_error,
 * ipv6_recv_error); the values are those a Linux router and a Linux NAT
 * (MASQUERADE) send back for our probes.
 */
struct fake {
	struct msghdr m;
	struct sockaddr_storage name;
	struct iovec iov;
	uint8_t data[64];
	union {
		struct cmsghdr align;
		uint8_t buf[512];
	} cm;
};

static void
set_sa(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	}
}

/* Build an error-queue message; ttl < 0 leaves the TTL cmsg out, offender NULL the offender. */
static void
build(struct fake *f, int v6, uint8_t origin, uint8_t type, uint8_t code, const char *dest,
      const char *offender, int ttl, const uint8_t *quote, size_t qlen)
{
	struct sock_extended_err ee = {
		.ee_errno = EHOSTUNREACH,
		.ee_origin = origin,
		.ee_type = type,
		.ee_code = code,
	};
	struct sockaddr_storage off;
	size_t offlen = 0, used = 0;

	memset(f, 0, sizeof(*f));
	set_sa(&f->name, dest, 40001);
	if (offender) {
		set_sa(&off, offender, 0);
		offlen = off.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						   : sizeof(struct sockaddr_in);
	}
	struct cmsghdr *c = (struct cmsghdr *)f->cm.buf;
	c->cmsg_level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
	c->cmsg_type = v6 ? IPV6_RECVERR : IP_RECVERR;
	c->cmsg_len = CMSG_LEN(sizeof(ee) + offlen);
	memcpy(CMSG_DATA(c), &ee, sizeof(ee));
	if (offlen)
		memcpy(CMSG_DATA(c) + sizeof(ee), &off, offlen);
	used += CMSG_SPACE(sizeof(ee) + offlen);
	if (ttl >= 0) {
		c = (struct cmsghdr *)(f->cm.buf + used);
		c->cmsg_level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
		c->cmsg_type = v6 ? IPV6_HOPLIMIT : IP_TTL;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &ttl, sizeof(int));
		used += CMSG_SPACE(sizeof(int));
	}
	memcpy(f->data, quote, qlen);
	f->iov = (struct iovec){ .iov_base = f->data, .iov_len = qlen };
	f->m = (struct msghdr){
		.msg_name = &f->name,
		.msg_namelen = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
		.msg_iov = &f->iov,
		.msg_iovlen = 1,
		.msg_control = f->cm.buf,
		.msg_controllen = used,
	};
}

/* A keepalive sent with TTL 3: empty CON, MID 0x0503. */
static const uint8_t ping3[4] = { 0x40, 0x00, 0x05, 0x03 };

START_TEST(test_time_exceeded_router)
{
	struct fake f;
	struct kaasd_icmp_event ev;

	/* TTL 1 expired at the public router 198.51.100.254, one hop away. */
	build(&f, 0, SO_EE_ORIGIN_ICMP, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, "203.0.113.1",
	      "198.51.100.254", 64, ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.kind, KAASD_ICMP_TIME_EXCEEDED);
	ck_assert_int_eq(ev.from_dest, 0);
	ck_assert_int_eq(ev.ttl, 64);
	ck_assert_int_eq(ev.distance, 1);
	ck_assert_int_eq(ev.has_mid, 1);
	ck_assert_uint_eq(ev.mid, 0x0503);
	ck_assert_uint_eq(ev.probe_ttl, 3);
	ck_assert_int_eq(ev.coap_empty, 1);
	ck_assert_uint_eq(ev.coap_type, 0);
	ck_assert_str_eq(kaasd_icmp_kind_name(ev.kind), "time-exceeded");
}
END_TEST

START_TEST(test_time_exceeded_nat)
{
	struct fake f;
	struct kaasd_icmp_event ev;

	/* From behind the NAT: rewritten to the NAT's public address = the candidate's. */
	build(&f, 0, SO_EE_ORIGIN_ICMP, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, "203.0.113.1",
	      "203.0.113.1", 62, ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.kind, KAASD_ICMP_TIME_EXCEEDED);
	ck_assert_int_eq(ev.from_dest, 1);
	ck_assert_int_eq(ev.distance, 3);
	ck_assert_uint_eq(((struct sockaddr_in *)&ev.dest)->sin_port, htons(40001));
}
END_TEST

START_TEST(test_port_unreachable)
{
	struct fake f;
	struct kaasd_icmp_event ev;

	build(&f, 0, SO_EE_ORIGIN_ICMP, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, "203.0.113.1",
	      "203.0.113.1", 63, ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.kind, KAASD_ICMP_PORT_UNREACH);
	ck_assert_int_eq(ev.from_dest, 1);
	build(&f, 0, SO_EE_ORIGIN_ICMP, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, "203.0.113.1",
	      "198.51.100.254", 64, ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.kind, KAASD_ICMP_UNREACH);
	build(&f, 0, SO_EE_ORIGIN_ICMP, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, "203.0.113.1",
	      "198.51.100.254", 64, ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.kind, KAASD_ICMP_TOO_BIG);
	build(&f, 0, SO_EE_ORIGIN_ICMP, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, "203.0.113.1",
	      "198.51.100.254", 64, ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.kind, KAASD_ICMP_OTHER);
}
END_TEST

START_TEST(test_ipv6)
{
	struct fake f;
	struct kaasd_icmp_event ev;

	build(&f, 1, SO_EE_ORIGIN_ICMP6, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_TRANSIT,
	      "2001:db8:2::1", "2001:db8:1::fe", 64, ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.kind, KAASD_ICMP_TIME_EXCEEDED);
	ck_assert_int_eq(ev.from_dest, 0);
	ck_assert_int_eq(ev.distance, 1);
	build(&f, 1, SO_EE_ORIGIN_ICMP6, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_TRANSIT,
	      "2001:db8:2::1", "2001:db8:2::1", 63, ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.from_dest, 1);
	ck_assert_int_eq(ev.distance, 2);
	build(&f, 1, SO_EE_ORIGIN_ICMP6, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOPORT,
	      "2001:db8:2::1", "2001:db8:2::1", 63, ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.kind, KAASD_ICMP_PORT_UNREACH);
	build(&f, 1, SO_EE_ORIGIN_ICMP6, ICMP6_PACKET_TOO_BIG, 0, "2001:db8:2::1", "2001:db8:1::fe",
	      64, ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.kind, KAASD_ICMP_TOO_BIG);
	/* An IPv4-mapped destination equals an IPv4 offender. */
	build(&f, 1, SO_EE_ORIGIN_ICMP, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, "::ffff:203.0.113.1",
	      "203.0.113.1", 62, ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.from_dest, 1);
}
END_TEST

START_TEST(test_not_ours)
{
	struct fake f;
	struct kaasd_icmp_event ev;
	static const uint8_t req[] = { 0x42, 0x01, 0x12, 0x34, 0xaa, 0xbb, 0xb4, 'k', 'a', 'a', 's' };
	static const uint8_t junk[] = { 0x00, 0x01, 0x02, 0x03 };

	/* A request: has a MID, but is not an empty CON. */
	build(&f, 0, SO_EE_ORIGIN_ICMP, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, "203.0.113.1",
	      "203.0.113.1", 63, req, sizeof(req));
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, sizeof(req), &ev), 0);
	ck_assert_int_eq(ev.has_mid, 1);
	ck_assert_int_eq(ev.coap_empty, 0);
	ck_assert_uint_eq(ev.coap_code, 0x01);
	ck_assert_uint_eq(ev.mid, 0x1234);
	/* Not CoAP version 1. */
	build(&f, 0, SO_EE_ORIGIN_ICMP, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, "203.0.113.1",
	      "203.0.113.1", 63, junk, sizeof(junk));
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, sizeof(junk), &ev), 0);
	ck_assert_int_eq(ev.has_mid, 0);
	/* A truncated quote. */
	build(&f, 0, SO_EE_ORIGIN_ICMP, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, "203.0.113.1",
	      "203.0.113.1", 63, ping3, 3);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 3, &ev), 0);
	ck_assert_int_eq(ev.has_mid, 0);
	ck_assert_int_eq(ev.kind, KAASD_ICMP_TIME_EXCEEDED);
}
END_TEST

START_TEST(test_missing_parts)
{
	struct fake f;
	struct kaasd_icmp_event ev;

	/* No TTL cmsg: ttl -1, distance unknown. */
	build(&f, 0, SO_EE_ORIGIN_ICMP, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, "203.0.113.1",
	      "203.0.113.1", -1, ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.ttl, -1);
	ck_assert_int_eq(ev.distance, 0);
	/* No offender: never from_dest. */
	build(&f, 0, SO_EE_ORIGIN_ICMP, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, "203.0.113.1", NULL, 63,
	      ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.offender.ss_family, AF_UNSPEC);
	ck_assert_int_eq(ev.from_dest, 0);
	/* A local error (e.g. EMSGSIZE from the stack itself): not an ICMP error. */
	build(&f, 0, SO_EE_ORIGIN_LOCAL, 0, 0, "203.0.113.1", NULL, -1, ping3, 4);
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), 0);
	ck_assert_int_eq(ev.kind, KAASD_ICMP_NONE);
	ck_assert_str_eq(kaasd_icmp_kind_name(ev.kind), "none");
	/* No extended error at all. */
	build(&f, 0, SO_EE_ORIGIN_ICMP, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, "203.0.113.1",
	      "203.0.113.1", 63, ping3, 4);
	f.m.msg_control = NULL;
	f.m.msg_controllen = 0;
	ck_assert_int_eq(kaasd_icmp_parse(&f.m, 4, &ev), TI_EPARSE);
}
END_TEST

START_TEST(test_distance)
{
	ck_assert_int_eq(kaasd_icmp_distance(64), 1);
	ck_assert_int_eq(kaasd_icmp_distance(60), 5);
	ck_assert_int_eq(kaasd_icmp_distance(1), 64);
	ck_assert_int_eq(kaasd_icmp_distance(65), 64);
	ck_assert_int_eq(kaasd_icmp_distance(128), 1);
	ck_assert_int_eq(kaasd_icmp_distance(255), 1);
	ck_assert_int_eq(kaasd_icmp_distance(250), 6);
	ck_assert_int_eq(kaasd_icmp_distance(0), 0);
	ck_assert_int_eq(kaasd_icmp_distance(-1), 0);
	ck_assert_int_eq(kaasd_icmp_distance(256), 0);
}
END_TEST

static int live_seen;
static struct kaasd_icmp_event live_ev;

static void
on_live(const struct kaasd_icmp_event *ev, void *arg)
{
	(void)arg;
	live_seen++;
	live_ev = *ev;
}

/* The real kernel: a keepalive to a closed loopback port comes back as Port Unreachable. */
START_TEST(test_live_loopback)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), closed_fd;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int ttl = 5;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(kaasd_icmp_enable(fd, AF_INET), 0);
	/* A port nobody listens on: bind one, learn it, close it. */
	closed_fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(closed_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(closed_fd, (struct sockaddr *)&a, &len), 0);
	close(closed_fd);
	ck_assert_int_eq(setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
	ck_assert_int_eq(sendto(fd, ping3, 4, 0, (struct sockaddr *)&a, sizeof(a)), 4);
	struct pollfd p = { .fd = fd, .events = 0 };
	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	ck_assert(p.revents & POLLERR);
	live_seen = 0;
	ck_assert_int_eq(kaasd_icmp_drain(fd, 16, on_live, NULL), 1);
	ck_assert_int_eq(live_seen, 1);
	ck_assert_int_eq(live_ev.kind, KAASD_ICMP_PORT_UNREACH);
	ck_assert_int_eq(live_ev.from_dest, 1);
	ck_assert_uint_eq(live_ev.probe_ttl, 3);
	ck_assert_int_gt(live_ev.ttl, 0);
	ck_assert_uint_eq(((struct sockaddr_in *)&live_ev.dest)->sin_port, a.sin_port);
	/* The queue is empty now. */
	ck_assert_int_eq(kaasd_icmp_drain(fd, 16, on_live, NULL), 0);
	close(fd);
	ck_assert_int_eq(kaasd_icmp_enable(-1, AF_INET), -EBADF);
	ck_assert_int_eq(kaasd_icmp_enable(0, AF_UNIX), -EAFNOSUPPORT);
}
END_TEST

Suite *
kaasd_icmp_suite(void)
{
	Suite *s = suite_create("kaasd_icmp");
	TCase *tc = tcase_create("icmp");

	tcase_add_test(tc, test_time_exceeded_router);
	tcase_add_test(tc, test_time_exceeded_nat);
	tcase_add_test(tc, test_port_unreachable);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_not_ours);
	tcase_add_test(tc, test_missing_parts);
	tcase_add_test(tc, test_distance);
	tcase_add_test(tc, test_live_loopback);
	suite_add_tcase(s, tc);
	return s;
}
