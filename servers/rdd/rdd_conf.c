/* SPDX-License-Identifier: BSD-2-Clause */
/* rdd: configuration schema and the parsed configuration. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ti_coap.h"
#include "ti_conf.h"
#include "ti_err.h"
#include "ti_store.h"
#include "ti_util.h"

#include "rdd_conf.h"
#include "rdd_registry.h"

/* In the order of enum ti_store_sync. */
static const char *const sync_names[] = { "off", "normal", "full", "extra", NULL };

static int
validate(const void *conf, char *err, size_t errlen)
{
	const struct rdd_conf *c = conf;

	if (c->lifetime_min > c->lifetime_max) {
		snprintf(err, errlen, "'lifetime-min' is above 'lifetime-max'");
		return TI_ERANGE;
	}
	if (c->lifetime_default < c->lifetime_min || c->lifetime_default > c->lifetime_max) {
		snprintf(err, errlen, "'lifetime-default' is outside 'lifetime-min'..'lifetime-max'");
		return TI_ERANGE;
	}
	if (c->max_observers_per_peer > c->max_observers) {
		snprintf(err, errlen, "'max-observers-per-peer' is above 'max-observers'");
		return TI_ERANGE;
	}
	return 0;
}

static int
check_database(const char *v, char *err, size_t errlen)
{
	if (v[0] == '\0') {
		snprintf(err, errlen, "expected a file name");
		return TI_EPARSE;
	}
	return 0;
}

#define O(field) offsetof(struct rdd_conf, field)

/* clang-format off */
static const struct ti_conf_item items[] = {
	{ .name = "listen", .type = TI_CONF_LIST, .offset = O(listen),
	  .def = RDD_DEFAULT_LISTEN, .check = ti_coap_check_listen },
	TI_CONF_COMMON_ITEMS(struct rdd_conf),
	{ .name = "database", .type = TI_CONF_STRING, .offset = O(database),
	  .def = RDD_DEFAULT_DATABASE, .check = check_database },
	{ .name = "synchronous", .type = TI_CONF_ENUM, .offset = O(synchronous),
	  .def = "full", .choices = sync_names },
	{ .name = "group-commit", .type = TI_CONF_BOOL, .offset = O(group_commit),
	  .def = "yes" },
	{ .name = "lifetime-min", .type = TI_CONF_DURATION, .offset = O(lifetime_min),
	  .min = 1, .max = 4294967295u, .def = "60s" },
	{ .name = "lifetime-max", .type = TI_CONF_DURATION, .offset = O(lifetime_max),
	  .min = 1, .max = 4294967295u, .def = "4294967295s" },
	{ .name = "lifetime-default", .type = TI_CONF_DURATION, .offset = O(lifetime_default),
	  .min = 1, .max = 4294967295u, .def = "25h" },
	{ .name = "max-registrations", .type = TI_CONF_U32, .offset = O(max_registrations),
	  .min = 1, .max = 100000000, .def = "1000000" },
	{ .name = "max-links-per-registration", .type = TI_CONF_U32,
	  .offset = O(max_links_per_registration), .min = 1, .max = 100000, .def = "128" },
	{ .name = "max-payload", .type = TI_CONF_U32, .offset = O(max_payload),
	  .min = 64, .max = 1048576, .def = "16384" },
	{ .name = "max-lookup-results", .type = TI_CONF_U32, .offset = O(max_lookup_results),
	  .min = 1, .max = 1000000, .def = "1000" },
	{ .name = "max-observers", .type = TI_CONF_U32, .offset = O(max_observers),
	  .min = 0, .max = 10000000, .def = "100000" },
	{ .name = "max-observers-per-peer", .type = TI_CONF_U32,
	  .offset = O(max_observers_per_peer), .min = 0, .max = 10000000, .def = "1000" },
	{ .name = "max-idle-sessions", .type = TI_CONF_U32, .offset = O(max_idle_sessions),
	  .min = 0, .max = 1000000, .def = "100" },
	{ .name = "session-timeout", .type = TI_CONF_DURATION, .offset = O(session_timeout),
	  .min = 1, .max = 86400, .def = "60s" },
};
/* clang-format on */

const struct ti_conf_schema rdd_conf_schema = {
	.items = items,
	.n_items = TI_ARRAY_SIZE(items),
	.validate = validate,
};

void
rdd_conf_policy(const struct rdd_conf *c, struct rdd_policy *pol)
{
	*pol = (struct rdd_policy)RDD_POLICY_DEFAULT;
	pol->lifetime_min = (uint32_t)c->lifetime_min;
	pol->lifetime_max = (uint32_t)c->lifetime_max;
	pol->lifetime_default = (uint32_t)c->lifetime_default;
	pol->max_payload = c->max_payload;
	pol->max_links = c->max_links_per_registration;
	pol->max_count = c->max_lookup_results;
}
