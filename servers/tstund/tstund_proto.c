/* SPDX-License-Identifier: BSD-2-Clause */
/* tstund: the reflexive resource's representations and the stateless CoAP/UDP answerer. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_msg.h"
#include "ti_util.h"

#include "tstund_proto.h"

#define WKC_PATH_0 ".well-known"
#define WKC_PATH_1 "core"

int
tstund_cf_supported(unsigned cf)
{
	return cf == TSTUND_CF_TEXT || cf == TSTUND_CF_LINK || cf == TSTUND_CF_JSON ||
	       cf == TSTUND_CF_CBOR;
}

/* CBOR head (RFC 8949 section 3) for major type mt and argument v < 65536. */
static size_t
cbor_head(uint8_t *b, uint8_t mt, uint32_t v)
{
	if (v < 24) {
		b[0] = (uint8_t)(mt << 5 | v);
		return 1;
	}
	if (v < 256) {
		b[0] = (uint8_t)(mt << 5 | 24);
		b[1] = (uint8_t)v;
		return 2;
	}
	b[0] = (uint8_t)(mt << 5 | 25);
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)v;
	return 3;
}

static size_t
cbor_text(uint8_t *b, const char *s)
{
	size_t n = strlen(s), h = cbor_head(b, 3, (uint32_t)n);

	memcpy(b + h, s, n);
	return h + n;
}

static int
repr_cbor(const char *host, uint16_t port, const char *family, const char *transport,
	  const char *uri, uint8_t *buf, size_t size, size_t *ret_len)
{
	/* Worst case: 5 keys and 4 strings of at most 80 bytes, plus heads. */
	uint8_t tmp[512];
	size_t n = 0;

	tmp[n++] = 0xa5; /* map of 5 pairs */
	n += cbor_text(tmp + n, "address");
	n += cbor_text(tmp + n, host);
	n += cbor_text(tmp + n, "port");
	n += cbor_head(tmp + n, 0, port);
	n += cbor_text(tmp + n, "family");
	n += cbor_text(tmp + n, family);
	n += cbor_text(tmp + n, "transport");
	n += cbor_text(tmp + n, transport);
	n += cbor_text(tmp + n, "uri");
	n += cbor_text(tmp + n, uri);
	if (n > size)
		return -ENOSPC;
	memcpy(buf, tmp, n);
	*ret_len = n;
	return 0;
}

int
tstund_repr(const struct sockaddr *sa, enum ti_transport transport, unsigned cf, uint8_t *buf,
	    size_t size, size_t *ret_len)
{
	char host[TI_ADDR_STRLEN], hostport[TI_ADDR_STRLEN], uri[TI_URI_ADDR_STRLEN];
	const char *family = ti_addr_is_ipv4(sa) ? "ipv4" : "ipv6";
	uint16_t port = ti_addr_port(sa);
	int n;

	if (!tstund_cf_supported(cf))
		return TI_EUNKNOWN;
	if ((n = ti_addr_format_host(sa, host, sizeof(host))) < 0 ||
	    (n = ti_addr_format(sa, hostport, sizeof(hostport))) < 0)
		return n;
	snprintf(uri, sizeof(uri), "%s://%s", ti_transport_scheme(transport), hostport);
	switch (cf) {
	case TSTUND_CF_TEXT:
		n = snprintf((char *)buf, size, "%s", hostport);
		break;
	case TSTUND_CF_LINK:
		n = snprintf((char *)buf, size, "<%s>", uri);
		break;
	case TSTUND_CF_JSON:
		n = snprintf((char *)buf, size,
			     "{\"address\":\"%s\",\"port\":%u,\"family\":\"%s\","
			     "\"transport\":\"%s\",\"uri\":\"%s\"}",
			     host, port, family, ti_transport_name(transport), uri);
		break;
	default:
		return repr_cbor(host, port, family, ti_transport_name(transport), uri, buf, size,
				 ret_len);
	}
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	*ret_len = (size_t)n;
	return 0;
}

/* RFC 3986 pchar without percent-encoding: what a path segment may hold here. */
static int
is_pchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-._~!$&'()*+,;=:@", c) != NULL;
}

int
tstund_path_check(const char *path, char *err, size_t errlen)
{
	size_t segs = 0, seglen = 0, len = strlen(path);

	if (path[0] != '/') {
		snprintf(err, errlen, "the path must start with '/'");
		return TI_EPARSE;
	}
	if (len > TSTUND_PATH_MAX) {
		snprintf(err, errlen, "the path is longer than %d bytes", TSTUND_PATH_MAX);
		return TI_EPARSE;
	}
	for (const char *c = path + 1;; c++) {
		if (*c == '/' || *c == '\0') {
			if (seglen == 0) {
				snprintf(err, errlen, "empty path segment");
				return TI_EPARSE;
			}
			if (seglen > 255 || ++segs > TSTUND_PATH_SEGS) {
				snprintf(err, errlen, "too many or too long path segments");
				return TI_EPARSE;
			}
			seglen = 0;
			if (*c == '\0')
				break;
			continue;
		}
		if (!is_pchar(*c)) {
			snprintf(err, errlen,
				 "character '%c' not allowed in the path (no query, "
				 "no percent-encoding)",
				 *c);
			return TI_EPARSE;
		}
		seglen++;
	}
	if (strcmp(path, "/" WKC_PATH_0 "/" WKC_PATH_1) == 0) {
		snprintf(err, errlen, "the path cannot be /.well-known/core");
		return TI_EPARSE;
	}
	return 0;
}

int
tstund_proto_init(struct tstund_proto *p, const char *path)
{
	char err[128];
	char *s;

	if (tstund_path_check(path, err, sizeof(err)) < 0)
		return TI_EPARSE;
	*p = (struct tstund_proto){ .next_mid = (uint16_t)ti_now_ms() };
	ti_strlcpy(p->path, path, sizeof(p->path));
	s = p->path + 1;
	while (*s) {
		char *slash = strchr(s, '/');
		size_t n = slash ? (size_t)(slash - s) : strlen(s);
		p->seg_off[p->n_segs] = (uint8_t)(s - p->path);
		p->seg_len[p->n_segs++] = (uint8_t)n;
		s += n + (slash != NULL);
	}
	p->link_len = (size_t)snprintf(p->link, sizeof(p->link), "<%s>;rt=\"tstun\";ct=\"%s\"",
				       path, TSTUND_CT_ATTR);
	return 0;
}

/* ------------------------------------------------------------------ answerer */

enum target { TARGET_NONE, TARGET_REFLEX, TARGET_WKC };

/* What one request asks for, gathered from its options. */
struct request {
	const struct ti_msg *msg;
	enum target target;
	int has_accept;
	uint32_t accept;
	int has_block2;
	uint32_t block2;
	uint32_t no_response; /* RFC 7967 suppression bits */
	int has_if_match;
	int if_match_ok;
	int if_none_match;
	int proxy;
	int bad_option; /* number of an unrecognised critical option, or -1 */
};

static int
is_critical(uint16_t num)
{
	return num & 1;
}

/* Options this server understands, with their value length ranges (RFC 7252 5.10, 7959, 7967). */
static const struct {
	uint16_t num;
	uint16_t min, max;
} known[] = {
	{ TI_OPT_IF_MATCH, 0, 8 },     { TI_OPT_URI_HOST, 1, 255 },
	{ TI_OPT_ETAG, 1, 8 },	       { TI_OPT_IF_NONE_MATCH, 0, 0 },
	{ TI_OPT_OBSERVE, 0, 3 },      { TI_OPT_URI_PORT, 0, 2 },
	{ TI_OPT_URI_PATH, 0, 255 },   { TI_OPT_CONTENT_FORMAT, 0, 2 },
	{ TI_OPT_MAX_AGE, 0, 4 },      { TI_OPT_URI_QUERY, 0, 255 },
	{ TI_OPT_ACCEPT, 0, 2 },       { TI_OPT_BLOCK2, 0, 3 },
	{ TI_OPT_BLOCK1, 0, 3 },       { TI_OPT_SIZE2, 0, 4 },
	{ TI_OPT_PROXY_URI, 1, 1034 }, { TI_OPT_PROXY_SCHEME, 1, 255 },
	{ TI_OPT_SIZE1, 0, 4 },	       { TI_OPT_NO_RESPONSE, 0, 1 },
};

/*
 * Whether an option is understood with a value of this length. An unknown
 * option, or one whose length is out of range, is "unrecognized" (RFC 7252
 * section 5.4.3): critical ones draw 4.02, elective ones are ignored.
 */
static int
is_known(const struct ti_msg_opt *o)
{
	for (size_t i = 0; i < TI_ARRAY_SIZE(known); i++)
		if (known[i].num == o->num)
			return o->len >= known[i].min && o->len <= known[i].max;
	return 0;
}

static int
is_repeatable(uint16_t num)
{
	return num == TI_OPT_IF_MATCH || num == TI_OPT_URI_PATH || num == TI_OPT_URI_QUERY ||
	       num == TI_OPT_ETAG;
}

static enum target
match_path(const struct tstund_proto *p, const struct ti_msg *m)
{
	size_t n = 0, mine = 0, wkc = 0;

	for (size_t i = 0; i < m->n_opts; i++) {
		const struct ti_msg_opt *o = &m->opts[i];
		if (o->num != TI_OPT_URI_PATH)
			continue;
		if (n < p->n_segs && o->len == p->seg_len[n] &&
		    memcmp(o->val, p->path + p->seg_off[n], o->len) == 0)
			mine++;
		if ((n == 0 && o->len == 11 && memcmp(o->val, WKC_PATH_0, 11) == 0) ||
		    (n == 1 && o->len == 4 && memcmp(o->val, WKC_PATH_1, 4) == 0))
			wkc++;
		n++;
	}
	if (n == p->n_segs && mine == n)
		return TARGET_REFLEX;
	if (n == 2 && wkc == 2)
		return TARGET_WKC;
	return TARGET_NONE;
}

static void
gather(const struct tstund_proto *p, const struct ti_msg *m, struct request *rq)
{
	*rq = (struct request){ .msg = m, .bad_option = -1 };
	rq->target = match_path(p, m);
	for (size_t i = 0; i < m->n_opts; i++) {
		const struct ti_msg_opt *o = &m->opts[i];
		int repeated = i > 0 && m->opts[i - 1].num == o->num;
		int recognized = is_known(o);
		if (is_critical(o->num) && rq->bad_option < 0 &&
		    (!recognized || (repeated && !is_repeatable(o->num)))) {
			rq->bad_option = o->num;
			continue;
		}
		if (!recognized || (repeated && !is_repeatable(o->num)))
			continue; /* elective: unrecognized ones and repeats are ignored */
		switch (o->num) {
		case TI_OPT_ACCEPT:
			rq->has_accept = 1;
			rq->accept = ti_msg_opt_uint(o);
			break;
		case TI_OPT_BLOCK2:
			rq->has_block2 = 1;
			rq->block2 = ti_msg_opt_uint(o);
			break;
		case TI_OPT_NO_RESPONSE:
			rq->no_response = ti_msg_opt_uint(o);
			break;
		case TI_OPT_IF_MATCH:
			/*
			 * No ETags here: only an empty value ("exists") matches, and
			 * the condition holds when any one value matches.
			 */
			rq->has_if_match = 1;
			if (o->len == 0)
				rq->if_match_ok = 1;
			break;
		case TI_OPT_IF_NONE_MATCH:
			rq->if_none_match = 1;
			break;
		case TI_OPT_PROXY_URI:
		case TI_OPT_PROXY_SCHEME:
			rq->proxy = 1;
			break;
		default:
			break;
		}
	}
}

/* One query "name=value" or "name=prefix*" against one attribute value. */
static int
query_value_match(const uint8_t *v, size_t vlen, const char *attr)
{
	size_t alen = strlen(attr);

	if (vlen > 0 && v[vlen - 1] == '*')
		return alen >= vlen - 1 && memcmp(attr, v, vlen - 1) == 0;
	return alen == vlen && memcmp(attr, v, vlen) == 0;
}

/* RFC 6690 section 4.1 filtering of our single link. */
static int
wkc_filter(const struct tstund_proto *p, const struct ti_msg *m)
{
	for (size_t i = 0; i < m->n_opts; i++) {
		const struct ti_msg_opt *o = &m->opts[i];
		if (o->num != TI_OPT_URI_QUERY)
			continue;
		const uint8_t *eq = memchr(o->val, '=', o->len);
		if (eq == NULL)
			return 0;
		size_t nlen = (size_t)(eq - o->val), vlen = o->len - nlen - 1;
		const uint8_t *v = eq + 1;
		if (nlen == 4 && memcmp(o->val, "href", 4) == 0) {
			if (!query_value_match(v, vlen, p->path))
				return 0;
		} else if (nlen == 2 && memcmp(o->val, "rt", 2) == 0) {
			if (!query_value_match(v, vlen, "tstun"))
				return 0;
		} else if (nlen == 2 && memcmp(o->val, "ct", 2) == 0) {
			static const char *const cts[] = { "0", "40", "50", "60" };
			int any = 0;
			for (size_t k = 0; k < TI_ARRAY_SIZE(cts); k++)
				any |= query_value_match(v, vlen, cts[k]);
			if (!any)
				return 0;
		} else {
			return 0; /* an attribute this link does not have */
		}
	}
	return 1;
}

/* Build an empty message (RST or bare ACK) for the request's MID. */
static size_t
empty_reply(uint8_t type, uint16_t mid, uint8_t *out, size_t size)
{
	struct ti_msgw w;

	ti_msgw_init(&w, out, size, type, 0, mid, NULL, 0);
	return ti_msgw_finish(&w);
}

/* No-Response bits (RFC 7967 section 2.1): 2 = 2.xx, 8 = 4.xx, 16 = 5.xx. */
static int
suppressed(uint32_t no_response, uint8_t code)
{
	switch (TI_CODE_CLASS(code)) {
	case 2:
		return (no_response & 2) != 0;
	case 4:
		return (no_response & 8) != 0;
	case 5:
		return (no_response & 16) != 0;
	default:
		return 0;
	}
}

static size_t
respond(struct tstund_proto *p, const struct request *rq, uint8_t code, int cf,
	const uint8_t *body, size_t body_len, uint8_t *out, size_t size)
{
	const struct ti_msg *m = rq->msg;
	uint8_t type = m->type == TI_MSG_CON ? TI_MSG_ACK : TI_MSG_NON;
	uint16_t mid = m->type == TI_MSG_CON ? m->mid : p->next_mid++;
	struct ti_msgw w;

	if (suppressed(rq->no_response, code))
		return m->type == TI_MSG_CON ? empty_reply(TI_MSG_ACK, m->mid, out, size) : 0;
	ti_msgw_init(&w, out, size, type, code, mid, m->token, m->tkl);
	if (cf >= 0)
		ti_msgw_opt_uint(&w, TI_OPT_CONTENT_FORMAT, (uint32_t)cf);
	if (TI_CODE_CLASS(code) == 2) {
		ti_msgw_opt_uint(&w, TI_OPT_MAX_AGE, 0);
		if (rq->has_block2) {
			unsigned szx = rq->block2 & 7, bsize = 16u << szx;
			uint32_t num = rq->block2 >> 4;
			size_t off = (size_t)num * bsize;
			size_t n = body_len - off < bsize ? body_len - off : bsize;
			uint32_t more = off + n < body_len;
			ti_msgw_opt_uint(&w, TI_OPT_BLOCK2, num << 4 | more << 3 | szx);
			if (num == 0)
				ti_msgw_opt_uint(&w, TI_OPT_SIZE2, (uint32_t)body_len);
			body += off;
			body_len = n;
		}
	}
	ti_msgw_payload(&w, body, body_len);
	return ti_msgw_finish(&w);
}

static size_t
error(struct tstund_proto *p, const struct request *rq, uint8_t code, const char *diag,
      uint8_t *out, size_t size)
{
	return respond(p, rq, code, -1, (const uint8_t *)diag, strlen(diag), out, size);
}

size_t
tstund_proto_answer(struct tstund_proto *p, const uint8_t *req, size_t len,
		    const struct sockaddr *src, enum ti_transport transport, uint8_t *out,
		    size_t size)
{
	uint8_t body[TSTUND_REPR_MAX + TSTUND_PATH_MAX];
	struct request rq;
	struct ti_msg m;
	size_t body_len = 0;
	int cf, r;

	if (len < 4 || req[0] >> 6 != 1)
		return 0; /* too short to reject, or another version: silently ignore */
	r = ti_msg_parse(req, len, &m);
	if (r == TI_ETOOBIG && m.code != 0 && TI_CODE_CLASS(m.code) == 0 && m.type == TI_MSG_CON) {
		/* More options than any request to this server needs. */
		rq = (struct request){ .msg = &m, .bad_option = -1 };
		return error(p, &rq, TI_CODE(4, 2), "too many options", out, size);
	}
	if (r < 0 || m.code == 0 || TI_CODE_CLASS(m.code) != 0 || m.type > TI_MSG_NON) {
		/* Format errors, pings, stray responses: RST a CON, drop the rest. */
		return m.type == TI_MSG_CON ? empty_reply(TI_MSG_RST, m.mid, out, size) : 0;
	}
	gather(p, &m, &rq);
	if (rq.bad_option >= 0) {
		if (m.type == TI_MSG_NON)
			return empty_reply(TI_MSG_RST, m.mid, out, size);
		char diag[32];
		snprintf(diag, sizeof(diag), "bad option %d", rq.bad_option);
		return error(p, &rq, TI_CODE(4, 2), diag, out, size);
	}
	if (rq.proxy)
		return error(p, &rq, TI_CODE(5, 5), "proxying not supported", out, size);
	if (rq.target == TARGET_NONE)
		return error(p, &rq, TI_CODE(4, 4), "not found", out, size);
	if (m.code != TI_CODE(0, 1))
		return error(p, &rq, TI_CODE(4, 5), "method not allowed: use GET", out, size);
	if ((rq.has_if_match && !rq.if_match_ok) || rq.if_none_match)
		return error(p, &rq, TI_CODE(4, 12), "precondition failed", out, size);
	if (rq.target == TARGET_WKC) {
		if (rq.has_accept && rq.accept != TSTUND_CF_LINK)
			return error(p, &rq, TI_CODE(4, 6), "accept: 40", out, size);
		cf = TSTUND_CF_LINK;
		if (wkc_filter(p, &m)) {
			memcpy(body, p->link, p->link_len);
			body_len = p->link_len;
		}
	} else {
		cf = rq.has_accept ? (int)rq.accept : TSTUND_CF_TEXT;
		if (!rq.has_accept || tstund_cf_supported(rq.accept)) {
			r = tstund_repr(src, transport, (unsigned)cf, body, sizeof(body),
					&body_len);
			if (r < 0)
				return error(p, &rq, TI_CODE(5, 0), "no address", out, size);
		} else {
			return error(p, &rq, TI_CODE(4, 6), "accept: " TSTUND_CT_ATTR, out, size);
		}
	}
	if (rq.has_block2) {
		unsigned szx = rq.block2 & 7;
		size_t off = (size_t)(rq.block2 >> 4) * (16u << (szx < 7 ? szx : 0));
		if (szx == 7) /* RFC 7959 section 2.2 */
			return error(p, &rq, TI_CODE(4, 0), "bad block size", out, size);
		if (off > 0 && off >= body_len)
			return error(p, &rq, TI_CODE(4, 2), "block out of range", out, size);
	}
	return respond(p, &rq, TI_CODE(2, 5), cf, body, body_len, out, size);
}
