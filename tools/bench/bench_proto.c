/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: CoAP and STUN Binding request templates and reply parsing. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_util.h"

#include "bench_proto.h"

#define COAP_TKL 8
#define COAP_OPT_OBSERVE 6
#define COAP_OPT_URI_PATH 11
#define COAP_OPT_CONTENT_FORMAT 12
#define COAP_OPT_URI_QUERY 15
#define COAP_OPT_ACCEPT 17
#define COAP_TYPE_RST 3
#define COAP_PAYLOAD_MARKER 0xff

#define STUN_COOKIE 0x2112A442u
#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_SUCCESS 0x0101
#define STUN_BINDING_ERROR 0x0111
#define STUN_XOR_MAPPED_ADDRESS 0x0020

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Option delta or length: nibble value plus 0, 1 or 2 extension bytes. */
static size_t
opt_nibble(size_t v, unsigned *ret_nib, uint8_t ext[2])
{
	if (v < 13) {
		*ret_nib = (unsigned)v;
		return 0;
	}
	if (v < 269) {
		*ret_nib = 13;
		ext[0] = (uint8_t)(v - 13);
		return 1;
	}
	*ret_nib = 14;
	put16(ext, (uint16_t)(v - 269));
	return 2;
}

/* A request being written. */
struct wbuf {
	uint8_t *p;
	size_t size, len;
	unsigned prev; /* number of the last option written */
};

static int
put_option(struct wbuf *w, unsigned num, const uint8_t *val, size_t vlen)
{
	uint8_t dext[2], lext[2];
	unsigned dnib, lnib;
	size_t dn = opt_nibble(num - w->prev, &dnib, dext);
	size_t ln, need;

	if (vlen > 1034)
		return TI_ETOOBIG;
	ln = opt_nibble(vlen, &lnib, lext);
	need = 1 + dn + ln + vlen;
	if (w->len + need > w->size)
		return TI_ETOOBIG;
	w->p[w->len++] = (uint8_t)(dnib << 4 | lnib);
	memcpy(w->p + w->len, dext, dn);
	w->len += dn;
	memcpy(w->p + w->len, lext, ln);
	w->len += ln;
	memcpy(w->p + w->len, val, vlen);
	w->len += vlen;
	w->prev = num;
	return 0;
}

/* An unsigned option in as few bytes as it needs (0 is empty). */
static int
put_uint_option(struct wbuf *w, unsigned num, uint32_t v)
{
	uint8_t b[4];
	size_t n = v == 0 ? 0 : v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x1000000 ? 3 : 4;

	put32(b, v);
	return put_option(w, num, b + 4 - n, n);
}

/*
 * s[0..n) with its placeholders replaced by v into out.
 * @return the length; TI_ETOOBIG; TI_EPARSE (an unknown placeholder).
 */
static int
expand(const char *s, size_t n, uint64_t v, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char tmp[24];
		int k;

		if (s[i] != '%') {
			if (o >= size)
				return TI_ETOOBIG;
			out[o++] = s[i];
			continue;
		}
		if (++i >= n)
			return TI_EPARSE;
		if (s[i] == 'n')
			k = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
		else if (s[i] == 'a')
			k = snprintf(tmp, sizeof(tmp), "10.%u.%u.%u", (unsigned)(v >> 16 & 255),
				     (unsigned)(v >> 8 & 255), (unsigned)(v & 255));
		else if (s[i] == '%')
			k = snprintf(tmp, sizeof(tmp), "%%");
		else
			return TI_EPARSE;
		if (k < 0 || o + (size_t)k > size)
			return TI_ETOOBIG;
		memcpy(out + o, tmp, (size_t)k);
		o += (size_t)k;
	}
	return (int)o;
}

int
bench_expand(const char *s, uint64_t v, char *out, size_t size)
{
	int n;

	if (size == 0)
		return TI_ETOOBIG;
	n = expand(s, strlen(s), v, out, size - 1);
	if (n >= 0)
		out[n] = '\0';
	return n;
}

static int
put_path(struct wbuf *w, const char *path, uint64_t v)
{
	char val[1035];

	for (const char *p = path; *p;) {
		size_t n;
		int k;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		k = expand(p, n, v, val, sizeof(val));
		if (k < 0)
			return k;
		k = put_option(w, COAP_OPT_URI_PATH, (const uint8_t *)val, (size_t)k);
		if (k < 0)
			return k;
		p += n;
	}
	return 0;
}

static int
put_query(struct wbuf *w, const char *query, uint64_t v)
{
	char val[1035];

	for (const char *p = query; *p;) {
		size_t n = strcspn(p, "&");
		int k;

		if (n > 0) {
			k = expand(p, n, v, val, sizeof(val));
			if (k < 0)
				return k;
			k = put_option(w, COAP_OPT_URI_QUERY, (const uint8_t *)val, (size_t)k);
			if (k < 0)
				return k;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return 0;
}

int
bench_coap_build(const struct bench_coap_spec *spec, uint64_t v, uint16_t mid,
		 const uint8_t tok[8], uint8_t *buf, size_t size, size_t *ret_len)
{
	struct wbuf w = { .p = buf, .size = size, .len = 4 + COAP_TKL };
	int r = 0;

	if (size < w.len)
		return TI_ETOOBIG;
	buf[0] = (uint8_t)(0x40 | (spec->con ? 0 : 1) << 4 | COAP_TKL);
	buf[1] = (uint8_t)spec->code;
	put16(buf + 2, mid);
	memcpy(buf + 4, tok, COAP_TKL);
	if (spec->observe >= 0)
		r = put_uint_option(&w, COAP_OPT_OBSERVE, (uint32_t)spec->observe);
	if (r == 0)
		r = put_path(&w, spec->path ? spec->path : "", v);
	if (r == 0 && spec->content_format >= 0)
		r = put_uint_option(&w, COAP_OPT_CONTENT_FORMAT, (uint32_t)spec->content_format);
	if (r == 0 && spec->query)
		r = put_query(&w, spec->query, v);
	if (r == 0 && spec->accept >= 0)
		r = put_uint_option(&w, COAP_OPT_ACCEPT, (uint32_t)spec->accept);
	if (r < 0)
		return r;
	if (spec->payload && spec->payload[0]) {
		if (w.len + 1 >= size)
			return TI_ETOOBIG;
		buf[w.len++] = COAP_PAYLOAD_MARKER;
		r = expand(spec->payload, strlen(spec->payload), v, (char *)buf + w.len,
			   size - w.len);
		if (r < 0)
			return r;
		w.len += (size_t)r;
	}
	*ret_len = w.len;
	return 0;
}

static int
has_placeholder(const char *s)
{
	return s != NULL && strchr(s, '%') != NULL;
}

int
bench_req_coap(struct bench_req *req, const struct bench_coap_spec *spec, int expect)
{
	static const uint8_t tok[COAP_TKL];
	int r;

	*req = (struct bench_req){ .proto = BENCH_PROTO_COAP,
				   .con = spec->con,
				   .expect = expect,
				   .spec = *spec,
				   .dyn = has_placeholder(spec->path) ||
					  has_placeholder(spec->query) ||
					  has_placeholder(spec->payload) };
	/* The longest values the placeholders can take give the longest request. */
	r = bench_coap_build(spec, UINT64_MAX, 0, tok, req->buf, sizeof(req->buf), &req->len);
	return r;
}

void
bench_req_stun(struct bench_req *req)
{
	*req = (struct bench_req){ .proto = BENCH_PROTO_STUN, .len = 20 };
	put16(req->buf, STUN_BINDING_REQUEST);
	put16(req->buf + 2, 0);
	put32(req->buf + 4, STUN_COOKIE);
}

size_t
bench_req_stamp(const struct bench_req *tmpl, uint8_t *buf, const struct bench_tag *tag,
		uint64_t v)
{
	if (tmpl->proto == BENCH_PROTO_COAP && tmpl->dyn) {
		uint8_t tok[COAP_TKL];
		size_t len = 0;

		put32(tok, tag->slot);
		put32(tok + 4, tag->nonce[0]);
		/* Cannot fail: bench_req_coap() built the longest one already. */
		bench_coap_build(&tmpl->spec, v, tag->mid, tok, buf, tmpl->len, &len);
		return len;
	}
	memcpy(buf, tmpl->buf, tmpl->len);
	if (tmpl->proto == BENCH_PROTO_COAP) {
		put16(buf + 2, tag->mid);
		put32(buf + 4, tag->slot);
		put32(buf + 8, tag->nonce[0]);
	} else {
		put32(buf + 8, tag->slot);
		put32(buf + 12, tag->nonce[0]);
		put32(buf + 16, tag->nonce[1]);
	}
	return tmpl->len;
}

void
bench_coap_code_str(int code, char buf[5])
{
	buf[0] = (char)('0' + (code >> 5 & 7));
	buf[1] = '.';
	buf[2] = (char)('0' + (code & 31) / 10);
	buf[3] = (char)('0' + (code & 31) % 10);
	buf[4] = '\0';
}

int
bench_coap_code_parse(const char *s, int *ret_code)
{
	uint32_t cls, detail;
	char c[2] = { s[0], '\0' };
	const char *d = s[0] && s[1] == '.' ? s + 2 : s + 1;

	if (s[0] == '\0' || ti_parse_u32(c, 1, 5, &cls) < 0 || strlen(d) != 2 ||
	    ti_parse_u32(d, 0, 31, &detail) < 0)
		return TI_EPARSE;
	*ret_code = (int)(cls << 5 | detail);
	return 0;
}

void
bench_coap_ack(uint8_t buf[4], uint16_t mid)
{
	buf[0] = 0x60; /* version 1, ACK, no token */
	buf[1] = 0;
	put16(buf + 2, mid);
}

/* "a.b.c.d:port" or "[v6]:port", as tstund writes text/plain. */
static int
parse_text_addr(const uint8_t *p, size_t n, struct sockaddr_storage *ret_ss)
{
	struct sockaddr_storage ss = { 0 };
	char s[64], *host = s, *colon;
	uint32_t port;

	if (n == 0 || n >= sizeof(s))
		return 0;
	memcpy(s, p, n);
	s[n] = '\0';
	colon = strrchr(s, ':');
	if (colon == NULL || ti_parse_u32(colon + 1, 0, 65535, &port) < 0)
		return 0;
	*colon = '\0';
	if (s[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		if (colon[-1] != ']')
			return 0;
		colon[-1] = '\0';
		host = s + 1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return 0;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return 0;
	}
	ti_addr_unmap(&ss);
	*ret_ss = ss;
	return 1;
}

/*
 * Walk the options from pos. @return the offset of the payload (len when
 * there is none); *ret_obs is set when an Observe option is present.
 */
static size_t
coap_options(const uint8_t *buf, size_t len, size_t pos, int *ret_obs)
{
	unsigned num = 0;

	while (pos < len) {
		unsigned d = buf[pos] >> 4, l = buf[pos] & 15;
		size_t vlen = l;

		if (buf[pos] == COAP_PAYLOAD_MARKER)
			return pos + 1;
		if (d == 15 || l == 15)
			return len;
		pos++;
		if (d == 13) {
			if (pos >= len)
				return len;
			d = 13 + buf[pos++];
		} else if (d == 14) {
			if (pos + 1 >= len)
				return len;
			d = 269 + get16(buf + pos);
			pos += 2;
		}
		if (l == 13) {
			if (pos >= len)
				return len;
			vlen = 13 + buf[pos++];
		} else if (l == 14) {
			if (pos + 1 >= len)
				return len;
			vlen = 269 + get16(buf + pos);
			pos += 2;
		}
		num += d;
		if (num == COAP_OPT_OBSERVE)
			*ret_obs = 1;
		pos += vlen;
	}
	return len;
}

static void
parse_coap(const uint8_t *buf, size_t len, int expect, struct bench_reply *r)
{
	size_t pl;

	if (len < 4 || buf[0] >> 6 != 1)
		return;
	r->coap_type = buf[0] >> 4 & 3;
	r->tag.mid = get16(buf + 2);
	if (r->coap_type == COAP_TYPE_RST) {
		r->kind = BENCH_REPLY_RST;
		return;
	}
	if (buf[1] == 0 || (buf[0] & 15) != COAP_TKL || len < 4 + COAP_TKL)
		return;
	r->kind = BENCH_REPLY_TAG;
	r->tag.slot = get32(buf + 4);
	r->tag.nonce[0] = get32(buf + 8);
	r->code = buf[1];
	r->ok = buf[1] == expect;
	pl = coap_options(buf, len, 4 + COAP_TKL, &r->observe);
	r->payload_len = len - pl;
	r->payload = buf + pl;
	if (r->ok && r->code == BENCH_COAP_CONTENT && pl < len)
		r->has_addr = parse_text_addr(buf + pl, len - pl, &r->addr);
}

static int
stun_xor_addr(const uint8_t *v, size_t vlen, const uint8_t *hdr, struct sockaddr_storage *ss)
{
	uint16_t port = get16(v + 2) ^ (uint16_t)(STUN_COOKIE >> 16);

	if (vlen >= 8 && v[1] == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		*ss = (struct sockaddr_storage){ 0 };
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(get32(v + 4) ^ STUN_COOKIE);
		return 1;
	}
	if (vlen >= 20 && v[1] == 2) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		*ss = (struct sockaddr_storage){ 0 };
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		for (int i = 0; i < 16; i++) /* cookie and transaction ID */
			sin6->sin6_addr.s6_addr[i] = v[4 + i] ^ hdr[4 + i];
		ti_addr_unmap(ss);
		return 1;
	}
	return 0;
}

static void
parse_stun(const uint8_t *buf, size_t len, struct bench_reply *r)
{
	uint16_t type, mlen;

	if (len < 20 || get32(buf + 4) != STUN_COOKIE)
		return;
	type = get16(buf);
	mlen = get16(buf + 2);
	if ((type != STUN_BINDING_SUCCESS && type != STUN_BINDING_ERROR) || mlen % 4 != 0 ||
	    (size_t)mlen + 20 > len)
		return;
	r->kind = BENCH_REPLY_TAG;
	r->ok = type == STUN_BINDING_SUCCESS;
	r->tag.slot = get32(buf + 8);
	r->tag.nonce[0] = get32(buf + 12);
	r->tag.nonce[1] = get32(buf + 16);
	for (size_t pos = 20; pos + 4 <= 20 + (size_t)mlen;) {
		uint16_t atype = get16(buf + pos), alen = get16(buf + pos + 2);

		if (pos + 4 + alen > 20 + (size_t)mlen)
			break;
		if (r->ok && atype == STUN_XOR_MAPPED_ADDRESS && alen >= 4) {
			r->has_addr = stun_xor_addr(buf + pos + 4, alen, buf, &r->addr);
			break;
		}
		pos += 4 + ((alen + 3u) & ~3u);
	}
}

void
bench_reply_parse(enum bench_proto proto, int expect, const uint8_t *buf, size_t len,
		  struct bench_reply *ret)
{
	*ret = (struct bench_reply){ .kind = BENCH_REPLY_OTHER };
	if (proto == BENCH_PROTO_COAP)
		parse_coap(buf, len, expect, ret);
	else
		parse_stun(buf, len, ret);
}
