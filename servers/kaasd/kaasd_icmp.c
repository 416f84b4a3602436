/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: ICMP errors from the socket error queue (IP_RECVERR), classified. */
#include "config.h"

#include <errno.h>
#include <time.h> /* before linux/errqueue.h, which uses struct timespec */
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/socket.h>

#include "ti_err.h"

#include "kaasd_icmp.h"

const char *
kaasd_icmp_kind_name(enum kaasd_icmp_kind kind)
{
	switch (kind) {
	case KAASD_ICMP_TIME_EXCEEDED:
		return "time-exceeded";
	case KAASD_ICMP_PORT_UNREACH:
		return "port-unreachable";
	case KAASD_ICMP_UNREACH:
		return "unreachable";
	case KAASD_ICMP_TOO_BIG:
		return "too-big";
	case KAASD_ICMP_OTHER:
		return "other";
	case KAASD_ICMP_NONE:
		break;
	}
	return "none";
}

int
kaasd_icmp_distance(int ttl)
{
	if (ttl < 1 || ttl > 255)
		return 0;
	if (ttl <= 64)
		return 64 - ttl + 1;
	if (ttl <= 128)
		return 128 - ttl + 1;
	return 255 - ttl + 1;
}

int
kaasd_icmp_enable(int fd, int family)
{
	int one = 1;

	if (family == AF_INET) {
		if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)) < 0)
			return -errno;
		return 0;
	}
	if (family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) < 0)
			return -errno;
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* Address bytes of sa (IPv4-mapped IPv6 as IPv4); @return their length, 0 if none. */
static size_t
addr_bytes(const struct sockaddr_storage *ss, const uint8_t **ret)
{
	if (ss->ss_family == AF_INET) {
		*ret = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
		return 4;
	}
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			*ret = a->s6_addr + 12;
			return 4;
		}
		*ret = a->s6_addr;
		return 16;
	}
	return 0;
}

static int
same_address(const struct sockaddr_storage *x, const struct sockaddr_storage *y)
{
	const uint8_t *a = NULL, *b = NULL;
	size_t la = addr_bytes(x, &a), lb = addr_bytes(y, &b);

	return la != 0 && la == lb && memcmp(a, b, la) == 0;
}

static enum kaasd_icmp_kind
classify(uint8_t origin, uint8_t type, uint8_t code)
{
	if (origin == SO_EE_ORIGIN_ICMP) {
		if (type == ICMP_TIME_EXCEEDED)
			return code == ICMP_EXC_TTL ? KAASD_ICMP_TIME_EXCEEDED : KAASD_ICMP_OTHER;
		if (type == ICMP_DEST_UNREACH) {
			if (code == ICMP_PORT_UNREACH)
				return KAASD_ICMP_PORT_UNREACH;
			if (code == ICMP_FRAG_NEEDED)
				return KAASD_ICMP_TOO_BIG;
			return KAASD_ICMP_UNREACH;
		}
		return KAASD_ICMP_OTHER;
	}
	if (origin == SO_EE_ORIGIN_ICMP6) {
		if (type == ICMP6_TIME_EXCEEDED)
			return code == ICMP6_TIME_EXCEED_TRANSIT ? KAASD_ICMP_TIME_EXCEEDED
								 : KAASD_ICMP_OTHER;
		if (type == ICMP6_DST_UNREACH)
			return code == ICMP6_DST_UNREACH_NOPORT ? KAASD_ICMP_PORT_UNREACH
								: KAASD_ICMP_UNREACH;
		if (type == ICMP6_PACKET_TOO_BIG)
			return KAASD_ICMP_TOO_BIG;
		return KAASD_ICMP_OTHER;
	}
	return KAASD_ICMP_NONE;
}

int
kaasd_icmp_parse(const struct msghdr *msg, size_t len, struct kaasd_icmp_event *ev)
{
	const struct sock_extended_err *ee = NULL;
	struct sock_extended_err eec;

	memset(ev, 0, sizeof(*ev));
	ev->ttl = -1;
	ev->offender.ss_family = AF_UNSPEC;
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
			if (c->cmsg_len < CMSG_LEN(sizeof(eec)))
				continue;
			memcpy(&eec, CMSG_DATA(c), sizeof(eec));
			ee = &eec;
			/* The offender follows the extended error in the same cmsg. */
			size_t room = c->cmsg_len - CMSG_LEN(sizeof(eec));
			const uint8_t *off = CMSG_DATA(c) + sizeof(eec);
			if (room >= sizeof(struct sockaddr_in)) {
				sa_family_t fam;
				memcpy(&fam, off, sizeof(fam));
				size_t need = fam == AF_INET6 ? sizeof(struct sockaddr_in6)
					      : fam == AF_INET	? sizeof(struct sockaddr_in)
								: 0;
				if (need && room >= need)
					memcpy(&ev->offender, off, need);
			}
		} else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
			   (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
			int ttl;
			if (c->cmsg_len >= CMSG_LEN(sizeof(ttl))) {
				memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
				ev->ttl = ttl;
			}
		}
	}
	if (ee == NULL)
		return TI_EPARSE;
	ev->origin = ee->ee_origin;
	ev->type = ee->ee_type;
	ev->code = ee->ee_code;
	ev->err = (int)ee->ee_errno;
	ev->info = ee->ee_info;
	ev->kind = classify(ee->ee_origin, ee->ee_type, ee->ee_code);
	if (ev->kind == KAASD_ICMP_NONE)
		ev->offender.ss_family = AF_UNSPEC;
	if (msg->msg_name && msg->msg_namelen > 0 && msg->msg_namelen <= sizeof(ev->dest))
		memcpy(&ev->dest, msg->msg_name, msg->msg_namelen);
	ev->from_dest = ev->offender.ss_family != AF_UNSPEC && same_address(&ev->offender, &ev->dest);
	if (ev->ttl > 0 && ev->kind != KAASD_ICMP_NONE)
		ev->distance = kaasd_icmp_distance(ev->ttl);
	/* The quoted datagram: one of our CoAP messages? */
	if (len >= 4 && msg->msg_iovlen >= 1 && msg->msg_iov[0].iov_len >= 4) {
		const uint8_t *b = msg->msg_iov[0].iov_base;
		if ((b[0] >> 6) == 1) {
			ev->has_mid = 1;
			ev->mid = (uint16_t)((b[2] << 8) | b[3]);
			ev->probe_ttl = b[3];
			ev->coap_type = (b[0] >> 4) & 3;
			ev->coap_code = b[1];
			ev->coap_empty = b[1] == 0;
		}
	}
	return 0;
}

int
kaasd_icmp_drain(int fd, size_t max, kaasd_icmp_fn *fn, void *arg)
{
	int n = 0;

	for (size_t i = 0; i < max; i++) {
		uint8_t data[64];
		union {
			struct cmsghdr align;
			uint8_t buf[512];
		} cm;
		struct sockaddr_storage name;
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr m = {
			.msg_name = &name,
			.msg_namelen = sizeof(name),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cm.buf,
			.msg_controllen = sizeof(cm.buf),
		};
		struct kaasd_icmp_event ev;
		ssize_t r = recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);

		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n++;
		if (kaasd_icmp_parse(&m, (size_t)r, &ev) == 0)
			fn(&ev, arg);
	}
	return n;
}
