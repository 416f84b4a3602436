/* SPDX-License-Identifier: BSD-2-Clause */
/* rdd: configuration schema and the parsed configuration. */
#ifndef RDD_CONF_H
#define RDD_CONF_H

#include <stdint.h>

#include "ti_conf.h"
#include "ti_daemon.h"

struct rdd_policy;

/** rdd's configuration; immutable once loaded (reload builds a new one). */
struct rdd_conf {
	struct ti_conf_common common; /* must stay first */
	struct ti_conf_list listen;
	char *database;
	int synchronous; /**< enum ti_store_sync */
	int group_commit; /**< answer changes after a shared COMMIT (with synchronous full/extra) */
	uint64_t lifetime_min, lifetime_max, lifetime_default;
	uint32_t max_registrations;
	uint32_t max_links_per_registration;
	uint32_t max_payload;
	uint32_t max_lookup_results;
	uint32_t max_observers;
	uint32_t max_observers_per_peer;
	uint32_t max_idle_sessions;
	uint64_t session_timeout;
};

extern const struct ti_conf_schema rdd_conf_schema;

/** The CoAP port (RFC 7252), used when a listen URI names none. */
#define RDD_DEFAULT_PORT 5683
/** Default listen URIs: every IPv4 and IPv6 address. */
#define RDD_DEFAULT_LISTEN "coap://0.0.0.0:5683 coap://[::]:5683"
/**
 * Default database file: the state directory that thinice.tmpfiles and the
 * units' StateDirectory= create, whatever --localstatedir says.
 */
#define RDD_DEFAULT_DATABASE "/var/lib/thinice/rdd.db"

/** Fill a registration policy (rdd_registry.h) from the configuration. */
void rdd_conf_policy(const struct rdd_conf *c, struct rdd_policy *pol);

#endif /* RDD_CONF_H */
