/* SPDX-License-Identifier: BSD-2-Clause */
/* tstund: the stateless CoAP-over-UDP fast path: own sockets, batched I/O, no sessions. */
#ifndef TSTUND_UDP_H
#define TSTUND_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ti_loop;
struct tstund_proto;
struct tstund_udp;

/** Counters of one socket, for logs and STATUS=. */
struct tstund_udp_stats {
	uint64_t received;
	uint64_t answered;
	uint64_t send_failed;
};

/**
 * Bind a UDP socket for a coap:// listen URI and serve it from loop.
 * IPv6 sockets are IPv6-only so that 0.0.0.0 and [::] can share a port;
 * on wildcard addresses, replies leave from the address each request was sent to.
 *
 * @param[in] uri    a listen URI accepted by ti_coap_check_listen() with scheme coap.
 * @param[in] proto  borrowed; must outlive the socket (it may be replaced by
 *                   tstund_udp_set_proto()).
 * @param[out] err   a reason, written on failure.
 * @return the socket (free with tstund_udp_close()), or NULL.
 */
struct tstund_udp *tstund_udp_open(struct ti_loop *loop, const char *uri,
				   struct tstund_proto *proto, char *err, size_t errlen);

/** Use another answerer (after a reload); borrowed like the first. */
void tstund_udp_set_proto(struct tstund_udp *u, struct tstund_proto *proto);

/** This socket's counters. */
const struct tstund_udp_stats *tstund_udp_stats(const struct tstund_udp *u);

/** The listen URI it was opened for (borrowed). */
const char *tstund_udp_uri(const struct tstund_udp *u);

/** The address the socket is bound to. @return 0 or -errno. */
int tstund_udp_local(const struct tstund_udp *u, struct sockaddr_storage *ret_ss);

/** Stop serving and close. NULL is ignored. */
void tstund_udp_close(struct tstund_udp *u);

#endif /* TSTUND_UDP_H */
