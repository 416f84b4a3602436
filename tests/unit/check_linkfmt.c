/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ti_linkfmt: link-format parse/write, limits, matching, resolution, strbuf. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ti_err.h"
#include "ti_linkfmt.h"
#include "ti_util.h"
#include "check_main.h"

#define OFF_SENTINEL ((size_t)0xdeadbeef)

/*
 * Render parsed links as one line per link: <target>;name=[value];bare
 * (brackets show where a value starts and ends; a bare attribute has none).
 */
static char *
dump(const struct ti_links *links)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(1 << 20);
	char *s;

	for (size_t i = 0; i < links->n; i++) {
		const struct ti_link *l = &links->v[i];

		if (i > 0)
			ck_assert_int_eq(ti_strbuf_putc(&sb, '\n'), 0);
		ck_assert_int_eq(ti_strbuf_printf(&sb, "<%s>", l->target), 0);
		for (size_t k = 0; k < l->n_attrs; k++) {
			ck_assert_int_eq(ti_strbuf_printf(&sb, ";%s", l->attrs[k].name), 0);
			if (l->attrs[k].value != NULL)
				ck_assert_int_eq(ti_strbuf_printf(&sb, "=[%s]", l->attrs[k].value),
						 0);
		}
	}
	s = ti_strbuf_steal(&sb);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* Parse s (all of it) with the default limits; fail the test on error. */
static void
parse_ok(const char *s, size_t len, struct ti_links *ret)
{
	size_t off = OFF_SENTINEL;
	int r = ti_linkfmt_parse(s, len, NULL, ret, &off);

	ck_assert_msg(r == 0, "parse(\"%s\") = %d (%s) at %zu", s, r, ti_strerror(r), off);
	ck_assert_uint_eq(off, OFF_SENTINEL);
}

static void
parse_str(const char *s, struct ti_links *ret)
{
	parse_ok(s, strlen(s), ret);
}

/* ------------------------------------------------------------------------ */
/* Accepted inputs                                                          */
/* ------------------------------------------------------------------------ */

struct ok_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *dump;
};

static const struct ok_case ok_cases[] = {
	/* Empty payloads. */
	{ "", 0, "" },
	{ " \t\r\n ", 0, "" },
	/* RFC 6690 section 5. */
	{ "</sensors/temp>;if=\"sensor\",\n</sensors/light>;if=\"sensor\"", 0,
	  "</sensors/temp>;if=[sensor]\n</sensors/light>;if=[sensor]" },
	{ "</sensors/light>;rt=\"light-lux\";if=\"sensor\"", 0,
	  "</sensors/light>;rt=[light-lux];if=[sensor]" },
	{ "</sensors>;ct=40", 0, "</sensors>;ct=[40]" },
	{ "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\",\n"
	  "</sensors/light>;rt=\"light-lux\";if=\"sensor\"",
	  0,
	  "</sensors/temp>;rt=[temperature-c];if=[sensor]\n"
	  "</sensors/light>;rt=[light-lux];if=[sensor]" },
	{ "</sensors>;ct=40;title=\"Sensor Index\",\n"
	  "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\",\n"
	  "</sensors/light>;rt=\"light-lux\";if=\"sensor\",\n"
	  "<http://www.example.com/sensors/t123>;anchor=\"/sensors/temp\"\n"
	  ";rel=\"describedby\",\n"
	  "</t>;anchor=\"/sensors/temp\";rel=\"alternate\"",
	  0,
	  "</sensors>;ct=[40];title=[Sensor Index]\n"
	  "</sensors/temp>;rt=[temperature-c];if=[sensor]\n"
	  "</sensors/light>;rt=[light-lux];if=[sensor]\n"
	  "<http://www.example.com/sensors/t123>;anchor=[/sensors/temp];rel=[describedby]\n"
	  "</t>;anchor=[/sensors/temp];rel=[alternate]" },
	/* RFC 6690 section 3.3 (sz). */
	{ "</firmware/v2.1>;rt=\"firmware\";sz=262144", 0,
	  "</firmware/v2.1>;rt=[firmware];sz=[262144]" },
	/* RFC 9176 registration payloads. */
	{ "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\","
	  "</sensors/light>;ct=41;rt=\"light-lux\";if=\"sensor\"",
	  0,
	  "</sensors/temp>;rt=[temperature-c];if=[sensor]\n"
	  "</sensors/light>;ct=[41];rt=[light-lux];if=[sensor]" },
	{ "</sensors/temp>;ct=41;rt=\"temperature-c\";if=\"sensor\";\n"
	  "      anchor=\"coap://spurious.example.com:5683\",\n"
	  "</sensors/light>;ct=41;rt=\"light-lux\";if=\"sensor\"",
	  0,
	  "</sensors/temp>;ct=[41];rt=[temperature-c];if=[sensor];"
	  "anchor=[coap://spurious.example.com:5683]\n"
	  "</sensors/light>;ct=[41];rt=[light-lux];if=[sensor]" },
	{ "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\",\n"
	  "<http://www.example.com/sensors/temp>;\n"
	  "  anchor=\"/sensors/temp\";rel=\"describedby\"",
	  0,
	  "</sensors/temp>;rt=[temperature-c];if=[sensor]\n"
	  "<http://www.example.com/sensors/temp>;anchor=[/sensors/temp];rel=[describedby]" },
	/* RFC 9176 discovery and lookup results (bare ptokens, ',' inside quotes). */
	{ "</rd>;rt=core.rd;ct=40,\n</rd-lookup/ep>;rt=core.rd-lookup-ep;ct=40,\n"
	  "</rd-lookup/res>;rt=core.rd-lookup-res;ct=40",
	  0,
	  "</rd>;rt=[core.rd];ct=[40]\n</rd-lookup/ep>;rt=[core.rd-lookup-ep];ct=[40]\n"
	  "</rd-lookup/res>;rt=[core.rd-lookup-res];ct=[40]" },
	{ "</rd>;rt=core.rd;ct=\"40 65225\",</rd-lookup/res>;rt=core.rd-lookup-res;ct=40;obs", 0,
	  "</rd>;rt=[core.rd];ct=[40 "
	  "65225]\n</rd-lookup/res>;rt=[core.rd-lookup-res];ct=[40];obs" },
	{ "<coap://[2001:db8:3::123]:61616/temp>;rt=\"tag:example.org,2020:temperature\";\n"
	  "    anchor=\"coap://[2001:db8:3::123]:61616\"",
	  0,
	  "<coap://[2001:db8:3::123]:61616/temp>;rt=[tag:example.org,2020:temperature];"
	  "anchor=[coap://[2001:db8:3::123]:61616]" },
	{ "</rd/1234>;base=\"coap://[2001:db8:3::127]:61616\";ep=\"node5\";\n"
	  "et=\"tag:example.com,2020:platform\";ct=40;rt=core.rd-ep,\n"
	  "</rd/4521>;base=\"coap://[2001:db8:3::129]:61616\";ep=\"node7\";\n"
	  "et=\"tag:example.com,2020:platform\";ct=40;d=\"floor-3\";rt=core.rd-ep",
	  0,
	  "</rd/1234>;base=[coap://[2001:db8:3::127]:61616];ep=[node5];"
	  "et=[tag:example.com,2020:platform];ct=[40];rt=[core.rd-ep]\n"
	  "</rd/4521>;base=[coap://[2001:db8:3::129]:61616];ep=[node7];"
	  "et=[tag:example.com,2020:platform];ct=[40];d=[floor-3];rt=[core.rd-ep]" },
	/* thin-ICE: candidate link and embedded candidate (DESIGN.md). */
	{ "<coap://130.10.10.10:1234/candidates>;rel=\"candidateof\";"
	  "anchor=\"coap://10.10.10.1:5683\"",
	  0,
	  "<coap://130.10.10.10:1234/candidates>;rel=[candidateof];"
	  "anchor=[coap://10.10.10.1:5683]" },
	{ "<coap://203.0.113.7:40001/sensors/temp>;rt=\"temperature-c\",</tstun>;rt=\"tstun\","
	  "<coap://203.0.113.7:40001>",
	  0,
	  "<coap://203.0.113.7:40001/sensors/temp>;rt=[temperature-c]\n</tstun>;rt=[tstun]\n"
	  "<coap://203.0.113.7:40001>" },
	/* Quoted strings: escapes, delimiters inside, UTF-8, HTAB, empty. */
	{ "</a>;title=\"say \\\"hi\\\" \\\\ \\x\"", 0, "</a>;title=[say \"hi\" \\ x]" },
	{ "</a>;title=\"a,b;c<d>=e\",</f>", 0, "</a>;title=[a,b;c<d>=e]\n</f>" },
	{ "</a>;title=\"Temp\xc3\xa9rature \xe2\x82\xac \xf0\x9f\x8c\xa1\"", 0,
	  "</a>;title=[Temp\xc3\xa9rature \xe2\x82\xac \xf0\x9f\x8c\xa1]" },
	{ "</a>;title=\"a\tb\";t2=\"\\\t\"", 0, "</a>;title=[a\tb];t2=[\t]" },
	{ "</a>;title=\"\"", 0, "</a>;title=[]" },
	{ "</a>;title=\"\\\\\"", 0, "</a>;title=[\\]" },
	/* Bare attributes, repeated names, names as given. */
	{ "</a>;obs;foo;rt=x", 0, "</a>;obs;foo;rt=[x]" },
	{ "</a>;rt=\"a\";rt=b;RT=\"c\"", 0, "</a>;rt=[a];rt=[b];RT=[c]" },
	{ "</a>;!#$&+-.^_`|~=1;9=2", 0, "</a>;!#$&+-.^_`|~=[1];9=[2]" },
	{ "</a>;title*=UTF-8'de'n%c3%a4chstes%20Kapitel", 0,
	  "</a>;title*=[UTF-8'de'n%c3%a4chstes%20Kapitel]" },
	{ "</a>;x*", 0, "</a>;x*" },
	/* ptoken may hold '<', '>', '=' and friends. */
	{ "</a>;x=<b>=?@[]{}|~*'()/:", 0, "</a>;x=[<b>=?@[]{}|~*'()/:]" },
	/* Whitespace around ',' and ';' and around the list. */
	{ "  </a> ;\trt=x\r\n, \n</b>\n;\nif=y  \n", 0, "</a>;rt=[x]\n</b>;if=[y]" },
	{ "</a>\r\n,\r\n</b>", 0, "</a>\n</b>" },
	/* Targets: empty, percent-encoded, IPv6 literal, query, fragment. */
	{ "<>", 0, "<>" },
	{ "<>;rel=self", 0, "<>;rel=[self]" },
	{ "</a%20b%7E>;rt=x", 0, "</a%20b%7E>;rt=[x]" },
	{ "<coap://[2001:db8::1]:5683/a?b=c&d#e>", 0, "<coap://[2001:db8::1]:5683/a?b=c&d#e>" },
	{ "<!$&'()*+,;=-._~:@/?>", 0, "<!$&'()*+,;=-._~:@/?>" },
	/* Explicit length: the rest of the buffer is not read. */
	{ "</a>;rt=x,garbage", 9, "</a>;rt=[x]" },
};

START_TEST(test_parse_ok)
{
	const struct ok_case *c = &ok_cases[_i];
	size_t len = c->len > 0 ? c->len : strlen(c->in);
	struct ti_links links;
	char *d;

	parse_ok(c->in, len, &links);
	d = dump(&links);
	ck_assert_str_eq(d, c->dump);
	free(d);
	ti_links_fini(&links);
	ck_assert_ptr_null(links.v);
	ck_assert_uint_eq(links.n, 0);
	ti_links_fini(&links);
}
END_TEST

/* Every accepted input survives parse -> write -> parse unchanged, and the written form is stable.
 */
START_TEST(test_round_trip)
{
	const struct ok_case *c = &ok_cases[_i];
	size_t len = c->len > 0 ? c->len : strlen(c->in);
	struct ti_strbuf w1 = TI_STRBUF_INIT(1 << 20), w2 = TI_STRBUF_INIT(1 << 20);
	struct ti_links a, b, e;
	char *da, *db;

	parse_ok(c->in, len, &a);
	ck_assert_int_eq(ti_linkfmt_write(&w1, &a), 0);
	parse_ok(w1.s, w1.len, &b);
	da = dump(&a);
	db = dump(&b);
	ck_assert_str_eq(da, db);
	ck_assert_int_eq(ti_linkfmt_write(&w2, &b), 0);
	ck_assert_str_eq(ti_strbuf_str(&w1), ti_strbuf_str(&w2));
	/* Each link on its own, too. */
	for (size_t i = 0; i < a.n; i++) {
		ti_strbuf_reset(&w2);
		ck_assert_int_eq(ti_linkfmt_write_link(&w2, &a.v[i]), 0);
		parse_ok(w2.s, w2.len, &e);
		ck_assert_uint_eq(e.n, 1);
		ck_assert_str_eq(e.v[0].target, a.v[i].target);
		ck_assert_uint_eq(e.v[0].n_attrs, a.v[i].n_attrs);
		ti_links_fini(&e);
	}
	free(da);
	free(db);
	ti_links_fini(&a);
	ti_links_fini(&b);
	ti_strbuf_fini(&w1);
	ti_strbuf_fini(&w2);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Rejected inputs                                                          */
/* ------------------------------------------------------------------------ */

struct err_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	int ret;
	size_t off;
};

static const struct err_case err_cases[] = {
	/* Not a link where one is expected. */
	{ "x", 0, TI_EPARSE, 0 },
	{ "\xef\xbb\xbf</a>", 0, TI_EPARSE, 0 },
	{ ",</a>", 0, TI_EPARSE, 0 },
	{ "</a>,,</b>", 0, TI_EPARSE, 5 },
	{ "</a>, ,</b>", 0, TI_EPARSE, 6 },
	{ "</a>,", 0, TI_EPARSE, 5 },
	{ "</a>, \n", 0, TI_EPARSE, 7 },
	{ "</a> </b>", 0, TI_EPARSE, 5 },
	{ "</a>;t=x\n\n</b>", 0, TI_EPARSE, 10 },
	/* Unterminated target or string: the opening delimiter. */
	{ "<", 0, TI_EPARSE, 0 },
	{ "</a", 0, TI_EPARSE, 0 },
	{ "</a>,</b", 0, TI_EPARSE, 5 },
	{ "</a>;title=\"abc", 0, TI_EPARSE, 11 },
	{ "</a>;t=\"abc\\", 0, TI_EPARSE, 7 },
	{ "</a>;t=\"abc\\\"", 0, TI_EPARSE, 7 },
	/* Bytes a target cannot hold. */
	{ "</a b>", 0, TI_EPARSE, 3 },
	{ "</a\tb>", 0, TI_EPARSE, 3 },
	{ "</a\nb>", 0, TI_EPARSE, 3 },
	{ "< /a>", 0, TI_EPARSE, 1 },
	{ "</a<b>", 0, TI_EPARSE, 3 },
	{ "</a\"b>", 0, TI_EPARSE, 3 },
	{ "</a\\b>", 0, TI_EPARSE, 3 },
	{ "</a{b}>", 0, TI_EPARSE, 3 },
	{ "</a|b>", 0, TI_EPARSE, 3 },
	{ "</a^b>", 0, TI_EPARSE, 3 },
	{ "</a`b>", 0, TI_EPARSE, 3 },
	{ "</a\x7f>", 0, TI_EPARSE, 3 },
	{ "</\xc3\xa9>", 0, TI_EPARSE, 2 },
	{ "</a%2>", 0, TI_EPARSE, 3 },
	{ "</a%zz>", 0, TI_EPARSE, 3 },
	{ "</a%", 0, TI_EPARSE, 0 },
	/* '>' in the target ends it; what follows is garbage. */
	{ "</a>b>", 0, TI_EPARSE, 4 },
	{ "</a>>", 0, TI_EPARSE, 4 },
	{ "</a>x", 0, TI_EPARSE, 4 },
	{ "</a>;rt=\"x\"y", 0, TI_EPARSE, 11 },
	{ "</a>;rt=\"x\"\"y\"", 0, TI_EPARSE, 11 },
	{ "</a>;rt=x y", 0, TI_EPARSE, 10 },
	{ "</a>;rt =x", 0, TI_EPARSE, 8 },
	{ "</a>;rt= x", 0, TI_EPARSE, 8 },
	/* Attribute without a name, value missing. */
	{ "</a>;", 0, TI_EPARSE, 5 },
	{ "</a>; ", 0, TI_EPARSE, 6 },
	{ "</a>;;rt=x", 0, TI_EPARSE, 5 },
	{ "</a>;=x", 0, TI_EPARSE, 5 },
	{ "</a>; =x", 0, TI_EPARSE, 6 },
	{ "</a>;,</b>", 0, TI_EPARSE, 5 },
	{ "</a>;*=x", 0, TI_EPARSE, 5 },
	{ "</a>;\"rt\"=x", 0, TI_EPARSE, 5 },
	{ "</a>;rt=", 0, TI_EPARSE, 8 },
	{ "</a>;rt=;if=x", 0, TI_EPARSE, 8 },
	{ "</a>;rt=,</b>", 0, TI_EPARSE, 8 },
	{ "</a>;r\xc3\xa9=1", 0, TI_EPARSE, 6 },
	{ "</a>;ti**=1", 0, TI_EPARSE, 8 },
	{ "</a>;t*x=1", 0, TI_EPARSE, 7 },
	{ "</a>;t=\xc3\xa9", 0, TI_EPARSE, 7 },
	/* NUL bytes. */
	{ "\0</a>", 5, TI_EPARSE, 0 },
	{ "</a>\0", 5, TI_EPARSE, 4 },
	{ "</a\0b>", 6, TI_EPARSE, 3 },
	{ "</a>;t=\"a\0b\"", 12, TI_EPARSE, 9 },
	{ "</a>;t=a\0", 9, TI_EPARSE, 8 },
	{ "</a>;t\0=a", 9, TI_EPARSE, 6 },
	/* Controls, in and out of quoted strings. */
	{ "\x01</a>", 0, TI_EPARSE, 0 },
	{ "</a>\x0b", 0, TI_EPARSE, 4 },
	{ "</a>\f,</b>", 0, TI_EPARSE, 4 },
	{ "</a>;t=\"a\x01\"", 0, TI_EPARSE, 9 },
	{ "</a>;t=\"a\x1b[2J\"", 0, TI_EPARSE, 9 },
	{ "</a>;t=\"a\x7f\"", 0, TI_EPARSE, 9 },
	{ "</a>;t=\"a\nb\"", 0, TI_EPARSE, 9 },
	{ "</a>;t=\"a\rb\"", 0, TI_EPARSE, 9 },
	{ "</a>;t=\"\\\x01\"", 0, TI_EPARSE, 8 },
	{ "</a>;t=\"\\\n\"", 0, TI_EPARSE, 8 },
	{ "</a>;t=\"\\\xc3\xa9\"", 0, TI_EPARSE, 8 },
	/* Malformed UTF-8 and C1 controls in quoted strings. */
	{ "</a>;t=\"\xc3\"", 0, TI_EPARSE, 8 },
	{ "</a>;t=\"\xc0\xaf\"", 0, TI_EPARSE, 8 },
	{ "</a>;t=\"\xe0\x80\xaf\"", 0, TI_EPARSE, 8 },
	{ "</a>;t=\"\xed\xa0\x80\"", 0, TI_EPARSE, 8 },
	{ "</a>;t=\"\xf4\x90\x80\x80\"", 0, TI_EPARSE, 8 },
	{ "</a>;t=\"\xf8\x88\x80\x80\x80\"", 0, TI_EPARSE, 8 },
	{ "</a>;t=\"\xff\"", 0, TI_EPARSE, 8 },
	{ "</a>;t=\"\x80\"", 0, TI_EPARSE, 8 },
	{ "</a>;t=\"\xc2\x9b\"", 0, TI_EPARSE, 8 },
	{ "</a>;t=\"ok\xe2\x82\"", 0, TI_EPARSE, 10 },
	{ "</a>;t=\"ok\xe2\x82", 0, TI_EPARSE, 10 },
};

START_TEST(test_parse_err)
{
	const struct err_case *c = &err_cases[_i];
	size_t len = c->len > 0 ? c->len : strlen(c->in);
	struct ti_links links = { .v = (struct ti_link *)&links, .n = 42 };
	size_t off = OFF_SENTINEL;
	int r = ti_linkfmt_parse(c->in, len, NULL, &links, &off);

	ck_assert_msg(r == c->ret && off == c->off, "case %d: got %d at %zu, want %d at %zu", _i,
		      r, off, c->ret, c->off);
	/* ret_links is written on success only. */
	ck_assert_ptr_eq(links.v, (struct ti_link *)&links);
	ck_assert_uint_eq(links.n, 42);
	/* Without an offset pointer, same result. */
	ck_assert_int_eq(ti_linkfmt_parse(c->in, len, NULL, &links, NULL), c->ret);
}
END_TEST

START_TEST(test_parse_args)
{
	struct ti_links links = { 0 };
	size_t off = OFF_SENTINEL;

	ck_assert_int_eq(ti_linkfmt_parse(NULL, 1, NULL, &links, &off), -EINVAL);
	ck_assert_int_eq(ti_linkfmt_parse("</a>", 4, NULL, NULL, &off), -EINVAL);
	ck_assert_uint_eq(off, OFF_SENTINEL);
	ck_assert_int_eq(ti_linkfmt_parse(NULL, 0, NULL, &links, &off), 0);
	ck_assert_uint_eq(links.n, 0);
	ck_assert_ptr_null(links.v);
	ck_assert_uint_eq(off, OFF_SENTINEL);
	ti_links_fini(&links);
	ti_links_fini(NULL);
	ti_link_fini(NULL);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Limits                                                                   */
/* ------------------------------------------------------------------------ */

static const struct ti_linkfmt_limits small = {
	.max_links = 2,
	.max_attrs_per_link = 2,
	.max_target_len = 4,
	.max_name_len = 3,
	.max_value_len = 5,
};

static const struct ti_linkfmt_limits zero = { 0 };

struct limit_case {
	const struct ti_linkfmt_limits *lim;
	const char *in;
	int ret;
	size_t off;
};

static const struct limit_case limit_cases[] = {
	{ &small, "<a>,<b>", 0, 0 },
	{ &small, "<a>,<b>,<c>", TI_ETOOBIG, 8 },
	{ &small, "<a>;x;y", 0, 0 },
	{ &small, "<a>;x;y,<b>;x;y", 0, 0 },
	{ &small, "<a>;x;y;z", TI_ETOOBIG, 8 },
	{ &small, "<a>;x;y; z", TI_ETOOBIG, 9 },
	{ &small, "<abcd>", 0, 0 },
	{ &small, "<abcde>", TI_ETOOBIG, 0 },
	{ &small, "<a>,<abcde>", TI_ETOOBIG, 4 },
	{ &small, "<abcde", TI_EPARSE, 0 },
	{ &small, "<abc d>", TI_EPARSE, 4 },
	{ &small, "<a>;abc", 0, 0 },
	{ &small, "<a>;ab*", 0, 0 },
	{ &small, "<a>;abcd", TI_ETOOBIG, 4 },
	{ &small, "<a>;abc*", TI_ETOOBIG, 4 },
	{ &small, "<a>;t=12345", 0, 0 },
	{ &small, "<a>;t=123456", TI_ETOOBIG, 6 },
	{ &small, "<a>;t=\"12345\"", 0, 0 },
	{ &small, "<a>;t=\"1234\\\"\"", 0, 0 },
	{ &small, "<a>;t=\"\\1\\2\\3\\4\\5\"", 0, 0 },
	{ &small, "<a>;t=\"\xe2\x82\xac\xc3\xa9\"", 0, 0 },
	{ &small, "<a>;t=\"\xe2\x82\xac\xe2\x82\xac\"", TI_ETOOBIG, 6 },
	{ &small, "<a>;t=\"123456\"", TI_ETOOBIG, 6 },
	{ &small, "<a>;t=\"123456", TI_EPARSE, 6 },
	{ &zero, "", 0, 0 },
	{ &zero, " ", 0, 0 },
	{ &zero, "<>", TI_ETOOBIG, 0 },
};

START_TEST(test_limits)
{
	const struct limit_case *c = &limit_cases[_i];
	struct ti_links links = { 0 };
	size_t off = OFF_SENTINEL;
	int r = ti_linkfmt_parse(c->in, strlen(c->in), c->lim, &links, &off);

	ck_assert_msg(r == c->ret, "\"%s\": got %d, want %d", c->in, r, c->ret);
	ck_assert_uint_eq(off, c->ret == 0 ? OFF_SENTINEL : c->off);
	ti_links_fini(&links);
}
END_TEST

START_TEST(test_limits_default)
{
	const struct ti_linkfmt_limits def = TI_LINKFMT_LIMITS_DEFAULT;
	struct ti_strbuf sb = TI_STRBUF_INIT(SIZE_MAX);
	struct ti_links links = { 0 };
	size_t off = OFF_SENTINEL;

	/* Exactly max_links links pass, one more does not. */
	for (size_t i = 0; i < def.max_links; i++)
		ck_assert_int_eq(ti_strbuf_printf(&sb, "%s</l%zu>;rt=x", i ? "," : "", i), 0);
	parse_ok(sb.s, sb.len, &links);
	ck_assert_uint_eq(links.n, def.max_links);
	ti_links_fini(&links);
	ck_assert_int_eq(ti_strbuf_puts(&sb, ",</x>"), 0);
	ck_assert_int_eq(ti_linkfmt_parse(sb.s, sb.len, NULL, &links, &off), TI_ETOOBIG);
	ck_assert_uint_eq(off, sb.len - 4);

	/* A value of exactly max_value_len bytes passes. */
	ti_strbuf_reset(&sb);
	ck_assert_int_eq(ti_strbuf_puts(&sb, "</a>;t=\""), 0);
	for (size_t i = 0; i < def.max_value_len; i++)
		ck_assert_int_eq(ti_strbuf_putc(&sb, 'v'), 0);
	ck_assert_int_eq(ti_strbuf_putc(&sb, '"'), 0);
	parse_ok(sb.s, sb.len, &links);
	ck_assert_uint_eq(strlen(links.v[0].attrs[0].value), def.max_value_len);
	ti_links_fini(&links);
	ti_strbuf_fini(&sb);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Writer                                                                   */
/* ------------------------------------------------------------------------ */

struct write_case {
	const char *in;
	const char *out;
};

static const struct write_case write_cases[] = {
	{ "", "" },
	{ "</sensors>;ct=40;title=\"Sensor Index\"", "</sensors>;ct=40;title=\"Sensor Index\"" },
	{ "</rd>;rt=core.rd;ct=40", "</rd>;rt=\"core.rd\";ct=40" },
	{ "</a>;ct=\"40 65225\";sz=\"12\";SZ=7;CT=0;obs",
	  "</a>;ct=\"40 65225\";sz=12;SZ=7;CT=0;obs" },
	{ "</a>;ct=\"\";sz=1k", "</a>;ct=\"\";sz=\"1k\"" },
	{ "</a>;title=\"a\\\"b\\\\c\\d\"", "</a>;title=\"a\\\"b\\\\cd\"" },
	{ " </a> , </b> ;x ", "</a>,</b>;x" },
	{ "<>;t*=x", "<>;t*=\"x\"" },
	{ "<coap://130.10.10.10:1234/candidates>;rel=\"candidateof\";"
	  "anchor=\"coap://10.10.10.1:5683\"",
	  "<coap://130.10.10.10:1234/candidates>;rel=\"candidateof\";"
	  "anchor=\"coap://10.10.10.1:5683\"" },
};

START_TEST(test_write)
{
	const struct write_case *c = &write_cases[_i];
	struct ti_strbuf sb = TI_STRBUF_INIT(4096);
	struct ti_links links;

	parse_ok(c->in, strlen(c->in), &links);
	ck_assert_int_eq(ti_linkfmt_write(&sb, &links), 0);
	ck_assert_str_eq(ti_strbuf_str(&sb), c->out);
	ti_links_fini(&links);
	ti_strbuf_fini(&sb);
}
END_TEST

/* Values that try to close the string, the link or the list come back as they went in. */
static const char *const inject_values[] = {
	"\",<",
	">;rt=x",
	"\\\"",
	"\",</evil>;rt=\"x",
	"x\\",
	"\\",
	"\"",
	"\"\"",
	"a;b,c",
	"</x>",
	"\\\\\\\"\\",
	"\";anchor=\"coap://evil\"",
	"\\\",</evil>,<",
	"",
};

START_TEST(test_injection)
{
	const char *v = inject_values[_i];
	struct ti_strbuf sb = TI_STRBUF_INIT(4096);
	struct ti_links in = { 0 }, out;
	struct ti_link *l;
	static const char *const names[] = { "title", "rt", "ct", "anchor", "x*" };

	ck_assert_int_eq(ti_links_add(&in, "/a", &l), 0);
	for (size_t i = 0; i < TI_ARRAY_SIZE(names); i++)
		ck_assert_int_eq(ti_link_attr_add(l, names[i], v), 0);
	ck_assert_int_eq(ti_linkfmt_write(&sb, &in), 0);
	parse_ok(sb.s, sb.len, &out);
	ck_assert_uint_eq(out.n, 1);
	ck_assert_str_eq(out.v[0].target, "/a");
	ck_assert_uint_eq(out.v[0].n_attrs, TI_ARRAY_SIZE(names));
	for (size_t i = 0; i < TI_ARRAY_SIZE(names); i++) {
		ck_assert_str_eq(out.v[0].attrs[i].name, names[i]);
		ck_assert_str_eq(out.v[0].attrs[i].value, v);
	}
	ti_links_fini(&out);
	ti_links_fini(&in);
	ti_strbuf_fini(&sb);
}
END_TEST

struct write_err_case {
	const char *target;
	const char *name;
	const char *value;
	int ret;
};

static const struct write_err_case write_err_cases[] = {
	{ "/a>b", "rt", "x", TI_EPARSE },
	{ "/a>;rt=x,<b", "rt", "x", TI_EPARSE },
	{ "/a b", "rt", "x", TI_EPARSE },
	{ "/a\n", "rt", "x", TI_EPARSE },
	{ "/a\"", "rt", "x", TI_EPARSE },
	{ "/a<", "rt", "x", TI_EPARSE },
	{ "/a%4", "rt", "x", TI_EPARSE },
	{ "/\xc3\xa9", "rt", "x", TI_EPARSE },
	{ "/a", "", "x", TI_EPARSE },
	{ "/a", "r t", "x", TI_EPARSE },
	{ "/a", "rt=\"x\"", NULL, TI_EPARSE },
	{ "/a", "rt;x", NULL, TI_EPARSE },
	{ "/a", "a*b", "x", TI_EPARSE },
	{ "/a", "a**", "x", TI_EPARSE },
	{ "/a", "*", "x", TI_EPARSE },
	{ "/a", "rt", "a\nb", TI_EPARSE },
	{ "/a", "rt", "a\r", TI_EPARSE },
	{ "/a", "rt", "a\x01", TI_EPARSE },
	{ "/a", "rt", "a\x7f", TI_EPARSE },
	{ "/a", "rt", "\xff", TI_EPARSE },
	{ "/a", "rt", "\xc2\x9b", TI_EPARSE },
	{ "/a", "ct", "4\n", TI_EPARSE },
	/* Accepted for contrast. */
	{ "", "rt", "a\tb", 0 },
	{ "/a", "title*", "\xc3\xa9", 0 },
	{ "/a", "obs", NULL, 0 },
};

START_TEST(test_write_err)
{
	const struct write_err_case *c = &write_err_cases[_i];
	struct ti_strbuf sb = TI_STRBUF_INIT(4096);
	struct ti_links links = { 0 };
	struct ti_link *l;

	ck_assert_int_eq(ti_strbuf_puts(&sb, "prefix"), 0);
	ck_assert_int_eq(ti_links_add(&links, "/ok", NULL), 0);
	ck_assert_int_eq(ti_links_add(&links, c->target, &l), 0);
	ck_assert_int_eq(ti_link_attr_add(l, "if", "sensor"), 0);
	ck_assert_int_eq(ti_link_attr_add(l, c->name, c->value), 0);
	ck_assert_int_eq(ti_linkfmt_write_link(&sb, l), c->ret);
	if (c->ret < 0) {
		/* Nothing of a failed link or list stays in the buffer. */
		ck_assert_str_eq(ti_strbuf_str(&sb), "prefix");
		ck_assert_int_eq(ti_linkfmt_write(&sb, &links), c->ret);
		ck_assert_str_eq(ti_strbuf_str(&sb), "prefix");
	}
	ti_links_fini(&links);
	ti_strbuf_fini(&sb);
}
END_TEST

START_TEST(test_write_limits)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(20);
	struct ti_links links = { 0 };
	struct ti_link *l;

	ck_assert_int_eq(ti_links_add(&links, "/a", &l), 0);
	ck_assert_int_eq(ti_link_attr_add(l, "rt", "x"), 0);   /* </a>;rt="x" = 11 bytes */
	ck_assert_int_eq(ti_links_add(&links, "/b", NULL), 0); /* ,</b> = 5 bytes */
	ck_assert_int_eq(ti_linkfmt_write(&sb, &links), 0);
	ck_assert_str_eq(ti_strbuf_str(&sb), "</a>;rt=\"x\",</b>");
	ck_assert_int_eq(ti_linkfmt_write_link(&sb, &links.v[1]), 0); /* 20 bytes: full */
	ck_assert_uint_eq(sb.len, 20);
	ck_assert_int_eq(ti_strbuf_putc(&sb, ','), TI_ETOOBIG);
	ti_strbuf_reset(&sb);
	ck_assert_int_eq(ti_strbuf_puts(&sb, "0123456789"), 0);
	ck_assert_int_eq(ti_linkfmt_write(&sb, &links), TI_ETOOBIG);
	ck_assert_str_eq(ti_strbuf_str(&sb), "0123456789");
	ck_assert_int_eq(ti_linkfmt_write_link(&sb, &links.v[0]), TI_ETOOBIG);
	ck_assert_str_eq(ti_strbuf_str(&sb), "0123456789");
	/* Bad arguments. */
	ck_assert_int_eq(ti_linkfmt_write_link(&sb, NULL), -EINVAL);
	ck_assert_int_eq(ti_linkfmt_write_link(NULL, &links.v[0]), -EINVAL);
	ck_assert_int_eq(ti_linkfmt_write(NULL, &links), -EINVAL);
	ck_assert_int_eq(ti_linkfmt_write(&sb, NULL), -EINVAL);
	free(links.v[1].target);
	links.v[1].target = NULL;
	ck_assert_int_eq(ti_linkfmt_write_link(&sb, &links.v[1]), -EINVAL);
	ck_assert_str_eq(ti_strbuf_str(&sb), "0123456789");
	ti_links_fini(&links);
	ti_strbuf_fini(&sb);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Builders and accessors                                                   */
/* ------------------------------------------------------------------------ */

START_TEST(test_attr_access)
{
	struct ti_links links;
	const struct ti_link *l;

	parse_str("</a>;rt=\"a\";obs;RT=b;title=\"\";rt=c", &links);
	l = &links.v[0];
	ck_assert_str_eq(ti_link_attr_get(l, "rt"), "a");
	ck_assert_str_eq(ti_link_attr_get(l, "Rt"), "a");
	ck_assert_str_eq(ti_link_attr_get(l, "obs"), "");
	ck_assert_ptr_null(l->attrs[1].value);
	ck_assert_str_eq(ti_link_attr_get(l, "title"), "");
	ck_assert_ptr_nonnull(l->attrs[3].value);
	ck_assert_ptr_null(ti_link_attr_get(l, "if"));
	ck_assert_ptr_null(ti_link_attr_get(l, NULL));
	ck_assert_ptr_null(ti_link_attr_get(NULL, "rt"));
	ck_assert_uint_eq(ti_link_attr_count(l, "RT"), 3);
	ck_assert_uint_eq(ti_link_attr_count(l, "obs"), 1);
	ck_assert_uint_eq(ti_link_attr_count(l, "if"), 0);
	ck_assert_uint_eq(ti_link_attr_count(NULL, "rt"), 0);
	ti_links_fini(&links);
}
END_TEST

START_TEST(test_builders)
{
	static const struct ti_linkfmt_limits big = {
		.max_links = 100,
		.max_attrs_per_link = 100,
		.max_target_len = 16,
		.max_name_len = 8,
		.max_value_len = 8,
	};
	struct ti_strbuf sb = TI_STRBUF_INIT(1 << 16);
	struct ti_links links = { 0 }, back;
	struct ti_link *l;
	char name[16];
	char *d;

	ck_assert_int_eq(ti_links_add(&links, NULL, NULL), -EINVAL);
	ck_assert_int_eq(ti_links_add(NULL, "/a", NULL), -EINVAL);
	ck_assert_int_eq(ti_links_add(&links, "/a", &l), 0);
	ck_assert_int_eq(ti_link_attr_add(l, NULL, "x"), -EINVAL);
	ck_assert_int_eq(ti_link_attr_add(NULL, "rt", "x"), -EINVAL);
	ck_assert_int_eq(ti_link_attr_add(l, "rt", "one"), 0);
	ck_assert_int_eq(ti_link_attr_add(l, "if", "sensor"), 0);
	ck_assert_int_eq(ti_link_attr_add(l, "RT", "two"), 0);
	ck_assert_int_eq(ti_link_attr_add(l, "obs", NULL), 0);
	ck_assert_int_eq(ti_link_attr_add(l, "rt", "three"), 0);
	/* set: the first keeps its place, the rest go. */
	ck_assert_int_eq(ti_link_attr_set(l, "rt", "new"), 0);
	d = dump(&links);
	ck_assert_str_eq(d, "</a>;rt=[new];if=[sensor];obs");
	free(d);
	ck_assert_int_eq(ti_link_attr_set(l, "anchor", "coap://h"), 0);
	ck_assert_int_eq(ti_link_attr_set(l, "obs", "1"), 0);
	ck_assert_int_eq(ti_link_attr_set(l, "if", NULL), 0);
	ck_assert_int_eq(ti_link_attr_set(l, NULL, NULL), -EINVAL);
	ck_assert_int_eq(ti_link_set_target(l, "coap://h/a"), 0);
	ck_assert_int_eq(ti_link_set_target(l, NULL), -EINVAL);
	d = dump(&links);
	ck_assert_str_eq(d, "<coap://h/a>;rt=[new];if;obs=[1];anchor=[coap://h]");
	free(d);
	ck_assert_uint_eq(ti_link_attr_remove(l, "OBS"), 1);
	ck_assert_uint_eq(ti_link_attr_remove(l, "obs"), 0);
	ck_assert_uint_eq(ti_link_attr_remove(NULL, "obs"), 0);
	d = dump(&links);
	ck_assert_str_eq(d, "<coap://h/a>;rt=[new];if;anchor=[coap://h]");
	free(d);
	/* Remove everything, then grow again past several capacities. */
	ck_assert_uint_eq(ti_link_attr_remove(l, "rt"), 1);
	ck_assert_uint_eq(ti_link_attr_remove(l, "if"), 1);
	ck_assert_uint_eq(ti_link_attr_remove(l, "anchor"), 1);
	ck_assert_uint_eq(l->n_attrs, 0);
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		ck_assert_int_eq(ti_link_attr_add(l, name, i % 3 ? name : NULL), 0);
	}
	ck_assert_uint_eq(l->n_attrs, 100);
	ck_assert_str_eq(ti_link_attr_get(l, "a99"), "");
	ck_assert_str_eq(ti_link_attr_get(l, "a98"), "a98");
	for (int i = 1; i < 100; i++) {
		snprintf(name, sizeof(name), "/l%d", i);
		ck_assert_int_eq(ti_links_add(&links, name, NULL), 0);
	}
	ck_assert_uint_eq(links.n, 100);
	ck_assert_str_eq(links.v[99].target, "/l99");
	ck_assert_int_eq(ti_linkfmt_write(&sb, &links), 0);
	ck_assert_int_eq(ti_linkfmt_parse(sb.s, sb.len, &big, &back, NULL), 0);
	ck_assert_uint_eq(back.n, 100);
	ck_assert_uint_eq(back.v[0].n_attrs, 100);
	ti_links_fini(&back);
	ti_links_fini(&links);
	ti_links_fini(&links);
	ck_assert_ptr_null(links.v);
	ti_strbuf_fini(&sb);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Matching                                                                 */
/* ------------------------------------------------------------------------ */

struct match_case {
	const char *value;
	const char *pattern;
	int match;
	int match_any;
};

static const struct match_case match_cases[] = {
	{ "temperature-c", "temperature-c", 1, 1 },
	{ "temperature-c", "temperature", 0, 0 },
	{ "temperature-c", "temp*", 1, 1 },
	{ "temperature-c", "*", 1, 1 },
	{ "temp", "temp*", 1, 1 },
	{ "tem", "temp*", 0, 0 },
	{ "Temp", "temp", 0, 0 },
	{ "temp", "TEMP*", 0, 0 },
	{ "", "*", 1, 1 },
	{ "", "", 1, 1 },
	{ "a", "", 0, 0 },
	{ NULL, "*", 1, 1 },
	{ NULL, "", 1, 1 },
	{ NULL, "x", 0, 0 },
	{ "x", NULL, 0, 0 },
	{ "a*b", "a*b", 1, 1 },
	{ "a*", "a*", 1, 1 },
	{ "axb", "a*b", 0, 0 },
	{ "core.rd core.rd-lookup-ep", "core.rd-lookup-ep", 0, 1 },
	{ "core.rd core.rd-lookup-ep", "core.rd", 0, 1 },
	{ "core.rd core.rd-lookup-ep", "core.rd*", 1, 1 },
	{ "core.rd core.rd-lookup-ep", "core.rd core.rd-lookup-ep", 1, 1 },
	{ "a b", "b", 0, 1 },
	{ "a  b", "b", 0, 1 },
	{ " a ", "a", 0, 1 },
	{ "ab cd", "c*", 0, 1 },
	{ "ab cd", "b*", 0, 0 },
	{ "ab cd", "d", 0, 0 },
	{ "40 65225", "65225", 0, 1 },
	{ "40 65225", "4", 0, 0 },
	{ "a\tb", "b", 0, 0 },
	{ "   ", "", 0, 0 },
};

START_TEST(test_match)
{
	const struct match_case *c = &match_cases[_i];

	ck_assert_msg(ti_linkfmt_match(c->value, c->pattern) == c->match, "match(%s, %s) != %d",
		      c->value ? c->value : "NULL", c->pattern ? c->pattern : "NULL", c->match);
	ck_assert_msg(ti_linkfmt_match_any(c->value, c->pattern) == c->match_any,
		      "match_any(%s, %s) != %d", c->value ? c->value : "NULL",
		      c->pattern ? c->pattern : "NULL", c->match_any);
}
END_TEST

struct link_match_case {
	const char *name;
	const char *pattern;
	int match;
};

static const struct link_match_case link_match_cases[] = {
	{ "rt", "sensor-x", 1 },   { "rt", "temperature-c", 1 },
	{ "RT", "temp*", 1 },	   { "rt", "temperature", 0 },
	{ "title", "b", 0 },	   { "title", "a b", 1 },
	{ "title", "a*", 1 },	   { "href", "/sensors/*", 1 },
	{ "href", "/sensors", 0 }, { "href", "/sensors/temp", 1 },
	{ "HREF", NULL, 1 },	   { "obs", NULL, 1 },
	{ "obs", "", 1 },	   { "obs", "*", 1 },
	{ "obs", "x", 0 },	   { "missing", NULL, 0 },
	{ "missing", "*", 0 },	   { "ct", "40", 1 },
	{ "ct", "41", 1 },	   { "ct", "4", 0 },
	{ "if", "sens*", 1 },	   { "ep", "node1", 1 },
	{ "ep", "node2", 1 },	   { "ep", "node", 0 },
	{ NULL, "x", 0 },
};

START_TEST(test_link_match)
{
	const struct link_match_case *c = &link_match_cases[_i];
	struct ti_links links;

	parse_str("</sensors/temp>;rt=\"temperature-c sensor-x\";if=\"sensor\";title=\"a b\";obs;"
		  "ct=\"40 41\";ep=node1;ep=node2",
		  &links);
	ck_assert_msg(ti_link_match(&links.v[0], c->name, c->pattern) == c->match,
		      "link_match(%s, %s) != %d", c->name ? c->name : "NULL",
		      c->pattern ? c->pattern : "NULL", c->match);
	ck_assert_int_eq(ti_link_match(NULL, "rt", "x"), 0);
	ti_links_fini(&links);
}
END_TEST

START_TEST(test_attr_is_list)
{
	static const char *const yes[] = { "rt", "if", "rel", "rev", "ct", "RT", "Rel" };
	static const char *const no[] = { "title", "anchor", "sz", "ep", "rtx", "", "r" };

	for (size_t i = 0; i < TI_ARRAY_SIZE(yes); i++)
		ck_assert_int_eq(ti_linkfmt_attr_is_list(yes[i]), 1);
	for (size_t i = 0; i < TI_ARRAY_SIZE(no); i++)
		ck_assert_int_eq(ti_linkfmt_attr_is_list(no[i]), 0);
	ck_assert_int_eq(ti_linkfmt_attr_is_list(NULL), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Limited Link Format                                                      */
/* ------------------------------------------------------------------------ */

struct limited_case {
	const char *link;
	int ret;
};

static const struct limited_case limited_cases[] = {
	{ "</sensors/temp>;rt=\"temperature-c\"", 0 },
	{ "</>", 0 },
	{ "<coap://[2001:db8::1]/a>", 0 },
	{ "<coap://130.10.10.10:1234/candidates>;rel=\"candidateof\";"
	  "anchor=\"coap://10.10.10.1:5683\"",
	  0 },
	{ "<http://www.example.com/sensors/t123>;anchor=\"/sensors/temp\";rel=\"describedby\"",
	  0 },
	{ "</t>;anchor=\"/sensors/temp\";rel=\"alternate\"", 0 },
	{ "</a>;anchor=\"coap://h\"", TI_EPARSE },
	{ "<//h/a>", TI_EPARSE },
	{ "<a>", TI_EPARSE },
	{ "<>", TI_EPARSE },
	{ "<../a>", TI_EPARSE },
	{ "</a?x>", TI_EPARSE },
	{ "</a#f>", TI_EPARSE },
	{ "<coap://h/a?x>", TI_EPARSE },
	{ "</a>;anchor=\"b\"", TI_EPARSE },
	{ "</a>;anchor=\"//h/b\"", TI_EPARSE },
	{ "</a>;anchor=\"/b?q\"", TI_EPARSE },
	{ "</a>;anchor", TI_EPARSE },
	{ "</a>;ANCHOR=\"coap://h\"", TI_EPARSE },
};

START_TEST(test_limited)
{
	const struct limited_case *c = &limited_cases[_i];
	struct ti_links links;

	parse_str(c->link, &links);
	ck_assert_uint_eq(links.n, 1);
	ck_assert_msg(ti_linkfmt_check_limited(&links.v[0]) == c->ret, "%s", c->link);
	ck_assert_int_eq(ti_linkfmt_check_limited(NULL), -EINVAL);
	ti_links_fini(&links);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Reference resolution                                                     */
/* ------------------------------------------------------------------------ */

struct resolve_case {
	const char *base;
	const char *ref;
	const char *out; /* NULL: expect ret */
	int ret;
};

#define RFC3986_BASE "http://a/b/c/d;p?q"
#define RD_BASE "coap://[2001:db8:3::123]:61616"

static const struct resolve_case resolve_cases[] = {
	/* RFC 3986 section 5.4.1, normal examples. */
	{ RFC3986_BASE, "g:h", "g:h", 0 },
	{ RFC3986_BASE, "g", "http://a/b/c/g", 0 },
	{ RFC3986_BASE, "./g", "http://a/b/c/g", 0 },
	{ RFC3986_BASE, "g/", "http://a/b/c/g/", 0 },
	{ RFC3986_BASE, "/g", "http://a/g", 0 },
	{ RFC3986_BASE, "//g", "http://g", 0 },
	{ RFC3986_BASE, "?y", "http://a/b/c/d;p?y", 0 },
	{ RFC3986_BASE, "g?y", "http://a/b/c/g?y", 0 },
	{ RFC3986_BASE, "#s", "http://a/b/c/d;p?q#s", 0 },
	{ RFC3986_BASE, "g#s", "http://a/b/c/g#s", 0 },
	{ RFC3986_BASE, "g?y#s", "http://a/b/c/g?y#s", 0 },
	{ RFC3986_BASE, ";x", "http://a/b/c/;x", 0 },
	{ RFC3986_BASE, "g;x", "http://a/b/c/g;x", 0 },
	{ RFC3986_BASE, "g;x?y#s", "http://a/b/c/g;x?y#s", 0 },
	{ RFC3986_BASE, "", "http://a/b/c/d;p?q", 0 },
	{ RFC3986_BASE, ".", "http://a/b/c/", 0 },
	{ RFC3986_BASE, "./", "http://a/b/c/", 0 },
	{ RFC3986_BASE, "..", "http://a/b/", 0 },
	{ RFC3986_BASE, "../", "http://a/b/", 0 },
	{ RFC3986_BASE, "../g", "http://a/b/g", 0 },
	{ RFC3986_BASE, "../..", "http://a/", 0 },
	{ RFC3986_BASE, "../../", "http://a/", 0 },
	{ RFC3986_BASE, "../../g", "http://a/g", 0 },
	/* RFC 3986 section 5.4.2, abnormal examples (strict parser). */
	{ RFC3986_BASE, "../../../g", "http://a/g", 0 },
	{ RFC3986_BASE, "../../../../g", "http://a/g", 0 },
	{ RFC3986_BASE, "/./g", "http://a/g", 0 },
	{ RFC3986_BASE, "/../g", "http://a/g", 0 },
	{ RFC3986_BASE, "g.", "http://a/b/c/g.", 0 },
	{ RFC3986_BASE, ".g", "http://a/b/c/.g", 0 },
	{ RFC3986_BASE, "g..", "http://a/b/c/g..", 0 },
	{ RFC3986_BASE, "..g", "http://a/b/c/..g", 0 },
	{ RFC3986_BASE, "./../g", "http://a/b/g", 0 },
	{ RFC3986_BASE, "./g/.", "http://a/b/c/g/", 0 },
	{ RFC3986_BASE, "g/./h", "http://a/b/c/g/h", 0 },
	{ RFC3986_BASE, "g/../h", "http://a/b/c/h", 0 },
	{ RFC3986_BASE, "g;x=1/./y", "http://a/b/c/g;x=1/y", 0 },
	{ RFC3986_BASE, "g;x=1/../y", "http://a/b/c/y", 0 },
	{ RFC3986_BASE, "g?y/./x", "http://a/b/c/g?y/./x", 0 },
	{ RFC3986_BASE, "g?y/../x", "http://a/b/c/g?y/../x", 0 },
	{ RFC3986_BASE, "g#s/./x", "http://a/b/c/g#s/./x", 0 },
	{ RFC3986_BASE, "g#s/../x", "http://a/b/c/g#s/../x", 0 },
	{ RFC3986_BASE, "http:g", "http:g", 0 },
	/* Dot segments of rootless paths (rules 5.2.4 A and D). */
	{ RFC3986_BASE, "g:./h", "g:h", 0 },
	{ RFC3986_BASE, "g:../h", "g:h", 0 },
	{ RFC3986_BASE, "g:.", "g:", 0 },
	{ RFC3986_BASE, "g:..", "g:", 0 },
	{ "urn:a/b", "../c", "urn:/c", 0 },
	/* RFC 9176 registrations: base without path, candidates. */
	{ RD_BASE, "/temp", RD_BASE "/temp", 0 },
	{ RD_BASE, "temp", RD_BASE "/temp", 0 },
	{ RD_BASE, "", RD_BASE, 0 },
	{ RD_BASE, "?q", RD_BASE "?q", 0 },
	{ RD_BASE, "#f", RD_BASE "#f", 0 },
	{ RD_BASE, "./a/../b", RD_BASE "/b", 0 },
	{ RD_BASE, "/", RD_BASE "/", 0 },
	{ RD_BASE, "//[2001:db8::2]:5683/x", "coap://[2001:db8::2]:5683/x", 0 },
	{ RD_BASE, "coap://130.10.10.10:1234/candidates", "coap://130.10.10.10:1234/candidates",
	  0 },
	{ RD_BASE, "coaps+tcp://h/a", "coaps+tcp://h/a", 0 },
	{ RD_BASE, "coap://h/a/./b/../c", "coap://h/a/c", 0 },
	{ "coap://203.0.113.7:40001/sensors/", "temp", "coap://203.0.113.7:40001/sensors/temp",
	  0 },
	{ "coap://203.0.113.7:40001/sensors", "temp", "coap://203.0.113.7:40001/temp", 0 },
	{ "coap://h/a#frag", "", "coap://h/a", 0 },
	{ "http://a/b/c/d;p?q#f", "", "http://a/b/c/d;p?q", 0 },
	{ "coap://h/a?x#f", "#g", "coap://h/a?x#g", 0 },
	{ "coap://h", "..", "coap://h/", 0 },
	{ "coap://h", "?", "coap://h?", 0 },
	{ "coap://h", "#", "coap://h#", 0 },
	{ "coap://", "a", "coap:///a", 0 },
	{ "urn:a:b", "c", "urn:c", 0 },
	{ "mailto:x@example.com", "", "mailto:x@example.com", 0 },
	{ "coap://h/a%2Fb/c", "../d", "coap://h/d", 0 },
	/* Errors. */
	{ "/rd", "a", NULL, TI_EPARSE },
	{ "", "a", NULL, TI_EPARSE },
	{ "1http://a/", "b", NULL, TI_EPARSE },
	{ "//h/a", "b", NULL, TI_EPARSE },
	{ "coap://h/", "a b", NULL, TI_EPARSE },
	{ "coap://h/", "<x>", NULL, TI_EPARSE },
	{ "coap://h/", "a\n", NULL, TI_EPARSE },
	{ "coap://h /", "a", NULL, TI_EPARSE },
	{ "coap://h/", "%zz", NULL, TI_EPARSE },
};

START_TEST(test_resolve)
{
	const struct resolve_case *c = &resolve_cases[_i];
	char out[256];
	int r = ti_linkfmt_resolve(c->base, c->ref, out, sizeof(out));

	if (c->out != NULL) {
		ck_assert_msg(r >= 0, "resolve(%s, %s) = %d", c->base, c->ref, r);
		ck_assert_str_eq(out, c->out);
		ck_assert_int_eq(r, (int)strlen(c->out));
	} else {
		ck_assert_msg(r == c->ret, "resolve(%s, %s) = %d, want %d", c->base, c->ref, r,
			      c->ret);
		ck_assert_str_eq(out, "");
	}
}
END_TEST

START_TEST(test_resolve_size)
{
	static const char want[] = "http://a/b/c/g";
	char out[sizeof(want)];

	/* Exact fit, one byte short, nothing at all. */
	ck_assert_int_eq(ti_linkfmt_resolve(RFC3986_BASE, "g", out, sizeof(out)),
			 (int)strlen(want));
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(ti_linkfmt_resolve(RFC3986_BASE, "g", out, sizeof(out) - 1), -ENOSPC);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(ti_linkfmt_resolve(RFC3986_BASE, "g", out, 1), -ENOSPC);
	ck_assert_int_eq(ti_linkfmt_resolve(RFC3986_BASE, "g", out, 0), -ENOSPC);
	ck_assert_int_eq(ti_linkfmt_resolve(NULL, "g", out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(ti_linkfmt_resolve(RFC3986_BASE, NULL, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(ti_linkfmt_resolve(RFC3986_BASE, "g", NULL, 0), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* String buffer                                                            */
/* ------------------------------------------------------------------------ */

START_TEST(test_strbuf)
{
	struct ti_strbuf sb;
	char big[1000];
	char *s;

	ti_strbuf_init(&sb, 8);
	ck_assert_str_eq(ti_strbuf_str(&sb), "");
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_int_eq(ti_strbuf_append(&sb, "", 0), 0);
	ck_assert_int_eq(ti_strbuf_puts(&sb, "abc"), 0);
	ck_assert_int_eq(ti_strbuf_putc(&sb, 'd'), 0);
	ck_assert_int_eq(ti_strbuf_printf(&sb, "%d", 42), 0);
	ck_assert_str_eq(ti_strbuf_str(&sb), "abcd42");
	ck_assert_int_eq(ti_strbuf_printf(&sb, "%s", "xyz"), TI_ETOOBIG);
	ck_assert_int_eq(ti_strbuf_puts(&sb, "xyz"), TI_ETOOBIG);
	ck_assert_str_eq(ti_strbuf_str(&sb), "abcd42");
	ck_assert_int_eq(ti_strbuf_puts(&sb, "xy"), 0);
	ck_assert_uint_eq(sb.len, 8);
	ck_assert_int_eq(ti_strbuf_putc(&sb, 'z'), TI_ETOOBIG);
	ck_assert_int_eq(ti_strbuf_append(&sb, "", 0), 0);
	ck_assert_str_eq(ti_strbuf_str(&sb), "abcd42xy");
	ti_strbuf_truncate(&sb, 4);
	ck_assert_str_eq(ti_strbuf_str(&sb), "abcd");
	ti_strbuf_truncate(&sb, 100);
	ck_assert_str_eq(ti_strbuf_str(&sb), "abcd");
	s = ti_strbuf_steal(&sb);
	ck_assert_str_eq(s, "abcd");
	free(s);
	ck_assert_str_eq(ti_strbuf_str(&sb), "");
	ck_assert_uint_eq(sb.max, 8);
	s = ti_strbuf_steal(&sb);
	ck_assert_str_eq(s, "");
	free(s);
	ti_strbuf_reset(&sb);
	ti_strbuf_fini(&sb);

	/* Growth across several reallocations; embedded NUL bytes are kept. */
	ti_strbuf_init(&sb, SIZE_MAX);
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(ti_strbuf_append(&sb, big, sizeof(big)), 0);
	ck_assert_uint_eq(sb.len, 10 * sizeof(big));
	ck_assert_uint_eq(strlen(ti_strbuf_str(&sb)), 10 * sizeof(big));
	ck_assert_int_eq(ti_strbuf_append(&sb, "a\0b", 3), 0);
	ck_assert_uint_eq(sb.len, 10 * sizeof(big) + 3);
	ti_strbuf_reset(&sb);
	ck_assert_str_eq(ti_strbuf_str(&sb), "");
	ck_assert_int_eq(ti_strbuf_printf(&sb, "%s", ""), 0);
	ck_assert_str_eq(ti_strbuf_str(&sb), "");
	ti_strbuf_fini(&sb);
	ti_strbuf_fini(&sb);
	ti_strbuf_fini(NULL);

	/* A zero maximum holds only the empty string. */
	ti_strbuf_init(&sb, 0);
	ck_assert_int_eq(ti_strbuf_putc(&sb, 'a'), TI_ETOOBIG);
	ck_assert_int_eq(ti_strbuf_printf(&sb, "%s", ""), 0);
	ti_strbuf_fini(&sb);
}
END_TEST

Suite *
linkfmt_suite(void)
{
	Suite *s = suite_create("ti_linkfmt");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_ok, 0, (int)TI_ARRAY_SIZE(ok_cases));
	tcase_add_loop_test(tc, test_parse_err, 0, (int)TI_ARRAY_SIZE(err_cases));
	tcase_add_test(tc, test_parse_args);
	tcase_add_loop_test(tc, test_limits, 0, (int)TI_ARRAY_SIZE(limit_cases));
	tcase_add_test(tc, test_limits_default);
	tcase_add_test(tc, test_attr_access);
	tcase_add_test(tc, test_builders);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_loop_test(tc, test_round_trip, 0, (int)TI_ARRAY_SIZE(ok_cases));
	tcase_add_loop_test(tc, test_write, 0, (int)TI_ARRAY_SIZE(write_cases));
	tcase_add_loop_test(tc, test_injection, 0, (int)TI_ARRAY_SIZE(inject_values));
	tcase_add_loop_test(tc, test_write_err, 0, (int)TI_ARRAY_SIZE(write_err_cases));
	tcase_add_test(tc, test_write_limits);
	tcase_add_test(tc, test_strbuf);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_loop_test(tc, test_match, 0, (int)TI_ARRAY_SIZE(match_cases));
	tcase_add_loop_test(tc, test_link_match, 0, (int)TI_ARRAY_SIZE(link_match_cases));
	tcase_add_test(tc, test_attr_is_list);
	tcase_add_loop_test(tc, test_limited, 0, (int)TI_ARRAY_SIZE(limited_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("resolve");
	tcase_add_loop_test(tc, test_resolve, 0, (int)TI_ARRAY_SIZE(resolve_cases));
	tcase_add_test(tc, test_resolve_size);
	suite_add_tcase(s, tc);
	return s;
}
