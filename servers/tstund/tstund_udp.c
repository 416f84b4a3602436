/* SPDX-License-Identifier: BSD-2-Clause */
/* tstund: the stateless CoAP-over-UDP fast path: own sockets, batched I/O, no sessions. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_log.h"
#include "ti_loop.h"
#include "ti_util.h"

#include "tstund_proto.h"
#include "tstund_udp.h"

#define BATCH 64
/* Batches per wakeup before yielding to the other fds of the loop. */
#define ROUNDS 8
/* Requests larger than this are not ours (a GET fits in far less). */
#define MAX_REQ 1280
#define MAX_RESP 1152

union cmsgbuf {
	struct cmsghdr align;
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

/* Per-socket buffers, reused for every batch (no allocation per packet). */
struct tstund_udp {
	struct ti_loop *loop;
	int fd;
	int family;
	int wildcard; /* bound to 0.0.0.0 or ::, so replies need an explicit source */
	struct tstund_proto *proto;
	char *uri;
	struct tstund_udp_stats stats;
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec in_iov[BATCH], out_iov[BATCH];
	struct sockaddr_storage peer[BATCH];
	union cmsgbuf in_cmsg[BATCH], out_cmsg[BATCH];
	uint8_t req[BATCH][MAX_REQ];
	uint8_t resp[BATCH][MAX_RESP];
};

/* Copy the destination of a request into the control data of its reply. */
static size_t
reply_source(const struct msghdr *in, union cmsgbuf *out)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)in); c;
	     c = CMSG_NXTHDR((struct msghdr *)in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			struct in_pktinfo reply = { .ipi_spec_dst = pi.ipi_addr };
			struct cmsghdr *o = &out->align;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(reply));
			memcpy(CMSG_DATA(o), &reply, sizeof(reply));
			return CMSG_SPACE(sizeof(reply));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			struct cmsghdr *o = &out->align;
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
	}
	return 0;
}

static void
prepare_in(struct tstund_udp *u)
{
	for (int i = 0; i < BATCH; i++) {
		u->in_iov[i] = (struct iovec){ .iov_base = u->req[i], .iov_len = MAX_REQ };
		u->in[i].msg_hdr = (struct msghdr){
			.msg_name = &u->peer[i],
			.msg_namelen = sizeof(u->peer[i]),
			.msg_iov = &u->in_iov[i],
			.msg_iovlen = 1,
			.msg_control = u->wildcard ? u->in_cmsg[i].buf : NULL,
			.msg_controllen = u->wildcard ? sizeof(u->in_cmsg[i]) : 0,
		};
	}
}

static void
send_batch(struct tstund_udp *u, int n)
{
	int off = 0;

	while (off < n) {
		int sent = sendmmsg(u->fd, u->out + off, (unsigned)(n - off), MSG_DONTWAIT);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			/* Full buffer or an unreachable peer: skip one reply, go on. */
			u->stats.send_failed++;
			off++;
			continue;
		}
		u->stats.answered += (uint64_t)sent;
		off += sent;
	}
}

static void
on_readable(struct ti_loop *loop, int fd, uint32_t events, void *data)
{
	struct tstund_udp *u = data;

	for (int round = 0; round < ROUNDS; round++) {
		prepare_in(u);
		int n = recvmmsg(fd, u->in, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		u->stats.received += (uint64_t)n;
		int k = 0;
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &u->in[i].msg_hdr;
			if (h->msg_flags & MSG_TRUNC)
				continue; /* larger than any request we serve */
			size_t len = tstund_proto_answer(u->proto, u->req[i], u->in[i].msg_len,
							 (struct sockaddr *)&u->peer[i],
							 TI_TRANSPORT_UDP, u->resp[k], MAX_RESP);
			if (len == 0)
				continue;
			size_t clen = u->wildcard ? reply_source(h, &u->out_cmsg[k]) : 0;
			u->out_iov[k] = (struct iovec){ .iov_base = u->resp[k], .iov_len = len };
			u->out[k].msg_hdr = (struct msghdr){
				.msg_name = &u->peer[i],
				.msg_namelen = h->msg_namelen,
				.msg_iov = &u->out_iov[k],
				.msg_iovlen = 1,
				.msg_control = clen ? u->out_cmsg[k].buf : NULL,
				.msg_controllen = clen,
			};
			k++;
		}
		if (k > 0)
			send_batch(u, k);
		if (n < BATCH)
			break;
	}
}

static int
is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int
open_socket(const struct sockaddr_storage *ss, socklen_t len, int wildcard)
{
	int one = 1, rcvbuf = 4 << 20;
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* A larger buffer rides out bursts; the kernel caps it at rmem_max. */
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
	 * port; afterwards it lets our RD client send from this port on a
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

struct tstund_udp *
tstund_udp_open(struct ti_loop *loop, const char *uri, struct tstund_proto *proto, char *err,
		size_t errlen)
{
	struct sockaddr_storage ss;
	struct tstund_udp *u;
	struct ti_uri parsed;
	socklen_t len;
	int r;

	if (ti_uri_parse(uri, &parsed) < 0 || parsed.transport != TI_TRANSPORT_UDP) {
		snprintf(err, errlen, "not a coap:// URI");
		return NULL;
	}
	if (ti_uri_resolve(&parsed, &ss, &len) < 0) {
		snprintf(err, errlen, "cannot resolve '%s'", parsed.host);
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL || (u->uri = strdup(uri)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	u->loop = loop;
	u->proto = proto;
	u->family = ss.ss_family;
	u->wildcard = is_wildcard(&ss);
	u->fd = open_socket(&ss, len, u->wildcard);
	if (u->fd < 0) {
		snprintf(err, errlen, "cannot bind (%s)", ti_strerror(u->fd));
		goto out_free;
	}
	if ((r = ti_loop_add_fd(loop, u->fd, EPOLLIN, on_readable, u)) < 0) {
		snprintf(err, errlen, "cannot watch the socket (%s)", ti_strerror(r));
		close(u->fd);
		goto out_free;
	}
	return u;
out_free:
	if (u)
		free(u->uri);
	free(u);
	return NULL;
}

void
tstund_udp_set_proto(struct tstund_udp *u, struct tstund_proto *proto)
{
	u->proto = proto;
}

const struct tstund_udp_stats *
tstund_udp_stats(const struct tstund_udp *u)
{
	return &u->stats;
}

const char *
tstund_udp_uri(const struct tstund_udp *u)
{
	return u->uri;
}

int
tstund_udp_local(const struct tstund_udp *u, struct sockaddr_storage *ret_ss)
{
	socklen_t len = sizeof(*ret_ss);

	return getsockname(u->fd, (struct sockaddr *)ret_ss, &len) < 0 ? -errno : 0;
}

void
tstund_udp_close(struct tstund_udp *u)
{
	if (u == NULL)
		return;
	ti_loop_del_fd(u->loop, u->fd);
	close(u->fd);
	free(u->uri);
	free(u);
}
