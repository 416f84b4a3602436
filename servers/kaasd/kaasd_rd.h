/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: following subscribers' registrations in the RD (Observe on endpoint lookups). */
#ifndef KAASD_RD_H
#define KAASD_RD_H

struct ti_loop;
struct kaasd_rd;

/** Called when ep's registration, once seen, is no longer in the RD. */
typedef void kaasd_rd_gone_fn(const char *ep, void *arg);

/**
 * Create the watcher for the RD at rd_uri (coap:// or coap+tcp://; the
 * lookup is <scheme>://<host>:<port>/rd-lookup/ep, or the path the RD's
 * /.well-known/core names with rt=core.rd-lookup-ep). It has its own libcoap
 * context, attached to loop.
 * @return the watcher, or NULL with err set.
 */
struct kaasd_rd *kaasd_rd_new(struct ti_loop *loop, const char *rd_uri, kaasd_rd_gone_fn *gone,
			      void *arg, char *err, size_t errlen);

/**
 * Observe GET <lookup>?ep=<ep>. While ep has never been seen in a result,
 * nothing happens; once seen, a result without it calls gone(ep) once and
 * the observation ends. Idempotent; failures are retried with backoff.
 * @return 0 or -ENOMEM.
 */
int kaasd_rd_watch(struct kaasd_rd *rd, const char *ep);

/** Stop observing ep (deregisters the observation). Unknown ep: nothing. */
void kaasd_rd_unwatch(struct kaasd_rd *rd, const char *ep);

/** Number of eps watched. */
unsigned kaasd_rd_count(const struct kaasd_rd *rd);

/** Free (observations are cancelled best effort). NULL is ignored. */
void kaasd_rd_free(struct kaasd_rd *rd);

#endif /* KAASD_RD_H */
