/* SPDX-License-Identifier: BSD-2-Clause */
/* rdd: RFC 9176 request validation between the CoAP handlers and rdd_db. */
#ifndef RDD_REGISTRY_H
#define RDD_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ti_addr.h"
#include "ti_linkfmt.h"

#include "rdd_db.h" /* struct rdd_filter */

struct sockaddr;

/*
 * Pure functions: no I/O, no libcoap, no global state. Each one takes what
 * a handler has already pulled out of the request (Uri-Query values, the
 * payload, its Content-Format, the source address and transport) and either
 * fills a result or an rdd_error the handler sends as the response: the
 * code as the response code, msg as a text/plain diagnostic payload, and
 * for 4.13 size1 as the Size1 option.
 *
 * Every function returns 0 on success; on failure it returns a negative
 * code (below) and always fills *reterr, so a handler can answer with
 * reterr->code whatever the return value was.
 */

/** CoAP content formats this module understands (RFC 7252, RFC 6690). */
enum {
	RDD_CF_LINK_FORMAT = 40, /**< application/link-format */
	RDD_CF_JSON = 50,	 /**< application/json, links-json shape */
};

/** Longest ep or d value in bytes (RFC 9176 section 5). */
#define RDD_NAME_MAX 63
/** Longest base URI rdd keeps, in bytes. */
#define RDD_BASE_MAX 255

/** A response code and a diagnostic payload for a rejected request. */
struct rdd_error {
	int code;	/**< CoAP code as class * 100 + detail: 400, 401, 413, 415, 500 */
	char msg[96];	/**< NUL-terminated, e.g. "ep too long (max 63 bytes)" */
	uint32_t size1; /**< with 413 for a payload: the largest accepted size, else 0 */
};

/**
 * What a request may cost and which defaults apply. Fill with
 * RDD_POLICY_DEFAULT and override from the configuration. Borrowed by every
 * call; the strings must outlive the call.
 */
struct rdd_policy {
	uint32_t lifetime_min;	   /**< lt below this is raised to it (>= 1) */
	uint32_t lifetime_max;	   /**< lt above this is lowered to it */
	uint32_t lifetime_default; /**< lt when the request has none (RFC 9176: 90000) */
	size_t max_payload;	   /**< largest registration payload in bytes */
	size_t max_links;	   /**< links in one registration */
	size_t max_attrs;	   /**< attributes per link, and registration attributes */
	uint32_t max_count;	   /**< largest lookup page (count) */
	const char *default_ep;	   /**< ep when the request has none; NULL: ep required */
	const char *default_d;	   /**< d when the request has none; NULL: no sector */
};

/** The defaults: lt 60 s .. 2^32-1 s, default 90000 s, 4 KiB, 64 links, 32 attributes. */
#define RDD_POLICY_DEFAULT                                                                        \
	{                                                                                         \
		.lifetime_min = 60, .lifetime_max = UINT32_MAX, .lifetime_default = 90000,        \
		.max_payload = 4096, .max_links = 64, .max_attrs = 32, .max_count = 1000,         \
		.default_ep = NULL, .default_d = NULL,                                            \
	}

/* ------------------------------------------------------------------------ */
/* Uri-Query                                                                */
/* ------------------------------------------------------------------------ */

/**
 * The Uri-Query options of one request, in request order.
 *
 * v holds every parameter: name as given, value NULL for a bare "name".
 * The recognised parameters (ep, d, lt, base, page, count; names compared
 * case-insensitively) are also pointed to by the fields below: NULL when
 * absent, "" when given bare or empty. et and every other parameter are only
 * in v; rdd_query_is_reserved() tells them apart.
 *
 * Zero-initialise ({ 0 }) before the first rdd_query_add(); release with
 * rdd_query_fini().
 */
struct rdd_query {
	struct ti_link_attr *v; /**< owned */
	size_t n;
	const char *ep, *d, *lt, *base, *page, *count; /**< borrowed from v */
};

/**
 * Add one Uri-Query option value ("name=value" or "name"; CoAP carries it
 * raw, so nothing is percent-decoded). A handler calls this once per option,
 * in order, with the option's bytes and length.
 *
 * Rejected with 4.00: an empty name ("", "=x"), a control byte (0x00-0x1f,
 * 0x7f) anywhere, and a second ep, d, lt, base, page or count.
 *
 * @param[in,out] q  the query; unchanged on error.
 * @param[in] opt    the option value, need not be NUL-terminated; NULL only if len is 0.
 * @param[in] len    its length.
 * @param[out] reterr  filled on failure only.
 * @return 0; TI_EPARSE (4.00); -ENOMEM (5.00); -EINVAL (q or reterr NULL).
 */
int rdd_query_add(struct rdd_query *q, const char *opt, size_t len, struct rdd_error *reterr);

/**
 * Parse n Uri-Query values with rdd_query_add().
 * @param[in] queries  n NUL-terminated strings, borrowed for the call.
 * @param[out] ret     written on success only; the caller frees it with rdd_query_fini().
 * @param[out] reterr  filled on failure only.
 * @return as rdd_query_add().
 */
int rdd_query_parse(const char *const *queries, size_t n, struct rdd_query *ret,
		    struct rdd_error *reterr);

/** Free every parameter and zero q. NULL-safe, idempotent. */
void rdd_query_fini(struct rdd_query *q);

/** Whether name is one of ep, d, lt, base, page, count (case-insensitive). */
bool rdd_query_is_reserved(const char *name);

/* ------------------------------------------------------------------------ */
/* Registration, simple registration, update (RFC 9176 section 5)           */
/* ------------------------------------------------------------------------ */

/** The validated parameters of a registration or an update. */
struct rdd_params {
	char ep[RDD_NAME_MAX + 1]; /**< "" only in an update */
	char d[RDD_NAME_MAX + 1];  /**< "" when there is no sector (and in an update) */
	uint32_t lt;		   /**< seconds, inside the policy window */
	bool lt_given; /**< whether the request had lt (update: else keep the old one) */
	/**
	 * The registration's base URI, without query or fragment. When base_given
	 * is false this is the request's source address with the scheme of its
	 * transport ("coap://203.0.113.7:40001", default port left out): a
	 * registration stores it; an update stores it only if the registration
	 * had no explicit base either (RFC 9176 section 5.3.1).
	 */
	char base[RDD_BASE_MAX + 1];
	bool base_given;
	/**
	 * et and the extra attributes, in request order: each name is parmname,
	 * each value (NULL when bare) writes safely with ti_linkfmt_write_link().
	 * Only the attributes are used (target is NULL), so ti_link_attr_get()
	 * and ti_link_match() work on it. Owned; freed by rdd_params_fini().
	 */
	struct ti_link attrs;
};

/** Free the attributes and zero p. NULL-safe, idempotent. */
void rdd_params_fini(struct rdd_params *p);

/**
 * Validate a registration (POST /rd).
 *
 * - ep: required unless pol->default_ep (4.00 "missing ep"), 1..63 bytes of
 *   UTF-8 without characters 0-31 and 127-159.
 * - d: 0..63 bytes, same characters; pol->default_d when absent.
 * - lt: 1..4294967295, then clamped into the policy window;
 *   pol->lifetime_default (clamped) when absent.
 * - base: an absolute coap, coaps, coap+tcp or coaps+tcp URI with a host and
 *   no query or fragment, at most RDD_BASE_MAX bytes; derived from src and t
 *   when absent.
 * - page, count: not allowed (4.00).
 * - et and other parameters: at most pol->max_attrs of them; names parmname
 *   and not "href"; values printable UTF-8 within the link-format limits.
 *
 * @param[in] q    the parsed query, borrowed.
 * @param[in] pol  borrowed.
 * @param[in] src  the request's source address (AF_INET or AF_INET6), borrowed.
 * @param[in] t    the transport the request came on.
 * @param[out] ret     written on success only; the caller frees it with rdd_params_fini().
 * @param[out] reterr  filled on failure only.
 * @return 0; TI_EPARSE (4.00); -ENOMEM (5.00); -EAFNOSUPPORT (5.00: src is
 *         neither IPv4 nor IPv6); -EINVAL (5.00: a NULL argument).
 */
int rdd_registration_check(const struct rdd_query *q, const struct rdd_policy *pol,
			   const struct sockaddr *src, enum ti_transport t, struct rdd_params *ret,
			   struct rdd_error *reterr);

/**
 * Validate a simple registration (POST /.well-known/rd): as
 * rdd_registration_check(), but base is not accepted (RFC 9176 section 5.1:
 * 4.00 "base not allowed").
 */
int rdd_simple_registration_check(const struct rdd_query *q, const struct rdd_policy *pol,
				  const struct sockaddr *src, enum ti_transport t,
				  struct rdd_params *ret, struct rdd_error *reterr);

/**
 * Validate a registration update (POST /reg/<id>): lt, base, et and extra
 * attributes as for a registration, all optional; ep, d, page and count are
 * rejected with 4.00. ret->ep and ret->d stay "". When lt is absent,
 * ret->lt_given is false (and ret->lt is pol->lifetime_default, clamped).
 * Same parameters and returns as rdd_registration_check().
 */
int rdd_update_check(const struct rdd_query *q, const struct rdd_policy *pol,
		     const struct sockaddr *src, enum ti_transport t, struct rdd_params *ret,
		     struct rdd_error *reterr);

/**
 * Write the base URI of a request from src with the scheme of t, as RFC
 * 9176 section 5.3 and RFC 7252 section 6.5 build it: "coap://203.0.113.7:40001",
 * "coaps://[2001:db8::7]:40001"; an IPv4-mapped address as IPv4; the port
 * left out when it is the default of the scheme; no zone identifier.
 * @param[out] buf  receives the NUL-terminated URI.
 * @return its length; -EAFNOSUPPORT; -ENOSPC; -EINVAL.
 */
int rdd_base_from_addr(const struct sockaddr *src, enum ti_transport t, char *buf, size_t size);

/* ------------------------------------------------------------------------ */
/* Registration payload                                                     */
/* ------------------------------------------------------------------------ */

/**
 * Parse and check the links of a registration payload.
 *
 * - len > pol->max_payload: 4.13, size1 = max_payload (checked first).
 * - content_format 40: ti_linkfmt_parse() with pol->max_links and
 *   pol->max_attrs: malformed 4.00 (with the byte offset), over a limit 4.13.
 * - content_format 50: a JSON array of objects, each with a string "href"
 *   and members that are strings, true (a bare attribute), or arrays of
 *   those (a repeated attribute), in the shape of draft-ietf-core-links-json;
 *   anything else, duplicate keys or invalid UTF-8 4.00; same limits.
 * - any other content format: 4.15.
 * Then every link must be writable as link-format (ti_linkfmt_write_link():
 * URI characters in the target, parmname names, printable values), carry no
 * attribute called "href", and be in the Limited Link Format of RFC 9176
 * appendix C (target and anchor absolute or path-absolute): else 4.00 naming
 * the target or anchor. An empty payload is a valid list of no links.
 * Whether a missing Content-Format means 40 is the handler's decision.
 *
 * @param[in] payload  borrowed; NULL only if len is 0.
 * @param[out] ret     written on success only; the caller frees it with ti_links_fini().
 * @param[out] reterr  filled on failure only.
 * @return 0; TI_EPARSE (4.00); TI_ETOOBIG (4.13); TI_EUNKNOWN (4.15);
 *         -ENOMEM (5.00); -EINVAL (5.00: a NULL argument).
 */
int rdd_links_parse(const uint8_t *payload, size_t len, unsigned content_format,
		    const struct rdd_policy *pol, struct ti_links *ret, struct rdd_error *reterr);

/**
 * Append links as a JSON array of objects (application/json, 50): "href"
 * first, then one member per attribute name (first spelling, case-insensitive
 * grouping) whose value is the string, true for a bare attribute, or an
 * array of those when the name repeats. rdd_links_parse() reads it back into
 * the same links (up to the order of repeated names). An empty list is "[]".
 *
 * @param[in] l        borrowed.
 * @param[in,out] out  appended to; left as it was on error.
 * @return 0; TI_EPARSE (a target or value that is not UTF-8, or an attribute
 *         called "href"); TI_ETOOBIG (out reached its maximum); -ENOMEM;
 *         -EINVAL.
 */
int rdd_links_write_json(const struct ti_links *l, struct ti_strbuf *out);

/* ------------------------------------------------------------------------ */
/* Lookup (RFC 9176 section 6)                                              */
/* ------------------------------------------------------------------------ */

/** The paging and filters of a lookup. */
struct rdd_lookup {
	bool count_given; /**< whether the request had count */
	uint32_t count;	  /**< page size: min(count, max_count); max_count without count */
	uint32_t page;	  /**< 0 without page */
	/**
	 * page * count with count as requested (before the cap): the index of the
	 * first result, so that a capped page still starts where the client expects.
	 */
	uint64_t offset;
	struct rdd_filter *filters; /**< owned array, in request order */
	size_t n_filters;
};

/**
 * Split a lookup query into paging and filters: page and count are
 * 0..4294967295; count is capped at pol->max_count; page without count is
 * 4.00 ("page requires count", RFC 9176 section 6). Every other parameter
 * (ep, d, base, lt, et, href, any attribute) becomes a filter in request
 * order; names are non-empty by construction of rdd_query. Without count
 * the result is still capped at pol->max_count (see RFC 9176 section 6:
 * strictly, all matches are due; the handler may page with Block2 instead).
 *
 * @param[in] q    borrowed; the filters point into it, so q must outlive ret.
 * @param[out] ret     written on success only; the caller frees it with rdd_lookup_fini().
 * @param[out] reterr  filled on failure only.
 * @return 0; TI_EPARSE (4.00); -ENOMEM (5.00); -EINVAL (5.00).
 */
int rdd_lookup_parse(const struct rdd_query *q, const struct rdd_policy *pol,
		     struct rdd_lookup *ret, struct rdd_error *reterr);

/** Free the filter array and zero lk. NULL-safe, idempotent. */
void rdd_lookup_fini(struct rdd_lookup *lk);

#endif /* RDD_REGISTRY_H */
