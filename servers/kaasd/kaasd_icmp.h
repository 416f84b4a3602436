/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: ICMP errors from the socket error queue (IP_RECVERR), classified. */
#ifndef KAASD_ICMP_H
#define KAASD_ICMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum kaasd_icmp_kind {
	KAASD_ICMP_NONE = 0,	  /**< not an ICMP error (e.g. a local error) */
	KAASD_ICMP_TIME_EXCEEDED, /**< ICMP 11/0, ICMPv6 3/0: TTL / hop limit ran out */
	KAASD_ICMP_PORT_UNREACH,  /**< ICMP 3/3, ICMPv6 1/4 */
	KAASD_ICMP_UNREACH,	  /**< any other destination unreachable */
	KAASD_ICMP_TOO_BIG,	  /**< ICMP 3/4, ICMPv6 2 */
	KAASD_ICMP_OTHER,
};

/** One error-queue message, classified. */
struct kaasd_icmp_event {
	enum kaasd_icmp_kind kind;
	uint8_t type, code;		  /**< ICMP or ICMPv6 type and code */
	uint8_t origin;			  /**< SO_EE_ORIGIN_* */
	int err;			  /**< ee_errno */
	uint32_t info;			  /**< ee_info (the MTU for TOO_BIG) */
	struct sockaddr_storage dest;	  /**< where the quoted datagram was sent */
	struct sockaddr_storage offender; /**< who sent the ICMP; AF_UNSPEC if unknown */
	int from_dest;			  /**< offender address == dest address (NAT or behind) */
	int ttl;			  /**< TTL / hop limit of the ICMP packet as received; -1 */
	int distance;			  /**< hops to the ICMP's sender from ttl; 0 unknown */
	int has_mid;			  /**< the quoted datagram is a CoAP message */
	uint16_t mid;			  /**< its Message ID */
	uint8_t probe_ttl;		  /**< low byte of mid: the TTL our probes encode */
	uint8_t coap_type, coap_code, coap_empty; /**< of the quoted CoAP message */
};

/**
 * Classify a message read with recvmsg(..., MSG_ERRQUEUE).
 * @param[in] msg  as recvmsg() left it (msg_name = destination of the quoted
 *                 datagram, control = IP_RECVERR/IPV6_RECVERR and, when
 *                 enabled, IP_TTL/IPV6_HOPLIMIT of the ICMP packet).
 * @param[in] len  bytes recvmsg() returned (the quoted datagram's payload).
 * @return 0, or TI_EPARSE when msg holds no extended error.
 */
int kaasd_icmp_parse(const struct msghdr *msg, size_t len, struct kaasd_icmp_event *ret_ev);

/**
 * Turn on what kaasd needs on a UDP socket of family (AF_INET/AF_INET6):
 * IP_RECVERR + IP_RECVTTL, or IPV6_RECVERR + IPV6_RECVHOPLIMIT.
 * @return 0 or -errno.
 */
int kaasd_icmp_enable(int fd, int family);

/** Called for every classified error-queue message. */
typedef void kaasd_icmp_fn(const struct kaasd_icmp_event *ev, void *arg);

/**
 * Read the error queue of fd until it is empty (or max messages), calling
 * fn for each. @return messages read, or -errno (not EAGAIN).
 */
int kaasd_icmp_drain(int fd, size_t max, kaasd_icmp_fn *fn, void *arg);

/** "time-exceeded", "port-unreachable", "unreachable", "too-big", "other", "none". */
const char *kaasd_icmp_kind_name(enum kaasd_icmp_kind kind);

/** Hops to a sender whose packet arrived with ttl (initial 64, 128 or 255); 0 if ttl < 1. */
int kaasd_icmp_distance(int ttl);

#endif /* KAASD_ICMP_H */
