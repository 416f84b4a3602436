/* SPDX-License-Identifier: BSD-2-Clause */
/* rdd: the bodies of GET /reg/<id>, /rd-lookup/ep and /rd-lookup/res (RFC 9176 sections 5, 6). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ti_err.h"
#include "ti_linkfmt.h"

#include "rdd_db.h"
#include "rdd_registry.h"
#include "rdd_server.h"

int64_t
rdd_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t
rdd_result_hash(int code, unsigned cf, const void *body, size_t len)
{
	const unsigned char *p = body;
	uint64_t h = 0xcbf29ce484222325ull;

	h = (h ^ (uint64_t)code) * 0x100000001b3ull;
	h = (h ^ (uint64_t)cf) * 0x100000001b3ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* State of one lookup: paging is done here so that a capped count keeps the offset. */
struct render {
	struct ti_strbuf *out;
	unsigned cf;
	uint64_t skip;	   /* results still to pass over */
	uint32_t left;	   /* results still to emit */
	struct ti_links json; /* cf 50: the links, written at the end */
	const char **href;    /* endpoint lookup: href patterns on /reg/<id> */
	size_t n_href;
};

/* 1: emit this result; 0: skip it. */
static int
take(struct render *r)
{
	if (r->skip > 0) {
		r->skip--;
		return 0;
	}
	return 1;
}

/* Append one link (link-format) or keep it for the JSON array. */
static int
emit(struct render *r, struct ti_link *l)
{
	int e;

	if (r->cf == RDD_CF_JSON) {
		struct ti_links *j = &r->json;
		struct ti_link *nl;

		e = ti_links_add(j, l->target, &nl);
		for (size_t i = 0; e == 0 && i < l->n_attrs; i++)
			e = ti_link_attr_add(nl, l->attrs[i].name, l->attrs[i].value);
	} else {
		if (r->out->len > 0 && (e = ti_strbuf_putc(r->out, ',')) < 0)
			return e;
		e = ti_linkfmt_write_link(r->out, l);
	}
	if (e < 0)
		return e;
	return --r->left == 0 ? 1 : 0;
}

/* Extra registration attributes as stored (link-format parameters) into l. */
static int
add_stored_attrs(struct ti_link *l, const char *attrs)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(64 * 1024);
	struct ti_links tmp = { 0 };
	int r;

	if (attrs == NULL || attrs[0] == '\0')
		return 0;
	r = ti_strbuf_printf(&sb, "<x>;%s", attrs);
	if (r == 0)
		r = ti_linkfmt_parse(ti_strbuf_str(&sb), sb.len, NULL, &tmp, NULL);
	for (size_t i = 0; r == 0 && tmp.n == 1 && i < tmp.v[0].n_attrs; i++)
		r = ti_link_attr_add(l, tmp.v[0].attrs[i].name, tmp.v[0].attrs[i].value);
	ti_links_fini(&tmp);
	ti_strbuf_fini(&sb);
	return r;
}

/* RFC 9176 section 6: one link per registration, to its registration resource. */
static int
ep_cb(void *arg, const struct rdd_reg *reg)
{
	struct render *r = arg;
	struct ti_link l = { 0 };
	char target[32], lt[16];
	int e;

	snprintf(target, sizeof(target), "/reg/%" PRId64, reg->id);
	for (size_t i = 0; i < r->n_href; i++)
		if (!ti_linkfmt_match(target, r->href[i]))
			return 0;
	if (!take(r))
		return 0;
	snprintf(lt, sizeof(lt), "%" PRIu32, reg->lt);
	l.target = target;
	e = ti_link_attr_add(&l, "ep", reg->ep);
	if (e == 0 && reg->d != NULL && reg->d[0] != '\0')
		e = ti_link_attr_add(&l, "d", reg->d);
	if (e == 0)
		e = ti_link_attr_add(&l, "base", reg->base);
	if (e == 0)
		e = ti_link_attr_add(&l, "lt", lt);
	if (e == 0 && reg->et != NULL && reg->et[0] != '\0')
		e = ti_link_attr_add(&l, "et", reg->et);
	if (e == 0)
		e = add_stored_attrs(&l, reg->attrs);
	if (e == 0)
		e = emit(r, &l);
	l.target = NULL;
	ti_link_fini(&l);
	return e;
}

/* RFC 9176 section 6: the link with its target resolved and its anchor made explicit. */
static int
res_cb(void *arg, const struct rdd_db_link *dl)
{
	struct render *r = arg;
	struct ti_link l = { 0 };
	int e = 0;

	if (!take(r))
		return 0;
	l.target = (char *)dl->href;
	for (size_t i = 0; e == 0 && i < dl->link->n_attrs; i++) {
		const struct ti_link_attr *a = &dl->link->attrs[i];
		if (strcasecmp(a->name, "anchor") != 0)
			e = ti_link_attr_add(&l, a->name, a->value);
	}
	if (e == 0)
		e = ti_link_attr_add(&l, "anchor", dl->anchor);
	if (e == 0)
		e = emit(r, &l);
	l.target = NULL;
	ti_link_fini(&l);
	return e;
}

static int
fail(struct rdd_error *e, int code, const char *msg, int r)
{
	e->code = code;
	e->size1 = 0;
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	return r;
}

static int
render_reg(struct rdd_server *s, int64_t id, unsigned cf, struct ti_strbuf *out,
	   struct rdd_error *reterr)
{
	struct rdd_reg reg;
	int r = rdd_db_get(s->db, id, rdd_wall_ms(), &reg);

	if (r == -ENOENT)
		return fail(reterr, 404, "no such registration", -ENOENT);
	if (r < 0)
		return fail(reterr, 500, "database error", r);
	if (cf == RDD_CF_JSON) {
		struct ti_links links = { 0 };
		r = ti_linkfmt_parse(reg.links, strlen(reg.links), NULL, &links, NULL);
		if (r == 0)
			r = rdd_links_write_json(&links, out);
		ti_links_fini(&links);
	} else {
		r = ti_strbuf_puts(out, reg.links);
	}
	rdd_reg_fini(&reg);
	return r < 0 ? fail(reterr, 500, "cannot write the links", r) : 0;
}

/*
 * Endpoint lookup. RFC 9176 section 6: there, href names the registration
 * resource (/reg/<id>), which is not an attribute of any stored link, so
 * href filters are applied here to the output and the others go to rdd_db.
 */
static int
lookup_ep(struct rdd_server *s, const struct rdd_lookup *lk, struct render *r)
{
	struct rdd_filter *f = calloc(lk->n_filters + 1, sizeof(*f));
	const char **href = calloc(lk->n_filters + 1, sizeof(*href));
	size_t nf = 0;
	int e;

	if (f == NULL || href == NULL) {
		free(f);
		free(href);
		return -ENOMEM;
	}
	for (size_t i = 0; i < lk->n_filters; i++) {
		if (strcasecmp(lk->filters[i].name, "href") == 0)
			href[r->n_href++] = lk->filters[i].pattern ? lk->filters[i].pattern : "*";
		else
			f[nf++] = lk->filters[i];
	}
	r->href = href;
	e = rdd_db_lookup_ep(s->db, nf ? f : NULL, nf, rdd_wall_ms(), 0, 0, ep_cb, r);
	free(f);
	free(href);
	return e;
}

int
rdd_render(struct rdd_server *s, enum rdd_view view, const struct rdd_query *q, int64_t id,
	   unsigned cf, struct ti_strbuf *out, struct rdd_error *reterr)
{
	struct rdd_lookup lk = { 0 };
	struct render r = { .out = out, .cf = cf };
	int e;

	if (view == RDD_VIEW_REG)
		return render_reg(s, id, cf, out, reterr);
	if ((e = rdd_lookup_parse(q, &s->pol, &lk, reterr)) < 0)
		return e;
	r.skip = lk.offset;
	r.left = lk.count;
	if (r.left == 0) {
		rdd_lookup_fini(&lk);
		return cf == RDD_CF_JSON ? ti_strbuf_puts(out, "[]") : 0;
	}
	if ((e = rdd_db_read_begin(s->db)) < 0) {
		rdd_lookup_fini(&lk);
		return fail(reterr, 500, "database error", e);
	}
	if (view == RDD_VIEW_LOOKUP_EP)
		e = lookup_ep(s, &lk, &r);
	else
		e = rdd_db_lookup_res(s->db, lk.filters, lk.n_filters, rdd_wall_ms(), 0, 0, res_cb,
				      &r);
	rdd_db_read_end(s->db);
	rdd_lookup_fini(&lk);
	if (e >= 0 && cf == RDD_CF_JSON)
		e = rdd_links_write_json(&r.json, out);
	ti_links_fini(&r.json);
	if (e == TI_ETOOBIG)
		return fail(reterr, 500, "lookup result too large: use count", e);
	if (e < 0)
		return fail(reterr, 500, "lookup failed", e);
	return 0;
}
