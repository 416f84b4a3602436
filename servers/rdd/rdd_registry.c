/* SPDX-License-Identifier: BSD-2-Clause */
/* rdd: RFC 9176 request validation between the CoAP handlers and rdd_db. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <jansson.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_linkfmt.h"
#include "ti_util.h"

#include "rdd_registry.h"

/* Per-item limits shared by both payload formats and the query attributes. */
static const struct ti_linkfmt_limits item_limits = TI_LINKFMT_LIMITS_DEFAULT;

/* A scratch buffer for trial serialisation never needs more than one link. */
#define TRIAL_MAX (1u << 20)

enum check_mode {
	MODE_REGISTER,
	MODE_SIMPLE,
	MODE_UPDATE,
};

static const char empty_value[] = "";

static int __attribute__((format(printf, 3, 4)))
fail(struct rdd_error *e, int code, const char *fmt, ...)
{
	int r = code == 413 ? TI_ETOOBIG : code == 415 ? TI_EUNKNOWN : TI_EPARSE;
	va_list ap;

	if (e == NULL)
		return r;
	e->code = code;
	e->size1 = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return r;
}

/* Report a system error r (-ENOMEM, -EINVAL, ...) as 5.00 and pass it on. */
static int
fail_sys(struct rdd_error *e, int r)
{
	if (e != NULL) {
		e->code = 500;
		e->size1 = 0;
		snprintf(e->msg, sizeof(e->msg), "%s",
			 r == -ENOMEM ? "out of memory" : "internal error");
	}
	return r;
}

/* ------------------------------------------------------------------------ */
/* Uri-Query                                                                */
/* ------------------------------------------------------------------------ */

static const char **
reserved_slot(struct rdd_query *q, const char *name, size_t len)
{
	static const char *const names[] = { "ep", "d", "lt", "base", "page", "count" };
	const char **slots[] = { &q->ep, &q->d, &q->lt, &q->base, &q->page, &q->count };

	for (size_t i = 0; i < TI_ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
			return slots[i];
	return NULL;
}

bool
rdd_query_is_reserved(const char *name)
{
	struct rdd_query dummy = { 0 };

	return name != NULL && reserved_slot(&dummy, name, strlen(name)) != NULL;
}

int
rdd_query_add(struct rdd_query *q, const char *opt, size_t len, struct rdd_error *reterr)
{
	struct ti_link_attr *v;
	const char *eq, **slot;
	char *name, *value = NULL;
	size_t nlen;

	if (q == NULL || reterr == NULL || (opt == NULL && len > 0))
		return fail_sys(reterr, -EINVAL);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)opt[i] < 0x20 || opt[i] == 0x7f)
			return fail(reterr, 400, "control character in query");
	eq = len > 0 ? memchr(opt, '=', len) : NULL;
	nlen = eq != NULL ? (size_t)(eq - opt) : len;
	if (nlen == 0)
		return fail(reterr, 400, "empty query parameter name");
	slot = reserved_slot(q, opt, nlen);
	if (slot != NULL && *slot != NULL)
		return fail(reterr, 400, "duplicate '%.*s'", (int)nlen, opt);

	v = reallocarray(q->v, q->n + 1, sizeof(*v));
	if (v == NULL)
		return fail_sys(reterr, -ENOMEM);
	q->v = v;
	name = strndup(opt, nlen);
	if (eq != NULL)
		value = strndup(eq + 1, len - nlen - 1);
	if (name == NULL || (eq != NULL && value == NULL)) {
		free(name);
		free(value);
		return fail_sys(reterr, -ENOMEM);
	}
	q->v[q->n++] = (struct ti_link_attr){ .name = name, .value = value };
	if (slot != NULL)
		*slot = value != NULL ? value : empty_value;
	return 0;
}

int
rdd_query_parse(const char *const *queries, size_t n, struct rdd_query *ret,
		struct rdd_error *reterr)
{
	struct rdd_query q = { 0 };
	int r;

	if (ret == NULL || (queries == NULL && n > 0))
		return fail_sys(reterr, -EINVAL);
	for (size_t i = 0; i < n; i++) {
		if (queries[i] == NULL) {
			rdd_query_fini(&q);
			return fail_sys(reterr, -EINVAL);
		}
		r = rdd_query_add(&q, queries[i], strlen(queries[i]), reterr);
		if (r < 0) {
			rdd_query_fini(&q);
			return r;
		}
	}
	*ret = q;
	return 0;
}

void
rdd_query_fini(struct rdd_query *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->n; i++) {
		free(q->v[i].name);
		free(q->v[i].value);
	}
	free(q->v);
	*q = (struct rdd_query){ 0 };
}

/* ------------------------------------------------------------------------ */
/* Registration parameters                                                  */
/* ------------------------------------------------------------------------ */

/*
 * Decode one UTF-8 sequence at s (NUL-terminated). Returns its length and
 * the code point, or 0 for an invalid, overlong or surrogate sequence.
 */
static size_t
utf8_next(const unsigned char *s, uint32_t *ret_cp)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

/* ep and d: RFC 9176 section 5, at most 63 bytes, no characters 0-31 or 127-159. */
static int
check_name(const char *what, const char *s, size_t min, struct rdd_error *e)
{
	size_t len = strlen(s);

	if (len > RDD_NAME_MAX)
		return fail(e, 400, "%s too long (max %d bytes)", what, RDD_NAME_MAX);
	if (len < min)
		return fail(e, 400, "%s empty", what);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		uint32_t cp;
		size_t n = utf8_next(p, &cp);

		if (n == 0)
			return fail(e, 400, "%s not valid UTF-8", what);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return fail(e, 400, "%s has a control character", what);
		p += n;
	}
	return 0;
}

static uint32_t
clamp_lt(uint64_t v, const struct rdd_policy *pol)
{
	uint32_t lo = pol->lifetime_min > 0 ? pol->lifetime_min : 1;

	if (v < lo)
		v = lo;
	if (v > pol->lifetime_max)
		v = pol->lifetime_max;
	return (uint32_t)v;
}

static int
check_lt(const char *s, const struct rdd_policy *pol, uint32_t *ret_lt, struct rdd_error *e)
{
	uint32_t v;
	int r;

	if (s == NULL) {
		*ret_lt = clamp_lt(pol->lifetime_default, pol);
		return 0;
	}
	r = ti_parse_u32(s, 1, UINT32_MAX, &v);
	if (r == TI_ERANGE)
		return fail(e, 400, "lt out of range (1-4294967295)");
	if (r < 0)
		return fail(e, 400, "lt not a number");
	*ret_lt = clamp_lt(v, pol);
	return 0;
}

/* base: an absolute CoAP URI that a link target can be resolved against. */
static int
check_base(const char *s, char *out, size_t size, struct rdd_error *e)
{
	char resolved[RDD_BASE_MAX + 1];
	struct ti_uri u;
	size_t len = strlen(s);
	int r;

	if (len == 0)
		return fail(e, 400, "base empty");
	if (len > RDD_BASE_MAX)
		return fail(e, 400, "base too long (max %d bytes)", RDD_BASE_MAX);
	if (strpbrk(s, "?#") != NULL)
		return fail(e, 400, "base has a query or fragment");
	r = ti_uri_parse(s, &u);
	if (r == TI_ESCHEME)
		return fail(e, 400,
			    "base scheme not supported (coap, coaps, coap+tcp, coaps+tcp)");
	if (r < 0)
		return fail(e, 400, "base not an absolute URI with a host");
	/* The resolver is what lookups will run: the base must pass it. */
	if (ti_linkfmt_resolve(s, "", resolved, sizeof(resolved)) < 0)
		return fail(e, 400, "base not a valid URI");
	ti_strlcpy(out, s, size);
	return 0;
}

int
rdd_base_from_addr(const struct sockaddr *src, enum ti_transport t, char *buf, size_t size)
{
	char host[TI_ADDR_STRLEN];
	const char *scheme, *open = "[", *close = "]";
	uint16_t port;
	int n, r;

	if (src == NULL || buf == NULL || size == 0 || (unsigned)t > TI_TRANSPORT_TLS)
		return -EINVAL;
	r = ti_addr_format_host(src, host, sizeof(host));
	if (r < 0)
		return r;
	port = ti_addr_port(src);
	if (port == 0)
		return -EINVAL;
	if (ti_addr_is_ipv4(src))
		open = close = "";
	scheme = ti_transport_scheme(t);
	/* RFC 9176 section 5.3: the port only when it is not the scheme's default. */
	if (port == ti_transport_default_port(t))
		n = snprintf(buf, size, "%s://%s%s%s", scheme, open, host, close);
	else
		n = snprintf(buf, size, "%s://%s%s%s:%u", scheme, open, host, close, port);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	return n;
}

/* Whether a link holding only attribute a (on target "/") can be written. */
static int
attr_writable(struct ti_strbuf *sb, const char *name, const char *value)
{
	char root[] = "/";
	struct ti_link_attr a = { .name = (char *)name, .value = (char *)value };
	struct ti_link l = { .target = root, .attrs = &a, .n_attrs = 1 };
	int r;

	ti_strbuf_reset(sb);
	r = ti_linkfmt_write_link(sb, &l);
	return r;
}

/* One extra attribute: a name that may be stored and written back out. */
static int
check_attr(struct ti_strbuf *sb, const char *name, const char *value, struct rdd_error *e)
{
	int r;

	if (strcasecmp(name, "href") == 0)
		return fail(e, 400, "attribute 'href' not allowed");
	if (strlen(name) > item_limits.max_name_len)
		return fail(e, 400, "attribute name too long (max %zu bytes)",
			    item_limits.max_name_len);
	if (value != NULL && strlen(value) > item_limits.max_value_len)
		return fail(e, 400, "value of '%.40s' too long (max %zu bytes)", name,
			    item_limits.max_value_len);
	r = attr_writable(sb, name, NULL);
	if (r == TI_EPARSE)
		return fail(e, 400, "bad attribute name '%.40s'", name);
	if (r == 0 && value != NULL)
		r = attr_writable(sb, name, value);
	if (r == TI_EPARSE)
		return fail(e, 400, "bad value for '%.40s'", name);
	return r < 0 ? fail_sys(e, r) : 0;
}

static int
check_attrs(const struct rdd_query *q, const struct rdd_policy *pol, struct ti_link *attrs,
	    struct rdd_error *e)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(TRIAL_MAX);
	int r = 0;

	for (size_t i = 0; i < q->n && r == 0; i++) {
		const struct ti_link_attr *a = &q->v[i];

		if (rdd_query_is_reserved(a->name))
			continue;
		if (attrs->n_attrs >= pol->max_attrs) {
			r = fail(e, 400, "too many attributes (max %zu)", pol->max_attrs);
			break;
		}
		r = check_attr(&sb, a->name, a->value, e);
		if (r == 0 && (r = ti_link_attr_add(attrs, a->name, a->value)) < 0)
			r = fail_sys(e, r);
	}
	ti_strbuf_fini(&sb);
	return r;
}

static int
check_ep_d(const struct rdd_query *q, const struct rdd_policy *pol, struct rdd_params *p,
	   struct rdd_error *e)
{
	const char *ep = q->ep != NULL ? q->ep : pol->default_ep;
	const char *d = q->d != NULL ? q->d : pol->default_d;
	int r;

	if (ep == NULL)
		return fail(e, 400, "missing ep");
	if ((r = check_name("ep", ep, 1, e)) < 0)
		return r;
	ti_strlcpy(p->ep, ep, sizeof(p->ep));
	if (d != NULL) {
		if ((r = check_name("d", d, 0, e)) < 0)
			return r;
		ti_strlcpy(p->d, d, sizeof(p->d));
	}
	return 0;
}

static int
check_base_param(const struct rdd_query *q, const struct sockaddr *src, enum ti_transport t,
		 enum check_mode mode, struct rdd_params *p, struct rdd_error *e)
{
	int r;

	if (q->base != NULL) {
		if (mode == MODE_SIMPLE)
			return fail(e, 400, "base not allowed in simple registration");
		p->base_given = true;
		return check_base(q->base, p->base, sizeof(p->base), e);
	}
	r = rdd_base_from_addr(src, t, p->base, sizeof(p->base));
	if (r < 0) {
		fail_sys(e, r);
		snprintf(e->msg, sizeof(e->msg), "cannot derive base from the source address");
		return r;
	}
	return 0;
}

static int
check_params(const struct rdd_query *q, const struct rdd_policy *pol, const struct sockaddr *src,
	     enum ti_transport t, enum check_mode mode, struct rdd_params *ret,
	     struct rdd_error *reterr)
{
	const char *what = mode == MODE_UPDATE ? "update" : "registration";
	struct rdd_params p = { .lt_given = false };
	int r;

	if (q == NULL || pol == NULL || src == NULL || ret == NULL || reterr == NULL)
		return fail_sys(reterr, -EINVAL);
	if (q->page != NULL)
		return fail(reterr, 400, "page not allowed in %s", what);
	if (q->count != NULL)
		return fail(reterr, 400, "count not allowed in %s", what);
	if (mode == MODE_UPDATE) {
		if (q->ep != NULL)
			return fail(reterr, 400, "ep not allowed in update");
		if (q->d != NULL)
			return fail(reterr, 400, "d not allowed in update");
	} else if ((r = check_ep_d(q, pol, &p, reterr)) < 0) {
		return r;
	}
	if ((r = check_lt(q->lt, pol, &p.lt, reterr)) < 0)
		return r;
	p.lt_given = q->lt != NULL;
	if ((r = check_base_param(q, src, t, mode, &p, reterr)) < 0)
		return r;
	if ((r = check_attrs(q, pol, &p.attrs, reterr)) < 0) {
		rdd_params_fini(&p);
		return r;
	}
	*ret = p;
	return 0;
}

int
rdd_registration_check(const struct rdd_query *q, const struct rdd_policy *pol,
		       const struct sockaddr *src, enum ti_transport t, struct rdd_params *ret,
		       struct rdd_error *reterr)
{
	return check_params(q, pol, src, t, MODE_REGISTER, ret, reterr);
}

int
rdd_simple_registration_check(const struct rdd_query *q, const struct rdd_policy *pol,
			      const struct sockaddr *src, enum ti_transport t,
			      struct rdd_params *ret, struct rdd_error *reterr)
{
	return check_params(q, pol, src, t, MODE_SIMPLE, ret, reterr);
}

int
rdd_update_check(const struct rdd_query *q, const struct rdd_policy *pol,
		 const struct sockaddr *src, enum ti_transport t, struct rdd_params *ret,
		 struct rdd_error *reterr)
{
	return check_params(q, pol, src, t, MODE_UPDATE, ret, reterr);
}

void
rdd_params_fini(struct rdd_params *p)
{
	if (p == NULL)
		return;
	ti_link_fini(&p->attrs);
	*p = (struct rdd_params){ .lt_given = false };
}

/* ------------------------------------------------------------------------ */
/* Registration payload                                                     */
/* ------------------------------------------------------------------------ */

static int
parse_linkfmt(const uint8_t *payload, size_t len, const struct rdd_policy *pol,
	      struct ti_links *ret, struct rdd_error *e)
{
	struct ti_linkfmt_limits lim = item_limits;
	struct ti_links probe = { 0 };
	size_t off = 0;
	int r;

	lim.max_links = pol->max_links;
	lim.max_attrs_per_link = pol->max_attrs;
	r = ti_linkfmt_parse((const char *)payload, len, &lim, ret, &off);
	if (r == 0)
		return 0;
	if (r == TI_EPARSE)
		return fail(e, 400, "malformed link-format at byte %zu", off);
	if (r != TI_ETOOBIG)
		return fail_sys(e, r);
	/*
	 * The codec reports every limit the same way: parse again without the
	 * link count limit (a payload has fewer links than bytes; its size is
	 * capped already) to tell "too many links" from an oversized item.
	 */
	lim.max_links = len + 1;
	r = ti_linkfmt_parse((const char *)payload, len, &lim, &probe, &off);
	ti_links_fini(&probe);
	if (r == 0)
		return fail(e, 413, "too many links (max %zu)", pol->max_links);
	if (r == -ENOMEM)
		return fail_sys(e, r);
	return fail(e, 413, "link over a size limit at byte %zu", off);
}

/* Add one JSON member value (string or true) as an attribute. */
static int
json_attr_add(struct ti_link *l, size_t i, const char *key, const json_t *v, struct rdd_error *e)
{
	const char *value = NULL;
	int r;

	if (json_is_string(v)) {
		value = json_string_value(v);
		if (json_string_length(v) > item_limits.max_value_len)
			return fail(e, 413, "links[%zu]: value of '%.32s' too long", i, key);
	} else if (!json_is_true(v)) {
		return fail(e, 400, "links[%zu]: '%.32s' must be a string, true or an array", i,
			    key);
	}
	if ((r = ti_link_attr_add(l, key, value)) < 0)
		return fail_sys(e, r);
	return 0;
}

static int
json_link_add(struct ti_links *links, size_t i, const json_t *obj, const struct rdd_policy *pol,
	      struct rdd_error *e)
{
	const json_t *href, *v;
	struct ti_link *l;
	const char *key;
	int r;

	if (!json_is_object(obj))
		return fail(e, 400, "links[%zu]: not a JSON object", i);
	href = json_object_get(obj, "href");
	if (!json_is_string(href))
		return fail(e, 400, "links[%zu]: missing or non-string href", i);
	if (json_string_length(href) > item_limits.max_target_len)
		return fail(e, 413, "links[%zu]: href too long", i);
	if ((r = ti_links_add(links, json_string_value(href), &l)) < 0)
		return fail_sys(e, r);
	json_object_foreach((json_t *)obj, key, v)
	{
		size_t k;
		const json_t *item;

		if (strcmp(key, "href") == 0)
			continue;
		if (strlen(key) > item_limits.max_name_len)
			return fail(e, 413, "links[%zu]: member name too long", i);
		if (!json_is_array(v)) {
			r = json_attr_add(l, i, key, v, e);
		} else if (json_array_size(v) == 0) {
			r = fail(e, 400, "links[%zu]: empty array for '%.32s'", i, key);
		} else {
			r = 0;
			json_array_foreach(v, k,
					   item) if (r == 0 && l->n_attrs < pol->max_attrs + 1) r =
			    json_attr_add(l, i, key, item, e);
		}
		if (r < 0)
			return r;
		if (l->n_attrs > pol->max_attrs)
			return fail(e, 413, "links[%zu]: too many attributes (max %zu)", i,
				    pol->max_attrs);
	}
	return 0;
}

static int
parse_json(const uint8_t *payload, size_t len, const struct rdd_policy *pol, struct ti_links *ret,
	   struct rdd_error *e)
{
	struct ti_links links = { 0 };
	json_error_t jerr;
	json_t *root, *obj;
	size_t i;
	int r = 0;

	root = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return fail(e, 400, "malformed JSON at byte %d", jerr.position);
	if (!json_is_array(root)) {
		r = fail(e, 400, "JSON payload must be an array of links");
		goto out_decref;
	}
	if (json_array_size(root) > pol->max_links) {
		r = fail(e, 413, "too many links (max %zu)", pol->max_links);
		goto out_decref;
	}
	json_array_foreach(root, i, obj)
	{
		if ((r = json_link_add(&links, i, obj, pol, e)) < 0)
			break;
	}
	if (r < 0)
		ti_links_fini(&links);
	else
		*ret = links;
out_decref:
	json_decref(root);
	return r;
}

/* Which part of l the writer refuses: the target or an attribute. */
static int
explain_unwritable(struct ti_strbuf *sb, size_t i, const struct ti_link *l, struct rdd_error *e)
{
	struct ti_link bare = { .target = l->target };

	ti_strbuf_reset(sb);
	if (ti_linkfmt_write_link(sb, &bare) == TI_EPARSE)
		return fail(e, 400, "links[%zu]: target is not a URI reference", i);
	for (size_t k = 0; k < l->n_attrs; k++) {
		const struct ti_link_attr *a = &l->attrs[k];

		if (attr_writable(sb, a->name, NULL) == TI_EPARSE)
			return fail(e, 400, "links[%zu]: bad attribute name", i);
		if (attr_writable(sb, a->name, a->value) == TI_EPARSE)
			return fail(e, 400, "links[%zu]: bad value for '%.32s'", i, a->name);
	}
	return fail(e, 400, "links[%zu]: cannot be written as link-format", i);
}

/* RFC 9176 appendix C, and what the lookup side needs to write links back. */
static int
check_links(const struct ti_links *links, struct rdd_error *e)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(TRIAL_MAX);
	int r = 0;

	for (size_t i = 0; i < links->n && r == 0; i++) {
		const struct ti_link *l = &links->v[i];
		struct ti_link bare = { .target = l->target };

		if (ti_link_attr_count(l, "href") > 0) {
			r = fail(e, 400, "links[%zu]: attribute 'href' not allowed", i);
			break;
		}
		ti_strbuf_reset(&sb);
		r = ti_linkfmt_write_link(&sb, l);
		if (r == TI_EPARSE) {
			r = explain_unwritable(&sb, i, l, e);
			break;
		}
		if (r < 0) {
			r = fail_sys(e, r);
			break;
		}
		if (ti_linkfmt_check_limited(l) == 0)
			continue;
		if (ti_linkfmt_check_limited(&bare) != 0)
			r = fail(e, 400, "target '%.64s' not absolute or path-absolute",
				 l->target);
		else
			r = fail(e, 400, "anchor '%.64s' not usable with its target",
				 ti_link_attr_get(l, "anchor"));
	}
	ti_strbuf_fini(&sb);
	return r;
}

int
rdd_links_parse(const uint8_t *payload, size_t len, unsigned content_format,
		const struct rdd_policy *pol, struct ti_links *ret, struct rdd_error *reterr)
{
	struct ti_links links = { 0 };
	int r;

	if (pol == NULL || ret == NULL || reterr == NULL || (payload == NULL && len > 0))
		return fail_sys(reterr, -EINVAL);
	if (len > pol->max_payload) {
		r = fail(reterr, 413, "payload too large (max %zu bytes)", pol->max_payload);
		reterr->size1 =
		    pol->max_payload > UINT32_MAX ? UINT32_MAX : (uint32_t)pol->max_payload;
		return r;
	}
	switch (content_format) {
	case RDD_CF_LINK_FORMAT:
		r = parse_linkfmt(payload, len, pol, &links, reterr);
		break;
	case RDD_CF_JSON:
		r = parse_json(payload, len, pol, &links, reterr);
		break;
	default:
		return fail(reterr, 415, "content format %u not supported (40, 50)",
			    content_format);
	}
	if (r < 0)
		return r;
	if ((r = check_links(&links, reterr)) < 0) {
		ti_links_fini(&links);
		return r;
	}
	*ret = links;
	return 0;
}

/* The JSON value of every attribute of l called name: one, or an array. */
static json_t *
json_attr_value(const struct ti_link *l, const char *name)
{
	json_t *arr;

	if (ti_link_attr_count(l, name) == 1) {
		for (size_t k = 0; k < l->n_attrs; k++)
			if (strcasecmp(l->attrs[k].name, name) == 0)
				return l->attrs[k].value != NULL ? json_string(l->attrs[k].value)
								 : json_true();
	}
	arr = json_array();
	for (size_t k = 0; arr != NULL && k < l->n_attrs; k++) {
		const struct ti_link_attr *a = &l->attrs[k];

		if (strcasecmp(a->name, name) != 0)
			continue;
		if (json_array_append_new(arr, a->value != NULL ? json_string(a->value)
								: json_true()) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *
json_link(const struct ti_link *l, int *ret_err)
{
	json_t *obj = json_object();

	*ret_err = TI_EPARSE;
	if (obj == NULL || l->target == NULL ||
	    json_object_set_new(obj, "href", json_string(l->target)) < 0)
		goto out_free;
	for (size_t k = 0; k < l->n_attrs; k++) {
		const char *name = l->attrs[k].name;
		bool seen = false;

		if (strcasecmp(name, "href") == 0)
			goto out_free;
		for (size_t j = 0; j < k && !seen; j++)
			seen = strcasecmp(l->attrs[j].name, name) == 0;
		if (seen)
			continue;
		if (json_object_set_new(obj, name, json_attr_value(l, name)) < 0)
			goto out_free;
	}
	return obj;
out_free:
	json_decref(obj);
	return NULL;
}

int
rdd_links_write_json(const struct ti_links *l, struct ti_strbuf *out)
{
	json_t *arr;
	char *s;
	int r = 0;

	if (l == NULL || out == NULL)
		return -EINVAL;
	arr = json_array();
	if (arr == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < l->n && r == 0; i++) {
		json_t *obj = json_link(&l->v[i], &r);

		if (obj == NULL)
			break;
		r = json_array_append_new(arr, obj) < 0 ? -ENOMEM : 0;
	}
	if (r == 0) {
		s = json_dumps(arr, JSON_COMPACT);
		r = s != NULL ? ti_strbuf_puts(out, s) : -ENOMEM;
		free(s);
	}
	json_decref(arr);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Lookup                                                                   */
/* ------------------------------------------------------------------------ */

static int
parse_paging(const char *what, const char *s, uint32_t *ret, struct rdd_error *e)
{
	int r = ti_parse_u32(s, 0, UINT32_MAX, ret);

	if (r == TI_ERANGE)
		return fail(e, 400, "%s out of range (0-4294967295)", what);
	if (r < 0)
		return fail(e, 400, "%s not a number", what);
	return 0;
}

int
rdd_lookup_parse(const struct rdd_query *q, const struct rdd_policy *pol, struct rdd_lookup *ret,
		 struct rdd_error *reterr)
{
	struct rdd_lookup lk = { .count_given = false };
	uint32_t count = 0;
	int r;

	if (q == NULL || pol == NULL || ret == NULL || reterr == NULL)
		return fail_sys(reterr, -EINVAL);
	if (q->page != NULL && (r = parse_paging("page", q->page, &lk.page, reterr)) < 0)
		return r;
	if (q->count != NULL && (r = parse_paging("count", q->count, &count, reterr)) < 0)
		return r;
	if (q->page != NULL && q->count == NULL)
		return fail(reterr, 400, "page requires count");
	lk.count_given = q->count != NULL;
	lk.count = lk.count_given && count < pol->max_count ? count : pol->max_count;
	/* The page starts where the client expects it; only its length is capped. */
	lk.offset = (uint64_t)lk.page * count;

	if (q->n > 0 && (lk.filters = calloc(q->n, sizeof(*lk.filters))) == NULL)
		return fail_sys(reterr, -ENOMEM);
	for (size_t i = 0; i < q->n; i++) {
		const struct ti_link_attr *a = &q->v[i];

		if (strcasecmp(a->name, "page") == 0 || strcasecmp(a->name, "count") == 0)
			continue;
		lk.filters[lk.n_filters++] =
		    (struct rdd_filter){ .name = a->name, .pattern = a->value };
	}
	*ret = lk;
	return 0;
}

void
rdd_lookup_fini(struct rdd_lookup *lk)
{
	if (lk == NULL)
		return;
	free(lk->filters);
	*lk = (struct rdd_lookup){ .count_given = false };
}
