/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: validation of subscription requests: Uri-Query, source address, prefix key. */
#include "config.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ti_err.h"
#include "ti_msg.h"
#include "ti_util.h"

#include "kaasd_req.h"

enum param {
	P_EP,
	P_LT,
	P_TTL,
	P_INTERVAL,
	P_COUNT,
};

/* Matched without regard to case, like rdd's reserved query parameters. */
static const char *const param_names[P_COUNT] = { "ep", "lt", "ttl", "interval" };

/* One query value: borrowed from the message, not NUL-terminated. */
struct qval {
	const uint8_t *val;
	size_t len;
	int seen;
};

/* Longest unknown parameter name echoed back in a diagnostic. */
#define ECHO_MAX 32

static int __attribute__((format(printf, 4, 5)))
fail(int code, char *diag, size_t diaglen, const char *fmt, ...)
{
	va_list ap;

	if (diag == NULL || diaglen == 0)
		return code;
	va_start(ap, fmt);
	vsnprintf(diag, diaglen, fmt, ap);
	va_end(ap);
	return code;
}

static int
is_ep_char(uint8_t c)
{
	return c >= 0x21 && c <= 0x7e && c != '&' && c != '?' && c != '/' && c != '"';
}

int
kaasd_req_ep_valid(const char *ep, size_t len)
{
	if (ep == NULL || len == 0 || len > KAASD_EP_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_ep_char((uint8_t)ep[i]))
			return 0;
	return 1;
}

static int
lookup_param(const uint8_t *name, size_t len)
{
	for (int i = 0; i < P_COUNT; i++)
		if (strlen(param_names[i]) == len &&
		    strncasecmp(param_names[i], (const char *)name, len) == 0)
			return i;
	return -1;
}

/* Only short printable names are echoed: the diagnostic goes back as text. */
static int
echoable(const uint8_t *s, size_t len)
{
	if (len > ECHO_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* Sort the Uri-Query options into v[]; reject unknown, repeated and valueless ones. */
static int
collect(const struct ti_msg *msg, struct qval v[P_COUNT], char *diag, size_t diaglen)
{
	for (size_t i = 0; i < msg->n_opts; i++) {
		const struct ti_msg_opt *o = &msg->opts[i];
		const uint8_t *eq;
		size_t nlen;
		int p;

		if (o->num != TI_OPT_URI_QUERY)
			continue;
		eq = o->len > 0 ? memchr(o->val, '=', o->len) : NULL;
		nlen = eq != NULL ? (size_t)(eq - o->val) : o->len;
		if (nlen == 0)
			return fail(TI_CODE(4, 0), diag, diaglen, "empty parameter name");
		p = lookup_param(o->val, nlen);
		if (p < 0 && echoable(o->val, nlen))
			return fail(TI_CODE(4, 0), diag, diaglen, "%.*s: unknown parameter",
				    (int)nlen, (const char *)o->val);
		if (p < 0)
			return fail(TI_CODE(4, 0), diag, diaglen, "unknown parameter");
		if (v[p].seen)
			return fail(TI_CODE(4, 0), diag, diaglen, "%s: given twice",
				    param_names[p]);
		if (eq == NULL || nlen + 1 == o->len)
			return fail(TI_CODE(4, 0), diag, diaglen, "%s: empty value",
				    param_names[p]);
		v[p] = (struct qval){ .val = eq + 1, .len = o->len - nlen - 1, .seen = 1 };
	}
	return 0;
}

/*
 * A canonical decimal number in [1, max]: digits only, no sign, space or
 * leading zero (ti_parse_u64() alone accepts "007").
 */
static int
parse_num(enum param p, const struct qval *v, uint64_t max, uint64_t *ret, char *diag,
	  size_t diaglen)
{
	char buf[24];
	uint64_t n;

	for (size_t i = 0; i < v->len; i++)
		if (v->val[i] < '0' || v->val[i] > '9')
			return fail(TI_CODE(4, 0), diag, diaglen, "%s: not a number",
				    param_names[p]);
	if (v->len > 1 && v->val[0] == '0')
		return fail(TI_CODE(4, 0), diag, diaglen, "%s: leading zero", param_names[p]);
	/* Longer than any uint64_t: out of range like an overflow. */
	if (v->len < sizeof(buf)) {
		memcpy(buf, v->val, v->len);
		buf[v->len] = '\0';
	}
	if (v->len >= sizeof(buf) || ti_parse_u64(buf, 1, max, &n) < 0)
		return fail(TI_CODE(4, 0), diag, diaglen, "%s: out of range (1-%llu)",
			    param_names[p], (unsigned long long)max);
	*ret = n;
	return 0;
}

/* Into [lo, hi], lo at least 1; a window with hi < lo collapses to lo. */
static uint64_t
clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	if (lo < 1)
		lo = 1;
	if (hi < lo)
		hi = lo;
	return v < lo ? lo : v > hi ? hi : v;
}

static int
check_ep(const struct qval *v, char *diag, size_t diaglen)
{
	if (!v->seen)
		return fail(TI_CODE(4, 0), diag, diaglen, "ep: missing");
	if (v->len > KAASD_EP_MAX)
		return fail(TI_CODE(4, 0), diag, diaglen, "ep: too long (max %d bytes)",
			    KAASD_EP_MAX);
	for (size_t i = 0; i < v->len; i++)
		if (!is_ep_char(v->val[i]))
			return fail(TI_CODE(4, 0), diag, diaglen, "ep: bad character 0x%02x",
				    v->val[i]);
	return 0;
}

int
kaasd_req_subscribe(const struct ti_msg *msg, const struct kaasd_req_policy *pol,
		    struct kaasd_sub_req *ret_req, char *diag, size_t diaglen)
{
	struct qval v[P_COUNT] = { 0 };
	struct kaasd_sub_req req = { .ttl_hint = 0 };
	uint64_t lt = pol != NULL ? pol->lifetime_default : 0;
	uint64_t interval = pol != NULL ? pol->interval : 0, ttl = 0;
	int code;

	if (msg == NULL || pol == NULL || ret_req == NULL)
		return fail(TI_CODE(5, 0), diag, diaglen, "internal error");
	if ((code = collect(msg, v, diag, diaglen)) != 0 ||
	    (code = check_ep(&v[P_EP], diag, diaglen)) != 0)
		return code;
	if (v[P_LT].seen &&
	    (code = parse_num(P_LT, &v[P_LT], UINT32_MAX, &lt, diag, diaglen)) != 0)
		return code;
	if (v[P_TTL].seen && (code = parse_num(P_TTL, &v[P_TTL], 255, &ttl, diag, diaglen)) != 0)
		return code;
	if (v[P_INTERVAL].seen && (code = parse_num(P_INTERVAL, &v[P_INTERVAL], UINT32_MAX,
						    &interval, diag, diaglen)) != 0)
		return code;

	memcpy(req.ep, v[P_EP].val, v[P_EP].len);
	req.ep[v[P_EP].len] = '\0';
	req.lifetime = clamp(lt, pol->lifetime_min, pol->lifetime_max);
	req.interval =
	    (uint32_t)clamp(clamp(interval, pol->interval_min, pol->interval_max), 1, UINT32_MAX);
	req.ttl_hint = (uint8_t)ttl;
	*ret_req = req;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Source addresses                                                         */
/* ------------------------------------------------------------------------ */

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static const char *
refuse_v4(const uint8_t a[4], int allow_loopback)
{
	static const uint8_t bcast[4] = { 0xff, 0xff, 0xff, 0xff };

	if (a[0] == 0)
		return a[1] == 0 && a[2] == 0 && a[3] == 0 ? "unspecified address refused"
							   : "this-network address refused";
	if (a[0] == 127 && !allow_loopback)
		return "loopback address refused";
	if (a[0] >= 224 && a[0] <= 239)
		return "multicast address refused";
	if (memcmp(a, bcast, sizeof(bcast)) == 0)
		return "broadcast address refused";
	if (a[0] >= 240)
		return "reserved address refused";
	return NULL;
}

static const char *
refuse_v6(const uint8_t a[16], int allow_loopback)
{
	static const uint8_t zero[15] = { 0 };

	if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0)
		return refuse_v4(a + 12, allow_loopback);
	if (memcmp(a, zero, sizeof(zero)) == 0 && a[15] == 0)
		return "unspecified address refused";
	if (memcmp(a, zero, sizeof(zero)) == 0 && a[15] == 1 && !allow_loopback)
		return "loopback address refused";
	if (a[0] == 0xff)
		return "multicast address refused";
	return NULL;
}

int
kaasd_req_check_peer(const struct sockaddr *sa, int allow_loopback, char *diag, size_t diaglen)
{
	const char *why;
	uint16_t port;

	if (sa == NULL)
		return fail(TI_CODE(4, 3), diag, diaglen, "no source address");
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		why = refuse_v4((const uint8_t *)&s4->sin_addr, allow_loopback);
		port = s4->sin_port;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		why = refuse_v6(s6->sin6_addr.s6_addr, allow_loopback);
		port = s6->sin6_port;
	} else {
		return fail(TI_CODE(4, 3), diag, diaglen, "address family not supported");
	}
	if (why == NULL && port == 0)
		why = "port 0 refused";
	return why != NULL ? fail(TI_CODE(4, 3), diag, diaglen, "%s", why) : 0;
}

/*
 * Prefix keys. Eight bytes cannot hold every IPv6 /64 plus every IPv4 /24
 * with a family tag, so IPv4 borrows a corner of the IPv6 space that
 * kaasd_req_check_peer() refuses anyway (multicast, ff00::/8):
 *   IPv6 /64:                   the first 8 address bytes as they are
 *   IPv4 /24 (and IPv4-mapped): ff 04 a b c 00 00 00 (a.b.c = the /24)
 *   anything else:              ff 00 00 00 00 00 00 00
 * Keys of accepted IPv6 peers never start with 0xff, so the families cannot
 * collide for any address a subscription can have.
 */
void
kaasd_req_prefix(const struct sockaddr *sa, uint8_t key[8])
{
	const uint8_t *v4 = NULL;

	memset(key, 0, 8);
	key[0] = 0xff;
	if (sa != NULL && sa->sa_family == AF_INET) {
		v4 = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		if (memcmp(a, v4mapped, sizeof(v4mapped)) != 0) {
			memcpy(key, a, 8);
			return;
		}
		v4 = a + 12;
	}
	if (v4 != NULL) {
		key[1] = 0x04;
		memcpy(key + 2, v4, 3);
	}
}
