/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: RFC 6690 link-format codec, lookup matching and RFC 3986 reference resolution. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ti_err.h"
#include "ti_linkfmt.h"
#include "ti_util.h"

/* ------------------------------------------------------------------------ */
/* String buffer                                                            */
/* ------------------------------------------------------------------------ */

void
ti_strbuf_init(struct ti_strbuf *sb, size_t max)
{
	*sb = (struct ti_strbuf){ .max = max };
}

void
ti_strbuf_fini(struct ti_strbuf *sb)
{
	if (sb == NULL)
		return;
	TI_FREE(&sb->s);
	sb->len = 0;
	sb->cap = 0;
}

void
ti_strbuf_reset(struct ti_strbuf *sb)
{
	ti_strbuf_truncate(sb, 0);
}

void
ti_strbuf_truncate(struct ti_strbuf *sb, size_t len)
{
	if (len >= sb->len)
		return;
	sb->len = len;
	sb->s[len] = '\0';
}

const char *
ti_strbuf_str(const struct ti_strbuf *sb)
{
	return sb->s != NULL ? sb->s : "";
}

char *
ti_strbuf_steal(struct ti_strbuf *sb)
{
	char *s = sb->s != NULL ? sb->s : strdup("");

	if (s == NULL)
		return NULL;
	ti_strbuf_init(sb, sb->max);
	return s;
}

/* Make room for add more bytes and the NUL. */
static int
strbuf_reserve(struct ti_strbuf *sb, size_t add)
{
	size_t need, cap;
	char *s;

	if (sb->len > sb->max || add > sb->max - sb->len)
		return TI_ETOOBIG;
	if (sb->len + add >= SIZE_MAX / 2)
		return -ENOMEM;
	need = sb->len + add + 1;
	if (need <= sb->cap)
		return 0;
	cap = sb->cap > 0 ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	s = realloc(sb->s, cap);
	if (s == NULL)
		return -ENOMEM;
	sb->s = s;
	sb->cap = cap;
	return 0;
}

int
ti_strbuf_append(struct ti_strbuf *sb, const void *s, size_t n)
{
	int r = strbuf_reserve(sb, n);

	if (r < 0)
		return r;
	if (n > 0)
		memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
	return 0;
}

int
ti_strbuf_puts(struct ti_strbuf *sb, const char *s)
{
	return ti_strbuf_append(sb, s, strlen(s));
}

int
ti_strbuf_putc(struct ti_strbuf *sb, char c)
{
	return ti_strbuf_append(sb, &c, 1);
}

int
ti_strbuf_printf(struct ti_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	r = strbuf_reserve(sb, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Character classes                                                        */
/* ------------------------------------------------------------------------ */

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* parmname (RFC 5987 attr-char without '%', the name part of RFC 6690 link-extension). */
static bool
is_parmchar(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL);
}

/* ptokenchar (RFC 6690 section 2): printable ASCII except '"' ',' ';' '\'. */
static bool
is_ptokenchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
}

/* RFC 3986 section 2: unreserved and reserved characters ('%' is checked separately). */
static bool
is_urichar(unsigned char c)
{
	return is_alpha(c) || is_digit(c) ||
	       (c != '\0' && strchr("-._~:/?#[]@!$&'()*+,;=", c) != NULL);
}

/* Offset of the first byte of s[0..n) that cannot be in a URI-reference, or n. */
static size_t
uri_check(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (n - i < 3 || !is_hex((unsigned char)s[i + 1]) ||
			    !is_hex((unsigned char)s[i + 2]))
				return i;
			i += 2;
		} else if (!is_urichar(c)) {
			return i;
		}
	}
	return n;
}

/*
 * Length of the text character at s (1 to 4 bytes): printable ASCII, HTAB,
 * or a well-formed UTF-8 sequence that is neither a surrogate nor a C1
 * control. 0 when s[0..n) does not start with one.
 */
static size_t
text_char_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp, min;
	size_t need;

	if (s[0] < 0x80)
		return (s[0] >= 0x20 && s[0] != 0x7f) || s[0] == '\t' ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1, cp = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2, cp = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n <= need)
		return 0;
	for (size_t k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f)
		return 0;
	return need + 1;
}

/* ------------------------------------------------------------------------ */
/* Link lists                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Arrays carry no capacity field: their capacity is implied by their
 * length (0, then powers of two from 4), so the parser and the builders
 * agree on when to grow.
 */
static size_t
array_cap(size_t n)
{
	size_t cap = 4;

	if (n == 0)
		return 0;
	while (cap < n && cap <= SIZE_MAX / 2)
		cap *= 2;
	return cap;
}

/* Room for element n (0-based) of an array of n elements; NULL on OOM. */
static void *
array_grow(void *v, size_t n, size_t elem)
{
	size_t cap = array_cap(n);

	if (n < cap)
		return v;
	cap = array_cap(n + 1);
	if (cap > SIZE_MAX / elem)
		return NULL;
	return realloc(v, cap * elem);
}

void
ti_link_fini(struct ti_link *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n_attrs; i++) {
		free(l->attrs[i].name);
		free(l->attrs[i].value);
	}
	TI_FREE(&l->attrs);
	TI_FREE(&l->target);
	l->n_attrs = 0;
}

void
ti_links_fini(struct ti_links *links)
{
	if (links == NULL)
		return;
	for (size_t i = 0; i < links->n; i++)
		ti_link_fini(&links->v[i]);
	TI_FREE(&links->v);
	links->n = 0;
}

int
ti_links_add(struct ti_links *links, const char *target, struct ti_link **ret_link)
{
	struct ti_link *v;
	char *t;

	if (links == NULL || target == NULL)
		return -EINVAL;
	t = strdup(target);
	if (t == NULL)
		return -ENOMEM;
	v = array_grow(links->v, links->n, sizeof(*v));
	if (v == NULL) {
		free(t);
		return -ENOMEM;
	}
	links->v = v;
	v[links->n] = (struct ti_link){ .target = t };
	if (ret_link != NULL)
		*ret_link = &v[links->n];
	links->n++;
	return 0;
}

int
ti_link_set_target(struct ti_link *l, const char *target)
{
	char *t;

	if (l == NULL || target == NULL)
		return -EINVAL;
	t = strdup(target);
	if (t == NULL)
		return -ENOMEM;
	free(l->target);
	l->target = t;
	return 0;
}

/* Append an attribute, taking ownership of name and value (even on error). */
static int
attr_push(struct ti_link *l, char *name, char *value)
{
	struct ti_link_attr *a = array_grow(l->attrs, l->n_attrs, sizeof(*a));

	if (a == NULL) {
		free(name);
		free(value);
		return -ENOMEM;
	}
	l->attrs = a;
	a[l->n_attrs++] = (struct ti_link_attr){ .name = name, .value = value };
	return 0;
}

/* strdup() that maps NULL to NULL; *ret_oom tells an OOM from a NULL input. */
static char *
dup_or_null(const char *s, bool *ret_oom)
{
	char *d;

	*ret_oom = false;
	if (s == NULL)
		return NULL;
	d = strdup(s);
	*ret_oom = d == NULL;
	return d;
}

int
ti_link_attr_add(struct ti_link *l, const char *name, const char *value)
{
	bool oom;
	char *n, *v;

	if (l == NULL || name == NULL)
		return -EINVAL;
	n = strdup(name);
	v = dup_or_null(value, &oom);
	if (n == NULL || oom) {
		free(n);
		free(v);
		return -ENOMEM;
	}
	return attr_push(l, n, v);
}

int
ti_link_attr_set(struct ti_link *l, const char *name, const char *value)
{
	size_t first;
	bool oom;
	char *v;

	if (l == NULL || name == NULL)
		return -EINVAL;
	for (first = 0; first < l->n_attrs; first++)
		if (strcasecmp(l->attrs[first].name, name) == 0)
			break;
	if (first == l->n_attrs)
		return ti_link_attr_add(l, name, value);
	v = dup_or_null(value, &oom);
	if (oom)
		return -ENOMEM;
	free(l->attrs[first].value);
	l->attrs[first].value = v;
	/* Drop the later ones; the first keeps its place. */
	for (size_t i = first + 1; i < l->n_attrs;) {
		if (strcasecmp(l->attrs[i].name, name) != 0) {
			i++;
			continue;
		}
		free(l->attrs[i].name);
		free(l->attrs[i].value);
		l->n_attrs--;
		memmove(&l->attrs[i], &l->attrs[i + 1], (l->n_attrs - i) * sizeof(*l->attrs));
	}
	return 0;
}

size_t
ti_link_attr_remove(struct ti_link *l, const char *name)
{
	size_t o = 0, n = 0;

	if (l == NULL || name == NULL)
		return 0;
	for (size_t i = 0; i < l->n_attrs; i++) {
		if (strcasecmp(l->attrs[i].name, name) == 0) {
			free(l->attrs[i].name);
			free(l->attrs[i].value);
			n++;
		} else {
			l->attrs[o++] = l->attrs[i];
		}
	}
	/* The allocation stays: it only has to be at least array_cap(n_attrs). */
	l->n_attrs = o;
	return n;
}

const char *
ti_link_attr_get(const struct ti_link *l, const char *name)
{
	if (l == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < l->n_attrs; i++)
		if (strcasecmp(l->attrs[i].name, name) == 0)
			return l->attrs[i].value != NULL ? l->attrs[i].value : "";
	return NULL;
}

size_t
ti_link_attr_count(const struct ti_link *l, const char *name)
{
	size_t n = 0;

	if (l == NULL || name == NULL)
		return 0;
	for (size_t i = 0; i < l->n_attrs; i++)
		n += strcasecmp(l->attrs[i].name, name) == 0;
	return n;
}

/* ------------------------------------------------------------------------ */
/* Parser                                                                   */
/* ------------------------------------------------------------------------ */

struct parser {
	const char *buf;
	size_t len;
	size_t pos;
	const struct ti_linkfmt_limits *lim;
	size_t err_off;
};

static int
fail(struct parser *p, int err, size_t off)
{
	p->err_off = off;
	return err;
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len && is_ws((unsigned char)p->buf[p->pos]))
		p->pos++;
}

static bool
at(const struct parser *p, char c)
{
	return p->pos < p->len && p->buf[p->pos] == c;
}

/* `<URI-Reference>`; p->pos is on the '<'. */
static int
parse_target(struct parser *p, struct ti_link *l)
{
	size_t start = p->pos, tlen, bad;
	const char *t = p->buf + start + 1;
	const char *end = memchr(t, '>', p->len - start - 1);

	if (end == NULL)
		return fail(p, TI_EPARSE, start);
	tlen = (size_t)(end - t);
	bad = uri_check(t, tlen);
	if (bad < tlen)
		return fail(p, TI_EPARSE, start + 1 + bad);
	if (tlen > p->lim->max_target_len)
		return fail(p, TI_ETOOBIG, start);
	l->target = strndup(t, tlen);
	if (l->target == NULL)
		return fail(p, -ENOMEM, start);
	p->pos = start + 1 + tlen + 1;
	return 0;
}

static int
parse_name(struct parser *p, char **ret_name)
{
	size_t start = p->pos, i = start;

	while (i < p->len && is_parmchar((unsigned char)p->buf[i]))
		i++;
	if (i == start)
		return fail(p, TI_EPARSE, start);
	if (i < p->len && p->buf[i] == '*')
		i++;
	if (i - start > p->lim->max_name_len)
		return fail(p, TI_ETOOBIG, start);
	*ret_name = strndup(p->buf + start, i - start);
	if (*ret_name == NULL)
		return fail(p, -ENOMEM, start);
	p->pos = i;
	return 0;
}

/* quoted-string; p->pos is on the opening '"'. */
static int
parse_quoted(struct parser *p, char **ret_value)
{
	size_t start = p->pos, i = start + 1, dlen = 0, o = 0;
	char *v;

	/* First pass: find the end, validate, measure. */
	for (;;) {
		size_t n;

		if (i >= p->len)
			return fail(p, TI_EPARSE, start);
		if (p->buf[i] == '"')
			break;
		if (p->buf[i] == '\\') {
			if (i + 1 >= p->len)
				return fail(p, TI_EPARSE, start);
			if ((unsigned char)p->buf[i + 1] >= 0x80 ||
			    text_char_len(p->buf + i + 1, 1) != 1)
				return fail(p, TI_EPARSE, i);
			i += 2;
			dlen++;
			continue;
		}
		n = text_char_len(p->buf + i, p->len - i);
		if (n == 0)
			return fail(p, TI_EPARSE, i);
		i += n;
		dlen += n;
	}
	if (dlen > p->lim->max_value_len)
		return fail(p, TI_ETOOBIG, start);
	v = malloc(dlen + 1);
	if (v == NULL)
		return fail(p, -ENOMEM, start);
	/* Second pass: unescape what the first pass validated. */
	for (size_t k = start + 1; k < i; k++) {
		if (p->buf[k] == '\\')
			k++;
		v[o++] = p->buf[k];
	}
	v[o] = '\0';
	*ret_value = v;
	p->pos = i + 1;
	return 0;
}

static int
parse_value(struct parser *p, char **ret_value)
{
	size_t start = p->pos, i = start;

	if (at(p, '"'))
		return parse_quoted(p, ret_value);
	while (i < p->len && is_ptokenchar((unsigned char)p->buf[i]))
		i++;
	if (i == start)
		return fail(p, TI_EPARSE, start);
	if (i - start > p->lim->max_value_len)
		return fail(p, TI_ETOOBIG, start);
	*ret_value = strndup(p->buf + start, i - start);
	if (*ret_value == NULL)
		return fail(p, -ENOMEM, start);
	p->pos = i;
	return 0;
}

/* One `name[=value]`, after the ';' and any whitespace. */
static int
parse_attr(struct parser *p, struct ti_link *l)
{
	char *name = NULL, *value = NULL;
	size_t start = p->pos;
	int r;

	if (l->n_attrs >= p->lim->max_attrs_per_link)
		return fail(p, TI_ETOOBIG, start);
	r = parse_name(p, &name);
	if (r < 0)
		return r;
	if (at(p, '=')) {
		p->pos++;
		r = parse_value(p, &value);
		if (r < 0) {
			free(name);
			return r;
		}
	}
	r = attr_push(l, name, value);
	return r < 0 ? fail(p, r, start) : 0;
}

/* One link and its attributes; appended to links before it is filled in. */
static int
parse_link(struct parser *p, struct ti_links *links)
{
	struct ti_link *l;
	int r;

	if (!at(p, '<'))
		return fail(p, TI_EPARSE, p->pos);
	if (links->n >= p->lim->max_links)
		return fail(p, TI_ETOOBIG, p->pos);
	l = array_grow(links->v, links->n, sizeof(*l));
	if (l == NULL)
		return fail(p, -ENOMEM, p->pos);
	links->v = l;
	l = &links->v[links->n++];
	*l = (struct ti_link){ 0 };
	r = parse_target(p, l);
	if (r < 0)
		return r;
	for (;;) {
		skip_ws(p);
		if (!at(p, ';'))
			return 0;
		p->pos++;
		skip_ws(p);
		r = parse_attr(p, l);
		if (r < 0)
			return r;
	}
}

int
ti_linkfmt_parse(const char *buf, size_t len, const struct ti_linkfmt_limits *lim,
		 struct ti_links *ret_links, size_t *reterr_offset)
{
	static const struct ti_linkfmt_limits def = TI_LINKFMT_LIMITS_DEFAULT;
	struct parser p = { .buf = buf, .len = len, .lim = lim != NULL ? lim : &def };
	struct ti_links links = { 0 };
	int r;

	if ((buf == NULL && len > 0) || ret_links == NULL)
		return -EINVAL;
	skip_ws(&p);
	while (p.pos < p.len) {
		r = parse_link(&p, &links);
		if (r < 0)
			goto out_free;
		skip_ws(&p);
		if (p.pos == p.len)
			break;
		if (!at(&p, ',')) {
			r = fail(&p, TI_EPARSE, p.pos);
			goto out_free;
		}
		p.pos++;
		skip_ws(&p);
		/* A ',' promises another link: "<a>," is an empty link. */
		if (p.pos == p.len) {
			r = fail(&p, TI_EPARSE, p.pos);
			goto out_free;
		}
	}
	*ret_links = links;
	return 0;

out_free:
	ti_links_fini(&links);
	if (reterr_offset != NULL)
		*reterr_offset = p.err_off;
	return r;
}

/* ------------------------------------------------------------------------ */
/* Writer                                                                   */
/* ------------------------------------------------------------------------ */

static bool
name_ok(const char *name)
{
	size_t i = 0;

	while (is_parmchar((unsigned char)name[i]))
		i++;
	if (i == 0)
		return false;
	if (name[i] == '*')
		i++;
	return name[i] == '\0';
}

static bool
value_ok(const char *v)
{
	size_t n = strlen(v);

	for (size_t i = 0; i < n;) {
		size_t k = text_char_len(v + i, n - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* ct, sz and lt are written bare when they are a single number. */
static bool
write_bare(const char *name, const char *value)
{
	if (strcasecmp(name, "ct") != 0 && strcasecmp(name, "sz") != 0 &&
	    strcasecmp(name, "lt") != 0)
		return false;
	if (*value == '\0')
		return false;
	for (const char *c = value; *c; c++)
		if (!is_digit((unsigned char)*c))
			return false;
	return true;
}

static int
write_quoted(struct ti_strbuf *out, const char *v)
{
	int r = ti_strbuf_putc(out, '"');

	while (r == 0 && *v != '\0') {
		size_t run = strcspn(v, "\"\\");

		r = ti_strbuf_append(out, v, run);
		v += run;
		if (r == 0 && *v != '\0') {
			char esc[2] = { '\\', *v++ };
			r = ti_strbuf_append(out, esc, sizeof(esc));
		}
	}
	return r < 0 ? r : ti_strbuf_putc(out, '"');
}

static int
write_attr(struct ti_strbuf *out, const struct ti_link_attr *a)
{
	int r;

	if (a->name == NULL || !name_ok(a->name) || (a->value != NULL && !value_ok(a->value)))
		return TI_EPARSE;
	r = ti_strbuf_putc(out, ';');
	if (r == 0)
		r = ti_strbuf_puts(out, a->name);
	if (r < 0 || a->value == NULL)
		return r;
	r = ti_strbuf_putc(out, '=');
	if (r < 0)
		return r;
	if (write_bare(a->name, a->value))
		return ti_strbuf_puts(out, a->value);
	return write_quoted(out, a->value);
}

static int
write_link(struct ti_strbuf *out, const struct ti_link *l)
{
	size_t tlen;
	int r;

	if (l == NULL || l->target == NULL || (l->n_attrs > 0 && l->attrs == NULL))
		return -EINVAL;
	tlen = strlen(l->target);
	if (uri_check(l->target, tlen) != tlen)
		return TI_EPARSE;
	r = ti_strbuf_putc(out, '<');
	if (r == 0)
		r = ti_strbuf_append(out, l->target, tlen);
	if (r == 0)
		r = ti_strbuf_putc(out, '>');
	for (size_t i = 0; i < l->n_attrs && r == 0; i++)
		r = write_attr(out, &l->attrs[i]);
	return r;
}

int
ti_linkfmt_write_link(struct ti_strbuf *out, const struct ti_link *l)
{
	size_t mark;
	int r;

	if (out == NULL)
		return -EINVAL;
	mark = out->len;
	r = write_link(out, l);
	if (r < 0)
		ti_strbuf_truncate(out, mark);
	return r;
}

int
ti_linkfmt_write(struct ti_strbuf *out, const struct ti_links *links)
{
	size_t mark;
	int r = 0;

	if (out == NULL || links == NULL)
		return -EINVAL;
	mark = out->len;
	for (size_t i = 0; i < links->n && r == 0; i++) {
		if (i > 0)
			r = ti_strbuf_putc(out, ',');
		if (r == 0)
			r = write_link(out, &links->v[i]);
	}
	if (r < 0)
		ti_strbuf_truncate(out, mark);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Matching                                                                 */
/* ------------------------------------------------------------------------ */

/* Match the n bytes at value against pattern. */
static bool
match_n(const char *value, size_t n, const char *pattern)
{
	size_t plen = strlen(pattern);

	if (plen > 0 && pattern[plen - 1] == '*')
		return n >= plen - 1 && memcmp(value, pattern, plen - 1) == 0;
	return n == plen && memcmp(value, pattern, n) == 0;
}

int
ti_linkfmt_match(const char *value, const char *pattern)
{
	if (pattern == NULL)
		return 0;
	if (value == NULL)
		value = "";
	return match_n(value, strlen(value), pattern);
}

int
ti_linkfmt_match_any(const char *value, const char *pattern)
{
	if (ti_linkfmt_match(value, pattern))
		return 1;
	if (value == NULL || pattern == NULL)
		return 0;
	for (const char *s = value; *s != '\0';) {
		size_t n = strcspn(s, " ");

		if (n > 0 && match_n(s, n, pattern))
			return 1;
		s += n;
		s += strspn(s, " ");
	}
	return 0;
}

int
ti_linkfmt_attr_is_list(const char *name)
{
	static const char *const lists[] = { "rt", "if", "rel", "rev", "ct" };

	if (name == NULL)
		return 0;
	for (size_t i = 0; i < TI_ARRAY_SIZE(lists); i++)
		if (strcasecmp(name, lists[i]) == 0)
			return 1;
	return 0;
}

int
ti_link_match(const struct ti_link *l, const char *name, const char *pattern)
{
	bool list;

	if (l == NULL || name == NULL)
		return 0;
	if (strcasecmp(name, "href") == 0)
		return l->target != NULL &&
		       (pattern == NULL || ti_linkfmt_match(l->target, pattern));
	list = ti_linkfmt_attr_is_list(name);
	for (size_t i = 0; i < l->n_attrs; i++) {
		const struct ti_link_attr *a = &l->attrs[i];

		if (strcasecmp(a->name, name) != 0)
			continue;
		if (pattern == NULL)
			return 1;
		if (list ? ti_linkfmt_match_any(a->value, pattern)
			 : ti_linkfmt_match(a->value, pattern))
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* URI references                                                           */
/* ------------------------------------------------------------------------ */

/* Length of a valid scheme (RFC 3986 section 3.1) followed by ':', or 0. */
static size_t
scheme_len(const char *s)
{
	size_t i = 0;

	if (!is_alpha((unsigned char)s[0]))
		return 0;
	while (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) || s[i] == '+' ||
	       s[i] == '-' || s[i] == '.')
		i++;
	return s[i] == ':' ? i : 0;
}

/* A URI reference split as in RFC 3986 appendix B; a NULL part is undefined. */
struct uri_parts {
	const char *scheme, *auth, *path, *query, *frag;
	size_t scheme_len, auth_len, path_len, query_len, frag_len;
};

static void
uri_split(const char *s, struct uri_parts *u)
{
	size_t i = 0, n;

	*u = (struct uri_parts){ .path = s };
	n = scheme_len(s);
	if (n > 0) {
		u->scheme = s;
		u->scheme_len = n;
		i = n + 1;
	}
	if (s[i] == '/' && s[i + 1] == '/') {
		i += 2;
		u->auth = s + i;
		u->auth_len = strcspn(s + i, "/?#");
		i += u->auth_len;
	}
	u->path = s + i;
	u->path_len = strcspn(s + i, "?#");
	i += u->path_len;
	if (s[i] == '?') {
		u->query = s + i + 1;
		u->query_len = strcspn(s + i + 1, "#");
		i += 1 + u->query_len;
	}
	if (s[i] == '#') {
		u->frag = s + i + 1;
		u->frag_len = strlen(s + i + 1);
	}
}

/* Drop the last segment and its preceding '/' from out[0..o). */
static size_t
pop_segment(const char *out, size_t o)
{
	while (o > 0 && out[o - 1] != '/')
		o--;
	return o > 0 ? o - 1 : 0;
}

/*
 * RFC 3986 section 5.2.4 over in[0..n), which it may modify; writes at
 * most n bytes to out and returns their number.
 */
static size_t
remove_dot_segments(char *in, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		const char *s = in + i;
		size_t rem = n - i;

		if (rem >= 3 && memcmp(s, "../", 3) == 0) {
			i += 3; /* A */
		} else if (rem >= 2 && memcmp(s, "./", 2) == 0) {
			i += 2;
		} else if (rem >= 3 && memcmp(s, "/./", 3) == 0) {
			i += 2; /* B: "/./" becomes "/" */
		} else if (rem == 2 && memcmp(s, "/.", 2) == 0) {
			in[i + 1] = '/';
			i += 1;
		} else if (rem >= 4 && memcmp(s, "/../", 4) == 0) {
			i += 3; /* C */
			o = pop_segment(out, o);
		} else if (rem == 3 && memcmp(s, "/..", 3) == 0) {
			in[i + 2] = '/';
			i += 2;
			o = pop_segment(out, o);
		} else if ((rem == 1 && s[0] == '.') || (rem == 2 && memcmp(s, "..", 2) == 0)) {
			i = n; /* D */
		} else {
			size_t k = s[0] == '/' ? 1 : 0; /* E */

			while (k < rem && s[k] != '/')
				k++;
			memcpy(out + o, s, k);
			o += k;
			i += k;
		}
	}
	return o;
}

/* Append n bytes to out[*o..size), remembering an overflow in *o = SIZE_MAX. */
static void
emit(char *out, size_t size, size_t *o, const char *s, size_t n)
{
	if (*o == SIZE_MAX)
		return;
	if (n >= size - *o) {
		*o = SIZE_MAX;
		return;
	}
	memcpy(out + *o, s, n);
	*o += n;
}

/* T.path per section 5.2.2 into path (room for both inputs and a '/'); returns its length. */
static size_t
target_path(const struct uri_parts *b, const struct uri_parts *r, char *work, char *path)
{
	size_t n = 0;

	if (r->scheme != NULL || r->auth != NULL || (r->path_len > 0 && r->path[0] == '/')) {
		memcpy(work, r->path, r->path_len);
		return remove_dot_segments(work, r->path_len, path);
	}
	if (r->path_len == 0) {
		memcpy(path, b->path, b->path_len);
		return b->path_len;
	}
	/* Merge (5.2.3). */
	if (b->auth != NULL && b->path_len == 0) {
		work[n++] = '/';
	} else {
		size_t k = b->path_len;

		while (k > 0 && b->path[k - 1] != '/')
			k--;
		memcpy(work, b->path, k);
		n = k;
	}
	memcpy(work + n, r->path, r->path_len);
	n += r->path_len;
	return remove_dot_segments(work, n, path);
}

int
ti_linkfmt_resolve(const char *base, const char *ref, char *out, size_t size)
{
	struct uri_parts b, r;
	const struct uri_parts *sa, *q; /* where scheme/authority and query come from */
	size_t blen, rlen, plen, o = 0;
	char *work, *path;

	if (base == NULL || ref == NULL || out == NULL)
		return -EINVAL;
	if (size > 0)
		out[0] = '\0';
	blen = strlen(base);
	rlen = strlen(ref);
	if (uri_check(base, blen) != blen || uri_check(ref, rlen) != rlen)
		return TI_EPARSE;
	uri_split(base, &b);
	uri_split(ref, &r);
	if (b.scheme == NULL)
		return TI_EPARSE;
	if (blen > SIZE_MAX / 4 - rlen)
		return -ENOMEM;
	work = malloc(2 * (blen + rlen + 2));
	if (work == NULL)
		return -ENOMEM;
	path = work + blen + rlen + 2;
	plen = target_path(&b, &r, work, path);

	sa = r.scheme != NULL ? &r : (r.auth != NULL ? &r : &b);
	q = (r.scheme != NULL || r.auth != NULL || r.path_len > 0 || r.query != NULL) ? &r : &b;
	emit(out, size, &o, r.scheme != NULL ? r.scheme : b.scheme,
	     r.scheme != NULL ? r.scheme_len : b.scheme_len);
	emit(out, size, &o, ":", 1);
	if (sa->auth != NULL) {
		emit(out, size, &o, "//", 2);
		emit(out, size, &o, sa->auth, sa->auth_len);
	}
	emit(out, size, &o, path, plen);
	if (q->query != NULL) {
		emit(out, size, &o, "?", 1);
		emit(out, size, &o, q->query, q->query_len);
	}
	if (r.frag != NULL) {
		emit(out, size, &o, "#", 1);
		emit(out, size, &o, r.frag, r.frag_len);
	}
	free(work);
	if (o == SIZE_MAX || o > INT_MAX) {
		if (size > 0)
			out[0] = '\0';
		return -ENOSPC;
	}
	out[o] = '\0';
	return (int)o;
}

/* ------------------------------------------------------------------------ */
/* Limited Link Format (RFC 9176 appendix C)                                */
/* ------------------------------------------------------------------------ */

static bool
limited_ref_ok(const char *s, bool *ret_has_scheme)
{
	*ret_has_scheme = scheme_len(s) > 0;
	if (strpbrk(s, "?#") != NULL)
		return false;
	return *ret_has_scheme || (s[0] == '/' && s[1] != '/');
}

int
ti_linkfmt_check_limited(const struct ti_link *l)
{
	const char *anchor;
	bool t_scheme, a_scheme;

	if (l == NULL || l->target == NULL)
		return -EINVAL;
	if (!limited_ref_ok(l->target, &t_scheme))
		return TI_EPARSE;
	anchor = ti_link_attr_get(l, "anchor");
	if (anchor == NULL)
		return 0;
	if (!limited_ref_ok(anchor, &a_scheme) || (a_scheme && !t_scheme))
		return TI_EPARSE;
	return 0;
}
