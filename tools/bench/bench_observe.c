/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: Observe fan-out: K observers, one change, time to the last notification. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ti_util.h"

#include "bench_hist.h"
#include "bench_load.h"
#include "bench_observe.h"
#include "bench_out.h"
#include "bench_proto.h"

/* Requests outstanding at once: a burst must fit the server's socket buffer. */
#define WINDOW 64
#define TRIES 4		   /* a transmission and three retransmissions */
#define SCAN_NS 5000000ull /* timeouts are checked every 5 ms */
#define DEREG_MAX_MS 5000  /* deregistration gives up after this */
#define RBUF_SIZE 2048

enum obs_state {
	OBS_NEW,
	OBS_WAIT,	 /* Observe 0 sent */
	OBS_ESTABLISHED, /* 2.05 with Observe came back */
	OBS_PLAIN,	 /* 2.05 without Observe: the resource is not observable */
	OBS_FAILED,	 /* another code, RST, or no answer */
	OBS_ENDED,	 /* a notification without Observe or with an error code */
	OBS_CANCEL,	 /* Observe 1 sent */
	OBS_GONE,	 /* deregistered, or the trigger's answer is in */
};

/* One observer, or the trigger's client (the last one). */
struct obs {
	int fd;
	uint32_t nonce;	   /* second half of the token */
	uint32_t notified; /* the last trigger that reached it */
	uint64_t t_sent;
	uint16_t mid; /* of the request in flight */
	uint8_t state, tries, idle;
};

struct run {
	const struct bench *b;
	const struct bench_obs *o;
	struct obs *v; /* n observers, then the trigger's client */
	unsigned n;
	int epfd;
	uint32_t key; /* first half of every token: index ^ key */
	uint64_t rng;
	uint16_t next_mid;
	unsigned outstanding;
	uint64_t next_scan;
	uint64_t established, idle_established, plain, failed, ended, early, spurious, extra,
	    dereg, stale_all;
	uint64_t codes[256]; /* codes other than expected, [0] RST */
	/* the current trigger */
	uint32_t t;
	uint64_t t0, t_first, t_last, notified, rtt, stale;
	int trig_code;	 /* wire code of its answer, -1 none */
	char match[256]; /* o->match expanded; "" matches anything */
	struct bench_hist hist, all;
};

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static const struct bench_req *
req_of(const struct run *r, unsigned k)
{
	return k == r->n ? &r->o->trig : r->v[k].idle ? &r->o->idle : &r->b->req;
}

/*
 * Send the request of k: a new token when fresh (else the one of its
 * observation), a new message ID unless it is a retransmission.
 */
static void
send_req(struct run *r, unsigned k, long observe, int fresh, int retransmit)
{
	struct obs *ob = &r->v[k];
	const struct bench_req *req = req_of(r, k);
	struct bench_coap_spec spec = req->spec;
	uint8_t buf[BENCH_REQ_MAX], tok[8];
	uint64_t v = k == r->n ? r->b->seq_start + r->t : ob->idle ? k - r->o->observers : k;
	size_t len;

	if (fresh)
		ob->nonce = (uint32_t)bench_rng_next(&r->rng);
	if (!retransmit) {
		ob->mid = r->next_mid++;
		ob->tries = 0;
	}
	if (k != r->n)
		spec.observe = observe;
	put32(tok, k ^ r->key);
	put32(tok + 4, ob->nonce);
	ob->tries++;
	ob->t_sent = bench_now_ns();
	/* bench_req_coap() built the longest request of this spec already. */
	if (bench_coap_build(&spec, v, ob->mid, tok, buf, sizeof(buf), &len) == 0)
		send(ob->fd, buf, len, MSG_DONTWAIT);
}

static void
send_ack(const struct obs *ob, uint16_t mid)
{
	uint8_t ack[4];

	bench_coap_ack(ack, mid);
	send(ob->fd, ack, sizeof(ack), MSG_DONTWAIT);
}

static void
count_code(struct run *r, int code, int expect)
{
	if (code != expect)
		r->codes[code & 255]++;
}

/* A notification (or a duplicate answer) for an established observer. */
static void
on_notification(struct run *r, struct obs *ob, const struct bench_reply *rep, uint64_t now)
{
	if (rep->coap_type == 2)
		return; /* the answer to a retransmitted request, again */
	if (!rep->observe || rep->code >= 0x80) {
		count_code(r, rep->code, BENCH_COAP_CONTENT);
		ob->state = OBS_ENDED;
		r->ended++;
		return;
	}
	count_code(r, rep->code, BENCH_COAP_CONTENT);
	if (r->t == 0) {
		r->early++;
	} else if (ob->idle) {
		r->spurious++;
	} else if (r->match[0] &&
		   (rep->payload_len == 0 ||
		    memmem(rep->payload, rep->payload_len, r->match, strlen(r->match)) == NULL)) {
		r->stale++;
	} else if (ob->notified < r->t) {
		ob->notified = r->t;
		bench_hist_add(&r->hist, now - r->t0);
		if (r->notified++ == 0)
			r->t_first = now;
		r->t_last = now;
	} else {
		r->extra++;
	}
}

/* The answer to an outstanding request of k. */
static void
on_answer(struct run *r, unsigned k, const struct bench_reply *rep, uint64_t now)
{
	struct obs *ob = &r->v[k];

	if (rep->coap_type == 2 && rep->tag.mid != ob->mid)
		return; /* a piggybacked answer to another message */
	r->outstanding--;
	if (k == r->n) {
		r->rtt = now - r->t0;
		r->trig_code = rep->code;
		count_code(r, rep->code, r->o->trig.expect);
		ob->state = OBS_GONE;
	} else if (ob->state == OBS_CANCEL) {
		r->dereg += rep->code == BENCH_COAP_CONTENT;
		ob->state = OBS_GONE;
	} else if (rep->code != BENCH_COAP_CONTENT) {
		count_code(r, rep->code, BENCH_COAP_CONTENT);
		ob->state = OBS_FAILED;
		r->failed++;
	} else if (rep->observe) {
		ob->state = OBS_ESTABLISHED;
		if (ob->idle)
			r->idle_established++;
		else
			r->established++;
	} else {
		ob->state = OBS_PLAIN;
		r->plain++;
	}
}

static void
on_datagram(struct run *r, unsigned k, const uint8_t *buf, size_t len, uint64_t now)
{
	struct obs *ob = &r->v[k];
	int waiting = ob->state == OBS_WAIT || ob->state == OBS_CANCEL;
	struct bench_reply rep;

	bench_reply_parse(BENCH_PROTO_COAP, 0, buf, len, &rep);
	if (rep.kind == BENCH_REPLY_RST) {
		if (waiting && rep.tag.mid == ob->mid) {
			r->codes[0]++;
			r->outstanding--;
			if (k == r->n)
				r->trig_code = 0;
			if (k != r->n && ob->state == OBS_WAIT) {
				ob->state = OBS_FAILED;
				r->failed++;
			} else {
				ob->state = OBS_GONE;
			}
		}
		return;
	}
	if (rep.kind != BENCH_REPLY_TAG)
		return; /* an empty ACK: a separate answer follows */
	if (rep.coap_type == 0)
		send_ack(ob, rep.tag.mid);
	if ((rep.tag.slot ^ r->key) != k || rep.tag.nonce[0] != ob->nonce)
		return;
	if (ob->state == OBS_CANCEL && rep.coap_type != 2 && rep.observe)
		return; /* a notification still in flight while deregistering */
	if (waiting)
		on_answer(r, k, &rep, now);
	else if (ob->state == OBS_ESTABLISHED)
		on_notification(r, ob, &rep, now);
}

/* Retransmit or give up the requests whose answer is overdue. */
static void
scan(struct run *r, uint64_t now)
{
	uint64_t tmo = r->b->timeout_ms * BENCH_NS_PER_MS;

	if (now < r->next_scan)
		return;
	r->next_scan = now + SCAN_NS;
	for (unsigned k = 0; k <= r->n; k++) {
		struct obs *ob = &r->v[k];

		if ((ob->state != OBS_WAIT && ob->state != OBS_CANCEL) || now - ob->t_sent < tmo)
			continue;
		if (ob->tries < TRIES) {
			send_req(r, k, ob->state == OBS_CANCEL, 0, 1);
			continue;
		}
		r->outstanding--;
		if (ob->state == OBS_WAIT && k < r->n)
			r->failed++;
		ob->state = ob->state == OBS_WAIT && k < r->n ? OBS_FAILED : OBS_GONE;
	}
}

/* Handle what arrives for up to wait_ms, then check the timeouts. */
static void
poll_once(struct run *r, int wait_ms)
{
	struct epoll_event ev[64];
	uint8_t buf[RBUF_SIZE];
	int n = epoll_wait(r->epfd, ev, 64, wait_ms);

	for (int i = 0; i < n; i++) {
		unsigned k = ev[i].data.u32;

		for (;;) {
			ssize_t len = recv(r->v[k].fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (len < 0)
				break; /* EAGAIN; ECONNREFUSED: the request times out */
			on_datagram(r, k, buf, (size_t)len, bench_now_ns());
		}
	}
	scan(r, bench_now_ns());
}

/* Send Observe (0 or 1) for every observer in state from, WINDOW at a time. */
static void
sweep(struct run *r, enum obs_state from, long observe, uint64_t max_ms)
{
	uint64_t deadline = bench_now_ns() + max_ms * BENCH_NS_PER_MS;
	unsigned next = 0;

	while (bench_now_ns() < deadline) {
		for (; next < r->n && r->outstanding < WINDOW; next++) {
			if (r->v[next].state != from)
				continue;
			r->v[next].state = observe == 0 ? OBS_WAIT : OBS_CANCEL;
			send_req(r, next, observe, observe == 0, 0);
			r->outstanding++;
		}
		if (next == r->n && r->outstanding == 0)
			return;
		poll_once(r, 2);
	}
	for (unsigned k = 0; k < r->n; k++) {
		if (r->v[k].state == OBS_WAIT) {
			r->v[k].state = OBS_FAILED;
			r->failed++;
		}
	}
	r->outstanding = 0;
}

static void
print_trigger(const struct run *r, uint64_t expected)
{
	struct bench_out o;
	char c[5] = "-";

	if (r->trig_code > 0)
		bench_coap_code_str(r->trig_code, c);
	else if (r->trig_code == 0)
		snprintf(c, sizeof(c), "rst");
	bench_out_begin(&o, stdout, r->b->json, "trigger");
	bench_out_u64(&o, "n", r->t);
	bench_out_str(&o, "code", c);
	bench_out_num(&o, "rtt_ms", r->trig_code >= 0 ? (double)r->rtt / 1e6 : -1, 2);
	bench_out_u64(&o, "notified", r->notified);
	bench_out_u64(&o, "missing", expected - r->notified);
	bench_out_num(&o, "first_ms", r->notified ? (double)(r->t_first - r->t0) / 1e6 : -1, 2);
	bench_out_num(&o, "p50_ms", (double)bench_hist_quantile(&r->hist, 0.5) / 1e6, 2);
	bench_out_num(&o, "p99_ms", (double)bench_hist_quantile(&r->hist, 0.99) / 1e6, 2);
	bench_out_num(&o, "last_ms", r->notified ? (double)(r->t_last - r->t0) / 1e6 : -1, 2);
	bench_out_u64(&o, "stale", r->stale);
	bench_out_end(&o);
}

/*
 * One change: send the trigger, wait until every established observer is
 * notified (or b->duration_ms), then listen o->settle_ms for more.
 * @return the last notification's delay in ns, or UINT64_MAX when one is missing.
 */
static uint64_t
trigger(struct run *r, uint32_t t)
{
	uint64_t end, expected = r->established, settle;

	r->t = t;
	r->notified = 0;
	r->stale = 0;
	r->match[0] = '\0';
	if (r->o->match)
		bench_expand(r->o->match, r->b->seq_start + t, r->match, sizeof(r->match));
	r->trig_code = -1;
	r->hist = (struct bench_hist){ 0 };
	r->v[r->n].state = OBS_WAIT;
	r->t0 = bench_now_ns();
	send_req(r, r->n, -1, 1, 0);
	r->outstanding = 1;
	end = r->t0 + r->b->duration_ms * BENCH_NS_PER_MS;
	while (bench_now_ns() < end && (r->notified < expected || r->v[r->n].state == OBS_WAIT))
		poll_once(r, 2);
	settle = bench_now_ns() + r->o->settle_ms * BENCH_NS_PER_MS;
	while (bench_now_ns() < settle)
		poll_once(r, 2);
	if (r->v[r->n].state == OBS_WAIT)
		r->v[r->n].state = OBS_GONE;
	r->outstanding = 0;
	print_trigger(r, expected);
	r->stale_all += r->stale;
	bench_hist_merge(&r->all, &r->hist);
	return r->notified == expected && r->notified > 0 ? r->t_last - r->t0 : UINT64_MAX;
}

static int
open_socks(struct run *r)
{
	for (unsigned k = 0; k <= r->n; k++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = k };
		int fd =
		    socket(r->b->target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		r->v[k].fd = fd;
		if (connect(fd, (const struct sockaddr *)&r->b->target, r->b->target_len) < 0 ||
		    epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
	}
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
print_summary(const struct run *r, double setup_s, uint64_t *last, unsigned ok)
{
	const struct bench *b = r->b;
	struct bench_out o;

	qsort(last, r->o->triggers, sizeof(*last), cmp_u64);
	bench_out_begin(&o, stdout, b->json, NULL);
	bench_out_str(&o, "mode", "observe");
	bench_out_str(&o, "target", b->target_str);
	bench_out_str(&o, "path", b->req.spec.path);
	bench_out_str(&o, "query",
		      b->req.spec.query && b->req.spec.query[0] ? b->req.spec.query : "-");
	bench_out_u64(&o, "observers", r->o->observers);
	bench_out_u64(&o, "idle_observers", r->o->idle_observers);
	bench_out_u64(&o, "established", r->established);
	bench_out_u64(&o, "idle_established", r->idle_established);
	bench_out_u64(&o, "not_observable", r->plain);
	bench_out_u64(&o, "failed", r->failed);
	bench_out_num(&o, "setup_s", setup_s, 2);
	bench_out_u64(&o, "triggers", r->o->triggers);
	bench_out_u64(&o, "complete", ok);
	bench_out_u64(&o, "notified", r->all.count);
	bench_out_num(&o, "p50_ms", (double)bench_hist_quantile(&r->all, 0.5) / 1e6, 2);
	bench_out_num(&o, "p99_ms", (double)bench_hist_quantile(&r->all, 0.99) / 1e6, 2);
	/* last[] is sorted; a trigger that missed an observer is UINT64_MAX: -1. */
	bench_out_num(&o, "last_ms_median",
		      last[(r->o->triggers - 1) / 2] == UINT64_MAX
			  ? -1
			  : (double)last[(r->o->triggers - 1) / 2] / 1e6,
		      2);
	bench_out_num(
	    &o, "last_ms_max",
	    last[r->o->triggers - 1] == UINT64_MAX ? -1 : (double)last[r->o->triggers - 1] / 1e6,
	    2);
	bench_out_u64(&o, "extra", r->extra);
	bench_out_u64(&o, "stale", r->stale_all);
	bench_out_u64(&o, "spurious", r->spurious);
	bench_out_u64(&o, "ended", r->ended);
	bench_out_u64(&o, "early", r->early);
	bench_out_u64(&o, "deregistered", r->dereg);
	bench_out_codes(&o, "error_codes", r->codes, -1);
	bench_out_end(&o);
}

static void
run_fini(struct run *r)
{
	for (unsigned k = 0; r->v != NULL && k <= r->n; k++) {
		if (r->v[k].fd >= 0)
			close(r->v[k].fd);
	}
	if (r->epfd >= 0)
		close(r->epfd);
	free(r->v);
}

int
bench_observe_run(const struct bench *b, const struct bench_obs *o)
{
	struct run *r = calloc(1, sizeof(*r));
	uint64_t t0, *last = NULL;
	unsigned ok = 0;
	int ret;

	if (r == NULL)
		return -ENOMEM;
	*r = (struct run){ .b = b, .o = o, .n = o->observers + o->idle_observers, .epfd = -1 };
	r->v = calloc(r->n + 1, sizeof(*r->v));
	last = calloc(o->triggers, sizeof(*last));
	ret = -ENOMEM;
	if (r->v == NULL || last == NULL)
		goto out;
	for (unsigned k = 0; k <= r->n; k++)
		r->v[k] = (struct obs){ .fd = -1, .idle = k >= o->observers && k < r->n };
	ret = ti_random(&r->rng, sizeof(r->rng));
	if (ret < 0)
		goto out;
	r->rng |= 1;
	r->key = (uint32_t)bench_rng_next(&r->rng);
	r->next_mid = (uint16_t)bench_rng_next(&r->rng);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	ret = r->epfd < 0 ? -errno : open_socks(r);
	if (ret < 0)
		goto out;
	t0 = bench_now_ns();
	sweep(r, OBS_NEW, 0, b->duration_ms);
	t0 = bench_now_ns() - t0;
	for (unsigned t = 1; t <= o->triggers && r->established > 0; t++) {
		last[t - 1] = trigger(r, t);
		ok += last[t - 1] != UINT64_MAX;
	}
	if (r->established == 0) {
		for (unsigned t = 0; t < o->triggers; t++)
			last[t] = UINT64_MAX;
	}
	sweep(r, OBS_ESTABLISHED, 1,
	      b->duration_ms < DEREG_MAX_MS ? b->duration_ms : DEREG_MAX_MS);
	print_summary(r, (double)t0 / 1e9, last, ok);
	ret = ok == o->triggers ? 0 : 1;
out:
	free(last);
	run_fini(r);
	free(r);
	return ret;
}
