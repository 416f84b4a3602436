/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for rdd_render: bodies of GET /reg/<id>, /rd-lookup/ep, /rd-lookup/res; hash. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "ti_err.h"
#include "ti_linkfmt.h"
#include "ti_store.h"
#include "ti_util.h"
#include "rdd_db.h"
#include "rdd_registry.h"
#include "rdd_server.h"
#include "check_main.h"

/* The fixture: two live registrations and an expired one. */
#define B1 "coap://203.0.113.7:40001"
#define B2 "coap://[2001:db8::2]:5683"

#define EP1                                                                                       \
	"</reg/1>;ep=\"node1\";base=\"" B1 "\";lt=3600;et=\"core.rd-ep sensor\";"             \
	"proto=\"coap\";foo"
#define EP2 "</reg/2>;ep=\"node2\";d=\"east\";base=\"" B2 "\";lt=7200"

#define L1_TEMP "<" B1 "/sensors/temp>;rt=\"temperature-c\";if=\"sensor\";ct=40;anchor=\"" B1 "\""
#define L1_LIGHT "<" B1 "/sensors/light>;rt=\"light-lux\";obs;anchor=\"" B1 "\""
#define L1_CAND                                                                                   \
	"<coap://203.0.113.7:40001/candidates>;rel=\"candidateof\";"                              \
	"anchor=\"coap://10.10.10.1:5683\""
#define L2_TEMP "<" B2 "/temp>;rt=\"temperature-f\";anchor=\"" B2 "\""
#define L2_X "<" B2 "/t/x>;rel=\"alternate\";anchor=\"" B2 "/sensors\""
#define L2_Y "<" B2 "/t/y>;rel=\"describedby\";anchor=\"" B2 "/dev\""

#define LINKS1                                                                                    \
	"</sensors/temp>;rt=\"temperature-c\";if=\"sensor\";ct=40,"                               \
	"</sensors/light>;rt=\"light-lux\";obs,"                                                  \
	"<coap://203.0.113.7:40001/candidates>;rel=\"candidateof\";"                              \
	"anchor=\"coap://10.10.10.1:5683\""
#define LINKS2                                                                                    \
	"</temp>;rt=\"temperature-f\",</t/x>;anchor=\"/sensors\";rel=\"alternate\","              \
	"</t/y>;anchor=\"/x/../dev\";rel=\"describedby\""

static struct rdd_server srv;

static struct rdd_db *
open_mem(void)
{
	struct ti_store_error err = { .msg = "" };
	struct rdd_db *db = NULL;
	int r = rdd_db_open(":memory:", TI_STORE_SYNC_OFF, &db, &err);

	ck_assert_msg(r == 0, "rdd_db_open: %s (%s)", ti_strerror(r), err.msg);
	return db;
}

/* Register with rdd_db directly; expires lt seconds from now on the wall clock. */
static int64_t
reg(struct rdd_db *db, const char *ep, const char *d, const char *base, uint32_t lt,
    int64_t expires_ms, const char *et, const char *attrs, const char *links)
{
	struct rdd_reg g = {
		.ep = (char *)ep,
		.d = (char *)d,
		.base = (char *)base,
		.base_explicit = 0,
		.lt = lt,
		.et = (char *)et,
		.attrs = (char *)attrs,
		.expires_ms = expires_ms,
		.links = (char *)links,
	};
	struct ti_links parsed = { 0 };
	int64_t id = 0;
	int r;

	ck_assert_int_eq(ti_linkfmt_parse(links, strlen(links), NULL, &parsed, NULL), 0);
	r = rdd_db_register(db, &g, &parsed, &id, NULL);
	ck_assert_msg(r == 0, "register %s: %s", ep, ti_strerror(r));
	ti_links_fini(&parsed);
	return id;
}

static void
server_setup(void)
{
	int64_t now = rdd_wall_ms();

	srv = (struct rdd_server){ .db = open_mem(), .pol = RDD_POLICY_DEFAULT };
	ck_assert_int_eq(reg(srv.db, "node1", "", B1, 3600, now + 3600000, "core.rd-ep sensor",
			     "proto=\"coap\";foo", LINKS1),
			 1);
	ck_assert_int_eq(reg(srv.db, "node2", "east", B2, 7200, now + 7200000, NULL, "", LINKS2),
			 2);
	/* Expired: never shown, though not yet removed. */
	ck_assert_int_eq(reg(srv.db, "node3", "", "coap://198.51.100.3", 60, now - 1000, "sensor",
			     "", "</sensors/temp>;rt=\"temperature-c\""),
			 3);
}

static void
empty_setup(void)
{
	srv = (struct rdd_server){ .db = open_mem(), .pol = RDD_POLICY_DEFAULT };
}

static void
server_teardown(void)
{
	rdd_db_close(srv.db);
	srv.db = NULL;
}

/* Split "a=x&b&count=2" into Uri-Query options. */
static void
make_query(const char *query, struct rdd_query *q)
{
	struct rdd_error err = { .code = 0 };
	char *copy = strdup(query), *save = NULL;
	const char *opts[16];
	size_t n = 0;

	ck_assert_ptr_nonnull(copy);
	for (char *t = strtok_r(copy, "&", &save); t != NULL; t = strtok_r(NULL, "&", &save)) {
		ck_assert_uint_lt(n, 16);
		opts[n++] = t;
	}
	ck_assert_msg(rdd_query_parse(opts, n, q, &err) == 0, "query '%s': %s", query, err.msg);
	free(copy);
}

/*
 * Render a view; returns the body (caller frees) and the result in *ret_r.
 * On failure reterr is filled.
 */
static char *
render(enum rdd_view view, const char *query, int64_t id, unsigned cf, int *ret_r,
       struct rdd_error *reterr)
{
	struct ti_strbuf out = TI_STRBUF_INIT(1 << 20);
	struct rdd_query q = { 0 };
	char *body;

	make_query(query, &q);
	*ret_r = rdd_render(&srv, view, &q, id, cf, &out, reterr);
	rdd_query_fini(&q);
	body = strdup(ti_strbuf_str(&out));
	ti_strbuf_fini(&out);
	ck_assert_ptr_nonnull(body);
	return body;
}

/* Render that must succeed; caller frees. */
static char *
render_ok(enum rdd_view view, const char *query, int64_t id, unsigned cf)
{
	struct rdd_error err = { .code = 0 };
	int r;
	char *body = render(view, query, id, cf, &r, &err);

	ck_assert_msg(r == 0, "render view %d '%s' cf %u: %s (%d %s)", view, query, cf,
		      ti_strerror(r), err.code, err.msg);
	return body;
}

static void
expect(enum rdd_view view, const char *query, unsigned cf, const char *want)
{
	char *got = render_ok(view, query, 0, cf);

	ck_assert_msg(strcmp(got, want) == 0, "view %d '%s' cf %u:\n got '%s'\nwant '%s'", view,
		      query, cf, got, want);
	free(got);
}

/*
 * Link-format lookups over the fixture
 */

static const struct render_case {
	enum rdd_view view;
	const char *query;
	const char *want;
} lf_cases[] = {
	/* Endpoint lookup: one link per registration, to its registration resource. */
	{ RDD_VIEW_LOOKUP_EP, "", EP1 "," EP2 },
	{ RDD_VIEW_LOOKUP_EP, "ep=node1", EP1 },
	{ RDD_VIEW_LOOKUP_EP, "ep=node2", EP2 },
	{ RDD_VIEW_LOOKUP_EP, "ep=node3", "" },
	{ RDD_VIEW_LOOKUP_EP, "d=east", EP2 },
	{ RDD_VIEW_LOOKUP_EP, "et=sensor", EP1 },
	{ RDD_VIEW_LOOKUP_EP, "proto=coap", EP1 },
	{ RDD_VIEW_LOOKUP_EP, "rt=temperature*", EP1 "," EP2 },
	{ RDD_VIEW_LOOKUP_EP, "rel=candidateof", EP1 },
	{ RDD_VIEW_LOOKUP_EP, "anchor=coap://10.10.10.1:5683", EP1 },
	{ RDD_VIEW_LOOKUP_EP, "href=/reg/2", EP2 },
	{ RDD_VIEW_LOOKUP_EP, "href=/reg/*", EP1 "," EP2 },
	{ RDD_VIEW_LOOKUP_EP, "href=/reg/3", "" },
	{ RDD_VIEW_LOOKUP_EP, "href=/reg/1&d=east", "" },
	{ RDD_VIEW_LOOKUP_EP, "rt=nothing", "" },
	{ RDD_VIEW_LOOKUP_EP, "href", EP1 "," EP2 },
	{ RDD_VIEW_LOOKUP_EP, "lt=7200", EP2 },
	{ RDD_VIEW_LOOKUP_EP, "base=" B1, EP1 },
	/* Resource lookup: absolute targets, the anchor always explicit. */
	{ RDD_VIEW_LOOKUP_RES, "",
	  L1_TEMP "," L1_LIGHT "," L1_CAND "," L2_TEMP "," L2_X "," L2_Y },
	{ RDD_VIEW_LOOKUP_RES, "ep=node1", L1_TEMP "," L1_LIGHT "," L1_CAND },
	{ RDD_VIEW_LOOKUP_RES, "rt=temperature-c", L1_TEMP },
	{ RDD_VIEW_LOOKUP_RES, "rt=temperature*", L1_TEMP "," L2_TEMP },
	{ RDD_VIEW_LOOKUP_RES, "obs", L1_LIGHT },
	{ RDD_VIEW_LOOKUP_RES, "ct=40", L1_TEMP },
	{ RDD_VIEW_LOOKUP_RES, "d=east", L2_TEMP "," L2_X "," L2_Y },
	{ RDD_VIEW_LOOKUP_RES, "anchor=" B2 "/sensors", L2_X },
	{ RDD_VIEW_LOOKUP_RES, "anchor=" B2 "/dev", L2_Y },
	{ RDD_VIEW_LOOKUP_RES, "anchor=" B1, L1_TEMP "," L1_LIGHT },
	{ RDD_VIEW_LOOKUP_RES, "href=" B2 "/t/x", L2_X },
	/* Thin-ICE candidates: found by relation and by the anchor they describe. */
	{ RDD_VIEW_LOOKUP_RES, "rel=candidateof", L1_CAND },
	{ RDD_VIEW_LOOKUP_RES, "rel=candidateof&anchor=coap://10.10.10.1:5683", L1_CAND },
	{ RDD_VIEW_LOOKUP_RES, "anchor=coap://10.10.10.1:5683&rel=candidateof", L1_CAND },
	{ RDD_VIEW_LOOKUP_RES, "rel=candidateof&anchor=coap://10.10.10.2:5683", "" },
	{ RDD_VIEW_LOOKUP_RES, "ep=node3", "" },
	{ RDD_VIEW_LOOKUP_RES, "unknown=x", "" },
};

START_TEST(test_lookup_linkformat)
{
	const struct render_case *c = &lf_cases[_i];

	expect(c->view, c->query, RDD_CF_LINK_FORMAT, c->want);
}
END_TEST

/* Every link-format body parses back, with the anchor last and absolute. */
START_TEST(test_lookup_parses_back)
{
	char *body = render_ok(RDD_VIEW_LOOKUP_RES, "", 0, RDD_CF_LINK_FORMAT);
	struct ti_links l = { 0 };

	ck_assert_int_eq(ti_linkfmt_parse(body, strlen(body), NULL, &l, NULL), 0);
	ck_assert_uint_eq(l.n, 6);
	for (size_t i = 0; i < l.n; i++) {
		const struct ti_link *k = &l.v[i];

		ck_assert_uint_ge(k->n_attrs, 1);
		ck_assert_str_eq(k->attrs[k->n_attrs - 1].name, "anchor");
		ck_assert_uint_eq(ti_link_attr_count(k, "anchor"), 1);
		ck_assert_msg(strncmp(k->target, "coap://", 7) == 0, "target %s", k->target);
		ck_assert_msg(strncmp(k->attrs[k->n_attrs - 1].value, "coap://", 7) == 0,
			      "anchor %s", k->attrs[k->n_attrs - 1].value);
	}
	ti_links_fini(&l);
	free(body);
	body = render_ok(RDD_VIEW_LOOKUP_EP, "", 0, RDD_CF_LINK_FORMAT);
	ck_assert_int_eq(ti_linkfmt_parse(body, strlen(body), NULL, &l, NULL), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].target, "/reg/1");
	ck_assert_str_eq(ti_link_attr_get(&l.v[0], "ep"), "node1");
	ck_assert_ptr_null(ti_link_attr_get(&l.v[0], "d"));
	ck_assert_str_eq(ti_link_attr_get(&l.v[1], "d"), "east");
	ck_assert_ptr_null(ti_link_attr_get(&l.v[1], "et"));
	ck_assert_uint_eq(ti_link_attr_count(&l.v[0], "foo"), 1);
	ti_links_fini(&l);
	free(body);
}
END_TEST

/*
 * JSON
 */

static json_t *
render_json(enum rdd_view view, const char *query, int64_t id)
{
	char *body = render_ok(view, query, id, RDD_CF_JSON);
	json_error_t jerr;
	json_t *j = json_loads(body, JSON_REJECT_DUPLICATES, &jerr);

	ck_assert_msg(j != NULL, "not JSON (%s): %s", jerr.text, body);
	ck_assert_msg(json_is_array(j), "not an array: %s", body);
	free(body);
	return j;
}

static void
assert_member(json_t *obj, const char *key, const char *want)
{
	json_t *v = json_object_get(obj, key);

	ck_assert_msg(v != NULL, "no member '%s'", key);
	ck_assert_msg(json_is_string(v), "member '%s' is not a string", key);
	ck_assert_str_eq(json_string_value(v), want);
}

START_TEST(test_json_ep)
{
	json_t *j = render_json(RDD_VIEW_LOOKUP_EP, "", 0), *o;

	ck_assert_uint_eq(json_array_size(j), 2);
	o = json_array_get(j, 0);
	assert_member(o, "href", "/reg/1");
	assert_member(o, "ep", "node1");
	assert_member(o, "base", B1);
	assert_member(o, "lt", "3600");
	assert_member(o, "et", "core.rd-ep sensor");
	assert_member(o, "proto", "coap");
	ck_assert(json_is_true(json_object_get(o, "foo")));
	ck_assert_ptr_null(json_object_get(o, "d"));
	ck_assert_uint_eq(json_object_size(o), 7);
	o = json_array_get(j, 1);
	assert_member(o, "href", "/reg/2");
	assert_member(o, "ep", "node2");
	assert_member(o, "d", "east");
	assert_member(o, "base", B2);
	assert_member(o, "lt", "7200");
	ck_assert_ptr_null(json_object_get(o, "et"));
	ck_assert_uint_eq(json_object_size(o), 5);
	json_decref(j);
}
END_TEST

START_TEST(test_json_res)
{
	json_t *j = render_json(RDD_VIEW_LOOKUP_RES, "", 0), *o;

	ck_assert_uint_eq(json_array_size(j), 6);
	o = json_array_get(j, 0);
	assert_member(o, "href", B1 "/sensors/temp");
	assert_member(o, "rt", "temperature-c");
	assert_member(o, "if", "sensor");
	assert_member(o, "ct", "40");
	assert_member(o, "anchor", B1);
	o = json_array_get(j, 1);
	assert_member(o, "href", B1 "/sensors/light");
	ck_assert(json_is_true(json_object_get(o, "obs")));
	o = json_array_get(j, 2);
	assert_member(o, "href", "coap://203.0.113.7:40001/candidates");
	assert_member(o, "rel", "candidateof");
	assert_member(o, "anchor", "coap://10.10.10.1:5683");
	o = json_array_get(j, 4);
	assert_member(o, "href", B2 "/t/x");
	assert_member(o, "anchor", B2 "/sensors");
	for (size_t i = 0; i < json_array_size(j); i++) {
		o = json_array_get(j, i);
		ck_assert(json_is_object(o));
		ck_assert(json_is_string(json_object_get(o, "href")));
		ck_assert(json_is_string(json_object_get(o, "anchor")));
	}
	json_decref(j);
	/* Filtered. */
	j = render_json(RDD_VIEW_LOOKUP_RES, "rel=candidateof&anchor=coap://10.10.10.1:5683", 0);
	ck_assert_uint_eq(json_array_size(j), 1);
	assert_member(json_array_get(j, 0), "href", "coap://203.0.113.7:40001/candidates");
	json_decref(j);
}
END_TEST

/* The JSON body reads back into the links of the link-format body. */
START_TEST(test_json_matches_linkformat)
{
	static const enum rdd_view views[] = { RDD_VIEW_LOOKUP_EP, RDD_VIEW_LOOKUP_RES };
	const struct rdd_policy pol = RDD_POLICY_DEFAULT;

	for (size_t v = 0; v < TI_ARRAY_SIZE(views); v++) {
		char *lf = render_ok(views[v], "", 0, RDD_CF_LINK_FORMAT);
		char *js = render_ok(views[v], "", 0, RDD_CF_JSON);
		struct ti_links a = { 0 }, b = { 0 };
		struct ti_strbuf sb = TI_STRBUF_INIT(1 << 20);
		struct rdd_error err = { .code = 0 };

		ck_assert_int_eq(ti_linkfmt_parse(lf, strlen(lf), NULL, &a, NULL), 0);
		ck_assert_msg(rdd_links_parse((const uint8_t *)js, strlen(js), RDD_CF_JSON, &pol,
					      &b, &err) == 0,
			      "%s: %s", js, err.msg);
		ck_assert_int_eq(ti_linkfmt_write(&sb, &b), 0);
		ck_assert_str_eq(ti_strbuf_str(&sb), lf);
		ti_strbuf_fini(&sb);
		ti_links_fini(&a);
		ti_links_fini(&b);
		free(lf);
		free(js);
	}
}
END_TEST

/*
 * Empty results
 */

START_TEST(test_empty)
{
	static const char *const queries[] = { "rt=nothing", "ep=node3", "count=0",
					       "count=0&page=7", "count=2&page=9" };
	json_t *j;

	for (size_t i = 0; i < TI_ARRAY_SIZE(queries); i++) {
		expect(RDD_VIEW_LOOKUP_EP, queries[i], RDD_CF_LINK_FORMAT, "");
		expect(RDD_VIEW_LOOKUP_RES, queries[i], RDD_CF_LINK_FORMAT, "");
		expect(RDD_VIEW_LOOKUP_EP, queries[i], RDD_CF_JSON, "[]");
		expect(RDD_VIEW_LOOKUP_RES, queries[i], RDD_CF_JSON, "[]");
	}
	j = render_json(RDD_VIEW_LOOKUP_RES, "rt=nothing", 0);
	ck_assert_uint_eq(json_array_size(j), 0);
	json_decref(j);
}
END_TEST

/* An empty directory. */
START_TEST(test_empty_directory)
{
	expect(RDD_VIEW_LOOKUP_EP, "", RDD_CF_LINK_FORMAT, "");
	expect(RDD_VIEW_LOOKUP_RES, "", RDD_CF_LINK_FORMAT, "");
	expect(RDD_VIEW_LOOKUP_EP, "", RDD_CF_JSON, "[]");
	expect(RDD_VIEW_LOOKUP_RES, "", RDD_CF_JSON, "[]");
}
END_TEST

/*
 * Paging: the offset is page * count as requested, even when count is capped.
 */

/* Ten registrations e0..e9 with one link each, and a page cap of 3. */
static void
paging_setup(void)
{
	int64_t now;
	char ep[8], links[32];

	empty_setup();
	now = rdd_wall_ms();
	srv.pol.max_count = 3;
	for (int i = 0; i < 10; i++) {
		snprintf(ep, sizeof(ep), "e%d", i);
		snprintf(links, sizeof(links), "</r%d>;rt=\"x\"", i);
		reg(srv.db, ep, "", "coap://192.0.2.1", 3600, now + 3600000, NULL, "", links);
	}
}

/* The eps (or link targets) of a body, "e1 e2" (or "/r1 /r2"). */
static char *
names(enum rdd_view view, const char *query, unsigned cf)
{
	char *body = render_ok(view, query, 0, cf);
	struct ti_strbuf sb = TI_STRBUF_INIT(1 << 16);
	struct ti_links l = { 0 };
	struct rdd_error err = { .code = 0 };
	const struct rdd_policy pol = RDD_POLICY_DEFAULT;

	if (cf == RDD_CF_JSON)
		ck_assert_int_eq(
		    rdd_links_parse((const uint8_t *)body, strlen(body), cf, &pol, &l, &err), 0);
	else
		ck_assert_int_eq(ti_linkfmt_parse(body, strlen(body), NULL, &l, NULL), 0);
	for (size_t i = 0; i < l.n; i++) {
		const char *name = view == RDD_VIEW_LOOKUP_EP
				       ? ti_link_attr_get(&l.v[i], "ep")
				       : l.v[i].target + strlen("coap://192.0.2.1");
		ck_assert_ptr_nonnull(name);
		ck_assert_int_eq(ti_strbuf_printf(&sb, "%s%s", i ? " " : "", name), 0);
	}
	ti_links_fini(&l);
	free(body);
	if (sb.len == 0)
		return strdup("");
	return ti_strbuf_steal(&sb);
}

static const struct page_case {
	const char *query;
	const char *eps; /* also the targets, e<n> -> /r<n> */
} page_cases[] = {
	{ "", "e0 e1 e2" }, /* no count: capped at max_count */
	{ "count=2", "e0 e1" },
	{ "count=2&page=0", "e0 e1" },
	{ "page=1&count=2", "e2 e3" },
	{ "count=2&page=4", "e8 e9" },
	{ "count=2&page=5", "" },
	{ "count=3&page=3", "e9" },
	{ "count=3", "e0 e1 e2" },
	/* Above the cap: 3 results, from page * count as requested. */
	{ "count=4", "e0 e1 e2" },
	{ "count=4&page=1", "e4 e5 e6" },
	{ "count=4&page=2", "e8 e9" },
	{ "count=5&page=1", "e5 e6 e7" },
	{ "count=1000&page=0", "e0 e1 e2" },
	{ "count=1000&page=1", "" },
	{ "count=4294967295&page=4294967295", "" },
	{ "count=0", "" },
	/* Filters and paging together. */
	{ "rt=x&count=4&page=1", "e4 e5 e6" },
	{ "ep=e*&count=2&page=2", "e4 e5" },
	{ "ep=e7&count=2&page=0", "e7" },
	{ "ep=e7&count=2&page=1", "" },
};

START_TEST(test_paging)
{
	static const enum rdd_view views[] = { RDD_VIEW_LOOKUP_EP, RDD_VIEW_LOOKUP_RES };
	static const unsigned cfs[] = { RDD_CF_LINK_FORMAT, RDD_CF_JSON };
	const struct page_case *c = &page_cases[_i];
	char want_res[64] = "", *o = want_res;

	/* "e3 e4" -> "/r3 /r4" */
	for (const char *p = c->eps; *p != '\0'; p++) {
		if (*p == 'e') {
			*o++ = '/';
			*o++ = 'r';
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	for (size_t v = 0; v < TI_ARRAY_SIZE(views); v++) {
		for (size_t k = 0; k < TI_ARRAY_SIZE(cfs); k++) {
			char *got = names(views[v], c->query, cfs[k]);
			const char *want = views[v] == RDD_VIEW_LOOKUP_EP ? c->eps : want_res;

			ck_assert_msg(strcmp(got, want) == 0,
				      "%s lookup '%s' cf %u (max_count 3):\n got '%s'\nwant '%s'",
				      views[v] == RDD_VIEW_LOOKUP_EP ? "ep" : "res", c->query,
				      cfs[k], got, want);
			free(got);
		}
	}
}
END_TEST

/* Endpoint lookup: href on /reg/<id> is filtered before paging counts a result. */
START_TEST(test_paging_href)
{
	expect(RDD_VIEW_LOOKUP_EP, "href=/reg/1*", RDD_CF_LINK_FORMAT,
	       "</reg/1>;ep=\"e0\";base=\"coap://192.0.2.1\";lt=3600,"
	       "</reg/10>;ep=\"e9\";base=\"coap://192.0.2.1\";lt=3600");
	expect(RDD_VIEW_LOOKUP_EP, "href=/reg/1*&count=1&page=1", RDD_CF_LINK_FORMAT,
	       "</reg/10>;ep=\"e9\";base=\"coap://192.0.2.1\";lt=3600");
	expect(RDD_VIEW_LOOKUP_EP, "count=1&page=1&href=/reg/1*", RDD_CF_LINK_FORMAT,
	       "</reg/10>;ep=\"e9\";base=\"coap://192.0.2.1\";lt=3600");
	expect(RDD_VIEW_LOOKUP_EP, "href=/reg/1*&count=1&page=2", RDD_CF_LINK_FORMAT, "");
	expect(RDD_VIEW_LOOKUP_RES, "href=/reg/1*", RDD_CF_LINK_FORMAT, "");
}
END_TEST

/* A body larger than the buffer allows is a 5.00 with a hint, not a truncated list. */
START_TEST(test_too_large)
{
	static const enum rdd_view views[] = { RDD_VIEW_LOOKUP_EP, RDD_VIEW_LOOKUP_RES };
	static const unsigned cfs[] = { RDD_CF_LINK_FORMAT, RDD_CF_JSON };

	for (size_t v = 0; v < TI_ARRAY_SIZE(views); v++) {
		for (size_t k = 0; k < TI_ARRAY_SIZE(cfs); k++) {
			struct ti_strbuf out = TI_STRBUF_INIT(100);
			struct rdd_error err = { .code = 0 };
			struct rdd_query q = { 0 };
			int r;

			r = rdd_render(&srv, views[v], &q, 0, cfs[k], &out, &err);
			ck_assert_msg(r == TI_ETOOBIG, "view %d cf %u: %d", views[v], cfs[k], r);
			ck_assert_int_eq(err.code, 500);
			ck_assert_str_eq(err.msg, "lookup result too large: use count");
			ti_strbuf_fini(&out);
			/* One page fits. */
			make_query("count=1", &q);
			r = rdd_render(&srv, views[v], &q, 0, cfs[k], &out, &err);
			ck_assert_msg(r == 0, "view %d cf %u count=1: %d", views[v], cfs[k], r);
			ck_assert_uint_gt(out.len, 0);
			rdd_query_fini(&q);
			ti_strbuf_fini(&out);
		}
	}
}
END_TEST

/* The default cap (RDD_POLICY_DEFAULT: 1000) applies without count. */
START_TEST(test_paging_default_cap)
{
	int64_t now = rdd_wall_ms();
	struct ti_strbuf links = TI_STRBUF_INIT(1 << 20);
	struct ti_links l = { 0 };
	char *body;

	for (int i = 0; i < 1100; i++)
		ck_assert_int_eq(ti_strbuf_printf(&links, "%s</r%d>", i ? "," : "", i), 0);
	{
		const struct ti_linkfmt_limits lim = { .max_links = 2000,
						       .max_attrs_per_link = 4,
						       .max_target_len = 64,
						       .max_name_len = 16,
						       .max_value_len = 64 };
		struct rdd_reg g = {
			.ep = (char *)"big",
			.d = (char *)"",
			.base = (char *)"coap://h",
			.lt = 3600,
			.attrs = (char *)"",
			.expires_ms = now + 3600000,
			.links = (char *)ti_strbuf_str(&links),
		};
		ck_assert_int_eq(ti_linkfmt_parse(g.links, strlen(g.links), &lim, &l, NULL), 0);
		ck_assert_int_eq(rdd_db_register(srv.db, &g, &l, NULL, NULL), 0);
		ti_links_fini(&l);
	}
	ti_strbuf_fini(&links);
	body = render_ok(RDD_VIEW_LOOKUP_RES, "", 0, RDD_CF_LINK_FORMAT);
	ck_assert_int_eq(ti_linkfmt_parse(body, strlen(body), NULL, &l, NULL), TI_ETOOBIG);
	{
		const struct ti_linkfmt_limits lim = TI_LINKFMT_LIMITS_DEFAULT;
		struct ti_linkfmt_limits big = lim;

		big.max_links = 5000;
		ck_assert_int_eq(ti_linkfmt_parse(body, strlen(body), &big, &l, NULL), 0);
	}
	ck_assert_uint_eq(l.n, 1000);
	ck_assert_str_eq(l.v[0].target, "coap://h/r0");
	ck_assert_str_eq(l.v[999].target, "coap://h/r999");
	ti_links_fini(&l);
	free(body);
	expect(RDD_VIEW_LOOKUP_RES, "count=1&page=1099", RDD_CF_LINK_FORMAT,
	       "<coap://h/r1099>;anchor=\"coap://h\"");
	expect(RDD_VIEW_LOOKUP_RES, "count=2000&page=1", RDD_CF_LINK_FORMAT, "");
}
END_TEST

/*
 * Errors
 */

START_TEST(test_query_errors)
{
	static const struct {
		const char *query;
		const char *msg;
	} cases[] = {
		{ "page=1", "page requires count" },
		{ "page=x&count=1", "page not a number" },
		{ "count=-1", "count not a number" },
		{ "count=4294967296", "count out of range (0-4294967295)" },
	};
	static const enum rdd_view views[] = { RDD_VIEW_LOOKUP_EP, RDD_VIEW_LOOKUP_RES };

	for (size_t i = 0; i < TI_ARRAY_SIZE(cases); i++) {
		for (size_t v = 0; v < TI_ARRAY_SIZE(views); v++) {
			struct rdd_error err = { .code = 0 };
			int r;
			char *body =
			    render(views[v], cases[i].query, 0, RDD_CF_LINK_FORMAT, &r, &err);

			ck_assert_msg(r == TI_EPARSE, "'%s': %d", cases[i].query, r);
			ck_assert_int_eq(err.code, 400);
			ck_assert_str_eq(err.msg, cases[i].msg);
			ck_assert_str_eq(body, "");
			free(body);
		}
	}
}
END_TEST

/*
 * GET /reg/<id>
 */

START_TEST(test_reg_view)
{
	static const int64_t missing[] = { 3, 4, 0, -1, INT64_MAX };
	struct rdd_error err = { .code = 0 };
	char *body;
	json_t *j;
	int r;

	/* The links as registered: targets and anchors as given. */
	body = render_ok(RDD_VIEW_REG, "", 1, RDD_CF_LINK_FORMAT);
	ck_assert_str_eq(body, LINKS1);
	free(body);
	body = render_ok(RDD_VIEW_REG, "", 2, RDD_CF_LINK_FORMAT);
	ck_assert_str_eq(body, LINKS2);
	free(body);
	/* The query is ignored. */
	body = render_ok(RDD_VIEW_REG, "rt=nothing&count=0", 2, RDD_CF_LINK_FORMAT);
	ck_assert_str_eq(body, LINKS2);
	free(body);
	j = render_json(RDD_VIEW_REG, "", 2);
	ck_assert_uint_eq(json_array_size(j), 3);
	assert_member(json_array_get(j, 0), "href", "/temp");
	assert_member(json_array_get(j, 0), "rt", "temperature-f");
	assert_member(json_array_get(j, 1), "href", "/t/x");
	assert_member(json_array_get(j, 1), "anchor", "/sensors");
	assert_member(json_array_get(j, 2), "anchor", "/x/../dev");
	json_decref(j);

	/* Missing, expired, never valid. */
	for (size_t i = 0; i < TI_ARRAY_SIZE(missing); i++) {
		for (unsigned cf = RDD_CF_LINK_FORMAT; cf <= RDD_CF_JSON; cf += 10) {
			err = (struct rdd_error){ .code = 0 };
			body = render(RDD_VIEW_REG, "", missing[i], cf, &r, &err);
			ck_assert_msg(r == -ENOENT, "id %lld: %d", (long long)missing[i], r);
			ck_assert_int_eq(err.code, 404);
			ck_assert_str_eq(err.msg, "no such registration");
			ck_assert_str_eq(body, "");
			free(body);
		}
	}
	/* Removed. */
	ck_assert_int_eq(rdd_db_remove(srv.db, 1), 0);
	body = render(RDD_VIEW_REG, "", 1, RDD_CF_LINK_FORMAT, &r, &err);
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_int_eq(err.code, 404);
	free(body);
	expect(RDD_VIEW_LOOKUP_EP, "", RDD_CF_LINK_FORMAT, EP2);
}
END_TEST

/*
 * Quoting: values with quotes, commas, semicolons and angle brackets
 */

static const char nasty_title[] = "say \"hi\", then; <go> \\ back";
static const char nasty_rt[] = "a,b;c=<d>";
static const char nasty_note[] = "x, \"y\"; <z>";
static const char nasty_ep[] = "ep\"1,;<2>";
static const char nasty_d[] = "d;<\"x\">,";

START_TEST(test_quoting)
{
	int64_t now = rdd_wall_ms();
	struct ti_strbuf links = TI_STRBUF_INIT(4096), attrs = TI_STRBUF_INIT(4096);
	struct ti_link tmp = { .target = (char *)"/q" };
	struct ti_links l = { 0 };
	char *body;
	json_t *j;
	int64_t id;

	/* Build the stored payload and attributes with the writer itself. */
	ck_assert_int_eq(ti_link_attr_add(&tmp, "title", nasty_title), 0);
	ck_assert_int_eq(ti_link_attr_add(&tmp, "rt", nasty_rt), 0);
	ck_assert_int_eq(ti_link_attr_add(&tmp, "anchor", "/dev"), 0);
	ck_assert_int_eq(ti_linkfmt_write_link(&links, &tmp), 0);
	tmp.target = NULL;
	ti_link_fini(&tmp);
	tmp = (struct ti_link){ .target = (char *)"x" };
	ck_assert_int_eq(ti_link_attr_add(&tmp, "note", nasty_note), 0);
	ck_assert_int_eq(ti_link_attr_add(&tmp, "flag", NULL), 0);
	ck_assert_int_eq(ti_linkfmt_write_link(&attrs, &tmp), 0);
	tmp.target = NULL;
	ti_link_fini(&tmp);
	/* attrs without "<x>;" */
	id = reg(srv.db, nasty_ep, nasty_d, "coap://192.0.2.5", 600, now + 600000, "a\"b c,d",
		 ti_strbuf_str(&attrs) + 4, ti_strbuf_str(&links));

	/* Endpoint lookup. */
	body = render_ok(RDD_VIEW_LOOKUP_EP, "", 0, RDD_CF_LINK_FORMAT);
	ck_assert_msg(ti_linkfmt_parse(body, strlen(body), NULL, &l, NULL) == 0, "%s", body);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(ti_link_attr_get(&l.v[0], "ep"), nasty_ep);
	ck_assert_str_eq(ti_link_attr_get(&l.v[0], "d"), nasty_d);
	ck_assert_str_eq(ti_link_attr_get(&l.v[0], "et"), "a\"b c,d");
	ck_assert_str_eq(ti_link_attr_get(&l.v[0], "note"), nasty_note);
	ck_assert_uint_eq(ti_link_attr_count(&l.v[0], "flag"), 1);
	ck_assert_uint_eq(l.v[0].n_attrs, 7);
	ck_assert_str_eq(l.v[0].attrs[6].name, "flag");
	ck_assert_ptr_null(l.v[0].attrs[6].value); /* still bare */
	ti_links_fini(&l);
	free(body);

	/* Resource lookup. */
	body = render_ok(RDD_VIEW_LOOKUP_RES, "", 0, RDD_CF_LINK_FORMAT);
	ck_assert_msg(ti_linkfmt_parse(body, strlen(body), NULL, &l, NULL) == 0, "%s", body);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].target, "coap://192.0.2.5/q");
	ck_assert_str_eq(ti_link_attr_get(&l.v[0], "title"), nasty_title);
	ck_assert_str_eq(ti_link_attr_get(&l.v[0], "rt"), nasty_rt);
	ck_assert_str_eq(ti_link_attr_get(&l.v[0], "anchor"), "coap://192.0.2.5/dev");
	ck_assert_uint_eq(l.v[0].n_attrs, 3);
	ti_links_fini(&l);
	free(body);

	/* Found by the nasty values themselves. */
	{
		struct rdd_query q = { 0 };
		struct rdd_error err = { .code = 0 };
		struct ti_strbuf out = TI_STRBUF_INIT(1 << 16);
		char opt[128];
		const char *opts[] = { opt };

		snprintf(opt, sizeof(opt), "title=%s", nasty_title);
		ck_assert_int_eq(rdd_query_parse(opts, 1, &q, &err), 0);
		ck_assert_int_eq(
		    rdd_render(&srv, RDD_VIEW_LOOKUP_RES, &q, 0, RDD_CF_LINK_FORMAT, &out, &err),
		    0);
		ck_assert_int_eq(ti_linkfmt_parse(out.s, out.len, NULL, &l, NULL), 0);
		ck_assert_uint_eq(l.n, 1);
		ti_links_fini(&l);
		rdd_query_fini(&q);
		ti_strbuf_fini(&out);
		snprintf(opt, sizeof(opt), "ep=%s", nasty_ep);
		ck_assert_int_eq(rdd_query_parse(opts, 1, &q, &err), 0);
		ck_assert_int_eq(
		    rdd_render(&srv, RDD_VIEW_LOOKUP_EP, &q, 0, RDD_CF_LINK_FORMAT, &out, &err),
		    0);
		ck_assert_int_eq(ti_linkfmt_parse(out.s, out.len, NULL, &l, NULL), 0);
		ck_assert_uint_eq(l.n, 1);
		ti_links_fini(&l);
		rdd_query_fini(&q);
		ti_strbuf_fini(&out);
	}

	/* GET /reg/<id> gives back the stored payload, which parses to the same values. */
	body = render_ok(RDD_VIEW_REG, "", id, RDD_CF_LINK_FORMAT);
	ck_assert_str_eq(body, ti_strbuf_str(&links));
	ck_assert_int_eq(ti_linkfmt_parse(body, strlen(body), NULL, &l, NULL), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(ti_link_attr_get(&l.v[0], "title"), nasty_title);
	ti_links_fini(&l);
	free(body);

	/* JSON carries them as plain strings. */
	j = render_json(RDD_VIEW_LOOKUP_EP, "", 0);
	assert_member(json_array_get(j, 0), "ep", nasty_ep);
	assert_member(json_array_get(j, 0), "d", nasty_d);
	assert_member(json_array_get(j, 0), "note", nasty_note);
	json_decref(j);
	j = render_json(RDD_VIEW_LOOKUP_RES, "", 0);
	assert_member(json_array_get(j, 0), "title", nasty_title);
	assert_member(json_array_get(j, 0), "rt", nasty_rt);
	json_decref(j);
	j = render_json(RDD_VIEW_REG, "", id);
	assert_member(json_array_get(j, 0), "title", nasty_title);
	assert_member(json_array_get(j, 0), "anchor", "/dev");
	json_decref(j);
	ti_strbuf_fini(&links);
	ti_strbuf_fini(&attrs);
}
END_TEST

/*
 * Results seen by observers
 */

START_TEST(test_hash)
{
	static const char a[] = "</reg/1>;ep=\"a\"", b[] = "</reg/1>;ep=\"b\"";
	uint64_t h = rdd_result_hash(205, RDD_CF_LINK_FORMAT, a, strlen(a));

	/* Deterministic. */
	ck_assert_uint_eq(rdd_result_hash(205, RDD_CF_LINK_FORMAT, a, strlen(a)), h);
	/* Body, code and content format each count. */
	ck_assert_uint_ne(rdd_result_hash(205, RDD_CF_LINK_FORMAT, b, strlen(b)), h);
	ck_assert_uint_ne(rdd_result_hash(404, RDD_CF_LINK_FORMAT, a, strlen(a)), h);
	ck_assert_uint_ne(rdd_result_hash(205, RDD_CF_JSON, a, strlen(a)), h);
	ck_assert_uint_ne(rdd_result_hash(205, RDD_CF_LINK_FORMAT, a, strlen(a) - 1), h);
	ck_assert_uint_ne(rdd_result_hash(205, RDD_CF_LINK_FORMAT, "ab", 2),
			  rdd_result_hash(205, RDD_CF_LINK_FORMAT, "ba", 2));
	/* Empty bodies differ by code and format, and from a body of one NUL. */
	ck_assert_uint_ne(rdd_result_hash(205, RDD_CF_LINK_FORMAT, "", 0),
			  rdd_result_hash(404, RDD_CF_LINK_FORMAT, "", 0));
	ck_assert_uint_ne(rdd_result_hash(205, RDD_CF_LINK_FORMAT, "", 0),
			  rdd_result_hash(205, RDD_CF_JSON, "", 0));
	ck_assert_uint_ne(rdd_result_hash(205, RDD_CF_LINK_FORMAT, "", 0),
			  rdd_result_hash(205, RDD_CF_LINK_FORMAT, "\0", 1));
	ck_assert_uint_eq(rdd_result_hash(205, RDD_CF_LINK_FORMAT, NULL, 0),
			  rdd_result_hash(205, RDD_CF_LINK_FORMAT, "", 0));
	/* "" link-format and "[]" JSON: both empty results, different responses. */
	ck_assert_uint_ne(rdd_result_hash(205, RDD_CF_LINK_FORMAT, "", 0),
			  rdd_result_hash(205, RDD_CF_JSON, "[]", 2));
}
END_TEST

/* The hash of a rendered lookup changes exactly when its result does. */
START_TEST(test_hash_follows_result)
{
	uint64_t h0, h1, h2;
	char *body;
	uint32_t lt = 100;

	body = render_ok(RDD_VIEW_LOOKUP_EP, "d=east", 0, RDD_CF_LINK_FORMAT);
	h0 = rdd_result_hash(205, RDD_CF_LINK_FORMAT, body, strlen(body));
	free(body);
	/* A change elsewhere: same body, same hash. */
	ck_assert_int_eq(rdd_db_update(srv.db, 1, &lt, NULL, 0, NULL, NULL, rdd_wall_ms()), 0);
	body = render_ok(RDD_VIEW_LOOKUP_EP, "d=east", 0, RDD_CF_LINK_FORMAT);
	h1 = rdd_result_hash(205, RDD_CF_LINK_FORMAT, body, strlen(body));
	free(body);
	ck_assert_uint_eq(h1, h0);
	/* A change of the result: lt of node2. */
	ck_assert_int_eq(rdd_db_update(srv.db, 2, &lt, NULL, 0, NULL, NULL, rdd_wall_ms()), 0);
	body = render_ok(RDD_VIEW_LOOKUP_EP, "d=east", 0, RDD_CF_LINK_FORMAT);
	ck_assert_ptr_nonnull(strstr(body, "lt=100"));
	h2 = rdd_result_hash(205, RDD_CF_LINK_FORMAT, body, strlen(body));
	free(body);
	ck_assert_uint_ne(h2, h1);
}
END_TEST

Suite *
rdd_render_suite(void)
{
	Suite *s = suite_create("rdd_render");
	TCase *tc;

	tc = tcase_create("lookup");
	tcase_add_checked_fixture(tc, server_setup, server_teardown);
	tcase_add_loop_test(tc, test_lookup_linkformat, 0, (int)TI_ARRAY_SIZE(lf_cases));
	tcase_add_test(tc, test_lookup_parses_back);
	tcase_add_test(tc, test_json_ep);
	tcase_add_test(tc, test_json_res);
	tcase_add_test(tc, test_json_matches_linkformat);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_query_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("empty");
	tcase_add_checked_fixture(tc, empty_setup, server_teardown);
	tcase_add_test(tc, test_empty_directory);
	tcase_add_test(tc, test_paging_default_cap);
	tcase_add_test(tc, test_quoting);
	suite_add_tcase(s, tc);

	tc = tcase_create("paging");
	tcase_add_checked_fixture(tc, paging_setup, server_teardown);
	tcase_add_loop_test(tc, test_paging, 0, (int)TI_ARRAY_SIZE(page_cases));
	tcase_add_test(tc, test_paging_href);
	tcase_add_test(tc, test_too_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("reg");
	tcase_add_checked_fixture(tc, server_setup, server_teardown);
	tcase_add_test(tc, test_reg_view);
	suite_add_tcase(s, tc);

	tc = tcase_create("hash");
	tcase_add_checked_fixture(tc, server_setup, server_teardown);
	tcase_add_test(tc, test_hash);
	tcase_add_test(tc, test_hash_follows_result);
	suite_add_tcase(s, tc);
	return s;
}
