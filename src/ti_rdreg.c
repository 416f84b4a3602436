/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: registration with an RFC 9176 Resource Directory (register, refresh, remove). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>

#include "ti_addr.h"
#include "ti_coap.h"
#include "ti_err.h"
#include "ti_log.h"
#include "ti_loop.h"
#include "ti_rdreg.h"
#include "ti_util.h"

#define RETRY_MIN_MS 5000u
#define RETRY_MAX_MS 300000u

enum rd_state { RD_IDLE, RD_REGISTERING, RD_REGISTERED, RD_UPDATING, RD_WAITING };

struct ti_rdreg {
	coap_context_t *ctx;
	struct ti_loop *loop;
	struct ti_timer *timer;
	coap_session_t *session;
	coap_session_t *retiring; /* old session while its DELETE is under way */
	enum rd_state state;
	char *rd, *endpoint, *base, *links;
	struct ti_uri uri; /* of rd */
	struct sockaddr_storage locals[4];
	size_t n_locals;
	char reg_path[256]; /* registration interface, e.g. "/rd" */
	uint64_t lifetime;
	char location[256];	 /* "/reg/1" once registered */
	coap_bin_const_t *token; /* of the request in flight */
	unsigned retry_ms;
	int deleting;		/* a DELETE is in flight on retiring */
	int unreachable_logged; /* ICMP errors are reported once per attempt */
	ti_rdreg_done_fn *done; /* graceful stop */
	void *done_arg;
};

static void schedule(struct ti_rdreg *rd, uint64_t ms);

static void
add_path_options(coap_optlist_t **opts, uint16_t number, const char *path)
{
	const char *s = path;

	while (*s == '/')
		s++;
	while (*s) {
		size_t n = strcspn(s, "/");
		coap_insert_optlist(opts, coap_new_optlist(number, n, (const uint8_t *)s));
		s += n;
		while (*s == '/')
			s++;
	}
}

static void
add_query(coap_optlist_t **opts, const char *name, const char *value)
{
	char q[512];
	int n = snprintf(q, sizeof(q), "%s=%s", name, value);

	if (n > 0 && (size_t)n < sizeof(q))
		coap_insert_optlist(
		    opts, coap_new_optlist(COAP_OPTION_URI_QUERY, (size_t)n, (const uint8_t *)q));
}

/* Build and send one request on session; remembers its token. */
static int
send_request(struct ti_rdreg *rd, coap_session_t *session, coap_pdu_code_t code, const char *path,
	     int with_links)
{
	coap_optlist_t *opts = NULL;
	uint8_t tok[8], buf[4];
	size_t toklen;
	char lt[24];
	coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, code, session);

	if (pdu == NULL)
		return -ENOMEM;
	coap_session_new_token(session, &toklen, tok);
	coap_add_token(pdu, toklen, tok);
	add_path_options(&opts, COAP_OPTION_URI_PATH, path);
	if (code == COAP_REQUEST_CODE_POST) {
		snprintf(lt, sizeof(lt), "%llu", (unsigned long long)rd->lifetime);
		if (with_links) {
			coap_insert_optlist(
			    &opts, coap_new_optlist(COAP_OPTION_CONTENT_FORMAT,
						    coap_encode_var_safe(
							buf, sizeof(buf),
							COAP_MEDIATYPE_APPLICATION_LINK_FORMAT),
						    buf));
			add_query(&opts, "ep", rd->endpoint);
		}
		add_query(&opts, "lt", lt);
		if (rd->base)
			add_query(&opts, "base", rd->base);
	}
	coap_add_optlist_pdu(pdu, &opts);
	coap_delete_optlist(opts);
	if (with_links)
		coap_add_data(pdu, strlen(rd->links), (const uint8_t *)rd->links);
	if (session == rd->session) {
		coap_delete_bin_const(rd->token);
		rd->token = coap_new_bin_const(tok, toklen);
	}
	return coap_send(session, pdu) == COAP_INVALID_MID ? TI_ECOAP : 0;
}

static void
fail(struct ti_rdreg *rd, const char *what)
{
	ti_log_warn("rd '%s': %s, retrying in %u s", rd->rd, what, rd->retry_ms / 1000);
	rd->location[0] = '\0';
	rd->state = RD_WAITING;
	schedule(rd, rd->retry_ms);
	rd->retry_ms = rd->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : rd->retry_ms * 2;
}

static int
open_session(struct ti_rdreg *rd)
{
	struct sockaddr_storage ss;
	coap_address_t dst, local;
	int have_local = 0;
	socklen_t len;

	/* A name that does not resolve yet may resolve later: the caller retries. */
	if (ti_uri_resolve(&rd->uri, &ss, &len) < 0)
		return TI_EPARSE;
	ti_coap_address_from(&dst, (struct sockaddr *)&ss, len);
	/* Send from the daemon's own port (SO_REUSEADDR on both sockets; the connected one gets
	 * the replies). */
	for (size_t i = 0; i < rd->n_locals && rd->uri.transport == TI_TRANSPORT_UDP; i++) {
		if (rd->locals[i].ss_family != ss.ss_family)
			continue;
		ti_coap_address_from(&local, (struct sockaddr *)&rd->locals[i],
				     rd->locals[i].ss_family == AF_INET
					 ? sizeof(struct sockaddr_in)
					 : sizeof(struct sockaddr_in6));
		have_local = 1;
		break;
	}
	rd->session = coap_new_client_session(
	    rd->ctx, have_local ? &local : NULL, &dst,
	    rd->uri.transport == TI_TRANSPORT_TCP ? COAP_PROTO_TCP : COAP_PROTO_UDP);
	if (rd->session == NULL)
		return TI_ECOAP;
	coap_session_set_app_data(rd->session, rd);
	return 0;
}

static void
do_register(struct ti_rdreg *rd)
{
	int r;

	if (rd->session == NULL && (r = open_session(rd)) < 0) {
		fail(rd, r == TI_EPARSE ? "cannot resolve the host" : "cannot open a session");
		return;
	}
	rd->state = RD_REGISTERING;
	if (send_request(rd, rd->session, COAP_REQUEST_CODE_POST, rd->reg_path, 1) < 0)
		fail(rd, "cannot send the registration");
}

static void
do_update(struct ti_rdreg *rd)
{
	rd->state = RD_UPDATING;
	if (send_request(rd, rd->session, COAP_REQUEST_CODE_POST, rd->location, 0) < 0)
		fail(rd, "cannot send the update");
}

static void
drop_session(coap_session_t **s)
{
	if (*s == NULL)
		return;
	coap_session_set_app_data(*s, NULL);
	coap_session_release(*s);
	*s = NULL;
}

/* The DELETE of an old registration was answered (or failed). */
static void
retired(struct ti_rdreg *rd)
{
	rd->deleting = 0;
	if (rd->done != NULL) {
		ti_rdreg_done_fn *done = rd->done;
		rd->done = NULL;
		done(rd->done_arg);
	}
}

static void
on_timer(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	struct ti_rdreg *rd = data;

	if (rd->retiring != NULL && !rd->deleting)
		drop_session(&rd->retiring);

	if (rd->state == RD_REGISTERED) {
		do_update(rd);
	} else if (rd->state == RD_WAITING) {
		/*
		 * Start over on a fresh session: a failed TCP one stays failed.
		 * libcoap has given up on the old request by now (every failure
		 * but an ICMP error ends it), so it cannot arrive later.
		 */
		drop_session(&rd->session);
		do_register(rd);
	}
}

static void
schedule(struct ti_rdreg *rd, uint64_t ms)
{
	ti_timer_set(rd->timer, ms ? ms : 1, 0);
}

/* Refresh at 3/4 of the lifetime: early enough to survive a lost update. */
static void
registered(struct ti_rdreg *rd)
{
	rd->state = RD_REGISTERED;
	rd->retry_ms = RETRY_MIN_MS;
	schedule(rd, rd->lifetime * 750);
}

static void
read_location(struct ti_rdreg *rd, const coap_pdu_t *pdu)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	size_t n = 0;

	coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL) {
		if (it.number != COAP_OPTION_LOCATION_PATH)
			continue;
		int w = snprintf(rd->location + n, sizeof(rd->location) - n, "/%.*s",
				 (int)coap_opt_length(opt), (const char *)coap_opt_value(opt));
		if (w < 0 || (size_t)w >= sizeof(rd->location) - n) {
			rd->location[0] = '\0';
			return;
		}
		n += (size_t)w;
	}
}

static int
is_ours(const struct ti_rdreg *rd, const coap_pdu_t *pdu)
{
	coap_bin_const_t tok = coap_pdu_get_token(pdu);

	return rd->token && tok.length == rd->token->length &&
	       memcmp(tok.s, rd->token->s, tok.length) == 0;
}

static coap_response_t
on_response(coap_session_t *session, const coap_pdu_t *sent, const coap_pdu_t *received,
	    const coap_mid_t mid)
{
	struct ti_rdreg *rd = coap_session_get_app_data(session);
	coap_pdu_code_t code = coap_pdu_get_code(received);
	char what[64];

	if (rd == NULL)
		return COAP_RESPONSE_OK;
	if (session == rd->retiring) {
		retired(rd);
		return COAP_RESPONSE_OK;
	}
	if (session != rd->session || !is_ours(rd, received))
		return COAP_RESPONSE_OK;
	rd->unreachable_logged = 0;
	if (rd->state == RD_REGISTERING && code == COAP_RESPONSE_CODE(201)) {
		read_location(rd, received);
		if (rd->location[0] == '\0') {
			fail(rd, "registration answered without a Location-Path");
			return COAP_RESPONSE_OK;
		}
		ti_log_info("registered with rd '%s' as '%s' at '%s'", rd->rd, rd->endpoint,
			    rd->location);
		registered(rd);
	} else if (rd->state == RD_UPDATING && code == COAP_RESPONSE_CODE(204)) {
		ti_log_debug("registration '%s' refreshed", rd->location);
		registered(rd);
	} else if (rd->state == RD_UPDATING && code == COAP_RESPONSE_CODE(404)) {
		ti_log_notice("registration '%s' is gone from rd '%s', registering again",
			      rd->location, rd->rd);
		rd->location[0] = '\0';
		do_register(rd);
	} else if (rd->state == RD_REGISTERING || rd->state == RD_UPDATING) {
		snprintf(what, sizeof(what), "answered %d.%02d", code >> 5, code & 31);
		fail(rd, what);
	}
	return COAP_RESPONSE_OK;
}

static void
on_nack(coap_session_t *session, const coap_pdu_t *sent, const coap_nack_reason_t reason,
	const coap_mid_t mid)
{
	struct ti_rdreg *rd = coap_session_get_app_data(session);

	if (rd == NULL)
		return;
	if (session == rd->retiring) {
		if (reason != COAP_NACK_ICMP_ISSUE)
			retired(rd);
		return;
	}
	if (session != rd->session || !is_ours(rd, sent) ||
	    (rd->state != RD_REGISTERING && rd->state != RD_UPDATING))
		return;
	if (reason == COAP_NACK_ICMP_ISSUE) {
		/*
		 * libcoap keeps retransmitting after an ICMP error, so a new
		 * request now would reach the RD twice: wait for its verdict.
		 */
		if (!rd->unreachable_logged)
			ti_log_warn("rd '%s': unreachable, still trying", rd->rd);
		rd->unreachable_logged = 1;
		return;
	}
	fail(rd, reason == COAP_NACK_TOO_MANY_RETRIES ? "no answer" : "not delivered");
}

struct ti_rdreg *
ti_rdreg_new(coap_context_t *ctx, struct ti_loop *loop)
{
	struct ti_rdreg *rd = calloc(1, sizeof(*rd));

	if (rd == NULL)
		return NULL;
	rd->ctx = ctx;
	rd->loop = loop;
	rd->retry_ms = RETRY_MIN_MS;
	rd->timer = ti_timer_new(loop, on_timer, rd);
	if (rd->timer == NULL) {
		free(rd);
		return NULL;
	}
	coap_register_response_handler(ctx, on_response);
	coap_register_nack_handler(ctx, on_nack);
	return rd;
}

/*
 * Remove the current registration. With keep, the session stays for the
 * next registration (same RD: a second session from the same port would be
 * a duplicate); the DELETE's answer is then simply not awaited. Otherwise
 * the session is kept as retiring until the DELETE is answered.
 */
static void
retire(struct ti_rdreg *rd, int keep)
{
	drop_session(&rd->retiring);
	rd->deleting = 0;
	if (rd->session == NULL)
		return;
	if (keep) {
		if (rd->location[0] != '\0')
			send_request(rd, rd->session, COAP_REQUEST_CODE_DELETE, rd->location, 0);
		rd->location[0] = '\0';
		coap_delete_bin_const(rd->token);
		rd->token = NULL;
		return;
	}
	if (rd->location[0] != '\0' &&
	    send_request(rd, rd->session, COAP_REQUEST_CODE_DELETE, rd->location, 0) == 0) {
		rd->retiring = rd->session;
		rd->deleting = 1;
	} else {
		drop_session(&rd->session);
	}
	rd->session = NULL;
	rd->location[0] = '\0';
	coap_delete_bin_const(rd->token);
	rd->token = NULL;
}

static void
clear_params(struct ti_rdreg *rd)
{
	TI_FREE(&rd->rd);
	TI_FREE(&rd->endpoint);
	TI_FREE(&rd->base);
	TI_FREE(&rd->links);
}

int
ti_rdreg_set(struct ti_rdreg *rd, const struct ti_rdreg_params *p)
{
	struct ti_uri u;

	if (p && rd->rd && ti_str_equal(p->rd, rd->rd) &&
	    ti_str_equal(p->endpoint, rd->endpoint) && ti_str_equal(p->base, rd->base) &&
	    ti_str_equal(p->links, rd->links) && p->lifetime == rd->lifetime)
		return 0; /* nothing changed: keep the registration */
	if (p != NULL && ti_uri_parse(p->rd, &u) < 0)
		return TI_EPARSE;
	/* Same RD address: reuse the session (a second one from our port would clash). */
	retire(rd, p != NULL && rd->session != NULL && strcmp(u.host, rd->uri.host) == 0 &&
		       u.port == rd->uri.port && u.transport == rd->uri.transport);
	clear_params(rd);
	ti_timer_set(rd->timer, 0, 0);
	rd->state = RD_IDLE;
	rd->unreachable_logged = 0;
	if (p == NULL)
		return 0;
	rd->rd = strdup(p->rd);
	rd->endpoint = strdup(p->endpoint);
	rd->links = strdup(p->links);
	rd->base = p->base ? strdup(p->base) : NULL;
	rd->lifetime = p->lifetime;
	rd->n_locals = 0;
	for (size_t i = 0; i < p->n_locals && rd->n_locals < TI_ARRAY_SIZE(rd->locals); i++)
		rd->locals[rd->n_locals++] = p->locals[i];
	if (!rd->rd || !rd->endpoint || !rd->links || (p->base && !rd->base)) {
		clear_params(rd);
		return -ENOMEM;
	}
	rd->uri = u;
	ti_strlcpy(rd->reg_path, u.path[0] && strcmp(u.path, "/") ? u.path : "/rd",
		   sizeof(rd->reg_path));
	rd->retry_ms = RETRY_MIN_MS;
	do_register(rd);
	return 0;
}

const char *
ti_rdreg_location(const struct ti_rdreg *rd)
{
	return rd->location[0] ? rd->location : NULL;
}

int
ti_rdreg_stop(struct ti_rdreg *rd, ti_rdreg_done_fn *done, void *arg)
{
	ti_timer_set(rd->timer, 0, 0);
	if (rd->session && rd->location[0])
		ti_log_info("removing registration '%s' from rd '%s'", rd->location, rd->rd);
	retire(rd, 0);
	rd->state = RD_IDLE;
	if (!rd->deleting)
		return 0;
	rd->done = done;
	rd->done_arg = arg;
	return 1;
}

void
ti_rdreg_free(struct ti_rdreg *rd)
{
	if (rd == NULL)
		return;
	drop_session(&rd->retiring);
	drop_session(&rd->session);
	coap_delete_bin_const(rd->token);
	ti_timer_free(rd->timer);
	clear_params(rd);
	free(rd);
}
