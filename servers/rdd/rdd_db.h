/* SPDX-License-Identifier: BSD-2-Clause */
/* rdd: RFC 9176 registrations in SQLite: register, update, remove, expire, lookups. */
#ifndef RDD_DB_H
#define RDD_DB_H

#include <stddef.h>
#include <stdint.h>

#include "ti_store.h"

/*
 * The only module of rdd that knows SQL. One struct rdd_db is one SQLite
 * connection used from rdd's event loop thread. Every change runs in its
 * own transaction and the function returns after COMMIT, so with
 * synchronous FULL a change is on disk before rdd answers the request.
 *
 * Times are CLOCK_REALTIME milliseconds (expires_ms, now_ms), so that a
 * registration keeps its remaining lifetime across restarts.
 *
 * Callbacks (rdd_db_reg_fn, rdd_db_link_fn, rdd_db_ep_fn) run while the
 * database is being read or changed: they must not call rdd_db_*() on the
 * same struct rdd_db.
 */

struct rdd_db;
struct ti_links;
struct ti_link;

/**
 * The compiled-in schema steps (rdd_schema.c), versions 1..N ascending, for
 * ti_store_open(); db/rdd.sql is the concatenation of their SQL. The last
 * version is the database's PRAGMA user_version.
 */
extern const struct ti_store_migration rdd_migrations[];
/** Number of entries in rdd_migrations[]. */
extern const size_t rdd_n_migrations;

/** One registration (RFC 9176 section 5). */
struct rdd_reg {
	int64_t id;	    /**< registration id (> 0), names the resource /reg/<id> */
	char *ep;	    /**< endpoint name, never empty */
	char *d;	    /**< sector; "" when absent */
	char *base;	    /**< absolute base URI the links are resolved against */
	int base_explicit;  /**< 1: base came from the request; 0: the source address */
	uint32_t lt;	    /**< lifetime in seconds */
	char *et;	    /**< endpoint types, space-separated; NULL when absent */
	char *attrs;	    /**< other registration attributes as link-format parameters
				 without leading ';' (e.g. `proto="coap";foo`); "" when none */
	int64_t expires_ms; /**< CLOCK_REALTIME ms at which it expires */
	char *links;	    /**< the link-format payload as registered (targets as given) */
};

/**
 * Free the strings of reg and zero it. NULL-safe and idempotent; only for a
 * struct filled by rdd_db_get() or zero-initialised and filled with heap
 * strings by the caller.
 */
void rdd_reg_fini(struct rdd_reg *reg);

/** Size of the SQLite page cache of one struct rdd_db, in KiB (bounds RSS). */
#define RDD_DB_CACHE_KIB 65536

/**
 * Open (creating it if needed) the registration database and bring its
 * schema up to date (rdd_migrations[]); WAL for file databases,
 * cache_size RDD_DB_CACHE_KIB, statements prepared once.
 *
 * @param[in] path          file name, or ":memory:" (tests); borrowed.
 * @param[in] synchronous   enum ti_store_sync; TI_STORE_SYNC_FULL makes every
 *                          committed change durable.
 * @param[out] ret_db       written on success only; caller frees with rdd_db_close().
 * @param[out] reterr       optional; the reason, on failure.
 * @return 0; -EINVAL; TI_EDB (newer schema, damaged file, failed migration);
 *         -errno from opening the file; -ENOMEM; other ti_store_open() codes.
 */
int rdd_db_open(const char *path, int synchronous, struct rdd_db **ret_db,
		struct ti_store_error *reterr);

/** Finalize everything and close the database. NULL is ignored. */
void rdd_db_close(struct rdd_db *db);

/**
 * Register, or re-register on the same (ep, d): the registration keeps its
 * id, every field and link is replaced. Each link is indexed with its
 * target and anchor resolved against reg->base (RFC 9176 section 6), every
 * attribute as one row, list attributes (rt, if, rel, rev, ct, and et) also
 * per space-separated token.
 *
 * @param[in] reg    borrowed; uses ep (non-empty), d (NULL = ""), base
 *                   (absolute URI), base_explicit, lt, et (may be NULL),
 *                   attrs (NULL = ""), expires_ms and links (the payload
 *                   text); id is ignored.
 * @param[in] links  borrowed; reg->links parsed (rdd parsed and checked it).
 * @param[out] ret_id       optional; the registration id.
 * @param[out] ret_created  optional; 1 if a new registration was created,
 *                          0 if an existing one (possibly expired but not yet
 *                          removed) was replaced.
 * @return 0 after COMMIT; -EINVAL (missing ep, base or links); TI_EPARSE (a
 *         base, target or anchor that does not resolve, or unparsable attrs);
 *         TI_EDB, -EIO, -ENOSPC, -EBUSY, -ENOMEM: nothing was changed.
 */
int rdd_db_register(struct rdd_db *db, const struct rdd_reg *reg, const struct ti_links *links,
		    int64_t *ret_id, int *ret_created);

/**
 * Registration update (RFC 9176 section 5.3.1): renews the lifetime
 * (expires_ms = now_ms + lt * 1000 with the new or kept lt) and changes
 * what is given. A new base re-resolves every link.
 *
 * Refinement of the signature: base_explicit travels with base,
 * because rdd also moves an implicit base to a new source address, and that
 * must stay implicit.
 *
 * @param[in] lt             NULL keeps the lifetime.
 * @param[in] base           NULL keeps the base (and base_explicit).
 * @param[in] base_explicit  stored with base; ignored when base is NULL.
 * @param[in] et             NULL keeps; "" removes; otherwise replaces the
 *                           endpoint types (space-separated).
 * @param[in] attrs          NULL keeps; otherwise replaces the whole extra
 *                           attribute string (rdd merges old and new first).
 * @param[in] now_ms         CLOCK_REALTIME ms.
 * @return 0 after COMMIT; -ENOENT if absent or expired (expires_ms <= now_ms);
 *         TI_EPARSE (base does not resolve, attrs unparsable); TI_EDB, -EIO, ...
 */
int rdd_db_update(struct rdd_db *db, int64_t id, const uint32_t *lt, const char *base,
		  int base_explicit, const char *et, const char *attrs, int64_t now_ms);

/**
 * Remove a registration and its links.
 * @return 0 after COMMIT; -ENOENT if there is none (expired ones are still
 *         there until rdd_db_expire()); TI_EDB, -EIO, ...
 */
int rdd_db_remove(struct rdd_db *db, int64_t id);

/**
 * Read one registration.
 * @param[out] ret  written on success only; the caller frees its strings
 *                  with rdd_reg_fini().
 * @return 0; -ENOENT if absent or expired (expires_ms <= now_ms); -ENOMEM;
 *         TI_EDB, -EIO, ...
 */
int rdd_db_get(struct rdd_db *db, int64_t id, int64_t now_ms, struct rdd_reg *ret);

/**
 * Find the registration of (ep, d), expired or not.
 * @param[in] d        NULL or "" for no sector.
 * @param[out] ret_id  written on success only.
 * @return 0; -ENOENT; TI_EDB, ...
 */
int rdd_db_find(struct rdd_db *db, const char *ep, const char *d, int64_t *ret_id);

/**
 * Group commit. Between rdd_db_batch_begin() and rdd_db_batch_commit(),
 * register, update, remove and expire each run in a savepoint of one open
 * transaction (a failed change is undone alone) and return before anything
 * is durable; rdd_db_batch_commit() makes them all durable with one COMMIT
 * (one fsync with synchronous FULL). Reads on this connection see the
 * uncommitted changes. rdd answers the requests of a group only after the
 * commit.
 * @return 0; TI_EDB, -EIO, -ENOSPC, -EBUSY ... (begin: nothing opened;
 *         commit: the whole group was rolled back).
 */
int rdd_db_batch_begin(struct rdd_db *db);
/** See rdd_db_batch_begin(); without an open group, 0. */
int rdd_db_batch_commit(struct rdd_db *db);
/**
 * One read transaction around several reads (a lookup reads a few
 * statements): one snapshot, and the per-transaction file checks once.
 * Inside an open group it does nothing. Only reads between them.
 * @return 0 or a ti_store_step() error.
 */
int rdd_db_read_begin(struct rdd_db *db);
/** End what rdd_db_read_begin() began. */
void rdd_db_read_end(struct rdd_db *db);

/** Whether a group is open. */
int rdd_db_batch_open(const struct rdd_db *db);

/** Number of stored registrations, expired ones not yet removed included. @return 0, TI_EDB, ...
 */
int rdd_db_count(struct rdd_db *db, int64_t *ret);

/** Called for a registration about to be removed; reg is borrowed for the call. */
typedef void rdd_db_reg_fn(void *arg, const struct rdd_reg *reg);

/**
 * Remove every registration with expires_ms <= now_ms, in one transaction,
 * calling fn (if not NULL) for each before it is removed, in expiry order.
 * fn is called before COMMIT: if the commit fails, nothing was removed
 * although fn saw it (rdd then retries at the next timer).
 * @return the number removed (>= 0) after COMMIT; TI_EDB, -EIO, -ENOMEM, ...
 */
int rdd_db_expire(struct rdd_db *db, int64_t now_ms, rdd_db_reg_fn *fn, void *arg);

/**
 * The earliest expires_ms of all registrations, for rdd's one expiry timer.
 * @param[out] ret_ms  written on success only.
 * @return 0; -ENOENT when there are none; TI_EDB, ...
 */
int rdd_db_next_expiry(struct rdd_db *db, int64_t *ret_ms);

/**
 * Change counter for observers: incremented by every commit that can
 * change a lookup result (register, remove, expire, and an update that
 * changes lt, base or attrs). A bare lifetime renewal does not count: it
 * is the most frequent request and changes no result. Starts at 1 on
 * open; it is not persistent (observers are not either).
 */
uint64_t rdd_db_generation(const struct rdd_db *db);

/** One lookup filter, a query parameter name=pattern (RFC 9176 section 6). */
struct rdd_filter {
	const char *name;    /**< attribute name, case-insensitive; not page/count */
	const char *pattern; /**< NULL: the attribute is present; "x*": prefix; else equality */
};

/** One result of a resource lookup; everything is borrowed for the callback. */
struct rdd_db_link {
	const struct rdd_reg *reg;  /**< the registration (reg->links: the whole payload) */
	size_t n;		    /**< position of the link in the payload, from 0 */
	const struct ti_link *link; /**< the link as registered: target and anchor as
					 given, every attribute in order */
	const char *href;	    /**< the target resolved against reg->base */
	const char *anchor;	    /**< the anchor resolved against reg->base; when the
					 link has none, reg->base resolved (RFC 9176
					 section 6 returns it as anchor) */
	int anchor_explicit;	    /**< 1 if the link carried an anchor attribute */
};

/**
 * Resource lookup result callback.
 * @return 0 to go on, > 0 to stop (the lookup returns what it counted),
 *         < 0 to stop with that error.
 */
typedef int rdd_db_link_fn(void *arg, const struct rdd_db_link *l);

/** Endpoint lookup result callback; same returns as rdd_db_link_fn. */
typedef int rdd_db_ep_fn(void *arg, const struct rdd_reg *reg);

/**
 * Resource lookup (GET /rd-lookup/res): every link of a live registration
 * that passes all filters, ordered by (registration id, link position).
 *
 * A filter passes a link when the link has a matching attribute or its
 * registration has one (ep, d, base, lt, et, extra attributes): so ep=
 * or d= restricts the result to those registrations. href and anchor
 * compare with the resolved absolute URIs. List attributes (rt, if, rel,
 * rev, ct, et) match their whole value or any one space-separated token.
 * Unknown names match nothing. Matching is case-sensitive on values,
 * case-insensitive on names.
 *
 * @param[in] f       n filters, borrowed; NULL when n is 0.
 * @param[in] now_ms  registrations with expires_ms <= now_ms are skipped.
 * @param[in] page, count  skip page * count results and return at most
 *                    count; count 0: no limit (page is then ignored).
 * @return the number of results passed to fn; -EINVAL (NULL fn or filter
 *         name); a negative fn return; TI_EDB, -ENOMEM, ...
 */
int rdd_db_lookup_res(struct rdd_db *db, const struct rdd_filter *f, size_t n, int64_t now_ms,
		      uint32_t page, uint32_t count, rdd_db_link_fn *fn, void *arg);

/**
 * Endpoint lookup (GET /rd-lookup/ep): every live registration, in id order,
 * that passes all filters. A filter passes a registration when one of its
 * own attributes or an attribute of any of its links matches (RFC 9176
 * section 6: an endpoint lookup by a resource attribute returns the
 * endpoints having such a link); each filter may be met by a different
 * link. href compares with the resolved link targets: matching the
 * registration resource path (/reg/<id>) is rdd's business.
 * The rest as rdd_db_lookup_res().
 */
int rdd_db_lookup_ep(struct rdd_db *db, const struct rdd_filter *f, size_t n, int64_t now_ms,
		     uint32_t page, uint32_t count, rdd_db_ep_fn *fn, void *arg);

#endif /* RDD_DB_H */
