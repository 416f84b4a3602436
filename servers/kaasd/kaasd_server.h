/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: the server's state, shared by its sockets, subscriptions and CoAP answers. */
#ifndef KAASD_SERVER_H
#define KAASD_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ti_msg.h"
#include "ti_udp.h"
#include "ti_wheel.h"

struct ti_loop;
struct ti_timer;
struct kaasd_conf;
struct kaasd_db;
struct kaasd_rd;
struct kaasd_icmp_event;
struct ti_rdreg;

/** A compact socket address (IPv4-mapped IPv6 is kept as IPv4). */
struct kaasd_addr {
	uint8_t family; /**< 4 or 6; 0 none */
	uint8_t pad;
	uint16_t port; /**< host order */
	uint8_t a[16]; /**< 4 or 16 bytes used */
};

void kaasd_addr_from(struct kaasd_addr *ka, const struct sockaddr *sa);
/** @return the socklen of ss. */
socklen_t kaasd_addr_to(const struct kaasd_addr *ka, struct sockaddr_storage *ss);
int kaasd_addr_equal(const struct kaasd_addr *x, const struct kaasd_addr *y);
/** Same address, any port. */
int kaasd_addr_same_host(const struct kaasd_addr *x, const struct kaasd_addr *y);
/** "203.0.113.7:40001" / "[2001:db8::7]:40001" (with_port) or the bare address. */
void kaasd_addr_format(const struct kaasd_addr *ka, int with_port, char *buf, size_t size);

/** Largest datagram kaasd reads or writes (relayed messages included). */
#define KAASD_MAX_DGRAM 1280

/** One UDP socket, bound to one listen URI. */
struct kaasd_sock {
	struct kaasd_server *srv;
	unsigned index;
	int fd;
	int family;   /**< AF_INET or AF_INET6 */
	int wildcard; /**< bound to 0.0.0.0 or ::: sends name their source address */
	struct sockaddr_storage bound;
	char *uri;
	uint16_t next_mid;
	/* keepalives waiting for one sendmmsg() */
	unsigned n_out;
	struct mmsghdr out[64];
	struct iovec out_iov[64];
	struct sockaddr_storage out_peer[64];
	union ti_udp_cmsg out_cmsg[64];
	uint8_t out_buf[64][4];
};

enum kaasd_state {
	KAASD_DISCOVERING = 0,
	KAASD_ALIVE,
	KAASD_LOST,
	KAASD_UNKNOWN,
};

/** What discovery is doing (see SPEC / kaasd(8)). */
enum kaasd_phase {
	KAASD_PHASE_NONE = 0, /**< discovery done: keepalives */
	KAASD_PHASE_HINT,     /**< probing at the hinted hop count */
	KAASD_PHASE_DOWN,     /**< walking down to find the NAT */
	KAASD_PHASE_UP,	      /**< full mode: walking up from 1 */
};

/** One subscription; about 200 bytes with its indexes. */
struct kaasd_sub {
	struct ti_wheel_entry timer;
	struct kaasd_sub *next_id, *next_ep, *next_host; /* hash chains */
	char *ep;
	int64_t id;
	int64_t created, expires; /**< Unix s */
	struct kaasd_addr peer;	  /**< the candidate */
	struct kaasd_addr local;  /**< where the device sent to */
	struct kaasd_addr ev_from;
	uint32_t interval;	/**< s */
	uint32_t last_ka;	/**< Unix s of the last keepalive; 0 none */
	uint32_t ev_at;		/**< Unix s of the last evidence; 0 none */
	uint16_t sock;		/**< index into srv->socks */
	uint16_t seq;		/**< keepalive sequence (high byte of the MID) */
	uint8_t ttl_hint, recv_ttl;
	uint8_t ka_ttl;		/**< keepalive TTL; 0 none yet */
	uint8_t nat_hops;	/**< 0 unknown */
	uint8_t state;		/**< enum kaasd_state */
	uint8_t phase;		/**< enum kaasd_phase */
	uint8_t probe_ttl;	/**< TTL of the probe under way */
	uint8_t tries;		/**< probes sent at probe_ttl */
	uint8_t last_dest_ttl;	/**< full mode: highest TTL with Time Exceeded from the NAT */
	uint8_t ev_kind;	/**< enum kaasd_icmp_kind of the last evidence, or KAASD_EV_RST */
	uint8_t ev_ttl, ev_dist;
};

/** ev_kind for "the device answered RST" (beyond the ICMP kinds). */
#define KAASD_EV_RST 100

/** A chained hash table of subscriptions (one per index). */
struct kaasd_htab {
	struct kaasd_sub **b;
	size_t mask; /**< buckets - 1 */
	size_t n;
};

/** A relayed request waiting for the device. */
struct kaasd_relay {
	struct kaasd_relay *next;
	struct kaasd_server *srv;
	struct ti_timer *timer; /**< retransmission and deadline */
	int64_t sub_id;
	unsigned sock;
	struct kaasd_addr device, device_local;
	uint16_t mid; /**< of the forwarded CON */
	uint8_t token[8];
	uint8_t tries;
	int acked; /**< the device sent an empty ACK: a separate response follows */
	uint64_t deadline;
	/* the requester */
	unsigned req_sock;
	struct kaasd_addr req_peer, req_local;
	uint8_t req_type;
	uint16_t req_mid;
	uint8_t req_tkl;
	uint8_t req_token[8];
	size_t len;
	uint8_t buf[KAASD_MAX_DGRAM];
};

/** A recent answer to a confirmable request, for its retransmissions. */
struct kaasd_dedup {
	struct kaasd_addr peer;
	uint16_t mid;
	uint8_t used, pending; /**< pending: a relay is under way, ignore copies */
	uint64_t at;	       /**< ms */
	uint16_t len;
	uint8_t *buf;
};

#define KAASD_DEDUP_SLOTS 1024
#define KAASD_MAX_RELAYS 1024

/** Lateness of timers, 1 ms per bucket; the last one holds the rest. */
#define KAASD_LATE_BUCKETS 1024

/** Counters for logs and STATUS=. */
struct kaasd_stats {
	uint64_t keepalives, probes, send_failed, deferred;
	uint64_t icmp, requests, relayed, relay_timeouts;
	uint64_t late[KAASD_LATE_BUCKETS]; /**< since the last status report */
};

struct kaasd_server {
	struct ti_loop *loop;
	const struct kaasd_conf *conf; /**< the daemon's current configuration */
	struct kaasd_db *db;
	struct kaasd_rd *rd;	   /**< NULL without `rd` */
	struct ti_rdreg *rdreg;	   /**< kaasd's own registration */
	struct kaasd_sock **socks;
	unsigned n_socks;
	struct ti_wheel *wheel;
	struct ti_timer *tick;
	uint64_t tick_at; /**< ms the tick timer is armed for; 0 disarmed */
	struct kaasd_htab by_id, by_ep, by_host;
	struct kaasd_prefix **prefixes; /* per-prefix counts */
	size_t prefix_mask, n_prefixes;
	size_t n_subs;
	/* global packets-per-second budget */
	double tokens;
	uint64_t tokens_at;
	struct kaasd_relay *relays;
	unsigned n_relays;
	struct kaasd_dedup dedup[KAASD_DEDUP_SLOTS];
	struct kaasd_stats stats;
	char *bound_listen, *started_user, *started_db;
};

/* kaasd_net.c: sockets */
int kaasd_net_open(struct kaasd_server *srv, const char *uri, char *err, size_t errlen);
void kaasd_net_close_all(struct kaasd_server *srv);
/** Send one datagram from sock (source local when not NULL, ttl > 0 limits hops). */
int kaasd_net_send(struct kaasd_server *srv, unsigned sock, const struct kaasd_addr *peer,
		   const struct kaasd_addr *local, int ttl, const void *buf, size_t len);
/** Queue a 4-byte probe/keepalive; kaasd_net_flush() sends the queue with sendmmsg(). */
void kaasd_net_queue_ping(struct kaasd_server *srv, unsigned sock, const struct kaasd_addr *peer,
			  const struct kaasd_addr *local, int ttl, uint16_t mid);
void kaasd_net_flush(struct kaasd_server *srv);
/** The socket serving local (same port, same or wildcard address), or -1. */
int kaasd_net_find_sock(const struct kaasd_server *srv, const struct kaasd_addr *local);

/* kaasd_proto.c: CoAP requests and responses */
/** Handle one datagram that arrived on sock. */
void kaasd_proto_input(struct kaasd_server *srv, unsigned sock, const struct kaasd_addr *peer,
		       const struct kaasd_addr *local, int recv_ttl, const uint8_t *buf, size_t len);
/** Relays: time out and retransmit (called by the wheel). */
void kaasd_relay_fail_sub(struct kaasd_server *srv, int64_t sub_id);
void kaasd_relay_free_all(struct kaasd_server *srv);
/** An ICMP error about a relayed datagram: @return 1 if it was one. */
int kaasd_relay_icmp(struct kaasd_server *srv, const struct kaasd_icmp_event *ev);

/* kaasd_sub.c: subscriptions, discovery, keepalives */
int kaasd_sub_init(struct kaasd_server *srv);
void kaasd_sub_fini(struct kaasd_server *srv);
/** Load stored subscriptions and schedule them. @return 0 or an error code. */
int kaasd_sub_load(struct kaasd_server *srv);
struct kaasd_sub *kaasd_sub_by_id(struct kaasd_server *srv, int64_t id);
struct kaasd_sub *kaasd_sub_by_ep(struct kaasd_server *srv, const char *ep);
struct kaasd_sub *kaasd_sub_by_peer(struct kaasd_server *srv, const struct kaasd_addr *peer);
struct kaasd_sub_req;
/**
 * Create or refresh the subscription of req->ep from peer.
 * @param[out] ret_sub  the subscription. @param[out] diag  on refusal.
 * @return 0, or a CoAP code (4.29 caps, 5.03 full, 5.00 storage).
 */
int kaasd_sub_subscribe(struct kaasd_server *srv, unsigned sock, const struct kaasd_addr *peer,
			const struct kaasd_addr *local, int recv_ttl,
			const struct kaasd_sub_req *req, struct kaasd_sub **ret_sub, char *diag,
			size_t diaglen);
/** End a subscription (reason for the log). */
void kaasd_sub_remove(struct kaasd_server *srv, struct kaasd_sub *sub, const char *reason);
/** The status JSON of GET /kaas/<id>; host names the relay's authority. Caller frees. */
char *kaasd_sub_status(struct kaasd_server *srv, const struct kaasd_sub *sub, const char *authority);
void kaasd_sub_on_icmp(struct kaasd_server *srv, const struct kaasd_icmp_event *ev);
/** A relayed request drew Port Unreachable from the NAT: the binding is gone. */
void kaasd_sub_lost(struct kaasd_server *srv, struct kaasd_sub *sub,
		    const struct kaasd_icmp_event *ev);
/** An RST from peer for one of our empty CONs. */
void kaasd_sub_on_rst(struct kaasd_server *srv, const struct kaasd_addr *peer, uint16_t mid);
/** Run due timers and re-arm the tick. */
void kaasd_sub_run(struct kaasd_server *srv);
/** Schedule the tick for the wheel's next due time (after changes). */
void kaasd_sub_rearm(struct kaasd_server *srv);
const char *kaasd_state_name(int state);

#endif /* KAASD_SERVER_H */
