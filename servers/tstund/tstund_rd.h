/* SPDX-License-Identifier: BSD-2-Clause */
/* tstund: registration of the reflexive resource with a Resource Directory (RFC 9176). */
#ifndef TSTUND_RD_H
#define TSTUND_RD_H

#include <stdint.h>

#include <coap3/coap.h>

struct ti_loop;
struct tstund_rd;

/** What to register; strings are copied. */
struct tstund_rd_params {
	const char *rd;	      /**< RD URI; its path (default /rd) is the registration interface */
	const char *endpoint; /**< ep */
	const char *base;     /**< base, or NULL for the source address */
	uint64_t lifetime;    /**< lt in seconds */
	const char *links;    /**< link-format payload */
	/**
	 * Local addresses to send from, by family (the first of the RD's family
	 * is used), so that the RD sees tstund's own port as the source and the
	 * default base is right. NULL or empty: an ephemeral port.
	 */
	const struct sockaddr_storage *locals;
	size_t n_locals;
};

/**
 * Create the registration client. It owns ctx's response and NACK handlers.
 * @return the client (free with tstund_rd_free()), or NULL on OOM.
 */
struct tstund_rd *tstund_rd_new(coap_context_t *ctx, struct ti_loop *loop);

/**
 * Register with these parameters, or stop registering when params is NULL.
 * A registration held under other parameters is removed first (best effort).
 * Failures are retried with backoff, and logged; the caller never waits.
 * @return 0, TI_EPARSE (RD URI), -ENOMEM.
 */
int tstund_rd_set(struct tstund_rd *rd, const struct tstund_rd_params *params);

/** The registration resource ("/reg/1"), or NULL while not registered. */
const char *tstund_rd_location(const struct tstund_rd *rd);

/** Called when the removal begun by tstund_rd_stop() is answered or has failed. */
typedef void tstund_rd_done_fn(void *arg);

/**
 * Begin removing the registration (graceful stop); no new ones are made.
 * @return 1 when a DELETE is under way (done will be called), 0 when there
 *         is nothing to remove.
 */
int tstund_rd_stop(struct tstund_rd *rd, tstund_rd_done_fn *done, void *arg);

/** Free the client at once (pending requests are dropped). NULL is ignored. */
void tstund_rd_free(struct tstund_rd *rd);

#endif /* TSTUND_RD_H */
