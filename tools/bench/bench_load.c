/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: load threads: sockets, closed-loop request slots, batched UDP I/O. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ti_addr.h"
#include "ti_util.h"

#include "bench_hist.h"
#include "bench_load.h"
#include "bench_proto.h"

#define BATCH 64
#define RBUF_SIZE 1536
#define CHURN_BASE 0x7f010000u	 /* 127.1.0.0 */
#define CHURN_RANGE (254u << 16) /* 127.1.0.0 .. 127.254.255.255 */

enum slot_state { SLOT_IDLE, SLOT_WAIT };

struct bench_slot {
	uint64_t t_sent; /* ns */
	uint32_t nonce[2];
	uint32_t src4; /* churn source address, network order */
	uint16_t mid;
	uint8_t state;
};

struct bench_sock {
	int fd;
	int used; /* has carried a request (socket churn reopens it) */
	uint32_t key;
	uint16_t next_mid;
	uint32_t churn_off; /* next churn source: CHURN_BASE + churn_off */
	unsigned nslots;
	struct bench_slot *slots;
	uint8_t *bufs; /* nslots request copies */
	struct sockaddr_storage local;
};

union pktinfo_ctl {
	char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
};

/* Batch buffers of a load thread, reused for every batch. */
struct bench_io {
	struct mmsghdr rmsg[BATCH];
	struct iovec riov[BATCH];
	struct sockaddr_storage rname[BATCH];
	uint8_t rbuf[BATCH][RBUF_SIZE];
	struct mmsghdr smsg[BATCH];
	struct iovec siov[BATCH];
	union pktinfo_ctl sctl[BATCH];
};

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: transaction IDs need to be unpredictable enough, not secure. */
uint64_t
bench_rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

/* Single writer per counter: a relaxed load and store is enough. */
static void
ctr_add(struct bench_worker *w, enum bench_ctr c, uint64_t n)
{
	uint64_t v = atomic_load_explicit(&w->ctr[c], memory_order_relaxed);

	atomic_store_explicit(&w->ctr[c], v + n, memory_order_relaxed);
}

static void
set_pktinfo(struct msghdr *m, union pktinfo_ctl *ctl, uint32_t src4)
{
	struct in_pktinfo pi = { .ipi_spec_dst.s_addr = src4 };
	struct cmsghdr *cm;

	m->msg_control = ctl->buf;
	m->msg_controllen = sizeof(ctl->buf);
	cm = CMSG_FIRSTHDR(m);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
}

/*
 * Each socket walks the range from its own starting point, so sources stay
 * distinct across sockets for 16.6M requests and (address, port) pairs stay
 * distinct for 16.6M requests per socket.
 */
static uint32_t
churn_next(struct bench_sock *s)
{
	uint32_t off = s->churn_off;

	s->churn_off = (off + 1) % CHURN_RANGE;
	return htonl(CHURN_BASE + off);
}

static int
sock_open(struct bench_worker *w, struct bench_sock *s)
{
	const struct bench *b = w->b;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };
	struct sockaddr_in any = { .sin_family = AF_INET };
	socklen_t len = sizeof(s->local);
	int fd, r, size = 1 << 20;

	fd = socket(b->target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	/*
	 * Churn through IP_PKTINFO needs a wildcard-bound, unconnected socket:
	 * connect() would pin the local address and filter out the replies.
	 */
	if (b->churn == BENCH_CHURN_PKTINFO)
		r = bind(fd, (struct sockaddr *)&any, sizeof(any));
	else
		r = connect(fd, (const struct sockaddr *)&b->target, b->target_len);
	if (r < 0 || getsockname(fd, (struct sockaddr *)&s->local, &len) < 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	s->fd = fd;
	s->used = 0;
	return 0;
}

/* Send slots idx[0..k) of s, k <= BATCH. @return how many went out. */
static unsigned
send_chunk(struct bench_worker *w, struct bench_sock *s, const uint32_t *idx, unsigned k,
	   uint64_t now)
{
	struct bench *b = w->b;
	unsigned done = 0;
	int refused = 0;

	for (unsigned i = 0; i < k; i++) {
		struct bench_slot *sl = &s->slots[idx[i]];
		uint8_t *buf = s->bufs + (size_t)idx[i] * b->req.len;
		uint64_t rnd = bench_rng_next(&w->rng), v;
		struct bench_tag tag = { .slot = idx[i] ^ s->key,
					 .nonce = { (uint32_t)rnd, (uint32_t)(rnd >> 32) },
					 .mid = s->next_mid++ };
		size_t len;

		if (b->random > 0) {
			v = bench_rng_next(&w->rng) % b->random;
		} else {
			v = w->seq;
			w->seq += b->threads;
		}
		len = bench_req_stamp(&b->req, buf, &tag, v);
		memcpy(sl->nonce, tag.nonce, sizeof(sl->nonce));
		sl->mid = tag.mid;
		w->io->siov[i] = (struct iovec){ .iov_base = buf, .iov_len = len };
		w->io->smsg[i].msg_hdr =
		    (struct msghdr){ .msg_iov = &w->io->siov[i], .msg_iovlen = 1 };
		if (b->churn == BENCH_CHURN_PKTINFO) {
			w->io->smsg[i].msg_hdr.msg_name = &b->target;
			w->io->smsg[i].msg_hdr.msg_namelen = b->target_len;
			sl->src4 = churn_next(s);
			set_pktinfo(&w->io->smsg[i].msg_hdr, &w->io->sctl[i], sl->src4);
		}
	}
	while (done < k) {
		int r = sendmmsg(s->fd, w->io->smsg + done, k - done, 0);

		if (r < 0) {
			/* A refused earlier datagram is reported once; then go on. */
			if (errno == EINTR || (errno == ECONNREFUSED && !refused++))
				continue;
			break;
		}
		done += (unsigned)r;
		ctr_add(w, BENCH_C_TXCALLS, 1);
	}
	for (unsigned i = 0; i < done; i++) {
		s->slots[idx[i]].state = SLOT_WAIT;
		s->slots[idx[i]].t_sent = now;
	}
	if (done > 0)
		s->used = 1;
	w->nwait += done;
	if (w->measuring && b->count)
		w->budget -= done;
	ctr_add(w, BENCH_C_SENT, done);
	return done;
}

/* Send the idle slots idx[0..n); what cannot go out now is retried by the scan. */
static void
sock_send(struct bench_worker *w, struct bench_sock *s, const uint32_t *idx, unsigned n,
	  uint64_t now)
{
	while (n > 0) {
		unsigned k = n < BATCH ? n : BATCH;

		if (w->measuring && w->b->count) {
			if (w->budget == 0)
				return;
			if (k > w->budget)
				k = (unsigned)w->budget;
		}
		/* Socket churn: a fresh socket, so a fresh source port, per request. */
		if (w->b->churn == BENCH_CHURN_SOCKET && s->used) {
			close(s->fd);
			s->fd = -1;
			if (sock_open(w, s) < 0) {
				ctr_add(w, BENCH_C_ERRORS, 1);
				return;
			}
		}
		if (send_chunk(w, s, idx, k, now) < k)
			return;
		idx += k;
		n -= k;
	}
}

/* Acknowledge a separate (CON) response from the address it was sent to. */
static void
send_ack(struct bench_worker *w, struct bench_sock *s, const struct bench_slot *sl, uint16_t mid)
{
	uint8_t ack[4];
	struct iovec iov = { .iov_base = ack, .iov_len = sizeof(ack) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	union pktinfo_ctl ctl;

	bench_coap_ack(ack, mid);
	if (w->b->churn == BENCH_CHURN_PKTINFO) {
		m.msg_name = &w->b->target;
		m.msg_namelen = w->b->target_len;
		set_pktinfo(&m, &ctl, sl->src4);
	}
	if (sendmsg(s->fd, &m, MSG_DONTWAIT) < 0)
		ctr_add(w, BENCH_C_ERRORS, 1);
}

static int
reflect_ok(const struct bench *b, const struct bench_sock *s, const struct bench_slot *sl,
	   const struct sockaddr_storage *addr)
{
	struct sockaddr_storage exp = s->local;

	if (b->churn == BENCH_CHURN_PKTINFO)
		((struct sockaddr_in *)&exp)->sin_addr.s_addr = sl->src4;
	return ti_addr_equal((const struct sockaddr *)&exp, (const struct sockaddr *)addr);
}

/* Find the waiting slot a reply belongs to, or NULL (late or foreign). */
static struct bench_slot *
match_slot(const struct bench *b, struct bench_sock *s, const struct bench_reply *r)
{
	struct bench_slot *sl;
	uint32_t idx;

	if (r->kind == BENCH_REPLY_RST) {
		for (idx = 0; idx < s->nslots; idx++) {
			sl = &s->slots[idx];
			if (sl->state == SLOT_WAIT && sl->mid == r->tag.mid)
				return sl;
		}
		return NULL;
	}
	idx = r->tag.slot ^ s->key;
	if (idx >= s->nslots)
		return NULL;
	sl = &s->slots[idx];
	if (sl->state != SLOT_WAIT || sl->nonce[0] != r->tag.nonce[0])
		return NULL;
	if (b->req.proto == BENCH_PROTO_STUN && sl->nonce[1] != r->tag.nonce[1])
		return NULL;
	/* A piggybacked response must echo the message ID as well. */
	if (b->req.proto == BENCH_PROTO_COAP && b->req.con && r->coap_type == 2 &&
	    sl->mid != r->tag.mid)
		return NULL;
	return sl;
}

/* @return the slot index to send again, or -1. */
static int
handle_reply(struct bench_worker *w, struct bench_sock *s, const uint8_t *buf, size_t len,
	     uint64_t now)
{
	struct bench *b = w->b;
	struct bench_reply r;
	struct bench_slot *sl;

	bench_reply_parse(b->req.proto, b->req.expect, buf, len, &r);
	if (r.kind == BENCH_REPLY_OTHER)
		return -1;
	sl = match_slot(b, s, &r);
	if (sl == NULL) {
		ctr_add(w, BENCH_C_LATE, 1);
		return -1;
	}
	if (r.kind == BENCH_REPLY_TAG && b->req.proto == BENCH_PROTO_COAP && r.coap_type == 0)
		send_ack(w, s, sl, r.tag.mid);
	sl->state = SLOT_IDLE;
	w->nwait--;
	if (w->measuring && b->req.proto == BENCH_PROTO_COAP)
		w->codes[r.kind == BENCH_REPLY_TAG ? r.code : 0]++;
	if (r.kind != BENCH_REPLY_TAG || !r.ok) {
		ctr_add(w, BENCH_C_ERRORS, 1);
	} else {
		ctr_add(w, BENCH_C_REPLIES, 1);
		if (b->req.proto == BENCH_PROTO_COAP) {
			ctr_add(w, BENCH_C_EMPTY, r.payload_len == 0);
			ctr_add(w, BENCH_C_PAYLOAD, r.payload_len);
		}
		if (w->measuring)
			bench_hist_add(&w->hist, now - sl->t_sent);
		if (r.has_addr) {
			ctr_add(w, BENCH_C_MAPPED, 1);
			ctr_add(w, BENCH_C_MAPPED_OK, (uint64_t)reflect_ok(b, s, sl, &r.addr));
		}
	}
	return (int)(sl - s->slots);
}

static void
sock_recv(struct bench_worker *w, struct bench_sock *s)
{
	const struct bench *b = w->b;
	uint32_t pend[BATCH];
	unsigned np = 0;
	uint64_t now;
	int n;

	for (unsigned i = 0; i < BATCH; i++)
		w->io->rmsg[i].msg_hdr.msg_namelen = sizeof(w->io->rname[i]);
	n = recvmmsg(s->fd, w->io->rmsg, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return; /* EAGAIN, or a refused datagram: its slot times out */
	now = bench_now_ns();
	ctr_add(w, BENCH_C_RXCALLS, 1);
	ctr_add(w, BENCH_C_RECEIVED, (uint64_t)n);
	for (int i = 0; i < n; i++) {
		int idx;

		/* Unconnected churn sockets see anything sent to their port. */
		if (b->churn == BENCH_CHURN_PKTINFO &&
		    !ti_addr_equal((const struct sockaddr *)&w->io->rname[i],
				   (const struct sockaddr *)&b->target))
			continue;
		idx = handle_reply(w, s, w->io->rbuf[i], w->io->rmsg[i].msg_len, now);
		if (idx >= 0)
			pend[np++] = (uint32_t)idx;
	}
	if (np > 0)
		sock_send(w, s, pend, np, now);
}

/* Expire unanswered requests and (re)send every idle slot. */
static void
worker_scan(struct bench_worker *w, uint64_t now)
{
	uint64_t tmo = w->b->timeout_ms * BENCH_NS_PER_MS;
	uint32_t pend[BATCH];

	for (unsigned k = 0; k < w->nsocks; k++) {
		struct bench_sock *s = &w->socks[k];
		unsigned np = 0;

		for (unsigned i = 0; i < s->nslots; i++) {
			struct bench_slot *sl = &s->slots[i];

			if (sl->state == SLOT_WAIT && now - sl->t_sent >= tmo) {
				sl->state = SLOT_IDLE;
				w->nwait--;
				ctr_add(w, BENCH_C_LOST, 1);
			}
			if (sl->state != SLOT_IDLE)
				continue;
			pend[np++] = i;
			if (np == BATCH) {
				sock_send(w, s, pend, np, now);
				np = 0;
			}
		}
		if (np > 0)
			sock_send(w, s, pend, np, now);
	}
}

void *
bench_worker_main(void *arg)
{
	struct bench_worker *w = arg;
	struct bench *b = w->b;
	struct epoll_event ev[BATCH];
	uint64_t tick_ms = b->timeout_ms / 10, next_scan = 0;

	tick_ms = tick_ms < 1 ? 1 : tick_ms > 50 ? 50 : tick_ms;
	for (;;) {
		int n, phase = atomic_load_explicit(&b->phase, memory_order_acquire);
		uint64_t now;

		if (phase == BENCH_PHASE_STOP)
			break;
		if (phase == BENCH_PHASE_MEASURE && !w->measuring) {
			for (unsigned c = 0; c < BENCH_C_N; c++)
				w->base[c] =
				    atomic_load_explicit(&w->ctr[c], memory_order_relaxed);
			w->measuring = 1;
		}
		if (w->measuring && b->count && w->budget == 0 && w->nwait == 0) {
			atomic_store(&w->done_ns, bench_now_ns());
			atomic_fetch_add(&b->ndone, 1);
			break;
		}
		n = epoll_wait(w->epfd, ev, BATCH, (int)tick_ms);
		for (int i = 0; i < n; i++)
			sock_recv(w, ev[i].data.ptr);
		now = bench_now_ns();
		if (now >= next_scan) {
			worker_scan(w, now);
			next_scan = now + tick_ms * BENCH_NS_PER_MS;
		}
	}
	return NULL;
}

void
bench_worker_free(struct bench_worker *w)
{
	if (w == NULL)
		return;
	for (unsigned i = 0; w->socks != NULL && i < w->nsocks; i++) {
		if (w->socks[i].fd >= 0)
			close(w->socks[i].fd);
	}
	if (w->epfd >= 0)
		close(w->epfd);
	free(w->socks);
	free(w->slots);
	free(w->bufs);
	free(w->io);
	free(w);
}

int
bench_worker_new(struct bench *b, unsigned id, unsigned nsocks, unsigned nslots,
		 struct bench_worker **ret_w)
{
	struct bench_worker *w = calloc(1, sizeof(*w));
	size_t nall = (size_t)nsocks * nslots;
	int r = -ENOMEM;

	if (w == NULL)
		return -ENOMEM;
	*w = (struct bench_worker){ .b = b, .id = id, .epfd = -1, .nsocks = nsocks };
	w->socks = calloc(nsocks, sizeof(*w->socks));
	w->slots = calloc(nall, sizeof(*w->slots));
	w->bufs = calloc(nall, b->req.len);
	w->io = calloc(1, sizeof(*w->io));
	if (w->socks == NULL || w->slots == NULL || w->bufs == NULL || w->io == NULL)
		goto out_free;
	for (unsigned i = 0; i < nsocks; i++)
		w->socks[i].fd = -1;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0) {
		r = -errno;
		goto out_free;
	}
	r = ti_random(&w->rng, sizeof(w->rng));
	if (r < 0)
		goto out_free;
	w->rng |= 1;
	w->budget = b->count / b->threads + (id < b->count % b->threads);
	w->seq = b->seq_start + id;
	for (unsigned i = 0; i < BATCH; i++) {
		w->io->riov[i] =
		    (struct iovec){ .iov_base = w->io->rbuf[i], .iov_len = RBUF_SIZE };
		w->io->rmsg[i].msg_hdr = (struct msghdr){ .msg_iov = &w->io->riov[i],
							  .msg_iovlen = 1,
							  .msg_name = &w->io->rname[i] };
	}
	for (unsigned i = 0; i < nsocks; i++) {
		struct bench_sock *s = &w->socks[i];

		s->nslots = nslots;
		s->slots = w->slots + (size_t)i * nslots;
		s->bufs = w->bufs + (size_t)i * nslots * b->req.len;
		s->key = (uint32_t)bench_rng_next(&w->rng);
		s->next_mid = (uint16_t)bench_rng_next(&w->rng);
		s->churn_off = (i * b->threads + id) * (CHURN_RANGE / (b->sockets + b->threads));
		r = sock_open(w, s);
		if (r < 0)
			goto out_free;
	}
	*ret_w = w;
	return 0;
out_free:
	bench_worker_free(w);
	return r;
}
