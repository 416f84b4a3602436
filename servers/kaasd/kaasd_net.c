/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: its UDP sockets: batched reads, the ICMP error queue, hop-limited sends. */
#include "config.h"

#include <arpa/inet.h>
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

#include "kaasd_icmp.h"
#include "kaasd_server.h"

#define BATCH 32
/* Batches per wakeup before yielding to the other fds of the loop. */
#define ROUNDS 8
/* Error-queue messages read per wakeup. */
#define ERRQ_MAX 256

void
kaasd_addr_from(struct kaasd_addr *ka, const struct sockaddr *sa)
{
	memset(ka, 0, sizeof(*ka));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		ka->family = 4;
		ka->port = ntohs(sin->sin_port);
		memcpy(ka->a, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		ka->port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			ka->family = 4;
			memcpy(ka->a, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			ka->family = 6;
			memcpy(ka->a, &s6->sin6_addr, 16);
		}
	}
}

socklen_t
kaasd_addr_to(const struct kaasd_addr *ka, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ka->family == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(ka->port);
		memcpy(&sin->sin_addr, ka->a, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(ka->port);
	memcpy(&s6->sin6_addr, ka->a, 16);
	return sizeof(*s6);
}

int
kaasd_addr_same_host(const struct kaasd_addr *x, const struct kaasd_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, x->family == 4 ? 4 : 16) == 0;
}

int
kaasd_addr_equal(const struct kaasd_addr *x, const struct kaasd_addr *y)
{
	return x->port == y->port && kaasd_addr_same_host(x, y);
}

void
kaasd_addr_format(const struct kaasd_addr *ka, int with_port, char *buf, size_t size)
{
	struct sockaddr_storage ss;

	if (ka->family == 0) {
		ti_strlcpy(buf, "-", size);
		return;
	}
	kaasd_addr_to(ka, &ss);
	if (with_port)
		ti_addr_format((struct sockaddr *)&ss, buf, size);
	else
		ti_addr_format_host((struct sockaddr *)&ss, buf, size);
}

/* An IPv4 socket bound to a wildcard is in the 4 family, and so on. */
int
kaasd_net_find_sock(const struct kaasd_server *srv, const struct kaasd_addr *local)
{
	int wild = -1;

	for (unsigned i = 0; i < srv->n_socks; i++) {
		const struct kaasd_sock *k = srv->socks[i];
		struct kaasd_addr b;
		kaasd_addr_from(&b, (const struct sockaddr *)&k->bound);
		if (b.family != local->family || b.port != local->port)
			continue;
		if (kaasd_addr_same_host(&b, local))
			return (int)i;
		if (k->wildcard && wild < 0)
			wild = (int)i;
	}
	return wild;
}

static void
on_icmp(const struct kaasd_icmp_event *ev, void *arg)
{
	struct kaasd_server *srv = arg;

	srv->stats.icmp++;
	if (ev->kind == KAASD_ICMP_NONE)
		return;
	if (kaasd_relay_icmp(srv, ev))
		return;
	kaasd_sub_on_icmp(srv, ev);
}

static void
drain_errors(struct kaasd_sock *k)
{
	int r = kaasd_icmp_drain(k->fd, ERRQ_MAX, on_icmp, k->srv);

	if (r < 0)
		ti_log_debug("reading the error queue of '%s' failed (%s)", k->uri, ti_strerror(r));
}

static void
on_readable(struct ti_loop *loop, int fd, uint32_t events, void *data)
{
	struct kaasd_sock *k = data;
	struct mmsghdr in[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage peer[BATCH];
	union ti_udp_rcmsg cm[BATCH];
	static uint8_t buf[BATCH][KAASD_MAX_DGRAM];
	struct kaasd_addr bound;

	(void)loop;
	kaasd_addr_from(&bound, (struct sockaddr *)&k->bound);
	if (events & EPOLLERR)
		drain_errors(k);
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = buf[i], .iov_len = sizeof(buf[i]) };
			in[i].msg_hdr = (struct msghdr){
				.msg_name = &peer[i],
				.msg_namelen = sizeof(peer[i]),
				.msg_iov = &iov[i],
				.msg_iovlen = 1,
				.msg_control = cm[i].buf,
				.msg_controllen = sizeof(cm[i].buf),
			};
		}
		int n = recvmmsg(fd, in, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			/* A pending error makes the read fail: drain it and go on. */
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				drain_errors(k);
				continue;
			}
			break;
		}
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &in[i].msg_hdr;
			struct kaasd_addr from, local;
			struct sockaddr_storage dst;

			if (h->msg_flags & MSG_TRUNC)
				continue; /* larger than anything we serve or relay */
			kaasd_addr_from(&from, (struct sockaddr *)&peer[i]);
			if (k->wildcard && ti_udp_dest(h, &dst) == 0)
				kaasd_addr_from(&local, (struct sockaddr *)&dst);
			else
				local = bound;
			local.port = bound.port;
			kaasd_proto_input(k->srv, k->index, &from, &local, ti_udp_recv_ttl(h), buf[i],
					  in[i].msg_len);
		}
		if (n < BATCH)
			break;
	}
	kaasd_net_flush(k->srv);
	kaasd_sub_rearm(k->srv);
}

int
kaasd_net_open(struct kaasd_server *srv, const char *uri, char *err, size_t errlen)
{
	struct kaasd_sock *k = calloc(1, sizeof(*k));
	struct kaasd_sock **v;
	int one = 1, r;

	if (k == NULL || (k->uri = strdup(uri)) == NULL) {
		free(k);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	k->srv = srv;
	k->fd = ti_udp_open_uri(uri, 8 << 20, &k->bound, err, errlen);
	if (k->fd < 0) {
		r = k->fd;
		goto fail;
	}
	k->family = k->bound.ss_family;
	k->wildcard = ti_udp_is_wildcard(&k->bound);
	/* The TTL of requests: the hop-count hint of a subscription. */
	if ((k->family == AF_INET &&
	     setsockopt(k->fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)) < 0) ||
	    (k->family == AF_INET6 &&
	     setsockopt(k->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) < 0)) {
		r = -errno;
		snprintf(err, errlen, "cannot set socket options (%s)", ti_strerror(r));
		goto fail_fd;
	}
	if ((r = kaasd_icmp_enable(k->fd, k->family)) < 0) {
		snprintf(err, errlen, "cannot enable ICMP errors (%s)", ti_strerror(r));
		goto fail_fd;
	}
	ti_random(&k->next_mid, sizeof(k->next_mid));
	v = realloc(srv->socks, (srv->n_socks + 1) * sizeof(*v));
	if (v == NULL) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail_fd;
	}
	srv->socks = v;
	k->index = srv->n_socks;
	if ((r = ti_loop_add_fd(srv->loop, k->fd, EPOLLIN, on_readable, k)) < 0) {
		snprintf(err, errlen, "cannot watch the socket (%s)", ti_strerror(r));
		goto fail_fd;
	}
	srv->socks[srv->n_socks++] = k;
	return 0;
fail_fd:
	close(k->fd);
fail:
	free(k->uri);
	free(k);
	return r;
}

void
kaasd_net_close_all(struct kaasd_server *srv)
{
	for (unsigned i = 0; i < srv->n_socks; i++) {
		struct kaasd_sock *k = srv->socks[i];
		ti_loop_del_fd(srv->loop, k->fd);
		close(k->fd);
		free(k->uri);
		free(k);
	}
	free(srv->socks);
	srv->socks = NULL;
	srv->n_socks = 0;
}

/* The error a send fails with while an ICMP error is pending on the socket. */
static int
is_pending_error(int e)
{
	return e == EHOSTUNREACH || e == ECONNREFUSED || e == ENETUNREACH || e == EMSGSIZE ||
	       e == EHOSTDOWN || e == ENETDOWN || e == EPROTO || e == EACCES;
}

int
kaasd_net_send(struct kaasd_server *srv, unsigned sock, const struct kaasd_addr *peer,
	       const struct kaasd_addr *local, int ttl, const void *buf, size_t len)
{
	struct kaasd_sock *k;
	struct sockaddr_storage to, src;
	union ti_udp_cmsg cm;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_name = &to, .msg_iov = &iov, .msg_iovlen = 1 };
	size_t clen;

	if (sock >= srv->n_socks)
		return -EINVAL;
	k = srv->socks[sock];
	m.msg_namelen = kaasd_addr_to(peer, &to);
	if (local && k->wildcard)
		kaasd_addr_to(local, &src);
	clen = ti_udp_build_cmsg(&cm, k->family, local && k->wildcard ? &src : NULL, ttl);
	m.msg_control = clen ? cm.buf : NULL;
	m.msg_controllen = clen;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (sendmsg(k->fd, &m, MSG_DONTWAIT) >= 0)
			return 0;
		if (!is_pending_error(errno))
			break;
		/* The error was about an earlier datagram: read it, then retry. */
		drain_errors(k);
	}
	srv->stats.send_failed++;
	return -errno;
}

void
kaasd_net_queue_ping(struct kaasd_server *srv, unsigned sock, const struct kaasd_addr *peer,
		     const struct kaasd_addr *local, int ttl, uint16_t mid)
{
	struct kaasd_sock *k;
	unsigned i;

	if (sock >= srv->n_socks)
		return;
	k = srv->socks[sock];
	if (k->n_out == TI_ARRAY_SIZE(k->out))
		kaasd_net_flush(srv);
	i = k->n_out++;
	k->out_buf[i][0] = 0x40; /* version 1, CON, no token */
	k->out_buf[i][1] = 0;	 /* empty */
	k->out_buf[i][2] = (uint8_t)(mid >> 8);
	k->out_buf[i][3] = (uint8_t)mid;
	k->out_iov[i] = (struct iovec){ .iov_base = k->out_buf[i], .iov_len = 4 };
	struct sockaddr_storage src;
	if (k->wildcard)
		kaasd_addr_to(local, &src);
	size_t clen = ti_udp_build_cmsg(&k->out_cmsg[i], k->family, k->wildcard ? &src : NULL, ttl);
	k->out[i].msg_hdr = (struct msghdr){
		.msg_name = &k->out_peer[i],
		.msg_namelen = kaasd_addr_to(peer, &k->out_peer[i]),
		.msg_iov = &k->out_iov[i],
		.msg_iovlen = 1,
		.msg_control = clen ? k->out_cmsg[i].buf : NULL,
		.msg_controllen = clen,
	};
}

static void
flush_sock(struct kaasd_server *srv, struct kaasd_sock *k)
{
	unsigned off = 0;
	int retried = 0;

	while (off < k->n_out) {
		int sent = sendmmsg(k->fd, k->out + off, k->n_out - off, MSG_DONTWAIT);
		if (sent > 0) {
			off += (unsigned)sent;
			retried = 0;
			continue;
		}
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0 && is_pending_error(errno) && !retried) {
			drain_errors(k);
			retried = 1;
			continue;
		}
		/* Full buffer or an unreachable peer: skip one, go on. */
		srv->stats.send_failed++;
		off++;
		retried = 0;
	}
	k->n_out = 0;
}

void
kaasd_net_flush(struct kaasd_server *srv)
{
	for (unsigned i = 0; i < srv->n_socks; i++)
		if (srv->socks[i]->n_out)
			flush_sock(srv, srv->socks[i]);
}
