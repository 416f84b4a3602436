/* SPDX-License-Identifier: BSD-2-Clause */
/* tstund: the reflexive resource's representations and the stateless CoAP/UDP answerer. */
#ifndef TSTUND_PROTO_H
#define TSTUND_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ti_addr.h"

/** Content formats of the reflexive resource (CoAP Content-Format registry). */
enum tstund_cf {
	TSTUND_CF_TEXT = 0,  /**< text/plain;charset=utf-8 */
	TSTUND_CF_LINK = 40, /**< application/link-format */
	TSTUND_CF_JSON = 50, /**< application/json */
	TSTUND_CF_CBOR = 60, /**< application/cbor */
};

/** The ct attribute listing every supported format, for link-format. */
#define TSTUND_CT_ATTR "0 40 50 60"
/** Longest representation, with room to spare (JSON of an IPv6 address). */
#define TSTUND_REPR_MAX 256
/** Longest path accepted (config check). */
#define TSTUND_PATH_MAX 200
/** Most Uri-Path segments accepted in the configured path. */
#define TSTUND_PATH_SEGS 16

/** Whether cf is one of the formats above. */
int tstund_cf_supported(unsigned cf);

/**
 * Write the representation of a reflexive address.
 * @param[in] sa         the requester's source address (IPv4-mapped shown as IPv4).
 * @param[in] transport  selects the URI scheme and the "transport" member.
 * @param[in] cf         one of enum tstund_cf.
 * @param[out] ret_len   the length written, on success.
 * @return 0, TI_EUNKNOWN (cf), -ENOSPC, -EAFNOSUPPORT.
 */
int tstund_repr(const struct sockaddr *sa, enum ti_transport transport, unsigned cf, uint8_t *buf,
		size_t size, size_t *ret_len);

/**
 * Check a configured resource path: absolute, 1..TSTUND_PATH_SEGS non-empty
 * segments of URI path characters, no query, not /.well-known/core.
 * Fits ti_conf_check_fn.
 */
int tstund_path_check(const char *path, char *err, size_t errlen);

/**
 * State of the stateless answerer: the path, pre-split (as offsets, so the
 * struct can be copied), and the NON message ID counter.
 */
struct tstund_proto {
	char path[TSTUND_PATH_MAX + 1];
	size_t n_segs;
	uint8_t seg_off[TSTUND_PATH_SEGS];
	uint8_t seg_len[TSTUND_PATH_SEGS];
	char link[TSTUND_PATH_MAX + 64]; /**< this resource's /.well-known/core entry */
	size_t link_len;
	uint16_t next_mid;
};

/**
 * Set up p for a resource path (which tstund_path_check() accepted).
 * @return 0 or TI_EPARSE.
 */
int tstund_proto_init(struct tstund_proto *p, const char *path);

/**
 * Answer one CoAP-over-UDP datagram as the reflexive resource's server:
 * GET on the path, GET /.well-known/core, errors (4.00, 4.02, 4.04, 4.05,
 * 4.06, 4.12, 5.05) with short diagnostic payloads, RST for pings and for
 * rejected Confirmable messages, Block2 and No-Response honoured. A CON is
 * answered by a piggybacked ACK, a NON by a NON.
 *
 * @param[in] req, len  the datagram.
 * @param[in] src       its source address.
 * @param[out] out      the response, when the return value is > 0.
 * @return the response length; 0 when nothing is to be sent.
 */
size_t tstund_proto_answer(struct tstund_proto *p, const uint8_t *req, size_t len,
			   const struct sockaddr *src, enum ti_transport transport, uint8_t *out,
			   size_t out_size);

#endif /* TSTUND_PROTO_H */
