/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: libcoap context setup, endpoints from listen URIs, loop attachment. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <coap3/coap.h>

#include "ti_addr.h"
#include "ti_coap.h"
#include "ti_err.h"
#include "ti_loop.h"
#include "ti_util.h"

coap_context_t *
ti_coap_context_new(const struct ti_coap_limits *limits, void *app_data)
{
	coap_context_t *ctx = coap_new_context(NULL);

	if (ctx == NULL)
		return NULL;
	coap_context_set_block_mode(ctx, limits != NULL && limits->per_block_requests
						 ? COAP_BLOCK_USE_LIBCOAP
						 : COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	if (limits != NULL && limits->max_idle_sessions)
		coap_context_set_max_idle_sessions(ctx, limits->max_idle_sessions);
	if (limits != NULL && limits->session_timeout)
		coap_context_set_session_timeout(ctx, limits->session_timeout);
	coap_set_app_data(ctx, app_data);
	return ctx;
}

int
ti_coap_check_listen(const char *value, char *err, size_t errlen)
{
	struct ti_uri u;
	int r = ti_uri_parse(value, &u);

	if (r == TI_ESCHEME) {
		snprintf(err, errlen, "not a CoAP URI (coap://, coap+tcp://)");
		return r;
	}
	if (r < 0) {
		snprintf(err, errlen,
			 "expected a URI like coap://0.0.0.0:5683 or coap://[::]:5683");
		return r;
	}
	if (u.path[0] != '\0' && strcmp(u.path, "/") != 0) {
		snprintf(err, errlen, "a listen URI has no path");
		return TI_EPARSE;
	}
	if (u.query[0] != '\0') {
		snprintf(err, errlen, "a listen URI has no query");
		return TI_EPARSE;
	}
	if (u.transport == TI_TRANSPORT_DTLS || u.transport == TI_TRANSPORT_TLS) {
		snprintf(err, errlen, "%s:// is not supported yet (no DTLS/TLS credentials)",
			 ti_transport_scheme(u.transport));
		return TI_ESCHEME;
	}
	if (u.transport == TI_TRANSPORT_TCP && !coap_tcp_is_supported()) {
		snprintf(err, errlen, "this libcoap has no TCP support");
		return TI_ESCHEME;
	}
	return 0;
}

void
ti_coap_address_from(coap_address_t *ca, const struct sockaddr *sa, socklen_t len)
{
	coap_address_init(ca);
	memcpy(&ca->addr, sa, len);
	ca->size = len;
}

/* Socket buffer of a UDP endpoint: a burst of requests or of ACKs to notifications. */
#define TI_COAP_UDP_BUFFER (4 << 20)

/*
 * Give the UDP socket libcoap just bound to sa a large receive buffer:
 * the kernel's default (about 200 KiB, some 300 datagrams) overflows when
 * a thousand observers acknowledge their notifications at once. libcoap
 * 4.3.1 does not expose an endpoint's socket, so find it: the socket
 * bound to exactly this address. SO_RCVBUFFORCE (CAP_NET_ADMIN, e.g. when
 * started as root) goes past net.core.rmem_max; otherwise the kernel caps
 * the size at rmem_max.
 */
static void
grow_buffers(const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_storage got;
	int size = TI_COAP_UDP_BUFFER, type;
	socklen_t l, tl;

	for (int fd = 0; fd < 4096; fd++) {
		tl = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_DGRAM)
			continue;
		l = sizeof(got);
		if (getsockname(fd, (struct sockaddr *)&got, &l) < 0 || l != len ||
		    memcmp(&got, sa, len) != 0)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	}
}

int
ti_coap_check_free(const char *uri, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct ti_uri u;
	socklen_t len;
	int fd, r = 0, on = 1;

	if (ti_uri_parse(uri, &u) < 0 || ti_uri_resolve(&u, &ss, &len) < 0)
		return 0; /* ti_coap_add_endpoint() says what is wrong */
	if (u.transport != TI_TRANSPORT_UDP && u.transport != TI_TRANSPORT_DTLS)
		return 0; /* TCP listeners conflict by themselves */
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	/* v6-only, so that [::] does not collide with this process's own 0.0.0.0. */
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 && errno == EADDRINUSE) {
		snprintf(err, errlen, "cannot bind (address in use: is another daemon listening there?)");
		r = TI_ECOAP;
	}
	close(fd);
	return r;
}

int
ti_coap_add_endpoint(coap_context_t *ctx, const char *uri, char *err, size_t errlen)
{
	static const coap_proto_t protos[] = {
		[TI_TRANSPORT_UDP] = COAP_PROTO_UDP,
		[TI_TRANSPORT_DTLS] = COAP_PROTO_DTLS,
		[TI_TRANSPORT_TCP] = COAP_PROTO_TCP,
		[TI_TRANSPORT_TLS] = COAP_PROTO_TLS,
	};
	struct sockaddr_storage ss;
	coap_address_t addr;
	struct ti_uri u;
	socklen_t len;
	int r;

	if ((r = ti_coap_check_listen(uri, err, errlen)) < 0)
		return r;
	ti_uri_parse(uri, &u);
	if ((r = ti_uri_resolve(&u, &ss, &len)) < 0) {
		snprintf(err, errlen, "cannot resolve '%s'", u.host);
		return r;
	}
	ti_coap_address_from(&addr, (struct sockaddr *)&ss, len);
	if (coap_new_endpoint(ctx, &addr, protos[u.transport]) == NULL) {
		snprintf(err, errlen, "cannot bind (address in use or not available)");
		return TI_ECOAP;
	}
	if (u.transport == TI_TRANSPORT_UDP || u.transport == TI_TRANSPORT_DTLS)
		grow_buffers((struct sockaddr *)&ss, len);
	return 0;
}

/* Datagrams read per readiness before libcoap's housekeeping runs once. */
#define TI_COAP_BATCH 64

/*
 * libcoap 4.3.1's coap_io_process() reads one datagram per endpoint and
 * then rescans every session and re-arms its timer: per datagram. Under
 * load that scan dominates. So read up to TI_COAP_BATCH datagrams (each
 * coap_io_do_epoll() handles one per ready socket, and its timerfd), then
 * run the housekeeping (retransmissions, timeouts, async requests,
 * notifications, the timer) once.
 */
static void
on_coap_fd(struct ti_loop *loop, int fd, uint32_t events, void *data)
{
	coap_context_t *ctx = data;
	struct epoll_event ev[16];
	coap_tick_t now;
	int n;

	(void)loop, (void)events;
	for (int i = 0; i < TI_COAP_BATCH; i++) {
		n = epoll_wait(fd, ev, (int)TI_ARRAY_SIZE(ev), 0);
		if (n <= 0)
			break;
		coap_io_do_epoll(ctx, ev, (size_t)n);
	}
	coap_ticks(&now);
	coap_io_prepare_epoll(ctx, now);
}

int
ti_coap_attach(coap_context_t *ctx, struct ti_loop *loop)
{
	int fd = coap_context_get_coap_fd(ctx);
	int r;

	if (fd < 0)
		return -ENOTSUP;
	if ((r = ti_loop_add_fd(loop, fd, EPOLLIN, on_coap_fd, ctx)) < 0)
		return r;
	/* Arm libcoap's internal timer and flush anything queued before attach. */
	coap_io_process(ctx, COAP_IO_NO_WAIT);
	return 0;
}

void
ti_coap_detach(coap_context_t *ctx, struct ti_loop *loop)
{
	int fd = coap_context_get_coap_fd(ctx);

	if (fd >= 0)
		ti_loop_del_fd(loop, fd);
}

enum ti_transport
ti_coap_session_transport(const coap_session_t *session)
{
	switch (coap_session_get_proto(session)) {
	case COAP_PROTO_DTLS:
		return TI_TRANSPORT_DTLS;
	case COAP_PROTO_TCP:
		return TI_TRANSPORT_TCP;
	case COAP_PROTO_TLS:
		return TI_TRANSPORT_TLS;
	case COAP_PROTO_NONE:
	case COAP_PROTO_UDP:
	default:
		return TI_TRANSPORT_UDP;
	}
}
