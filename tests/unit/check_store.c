/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ti_store: open, pragmas, migrations, statements, transactions, durability. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <sqlite3.h>

#include "ti_conf.h"
#include "ti_err.h"
#include "ti_store.h"
#include "ti_util.h"
#include "check_main.h"

/* Step 1 and 2 each log themselves in runs, so a re-run shows as a second row. */
#define M1                                                                                        \
	{                                                                                         \
		1, "CREATE TABLE runs(step INTEGER NOT NULL);"                                    \
		   "INSERT INTO runs VALUES (1);"                                                 \
		   "CREATE TABLE reg(id INTEGER PRIMARY KEY, ep TEXT NOT NULL UNIQUE, lt "        \
		   "INTEGER);"                                                                    \
	}
#define M2                                                                                        \
	{                                                                                         \
		2, "INSERT INTO runs VALUES (2);"                                                 \
		   "CREATE TABLE link(reg INTEGER NOT NULL REFERENCES reg(id) ON DELETE CASCADE," \
		   " href TEXT NOT NULL);"                                                        \
	}

static const struct ti_store_migration mig1[] = { M1 };
static const struct ti_store_migration mig12[] = { M1, M2 };

/* Per-test temporary directory (checked fixture: set up in each test's process). */
static char *dir;
static char *db_path;

static void
dir_setup(void)
{
	dir = check_mkdtemp();
	ck_assert_int_gt(asprintf(&db_path, "%s/test.db", dir), 0);
}

static void
dir_teardown(void)
{
	TI_FREE(&db_path);
	check_rmtree(dir);
	dir = NULL;
}

static struct ti_store *
open_ok(const char *path, const struct ti_store_opts *opts, const struct ti_store_migration *m,
	size_t n)
{
	struct ti_store_error err = { .msg = "" };
	struct ti_store *s = NULL;
	int r = ti_store_open(path, opts, m, n, &s, &err);

	ck_assert_msg(r == 0, "ti_store_open(%s): %s (%s)", path, ti_strerror(r), err.msg);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* The first column of the first row of sql as an integer (-1 if no row). */
static long long
qint(struct ti_store *s, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	ck_assert_int_eq(ti_store_prepare(s, sql, &st), 0);
	if (ti_store_step(st) == 1)
		v = sqlite3_column_int64(st, 0);
	ti_store_finalize(s, st);
	return v;
}

/* The first column of the first row of sql as text, into buf. */
static const char *
qtext(struct ti_store *s, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *st;

	ck_assert_int_eq(ti_store_prepare(s, sql, &st), 0);
	ck_assert_int_eq(ti_store_step(st), 1);
	ti_strlcpy(buf, (const char *)sqlite3_column_text(st, 0), size);
	ti_store_finalize(s, st);
	return buf;
}

static int
has_table(struct ti_store *s, const char *name)
{
	sqlite3_stmt *st;
	int r;

	ck_assert_int_eq(ti_store_prepare(s,
					  "SELECT 1 FROM sqlite_master WHERE type = 'table'"
					  " AND name = ?1",
					  &st),
			 0);
	ck_assert_int_eq(sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC), SQLITE_OK);
	r = ti_store_step(st);
	ck_assert_int_ge(r, 0);
	ti_store_finalize(s, st);
	return r;
}

/* Count the rows of runs with the given step. */
static long long
runs(struct ti_store *s, int step)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE step = %d", step);
	return qint(s, sql);
}

/*
 * Mapping table.
 */

static const struct {
	int rc;
	int want;
} map_cases[] = {
	{ SQLITE_OK, 0 },
	{ SQLITE_ROW, 0 },
	{ SQLITE_DONE, 0 },
	{ SQLITE_ERROR, TI_EDB },
	{ SQLITE_SCHEMA, TI_EDB },
	{ SQLITE_CORRUPT, TI_EDB },
	{ SQLITE_NOTADB, TI_EDB },
	{ SQLITE_CANTOPEN, TI_EDB },
	{ SQLITE_MISMATCH, TI_EDB },
	{ SQLITE_CONSTRAINT, TI_EDB },
	{ SQLITE_CONSTRAINT_NOTNULL, TI_EDB },
	{ SQLITE_CONSTRAINT_FOREIGNKEY, TI_EDB },
	{ SQLITE_CONSTRAINT_CHECK, TI_EDB },
	{ SQLITE_CONSTRAINT_UNIQUE, TI_EDUP },
	{ SQLITE_CONSTRAINT_PRIMARYKEY, TI_EDUP },
	{ SQLITE_CONSTRAINT_ROWID, TI_EDUP },
	{ SQLITE_NOMEM, -ENOMEM },
	{ SQLITE_IOERR_NOMEM, -ENOMEM },
	{ SQLITE_BUSY, -EBUSY },
	{ SQLITE_BUSY_SNAPSHOT, -EBUSY },
	{ SQLITE_BUSY_TIMEOUT, -EBUSY },
	{ SQLITE_LOCKED, -EBUSY },
	{ SQLITE_LOCKED_SHAREDCACHE, -EBUSY },
	{ SQLITE_IOERR, -EIO },
	{ SQLITE_IOERR_FSYNC, -EIO },
	{ SQLITE_IOERR_WRITE, -EIO },
	{ SQLITE_IOERR_SHORT_READ, -EIO },
	{ SQLITE_FULL, -ENOSPC },
	{ SQLITE_READONLY, -EROFS },
	{ SQLITE_READONLY_DBMOVED, -EROFS },
	{ SQLITE_PERM, -EACCES },
	{ SQLITE_AUTH, -EACCES },
	{ SQLITE_INTERRUPT, -EINTR },
	{ SQLITE_TOOBIG, TI_ETOOBIG },
	{ SQLITE_MISUSE, -EINVAL },
	{ SQLITE_RANGE, -EINVAL },
};

START_TEST(test_map)
{
	ck_assert_msg(ti_store_map(map_cases[_i].rc) == map_cases[_i].want,
		      "ti_store_map(%d) = %d, want %d", map_cases[_i].rc,
		      ti_store_map(map_cases[_i].rc), map_cases[_i].want);
}
END_TEST

/*
 * Open and migrations.
 */

START_TEST(test_open_memory)
{
	struct ti_store *s = open_ok(":memory:", NULL, mig12, TI_ARRAY_SIZE(mig12));

	ck_assert_int_eq(qint(s, "PRAGMA user_version"), 2);
	ck_assert_int_eq(has_table(s, "runs"), 1);
	ck_assert_int_eq(has_table(s, "reg"), 1);
	ck_assert_int_eq(has_table(s, "link"), 1);
	ck_assert_int_eq(has_table(s, "nosuch"), 0);
	ck_assert_int_eq(runs(s, 1), 1);
	ck_assert_int_eq(runs(s, 2), 1);
	ck_assert_int_eq(qint(s, "PRAGMA foreign_keys"), 1);
	/* Defaults: synchronous FULL and the default busy timeout. */
	ck_assert_int_eq(qint(s, "PRAGMA synchronous"), TI_STORE_SYNC_FULL);
	ck_assert_int_eq(qint(s, "PRAGMA busy_timeout"), TI_STORE_BUSY_TIMEOUT_MS);
	ti_store_close(s);
}
END_TEST

START_TEST(test_open_no_migrations)
{
	struct ti_store *s = open_ok(":memory:", NULL, NULL, 0);

	ck_assert_int_eq(qint(s, "PRAGMA user_version"), 0);
	ti_store_close(s);
	ti_store_close(NULL);
}
END_TEST

START_TEST(test_open_invalid)
{
	static const struct ti_store_migration zero[] = { { 0, "SELECT 1" } };
	static const struct ti_store_migration unordered[] = { M2, M1 };
	static const struct ti_store_migration twice[] = { M1, M1 };
	static const struct ti_store_migration nosql[] = { { 1, NULL } };
	struct ti_store_opts o = TI_STORE_OPTS_INIT;
	struct ti_store *s = NULL;

	o.synchronous = -1;
	ck_assert_int_eq(ti_store_open(":memory:", &o, NULL, 0, &s, NULL), -EINVAL);
	o.synchronous = TI_STORE_SYNC_EXTRA + 1;
	ck_assert_int_eq(ti_store_open(":memory:", &o, NULL, 0, &s, NULL), -EINVAL);
	ck_assert_int_eq(ti_store_open(NULL, NULL, NULL, 0, &s, NULL), -EINVAL);
	ck_assert_int_eq(ti_store_open(":memory:", NULL, NULL, 1, &s, NULL), -EINVAL);
	ck_assert_int_eq(ti_store_open(":memory:", NULL, zero, 1, &s, NULL), -EINVAL);
	ck_assert_int_eq(ti_store_open(":memory:", NULL, unordered, 2, &s, NULL), -EINVAL);
	ck_assert_int_eq(ti_store_open(":memory:", NULL, twice, 2, &s, NULL), -EINVAL);
	ck_assert_int_eq(ti_store_open(":memory:", NULL, nosql, 1, &s, NULL), -EINVAL);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_sync_names)
{
	ck_assert_str_eq(ti_store_sync_names[TI_STORE_SYNC_OFF], "off");
	ck_assert_str_eq(ti_store_sync_names[TI_STORE_SYNC_NORMAL], "normal");
	ck_assert_str_eq(ti_store_sync_names[TI_STORE_SYNC_FULL], "full");
	ck_assert_str_eq(ti_store_sync_names[TI_STORE_SYNC_EXTRA], "extra");
	ck_assert_ptr_null(ti_store_sync_names[TI_STORE_SYNC_EXTRA + 1]);
}
END_TEST

/* Each level, set from a config directive through TI_CONF_ENUM, reads back from SQLite. */
START_TEST(test_sync_readback)
{
	static const struct ti_conf_item items[] = {
		{ .name = "database-sync",
		  .type = TI_CONF_ENUM,
		  .offset = 0,
		  .def = "full",
		  .choices = ti_store_sync_names },
	};
	static const struct ti_conf_schema schema = { .items = items, .n_items = 1 };
	struct ti_store_opts o = TI_STORE_OPTS_INIT;
	struct ti_conf_error cerr;
	struct ti_store *s;
	char text[64];
	int level = -1;

	snprintf(text, sizeof(text), "database-sync %s\n", ti_store_sync_names[_i]);
	ck_assert_int_eq(ti_conf_load_string(&schema, "test", text, &level, &cerr), 0);
	ck_assert_int_eq(level, _i);
	o.synchronous = level;
	s = open_ok(db_path, &o, mig1, 1);
	ck_assert_int_eq(qint(s, "PRAGMA synchronous"), _i);
	ti_store_close(s);
}
END_TEST

START_TEST(test_busy_timeout_readback)
{
	struct ti_store_opts o = { .synchronous = TI_STORE_SYNC_NORMAL, .busy_timeout_ms = 250 };
	struct ti_store *s = open_ok(":memory:", &o, NULL, 0);

	ck_assert_int_eq(qint(s, "PRAGMA busy_timeout"), 250);
	ck_assert_int_eq(qint(s, "PRAGMA synchronous"), TI_STORE_SYNC_NORMAL);
	ti_store_close(s);
}
END_TEST

START_TEST(test_wal_file)
{
	struct ti_store *s = open_ok(db_path, NULL, mig12, 2);
	char mode[16], *wal = NULL;
	struct stat st;

	ck_assert_str_eq(qtext(s, "PRAGMA journal_mode", mode, sizeof(mode)), "wal");
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES ('a')"), 0);
	ck_assert_int_gt(asprintf(&wal, "%s-wal", db_path), 0);
	ck_assert_int_eq(stat(wal, &st), 0);
	ck_assert_int_gt(st.st_size, 0);
	ti_store_close(s);
	free(wal);
}
END_TEST

START_TEST(test_memory_no_wal)
{
	struct ti_store *s = open_ok(":memory:", NULL, mig1, 1);
	char mode[16];

	ck_assert_str_eq(qtext(s, "PRAGMA journal_mode", mode, sizeof(mode)), "memory");
	ck_assert_int_eq(ti_store_checkpoint(s), 0);
	ti_store_close(s);
}
END_TEST

/* Open with [1], close, open with [1, 2]: only step 2 runs, and a third open runs nothing. */
START_TEST(test_migrate_incremental)
{
	struct ti_store *s = open_ok(db_path, NULL, mig1, 1);

	ck_assert_int_eq(qint(s, "PRAGMA user_version"), 1);
	ck_assert_int_eq(has_table(s, "link"), 0);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES ('kept')"), 0);
	ti_store_close(s);

	s = open_ok(db_path, NULL, mig12, 2);
	ck_assert_int_eq(qint(s, "PRAGMA user_version"), 2);
	ck_assert_int_eq(runs(s, 1), 1);
	ck_assert_int_eq(runs(s, 2), 1);
	ck_assert_int_eq(has_table(s, "link"), 1);
	ck_assert_int_eq(qint(s, "SELECT count(*) FROM reg WHERE ep = 'kept'"), 1);
	ti_store_close(s);

	s = open_ok(db_path, NULL, mig12, 2);
	ck_assert_int_eq(runs(s, 1), 1);
	ck_assert_int_eq(runs(s, 2), 1);
	ti_store_close(s);
}
END_TEST

/* A failing step undoes every step of the same open, and the version stays. */
START_TEST(test_migrate_failure_rolls_back)
{
	static const struct ti_store_migration bad[] = {
		M1, M2, { 3, "CREATE TABLE t3(x); INSERT INTO nosuch VALUES (1);" }
	};
	struct ti_store_error err = { .msg = "" };
	struct ti_store *s = NULL;

	/* From scratch: nothing of step 1 or 2 remains. */
	ck_assert_int_eq(ti_store_open(db_path, NULL, bad, 3, &s, &err), TI_EDB);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err.msg, "schema migration 3: no such table: nosuch");
	s = open_ok(db_path, NULL, NULL, 0);
	ck_assert_int_eq(qint(s, "PRAGMA user_version"), 0);
	ck_assert_int_eq(has_table(s, "runs"), 0);
	ck_assert_int_eq(has_table(s, "reg"), 0);
	ck_assert_int_eq(has_table(s, "t3"), 0);
	ti_store_close(s);

	/* From version 1: step 2 is undone, version 1 stays. */
	s = open_ok(db_path, NULL, mig1, 1);
	ti_store_close(s);
	s = NULL;
	ck_assert_int_eq(ti_store_open(db_path, NULL, bad, 3, &s, &err), TI_EDB);
	ck_assert_ptr_null(s);
	s = open_ok(db_path, NULL, mig1, 1);
	ck_assert_int_eq(qint(s, "PRAGMA user_version"), 1);
	ck_assert_int_eq(runs(s, 1), 1);
	ck_assert_int_eq(runs(s, 2), 0);
	ck_assert_int_eq(has_table(s, "link"), 0);
	ck_assert_int_eq(has_table(s, "t3"), 0);
	ti_store_close(s);
}
END_TEST

START_TEST(test_migrate_failure_memory)
{
	static const struct ti_store_migration bad[] = { M1, { 2, "CREATE TABEL oops(x)" } };
	struct ti_store_error err = { .msg = "" };
	struct ti_store *s = NULL;

	ck_assert_int_eq(ti_store_open(":memory:", NULL, bad, 2, &s, &err), TI_EDB);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err.msg, "schema migration 2: ") == err.msg, "msg: %s", err.msg);
	ck_assert_msg(strstr(err.msg, "syntax error") != NULL, "msg: %s", err.msg);
}
END_TEST

/* Steps must not manage the transaction themselves. */
START_TEST(test_migrate_own_transaction)
{
	static const struct ti_store_migration begin[] = { M1,
							   { 2, "BEGIN; CREATE TABLE x(a);" } };
	static const struct ti_store_migration commit[] = { M1,
							    { 2, "CREATE TABLE x(a); COMMIT;" } };
	struct ti_store_error err = { .msg = "" };
	struct ti_store *s = NULL;

	ck_assert_int_eq(ti_store_open(":memory:", NULL, begin, 2, &s, &err), TI_EDB);
	ck_assert_msg(strstr(err.msg, "within a transaction") != NULL, "msg: %s", err.msg);
	ck_assert_int_eq(ti_store_open(":memory:", NULL, commit, 2, &s, &err), TI_EDB);
	ck_assert_str_eq(err.msg, "schema migration 2 ended the transaction");
	ck_assert_ptr_null(s);
}
END_TEST

/* Foreign keys are off during steps (a table rebuild keeps child rows) and checked at the end. */
#define M3_REBUILD                                                                                \
	{                                                                                         \
		3, "CREATE TABLE reg_new(id INTEGER PRIMARY KEY, ep TEXT NOT NULL UNIQUE,"        \
		   " lt INTEGER, d TEXT);"                                                        \
		   "INSERT INTO reg_new(id, ep, lt) SELECT id, ep, lt FROM reg;"                  \
		   "DROP TABLE reg;"                                                              \
		   "ALTER TABLE reg_new RENAME TO reg;"                                           \
	}

START_TEST(test_migrate_foreign_keys)
{
	static const struct ti_store_migration rebuild[] = { M1, M2, M3_REBUILD };
	static const struct ti_store_migration dangling[] = {
		M1, M2, M3_REBUILD, { 4, "INSERT INTO link VALUES (99, 'x')" }
	};
	struct ti_store_error err = { .msg = "" };
	struct ti_store *s = open_ok(db_path, NULL, mig12, 2);

	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(id, ep) VALUES (1, 'a');"
					  "INSERT INTO link VALUES (1, '/s')"),
			 0);
	ti_store_close(s);

	/* With enforcement on, DROP TABLE reg would cascade to link. */
	s = open_ok(db_path, NULL, rebuild, 3);
	ck_assert_int_eq(qint(s, "SELECT count(*) FROM link"), 1);
	ck_assert_int_eq(qint(s, "PRAGMA foreign_keys"), 1);
	ti_store_close(s);

	s = NULL;
	ck_assert_int_eq(ti_store_open(db_path, NULL, dangling, 4, &s, &err), TI_EDB);
	ck_assert_str_eq(err.msg, "foreign key violation in table 'link', rowid 2");
	ck_assert_ptr_null(s);

	/* Enforced again after open: the cascade works on the rebuilt table. */
	s = open_ok(db_path, NULL, rebuild, 3);
	ck_assert_int_eq(qint(s, "PRAGMA user_version"), 3);
	ck_assert_int_eq(ti_store_exec(s, "DELETE FROM reg"), 0);
	ck_assert_int_eq(qint(s, "SELECT count(*) FROM link"), 0);
	ti_store_close(s);
}
END_TEST

START_TEST(test_newer_schema)
{
	struct ti_store_error err = { .msg = "" };
	struct ti_store *s = open_ok(db_path, NULL, mig12, 2);

	ti_store_close(s);
	s = NULL;
	ck_assert_int_eq(ti_store_open(db_path, NULL, mig1, 1, &s, &err), TI_EDB);
	ck_assert_str_eq(err.msg, "database schema version 2 is newer than this program (1)");
	ck_assert_ptr_null(s);
	ck_assert_int_eq(ti_store_open(db_path, NULL, NULL, 0, &s, &err), TI_EDB);
	ck_assert_str_eq(err.msg, "database schema version 2 is newer than this program (0)");
	/* Untouched. */
	s = open_ok(db_path, NULL, mig12, 2);
	ck_assert_int_eq(qint(s, "PRAGMA user_version"), 2);
	ti_store_close(s);
}
END_TEST

START_TEST(test_read_only)
{
	static const struct ti_store_migration mig123[] = { M1, M2, { 3, "CREATE TABLE t3(x)" } };
	struct ti_store_opts ro = TI_STORE_OPTS_INIT;
	struct ti_store_error err = { .msg = "" };
	struct ti_store *s = NULL;

	ro.read_only = 1;
	ck_assert_int_eq(ti_store_open(db_path, &ro, mig12, 2, &s, &err), -ENOENT);
	s = open_ok(db_path, NULL, mig12, 2);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES ('a')"), 0);
	ti_store_close(s);

	s = open_ok(db_path, &ro, mig12, 2);
	ck_assert_int_eq(qint(s, "SELECT count(*) FROM reg"), 1);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES ('b')"), -EROFS);
	ti_store_close(s);

	s = NULL;
	ck_assert_int_eq(ti_store_open(db_path, &ro, mig123, 3, &s, &err), -EROFS);
	ck_assert_str_eq(err.msg,
			 "database schema version 2 needs an upgrade to 3, but it is read-only");
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_open_errors)
{
	struct ti_store_error err = { .msg = "" };
	struct ti_store *s = NULL;
	char *path = NULL, *junk;

	ck_assert_int_gt(asprintf(&path, "%s/nosuch/test.db", dir), 0);
	ck_assert_int_eq(ti_store_open(path, NULL, mig1, 1, &s, &err), -ENOENT);
	ck_assert_msg(strstr(err.msg, "unable to open database file") != NULL, "msg: %s", err.msg);
	free(path);

	junk = check_write_str(dir, "junk.db",
			       "this is not an SQLite database, but it is long "
			       "enough to have a header and a bit more text\n");
	ck_assert_int_eq(ti_store_open(junk, NULL, mig1, 1, &s, &err), TI_EDB);
	ck_assert_msg(strstr(err.msg, "file is not a database") != NULL, "msg: %s", err.msg);
	ck_assert_ptr_null(s);
	free(junk);
}
END_TEST

/*
 * Statements.
 */

START_TEST(test_prepare_step)
{
	struct ti_store *s = open_ok(":memory:", NULL, mig12, 2);
	sqlite3_stmt *ins, *sel;

	ck_assert_int_eq(ti_store_prepare(s, "INSERT INTO reg(ep, lt) VALUES (?1, ?2);", &ins), 0);
	ck_assert_int_eq(ti_store_prepare(s, "SELECT ep, lt FROM reg ORDER BY id", &sel), 0);

	ck_assert_int_eq(sqlite3_bind_text(ins, 1, "node1", -1, SQLITE_STATIC), SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_int(ins, 2, 90), SQLITE_OK);
	ck_assert_int_eq(ti_store_step(ins), 0);
	ck_assert_int_eq(ti_store_changes(s), 1);
	ck_assert_int_eq(ti_store_last_rowid(s), 1);
	/* Reset after done: bind again and step at once. */
	ck_assert_int_eq(sqlite3_bind_text(ins, 1, "node2", -1, SQLITE_STATIC), SQLITE_OK);
	ck_assert_int_eq(ti_store_step(ins), 0);
	ck_assert_int_eq(ti_store_last_rowid(s), 2);

	ck_assert_int_eq(ti_store_step(sel), 1);
	ck_assert_str_eq((const char *)sqlite3_column_text(sel, 0), "node1");
	ck_assert_int_eq(sqlite3_column_int(sel, 1), 90);
	ck_assert_int_eq(ti_store_step(sel), 1);
	ck_assert_str_eq((const char *)sqlite3_column_text(sel, 0), "node2");
	ck_assert_int_eq(ti_store_step(sel), 0);
	/* Done, so reset: the next step starts over. */
	ck_assert_int_eq(ti_store_step(sel), 1);
	ck_assert_str_eq((const char *)sqlite3_column_text(sel, 0), "node1");
	ti_store_reset(sel);
	ck_assert_int_eq(ti_store_step(sel), 1);
	ck_assert_str_eq((const char *)sqlite3_column_text(sel, 0), "node1");
	ti_store_reset(sel);
	ti_store_reset(NULL);

	/* ti_store_reset() clears bindings: lt becomes NULL. */
	ti_store_reset(ins);
	ck_assert_int_eq(sqlite3_bind_text(ins, 1, "node3", -1, SQLITE_STATIC), SQLITE_OK);
	ck_assert_int_eq(ti_store_step(ins), 0);
	ck_assert_int_eq(qint(s, "SELECT count(*) FROM reg WHERE ep = 'node3' AND lt IS NULL"), 1);

	ck_assert_int_eq(ti_store_exec(s, "DELETE FROM reg"), 0);
	ck_assert_int_eq(ti_store_changes(s), 3);
	ti_store_close(s);
}
END_TEST

START_TEST(test_prepare_errors)
{
	struct ti_store *s = open_ok(":memory:", NULL, mig1, 1);
	sqlite3_stmt *st = NULL;

	ck_assert_int_eq(ti_store_prepare(s, "SELEKT 1", &st), TI_EDB);
	ck_assert_msg(strstr(ti_store_errmsg(s), "syntax error") != NULL, "%s",
		      ti_store_errmsg(s));
	ck_assert_int_eq(ti_store_prepare(s, "SELECT * FROM nosuch", &st), TI_EDB);
	ck_assert_str_eq(ti_store_errmsg(s), "no such table: nosuch");
	/* Double-quoted strings are identifiers only, so a typo cannot become a string. */
	ck_assert_int_eq(ti_store_prepare(s, "SELECT \"nosuchcol\" FROM reg", &st), TI_EDB);
	ck_assert_int_eq(ti_store_prepare(s, "SELECT 1; SELECT 2", &st), -EINVAL);
	ck_assert_int_eq(ti_store_prepare(s, "  -- nothing\n", &st), -EINVAL);
	ck_assert_int_eq(ti_store_prepare(s, "", &st), -EINVAL);
	ck_assert_ptr_null(st);
	ck_assert_int_eq(ti_store_prepare(s, "SELECT 1 ; \n", &st), 0);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO nosuch VALUES (1)"), TI_EDB);
	ck_assert_str_eq(ti_store_errmsg(s), "no such table: nosuch");
	ti_store_close(s);
}
END_TEST

START_TEST(test_constraints)
{
	struct ti_store *s = open_ok(":memory:", NULL, mig12, 2);
	sqlite3_stmt *ins;

	ck_assert_int_eq(ti_store_prepare(s, "INSERT INTO reg(ep) VALUES (?1)", &ins), 0);
	ck_assert_int_eq(sqlite3_bind_text(ins, 1, "dup", -1, SQLITE_STATIC), SQLITE_OK);
	ck_assert_int_eq(ti_store_step(ins), 0);
	ck_assert_int_eq(ti_store_step(ins), TI_EDUP);
	ck_assert_str_eq(ti_store_errmsg(s), "UNIQUE constraint failed: reg.ep");
	/* Reset after the failure: usable again at once. */
	ck_assert_int_eq(sqlite3_bind_text(ins, 1, "other", -1, SQLITE_STATIC), SQLITE_OK);
	ck_assert_int_eq(ti_store_step(ins), 0);

	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(id, ep) VALUES (1, 'x')"), TI_EDUP);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES (NULL)"), TI_EDB);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO link VALUES (99, '/x')"), TI_EDB);
	ck_assert_str_eq(ti_store_errmsg(s), "FOREIGN KEY constraint failed");
	ck_assert_int_eq(qint(s, "SELECT count(*) FROM reg"), 2);
	ti_store_close(s);
}
END_TEST

/* Statements left prepared, on a row or in a transaction are all finalized (see ASan). */
START_TEST(test_close_finalizes)
{
	struct ti_store *s = open_ok(db_path, NULL, mig12, 2);
	sqlite3_stmt *st[40], *early;

	for (size_t i = 0; i < TI_ARRAY_SIZE(st); i++)
		ck_assert_int_eq(ti_store_prepare(s, "SELECT ep FROM reg", &st[i]), 0);
	ck_assert_int_eq(ti_store_prepare(s, "SELECT 1", &early), 0);
	ti_store_finalize(s, early);
	ti_store_finalize(s, NULL);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES ('a'), ('b')"), 0);
	ck_assert_int_eq(ti_store_step(st[0]), 1);
	ck_assert_int_eq(ti_store_begin(s), 0);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES ('uncommitted')"), 0);
	ti_store_close(s);

	s = open_ok(db_path, NULL, mig12, 2);
	ck_assert_int_eq(qint(s, "SELECT count(*) FROM reg"), 2);
	ti_store_close(s);
}
END_TEST

/*
 * Transactions.
 */

START_TEST(test_transactions)
{
	struct ti_store *s = open_ok(":memory:", NULL, mig12, 2);

	ck_assert_int_eq(ti_store_rollback(s), 0);
	ck_assert_int_eq(ti_store_commit(s), -EINVAL);

	ck_assert_int_eq(ti_store_begin(s), 0);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES ('a'), ('b')"), 0);
	ck_assert_int_eq(ti_store_rollback(s), 0);
	ck_assert_int_eq(qint(s, "SELECT count(*) FROM reg"), 0);

	ck_assert_int_eq(ti_store_begin(s), 0);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES ('a')"), 0);
	ck_assert_int_eq(ti_store_begin(s), -EBUSY);
	/* The outer transaction is still open and commits. */
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES ('b')"), 0);
	ck_assert_int_eq(ti_store_commit(s), 0);
	ck_assert_int_eq(ti_store_commit(s), -EINVAL);
	ck_assert_int_eq(qint(s, "SELECT count(*) FROM reg"), 2);

	/* A failed statement inside a transaction does not end it. */
	ck_assert_int_eq(ti_store_begin(s), 0);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES ('c')"), 0);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES ('a')"), TI_EDUP);
	ck_assert_int_eq(ti_store_rollback(s), 0);
	ck_assert_int_eq(qint(s, "SELECT count(*) FROM reg"), 2);
	ti_store_close(s);
}
END_TEST

/* A failed COMMIT rolls back, keeps its message and leaves no transaction open. */
START_TEST(test_commit_failure)
{
	struct ti_store *s = open_ok(":memory:", NULL, mig12, 2);

	ck_assert_int_eq(ti_store_exec(s, "CREATE TABLE d(reg INTEGER REFERENCES reg(id)"
					  " DEFERRABLE INITIALLY DEFERRED)"),
			 0);
	ck_assert_int_eq(ti_store_begin(s), 0);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO d VALUES (99)"), 0);
	ck_assert_int_eq(ti_store_commit(s), TI_EDB);
	ck_assert_str_eq(ti_store_errmsg(s), "FOREIGN KEY constraint failed");
	ck_assert_int_eq(qint(s, "SELECT count(*) FROM d"), 0);
	ck_assert_int_eq(ti_store_begin(s), 0);
	ck_assert_int_eq(ti_store_commit(s), 0);
	ti_store_close(s);
}
END_TEST

/* A second connection that cannot get the write lock gets -EBUSY after its timeout. */
START_TEST(test_busy)
{
	struct ti_store_opts o = { .synchronous = TI_STORE_SYNC_FULL, .busy_timeout_ms = 50 };
	struct ti_store *a = open_ok(db_path, NULL, mig12, 2);
	struct ti_store *b = open_ok(db_path, &o, mig12, 2);

	ck_assert_int_eq(ti_store_begin(a), 0);
	ck_assert_int_eq(ti_store_exec(a, "INSERT INTO reg(ep) VALUES ('a')"), 0);
	ck_assert_int_eq(ti_store_begin(b), -EBUSY);
	ck_assert_str_eq(ti_store_errmsg(b), "database is locked");
	ck_assert_int_eq(ti_store_exec(b, "INSERT INTO reg(ep) VALUES ('b')"), -EBUSY);
	/* WAL: readers are not blocked, and see only committed rows. */
	ck_assert_int_eq(qint(b, "SELECT count(*) FROM reg"), 0);
	ck_assert_int_eq(ti_store_commit(a), 0);
	ck_assert_int_eq(qint(b, "SELECT count(*) FROM reg"), 1);
	ck_assert_int_eq(ti_store_begin(b), 0);
	ck_assert_int_eq(ti_store_rollback(b), 0);
	ti_store_close(b);
	ti_store_close(a);
}
END_TEST

/*
 * Maintenance.
 */

START_TEST(test_integrity_ok)
{
	struct ti_store *s = open_ok(":memory:", NULL, mig12, 2);
	struct ti_store_error err = { .msg = "" };

	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES ('a')"), 0);
	ck_assert_int_eq(ti_store_integrity_check(s, &err), 0);
	ck_assert_int_eq(ti_store_integrity_check(s, NULL), 0);
	ti_store_close(s);
}
END_TEST

/* Garbage over the pages after the first (which holds the schema) is detected. */
START_TEST(test_integrity_damaged)
{
	struct ti_store *s = open_ok(db_path, NULL, mig12, 2);
	struct ti_store_error err = { .msg = "" };
	char junk[4096];
	int fd;

	ck_assert_int_eq(ti_store_exec(s, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
					  " SELECT i + 1 FROM n WHERE i < 500)"
					  " INSERT INTO reg(ep, lt) SELECT 'node' || i, i FROM n"),
			 0);
	ck_assert_int_eq(qint(s, "PRAGMA page_size"), (long long)sizeof(junk));
	ti_store_close(s); /* the last connection checkpoints and removes the WAL */

	memset(junk, 0x5a, sizeof(junk));
	fd = open(db_path, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	for (off_t page = 1; page < 4; page++)
		ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), page * (off_t)sizeof(junk)),
				 (ssize_t)sizeof(junk));
	ck_assert_int_eq(close(fd), 0);

	s = open_ok(db_path, NULL, mig12, 2);
	ck_assert_int_eq(ti_store_integrity_check(s, &err), TI_EDB);
	ck_assert_str_ne(err.msg, "");
	ti_store_close(s);
}
END_TEST

START_TEST(test_checkpoint)
{
	struct ti_store *s = open_ok(db_path, NULL, mig12, 2);
	char *wal = NULL;
	struct stat st;

	ck_assert_int_gt(asprintf(&wal, "%s-wal", db_path), 0);
	ck_assert_int_eq(ti_store_exec(s, "INSERT INTO reg(ep) VALUES ('a'), ('b')"), 0);
	ck_assert_int_eq(stat(wal, &st), 0);
	ck_assert_int_gt(st.st_size, 0);
	ck_assert_int_eq(ti_store_checkpoint(s), 0);
	ck_assert_int_eq(stat(wal, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(qint(s, "SELECT count(*) FROM reg"), 2);
	ti_store_close(s);
	free(wal);
}
END_TEST

/*
 * Durability: a row whose commit returned survives SIGKILL of the process.
 *
 * This shows that nothing the program still holds in memory is needed: the
 * commit reached the kernel and the WAL is replayed by the next open. It
 * cannot show that fsync reached the disk (the page cache survives a killed
 * process; only a power cut would tell), so synchronous=FULL is checked by
 * reading the pragma back (test_sync_readback), not here.
 */
START_TEST(test_durable_after_sigkill)
{
	struct ti_store *s;
	int fds[2], status;
	char byte = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* No Check asserts in this process: report through the pipe and _exit(). */
		struct ti_store_opts o = { .synchronous = TI_STORE_SYNC_FULL,
					   .busy_timeout_ms = 1000 };
		close(fds[0]);
		if (ti_store_open(db_path, &o, mig12, 2, &s, NULL) < 0 || ti_store_begin(s) < 0 ||
		    ti_store_exec(s, "INSERT INTO reg(ep, lt) VALUES ('acked', 1)") < 0 ||
		    ti_store_commit(s) < 0)
			_exit(1);
		if (write(fds[1], "k", 1) != 1)
			_exit(1);
		/* Then another change that is never committed, and wait to be killed. */
		if (ti_store_begin(s) == 0)
			ti_store_exec(s, "INSERT INTO reg(ep, lt) VALUES ('unacked', 2)");
		for (;;)
			pause();
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &byte, 1), 1);
	ck_assert_int_eq(byte, 'k');
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(fds[0]);

	s = open_ok(db_path, NULL, mig12, 2);
	ck_assert_int_eq(qint(s, "SELECT lt FROM reg WHERE ep = 'acked'"), 1);
	ck_assert_int_eq(qint(s, "SELECT count(*) FROM reg WHERE ep = 'unacked'"), 0);
	ck_assert_int_eq(runs(s, 2), 1);
	ck_assert_int_eq(ti_store_integrity_check(s, NULL), 0);
	ti_store_close(s);
}
END_TEST

Suite *
store_suite(void)
{
	Suite *s = suite_create("ti_store");
	TCase *tc;

	tc = tcase_create("map");
	tcase_add_loop_test(tc, test_map, 0, (int)TI_ARRAY_SIZE(map_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_open_memory);
	tcase_add_test(tc, test_open_no_migrations);
	tcase_add_test(tc, test_open_invalid);
	tcase_add_test(tc, test_sync_names);
	tcase_add_loop_test(tc, test_sync_readback, TI_STORE_SYNC_OFF, TI_STORE_SYNC_EXTRA + 1);
	tcase_add_test(tc, test_busy_timeout_readback);
	tcase_add_test(tc, test_wal_file);
	tcase_add_test(tc, test_memory_no_wal);
	tcase_add_test(tc, test_read_only);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("migrate");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_migrate_incremental);
	tcase_add_test(tc, test_migrate_failure_rolls_back);
	tcase_add_test(tc, test_migrate_failure_memory);
	tcase_add_test(tc, test_migrate_own_transaction);
	tcase_add_test(tc, test_migrate_foreign_keys);
	tcase_add_test(tc, test_newer_schema);
	suite_add_tcase(s, tc);

	tc = tcase_create("statements");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_prepare_step);
	tcase_add_test(tc, test_prepare_errors);
	tcase_add_test(tc, test_constraints);
	tcase_add_test(tc, test_close_finalizes);
	suite_add_tcase(s, tc);

	tc = tcase_create("transactions");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_transactions);
	tcase_add_test(tc, test_commit_failure);
	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_durable_after_sigkill);
	suite_add_tcase(s, tc);

	tc = tcase_create("maintenance");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_integrity_ok);
	tcase_add_test(tc, test_integrity_damaged);
	tcase_add_test(tc, test_checkpoint);
	suite_add_tcase(s, tc);
	return s;
}
