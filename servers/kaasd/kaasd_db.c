/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: subscription storage in SQLite (ti_store): put, set_path, delete, load. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ti_err.h"
#include "ti_store.h"
#include "kaasd_db.h"

/*
 * kaasd holds every subscription in memory (kaasd_sub.c); the database is
 * its durable copy, read once at start (kaasd_db_load) and written on each
 * change. So SQLite's page cache is kept small: RSS must not grow with the
 * table, and the rows are never read twice. Every change is one statement,
 * its own transaction unless kaasd_db_begin() opened a group: with
 * synchronous FULL it is on disk when the function returns.
 *
 * Addresses are stored as raw bytes: 4 for IPv4 and IPv4-mapped IPv6 (both
 * family 4, loaded back as AF_INET), 16 for IPv6. The scope id and flow
 * label of an IPv6 address are dropped: a link-local peer comes back with
 * scope 0. kaasd serves devices behind NATs, which are never link-local
 * neighbours, and a scope id (an interface index) would not survive a
 * reboot anyway.
 *
 * Locking: PRAGMA locking_mode=EXCLUSIVE, as in rdd. The connection takes
 * the database's write lock when it opens and holds it until it closes, so
 * a second kaasd (or any other program) opening the same file fails after
 * the busy timeout with -EBUSY and says so, instead of two daemons keeping
 * the same devices alive and overwriting each other's rows. The sqlite3
 * shell cannot read the file while kaasd runs either: stop kaasd first.
 */

/* The compiled-in schema steps (kaasd_schema.c); db/kaasd.sql is their SQL. */

/*
 * Page cache of one connection, in KiB. Rows are read once (kaasd_db_load
 * scans the table in order) and written one at a time, so a large cache buys
 * nothing: with 1M rows (77 MB), populating in groups of 10000 and loading
 * took the same time with 1, 2, 4 and 16 MiB, while RSS grew with the cache.
 * The upper levels of both B-trees (about 70 pages) stay cached.
 */
#define KAASD_DB_CACHE_KIB 2048

/* Longest endpoint name (the spec's ep rule: 1..63 bytes). */
#define EP_MAX 63

enum { S_FIND, S_INSERT, S_UPDATE, S_SET_PATH, S_DELETE, S_LOAD, S_COUNT, S_MAX };

/* ?2..?13 are the same columns in S_INSERT and S_UPDATE (bind_row); ?1 is ep or id. */
static const char *const stmt_sql[S_MAX] = {
	[S_FIND] = "SELECT id FROM subscription WHERE ep = ?1",
	[S_INSERT] = "INSERT INTO subscription (ep, family, addr, port, local_addr, local_port,"
		     " created, expires, interval, ttl_hint, recv_ttl, ka_ttl, nat_hops)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[S_UPDATE] = "UPDATE subscription SET family = ?2, addr = ?3, port = ?4,"
		     " local_addr = ?5, local_port = ?6, expires = ?8, interval = ?9,"
		     " ttl_hint = ?10, recv_ttl = ?11, ka_ttl = ?12, nat_hops = ?13"
		     " WHERE id = ?1",
	[S_SET_PATH] = "UPDATE subscription SET ka_ttl = ?2, nat_hops = ?3 WHERE id = ?1",
	[S_DELETE] = "DELETE FROM subscription WHERE id = ?1",
	[S_LOAD] = "SELECT id, ep, family, addr, port, local_addr, local_port, created, expires,"
		   " interval, ttl_hint, recv_ttl, ka_ttl, nat_hops FROM subscription ORDER BY id",
	[S_COUNT] = "SELECT count(*) FROM subscription",
};

struct kaasd_db {
	struct ti_store *store;
	sqlite3 *handle; /* for sqlite3_get_autocommit() */
	int group;	 /* kaasd_db_begin() opened a transaction */
	int group_err;	 /* an error made SQLite roll the group back */
	sqlite3_stmt *st[S_MAX];
};

/* An address as stored: family 4 or 6, 4 or 16 bytes, host-order port. */
struct raw_addr {
	int family;
	int len;
	uint16_t port;
	uint8_t a[16];
};

/*
 * Helpers
 */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* IPv4-mapped IPv6 becomes IPv4; the IPv6 scope id and flow label are dropped. */
static int
addr_encode(const struct sockaddr_storage *ss, struct raw_addr *ret)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	*ret = (struct raw_addr){ .family = 0 };
	if (ss->ss_family == AF_INET) {
		ret->family = 4;
		ret->len = 4;
		ret->port = ntohs(sin->sin_port);
		memcpy(ret->a, &sin->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		ret->port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			ret->family = 4;
			ret->len = 4;
			memcpy(ret->a, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			ret->family = 6;
			ret->len = 16;
			memcpy(ret->a, &s6->sin6_addr, 16);
		}
	} else {
		return -EINVAL;
	}
	return 0;
}

/* A stored address back into a sockaddr (zeroed first). */
static int
addr_decode(const void *blob, int len, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (blob == NULL || port < 0 || port > 65535)
		return TI_EDB;
	if (len == 4) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, blob, 4);
	} else if (len == 16) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, blob, 16);
	} else {
		return TI_EDB;
	}
	return 0;
}

/* 1..EP_MAX bytes of printable ASCII without space. */
static int
ep_valid(const char *ep)
{
	size_t len;

	if (ep == NULL)
		return 0;
	for (len = 0; ep[len] != '\0'; len++) {
		if (len >= EP_MAX || ep[len] < 0x21 || ep[len] > 0x7e)
			return 0;
	}
	return len > 0;
}

/* Step a statement that returns no row. */
static int
exec_stmt(sqlite3_stmt *st)
{
	int r = ti_store_step(st);

	if (r > 0) {
		ti_store_reset(st);
		r = 0;
	}
	return r;
}

/*
 * After a failed change inside a group: some errors (I/O, disk full, out of
 * memory) make SQLite roll back the whole transaction. Then the group is
 * gone; remember why, so that later changes and kaasd_db_commit() report it
 * rather than running outside any transaction.
 */
static int
change_failed(struct kaasd_db *db, int r)
{
	if (db->group && db->group_err == 0 && sqlite3_get_autocommit(db->handle))
		db->group_err = r;
	return r;
}

/*
 * Open and close
 */

/*
 * SQLite describes permission problems poorly: a database it cannot create
 * is "unable to open" with the errno of its last attempt (ENOENT), and a
 * WAL database in a read-only directory is "attempt to write a readonly
 * database" when setting a pragma. Name the file or directory at fault.
 * @return r, or -ENOENT / -EACCES / -EROFS with err rewritten.
 */
static int
explain_open(const char *path, int r, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	const char *d = ".";
	char dirbuf[4096];
	struct stat st;
	int exists;

	if (r != -ENOENT && r != -EACCES && r != -EROFS)
		return r;
	if (slash != NULL) {
		if ((size_t)(slash - path) >= sizeof(dirbuf))
			return r;
		memcpy(dirbuf, path, (size_t)(slash - path));
		dirbuf[slash - path] = '\0';
		d = slash == path ? "/" : dirbuf;
	}
	exists = stat(path, &st) == 0;
	if (!exists && errno != ENOENT)
		return r;
	if (stat(d, &st) < 0) {
		set_err(err, errlen, "cannot create the database: directory '%s' is missing (%s)",
			d, strerror(errno));
		return -ENOENT;
	}
	if (exists && access(path, R_OK | W_OK) < 0) {
		set_err(err, errlen, "the database file is not writable (%s)", strerror(errno));
		return -EROFS;
	}
	if (access(d, W_OK | X_OK) < 0) {
		set_err(err, errlen,
			"directory '%s' is not writable: it must hold the database and its "
			"-wal and -shm files",
			d);
		return -EACCES;
	}
	return r;
}

int
kaasd_db_open(const char *path, int sync, struct kaasd_db **ret_db, char *err, size_t errlen)
{
	struct ti_store_opts opts = TI_STORE_OPTS_INIT;
	struct ti_store_error serr = { .msg = "" };
	int file = path != NULL && strcmp(path, ":memory:") != 0;
	struct kaasd_db *db;
	char pragma[64];
	int r;

	if (path == NULL || ret_db == NULL) {
		set_err(err, errlen, "invalid arguments");
		return -EINVAL;
	}
	db = calloc(1, sizeof(*db));
	if (db == NULL) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	opts.synchronous = sync;
	r = ti_store_open(path, &opts, kaasd_migrations, kaasd_n_migrations, &db->store, &serr);
	if (r == -EBUSY) {
		set_err(err, errlen, "database is locked: another kaasd (or program) uses it (%s)",
			serr.msg);
		goto out_free;
	}
	if (r < 0) {
		set_err(err, errlen, "%s", serr.msg[0] != '\0' ? serr.msg : ti_strerror(r));
		if (file)
			r = explain_open(path, r, err, errlen);
		goto out_free;
	}
	/* Bounded whatever the table's size: kaasd has its own copy of every row. */
	snprintf(pragma, sizeof(pragma), "PRAGMA cache_size=-%d", KAASD_DB_CACHE_KIB);
	r = ti_store_exec(db->store, pragma);
	/* Temporary files (statement journals) in memory, not in /var/tmp. */
	if (r == 0)
		r = ti_store_exec(db->store, "PRAGMA temp_store=MEMORY");
	/* Take the lock now and keep it: a second kaasd on this file fails at its open. */
	if (r == 0 && file)
		r = ti_store_exec(db->store, "PRAGMA locking_mode=EXCLUSIVE");
	if (r == 0 && file) {
		r = ti_store_exec(db->store, "BEGIN IMMEDIATE; COMMIT");
		if (r == -EBUSY) {
			set_err(err, errlen,
				"database is locked: another kaasd (or program) uses it (%s)",
				ti_store_errmsg(db->store));
			goto out_close;
		}
	}
	if (r < 0) {
		set_err(err, errlen, "cannot configure the database (%s)",
			ti_store_errmsg(db->store));
		goto out_close;
	}
	for (size_t i = 0; r == 0 && i < S_MAX; i++)
		r = ti_store_prepare(db->store, stmt_sql[i], &db->st[i]);
	if (r < 0) {
		/* e.g. "no such table: subscription": user_version 1 but another program's file */
		set_err(err, errlen, "not a kaasd database, or a damaged one (%s)",
			ti_store_errmsg(db->store));
		if (r != -ENOMEM)
			r = TI_EDB;
		goto out_close;
	}
	db->handle = sqlite3_db_handle(db->st[S_FIND]);
	/* SQLite falls back to read-only when it may not write the file; writes fail later. */
	if (sqlite3_db_readonly(db->handle, "main") == 1) {
		set_err(err, errlen, "the database file is read-only");
		r = -EROFS;
		goto out_close;
	}
	*ret_db = db;
	return 0;

out_close:
	ti_store_close(db->store);
out_free:
	free(db);
	return r;
}

void
kaasd_db_close(struct kaasd_db *db)
{
	if (db == NULL)
		return;
	/* An uncommitted group is rolled back. */
	ti_store_close(db->store);
	free(db);
}

/*
 * Changes
 */

/* Bind ?2..?13 of S_INSERT / S_UPDATE; peer and local must outlive the step. */
static int
bind_row(sqlite3_stmt *st, const struct kaasd_db_sub *s, const struct raw_addr *peer,
	 const struct raw_addr *local)
{
	int rc;

	rc = sqlite3_bind_int(st, 2, peer->family);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(st, 3, peer->a, peer->len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 4, peer->port);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(st, 5, local->a, local->len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 6, local->port);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 7, s->created);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 8, s->expires);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 9, s->interval);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 10, s->ttl_hint);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 11, s->recv_ttl);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 12, s->ka_ttl);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 13, s->nat_hops);
	return ti_store_map(rc);
}

/* The id of ep's row: 0 and *ret_id, -ENOENT, or an error. */
static int
find_id(struct kaasd_db *db, const char *ep, int64_t *ret_id)
{
	sqlite3_stmt *st = db->st[S_FIND];
	int r;

	r = ti_store_map(sqlite3_bind_text(st, 1, ep, -1, SQLITE_STATIC));
	if (r == 0)
		r = ti_store_step(st);
	if (r <= 0) {
		ti_store_reset(st);
		return r == 0 ? -ENOENT : r;
	}
	*ret_id = sqlite3_column_int64(st, 0);
	ti_store_reset(st);
	return 0;
}

/*
 * A lookup by ep, then an UPDATE by id or an INSERT: only the one write
 * changes the file (an INSERT ... ON CONFLICT DO UPDATE would also advance
 * the AUTOINCREMENT counter on every refresh). The connection is the
 * file's only one (exclusive locking), so nothing can come in between.
 */
int
kaasd_db_put(struct kaasd_db *db, struct kaasd_db_sub *s)
{
	struct raw_addr peer, local;
	sqlite3_stmt *st;
	int64_t id = 0;
	int r;

	if (db == NULL || s == NULL || !ep_valid(s->ep) || s->created < 0 || s->expires < 0)
		return -EINVAL;
	if (addr_encode(&s->peer, &peer) < 0 || addr_encode(&s->local, &local) < 0 ||
	    local.port == 0)
		return -EINVAL;
	if (db->group_err != 0)
		return db->group_err;
	r = find_id(db, s->ep, &id);
	if (r == 0) {
		st = db->st[S_UPDATE];
		r = ti_store_map(sqlite3_bind_int64(st, 1, id));
	} else if (r == -ENOENT) {
		st = db->st[S_INSERT];
		r = ti_store_map(sqlite3_bind_text(st, 1, s->ep, -1, SQLITE_STATIC));
	} else {
		return change_failed(db, r);
	}
	if (r == 0)
		r = bind_row(st, s, &peer, &local);
	if (r == 0)
		r = exec_stmt(st);
	ti_store_reset(st); /* clears the bindings: ep is the caller's */
	if (r < 0)
		return change_failed(db, r);
	if (id == 0)
		id = ti_store_last_rowid(db->store);
	s->id = id;
	return 0;
}

int
kaasd_db_set_path(struct kaasd_db *db, int64_t id, uint8_t ka_ttl, uint8_t nat_hops)
{
	sqlite3_stmt *st;
	int r;

	if (db == NULL)
		return -EINVAL;
	if (db->group_err != 0)
		return db->group_err;
	st = db->st[S_SET_PATH];
	r = ti_store_map(sqlite3_bind_int64(st, 1, id));
	if (r == 0)
		r = ti_store_map(sqlite3_bind_int(st, 2, ka_ttl));
	if (r == 0)
		r = ti_store_map(sqlite3_bind_int(st, 3, nat_hops));
	if (r == 0)
		r = exec_stmt(st);
	if (r < 0)
		return change_failed(db, r);
	return ti_store_changes(db->store) > 0 ? 0 : -ENOENT;
}

int
kaasd_db_delete(struct kaasd_db *db, int64_t id)
{
	sqlite3_stmt *st;
	int r;

	if (db == NULL)
		return -EINVAL;
	if (db->group_err != 0)
		return db->group_err;
	st = db->st[S_DELETE];
	r = ti_store_map(sqlite3_bind_int64(st, 1, id));
	if (r == 0)
		r = exec_stmt(st);
	if (r < 0)
		return change_failed(db, r);
	return ti_store_changes(db->store) > 0 ? 0 : -ENOENT;
}

/*
 * Groups
 */

int
kaasd_db_begin(struct kaasd_db *db)
{
	int r;

	if (db == NULL)
		return -EINVAL;
	if (db->group)
		return -EBUSY; /* groups do not nest */
	r = ti_store_begin(db->store);
	if (r == 0) {
		db->group = 1;
		db->group_err = 0;
	}
	return r;
}

int
kaasd_db_commit(struct kaasd_db *db)
{
	int r;

	if (db == NULL || !db->group)
		return -EINVAL;
	db->group = 0;
	r = db->group_err;
	db->group_err = 0;
	if (r < 0) {
		ti_store_rollback(db->store); /* normally already done by SQLite */
		return r;
	}
	return ti_store_commit(db->store);
}

/*
 * Reading
 */

/* Fill s from the current row of S_LOAD. */
static int
read_row(sqlite3_stmt *st, struct kaasd_db_sub *s)
{
	int family = sqlite3_column_int(st, 2);
	int64_t interval = sqlite3_column_int64(st, 9);
	int r;

	*s = (struct kaasd_db_sub){ .id = sqlite3_column_int64(st, 0) };
	s->ep = (const char *)sqlite3_column_text(st, 1);
	/* NOT NULL and CHECK constraints: only a damaged file fails these. */
	if (s->ep == NULL || (family != 4 && family != 6) || interval < 0 || interval > UINT32_MAX)
		return TI_EDB;
	r = addr_decode(sqlite3_column_blob(st, 3), sqlite3_column_bytes(st, 3),
			sqlite3_column_int(st, 4), &s->peer);
	if (r == 0 && (family == 4) != (s->peer.ss_family == AF_INET))
		r = TI_EDB;
	if (r == 0)
		r = addr_decode(sqlite3_column_blob(st, 5), sqlite3_column_bytes(st, 5),
				sqlite3_column_int(st, 6), &s->local);
	if (r < 0)
		return r;
	s->created = sqlite3_column_int64(st, 7);
	s->expires = sqlite3_column_int64(st, 8);
	s->interval = (uint32_t)interval;
	s->ttl_hint = (uint8_t)sqlite3_column_int(st, 10);
	s->recv_ttl = (uint8_t)sqlite3_column_int(st, 11);
	s->ka_ttl = (uint8_t)sqlite3_column_int(st, 12);
	s->nat_hops = (uint8_t)sqlite3_column_int(st, 13);
	return 0;
}

/* fn must not call kaasd_db_*() on db: the table is being read. */
int
kaasd_db_load(struct kaasd_db *db, kaasd_db_load_fn *fn, void *arg)
{
	sqlite3_stmt *st;
	struct kaasd_db_sub s;
	int r;

	if (db == NULL || fn == NULL)
		return -EINVAL;
	st = db->st[S_LOAD];
	while ((r = ti_store_step(st)) == 1) {
		r = read_row(st, &s);
		if (r == 0)
			r = fn(&s, arg);
		if (r != 0) {
			ti_store_reset(st);
			return r;
		}
	}
	return r;
}

int64_t
kaasd_db_count(struct kaasd_db *db)
{
	sqlite3_stmt *st;
	int64_t n;
	int r;

	if (db == NULL)
		return -1;
	st = db->st[S_COUNT];
	r = ti_store_step(st);
	if (r != 1)
		return -1;
	n = sqlite3_column_int64(st, 0);
	ti_store_reset(st);
	return n;
}

int
kaasd_db_check(struct kaasd_db *db, char *err, size_t errlen)
{
	struct ti_store_error serr = { .msg = "" };
	int r;

	if (db == NULL) {
		set_err(err, errlen, "invalid arguments");
		return -EINVAL;
	}
	r = ti_store_integrity_check(db->store, &serr);
	if (r < 0)
		set_err(err, errlen, "%s", serr.msg[0] != '\0' ? serr.msg : ti_strerror(r));
	return r;
}
