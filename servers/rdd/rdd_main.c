/* SPDX-License-Identifier: BSD-2-Clause */
/* rdd: the RFC 9176 Resource Directory daemon: lifecycle, expiry, reload. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>

#include "ti_coap.h"
#include "ti_daemon.h"
#include "ti_err.h"
#include "ti_log.h"
#include "ti_loop.h"
#include "ti_store.h"
#include "ti_util.h"

#include "rdd_conf.h"
#include "rdd_db.h"
#include "rdd_registry.h"
#include "rdd_server.h"

/* Changes within this window are notified together. */
#define NOTIFY_DELAY_MS 5
/* Longest the expiry timer sleeps before it looks again. */
#define EXPIRY_MAX_SLEEP_MS (3600 * 1000)

struct rdd_main {
	struct rdd_server s;
	char *listen;	    /* listen, user and database at start: a reload cannot change them */
	char *user;
	char *database;
	int synchronous;
	struct ti_timer *stop_timer;
};

/* ------------------------------------------------------------------------ */
/* Expiry and notification                                                  */
/* ------------------------------------------------------------------------ */

void
rdd_server_arm_expiry(struct rdd_server *s)
{
	int64_t next, now, delay;
	int r = rdd_db_next_expiry(s->db, &next);

	if (r == -ENOENT) {
		if (s->expiry_armed_ms != 0)
			ti_timer_set(s->expiry_timer, 0, 0);
		s->expiry_armed_ms = 0;
		return;
	}
	if (r < 0) {
		next = rdd_wall_ms() + 1000; /* look again soon */
	}
	if (next == s->expiry_armed_ms)
		return;
	now = rdd_wall_ms();
	delay = next - now;
	if (delay < 1)
		delay = 1;
	if (delay > EXPIRY_MAX_SLEEP_MS)
		delay = EXPIRY_MAX_SLEEP_MS;
	ti_timer_set(s->expiry_timer, (uint64_t)delay, 0);
	s->expiry_armed_ms = next;
}

static void
on_expired(void *arg, const struct rdd_reg *reg)
{
	(void)arg;
	ti_log_info("registration /reg/%" PRId64 " of '%s' expired", reg->id, reg->ep);
}

static void
expiry_fire(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	struct rdd_server *s = data;
	int n;

	(void)loop, (void)t;
	s->expiry_armed_ms = 0;
	n = rdd_db_expire(s->db, rdd_wall_ms(), on_expired, s);
	if (n < 0) {
		ti_log_err("expiring registrations failed (%s); retrying", ti_strerror(n));
		ti_timer_set(s->expiry_timer, 1000, 0);
		s->expiry_armed_ms = rdd_wall_ms() + 1000;
		return;
	}
	s->n_regs -= n;
	if (n > 0)
		rdd_server_changed(s);
	else
		rdd_server_arm_expiry(s);
}

static void
notify_fire(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	struct rdd_server *s = data;

	(void)loop, (void)t;
	s->notify_pending = 0;
	/* Observers learn nothing that is not durable yet. */
	rdd_server_flush(s);
	rdd_observe_run(s->obs);
}

void
rdd_server_changed(struct rdd_server *s)
{
	rdd_server_arm_expiry(s);
	if (!s->notify_pending && rdd_observe_count(s->obs) > 0) {
		s->notify_pending = 1;
		ti_timer_set(s->notify_timer, NOTIFY_DELAY_MS, 0);
	}
}

/* ------------------------------------------------------------------------ */
/* Lifecycle                                                                */
/* ------------------------------------------------------------------------ */

static int
rdd_init(struct ti_daemon *d)
{
	const struct rdd_conf *c = d->conf;
	struct ti_coap_limits limits = {
		.max_idle_sessions = c->max_idle_sessions,
		.session_timeout = (unsigned)c->session_timeout,
		.per_block_requests = 1,
	};
	struct rdd_main *m = calloc(1, sizeof(*m));
	struct rdd_server *s;
	char err[160];
	int r;

	if (m == NULL)
		return -ENOMEM;
	d->app = m;
	s = &m->s;
	s->loop = d->loop;
	s->conf = c;
	rdd_conf_policy(c, &s->pol);
	m->listen = ti_conf_list_join(&c->listen);
	m->user = c->common.user ? strdup(c->common.user) : NULL;
	m->database = strdup(c->database);
	m->synchronous = c->synchronous;
	if (m->listen == NULL || m->database == NULL || (c->common.user && m->user == NULL))
		return -ENOMEM;
	s->obs = rdd_observers_new(s);
	s->expiry_timer = ti_timer_new(d->loop, expiry_fire, s);
	s->notify_timer = ti_timer_new(d->loop, notify_fire, s);
	if (s->obs == NULL || s->expiry_timer == NULL || s->notify_timer == NULL)
		return -ENOMEM;
	rdd_observers_set_limits(s->obs, c->max_observers, c->max_observers_per_peer);
	s->group_commit = c->group_commit && c->synchronous >= TI_STORE_SYNC_FULL;
	s->ctx = ti_coap_context_new(&limits, s);
	if (s->ctx == NULL) {
		ti_log_err("failed to create the CoAP context");
		return TI_ECOAP;
	}
	if ((r = rdd_handlers_init(s)) < 0)
		return r;
	for (size_t i = 0; i < c->listen.n; i++) {
		if (ti_coap_check_free(c->listen.v[i], err, sizeof(err)) < 0) {
			ti_log_err("failed to listen on '%s' (%s)", c->listen.v[i], err);
			return TI_ECOAP;
		}
	}
	for (size_t i = 0; i < c->listen.n; i++) {
		if (ti_coap_add_endpoint(s->ctx, c->listen.v[i], err, sizeof(err)) < 0) {
			ti_log_err("failed to listen on '%s' (%s)", c->listen.v[i], err);
			return TI_ECOAP;
		}
		ti_log_info("listening on '%s'", c->listen.v[i]);
	}
	return 0;
}

/* After the privilege drop: the database files belong to the service user. */
static int
rdd_start(struct ti_daemon *d)
{
	struct rdd_main *m = d->app;
	struct rdd_server *s = &m->s;
	const struct rdd_conf *c = d->conf;
	struct ti_store_error err = { 0 };
	int r;

	r = rdd_db_open(c->database, c->synchronous, &s->db, &err);
	if (r < 0) {
		ti_log_err("cannot open database '%s': %s%s", c->database,
			   err.msg[0] ? err.msg : ti_strerror(r),
			   r == -EBUSY ? " (is another rdd using it?)" : "");
		return r;
	}
	r = rdd_db_expire(s->db, rdd_wall_ms(), NULL, NULL);
	if (r > 0)
		ti_log_info("%d registration(s) expired while rdd was down", r);
	if ((r = rdd_db_count(s->db, &s->n_regs)) < 0) {
		ti_log_err("cannot read database '%s' (%s)", c->database, ti_strerror(r));
		return r;
	}
	ti_log_info("database '%s': %" PRId64 " registration(s)", c->database, s->n_regs);
	rdd_server_arm_expiry(s);
	if ((r = ti_coap_attach(s->ctx, d->loop)) < 0) {
		ti_log_err("failed to attach libcoap to the loop (%s)", ti_strerror(r));
		return r;
	}
	ti_daemon_status("%" PRId64 " registration(s), %zu listener(s)", s->n_regs, c->listen.n);
	return 0;
}

static int
rdd_reload(struct ti_daemon *d, const void *new_conf)
{
	struct rdd_main *m = d->app;
	struct rdd_server *s = &m->s;
	const struct rdd_conf *old = d->conf, *c = new_conf;
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
	if (old->max_idle_sessions != c->max_idle_sessions ||
	    old->session_timeout != c->session_timeout) {
		coap_context_set_max_idle_sessions(s->ctx, c->max_idle_sessions);
		coap_context_set_session_timeout(s->ctx, (unsigned)c->session_timeout);
	}
	s->conf = c;
	rdd_conf_policy(c, &s->pol);
	s->group_commit = c->group_commit && m->synchronous >= TI_STORE_SYNC_FULL;
	if (!s->group_commit)
		rdd_server_flush(s);
	rdd_observers_set_limits(s->obs, c->max_observers, c->max_observers_per_peer);
	return 0;
}

static void
stop_fire(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	(void)loop, (void)t;
	ti_daemon_stopped(data);
}

/* Graceful stop: commit what is pending and let libcoap send those answers. */
static int
rdd_stop(struct ti_daemon *d)
{
	struct rdd_main *m = d->app;
	struct rdd_server *s = &m->s;

	if (s->pending == NULL)
		return 0;
	rdd_server_flush(s);
	s->group_commit = 0;
	if ((m->stop_timer = ti_timer_new(d->loop, stop_fire, d)) == NULL)
		return 0;
	ti_timer_set(m->stop_timer, 200, 0);
	return 1;
}

static void
rdd_fini(struct ti_daemon *d)
{
	struct rdd_main *m = d->app;
	struct rdd_server *s;

	if (m == NULL)
		return;
	s = &m->s;
	rdd_observers_free(s->obs);
	if (s->ctx) {
		rdd_handlers_fini(s);
		ti_coap_detach(s->ctx, d->loop);
		coap_free_context(s->ctx);
	}
	ti_timer_free(m->stop_timer);
	ti_timer_free(s->expiry_timer);
	ti_timer_free(s->notify_timer);
	rdd_db_close(s->db);
	free(m->listen);
	free(m->user);
	free(m->database);
	free(m);
	d->app = NULL;
}

static const struct ti_daemon_info rdd_info = {
	.name = "rdd",
	.summary = "CoRE Resource Directory (RFC 9176) for thin-ICE candidates",
	.schema = &rdd_conf_schema,
	.conf_size = sizeof(struct rdd_conf),
	.init = rdd_init,
	.start = rdd_start,
	.reload = rdd_reload,
	.stop = rdd_stop,
	.fini = rdd_fini,
};

int
main(int argc, char **argv)
{
	return ti_daemon_main(&rdd_info, argc, argv);
}
