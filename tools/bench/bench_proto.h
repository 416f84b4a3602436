/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: CoAP and STUN Binding request templates and reply parsing. */
#ifndef BENCH_PROTO_H
#define BENCH_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/** Largest request a template holds. */
#define BENCH_REQ_MAX 1024

/** CoAP codes as on the wire (class << 5 | detail). */
#define BENCH_COAP_GET 0x01
#define BENCH_COAP_POST 0x02
#define BENCH_COAP_CREATED 0x41 /* 2.01 */
#define BENCH_COAP_CHANGED 0x44 /* 2.04 */
#define BENCH_COAP_CONTENT 0x45 /* 2.05 */

enum bench_proto {
	BENCH_PROTO_COAP = 0,
	BENCH_PROTO_STUN,
};

/**
 * What a CoAP request carries. The path segments, the Uri-Query parameters
 * and the payload may hold placeholders, replaced in every request by a
 * number v that the load chooses (a random index or a sequence number):
 * %n is v in decimal, %a is v modulo 2^24 as an IPv4 address in
 * 10.0.0.0/8, %% is a '%'. The strings are borrowed and must outlive every
 * request built from them.
 */
struct bench_coap_spec {
	int code;	     /**< request method code (BENCH_COAP_GET, BENCH_COAP_POST) */
	int con;	     /**< confirmable (1) or non-confirmable (0) */
	long observe;	     /**< Observe option value, -1 for none */
	const char *path;    /**< Uri-Path, segments separated by '/' */
	const char *query;   /**< Uri-Query parameters separated by '&'; NULL or "" for none */
	long content_format; /**< Content-Format option, -1 for none */
	long accept;	     /**< Accept option, -1 for none */
	const char *payload; /**< NULL or "" for none */
};

/**
 * A request template. Every request is a copy of buf with its identity
 * (CoAP message ID and token, or STUN transaction ID) stamped in; a CoAP
 * template with placeholders (dyn) is built again for every request.
 */
struct bench_req {
	enum bench_proto proto;
	int con;		     /**< CoAP: confirmable (1) or non-confirmable (0) */
	int expect;		     /**< CoAP: the response code that counts as success */
	int dyn;		     /**< CoAP: spec has placeholders */
	struct bench_coap_spec spec; /**< CoAP: what buf was built from */
	size_t len; /**< bytes in buf; with dyn, the longest request spec can give */
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
	int ok;			/**< CoAP: the expected code; STUN Binding Success Response */
	int coap_type;		/**< CoAP message type (0 CON, 1 NON, 2 ACK, 3 RST) */
	int code;		/**< CoAP response code as on the wire (0x45 is 2.05) */
	int observe;		/**< CoAP: carries an Observe option */
	size_t payload_len;	/**< CoAP: bytes of payload */
	const uint8_t *payload; /**< CoAP: the payload, borrowed from the datagram */
	int has_addr;		/**< addr holds the reflected source address */
	struct sockaddr_storage addr;
};

/**
 * Build a CoAP request template from spec: Observe, one Uri-Path option per
 * non-empty segment of the path, Content-Format, one Uri-Query option per
 * '&'-separated parameter, Accept, then the payload. expect is the response
 * code that counts as success.
 * @param[in] spec  borrowed; its strings must outlive req.
 * @return 0; TI_ETOOBIG when an option or the whole request (with the
 *         longest placeholder values) is too long; TI_EPARSE for a '%'
 *         that starts no placeholder.
 */
int bench_req_coap(struct bench_req *req, const struct bench_coap_spec *spec, int expect);

/** Build an RFC 8489 Binding Request template (no attributes). */
void bench_req_stun(struct bench_req *req);

/**
 * Write tmpl with its identity set to tag, and its placeholders replaced
 * by v, into buf.
 * @param[out] buf  at least tmpl->len bytes.
 * @return the length of the request written.
 */
size_t bench_req_stamp(const struct bench_req *tmpl, uint8_t *buf, const struct bench_tag *tag,
		       uint64_t v);

/**
 * Build the CoAP request of spec with placeholder value v, message ID mid
 * and the 8-byte token tok into buf.
 * @return 0; TI_ETOOBIG when it does not fit size bytes; TI_EPARSE.
 */
int bench_coap_build(const struct bench_coap_spec *spec, uint64_t v, uint16_t mid,
		     const uint8_t tok[8], uint8_t *buf, size_t size, size_t *ret_len);

/**
 * Replace the placeholders of s (see struct bench_coap_spec) by v.
 * @param[out] out  receives the NUL-terminated result.
 * @return its length; TI_ETOOBIG; TI_EPARSE.
 */
int bench_expand(const char *s, uint64_t v, char *out, size_t size);

/** Write a CoAP code as "2.05" into buf (at least 5 bytes). */
void bench_coap_code_str(int code, char buf[5]);

/**
 * Parse "2.05" (or "205") into a CoAP code as on the wire.
 * @return 0; TI_EPARSE.
 */
int bench_coap_code_parse(const char *s, int *ret_code);

/**
 * Parse a datagram received from the target. A CoAP reply is ok when its
 * code is expect; a 2.05 reflected address is taken from a text/plain
 * payload "a.b.c.d:port" or "[v6]:port"; for STUN from XOR-MAPPED-ADDRESS.
 * Never fails: unknown input is BENCH_REPLY_OTHER.
 * @param[out] ret  always written.
 */
void bench_reply_parse(enum bench_proto proto, int expect, const uint8_t *buf, size_t len,
		       struct bench_reply *ret);

/**
 * Build the empty ACK that acknowledges a CON response with message ID mid.
 * @param[out] buf  4 bytes.
 */
void bench_coap_ack(uint8_t buf[4], uint16_t mid);

#endif /* BENCH_PROTO_H */
