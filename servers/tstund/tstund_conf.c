/* SPDX-License-Identifier: BSD-2-Clause */
/* tstund: configuration schema and the parsed configuration. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ti_addr.h"
#include "ti_coap.h"
#include "ti_conf.h"
#include "ti_err.h"
#include "ti_util.h"

#include "tstund_conf.h"
#include "tstund_proto.h"

/* RFC 9176 section 5: ep is at most 63 bytes, without control characters. */
static int
check_endpoint(const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (n == 0 || n > 63) {
		snprintf(err, errlen, "an endpoint name has 1 to 63 bytes");
		return TI_ERANGE;
	}
	for (const char *c = v; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '&' || *c == '=') {
			snprintf(err, errlen, "control characters, '&' and '=' are not allowed");
			return TI_EPARSE;
		}
	}
	return 0;
}

static int
check_rd(const char *v, char *err, size_t errlen)
{
	struct ti_uri u;
	int r = ti_uri_parse(v, &u);

	if (r < 0) {
		snprintf(err, errlen, "expected a URI like coap://rd.example:5683");
		return r;
	}
	if (u.transport != TI_TRANSPORT_UDP && u.transport != TI_TRANSPORT_TCP) {
		snprintf(err, errlen, "only coap:// and coap+tcp:// are supported for now");
		return TI_ESCHEME;
	}
	if (u.query[0] != '\0') {
		snprintf(err, errlen, "no query: the registration parameters are tstund's");
		return TI_EPARSE;
	}
	return 0;
}

static int
check_base(const char *v, char *err, size_t errlen)
{
	struct ti_uri u;

	if (ti_uri_parse(v, &u) < 0 || u.query[0] != '\0') {
		snprintf(err, errlen,
			 "expected a URI without query, like coap://203.0.113.1:5783");
		return TI_EPARSE;
	}
	return 0;
}

static int
validate(const void *conf, char *err, size_t errlen)
{
	const struct tstund_conf *c = conf;

	if ((c->rd_endpoint || c->rd_base) && c->rd == NULL) {
		snprintf(err, errlen, "'rd-endpoint' and 'rd-base' need 'rd'");
		return TI_EMISSING;
	}
	return 0;
}

#define O(field) offsetof(struct tstund_conf, field)

static const struct ti_conf_item items[] = {
	{ .name = "listen",
	  .type = TI_CONF_LIST,
	  .offset = O(listen),
	  .def = TSTUND_DEFAULT_LISTEN,
	  .check = ti_coap_check_listen },
	{ .name = "path",
	  .type = TI_CONF_STRING,
	  .offset = O(path),
	  .def = "/tstun",
	  .check = tstund_path_check },
	TI_CONF_COMMON_ITEMS(struct tstund_conf),
	{ .name = "rd", .type = TI_CONF_STRING, .offset = O(rd), .check = check_rd },
	{ .name = "rd-endpoint",
	  .type = TI_CONF_STRING,
	  .offset = O(rd_endpoint),
	  .check = check_endpoint },
	{ .name = "rd-lifetime",
	  .type = TI_CONF_DURATION,
	  .offset = O(rd_lifetime),
	  .min = 60,
	  .max = 4294967295u,
	  .def = "1h" },
	{ .name = "rd-base", .type = TI_CONF_STRING, .offset = O(rd_base), .check = check_base },
	{ .name = "max-idle-sessions",
	  .type = TI_CONF_U32,
	  .offset = O(max_idle_sessions),
	  .min = 0,
	  .max = 1000000,
	  .def = "100" },
	{ .name = "session-timeout",
	  .type = TI_CONF_DURATION,
	  .offset = O(session_timeout),
	  .min = 1,
	  .max = 86400,
	  .def = "60s" },
};

const struct ti_conf_schema tstund_conf_schema = {
	.items = items,
	.n_items = TI_ARRAY_SIZE(items),
	.validate = validate,
};

void
tstund_conf_endpoint(const struct tstund_conf *conf, char *buf, size_t size)
{
	char host[64] = "localhost";

	if (conf->rd_endpoint != NULL) {
		ti_strlcpy(buf, conf->rd_endpoint, size);
		return;
	}
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	/* Keep within the 63-byte limit and away from query syntax. */
	snprintf(buf, size < 64 ? size : 64, "tstund-%s", host);
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == '&' || *c == '=')
			*c = '_';
}
