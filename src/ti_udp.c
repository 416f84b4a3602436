/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: UDP sockets of our own (stateless fast paths, kaasd): binding and control data. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_udp.h"
#include "ti_util.h"

int
ti_udp_is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

int
ti_udp_open(const struct sockaddr_storage *ss, socklen_t len, int rcvbuf)
{
	int one = 1, wildcard = ti_udp_is_wildcard(ss);
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* A larger buffer rides out bursts; the kernel caps it at rmem_max. */
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (ss->ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (wildcard && ss->ss_family == AF_INET &&
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
		goto fail;
	if (wildcard && ss->ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)ss, len) < 0)
		goto fail;
	/*
	 * Set only after bind, so that binding fails while anything holds the
	 * port; afterwards it lets an RD client send from this port on a
	 * connected socket of its own (which then receives the RD's replies).
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	return fd;
fail:;
	int r = -errno;
	close(fd);
	return r;
}

int
ti_udp_open_uri(const char *uri, int rcvbuf, struct sockaddr_storage *ret_ss, char *err,
		size_t errlen)
{
	struct ti_uri parsed;
	socklen_t len;
	int fd;

	if (ti_uri_parse(uri, &parsed) < 0 || parsed.transport != TI_TRANSPORT_UDP) {
		snprintf(err, errlen, "not a coap:// URI");
		return TI_ESCHEME;
	}
	if (ti_uri_resolve(&parsed, ret_ss, &len) < 0) {
		snprintf(err, errlen, "cannot resolve '%s'", parsed.host);
		return TI_EPARSE;
	}
	fd = ti_udp_open(ret_ss, len, rcvbuf);
	if (fd < 0)
		snprintf(err, errlen, "cannot bind (%s)", ti_strerror(fd));
	return fd;
}

int
ti_udp_dest(const struct msghdr *msg, struct sockaddr_storage *ret_ss)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			struct sockaddr_in *sin = (struct sockaddr_in *)ret_ss;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(ret_ss, 0, sizeof(*ret_ss));
			sin->sin_family = AF_INET;
			sin->sin_addr = pi.ipi_addr;
			return 0;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ret_ss;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(ret_ss, 0, sizeof(*ret_ss));
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = pi.ipi6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
				sin6->sin6_scope_id = pi.ipi6_ifindex;
			return 0;
		}
	}
	return -ENOENT;
}

int
ti_udp_recv_ttl(const struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
			int ttl;
			memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
			return ttl;
		}
	}
	return -1;
}

size_t
ti_udp_build_cmsg(union ti_udp_cmsg *out, int family, const struct sockaddr_storage *src, int ttl)
{
	struct msghdr m = { .msg_control = out->buf, .msg_controllen = sizeof(out->buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	size_t used = 0;

	memset(out, 0, sizeof(*out));
	if (src && src->ss_family == family && !ti_udp_is_wildcard(src)) {
		if (family == AF_INET) {
			struct in_pktinfo pi = {
				.ipi_spec_dst = ((const struct sockaddr_in *)src)->sin_addr
			};
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			used += CMSG_SPACE(sizeof(pi));
		} else {
			const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)src;
			struct in6_pktinfo pi = { .ipi6_addr = s6->sin6_addr,
						  .ipi6_ifindex = s6->sin6_scope_id };
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			used += CMSG_SPACE(sizeof(pi));
		}
		m.msg_controllen = used;
		c = (struct cmsghdr *)(out->buf + used);
	}
	if (ttl > 0) {
		c->cmsg_level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
		c->cmsg_type = family == AF_INET ? IP_TTL : IPV6_HOPLIMIT;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &ttl, sizeof(int));
		used += CMSG_SPACE(sizeof(int));
	}
	return used;
}

size_t
ti_udp_reply_cmsg(const struct msghdr *in, union ti_udp_cmsg *out)
{
	struct sockaddr_storage dst = { .ss_family = AF_UNSPEC };

	if (ti_udp_dest(in, &dst) < 0)
		return 0;
	return ti_udp_build_cmsg(out, dst.ss_family, &dst, 0);
}
