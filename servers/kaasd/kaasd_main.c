/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: Keepalive as a Service: lifecycle, reload, status. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>

#include "ti_addr.h"
#include "ti_coap.h"
#include "ti_daemon.h"
#include "ti_err.h"
#include "ti_log.h"
#include "ti_loop.h"
#include "ti_rdreg.h"
#include "ti_util.h"

#include "kaasd_conf.h"
#include "kaasd_db.h"
#include "kaasd_rd.h"
#include "kaasd_server.h"

/* How often the counters go to the log (debug) and to systemd's STATUS=. */
#define STATUS_MS 10000

/* kaasd's own links in the RD. */
#define RD_LINKS "</kaas>;rt=\"kaas\";ct=50,</relay>;rt=\"kaas-relay\""
#define RD_LINKS_NO_RELAY "</kaas>;rt=\"kaas\";ct=50"

struct kaasd_main {
	struct kaasd_server s;
	struct ti_timer *status_timer;
	coap_context_t *rd_ctx; /* the client that registers kaasd's own links */
	char *listen, *user, *database, *rd; /* at start: a reload cannot change them */
	int synchronous;
};

static void
on_rd_gone(const char *ep, void *arg)
{
	struct kaasd_server *s = arg;
	struct kaasd_sub *sub = kaasd_sub_by_ep(s, ep);

	if (sub) {
		kaasd_sub_remove(s, sub, "its RD registration is gone");
		kaasd_sub_rearm(s);
	}
}

/* The q-quantile of the lateness histogram, in ms. */
static unsigned
late_quantile(const uint64_t *h, uint64_t total, double q)
{
	uint64_t want = (uint64_t)((double)total * q), seen = 0;

	for (unsigned i = 0; i < KAASD_LATE_BUCKETS; i++) {
		seen += h[i];
		if (seen > want)
			return i;
	}
	return KAASD_LATE_BUCKETS - 1;
}

static void
status_fire(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	struct kaasd_server *s = data;
	struct kaasd_stats *st = &s->stats;
	uint64_t total = 0;
	unsigned p50 = 0, p99 = 0, max = 0;

	(void)loop, (void)t;
	for (unsigned i = 0; i < KAASD_LATE_BUCKETS; i++) {
		total += st->late[i];
		if (st->late[i])
			max = i;
	}
	if (total) {
		p50 = late_quantile(st->late, total, 0.50);
		p99 = late_quantile(st->late, total, 0.99);
	}
	ti_daemon_status("%zu subscription(s), %llu keepalive(s), %llu probe(s), %llu relayed",
			 s->n_subs, (unsigned long long)st->keepalives,
			 (unsigned long long)st->probes, (unsigned long long)st->relayed);
	ti_log_debug("stats: subscriptions %zu keepalives %llu probes %llu icmp %llu deferred %llu "
		     "send-failed %llu requests %llu relayed %llu relay-timeouts %llu "
		     "timers %llu late-ms p50 %u p99 %u max %u%s",
		     s->n_subs, (unsigned long long)st->keepalives, (unsigned long long)st->probes,
		     (unsigned long long)st->icmp, (unsigned long long)st->deferred,
		     (unsigned long long)st->send_failed, (unsigned long long)st->requests,
		     (unsigned long long)st->relayed, (unsigned long long)st->relay_timeouts,
		     (unsigned long long)total, p50, p99, max,
		     max == KAASD_LATE_BUCKETS - 1 ? "+" : "");
	memset(st->late, 0, sizeof(st->late));
}

/* Register kaasd's links with the RD (rd), from its own port so the default base is right. */
static int
apply_rd(struct kaasd_main *m, const struct kaasd_conf *c)
{
	struct kaasd_server *s = &m->s;
	struct sockaddr_storage locals[4];
	size_t n_locals = 0;
	char ep[64];
	struct ti_rdreg_params p = {
		.rd = c->rd,
		.endpoint = ep,
		.base = c->rd_base,
		.lifetime = c->rd_lifetime,
		.links = c->relay ? RD_LINKS : RD_LINKS_NO_RELAY,
		.locals = locals,
	};
	int r;

	for (unsigned i = 0; i < s->n_socks && n_locals < TI_ARRAY_SIZE(locals); i++)
		locals[n_locals++] = s->socks[i]->bound;
	p.n_locals = n_locals;
	kaasd_conf_endpoint(c, ep, sizeof(ep));
	r = ti_rdreg_set(s->rdreg, c->rd ? &p : NULL);
	if (r < 0)
		ti_log_err("failed to register with rd '%s' (%s)", c->rd, ti_strerror(r));
	return r;
}

static int
kaasd_init(struct ti_daemon *d)
{
	const struct kaasd_conf *c = d->conf;
	struct kaasd_main *m = calloc(1, sizeof(*m));
	struct kaasd_server *s;
	char err[200], buf[320];
	int r;

	if (m == NULL)
		return -ENOMEM;
	d->app = m;
	s = &m->s;
	s->loop = d->loop;
	s->conf = c;
	m->listen = ti_conf_list_join(&c->listen);
	m->user = c->common.user ? strdup(c->common.user) : NULL;
	m->database = strdup(c->database);
	m->rd = c->rd ? strdup(c->rd) : NULL;
	m->synchronous = c->synchronous;
	if (m->listen == NULL || m->database == NULL || (c->common.user && m->user == NULL) ||
	    (c->rd && m->rd == NULL))
		return -ENOMEM;
	if ((r = kaasd_sub_init(s)) < 0)
		return r;
	for (size_t i = 0; i < c->listen.n; i++) {
		const char *uri = ti_uri_with_port(c->listen.v[i], KAASD_DEFAULT_PORT, buf, sizeof(buf));
		if ((r = kaasd_net_open(s, uri, err, sizeof(err))) < 0) {
			ti_log_err("failed to listen on '%s' (%s)", uri, err);
			return r;
		}
		ti_log_info("listening on '%s'", uri);
	}
	return 0;
}

/* After the privilege drop: the database files belong to the service user. */
static int
kaasd_start(struct ti_daemon *d)
{
	struct kaasd_main *m = d->app;
	struct kaasd_server *s = &m->s;
	const struct kaasd_conf *c = d->conf;
	char err[256];
	int r;

	r = kaasd_db_open(c->database, c->synchronous, &s->db, err, sizeof(err));
	if (r < 0) {
		ti_log_err("cannot open database '%s': %s", c->database, err);
		return r;
	}
	if (c->rd) {
		s->rd = kaasd_rd_new(d->loop, c->rd, on_rd_gone, s, err, sizeof(err));
		if (s->rd == NULL) {
			ti_log_err("cannot follow the RD '%s' (%s)", c->rd, err);
			return TI_ECOAP;
		}
	}
	if ((r = kaasd_sub_load(s)) < 0) {
		ti_log_err("cannot read database '%s' (%s)", c->database, ti_strerror(r));
		return r;
	}
	if ((m->status_timer = ti_timer_new(d->loop, status_fire, s)) == NULL)
		return -ENOMEM;
	m->rd_ctx = ti_coap_context_new(NULL, s);
	if (m->rd_ctx == NULL || (s->rdreg = ti_rdreg_new(m->rd_ctx, d->loop)) == NULL)
		return -ENOMEM;
	if ((r = ti_coap_attach(m->rd_ctx, d->loop)) < 0)
		return r;
	apply_rd(m, c);
	ti_timer_set(m->status_timer, STATUS_MS, STATUS_MS);
	ti_daemon_status("%zu subscription(s), %zu listener(s)", s->n_subs, c->listen.n);
	return 0;
}

static int
kaasd_reload(struct ti_daemon *d, const void *new_conf)
{
	struct kaasd_main *m = d->app;
	const struct kaasd_conf *c = new_conf;
	char *listen = ti_conf_list_join(&c->listen);

	if (listen == NULL || strcmp(listen, m->listen) != 0)
		ti_log_warn("'listen' changed: restart required, ignoring");
	free(listen);
	if (!ti_str_equal(m->user, c->common.user))
		ti_log_warn("'user' changed: restart required, ignoring");
	if (strcmp(m->database, c->database) != 0)
		ti_log_warn("'database' changed: restart required, ignoring");
	if (m->synchronous != c->synchronous)
		ti_log_warn("'synchronous' changed: restart required, ignoring");
	if (!ti_str_equal(m->rd, c->rd))
		ti_log_warn("'rd' changed: kaasd's own links move now; following the subscribers' "
			    "registrations there needs a restart");
	/* Limits, intervals and TTL settings apply to what happens from now on. */
	m->s.conf = c;
	apply_rd(m, c);
	return 0;
}

static void
rd_removed(void *arg)
{
	ti_daemon_stopped(arg);
}

/* Graceful stop: take kaasd's links out of the RD before going away. */
static int
kaasd_stop(struct ti_daemon *d)
{
	struct kaasd_main *m = d->app;

	return m->s.rdreg ? ti_rdreg_stop(m->s.rdreg, rd_removed, d) : 0;
}

static void
kaasd_fini(struct ti_daemon *d)
{
	struct kaasd_main *m = d->app;
	struct kaasd_server *s;

	if (m == NULL)
		return;
	s = &m->s;
	kaasd_relay_free_all(s);
	ti_rdreg_free(s->rdreg);
	if (m->rd_ctx) {
		ti_coap_detach(m->rd_ctx, d->loop);
		coap_free_context(m->rd_ctx);
	}
	kaasd_rd_free(s->rd);
	kaasd_sub_fini(s);
	kaasd_net_close_all(s);
	kaasd_db_close(s->db);
	ti_timer_free(m->status_timer);
	free(m->listen);
	free(m->user);
	free(m->database);
	free(m->rd);
	free(m);
	d->app = NULL;
}

static const struct ti_daemon_info kaasd_info = {
	.name = "kaasd",
	.summary = "Keepalive as a Service: keeps sleeping devices' NAT bindings open",
	.schema = &kaasd_conf_schema,
	.conf_size = sizeof(struct kaasd_conf),
	.init = kaasd_init,
	.start = kaasd_start,
	.reload = kaasd_reload,
	.stop = kaasd_stop,
	.fini = kaasd_fini,
};

int
main(int argc, char **argv)
{
	return ti_daemon_main(&kaasd_info, argc, argv);
}
