/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: CoAP GET and STUN Binding request templates and reply parsing. */
#ifndef BENCH_PROTO_H
#define BENCH_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/** Largest request a template holds. */
#define BENCH_REQ_MAX 512

enum bench_proto {
	BENCH_PROTO_COAP = 0,
	BENCH_PROTO_STUN,
};

/**
 * A request template. Every request is a copy of buf with its identity
 * (CoAP message ID and token, or STUN transaction ID) stamped in.
 */
struct bench_req {
	enum bench_proto proto;
	int con; /**< CoAP: confirmable (1) or non-confirmable (0) */
	size_t len;
	uint8_t buf[BENCH_REQ_MAX];
};

/**
 * The identity of one request. CoAP sends slot and nonce[0] as its 8-byte
 * token and mid as its message ID; STUN sends slot, nonce[0] and nonce[1]
 * as its 96-bit transaction ID.
 */
struct bench_tag {
	uint32_t slot;
	uint32_t nonce[2];
	uint16_t mid;
};

/** What a reply is. */
enum bench_kind {
	BENCH_REPLY_OTHER = 0, /**< not a reply to us (malformed, foreign, empty ACK) */
	BENCH_REPLY_TAG,       /**< carries a full tag (CoAP token, STUN transaction ID) */
	BENCH_REPLY_RST,       /**< CoAP Reset: only tag.mid is known */
};

/** A parsed reply. */
struct bench_reply {
	enum bench_kind kind;
	struct bench_tag tag;
	int ok;	       /**< CoAP 2.05; STUN Binding Success Response */
	int coap_type; /**< CoAP message type (0 CON, 1 NON, 2 ACK, 3 RST) */
	int has_addr;  /**< addr holds the reflected source address */
	struct sockaddr_storage addr;
};

/**
 * Build a CoAP GET template: one Uri-Path option per non-empty segment of
 * path, then Accept when accept >= 0.
 * @return 0, or TI_ETOOBIG when a segment or the whole request is too long.
 */
int bench_req_coap(struct bench_req *req, const char *path, int con, long accept);

/** Build an RFC 8489 Binding Request template (no attributes). */
void bench_req_stun(struct bench_req *req);

/**
 * Write tmpl with its identity set to tag into buf (tmpl->len bytes).
 * @param[out] buf  at least tmpl->len bytes.
 */
void bench_req_stamp(const struct bench_req *tmpl, uint8_t *buf, const struct bench_tag *tag);

/**
 * Parse a datagram received from the target. For CoAP the reflected address
 * is taken from a text/plain payload "a.b.c.d:port" or "[v6]:port"; for STUN
 * from XOR-MAPPED-ADDRESS. Never fails: unknown input is BENCH_REPLY_OTHER.
 * @param[out] ret  always written.
 */
void bench_reply_parse(enum bench_proto proto, const uint8_t *buf, size_t len,
		       struct bench_reply *ret);

/**
 * Build the empty ACK that acknowledges a CON response with message ID mid.
 * @param[out] buf  4 bytes.
 */
void bench_coap_ack(uint8_t buf[4], uint16_t mid);

#endif /* BENCH_PROTO_H */
