/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: CoAP GET and STUN Binding request templates and reply parsing. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_util.h"

#include "bench_proto.h"

#define COAP_TKL 8
#define COAP_OPT_URI_PATH 11
#define COAP_OPT_ACCEPT 17
#define COAP_GET 0x01
#define COAP_CONTENT 0x45 /* 2.05 */
#define COAP_TYPE_RST 3

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

static int
put_option(struct bench_req *req, unsigned *prev, unsigned num, const uint8_t *val, size_t vlen)
{
	uint8_t dext[2], lext[2];
	unsigned dnib, lnib;
	size_t dn = opt_nibble(num - *prev, &dnib, dext);
	size_t ln = opt_nibble(vlen, &lnib, lext);
	size_t need = 1 + dn + ln + vlen;

	if (vlen > 255 || req->len + need > sizeof(req->buf))
		return TI_ETOOBIG;
	req->buf[req->len++] = (uint8_t)(dnib << 4 | lnib);
	memcpy(req->buf + req->len, dext, dn);
	req->len += dn;
	memcpy(req->buf + req->len, lext, ln);
	req->len += ln;
	memcpy(req->buf + req->len, val, vlen);
	req->len += vlen;
	*prev = num;
	return 0;
}

int
bench_req_coap(struct bench_req *req, const char *path, int con, long accept)
{
	unsigned prev = 0;
	int r;

	*req = (struct bench_req){ .proto = BENCH_PROTO_COAP, .con = con };
	req->buf[0] = (uint8_t)(0x40 | (con ? 0 : 1) << 4 | COAP_TKL);
	req->buf[1] = COAP_GET;
	req->len = 4 + COAP_TKL;
	for (const char *p = path; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		r = put_option(req, &prev, COAP_OPT_URI_PATH, (const uint8_t *)p, n);
		if (r < 0)
			return r;
		p += n;
	}
	if (accept >= 0) {
		uint8_t v[2];
		size_t vlen = accept == 0 ? 0 : accept < 256 ? 1 : 2;

		put16(v, (uint16_t)accept);
		r = put_option(req, &prev, COAP_OPT_ACCEPT, v + 2 - vlen, vlen);
		if (r < 0)
			return r;
	}
	return 0;
}

void
bench_req_stun(struct bench_req *req)
{
	*req = (struct bench_req){ .proto = BENCH_PROTO_STUN, .len = 20 };
	put16(req->buf, STUN_BINDING_REQUEST);
	put16(req->buf + 2, 0);
	put32(req->buf + 4, STUN_COOKIE);
}

void
bench_req_stamp(const struct bench_req *tmpl, uint8_t *buf, const struct bench_tag *tag)
{
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

/* Offset of the payload after the options, or len when there is none. */
static size_t
coap_payload(const uint8_t *buf, size_t len, size_t pos)
{
	while (pos < len) {
		unsigned d = buf[pos] >> 4, l = buf[pos] & 15;
		size_t vlen = l;

		if (buf[pos] == 0xff)
			return pos + 1;
		if (d == 15 || l == 15)
			return len;
		pos += 1 + (d == 13) + 2 * (d == 14);
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
		pos += vlen;
	}
	return len;
}

static void
parse_coap(const uint8_t *buf, size_t len, struct bench_reply *r)
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
	r->ok = buf[1] == COAP_CONTENT;
	pl = coap_payload(buf, len, 4 + COAP_TKL);
	if (r->ok && pl < len)
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
bench_reply_parse(enum bench_proto proto, const uint8_t *buf, size_t len, struct bench_reply *ret)
{
	*ret = (struct bench_reply){ .kind = BENCH_REPLY_OTHER };
	if (proto == BENCH_PROTO_COAP)
		parse_coap(buf, len, ret);
	else
		parse_stun(buf, len, ret);
}
