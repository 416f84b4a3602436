/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: RFC 6690 link-format codec, lookup matching and RFC 3986 reference resolution. */
#ifndef TI_LINKFMT_H
#define TI_LINKFMT_H

#include <stddef.h>

/*
 * A pure codec: no I/O, no libcoap, no global state. Everything a parse
 * returns is owned by the returned struct ti_links and freed with
 * ti_links_fini(). Strings are NUL-terminated; a parsed string never
 * contains a NUL byte.
 */

/* ------------------------------------------------------------------------ */
/* Growable string buffer                                                   */
/* ------------------------------------------------------------------------ */

/**
 * A NUL-terminated string that grows on demand up to a fixed maximum.
 * Initialise with ti_strbuf_init() (or TI_STRBUF_INIT), release with
 * ti_strbuf_fini(). An append that fails leaves the contents unchanged.
 */
struct ti_strbuf {
	char *s;    /**< contents; NULL until something was appended: use ti_strbuf_str() */
	size_t len; /**< bytes in s, without the NUL */
	size_t cap; /**< bytes allocated (internal) */
	size_t max; /**< largest len an append may reach */
};

/** Static initialiser for an empty buffer holding at most maxlen bytes. */
#define TI_STRBUF_INIT(maxlen)                                                                    \
	{                                                                                         \
		.s = NULL, .len = 0, .cap = 0, .max = (maxlen)                                    \
	}

/**
 * Make sb an empty buffer that will hold at most max bytes (plus the NUL).
 * Allocates nothing.
 */
void ti_strbuf_init(struct ti_strbuf *sb, size_t max);

/** Free the contents and leave sb empty with the same maximum. NULL-safe, idempotent. */
void ti_strbuf_fini(struct ti_strbuf *sb);

/** Empty sb but keep its memory for reuse. */
void ti_strbuf_reset(struct ti_strbuf *sb);

/** Cut sb down to len bytes; a len at or past the current length does nothing. */
void ti_strbuf_truncate(struct ti_strbuf *sb, size_t len);

/**
 * The contents, borrowed: valid until the next change to sb. "" when empty,
 * never NULL.
 */
const char *ti_strbuf_str(const struct ti_strbuf *sb);

/**
 * Take the contents out of sb, which is left empty (same maximum).
 * @return a string the caller frees with free(); NULL only on OOM.
 */
char *ti_strbuf_steal(struct ti_strbuf *sb);

/**
 * Append n bytes of s (which may contain NUL bytes; ti_strbuf_str() then
 * shows only the part before the first).
 * @return 0; TI_ETOOBIG (len would pass max); -ENOMEM. On error sb is unchanged.
 */
int ti_strbuf_append(struct ti_strbuf *sb, const void *s, size_t n);

/** ti_strbuf_append() of a NUL-terminated string. Same returns. */
int ti_strbuf_puts(struct ti_strbuf *sb, const char *s);

/** ti_strbuf_append() of one byte. Same returns. */
int ti_strbuf_putc(struct ti_strbuf *sb, char c);

/**
 * Append printf-formatted text.
 * @return 0; TI_ETOOBIG; -ENOMEM; -EINVAL (bad format). On error sb is unchanged.
 */
int ti_strbuf_printf(struct ti_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------------ */
/* Links                                                                    */
/* ------------------------------------------------------------------------ */

/** One link parameter ("target attribute"). */
struct ti_link_attr {
	char *name;  /**< as given, e.g. "rt", "title*"; compared case-insensitively */
	char *value; /**< unquoted and unescaped; NULL for a bare attribute such as "obs" */
};

/** One link: `<target>;name=value;...`. */
struct ti_link {
	char *target;		    /**< the URI-reference between < and >, as given */
	struct ti_link_attr *attrs; /**< in input order; names may repeat */
	size_t n_attrs;
};

/**
 * A list of links. Zero-initialise ({ 0 }) for an empty list. The arrays
 * are heap-owned: only fill or grow them through ti_linkfmt_parse() and the
 * ti_links_add()/ti_link_attr_*() builders, and free them with ti_links_fini().
 */
struct ti_links {
	struct ti_link *v;
	size_t n;
};

/** Limits a parse enforces; each field is an inclusive maximum. */
struct ti_linkfmt_limits {
	size_t max_links;	   /**< links in the list */
	size_t max_attrs_per_link; /**< attributes in one link */
	size_t max_target_len;	   /**< bytes between < and > */
	size_t max_name_len;	   /**< bytes in an attribute name, '*' included */
	size_t max_value_len;	   /**< bytes of a value once unquoted and unescaped */
};

/** The limits used when ti_linkfmt_parse() is given NULL. */
#define TI_LINKFMT_LIMITS_DEFAULT                                                                 \
	{                                                                                         \
		.max_links = 256, .max_attrs_per_link = 32, .max_target_len = 1024,               \
		.max_name_len = 64, .max_value_len = 1024,                                        \
	}

/**
 * Parse an RFC 6690 link-value-list (application/link-format, content format 40).
 *
 * Accepted: `<URI-Reference>` followed by any number of `;name`, `;name=ptoken`
 * or `;name="quoted string"` parameters, links separated by ','. Names are
 * parmname (ALPHA DIGIT "!#$&+-.^_`|~") with an optional trailing '*'
 * (ext-name-star, kept in the name). Every name takes either value form,
 * as deployed implementations (and the RFC 9176 examples) write rt, ct, ep
 * bare. Quoted strings take backslash escapes (`\"`, `\\`, `\x` for any
 * printable ASCII x) and UTF-8 text; values are stored unescaped.
 * Whitespace (SP, HTAB, CR, LF) is tolerated before and after each ',' and
 * ';' and around the whole list, as RFC 6690 and RFC 9176 examples wrap lines.
 * An empty (or all-whitespace) input is a valid list of zero links; an empty
 * target "<>" is a valid relative reference.
 *
 * Rejected (TI_EPARSE, *reterr_offset as shown):
 * - a byte other than the ones above where a link, ';' or ',' is expected,
 *   including trailing garbage, a leading or trailing ',' and an empty link
 *   between commas: the offending byte (len when the input ended early);
 * - an unterminated '<' or '"': the opening '<' or '"';
 * - a target byte outside the RFC 3986 URI character set (whitespace, '<',
 *   '"', '\\', '^', '`', '{', '|', '}', controls, non-ASCII) or a '%' not
 *   followed by two hex digits: that byte. The target is not otherwise
 *   checked against the URI grammar;
 * - an attribute without a name (`;=x`, `;;`, `;,`): where the name should start;
 * - `name=` with no value: the byte after '=';
 * - in a quoted string: a control byte (< 0x20 other than HTAB, 0x7f), invalid
 *   or overlong UTF-8, a surrogate, a C1 control (U+0080-U+009F), or a
 *   backslash before a control or non-ASCII byte: that byte (the backslash);
 * - a NUL byte anywhere: that byte.
 *
 * Exceeding a limit returns TI_ETOOBIG with *reterr_offset at the start of
 * the item that went over: the '<' of the link, the first byte of the
 * attribute name, the '<' of the target, the start of the value.
 *
 * @param[in] buf   the payload; need not be NUL-terminated. NULL only if len is 0.
 * @param[in] len   bytes in buf.
 * @param[in] lim   limits; NULL for TI_LINKFMT_LIMITS_DEFAULT. Borrowed for the call.
 * @param[out] ret_links  written on success only; the caller frees it with
 *                        ti_links_fini().
 * @param[out] reterr_offset  may be NULL; on TI_EPARSE, TI_ETOOBIG or -ENOMEM
 *                            the byte offset of the problem; untouched otherwise.
 * @return 0; TI_EPARSE; TI_ETOOBIG; -ENOMEM; -EINVAL (buf NULL with len > 0,
 *         or ret_links NULL).
 */
int ti_linkfmt_parse(const char *buf, size_t len, const struct ti_linkfmt_limits *lim,
		     struct ti_links *ret_links, size_t *reterr_offset);

/** Free one link's strings and arrays and zero it. NULL-safe, idempotent. */
void ti_link_fini(struct ti_link *l);

/** Free every link and the array, leaving an empty list. NULL-safe, idempotent. */
void ti_links_fini(struct ti_links *links);

/**
 * Append a link with a copy of target and no attributes.
 * @param[out] ret_link  may be NULL; the new link, borrowed: valid until the
 *                       next ti_links_add() or ti_links_fini() on links.
 * @return 0; -ENOMEM; -EINVAL (target NULL). On error links is unchanged.
 */
int ti_links_add(struct ti_links *links, const char *target, struct ti_link **ret_link);

/** Replace the target of l with a copy of target. @return 0, -ENOMEM, -EINVAL. */
int ti_link_set_target(struct ti_link *l, const char *target);

/**
 * Append an attribute with copies of name and value (value NULL: bare).
 * Nothing is validated here; ti_linkfmt_write_link() rejects what it cannot write.
 * @return 0; -ENOMEM; -EINVAL (name NULL). On error l is unchanged.
 */
int ti_link_attr_add(struct ti_link *l, const char *name, const char *value);

/**
 * Give the attribute called name exactly one value: the first one with that
 * name (case-insensitive) gets a copy of value and keeps its place, the
 * others are removed; appended if there was none.
 * @return 0; -ENOMEM; -EINVAL (name NULL). On error l is unchanged.
 */
int ti_link_attr_set(struct ti_link *l, const char *name, const char *value);

/**
 * Remove every attribute called name (case-insensitive).
 * @return the number removed.
 */
size_t ti_link_attr_remove(struct ti_link *l, const char *name);

/**
 * The value of the first attribute called name (case-insensitive).
 * @return borrowed from l (valid until l changes); "" for a bare attribute;
 *         NULL when absent or when l or name is NULL.
 */
const char *ti_link_attr_get(const struct ti_link *l, const char *name);

/** Number of attributes called name (case-insensitive). */
size_t ti_link_attr_count(const struct ti_link *l, const char *name);

/* ------------------------------------------------------------------------ */
/* Serialisation                                                            */
/* ------------------------------------------------------------------------ */

/**
 * Append one link to out as `<target>;name="value";...`.
 *
 * The output cannot inject links or attributes: the target must pass the same
 * URI character check as the parser (so it cannot hold '>', '"', whitespace
 * or controls), names must be parmname with an optional trailing '*', and
 * values are written as quoted-strings with '"' and '\\' escaped. A value
 * may hold any UTF-8 text except controls (HTAB is allowed). The one
 * exception to quoting: a `ct`, `sz` or `lt` value made only of digits is
 * written bare (`ct=40`, `sz=1024`, `lt=90000`), as RFC 6690 gives sz no
 * quoted form and RFC 7252/9176 write ct and lt that way. Bare attributes (value NULL) are written
 * as `;name`. Whatever this writes, ti_linkfmt_parse() reads back into the
 * same link.
 *
 * @param[in,out] out  buffer to append to; on error it is left as it was.
 * @param[in] l        the link, borrowed for the call.
 * @return 0; TI_EPARSE (a target, name or value that cannot be written);
 *         TI_ETOOBIG (out reached its maximum); -ENOMEM; -EINVAL (out, l or
 *         its target NULL).
 */
int ti_linkfmt_write_link(struct ti_strbuf *out, const struct ti_link *l);

/**
 * Append every link of links, separated by ',' (no whitespace). Same rules
 * and returns as ti_linkfmt_write_link(); on error out is left as it was.
 * An empty list appends nothing.
 */
int ti_linkfmt_write(struct ti_strbuf *out, const struct ti_links *links);

/* ------------------------------------------------------------------------ */
/* Lookup filtering (RFC 6690 section 4.1, RFC 9176 section 6)              */
/* ------------------------------------------------------------------------ */

/**
 * Match one attribute value against a lookup pattern: equal strings, or,
 * when pattern ends with '*', value starts with what comes before the '*'
 * ("*" alone matches everything). Comparison is case-sensitive, byte by byte.
 * @param[in] value    NULL (bare attribute) is taken as "".
 * @param[in] pattern  the query value, already percent-decoded.
 * @return 1 on a match, 0 otherwise (also when pattern is NULL).
 */
int ti_linkfmt_match(const char *value, const char *pattern);

/**
 * ti_linkfmt_match() for values that are space-separated lists (relation
 * types: rt, if, rel, rev; content formats: ct): a match of the whole value
 * or of any one SP-separated item.
 * @return 1 on a match, 0 otherwise.
 */
int ti_linkfmt_match_any(const char *value, const char *pattern);

/** Whether name (case-insensitive) is rt, if, rel, rev or ct (see ti_linkfmt_match_any()). */
int ti_linkfmt_attr_is_list(const char *name);

/**
 * Whether l passes the lookup filter name=pattern: name "href" matches the
 * target as stored (resolve it first for RFC 9176 lookups); any other name
 * matches when one attribute of that name (case-insensitive) matches, with
 * ti_linkfmt_match_any() for list attributes and ti_linkfmt_match() for the
 * rest. A NULL pattern asks only that the attribute be present.
 * @return 1 on a match, 0 otherwise.
 */
int ti_link_match(const struct ti_link *l, const char *name, const char *pattern);

/**
 * Whether l is in the Limited Link Format of RFC 9176 (appendix C): target
 * and anchor (when present) each start with a scheme (an absolute URI) or
 * are path-absolute ("/..." but not "//..."), hold no query or fragment,
 * and when the anchor has a scheme the target has one too.
 * @return 0 when it is; TI_EPARSE when it is not; -EINVAL when l is NULL.
 */
int ti_linkfmt_check_limited(const struct ti_link *l);

/* ------------------------------------------------------------------------ */
/* Reference resolution (RFC 3986 section 5.2)                              */
/* ------------------------------------------------------------------------ */

/**
 * Resolve the URI-reference ref against the absolute URI base, in the
 * strict mode of RFC 3986 section 5.2.2 (a reference with a scheme is taken
 * as it is, apart from its dot segments: "http:g" stays "http:g"), with
 * remove_dot_segments (5.2.4), merge (5.2.3) and recomposition (5.3). The
 * base fragment is ignored; resolving "" gives the base without fragment.
 * Both strings must consist of RFC 3986 URI characters (see the target rule
 * of ti_linkfmt_parse()).
 *
 * @param[in] base  an absolute URI (it must start with a scheme), e.g. a
 *                  registration's base "coap://[2001:db8::1]:5683".
 * @param[in] ref   the reference, e.g. a link target or anchor.
 * @param[out] out  receives the NUL-terminated result.
 * @param[in] size  bytes available in out.
 * @return the length of the result (without the NUL); TI_EPARSE (base has
 *         no scheme, or a byte outside the URI character set); -ENOSPC
 *         (result and NUL do not fit; out then holds "" if size > 0);
 *         -ENOMEM; -EINVAL (a NULL argument).
 */
int ti_linkfmt_resolve(const char *base, const char *ref, char *out, size_t size);

#endif /* TI_LINKFMT_H */
