/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: a pure CoAP-over-UDP message codec (RFC 7252 section 3) for stateless paths. */
#ifndef TI_MSG_H
#define TI_MSG_H

#include <stddef.h>
#include <stdint.h>

enum {
	TI_MSG_CON = 0,
	TI_MSG_NON = 1,
	TI_MSG_ACK = 2,
	TI_MSG_RST = 3,
};

/** Code from class and detail: TI_CODE(2, 5) is 2.05. */
#define TI_CODE(c, d) ((uint8_t)(((c) << 5) | (d)))
#define TI_CODE_CLASS(code) ((code) >> 5)

/** Option numbers used by the stateless paths. */
enum {
	TI_OPT_IF_MATCH = 1,
	TI_OPT_URI_HOST = 3,
	TI_OPT_ETAG = 4,
	TI_OPT_IF_NONE_MATCH = 5,
	TI_OPT_OBSERVE = 6,
	TI_OPT_URI_PORT = 7,
	TI_OPT_URI_PATH = 11,
	TI_OPT_CONTENT_FORMAT = 12,
	TI_OPT_MAX_AGE = 14,
	TI_OPT_URI_QUERY = 15,
	TI_OPT_ACCEPT = 17,
	TI_OPT_BLOCK2 = 23,
	TI_OPT_BLOCK1 = 27,
	TI_OPT_SIZE2 = 28,
	TI_OPT_PROXY_URI = 35,
	TI_OPT_PROXY_SCHEME = 39,
	TI_OPT_SIZE1 = 60,
	TI_OPT_NO_RESPONSE = 258,
};

#define TI_MSG_MAX_OPTS 32

/** One option; val points into the parsed buffer. */
struct ti_msg_opt {
	uint16_t num;
	uint16_t len;
	const uint8_t *val;
};

/** A parsed message; every pointer borrows from the buffer given to ti_msg_parse(). */
struct ti_msg {
	uint8_t type;
	uint8_t code;
	uint16_t mid;
	uint8_t tkl;
	const uint8_t *token;
	size_t n_opts;
	struct ti_msg_opt opts[TI_MSG_MAX_OPTS];
	const uint8_t *payload; /**< NULL when there is none */
	size_t payload_len;
};

/**
 * Parse a CoAP-over-UDP message.
 * On TI_EPARSE the header fields (type, code, mid) are valid whenever
 * len >= 4 and the version is 1, so the caller can reject a CON with RST.
 * @param[out] ret_msg  filled as far as parsing went.
 * @return 0; TI_EPARSE (message format error, or version other than 1:
 *         check the version with buf[0] >> 6 to drop those silently);
 *         TI_ETOOBIG (more than TI_MSG_MAX_OPTS options).
 */
int ti_msg_parse(const uint8_t *buf, size_t len, struct ti_msg *ret_msg);

/** The value of a uint option (RFC 7252 section 3.2); 0 for an empty one. Values over 4 bytes:
 * UINT32_MAX. */
uint32_t ti_msg_opt_uint(const struct ti_msg_opt *opt);

/** First option numbered num, or NULL. */
const struct ti_msg_opt *ti_msg_find(const struct ti_msg *msg, uint16_t num);

/** Number of options numbered num. */
size_t ti_msg_count(const struct ti_msg *msg, uint16_t num);

/** A message being written into a caller's buffer. */
struct ti_msgw {
	uint8_t *buf;
	size_t size;
	size_t len;
	uint16_t last_opt;
	int overflow; /**< set when something did not fit, or options came out of order */
};

/** Start a message: header and token. */
void ti_msgw_init(struct ti_msgw *w, uint8_t *buf, size_t size, uint8_t type, uint8_t code,
		  uint16_t mid, const uint8_t *token, uint8_t tkl);
/** Append an option; numbers must not decrease. */
void ti_msgw_opt(struct ti_msgw *w, uint16_t num, const void *val, size_t len);
/** Append a uint option in its shortest form. */
void ti_msgw_opt_uint(struct ti_msgw *w, uint16_t num, uint32_t val);
/** Append the payload marker and payload (nothing when len is 0). */
void ti_msgw_payload(struct ti_msgw *w, const void *data, size_t len);
/** @return the message length, or 0 if it overflowed. */
size_t ti_msgw_finish(const struct ti_msgw *w);

#endif /* TI_MSG_H */
