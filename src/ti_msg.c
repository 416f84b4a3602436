/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: a pure CoAP-over-UDP message codec (RFC 7252 section 3) for stateless paths. */
#include "config.h"

#include <string.h>

#include "ti_err.h"
#include "ti_msg.h"

/* Read an extended option delta or length (RFC 7252 section 3.1). */
static int
read_ext(unsigned nibble, const uint8_t **p, const uint8_t *end, uint32_t *ret)
{
	if (nibble < 13) {
		*ret = nibble;
	} else if (nibble == 13) {
		if (end - *p < 1)
			return TI_EPARSE;
		*ret = 13u + (*p)[0];
		*p += 1;
	} else if (nibble == 14) {
		if (end - *p < 2)
			return TI_EPARSE;
		*ret = 269u + (((uint32_t)(*p)[0] << 8) | (*p)[1]);
		*p += 2;
	} else {
		return TI_EPARSE; /* 15 is reserved outside the payload marker */
	}
	return 0;
}

int
ti_msg_parse(const uint8_t *buf, size_t len, struct ti_msg *m)
{
	const uint8_t *p, *end = buf + len;
	uint32_t num = 0;

	m->n_opts = 0;
	m->payload = NULL;
	m->payload_len = 0;
	m->token = NULL;
	if (len < 4)
		return TI_EPARSE;
	m->type = (buf[0] >> 4) & 3;
	m->tkl = buf[0] & 15;
	m->code = buf[1];
	m->mid = (uint16_t)((buf[2] << 8) | buf[3]);
	if (buf[0] >> 6 != 1)
		return TI_EPARSE;
	if (m->tkl > 8 || (size_t)m->tkl > len - 4)
		return TI_EPARSE;
	m->token = buf + 4;
	p = buf + 4 + m->tkl;
	if (m->code == 0) /* Empty message: nothing may follow the header. */
		return (m->tkl == 0 && len == 4) ? 0 : TI_EPARSE;
	while (p < end) {
		if (*p == 0xff) {
			p++;
			if (p == end)
				return TI_EPARSE; /* marker followed by zero-length payload */
			m->payload = p;
			m->payload_len = (size_t)(end - p);
			break;
		}
		uint32_t delta, olen;
		unsigned dn = *p >> 4, ln = *p & 15;
		p++;
		if (read_ext(dn, &p, end, &delta) < 0 || read_ext(ln, &p, end, &olen) < 0)
			return TI_EPARSE;
		num += delta;
		if (num > 65535 || olen > (uint32_t)(end - p))
			return TI_EPARSE;
		if (olen > UINT16_MAX)
			return TI_ETOOBIG; /* legal, but no datagram we accept is that large */
		if (m->n_opts == TI_MSG_MAX_OPTS)
			return TI_ETOOBIG;
		m->opts[m->n_opts++] =
		    (struct ti_msg_opt){ .num = (uint16_t)num, .len = (uint16_t)olen, .val = p };
		p += olen;
	}
	return 0;
}

uint32_t
ti_msg_opt_uint(const struct ti_msg_opt *o)
{
	uint32_t v = 0;

	if (o->len > 4)
		return UINT32_MAX;
	for (uint16_t i = 0; i < o->len; i++)
		v = (v << 8) | o->val[i];
	return v;
}

const struct ti_msg_opt *
ti_msg_find(const struct ti_msg *m, uint16_t num)
{
	for (size_t i = 0; i < m->n_opts; i++)
		if (m->opts[i].num == num)
			return &m->opts[i];
	return NULL;
}

size_t
ti_msg_count(const struct ti_msg *m, uint16_t num)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_opts; i++)
		n += m->opts[i].num == num;
	return n;
}

static void
put(struct ti_msgw *w, const void *data, size_t len)
{
	if (w->overflow || len > w->size - w->len) {
		w->overflow = 1;
		return;
	}
	if (len)
		memcpy(w->buf + w->len, data, len);
	w->len += len;
}

void
ti_msgw_init(struct ti_msgw *w, uint8_t *buf, size_t size, uint8_t type, uint8_t code,
	     uint16_t mid, const uint8_t *token, uint8_t tkl)
{
	uint8_t hdr[4] = { (uint8_t)(0x40 | (type << 4) | (tkl & 15)), code, (uint8_t)(mid >> 8),
			   (uint8_t)mid };

	*w = (struct ti_msgw){ .buf = buf, .size = size, .overflow = tkl > 8 };
	put(w, hdr, sizeof(hdr));
	put(w, token, tkl);
}

static uint8_t
ext_nibble(uint32_t v, uint8_t *ext, size_t *ext_len)
{
	if (v < 13)
		return (uint8_t)v;
	if (v < 269) {
		ext[(*ext_len)++] = (uint8_t)(v - 13);
		return 13;
	}
	ext[(*ext_len)++] = (uint8_t)((v - 269) >> 8);
	ext[(*ext_len)++] = (uint8_t)(v - 269);
	return 14;
}

void
ti_msgw_opt(struct ti_msgw *w, uint16_t num, const void *val, size_t len)
{
	uint8_t head[5];
	size_t n = 1;

	if (num < w->last_opt || len > 65535 + 269) {
		w->overflow = 1;
		return;
	}
	uint8_t dn = ext_nibble(num - w->last_opt, head, &n);
	uint8_t ln = ext_nibble((uint32_t)len, head, &n);
	head[0] = (uint8_t)(dn << 4 | ln);
	put(w, head, n);
	put(w, val, len);
	w->last_opt = num;
}

void
ti_msgw_opt_uint(struct ti_msgw *w, uint16_t num, uint32_t val)
{
	uint8_t b[4];
	size_t n = 0;

	for (int shift = 24; shift >= 0; shift -= 8)
		if (n || (val >> shift) & 0xff)
			b[n++] = (uint8_t)(val >> shift);
	ti_msgw_opt(w, num, b, n);
}

void
ti_msgw_payload(struct ti_msgw *w, const void *data, size_t len)
{
	static const uint8_t marker = 0xff;

	if (len == 0)
		return;
	put(w, &marker, 1);
	put(w, data, len);
}

size_t
ti_msgw_finish(const struct ti_msgw *w)
{
	return w->overflow ? 0 : w->len;
}
