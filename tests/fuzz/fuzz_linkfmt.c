/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz target: ti_linkfmt parse, and write/re-parse equality, matching and resolution of what
 * parsed. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ti_err.h"
#include "ti_linkfmt.h"
#include "fuzz.h"


static const struct ti_linkfmt_limits lim = {
	.max_links = 64,
	.max_attrs_per_link = 16,
	.max_target_len = 256,
	.max_name_len = 32,
	.max_value_len = 256,
};

static void
check(int cond)
{
	if (!cond)
		abort();
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
check_same(const struct ti_links *a, const struct ti_links *b)
{
	check(a->n == b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct ti_link *x = &a->v[i], *y = &b->v[i];

		check(str_eq(x->target, y->target));
		check(x->n_attrs == y->n_attrs);
		for (size_t k = 0; k < x->n_attrs; k++) {
			check(str_eq(x->attrs[k].name, y->attrs[k].name));
			check(str_eq(x->attrs[k].value, y->attrs[k].value));
		}
	}
}

/* Lookups and resolution over a parsed link: no crash, and self-consistent answers. */
static void
exercise(const struct ti_link *l)
{
	char out[600];
	int r;

	r = ti_linkfmt_resolve("coap://[2001:db8::1]:5683/rd/x?q", l->target, out, sizeof(out));
	check(r == TI_EPARSE || r == -ENOSPC || (r >= 0 && (size_t)r == strlen(out)));
	r = ti_linkfmt_resolve("coap://h", l->target, out, 8);
	check(r == TI_EPARSE || r == -ENOSPC || (r >= 0 && r < 8));
	r = ti_linkfmt_check_limited(l);
	check(r == 0 || r == TI_EPARSE);
	check(ti_link_match(l, "href", l->target) == 1);
	for (size_t k = 0; k < l->n_attrs; k++) {
		const struct ti_link_attr *a = &l->attrs[k];
		const char *v = a->value != NULL ? a->value : "";

		/* "href" filters on the target, not on an attribute of that name. */
		if (strcasecmp(a->name, "href") != 0)
			check(ti_link_match(l, a->name, v) == 1);
		check(ti_link_match(l, a->name, NULL) == 1);
		check(ti_linkfmt_match_any(v, "*") == 1);
		check(ti_link_attr_get(l, a->name) != NULL);
		check(ti_link_attr_count(l, a->name) >= 1);
		/* The value as a pattern against every other value, both ways. */
		for (size_t j = 0; j < l->n_attrs; j++) {
			const char *w = l->attrs[j].value;

			if (ti_linkfmt_match(w, v))
				check(ti_linkfmt_match_any(w, v));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(1 << 20);
	struct ti_links a = { 0 }, b = { 0 };
	size_t off = SIZE_MAX;
	int r;

	r = ti_linkfmt_parse((const char *)data, size, &lim, &a, &off);
	if (r < 0) {
		check(r == TI_EPARSE || r == TI_ETOOBIG || r == -ENOMEM);
		check(off <= size);
		return 0;
	}
	check(a.n <= lim.max_links);

	/* What parsed must write, and the written form must parse back the same. */
	check(ti_linkfmt_write(&sb, &a) == 0);
	r = ti_linkfmt_parse(sb.s, sb.len, &lim, &b, &off);
	check(r == 0);
	check_same(&a, &b);

	for (size_t i = 0; i < a.n; i++)
		exercise(&a.v[i]);

	/* Resolving a target that is itself an absolute URI must also work as a base. */
	if (a.n > 0 && b.n > 0) {
		char out[600];

		r = ti_linkfmt_resolve(a.v[0].target, b.v[b.n - 1].target, out, sizeof(out));
		check(r == TI_EPARSE || r == -ENOSPC || r >= 0);
	}

	ti_links_fini(&a);
	ti_links_fini(&b);
	ti_strbuf_fini(&sb);
	return 0;
}
