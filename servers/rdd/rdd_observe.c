/* SPDX-License-Identifier: BSD-2-Clause */
/* rdd: Observe (RFC 7641) on lookups and registration resources, notified only on change. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>

#include "ti_linkfmt.h"
#include "ti_log.h"
#include "ti_util.h"

#include "rdd_registry.h"
#include "rdd_server.h"

/*
 * libcoap 4.3.1's own observe support cannot do what RFC 9176 lookups need:
 * coap_resource_notify_observers() ignores its query argument, so a change
 * would run the GET handler for every observer of /rd-lookup/res whatever
 * it asked, and a handler may not answer >= 4.00 during a notification
 * (libcoap then uses a freed observer). So the lookup and registration
 * resources are not observable in libcoap's sense; rdd keeps the observers:
 *
 *   group     one observed question: view, registration id, content format
 *             and the query options verbatim. It remembers the hash of the
 *             last answer its observers were sent.
 *   observer  one (session, token) in a group.
 *   peer      the observers of one libcoap session, hung off the session's
 *             app data; the peer holds one session reference, so libcoap
 *             keeps the session while it has observers.
 *
 * After a committed change, rdd_observe_run() renders every group once;
 * only groups whose answer hashes differently are notified. Notifications
 * are non-confirmable, except that an observer gets a confirmable one when
 * it has had none for OBS_CON_INTERVAL_MS or after OBS_MAX_NON in a row
 * (RFC 7641 section 4.5): a vanished observer is then found by the
 * retransmission timeout or its RST, and pruned. (All-confirmable costs
 * libcoap 4.3.1 a sorted insertion into one retransmission list per
 * notification: quadratic, 1.4 s for 10k observers.) An answer that is no
 * longer 2.05 (the registration is gone) is sent confirmable once and ends
 * the group.
 */

/* An observer's notifications are confirmable at least this often. */
#define OBS_CON_INTERVAL_MS (60 * 1000)
#define OBS_MAX_NON 20

struct obs_peer;
struct obs_group;

struct observer {
	struct observer *pnext, *pprev; /* in the peer */
	struct observer *gnext, *gprev; /* in the group */
	struct obs_peer *peer;
	struct obs_group *g;
	uint8_t token[8];
	size_t toklen;
	uint64_t con_ms;    /* when the last confirmable notification went out */
	unsigned non_count; /* non-confirmable ones since */
};

struct obs_peer {
	coap_session_t *session; /* referenced */
	struct observer *head;
	uint32_t n;
};

struct obs_group {
	struct obs_group *hnext;       /* hash chain */
	struct obs_group *next, *prev; /* every group */
	char *key;
	size_t keylen;
	uint64_t keyhash;
	enum rdd_view view;
	int64_t id;
	unsigned cf;
	char **query; /* the Uri-Query option values, NUL-terminated */
	size_t n_query;
	uint64_t hash; /* of the last answer sent */
	uint32_t seq;  /* Observe value of that answer */
	struct observer *head;
	size_t n;
};

struct rdd_observers {
	struct rdd_server *s;
	struct obs_group **buckets;
	size_t n_buckets; /* power of two */
	struct obs_group *groups;
	size_t n_groups;
	size_t n; /* observers */
	uint32_t max_total, max_per_peer;
	uint64_t sent, failed;
};

static uint64_t
fnv(const void *p, size_t len)
{
	return rdd_result_hash(0, 0, p, len);
}

struct rdd_observers *
rdd_observers_new(struct rdd_server *s)
{
	struct rdd_observers *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->s = s;
	o->n_buckets = 256;
	o->buckets = calloc(o->n_buckets, sizeof(*o->buckets));
	if (o->buckets == NULL) {
		free(o);
		return NULL;
	}
	o->max_total = 100000;
	o->max_per_peer = 1000;
	return o;
}

void
rdd_observers_set_limits(struct rdd_observers *o, uint32_t max_total, uint32_t max_per_peer)
{
	o->max_total = max_total;
	o->max_per_peer = max_per_peer;
}

size_t
rdd_observe_count(const struct rdd_observers *o)
{
	return o ? o->n : 0;
}

/* ------------------------------------------------------------------------ */
/* Groups                                                                   */
/* ------------------------------------------------------------------------ */

/* The group key: view, id, cf, then every query option, NUL-separated. */
static char *
make_key(enum rdd_view view, int64_t id, unsigned cf, const coap_pdu_t *req, size_t *ret_len,
	 size_t *ret_nq)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(SIZE_MAX);
	coap_opt_iterator_t it;
	coap_opt_filter_t f;
	coap_opt_t *opt;
	int r;

	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, COAP_OPTION_URI_QUERY);
	r = ti_strbuf_printf(&sb, "%d %lld %u", (int)view, (long long)id, cf);
	*ret_nq = 0;
	coap_option_iterator_init(req, &it, &f);
	while (r == 0 && (opt = coap_option_next(&it)) != NULL) {
		r = ti_strbuf_putc(&sb, '\0');
		if (r == 0)
			r = ti_strbuf_append(&sb, coap_opt_value(opt), coap_opt_length(opt));
		(*ret_nq)++;
	}
	if (r == 0)
		r = ti_strbuf_putc(&sb, '\0'); /* NUL-terminates the last value */
	if (r < 0) {
		ti_strbuf_fini(&sb);
		return NULL;
	}
	*ret_len = sb.len;
	return ti_strbuf_steal(&sb);
}

static struct obs_group *
group_find(struct rdd_observers *o, const char *key, size_t len, uint64_t h)
{
	for (struct obs_group *g = o->buckets[h & (o->n_buckets - 1)]; g; g = g->hnext)
		if (g->keyhash == h && g->keylen == len && memcmp(g->key, key, len) == 0)
			return g;
	return NULL;
}

static void
rehash(struct rdd_observers *o)
{
	size_t nb = o->n_buckets * 2;
	struct obs_group **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return; /* longer chains, still correct */
	for (struct obs_group *g = o->groups; g; g = g->next) {
		g->hnext = b[g->keyhash & (nb - 1)];
		b[g->keyhash & (nb - 1)] = g;
	}
	free(o->buckets);
	o->buckets = b;
	o->n_buckets = nb;
}

static void
group_free(struct rdd_observers *o, struct obs_group *g)
{
	struct obs_group **pp = &o->buckets[g->keyhash & (o->n_buckets - 1)];

	while (*pp != g)
		pp = &(*pp)->hnext;
	*pp = g->hnext;
	if (g->prev)
		g->prev->next = g->next;
	else
		o->groups = g->next;
	if (g->next)
		g->next->prev = g->prev;
	o->n_groups--;
	free(g->query);
	free(g->key);
	free(g);
}

static struct obs_group *
group_new(struct rdd_observers *o, char *key, size_t len, uint64_t h, size_t nq)
{
	struct obs_group *g = calloc(1, sizeof(*g));
	size_t b;

	if (g == NULL || (g->query = calloc(nq + 1, sizeof(char *))) == NULL) {
		free(g);
		return NULL;
	}
	g->key = key;
	g->keylen = len;
	g->keyhash = h;
	/* The values follow the header, NUL-separated. */
	for (char *p = memchr(key, '\0', len); p && (size_t)(p - key) + 1 < len;
	     p = memchr(p + 1, '\0', len - (size_t)(p - key) - 1))
		g->query[g->n_query++] = p + 1;
	if (o->n_groups >= o->n_buckets)
		rehash(o);
	b = h & (o->n_buckets - 1);
	g->hnext = o->buckets[b];
	o->buckets[b] = g;
	g->next = o->groups;
	if (o->groups)
		o->groups->prev = g;
	o->groups = g;
	o->n_groups++;
	return g;
}

/* ------------------------------------------------------------------------ */
/* Observers                                                                */
/* ------------------------------------------------------------------------ */

static void
observer_free(struct rdd_observers *o, struct observer *ob)
{
	struct obs_peer *p = ob->peer;
	struct obs_group *g = ob->g;

	if (ob->pprev)
		ob->pprev->pnext = ob->pnext;
	else
		p->head = ob->pnext;
	if (ob->pnext)
		ob->pnext->pprev = ob->pprev;
	if (ob->gprev)
		ob->gprev->gnext = ob->gnext;
	else
		g->head = ob->gnext;
	if (ob->gnext)
		ob->gnext->gprev = ob->gprev;
	free(ob);
	o->n--;
	if (--g->n == 0)
		group_free(o, g);
	if (--p->n == 0) {
		coap_session_set_app_data(p->session, NULL);
		coap_session_release(p->session);
		free(p);
	}
}

static struct observer *
peer_find(struct obs_peer *p, const uint8_t *tok, size_t len)
{
	for (struct observer *ob = p ? p->head : NULL; ob; ob = ob->pnext)
		if (ob->toklen == len && memcmp(ob->token, tok, len) == 0)
			return ob;
	return NULL;
}

void
rdd_observe_cancel(struct rdd_observers *o, coap_session_t *session, const coap_pdu_t *request)
{
	coap_bin_const_t tok = coap_pdu_get_token(request);
	struct observer *ob = peer_find(coap_session_get_app_data(session), tok.s, tok.length);

	if (ob != NULL)
		observer_free(o, ob);
}

void
rdd_observe_nack(struct rdd_observers *o, coap_session_t *session, const coap_pdu_t *sent)
{
	rdd_observe_cancel(o, session, sent);
}

void
rdd_observe_session_gone(struct rdd_observers *o, coap_session_t *session)
{
	struct obs_peer *p = coap_session_get_app_data(session);

	while (p != NULL) {
		int last = p->n == 1;
		observer_free(o, p->head);
		if (last)
			break;
	}
}

int
rdd_observe_add(struct rdd_observers *o, coap_session_t *session, const coap_pdu_t *request,
		enum rdd_view view, const struct rdd_query *q, int64_t id, unsigned cf,
		uint64_t hash, uint32_t *ret_seq)
{
	coap_bin_const_t tok = coap_pdu_get_token(request);
	struct obs_peer *p = coap_session_get_app_data(session);
	struct obs_group *g;
	struct observer *ob;
	size_t len, nq;
	uint64_t h;
	char *key;

	(void)q;
	if (tok.length > sizeof(ob->token))
		return 0;
	/* A re-registration with the same token replaces the old one. */
	if ((ob = peer_find(p, tok.s, tok.length)) != NULL) {
		int last = p->n == 1;
		observer_free(o, ob);
		if (last)
			p = NULL;
	}
	key = make_key(view, id, cf, request, &len, &nq);
	if (key == NULL)
		return -ENOMEM;
	h = fnv(key, len);
	g = group_find(o, key, len, h);
	/* As libcoap does: one observation per peer and question; a new token wins. */
	if (g != NULL && p != NULL) {
		for (ob = p->head; ob; ob = ob->pnext) {
			if (ob->g == g) {
				int last = p->n == 1, gone = g->n == 1;
				observer_free(o, ob);
				if (last)
					p = NULL;
				if (gone)
					g = NULL;
				break;
			}
		}
	}
	if (o->n >= o->max_total || (p != NULL && p->n >= o->max_per_peer) ||
	    o->max_per_peer == 0) {
		free(key);
		return 0;
	}
	if (g == NULL) {
		g = group_new(o, key, len, h, nq);
		if (g == NULL) {
			free(key);
			return -ENOMEM;
		}
		g->view = view;
		g->id = id;
		g->cf = cf;
		g->hash = hash;
		ti_random(&g->seq, sizeof(g->seq));
		g->seq &= 0xffff; /* room to count up before the 24-bit wrap */
	} else {
		free(key);
	}
	if (p == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			goto nomem;
		p->session = coap_session_reference(session);
		coap_session_set_app_data(session, p);
	}
	if ((ob = calloc(1, sizeof(*ob))) == NULL) {
		if (p->n == 0) {
			coap_session_set_app_data(session, NULL);
			coap_session_release(session);
			free(p);
		}
		goto nomem;
	}
	memcpy(ob->token, tok.s, tok.length);
	ob->toklen = tok.length;
	/*
	 * Spread the confirmable rounds: observers that registered together
	 * would otherwise all get their confirmable notification on the same
	 * change, and libcoap's retransmission list makes that quadratic.
	 */
	uint32_t jitter = 0;
	ti_random(&jitter, sizeof(jitter));
	ob->non_count = jitter % OBS_MAX_NON;
	ob->con_ms = ti_now_ms() - (jitter >> 8) % OBS_CON_INTERVAL_MS;
	ob->peer = p;
	ob->g = g;
	ob->pnext = p->head;
	if (p->head)
		p->head->pprev = ob;
	p->head = ob;
	p->n++;
	ob->gnext = g->head;
	if (g->head)
		g->head->gprev = ob;
	g->head = ob;
	g->n++;
	o->n++;
	/* A new observer was told this answer: if the group's differs, the next run sends. */
	*ret_seq = g->seq;
	return 1;
nomem:
	if (g->n == 0)
		group_free(o, g);
	return -ENOMEM;
}

void
rdd_observers_free(struct rdd_observers *o)
{
	if (o == NULL)
		return;
	while (o->groups != NULL)
		observer_free(o, o->groups->head);
	free(o->buckets);
	free(o);
}

/* ------------------------------------------------------------------------ */
/* Notifications                                                            */
/* ------------------------------------------------------------------------ */

unsigned
rdd_block_szx(coap_session_t *session)
{
	size_t max = coap_session_max_pdu_size(session);
	unsigned szx = 6;

	while (szx > 0 && (16u << szx) + 64 > max)
		szx--;
	return szx;
}

/* Send one notification; 0, or -1 when it could not be sent (the observer is dropped). */
static int
notify(struct obs_group *g, struct observer *ob, int code, const struct ti_strbuf *body,
       unsigned cf)
{
	coap_session_t *session = ob->peer->session;
	coap_pdu_t *pdu;
	uint8_t buf[8];
	size_t len = body->len;
	const uint8_t *data = (const uint8_t *)ti_strbuf_str(body);
	uint64_t now = ti_now_ms();
	coap_pdu_type_t type = COAP_MESSAGE_NON;

	if (code != 205 || ob->non_count >= OBS_MAX_NON || now - ob->con_ms >= OBS_CON_INTERVAL_MS) {
		type = COAP_MESSAGE_CON;
		ob->con_ms = now;
		ob->non_count = 0;
	} else {
		ob->non_count++;
	}
	pdu = coap_pdu_init(type, COAP_RESPONSE_CODE(code),
			    coap_new_message_id(session), coap_session_max_pdu_size(session));
	if (pdu == NULL || !coap_add_token(pdu, ob->toklen, ob->token))
		goto fail;
	if (code == 205) {
		unsigned szx = rdd_block_szx(session);
		size_t blk = 16u << szx;

		coap_add_option(pdu, COAP_OPTION_ETAG, coap_encode_var_safe8(buf, 8, g->hash), buf);
		coap_add_option(pdu, COAP_OPTION_OBSERVE, coap_encode_var_safe(buf, 4, g->seq),
				buf);
		coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT, coap_encode_var_safe(buf, 4, cf),
				buf);
		if (len > blk) {
			/* RFC 7959 section 2.6: the first block; the client GETs the rest. */
			coap_add_option(pdu, COAP_OPTION_BLOCK2,
					coap_encode_var_safe(buf, 4, (1u << 3) | szx), buf);
			coap_add_option(pdu, COAP_OPTION_SIZE2,
					coap_encode_var_safe(buf, 4, (unsigned)len), buf);
			len = blk;
		}
	} else {
		coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
				coap_encode_var_safe(buf, 4, COAP_MEDIATYPE_TEXT_PLAIN), buf);
	}
	if (len > 0 && !coap_add_data(pdu, len, data))
		goto fail;
	if (coap_send(session, pdu) == COAP_INVALID_MID)
		return -1;
	return 0;
fail:
	coap_delete_pdu(pdu);
	return -1;
}

/* Evaluate one group; notify and maybe end it. */
static void
run_group(struct rdd_observers *o, struct obs_group *g)
{
	struct rdd_query q = { 0 };
	struct ti_strbuf body = TI_STRBUF_INIT(8u << 20);
	struct rdd_error err = { 0 };
	int code = 205, r = 0;
	uint64_t h;

	for (size_t i = 0; r == 0 && i < g->n_query; i++)
		r = rdd_query_add(&q, g->query[i], strlen(g->query[i]), &err);
	if (r == 0)
		r = rdd_render(o->s, g->view, &q, g->id, g->cf, &body, &err);
	rdd_query_fini(&q);
	if (r < 0) {
		if (err.code >= 500) {
			/* Keep the observers; the next change tries again. */
			ti_log_warn("observe: cannot evaluate a query (%s)", err.msg);
			ti_strbuf_fini(&body);
			return;
		}
		code = err.code;
		ti_strbuf_reset(&body);
		ti_strbuf_puts(&body, err.msg);
	}
	h = rdd_result_hash(code, g->cf, ti_strbuf_str(&body), body.len);
	if (h != g->hash) {
		g->hash = h;
		g->seq = (g->seq + 1) & 0xffffff;
		for (struct observer *ob = g->head, *next; ob; ob = next) {
			next = ob->gnext;
			if (notify(g, ob, code, &body, g->cf) == 0) {
				o->sent++;
			} else {
				o->failed++;
				if (code == 205)
					observer_free(o, ob); /* may free g only with its last observer */
			}
		}
		if (code != 205) {
			/* RFC 7641 section 4.2: a non-2.xx notification ends the observation. */
			while (g->n > 1)
				observer_free(o, g->head);
			observer_free(o, g->head);
		}
	}
	ti_strbuf_fini(&body);
}

void
rdd_observe_run(struct rdd_observers *o)
{
	struct obs_group *g, *next;
	size_t n;

	/*
	 * run_group() may free g (its observers all gone) but never another
	 * group; take next first. Groups created meanwhile sit at the head
	 * and were rendered by their own GET.
	 */
	for (g = o->groups, n = 0; g; g = next, n++) {
		next = g->next;
		run_group(o, g);
	}
	ti_log_debug("observe: %zu question(s) evaluated, %zu observer(s)", n, o->n);
}
