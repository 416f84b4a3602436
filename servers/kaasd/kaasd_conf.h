/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: configuration schema and the parsed configuration. */
#ifndef KAASD_CONF_H
#define KAASD_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "ti_conf.h"
#include "ti_daemon.h"

/** kaasd's configuration; immutable once loaded (reload builds a new one). */
struct kaasd_conf {
	struct ti_conf_common common; /* must stay first */
	struct ti_conf_list listen;
	char *database;
	int synchronous; /**< enum ti_store_sync */
	uint64_t interval, interval_min, interval_max;		/**< s */
	uint64_t lifetime_min, lifetime_max, lifetime_default; /**< s */
	uint32_t max_subscriptions;
	uint32_t max_per_address;
	uint32_t max_per_prefix; /**< per IPv4 /24 and per IPv6 /64 */
	uint32_t max_pps;	 /**< keepalives and probes per second, all subscriptions */
	uint32_t keepalive_ttl;	 /**< 0: discover ("auto"); 1..255: forced */
	uint32_t max_ttl;	 /**< highest TTL discovery probes */
	int relay;		 /**< serve /relay */
	uint64_t relay_timeout;	 /**< s */
	int allow_loopback;	 /**< accept subscriptions from loopback (testing) */
	char *rd;		 /**< RD URI, or NULL */
	char *rd_endpoint;	 /**< NULL: "kaasd-" + host name */
	uint64_t rd_lifetime;
	char *rd_base;
};

extern const struct ti_conf_schema kaasd_conf_schema;

/** kaasd's port, used when a listen URI names none. */
#define KAASD_DEFAULT_PORT 5883
/** Default listen URIs: every IPv4 and IPv6 address. */
#define KAASD_DEFAULT_LISTEN "coap://0.0.0.0:5883 coap://[::]:5883"
/** Default database file (the units' StateDirectory=). */
#define KAASD_DEFAULT_DATABASE "/var/lib/thinice/kaasd.db"

/**
 * The endpoint name kaasd registers in the RD: rd-endpoint, or "kaasd-" +
 * host name. @param[out] buf  at most 63 bytes plus NUL.
 */
void kaasd_conf_endpoint(const struct kaasd_conf *conf, char *buf, size_t size);

#endif /* KAASD_CONF_H */
