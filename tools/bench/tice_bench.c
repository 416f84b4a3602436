/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: closed-loop CoAP GET / STUN Binding load generator for loopback targets. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_util.h"

#include "bench_hist.h"
#include "bench_proto.h"

#define BATCH 64
#define RBUF_SIZE 1536
#define NS_PER_MS 1000000ull
#define DURATION_MAX_MS 600000
#define CHURN_BASE 0x7f010000u   /* 127.1.0.0 */
#define CHURN_RANGE (254u << 16) /* 127.1.0.0 .. 127.254.255.255 */

enum phase { PHASE_WARMUP, PHASE_MEASURE, PHASE_STOP };
enum churn { CHURN_NONE, CHURN_PKTINFO, CHURN_SOCKET };
enum slot_state { SLOT_IDLE, SLOT_WAIT };
enum ctr { C_SENT, C_REPLIES, C_LOST, C_ERRORS, C_LATE, C_MAPPED, C_MAPPED_OK, C_N };

static const char *const churn_names[] = { "none", "pktinfo", "socket" };

/* Options, then the state the main thread shares with the load threads. */
struct bench {
	struct bench_req req;
	struct sockaddr_storage target;
	socklen_t target_len;
	char target_str[TI_ADDR_STRLEN];
	enum churn churn;
	unsigned sockets, inflight, threads;
	uint64_t duration_ms, warmup_ms, interval_ms, timeout_ms, count;
	int json;
	_Atomic int phase;
	_Atomic unsigned ndone;
};

struct slot {
	uint64_t t_sent; /* ns */
	uint32_t nonce[2];
	uint32_t src4; /* churn source address, network order */
	uint16_t mid;
	uint8_t state;
};

struct bsock {
	int fd;
	int used; /* has carried a request (socket churn reopens it) */
	uint32_t key;
	uint16_t next_mid;
	unsigned nslots;
	struct slot *slots;
	uint8_t *bufs; /* nslots request copies */
	struct sockaddr_storage local;
};

union pktinfo_ctl {
	char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
};

/* One load thread with its own sockets, epoll set and counters. */
struct worker {
	struct bench *b;
	pthread_t thread;
	unsigned id;
	int epfd;
	unsigned nsocks;
	struct bsock *socks;
	struct slot *slots;
	uint8_t *bufs;
	uint64_t rng;
	uint64_t churn_ctr;
	uint64_t budget; /* requests left to send when --count is set */
	uint64_t nwait;
	int measuring;
	_Atomic uint64_t ctr[C_N];
	_Atomic uint64_t done_ns;
	struct bench_hist hist;
	struct mmsghdr rmsg[BATCH];
	struct iovec riov[BATCH];
	struct sockaddr_storage rname[BATCH];
	uint8_t rbuf[BATCH][RBUF_SIZE];
	struct mmsghdr smsg[BATCH];
	struct iovec siov[BATCH];
	union pktinfo_ctl sctl[BATCH];
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: transaction IDs need to be unpredictable enough, not secure. */
static uint64_t
rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

/* Single writer per counter: a relaxed load and store is enough. */
static void
ctr_add(struct worker *w, enum ctr c, uint64_t n)
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

static uint32_t
churn_next(struct worker *w)
{
	uint64_t off = (w->churn_ctr++ * w->b->threads + w->id) % CHURN_RANGE;

	return htonl(CHURN_BASE + (uint32_t)off);
}

static int
sock_open(struct worker *w, struct bsock *s)
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
	if (b->churn == CHURN_PKTINFO)
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
send_chunk(struct worker *w, struct bsock *s, const uint32_t *idx, unsigned k, uint64_t now)
{
	struct bench *b = w->b;
	size_t len = b->req.len;
	unsigned done = 0;
	int refused = 0;

	for (unsigned i = 0; i < k; i++) {
		struct slot *sl = &s->slots[idx[i]];
		uint8_t *buf = s->bufs + (size_t)idx[i] * len;
		uint64_t rnd = rng_next(&w->rng);
		struct bench_tag tag = { .slot = idx[i] ^ s->key,
					 .nonce = { (uint32_t)rnd, (uint32_t)(rnd >> 32) },
					 .mid = s->next_mid++ };

		bench_req_stamp(&b->req, buf, &tag);
		memcpy(sl->nonce, tag.nonce, sizeof(sl->nonce));
		sl->mid = tag.mid;
		w->siov[i] = (struct iovec){ .iov_base = buf, .iov_len = len };
		w->smsg[i].msg_hdr = (struct msghdr){ .msg_iov = &w->siov[i], .msg_iovlen = 1 };
		if (b->churn == CHURN_PKTINFO) {
			w->smsg[i].msg_hdr.msg_name = &b->target;
			w->smsg[i].msg_hdr.msg_namelen = b->target_len;
			sl->src4 = churn_next(w);
			set_pktinfo(&w->smsg[i].msg_hdr, &w->sctl[i], sl->src4);
		}
	}
	while (done < k) {
		int r = sendmmsg(s->fd, w->smsg + done, k - done, 0);

		if (r < 0) {
			/* A refused earlier datagram is reported once; then go on. */
			if (errno == EINTR || (errno == ECONNREFUSED && !refused++))
				continue;
			break;
		}
		done += (unsigned)r;
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
	ctr_add(w, C_SENT, done);
	return done;
}

/* Send the idle slots idx[0..n); what cannot go out now is retried by the scan. */
static void
sock_send(struct worker *w, struct bsock *s, const uint32_t *idx, unsigned n, uint64_t now)
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
		if (w->b->churn == CHURN_SOCKET && s->used) {
			close(s->fd);
			s->fd = -1;
			if (sock_open(w, s) < 0) {
				ctr_add(w, C_ERRORS, 1);
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
send_ack(struct worker *w, struct bsock *s, const struct slot *sl, uint16_t mid)
{
	uint8_t ack[4];
	struct iovec iov = { .iov_base = ack, .iov_len = sizeof(ack) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	union pktinfo_ctl ctl;

	bench_coap_ack(ack, mid);
	if (w->b->churn == CHURN_PKTINFO) {
		m.msg_name = &w->b->target;
		m.msg_namelen = w->b->target_len;
		set_pktinfo(&m, &ctl, sl->src4);
	}
	if (sendmsg(s->fd, &m, MSG_DONTWAIT) < 0)
		ctr_add(w, C_ERRORS, 1);
}

static int
reflect_ok(const struct bench *b, const struct bsock *s, const struct slot *sl,
	   const struct sockaddr_storage *addr)
{
	struct sockaddr_storage exp = s->local;

	if (b->churn == CHURN_PKTINFO)
		((struct sockaddr_in *)&exp)->sin_addr.s_addr = sl->src4;
	return ti_addr_equal((const struct sockaddr *)&exp, (const struct sockaddr *)addr);
}

/* Find the waiting slot a reply belongs to, or NULL (late or foreign). */
static struct slot *
match_slot(const struct bench *b, struct bsock *s, const struct bench_reply *r)
{
	struct slot *sl;
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
handle_reply(struct worker *w, struct bsock *s, const uint8_t *buf, size_t len, uint64_t now)
{
	struct bench *b = w->b;
	struct bench_reply r;
	struct slot *sl;

	bench_reply_parse(b->req.proto, buf, len, &r);
	if (r.kind == BENCH_REPLY_OTHER)
		return -1;
	sl = match_slot(b, s, &r);
	if (sl == NULL) {
		ctr_add(w, C_LATE, 1);
		return -1;
	}
	if (r.kind == BENCH_REPLY_TAG && b->req.proto == BENCH_PROTO_COAP && r.coap_type == 0)
		send_ack(w, s, sl, r.tag.mid);
	sl->state = SLOT_IDLE;
	w->nwait--;
	if (r.kind != BENCH_REPLY_TAG || !r.ok) {
		ctr_add(w, C_ERRORS, 1);
	} else {
		ctr_add(w, C_REPLIES, 1);
		if (w->measuring)
			bench_hist_add(&w->hist, now - sl->t_sent);
		if (r.has_addr) {
			ctr_add(w, C_MAPPED, 1);
			ctr_add(w, C_MAPPED_OK, (uint64_t)reflect_ok(b, s, sl, &r.addr));
		}
	}
	return (int)(sl - s->slots);
}

static void
sock_recv(struct worker *w, struct bsock *s)
{
	const struct bench *b = w->b;
	uint32_t pend[BATCH];
	unsigned np = 0;
	uint64_t now;
	int n;

	for (unsigned i = 0; i < BATCH; i++)
		w->rmsg[i].msg_hdr.msg_namelen = sizeof(w->rname[i]);
	n = recvmmsg(s->fd, w->rmsg, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return; /* EAGAIN, or a refused datagram: its slot times out */
	now = now_ns();
	for (int i = 0; i < n; i++) {
		int idx;

		/* Unconnected churn sockets see anything sent to their port. */
		if (b->churn == CHURN_PKTINFO &&
		    !ti_addr_equal((const struct sockaddr *)&w->rname[i],
				   (const struct sockaddr *)&b->target))
			continue;
		idx = handle_reply(w, s, w->rbuf[i], w->rmsg[i].msg_len, now);
		if (idx >= 0)
			pend[np++] = (uint32_t)idx;
	}
	if (np > 0)
		sock_send(w, s, pend, np, now);
}

/* Expire unanswered requests and (re)send every idle slot. */
static void
worker_scan(struct worker *w, uint64_t now)
{
	uint64_t tmo = w->b->timeout_ms * NS_PER_MS;
	uint32_t pend[BATCH];

	for (unsigned k = 0; k < w->nsocks; k++) {
		struct bsock *s = &w->socks[k];
		unsigned np = 0;

		for (unsigned i = 0; i < s->nslots; i++) {
			struct slot *sl = &s->slots[i];

			if (sl->state == SLOT_WAIT && now - sl->t_sent >= tmo) {
				sl->state = SLOT_IDLE;
				w->nwait--;
				ctr_add(w, C_LOST, 1);
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

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct bench *b = w->b;
	struct epoll_event ev[BATCH];
	uint64_t tick_ms = b->timeout_ms / 10, next_scan = 0;

	tick_ms = tick_ms < 1 ? 1 : tick_ms > 50 ? 50 : tick_ms;
	for (;;) {
		int n, phase = atomic_load_explicit(&b->phase, memory_order_acquire);
		uint64_t now;

		if (phase == PHASE_STOP)
			break;
		w->measuring = phase == PHASE_MEASURE;
		if (w->measuring && b->count && w->budget == 0 && w->nwait == 0) {
			atomic_store(&w->done_ns, now_ns());
			atomic_fetch_add(&b->ndone, 1);
			break;
		}
		n = epoll_wait(w->epfd, ev, BATCH, (int)tick_ms);
		for (int i = 0; i < n; i++)
			sock_recv(w, ev[i].data.ptr);
		now = now_ns();
		if (now >= next_scan) {
			worker_scan(w, now);
			next_scan = now + tick_ms * NS_PER_MS;
		}
	}
	return NULL;
}

static void
worker_free(struct worker *w)
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
	free(w);
}

/* A load thread's sockets, nslots request slots each, all opened. */
static int
worker_new(struct bench *b, unsigned id, unsigned nsocks, unsigned nslots,
	   struct worker **ret_w)
{
	struct worker *w = calloc(1, sizeof(*w));
	size_t nall = (size_t)nsocks * nslots;
	int r = -ENOMEM;

	if (w == NULL)
		return -ENOMEM;
	*w = (struct worker){ .b = b, .id = id, .epfd = -1, .nsocks = nsocks };
	w->socks = calloc(nsocks, sizeof(*w->socks));
	w->slots = calloc(nall, sizeof(*w->slots));
	w->bufs = calloc(nall, b->req.len);
	if (w->socks == NULL || w->slots == NULL || w->bufs == NULL)
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
	for (unsigned i = 0; i < BATCH; i++) {
		w->riov[i] = (struct iovec){ .iov_base = w->rbuf[i], .iov_len = RBUF_SIZE };
		w->rmsg[i].msg_hdr = (struct msghdr){ .msg_iov = &w->riov[i],
						      .msg_iovlen = 1,
						      .msg_name = &w->rname[i] };
	}
	for (unsigned i = 0; i < nsocks; i++) {
		struct bsock *s = &w->socks[i];

		s->nslots = nslots;
		s->slots = w->slots + (size_t)i * nslots;
		s->bufs = w->bufs + (size_t)i * nslots * b->req.len;
		s->key = (uint32_t)rng_next(&w->rng);
		s->next_mid = (uint16_t)rng_next(&w->rng);
		r = sock_open(w, s);
		if (r < 0)
			goto out_free;
	}
	*ret_w = w;
	return 0;
out_free:
	worker_free(w);
	return r;
}

/*
 * Command line.
 */

static void
usage(FILE *f)
{
	fputs("usage: tice-bench --target HOST:PORT [options]\n"
	      "Closed-loop load on a loopback CoAP or STUN server; prints one summary line.\n"
	      "  --target HOST:PORT     127.0.0.0/8 or [::1] address and port (required)\n"
	      "  --proto coap|stun      CoAP GET or STUN Binding Request (default coap)\n"
	      "  --path PATH            CoAP Uri-Path (default /tstun)\n"
	      "  --accept N             CoAP Accept option (default none)\n"
	      "  --type con|non         CoAP message type (default con)\n"
	      "  --sockets N            sockets in all (default 64)\n"
	      "  --inflight N           requests outstanding per socket (default 8)\n"
	      "  --duration S           measured seconds (default 10, at most 600)\n"
	      "  --count N              stop after N measured requests\n"
	      "  --timeout-ms MS        an unanswered request is lost after MS (default 1000)\n"
	      "  --warmup S             unmeasured seconds first (default 0)\n"
	      "  --threads N            load threads, each with its own sockets (default 1)\n"
	      "  --churn                a new source address for every request\n"
	      "  --churn-mode MODE      pktinfo: IP_PKTINFO source from 127.1.0.0/16..\n"
	      "                         127.254.0.0/16 (IPv4 default); socket: a new socket\n"
	      "                         per request (IPv6 default); implies --churn\n"
	      "  --interval S           print an 'interval' line every S seconds\n"
	      "  --json                 print JSON objects instead of key=value lines\n"
	      "  -h, --help             show this help\n",
	      f);
}

/* Seconds with up to three decimals ("10", "2.5") into milliseconds. */
static int
parse_ms(const char *s, uint64_t min_ms, uint64_t max_ms, uint64_t *ret_ms)
{
	char num[24];
	const char *dot = strchr(s, '.');
	size_t ilen = dot ? (size_t)(dot - s) : strlen(s);
	uint64_t sec, ms = 0;
	uint32_t frac;
	int r;

	if (ilen == 0 || ilen >= sizeof(num))
		return TI_EPARSE;
	memcpy(num, s, ilen);
	num[ilen] = '\0';
	r = ti_parse_u64(num, 0, max_ms / 1000, &sec);
	if (r < 0)
		return r;
	if (dot) {
		size_t flen = strlen(dot + 1);

		if (flen < 1 || flen > 3 || ti_parse_u32(dot + 1, 0, 999, &frac) < 0)
			return TI_EPARSE;
		ms = frac * (flen == 1 ? 100 : flen == 2 ? 10 : 1);
	}
	ms += sec * 1000;
	if (ms < min_ms || ms > max_ms)
		return TI_ERANGE;
	*ret_ms = ms;
	return 0;
}

static int
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return ss->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int
parse_target(struct bench *b, const char *arg)
{
	char uri_s[300];
	struct ti_uri uri;
	int n = snprintf(uri_s, sizeof(uri_s), "coap://%s", arg);

	if (n < 0 || (size_t)n >= sizeof(uri_s) || ti_uri_parse(uri_s, &uri) < 0 ||
	    !uri.port_given || uri.path[0] || uri.query[0] ||
	    ti_uri_resolve(&uri, &b->target, &b->target_len) < 0) {
		fprintf(stderr, "tice-bench: invalid target '%s': want HOST:PORT or [IPV6]:PORT\n",
			arg);
		return -1;
	}
	ti_addr_unmap(&b->target);
	if (b->target.ss_family == AF_INET)
		b->target_len = sizeof(struct sockaddr_in);
	if (!is_loopback(&b->target)) {
		fprintf(stderr, "tice-bench: target '%s' is not a loopback address: "
				"only 127.0.0.0/8 and ::1 are allowed\n",
			arg);
		return -1;
	}
	ti_addr_format((const struct sockaddr *)&b->target, b->target_str, sizeof(b->target_str));
	return 0;
}

enum {
	OPT_TARGET = 256,
	OPT_PROTO,
	OPT_PATH,
	OPT_ACCEPT,
	OPT_TYPE,
	OPT_SOCKETS,
	OPT_INFLIGHT,
	OPT_DURATION,
	OPT_COUNT,
	OPT_TIMEOUT,
	OPT_WARMUP,
	OPT_THREADS,
	OPT_CHURN,
	OPT_CHURN_MODE,
	OPT_INTERVAL,
	OPT_JSON,
};

static const struct option long_opts[] = {
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "proto", required_argument, NULL, OPT_PROTO },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "accept", required_argument, NULL, OPT_ACCEPT },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "sockets", required_argument, NULL, OPT_SOCKETS },
	{ "inflight", required_argument, NULL, OPT_INFLIGHT },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "churn", no_argument, NULL, OPT_CHURN },
	{ "churn-mode", required_argument, NULL, OPT_CHURN_MODE },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* What the options say before they are checked against each other. */
struct cli {
	const char *target, *path;
	long accept;
	int stun, non, churn, coap_opts;
	enum churn churn_mode;
};

static int
bad_value(const char *opt, const char *arg)
{
	fprintf(stderr, "tice-bench: invalid value '%s' for --%s\n", arg, opt);
	return -1;
}

static int
parse_opt(struct bench *b, struct cli *c, int opt, const char *arg)
{
	uint32_t u;

	switch (opt) {
	case OPT_TARGET:
		c->target = arg;
		return 0;
	case OPT_PROTO:
		if (strcmp(arg, "coap") != 0 && strcmp(arg, "stun") != 0)
			return bad_value("proto", arg);
		c->stun = strcmp(arg, "stun") == 0;
		return 0;
	case OPT_PATH:
		c->path = arg;
		c->coap_opts = 1;
		return 0;
	case OPT_ACCEPT:
		if (ti_parse_u32(arg, 0, 65535, &u) < 0)
			return bad_value("accept", arg);
		c->accept = u;
		c->coap_opts = 1;
		return 0;
	case OPT_TYPE:
		if (strcmp(arg, "con") != 0 && strcmp(arg, "non") != 0)
			return bad_value("type", arg);
		c->non = strcmp(arg, "non") == 0;
		c->coap_opts = 1;
		return 0;
	case OPT_SOCKETS:
		return ti_parse_u32(arg, 1, 4096, &b->sockets) < 0 ? bad_value("sockets", arg) : 0;
	case OPT_INFLIGHT:
		return ti_parse_u32(arg, 1, 4096, &b->inflight) < 0 ? bad_value("inflight", arg)
								      : 0;
	case OPT_THREADS:
		return ti_parse_u32(arg, 1, 64, &b->threads) < 0 ? bad_value("threads", arg) : 0;
	case OPT_DURATION:
		return parse_ms(arg, 1, DURATION_MAX_MS, &b->duration_ms) < 0
			       ? bad_value("duration", arg)
			       : 0;
	case OPT_WARMUP:
		return parse_ms(arg, 0, DURATION_MAX_MS, &b->warmup_ms) < 0
			       ? bad_value("warmup", arg)
			       : 0;
	case OPT_INTERVAL:
		return parse_ms(arg, 100, DURATION_MAX_MS, &b->interval_ms) < 0
			       ? bad_value("interval", arg)
			       : 0;
	case OPT_COUNT:
		return ti_parse_u64(arg, 1, UINT64_MAX, &b->count) < 0 ? bad_value("count", arg)
								       : 0;
	case OPT_TIMEOUT:
		return ti_parse_u64(arg, 1, 60000, &b->timeout_ms) < 0
			       ? bad_value("timeout-ms", arg)
			       : 0;
	case OPT_CHURN:
		c->churn = 1;
		return 0;
	case OPT_CHURN_MODE:
		if (strcmp(arg, "pktinfo") != 0 && strcmp(arg, "socket") != 0)
			return bad_value("churn-mode", arg);
		c->churn = 1;
		c->churn_mode = strcmp(arg, "socket") == 0 ? CHURN_SOCKET : CHURN_PKTINFO;
		return 0;
	case OPT_JSON:
		b->json = 1;
		return 0;
	default:
		return -1;
	}
}

/* Cross-checks, then the request template. */
static int
finish_opts(struct bench *b, const struct cli *c)
{
	if (c->target == NULL) {
		fputs("tice-bench: --target is required\n", stderr);
		return -1;
	}
	if (parse_target(b, c->target) < 0)
		return -1;
	if (c->stun && c->coap_opts) {
		fputs("tice-bench: --path, --accept and --type apply to --proto coap only\n",
		      stderr);
		return -1;
	}
	if (b->threads > b->sockets) {
		fputs("tice-bench: --threads must not exceed --sockets\n", stderr);
		return -1;
	}
	b->churn = CHURN_NONE;
	if (c->churn)
		b->churn = c->churn_mode != CHURN_NONE			 ? c->churn_mode
			   : b->target.ss_family == AF_INET ? CHURN_PKTINFO
							    : CHURN_SOCKET;
	if (b->churn == CHURN_PKTINFO && b->target.ss_family != AF_INET) {
		fputs("tice-bench: --churn-mode pktinfo needs an IPv4 target\n", stderr);
		return -1;
	}
	if (b->churn == CHURN_SOCKET && (uint64_t)b->sockets * b->inflight > 65536) {
		fputs("tice-bench: --churn-mode socket allows at most 65536 sockets x inflight\n",
		      stderr);
		return -1;
	}
	if (c->stun) {
		bench_req_stun(&b->req);
	} else if (bench_req_coap(&b->req, c->path, !c->non, c->accept) < 0) {
		fprintf(stderr, "tice-bench: path '%s' is too long\n", c->path);
		return -1;
	}
	return 0;
}

static int
parse_args(struct bench *b, int argc, char **argv)
{
	struct cli c = { .path = "/tstun", .accept = -1 };
	int opt;

	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (parse_opt(b, &c, opt, optarg) < 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "tice-bench: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return finish_opts(b, &c);
}

/*
 * Run and report.
 */

static void
sum_ctr(struct worker **w, unsigned n, uint64_t ret_v[C_N])
{
	for (unsigned c = 0; c < C_N; c++) {
		ret_v[c] = 0;
		for (unsigned i = 0; i < n; i++)
			ret_v[c] += atomic_load_explicit(&w[i]->ctr[c], memory_order_relaxed);
	}
}

/*
 * Sleep until deadline (ns) or until every load thread is done.
 * @return 1 when SIGINT or SIGTERM arrived, 0 otherwise.
 */
static int
wait_until(struct bench *b, const sigset_t *sigs, uint64_t deadline)
{
	for (;;) {
		uint64_t now = now_ns(), step;
		struct timespec ts;

		if (now >= deadline || atomic_load(&b->ndone) == b->threads)
			return 0;
		step = deadline - now < 10 * NS_PER_MS ? deadline - now : 10 * NS_PER_MS;
		ts = (struct timespec){ .tv_nsec = (long)step };
		if (sigtimedwait(sigs, NULL, &ts) > 0)
			return 1;
	}
}

static void
print_interval(const struct bench *b, double t, const uint64_t d[C_N], double span)
{
	double rps = span > 0 ? (double)d[C_REPLIES] / span : 0;

	if (b->json)
		printf("{\"interval\":%.2f,\"sent\":%llu,\"replies\":%llu,\"lost\":%llu,"
		       "\"errors\":%llu,\"rps\":%.0f}\n",
		       t, (unsigned long long)d[C_SENT], (unsigned long long)d[C_REPLIES],
		       (unsigned long long)d[C_LOST], (unsigned long long)d[C_ERRORS], rps);
	else
		printf("interval t=%.2f sent=%llu replies=%llu lost=%llu errors=%llu rps=%.0f\n", t,
		       (unsigned long long)d[C_SENT], (unsigned long long)d[C_REPLIES],
		       (unsigned long long)d[C_LOST], (unsigned long long)d[C_ERRORS], rps);
	fflush(stdout);
}

static void
print_summary(const struct bench *b, const uint64_t v[C_N], double secs,
	      const struct bench_hist *h)
{
	static const char *const kv = "proto=%s target=%s churn=%d sockets=%u inflight=%u "
				      "duration=%.2f sent=%llu replies=%llu lost=%llu errors=%llu "
				      "rps=%.0f p50_us=%.0f p99_us=%.0f p999_us=%.0f threads=%u "
				      "churn_mode=%s late=%llu mapped=%llu mapped_ok=%llu\n";
	static const char *const js =
		"{\"proto\":\"%s\",\"target\":\"%s\",\"churn\":%d,\"sockets\":%u,"
		"\"inflight\":%u,\"duration\":%.2f,\"sent\":%llu,\"replies\":%llu,"
		"\"lost\":%llu,\"errors\":%llu,\"rps\":%.0f,\"p50_us\":%.0f,\"p99_us\":%.0f,"
		"\"p999_us\":%.0f,\"threads\":%u,\"churn_mode\":\"%s\",\"late\":%llu,"
		"\"mapped\":%llu,\"mapped_ok\":%llu}\n";

	printf(b->json ? js : kv, b->req.proto == BENCH_PROTO_STUN ? "stun" : "coap",
	       b->target_str, b->churn != CHURN_NONE, b->sockets, b->inflight, secs,
	       (unsigned long long)v[C_SENT], (unsigned long long)v[C_REPLIES],
	       (unsigned long long)v[C_LOST], (unsigned long long)v[C_ERRORS],
	       secs > 0 ? (double)v[C_REPLIES] / secs : 0,
	       (double)bench_hist_quantile(h, 0.50) / 1e3,
	       (double)bench_hist_quantile(h, 0.99) / 1e3,
	       (double)bench_hist_quantile(h, 0.999) / 1e3, b->threads, churn_names[b->churn],
	       (unsigned long long)v[C_LATE], (unsigned long long)v[C_MAPPED],
	       (unsigned long long)v[C_MAPPED_OK]);
	fflush(stdout);
}

/* The measured phase, with interval lines. @return its end (ns). */
static uint64_t
measure(struct bench *b, struct worker **w, const sigset_t *sigs, uint64_t t0)
{
	uint64_t end = t0 + b->duration_ms * NS_PER_MS, iv = b->interval_ms * NS_PER_MS;
	uint64_t next = t0 + iv, last_t = t0, last[C_N], cur[C_N], d[C_N];

	sum_ctr(w, b->threads, last);
	for (;;) {
		int sig = wait_until(b, sigs, iv && next < end ? next : end);
		uint64_t now = now_ns();

		if (sig || atomic_load(&b->ndone) == b->threads)
			return now;
		if (iv && now >= next) {
			sum_ctr(w, b->threads, cur);
			for (unsigned c = 0; c < C_N; c++)
				d[c] = cur[c] - last[c];
			print_interval(b, (double)(now - t0) / 1e9, d, (double)(now - last_t) / 1e9);
			memcpy(last, cur, sizeof(last));
			last_t = now;
			next += iv;
		}
		if (now >= end)
			return now;
	}
}

/* Give each thread its share of the sockets. @return 0 or -errno. */
static int
workers_open(struct bench *b, struct worker **w)
{
	unsigned nsocks = b->sockets, nslots = b->inflight;

	if (b->churn == CHURN_SOCKET) {
		nsocks = b->sockets * b->inflight;
		nslots = 1;
	}
	for (unsigned i = 0; i < b->threads; i++) {
		unsigned n = nsocks / b->threads + (i < nsocks % b->threads);
		int r = worker_new(b, i, n, nslots, &w[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

/* Enough descriptors for every socket, within the hard limit. */
static void
raise_nofile(const struct bench *b)
{
	uint64_t need = (uint64_t)b->sockets * (b->churn == CHURN_SOCKET ? b->inflight : 1) + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static int
run(struct bench *b, struct worker **w)
{
	uint64_t t0, t1, base[C_N], fin[C_N];
	struct bench_hist *h = calloc(1, sizeof(*h));
	sigset_t sigs;
	int sig = 0, r;

	if (h == NULL)
		return -ENOMEM;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	for (unsigned i = 0; i < b->threads; i++) {
		r = pthread_create(&w[i]->thread, NULL, worker_main, w[i]);
		if (r != 0) {
			fprintf(stderr, "tice-bench: failed to start thread (%s)\n", strerror(r));
			exit(1);
		}
	}
	if (b->warmup_ms > 0)
		sig = wait_until(b, &sigs, now_ns() + b->warmup_ms * NS_PER_MS);
	sum_ctr(w, b->threads, base);
	t0 = now_ns();
	atomic_store(&b->phase, PHASE_MEASURE);
	t1 = sig ? t0 : measure(b, w, &sigs, t0);
	atomic_store(&b->phase, PHASE_STOP);
	for (unsigned i = 0; i < b->threads; i++) {
		pthread_join(w[i]->thread, NULL);
		bench_hist_merge(h, &w[i]->hist);
	}
	if (atomic_load(&b->ndone) == b->threads) {
		t1 = t0;
		for (unsigned i = 0; i < b->threads; i++)
			if (atomic_load(&w[i]->done_ns) > t1)
				t1 = atomic_load(&w[i]->done_ns);
	}
	sum_ctr(w, b->threads, fin);
	for (unsigned c = 0; c < C_N; c++)
		fin[c] -= base[c];
	print_summary(b, fin, (double)(t1 - t0) / 1e9, h);
	free(h);
	return fin[C_REPLIES] > 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct bench b = { .sockets = 64,
			   .inflight = 8,
			   .threads = 1,
			   .duration_ms = 10000,
			   .timeout_ms = 1000,
			   .phase = PHASE_WARMUP };
	struct worker **w;
	int r;

	if (parse_args(&b, argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	raise_nofile(&b);
	w = calloc(b.threads, sizeof(*w));
	if (w == NULL) {
		fputs("tice-bench: out of memory\n", stderr);
		return 1;
	}
	r = workers_open(&b, w);
	if (r < 0) {
		fprintf(stderr, "tice-bench: failed to open sockets to '%s' (%s)\n", b.target_str,
			ti_strerror(r));
		r = 1;
		goto out_free;
	}
	r = run(&b, w);
	if (r < 0) {
		fprintf(stderr, "tice-bench: %s\n", ti_strerror(r));
		r = 1;
	}
out_free:
	for (unsigned i = 0; i < b.threads; i++)
		worker_free(w[i]);
	free(w);
	return r;
}
