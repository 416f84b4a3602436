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
#include "ti_udp.h"
#include "ti_util.h"

#include "tstund_proto.h"
#include "tstund_udp.h"

#define BATCH 64
/* Batches per wakeup before yielding to the other fds of the loop. */
#define ROUNDS 8
/* Requests larger than this are not ours (a GET fits in far less). */
#define MAX_REQ 1280
#define MAX_RESP 1152

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
	union ti_udp_rcmsg in_cmsg[BATCH];
	union ti_udp_cmsg out_cmsg[BATCH];
	uint8_t req[BATCH][MAX_REQ];
	uint8_t resp[BATCH][MAX_RESP];
};

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
			size_t clen = u->wildcard ? ti_udp_reply_cmsg(h, &u->out_cmsg[k]) : 0;
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

struct tstund_udp *
tstund_udp_open(struct ti_loop *loop, const char *uri, struct tstund_proto *proto, char *err,
		size_t errlen)
{
	struct sockaddr_storage ss;
	struct tstund_udp *u;
	int r;

	u = calloc(1, sizeof(*u));
	if (u == NULL || (u->uri = strdup(uri)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	u->loop = loop;
	u->proto = proto;
	u->fd = ti_udp_open_uri(uri, 4 << 20, &ss, err, errlen);
	if (u->fd < 0)
		goto out_free;
	u->family = ss.ss_family;
	u->wildcard = ti_udp_is_wildcard(&ss);
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
