/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: SQLite store: open, pragmas, user_version migrations, statements, transactions. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ti_err.h"
#include "ti_log.h"
#include "ti_store.h"
#include "ti_util.h"

struct ti_store {
	sqlite3 *db;
	sqlite3_stmt *begin, *commit, *rollback;
	sqlite3_stmt **stmts; /* from ti_store_prepare(), finalized at close */
	size_t n_stmts, cap_stmts;
};

const char *const ti_store_sync_names[] = { "off", "normal", "full", "extra", NULL };

int
ti_store_map(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_ROWID:
		return TI_EDUP;
	case SQLITE_IOERR_NOMEM:
		return -ENOMEM;
	default:
		break;
	}
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_IOERR:
		return -EIO;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_INTERRUPT:
		return -EINTR;
	case SQLITE_TOOBIG:
		return TI_ETOOBIG;
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
		return -EINVAL;
	default:
		return TI_EDB;
	}
}

static int __attribute__((format(printf, 3, 4)))
fail(struct ti_store_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e != NULL) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Run a statement returning one integer (or text, if ret_text is given). */
static int
query_one(sqlite3 *db, const char *sql, int *ret_int, char *ret_text, size_t text_size)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (ret_int != NULL)
			*ret_int = sqlite3_column_int(st, 0);
		if (ret_text != NULL) {
			const char *t = (const char *)sqlite3_column_text(st, 0);
			ti_strlcpy(ret_text, t ? t : "", text_size);
		}
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK; /* a no-op pragma (foreign_keys inside a transaction) */
	}
	/* Finalizing keeps the error message of a failed step. */
	sqlite3_finalize(st);
	return rc;
}

static int
db_fail(sqlite3 *db, int rc, struct ti_store_error *reterr, const char *what)
{
	return fail(reterr, ti_store_map(rc), "%s: %s", what, sqlite3_errmsg(db));
}

static int
open_db(const char *path, const struct ti_store_opts *o, sqlite3 **ret_db,
	struct ti_store_error *reterr)
{
	int flags = SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_NOMUTEX;
	sqlite3 *db = NULL;
	int rc, err;

	flags |= o->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		/* CANTOPEN hides the real cause (missing directory, permissions) in errno. */
		err = db != NULL ? sqlite3_system_errno(db) : 0;
		if ((rc & 0xff) == SQLITE_CANTOPEN && err > 0)
			rc = fail(reterr, -err, "%s (%s)", sqlite3_errstr(rc), strerror(err));
		else
			rc = fail(reterr, ti_store_map(rc), "%s", sqlite3_errstr(rc));
		sqlite3_close(db);
		return rc;
	}
	sqlite3_extended_result_codes(db, 1);
	/* "x" must be a column, never silently a string (a typo would pass otherwise). */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
	sqlite3_busy_timeout(db, o->busy_timeout_ms > INT_MAX ? INT_MAX : (int)o->busy_timeout_ms);
	*ret_db = db;
	return 0;
}

static int
set_pragmas(sqlite3 *db, const struct ti_store_opts *o, struct ti_store_error *reterr)
{
	const char *file = sqlite3_db_filename(db, "main");
	char sql[64], mode[16];
	int rc;

	snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s", ti_store_sync_names[o->synchronous]);
	rc = query_one(db, sql, NULL, NULL, 0);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, reterr, "cannot set synchronous");
	/* In-memory and temporary databases have no file name and need no WAL. */
	if (o->read_only || file == NULL || file[0] == '\0')
		return 0;
	rc = query_one(db, "PRAGMA journal_mode=WAL", NULL, mode, sizeof(mode));
	if (rc != SQLITE_OK)
		return db_fail(db, rc, reterr, "cannot enable WAL journal mode");
	if (strcmp(mode, "wal") != 0)
		return fail(reterr, TI_EDB, "cannot enable WAL journal mode (still '%s')", mode);
	return 0;
}

static int
check_migrations(const struct ti_store_migration *m, size_t n)
{
	if (n > 0 && m == NULL)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (m[i].version <= 0 || m[i].sql == NULL)
			return -EINVAL;
		if (i > 0 && m[i].version <= m[i - 1].version)
			return -EINVAL;
	}
	return 0;
}

/* Fails if the changes left a child row without its parent. */
static int
fk_check(sqlite3 *db, struct ti_store_error *reterr)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, reterr, "foreign key check");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = fail(reterr, TI_EDB, "foreign key violation in table '%s', rowid %lld",
			  (const char *)sqlite3_column_text(st, 0),
			  (long long)sqlite3_column_int64(st, 1));
	else if (rc != SQLITE_DONE)
		rc = db_fail(db, rc, reterr, "foreign key check");
	else
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

/* Compare the database's schema version with the program's newest. */
static int
read_version(sqlite3 *db, int newest, int *ret_cur, struct ti_store_error *reterr)
{
	int cur = -1, rc; /* -1 if, unexpectedly, no row */

	rc = query_one(db, "PRAGMA user_version", &cur, NULL, 0);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, reterr, "cannot read the schema version");
	if (cur < 0)
		return fail(reterr, TI_EDB, "invalid database schema version %d", cur);
	if (cur > newest)
		return fail(reterr, TI_EDB,
			    "database schema version %d is newer than this program (%d)", cur,
			    newest);
	*ret_cur = cur;
	return 0;
}

/* Apply the missing steps in one transaction, or none of them. */
static int
migrate(sqlite3 *db, const struct ti_store_migration *m, size_t n, struct ti_store_error *reterr)
{
	int newest = m[n - 1].version, cur, rc, r;
	char sql[64], what[48];

	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, reterr, "cannot start the schema migration");
	/* Read again under the write lock: another process may have migrated meanwhile. */
	r = read_version(db, newest, &cur, reterr);
	if (r < 0)
		goto out_rollback;
	for (size_t i = 0; i < n; i++) {
		if (m[i].version <= cur)
			continue;
		snprintf(what, sizeof(what), "schema migration %d", m[i].version);
		rc = sqlite3_exec(db, m[i].sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			r = db_fail(db, rc, reterr, what);
			goto out_rollback;
		}
		/* A COMMIT inside a step would have made the rest non-atomic. */
		if (sqlite3_get_autocommit(db))
			return fail(reterr, TI_EDB, "%s ended the transaction", what);
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", newest);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = db_fail(db, rc, reterr, "cannot set the schema version");
		goto out_rollback;
	}
	r = fk_check(db, reterr);
	if (r < 0)
		goto out_rollback;
	rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = db_fail(db, rc, reterr, "cannot commit the schema migration");
		goto out_rollback;
	}
	ti_log_debug("database '%s': schema version %d -> %d", sqlite3_db_filename(db, "main"),
		     cur, newest);
	return 0;

out_rollback:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static int
upgrade(sqlite3 *db, const struct ti_store_opts *o, const struct ti_store_migration *m, size_t n,
	struct ti_store_error *reterr)
{
	int newest = n > 0 ? m[n - 1].version : 0;
	int cur, rc, r;

	r = read_version(db, newest, &cur, reterr);
	if (r < 0 || cur == newest)
		return r;
	if (o->read_only)
		return fail(
		    reterr, -EROFS,
		    "database schema version %d needs an upgrade to %d, but it is read-only", cur,
		    newest);
	/* Off while tables are rebuilt (SQLite's ALTER TABLE procedure); checked before COMMIT. */
	rc = query_one(db, "PRAGMA foreign_keys=OFF", NULL, NULL, 0);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, reterr, "cannot disable foreign keys");
	return migrate(db, m, n, reterr);
}

static int
prepare_tx(struct ti_store *s, struct ti_store_error *reterr)
{
	static const char *const sql[] = { "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK" };
	sqlite3_stmt **st[] = { &s->begin, &s->commit, &s->rollback };

	for (size_t i = 0; i < TI_ARRAY_SIZE(st); i++) {
		int rc =
		    sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, st[i], NULL);
		if (rc != SQLITE_OK)
			return db_fail(s->db, rc, reterr, "cannot prepare transactions");
	}
	return 0;
}

int
ti_store_open(const char *path, const struct ti_store_opts *opts,
	      const struct ti_store_migration *migrations, size_t n_migrations,
	      struct ti_store **ret_store, struct ti_store_error *reterr)
{
	static const struct ti_store_opts defaults = TI_STORE_OPTS_INIT;
	const struct ti_store_opts *o = opts ? opts : &defaults;
	struct ti_store *s;
	int r, rc;

	if (path == NULL || ret_store == NULL)
		return fail(reterr, -EINVAL, "invalid arguments");
	if (o->synchronous < TI_STORE_SYNC_OFF || o->synchronous > TI_STORE_SYNC_EXTRA)
		return fail(reterr, -EINVAL, "invalid synchronous level %d", o->synchronous);
	if (check_migrations(migrations, n_migrations) < 0)
		return fail(reterr, -EINVAL,
			    "invalid schema migrations (versions > 0, ascending)");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return fail(reterr, -ENOMEM, "out of memory");
	r = open_db(path, o, &s->db, reterr);
	if (r < 0)
		goto out_free;
	r = set_pragmas(s->db, o, reterr);
	if (r < 0)
		goto out_close;
	r = upgrade(s->db, o, migrations, n_migrations, reterr);
	if (r < 0)
		goto out_close;
	rc = query_one(s->db, "PRAGMA foreign_keys=ON", NULL, NULL, 0);
	if (rc != SQLITE_OK) {
		r = db_fail(s->db, rc, reterr, "cannot enable foreign keys");
		goto out_close;
	}
	r = prepare_tx(s, reterr);
	if (r < 0)
		goto out_close;
	*ret_store = s;
	return 0;

out_close:
	ti_store_close(s);
	return r;
out_free:
	free(s);
	return r;
}

void
ti_store_close(struct ti_store *store)
{
	if (store == NULL)
		return;
	for (size_t i = 0; i < store->n_stmts; i++)
		sqlite3_finalize(store->stmts[i]);
	free(store->stmts);
	sqlite3_finalize(store->begin);
	sqlite3_finalize(store->commit);
	sqlite3_finalize(store->rollback);
	/* Every statement is finalized, so this closes for real (and rolls back). */
	if (sqlite3_close(store->db) != SQLITE_OK) {
		ti_log_debug("closing database: %s", sqlite3_errmsg(store->db));
		sqlite3_close_v2(store->db);
	}
	free(store);
}

int
ti_store_prepare(struct ti_store *store, const char *sql, sqlite3_stmt **ret_stmt)
{
	sqlite3_stmt *st;
	const char *tail;
	int rc;

	if (store->n_stmts == store->cap_stmts) {
		size_t cap = store->cap_stmts ? 2 * store->cap_stmts : 16;
		sqlite3_stmt **v = realloc(store->stmts, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		store->stmts = v;
		store->cap_stmts = cap;
	}
	rc = sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
	if (rc != SQLITE_OK)
		return ti_store_map(rc);
	if (st == NULL)
		return -EINVAL; /* only space or comments */
	tail += strspn(tail, " \t\r\n;");
	if (*tail != '\0') {
		sqlite3_finalize(st);
		return -EINVAL;
	}
	store->stmts[store->n_stmts++] = st;
	*ret_stmt = st;
	return 0;
}

void
ti_store_finalize(struct ti_store *store, sqlite3_stmt *stmt)
{
	if (stmt == NULL)
		return;
	for (size_t i = 0; i < store->n_stmts; i++) {
		if (store->stmts[i] == stmt) {
			store->stmts[i] = store->stmts[--store->n_stmts];
			sqlite3_finalize(stmt);
			return;
		}
	}
}

int
ti_store_exec(struct ti_store *store, const char *sql)
{
	return ti_store_map(sqlite3_exec(store->db, sql, NULL, NULL, NULL));
}

int
ti_store_step(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW)
		return 1;
	/* The error code and message stay on the connection after the reset. */
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : ti_store_map(rc);
}

void
ti_store_reset(sqlite3_stmt *stmt)
{
	if (stmt == NULL)
		return;
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

int
ti_store_begin(struct ti_store *store)
{
	if (!sqlite3_get_autocommit(store->db))
		return -EBUSY;
	return ti_store_step(store->begin);
}

int
ti_store_commit(struct ti_store *store)
{
	int r;

	if (sqlite3_get_autocommit(store->db))
		return -EINVAL;
	r = ti_store_step(store->commit);
	/*
	 * A deferred foreign key or SQLITE_BUSY leaves the transaction open. No
	 * reset after this step: resetting would replace the commit's error
	 * message, and the next step resets it anyway.
	 */
	if (r < 0 && !sqlite3_get_autocommit(store->db))
		sqlite3_step(store->rollback);
	return r;
}

int
ti_store_rollback(struct ti_store *store)
{
	if (sqlite3_get_autocommit(store->db))
		return 0;
	return ti_store_step(store->rollback);
}

int64_t
ti_store_changes(const struct ti_store *store)
{
	return sqlite3_changes64(store->db);
}

int64_t
ti_store_last_rowid(const struct ti_store *store)
{
	return sqlite3_last_insert_rowid(store->db);
}

const char *
ti_store_errmsg(const struct ti_store *store)
{
	return sqlite3_errmsg(store->db);
}

int
ti_store_integrity_check(struct ti_store *store, struct ti_store_error *reterr)
{
	sqlite3_stmt *st;
	const char *t;
	int rc, r;

	rc = sqlite3_prepare_v2(store->db, "PRAGMA integrity_check", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(store->db, rc, reterr, "integrity check");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(st, 0);
		if (t != NULL && strcmp(t, "ok") == 0)
			r = 0;
		else
			r = fail(reterr, TI_EDB, "%s", t ? t : "integrity check failed");
	} else {
		/* Badly damaged pages make the check itself fail. */
		r = db_fail(store->db, rc, reterr, "integrity check");
		if (r == 0)
			r = TI_EDB;
	}
	sqlite3_finalize(st);
	return r;
}

int
ti_store_checkpoint(struct ti_store *store)
{
	int log = 0, done = 0, rc;

	rc = sqlite3_wal_checkpoint_v2(store->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
	if (rc != SQLITE_OK)
		return ti_store_map(rc);
	return log == done ? 0 : -EBUSY;
}
