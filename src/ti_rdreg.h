/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: registration with an RFC 9176 Resource Directory (register, refresh, remove). */
#ifndef TI_RDREG_H
#define TI_RDREG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <coap3/coap.h>

struct ti_loop;
struct ti_rdreg;

/** What to register; ti_rdreg_set() copies everything. */
struct ti_rdreg_params {
	const char *rd;	      /**< RD URI; its path (default /rd) is the registration interface */
	const char *endpoint; /**< ep */
	const char *base;     /**< base, or NULL for the source address */
	uint64_t lifetime;    /**< lt in seconds; the registration is refreshed at 3/4 of it */
	const char *links;    /**< link-format payload (content format 40) */
	/**
	 * Local addresses to send from, by family (the first of the RD's family
	 * is used; UDP only), so that the RD sees the daemon's own port as the
	 * source and the default base is right. The daemon's socket on that
	 * port must have SO_REUSEADDR, as libcoap's has. NULL or empty: an
	 * ephemeral port. At most 4 are kept.
	 */
	const struct sockaddr_storage *locals;
	size_t n_locals; /**< entries in locals */
};

/**
 * Create the registration client. It installs ctx's response and NACK
 * handlers (libcoap has one of each per context), so ctx must not carry
 * other client traffic; server endpoints on ctx are fine.
 * @param[in] ctx   borrowed; must outlive the client.
 * @param[in] loop  borrowed, for the refresh and retry timer; must outlive the client.
 * @return the client (free with ti_rdreg_free()), or NULL on OOM.
 */
struct ti_rdreg *ti_rdreg_new(coap_context_t *ctx, struct ti_loop *loop);

/**
 * Register with these parameters, or stop registering when params is NULL.
 * Setting the parameters already in use does nothing (the registration
 * stays). A registration held under other parameters is removed first
 * (best effort). Failures (no answer, 4.xx/5.xx, a name that does not
 * resolve) are retried with backoff from 5 s doubling to 5 min, and logged
 * at warning; the caller never waits.
 * @param[in] params  borrowed for the call, or NULL.
 * @return 0, TI_EPARSE (RD URI), -ENOMEM.
 */
int ti_rdreg_set(struct ti_rdreg *rd, const struct ti_rdreg_params *params);

/**
 * The registration resource ("/reg/1").
 * @return borrowed (valid until the next change of state), or NULL while not registered.
 */
const char *ti_rdreg_location(const struct ti_rdreg *rd);

/** Called when the removal begun by ti_rdreg_stop() is answered or has failed. */
typedef void ti_rdreg_done_fn(void *arg);

/**
 * Begin removing the registration (graceful stop); no new ones are made
 * until the next ti_rdreg_set().
 * @return 1 when a DELETE is under way (done will be called from the loop),
 *         0 when there is nothing to remove (done is not called).
 */
int ti_rdreg_stop(struct ti_rdreg *rd, ti_rdreg_done_fn *done, void *arg);

/** Free the client at once (pending requests are dropped). NULL is ignored. */
void ti_rdreg_free(struct ti_rdreg *rd);

#endif /* TI_RDREG_H */
