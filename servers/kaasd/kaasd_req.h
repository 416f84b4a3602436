/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: validation of subscription requests (pure: no sockets, no clock, no storage). */
#ifndef KAASD_REQ_H
#define KAASD_REQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ti_msg;

#define KAASD_EP_MAX 63

/** The limits requests are checked against (from the configuration). */
struct kaasd_req_policy {
	uint64_t lifetime_min, lifetime_max, lifetime_default;
	uint64_t interval, interval_min, interval_max;
	int allow_loopback;
};

/** A validated POST /kaas. */
struct kaasd_sub_req {
	char ep[KAASD_EP_MAX + 1];
	uint64_t lifetime; /**< s, clamped into the policy */
	uint32_t interval; /**< s, clamped into the policy */
	uint8_t ttl_hint;  /**< 0: none given */
};

/**
 * Check the Uri-Query options of a subscription request:
 * ep (required), lt, ttl, interval; no other, none twice.
 * @param[out] diag  a short reason for the diagnostic payload.
 * @return 0, or the CoAP response code to answer (TI_CODE(4, 0) ...).
 */
int kaasd_req_subscribe(const struct ti_msg *msg, const struct kaasd_req_policy *pol,
			struct kaasd_sub_req *ret_req, char *diag, size_t diaglen);

/**
 * May kaasd send keepalives to this address? Refuses unspecified,
 * loopback (unless allowed), multicast, broadcast (IPv4 255.255.255.255 and
 * 0.0.0.0/8, 224/4, 240/4), IPv4-mapped loopback and port 0.
 * @return 0, or TI_CODE(4, 3) with diag set.
 */
int kaasd_req_check_peer(const struct sockaddr *sa, int allow_loopback, char *diag,
			 size_t diaglen);

/** Is ep a valid endpoint name (1..63 bytes of 0x21..0x7e, none of & ? / ")? */
int kaasd_req_ep_valid(const char *ep, size_t len);

/**
 * The prefix key of an address for the per-prefix cap: IPv4 /24, IPv6 /64
 * (IPv4-mapped IPv6 as IPv4). @param[out] key  8 bytes.
 */
void kaasd_req_prefix(const struct sockaddr *sa, uint8_t key[8]);

#endif /* KAASD_REQ_H */
