/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: libcoap context setup, endpoints from listen URIs, loop attachment. */
#ifndef TI_COAP_H
#define TI_COAP_H

#include <stddef.h>
#include <stdint.h>

#include <coap3/coap.h>

#include "ti_addr.h"

struct ti_loop;

/** Limits applied to a new context. */
struct ti_coap_limits {
	unsigned
	    max_idle_sessions;	  /**< coap_context_set_max_idle_sessions(); 0: libcoap default */
	unsigned session_timeout; /**< idle server session lifetime in s; 0: libcoap default */
	/**
	 * 0: libcoap reassembles Block1 request bodies and hands handlers the
	 * whole body (COAP_BLOCK_SINGLE_BODY). libcoap 4.3.1 then allocates
	 * whatever Size1 the client declares before any handler runs.
	 * 1: handlers see every block (pdu body_offset/body_total) and can
	 * refuse an oversized body at its first block; they reassemble.
	 */
	int per_block_requests;
};

/**
 * Create a libcoap context with our defaults (block-wise handled by libcoap,
 * limits applied) and app_data attached.
 * @return the context (free with coap_free_context()), or NULL.
 */
coap_context_t *ti_coap_context_new(const struct ti_coap_limits *limits, void *app_data);

/**
 * Check that a listen URI is usable: a CoAP scheme, a host, no path or query.
 * DTLS and TLS schemes are parsed and rejected until they are supported.
 * Fits ti_conf_check_fn.
 */
int ti_coap_check_listen(const char *value, char *err, size_t errlen);

/**
 * Check that nobody listens on a UDP listen URI yet. libcoap binds UDP
 * sockets with SO_REUSEADDR, so a second daemon on the same port would
 * start and share the datagrams; a probe bound without it fails where
 * any socket already is. Call it for every listen URI before adding the
 * first endpoint (a v6 probe is v6-only, so [::] and 0.0.0.0 of one
 * process do not collide). TCP URIs and unparsable ones pass.
 * @return 0, or TI_ECOAP with err set.
 */
int ti_coap_check_free(const char *uri, char *err, size_t errlen);

/**
 * Add a libcoap endpoint for a listen URI.
 * @param[out] err  a reason, written on failure.
 * @return 0, TI_EPARSE, TI_ESCHEME, TI_ECOAP (bind failed).
 */
int ti_coap_add_endpoint(coap_context_t *ctx, const char *uri, char *err, size_t errlen);

/**
 * Have the loop run libcoap's I/O: its epoll fd is watched and
 * coap_io_process(ctx, COAP_IO_NO_WAIT) runs when it is ready.
 * @return 0 or -errno.
 */
int ti_coap_attach(coap_context_t *ctx, struct ti_loop *loop);
/** Stop watching ctx's fd. */
void ti_coap_detach(coap_context_t *ctx, struct ti_loop *loop);

/** Fill a coap_address_t from a socket address. */
void ti_coap_address_from(coap_address_t *ca, const struct sockaddr *sa, socklen_t len);

/** The transport of a libcoap session. */
enum ti_transport ti_coap_session_transport(const coap_session_t *session);

#endif /* TI_COAP_H */
