/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: following subscribers' registrations in the RD (Observe on endpoint lookups). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <coap3/coap.h>

#include "ti_addr.h"
#include "ti_coap.h"
#include "ti_err.h"
#include "ti_linkfmt.h"
#include "ti_log.h"
#include "ti_loop.h"
#include "ti_util.h"

#include "kaasd_rd.h"

/*
 * One libcoap client session to the RD carries an Observe GET of
 * <lookup>?ep=<ep> per watched ep, each with its own 8-byte token (kept
 * for the watch's life, so a repeated GET replaces the RD's observation
 * instead of adding one). Requests go out from a FIFO, at most
 * MAX_INFLIGHT at a time: libcoap 4.3.1 holds back every confirmable
 * request beyond NSTART (1) in a list it scans on each insertion, and a
 * million watches must not all be queued there at start.
 *
 * RD restarts: rdd keeps observations in memory and notifies only on
 * change, and libcoap 4.3.1 does not re-register when Max-Age runs out,
 * so a watch that has heard nothing for REFRESH_MS (+-20%, which also
 * spreads the watches over time) sends its GET again. An RD that answers
 * without Observe (its observer cap is reached) is polled at that period.
 *
 * Failures: a 4.xx/5.xx or an unreadable answer retries that ep with its
 * own backoff; no answer, a refused send or a lost TCP connection take
 * the whole session down, and after the shared backoff a new session
 * sends every watch's GET again. Neither ever calls gone().
 */

#define RETRY_MIN_MS 5000u
#define RETRY_MAX_MS 300000u
#ifndef KAASD_RD_REFRESH_MS
#define KAASD_RD_REFRESH_MS 300000u
#endif
#define GUARD_MS 600000u /* a request neither answered nor NACKed by then is retried */
#define MAX_INFLIGHT 4u
#define FALLBACK_LOOKUP "/rd-lookup/ep"
#define NO_HEAP ((size_t)-1)
#define OBS_WRAP (1u << 23)

struct watch {
	struct watch *next_ep, *next_tok; /* hash chains */
	struct watch *qprev, *qnext;	  /* send queue */
	uint64_t tok;			  /* the token, 8 bytes big-endian on the wire */
	uint64_t due;			  /* refresh, retry or guard time while in the heap */
	size_t hidx;			  /* index in the heap, or NO_HEAP */
	uint64_t obs_ms;		  /* when obs_seq arrived */
	uint32_t obs_seq;		  /* the last Observe value taken */
	unsigned retry_ms;
	unsigned queued : 1, inflight : 1, observing : 1, have_seq : 1, seen : 1, done : 1,
	    unwatched : 1;
	char ep[];
};

enum disc_state { DISC_NEEDED, DISC_SENT, DISC_DONE };

struct kaasd_rd {
	struct ti_loop *loop;
	coap_context_t *ctx;
	coap_session_t *session;
	struct ti_uri uri;
	char *uri_str;
	kaasd_rd_gone_fn *gone;
	void *arg;
	struct ti_timer *timer; /* the earliest due in the heap */
	struct ti_timer *retry; /* a new session after a failure */
	uint64_t armed;		/* due the timer is set for; 0 when not set */
	struct watch **by_ep, **by_tok;
	size_t n_buckets; /* power of two */
	unsigned n;
	struct watch **heap; /* min-heap on due */
	size_t n_heap, heap_cap;
	struct watch *qhead, *qtail;
	unsigned n_inflight;
	struct watch *calling; /* the watch whose gone() runs */
	uint64_t next_tok;
	uint64_t disc_tok;
	enum disc_state disc;
	char lookup[256]; /* lookup path, once discovered */
	unsigned retry_ms;
	int down;		/* the session failed; rd->retry is set */
	int warned;		/* a lookup error was logged at warning since the last result */
	int unreachable_logged; /* ICMP errors are reported once per session */
	int polling_logged;
};

static void pump(struct kaasd_rd *rd);
static void enqueue(struct kaasd_rd *rd, struct watch *w);

/* ------------------------------------------------------------------------ */
/* Maps: ep -> watch, token -> watch                                        */
/* ------------------------------------------------------------------------ */

static uint64_t
hash_ep(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static uint64_t
hash_tok(uint64_t t)
{
	return t * 0x9e3779b97f4a7c15ull >> 17;
}

static struct watch *
ep_find(const struct kaasd_rd *rd, const char *ep)
{
	struct watch *w = rd->by_ep[hash_ep(ep) & (rd->n_buckets - 1)];

	while (w != NULL && strcmp(w->ep, ep) != 0)
		w = w->next_ep;
	return w;
}

static struct watch *
tok_find(const struct kaasd_rd *rd, uint64_t tok)
{
	struct watch *w = rd->by_tok[hash_tok(tok) & (rd->n_buckets - 1)];

	while (w != NULL && w->tok != tok)
		w = w->next_tok;
	return w;
}

static void
link_in(struct watch **by_ep, struct watch **by_tok, size_t mask, struct watch *w)
{
	size_t i = hash_ep(w->ep) & mask, j = hash_tok(w->tok) & mask;

	w->next_ep = by_ep[i];
	by_ep[i] = w;
	w->next_tok = by_tok[j];
	by_tok[j] = w;
}

/* Double the buckets; on OOM the chains just get longer. */
static void
grow(struct kaasd_rd *rd)
{
	size_t nb = rd->n_buckets * 2;
	struct watch **e = calloc(nb, sizeof(*e)), **t = calloc(nb, sizeof(*t));

	if (e == NULL || t == NULL) {
		free(e);
		free(t);
		return;
	}
	for (size_t i = 0; i < rd->n_buckets; i++) {
		struct watch *w = rd->by_ep[i], *next;
		for (; w != NULL; w = next) {
			next = w->next_ep;
			link_in(e, t, nb - 1, w);
		}
	}
	free(rd->by_ep);
	free(rd->by_tok);
	rd->by_ep = e;
	rd->by_tok = t;
	rd->n_buckets = nb;
}

static void
unlink_tok(struct kaasd_rd *rd, struct watch *w)
{
	struct watch **pp = &rd->by_tok[hash_tok(w->tok) & (rd->n_buckets - 1)];

	while (*pp != w)
		pp = &(*pp)->next_tok;
	*pp = w->next_tok;
}

static void
unlink_maps(struct kaasd_rd *rd, struct watch *w)
{
	struct watch **pp = &rd->by_ep[hash_ep(w->ep) & (rd->n_buckets - 1)];

	while (*pp != w)
		pp = &(*pp)->next_ep;
	*pp = w->next_ep;
	unlink_tok(rd, w);
	rd->n--;
}

/* A new token for w: answers to what it sent before are then strays. */
static void
renew_tok(struct kaasd_rd *rd, struct watch *w)
{
	size_t j;

	unlink_tok(rd, w);
	w->tok = rd->next_tok++;
	j = hash_tok(w->tok) & (rd->n_buckets - 1);
	w->next_tok = rd->by_tok[j];
	rd->by_tok[j] = w;
}

static int
token_of(const coap_pdu_t *pdu, uint64_t *ret_tok)
{
	coap_bin_const_t t = coap_pdu_get_token(pdu);
	uint64_t v = 0;

	if (t.length != 8)
		return 0;
	for (size_t i = 0; i < 8; i++)
		v = v << 8 | t.s[i];
	*ret_tok = v;
	return 1;
}

static void
token_bytes(uint64_t tok, uint8_t buf[8])
{
	for (int i = 7; i >= 0; i--, tok >>= 8)
		buf[i] = (uint8_t)tok;
}

/* ------------------------------------------------------------------------ */
/* Timers: one min-heap, one timerfd                                        */
/* ------------------------------------------------------------------------ */

static void
heap_put(struct kaasd_rd *rd, size_t i, struct watch *w)
{
	rd->heap[i] = w;
	w->hidx = i;
}

static void
sift_up(struct kaasd_rd *rd, size_t i)
{
	struct watch *w = rd->heap[i];

	while (i > 0 && rd->heap[(i - 1) / 2]->due > w->due) {
		heap_put(rd, i, rd->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_put(rd, i, w);
}

static void
sift_down(struct kaasd_rd *rd, size_t i)
{
	struct watch *w = rd->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= rd->n_heap)
			break;
		if (c + 1 < rd->n_heap && rd->heap[c + 1]->due < rd->heap[c]->due)
			c++;
		if (rd->heap[c]->due >= w->due)
			break;
		heap_put(rd, i, rd->heap[c]);
		i = c;
	}
	heap_put(rd, i, w);
}

static void
heap_del(struct kaasd_rd *rd, struct watch *w)
{
	size_t i = w->hidx;

	if (i == NO_HEAP)
		return;
	w->hidx = NO_HEAP;
	if (i == --rd->n_heap)
		return;
	struct watch *last = rd->heap[rd->n_heap];
	heap_put(rd, i, last);
	sift_up(rd, i);
	sift_down(rd, last->hidx);
}

static void
arm(struct kaasd_rd *rd)
{
	uint64_t now = ti_now_ms(), due;

	if (rd->n_heap == 0)
		return; /* a timer still set fires for nothing */
	due = rd->heap[0]->due;
	if (rd->armed != 0 && rd->armed <= due)
		return;
	rd->armed = due;
	ti_timer_set(rd->timer, due > now ? due - now : 1, 0);
}

/* Run w's timer in ms (replacing the one it had). */
static void
set_timer(struct kaasd_rd *rd, struct watch *w, uint64_t ms)
{
	heap_del(rd, w);
	if (rd->n_heap == rd->heap_cap) {
		size_t cap = rd->heap_cap ? rd->heap_cap * 2 : 64;
		struct watch **h = realloc(rd->heap, cap * sizeof(*h));
		if (h == NULL) {
			/* Keep it moving: asked again from the queue instead. */
			ti_log_err("rd '%s': out of memory, '%s' is looked up again now",
				   rd->uri_str, w->ep);
			if (!w->done)
				enqueue(rd, w);
			return;
		}
		rd->heap = h;
		rd->heap_cap = cap;
	}
	w->due = ti_now_ms() + ms;
	heap_put(rd, rd->n_heap++, w);
	sift_up(rd, w->hidx);
	arm(rd);
}

/* REFRESH_MS +- 20 %. */
static uint64_t
refresh_ms(void)
{
	uint32_t r = 0;

	ti_random(&r, sizeof(r));
	return KAASD_RD_REFRESH_MS / 5 * 4 + r % (KAASD_RD_REFRESH_MS / 5 * 2 + 1);
}

/* ------------------------------------------------------------------------ */
/* The send queue                                                           */
/* ------------------------------------------------------------------------ */

static void
dequeue(struct kaasd_rd *rd, struct watch *w)
{
	if (!w->queued)
		return;
	*(w->qprev ? &w->qprev->qnext : &rd->qhead) = w->qnext;
	*(w->qnext ? &w->qnext->qprev : &rd->qtail) = w->qprev;
	w->qprev = w->qnext = NULL;
	w->queued = 0;
}

/* Have w's GET sent as soon as there is room (its timer is dropped). */
static void
enqueue(struct kaasd_rd *rd, struct watch *w)
{
	heap_del(rd, w);
	if (w->queued || w->inflight)
		return;
	w->qprev = rd->qtail;
	w->qnext = NULL;
	*(rd->qtail ? &rd->qtail->qnext : &rd->qhead) = w;
	rd->qtail = w;
	w->queued = 1;
}

static void
end_inflight(struct kaasd_rd *rd, struct watch *w)
{
	if (!w->inflight)
		return;
	w->inflight = 0;
	rd->n_inflight--;
	heap_del(rd, w); /* the guard */
}

/* ------------------------------------------------------------------------ */
/* Session and requests                                                     */
/* ------------------------------------------------------------------------ */

static struct kaasd_rd *
rd_of(coap_session_t *session)
{
	coap_context_t *ctx = session ? coap_session_get_context(session) : NULL;
	struct kaasd_rd *rd = ctx ? coap_get_app_data(ctx) : NULL;

	return rd != NULL && rd->session == session ? rd : NULL;
}

/* The session is unusable: start over on a new one after the backoff. */
static void
rd_fail(struct kaasd_rd *rd, const char *what)
{
	if (rd->down)
		return;
	rd->down = 1;
	ti_log_warn("rd '%s': %s, retrying in %u s", rd->uri_str, what, rd->retry_ms / 1000);
	ti_timer_set(rd->retry, rd->retry_ms, 0);
	rd->retry_ms = rd->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : rd->retry_ms * 2;
}

static void
drop_session(struct kaasd_rd *rd)
{
	coap_session_t *s = rd->session;

	if (s == NULL)
		return;
	/*
	 * Handlers ignore it from now on. libcoap cancels its observations
	 * (NON) as it frees it, unless the connection is gone: a send would
	 * reconnect from the old port first.
	 */
	rd->session = NULL;
	if (coap_session_get_state(s) != COAP_SESSION_STATE_ESTABLISHED)
		coap_session_set_no_observe_cancel(s);
	coap_session_release(s);
}

static int
open_session(struct kaasd_rd *rd)
{
	struct sockaddr_storage ss;
	coap_address_t dst;
	socklen_t len;

	if (ti_uri_resolve(&rd->uri, &ss, &len) < 0)
		return TI_EPARSE;
	ti_coap_address_from(&dst, (struct sockaddr *)&ss, len);
	rd->session = coap_new_client_session(
	    rd->ctx, NULL, &dst,
	    rd->uri.transport == TI_TRANSPORT_TCP ? COAP_PROTO_TCP : COAP_PROTO_UDP);
	if (rd->session == NULL)
		return TI_ECOAP;
	rd->unreachable_logged = 0;
	return 0;
}

static void
add_path(coap_optlist_t **opts, const char *path)
{
	const char *s = path;

	while (*s == '/')
		s++;
	while (*s) {
		size_t n = strcspn(s, "/");
		coap_insert_optlist(opts,
				    coap_new_optlist(COAP_OPTION_URI_PATH, n, (const uint8_t *)s));
		s += n;
		while (*s == '/')
			s++;
	}
}

/* A confirmable GET of path?query with token tok (Observe when obs). */
static int
send_get(struct kaasd_rd *rd, const char *path, const char *query, uint64_t tok, int obs)
{
	coap_optlist_t *opts = NULL;
	uint8_t t[8], buf[4];
	coap_pdu_t *pdu;

	pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, rd->session);
	if (pdu == NULL)
		return -ENOMEM;
	token_bytes(tok, t);
	coap_add_token(pdu, sizeof(t), t);
	if (obs)
		coap_insert_optlist(&opts,
				    coap_new_optlist(COAP_OPTION_OBSERVE,
						     coap_encode_var_safe(buf, sizeof(buf),
									  COAP_OBSERVE_ESTABLISH),
						     buf));
	add_path(&opts, path);
	coap_insert_optlist(
	    &opts, coap_new_optlist(COAP_OPTION_URI_QUERY, strlen(query), (const uint8_t *)query));
	coap_insert_optlist(
	    &opts, coap_new_optlist(COAP_OPTION_ACCEPT,
				    coap_encode_var_safe(buf, sizeof(buf),
							 COAP_MEDIATYPE_APPLICATION_LINK_FORMAT),
				    buf));
	if (!coap_add_optlist_pdu(pdu, &opts)) {
		coap_delete_optlist(opts);
		coap_delete_pdu(pdu);
		return TI_ECOAP;
	}
	coap_delete_optlist(opts);
	return coap_send(rd->session, pdu) == COAP_INVALID_MID ? TI_ECOAP : 0;
}

static void
send_lookup(struct kaasd_rd *rd, struct watch *w)
{
	char q[300];

	snprintf(q, sizeof(q), "ep=%s", w->ep);
	w->inflight = 1;
	rd->n_inflight++;
	set_timer(rd, w, GUARD_MS);
	if (send_get(rd, rd->lookup, q, w->tok, 1) < 0) {
		end_inflight(rd, w);
		enqueue(rd, w);
		rd_fail(rd, "cannot send a lookup");
	}
}

static void
send_discovery(struct kaasd_rd *rd)
{
	rd->disc_tok = rd->next_tok++;
	rd->disc = DISC_SENT;
	if (send_get(rd, "/.well-known/core", "rt=core.rd-lookup-ep", rd->disc_tok, 0) < 0) {
		rd->disc = DISC_NEEDED;
		rd_fail(rd, "cannot send the discovery");
	}
}

/* Send what the queue holds, as far as MAX_INFLIGHT allows. */
static void
pump(struct kaasd_rd *rd)
{
	if (rd->session == NULL || rd->down)
		return;
	if (rd->disc != DISC_DONE) {
		if (rd->disc == DISC_NEEDED)
			send_discovery(rd);
		return;
	}
	while (rd->n_inflight < MAX_INFLIGHT && rd->qhead != NULL && !rd->down) {
		struct watch *w = rd->qhead;
		dequeue(rd, w);
		send_lookup(rd, w);
	}
}

/* After the backoff: a new session, and every watch asks again. */
static void
on_retry(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	struct kaasd_rd *rd = data;
	int r;

	(void)loop, (void)t;
	drop_session(rd);
	rd->down = 0;
	rd->n_inflight = 0;
	if (rd->disc == DISC_SENT)
		rd->disc = DISC_NEEDED;
	for (size_t i = 0; i < rd->n_buckets; i++) {
		for (struct watch *w = rd->by_ep[i]; w != NULL; w = w->next_ep) {
			if (w->done)
				continue;
			w->inflight = 0;
			w->observing = 0;
			w->have_seq = 0;
			enqueue(rd, w);
		}
	}
	if ((r = open_session(rd)) < 0) {
		rd_fail(rd, r == TI_EPARSE ? "cannot resolve the host" : "cannot open a session");
		return;
	}
	pump(rd);
}

static void
on_timer(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	struct kaasd_rd *rd = data;
	uint64_t now = ti_now_ms();

	(void)loop, (void)t;
	rd->armed = 0;
	while (rd->n_heap > 0 && rd->heap[0]->due <= now) {
		struct watch *w = rd->heap[0];
		heap_del(rd, w);
		if (w->inflight) {
			/* Neither answered nor NACKed (a block-wise transfer's NACK carries
			 * a token of libcoap's own): ask again. */
			end_inflight(rd, w);
			ti_log_debug("rd '%s': lookup of '%s' got no answer, asking again",
				     rd->uri_str, w->ep);
		}
		enqueue(rd, w);
	}
	pump(rd);
	arm(rd);
}

/* ------------------------------------------------------------------------ */
/* Answers                                                                  */
/* ------------------------------------------------------------------------ */

/* RFC 7641 section 3.4: whether notification v2 at t2 is newer than v1 at t1. */
static int
fresh(uint32_t v1, uint64_t t1, uint32_t v2, uint64_t t2)
{
	return (v1 < v2 && v2 - v1 < OBS_WRAP) || (v1 > v2 && v1 - v2 > OBS_WRAP) ||
	       t2 > t1 + 128000;
}

static int
option_uint(const coap_pdu_t *pdu, uint16_t number, uint32_t *ret_val)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt = coap_check_option(pdu, number, &it);

	if (opt == NULL)
		return 0;
	*ret_val = coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
	return 1;
}

/* Parse a link-format body. @return 0, or a ti error. */
static int
read_links(const coap_pdu_t *pdu, struct ti_links *ret_links)
{
	static const struct ti_linkfmt_limits lim = {
		.max_links = 65536,
		.max_attrs_per_link = 64,
		.max_target_len = 1024,
		.max_name_len = 64,
		.max_value_len = 1024,
	};
	const uint8_t *data = NULL;
	size_t len = 0, offset = 0, total = 0;
	uint32_t cf;

	if (option_uint(pdu, COAP_OPTION_CONTENT_FORMAT, &cf) &&
	    cf != COAP_MEDIATYPE_APPLICATION_LINK_FORMAT)
		return TI_EPARSE;
	if (coap_get_data_large(pdu, &len, &data, &offset, &total) && (offset || len != total))
		return TI_EPARSE; /* libcoap hands over whole bodies: not expected */
	return ti_linkfmt_parse((const char *)data, len, &lim, ret_links, NULL);
}

static int
has_ep(const struct ti_links *links, const char *ep)
{
	for (size_t i = 0; i < links->n; i++) {
		for (size_t j = 0; j < links->v[i].n_attrs; j++) {
			const struct ti_link_attr *a = &links->v[i].attrs[j];
			if (strcasecmp(a->name, "ep") == 0 && a->value &&
			    strcmp(a->value, ep) == 0)
				return 1;
		}
	}
	return 0;
}

/* A lookup failed for this ep alone: its own backoff, no gone(). */
static void
watch_error(struct kaasd_rd *rd, struct watch *w, const char *what)
{
	ti_log(rd->warned ? LOG_DEBUG : LOG_WARNING,
	       "rd '%s': lookup of '%s' %s, retrying in %u s", rd->uri_str, w->ep, what,
	       w->retry_ms / 1000);
	rd->warned = 1;
	w->observing = 0;
	w->have_seq = 0;
	dequeue(rd, w);
	set_timer(rd, w, w->retry_ms);
	w->retry_ms = w->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : w->retry_ms * 2;
}

/* ep was seen and is no longer in the RD: end the observation, tell once. */
static void
watch_gone(struct kaasd_rd *rd, struct watch *w, int observed)
{
	uint8_t t[8];
	coap_binary_t tok = { .length = sizeof(t), .s = t };

	w->done = 1;
	w->seen = 0;
	dequeue(rd, w);
	heap_del(rd, w);
	token_bytes(w->tok, t);
	if (observed)
		coap_cancel_observe(rd->session, &tok, COAP_MESSAGE_CON);
	w->observing = 0;
	w->have_seq = 0;
	ti_log_info("rd '%s': '%s' is no longer registered", rd->uri_str, w->ep);
	pump(rd);
	rd->calling = w;
	rd->gone(w->ep, rd->arg);
	rd->calling = NULL;
	if (w->unwatched)
		free(w);
}

static void
on_result(struct kaasd_rd *rd, struct watch *w, const coap_pdu_t *sent, const coap_pdu_t *rcvd)
{
	coap_pdu_code_t code = coap_pdu_get_code(rcvd);
	uint64_t now = ti_now_ms();
	struct ti_links links = { 0 };
	uint32_t seq = 0;
	int obs = option_uint(rcvd, COAP_OPTION_OBSERVE, &seq), r;
	char what[64];

	if (w->done)
		return; /* the answer to the cancellation, or a late notification */
	/*
	 * A notification older than what we have: UDP ones may overtake each
	 * other. An answer to our own GET (sent) starts a new sequence; over
	 * TCP libcoap gives no sent, and order is kept anyway.
	 */
	if (code == COAP_RESPONSE_CODE(205) && obs && sent == NULL && w->have_seq &&
	    rd->uri.transport == TI_TRANSPORT_UDP && !fresh(w->obs_seq, w->obs_ms, seq, now))
		return;
	end_inflight(rd, w);
	if (code != COAP_RESPONSE_CODE(205)) {
		snprintf(what, sizeof(what), "answered %d.%02d", code >> 5, code & 31);
		watch_error(rd, w, what);
		return;
	}
	if ((r = read_links(rcvd, &links)) < 0) {
		snprintf(what, sizeof(what), "gave an unreadable answer (%s)", ti_strerror(r));
		watch_error(rd, w, what);
		return;
	}
	int present = has_ep(&links, w->ep);
	ti_links_fini(&links);
	rd->warned = 0;
	w->retry_ms = RETRY_MIN_MS;
	if (!present && w->seen) {
		watch_gone(rd, w, obs);
		return;
	}
	if (present && !w->seen)
		ti_log_debug("rd '%s': '%s' is registered", rd->uri_str, w->ep);
	w->seen = present;
	w->observing = obs;
	w->have_seq = obs;
	w->obs_seq = seq;
	w->obs_ms = now;
	if (!obs && !rd->polling_logged) {
		ti_log_notice("rd '%s': lookups are not observed (observer limit?), polling every "
			      "%u s",
			      rd->uri_str, KAASD_RD_REFRESH_MS / 1000);
		rd->polling_logged = 1;
	}
	/* Heard from the RD: the next GET comes a refresh period after the last answer. */
	if (!w->queued)
		set_timer(rd, w, refresh_ms());
}

/* The lookup path from /.well-known/core, or the default. */
static void
on_discovery(struct kaasd_rd *rd, const coap_pdu_t *rcvd)
{
	struct ti_links links = { 0 };
	struct ti_uri u;

	ti_strlcpy(rd->lookup, FALLBACK_LOOKUP, sizeof(rd->lookup));
	if (coap_pdu_get_code(rcvd) == COAP_RESPONSE_CODE(205) && read_links(rcvd, &links) == 0) {
		for (size_t i = 0; i < links.n; i++) {
			const char *t = links.v[i].target, *path = t;
			if (!ti_link_match(&links.v[i], "rt", "core.rd-lookup-ep"))
				continue;
			if (strstr(t, "://") != NULL)
				path = ti_uri_parse(t, &u) == 0 ? u.path : "";
			if (path[0] == '/' && strlen(path) < sizeof(rd->lookup) &&
			    strpbrk(path, "?#") == NULL) {
				ti_strlcpy(rd->lookup, path, sizeof(rd->lookup));
				break;
			}
		}
		ti_links_fini(&links);
	}
	rd->disc = DISC_DONE;
	ti_log_info("rd '%s': endpoint lookups at '%s'", rd->uri_str, rd->lookup);
	pump(rd);
}

/* An answer with a token no watch holds: end any observation it starts. */
static coap_response_t
stray(coap_session_t *session, const coap_pdu_t *rcvd)
{
	coap_bin_const_t t = coap_pdu_get_token(rcvd);
	uint8_t buf[8];
	coap_binary_t tok = { .length = t.length, .s = buf };
	uint32_t seq;

	if (!option_uint(rcvd, COAP_OPTION_OBSERVE, &seq) ||
	    COAP_RESPONSE_CLASS(coap_pdu_get_code(rcvd)) != 2 || t.length > sizeof(buf))
		return COAP_RESPONSE_OK;
	memcpy(buf, t.s, t.length);
	if (coap_cancel_observe(session, &tok, COAP_MESSAGE_CON))
		return COAP_RESPONSE_OK;
	/* No observation of ours: a reset makes the RD forget it (UDP only). */
	if (coap_session_get_proto(session) != COAP_PROTO_UDP ||
	    coap_pdu_get_type(rcvd) == COAP_MESSAGE_ACK)
		return COAP_RESPONSE_OK;
	return COAP_RESPONSE_FAIL;
}

static coap_response_t
on_response(coap_session_t *session, const coap_pdu_t *sent, const coap_pdu_t *rcvd,
	    const coap_mid_t mid)
{
	struct kaasd_rd *rd = rd_of(session);
	struct watch *w;
	uint64_t tok;

	(void)mid;
	if (rd == NULL)
		return COAP_RESPONSE_OK;
	rd->retry_ms = RETRY_MIN_MS; /* the RD answers */
	rd->unreachable_logged = 0;
	if (!token_of(rcvd, &tok))
		return stray(session, rcvd);
	if (rd->disc == DISC_SENT && tok == rd->disc_tok) {
		on_discovery(rd, rcvd);
		return COAP_RESPONSE_OK;
	}
	if ((w = tok_find(rd, tok)) == NULL)
		return stray(session, rcvd);
	on_result(rd, w, sent, rcvd);
	pump(rd);
	return COAP_RESPONSE_OK;
}

static void
on_nack(coap_session_t *session, const coap_pdu_t *sent, const coap_nack_reason_t reason,
	const coap_mid_t mid)
{
	struct kaasd_rd *rd = rd_of(session);
	struct watch *w = NULL;
	uint64_t tok;

	(void)mid;
	if (rd == NULL || sent == NULL)
		return;
	if (reason == COAP_NACK_ICMP_ISSUE) {
		/* libcoap retransmits anyway: its verdict comes later. */
		if (!rd->unreachable_logged)
			ti_log_warn("rd '%s': unreachable, still trying", rd->uri_str);
		rd->unreachable_logged = 1;
		return;
	}
	if (token_of(sent, &tok)) {
		if (rd->disc == DISC_SENT && tok == rd->disc_tok) {
			if (reason == COAP_NACK_RST) {
				on_discovery(rd, sent); /* a request: the default path */
				return;
			}
			rd->disc = DISC_NEEDED;
		} else if ((w = tok_find(rd, tok)) != NULL && w->inflight) {
			end_inflight(rd, w);
			if (reason == COAP_NACK_RST) {
				watch_error(rd, w, "was reset");
				pump(rd);
				return;
			}
			enqueue(rd, w);
		}
	}
	if (reason == COAP_NACK_RST)
		return; /* the RD refused a cancellation or a block: nothing to redo */
	rd_fail(rd, reason == COAP_NACK_TOO_MANY_RETRIES ? "no answer" : "not delivered");
}

static int
on_event(coap_session_t *session, const coap_event_t event)
{
	struct kaasd_rd *rd = rd_of(session);

	if (rd == NULL)
		return 0;
	if (event == COAP_EVENT_TCP_FAILED || event == COAP_EVENT_SESSION_FAILED)
		rd_fail(rd, "cannot connect");
	else if (event == COAP_EVENT_TCP_CLOSED || event == COAP_EVENT_SESSION_CLOSED)
		rd_fail(rd, "connection lost");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* API                                                                      */
/* ------------------------------------------------------------------------ */

struct kaasd_rd *
kaasd_rd_new(struct ti_loop *loop, const char *rd_uri, kaasd_rd_gone_fn *gone, void *arg,
	     char *err, size_t errlen)
{
	struct kaasd_rd *rd;
	struct ti_uri u;
	int r;

	if (ti_uri_parse(rd_uri, &u) < 0) {
		snprintf(err, errlen, "not a CoAP URI (coap://, coap+tcp://)");
		return NULL;
	}
	if (u.transport != TI_TRANSPORT_UDP &&
	    (u.transport != TI_TRANSPORT_TCP || !coap_tcp_is_supported())) {
		snprintf(err, errlen, "%s:// is not supported", ti_transport_scheme(u.transport));
		return NULL;
	}
	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		goto nomem;
	rd->loop = loop;
	rd->uri = u;
	rd->gone = gone;
	rd->arg = arg;
	rd->retry_ms = RETRY_MIN_MS;
	rd->n_buckets = 64;
	/* Tokens from a random start: no clash with observations of an earlier run. */
	ti_random(&rd->next_tok, sizeof(rd->next_tok));
	rd->uri_str = strdup(rd_uri);
	rd->by_ep = calloc(rd->n_buckets, sizeof(*rd->by_ep));
	rd->by_tok = calloc(rd->n_buckets, sizeof(*rd->by_tok));
	rd->timer = ti_timer_new(loop, on_timer, rd);
	rd->retry = ti_timer_new(loop, on_retry, rd);
	if (!rd->uri_str || !rd->by_ep || !rd->by_tok || !rd->timer || !rd->retry)
		goto nomem;
	if ((rd->ctx = ti_coap_context_new(NULL, rd)) == NULL) {
		snprintf(err, errlen, "cannot create a CoAP context");
		goto fail;
	}
	coap_register_response_handler(rd->ctx, on_response);
	coap_register_nack_handler(rd->ctx, on_nack);
	coap_register_event_handler(rd->ctx, on_event);
	if ((r = ti_coap_attach(rd->ctx, loop)) < 0) {
		snprintf(err, errlen, "cannot watch libcoap's fd (%s)", ti_strerror(r));
		goto fail;
	}
	if ((r = open_session(rd)) < 0)
		rd_fail(rd, r == TI_EPARSE ? "cannot resolve the host" : "cannot open a session");
	else
		pump(rd);
	return rd;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	kaasd_rd_free(rd);
	return NULL;
}

int
kaasd_rd_watch(struct kaasd_rd *rd, const char *ep)
{
	size_t len = strlen(ep);
	struct watch *w = ep_find(rd, ep);

	if (w != NULL) {
		if (w->done) { /* its registration went and it is watched anew */
			w->done = 0;
			w->retry_ms = RETRY_MIN_MS;
			renew_tok(rd, w); /* libcoap may still hold the cancelled one */
			enqueue(rd, w);
			pump(rd);
		}
		return 0;
	}
	if (len == 0 || len > 255)
		return -EINVAL;
	if ((w = calloc(1, sizeof(*w) + len + 1)) == NULL)
		return -ENOMEM;
	memcpy(w->ep, ep, len + 1);
	w->tok = rd->next_tok++;
	w->hidx = NO_HEAP;
	w->retry_ms = RETRY_MIN_MS;
	if (rd->n >= rd->n_buckets)
		grow(rd);
	link_in(rd->by_ep, rd->by_tok, rd->n_buckets - 1, w);
	rd->n++;
	enqueue(rd, w);
	pump(rd);
	return 0;
}

void
kaasd_rd_unwatch(struct kaasd_rd *rd, const char *ep)
{
	struct watch *w = ep_find(rd, ep);
	uint8_t t[8];
	coap_binary_t tok = { .length = sizeof(t), .s = t };

	if (w == NULL)
		return;
	/* An observation still being set up is ended when its answer comes (stray()). */
	if (w->observing && !w->done && !w->inflight && rd->session && !rd->down) {
		token_bytes(w->tok, t);
		coap_cancel_observe(rd->session, &tok, COAP_MESSAGE_CON);
	}
	end_inflight(rd, w);
	dequeue(rd, w);
	heap_del(rd, w);
	unlink_maps(rd, w);
	if (w == rd->calling)
		w->unwatched = 1; /* freed when gone() returns */
	else
		free(w);
	pump(rd);
}

unsigned
kaasd_rd_count(const struct kaasd_rd *rd)
{
	return rd->n;
}

void
kaasd_rd_free(struct kaasd_rd *rd)
{
	if (rd == NULL)
		return;
	if (rd->ctx != NULL) {
		coap_set_app_data(rd->ctx, NULL);
		drop_session(rd);
		ti_coap_detach(rd->ctx, rd->loop);
		coap_free_context(rd->ctx);
	}
	for (size_t i = 0; rd->by_ep && i < rd->n_buckets; i++) {
		struct watch *w = rd->by_ep[i], *next;
		for (; w != NULL; w = next) {
			next = w->next_ep;
			free(w);
		}
	}
	free(rd->by_ep);
	free(rd->by_tok);
	free(rd->heap);
	ti_timer_free(rd->timer);
	ti_timer_free(rd->retry);
	free(rd->uri_str);
	free(rd);
}
