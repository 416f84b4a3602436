/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for rdd_registry: RFC 9176 query, registration, payload and lookup validation. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <check.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_linkfmt.h"
#include "ti_util.h"

#include "rdd_registry.h"
#include "check_main.h"

#define NAME63 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"
#define NAME64 NAME63 "l"
#define HOST200                                                                                   \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"a"                                                                                       \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"a"                                                                                       \
	"aaaaaaaaaaaaaaaaaaaaaaaa"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

enum { POL_DEFAULT, POL_WINDOW, POL_ASSIGNED, POL_SMALL };

static struct rdd_policy
policy(int which)
{
	struct rdd_policy p = RDD_POLICY_DEFAULT;

	switch (which) {
	case POL_WINDOW:
		p.lifetime_min = 300;
		p.lifetime_max = 86400;
		break;
	case POL_ASSIGNED:
		p.default_ep = "dev-psk-id";
		p.default_d = "factory";
		break;
	case POL_SMALL:
		p.max_payload = 64;
		p.max_links = 2;
		p.max_attrs = 2;
		p.max_count = 50;
		break;
	default:
		break;
	}
	return p;
}

/* A socket address from "203.0.113.7" or "2001:db8::7" (NULL: 203.0.113.7), port 0 -> 40001. */
static struct sockaddr_storage
addr(const char *host, uint16_t port, uint32_t scope)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNSPEC };

	if (host == NULL)
		host = "203.0.113.7";
	if (port == 0)
		port = 40001;
	if (strchr(host, ':') == NULL) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET, host, &s4->sin_addr), 1);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_scope_id = scope;
		ck_assert_int_eq(inet_pton(AF_INET6, host, &s6->sin6_addr), 1);
	}
	return ss;
}

static size_t
count_strs(const char *const *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n] != NULL)
		n++;
	return n;
}

/* "name=value;bare;..." for the attributes of l. */
static char *
dump_attrs(const struct ti_link *l)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(1 << 16);
	char *s;

	for (size_t k = 0; k < l->n_attrs; k++) {
		if (k > 0)
			ck_assert_int_eq(ti_strbuf_putc(&sb, ';'), 0);
		ck_assert_int_eq(ti_strbuf_puts(&sb, l->attrs[k].name), 0);
		if (l->attrs[k].value != NULL)
			ck_assert_int_eq(ti_strbuf_printf(&sb, "=%s", l->attrs[k].value), 0);
	}
	s = ti_strbuf_steal(&sb);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* The links as compact link-format (the codec's safe writer). */
static char *
write_lf(const struct ti_links *links)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(1 << 20);
	char *s;

	ck_assert_int_eq(ti_linkfmt_write(&sb, links), 0);
	s = ti_strbuf_steal(&sb);
	ck_assert_ptr_nonnull(s);
	return s;
}

static char *
write_json(const struct ti_links *links)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(1 << 20);
	char *s;

	ck_assert_int_eq(rdd_links_write_json(links, &sb), 0);
	s = ti_strbuf_steal(&sb);
	ck_assert_ptr_nonnull(s);
	return s;
}

static void
parse_links_ok(const char *payload, unsigned cf, struct ti_links *ret)
{
	struct rdd_policy pol = RDD_POLICY_DEFAULT;
	struct rdd_error err = { 0 };
	int r = rdd_links_parse((const uint8_t *)payload, strlen(payload), cf, &pol, ret, &err);

	ck_assert_msg(r == 0, "links_parse(%s) = %d: %d %s", payload, r, err.code, err.msg);
}

static void
query_ok(const char *const *qs, size_t n, struct rdd_query *ret)
{
	struct rdd_error err = { 0 };
	int r = rdd_query_parse(qs, n, ret, &err);

	ck_assert_msg(r == 0, "query_parse = %d: %d %s", r, err.code, err.msg);
}

/* ------------------------------------------------------------------------ */
/* Uri-Query parsing                                                        */
/* ------------------------------------------------------------------------ */

struct query_case {
	const char *q[6];
	int code;	  /* 0: accepted */
	const char *msg;  /* when rejected */
	const char *dump; /* when accepted: every parameter, name=value;bare */
	const char *ep, *lt, *page;
};

static const struct query_case query_cases[] = {
	{ { "ep=node1" }, 0, NULL, "ep=node1", "node1", NULL, NULL },
	{ { "ep=node1", "d=floor2", "lt=6000", "et=oic.d.sensor", "rt=x" },
	  0,
	  NULL,
	  "ep=node1;d=floor2;lt=6000;et=oic.d.sensor;rt=x",
	  "node1",
	  "6000",
	  NULL },
	{ { "EP=node1", "Lt=60" }, 0, NULL, "EP=node1;Lt=60", "node1", "60", NULL },
	{ { "a=b=c", "obs", "ep" }, 0, NULL, "a=b=c;obs;ep", "", NULL, NULL },
	{ { "page=3", "title=" }, 0, NULL, "page=3;title=", NULL, NULL, "3" },
	{ { "" }, 400, "empty query parameter name", NULL, NULL, NULL, NULL },
	{ { "=node1" }, 400, "empty query parameter name", NULL, NULL, NULL, NULL },
	{ { "ep=no\x01"
	    "de" },
	  400,
	  "control character in query",
	  NULL,
	  NULL,
	  NULL,
	  NULL },
	{ { "ep=node\x7f" }, 400, "control character in query", NULL, NULL, NULL, NULL },
	{ { "ti\ttle=x" }, 400, "control character in query", NULL, NULL, NULL, NULL },
	{ { "ep=a", "ep=b" }, 400, "duplicate 'ep'", NULL, NULL, NULL, NULL },
	{ { "lt=5", "LT=6" }, 400, "duplicate 'LT'", NULL, NULL, NULL, NULL },
	{ { "base=coap://a", "base=coap://b" }, 400, "duplicate 'base'", NULL, NULL, NULL, NULL },
	{ { "count=1", "page=1", "count=2" }, 400, "duplicate 'count'", NULL, NULL, NULL, NULL },
};

START_TEST(test_query)
{
	const struct query_case *c = &query_cases[_i];
	struct rdd_query q = { 0 };
	struct rdd_error err = { .code = -1 };
	size_t n = count_strs(c->q, TI_ARRAY_SIZE(c->q));
	int r;

	if (c->q[0] != NULL && c->q[0][0] == '\0')
		n = 1;
	r = rdd_query_parse(c->q, n, &q, &err);
	if (c->code != 0) {
		ck_assert_int_eq(r, TI_EPARSE);
		ck_assert_int_eq(err.code, c->code);
		ck_assert_str_eq(err.msg, c->msg);
		ck_assert_ptr_null(q.v);
		return;
	}
	ck_assert_msg(r == 0, "%d %s", err.code, err.msg);
	ck_assert_int_eq(err.code, -1); /* untouched on success */
	{
		struct ti_link as = { .attrs = q.v, .n_attrs = q.n };
		char *d = dump_attrs(&as);

		ck_assert_str_eq(d, c->dump);
		free(d);
	}
	if (c->ep != NULL)
		ck_assert_str_eq(q.ep, c->ep);
	else
		ck_assert_ptr_null(q.ep);
	if (c->lt != NULL)
		ck_assert_str_eq(q.lt, c->lt);
	if (c->page != NULL)
		ck_assert_str_eq(q.page, c->page);
	rdd_query_fini(&q);
	ck_assert_ptr_null(q.v);
	rdd_query_fini(&q); /* idempotent */
}
END_TEST

/* Raw option bytes with a NUL inside: rejected, not truncated. */
START_TEST(test_query_add_raw)
{
	static const char opt[] = { 'e', 'p', '=', 'a', '\0', 'b' };
	struct rdd_query q = { 0 };
	struct rdd_error err = { 0 };

	ck_assert_int_eq(rdd_query_add(&q, opt, sizeof(opt), &err), TI_EPARSE);
	ck_assert_str_eq(err.msg, "control character in query");
	ck_assert_int_eq(q.n, 0);
	ck_assert_int_eq(rdd_query_add(&q, opt, 4, &err), 0);
	ck_assert_str_eq(q.ep, "a");
	ck_assert_int_eq(rdd_query_add(&q, NULL, 0, &err), TI_EPARSE);
	ck_assert_int_eq(rdd_query_add(NULL, opt, 4, &err), -EINVAL);
	ck_assert_int_eq(err.code, 500);
	ck_assert(rdd_query_is_reserved("Base"));
	ck_assert(!rdd_query_is_reserved("et"));
	ck_assert(!rdd_query_is_reserved("rt"));
	rdd_query_fini(&q);
	rdd_query_fini(NULL);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Registration, simple registration and update                             */
/* ------------------------------------------------------------------------ */

enum { REG, SIMPLE, UPDATE };

struct reg_case {
	const char *q[6];
	int mode;
	int pol;
	const char *src; /* NULL: 203.0.113.7 */
	uint16_t port;	 /* 0: 40001 */
	enum ti_transport t;
	int code; /* 0: accepted */
	const char *msg;
	const char *ep, *d;
	uint32_t lt;
	const char *base;  /* NULL: coap://203.0.113.7:40001 */
	const char *attrs; /* NULL: none */
};

static const struct reg_case reg_cases[] = {
	/* RFC 9176 section 5.3, figure "Example registration payload". */
	{ .q = { "ep=node1" }, .ep = "node1", .d = "", .lt = 90000 },
	/* RFC 9176 section 5.3, the HTTP example: http bases are not served by rdd. */
	{ .q = { "ep=node1", "base=http://[2001:db8:1::1]" },
	  .code = 400,
	  .msg = "base scheme not supported (coap, coaps, coap+tcp, coaps+tcp)" },
	/* RFC 9176 appendix A.1, lighting installation (commissioning tool). */
	{ .q = { "ep=lm_R2-4-015_wndw", "base=coap://[2001:db8:4::1]", "d=R2-4-015" },
	  .src = "2001:db8:4::ff",
	  .ep = "lm_R2-4-015_wndw",
	  .d = "R2-4-015",
	  .lt = 90000,
	  .base = "coap://[2001:db8:4::1]" },
	{ .q = { "ep=ls_R2-4-015_door", "base=coap://[2001:db8:4::2]", "d=R2-4-015" },
	  .ep = "ls_R2-4-015_door",
	  .d = "R2-4-015",
	  .lt = 90000,
	  .base = "coap://[2001:db8:4::2]" },
	/* RFC 9176 appendix A.2, LwM2M style: unknown parameters are kept. */
	{ .q = { "ep=urn:dev:ops:32473-IoT-2468", "lt=86400", "lwm2m=1.0", "b=U" },
	  .ep = "urn:dev:ops:32473-IoT-2468",
	  .d = "",
	  .lt = 86400,
	  .attrs = "lwm2m=1.0;b=U" },
	/* RFC 9176 section 6 example endpoint: et and sector. */
	{ .q = { "ep=node5", "d=mySector", "et=oic.d.sensor", "et=tag:example.com,2020:platform" },
	  .ep = "node5",
	  .d = "mySector",
	  .lt = 90000,
	  .attrs = "et=oic.d.sensor;et=tag:example.com,2020:platform" },
	/* thin-ICE: the device registers from its NAT mapping, over each transport. */
	{ .q = { "ep=node1", "lt=600" },
	  .t = TI_TRANSPORT_DTLS,
	  .ep = "node1",
	  .d = "",
	  .lt = 600,
	  .base = "coaps://203.0.113.7:40001" },
	{ .q = { "ep=node1" },
	  .src = "2001:db8::7",
	  .t = TI_TRANSPORT_TCP,
	  .ep = "node1",
	  .d = "",
	  .lt = 90000,
	  .base = "coap+tcp://[2001:db8::7]:40001" },
	{ .q = { "ep=node1", "base=coaps+tcp://rd-client.example.com:8443/" },
	  .ep = "node1",
	  .d = "",
	  .lt = 90000,
	  .base = "coaps+tcp://rd-client.example.com:8443/" },
	/* ep and d. */
	{ .q = { "ep=" NAME63, "d=" NAME63 }, .ep = NAME63, .d = NAME63, .lt = 90000 },
	{ .q = { "ep=\xc3\xa9t\xc3\xa9", "d=" }, .ep = "\xc3\xa9t\xc3\xa9", .d = "", .lt = 90000 },
	{ .q = { "Ep=node1" }, .ep = "node1", .d = "", .lt = 90000 },
	{ .q = { "d=x" }, .code = 400, .msg = "missing ep" },
	{ .q = { "lt=60" }, .mode = SIMPLE, .code = 400, .msg = "missing ep" },
	{ .q = { "ep=" }, .code = 400, .msg = "ep empty" },
	{ .q = { "ep" }, .code = 400, .msg = "ep empty" },
	{ .q = { "ep=" NAME64 }, .code = 400, .msg = "ep too long (max 63 bytes)" },
	{ .q = { "ep=a", "d=" NAME64 }, .code = 400, .msg = "d too long (max 63 bytes)" },
	{ .q = { "ep=a\xc2\x85"
		 "b" },
	  .code = 400,
	  .msg = "ep has a control character" },
	{ .q = { "ep=a\xc2\x9f" }, .code = 400, .msg = "ep has a control character" },
	{ .q = { "ep=a", "d=\xc2\x80" }, .code = 400, .msg = "d has a control character" },
	{ .q = { "ep=\xff" }, .code = 400, .msg = "ep not valid UTF-8" },
	{ .q = { "ep=\xc0\xae" }, .code = 400, .msg = "ep not valid UTF-8" },
	{ .q = { "ep=\xed\xa0\x80" }, .code = 400, .msg = "ep not valid UTF-8" },
	{ .q = { "ep=a\xe2\x82" }, .code = 400, .msg = "ep not valid UTF-8" },
	/* Policy-assigned name and sector. */
	{ .q = { "lt=120" }, .pol = POL_ASSIGNED, .ep = "dev-psk-id", .d = "factory", .lt = 120 },
	{ .q = { "ep=other", "d=" }, .pol = POL_ASSIGNED, .ep = "other", .d = "", .lt = 90000 },
	/* lt. */
	{ .q = { "ep=a", "lt=0" }, .code = 400, .msg = "lt out of range (1-4294967295)" },
	{ .q = { "ep=a", "lt=4294967296" }, .code = 400, .msg = "lt out of range (1-4294967295)" },
	{ .q = { "ep=a", "lt=99999999999999999999999" },
	  .code = 400,
	  .msg = "lt out of range (1-4294967295)" },
	{ .q = { "ep=a", "lt=-1" }, .code = 400, .msg = "lt not a number" },
	{ .q = { "ep=a", "lt=1h" }, .code = 400, .msg = "lt not a number" },
	{ .q = { "ep=a", "lt" }, .code = 400, .msg = "lt not a number" },
	{ .q = { "ep=a", "lt=4294967295" }, .ep = "a", .d = "", .lt = 4294967295u },
	{ .q = { "ep=a", "lt=1" }, .ep = "a", .d = "", .lt = 60 },
	/* base. */
	{ .q = { "ep=a", "base=coap://[2001:db8::1]:5683/x?y" },
	  .code = 400,
	  .msg = "base has a query or fragment" },
	{ .q = { "ep=a", "base=coap://h#f" }, .code = 400, .msg = "base has a query or fragment" },
	{ .q = { "ep=a", "base=coap://h?" }, .code = 400, .msg = "base has a query or fragment" },
	{ .q = { "ep=a", "base=/rd" },
	  .code = 400,
	  .msg = "base not an absolute URI with a host" },
	{ .q = { "ep=a", "base=coap://" },
	  .code = 400,
	  .msg = "base not an absolute URI with a host" },
	{ .q = { "ep=a", "base=coap://[fe80::1%25eth0]" },
	  .code = 400,
	  .msg = "base not an absolute URI with a host" },
	{ .q = { "ep=a", "base=coap://u@h" },
	  .code = 400,
	  .msg = "base not an absolute URI with a host" },
	{ .q = { "ep=a", "base=coap://h:0" },
	  .code = 400,
	  .msg = "base not an absolute URI with a host" },
	{ .q = { "ep=a", "base=coap://h/a\"b" }, .code = 400, .msg = "base not a valid URI" },
	{ .q = { "ep=a", "base=coap://h/<x>" }, .code = 400, .msg = "base not a valid URI" },
	{ .q = { "ep=a", "base=" }, .code = 400, .msg = "base empty" },
	{ .q = { "ep=a", "base=coap://" HOST200 "/" HOST200 },
	  .code = 400,
	  .msg = "base too long (max 255 bytes)" },
	{ .q = { "ep=a", "base=urn:x" },
	  .code = 400,
	  .msg = "base not an absolute URI with a host" },
	/* Lookup parameters are not registration parameters. */
	{ .q = { "ep=a", "page=1" }, .code = 400, .msg = "page not allowed in registration" },
	{ .q = { "ep=a", "count=1" }, .code = 400, .msg = "count not allowed in registration" },
	/* Extra attributes. */
	{ .q = { "ep=a", "rt=core.rd-ep", "obs", "title=" },
	  .ep = "a",
	  .d = "",
	  .lt = 90000,
	  .attrs = "rt=core.rd-ep;obs;title=" },
	{ .q = { "ep=a", "title*=UTF-8''x" },
	  .ep = "a",
	  .d = "",
	  .lt = 90000,
	  .attrs = "title*=UTF-8''x" },
	{ .q = { "ep=a", "href=/x" }, .code = 400, .msg = "attribute 'href' not allowed" },
	{ .q = { "ep=a", "HRef" }, .code = 400, .msg = "attribute 'href' not allowed" },
	{ .q = { "ep=a", "a\"b=1" }, .code = 400, .msg = "bad attribute name 'a\"b'" },
	{ .q = { "ep=a", "a<b>=1" }, .code = 400, .msg = "bad attribute name 'a<b>'" },
	{ .q = { "ep=a", "x=\xff" }, .code = 400, .msg = "bad value for 'x'" },
	{ .q = { "ep=a", "x=\xc2\x85" }, .code = 400, .msg = "bad value for 'x'" },
	{ .q = { "ep=a", "x=1", "y=2" },
	  .pol = POL_SMALL,
	  .ep = "a",
	  .d = "",
	  .lt = 90000,
	  .attrs = "x=1;y=2" },
	{ .q = { "ep=a", "x=1", "y=2", "et=z" },
	  .pol = POL_SMALL,
	  .code = 400,
	  .msg = "too many attributes (max 2)" },
	{ .q = { "ep=a", NAME64 NAME64 "=1" },
	  .code = 400,
	  .msg = "attribute name too long (max 64 bytes)" },
	/* Simple registration (RFC 9176 section 5.1): no base. */
	{ .q = { "lt=6000", "ep=node1" }, .mode = SIMPLE, .ep = "node1", .d = "", .lt = 6000 },
	{ .q = { "ep=node1", "base=coap://h" },
	  .mode = SIMPLE,
	  .code = 400,
	  .msg = "base not allowed in simple registration" },
	/* Update (RFC 9176 section 5.3.1). */
	{ .q = { 0 }, .mode = UPDATE, .ep = "", .d = "", .lt = 90000 },
	{ .q = { "lt=3600" }, .mode = UPDATE, .ep = "", .d = "", .lt = 3600 },
	{ .q = { "base=coaps+tcp://new.example.com" },
	  .mode = UPDATE,
	  .ep = "",
	  .d = "",
	  .lt = 90000,
	  .base = "coaps+tcp://new.example.com" },
	{ .q = { "et=x", "rt=y" },
	  .mode = UPDATE,
	  .ep = "",
	  .d = "",
	  .lt = 90000,
	  .attrs = "et=x;rt=y" },
	{ .q = { "ep=node1" }, .mode = UPDATE, .code = 400, .msg = "ep not allowed in update" },
	{ .q = { "d=x" }, .mode = UPDATE, .code = 400, .msg = "d not allowed in update" },
	{ .q = { "count=3" }, .mode = UPDATE, .code = 400, .msg = "count not allowed in update" },
	{ .q = { "lt=0" }, .mode = UPDATE, .code = 400, .msg = "lt out of range (1-4294967295)" },
	{ .q = { "base=coap://h?q" },
	  .mode = UPDATE,
	  .code = 400,
	  .msg = "base has a query or fragment" },
};

static int
run_check(const struct reg_case *c, const struct rdd_query *q, const struct rdd_policy *pol,
	  const struct sockaddr *src, struct rdd_params *p, struct rdd_error *err)
{
	switch (c->mode) {
	case SIMPLE:
		return rdd_simple_registration_check(q, pol, src, c->t, p, err);
	case UPDATE:
		return rdd_update_check(q, pol, src, c->t, p, err);
	default:
		return rdd_registration_check(q, pol, src, c->t, p, err);
	}
}

START_TEST(test_registration)
{
	const struct reg_case *c = &reg_cases[_i];
	struct rdd_policy pol = policy(c->pol);
	struct sockaddr_storage src = addr(c->src, c->port, 0);
	struct rdd_query q = { 0 };
	struct rdd_params p = { .lt = 12345 };
	struct rdd_error err = { .code = -1 };
	int r;

	query_ok(c->q, count_strs(c->q, TI_ARRAY_SIZE(c->q)), &q);
	r = run_check(c, &q, &pol, (const struct sockaddr *)&src, &p, &err);
	if (c->code != 0) {
		ck_assert_int_eq(r, TI_EPARSE);
		ck_assert_int_eq(err.code, c->code);
		ck_assert_str_eq(err.msg, c->msg);
		ck_assert_int_eq(p.lt, 12345); /* untouched on failure */
		rdd_query_fini(&q);
		return;
	}
	ck_assert_msg(r == 0, "%d %s", err.code, err.msg);
	ck_assert_int_eq(err.code, -1);
	ck_assert_str_eq(p.ep, c->ep);
	ck_assert_str_eq(p.d, c->d);
	ck_assert_uint_eq(p.lt, c->lt);
	ck_assert_int_eq(p.lt_given, q.lt != NULL);
	ck_assert_int_eq(p.base_given, q.base != NULL);
	if (c->base != NULL)
		ck_assert_str_eq(p.base, c->base);
	else if (c->src == NULL && c->t == TI_TRANSPORT_UDP)
		ck_assert_str_eq(p.base, "coap://203.0.113.7:40001");
	{
		char *d = dump_attrs(&p.attrs);

		ck_assert_str_eq(d, c->attrs != NULL ? c->attrs : "");
		free(d);
	}
	ck_assert_ptr_null(p.attrs.target);
	rdd_params_fini(&p);
	rdd_params_fini(&p);
	rdd_query_fini(&q);
}
END_TEST

START_TEST(test_registration_args)
{
	struct rdd_policy pol = RDD_POLICY_DEFAULT;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sockaddr_storage src = addr(NULL, 0, 0);
	static const char *const qs[] = { "ep=a" };
	struct rdd_query q = { 0 };
	struct rdd_params p = { 0 };
	struct rdd_error err = { 0 };

	query_ok(qs, 1, &q);
	ck_assert_int_eq(
	    rdd_registration_check(&q, &pol, (struct sockaddr *)&un, TI_TRANSPORT_UDP, &p, &err),
	    -EAFNOSUPPORT);
	ck_assert_int_eq(err.code, 500);
	ck_assert_str_eq(err.msg, "cannot derive base from the source address");
	ck_assert_int_eq(
	    rdd_registration_check(&q, NULL, (struct sockaddr *)&src, TI_TRANSPORT_UDP, &p, &err),
	    -EINVAL);
	ck_assert_int_eq(err.code, 500);
	rdd_query_fini(&q);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Base from the source address                                             */
/* ------------------------------------------------------------------------ */

struct base_case {
	const char *host;
	uint16_t port;
	uint32_t scope;
	enum ti_transport t;
	int ret; /* 0: expect base */
	const char *base;
};

static const struct base_case base_cases[] = {
	{ "203.0.113.7", 40001, 0, TI_TRANSPORT_UDP, 0, "coap://203.0.113.7:40001" },
	{ "203.0.113.7", 40001, 0, TI_TRANSPORT_DTLS, 0, "coaps://203.0.113.7:40001" },
	{ "203.0.113.7", 40001, 0, TI_TRANSPORT_TCP, 0, "coap+tcp://203.0.113.7:40001" },
	{ "203.0.113.7", 40001, 0, TI_TRANSPORT_TLS, 0, "coaps+tcp://203.0.113.7:40001" },
	{ "2001:db8::7", 40001, 0, TI_TRANSPORT_UDP, 0, "coap://[2001:db8::7]:40001" },
	{ "2001:db8::7", 40001, 0, TI_TRANSPORT_DTLS, 0, "coaps://[2001:db8::7]:40001" },
	{ "2001:db8::7", 40001, 0, TI_TRANSPORT_TCP, 0, "coap+tcp://[2001:db8::7]:40001" },
	{ "2001:db8::7", 40001, 0, TI_TRANSPORT_TLS, 0, "coaps+tcp://[2001:db8::7]:40001" },
	{ "::ffff:203.0.113.7", 40001, 0, TI_TRANSPORT_UDP, 0, "coap://203.0.113.7:40001" },
	{ "::ffff:203.0.113.7", 5684, 0, TI_TRANSPORT_DTLS, 0, "coaps://203.0.113.7" },
	/* RFC 9176 section 5.3: the port only when not the scheme's default. */
	{ "203.0.113.7", 5683, 0, TI_TRANSPORT_UDP, 0, "coap://203.0.113.7" },
	{ "203.0.113.7", 5683, 0, TI_TRANSPORT_DTLS, 0, "coaps://203.0.113.7:5683" },
	{ "2001:db8::7", 5683, 0, TI_TRANSPORT_TCP, 0, "coap+tcp://[2001:db8::7]" },
	{ "2001:db8::7", 5684, 0, TI_TRANSPORT_TLS, 0, "coaps+tcp://[2001:db8::7]" },
	/* No zone identifier (RFC 9176 section 5.3, base). */
	{ "fe80::1", 40001, 2, TI_TRANSPORT_UDP, 0, "coap://[fe80::1]:40001" },
	{ "203.0.113.7", 1, 0, TI_TRANSPORT_UDP, 0, "coap://203.0.113.7:1" },
	{ "203.0.113.7", 65535, 0, TI_TRANSPORT_UDP, 0, "coap://203.0.113.7:65535" },
};

START_TEST(test_base_from_addr)
{
	const struct base_case *c = &base_cases[_i];
	struct sockaddr_storage ss = addr(c->host, c->port, c->scope);
	struct rdd_policy pol = RDD_POLICY_DEFAULT;
	char buf[RDD_BASE_MAX + 1];
	char ep[] = "ep=x";
	char *qs[2] = { ep, NULL };
	struct rdd_query q = { 0 };
	struct rdd_params p = { 0 };
	struct rdd_error err = { 0 };

	ck_assert_int_eq(rdd_base_from_addr((struct sockaddr *)&ss, c->t, buf, sizeof(buf)),
			 (int)strlen(c->base));
	ck_assert_str_eq(buf, c->base);
	/* What rdd derives it also accepts as an explicit base. */
	ck_assert_int_gt(asprintf(&qs[1], "base=%s", buf), 0);
	query_ok((const char *const *)qs, 2, &q);
	ck_assert_int_eq(rdd_registration_check(&q, &pol, (struct sockaddr *)&ss, c->t, &p, &err),
			 0);
	ck_assert_str_eq(p.base, c->base);
	rdd_params_fini(&p);
	rdd_query_fini(&q);
	free(qs[1]);
}
END_TEST

START_TEST(test_base_from_addr_errors)
{
	struct sockaddr_storage ss = addr(NULL, 0, 0);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	char buf[64];

	ck_assert_int_eq(
	    rdd_base_from_addr((struct sockaddr *)&un, TI_TRANSPORT_UDP, buf, sizeof(buf)),
	    -EAFNOSUPPORT);
	((struct sockaddr_in *)&ss)->sin_port = 0;
	ck_assert_int_eq(
	    rdd_base_from_addr((struct sockaddr *)&ss, TI_TRANSPORT_UDP, buf, sizeof(buf)),
	    -EINVAL);
	ss = addr(NULL, 0, 0);
	ck_assert_int_eq(rdd_base_from_addr((struct sockaddr *)&ss, TI_TRANSPORT_UDP, buf, 10),
			 -ENOSPC);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(
	    rdd_base_from_addr((struct sockaddr *)&ss, (enum ti_transport)9, buf, sizeof(buf)),
	    -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Lifetime window                                                          */
/* ------------------------------------------------------------------------ */

struct lt_case {
	const char *lt; /* NULL: absent */
	int mode;
	uint32_t want;
};

static const struct lt_case lt_cases[] = {
	{ NULL, REG, 86400 }, /* the default 90000 lies above the window */
	{ "1", REG, 300 },
	{ "299", REG, 300 },
	{ "300", REG, 300 },
	{ "1000", REG, 1000 },
	{ "86400", REG, 86400 },
	{ "86401", REG, 86400 },
	{ "4294967295", REG, 86400 },
	{ "5", UPDATE, 300 },
	{ NULL, UPDATE, 86400 },
};

START_TEST(test_lifetime)
{
	const struct lt_case *c = &lt_cases[_i];
	struct rdd_policy pol = policy(POL_WINDOW);
	struct sockaddr_storage src = addr(NULL, 0, 0);
	char ep[] = "ep=a";
	char *qs[2] = { c->mode == REG ? ep : NULL, NULL };
	size_t n = 0;
	struct rdd_query q = { 0 };
	struct rdd_params p = { 0 };
	struct rdd_error err = { 0 };
	const char *list[2];

	if (qs[0] != NULL)
		list[n++] = qs[0];
	if (c->lt != NULL) {
		ck_assert_int_gt(asprintf(&qs[1], "lt=%s", c->lt), 0);
		list[n++] = qs[1];
	}
	query_ok(list, n, &q);
	if (c->mode == REG)
		ck_assert_int_eq(rdd_registration_check(&q, &pol, (struct sockaddr *)&src,
							TI_TRANSPORT_UDP, &p, &err),
				 0);
	else
		ck_assert_int_eq(rdd_update_check(&q, &pol, (struct sockaddr *)&src,
						  TI_TRANSPORT_UDP, &p, &err),
				 0);
	ck_assert_uint_eq(p.lt, c->want);
	ck_assert_int_eq(p.lt_given, c->lt != NULL);
	rdd_params_fini(&p);
	rdd_query_fini(&q);
	free(qs[1]);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Registration payloads                                                    */
/* ------------------------------------------------------------------------ */

#define CANDIDATE                                                                                 \
	"<coap://130.10.10.10:1234/candidates>;rel=\"candidateof\";anchor=\"coap://"              \
	"10.10.10.1:5683\""

struct payload_case {
	const char *in;
	unsigned cf;
	int pol;
	int code;	 /* 0: accepted */
	const char *out; /* accepted: the links rewritten as link-format; else the message */
};

static const struct payload_case payload_cases[] = {
	/* RFC 9176 section 5.3, "Example registration payload". */
	{ "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\",\n"
	  "<http://www.example.com/sensors/temp>;\n"
	  "  anchor=\"/sensors/temp\";rel=\"describedby\"",
	  40, POL_DEFAULT, 0,
	  "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\","
	  "<http://www.example.com/sensors/temp>;anchor=\"/sensors/temp\";rel=\"describedby\"" },
	/* RFC 9176 section 5.1, simple registration's /.well-known/core. */
	{ "</sen/temp>", 40, POL_DEFAULT, 0, "</sen/temp>" },
	/* RFC 9176 appendix A.1 (lighting). */
	{ "</light/left>;rt=\"light\",\n</light/middle>;rt=\"light\",\n</light/"
	  "right>;rt=\"light\"",
	  40, POL_DEFAULT, 0,
	  "</light/left>;rt=\"light\",</light/middle>;rt=\"light\",</light/right>;rt=\"light\"" },
	/* RFC 9176 section 6 (ct as a bare number, obs). */
	{ "</sensors/light>;ct=41;rt=\"light-lux\";if=\"sensor\";obs", 40, POL_DEFAULT, 0,
	  "</sensors/light>;ct=41;rt=\"light-lux\";if=\"sensor\";obs" },
	/* thin-ICE candidate link and an embedded candidate. */
	{ CANDIDATE, 40, POL_DEFAULT, 0, CANDIDATE },
	{ "<coap://203.0.113.7:40001/sensors/temp>;rt=\"temperature-c\"", 40, POL_DEFAULT, 0,
	  "<coap://203.0.113.7:40001/sensors/temp>;rt=\"temperature-c\"" },
	{ "", 40, POL_DEFAULT, 0, "" },
	{ " \r\n", 40, POL_DEFAULT, 0, "" },
	/* Limited link format (RFC 9176 appendix C). */
	{ "<sensors/temp>", 40, POL_DEFAULT, 400,
	  "target 'sensors/temp' not absolute or path-absolute" },
	{ "</a>,<../x>", 40, POL_DEFAULT, 400, "target '../x' not absolute or path-absolute" },
	{ "<//evil.example/x>", 40, POL_DEFAULT, 400,
	  "target '//evil.example/x' not absolute or path-absolute" },
	{ "<>", 40, POL_DEFAULT, 400, "target '' not absolute or path-absolute" },
	{ "</a?b=1>", 40, POL_DEFAULT, 400, "target '/a?b=1' not absolute or path-absolute" },
	{ "</a#f>", 40, POL_DEFAULT, 400, "target '/a#f' not absolute or path-absolute" },
	{ "</a>;anchor=\"b\"", 40, POL_DEFAULT, 400, "anchor 'b' not usable with its target" },
	{ "</sensors/temp>;ct=41;rt=\"temperature-c\";if=\"sensor\";\n"
	  "      anchor=\"coap://spurious.example.com:5683\"",
	  40, POL_DEFAULT, 400,
	  "anchor 'coap://spurious.example.com:5683' not usable with its target" },
	{ "</a>;href=\"/b\"", 40, POL_DEFAULT, 400, "links[0]: attribute 'href' not allowed" },
	/* Malformed link-format. */
	{ "</a>;", 40, POL_DEFAULT, 400, "malformed link-format at byte 5" },
	{ "</a>,", 40, POL_DEFAULT, 400, "malformed link-format at byte 5" },
	{ "</a", 40, POL_DEFAULT, 400, "malformed link-format at byte 0" },
	{ "</a b>", 40, POL_DEFAULT, 400, "malformed link-format at byte 3" },
	{ "</a>;t=\"x", 40, POL_DEFAULT, 400, "malformed link-format at byte 7" },
	/* Size and count limits. */
	{ "</aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa>", 40, POL_SMALL, 0,
	  "</aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa>" },
	{ "</aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa>", 40, POL_SMALL, 413,
	  "payload too large (max 64 bytes)" },
	{ "</a>,</b>", 40, POL_SMALL, 0, "</a>,</b>" },
	{ "</a>,</b>,</c>", 40, POL_SMALL, 413, "too many links (max 2)" },
	{ "</a>;x;y", 40, POL_SMALL, 0, "</a>;x;y" },
	{ "</a>;x;y;z", 40, POL_SMALL, 413, "link over a size limit at byte 9" },
	{ "[{\"href\":\"/a\"},{\"href\":\"/b\"},{\"href\":\"/c\"}]", 50, POL_SMALL, 413,
	  "too many links (max 2)" },
	{ "[{\"href\":\"/a\",\"x\":\"1\",\"y\":\"2\",\"z\":\"3\"}]", 50, POL_SMALL, 413,
	  "links[0]: too many attributes (max 2)" },
	{ "[{\"href\":\"/a\",\"x\":[\"1\",\"2\",\"3\",\"4\"]}]", 50, POL_SMALL, 413,
	  "links[0]: too many attributes (max 2)" },
	/* Content formats. */
	{ "</a>", 0, POL_DEFAULT, 415, "content format 0 not supported (40, 50)" },
	{ "</a>", 60, POL_DEFAULT, 415, "content format 60 not supported (40, 50)" },
	{ "</a>", 65225, POL_DEFAULT, 415, "content format 65225 not supported (40, 50)" },
	/* JSON (draft-ietf-core-links-json shape). */
	{ "[{\"href\":\"/sensors/temp\",\"rt\":\"temperature-c\",\"if\":\"sensor\"},"
	  "{\"href\":\"http://www.example.com/sensors/temp\",\"anchor\":\"/sensors/temp\","
	  "\"rel\":\"describedby\"}]",
	  50, POL_DEFAULT, 0,
	  "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\","
	  "<http://www.example.com/sensors/temp>;anchor=\"/sensors/temp\";rel=\"describedby\"" },
	{ "[{\"href\":\"coap://130.10.10.10:1234/candidates\",\"rel\":\"candidateof\","
	  "\"anchor\":\"coap://10.10.10.1:5683\"}]",
	  50, POL_DEFAULT, 0, CANDIDATE },
	{ "[]", 50, POL_DEFAULT, 0, "" },
	{ " [ ] ", 50, POL_DEFAULT, 0, "" },
	{ "[{\"href\":\"/a\",\"obs\":true,\"ct\":\"40\"}]", 50, POL_DEFAULT, 0, "</a>;obs;ct=40" },
	{ "[{\"href\":\"/a\",\"rt\":[\"x\",\"y\"],\"if\":[true]}]", 50, POL_DEFAULT, 0,
	  "</a>;rt=\"x\";rt=\"y\";if" },
	{ "", 50, POL_DEFAULT, 400, "malformed JSON at byte 0" },
	{ "[{\"href\":", 50, POL_DEFAULT, 400, "malformed JSON at byte 9" },
	{ "{\"href\":\"/a\"}", 50, POL_DEFAULT, 400, "JSON payload must be an array of links" },
	{ "[1]", 50, POL_DEFAULT, 400, "links[0]: not a JSON object" },
	{ "[{\"href\":\"/a\"},[]]", 50, POL_DEFAULT, 400, "links[1]: not a JSON object" },
	{ "[{\"rt\":\"x\"}]", 50, POL_DEFAULT, 400, "links[0]: missing or non-string href" },
	{ "[{\"href\":5}]", 50, POL_DEFAULT, 400, "links[0]: missing or non-string href" },
	{ "[{\"href\":\"/a\",\"ct\":40}]", 50, POL_DEFAULT, 400,
	  "links[0]: 'ct' must be a string, true or an array" },
	{ "[{\"href\":\"/a\",\"obs\":false}]", 50, POL_DEFAULT, 400,
	  "links[0]: 'obs' must be a string, true or an array" },
	{ "[{\"href\":\"/a\",\"x\":null}]", 50, POL_DEFAULT, 400,
	  "links[0]: 'x' must be a string, true or an array" },
	{ "[{\"href\":\"/a\",\"x\":{}}]", 50, POL_DEFAULT, 400,
	  "links[0]: 'x' must be a string, true or an array" },
	{ "[{\"href\":\"/a\",\"rt\":[]}]", 50, POL_DEFAULT, 400,
	  "links[0]: empty array for 'rt'" },
	{ "[{\"href\":\"/a\",\"rt\":[1]}]", 50, POL_DEFAULT, 400,
	  "links[0]: 'rt' must be a string, true or an array" },
	{ "[{\"href\":\"/a\",\"rt\":\"x\",\"rt\":\"y\"}]", 50, POL_DEFAULT, 400,
	  "malformed JSON at byte 27" },
	{ "[{\"href\":\"/a\",\"t\":\"\xff\"}]", 50, POL_DEFAULT, 400,
	  "malformed JSON at byte 19" },
	{ "[{\"href\":\"/a\",\"t\":\"\\u0000\"}]", 50, POL_DEFAULT, 400,
	  "malformed JSON at byte 26" },
	{ "[{\"href\":\"/a\",\"HREF\":\"/b\"}]", 50, POL_DEFAULT, 400,
	  "links[0]: attribute 'href' not allowed" },
	{ "[{\"href\":\"/a b\"}]", 50, POL_DEFAULT, 400,
	  "links[0]: target is not a URI reference" },
	{ "[{\"href\":\"/a>,</evil\"}]", 50, POL_DEFAULT, 400,
	  "links[0]: target is not a URI reference" },
	{ "[{\"href\":\"/a\",\"x y\":\"1\"}]", 50, POL_DEFAULT, 400,
	  "links[0]: bad attribute name" },
	{ "[{\"href\":\"/a\",\"t\":\"\\u0001\"}]", 50, POL_DEFAULT, 400,
	  "links[0]: bad value for 't'" },
	{ "[{\"href\":\"/a\",\"t\":\"\\u0085\"}]", 50, POL_DEFAULT, 400,
	  "links[0]: bad value for 't'" },
	{ "[{\"href\":\"sensors/temp\"}]", 50, POL_DEFAULT, 400,
	  "target 'sensors/temp' not absolute or path-absolute" },
};

START_TEST(test_payload)
{
	const struct payload_case *c = &payload_cases[_i];
	struct rdd_policy pol = policy(c->pol);
	struct ti_links links = { 0 };
	struct rdd_error err = { .code = -1 };
	int r;

	r = rdd_links_parse((const uint8_t *)c->in, strlen(c->in), c->cf, &pol, &links, &err);
	if (c->code != 0) {
		ck_assert_msg(r < 0, "accepted '%s'", c->in);
		ck_assert_int_eq(r, c->code == 413   ? TI_ETOOBIG
				    : c->code == 415 ? TI_EUNKNOWN
						     : TI_EPARSE);
		ck_assert_int_eq(err.code, c->code);
		ck_assert_str_eq(err.msg, c->out);
		ck_assert_uint_eq(
		    err.size1, strstr(c->out, "payload too large") != NULL ? pol.max_payload : 0);
		ck_assert_ptr_null(links.v);
		return;
	}
	ck_assert_msg(r == 0, "%d %s", err.code, err.msg);
	ck_assert_int_eq(err.code, -1);
	{
		char *s = write_lf(&links);

		ck_assert_str_eq(s, c->out);
		free(s);
	}
	ti_links_fini(&links);
}
END_TEST

START_TEST(test_payload_args)
{
	struct rdd_policy pol = RDD_POLICY_DEFAULT;
	struct ti_links links = { 0 };
	struct rdd_error err = { 0 };

	ck_assert_int_eq(rdd_links_parse(NULL, 0, 40, &pol, &links, &err), 0);
	ck_assert_uint_eq(links.n, 0);
	ck_assert_int_eq(rdd_links_parse(NULL, 1, 40, &pol, &links, &err), -EINVAL);
	ck_assert_int_eq(err.code, 500);
	ck_assert_int_eq(rdd_links_parse((const uint8_t *)"</a>", 4, 40, NULL, &links, &err),
			 -EINVAL);
	/* A NUL byte inside the payload is rejected, not cut off. */
	ck_assert_int_eq(
	    rdd_links_parse((const uint8_t *)"</a>\0,</b>", 10, 40, &pol, &links, &err),
	    TI_EPARSE);
	ck_assert_str_eq(err.msg, "malformed link-format at byte 4");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Lookup parameters                                                        */
/* ------------------------------------------------------------------------ */

struct lookup_case {
	const char *q[5];
	int pol;
	int code;
	const char *msg;
	int count_given;
	uint32_t count, page;
	uint64_t offset;
	const char *filters; /* name=pattern;bare */
};

static const struct lookup_case lookup_cases[] = {
	{ { 0 }, POL_DEFAULT, 0, NULL, 0, 1000, 0, 0, "" },
	/* RFC 9176 section 6 examples. */
	{ { "rt=temperature" }, POL_DEFAULT, 0, NULL, 0, 1000, 0, 0, "rt=temperature" },
	{ { "et=oic.d.sensor" }, POL_DEFAULT, 0, NULL, 0, 1000, 0, 0, "et=oic.d.sensor" },
	{ { "rt=temperature", "page=1", "count=2" },
	  POL_DEFAULT,
	  0,
	  NULL,
	  1,
	  2,
	  1,
	  2,
	  "rt=temperature" },
	{ { "href=/sensors/*", "ep=node1", "d=mySector" },
	  POL_DEFAULT,
	  0,
	  NULL,
	  0,
	  1000,
	  0,
	  0,
	  "href=/sensors/*;ep=node1;d=mySector" },
	{ { "rel=candidateof", "anchor=coap://10.10.10.1:5683" },
	  POL_DEFAULT,
	  0,
	  NULL,
	  0,
	  1000,
	  0,
	  0,
	  "rel=candidateof;anchor=coap://10.10.10.1:5683" },
	{ { "obs", "base=coap://*", "lt=60" },
	  POL_DEFAULT,
	  0,
	  NULL,
	  0,
	  1000,
	  0,
	  0,
	  "obs;base=coap://*;lt=60" },
	{ { "count=10" }, POL_DEFAULT, 0, NULL, 1, 10, 0, 0, "" },
	{ { "count=0" }, POL_DEFAULT, 0, NULL, 1, 0, 0, 0, "" },
	{ { "count=5000" }, POL_DEFAULT, 0, NULL, 1, 1000, 0, 0, "" },
	{ { "page=1", "count=5000" }, POL_DEFAULT, 0, NULL, 1, 1000, 1, 5000, "" },
	{ { "COUNT=60", "Page=4294967295" },
	  POL_SMALL,
	  0,
	  NULL,
	  1,
	  50,
	  4294967295u,
	  4294967295ull * 60,
	  "" },
	{ { "count=7" }, POL_SMALL, 0, NULL, 1, 7, 0, 0, "" },
	{ { 0 }, POL_SMALL, 0, NULL, 0, 50, 0, 0, "" },
	{ { "page=1" }, POL_DEFAULT, 400, "page requires count", 0, 0, 0, 0, NULL },
	{ { "page=0", "rt=x" }, POL_DEFAULT, 400, "page requires count", 0, 0, 0, 0, NULL },
	{ { "count=abc" }, POL_DEFAULT, 400, "count not a number", 0, 0, 0, 0, NULL },
	{ { "count" }, POL_DEFAULT, 400, "count not a number", 0, 0, 0, 0, NULL },
	{ { "page=-1", "count=1" }, POL_DEFAULT, 400, "page not a number", 0, 0, 0, 0, NULL },
	{ { "count=4294967296" },
	  POL_DEFAULT,
	  400,
	  "count out of range (0-4294967295)",
	  0,
	  0,
	  0,
	  0,
	  NULL },
};

START_TEST(test_lookup)
{
	const struct lookup_case *c = &lookup_cases[_i];
	struct rdd_policy pol = policy(c->pol);
	struct rdd_query q = { 0 };
	struct rdd_lookup lk = { .page = 77 };
	struct rdd_error err = { .code = -1 };
	int r;

	query_ok(c->q, count_strs(c->q, TI_ARRAY_SIZE(c->q)), &q);
	r = rdd_lookup_parse(&q, &pol, &lk, &err);
	if (c->code != 0) {
		ck_assert_int_eq(r, TI_EPARSE);
		ck_assert_int_eq(err.code, c->code);
		ck_assert_str_eq(err.msg, c->msg);
		ck_assert_uint_eq(lk.page, 77);
		rdd_query_fini(&q);
		return;
	}
	ck_assert_msg(r == 0, "%d %s", err.code, err.msg);
	ck_assert_int_eq(lk.count_given, c->count_given);
	ck_assert_uint_eq(lk.count, c->count);
	ck_assert_uint_eq(lk.page, c->page);
	ck_assert_uint_eq(lk.offset, c->offset);
	{
		struct ti_strbuf sb = TI_STRBUF_INIT(4096);

		for (size_t i = 0; i < lk.n_filters; i++) {
			ck_assert_ptr_nonnull(lk.filters[i].name);
			ck_assert_int_gt(strlen(lk.filters[i].name), 0);
			ck_assert_int_eq(
			    ti_strbuf_printf(&sb, "%s%s", i > 0 ? ";" : "", lk.filters[i].name),
			    0);
			if (lk.filters[i].pattern != NULL)
				ck_assert_int_eq(
				    ti_strbuf_printf(&sb, "=%s", lk.filters[i].pattern), 0);
		}
		ck_assert_str_eq(ti_strbuf_str(&sb), c->filters);
		ti_strbuf_fini(&sb);
	}
	rdd_lookup_fini(&lk);
	rdd_lookup_fini(&lk);
	rdd_query_fini(&q);
}
END_TEST

/* The filters work with the codec's matcher on registered links. */
START_TEST(test_lookup_match)
{
	static const char *const qs[] = { "rel=candidateof", "anchor=coap://10.10.10.1*" };
	struct rdd_policy pol = RDD_POLICY_DEFAULT;
	struct rdd_query q = { 0 };
	struct rdd_lookup lk = { 0 };
	struct rdd_error err = { 0 };
	struct ti_links links = { 0 };
	size_t hits = 0;

	parse_links_ok("</sensors/temp>;rt=\"temperature-c\"," CANDIDATE, 40, &links);
	query_ok(qs, 2, &q);
	ck_assert_int_eq(rdd_lookup_parse(&q, &pol, &lk, &err), 0);
	for (size_t i = 0; i < links.n; i++) {
		bool all = true;

		for (size_t f = 0; f < lk.n_filters; f++)
			all = all && ti_link_match(&links.v[i], lk.filters[f].name,
						   lk.filters[f].pattern);
		if (all) {
			hits++;
			ck_assert_str_eq(links.v[i].target, "coap://130.10.10.10:1234/candidates");
		}
	}
	ck_assert_uint_eq(hits, 1);
	rdd_lookup_fini(&lk);
	rdd_query_fini(&q);
	ti_links_fini(&links);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* JSON output and round trips                                              */
/* ------------------------------------------------------------------------ */

struct json_case {
	const char *lf;	  /* registered as link-format */
	const char *json; /* what rdd_links_write_json() writes */
};

static const struct json_case json_cases[] = {
	{ "", "[]" },
	{ "</sen/temp>", "[{\"href\":\"/sen/temp\"}]" },
	{ CANDIDATE, "[{\"href\":\"coap://130.10.10.10:1234/candidates\",\"rel\":\"candidateof\","
		     "\"anchor\":\"coap://10.10.10.1:5683\"}]" },
	{ "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\",\n"
	  "<http://www.example.com/sensors/temp>;anchor=\"/sensors/temp\";rel=\"describedby\"",
	  "[{\"href\":\"/sensors/temp\",\"rt\":\"temperature-c\",\"if\":\"sensor\"},"
	  "{\"href\":\"http://www.example.com/sensors/temp\",\"anchor\":\"/sensors/temp\","
	  "\"rel\":\"describedby\"}]" },
	{ "</a>;rt=x;obs;RT=y;ct=40",
	  "[{\"href\":\"/a\",\"rt\":[\"x\",\"y\"],\"obs\":true,\"ct\":\"40\"}]" },
	{ "</a>;obs;obs", "[{\"href\":\"/a\",\"obs\":[true,true]}]" },
	{ "</a>;title=\"\\\"q\\\\ \xc3\xa9\"",
	  "[{\"href\":\"/a\",\"title\":\"\\\"q\\\\ \xc3\xa9\"}]" },
	/* Link-format that tries to break out of a JSON string. */
	{ "</a>;title=\"\\\"},{\\\"href\\\":\\\"/evil\"",
	  "[{\"href\":\"/a\",\"title\":\"\\\"},{\\\"href\\\":\\\"/evil\"}]" },
};

START_TEST(test_json_write)
{
	const struct json_case *c = &json_cases[_i];
	struct ti_links links = { 0 }, back = { 0 };
	char *json, *lf1, *lf2;

	parse_links_ok(c->lf, 40, &links);
	json = write_json(&links);
	ck_assert_str_eq(json, c->json);
	/* JSON -> links gives the same links again. */
	parse_links_ok(json, 50, &back);
	ck_assert_uint_eq(back.n, links.n);
	lf1 = write_lf(&links);
	lf2 = write_lf(&back);
	if (strstr(c->lf, "RT=") == NULL) /* case-folded grouping renames the second rt */
		ck_assert_str_eq(lf2, lf1);
	free(lf1);
	free(lf2);
	free(json);
	ti_links_fini(&back);
	ti_links_fini(&links);
}
END_TEST

START_TEST(test_json_write_errors)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(1024);
	struct ti_strbuf tiny = TI_STRBUF_INIT(8);
	struct ti_links links = { 0 };
	struct ti_link *l;

	ck_assert_int_eq(ti_strbuf_puts(&sb, "keep"), 0);
	ck_assert_int_eq(ti_links_add(&links, "/a", &l), 0);
	ck_assert_int_eq(ti_link_attr_add(l, "Href", "/b"), 0);
	ck_assert_int_eq(rdd_links_write_json(&links, &sb), TI_EPARSE);
	ck_assert_str_eq(ti_strbuf_str(&sb), "keep");
	ti_links_fini(&links);

	ck_assert_int_eq(ti_links_add(&links, "/a", &l), 0);
	ck_assert_int_eq(ti_link_attr_add(l, "t", "\xff"), 0);
	ck_assert_int_eq(rdd_links_write_json(&links, &sb), TI_EPARSE);
	ck_assert_str_eq(ti_strbuf_str(&sb), "keep");
	ck_assert_int_eq(rdd_links_write_json(&links, NULL), -EINVAL);
	ti_links_fini(&links);

	ck_assert_int_eq(ti_links_add(&links, "/abcdefgh", NULL), 0);
	ck_assert_int_eq(rdd_links_write_json(&links, &tiny), TI_ETOOBIG);
	ck_assert_str_eq(ti_strbuf_str(&tiny), "");
	ti_links_fini(&links);
	ti_strbuf_fini(&sb);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Injection: nothing a registrant sends adds links to lookup results       */
/* ------------------------------------------------------------------------ */

static const char *const injections[] = {
	"\",</evil>;rt=\"x",
	"x\";anchor=\"coap://evil",
	"a,b;c<d>e",
	"</evil>",
	"\\\",<//evil>",
	"\"},{\"href\":\"/evil\"}",
	"]},[{\"href\":\"/evil",
	"\xe2\x80\xae</evil>",
	"x\\",
};

/* As an extra registration attribute: written as an endpoint link, one link. */
START_TEST(test_inject_query)
{
	struct rdd_policy pol = RDD_POLICY_DEFAULT;
	struct sockaddr_storage src = addr(NULL, 0, 0);
	struct ti_strbuf sb = TI_STRBUF_INIT(4096);
	struct ti_links ep = { 0 }, back = { 0 };
	char ep_node1[] = "ep=node1";
	char *qs[2] = { ep_node1, NULL };
	struct rdd_query q = { 0 };
	struct rdd_params p = { 0 };
	struct rdd_error err = { 0 };
	struct ti_link *l;

	ck_assert_int_gt(asprintf(&qs[1], "title=%s", injections[_i]), 0);
	query_ok((const char *const *)qs, 2, &q);
	ck_assert_int_eq(
	    rdd_registration_check(&q, &pol, (struct sockaddr *)&src, TI_TRANSPORT_UDP, &p, &err),
	    0);
	/* How an endpoint lookup result would carry it. */
	ck_assert_int_eq(ti_links_add(&ep, "/reg/1", &l), 0);
	ck_assert_int_eq(ti_link_attr_add(l, "ep", p.ep), 0);
	ck_assert_int_eq(ti_link_attr_add(l, "base", p.base), 0);
	for (size_t k = 0; k < p.attrs.n_attrs; k++)
		ck_assert_int_eq(
		    ti_link_attr_add(l, p.attrs.attrs[k].name, p.attrs.attrs[k].value), 0);
	ck_assert_int_eq(ti_linkfmt_write(&sb, &ep), 0);
	ck_assert_int_eq(ti_linkfmt_parse(sb.s, sb.len, NULL, &back, NULL), 0);
	ck_assert_uint_eq(back.n, 1);
	ck_assert_str_eq(back.v[0].target, "/reg/1");
	ck_assert_uint_eq(back.v[0].n_attrs, 3);
	ck_assert_str_eq(ti_link_attr_get(&back.v[0], "title"), injections[_i]);
	ck_assert_ptr_null(ti_link_attr_get(&back.v[0], "anchor"));
	ti_links_fini(&back);
	/* And as JSON. */
	ti_strbuf_reset(&sb);
	ck_assert_int_eq(rdd_links_write_json(&ep, &sb), 0);
	parse_links_ok(ti_strbuf_str(&sb), 50, &back);
	ck_assert_uint_eq(back.n, 1);
	ck_assert_str_eq(ti_link_attr_get(&back.v[0], "title"), injections[_i]);
	ti_links_fini(&back);
	ti_links_fini(&ep);
	ti_strbuf_fini(&sb);
	rdd_params_fini(&p);
	rdd_query_fini(&q);
	free(qs[1]);
}
END_TEST

/* As a JSON member value: rewritten as one link in both formats. */
START_TEST(test_inject_json)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(4096);
	struct ti_links links = { 0 }, back = { 0 };
	char *payload = NULL, *esc = NULL;
	size_t n = 0;
	const char *s = injections[_i];

	/* JSON-escape the injection ('"' and '\\'). */
	esc = calloc(2 * strlen(s) + 1, 1);
	ck_assert_ptr_nonnull(esc);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			esc[n++] = '\\';
		esc[n++] = *s;
	}
	ck_assert_int_gt(
	    asprintf(&payload, "[{\"href\":\"/a\",\"title\":\"%s\",\"rt\":[\"%s\"]}]", esc, esc),
	    0);
	parse_links_ok(payload, 50, &links);
	ck_assert_uint_eq(links.n, 1);
	ck_assert_str_eq(ti_link_attr_get(&links.v[0], "title"), injections[_i]);
	ck_assert_int_eq(ti_linkfmt_write(&sb, &links), 0);
	ck_assert_int_eq(ti_linkfmt_parse(sb.s, sb.len, NULL, &back, NULL), 0);
	ck_assert_uint_eq(back.n, 1);
	ck_assert_uint_eq(back.v[0].n_attrs, 2);
	ck_assert_str_eq(ti_link_attr_get(&back.v[0], "rt"), injections[_i]);
	ti_links_fini(&back);
	ti_strbuf_reset(&sb);
	ck_assert_int_eq(rdd_links_write_json(&links, &sb), 0);
	parse_links_ok(ti_strbuf_str(&sb), 50, &back);
	ck_assert_uint_eq(back.n, 1);
	ck_assert_uint_eq(back.v[0].n_attrs, 2);
	ti_links_fini(&back);
	ti_links_fini(&links);
	ti_strbuf_fini(&sb);
	free(payload);
	free(esc);
}
END_TEST

Suite *
rdd_registry_suite(void)
{
	Suite *s = suite_create("rdd_registry");
	TCase *tc;

	tc = tcase_create("query");
	tcase_add_loop_test(tc, test_query, 0, TI_ARRAY_SIZE(query_cases));
	tcase_add_test(tc, test_query_add_raw);
	suite_add_tcase(s, tc);

	tc = tcase_create("registration");
	tcase_add_loop_test(tc, test_registration, 0, TI_ARRAY_SIZE(reg_cases));
	tcase_add_test(tc, test_registration_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("base");
	tcase_add_loop_test(tc, test_base_from_addr, 0, TI_ARRAY_SIZE(base_cases));
	tcase_add_test(tc, test_base_from_addr_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifetime");
	tcase_add_loop_test(tc, test_lifetime, 0, TI_ARRAY_SIZE(lt_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("payload");
	tcase_add_loop_test(tc, test_payload, 0, TI_ARRAY_SIZE(payload_cases));
	tcase_add_test(tc, test_payload_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_loop_test(tc, test_lookup, 0, TI_ARRAY_SIZE(lookup_cases));
	tcase_add_test(tc, test_lookup_match);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_loop_test(tc, test_json_write, 0, TI_ARRAY_SIZE(json_cases));
	tcase_add_test(tc, test_json_write_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("injection");
	tcase_add_loop_test(tc, test_inject_query, 0, TI_ARRAY_SIZE(injections));
	tcase_add_loop_test(tc, test_inject_json, 0, TI_ARRAY_SIZE(injections));
	suite_add_tcase(s, tc);

	return s;
}
