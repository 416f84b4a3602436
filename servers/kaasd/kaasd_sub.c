/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: subscriptions: indexes, caps, hop discovery, keepalives and binding state. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_log.h"
#include "ti_loop.h"
#include "ti_msg.h"
#include "ti_util.h"
#include "ti_wheel.h"

#include "kaasd_conf.h"
#include "kaasd_db.h"
#include "kaasd_icmp.h"
#include "kaasd_rd.h"
#include "kaasd_req.h"
#include "kaasd_server.h"

/* The wheel: 10 ms ticks, 4096 slots (one turn is 41 s, past the usual interval). */
#define TICK_MS 10
#define WHEEL_SLOTS 4096
/* Timers run per tick callback before the loop gets a turn. */
#define RUN_MAX 20000
/* A probe unanswered after this is sent again, PROBE_TRIES times in all. */
#define PROBE_WAIT_MS 1000
#define PROBE_TRIES 3
/* Without a path after discovery, it is tried again after this many intervals. */
#define REDISCOVER_INTERVALS 10
#define PREFIX_BUCKETS 65536

struct kaasd_prefix {
	struct kaasd_prefix *next;
	uint8_t key[8];
	uint32_t n;
};

static void disc_send(struct kaasd_server *srv, struct kaasd_sub *sub);

const char *
kaasd_state_name(int state)
{
	switch (state) {
	case KAASD_DISCOVERING:
		return "discovering";
	case KAASD_ALIVE:
		return "alive";
	case KAASD_LOST:
		return "lost";
	default:
		return "unknown";
	}
}

static int64_t
wall_now(void)
{
	return (int64_t)time(NULL);
}

/* ----------------------------------------------------------------- indexes */

static uint64_t
hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

static uint64_t
hash_host(const struct kaasd_addr *a)
{
	return hash_bytes(a->a, a->family == 4 ? 4 : 16) ^ a->family;
}

static uint64_t
hash_id(int64_t id)
{
	uint64_t x = (uint64_t)id * 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 31);
}

/* Offsets of the chain pointers, one per index. */
#define NEXT(sub, off) (*(struct kaasd_sub **)((char *)(sub) + (off)))

static int
htab_init(struct kaasd_htab *t, size_t buckets)
{
	t->b = calloc(buckets, sizeof(*t->b));
	t->mask = buckets - 1;
	t->n = 0;
	return t->b ? 0 : -ENOMEM;
}

static uint64_t
sub_hash(const struct kaasd_server *srv, const struct kaasd_htab *t, const struct kaasd_sub *s)
{
	if (t == &srv->by_id)
		return hash_id(s->id);
	if (t == &srv->by_ep)
		return hash_bytes(s->ep, strlen(s->ep));
	return hash_host(&s->peer);
}

static size_t
chain_off(const struct kaasd_server *srv, const struct kaasd_htab *t)
{
	if (t == &srv->by_id)
		return offsetof(struct kaasd_sub, next_id);
	if (t == &srv->by_ep)
		return offsetof(struct kaasd_sub, next_ep);
	return offsetof(struct kaasd_sub, next_host);
}

/* Double the buckets when the load passes 1 (best effort: a failed grow just chains longer). */
static void
htab_grow(struct kaasd_server *srv, struct kaasd_htab *t)
{
	size_t nb = (t->mask + 1) * 2, off = chain_off(srv, t);
	struct kaasd_sub **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return;
	for (size_t i = 0; i <= t->mask; i++) {
		struct kaasd_sub *s = t->b[i], *next;
		for (; s; s = next) {
			next = NEXT(s, off);
			size_t j = sub_hash(srv, t, s) & (nb - 1);
			NEXT(s, off) = b[j];
			b[j] = s;
		}
	}
	free(t->b);
	t->b = b;
	t->mask = nb - 1;
}

static void
htab_add(struct kaasd_server *srv, struct kaasd_htab *t, struct kaasd_sub *s)
{
	size_t off = chain_off(srv, t);

	if (t->n >= t->mask + 1)
		htab_grow(srv, t);
	size_t i = sub_hash(srv, t, s) & t->mask;
	NEXT(s, off) = t->b[i];
	t->b[i] = s;
	t->n++;
}

static void
htab_del(struct kaasd_server *srv, struct kaasd_htab *t, struct kaasd_sub *s)
{
	size_t off = chain_off(srv, t);
	struct kaasd_sub **pp = &t->b[sub_hash(srv, t, s) & t->mask];

	for (; *pp; pp = &NEXT(*pp, off)) {
		if (*pp == s) {
			*pp = NEXT(s, off);
			NEXT(s, off) = NULL;
			t->n--;
			return;
		}
	}
}

struct kaasd_sub *
kaasd_sub_by_id(struct kaasd_server *srv, int64_t id)
{
	for (struct kaasd_sub *s = srv->by_id.b[hash_id(id) & srv->by_id.mask]; s; s = s->next_id)
		if (s->id == id)
			return s;
	return NULL;
}

struct kaasd_sub *
kaasd_sub_by_ep(struct kaasd_server *srv, const char *ep)
{
	size_t i = hash_bytes(ep, strlen(ep)) & srv->by_ep.mask;

	for (struct kaasd_sub *s = srv->by_ep.b[i]; s; s = s->next_ep)
		if (strcmp(s->ep, ep) == 0)
			return s;
	return NULL;
}

struct kaasd_sub *
kaasd_sub_by_peer(struct kaasd_server *srv, const struct kaasd_addr *peer)
{
	size_t i = hash_host(peer) & srv->by_host.mask;

	for (struct kaasd_sub *s = srv->by_host.b[i]; s; s = s->next_host)
		if (kaasd_addr_equal(&s->peer, peer))
			return s;
	return NULL;
}

static unsigned
count_host(struct kaasd_server *srv, const struct kaasd_addr *peer)
{
	size_t i = hash_host(peer) & srv->by_host.mask;
	unsigned n = 0;

	for (struct kaasd_sub *s = srv->by_host.b[i]; s; s = s->next_host)
		if (kaasd_addr_same_host(&s->peer, peer))
			n++;
	return n;
}

static struct kaasd_prefix **
prefix_slot(struct kaasd_server *srv, const struct kaasd_addr *peer, uint8_t key[8])
{
	struct sockaddr_storage ss;

	kaasd_addr_to(peer, &ss);
	kaasd_req_prefix((struct sockaddr *)&ss, key);
	struct kaasd_prefix **pp = &srv->prefixes[hash_bytes(key, 8) & (PREFIX_BUCKETS - 1)];
	for (; *pp; pp = &(*pp)->next)
		if (memcmp((*pp)->key, key, 8) == 0)
			break;
	return pp;
}

static unsigned
count_prefix(struct kaasd_server *srv, const struct kaasd_addr *peer)
{
	uint8_t key[8];
	struct kaasd_prefix **pp = prefix_slot(srv, peer, key);

	return *pp ? (*pp)->n : 0;
}

static int
prefix_adjust(struct kaasd_server *srv, const struct kaasd_addr *peer, int delta)
{
	uint8_t key[8];
	struct kaasd_prefix **pp = prefix_slot(srv, peer, key), *p = *pp;

	if (p == NULL) {
		if (delta < 0)
			return 0;
		p = calloc(1, sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		memcpy(p->key, key, 8);
		*pp = p;
	}
	p->n = (uint32_t)((int64_t)p->n + delta);
	if (p->n == 0) {
		*pp = p->next;
		free(p);
	}
	return 0;
}

/* Index a new subscription (peer, id and ep set). */
static int
index_sub(struct kaasd_server *srv, struct kaasd_sub *s)
{
	if (prefix_adjust(srv, &s->peer, 1) < 0)
		return -ENOMEM;
	htab_add(srv, &srv->by_id, s);
	htab_add(srv, &srv->by_ep, s);
	htab_add(srv, &srv->by_host, s);
	srv->n_subs++;
	return 0;
}

static void
unindex_sub(struct kaasd_server *srv, struct kaasd_sub *s)
{
	htab_del(srv, &srv->by_id, s);
	htab_del(srv, &srv->by_ep, s);
	htab_del(srv, &srv->by_host, s);
	prefix_adjust(srv, &s->peer, -1);
	srv->n_subs--;
}

/* ---------------------------------------------------------------- schedule */

void
kaasd_sub_rearm(struct kaasd_server *srv)
{
	uint64_t next = ti_wheel_next(srv->wheel), now = ti_now_ms();

	if (next == UINT64_MAX) {
		if (srv->tick_at) {
			ti_timer_set(srv->tick, 0, 0);
			srv->tick_at = 0;
		}
		return;
	}
	if (next < now + 1)
		next = now + 1;
	/* Re-arming costs a system call: only when the wakeup must come earlier. */
	if (srv->tick_at && srv->tick_at <= next && srv->tick_at > now)
		return;
	ti_timer_set(srv->tick, next - now, 0);
	srv->tick_at = next;
}

static void
schedule(struct kaasd_server *srv, struct kaasd_sub *s, uint64_t due_ms)
{
	int64_t left = s->expires - wall_now();
	uint64_t now = ti_now_ms();
	uint64_t exp_ms = left <= 0 ? now : now + (uint64_t)left * 1000;

	ti_wheel_del(srv->wheel, &s->timer);
	ti_wheel_add(srv->wheel, &s->timer, due_ms < exp_ms ? due_ms : exp_ms);
}

/* A fast generator for jitter (xorshift64*): getrandom() per keepalive would cost a system call. */
static uint32_t
jitter_rand(void)
{
	static uint64_t x;

	if (x == 0 && (ti_random(&x, sizeof(x)) < 0 || x == 0))
		x = ti_now_ms() | 1;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

/* The next keepalive: the interval, +- 10 %. */
static uint64_t
next_keepalive(const struct kaasd_sub *s)
{
	uint64_t base = (uint64_t)s->interval * 1000;

	return ti_now_ms() + base * 9 / 10 + (base / 5) * (jitter_rand() % 1000) / 1000;
}

/* The global packets-per-second budget (max-pps). */
static int
take_token(struct kaasd_server *srv)
{
	uint64_t now = ti_now_ms();
	double rate = srv->conf->max_pps;

	if (now > srv->tokens_at) {
		srv->tokens += (double)(now - srv->tokens_at) * rate / 1000.0;
		if (srv->tokens > rate)
			srv->tokens = rate;
		srv->tokens_at = now;
	}
	if (srv->tokens < 1.0)
		return 0;
	srv->tokens -= 1.0;
	return 1;
}

static void
send_ping(struct kaasd_server *srv, struct kaasd_sub *s, uint8_t ttl)
{
	uint16_t mid = (uint16_t)(((unsigned)++s->seq << 8) | ttl);

	kaasd_net_queue_ping(srv, s->sock, &s->peer, &s->local, ttl, mid);
}

static void
persist_path(struct kaasd_server *srv, struct kaasd_sub *s)
{
	int r = kaasd_db_set_path(srv->db, s->id, s->ka_ttl, s->nat_hops);

	if (r < 0 && r != -ENOENT)
		ti_log_warn("%s: failed to store the path (%s)", s->ep, ti_strerror(r));
}

/* ---------------------------------------------------------------- discovery */

static void
disc_start(struct kaasd_server *srv, struct kaasd_sub *s, uint64_t at)
{
	unsigned max = srv->conf->max_ttl;

	s->tries = 0;
	s->last_dest_ttl = 0;
	if (srv->conf->keepalive_ttl) {
		/* Forced: no probing at all. */
		s->phase = KAASD_PHASE_NONE;
		s->state = KAASD_UNKNOWN;
		s->ka_ttl = (uint8_t)srv->conf->keepalive_ttl;
		schedule(srv, s, at);
		return;
	}
	s->state = KAASD_DISCOVERING;
	s->nat_hops = 0;
	if (s->ttl_hint && s->recv_ttl && s->ttl_hint > s->recv_ttl &&
	    (unsigned)(s->ttl_hint - s->recv_ttl) <= max) {
		s->phase = KAASD_PHASE_HINT;
		s->probe_ttl = (uint8_t)(s->ttl_hint - s->recv_ttl);
	} else {
		s->phase = KAASD_PHASE_UP;
		s->probe_ttl = 1;
		s->ka_ttl = 0;
	}
	schedule(srv, s, at);
}

static void
disc_done(struct kaasd_server *srv, struct kaasd_sub *s, int state)
{
	s->phase = KAASD_PHASE_NONE;
	s->state = (uint8_t)state;
	s->tries = 0;
	if (s->ka_ttl == 0) {
		ti_log_warn("%s: no path to the NAT found; trying again in %u s", s->ep,
			    s->interval * REDISCOVER_INTERVALS);
		schedule(srv, s, ti_now_ms() + (uint64_t)s->interval * 1000 * REDISCOVER_INTERVALS);
		return;
	}
	ti_log_info("%s: keepalive TTL %u, NAT at %u hop(s)%s, binding %s", s->ep, s->ka_ttl,
		    s->nat_hops, s->nat_hops ? "" : " (unknown)", kaasd_state_name(s->state));
	persist_path(srv, s);
	schedule(srv, s, next_keepalive(s));
}

/* Send the probe of the current step; its answer or its silence moves discovery on. */
static void
disc_send(struct kaasd_server *srv, struct kaasd_sub *s)
{
	s->tries++;
	srv->stats.probes++;
	send_ping(srv, s, s->probe_ttl);
	schedule(srv, s, ti_now_ms() + PROBE_WAIT_MS);
}

/* Move to probe_ttl = ttl at once. */
static void
disc_next(struct kaasd_server *srv, struct kaasd_sub *s, unsigned ttl)
{
	s->probe_ttl = (uint8_t)ttl;
	s->tries = 0;
	schedule(srv, s, ti_now_ms());
}

enum disc_ev { EV_TE_DEST, EV_TE_OTHER, EV_PORT_UNREACH, EV_RST, EV_SILENCE };

static void
disc_event(struct kaasd_server *srv, struct kaasd_sub *s, enum disc_ev ev)
{
	unsigned t = s->probe_ttl, max = srv->conf->max_ttl;

	switch (s->phase) {
	case KAASD_PHASE_HINT:
		if (ev == EV_TE_DEST) {
			s->ka_ttl = (uint8_t)t;
			s->state = KAASD_ALIVE;
			if (t > 1) {
				s->phase = KAASD_PHASE_DOWN;
				disc_next(srv, s, t - 1);
			} else {
				s->nat_hops = 1;
				disc_done(srv, s, KAASD_ALIVE);
			}
		} else if (ev == EV_TE_OTHER) {
			/* The NAT is farther than the hint says: full mode upward. */
			s->phase = KAASD_PHASE_UP;
			if (t + 1 > max)
				disc_done(srv, s, KAASD_UNKNOWN);
			else
				disc_next(srv, s, t + 1);
		} else if (ev == EV_RST) {
			if (t > 1)
				disc_next(srv, s, t - 1);
			else
				disc_done(srv, s, KAASD_UNKNOWN);
		} else if (ev == EV_PORT_UNREACH) {
			s->ka_ttl = (uint8_t)t;
			disc_done(srv, s, KAASD_LOST);
		} else {
			s->ka_ttl = (uint8_t)t;
			disc_done(srv, s, KAASD_UNKNOWN);
		}
		break;
	case KAASD_PHASE_DOWN:
		if (ev == EV_TE_DEST && t > 1) {
			disc_next(srv, s, t - 1);
		} else if (ev == EV_TE_DEST) {
			s->nat_hops = 1;
			disc_done(srv, s, KAASD_ALIVE);
		} else if (ev == EV_TE_OTHER) {
			s->nat_hops = (uint8_t)(t + 1);
			disc_done(srv, s, KAASD_ALIVE);
		} else {
			/* Silence or an odd answer below the keepalive TTL: NAT unknown. */
			disc_done(srv, s, s->state == KAASD_DISCOVERING ? KAASD_UNKNOWN : s->state);
		}
		break;
	case KAASD_PHASE_UP:
		if (ev == EV_TE_DEST) {
			if (s->nat_hops == 0)
				s->nat_hops = (uint8_t)t;
			s->ka_ttl = (uint8_t)t;
			s->last_dest_ttl = (uint8_t)t;
			s->state = KAASD_ALIVE;
			if (t + 1 > max)
				disc_done(srv, s, KAASD_ALIVE);
			else
				disc_next(srv, s, t + 1);
		} else if (ev == EV_TE_OTHER || (ev == EV_SILENCE && s->last_dest_ttl == 0)) {
			if (t + 1 > max)
				disc_done(srv, s, KAASD_UNKNOWN);
			else
				disc_next(srv, s, t + 1);
		} else if (ev == EV_PORT_UNREACH) {
			if (s->ka_ttl == 0)
				s->ka_ttl = (uint8_t)t;
			disc_done(srv, s, KAASD_LOST);
		} else {
			/* The device answered, or went silent past the NAT: the last TTL that
			 * drew Time Exceeded from the NAT's side is the keepalive TTL. */
			if (s->ka_ttl == 0 && t > 1)
				s->ka_ttl = (uint8_t)(t - 1);
			disc_done(srv, s, s->last_dest_ttl ? KAASD_ALIVE : KAASD_UNKNOWN);
		}
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------- timers */

static void
keepalive(struct kaasd_server *srv, struct kaasd_sub *s)
{
	srv->stats.keepalives++;
	s->last_ka = (uint32_t)wall_now();
	send_ping(srv, s, s->ka_ttl);
	schedule(srv, s, next_keepalive(s));
}

static void
on_due(struct ti_wheel_entry *e, void *arg)
{
	struct kaasd_server *srv = arg;
	struct kaasd_sub *s = (struct kaasd_sub *)((char *)e - offsetof(struct kaasd_sub, timer));
	uint64_t now = ti_now_ms(), late = now > e->due ? now - e->due : 0;

	srv->stats.late[late < KAASD_LATE_BUCKETS ? late : KAASD_LATE_BUCKETS - 1]++;
	if (s->expires <= wall_now()) {
		kaasd_sub_remove(srv, s, "lifetime expired");
		return;
	}
	if (!take_token(srv)) {
		srv->stats.deferred++;
		ti_wheel_add(srv->wheel, &s->timer, ti_now_ms() + TICK_MS);
		return;
	}
	if (s->phase == KAASD_PHASE_NONE) {
		if (s->ka_ttl == 0) {
			disc_start(srv, s, ti_now_ms());
			return;
		}
		keepalive(srv, s);
	} else if (s->tries < PROBE_TRIES) {
		disc_send(srv, s);
	} else {
		disc_event(srv, s, EV_SILENCE);
	}
}

void
kaasd_sub_run(struct kaasd_server *srv)
{
	ti_wheel_run(srv->wheel, ti_now_ms(), RUN_MAX, on_due, srv);
	kaasd_net_flush(srv);
	srv->tick_at = 0;
	kaasd_sub_rearm(srv);
}

static void
on_tick(struct ti_loop *loop, struct ti_timer *timer, void *data)
{
	(void)loop;
	(void)timer;
	kaasd_sub_run(data);
}

/* ---------------------------------------------------------------- evidence */

static void
set_evidence(struct kaasd_sub *s, int kind, const struct kaasd_icmp_event *ev)
{
	s->ev_kind = (uint8_t)kind;
	s->ev_at = (uint32_t)wall_now();
	if (ev) {
		s->ev_ttl = ev->ttl > 0 ? (uint8_t)ev->ttl : 0;
		s->ev_dist = (uint8_t)ev->distance;
		if (ev->offender.ss_family != AF_UNSPEC)
			kaasd_addr_from(&s->ev_from, (const struct sockaddr *)&ev->offender);
		else
			memset(&s->ev_from, 0, sizeof(s->ev_from));
	} else {
		s->ev_ttl = s->ev_dist = 0;
		s->ev_from = s->peer;
	}
}

static void
set_state(struct kaasd_sub *s, int state)
{
	if (s->state == state)
		return;
	if (state == KAASD_LOST) {
		char a[TI_ADDR_STRLEN];
		kaasd_addr_format(&s->peer, 1, a, sizeof(a));
		ti_log_warn("%s: binding %s lost (port unreachable from the NAT)", s->ep, a);
	} else if (s->state == KAASD_LOST) {
		ti_log_notice("%s: binding is back (%s)", s->ep, kaasd_state_name(state));
	}
	s->state = (uint8_t)state;
}

void
kaasd_sub_on_icmp(struct kaasd_server *srv, const struct kaasd_icmp_event *ev)
{
	struct kaasd_addr dest;
	struct kaasd_sub *s;
	enum disc_ev de;

	kaasd_addr_from(&dest, (const struct sockaddr *)&ev->dest);
	s = kaasd_sub_by_peer(srv, &dest);
	/* Only our own empty CONs: relayed requests are matched by the relay. */
	if (s == NULL || !ev->has_mid || !ev->coap_empty || ev->coap_type != TI_MSG_CON)
		return;
	if (ev->kind == KAASD_ICMP_TIME_EXCEEDED)
		de = ev->from_dest ? EV_TE_DEST : EV_TE_OTHER;
	else if (ev->kind == KAASD_ICMP_PORT_UNREACH && ev->from_dest)
		de = EV_PORT_UNREACH;
	else
		return;
	if (s->phase != KAASD_PHASE_NONE) {
		if (ev->probe_ttl != s->probe_ttl)
			return; /* a late answer to an earlier probe */
		set_evidence(s, ev->kind, ev);
		disc_event(srv, s, de);
		return;
	}
	if (ev->probe_ttl != s->ka_ttl)
		return;
	set_evidence(s, ev->kind, ev);
	switch (de) {
	case EV_TE_DEST:
		set_state(s, KAASD_ALIVE);
		break;
	case EV_PORT_UNREACH:
		set_state(s, KAASD_LOST);
		break;
	case EV_TE_OTHER:
		/* Expired before the NAT: the path grew. One more hop, at once. */
		if (s->ka_ttl < srv->conf->max_ttl && srv->conf->keepalive_ttl == 0) {
			s->ka_ttl++;
			ti_log_notice("%s: path grew, keepalive TTL now %u", s->ep, s->ka_ttl);
			persist_path(srv, s);
			if (take_token(srv))
				send_ping(srv, s, s->ka_ttl);
		}
		break;
	case EV_RST:
	case EV_SILENCE:
		break;
	}
}

void
kaasd_sub_lost(struct kaasd_server *srv, struct kaasd_sub *s, const struct kaasd_icmp_event *ev)
{
	(void)srv;
	set_evidence(s, ev->kind, ev);
	if (s->phase == KAASD_PHASE_NONE)
		set_state(s, KAASD_LOST);
}

void
kaasd_sub_on_rst(struct kaasd_server *srv, const struct kaasd_addr *peer, uint16_t mid)
{
	struct kaasd_sub *s = kaasd_sub_by_peer(srv, peer);
	uint8_t ttl = (uint8_t)(mid & 0xff);

	if (s == NULL)
		return;
	set_evidence(s, KAASD_EV_RST, NULL);
	if (s->phase != KAASD_PHASE_NONE) {
		if (ttl == s->probe_ttl)
			disc_event(srv, s, EV_RST);
		return;
	}
	if (ttl == s->ka_ttl && s->ka_ttl > 1 && srv->conf->keepalive_ttl == 0) {
		s->ka_ttl--;
		ti_log_warn("%s: a keepalive reached the device; keepalive TTL now %u", s->ep,
			    s->ka_ttl);
		persist_path(srv, s);
	}
}

/* ---------------------------------------------------------------- lifecycle */

static struct kaasd_sub *
sub_new(const char *ep)
{
	struct kaasd_sub *s = calloc(1, sizeof(*s));

	if (s && (s->ep = strdup(ep)) == NULL) {
		free(s);
		s = NULL;
	}
	return s;
}

static void
sub_free(struct kaasd_sub *s)
{
	free(s->ep);
	free(s);
}

static void
to_row(const struct kaasd_sub *s, struct kaasd_db_sub *row)
{
	memset(row, 0, sizeof(*row));
	row->id = s->id;
	row->ep = s->ep;
	kaasd_addr_to(&s->peer, &row->peer);
	kaasd_addr_to(&s->local, &row->local);
	row->created = s->created;
	row->expires = s->expires;
	row->interval = s->interval;
	row->ttl_hint = s->ttl_hint;
	row->recv_ttl = s->recv_ttl;
	row->ka_ttl = s->ka_ttl;
	row->nat_hops = s->nat_hops;
}

int
kaasd_sub_subscribe(struct kaasd_server *srv, unsigned sock, const struct kaasd_addr *peer,
		    const struct kaasd_addr *local, int recv_ttl, const struct kaasd_sub_req *req,
		    struct kaasd_sub **ret_sub, char *diag, size_t diaglen)
{
	const struct kaasd_conf *c = srv->conf;
	struct kaasd_sub *s = kaasd_sub_by_ep(srv, req->ep);
	int moved = s == NULL || !kaasd_addr_equal(&s->peer, peer);
	struct kaasd_sub tmp;
	struct kaasd_db_sub row;
	int64_t now = wall_now();
	int r;

	if (s == NULL && srv->n_subs >= c->max_subscriptions) {
		snprintf(diag, diaglen, "subscription limit reached");
		return TI_CODE(5, 3);
	}
	if (moved && (s == NULL || !kaasd_addr_same_host(&s->peer, peer)) &&
	    count_host(srv, peer) >= c->max_per_address) {
		snprintf(diag, diaglen, "too many subscriptions from this address");
		return TI_CODE(4, 29);
	}
	if (moved && count_prefix(srv, peer) >= c->max_per_prefix) {
		snprintf(diag, diaglen, "too many subscriptions from this network");
		return TI_CODE(4, 29);
	}
	/* The new state, stored before anything is acknowledged. */
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = s ? s->id : 0;
	tmp.ep = (char *)req->ep;
	tmp.created = s ? s->created : now;
	tmp.expires = now + (int64_t)req->lifetime;
	tmp.peer = *peer;
	tmp.local = *local;
	tmp.interval = req->interval;
	tmp.ttl_hint = req->ttl_hint;
	tmp.recv_ttl = recv_ttl > 0 && recv_ttl < 256 ? (uint8_t)recv_ttl : 0;
	int rediscover = moved || tmp.ttl_hint != s->ttl_hint || tmp.recv_ttl != s->recv_ttl ||
			 !kaasd_addr_equal(&s->local, local);
	if (!rediscover) {
		tmp.ka_ttl = s->ka_ttl;
		tmp.nat_hops = s->nat_hops;
	}
	to_row(&tmp, &row);
	if ((r = kaasd_db_put(srv->db, &row)) < 0) {
		ti_log_err("%s: failed to store the subscription (%s)", req->ep, ti_strerror(r));
		snprintf(diag, diaglen, "storage failed");
		return TI_CODE(5, 0);
	}
	if (s == NULL) {
		s = sub_new(req->ep);
		if (s == NULL) {
			kaasd_db_delete(srv->db, row.id);
			snprintf(diag, diaglen, "out of memory");
			return TI_CODE(5, 0);
		}
		s->id = row.id;
		s->peer = *peer;
		if (index_sub(srv, s) < 0) {
			kaasd_db_delete(srv->db, row.id);
			sub_free(s);
			snprintf(diag, diaglen, "out of memory");
			return TI_CODE(5, 0);
		}
		if (srv->rd && kaasd_rd_watch(srv->rd, s->ep) < 0)
			ti_log_warn("%s: cannot follow its RD registration (out of memory)", s->ep);
	} else if (moved) {
		htab_del(srv, &srv->by_host, s);
		prefix_adjust(srv, &s->peer, -1);
		s->peer = *peer;
		htab_add(srv, &srv->by_host, s);
		prefix_adjust(srv, &s->peer, 1);
	}
	s->created = tmp.created;
	s->expires = tmp.expires;
	s->local = *local;
	s->sock = (uint16_t)sock;
	s->interval = tmp.interval;
	s->ttl_hint = tmp.ttl_hint;
	s->recv_ttl = tmp.recv_ttl;
	if (rediscover) {
		char a[TI_ADDR_STRLEN];
		kaasd_addr_format(peer, 1, a, sizeof(a));
		ti_log_info("%s: subscribed from %s (id %lld, lifetime %llu s, interval %u s)",
			    s->ep, a, (long long)s->id, (unsigned long long)req->lifetime,
			    s->interval);
		memset(&s->ev_from, 0, sizeof(s->ev_from));
		s->ev_at = 0;
		s->ev_kind = 0;
		disc_start(srv, s, ti_now_ms());
	} else {
		ti_log_debug("%s: subscription refreshed", s->ep);
		if (s->state == KAASD_LOST)
			set_state(s, KAASD_UNKNOWN); /* the request itself came through the NAT */
		if (s->phase == KAASD_PHASE_NONE)
			schedule(srv, s, next_keepalive(s));
	}
	*ret_sub = s;
	return 0;
}

void
kaasd_sub_remove(struct kaasd_server *srv, struct kaasd_sub *s, const char *reason)
{
	int r;

	ti_log_info("%s: subscription %lld ended (%s)", s->ep, (long long)s->id, reason);
	ti_wheel_del(srv->wheel, &s->timer);
	unindex_sub(srv, s);
	if ((r = kaasd_db_delete(srv->db, s->id)) < 0 && r != -ENOENT)
		ti_log_err("%s: failed to remove it from the database (%s)", s->ep, ti_strerror(r));
	if (srv->rd)
		kaasd_rd_unwatch(srv->rd, s->ep);
	kaasd_relay_fail_sub(srv, s->id);
	sub_free(s);
}

static int
load_one(const struct kaasd_db_sub *row, void *arg)
{
	struct kaasd_server *srv = arg;
	struct kaasd_addr peer, local;
	struct kaasd_sub *s;
	int sock;
	uint32_t r;

	kaasd_addr_from(&peer, (const struct sockaddr *)&row->peer);
	kaasd_addr_from(&local, (const struct sockaddr *)&row->local);
	sock = kaasd_net_find_sock(srv, &local);
	if (sock < 0) {
		char a[TI_ADDR_STRLEN];
		kaasd_addr_format(&local, 1, a, sizeof(a));
		ti_log_warn("%s: no socket listens on %s any more; subscription %lld not resumed",
			    row->ep, a, (long long)row->id);
		return 0;
	}
	if ((s = sub_new(row->ep)) == NULL)
		return -ENOMEM;
	s->id = row->id;
	s->peer = peer;
	s->local = local;
	s->sock = (uint16_t)sock;
	s->created = row->created;
	s->expires = row->expires;
	s->interval = row->interval ? row->interval : (uint32_t)srv->conf->interval;
	s->ttl_hint = row->ttl_hint;
	s->recv_ttl = row->recv_ttl;
	s->ka_ttl = row->ka_ttl;
	s->nat_hops = row->nat_hops;
	if (index_sub(srv, s) < 0) {
		sub_free(s);
		return -ENOMEM;
	}
	if (srv->rd)
		kaasd_rd_watch(srv->rd, s->ep);
	/* Spread the first keepalives over half an interval. */
	r = jitter_rand();
	uint64_t at = ti_now_ms() + (uint64_t)(r % (s->interval * 500 + 1));
	if (s->ka_ttl && !srv->conf->keepalive_ttl) {
		s->phase = KAASD_PHASE_NONE;
		s->state = KAASD_UNKNOWN;
		schedule(srv, s, at);
	} else {
		disc_start(srv, s, at);
	}
	return 0;
}

int
kaasd_sub_load(struct kaasd_server *srv)
{
	int r = kaasd_db_load(srv->db, load_one, srv);

	if (r < 0)
		return r;
	if (srv->n_subs)
		ti_log_info("resumed %zu subscription(s)", srv->n_subs);
	kaasd_sub_rearm(srv);
	return 0;
}

int
kaasd_sub_init(struct kaasd_server *srv)
{
	srv->wheel = ti_wheel_new(TICK_MS, WHEEL_SLOTS, ti_now_ms());
	srv->tick = ti_timer_new(srv->loop, on_tick, srv);
	srv->prefixes = calloc(PREFIX_BUCKETS, sizeof(*srv->prefixes));
	srv->tokens = srv->conf->max_pps;
	srv->tokens_at = ti_now_ms();
	if (srv->wheel == NULL || srv->tick == NULL || srv->prefixes == NULL ||
	    htab_init(&srv->by_id, 1024) < 0 || htab_init(&srv->by_ep, 1024) < 0 ||
	    htab_init(&srv->by_host, 1024) < 0)
		return -ENOMEM;
	return 0;
}

void
kaasd_sub_fini(struct kaasd_server *srv)
{
	if (srv->by_id.b) {
		for (size_t i = 0; i <= srv->by_id.mask; i++) {
			struct kaasd_sub *s = srv->by_id.b[i], *next;
			for (; s; s = next) {
				next = s->next_id;
				sub_free(s);
			}
		}
	}
	free(srv->by_id.b);
	free(srv->by_ep.b);
	free(srv->by_host.b);
	if (srv->prefixes) {
		for (size_t i = 0; i < PREFIX_BUCKETS; i++) {
			struct kaasd_prefix *p = srv->prefixes[i], *next;
			for (; p; p = next) {
				next = p->next;
				free(p);
			}
		}
	}
	free(srv->prefixes);
	ti_timer_free(srv->tick);
	ti_wheel_free(srv->wheel);
	memset(&srv->by_id, 0, sizeof(srv->by_id));
	srv->wheel = NULL;
	srv->tick = NULL;
	srv->prefixes = NULL;
}

/* ---------------------------------------------------------------- status */

static json_t *
unix_or_null(int64_t t)
{
	return t > 0 ? json_integer(t) : json_null();
}

static json_t *
u8_or_null(unsigned v)
{
	return v ? json_integer(v) : json_null();
}

char *
kaasd_sub_status(struct kaasd_server *srv, const struct kaasd_sub *s, const char *authority)
{
	char cand[TI_ADDR_STRLEN + 8], a[TI_ADDR_STRLEN], relay[512];
	json_t *o = json_object(), *ev = json_null();
	int64_t next = 0;
	char *out;

	kaasd_addr_format(&s->peer, 1, a, sizeof(a));
	snprintf(cand, sizeof(cand), "coap://%s", a);
	if (ti_wheel_pending(&s->timer)) {
		uint64_t now = ti_now_ms();
		next = wall_now() + (int64_t)(s->timer.due > now ? (s->timer.due - now + 999) / 1000 : 0);
	}
	if (s->ev_at) {
		const char *kind = s->ev_kind == KAASD_EV_RST ? "rst" : kaasd_icmp_kind_name(s->ev_kind);
		kaasd_addr_format(&s->ev_from, 0, a, sizeof(a));
		ev = json_pack("{s:s, s:s, s:o, s:o, s:I}", "icmp", kind, "from", a, "ttl",
			       u8_or_null(s->ev_ttl), "distance", u8_or_null(s->ev_dist), "at",
			       (json_int_t)s->ev_at);
	}
	json_object_set_new(o, "id", json_integer(s->id));
	json_object_set_new(o, "ep", json_string(s->ep));
	json_object_set_new(o, "candidate", json_string(cand));
	json_object_set_new(o, "state", json_string(kaasd_state_name(s->state)));
	json_object_set_new(o, "hops_to_nat", u8_or_null(s->nat_hops));
	json_object_set_new(o, "keepalive_ttl", u8_or_null(s->ka_ttl));
	json_object_set_new(o, "ttl_hint", u8_or_null(s->ttl_hint));
	json_object_set_new(o, "received_ttl", u8_or_null(s->recv_ttl));
	json_object_set_new(o, "interval", json_integer(s->interval));
	json_object_set_new(o, "last_keepalive", unix_or_null(s->last_ka));
	json_object_set_new(o, "next_keepalive", unix_or_null(next));
	json_object_set_new(o, "expires", json_integer(s->expires));
	json_object_set_new(o, "evidence", ev ? ev : json_null());
	if (srv->conf->relay) {
		snprintf(relay, sizeof(relay), "coap://%s/relay/%s", authority, s->ep);
		json_object_set_new(o, "relay", json_string(relay));
	} else {
		json_object_set_new(o, "relay", json_null());
	}
	out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}
