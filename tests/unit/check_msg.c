/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ti_msg: the CoAP-over-UDP parser and writer, against RFC 7252 section 3. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ti_err.h"
#include "ti_msg.h"
#include "ti_util.h"
#include "check_main.h"

/* A byte string from a C literal: (pointer, length without the literal's NUL). */
#define BYTES(s) (const uint8_t *)(s), sizeof(s) - 1

static int
parse_lit(const uint8_t *b, size_t len, struct ti_msg *m)
{
	return ti_msg_parse(b, len, m);
}

/* ------------------------------------------------------------------ header */

START_TEST(test_code_macros)
{
	ck_assert_uint_eq(TI_CODE(0, 1), 0x01);
	ck_assert_uint_eq(TI_CODE(2, 5), 0x45);
	ck_assert_uint_eq(TI_CODE(4, 4), 0x84);
	ck_assert_uint_eq(TI_CODE(4, 12), 0x8c);
	ck_assert_uint_eq(TI_CODE(5, 5), 0xa5);
	ck_assert_uint_eq(TI_CODE(7, 31), 0xff);
	ck_assert_uint_eq(TI_CODE_CLASS(0x45), 2);
	ck_assert_uint_eq(TI_CODE_CLASS(0xa0), 5);
	ck_assert_uint_eq(TI_CODE_CLASS(0x1f), 0);
}
END_TEST

static const struct {
	const char *b;
	size_t len;
	uint8_t type, tkl, code;
	uint16_t mid;
} headers[] = {
	{ "\x40\x01\x00\x00", 4, TI_MSG_CON, 0, 0x01, 0x0000 },
	{ "\x51\x02\xbe\xef\x7f", 5, TI_MSG_NON, 1, 0x02, 0xbeef },
	{ "\x68\x45\xff\xff\x01\x02\x03\x04\x05\x06\x07\x08", 12, TI_MSG_ACK, 8, 0x45, 0xffff },
	{ "\x70\x00\x12\x34", 4, TI_MSG_RST, 0, 0x00, 0x1234 },
	{ "\x60\x00\x00\x01", 4, TI_MSG_ACK, 0, 0x00, 0x0001 },
	{ "\x44\xa0\x80\x00\xde\xad\xbe\xef", 8, TI_MSG_CON, 4, 0xa0, 0x8000 },
	{ "\x53\x04\x00\xff\x00\x00\x00", 7, TI_MSG_NON, 3, 0x04, 0x00ff },
	{ "\x40\xff\x01\x00", 4, TI_MSG_CON, 0, 0xff, 0x0100 },
};

START_TEST(test_header_fields)
{
	const uint8_t *b = (const uint8_t *)headers[_i].b;
	struct ti_msg m;

	ck_assert_int_eq(ti_msg_parse(b, headers[_i].len, &m), 0);
	ck_assert_uint_eq(m.type, headers[_i].type);
	ck_assert_uint_eq(m.tkl, headers[_i].tkl);
	ck_assert_uint_eq(m.code, headers[_i].code);
	ck_assert_uint_eq(m.mid, headers[_i].mid);
	ck_assert_ptr_eq(m.token, b + 4);
	ck_assert_uint_eq(m.n_opts, 0);
	ck_assert_ptr_null(m.payload);
	ck_assert_uint_eq(m.payload_len, 0);
}
END_TEST

START_TEST(test_short_and_version)
{
	static const uint8_t v1[] = { 0x40, 0x01, 0x12, 0x34 };
	uint8_t b[4];
	struct ti_msg m;

	for (size_t len = 0; len < 4; len++)
		ck_assert_int_eq(ti_msg_parse(v1, len, &m), TI_EPARSE);
	/* Version 0, 2 and 3 are not CoAP version 1 (RFC 7252 section 3: Ver). */
	for (unsigned ver = 0; ver < 4; ver++) {
		memcpy(b, v1, sizeof(b));
		b[0] = (uint8_t)(ver << 6 | (b[0] & 0x3f));
		ck_assert_int_eq(ti_msg_parse(b, sizeof(b), &m), ver == 1 ? 0 : TI_EPARSE);
	}
}
END_TEST

/* A format error still leaves the header readable, so a CON can be rejected with RST. */
START_TEST(test_header_on_error)
{
	struct ti_msg m;

	ck_assert_int_eq(parse_lit(BYTES("\x49\x01\xab\xcd"
					 "123456789"),
				   &m),
			 TI_EPARSE);
	ck_assert_uint_eq(m.type, TI_MSG_CON);
	ck_assert_uint_eq(m.code, 0x01);
	ck_assert_uint_eq(m.mid, 0xabcd);
	ck_assert_uint_eq(m.n_opts, 0);
	ck_assert_ptr_null(m.payload);
}
END_TEST

/* ------------------------------------------------------------------ token */

START_TEST(test_token_length)
{
	/* _i is TKL, 0..15; the token bytes are all present. */
	uint8_t b[4 + 15];
	struct ti_msg m;

	b[0] = (uint8_t)(0x40 | _i);
	b[1] = 0x01;
	b[2] = 0x00;
	b[3] = 0x07;
	for (int k = 0; k < 15; k++)
		b[4 + k] = (uint8_t)(0xa0 + k);
	if (_i <= 8) {
		ck_assert_int_eq(ti_msg_parse(b, 4 + (size_t)_i, &m), 0);
		ck_assert_uint_eq(m.tkl, (unsigned)_i);
		ck_assert_ptr_eq(m.token, b + 4);
		ck_assert_uint_eq(m.n_opts, 0);
		ck_assert_ptr_null(m.payload);
		/* One token byte missing. */
		if (_i > 0)
			ck_assert_int_eq(ti_msg_parse(b, 3 + (size_t)_i, &m), TI_EPARSE);
	} else {
		/* RFC 7252 section 3: lengths 9-15 are reserved, a message format error. */
		ck_assert_int_eq(ti_msg_parse(b, 4 + (size_t)_i, &m), TI_EPARSE);
	}
}
END_TEST

/* ------------------------------------------------------------------ empty message */

START_TEST(test_empty_message)
{
	struct ti_msg m;

	ck_assert_int_eq(parse_lit(BYTES("\x40\x00\x12\x34"), &m), 0);
	ck_assert_uint_eq(m.code, 0);
	ck_assert_uint_eq(m.tkl, 0);
	ck_assert_uint_eq(m.n_opts, 0);
	ck_assert_ptr_null(m.payload);
	ck_assert_int_eq(parse_lit(BYTES("\x70\x00\x12\x34"), &m), 0);
	ck_assert_uint_eq(m.type, TI_MSG_RST);

	/* RFC 7252 section 4.1: an Empty message has only the 4-byte header. */
	ck_assert_int_eq(parse_lit(BYTES("\x40\x00\x12\x34\x00"), &m), TI_EPARSE);
	ck_assert_int_eq(parse_lit(BYTES("\x40\x00\x12\x34\xff"), &m), TI_EPARSE);
	ck_assert_int_eq(parse_lit(BYTES("\x40\x00\x12\x34\xff"
					 "x"),
				   &m),
			 TI_EPARSE);
	ck_assert_int_eq(parse_lit(BYTES("\x40\x00\x12\x34\xb1"
					 "a"),
				   &m),
			 TI_EPARSE);
	/* Nor a token (RFC 7252 section 3, Code 0.00). */
	ck_assert_int_eq(parse_lit(BYTES("\x41\x00\x12\x34\xaa"), &m), TI_EPARSE);
	ck_assert_uint_eq(m.mid, 0x1234);
}
END_TEST

/* ------------------------------------------------------------------ options */

/* One option after a CON GET header without token: its head bytes and what they mean. */
static const struct {
	const char *opt;
	size_t opt_len;
	int ret;
	uint16_t num, len;
} option_numbers[] = {
/* clang-format off */
#define OPT(s, r, n, l) { s, sizeof(s) - 1, r, n, l }
	OPT("\x01" "x", 0, 0, 1),
	OPT("\xb1" "x", 0, 11, 1),
	OPT("\xc1" "x", 0, 12, 1),
	OPT("\xd1\x00" "x", 0, 13, 1),
	OPT("\xd1\x01" "x", 0, 14, 1),
	OPT("\xd1\xff" "x", 0, 268, 1),
	OPT("\xe1\x00\x00" "x", 0, 269, 1),
	OPT("\xe1\x00\x01" "x", 0, 270, 1),
	OPT("\xe1\x06\xe8" "x", 0, 2037, 1),
	OPT("\xe1\xfe\xf2" "x", 0, 65535, 1),
	/* 269 + 0xfef3 = 65536: no such option number. */
	OPT("\xe1\xfe\xf3" "x", TI_EPARSE, 0, 0),
	OPT("\xe1\xff\xff" "x", TI_EPARSE, 0, 0),
	/* 65535, then a delta of 1: the sum overflows 16 bits. */
	OPT("\xe0\xfe\xf2\x10", TI_EPARSE, 0, 0),
	/* Nibble 15 in the delta or the length, outside the payload marker. */
	OPT("\xf0", TI_EPARSE, 0, 0),
	OPT("\xf1" "x", TI_EPARSE, 0, 0),
	OPT("\x1f", TI_EPARSE, 0, 0),
	OPT("\xbf" "xx", TI_EPARSE, 0, 0),
	/* Extended delta or length bytes missing. */
	OPT("\xd0", TI_EPARSE, 0, 0),
	OPT("\xe0\x00", TI_EPARSE, 0, 0),
	OPT("\xe0", TI_EPARSE, 0, 0),
	OPT("\x1d", TI_EPARSE, 0, 0),
	OPT("\x1e\x00", TI_EPARSE, 0, 0),
	/* Value past the end. */
	OPT("\x13" "ab", TI_EPARSE, 0, 0),
	OPT("\x1d\x00" "abcdefghijkl", TI_EPARSE, 0, 0),
	OPT("\x11", TI_EPARSE, 0, 0),
#undef OPT
	/* clang-format on */
};

START_TEST(test_option_numbers)
{
	uint8_t b[64] = { 0x40, 0x01, 0x00, 0x01 };
	size_t len = 4 + option_numbers[_i].opt_len;
	struct ti_msg m;

	memcpy(b + 4, option_numbers[_i].opt, option_numbers[_i].opt_len);
	ck_assert_int_eq(ti_msg_parse(b, len, &m), option_numbers[_i].ret);
	if (option_numbers[_i].ret < 0)
		return;
	ck_assert_uint_eq(m.n_opts, 1);
	ck_assert_uint_eq(m.opts[0].num, option_numbers[_i].num);
	ck_assert_uint_eq(m.opts[0].len, option_numbers[_i].len);
	ck_assert_ptr_eq(m.opts[0].val, b + len - option_numbers[_i].len);
	ck_assert_ptr_null(m.payload);
}
END_TEST

/* Option length encodings: 4-bit, 8-bit extended (13), 16-bit extended (14). */
static const struct {
	const char *head;
	size_t head_len;
	uint16_t len;
} option_lengths[] = {
/* clang-format off */
#define LEN(s, l) { s, sizeof(s) - 1, l }
	LEN("\x10", 0),
	LEN("\x11", 1),
	LEN("\x1c", 12),
	LEN("\x1d\x00", 13),
	LEN("\x1d\x01", 14),
	LEN("\x1d\xff", 268),
	LEN("\x1e\x00\x00", 269),
	LEN("\x1e\x00\x01", 270),
	LEN("\x1e\x02\xfd", 1034),
	LEN("\x1e\x04\xf7", 1540),
#undef LEN
	/* clang-format on */
};

START_TEST(test_option_lengths)
{
	size_t vlen = option_lengths[_i].len, hlen = option_lengths[_i].head_len;
	size_t len = 4 + hlen + vlen + 3;
	uint8_t *b = malloc(len);
	struct ti_msg m;

	ck_assert_ptr_nonnull(b);
	memcpy(b, "\x40\x01\x00\x01", 4);
	memcpy(b + 4, option_lengths[_i].head, hlen);
	memset(b + 4 + hlen, 'v', vlen);
	memcpy(b + 4 + hlen + vlen,
	       "\xff"
	       "pl",
	       3);
	ck_assert_int_eq(ti_msg_parse(b, len, &m), 0);
	ck_assert_uint_eq(m.n_opts, 1);
	ck_assert_uint_eq(m.opts[0].num, 1);
	ck_assert_uint_eq(m.opts[0].len, vlen);
	ck_assert_ptr_eq(m.opts[0].val, b + 4 + hlen);
	ck_assert_ptr_eq(m.payload, b + len - 2);
	ck_assert_uint_eq(m.payload_len, 2);
	/* Cut inside the value: the length runs past the end. */
	if (vlen > 0)
		ck_assert_int_eq(ti_msg_parse(b, 4 + hlen + vlen - 1, &m), TI_EPARSE);
	free(b);
}
END_TEST

/*
 * RFC 7252 section 3.1 allows option lengths up to 65535 + 269; struct
 * ti_msg_opt stores the length in 16 bits. A message carrying a longer
 * option must not parse into a wrong length.
 */
START_TEST(test_option_length_over_16_bits)
{
	size_t vlen = 65600, len = 4 + 3 + vlen;
	uint8_t *b = calloc(1, len);
	struct ti_msg m;

	ck_assert_ptr_nonnull(b);
	memcpy(b, "\x40\x01\x00\x01\x1e", 5);
	b[5] = (uint8_t)((vlen - 269) >> 8);
	b[6] = (uint8_t)(vlen - 269);
	int r = ti_msg_parse(b, len, &m);
	free(b); /* before any assert, so that CK_FORK=no runs do not leak it */
	if (r == 0) {
		ck_assert_uint_eq(m.n_opts, 1);
		ck_assert_uint_eq(m.opts[0].len, vlen);
	} else {
		ck_assert_int_eq(r, TI_ETOOBIG);
	}
}
END_TEST

START_TEST(test_option_sequence)
{
	/* Uri-Path "a", "bc" (delta 0), Accept 50 (delta 6), No-Response 2 (delta 241: 13 + 228).
	 */
	static const char b[] = "\x40\x01\x00\x01"
				"\xb1"
				"a"
				"\x02"
				"bc"
				"\x61\x32"
				"\xd1\xe4\x02";
	struct ti_msg m;

	ck_assert_int_eq(parse_lit(BYTES(b), &m), 0);
	ck_assert_uint_eq(m.n_opts, 4);
	ck_assert_uint_eq(m.opts[0].num, TI_OPT_URI_PATH);
	ck_assert_uint_eq(m.opts[0].len, 1);
	ck_assert_mem_eq(m.opts[0].val, "a", 1);
	ck_assert_uint_eq(m.opts[1].num, TI_OPT_URI_PATH);
	ck_assert_uint_eq(m.opts[1].len, 2);
	ck_assert_mem_eq(m.opts[1].val, "bc", 2);
	ck_assert_uint_eq(m.opts[2].num, TI_OPT_ACCEPT);
	ck_assert_uint_eq(ti_msg_opt_uint(&m.opts[2]), 50);
	ck_assert_uint_eq(m.opts[3].num, TI_OPT_NO_RESPONSE);
	ck_assert_uint_eq(ti_msg_opt_uint(&m.opts[3]), 2);
	ck_assert_ptr_null(m.payload);

	ck_assert_ptr_eq(ti_msg_find(&m, TI_OPT_URI_PATH), &m.opts[0]);
	ck_assert_ptr_eq(ti_msg_find(&m, TI_OPT_ACCEPT), &m.opts[2]);
	ck_assert_ptr_null(ti_msg_find(&m, TI_OPT_BLOCK2));
	ck_assert_uint_eq(ti_msg_count(&m, TI_OPT_URI_PATH), 2);
	ck_assert_uint_eq(ti_msg_count(&m, TI_OPT_ACCEPT), 1);
	ck_assert_uint_eq(ti_msg_count(&m, TI_OPT_URI_QUERY), 0);
}
END_TEST

/* ------------------------------------------------------------------ payload */

START_TEST(test_payload)
{
	struct ti_msg m;

	/* RFC 7252 section 3: a marker followed by a zero-length payload is a format error. */
	ck_assert_int_eq(parse_lit(BYTES("\x40\x01\x00\x01\xff"), &m), TI_EPARSE);
	ck_assert_int_eq(parse_lit(BYTES("\x41\x01\x00\x01\x99\xff"), &m), TI_EPARSE);
	ck_assert_int_eq(parse_lit(BYTES("\x40\x01\x00\x01\xb1"
					 "a"
					 "\xff"),
				   &m),
			 TI_EPARSE);

	const uint8_t *b = (const uint8_t *)"\x40\x02\x00\x01\xff"
					    "hi";
	ck_assert_int_eq(ti_msg_parse(b, 7, &m), 0);
	ck_assert_ptr_eq(m.payload, b + 5);
	ck_assert_uint_eq(m.payload_len, 2);
	ck_assert_uint_eq(m.n_opts, 0);

	/* After a token and an option; payload bytes may be 0xff themselves. */
	b = (const uint8_t *)"\x41\x02\x00\x01\x99\xb1"
			     "a"
			     "\xff\xff\xff\x00";
	ck_assert_int_eq(ti_msg_parse(b, 11, &m), 0);
	ck_assert_uint_eq(m.n_opts, 1);
	ck_assert_ptr_eq(m.payload, b + 8);
	ck_assert_uint_eq(m.payload_len, 3);
}
END_TEST

/* ------------------------------------------------------------------ limits */

static size_t
build_many(uint8_t *b, size_t n_opts)
{
	size_t len = 0;

	memcpy(b, "\x40\x01\x00\x01", 4);
	len = 4;
	for (size_t i = 0; i < n_opts; i++)
		b[len++] = i == 0 ? 0xb0 : 0x00; /* empty Uri-Path, then repeats */
	return len;
}

START_TEST(test_too_many_options)
{
	uint8_t b[4 + TI_MSG_MAX_OPTS + 8];
	struct ti_msg m;
	size_t len;

	len = build_many(b, TI_MSG_MAX_OPTS);
	ck_assert_int_eq(ti_msg_parse(b, len, &m), 0);
	ck_assert_uint_eq(m.n_opts, TI_MSG_MAX_OPTS);
	ck_assert_uint_eq(ti_msg_count(&m, TI_OPT_URI_PATH), TI_MSG_MAX_OPTS);

	len = build_many(b, TI_MSG_MAX_OPTS + 1);
	ck_assert_int_eq(ti_msg_parse(b, len, &m), TI_ETOOBIG);
	ck_assert_uint_eq(m.n_opts, TI_MSG_MAX_OPTS);
	ck_assert_uint_eq(m.code, 0x01);
	ck_assert_uint_eq(m.mid, 0x0001);
}
END_TEST

/* ------------------------------------------------------------------ uint options */

static const struct {
	const char *v;
	uint16_t len;
	uint32_t val;
} uints[] = {
	{ "", 0, 0 },
	{ "\x00", 1, 0 },
	{ "\x2a", 1, 42 },
	{ "\xff", 1, 255 },
	{ "\x01\x00", 2, 256 },
	{ "\x00\x32", 2, 50 },
	{ "\x12\x34\x56", 3, 0x123456 },
	{ "\x12\x34\x56\x78", 4, 0x12345678 },
	{ "\xff\xff\xff\xfe", 4, 0xfffffffe },
	{ "\x00\x00\x00\x00\x01", 5, UINT32_MAX },
	{ "\x01\x02\x03\x04\x05\x06\x07\x08", 8, UINT32_MAX },
};

START_TEST(test_opt_uint)
{
	struct ti_msg_opt o = { .num = TI_OPT_ACCEPT,
				.len = uints[_i].len,
				.val = (const uint8_t *)uints[_i].v };

	ck_assert_uint_eq(ti_msg_opt_uint(&o), uints[_i].val);
}
END_TEST

/* ------------------------------------------------------------------ writer */

static const uint8_t token2[] = { 0xab, 0xcd };

/* GET coap://host/tstun, CON, MID 0x1234, token ab cd, Accept 50 (RFC 7252 section 3). */
static const uint8_t get_tstun_json[] = {
	0x42,				/* Ver 1, T CON, TKL 2 */
	0x01,				/* 0.01 GET */
	0x12, 0x34,			/* Message ID */
	0xab, 0xcd,			/* Token */
	0xb5, 't',  's', 't', 'u', 'n', /* Uri-Path (11): delta 11, length 5 */
	0x61, 0x32,			/* Accept (17): delta 6, length 1, 50 */
};

START_TEST(test_write_exact)
{
	uint8_t buf[64];
	struct ti_msgw w;
	struct ti_msg m;

	ti_msgw_init(&w, buf, sizeof(buf), TI_MSG_CON, TI_CODE(0, 1), 0x1234, token2, 2);
	ti_msgw_opt(&w, TI_OPT_URI_PATH, "tstun", 5);
	ti_msgw_opt_uint(&w, TI_OPT_ACCEPT, 50);
	ck_assert_uint_eq(ti_msgw_finish(&w), sizeof(get_tstun_json));
	ck_assert_mem_eq(buf, get_tstun_json, sizeof(get_tstun_json));

	ck_assert_int_eq(ti_msg_parse(get_tstun_json, sizeof(get_tstun_json), &m), 0);
	ck_assert_uint_eq(m.type, TI_MSG_CON);
	ck_assert_uint_eq(m.code, TI_CODE(0, 1));
	ck_assert_uint_eq(m.mid, 0x1234);
	ck_assert_uint_eq(m.tkl, 2);
	ck_assert_mem_eq(m.token, token2, 2);
	ck_assert_uint_eq(m.n_opts, 2);
	ck_assert_uint_eq(m.opts[0].num, TI_OPT_URI_PATH);
	ck_assert_mem_eq(m.opts[0].val, "tstun", 5);
	ck_assert_uint_eq(m.opts[1].num, TI_OPT_ACCEPT);
	ck_assert_uint_eq(ti_msg_opt_uint(&m.opts[1]), 50);
}
END_TEST

START_TEST(test_write_exact_response)
{
	/* ACK 2.05, Content-Format 0 (empty uint), Max-Age 0 (empty uint), payload. */
	static const uint8_t expect[] = { 0x62, 0x45, 0x12, 0x34, 0xab, 0xcd, 0xc0,
					  0x20, 0xff, 'h',  'e',  'l',	'l',  'o' };
	uint8_t buf[64];
	struct ti_msgw w;

	ti_msgw_init(&w, buf, sizeof(buf), TI_MSG_ACK, TI_CODE(2, 5), 0x1234, token2, 2);
	ti_msgw_opt_uint(&w, TI_OPT_CONTENT_FORMAT, 0);
	ti_msgw_opt_uint(&w, TI_OPT_MAX_AGE, 0);
	ti_msgw_payload(&w, "hello", 5);
	ck_assert_uint_eq(ti_msgw_finish(&w), sizeof(expect));
	ck_assert_mem_eq(buf, expect, sizeof(expect));
}
END_TEST

START_TEST(test_write_extended)
{
	/*
	 * Uri-Path "x" (delta 11), No-Response 2 (delta 247: 13 + 234),
	 * option 2049 (delta 1791: 14, 269 + 0x05f2) with a 13-byte value
	 * (length 13: 13 + 0), 2049 again but empty (delta 0), then a
	 * 300-byte option 2050 (length 14: 269 + 31).
	 */
	uint8_t buf[512], val13[13], val300[300];
	struct ti_msgw w;
	size_t len;

	memset(val13, 'm', sizeof(val13));
	memset(val300, 'L', sizeof(val300));
	ti_msgw_init(&w, buf, sizeof(buf), TI_MSG_NON, TI_CODE(0, 1), 0xfffe, NULL, 0);
	ti_msgw_opt(&w, TI_OPT_URI_PATH, "x", 1);
	ti_msgw_opt_uint(&w, TI_OPT_NO_RESPONSE, 2);
	ti_msgw_opt(&w, 2049, val13, sizeof(val13));
	ti_msgw_opt(&w, 2049, NULL, 0);
	ti_msgw_opt(&w, 2050, val300, sizeof(val300));
	len = ti_msgw_finish(&w);
	ck_assert_uint_eq(len, 4 + 2 + 3 + 4 + 13 + 1 + 3 + 300);

	ck_assert_mem_eq(buf, "\x50\x01\xff\xfe", 4);
	ck_assert_mem_eq(buf + 4, "\xb1x", 2);
	ck_assert_mem_eq(buf + 6, "\xd1\xea\x02", 3);
	ck_assert_mem_eq(buf + 9, "\xed\x05\xf2\x00", 4);
	ck_assert_mem_eq(buf + 13, val13, 13);
	ck_assert_mem_eq(buf + 26, "\x00", 1);
	ck_assert_mem_eq(buf + 27, "\x1e\x00\x1f", 3);
	ck_assert_mem_eq(buf + 30, val300, 300);
}
END_TEST

/* uint options in their shortest form (RFC 7252 section 3.2). */
static const struct {
	uint32_t val;
	uint16_t len;
} uint_forms[] = {
	{ 0, 0 },     { 1, 1 },	       { 255, 1 },	 { 256, 2 },	    { 65535, 2 },
	{ 65536, 3 }, { 0xffffff, 3 }, { 0x1000000, 4 }, { UINT32_MAX, 4 },
};

START_TEST(test_write_uint_forms)
{
	uint8_t buf[32];
	struct ti_msgw w;
	struct ti_msg m;
	size_t len;

	ti_msgw_init(&w, buf, sizeof(buf), TI_MSG_CON, TI_CODE(0, 1), 1, NULL, 0);
	ti_msgw_opt_uint(&w, TI_OPT_CONTENT_FORMAT, uint_forms[_i].val);
	len = ti_msgw_finish(&w);
	ck_assert_uint_eq(len, 4 + 1 + uint_forms[_i].len);
	ck_assert_int_eq(ti_msg_parse(buf, len, &m), 0);
	ck_assert_uint_eq(m.n_opts, 1);
	ck_assert_uint_eq(m.opts[0].num, TI_OPT_CONTENT_FORMAT);
	ck_assert_uint_eq(m.opts[0].len, uint_forms[_i].len);
	ck_assert_uint_eq(ti_msg_opt_uint(&m.opts[0]), uint_forms[_i].val);
}
END_TEST

/* Messages to write and read back. */
struct rt_opt {
	uint16_t num;
	uint16_t len;
	uint8_t fill;
};

static const struct {
	uint8_t type, code, tkl;
	uint16_t mid;
	size_t n_opts;
	struct rt_opt opts[6];
	size_t payload_len;
} round_trips[] = {
	{ TI_MSG_CON, 0x00, 0, 0x0000, 0, { { 0 } }, 0 },
	{ TI_MSG_RST, 0x00, 0, 0xffff, 0, { { 0 } }, 0 },
	{ TI_MSG_CON, 0x01, 8, 0x1234, 1, { { 11, 5, 't' } }, 0 },
	{ TI_MSG_NON, 0x02, 4, 0x8001, 3, { { 11, 2, 'r' }, { 12, 0, 0 }, { 15, 7, 'q' } }, 40 },
	{ TI_MSG_ACK,
	  0x45,
	  1,
	  0x0102,
	  4,
	  { { 12, 1, 50 }, { 14, 0, 0 }, { 23, 1, 8 }, { 28, 1, 17 } },
	  16 },
	{ TI_MSG_NON,
	  0x84,
	  2,
	  0x7000,
	  6,
	  { { 1, 0, 0 },
	    { 1, 8, 'e' },
	    { 13, 12, 'a' },
	    { 268, 13, 'b' },
	    { 269, 268, 'c' },
	    { 65535, 269, 'd' } },
	  1 },
	{ TI_MSG_CON, 0xa5, 3, 0x00ff, 1, { { 35, 1034, 'p' } }, 1024 },
};

START_TEST(test_write_round_trip)
{
	static uint8_t buf[4096], vals[6][1100], payload[1100];
	const uint8_t token[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct ti_msgw w;
	struct ti_msg m;
	size_t len, expect = 4;

	ti_msgw_init(&w, buf, sizeof(buf), round_trips[_i].type, round_trips[_i].code,
		     round_trips[_i].mid, token, round_trips[_i].tkl);
	expect += round_trips[_i].tkl;
	for (size_t k = 0; k < round_trips[_i].n_opts; k++) {
		const struct rt_opt *o = &round_trips[_i].opts[k];
		memset(vals[k], o->fill, o->len);
		ti_msgw_opt(&w, o->num, vals[k], o->len);
		expect += o->len + 1;
	}
	memset(payload, 0xff, sizeof(payload));
	ti_msgw_payload(&w, payload, round_trips[_i].payload_len);
	len = ti_msgw_finish(&w);
	ck_assert_uint_gt(len, expect - 1);

	ck_assert_int_eq(ti_msg_parse(buf, len, &m), 0);
	ck_assert_uint_eq(m.type, round_trips[_i].type);
	ck_assert_uint_eq(m.code, round_trips[_i].code);
	ck_assert_uint_eq(m.mid, round_trips[_i].mid);
	ck_assert_uint_eq(m.tkl, round_trips[_i].tkl);
	ck_assert_mem_eq(m.token, token, round_trips[_i].tkl);
	ck_assert_uint_eq(m.n_opts, round_trips[_i].n_opts);
	for (size_t k = 0; k < round_trips[_i].n_opts; k++) {
		ck_assert_uint_eq(m.opts[k].num, round_trips[_i].opts[k].num);
		ck_assert_uint_eq(m.opts[k].len, round_trips[_i].opts[k].len);
		ck_assert_mem_eq(m.opts[k].val, vals[k], m.opts[k].len);
	}
	if (round_trips[_i].payload_len == 0) {
		ck_assert_ptr_null(m.payload);
		ck_assert_uint_eq(m.payload_len, 0);
	} else {
		ck_assert_ptr_eq(m.payload, buf + len - round_trips[_i].payload_len);
		ck_assert_uint_eq(m.payload_len, round_trips[_i].payload_len);
	}
}
END_TEST

/* Every buffer shorter than the message overflows; the exact size fits. */
START_TEST(test_write_overflow)
{
	uint8_t buf[sizeof(get_tstun_json) + 8];
	struct ti_msgw w;

	for (size_t size = 0; size <= sizeof(get_tstun_json); size++) {
		memset(buf, 0xee, sizeof(buf));
		ti_msgw_init(&w, buf, size, TI_MSG_CON, TI_CODE(0, 1), 0x1234, token2, 2);
		ti_msgw_opt(&w, TI_OPT_URI_PATH, "tstun", 5);
		ti_msgw_opt_uint(&w, TI_OPT_ACCEPT, 50);
		if (size < sizeof(get_tstun_json)) {
			ck_assert_uint_eq(ti_msgw_finish(&w), 0);
			ck_assert_int_ne(w.overflow, 0);
		} else {
			ck_assert_uint_eq(ti_msgw_finish(&w), sizeof(get_tstun_json));
			ck_assert_mem_eq(buf, get_tstun_json, sizeof(get_tstun_json));
		}
		/* Nothing written past size. */
		for (size_t k = size; k < sizeof(buf); k++)
			ck_assert_uint_eq(buf[k], 0xee);
	}

	/* The payload marker and payload count too. */
	ti_msgw_init(&w, buf, 7, TI_MSG_ACK, TI_CODE(2, 5), 1, NULL, 0);
	ti_msgw_payload(&w, "abc", 3);
	ck_assert_uint_eq(ti_msgw_finish(&w), 0);
	ti_msgw_init(&w, buf, 8, TI_MSG_ACK, TI_CODE(2, 5), 1, NULL, 0);
	ti_msgw_payload(&w, "abc", 3);
	ck_assert_uint_eq(ti_msgw_finish(&w), 8);
	ck_assert_mem_eq(buf,
			 "\x60\x45\x00\x01\xff"
			 "abc",
			 8);

	/* An empty payload writes no marker. */
	ti_msgw_init(&w, buf, 4, TI_MSG_ACK, 0, 1, NULL, 0);
	ti_msgw_payload(&w, "", 0);
	ck_assert_uint_eq(ti_msgw_finish(&w), 4);
}
END_TEST

START_TEST(test_write_out_of_order)
{
	uint8_t buf[64];
	struct ti_msgw w;

	ti_msgw_init(&w, buf, sizeof(buf), TI_MSG_CON, TI_CODE(0, 1), 1, NULL, 0);
	ti_msgw_opt(&w, TI_OPT_ACCEPT, "\x32", 1);
	ck_assert_int_eq(w.overflow, 0);
	ti_msgw_opt(&w, TI_OPT_URI_PATH, "a", 1);
	ck_assert_int_ne(w.overflow, 0);
	ck_assert_uint_eq(ti_msgw_finish(&w), 0);
	/* Later well-ordered calls do not clear it. */
	ti_msgw_opt(&w, TI_OPT_BLOCK2, NULL, 0);
	ti_msgw_payload(&w, "x", 1);
	ck_assert_uint_eq(ti_msgw_finish(&w), 0);

	/* Repeating a number is in order. */
	ti_msgw_init(&w, buf, sizeof(buf), TI_MSG_CON, TI_CODE(0, 1), 1, NULL, 0);
	ti_msgw_opt(&w, TI_OPT_URI_PATH, "a", 1);
	ti_msgw_opt(&w, TI_OPT_URI_PATH, "b", 1);
	ck_assert_uint_eq(ti_msgw_finish(&w), 8);
	ck_assert_mem_eq(buf,
			 "\x40\x01\x00\x01\xb1"
			 "a"
			 "\x01"
			 "b",
			 8);

	/* No option value longer than 65535 + 269 bytes can be encoded. */
	ti_msgw_init(&w, buf, sizeof(buf), TI_MSG_CON, TI_CODE(0, 1), 1, NULL, 0);
	ti_msgw_opt(&w, TI_OPT_URI_PATH, buf, 65535 + 270);
	ck_assert_uint_eq(ti_msgw_finish(&w), 0);
}
END_TEST

Suite *
msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc;

	tc = tcase_create("header");
	tcase_add_test(tc, test_code_macros);
	tcase_add_loop_test(tc, test_header_fields, 0, (int)TI_ARRAY_SIZE(headers));
	tcase_add_test(tc, test_short_and_version);
	tcase_add_test(tc, test_header_on_error);
	tcase_add_loop_test(tc, test_token_length, 0, 16);
	tcase_add_test(tc, test_empty_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_loop_test(tc, test_option_numbers, 0, (int)TI_ARRAY_SIZE(option_numbers));
	tcase_add_loop_test(tc, test_option_lengths, 0, (int)TI_ARRAY_SIZE(option_lengths));
	tcase_add_test(tc, test_option_length_over_16_bits);
	tcase_add_test(tc, test_option_sequence);
	tcase_add_test(tc, test_payload);
	tcase_add_test(tc, test_too_many_options);
	tcase_add_loop_test(tc, test_opt_uint, 0, (int)TI_ARRAY_SIZE(uints));
	suite_add_tcase(s, tc);

	tc = tcase_create("writer");
	tcase_add_test(tc, test_write_exact);
	tcase_add_test(tc, test_write_exact_response);
	tcase_add_test(tc, test_write_extended);
	tcase_add_loop_test(tc, test_write_uint_forms, 0, (int)TI_ARRAY_SIZE(uint_forms));
	tcase_add_loop_test(tc, test_write_round_trip, 0, (int)TI_ARRAY_SIZE(round_trips));
	tcase_add_test(tc, test_write_overflow);
	tcase_add_test(tc, test_write_out_of_order);
	suite_add_tcase(s, tc);
	return s;
}
