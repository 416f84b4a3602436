/* SPDX-License-Identifier: BSD-2-Clause */
/* tstund: the T-STUN server: reflexive resource over CoAP, lifecycle and reload. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>

#include "ti_coap.h"
#include "ti_daemon.h"
#include "ti_err.h"
#include "ti_log.h"
#include "ti_loop.h"
#include "ti_rdreg.h"
#include "ti_util.h"

#include "tstund_conf.h"
#include "tstund_handlers.h"
#include "tstund_proto.h"
#include "tstund_udp.h"

/* Everything tstund runs, hung off d->app. */
struct tstund_server {
	struct tstund_proto proto; /* stateless UDP answerer (path, link) */
	struct tstund_udp **udp;   /* one per coap:// listen URI */
	size_t n_udp;
	coap_context_t *ctx; /* coap+tcp endpoints and the RD client */
	coap_resource_t *resource;
	struct ti_rdreg *rd;
	char *bound_listen; /* what listen and user were at start: a reload cannot change them */
	char *started_user;
};

static int
is_udp(const char *uri)
{
	struct ti_uri u;

	return ti_uri_parse(uri, &u) == 0 && u.transport == TI_TRANSPORT_UDP;
}

/* A listen URI without a port means tstund's port, not the scheme's (5683 is rdd's). */
static const char *
with_port(const char *uri, char *buf, size_t size)
{
	struct ti_uri u;

	if (ti_uri_parse(uri, &u) < 0 || u.port_given)
		return uri;
	snprintf(buf, size, "%s://%s%s%s:%u", ti_transport_scheme(u.transport),
		 strchr(u.host, ':') ? "[" : "", u.host, strchr(u.host, ':') ? "]" : "",
		 TSTUND_DEFAULT_PORT);
	return buf;
}

static int
open_listeners(struct ti_daemon *d, struct tstund_server *s, const struct tstund_conf *c)
{
	char err[160], buf[320];

	s->udp = calloc(c->listen.n, sizeof(*s->udp));
	if (s->udp == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->listen.n; i++) {
		const char *uri = with_port(c->listen.v[i], buf, sizeof(buf));
		if (is_udp(uri)) {
			s->udp[s->n_udp] =
			    tstund_udp_open(d->loop, uri, &s->proto, err, sizeof(err));
			if (s->udp[s->n_udp] == NULL) {
				ti_log_err("failed to listen on '%s' (%s)", uri, err);
				return TI_ECOAP;
			}
			s->n_udp++;
		} else if (ti_coap_add_endpoint(s->ctx, uri, err, sizeof(err)) < 0) {
			ti_log_err("failed to listen on '%s' (%s)", uri, err);
			return TI_ECOAP;
		}
		ti_log_info("listening on '%s'", uri);
	}
	return 0;
}

static int
tstund_init(struct ti_daemon *d)
{
	const struct tstund_conf *c = d->conf;
	struct ti_coap_limits limits = {
		.max_idle_sessions = c->max_idle_sessions,
		.session_timeout = (unsigned)c->session_timeout,
	};
	struct tstund_server *s = calloc(1, sizeof(*s));
	int r;

	if (s == NULL)
		return -ENOMEM;
	d->app = s;
	s->bound_listen = ti_conf_list_join(&c->listen);
	s->started_user = c->common.user ? strdup(c->common.user) : NULL;
	if (s->bound_listen == NULL || (c->common.user && s->started_user == NULL))
		return -ENOMEM;
	if ((r = tstund_proto_init(&s->proto, c->path)) < 0)
		return r;
	s->ctx = ti_coap_context_new(&limits, s);
	if (s->ctx == NULL) {
		ti_log_err("failed to create the CoAP context");
		return TI_ECOAP;
	}
	s->resource = tstund_handlers_add(s->ctx, c->path);
	if (s->resource == NULL)
		return -ENOMEM;
	if ((r = open_listeners(d, s, c)) < 0)
		return r;
	if ((r = ti_coap_attach(s->ctx, d->loop)) < 0) {
		ti_log_err("failed to attach libcoap to the loop (%s)", ti_strerror(r));
		return r;
	}
	return 0;
}

static int
apply_rd(struct tstund_server *s, const struct tstund_conf *c)
{
	struct sockaddr_storage locals[4];
	size_t n_locals = 0;
	char ep[64];

	for (size_t i = 0; i < s->n_udp && n_locals < TI_ARRAY_SIZE(locals); i++)
		if (tstund_udp_local(s->udp[i], &locals[n_locals]) == 0)
			n_locals++;
	struct ti_rdreg_params p = {
		.locals = locals,
		.n_locals = n_locals,
		.rd = c->rd,
		.endpoint = ep,
		.base = c->rd_base,
		.lifetime = c->rd_lifetime,
		.links = s->proto.link,
	};
	int r;

	tstund_conf_endpoint(c, ep, sizeof(ep));
	r = ti_rdreg_set(s->rd, c->rd ? &p : NULL);
	if (r < 0)
		ti_log_err("failed to register with rd '%s' (%s)", c->rd, ti_strerror(r));
	return r;
}

static int
tstund_start(struct ti_daemon *d)
{
	struct tstund_server *s = d->app;

	s->rd = ti_rdreg_new(s->ctx, d->loop);
	if (s->rd == NULL)
		return -ENOMEM;
	ti_daemon_status("serving %zu listener(s), path %s",
			 ((struct tstund_conf *)d->conf)->listen.n, s->proto.path);
	return apply_rd(s, d->conf);
}

static int
tstund_reload(struct ti_daemon *d, const void *new_conf)
{
	const struct tstund_conf *old = d->conf, *c = new_conf;
	struct tstund_server *s = d->app;
	coap_resource_t *res = NULL;
	struct tstund_proto proto;
	int r;

	if ((r = tstund_proto_init(&proto, c->path)) < 0)
		return r;
	if (strcmp(old->path, c->path) != 0) {
		res = tstund_handlers_add(s->ctx, c->path);
		if (res == NULL)
			return -ENOMEM;
		tstund_handlers_remove(s->ctx, s->resource);
		s->resource = res;
	}
	proto.next_mid = s->proto.next_mid;
	s->proto = proto; /* every UDP socket points at s->proto */
	/* Compared with what runs, so the warning repeats until a restart. */
	char *listen = ti_conf_list_join(&c->listen);
	if (listen == NULL || strcmp(listen, s->bound_listen) != 0)
		ti_log_warn("'listen' changed: restart required, ignoring");
	free(listen);
	if (!ti_str_equal(s->started_user, c->common.user))
		ti_log_warn("'user' changed: restart required, ignoring");
	if (old->max_idle_sessions != c->max_idle_sessions ||
	    old->session_timeout != c->session_timeout) {
		coap_context_set_max_idle_sessions(s->ctx, c->max_idle_sessions);
		coap_context_set_session_timeout(s->ctx, (unsigned)c->session_timeout);
	}
	apply_rd(s, c);
	return 0;
}

static void
rd_removed(void *arg)
{
	ti_daemon_stopped(arg);
}

/* Graceful stop: take our link out of the RD before going away. */
static int
tstund_stop(struct ti_daemon *d)
{
	struct tstund_server *s = d->app;

	return s->rd ? ti_rdreg_stop(s->rd, rd_removed, d) : 0;
}

static void
tstund_fini(struct ti_daemon *d)
{
	struct tstund_server *s = d->app;

	if (s == NULL)
		return;
	ti_rdreg_free(s->rd);
	for (size_t i = 0; i < s->n_udp; i++) {
		const struct tstund_udp_stats *st = tstund_udp_stats(s->udp[i]);
		ti_log_info("'%s': %llu received, %llu answered, %llu send failures",
			    tstund_udp_uri(s->udp[i]), (unsigned long long)st->received,
			    (unsigned long long)st->answered, (unsigned long long)st->send_failed);
		tstund_udp_close(s->udp[i]);
	}
	free(s->udp);
	free(s->bound_listen);
	free(s->started_user);
	if (s->ctx) {
		ti_coap_detach(s->ctx, d->loop);
		coap_free_context(s->ctx);
	}
	free(s);
	d->app = NULL;
}

static const struct ti_daemon_info tstund_info = {
	.name = "tstund",
	.summary = "T-STUN server: tells CoAP clients their reflexive transport address",
	.schema = &tstund_conf_schema,
	.conf_size = sizeof(struct tstund_conf),
	.init = tstund_init,
	.start = tstund_start,
	.reload = tstund_reload,
	.stop = tstund_stop,
	.fini = tstund_fini,
};

int
main(int argc, char **argv)
{
	return ti_daemon_main(&tstund_info, argc, argv);
}
