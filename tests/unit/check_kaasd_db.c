/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for kaasd_db: subscriptions stored, replaced, loaded; schema, locking, errors. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <sqlite3.h>

#include "ti_err.h"
#include "ti_store.h"
#include "ti_util.h"
#include "kaasd_db.h"
#include "check_main.h"

/* The compiled-in schema steps (kaasd_schema.c). */

#define NOW 1795000000LL

static char *dir;
static char *db_path;

static void
dir_setup(void)
{
	dir = check_mkdtemp();
	ck_assert_int_gt(asprintf(&db_path, "%s/kaasd.db", dir), 0);
}

static void
dir_teardown(void)
{
	TI_FREE(&db_path);
	check_rmtree(dir);
	dir = NULL;
}

static struct kaasd_db *
open_db(const char *path, int sync)
{
	struct kaasd_db *db = NULL;
	char err[256] = "";
	int r = kaasd_db_open(path, sync, &db, err, sizeof(err));

	ck_assert_msg(r == 0, "kaasd_db_open(%s): %s (%s)", path, ti_strerror(r), err);
	ck_assert_ptr_nonnull(db);
	return db;
}

static struct kaasd_db *
open_mem(void)
{
	return open_db(":memory:", TI_STORE_SYNC_FULL);
}

/* "1.2.3.4" or "2001:db8::1" (any textual form inet_pton takes) into ss. */
static void
mkaddr(struct sockaddr_storage *ss, const char *host, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return;
	}
	ck_assert_msg(inet_pton(AF_INET6, host, &s6->sin6_addr) == 1, "bad address %s", host);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
}

/* A typical subscription of ep from host:port to 192.0.2.1:5883. */
static struct kaasd_db_sub
mksub(const char *ep, const char *host, uint16_t port)
{
	struct kaasd_db_sub s = {
		.ep = ep,
		.created = NOW,
		.expires = NOW + 86400,
		.interval = 25,
		.ttl_hint = 64,
		.recv_ttl = 61,
		.ka_ttl = 0,
		.nat_hops = 0,
	};

	mkaddr(&s.peer, host, port);
	mkaddr(&s.local, "192.0.2.1", 5883);
	return s;
}

static int64_t
put_ok(struct kaasd_db *db, struct kaasd_db_sub *s)
{
	int r;

	s->id = 0;
	r = kaasd_db_put(db, s);
	ck_assert_msg(r == 0, "put %s: %s", s->ep, ti_strerror(r));
	ck_assert_int_gt(s->id, 0);
	return s->id;
}

/* Every row, copied (ep into a fixed buffer), in load order. */
#define ROWS_MAX 64
struct rows {
	size_t n;
	struct kaasd_db_sub v[ROWS_MAX];
	char ep[ROWS_MAX][64];
	size_t stop_after; /* 0: never stop */
	int stop_value;
};

static int
collect(const struct kaasd_db_sub *s, void *arg)
{
	struct rows *rows = arg;

	ck_assert_ptr_nonnull(s->ep);
	ck_assert_uint_lt(rows->n, ROWS_MAX);
	rows->v[rows->n] = *s;
	ti_strlcpy(rows->ep[rows->n], s->ep, sizeof(rows->ep[0]));
	rows->v[rows->n].ep = rows->ep[rows->n];
	rows->n++;
	if (rows->stop_after > 0 && rows->n == rows->stop_after)
		return rows->stop_value;
	return 0;
}

static void
load_all(struct kaasd_db *db, struct rows *rows)
{
	int r;

	memset(rows, 0, sizeof(*rows));
	r = kaasd_db_load(db, collect, rows);
	ck_assert_msg(r == 0, "load: %s", ti_strerror(r));
}

/* The loaded row of ep; fails the test when it is missing. */
static const struct kaasd_db_sub *
find_row(const struct rows *rows, const char *ep)
{
	for (size_t i = 0; i < rows->n; i++)
		if (strcmp(rows->v[i].ep, ep) == 0)
			return &rows->v[i];
	ck_abort_msg("no row for ep '%s'", ep);
	return NULL;
}

/* "a.b.c.d:port" / "[v6]:port" of a loaded address, with the family checked. */
static void
expect_addr(const struct sockaddr_storage *ss, int family, const char *host, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];

	ck_assert_int_eq(ss->ss_family, family);
	if (family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		ck_assert_ptr_nonnull(inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)));
		ck_assert_uint_eq(ntohs(sin->sin_port), port);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		ck_assert_ptr_nonnull(inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof(buf)));
		ck_assert_uint_eq(ntohs(s6->sin6_port), port);
		ck_assert_uint_eq(s6->sin6_scope_id, 0);
		ck_assert_uint_eq(s6->sin6_flowinfo, 0);
	}
	ck_assert_str_eq(buf, host);
}

/* Same fields (id, ep, times, TTLs); addresses are compared by the callers. */
static void
expect_fields(const struct kaasd_db_sub *got, const struct kaasd_db_sub *want)
{
	ck_assert_int_eq(got->id, want->id);
	ck_assert_str_eq(got->ep, want->ep);
	ck_assert_int_eq(got->created, want->created);
	ck_assert_int_eq(got->expires, want->expires);
	ck_assert_uint_eq(got->interval, want->interval);
	ck_assert_uint_eq(got->ttl_hint, want->ttl_hint);
	ck_assert_uint_eq(got->recv_ttl, want->recv_ttl);
	ck_assert_uint_eq(got->ka_ttl, want->ka_ttl);
	ck_assert_uint_eq(got->nat_hops, want->nat_hops);
}

/* The whole file as a string (caller frees). */
static char *
read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t len = 0, n;
	char *buf;

	ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
	buf = malloc(1 << 20);
	ck_assert_ptr_nonnull(buf);
	while ((n = fread(buf + len, 1, (1 << 20) - 1 - len, f)) > 0)
		len += n;
	ck_assert_msg(len < (1 << 20) - 1, "%s is too large", path);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* Run one statement on path with a separate plain SQLite connection. */
static int
raw_exec(const char *path, const char *sql)
{
	sqlite3 *s = NULL;
	int rc;

	ck_assert_int_eq(sqlite3_open(path, &s), SQLITE_OK);
	rc = sqlite3_exec(s, sql, NULL, NULL, NULL);
	sqlite3_close(s);
	return rc;
}

static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3 *s = NULL;
	sqlite3_stmt *st;
	int64_t v;

	ck_assert_int_eq(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(s, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(s));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(s);
	return v;
}

/*
 * Schema
 */

START_TEST(test_schema_file_matches)
{
	char *file = read_all(KAASD_SQL_PATH);
	size_t off = 0, len;

	ck_assert_uint_ge(kaasd_n_migrations, 1);
	for (size_t i = 0; i < kaasd_n_migrations; i++) {
		len = strlen(kaasd_migrations[i].sql);
		ck_assert_msg(strncmp(file + off, kaasd_migrations[i].sql, len) == 0,
			      "db/kaasd.sql differs from migration %d in kaasd_schema.c",
			      kaasd_migrations[i].version);
		off += len;
	}
	ck_assert_msg(file[off] == '\0', "db/kaasd.sql has more than the migrations: '%.40s'",
		      file + off);
	free(file);
}
END_TEST

/* Create, check version and journal mode, reopen with another sync level. */
START_TEST(test_open_create_reopen)
{
	struct kaasd_db *db;
	char err[256] = "";
	struct kaasd_db_sub s = mksub("node1", "203.0.113.7", 40001);

	ck_assert_int_ne(access(db_path, F_OK), 0);
	db = open_db(db_path, TI_STORE_SYNC_FULL);
	ck_assert_int_eq(access(db_path, F_OK), 0);
	ck_assert_int_eq(kaasd_db_count(db), 0);
	ck_assert_int_eq(kaasd_db_check(db, err, sizeof(err)), 0);
	put_ok(db, &s);
	kaasd_db_close(db);

	ck_assert_int_eq(raw_int(db_path, "PRAGMA user_version"),
			 kaasd_migrations[kaasd_n_migrations - 1].version);
	ck_assert_int_eq(kaasd_migrations[kaasd_n_migrations - 1].version, 1);
	{
		sqlite3 *h;
		sqlite3_stmt *st;

		ck_assert_int_eq(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READONLY, NULL),
				 SQLITE_OK);
		ck_assert_int_eq(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL),
				 SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
		sqlite3_finalize(st);
		sqlite3_close(h);
	}
	/* Reopening an up-to-date database migrates nothing and keeps the rows. */
	for (int sync = TI_STORE_SYNC_OFF; sync <= TI_STORE_SYNC_EXTRA; sync++) {
		db = open_db(db_path, sync);
		ck_assert_int_eq(kaasd_db_count(db), 1);
		kaasd_db_close(db);
	}
	ck_assert_int_eq(raw_int(db_path, "PRAGMA user_version"), 1);
}
END_TEST

/* The CHECK constraints hold even for writers other than kaasd_db. */
START_TEST(test_schema_checks)
{
	/* Each one changes a valid row into an invalid one. */
	static const char *const bad[] = {
		"ep = ''",
		"ep = '0123456789012345678901234567890123456789012345678901234567890123'",
		"ep = NULL",
		"ep = x'41'",
		"family = 5",
		"family = NULL",
		"addr = x'0102030405'",
		"family = 6",
		"addr = 'abcd'",
		"addr = NULL",
		"port = 65536",
		"port = -1",
		"local_addr = x'01'",
		"local_addr = '1234'",
		"local_port = 0",
		"local_port = 65536",
		"created = -1",
		"expires = -1",
		"created = NULL",
		"interval = 4294967296",
		"interval = -1",
		"ttl_hint = 256",
		"recv_ttl = -1",
		"ka_ttl = 256",
		"nat_hops = 256",
		"nat_hops = NULL",
	};
	/* A valid row (its ep is changed for each case). */
	static const char base[] =
	    "CREATE TEMP TABLE t AS SELECT 'ok' AS ep, 4 AS family, x'cb007107' AS addr,"
	    " 40001 AS port, x'c0000201' AS local_addr, 5883 AS local_port, 1 AS created,"
	    " 2 AS expires, 25 AS interval, 64 AS ttl_hint, 61 AS recv_ttl, 3 AS ka_ttl,"
	    " 2 AS nat_hops;";
	static const char copy[] =
	    "INSERT INTO subscription (ep, family, addr, port, local_addr, local_port, created,"
	    " expires, interval, ttl_hint, recv_ttl, ka_ttl, nat_hops) SELECT * FROM t;";
	char sql[1024];

	kaasd_db_close(open_db(db_path, TI_STORE_SYNC_FULL));
	snprintf(sql, sizeof(sql), "%s %s", base, copy);
	ck_assert_int_eq(raw_exec(db_path, sql), SQLITE_OK);
	for (size_t i = 0; i < TI_ARRAY_SIZE(bad); i++) {
		snprintf(sql, sizeof(sql), "%s UPDATE t SET ep = 'bad%zu'; UPDATE t SET %s; %s",
			 base, i, bad[i], copy);
		ck_assert_msg(raw_exec(db_path, sql) != SQLITE_OK, "accepted a row with %s",
			      bad[i]);
	}
	/* The valid row with another ep passes (the template itself is fine). */
	snprintf(sql, sizeof(sql),
		 "%s UPDATE t SET ep = 'ok2', family = 6,"
		 " addr = x'20010db8000000000000000000000001', interval = 4294967295; %s",
		 base, copy);
	ck_assert_int_eq(raw_exec(db_path, sql), SQLITE_OK);
	ck_assert_int_eq(raw_exec(db_path, "DELETE FROM subscription WHERE ep = 'ok2'"),
			 SQLITE_OK);
	ck_assert_int_eq(raw_int(db_path, "SELECT count(*) FROM subscription"), 1);
	/* The one good row loads. */
	{
		struct kaasd_db *db = open_db(db_path, TI_STORE_SYNC_FULL);
		struct rows rows;

		load_all(db, &rows);
		ck_assert_uint_eq(rows.n, 1);
		expect_addr(&rows.v[0].peer, AF_INET, "203.0.113.7", 40001);
		expect_addr(&rows.v[0].local, AF_INET, "192.0.2.1", 5883);
		ck_assert_uint_eq(rows.v[0].ka_ttl, 3);
		kaasd_db_close(db);
	}
}
END_TEST

/*
 * Changes
 */

START_TEST(test_put_insert_upsert)
{
	struct kaasd_db *db = open_mem();
	struct kaasd_db_sub a = mksub("node1", "203.0.113.7", 40001);
	struct kaasd_db_sub b = mksub("node2", "203.0.113.8", 40002);
	struct kaasd_db_sub a2;
	struct rows rows;
	int64_t ida, idb;

	ida = put_ok(db, &a);
	idb = put_ok(db, &b);
	ck_assert_int_ne(ida, idb);
	ck_assert_int_eq(kaasd_db_count(db), 2);

	/* Same ep again: same id and created, everything else replaced. */
	a2 = mksub("node1", "2001:db8::7", 50000);
	mkaddr(&a2.local, "2001:db8::1", 5884);
	a2.id = 0;
	a2.created = NOW + 500; /* ignored: created is kept */
	a2.expires = NOW + 1000;
	a2.interval = 30;
	a2.ttl_hint = 128;
	a2.recv_ttl = 120;
	a2.ka_ttl = 9;
	a2.nat_hops = 8;
	ck_assert_int_eq(kaasd_db_put(db, &a2), 0);
	ck_assert_int_eq(a2.id, ida);
	ck_assert_int_eq(kaasd_db_count(db), 2);
	/* A stale id in the argument is ignored: the ep decides. */
	a2.id = idb;
	ck_assert_int_eq(kaasd_db_put(db, &a2), 0);
	ck_assert_int_eq(a2.id, ida);

	load_all(db, &rows);
	ck_assert_uint_eq(rows.n, 2);
	a2.created = NOW;
	expect_fields(find_row(&rows, "node1"), &a2);
	expect_addr(&find_row(&rows, "node1")->peer, AF_INET6, "2001:db8::7", 50000);
	expect_addr(&find_row(&rows, "node1")->local, AF_INET6, "2001:db8::1", 5884);
	expect_fields(find_row(&rows, "node2"), &b);
	expect_addr(&find_row(&rows, "node2")->peer, AF_INET, "203.0.113.8", 40002);

	/* The ep is the caller's: the stored copy does not point at it. */
	{
		char ep[8] = "node3";
		struct kaasd_db_sub c = mksub(ep, "203.0.113.9", 1);

		put_ok(db, &c);
		strcpy(ep, "XXXXX");
		load_all(db, &rows);
		ck_assert_uint_eq(rows.n, 3);
		ck_assert_str_eq(rows.v[2].ep, "node3");
	}
	kaasd_db_close(db);
}
END_TEST

/* Ids only grow: a deleted id (even the highest) is not given out again. */
START_TEST(test_ids_not_reused)
{
	struct kaasd_db *db = open_db(db_path, TI_STORE_SYNC_NORMAL);
	struct kaasd_db_sub s;
	int64_t id1, id2, id3, id4;

	s = mksub("a", "203.0.113.1", 1000);
	id1 = put_ok(db, &s);
	s = mksub("b", "203.0.113.2", 1000);
	id2 = put_ok(db, &s);
	ck_assert_int_gt(id2, id1);
	/* Refreshes do not consume ids. */
	for (int i = 0; i < 5; i++) {
		s = mksub("b", "203.0.113.2", (uint16_t)(1000 + i));
		ck_assert_int_eq(put_ok(db, &s), id2);
	}
	ck_assert_int_eq(kaasd_db_delete(db, id2), 0);
	s = mksub("c", "203.0.113.3", 1000);
	id3 = put_ok(db, &s);
	ck_assert_int_eq(id3, id2 + 1);
	/* The deleted ep comes back under a new id. */
	s = mksub("b", "203.0.113.2", 1000);
	id4 = put_ok(db, &s);
	ck_assert_int_gt(id4, id3);
	kaasd_db_close(db);
	/* Also across a restart. */
	db = open_db(db_path, TI_STORE_SYNC_NORMAL);
	ck_assert_int_eq(kaasd_db_delete(db, id4), 0);
	s = mksub("d", "203.0.113.4", 1000);
	ck_assert_int_gt(put_ok(db, &s), id4);
	kaasd_db_close(db);
}
END_TEST

START_TEST(test_put_invalid)
{
	struct kaasd_db *db = open_mem();
	struct kaasd_db_sub s = mksub("node1", "203.0.113.7", 40001), bad;
	struct rows rows;
	char long_ep[65];

	put_ok(db, &s);
	memset(long_ep, 'e', 64);
	long_ep[64] = '\0';
	const char *const eps[] = {
		NULL, "", long_ep, "with space", "tab\t", "del\x7f", "\xc3\xa9"
	};
	for (size_t i = 0; i < TI_ARRAY_SIZE(eps); i++) {
		bad = s;
		bad.ep = eps[i];
		ck_assert_int_eq(kaasd_db_put(db, &bad), -EINVAL);
	}
	long_ep[63] = '\0'; /* 63 bytes: the longest allowed */
	bad = mksub(long_ep, "203.0.113.7", 1);
	put_ok(db, &bad);
	ck_assert_int_eq(kaasd_db_delete(db, bad.id), 0);

	bad = s;
	bad.peer.ss_family = AF_UNSPEC;
	ck_assert_int_eq(kaasd_db_put(db, &bad), -EINVAL);
	bad = s;
	bad.local.ss_family = AF_UNIX;
	ck_assert_int_eq(kaasd_db_put(db, &bad), -EINVAL);
	bad = s;
	mkaddr(&bad.local, "192.0.2.1", 0);
	ck_assert_int_eq(kaasd_db_put(db, &bad), -EINVAL);
	bad = s;
	bad.created = -1;
	ck_assert_int_eq(kaasd_db_put(db, &bad), -EINVAL);
	bad = s;
	bad.expires = -5;
	ck_assert_int_eq(kaasd_db_put(db, &bad), -EINVAL);
	ck_assert_int_eq(kaasd_db_put(db, NULL), -EINVAL);
	ck_assert_int_eq(kaasd_db_put(NULL, &s), -EINVAL);
	/* A peer port 0 is stored as seen (kaasd refuses such a source earlier). */
	bad = mksub("port0", "203.0.113.9", 0);
	put_ok(db, &bad);

	/* Nothing of the refused ones was stored or changed. */
	load_all(db, &rows);
	ck_assert_uint_eq(rows.n, 2);
	expect_fields(&rows.v[0], &s);
	expect_addr(&rows.v[0].peer, AF_INET, "203.0.113.7", 40001);
	expect_addr(&rows.v[1].peer, AF_INET, "203.0.113.9", 0);
	kaasd_db_close(db);
}
END_TEST

/* Round trips of IPv4, IPv6, IPv4-mapped IPv6 and link-local IPv6 through a file. */
START_TEST(test_address_round_trip)
{
	static const struct {
		const char *ep, *peer, *local;
		uint16_t pport, lport;
		int pfam, lfam;
		const char *want_peer, *want_local;
	} cases[] = {
		{ "v4", "198.51.100.1", "192.0.2.1", 1, 5883, AF_INET, AF_INET, "198.51.100.1",
		  "192.0.2.1" },
		{ "v6", "2001:db8:ffff::1234", "2001:db8::1", 65535, 5883, AF_INET6, AF_INET6,
		  "2001:db8:ffff::1234", "2001:db8::1" },
		{ "mapped", "::ffff:203.0.113.7", "::ffff:192.0.2.1", 40001, 5883, AF_INET,
		  AF_INET, "203.0.113.7", "192.0.2.1" },
		{ "mapped-v6-local", "::ffff:203.0.113.8", "::", 40002, 5883, AF_INET, AF_INET6,
		  "203.0.113.8", "::" },
		{ "wild-v4", "203.0.113.9", "0.0.0.0", 7, 65535, AF_INET, AF_INET, "203.0.113.9",
		  "0.0.0.0" },
		/* Looks like mapped but is not (::ffff:0:a.b.c.d is IPv4-translated). */
		{ "not-mapped", "::ffff:0:203.0.113.7", "2001:db8::1", 5, 5, AF_INET6, AF_INET6,
		  "::ffff:0:cb00:7107", "2001:db8::1" },
		{ "linklocal", "fe80::1", "fe80::2", 5683, 5883, AF_INET6, AF_INET6, "fe80::1",
		  "fe80::2" },
	};
	struct kaasd_db *db = open_db(db_path, TI_STORE_SYNC_FULL);
	struct rows rows;

	for (size_t i = 0; i < TI_ARRAY_SIZE(cases); i++) {
		struct kaasd_db_sub s = mksub(cases[i].ep, cases[i].peer, cases[i].pport);

		mkaddr(&s.local, cases[i].local, cases[i].lport);
		if (s.peer.ss_family == AF_INET6) {
			/* Scope id and flow label are dropped (documented). */
			((struct sockaddr_in6 *)&s.peer)->sin6_scope_id = 3;
			((struct sockaddr_in6 *)&s.peer)->sin6_flowinfo = htonl(0x12345);
		}
		put_ok(db, &s);
	}
	kaasd_db_close(db);
	db = open_db(db_path, TI_STORE_SYNC_FULL);
	load_all(db, &rows);
	ck_assert_uint_eq(rows.n, TI_ARRAY_SIZE(cases));
	for (size_t i = 0; i < TI_ARRAY_SIZE(cases); i++) {
		ck_assert_str_eq(rows.v[i].ep, cases[i].ep);
		expect_addr(&rows.v[i].peer, cases[i].pfam, cases[i].want_peer, cases[i].pport);
		expect_addr(&rows.v[i].local, cases[i].lfam, cases[i].want_local, cases[i].lport);
	}
	kaasd_db_close(db);
	/* Mapped peers are family 4 with 4 bytes on disk. */
	ck_assert_int_eq(raw_int(db_path, "SELECT family * 100 + length(addr) FROM subscription"
					  " WHERE ep = 'mapped'"),
			 404);
	ck_assert_int_eq(raw_int(db_path, "SELECT family * 100 + length(addr) FROM subscription"
					  " WHERE ep = 'v6'"),
			 616);
}
END_TEST

START_TEST(test_set_path_delete_count)
{
	struct kaasd_db *db = open_mem();
	struct kaasd_db_sub a = mksub("a", "203.0.113.1", 1), b = mksub("b", "203.0.113.2", 2);
	struct rows rows;

	put_ok(db, &a);
	put_ok(db, &b);
	ck_assert_int_eq(kaasd_db_set_path(db, a.id, 3, 2), 0);
	/* The same values again: still found, still 0. */
	ck_assert_int_eq(kaasd_db_set_path(db, a.id, 3, 2), 0);
	ck_assert_int_eq(kaasd_db_set_path(db, b.id + 100, 3, 2), -ENOENT);
	ck_assert_int_eq(kaasd_db_set_path(db, 0, 3, 2), -ENOENT);
	ck_assert_int_eq(kaasd_db_set_path(NULL, a.id, 3, 2), -EINVAL);
	load_all(db, &rows);
	a.ka_ttl = 3;
	a.nat_hops = 2;
	expect_fields(&rows.v[0], &a);
	expect_fields(&rows.v[1], &b); /* untouched */
	ck_assert_int_eq(kaasd_db_set_path(db, a.id, 255, 255), 0);
	load_all(db, &rows);
	ck_assert_uint_eq(rows.v[0].ka_ttl, 255);
	ck_assert_uint_eq(rows.v[0].nat_hops, 255);

	/* A refresh with ka_ttl 0 (rediscovery) replaces the discovered path too. */
	a.ka_ttl = 0;
	a.nat_hops = 0;
	put_ok(db, &a);
	load_all(db, &rows);
	expect_fields(&rows.v[0], &a);

	ck_assert_int_eq(kaasd_db_count(db), 2);
	ck_assert_int_eq(kaasd_db_delete(db, a.id), 0);
	ck_assert_int_eq(kaasd_db_count(db), 1);
	ck_assert_int_eq(kaasd_db_delete(db, a.id), -ENOENT);
	ck_assert_int_eq(kaasd_db_set_path(db, a.id, 1, 1), -ENOENT);
	ck_assert_int_eq(kaasd_db_delete(db, -1), -ENOENT);
	ck_assert_int_eq(kaasd_db_delete(NULL, 1), -EINVAL);
	load_all(db, &rows);
	ck_assert_uint_eq(rows.n, 1);
	expect_fields(&rows.v[0], &b);
	ck_assert_int_eq(kaasd_db_delete(db, b.id), 0);
	ck_assert_int_eq(kaasd_db_count(db), 0);
	load_all(db, &rows);
	ck_assert_uint_eq(rows.n, 0);
	ck_assert_int_eq(kaasd_db_count(NULL), -1);
	kaasd_db_close(db);
}
END_TEST

/* Load visits rows in id order; a non-zero callback result stops it and is returned. */
START_TEST(test_load_order_stop)
{
	struct kaasd_db *db = open_mem();
	static const char *const eps[] = { "z", "m", "a", "q", "b", "y" };
	int64_t ids[TI_ARRAY_SIZE(eps)];
	struct rows rows;

	for (size_t i = 0; i < TI_ARRAY_SIZE(eps); i++) {
		struct kaasd_db_sub s = mksub(eps[i], "203.0.113.1", (uint16_t)(100 + i));
		ids[i] = put_ok(db, &s);
	}
	/* Refreshing "z" and deleting "a" keep the order of the others. */
	{
		struct kaasd_db_sub s = mksub("z", "203.0.113.2", 1);
		ck_assert_int_eq(put_ok(db, &s), ids[0]);
	}
	ck_assert_int_eq(kaasd_db_delete(db, ids[2]), 0);
	load_all(db, &rows);
	ck_assert_uint_eq(rows.n, 5);
	for (size_t i = 0, j = 0; i < TI_ARRAY_SIZE(eps); i++) {
		if (i == 2)
			continue;
		ck_assert_int_eq(rows.v[j].id, ids[i]);
		ck_assert_str_eq(rows.v[j].ep, eps[i]);
		if (j > 0)
			ck_assert_int_gt(rows.v[j].id, rows.v[j - 1].id);
		j++;
	}

	/* Early stop with a positive and a negative value. */
	memset(&rows, 0, sizeof(rows));
	rows.stop_after = 2;
	rows.stop_value = 7;
	ck_assert_int_eq(kaasd_db_load(db, collect, &rows), 7);
	ck_assert_uint_eq(rows.n, 2);
	memset(&rows, 0, sizeof(rows));
	rows.stop_after = 1;
	rows.stop_value = -ENOMEM;
	ck_assert_int_eq(kaasd_db_load(db, collect, &rows), -ENOMEM);
	ck_assert_uint_eq(rows.n, 1);
	/* A stopped load leaves nothing open: changes and a full load work. */
	{
		struct kaasd_db_sub s = mksub("new", "203.0.113.3", 3);
		put_ok(db, &s);
	}
	load_all(db, &rows);
	ck_assert_uint_eq(rows.n, 6);
	ck_assert_int_eq(kaasd_db_load(db, NULL, NULL), -EINVAL);
	ck_assert_int_eq(kaasd_db_load(NULL, collect, &rows), -EINVAL);
	kaasd_db_close(db);
}
END_TEST

/*
 * Groups and durability
 */

#define BULK 10000

struct bulk_check {
	int64_t n;
	int64_t last_id;
};

static int
bulk_cb(const struct kaasd_db_sub *s, void *arg)
{
	struct bulk_check *c = arg;
	const struct sockaddr_in *p = (const struct sockaddr_in *)&s->peer;
	char ep[32];

	snprintf(ep, sizeof(ep), "dev%lld", (long long)c->n);
	ck_assert_str_eq(s->ep, ep);
	ck_assert_int_gt(s->id, c->last_id);
	ck_assert_int_eq(p->sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(p->sin_addr.s_addr), 0x0a800000u + (uint32_t)(c->n >> 4));
	ck_assert_uint_eq(ntohs(p->sin_port), 40000 + (c->n & 15));
	ck_assert_uint_eq(s->ka_ttl, 3);
	c->last_id = s->id;
	c->n++;
	return 0;
}

static void
bulk_put(struct kaasd_db *db, int64_t from, int64_t to)
{
	char ep[32];

	for (int64_t i = from; i < to; i++) {
		struct kaasd_db_sub s;
		struct sockaddr_in *p;

		snprintf(ep, sizeof(ep), "dev%lld", (long long)i);
		s = mksub(ep, "0.0.0.0", 0);
		p = (struct sockaddr_in *)&s.peer;
		p->sin_addr.s_addr = htonl(0x0a800000u + (uint32_t)(i >> 4));
		p->sin_port = htons((uint16_t)(40000 + (i & 15)));
		s.ka_ttl = 3;
		s.nat_hops = 2;
		ck_assert_int_eq(kaasd_db_put(db, &s), 0);
	}
}

START_TEST(test_bulk_group)
{
	struct kaasd_db *db = open_db(db_path, TI_STORE_SYNC_FULL);
	struct bulk_check c = { 0, 0 };
	char err[256] = "";

	ck_assert_int_eq(kaasd_db_begin(db), 0);
	ck_assert_int_eq(kaasd_db_begin(db), -EBUSY); /* no nesting */
	bulk_put(db, 0, BULK);
	/* Visible inside the group. */
	ck_assert_int_eq(kaasd_db_count(db), BULK);
	/* A refused put does not end the group. */
	{
		struct kaasd_db_sub bad = mksub("", "203.0.113.1", 1);
		ck_assert_int_eq(kaasd_db_put(db, &bad), -EINVAL);
	}
	ck_assert_int_eq(kaasd_db_commit(db), 0);
	ck_assert_int_eq(kaasd_db_commit(db), -EINVAL); /* none open */
	ck_assert_int_eq(kaasd_db_count(db), BULK);
	ck_assert_int_eq(kaasd_db_load(db, bulk_cb, &c), 0);
	ck_assert_int_eq(c.n, BULK);
	ck_assert_int_eq(kaasd_db_check(db, err, sizeof(err)), 0);
	kaasd_db_close(db);

	/* Durable, and again in order after a reopen. */
	db = open_db(db_path, TI_STORE_SYNC_FULL);
	c = (struct bulk_check){ 0, 0 };
	ck_assert_int_eq(kaasd_db_load(db, bulk_cb, &c), 0);
	ck_assert_int_eq(c.n, BULK);
	ck_assert_int_eq(kaasd_db_check(db, err, sizeof(err)), 0);
	ck_assert_int_eq(kaasd_db_begin(NULL), -EINVAL);
	ck_assert_int_eq(kaasd_db_commit(NULL), -EINVAL);
	kaasd_db_close(db);
	ck_assert_int_eq(raw_int(db_path, "SELECT count(*) FROM subscription"), BULK);
}
END_TEST

/* Single changes are committed at once; an uncommitted group is lost at close. */
START_TEST(test_durability)
{
	struct kaasd_db *db = open_db(db_path, TI_STORE_SYNC_FULL);
	struct kaasd_db_sub a = mksub("a", "203.0.113.1", 1), b = mksub("b", "2001:db8::b", 2);
	struct rows rows;

	put_ok(db, &a);
	put_ok(db, &b);
	ck_assert_int_eq(kaasd_db_set_path(db, b.id, 5, 4), 0);
	/*
	 * Committed means in the file: the WAL is read by another connection
	 * only after close (exclusive locking), so close and look.
	 */
	ck_assert_int_eq(kaasd_db_begin(db), 0);
	{
		struct kaasd_db_sub c = mksub("c", "203.0.113.3", 3);
		put_ok(db, &c);
	}
	ck_assert_int_eq(kaasd_db_delete(db, a.id), 0);
	ck_assert_int_eq(kaasd_db_count(db), 2);
	kaasd_db_close(db); /* the group is rolled back */

	db = open_db(db_path, TI_STORE_SYNC_FULL);
	load_all(db, &rows);
	ck_assert_uint_eq(rows.n, 2);
	expect_fields(&rows.v[0], &a);
	b.ka_ttl = 5;
	b.nat_hops = 4;
	expect_fields(&rows.v[1], &b);
	expect_addr(&rows.v[1].peer, AF_INET6, "2001:db8::b", 2);
	kaasd_db_close(db);

	/*
	 * A child that exits without closing (a crash) loses nothing that was
	 * acknowledged: the WAL is replayed at the next open.
	 */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct kaasd_db *d = NULL;
		char err[256];
		struct kaasd_db_sub c = mksub("crash", "203.0.113.4", 4);

		if (kaasd_db_open(db_path, TI_STORE_SYNC_FULL, &d, err, sizeof(err)) < 0 ||
		    kaasd_db_put(d, &c) < 0 || kaasd_db_delete(d, a.id) < 0)
			_exit(1);
		_exit(0); /* no close, no checkpoint */
	}
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	db = open_db(db_path, TI_STORE_SYNC_FULL);
	load_all(db, &rows);
	ck_assert_uint_eq(rows.n, 2);
	ck_assert_str_eq(rows.v[0].ep, "b");
	ck_assert_str_eq(rows.v[1].ep, "crash");
	kaasd_db_close(db);
}
END_TEST

/*
 * Memory: the page cache stays bounded however large the table is.
 */

START_TEST(test_cache_bounded)
{
	struct kaasd_db *db = open_db(db_path, TI_STORE_SYNC_OFF);
	struct bulk_check c = { 0, 0 };
	struct stat st;
	sqlite3_int64 used;
	const int64_t n = 100000;

	ck_assert_int_eq(kaasd_db_begin(db), 0);
	bulk_put(db, 0, n);
	ck_assert_int_eq(kaasd_db_commit(db), 0);
	ck_assert_int_eq(kaasd_db_load(db, bulk_cb, &c), 0);
	ck_assert_int_eq(c.n, n);
	used = sqlite3_memory_highwater(0);
	kaasd_db_close(db);
	ck_assert_int_eq(stat(db_path, &st), 0);
	/* SQLite held a fraction of the file in memory (cache 2 MiB + overhead). */
	ck_assert_msg(st.st_size > 7 << 20, "database only %lld bytes", (long long)st.st_size);
	ck_assert_msg(used > 0 && used < (4 << 20),
		      "SQLite used up to %lld bytes for a file of %lld bytes", (long long)used,
		      (long long)st.st_size);
}
END_TEST

/*
 * Errors
 */

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Open must fail with want (0: any error) and a message containing text. */
static void
expect_open_fails(const char *path, int want, const char *text)
{
	struct kaasd_db *db = NULL;
	char err[256] = "";
	int r = kaasd_db_open(path, TI_STORE_SYNC_FULL, &db, err, sizeof(err));

	ck_assert_msg(r < 0, "kaasd_db_open(%s) succeeded", path);
	ck_assert_ptr_null(db);
	if (want != 0)
		ck_assert_msg(r == want, "open %s: got %d (%s), want %d (%s); '%s'", path, r,
			      ti_strerror(r), want, ti_strerror(want), err);
	ck_assert_msg(strstr(err, text) != NULL, "open %s: message '%s' lacks '%s'", path, err,
		      text);
}

START_TEST(test_open_errors)
{
	struct kaasd_db *db = NULL;
	char err[256] = "";

	ck_assert_int_eq(kaasd_db_open(":memory:", TI_STORE_SYNC_FULL, NULL, err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(kaasd_db_open(NULL, TI_STORE_SYNC_FULL, &db, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(kaasd_db_open(":memory:", 17, &db, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(err, "synchronous") != NULL, "message '%s'", err);
	/* A NULL or empty err buffer is fine. */
	ck_assert_int_eq(kaasd_db_open(":memory:", -1, &db, NULL, 0), -EINVAL);
	ck_assert_int_eq(kaasd_db_open(":memory:", -1, &db, err, 0), -EINVAL);
	expect_open_fails("/nonexistent-kaasd-dir/x/kaasd.db", -ENOENT, "is missing");
	kaasd_db_close(NULL);
	ck_assert_int_eq(kaasd_db_check(NULL, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(test_open_garbage)
{
	static const char junk[] = "this is not an SQLite database, it is a kaasd.conf\n"
				   "listen coap://0.0.0.0:5883\n";
	char big[8192];

	write_file(db_path, junk, sizeof(junk) - 1);
	expect_open_fails(db_path, TI_EDB, "not a database");
	/* Junk of several pages. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	write_file(db_path, big, sizeof(big));
	expect_open_fails(db_path, TI_EDB, "not a database");
	/* The file was not touched. */
	{
		struct stat st;
		ck_assert_int_eq(stat(db_path, &st), 0);
		ck_assert_int_eq(st.st_size, (off_t)sizeof(big));
	}
	/* An empty file is an empty database: it is set up. */
	write_file(db_path, "", 0);
	kaasd_db_close(open_db(db_path, TI_STORE_SYNC_FULL));
	ck_assert_int_eq(raw_int(db_path, "PRAGMA user_version"), 1);
}
END_TEST

START_TEST(test_open_bad_version)
{
	char sql[128];

	/* A future schema: refused, file untouched. */
	kaasd_db_close(open_db(db_path, TI_STORE_SYNC_FULL));
	ck_assert_int_eq(raw_exec(db_path, "PRAGMA user_version=99"), SQLITE_OK);
	expect_open_fails(db_path, TI_EDB, "newer than this program");
	ck_assert_int_eq(raw_int(db_path, "PRAGMA user_version"), 99);
	/* A negative (damaged) version. */
	ck_assert_int_eq(raw_exec(db_path, "PRAGMA user_version=-3"), SQLITE_OK);
	expect_open_fails(db_path, TI_EDB, "invalid database schema version");
	/* Version 1 but someone else's tables (e.g. rdd.db by mistake). */
	unlink(db_path);
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE reg (id INTEGER PRIMARY KEY); "
		 "PRAGMA user_version=1;");
	ck_assert_int_eq(raw_exec(db_path, sql), SQLITE_OK);
	expect_open_fails(db_path, TI_EDB, "not a kaasd database");
	/* Version 1 and a subscription table lacking columns. */
	unlink(db_path);
	ck_assert_int_eq(raw_exec(db_path, "CREATE TABLE subscription (id INTEGER PRIMARY KEY,"
					   " ep TEXT); PRAGMA user_version=1;"),
			 SQLITE_OK);
	expect_open_fails(db_path, TI_EDB, "has no column");
}
END_TEST

/*
 * Permissions: the test drops to nobody when it runs as root, since root
 * ignores file modes.
 */

/* Open path in a child (as nobody when root); returns the result, message in msg. */
static int
open_in_child(const char *path, char *msg, size_t msglen)
{
	int fds[2], status = 0, r = 1;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct kaasd_db *db = NULL;
		char err[256] = "";
		int res;

		close(fds[0]);
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(3);
		res = kaasd_db_open(path, TI_STORE_SYNC_FULL, &db, err, sizeof(err));
		if (res == 0 && db == NULL)
			_exit(5);
		kaasd_db_close(db);
		if (write(fds[1], &res, sizeof(res)) != (ssize_t)sizeof(res) ||
		    write(fds[1], err, sizeof(err)) != (ssize_t)sizeof(err))
			_exit(4);
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	ck_assert_int_eq(read(fds[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	{
		char err[256];
		ck_assert_int_eq(read(fds[0], err, sizeof(err)), (ssize_t)sizeof(err));
		err[sizeof(err) - 1] = '\0';
		snprintf(msg, msglen, "%s", err);
	}
	close(fds[0]);
	return r;
}

START_TEST(test_open_readonly_dir)
{
	char *sub = NULL, *path = NULL, msg[256];
	int r;

	/* dir is 0700 root's: let nobody in, but not write into sub. */
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_gt(asprintf(&sub, "%s/ro", dir), 0);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_gt(asprintf(&path, "%s/kaasd.db", sub), 0);
	if (geteuid() == 0)
		ck_assert_int_eq(chown(sub, 0, 0), 0);
	else
		ck_assert_int_eq(chmod(sub, 0555), 0);

	/* A new database in a directory we cannot write. */
	r = open_in_child(path, msg, sizeof(msg));
	ck_assert_msg(r == -EACCES, "create in a read-only directory: %d (%s) '%s'", r,
		      ti_strerror(r), msg);
	ck_assert_msg(strstr(msg, "not writable") != NULL, "unclear message '%s'", msg);
	ck_assert_int_ne(access(path, F_OK), 0);

	/* An existing, writable database in that directory: no room for the WAL. */
	if (geteuid() != 0)
		ck_assert_int_eq(chmod(sub, 0755), 0);
	kaasd_db_close(open_db(path, TI_STORE_SYNC_FULL));
	if (geteuid() == 0)
		ck_assert_int_eq(chown(path, 65534, 65534), 0);
	else
		ck_assert_int_eq(chmod(sub, 0555), 0);
	r = open_in_child(path, msg, sizeof(msg));
	ck_assert_msg(r == -EACCES, "database in a read-only directory: %d (%s) '%s'", r,
		      ti_strerror(r), msg);
	ck_assert_msg(strstr(msg, "not writable") != NULL, "unclear message '%s'", msg);

	/* A read-only database file (in a writable directory). */
	if (geteuid() == 0)
		ck_assert_int_eq(chown(sub, 65534, 65534), 0);
	else
		ck_assert_int_eq(chmod(sub, 0755), 0);
	ck_assert_int_eq(chmod(path, 0444), 0);
	r = open_in_child(path, msg, sizeof(msg));
	ck_assert_msg(r == -EROFS, "read-only database file: %d (%s) '%s'", r, ti_strerror(r),
		      msg);
	ck_assert_msg(strstr(msg, "read-only") != NULL, "unclear message '%s'", msg);

	ck_assert_int_eq(chmod(sub, 0755), 0);
	free(path);
	free(sub);
}
END_TEST

/*
 * A second kaasd on the same file
 */

/* How long the second open may take at most before the test calls it a hang. */
#define SECOND_OPEN_LIMIT_MS 6000

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Open path in a child process (another kaasd); with hold, the child first
 * opens it itself (two connections in one process).
 * @return the second open's result; *ret_ms how long the child took.
 */
static int
second_open(const char *path, int hold, int64_t *ret_ms, char *msg, size_t msglen)
{
	int64_t t0 = mono_ms();
	int fds[2], status = 0, r = 1;
	char err[256] = "";
	pid_t pid, w;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct kaasd_db *first = NULL, *second = NULL;
		int res;

		close(fds[0]);
		if (hold && kaasd_db_open(path, TI_STORE_SYNC_FULL, &first, err, sizeof(err)) < 0)
			_exit(3);
		res = kaasd_db_open(path, TI_STORE_SYNC_FULL, &second, err, sizeof(err));
		if (write(fds[1], &res, sizeof(res)) != (ssize_t)sizeof(res) ||
		    write(fds[1], err, sizeof(err)) != (ssize_t)sizeof(err))
			_exit(4);
		kaasd_db_close(second);
		kaasd_db_close(first);
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		ck_assert_int_eq(w, 0);
		if (mono_ms() - t0 > SECOND_OPEN_LIMIT_MS + 2000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(fds[0]);
			ck_abort_msg("a second kaasd_db_open() still blocks after %d ms",
				     SECOND_OPEN_LIMIT_MS + 2000);
		}
		usleep(10000);
	}
	*ret_ms = mono_ms() - t0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	ck_assert_int_eq(read(fds[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	ck_assert_int_eq(read(fds[0], err, sizeof(err)), (ssize_t)sizeof(err));
	err[sizeof(err) - 1] = '\0';
	snprintf(msg, msglen, "%s", err);
	close(fds[0]);
	return r;
}

START_TEST(test_second_open_refused)
{
	struct kaasd_db *db = open_db(db_path, TI_STORE_SYNC_FULL);
	struct kaasd_db_sub a = mksub("first", "203.0.113.1", 1);
	struct rows rows;
	char msg[256];
	int64_t ms = 0;
	int r;

	put_ok(db, &a);
	r = second_open(db_path, 0, &ms, msg, sizeof(msg));
	ck_assert_msg(r == -EBUSY, "second open: %d (%s) '%s'", r, ti_strerror(r), msg);
	ck_assert_msg(strstr(msg, "locked") != NULL && strstr(msg, "another kaasd") != NULL,
		      "unclear message '%s'", msg);
	ck_assert_msg(ms < SECOND_OPEN_LIMIT_MS, "the second open failed only after %lld ms",
		      (long long)ms);
	/* Also while a group is open; the first connection is unaffected. */
	ck_assert_int_eq(kaasd_db_begin(db), 0);
	a = mksub("second", "203.0.113.2", 2);
	put_ok(db, &a);
	r = second_open(db_path, 0, &ms, msg, sizeof(msg));
	ck_assert_int_eq(r, -EBUSY);
	ck_assert_int_eq(kaasd_db_commit(db), 0);
	a = mksub("third", "203.0.113.3", 3);
	put_ok(db, &a);
	load_all(db, &rows);
	ck_assert_uint_eq(rows.n, 3);
	/* A plain SQLite reader cannot see it either. */
	{
		sqlite3 *h = NULL;
		int rc;

		ck_assert_int_eq(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READONLY, NULL),
				 SQLITE_OK);
		rc = sqlite3_exec(h, "SELECT count(*) FROM subscription", NULL, NULL, NULL);
		ck_assert_msg((rc & 0xff) == SQLITE_BUSY, "reader got %d", rc);
		sqlite3_close(h);
	}
	kaasd_db_close(db);
	/* Closed: free again. */
	r = second_open(db_path, 0, &ms, msg, sizeof(msg));
	ck_assert_msg(r == 0, "open after close: %s '%s'", ti_strerror(r), msg);
	db = open_db(db_path, TI_STORE_SYNC_FULL);
	ck_assert_int_eq(kaasd_db_count(db), 3);
	kaasd_db_close(db);
}
END_TEST

START_TEST(test_second_open_same_process)
{
	char msg[256];
	int64_t ms = 0;
	int r;

	kaasd_db_close(open_db(db_path, TI_STORE_SYNC_FULL));
	r = second_open(db_path, 1, &ms, msg, sizeof(msg));
	ck_assert_msg(r == -EBUSY, "second open in one process: %d (%s) '%s'", r, ti_strerror(r),
		      msg);
	ck_assert_msg(ms < SECOND_OPEN_LIMIT_MS, "the second open failed only after %lld ms",
		      (long long)ms);
}
END_TEST

START_TEST(test_check)
{
	struct kaasd_db *db = open_db(db_path, TI_STORE_SYNC_FULL);
	char err[256] = "untouched";

	ck_assert_int_eq(kaasd_db_check(db, err, sizeof(err)), 0);
	bulk_put(db, 0, 500);
	ck_assert_int_eq(kaasd_db_check(db, err, sizeof(err)), 0);
	ck_assert_int_eq(kaasd_db_check(db, NULL, 0), 0);
	kaasd_db_close(db);
	db = open_mem();
	ck_assert_int_eq(kaasd_db_check(db, err, sizeof(err)), 0);
	kaasd_db_close(db);
}
END_TEST

Suite *
kaasd_db_suite(void)
{
	Suite *s = suite_create("kaasd_db");
	TCase *tc;

	tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_schema_file_matches);
	tcase_add_test(tc, test_open_create_reopen);
	tcase_add_test(tc, test_schema_checks);
	suite_add_tcase(s, tc);

	tc = tcase_create("changes");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_put_insert_upsert);
	tcase_add_test(tc, test_ids_not_reused);
	tcase_add_test(tc, test_put_invalid);
	tcase_add_test(tc, test_address_round_trip);
	tcase_add_test(tc, test_set_path_delete_count);
	tcase_add_test(tc, test_load_order_stop);
	suite_add_tcase(s, tc);

	tc = tcase_create("durability");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bulk_group);
	tcase_add_test(tc, test_durability);
	tcase_add_test(tc, test_cache_bounded);
	tcase_add_test(tc, test_check);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	/* The second-open tests bound their own wait; leave them room to report it. */
	tcase_set_timeout(tc, (SECOND_OPEN_LIMIT_MS + 10000) / 1000);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_open_garbage);
	tcase_add_test(tc, test_open_bad_version);
	tcase_add_test(tc, test_open_readonly_dir);
	tcase_add_test(tc, test_second_open_refused);
	tcase_add_test(tc, test_second_open_same_process);
	suite_add_tcase(s, tc);
	return s;
}
