/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: the CoAP side: /kaas subscriptions, their status, /.well-known/core and the relay. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_log.h"
#include "ti_loop.h"
#include "ti_msg.h"
#include "ti_util.h"

#include "kaasd_conf.h"
#include "kaasd_icmp.h"
#include "kaasd_req.h"
#include "kaasd_server.h"

#define MAX_SEGMENTS 16
/* RFC 7252 section 4.8.2: EXCHANGE_LIFETIME. */
#define EXCHANGE_LIFETIME_MS 247000u
/* RFC 7252 section 4.8: ACK_TIMEOUT. */
#define ACK_TIMEOUT_MS 2000u
#define CF_LINK_FORMAT 40
#define CF_JSON 50

/** A request being answered. */
struct req {
	struct kaasd_server *srv;
	unsigned sock;
	const struct kaasd_addr *peer, *local;
	int recv_ttl;
	const struct ti_msg *m;
	const char *seg[MAX_SEGMENTS];
	size_t seglen[MAX_SEGMENTS];
	size_t nseg;
};

/* ---------------------------------------------------------------- dedup */

static struct kaasd_dedup *
dedup_slot(struct kaasd_server *srv, const struct kaasd_addr *peer, uint16_t mid)
{
	uint64_t h = 1469598103934665603ull;
	const uint8_t *p = (const uint8_t *)peer;

	for (size_t i = 0; i < sizeof(*peer); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	h = (h ^ mid) * 1099511628211ull;
	return &srv->dedup[(h ^ (h >> 32)) & (KAASD_DEDUP_SLOTS - 1)];
}

static struct kaasd_dedup *
dedup_find(struct kaasd_server *srv, const struct kaasd_addr *peer, uint16_t mid)
{
	struct kaasd_dedup *d = dedup_slot(srv, peer, mid);

	if (d->used && d->mid == mid && kaasd_addr_equal(&d->peer, peer) &&
	    ti_now_ms() - d->at < EXCHANGE_LIFETIME_MS)
		return d;
	return NULL;
}

static void
dedup_store(struct kaasd_server *srv, const struct kaasd_addr *peer, uint16_t mid,
	    const uint8_t *buf, size_t len, int pending)
{
	struct kaasd_dedup *d = dedup_slot(srv, peer, mid);
	uint8_t *copy = NULL;

	if (len && (copy = malloc(len)) == NULL)
		return;
	if (len)
		memcpy(copy, buf, len);
	free(d->buf);
	d->peer = *peer;
	d->mid = mid;
	d->used = 1;
	d->pending = (uint8_t)pending;
	d->at = ti_now_ms();
	d->len = (uint16_t)len;
	d->buf = copy;
}

static void
dedup_free_all(struct kaasd_server *srv)
{
	for (size_t i = 0; i < KAASD_DEDUP_SLOTS; i++) {
		free(srv->dedup[i].buf);
		srv->dedup[i].buf = NULL;
		srv->dedup[i].used = 0;
	}
}

/* ---------------------------------------------------------------- answers */

static uint16_t
next_mid(struct kaasd_server *srv, unsigned sock)
{
	return srv->socks[sock]->next_mid++;
}

/* Send a response to a request, piggybacked on the ACK of a CON. */
static void
respond(struct req *q, uint8_t code, int cf, const uint8_t *loc_id, size_t loc_len,
	const void *payload, size_t plen)
{
	uint8_t buf[KAASD_MAX_DGRAM];
	struct ti_msgw w;
	int con = q->m->type == TI_MSG_CON;
	size_t len;

	ti_msgw_init(&w, buf, sizeof(buf), con ? TI_MSG_ACK : TI_MSG_NON, code,
		     con ? q->m->mid : next_mid(q->srv, q->sock), q->m->token, q->m->tkl);
	if (loc_id) {
		ti_msgw_opt(&w, 8, "kaas", 4); /* Location-Path */
		ti_msgw_opt(&w, 8, loc_id, loc_len);
	}
	if (cf >= 0)
		ti_msgw_opt_uint(&w, TI_OPT_CONTENT_FORMAT, (uint32_t)cf);
	if (cf >= 0 && code == TI_CODE(2, 5))
		ti_msgw_opt_uint(&w, TI_OPT_MAX_AGE, 0);
	ti_msgw_payload(&w, payload, plen);
	len = ti_msgw_finish(&w);
	if (len == 0)
		return;
	kaasd_net_send(q->srv, q->sock, q->peer, q->local, 0, buf, len);
	if (con)
		dedup_store(q->srv, q->peer, q->m->mid, buf, len, 0);
}

static void
respond_error(struct req *q, uint8_t code, const char *diag)
{
	respond(q, code, -1, NULL, 0, diag, strlen(diag));
}

static void
send_empty(struct kaasd_server *srv, unsigned sock, const struct kaasd_addr *peer,
	   const struct kaasd_addr *local, uint8_t type, uint16_t mid)
{
	uint8_t b[4] = { (uint8_t)(0x40 | (type << 4)), 0, (uint8_t)(mid >> 8), (uint8_t)mid };

	kaasd_net_send(srv, sock, peer, local, 0, b, sizeof(b));
}

/* ---------------------------------------------------------------- /kaas */

static int
seg_is(const struct req *q, size_t i, const char *s)
{
	return i < q->nseg && q->seglen[i] == strlen(s) && memcmp(q->seg[i], s, q->seglen[i]) == 0;
}

static void
policy_from_conf(const struct kaasd_conf *c, struct kaasd_req_policy *p)
{
	p->lifetime_min = c->lifetime_min;
	p->lifetime_max = c->lifetime_max;
	p->lifetime_default = c->lifetime_default;
	p->interval = c->interval;
	p->interval_min = c->interval_min;
	p->interval_max = c->interval_max;
	p->allow_loopback = c->allow_loopback;
}

static void
do_subscribe(struct req *q)
{
	struct kaasd_req_policy pol;
	struct kaasd_sub_req sr;
	struct kaasd_sub *sub;
	struct sockaddr_storage ss;
	char diag[128], id[24];
	int code;

	kaasd_addr_to(q->peer, &ss);
	if ((code = kaasd_req_check_peer((struct sockaddr *)&ss, q->srv->conf->allow_loopback, diag,
					 sizeof(diag))) != 0) {
		respond_error(q, (uint8_t)code, diag);
		return;
	}
	if (ti_msg_find(q->m, TI_OPT_CONTENT_FORMAT)) {
		respond_error(q, TI_CODE(4, 15), "no payload expected");
		return;
	}
	if (q->m->payload_len) {
		respond_error(q, TI_CODE(4, 0), "no payload expected");
		return;
	}
	policy_from_conf(q->srv->conf, &pol);
	if ((code = kaasd_req_subscribe(q->m, &pol, &sr, diag, sizeof(diag))) != 0) {
		respond_error(q, (uint8_t)code, diag);
		return;
	}
	code = kaasd_sub_subscribe(q->srv, q->sock, q->peer, q->local, q->recv_ttl, &sr, &sub, diag,
				   sizeof(diag));
	if (code != 0) {
		respond_error(q, (uint8_t)code, diag);
		return;
	}
	snprintf(id, sizeof(id), "%" PRId64, sub->id);
	respond(q, TI_CODE(2, 1), -1, (const uint8_t *)id, strlen(id), NULL, 0);
}

static int
parse_id(const char *s, size_t n, int64_t *ret)
{
	int64_t v = 0;

	if (n == 0 || n > 18 || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

/* The authority the requester used (Uri-Host/Uri-Port) or the address it sent to. */
static void
authority(const struct req *q, char *buf, size_t size)
{
	const struct ti_msg_opt *h = ti_msg_find(q->m, TI_OPT_URI_HOST);
	const struct ti_msg_opt *p = ti_msg_find(q->m, TI_OPT_URI_PORT);
	char host[TI_ADDR_STRLEN];

	if (h && h->len > 0 && h->len < 256) {
		unsigned port = p ? ti_msg_opt_uint(p) : q->local->port;
		snprintf(buf, size, "%.*s:%u", (int)h->len, (const char *)h->val, port);
		return;
	}
	kaasd_addr_format(q->local, 1, host, sizeof(host));
	ti_strlcpy(buf, host, size);
}

static int
is_loopback(const struct kaasd_addr *a)
{
	static const uint8_t v6[16] = { [15] = 1 };

	return (a->family == 4 && a->a[0] == 127) ||
	       (a->family == 6 && memcmp(a->a, v6, 16) == 0);
}

static void
do_status(struct req *q, struct kaasd_sub *sub)
{
	const struct ti_msg_opt *acc = ti_msg_find(q->m, TI_OPT_ACCEPT);
	char auth[300];
	char *json;

	if (acc && ti_msg_opt_uint(acc) != CF_JSON) {
		respond_error(q, TI_CODE(4, 6), "only application/json (50)");
		return;
	}
	authority(q, auth, sizeof(auth));
	json = kaasd_sub_status(q->srv, sub, auth);
	if (json == NULL) {
		respond_error(q, TI_CODE(5, 0), "out of memory");
		return;
	}
	respond(q, TI_CODE(2, 5), CF_JSON, NULL, 0, json, strlen(json));
	free(json);
}

static void
do_kaas(struct req *q)
{
	struct kaasd_sub *sub;
	int64_t id;

	if (q->nseg == 1) {
		if (q->m->code != TI_CODE(0, 2)) {
			respond_error(q, TI_CODE(4, 5), "POST to subscribe");
			return;
		}
		do_subscribe(q);
		return;
	}
	if (q->nseg != 2 || parse_id(q->seg[1], q->seglen[1], &id) < 0 ||
	    (sub = kaasd_sub_by_id(q->srv, id)) == NULL) {
		respond_error(q, TI_CODE(4, 4), "no such subscription");
		return;
	}
	switch (q->m->code) {
	case TI_CODE(0, 1):
		do_status(q, sub);
		break;
	case TI_CODE(0, 4):
		if (!kaasd_addr_equal(q->peer, &sub->peer) && !is_loopback(q->peer)) {
			respond_error(q, TI_CODE(4, 3), "only the subscriber may end it");
			return;
		}
		kaasd_sub_remove(q->srv, sub, "deleted");
		respond(q, TI_CODE(2, 2), -1, NULL, 0, NULL, 0);
		break;
	default:
		respond_error(q, TI_CODE(4, 5), "GET or DELETE");
		break;
	}
}

static void
do_wellknown(struct req *q)
{
	const struct ti_msg_opt *acc = ti_msg_find(q->m, TI_OPT_ACCEPT);
	const char *links = q->srv->conf->relay ? "</kaas>;rt=\"kaas\";ct=50,</relay>;rt=\"kaas-relay\""
						: "</kaas>;rt=\"kaas\";ct=50";

	if (q->m->code != TI_CODE(0, 1)) {
		respond_error(q, TI_CODE(4, 5), "GET only");
		return;
	}
	if (acc && ti_msg_opt_uint(acc) != CF_LINK_FORMAT) {
		respond_error(q, TI_CODE(4, 6), "only application/link-format (40)");
		return;
	}
	respond(q, TI_CODE(2, 5), CF_LINK_FORMAT, NULL, 0, links, strlen(links));
}

/* ---------------------------------------------------------------- relay */

static void relay_free(struct kaasd_server *srv, struct kaasd_relay *r);

/* Answer the requester of r with a copy of the device's response (or an error). */
static void
relay_answer(struct kaasd_server *srv, struct kaasd_relay *r, const struct ti_msg *resp,
	     uint8_t code, const char *diag)
{
	uint8_t buf[KAASD_MAX_DGRAM];
	struct ti_msgw w;
	int con = r->req_type == TI_MSG_CON;
	size_t len;

	if (r->req_sock >= srv->n_socks)
		return;
	ti_msgw_init(&w, buf, sizeof(buf), con ? TI_MSG_ACK : TI_MSG_NON,
		     resp ? resp->code : code, con ? r->req_mid : next_mid(srv, r->req_sock),
		     r->req_token, r->req_tkl);
	if (resp) {
		for (size_t i = 0; i < resp->n_opts; i++)
			ti_msgw_opt(&w, resp->opts[i].num, resp->opts[i].val, resp->opts[i].len);
		ti_msgw_payload(&w, resp->payload, resp->payload_len);
	} else {
		ti_msgw_payload(&w, diag, strlen(diag));
	}
	len = ti_msgw_finish(&w);
	if (len == 0) {
		/* The device's answer does not fit a datagram back. */
		ti_msgw_init(&w, buf, sizeof(buf), con ? TI_MSG_ACK : TI_MSG_NON, TI_CODE(5, 2),
			     con ? r->req_mid : next_mid(srv, r->req_sock), r->req_token,
			     r->req_tkl);
		ti_msgw_payload(&w, "response too large", 18);
		len = ti_msgw_finish(&w);
	}
	kaasd_net_send(srv, r->req_sock, &r->req_peer, &r->req_local, 0, buf, len);
	if (con)
		dedup_store(srv, &r->req_peer, r->req_mid, buf, len, 0);
}

static void
relay_timer(struct ti_loop *loop, struct ti_timer *timer, void *data)
{
	struct kaasd_relay *r = data;
	struct kaasd_server *srv = r->srv;
	uint64_t now = ti_now_ms();

	(void)loop;
	(void)timer;
	if (now >= r->deadline || r->acked) {
		if (now < r->deadline) {
			ti_timer_set(r->timer, r->deadline - now, 0);
			return;
		}
		srv->stats.relay_timeouts++;
		relay_answer(srv, r, NULL, TI_CODE(5, 4), "device did not answer");
		relay_free(srv, r);
		return;
	}
	/* Retransmit the forwarded CON (RFC 7252 4.2), within the deadline. */
	r->tries++;
	kaasd_net_send(srv, r->sock, &r->device, &r->device_local, 0, r->buf, r->len);
	uint64_t wait = (uint64_t)ACK_TIMEOUT_MS << r->tries;
	if (now + wait > r->deadline)
		wait = r->deadline - now;
	ti_timer_set(r->timer, wait ? wait : 1, 0);
	kaasd_net_flush(srv);
}

static void
relay_free(struct kaasd_server *srv, struct kaasd_relay *r)
{
	for (struct kaasd_relay **pp = &srv->relays; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	srv->n_relays--;
	ti_timer_free(r->timer);
	free(r);
}

void
kaasd_relay_fail_sub(struct kaasd_server *srv, int64_t sub_id)
{
	struct kaasd_relay *r = srv->relays, *next;

	for (; r; r = next) {
		next = r->next;
		if (r->sub_id == sub_id) {
			relay_answer(srv, r, NULL, TI_CODE(5, 4), "subscription ended");
			relay_free(srv, r);
		}
	}
}

void
kaasd_relay_free_all(struct kaasd_server *srv)
{
	while (srv->relays)
		relay_free(srv, srv->relays);
	dedup_free_all(srv);
}

int
kaasd_relay_icmp(struct kaasd_server *srv, const struct kaasd_icmp_event *ev)
{
	struct kaasd_addr dest;

	if (!ev->has_mid || ev->coap_empty)
		return 0;
	kaasd_addr_from(&dest, (const struct sockaddr *)&ev->dest);
	for (struct kaasd_relay *r = srv->relays; r; r = r->next) {
		if (r->mid != ev->mid || !kaasd_addr_equal(&r->device, &dest))
			continue;
		if (ev->kind == KAASD_ICMP_PORT_UNREACH || ev->kind == KAASD_ICMP_UNREACH) {
			struct kaasd_sub *sub = kaasd_sub_by_id(srv, r->sub_id);
			if (sub && ev->from_dest && ev->kind == KAASD_ICMP_PORT_UNREACH)
				kaasd_sub_lost(srv, sub, ev);
			relay_answer(srv, r, NULL, TI_CODE(5, 4), "device unreachable");
			relay_free(srv, r);
		}
		return 1;
	}
	return 0;
}

static struct kaasd_relay *
relay_by_token(struct kaasd_server *srv, const struct kaasd_addr *peer, const struct ti_msg *m)
{
	for (struct kaasd_relay *r = srv->relays; r; r = r->next)
		if (m->tkl == sizeof(r->token) && memcmp(m->token, r->token, sizeof(r->token)) == 0 &&
		    kaasd_addr_equal(&r->device, peer))
			return r;
	return NULL;
}

static struct kaasd_relay *
relay_by_mid(struct kaasd_server *srv, const struct kaasd_addr *peer, uint16_t mid)
{
	for (struct kaasd_relay *r = srv->relays; r; r = r->next)
		if (r->mid == mid && kaasd_addr_equal(&r->device, peer))
			return r;
	return NULL;
}

static void
do_relay(struct req *q)
{
	struct kaasd_server *srv = q->srv;
	const struct ti_msg *m = q->m;
	struct kaasd_sub *sub;
	struct kaasd_relay *r;
	struct ti_msgw w;
	char ep[KAASD_EP_MAX + 1];
	size_t skip = 2;

	if (!srv->conf->relay) {
		respond_error(q, TI_CODE(4, 4), "relay disabled");
		return;
	}
	if (q->nseg < 2 || q->seglen[1] > KAASD_EP_MAX || q->seglen[1] == 0) {
		respond_error(q, TI_CODE(4, 4), "no endpoint");
		return;
	}
	memcpy(ep, q->seg[1], q->seglen[1]);
	ep[q->seglen[1]] = '\0';
	if ((sub = kaasd_sub_by_ep(srv, ep)) == NULL) {
		respond_error(q, TI_CODE(4, 4), "no subscription for this endpoint");
		return;
	}
	if (ti_msg_find(m, TI_OPT_PROXY_URI) || ti_msg_find(m, TI_OPT_PROXY_SCHEME)) {
		respond_error(q, TI_CODE(5, 5), "not a forward proxy");
		return;
	}
	if (srv->n_relays >= KAASD_MAX_RELAYS) {
		respond_error(q, TI_CODE(5, 3), "too many relayed requests");
		return;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->timer = ti_timer_new(srv->loop, relay_timer, r)) == NULL) {
		free(r);
		respond_error(q, TI_CODE(5, 0), "out of memory");
		return;
	}
	r->srv = srv;
	r->sub_id = sub->id;
	r->sock = sub->sock;
	r->device = sub->peer;
	r->device_local = sub->local;
	r->mid = next_mid(srv, sub->sock);
	ti_random(r->token, sizeof(r->token));
	r->req_sock = q->sock;
	r->req_peer = *q->peer;
	r->req_local = *q->local;
	r->req_type = m->type;
	r->req_mid = m->mid;
	r->req_tkl = m->tkl;
	memcpy(r->req_token, m->token, m->tkl);
	r->deadline = ti_now_ms() + srv->conf->relay_timeout * 1000;

	ti_msgw_init(&w, r->buf, sizeof(r->buf), TI_MSG_CON, m->code, r->mid, r->token,
		     sizeof(r->token));
	for (size_t i = 0; i < m->n_opts; i++) {
		const struct ti_msg_opt *o = &m->opts[i];
		if (o->num == TI_OPT_URI_HOST || o->num == TI_OPT_URI_PORT)
			continue;
		if (o->num == TI_OPT_URI_PATH && skip) {
			skip--;
			continue;
		}
		ti_msgw_opt(&w, o->num, o->val, o->len);
	}
	ti_msgw_payload(&w, m->payload, m->payload_len);
	r->len = ti_msgw_finish(&w);
	if (r->len == 0) {
		ti_timer_free(r->timer);
		free(r);
		respond_error(q, TI_CODE(4, 13), "request too large to relay");
		return;
	}
	r->next = srv->relays;
	srv->relays = r;
	srv->n_relays++;
	srv->stats.relayed++;
	if (m->type == TI_MSG_CON)
		dedup_store(srv, q->peer, m->mid, NULL, 0, 1);
	kaasd_net_send(srv, r->sock, &r->device, &r->device_local, 0, r->buf, r->len);
	uint64_t wait = ACK_TIMEOUT_MS;
	if (wait > srv->conf->relay_timeout * 1000)
		wait = srv->conf->relay_timeout * 1000;
	ti_timer_set(r->timer, wait ? wait : 1, 0);
}

/* A response from a device: is it the answer to one of our relayed requests? */
static void
on_response(struct kaasd_server *srv, unsigned sock, const struct kaasd_addr *peer,
	    const struct kaasd_addr *local, const struct ti_msg *m)
{
	struct kaasd_relay *r = relay_by_token(srv, peer, m);

	if (r == NULL) {
		/* Not ours (any more): reject a CON, ignore the rest (RFC 7252 4.2, 4.3). */
		if (m->type == TI_MSG_CON)
			send_empty(srv, sock, peer, local, TI_MSG_RST, m->mid);
		return;
	}
	if (m->type == TI_MSG_CON)
		send_empty(srv, sock, peer, local, TI_MSG_ACK, m->mid);
	relay_answer(srv, r, m, 0, NULL);
	relay_free(srv, r);
}

static void
on_empty(struct kaasd_server *srv, unsigned sock, const struct kaasd_addr *peer,
	 const struct kaasd_addr *local, const struct ti_msg *m)
{
	struct kaasd_relay *r;

	switch (m->type) {
	case TI_MSG_CON: /* CoAP ping */
		send_empty(srv, sock, peer, local, TI_MSG_RST, m->mid);
		break;
	case TI_MSG_ACK: /* the device will answer our relayed request separately */
		if ((r = relay_by_mid(srv, peer, m->mid)) != NULL)
			r->acked = 1;
		break;
	case TI_MSG_RST:
		if ((r = relay_by_mid(srv, peer, m->mid)) != NULL) {
			relay_answer(srv, r, NULL, TI_CODE(5, 2), "device reset the request");
			relay_free(srv, r);
		} else {
			kaasd_sub_on_rst(srv, peer, m->mid);
		}
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------- requests */

/* Critical options (odd numbers) the /kaas resources understand. */
static int
known_critical(uint16_t num)
{
	switch (num) {
	case TI_OPT_URI_HOST:
	case TI_OPT_URI_PORT:
	case TI_OPT_URI_PATH:
	case TI_OPT_URI_QUERY:
	case TI_OPT_ACCEPT:
	case TI_OPT_PROXY_URI:
	case TI_OPT_PROXY_SCHEME:
		return 1;
	default:
		return !(num & 1);
	}
}

static void
on_request(struct req *q)
{
	const struct ti_msg *m = q->m;
	struct kaasd_dedup *d;
	char diag[64];

	if (m->type == TI_MSG_CON && (d = dedup_find(q->srv, q->peer, m->mid)) != NULL) {
		/* A retransmission: the same answer again, or nothing while it is under way. */
		if (!d->pending && d->len)
			kaasd_net_send(q->srv, q->sock, q->peer, q->local, 0, d->buf, d->len);
		return;
	}
	q->srv->stats.requests++;
	for (size_t i = 0; i < m->n_opts; i++) {
		const struct ti_msg_opt *o = &m->opts[i];
		if (o->num != TI_OPT_URI_PATH)
			continue;
		if (q->nseg == MAX_SEGMENTS) {
			respond_error(q, TI_CODE(4, 4), "path too long");
			return;
		}
		q->seg[q->nseg] = (const char *)o->val;
		q->seglen[q->nseg++] = o->len;
	}
	if (seg_is(q, 0, "relay")) {
		do_relay(q);
		return;
	}
	for (size_t i = 0; i < m->n_opts; i++) {
		if (!known_critical(m->opts[i].num)) {
			snprintf(diag, sizeof(diag), "unknown critical option %u", m->opts[i].num);
			respond_error(q, TI_CODE(4, 2), diag);
			return;
		}
	}
	if (ti_msg_find(m, TI_OPT_PROXY_URI) || ti_msg_find(m, TI_OPT_PROXY_SCHEME)) {
		respond_error(q, TI_CODE(5, 5), "not a forward proxy");
		return;
	}
	if (seg_is(q, 0, "kaas"))
		do_kaas(q);
	else if (q->nseg == 2 && seg_is(q, 0, ".well-known") && seg_is(q, 1, "core"))
		do_wellknown(q);
	else
		respond_error(q, TI_CODE(4, 4), "not found");
}

void
kaasd_proto_input(struct kaasd_server *srv, unsigned sock, const struct kaasd_addr *peer,
		  const struct kaasd_addr *local, int recv_ttl, const uint8_t *buf, size_t len)
{
	struct ti_msg m;
	struct req q = { .srv = srv, .sock = sock, .peer = peer, .local = local,
			 .recv_ttl = recv_ttl, .m = &m };
	int r;

	if (len < 4 || (buf[0] >> 6) != 1)
		return; /* not CoAP version 1: silently ignored (RFC 7252 3) */
	r = ti_msg_parse(buf, len, &m);
	if (r < 0) {
		/* A message format error: reject a CON, ignore the rest (RFC 7252 4.2). */
		if (((buf[0] >> 4) & 3) == TI_MSG_CON)
			send_empty(srv, sock, peer, local, TI_MSG_RST,
				   (uint16_t)((buf[2] << 8) | buf[3]));
		return;
	}
	if (m.code == 0) {
		on_empty(srv, sock, peer, local, &m);
		return;
	}
	if (TI_CODE_CLASS(m.code) == 0) {
		if (m.type == TI_MSG_CON || m.type == TI_MSG_NON)
			on_request(&q);
		return;
	}
	if (TI_CODE_CLASS(m.code) >= 2 && TI_CODE_CLASS(m.code) <= 5)
		on_response(srv, sock, peer, local, &m);
}
