/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: load threads: sockets, closed-loop request slots, batched UDP I/O. */
#ifndef BENCH_LOAD_H
#define BENCH_LOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ti_addr.h"

#include "bench_hist.h"
#include "bench_proto.h"

#define BENCH_NS_PER_MS 1000000ull

enum bench_phase { BENCH_PHASE_WARMUP, BENCH_PHASE_MEASURE, BENCH_PHASE_STOP };

/** How every request gets a new source address. */
enum bench_churn {
	BENCH_CHURN_NONE,    /**< fixed clients: one connected socket each */
	BENCH_CHURN_PKTINFO, /**< IP_PKTINFO source 127.1.0.0 .. 127.254.255.255 */
	BENCH_CHURN_SOCKET,  /**< a fresh socket (source port) per request */
};

/** Counters of a load thread. */
enum bench_ctr {
	BENCH_C_SENT,
	BENCH_C_REPLIES, /**< successful replies (the expected CoAP code, STUN Binding Success) */
	BENCH_C_LOST,	 /**< no reply within the timeout */
	BENCH_C_ERRORS,	 /**< other replies (CoAP codes, RST, STUN errors), socket failures */
	BENCH_C_EMPTY,	 /**< successful CoAP replies without a payload */
	BENCH_C_PAYLOAD, /**< payload bytes of the successful CoAP replies */
	BENCH_C_LATE,	 /**< replies to no outstanding request (late or duplicated) */
	BENCH_C_MAPPED,	 /**< successful replies that carry a reflected address */
	BENCH_C_MAPPED_OK, /**< ... equal to the source the request was sent from */
	BENCH_C_RECEIVED,  /**< datagrams received */
	BENCH_C_RXCALLS,   /**< recvmmsg() calls that returned datagrams */
	BENCH_C_TXCALLS,   /**< sendmmsg() calls that sent datagrams */
	BENCH_C_N,
};

/** Options, then the state the main thread shares with the load threads. */
struct bench {
	struct bench_req req;
	struct sockaddr_storage target;
	socklen_t target_len;
	char target_str[TI_ADDR_STRLEN];
	enum bench_churn churn;
	unsigned sockets, inflight, threads;
	uint64_t duration_ms, warmup_ms, interval_ms, timeout_ms, count;
	/**
	 * The placeholder value of each request: uniformly random in
	 * [0, random) when random > 0, else a sequence number from seq_start,
	 * distinct across threads.
	 */
	uint64_t random, seq_start;
	int json;
	_Atomic int phase;	/**< enum bench_phase, set by the main thread */
	_Atomic unsigned ndone; /**< load threads done with their --count share */
};

struct bench_sock;
struct bench_slot;
struct bench_io;

/**
 * One load thread with its own sockets, epoll set and counters. The main
 * thread reads ctr at any time; everything else only after pthread_join().
 */
struct bench_worker {
	struct bench *b; /* borrowed, outlives the worker */
	pthread_t thread;
	unsigned id;
	int epfd;
	unsigned nsocks;
	struct bench_sock *socks;
	struct bench_slot *slots;
	uint8_t *bufs;
	struct bench_io *io;
	uint64_t rng;
	uint64_t budget; /* requests left to send when --count is set */
	uint64_t seq;	 /* next sequence number (placeholder value) */
	uint64_t nwait;
	int measuring;
	_Atomic uint64_t ctr[BENCH_C_N];
	uint64_t base[BENCH_C_N]; /* ctr when this thread saw the measured phase begin */
	_Atomic uint64_t done_ns;
	struct bench_hist hist; /* latencies of the measured phase */
	/* CoAP replies of the measured phase by code; [0] counts RST. */
	uint64_t codes[256];
};

/** Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);

/** Next value of a xorshift64* generator; *s must not be 0. Not for secrets. */
uint64_t bench_rng_next(uint64_t *s);

/**
 * Create load thread id with nsocks sockets of nslots request slots each,
 * all opened to b->target (not started).
 * @param[in] b  borrowed; must outlive the worker.
 * @param[out] ret_w  written on success only; free with bench_worker_free().
 * @return 0, -ENOMEM or the -errno of a failed socket call.
 */
int bench_worker_new(struct bench *b, unsigned id, unsigned nsocks, unsigned nslots,
		     struct bench_worker **ret_w);

/** Close the sockets and free w; NULL does nothing. */
void bench_worker_free(struct bench_worker *w);

/** pthread start routine: runs the closed loop until b->phase is BENCH_PHASE_STOP. */
void *bench_worker_main(void *w);

#endif /* BENCH_LOAD_H */
