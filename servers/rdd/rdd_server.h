/* SPDX-License-Identifier: BSD-2-Clause */
/* rdd: the running Resource Directory: state shared by handlers, observers and main. */
#ifndef RDD_SERVER_H
#define RDD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <coap3/coap.h>

#include "ti_linkfmt.h"

#include "rdd_registry.h"

struct rdd_conf;
struct rdd_db;
struct rdd_observers;
struct rdd_simple;
struct ti_loop;
struct ti_timer;

/*
 * One rdd process: one libcoap context, one database connection, one loop
 * thread. Handlers (rdd_handlers.c) validate with rdd_registry, change the
 * database with rdd_db and then call rdd_server_changed(); that schedules
 * one pass over the observed queries (rdd_observe.c) at the end of the
 * current loop iteration, so a burst of changes costs one re-evaluation.
 */
struct rdd_server {
	struct ti_loop *loop;
	coap_context_t *ctx;
	struct rdd_db *db;
	const struct rdd_conf *conf; /* the current one; replaced on reload */
	struct rdd_policy pol;
	int64_t n_regs; /* registrations stored, expired ones not yet removed included */
	struct ti_timer *expiry_timer;
	int64_t expiry_armed_ms; /* wall clock ms the expiry timer is set for; 0: none */
	struct ti_timer *notify_timer;
	int notify_pending;
	struct rdd_observers *obs;
	struct rdd_simple *simple; /* simple registrations waiting for /.well-known/core */
	struct ti_timer *simple_timer;
	coap_resource_t *unknown;  /* /reg/<id> and every path that is not ours */
	struct rdd_assembly *asm_head; /* Block1 bodies being received */
	int group_commit;		/* answer changes after a shared COMMIT */
	struct ti_timer *commit_timer;
	struct rdd_pending *pending; /* parked requests, newest first */
	size_t n_pending;	     /* of them not yet committed */
	size_t asm_bytes;
};

/** Wall clock (CLOCK_REALTIME) milliseconds: registrations expire by it. */
int64_t rdd_wall_ms(void);

/** A registration change was committed: re-arm expiry, notify observers soon. */
void rdd_server_changed(struct rdd_server *s);

/** Commit the open group (if any) and release the requests waiting for it. @return 0 or the commit's error. */
int rdd_server_flush(struct rdd_server *s);

/** Re-arm the expiry timer to the earliest registration expiry. */
void rdd_server_arm_expiry(struct rdd_server *s);

/* ------------------------------------------------------------------------ */
/* Rendering (rdd_render.c): what a GET answers, for handlers and observers. */
/* ------------------------------------------------------------------------ */

/** Which representation a GET asks for. */
enum rdd_view {
	RDD_VIEW_REG,	     /**< GET /reg/<id>: the links as registered */
	RDD_VIEW_LOOKUP_EP,  /**< GET /rd-lookup/ep */
	RDD_VIEW_LOOKUP_RES, /**< GET /rd-lookup/res */
};

/**
 * Render the answer to a GET: on success the body in out (content format
 * cf: RDD_CF_LINK_FORMAT or RDD_CF_JSON) and 0; on a client error the code
 * and diagnostic in reterr and a negative value (-ENOENT: 4.04 for a
 * registration that is gone).
 *
 * @param[in] q   the request's query, borrowed (lookups; ignored for REG).
 * @param[in] id  the registration (REG only).
 */
int rdd_render(struct rdd_server *s, enum rdd_view view, const struct rdd_query *q, int64_t id,
	       unsigned cf, struct ti_strbuf *out, struct rdd_error *reterr);

/* ------------------------------------------------------------------------ */
/* Observers (rdd_observe.c)                                                */
/* ------------------------------------------------------------------------ */

/** Create the observer registry. @return NULL on OOM. */
struct rdd_observers *rdd_observers_new(struct rdd_server *s);
/** Release every observer (their sessions too) and the registry. NULL-safe. */
void rdd_observers_free(struct rdd_observers *o);
/** Apply new caps (reload); existing observers stay. */
void rdd_observers_set_limits(struct rdd_observers *o, uint32_t max_total, uint32_t max_per_peer);

/**
 * A GET with Observe: 0 was answered with a 2.05 whose body hashes to
 * hash: register (or refresh) the observer.
 * @param[out] ret_seq  the Observe value to put in the response.
 * @return 1 registered; 0 refused (caps: answer without Observe); -ENOMEM.
 */
int rdd_observe_add(struct rdd_observers *o, coap_session_t *session, const coap_pdu_t *request,
		    enum rdd_view view, const struct rdd_query *q, int64_t id, unsigned cf,
		    uint64_t hash, uint32_t *ret_seq);

/** A GET with Observe: 1 (or any GET reusing the token): forget that observer. */
void rdd_observe_cancel(struct rdd_observers *o, coap_session_t *session, const coap_pdu_t *request);

/** Forget every observer whose token is in pdu (RST, failed CON). */
void rdd_observe_nack(struct rdd_observers *o, coap_session_t *session, const coap_pdu_t *sent);

/** The session closed or failed: forget its observers. */
void rdd_observe_session_gone(struct rdd_observers *o, coap_session_t *session);

/** Re-evaluate every observed query and notify those whose result changed. */
void rdd_observe_run(struct rdd_observers *o);

/** Number of observers. */
size_t rdd_observe_count(const struct rdd_observers *o);

/** Largest block size exponent (RFC 7959: 16 << szx bytes, at most 1024) that fits the session's PDUs. */
unsigned rdd_block_szx(coap_session_t *session);

/** 64-bit FNV-1a of a response (code and body), to see whether a result changed. */
uint64_t rdd_result_hash(int code, unsigned cf, const void *body, size_t len);

/* ------------------------------------------------------------------------ */
/* Handlers (rdd_handlers.c)                                                */
/* ------------------------------------------------------------------------ */

/** Create the resources and register the libcoap handlers. @return 0 or -ENOMEM. */
int rdd_handlers_init(struct rdd_server *s);
/** Drop pending simple registrations and partial bodies. */
void rdd_handlers_fini(struct rdd_server *s);

#endif /* RDD_SERVER_H */
