/* SPDX-License-Identifier: BSD-2-Clause */
/* rdd: the libcoap handlers of the RFC 9176 interfaces: registration, lookups, simple registration. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>

#include "ti_coap.h"
#include "ti_err.h"
#include "ti_linkfmt.h"
#include "ti_log.h"
#include "ti_loop.h"
#include "ti_util.h"

#include "rdd_conf.h"
#include "rdd_db.h"
#include "rdd_registry.h"
#include "rdd_server.h"

/* Limits for re-parsing what rdd itself stored. */
static const struct ti_linkfmt_limits stored_limits = {
	.max_links = 1000000,
	.max_attrs_per_link = 1024,
	.max_target_len = 4096,
	.max_name_len = 256,
	.max_value_len = 65536,
};

/* Block1 bodies in flight: at most this many, each dropped after ASM_IDLE_MS. */
#define ASM_MAX 1024
#define ASM_IDLE_MS 60000
/* Simple registrations waiting for the registrant's /.well-known/core. */
#define SIMPLE_MAX 1024

static struct rdd_server *
server_of(coap_session_t *session)
{
	return coap_get_app_data(coap_session_get_context(session));
}

/* ------------------------------------------------------------------------ */
/* Responses                                                                */
/* ------------------------------------------------------------------------ */

static void
add_uint_option(coap_pdu_t *pdu, uint16_t opt, unsigned v)
{
	uint8_t buf[4];

	coap_add_option(pdu, opt, coap_encode_var_safe(buf, sizeof(buf), v), buf);
}

/* Answer code with a text/plain diagnostic (and Size1 for 4.13). */
static void
respond_error(coap_pdu_t *response, const struct rdd_error *e)
{
	int code = e->code ? e->code : 500;

	coap_pdu_set_code(response, COAP_RESPONSE_CODE(code));
	add_uint_option(response, COAP_OPTION_CONTENT_FORMAT, COAP_MEDIATYPE_TEXT_PLAIN);
	if (code == 413 && e->size1 > 0)
		add_uint_option(response, COAP_OPTION_SIZE1, e->size1);
	if (e->msg[0] != '\0')
		coap_add_data(response, strlen(e->msg), (const uint8_t *)e->msg);
}

static void
respond(coap_pdu_t *response, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
respond(coap_pdu_t *response, int code, const char *fmt, ...)
{
	struct rdd_error e = { .code = code };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	respond_error(response, &e);
}

/* 2.01 with the registration resource /reg/<id> as Location-Path (RFC 9176 section 5.3). */
static void
respond_created(coap_pdu_t *response, int64_t id)
{
	char idbuf[24];

	coap_pdu_set_code(response, COAP_RESPONSE_CODE(201));
	snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
	coap_add_option(response, COAP_OPTION_LOCATION_PATH, 3, (const uint8_t *)"reg");
	coap_add_option(response, COAP_OPTION_LOCATION_PATH, strlen(idbuf), (const uint8_t *)idbuf);
}

/* A database failure: nothing was changed; the client may retry. */
static void
respond_db_error(coap_pdu_t *response, int r)
{
	ti_log_err("database: %s", ti_strerror(r));
	if (r == -EBUSY)
		respond(response, 503, "database busy, retry");
	else
		respond(response, 500, "database error");
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */
/* ------------------------------------------------------------------------ */

/* Every Uri-Query option into q (zeroed by the caller). */
static int
request_query(const coap_pdu_t *req, struct rdd_query *q, struct rdd_error *e)
{
	coap_opt_iterator_t it;
	coap_opt_filter_t f;
	coap_opt_t *opt;
	int r;

	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, COAP_OPTION_URI_QUERY);
	coap_option_iterator_init(req, &it, &f);
	while ((opt = coap_option_next(&it)) != NULL) {
		r = rdd_query_add(q, (const char *)coap_opt_value(opt), coap_opt_length(opt), e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* An unsigned option's value, or def when absent. */
static unsigned
option_uint(const coap_pdu_t *req, uint16_t num, unsigned def)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt = coap_check_option(req, num, &it);

	return opt ? coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt)) : def;
}

static int
has_option(const coap_pdu_t *req, uint16_t num)
{
	coap_opt_iterator_t it;

	return coap_check_option(req, num, &it) != NULL;
}

/* The source address as a sockaddr and the transport. */
static const struct sockaddr *
request_source(coap_session_t *session, enum ti_transport *ret_t)
{
	const coap_address_t *a = coap_session_get_addr_remote(session);

	*ret_t = ti_coap_session_transport(session);
	return &a->addr.sa;
}

/* ------------------------------------------------------------------------ */
/* Request bodies, block by block (RFC 7959 Block1)                         */
/* ------------------------------------------------------------------------ */

struct rdd_assembly {
	struct rdd_assembly *next;
	coap_session_t *session; /* a key only: not referenced */
	coap_address_t remote;	 /* with the session, guards against a reused pointer */
	char path[64];
	struct ti_strbuf body;
	uint64_t last_ms;
};

static void
asm_free(struct rdd_server *s, struct rdd_assembly *a)
{
	struct rdd_assembly **pp = &s->asm_head;

	while (*pp != a)
		pp = &(*pp)->next;
	*pp = a->next;
	s->asm_bytes -= a->body.len;
	ti_strbuf_fini(&a->body);
	free(a);
}

static struct rdd_assembly *
asm_find(struct rdd_server *s, coap_session_t *session, const char *path)
{
	uint64_t now = ti_now_ms();
	struct rdd_assembly *a, *next, *found = NULL;
	size_t n = 0;

	for (a = s->asm_head; a; a = next) {
		next = a->next;
		if (now - a->last_ms > ASM_IDLE_MS) {
			asm_free(s, a);
			continue;
		}
		n++;
		if (a->session == session && strcmp(a->path, path) == 0 &&
		    coap_address_equals(&a->remote, coap_session_get_addr_remote(session)))
			found = a;
	}
	(void)n;
	return found;
}

static size_t
asm_count(const struct rdd_server *s)
{
	size_t n = 0;

	for (const struct rdd_assembly *a = s->asm_head; a; a = a->next)
		n++;
	return n;
}

/*
 * The request body, whole or block by block. Returns 1 with the complete
 * body in *data and *len (owned by *ret_asm when not NULL: free it with
 * asm_free() after use); 0 when a non-final block was stored (the handler
 * answers 2.04, which libcoap turns into 2.31 Continue); -1 when the
 * response was set to an error.
 */
static int
request_body(struct rdd_server *s, coap_session_t *session, const coap_pdu_t *req,
	     const char *path, coap_pdu_t *response, const uint8_t **data, size_t *len,
	     struct rdd_assembly **ret_asm)
{
	size_t max = s->pol.max_payload, length, offset, total;
	struct rdd_assembly *a;
	coap_block_b_t block;
	const uint8_t *d;

	*ret_asm = NULL;
	if (!coap_get_data_large(req, &length, &d, &offset, &total))
		length = 0, d = NULL;
	if (!coap_get_block_b(session, req, COAP_OPTION_BLOCK1, &block)) {
		if (length > max) {
			struct rdd_error e = { .code = 413, .size1 = (uint32_t)max };
			snprintf(e.msg, sizeof(e.msg), "payload too large (max %zu bytes)", max);
			respond_error(response, &e);
			return -1;
		}
		*data = d;
		*len = length;
		return 1;
	}
	offset = (size_t)block.num << (block.szx + 4);
	if (option_uint(req, COAP_OPTION_SIZE1, 0) > max || offset + length > max) {
		struct rdd_error e = { .code = 413, .size1 = (uint32_t)max };
		snprintf(e.msg, sizeof(e.msg), "payload too large (max %zu bytes)", max);
		if ((a = asm_find(s, session, path)) != NULL)
			asm_free(s, a);
		respond_error(response, &e);
		return -1;
	}
	a = asm_find(s, session, path);
	if (block.num == 0) {
		if (a != NULL)
			asm_free(s, a);
		if (!block.m) {
			*data = d;
			*len = length;
			return 1;
		}
		if (asm_count(s) >= ASM_MAX || (a = calloc(1, sizeof(*a))) == NULL) {
			respond(response, 503, "too many block-wise transfers, retry");
			return -1;
		}
		a->session = session;
		a->remote = *coap_session_get_addr_remote(session);
		ti_strlcpy(a->path, path, sizeof(a->path));
		ti_strbuf_init(&a->body, max);
		a->next = s->asm_head;
		s->asm_head = a;
	} else if (a == NULL || offset != a->body.len) {
		/* RFC 7959 section 2.9.2: a block out of sequence. */
		if (a != NULL)
			asm_free(s, a);
		respond(response, 408, "missing earlier blocks");
		return -1;
	}
	if (length > 0 && ti_strbuf_append(&a->body, d, length) < 0) {
		asm_free(s, a);
		respond(response, 500, "out of memory");
		return -1;
	}
	s->asm_bytes += length;
	a->last_ms = ti_now_ms();
	if (block.m)
		return 0;
	*data = (const uint8_t *)ti_strbuf_str(&a->body);
	*len = a->body.len;
	*ret_asm = a;
	/* The final response confirms the last block (RFC 7959 section 2.3). */
	add_uint_option(response, COAP_OPTION_BLOCK1, (block.num << 4) | block.szx);
	return 1;
}

/* ------------------------------------------------------------------------ */
/* Group commit: answers after the COMMIT that made the change durable      */
/* ------------------------------------------------------------------------ */

/*
 * With synchronous FULL every COMMIT waits for an fsync. To answer many
 * changes per fsync, a change that arrives in a confirmable UDP request
 * goes into the open group (rdd_db_batch_begin()) and its request is
 * parked with libcoap's async support: libcoap sends an empty ACK now
 * (RFC 7252 section 5.2.2, separate response), rdd commits the group
 * within GROUP_DELAY_MS or once GROUP_MAX requests wait, then triggers
 * the parked requests and libcoap runs the handler again, which answers
 * from the stored result. Nothing is answered before its COMMIT returned.
 * NON and TCP requests and Block1 transfers are answered synchronously:
 * their change commits the open group at once.
 */
#define GROUP_DELAY_MS 1
#define GROUP_MAX 256

struct rdd_pending {
	struct rdd_pending *next;
	coap_async_t *async;
	int code;	 /* the answer: 201, 204, 202; 500 if the commit failed */
	int64_t id;	 /* 201: the registration */
	int triggered;
};

/* Whether this change request may be answered after a group commit. */
static int
may_defer(struct rdd_server *s, coap_session_t *session, const coap_pdu_t *req)
{
	coap_block_b_t block;

	return s->group_commit && coap_pdu_get_type(req) == COAP_MESSAGE_CON &&
	       ti_coap_session_transport(session) == TI_TRANSPORT_UDP &&
	       !coap_get_block_b(session, req, COAP_OPTION_BLOCK1, &block);
}

/* Open a group for a deferrable change (0), or say the change commits alone (-1). */
static int
group_enter(struct rdd_server *s, coap_session_t *session, const coap_pdu_t *req)
{
	if (!may_defer(s, session, req))
		return -1;
	if (!rdd_db_batch_open(s->db)) {
		if (rdd_db_batch_begin(s->db) < 0)
			return -1;
		ti_timer_set(s->commit_timer, GROUP_DELAY_MS, 0);
	}
	return 0;
}

int
rdd_server_flush(struct rdd_server *s)
{
	int r;

	if (!rdd_db_batch_open(s->db))
		return 0;
	r = rdd_db_batch_commit(s->db);
	ti_timer_set(s->commit_timer, 0, 0);
	if (r < 0) {
		ti_log_err("database: group commit failed (%s); %zu change(s) undone",
			   ti_strerror(r), s->n_pending);
		if (rdd_db_count(s->db, &s->n_regs) < 0)
			ti_log_err("database: cannot recount registrations");
	}
	for (struct rdd_pending *p = s->pending; p; p = p->next) {
		if (p->triggered)
			continue;
		if (r < 0)
			p->code = 500;
		p->triggered = 1;
		coap_async_trigger(p->async);
	}
	s->n_pending = 0;
	return r;
}

static void
commit_fire(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	(void)loop, (void)t;
	rdd_server_flush(data);
}

/*
 * After a change handler set its response: park a deferred success until
 * the group commits, or commit the group now for an answer that cannot wait.
 */
static void
group_leave(struct rdd_server *s, coap_session_t *session, const coap_pdu_t *req,
	    coap_pdu_t *response, int deferred, int64_t id)
{
	int code = coap_pdu_get_code(response);
	struct rdd_pending *p;

	if (!rdd_db_batch_open(s->db))
		return;
	if (deferred == 0 && COAP_RESPONSE_CLASS(code) == 2 &&
	    (p = calloc(1, sizeof(*p))) != NULL) {
		p->async = coap_register_async(session, req, 0);
		if (p->async != NULL) {
			p->code = COAP_RESPONSE_CLASS(code) * 100 + (code & 0x1f);
			p->id = id;
			coap_async_set_app_data(p->async, p);
			p->next = s->pending;
			s->pending = p;
			/* Empty ACK now; the answer follows the COMMIT. */
			coap_pdu_set_code(response, 0);
			if (++s->n_pending >= GROUP_MAX)
				rdd_server_flush(s);
			return;
		}
		free(p);
	}
	if (rdd_server_flush(s) < 0 && COAP_RESPONSE_CLASS(code) == 2)
		respond(response, 500, "database error");
}

/* A parked request back from libcoap after its group committed: answer it. 1 if it was one. */
static int
group_answer(struct rdd_server *s, coap_session_t *session, const coap_pdu_t *req,
	     coap_pdu_t *response)
{
	coap_async_t *async = coap_find_async(session, coap_pdu_get_token(req));
	struct rdd_pending *p, **pp;

	if (async == NULL || (p = coap_async_get_app_data(async)) == NULL)
		return 0;
	for (pp = &s->pending; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	if (p->code == 500) {
		respond(response, 500, "database error");
	} else {
		if (p->code == 201)
			respond_created(response, p->id);
		else
			coap_pdu_set_code(response, COAP_RESPONSE_CODE(p->code));
	}
	free(p);
	coap_async_set_app_data(async, NULL); /* libcoap frees the async after this handler */
	return 1;
}

/* ------------------------------------------------------------------------ */
/* Registration attributes                                                  */
/* ------------------------------------------------------------------------ */

/*
 * Split registration attributes into et (every et value, space-separated;
 * NULL when none) and the others as link-format parameters without the
 * leading ';' ("" when none). Both returned strings are the caller's.
 */
static int
split_attrs(const struct ti_link *a, char **ret_et, char **ret_attrs)
{
	struct ti_strbuf et = TI_STRBUF_INIT(64 * 1024);
	struct ti_strbuf out = TI_STRBUF_INIT(64 * 1024);
	struct ti_link rest = { .target = (char *)"" };
	int r = 0;

	for (size_t i = 0; r == 0 && i < a->n_attrs; i++) {
		const struct ti_link_attr *x = &a->attrs[i];
		if (strcasecmp(x->name, "et") == 0) {
			if (x->value == NULL || x->value[0] == '\0')
				continue;
			if (et.len > 0)
				r = ti_strbuf_putc(&et, ' ');
			if (r == 0)
				r = ti_strbuf_puts(&et, x->value);
		} else {
			r = ti_link_attr_add(&rest, x->name, x->value);
		}
	}
	if (r == 0)
		r = ti_linkfmt_write_link(&out, &rest);
	rest.target = NULL;
	ti_link_fini(&rest);
	if (r == 0) {
		/* skip the "<>;" before the parameters */
		const char *w = ti_strbuf_str(&out);
		*ret_attrs = strdup(out.len > 3 ? w + 3 : "");
		*ret_et = et.len > 0 ? ti_strbuf_steal(&et) : NULL;
		if (*ret_attrs == NULL)
			r = -ENOMEM;
	}
	ti_strbuf_fini(&et);
	ti_strbuf_fini(&out);
	return r;
}

/*
 * Merge an update's attributes into a registration's (RFC 9176 section
 * 5.3.1): each name given replaces every old value of that name; "name="
 * (empty) removes it.
 */
static int
merge_attrs(const struct rdd_reg *old, const struct ti_link *upd, char **ret_et, char **ret_attrs)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(128 * 1024);
	struct ti_links tmp = { 0 };
	struct ti_link *l;
	int r;

	r = ti_strbuf_printf(&sb, "<x>%s%s", old->attrs[0] ? ";" : "", old->attrs);
	if (r == 0)
		r = ti_linkfmt_parse(ti_strbuf_str(&sb), sb.len, &stored_limits, &tmp, NULL);
	ti_strbuf_fini(&sb);
	if (r < 0 || tmp.n != 1) {
		ti_links_fini(&tmp);
		return r < 0 ? r : TI_EPARSE;
	}
	l = &tmp.v[0];
	if (old->et != NULL && old->et[0] != '\0')
		r = ti_link_attr_add(l, "et", old->et);
	for (size_t i = 0; r == 0 && i < upd->n_attrs; i++)
		ti_link_attr_remove(l, upd->attrs[i].name);
	for (size_t i = 0; r == 0 && i < upd->n_attrs; i++) {
		const struct ti_link_attr *x = &upd->attrs[i];
		if (x->value == NULL || x->value[0] != '\0')
			r = ti_link_attr_add(l, x->name, x->value);
	}
	if (r == 0)
		r = split_attrs(l, ret_et, ret_attrs);
	ti_links_fini(&tmp);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Registration                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Store a checked registration and answer 2.01 with its location (or, for
 * a simple registration, nothing: response NULL). 0 or an error already
 * answered.
 */
static int
do_register(struct rdd_server *s, const struct rdd_params *p, const struct ti_links *links,
	    coap_pdu_t *response, int64_t *ret_id)
{
	struct ti_strbuf text = TI_STRBUF_INIT(SIZE_MAX);
	struct rdd_reg reg = { 0 };
	int64_t id, existing;
	int created = 0, r;
	char *et = NULL, *attrs = NULL;

	r = rdd_db_find(s->db, p->ep, p->d, &existing);
	if (r == -ENOENT && s->n_regs >= (int64_t)s->conf->max_registrations) {
		if (response)
			respond(response, 503, "registration limit reached");
		ti_log_warn("registration of '%s' refused: max-registrations (%" PRIu32
			    ") reached",
			    p->ep, s->conf->max_registrations);
		return -ENOSPC;
	}
	if (r < 0 && r != -ENOENT) {
		if (response)
			respond_db_error(response, r);
		return r;
	}
	r = split_attrs(&p->attrs, &et, &attrs);
	if (r == 0)
		r = ti_linkfmt_write(&text, links);
	if (r < 0) {
		if (response)
			respond(response, 500, "cannot store the links");
		goto out;
	}
	reg.ep = (char *)p->ep;
	reg.d = (char *)p->d;
	reg.base = (char *)p->base;
	reg.base_explicit = p->base_given;
	reg.lt = p->lt;
	reg.et = et;
	reg.attrs = attrs;
	reg.expires_ms = rdd_wall_ms() + (int64_t)p->lt * 1000;
	reg.links = (char *)ti_strbuf_str(&text);
	r = rdd_db_register(s->db, &reg, links, &id, &created);
	if (r == TI_EPARSE) {
		if (response)
			respond(response, 400, "a link does not resolve against base");
		goto out;
	}
	if (r < 0) {
		if (response)
			respond_db_error(response, r);
		goto out;
	}
	s->n_regs += created;
	if (response)
		respond_created(response, id);
	ti_log_info("%s '%s'%s%s%s as /reg/%" PRId64 " (lt %" PRIu32 ", base %s, %zu link(s))",
		    created ? "registered" : "re-registered", p->ep, p->d[0] ? " (d '" : "",
		    p->d, p->d[0] ? "')" : "", id, p->lt, p->base, links->n);
	if (ret_id)
		*ret_id = id;
	rdd_server_changed(s);
out:
	free(et);
	free(attrs);
	ti_strbuf_fini(&text);
	return r;
}

/* POST /rd (RFC 9176 section 5.3). */
static void
hnd_rd_post(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *req,
	    const coap_string_t *query, coap_pdu_t *response)
{
	struct rdd_server *s = server_of(session);
	struct rdd_query q = { 0 };
	struct rdd_params p = { 0 };
	struct ti_links links = { 0 };
	struct rdd_error e = { 0 };
	struct rdd_assembly *a = NULL;
	const uint8_t *data = NULL;
	enum ti_transport t;
	const struct sockaddr *src = request_source(session, &t);
	size_t len = 0;
	int64_t id = 0;
	int r, deferred;

	(void)resource, (void)query;
	if (group_answer(s, session, req, response))
		return;
	r = request_body(s, session, req, "rd", response, &data, &len, &a);
	if (r <= 0) {
		if (r == 0)
			coap_pdu_set_code(response, COAP_RESPONSE_CODE(204));
		return;
	}
	if (request_query(req, &q, &e) < 0 || rdd_registration_check(&q, &s->pol, src, t, &p, &e) < 0 ||
	    rdd_links_parse(data, len, option_uint(req, COAP_OPTION_CONTENT_FORMAT, RDD_CF_LINK_FORMAT),
			    &s->pol, &links, &e) < 0) {
		respond_error(response, &e);
		goto out;
	}
	deferred = group_enter(s, session, req);
	do_register(s, &p, &links, response, &id);
	group_leave(s, session, req, response, deferred, id);
out:
	if (a != NULL)
		asm_free(s, a);
	ti_links_fini(&links);
	rdd_params_fini(&p);
	rdd_query_fini(&q);
}

/* The registration id of a path "reg/<id>", or -1. */
static int64_t
reg_id_of(const coap_pdu_t *req)
{
	coap_string_t *path = coap_get_uri_path(req);
	int64_t id = -1;

	if (path != NULL && path->length > 4 && path->length < 24 &&
	    memcmp(path->s, "reg/", 4) == 0) {
		char buf[24];
		uint64_t v;
		memcpy(buf, path->s + 4, path->length - 4);
		buf[path->length - 4] = '\0';
		if (buf[0] != '0' && ti_parse_u64(buf, 1, INT64_MAX, &v) == 0)
			id = (int64_t)v;
	}
	coap_delete_string(path);
	return id;
}

/* POST /reg/<id>: registration update (RFC 9176 section 5.3.1). */
static void
reg_update(struct rdd_server *s, coap_session_t *session, const coap_pdu_t *req, int64_t id,
	   coap_pdu_t *response)
{
	struct rdd_query q = { 0 };
	struct rdd_params p = { 0 };
	struct rdd_error e = { 0 };
	struct rdd_reg old = { 0 };
	enum ti_transport t;
	const struct sockaddr *src = request_source(session, &t);
	const char *base = NULL;
	char *et = NULL, *attrs = NULL;
	size_t len, off, total;
	const uint8_t *data;
	int base_explicit = 0, r, deferred;

	if (coap_get_data_large(req, &len, &data, &off, &total) && len > 0) {
		respond(response, 400, "an update has no payload: register again to change links");
		return;
	}
	if (request_query(req, &q, &e) < 0 || rdd_update_check(&q, &s->pol, src, t, &p, &e) < 0) {
		respond_error(response, &e);
		goto out;
	}
	r = rdd_db_get(s->db, id, rdd_wall_ms(), &old);
	if (r == -ENOENT) {
		respond(response, 404, "no such registration");
		goto out;
	}
	if (r < 0) {
		respond_db_error(response, r);
		goto out;
	}
	if (p.base_given) {
		base = p.base, base_explicit = 1;
	} else if (!old.base_explicit) {
		/* RFC 9176 section 5.3.1: an implicit base follows the source address. */
		base = p.base, base_explicit = 0;
	}
	if (p.attrs.n_attrs > 0 && (r = merge_attrs(&old, &p.attrs, &et, &attrs)) < 0) {
		respond(response, 500, "cannot merge attributes");
		goto out;
	}
	deferred = group_enter(s, session, req);
	r = rdd_db_update(s->db, id, p.lt_given ? &p.lt : NULL, base, base_explicit,
			  p.attrs.n_attrs > 0 ? (et ? et : "") : NULL, attrs, rdd_wall_ms());
	if (r == -ENOENT) {
		respond(response, 404, "no such registration");
	} else if (r == TI_EPARSE) {
		respond(response, 400, "a link does not resolve against the new base");
	} else if (r < 0) {
		respond_db_error(response, r);
	} else {
		coap_pdu_set_code(response, COAP_RESPONSE_CODE(204));
		ti_log_debug("updated /reg/%" PRId64 " ('%s')", id, old.ep);
		rdd_server_changed(s);
	}
	group_leave(s, session, req, response, deferred, id);
out:
	free(et);
	free(attrs);
	rdd_reg_fini(&old);
	rdd_params_fini(&p);
	rdd_query_fini(&q);
}

/* ------------------------------------------------------------------------ */
/* GET: registration resources and lookups, observable                      */
/* ------------------------------------------------------------------------ */

/*
 * Add a 2.05 body: whole when it fits and no block was asked for, else
 * the block asked for (RFC 7959 Block2; block 0 by default), with ETag
 * and Size2, so that a client can fetch the rest of a large lookup or of
 * a notification's first block (rdd_observe.c) and tell whether the
 * result changed meanwhile. Blocks are cut from the answer rendered for
 * each request: rdd keeps no per-client transfer state.
 */
static void
send_body(coap_session_t *session, const coap_pdu_t *req, coap_pdu_t *response, unsigned cf,
	  uint64_t hash, const struct ti_strbuf *body)
{
	const uint8_t *data = (const uint8_t *)ti_strbuf_str(body);
	size_t len = body->len, max = coap_session_max_pdu_size(session);
	unsigned szx = rdd_block_szx(session);
	coap_block_b_t b;
	uint8_t buf[8];
	int has = coap_get_block_b(session, req, COAP_OPTION_BLOCK2, &b);

	if (!has && len + 64 <= max) {
		coap_add_option(response, COAP_OPTION_ETAG, coap_encode_var_safe8(buf, 8, hash),
				buf);
		add_uint_option(response, COAP_OPTION_CONTENT_FORMAT, cf);
		if (len > 0)
			coap_add_data(response, len, data);
		return;
	}
	if (has && b.szx < szx)
		szx = b.szx;
	size_t blk = (size_t)16 << szx, off = has ? (size_t)b.num * blk : 0;
	if (off >= len && off > 0) {
		respond(response, 402, "block beyond the end");
		return;
	}
	coap_add_option(response, COAP_OPTION_ETAG, coap_encode_var_safe8(buf, 8, hash), buf);
	add_uint_option(response, COAP_OPTION_CONTENT_FORMAT, cf);
	size_t n = len - off < blk ? len - off : blk;
	unsigned num = has ? b.num : 0, more = off + n < len;
	add_uint_option(response, COAP_OPTION_BLOCK2, (num << 4) | (more << 3) | szx);
	add_uint_option(response, COAP_OPTION_SIZE2, (unsigned)len);
	if (n > 0)
		coap_add_data(response, n, data + off);
}

static void
do_get(struct rdd_server *s, coap_resource_t *resource, coap_session_t *session,
       const coap_pdu_t *req, const coap_string_t *query, coap_pdu_t *response,
       enum rdd_view view, int64_t id)
{
	struct ti_strbuf body = TI_STRBUF_INIT(8u << 20);
	struct rdd_query q = { 0 };
	struct rdd_error e = { 0 };
	unsigned cf = option_uint(req, COAP_OPTION_ACCEPT, RDD_CF_LINK_FORMAT);
	(void)resource, (void)query;
	int observe = has_option(req, COAP_OPTION_OBSERVE)
			  ? (int)option_uint(req, COAP_OPTION_OBSERVE, 0)
			  : -1;
	coap_block_b_t block;
	uint64_t hash;

	if (observe == 1)
		rdd_observe_cancel(s->obs, session, req);
	if (cf != RDD_CF_LINK_FORMAT && cf != RDD_CF_JSON) {
		respond(response, 406, "Accept: 40 (link-format) or 50 (json)");
		goto out;
	}
	if (request_query(req, &q, &e) < 0 || rdd_render(s, view, &q, id, cf, &body, &e) < 0) {
		respond_error(response, &e);
		goto out;
	}
	hash = rdd_result_hash(205, cf, ti_strbuf_str(&body), body.len);
	coap_pdu_set_code(response, COAP_RESPONSE_CODE(205));
	if (observe == 0 && !(coap_get_block_b(session, req, COAP_OPTION_BLOCK2, &block) &&
			      block.num > 0)) {
		uint32_t seq;
		if (rdd_observe_add(s->obs, session, req, view, &q, id, cf, hash, &seq) == 1)
			add_uint_option(response, COAP_OPTION_OBSERVE, seq);
	}
	send_body(session, req, response, cf, hash, &body);
out:
	ti_strbuf_fini(&body);
	rdd_query_fini(&q);
}

static void
hnd_lookup_get(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *req,
	       const coap_string_t *query, coap_pdu_t *response)
{
	enum rdd_view view = (enum rdd_view)(intptr_t)coap_resource_get_userdata(resource);

	do_get(server_of(session), resource, session, req, query, response, view, 0);
}

/* /reg/<id> and every other path: libcoap's unknown-resource handler. */
static void
hnd_unknown(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *req,
	    const coap_string_t *query, coap_pdu_t *response)
{
	struct rdd_server *s = server_of(session);
	int64_t id = reg_id_of(req);
	coap_pdu_code_t code;
	int r;

	if (group_answer(s, session, req, response))
		return;
	if (id < 0) {
		respond(response, 404, "not found");
		return;
	}
	code = coap_pdu_get_code(req);
	if (code == COAP_REQUEST_CODE_GET) {
		do_get(s, resource, session, req, query, response, RDD_VIEW_REG, id);
	} else if (code == COAP_REQUEST_CODE_POST) {
		reg_update(s, session, req, id, response);
	} else if (code == COAP_REQUEST_CODE_DELETE) {
		int deferred = group_enter(s, session, req);
		r = rdd_db_remove(s->db, id);
		if (r == -ENOENT) {
			respond(response, 404, "no such registration");
		} else if (r < 0) {
			respond_db_error(response, r);
		} else {
			s->n_regs--;
			coap_pdu_set_code(response, COAP_RESPONSE_CODE(202));
			ti_log_info("removed /reg/%" PRId64, id);
			rdd_server_changed(s);
		}
		group_leave(s, session, req, response, deferred, id);
	} else {
		respond(response, 405, "GET, POST or DELETE");
	}
}

/* ------------------------------------------------------------------------ */
/* Simple registration (RFC 9176 section 5.1)                               */
/* ------------------------------------------------------------------------ */

struct rdd_simple {
	struct rdd_simple *next;
	int sent;		 /* the GET went out */
	coap_session_t *session; /* referenced */
	uint8_t token[8];
	struct rdd_params p;
	struct ti_strbuf body;
};

static void
simple_free(struct rdd_server *s, struct rdd_simple *x)
{
	struct rdd_simple **pp = &s->simple;

	while (*pp != x)
		pp = &(*pp)->next;
	*pp = x->next;
	coap_session_release(x->session);
	rdd_params_fini(&x->p);
	ti_strbuf_fini(&x->body);
	free(x);
}

static struct rdd_simple *
simple_find(struct rdd_server *s, coap_session_t *session, const coap_pdu_t *pdu)
{
	coap_bin_const_t tok = coap_pdu_get_token(pdu);

	for (struct rdd_simple *x = s->simple; x; x = x->next)
		if (x->session == session && tok.length == sizeof(x->token) &&
		    memcmp(tok.s, x->token, sizeof(x->token)) == 0)
			return x;
	return NULL;
}

static size_t
simple_count(const struct rdd_server *s, const coap_session_t *session, size_t *ret_same)
{
	size_t n = 0;

	*ret_same = 0;
	for (const struct rdd_simple *x = s->simple; x; x = x->next) {
		n++;
		*ret_same += x->session == session;
	}
	return n;
}

/* Ask the registrant for its links, over the session its request came on. */
static int
simple_fetch(struct rdd_server *s, coap_session_t *session, struct rdd_simple *x)
{
	coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, session);

	if (pdu == NULL)
		return -ENOMEM;
	ti_random(x->token, sizeof(x->token));
	coap_add_token(pdu, sizeof(x->token), x->token);
	coap_add_option(pdu, COAP_OPTION_URI_PATH, 11, (const uint8_t *)".well-known");
	coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"core");
	if (coap_send(session, pdu) == COAP_INVALID_MID)
		return TI_ECOAP;
	(void)s;
	return 0;
}

/* Send the GETs of the simple registrations answered since the last run. */
static void
simple_fire(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	struct rdd_server *s = data;

	(void)loop, (void)t;
	for (struct rdd_simple *x = s->simple, *next; x; x = next) {
		next = x->next;
		if (x->sent)
			continue;
		x->sent = 1;
		if (simple_fetch(s, x->session, x) < 0) {
			ti_log_warn("simple registration of '%s': cannot query /.well-known/core",
				    x->p.ep);
			simple_free(s, x);
		}
	}
}

static void
hnd_simple_post(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *req,
		const coap_string_t *query, coap_pdu_t *response)
{
	struct rdd_server *s = server_of(session);
	struct rdd_query q = { 0 };
	struct rdd_error e = { 0 };
	struct rdd_simple *x;
	enum ti_transport t;
	const struct sockaddr *src = request_source(session, &t);
	size_t len, off, total, same;
	const uint8_t *data;

	(void)resource, (void)query;
	if (coap_get_data_large(req, &len, &data, &off, &total) && len > 0) {
		respond(response, 400, "simple registration has no payload");
		return;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		respond(response, 500, "out of memory");
		return;
	}
	if (request_query(req, &q, &e) < 0 ||
	    rdd_simple_registration_check(&q, &s->pol, src, t, &x->p, &e) < 0) {
		respond_error(response, &e);
		free(x);
		goto out;
	}
	if (simple_count(s, session, &same) >= SIMPLE_MAX || same > 0) {
		respond(response, 503, "simple registration already under way, retry");
		rdd_params_fini(&x->p);
		free(x);
		goto out;
	}
	ti_strbuf_init(&x->body, s->pol.max_payload);
	x->session = coap_session_reference(session);
	x->next = s->simple;
	s->simple = x;
	/* RFC 9176 section 5.1: 2.04 now; the GET follows once this answer is out. */
	ti_timer_set(s->simple_timer, 1, 0);
	coap_pdu_set_code(response, COAP_RESPONSE_CODE(204));
out:
	rdd_query_fini(&q);
}

/* The registrant answered our GET /.well-known/core. */
static coap_response_t
on_response(coap_session_t *session, const coap_pdu_t *sent, const coap_pdu_t *received,
	    const coap_mid_t mid)
{
	struct rdd_server *s = server_of(session);
	struct rdd_simple *x = simple_find(s, session, received);
	struct ti_links links = { 0 };
	struct rdd_error e = { 0 };
	coap_block_b_t block;
	size_t len, off, total;
	const uint8_t *data;

	(void)sent, (void)mid;
	if (x == NULL)
		return COAP_RESPONSE_FAIL; /* libcoap answers a stray CON with RST */
	if (COAP_RESPONSE_CLASS(coap_pdu_get_code(received)) != 2) {
		ti_log_warn("simple registration of '%s': /.well-known/core answered %d.%02d",
			    x->p.ep, COAP_RESPONSE_CLASS(coap_pdu_get_code(received)),
			    coap_pdu_get_code(received) & 0x1f);
		simple_free(s, x);
		return COAP_RESPONSE_OK;
	}
	if (coap_get_data_large(received, &len, &data, &off, &total) && len > 0 &&
	    ti_strbuf_append(&x->body, data, len) < 0) {
		ti_log_warn("simple registration of '%s': /.well-known/core over max-payload",
			    x->p.ep);
		simple_free(s, x);
		return COAP_RESPONSE_OK;
	}
	if (coap_get_block_b(session, received, COAP_OPTION_BLOCK2, &block) && block.m)
		return COAP_RESPONSE_OK; /* libcoap asks for the next block */
	if (rdd_links_parse((const uint8_t *)ti_strbuf_str(&x->body), x->body.len,
			    option_uint(received, COAP_OPTION_CONTENT_FORMAT, RDD_CF_LINK_FORMAT),
			    &s->pol, &links, &e) < 0)
		ti_log_warn("simple registration of '%s': %s", x->p.ep, e.msg);
	else
		do_register(s, &x->p, &links, NULL, NULL);
	ti_links_fini(&links);
	simple_free(s, x);
	return COAP_RESPONSE_OK;
}

/* ------------------------------------------------------------------------ */
/* Session events                                                           */
/* ------------------------------------------------------------------------ */

static void
on_nack(coap_session_t *session, const coap_pdu_t *sent, const coap_nack_reason_t reason,
	const coap_mid_t mid)
{
	struct rdd_server *s = server_of(session);
	struct rdd_simple *x;

	(void)mid;
	if (reason == COAP_NACK_ICMP_ISSUE)
		return; /* transient; the retransmission goes on */
	if (sent == NULL)
		return;
	if ((x = simple_find(s, session, sent)) != NULL) {
		ti_log_warn("simple registration of '%s': no answer from the registrant", x->p.ep);
		simple_free(s, x);
		return;
	}
	rdd_observe_nack(s->obs, session, sent);
}

static int
on_event(coap_session_t *session, const coap_event_t event)
{
	struct rdd_server *s = server_of(session);

	if (event == COAP_EVENT_TCP_CLOSED || event == COAP_EVENT_TCP_FAILED ||
	    event == COAP_EVENT_SESSION_CLOSED || event == COAP_EVENT_SESSION_FAILED ||
	    event == COAP_EVENT_SERVER_SESSION_DEL) {
		rdd_observe_session_gone(s->obs, session);
		for (struct rdd_assembly *a = s->asm_head, *n; a; a = n) {
			n = a->next;
			if (a->session == session)
				asm_free(s, a);
		}
		for (struct rdd_simple *x = s->simple, *n; x; x = n) {
			n = x->next;
			if (x->session == session)
				simple_free(s, x);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Setup                                                                    */
/* ------------------------------------------------------------------------ */

static coap_resource_t *
add_resource(struct rdd_server *s, const char *path, const char *rt, coap_request_t method,
	     coap_method_handler_t h, enum rdd_view view)
{
	coap_resource_t *r = coap_resource_init(coap_make_str_const(path), 0);

	if (r == NULL)
		return NULL;
	coap_register_request_handler(r, method, h);
	if (rt != NULL) {
		coap_add_attr(r, coap_make_str_const("rt"), coap_make_str_const(rt), 0);
		coap_add_attr(r, coap_make_str_const("ct"), coap_make_str_const("\"40 50\""), 0);
	}
	coap_resource_set_userdata(r, (void *)(intptr_t)view);
	coap_add_resource(s->ctx, r);
	return r;
}

int
rdd_handlers_init(struct rdd_server *s)
{
	coap_resource_t *u;

	if ((s->simple_timer = ti_timer_new(s->loop, simple_fire, s)) == NULL ||
	    (s->commit_timer = ti_timer_new(s->loop, commit_fire, s)) == NULL)
		return -ENOMEM;
	if (add_resource(s, "rd", "\"core.rd\"", COAP_REQUEST_POST, hnd_rd_post, 0) == NULL ||
	    add_resource(s, ".well-known/rd", NULL, COAP_REQUEST_POST, hnd_simple_post, 0) ==
		NULL ||
	    add_resource(s, "rd-lookup/ep", "\"core.rd-lookup-ep\"", COAP_REQUEST_GET,
			 hnd_lookup_get, RDD_VIEW_LOOKUP_EP) == NULL ||
	    add_resource(s, "rd-lookup/res", "\"core.rd-lookup-res\"", COAP_REQUEST_GET,
			 hnd_lookup_get, RDD_VIEW_LOOKUP_RES) == NULL)
		return -ENOMEM;
	u = coap_resource_unknown_init2(hnd_unknown, 0);
	if (u == NULL)
		return -ENOMEM;
	coap_register_request_handler(u, COAP_REQUEST_GET, hnd_unknown);
	coap_register_request_handler(u, COAP_REQUEST_POST, hnd_unknown);
	coap_register_request_handler(u, COAP_REQUEST_DELETE, hnd_unknown);
	coap_register_request_handler(u, COAP_REQUEST_FETCH, hnd_unknown);
	coap_register_request_handler(u, COAP_REQUEST_PATCH, hnd_unknown);
	coap_register_request_handler(u, COAP_REQUEST_IPATCH, hnd_unknown);
	coap_add_resource(s->ctx, u);
	s->unknown = u;
	coap_register_response_handler(s->ctx, on_response);
	coap_register_nack_handler(s->ctx, on_nack);
	coap_register_event_handler(s->ctx, on_event);
	return 0;
}

void
rdd_handlers_fini(struct rdd_server *s)
{
	rdd_server_flush(s);
	while (s->pending != NULL) {
		struct rdd_pending *p = s->pending;
		s->pending = p->next;
		free(p); /* libcoap frees the asyncs with the context */
	}
	ti_timer_free(s->commit_timer);
	s->commit_timer = NULL;
	ti_timer_free(s->simple_timer);
	s->simple_timer = NULL;
	while (s->simple != NULL)
		simple_free(s, s->simple);
	while (s->asm_head != NULL)
		asm_free(s, s->asm_head);
}
