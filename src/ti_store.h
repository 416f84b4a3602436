/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: SQLite store: open, pragmas, user_version migrations, statements, transactions. */
#ifndef TI_STORE_H
#define TI_STORE_H

#include <stddef.h>
#include <stdint.h>

/*
 * ti_store knows SQLite but no schema: the daemon's *_db.c owns every SQL
 * string and binds/reads columns with the sqlite3_bind_*() and
 * sqlite3_column_*() API on the statements prepared here. SQLite result codes
 * are mapped to ti codes (0, -errno, TI_E*) by this module only.
 *
 * A store is one connection used from one thread (the daemon's event loop).
 */

struct ti_store;
struct sqlite3_stmt; /* sqlite3_stmt from <sqlite3.h> */

/** PRAGMA synchronous levels; the values index ti_store_sync_names[]. */
enum ti_store_sync {
	TI_STORE_SYNC_OFF = 0, /**< no fsync at all: a crash may lose or corrupt */
	TI_STORE_SYNC_NORMAL,  /**< WAL: a power loss may lose the last commits */
	TI_STORE_SYNC_FULL,    /**< WAL: fsync at every commit (default) */
	TI_STORE_SYNC_EXTRA,   /**< FULL plus a directory sync (matters in rollback mode only) */
};

/**
 * "off", "normal", "full", "extra", NULL: the names of enum ti_store_sync in
 * order, usable as the choices of a TI_CONF_ENUM directive whose int field is
 * then passed as ti_store_opts.synchronous.
 */
extern const char *const ti_store_sync_names[];

/** Default busy timeout: how long a statement waits for another connection's lock. */
#define TI_STORE_BUSY_TIMEOUT_MS 1000

/** Options of ti_store_open(). */
struct ti_store_opts {
	int synchronous;	  /**< enum ti_store_sync */
	unsigned busy_timeout_ms; /**< 0: fail at once with -EBUSY when locked */
	int read_only;		  /**< open read-only; never create, never migrate */
};

/**
 * The defaults, also used when ti_store_open() gets opts NULL. Note that a
 * zeroed struct ti_store_opts means synchronous OFF and no busy timeout.
 */
#define TI_STORE_OPTS_INIT                                                                        \
	{                                                                                         \
		.synchronous = TI_STORE_SYNC_FULL, .busy_timeout_ms = TI_STORE_BUSY_TIMEOUT_MS,   \
		.read_only = 0                                                                    \
	}

/**
 * One schema step, compiled into the program. Step N turns a version N-1
 * database into a version N one. sql may hold several statements, but no
 * BEGIN, COMMIT or SAVEPOINT: the steps run inside ti_store_open()'s own
 * transaction, with foreign key enforcement off (SQLite's ALTER TABLE
 * procedure) and a foreign_key_check before the commit.
 */
struct ti_store_migration {
	int version;	 /**< > 0, strictly ascending in the array */
	const char *sql; /**< borrowed; only used during ti_store_open() */
};

/** Why ti_store_open() or ti_store_integrity_check() failed. */
struct ti_store_error {
	char msg[256]; /**< e.g. "database schema version 5 is newer than this program (3)" */
};

/**
 * Open (creating it unless read-only) the database at path and bring its
 * schema up to date.
 *
 * Sets journal_mode=WAL (file databases, not read-only ones), synchronous,
 * busy_timeout, and turns off SQLite's double-quoted string literals. Then it
 * reads PRAGMA user_version: a version newer than the last migration fails;
 * otherwise every migration with a larger version than the database's runs,
 * all in one BEGIN IMMEDIATE transaction that also sets user_version to the
 * last one, and a failure rolls all of them back. Foreign keys are enforced
 * afterwards (PRAGMA foreign_keys=ON).
 *
 * @param[in] path          file name, or ":memory:" for a private in-memory
 *                          database (unit tests); borrowed.
 * @param[in] opts          borrowed; NULL for TI_STORE_OPTS_INIT.
 * @param[in] migrations    n_migrations steps in ascending version order;
 *                          borrowed; may be NULL when n_migrations is 0.
 * @param[out] ret_store    the open store (caller frees with
 *                          ti_store_close()), written on success only.
 * @param[out] reterr       optional (NULL); the reason, written on failure.
 * @return 0 on success;
 *         -EINVAL for bad opts or migrations (not ascending, version <= 0);
 *         TI_EDB if the schema is newer than the program, a migration fails,
 *         WAL cannot be enabled or the file is not a database;
 *         -EROFS if a read-only database needs migrations;
 *         -errno when the file cannot be opened (e.g. -ENOENT, -EACCES);
 *         -ENOMEM; any other ti_store_map() code.
 */
int ti_store_open(const char *path, const struct ti_store_opts *opts,
		  const struct ti_store_migration *migrations, size_t n_migrations,
		  struct ti_store **ret_store, struct ti_store_error *reterr);

/**
 * Finalize every statement prepared through the store and close the
 * connection. An open transaction is rolled back. NULL is ignored.
 * Statements obtained from ti_store_prepare() are invalid afterwards.
 */
void ti_store_close(struct ti_store *store);

/**
 * Prepare exactly one SQL statement. The store keeps track of it and
 * finalizes it in ti_store_close(), so a daemon prepares its statements
 * once after opening and reuses them (bind, ti_store_step(), ...).
 *
 * @param[in] sql        one statement (a trailing ';' and space are fine).
 * @param[out] ret_stmt  borrowed from the store, valid until
 *                       ti_store_finalize() or ti_store_close(); written on
 *                       success only.
 * @return 0; -EINVAL if sql is empty or holds more than one statement;
 *         TI_EDB (syntax error, unknown table: see ti_store_errmsg());
 *         -ENOMEM; other ti_store_map() codes.
 */
int ti_store_prepare(struct ti_store *store, const char *sql, struct sqlite3_stmt **ret_stmt);

/**
 * Finalize a statement from ti_store_prepare() before ti_store_close(), for
 * statements built at run time. NULL is ignored.
 */
void ti_store_finalize(struct ti_store *store, struct sqlite3_stmt *stmt);

/**
 * Run one or more SQL statements without parameters; result rows are
 * discarded. For one-off work only: repeated statements belong in
 * ti_store_prepare().
 * @return 0 or a ti_store_map() code (TI_EDUP, TI_EDB, -EBUSY, ...).
 */
int ti_store_exec(struct ti_store *store, const char *sql);

/**
 * Step a statement. When it is done or fails, it is reset (bindings are
 * kept), so it can be stepped again at once. After a row, call it again
 * until it returns 0, or call ti_store_reset() to stop early: a statement
 * left on a row holds its read transaction open.
 *
 * @return 1 for a row, 0 when done, or a ti_store_map() code: TI_EDUP
 *         (UNIQUE or PRIMARY KEY conflict), -EBUSY, -ENOSPC, -EIO, -ENOMEM,
 *         -EROFS, TI_EDB, ...
 */
int ti_store_step(struct sqlite3_stmt *stmt);

/** Reset a statement and clear its bindings (to NULL). NULL is ignored. */
void ti_store_reset(struct sqlite3_stmt *stmt);

/**
 * Map an SQLite result code (primary or extended) to a ti code.
 * @return 0 for SQLITE_OK, SQLITE_ROW and SQLITE_DONE;
 *         TI_EDUP for SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY and _ROWID;
 *         -EBUSY for SQLITE_BUSY* and SQLITE_LOCKED*; -ENOMEM for
 *         SQLITE_NOMEM and SQLITE_IOERR_NOMEM; -EIO for other SQLITE_IOERR*;
 *         -ENOSPC for SQLITE_FULL; -EROFS for SQLITE_READONLY*; -EACCES for
 *         SQLITE_PERM and SQLITE_AUTH; -EINTR for SQLITE_INTERRUPT;
 *         TI_ETOOBIG for SQLITE_TOOBIG; -EINVAL for SQLITE_MISUSE and
 *         SQLITE_RANGE; TI_EDB for everything else (other constraints,
 *         SQLITE_ERROR, SQLITE_CORRUPT, SQLITE_NOTADB, ...).
 */
int ti_store_map(int sqlite_rc);

/**
 * Start a write transaction (BEGIN IMMEDIATE: the write lock is taken now,
 * so -EBUSY comes here rather than in the middle of the changes).
 * Transactions do not nest: the daemon runs one per request, and a nested
 * "commit" that did not really commit would break the promise that an
 * acknowledged change is on disk.
 * @return 0; -EBUSY if a transaction is already open on this store or the
 *         busy timeout expired; other ti_store_map() codes.
 */
int ti_store_begin(struct ti_store *store);

/**
 * Commit the open transaction; with synchronous FULL it is durable when this
 * returns 0. On failure the transaction is rolled back, so the store is
 * never left inside a transaction.
 * @return 0; -EINVAL if no transaction is open; TI_EDB (e.g. a deferred
 *         foreign key violation), -EIO, -ENOSPC, -EBUSY, ...
 */
int ti_store_commit(struct ti_store *store);

/**
 * Roll back the open transaction. Without one (never begun, or already
 * rolled back by SQLite after an I/O error) it does nothing, so error paths
 * may always call it.
 * @return 0 or a ti_store_map() code.
 */
int ti_store_rollback(struct ti_store *store);

/** @return the rows changed by the last INSERT, UPDATE or DELETE. */
int64_t ti_store_changes(const struct ti_store *store);

/** @return the rowid of the last successful INSERT on this store, 0 if none. */
int64_t ti_store_last_rowid(const struct ti_store *store);

/**
 * The text of the last SQLite error on this store (e.g. "UNIQUE constraint
 * failed: rd.ep"), to log after a failed ti_store_* call; read it before the
 * next call. Errors that do not come from SQLite (-EINVAL for a bad argument,
 * -EBUSY for a nested ti_store_begin()) are described by ti_strerror() alone.
 * @return a string owned by SQLite, valid until the next call on the store.
 */
const char *ti_store_errmsg(const struct ti_store *store);

/**
 * Run PRAGMA integrity_check over the whole database (slow on big ones).
 * @param[out] reterr  optional; the first problem found, written on failure.
 * @return 0 when the database is ok; TI_EDB when it is damaged; other
 *         ti_store_map() codes if the check could not run.
 */
int ti_store_integrity_check(struct ti_store *store, struct ti_store_error *reterr);

/**
 * Copy the WAL into the database and truncate it to zero bytes
 * (wal_checkpoint(TRUNCATE)); for a periodic timer. Does nothing for
 * in-memory databases.
 * @return 0; -EBUSY if a reader or writer prevented a complete checkpoint
 *         (try again later); other ti_store_map() codes.
 */
int ti_store_checkpoint(struct ti_store *store);

#endif /* TI_STORE_H */
