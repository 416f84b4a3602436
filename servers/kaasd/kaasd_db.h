/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: subscription storage (SQLite through ti_store); the only file that knows SQL. */
#ifndef KAASD_DB_H
#define KAASD_DB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ti_store.h"

struct kaasd_db;

/** The compiled-in schema migrations (kept equal to db/kaasd.sql by a unit test). */
extern const struct ti_store_migration kaasd_migrations[];
/** Number of entries in kaasd_migrations[]. */
extern const size_t kaasd_n_migrations;

/** One subscription as stored. */
struct kaasd_db_sub {
	int64_t id;			  /**< stable; /kaas/<id> */
	const char *ep;			  /**< borrowed (owned by the caller or the db row) */
	struct sockaddr_storage peer;	  /**< the candidate: device's address:port as seen */
	struct sockaddr_storage local;	  /**< kaasd's address:port the device sent to */
	int64_t created;		  /**< Unix s */
	int64_t expires;		  /**< Unix s */
	uint32_t interval;		  /**< keepalive interval, s */
	uint8_t ttl_hint;		  /**< device's initial TTL from the request; 0 none */
	uint8_t recv_ttl;		  /**< TTL the subscribe request arrived with; 0 unknown */
	uint8_t ka_ttl;			  /**< discovered keepalive TTL; 0 not yet */
	uint8_t nat_hops;		  /**< hops to the NAT; 0 unknown */
};

/**
 * Open (creating and migrating) the database. It is locked exclusively
 * while open: a second kaasd on the same file fails.
 * @param sync  enum ti_store_sync.
 * @return 0, or -EBUSY (locked), -EACCES, -EROFS, -ENOENT, TI_EDB, with err set.
 */
int kaasd_db_open(const char *path, int sync, struct kaasd_db **ret_db, char *err, size_t errlen);
/** Close. NULL is ignored. */
void kaasd_db_close(struct kaasd_db *db);

/**
 * Insert or replace the subscription of s->ep (keyed by ep): an existing
 * row keeps its id and created time, every other field is replaced. The
 * s->id passed in is ignored; ids are never reused. local needs a port.
 * @param[in,out] s  s->id is set to the row's id.
 * @return 0 or an error code.
 */
int kaasd_db_put(struct kaasd_db *db, struct kaasd_db_sub *s);

/** Store the result of discovery. @return 0, -ENOENT, or an error code. */
int kaasd_db_set_path(struct kaasd_db *db, int64_t id, uint8_t ka_ttl, uint8_t nat_hops);

/** Remove one. @return 0, -ENOENT, or an error code. */
int kaasd_db_delete(struct kaasd_db *db, int64_t id);

/** Called for every stored subscription; s and its strings live for the call only. */
typedef int kaasd_db_load_fn(const struct kaasd_db_sub *s, void *arg);
/** Visit every row in id order; a non-zero return of fn stops and is returned. fn must
 * not call kaasd_db_*(). */
int kaasd_db_load(struct kaasd_db *db, kaasd_db_load_fn *fn, void *arg);

/** Group many puts into one transaction (bulk loads, the benchmark's populate);
 * -EBUSY when one is open already, -EINVAL to commit none. */
int kaasd_db_begin(struct kaasd_db *db);
int kaasd_db_commit(struct kaasd_db *db);

/** Number of rows; -1 on error. */
int64_t kaasd_db_count(struct kaasd_db *db);

/** PRAGMA integrity_check. @return 0 or TI_EDB with err set. */
int kaasd_db_check(struct kaasd_db *db, char *err, size_t errlen);

#endif /* KAASD_DB_H */
