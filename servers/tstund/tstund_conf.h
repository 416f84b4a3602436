/* SPDX-License-Identifier: BSD-2-Clause */
/* tstund: configuration schema and the parsed configuration. */
#ifndef TSTUND_CONF_H
#define TSTUND_CONF_H

#include <stdint.h>

#include "ti_conf.h"
#include "ti_daemon.h"

/** tstund's configuration; immutable once loaded (reload builds a new one). */
struct tstund_conf {
	struct ti_conf_common common; /* must stay first */
	struct ti_conf_list listen;
	char *path;
	char *rd;
	char *rd_endpoint;
	uint64_t rd_lifetime;
	char *rd_base;
	uint32_t max_idle_sessions;
	uint64_t session_timeout;
};

extern const struct ti_conf_schema tstund_conf_schema;

/** tstund's port, used when a listen URI names none. */
#define TSTUND_DEFAULT_PORT 5783
/** Default listen URIs. */
#define TSTUND_DEFAULT_LISTEN "coap://0.0.0.0:5783 coap://[::]:5783"

/**
 * The endpoint name to register: rd-endpoint, or "tstund-" + host name.
 * @param[out] buf  receives the name (at most 63 bytes plus NUL).
 */
void tstund_conf_endpoint(const struct tstund_conf *conf, char *buf, size_t size);

#endif /* TSTUND_CONF_H */
