/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: UDP sockets of our own (stateless fast paths, kaasd): binding and control data. */
#ifndef TI_UDP_H
#define TI_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/** Room for the control messages a reply or a hop-limited send carries. */
union ti_udp_cmsg {
	struct cmsghdr align;
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
};

/** Room for what a received datagram carries (destination, TTL). */
union ti_udp_rcmsg {
	struct cmsghdr align;
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)) + 64];
};

/** @return non-zero when ss is 0.0.0.0 or ::. */
int ti_udp_is_wildcard(const struct sockaddr_storage *ss);

/**
 * Open a non-blocking UDP socket bound to ss: IPv6 sockets are IPv6-only
 * (so 0.0.0.0 and [::] can share a port), wildcard binds get
 * IP_PKTINFO / IPV6_RECVPKTINFO (so replies can leave from the address a
 * request was sent to), and SO_REUSEADDR is set only after bind (binding
 * fails while anything holds the port).
 * @param rcvbuf  SO_RCVBUF to ask for; 0 leaves the default.
 * @return the fd, or -errno.
 */
int ti_udp_open(const struct sockaddr_storage *ss, socklen_t len, int rcvbuf);

/**
 * Parse a coap:// listen URI, resolve and bind it (ti_udp_open()).
 * @param[out] ret_ss  the bound address. @return the fd, or a negative code with err set.
 */
int ti_udp_open_uri(const char *uri, int rcvbuf, struct sockaddr_storage *ret_ss, char *err,
		    size_t errlen);

/**
 * The local address a datagram was sent to, from its IP_PKTINFO /
 * IPV6_PKTINFO control message (port left 0).
 * @return 0, or -ENOENT when msg carries none.
 */
int ti_udp_dest(const struct msghdr *msg, struct sockaddr_storage *ret_ss);

/** The TTL / hop limit a datagram arrived with (IP_TTL / IPV6_HOPLIMIT), or -1. */
int ti_udp_recv_ttl(const struct msghdr *msg);

/**
 * Write control data for a send: the source address src (when not NULL
 * and not a wildcard) and the TTL / hop limit ttl (when > 0), for a socket
 * of family.
 * @return the controllen to use (0: none).
 */
size_t ti_udp_build_cmsg(union ti_udp_cmsg *out, int family, const struct sockaddr_storage *src,
			 int ttl);

/** Copy the destination of a received datagram into the control data of its reply. */
size_t ti_udp_reply_cmsg(const struct msghdr *in, union ti_udp_cmsg *out);

#endif /* TI_UDP_H */
