/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for rdd_db: registrations, updates, expiry, lookups, persistence, schema. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <sqlite3.h>

#include "ti_err.h"
#include "ti_linkfmt.h"
#include "ti_store.h"
#include "ti_util.h"
#include "rdd_db.h"
#include "check_main.h"

#define NOW 1700000000000LL

static char *dir;
static char *db_path;

static void
dir_setup(void)
{
	dir = check_mkdtemp();
	ck_assert_int_gt(asprintf(&db_path, "%s/rdd.db", dir), 0);
}

static void
dir_teardown(void)
{
	TI_FREE(&db_path);
	check_rmtree(dir);
	dir = NULL;
}

static struct rdd_db *
open_db(const char *path, int sync)
{
	struct ti_store_error err = { .msg = "" };
	struct rdd_db *db = NULL;
	int r = rdd_db_open(path, sync, &db, &err);

	ck_assert_msg(r == 0, "rdd_db_open(%s): %s (%s)", path, ti_strerror(r), err.msg);
	return db;
}

static struct rdd_db *
open_mem(void)
{
	return open_db(":memory:", TI_STORE_SYNC_FULL);
}

/* Register; returns the id; *created when not NULL. */
static int64_t
reg_full(struct rdd_db *db, const char *ep, const char *d, const char *base, uint32_t lt,
	 const char *et, const char *attrs, int64_t expires_ms, const char *links, int *created)
{
	struct rdd_reg reg = {
		.ep = (char *)ep,
		.d = (char *)d,
		.base = (char *)base,
		.base_explicit = 1,
		.lt = lt,
		.et = (char *)et,
		.attrs = (char *)attrs,
		.expires_ms = expires_ms,
		.links = (char *)links,
	};
	struct ti_links parsed = { 0 };
	int64_t id = 0;
	int r;

	ck_assert_int_eq(ti_linkfmt_parse(links, strlen(links), NULL, &parsed, NULL), 0);
	r = rdd_db_register(db, &reg, &parsed, &id, created);
	ck_assert_msg(r == 0, "register %s: %s", ep, ti_strerror(r));
	ti_links_fini(&parsed);
	ck_assert_int_gt(id, 0);
	return id;
}

static int64_t
reg_simple(struct rdd_db *db, const char *ep, const char *base, const char *links)
{
	return reg_full(db, ep, "", base, 3600, NULL, "", NOW + 3600000, links, NULL);
}

/* Collects results as a space-separated string. */
struct out {
	struct ti_strbuf sb;
};

static int
res_cb(void *arg, const struct rdd_db_link *l)
{
	struct out *o = arg;

	ck_assert_ptr_nonnull(l->href);
	ck_assert_ptr_nonnull(l->anchor);
	ck_assert_ptr_nonnull(l->link);
	ck_assert_ptr_nonnull(l->reg);
	if (o->sb.len > 0)
		ti_strbuf_putc(&o->sb, ' ');
	ti_strbuf_puts(&o->sb, l->href);
	return 0;
}

static int
ep_cb(void *arg, const struct rdd_reg *reg)
{
	struct out *o = arg;

	if (o->sb.len > 0)
		ti_strbuf_putc(&o->sb, ' ');
	ti_strbuf_puts(&o->sb, reg->ep);
	return 0;
}

/* Parse "a=x&b&c=y*" into filters (strings point into buf). */
static size_t
parse_query(char *buf, struct rdd_filter *f, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *t = strtok_r(buf, "&", &save); t != NULL && n < max;
	     t = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(t, '=');

		f[n].name = t;
		f[n].pattern = NULL;
		if (eq != NULL) {
			*eq = '\0';
			f[n].pattern = eq + 1;
		}
		n++;
	}
	return n;
}

/* Run a lookup; returns the results as a malloc'ed string. */
static char *
lookup(struct rdd_db *db, int ep, const char *query, uint32_t page, uint32_t count, int *ret_n)
{
	struct out o = { .sb = TI_STRBUF_INIT(1 << 20) };
	struct rdd_filter f[8];
	char *q = strdup(query), *s;
	size_t n = parse_query(q, f, 8);
	int r;

	if (ep)
		r = rdd_db_lookup_ep(db, f, n, NOW, page, count, ep_cb, &o);
	else
		r = rdd_db_lookup_res(db, f, n, NOW, page, count, res_cb, &o);
	ck_assert_msg(r >= 0, "lookup %s: %s", query, ti_strerror(r));
	free(q);
	s = strdup(ti_strbuf_str(&o.sb));
	ti_strbuf_fini(&o.sb);
	if (ret_n != NULL)
		*ret_n = r;
	return s;
}

static void
expect(struct rdd_db *db, int ep, const char *query, uint32_t page, uint32_t count,
       const char *want)
{
	int n;
	char *got = lookup(db, ep, query, page, count, &n);

	ck_assert_msg(strcmp(got, want) == 0,
		      "%s lookup '%s' page %u count %u:\n got '%s'\nwant '%s'", ep ? "ep" : "res",
		      query, page, count, got, want);
	free(got);
}

/*
 * Schema
 */

static char *
read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	struct ti_strbuf sb = TI_STRBUF_INIT(1 << 20);
	char buf[4096];
	size_t n;

	ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		ck_assert_int_eq(ti_strbuf_append(&sb, buf, n), 0);
	fclose(f);
	return ti_strbuf_steal(&sb);
}

START_TEST(test_schema_file_matches)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(1 << 20);
	char *file = read_all(RDD_SQL_PATH);

	for (size_t i = 0; i < rdd_n_migrations; i++)
		ck_assert_int_eq(ti_strbuf_puts(&sb, rdd_migrations[i].sql), 0);
	ck_assert_msg(strcmp(file, ti_strbuf_str(&sb)) == 0,
		      "db/rdd.sql differs from the migrations in rdd_schema.c");
	free(file);
	ti_strbuf_fini(&sb);
}
END_TEST

START_TEST(test_schema_version)
{
	struct rdd_db *db = open_db(db_path, TI_STORE_SYNC_FULL);
	sqlite3 *s;
	sqlite3_stmt *st;

	rdd_db_close(db);
	ck_assert_int_eq(sqlite3_open_v2(db_path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(s, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), rdd_migrations[rdd_n_migrations - 1].version);
	ck_assert_int_eq(rdd_migrations[rdd_n_migrations - 1].version, 1);
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_prepare_v2(s, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(s);
	/* Reopening an up-to-date database migrates nothing and works. */
	db = open_db(db_path, TI_STORE_SYNC_NORMAL);
	rdd_db_close(db);
}
END_TEST

/*
 * Changes
 */

START_TEST(test_register_replace)
{
	struct rdd_db *db = open_mem();
	struct rdd_reg g;
	int64_t id, id2, id3, found, n;
	int created = -1;

	id = reg_full(db, "node1", NULL, "coap://192.0.2.1", 100, "sensor", "", NOW + 100000,
		      "</a>;rt=\"old\"", &created);
	ck_assert_int_eq(created, 1);
	id2 = reg_full(db, "node1", "", "coap://192.0.2.2", 200, NULL, "x=1", NOW + 200000,
		       "</b>;rt=\"new\"", &created);
	ck_assert_int_eq(created, 0);
	ck_assert_int_eq(id2, id);
	ck_assert_int_eq(rdd_db_get(db, id, NOW, &g), 0);
	ck_assert_str_eq(g.ep, "node1");
	ck_assert_str_eq(g.d, "");
	ck_assert_str_eq(g.base, "coap://192.0.2.2");
	ck_assert_int_eq(g.base_explicit, 1);
	ck_assert_int_eq(g.lt, 200);
	ck_assert_ptr_null(g.et);
	ck_assert_str_eq(g.attrs, "x=1");
	ck_assert_int_eq(g.expires_ms, NOW + 200000);
	ck_assert_str_eq(g.links, "</b>;rt=\"new\"");
	rdd_reg_fini(&g);
	rdd_reg_fini(&g); /* idempotent */
	/* The old links are gone from the index, the new ones are in. */
	expect(db, 0, "rt=old", 0, 0, "");
	expect(db, 0, "et=sensor", 0, 0, "");
	expect(db, 0, "rt=new", 0, 0, "coap://192.0.2.2/b");
	expect(db, 0, "x=1", 0, 0, "coap://192.0.2.2/b");
	/* Another sector is another registration. */
	id3 = reg_full(db, "node1", "east", "coap://192.0.2.3", 100, NULL, NULL, NOW + 100000,
		       "</c>", &created);
	ck_assert_int_eq(created, 1);
	ck_assert_int_ne(id3, id);
	ck_assert_int_eq(rdd_db_find(db, "node1", NULL, &found), 0);
	ck_assert_int_eq(found, id);
	ck_assert_int_eq(rdd_db_find(db, "node1", "east", &found), 0);
	ck_assert_int_eq(found, id3);
	ck_assert_int_eq(rdd_db_find(db, "node9", NULL, &found), -ENOENT);
	ck_assert_int_eq(rdd_db_count(db, &n), 0);
	ck_assert_int_eq(n, 2);
	rdd_db_close(db);
}
END_TEST

START_TEST(test_register_invalid)
{
	struct rdd_db *db = open_mem();
	struct ti_links links = { 0 };
	struct rdd_reg reg = { .ep = (char *)"", .base = (char *)"coap://h", .links = (char *)"" };
	struct rdd_reg rel = { .ep = (char *)"x", .base = (char *)"/rel", .links = (char *)"" };
	int64_t n = -1;

	ck_assert_int_eq(rdd_db_register(db, &reg, &links, NULL, NULL), -EINVAL);
	reg.ep = NULL;
	ck_assert_int_eq(rdd_db_register(db, &reg, &links, NULL, NULL), -EINVAL);
	ck_assert_int_eq(rdd_db_register(db, NULL, &links, NULL, NULL), -EINVAL);
	/* A base that is not absolute cannot resolve anything: nothing is stored. */
	ck_assert_int_eq(rdd_db_register(db, &rel, &links, NULL, NULL), TI_EPARSE);
	ck_assert_int_eq(rdd_db_count(db, &n), 0);
	ck_assert_int_eq(n, 0);
	rdd_db_close(db);
}
END_TEST

START_TEST(test_update)
{
	struct rdd_db *db = open_mem();
	struct rdd_reg g;
	uint32_t lt = 500;
	int64_t id;

	id = reg_full(db, "node1", "", "coap://192.0.2.1:5683", 100, NULL, "a=1", NOW + 100000,
		      "</s/t>;rt=\"t\",<x>;anchor=\"/dev\";rel=\"describedby\"", NULL);
	/* lt NULL keeps 100 and renews from now. */
	ck_assert_int_eq(rdd_db_update(db, id, NULL, NULL, 0, NULL, NULL, NOW + 50000), 0);
	ck_assert_int_eq(rdd_db_get(db, id, NOW, &g), 0);
	ck_assert_int_eq(g.expires_ms, NOW + 150000);
	ck_assert_int_eq(g.lt, 100);
	rdd_reg_fini(&g);
	ck_assert_int_eq(rdd_db_update(db, id, &lt, NULL, 0, NULL, NULL, NOW), 0);
	ck_assert_int_eq(rdd_db_get(db, id, NOW, &g), 0);
	ck_assert_int_eq(g.expires_ms, NOW + 500000);
	ck_assert_int_eq(g.lt, 500);
	rdd_reg_fini(&g);
	expect(db, 0, "lt=500", 0, 0, "coap://192.0.2.1:5683/s/t coap://192.0.2.1:5683/x");
	expect(db, 0, "lt=100", 0, 0, "");
	/* A new base re-resolves targets and anchors. */
	ck_assert_int_eq(rdd_db_update(db, id, NULL, "coap://203.0.113.7:40001", 0, NULL, "b=2", NOW),
			 0);
	ck_assert_int_eq(rdd_db_get(db, id, NOW, &g), 0);
	ck_assert_str_eq(g.base, "coap://203.0.113.7:40001");
	ck_assert_int_eq(g.base_explicit, 0);
	ck_assert_str_eq(g.attrs, "b=2");
	rdd_reg_fini(&g);
	expect(db, 0, "href=coap://192.0.2.1*", 0, 0, "");
	expect(db, 0, "href=coap://203.0.113.7:40001/s/t", 0, 0, "coap://203.0.113.7:40001/s/t");
	expect(db, 0, "anchor=coap://203.0.113.7:40001/dev", 0, 0, "coap://203.0.113.7:40001/x");
	expect(db, 0, "base=coap://203.0.113.7:40001", 0, 0,
	       "coap://203.0.113.7:40001/s/t coap://203.0.113.7:40001/x");
	expect(db, 0, "a=1", 0, 0, "");
	expect(db, 0, "b=2", 0, 0, "coap://203.0.113.7:40001/s/t coap://203.0.113.7:40001/x");
	/* A failed update changes nothing. */
	ck_assert_int_eq(rdd_db_update(db, id, NULL, "relative", 1, NULL, NULL, NOW), TI_EPARSE);
	expect(db, 1, "base=coap://203.0.113.7:40001", 0, 0, "node1");
	/* Expired, then removed. */
	ck_assert_int_eq(rdd_db_update(db, id, NULL, NULL, 0, NULL, NULL, NOW + 500000), -ENOENT);
	ck_assert_int_eq(rdd_db_update(db, id, NULL, NULL, 0, NULL, NULL, NOW + 499999), 0);
	ck_assert_int_eq(rdd_db_remove(db, id), 0);
	ck_assert_int_eq(rdd_db_update(db, id, NULL, NULL, 0, NULL, NULL, NOW), -ENOENT);
	ck_assert_int_eq(rdd_db_update(db, id + 1, &lt, NULL, 0, NULL, NULL, NOW), -ENOENT);
	rdd_db_close(db);
}
END_TEST

START_TEST(test_remove_get)
{
	struct rdd_db *db = open_mem();
	struct rdd_reg g = { .id = 0 };
	int64_t id, id2;

	id = reg_simple(db, "n1", "coap://192.0.2.1", "</a>");
	id2 = reg_simple(db, "n2", "coap://192.0.2.2", "</a>");
	ck_assert_int_eq(rdd_db_get(db, id, NOW, &g), 0);
	ck_assert_int_eq(g.id, id);
	rdd_reg_fini(&g);
	ck_assert_int_eq(rdd_db_get(db, id, NOW + 3600000, &g), -ENOENT); /* expired */
	ck_assert_int_eq(rdd_db_remove(db, id), 0);
	ck_assert_int_eq(rdd_db_remove(db, id), -ENOENT);
	ck_assert_int_eq(rdd_db_get(db, id, NOW, &g), -ENOENT);
	expect(db, 1, "", 0, 0, "n2");
	/* Ids are never reused. */
	ck_assert_int_gt(reg_simple(db, "n3", "coap://192.0.2.3", "</a>"), id2);
	ck_assert_int_eq(rdd_db_remove(db, id2), 0);
	ck_assert_int_gt(reg_simple(db, "n4", "coap://192.0.2.3", "</a>"), id2);
	rdd_db_close(db);
}
END_TEST

struct seen {
	int64_t ids[8];
	size_t n;
};

static void
expire_cb(void *arg, const struct rdd_reg *reg)
{
	struct seen *s = arg;

	ck_assert_uint_lt(s->n, 8);
	ck_assert_ptr_nonnull(reg->ep);
	s->ids[s->n++] = reg->id;
}

START_TEST(test_expire)
{
	struct rdd_db *db = open_mem();
	struct seen s = { .n = 0 };
	int64_t a, b, c, ms, n;

	ck_assert_int_eq(rdd_db_next_expiry(db, &ms), -ENOENT);
	a = reg_full(db, "a", "", "coap://h", 30, NULL, "", NOW + 30000, "</x>;rt=\"r\"", NULL);
	b = reg_full(db, "b", "", "coap://h", 10, NULL, "", NOW + 10000, "</x>;rt=\"r\"", NULL);
	c = reg_full(db, "c", "", "coap://h", 20, NULL, "", NOW + 20000, "</x>;rt=\"r\"", NULL);
	ck_assert_int_eq(rdd_db_next_expiry(db, &ms), 0);
	ck_assert_int_eq(ms, NOW + 10000);
	/* Lookups hide expired registrations before expiry ran. */
	ck_assert_int_eq(rdd_db_expire(db, NOW + 9999, expire_cb, &s), 0);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(rdd_db_expire(db, NOW + 20000, expire_cb, &s), 2);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(s.ids[0], b); /* in expiry order */
	ck_assert_int_eq(s.ids[1], c);
	ck_assert_int_eq(rdd_db_count(db, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(rdd_db_next_expiry(db, &ms), 0);
	ck_assert_int_eq(ms, NOW + 30000);
	expect(db, 1, "rt=r", 0, 0, "a");
	ck_assert_int_eq(rdd_db_find(db, "b", NULL, &n), -ENOENT);
	ck_assert_int_eq(rdd_db_expire(db, NOW + 30000, NULL, NULL), 1);
	ck_assert_int_eq(rdd_db_next_expiry(db, &ms), -ENOENT);
	ck_assert_int_eq(rdd_db_get(db, a, 0, &(struct rdd_reg){ .id = 0 }), -ENOENT);
	rdd_db_close(db);
}
END_TEST

START_TEST(test_expire_many)
{
	struct rdd_db *db = open_mem();
	char ep[16];
	int64_t n;

	/* More than one internal batch, still one call and one transaction. */
	for (int i = 0; i < 700; i++) {
		snprintf(ep, sizeof(ep), "e%d", i);
		reg_full(db, ep, "", "coap://h", 1, NULL, "", NOW + i, "</x>", NULL);
	}
	ck_assert_int_eq(rdd_db_expire(db, NOW + 10000, NULL, NULL), 700);
	ck_assert_int_eq(rdd_db_count(db, &n), 0);
	ck_assert_int_eq(n, 0);
	rdd_db_close(db);
}
END_TEST

START_TEST(test_generation)
{
	struct rdd_db *db = open_mem();
	uint32_t lt = 3600, lt2 = 60;
	uint64_t g0 = rdd_db_generation(db);
	int64_t id;

	ck_assert_uint_ge(g0, 1);
	id = reg_simple(db, "n", "coap://h", "</a>");
	ck_assert_uint_eq(rdd_db_generation(db), g0 + 1);
	/* A bare renewal changes no lookup result. */
	ck_assert_int_eq(rdd_db_update(db, id, &lt, NULL, 0, NULL, NULL, NOW), 0);
	ck_assert_uint_eq(rdd_db_generation(db), g0 + 1);
	ck_assert_int_eq(rdd_db_update(db, id, &lt2, NULL, 0, NULL, NULL, NOW), 0);
	ck_assert_uint_eq(rdd_db_generation(db), g0 + 2);
	ck_assert_int_eq(rdd_db_update(db, id, NULL, "coap://h2", 1, NULL, NULL, NOW), 0);
	ck_assert_uint_eq(rdd_db_generation(db), g0 + 3);
	ck_assert_int_eq(rdd_db_update(db, id + 5, NULL, "coap://h2", 1, NULL, NULL, NOW), -ENOENT);
	ck_assert_int_eq(rdd_db_expire(db, NOW, NULL, NULL), 0);
	ck_assert_uint_eq(rdd_db_generation(db), g0 + 3);
	reg_simple(db, "n", "coap://h", "</b>"); /* replace */
	ck_assert_uint_eq(rdd_db_generation(db), g0 + 4);
	ck_assert_int_eq(rdd_db_remove(db, id), 0);
	ck_assert_uint_eq(rdd_db_generation(db), g0 + 5);
	ck_assert_int_eq(rdd_db_remove(db, id), -ENOENT);
	ck_assert_uint_eq(rdd_db_generation(db), g0 + 5);
	reg_full(db, "x", "", "coap://h", 1, NULL, "", NOW, "</x>", NULL);
	ck_assert_int_eq(rdd_db_expire(db, NOW, NULL, NULL), 1);
	ck_assert_uint_eq(rdd_db_generation(db), g0 + 7);
	rdd_db_close(db);
}
END_TEST

/*
 * Lookups over a fixed directory
 */

#define R1 "coap://203.0.113.7:40001"
#define R2 "coap://[2001:db8::2]:5683"
#define R4 "coap://198.51.100.4:5683"

static struct rdd_db *
fixture(const char *path)
{
	struct rdd_db *db = open_db(path, TI_STORE_SYNC_OFF);

	reg_full(db, "node1", "", R1, 3600, "core.rd-ep sensor", "proto=\"coap\";foo",
		 NOW + 3600000,
		 "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\";ct=40,"
		 "</sensors/light>;rt=\"light-lux core.s\";if=\"sensor\","
		 "<coap://130.10.10.10:1234/candidates>;rel=\"candidateof\";"
		 "anchor=\"coap://10.10.10.1:5683\","
		 "<coap://130.10.10.11:1234/candidates>;rel=\"candidateof\";"
		 "anchor=\"coap://10.10.10.1:5683\"",
		 NULL);
	reg_full(db, "node2", "east", R2, 3600, NULL, "", NOW + 3600000,
		 "</temp>;RT=\"temperature-f\";ct=\"0 "
		 "40\",</t/x>;anchor=\"/sensors\";rel=\"alternate\"",
		 NULL);
	reg_full(db, "node3", "", "coap://198.51.100.3", 60, "sensor", "", NOW - 1,
		 "</sensors/temp>;rt=\"temperature-c\"", NULL);
	reg_full(db, "other", "east", R4, 7200, "sensor", "", NOW + 7200000,
		 "</a>;rt=\"temperature-c\",</b>;title=\"x\";obs", NULL);
	return db;
}

static const struct lookup_case {
	int ep;
	const char *query;
	uint32_t page, count;
	const char *want;
} lookup_cases[] = {
	{ 0, "", 0, 0,
	  R1 "/sensors/temp " R1 "/sensors/light coap://130.10.10.10:1234/candidates "
	     "coap://130.10.10.11:1234/candidates " R2 "/temp " R2 "/t/x " R4 "/a " R4 "/b" },
	{ 0, "rt=temperature-c", 0, 0, R1 "/sensors/temp " R4 "/a" },
	{ 0, "RT=temperature-c", 0, 0, R1 "/sensors/temp " R4 "/a" },
	{ 0, "rt=temperature*", 0, 0, R1 "/sensors/temp " R2 "/temp " R4 "/a" },
	{ 0, "rt=temperature-f", 0, 0, R2 "/temp" },
	{ 0, "rt=Temperature-c", 0, 0, "" },
	{ 0, "rt=light-lux", 0, 0, R1 "/sensors/light" },
	{ 0, "rt=core.s", 0, 0, R1 "/sensors/light" },
	{ 0, "rt=light-lux core.s", 0, 0, R1 "/sensors/light" },
	{ 0, "rt=core*", 0, 0, R1 "/sensors/light" },
	{ 0, "if=sensor", 0, 0, R1 "/sensors/temp " R1 "/sensors/light" },
	{ 0, "rel=candidateof", 0, 0,
	  "coap://130.10.10.10:1234/candidates coap://130.10.10.11:1234/candidates" },
	{ 0, "rel=candidateof&anchor=coap://10.10.10.1:5683", 0, 0,
	  "coap://130.10.10.10:1234/candidates coap://130.10.10.11:1234/candidates" },
	{ 0, "ep=node1&rel=candidateof", 0, 0,
	  "coap://130.10.10.10:1234/candidates coap://130.10.10.11:1234/candidates" },
	{ 0, "rel=candidateof&ep=node1", 0, 0,
	  "coap://130.10.10.10:1234/candidates coap://130.10.10.11:1234/candidates" },
	{ 0, "ep=node2&rel=candidateof", 0, 0, "" },
	{ 0, "anchor=" R2 "/sensors", 0, 0, R2 "/t/x" },
	{ 0, "anchor=" R1, 0, 0, R1 "/sensors/temp " R1 "/sensors/light" },
	{ 0, "anchor=coap://10.10.10.1*", 0, 0,
	  "coap://130.10.10.10:1234/candidates coap://130.10.10.11:1234/candidates" },
	{ 0, "href=" R4 "/a", 0, 0, R4 "/a" },
	{ 0, "href=/a", 0, 0, "" },
	{ 0, "href=coap://130.10.10.1*", 0, 0,
	  "coap://130.10.10.10:1234/candidates coap://130.10.10.11:1234/candidates" },
	{ 0, "href=coap://130.10.10.11:1234/candidates", 0, 0,
	  "coap://130.10.10.11:1234/candidates" },
	{ 0, "ct=40", 0, 0, R1 "/sensors/temp " R2 "/temp" },
	{ 0, "ct=0", 0, 0, R2 "/temp" },
	{ 0, "obs", 0, 0, R4 "/b" },
	{ 0, "title", 0, 0, R4 "/b" },
	{ 0, "title=x", 0, 0, R4 "/b" },
	{ 0, "title=*", 0, 0, R4 "/b" },
	{ 0, "ep=node2", 0, 0, R2 "/temp " R2 "/t/x" },
	{ 0, "d=east", 0, 0, R2 "/temp " R2 "/t/x " R4 "/a " R4 "/b" },
	{ 0, "d", 0, 0, R2 "/temp " R2 "/t/x " R4 "/a " R4 "/b" },
	{ 0, "d=east&rt=temperature-c", 0, 0, R4 "/a" },
	{ 0, "rt=temperature-c&d=east", 0, 0, R4 "/a" },
	{ 0, "et=core.rd-ep", 0, 0,
	  R1 "/sensors/temp " R1 "/sensors/light coap://130.10.10.10:1234/candidates "
	     "coap://130.10.10.11:1234/candidates" },
	{ 0, "et=sensor&rt=temperature-c", 0, 0, R1 "/sensors/temp " R4 "/a" },
	{ 0, "base=" R4, 0, 0, R4 "/a " R4 "/b" },
	{ 0, "base=coap://[2001*", 0, 0, R2 "/temp " R2 "/t/x" },
	{ 0, "lt=7200", 0, 0, R4 "/a " R4 "/b" },
	{ 0, "proto=coap&rt=temperature-c", 0, 0, R1 "/sensors/temp" },
	{ 0, "foo&if=sensor", 0, 0, R1 "/sensors/temp " R1 "/sensors/light" },
	{ 0, "ep=node3", 0, 0, "" },
	{ 0, "rt=nothing", 0, 0, "" },
	{ 0, "unknown=x", 0, 0, "" },
	{ 0, "unknown", 0, 0, "" },
	{ 0, "href=*&ep=other", 0, 0, R4 "/a " R4 "/b" },
	{ 0, "rt=temperature*", 0, 2, R1 "/sensors/temp " R2 "/temp" },
	{ 0, "rt=temperature*", 1, 2, R4 "/a" },
	{ 0, "rt=temperature*", 2, 2, "" },
	{ 0, "rt=temperature*", 5, 0, R1 "/sensors/temp " R2 "/temp " R4 "/a" },
	{ 0, "d=east", 1, 1, R2 "/t/x" },
	{ 1, "", 0, 0, "node1 node2 other" },
	{ 1, "rt=temperature-c", 0, 0, "node1 other" },
	{ 1, "et=sensor", 0, 0, "node1 other" },
	{ 1, "d=east", 0, 0, "node2 other" },
	{ 1, "ep=node*", 0, 0, "node1 node2" },
	{ 1, "ep=node1", 0, 0, "node1" },
	{ 1, "rel=candidateof", 0, 0, "node1" },
	{ 1, "href=coap://130.10.10.10:1234/candidates", 0, 0, "node1" },
	{ 1, "rt=temperature*&d=east", 0, 0, "node2 other" },
	{ 1, "title&rt=temperature-c", 0, 0, "other" },
	{ 1, "proto=coap", 0, 0, "node1" },
	{ 1, "lt=3600", 0, 0, "node1 node2" },
	{ 1, "base=" R2, 0, 0, "node2" },
	{ 1, "", 1, 1, "node2" },
	{ 1, "", 0, 2, "node1 node2" },
	{ 1, "ep=node3", 0, 0, "" },
	{ 1, "ep=nobody", 0, 0, "" },
};

START_TEST(test_lookup_mem)
{
	const struct lookup_case *c = &lookup_cases[_i];
	struct rdd_db *db = fixture(":memory:");

	expect(db, c->ep, c->query, c->page, c->count, c->want);
	rdd_db_close(db);
}
END_TEST

START_TEST(test_lookup_file)
{
	struct rdd_db *db = fixture(db_path);

	for (size_t i = 0; i < TI_ARRAY_SIZE(lookup_cases); i++) {
		const struct lookup_case *c = &lookup_cases[i];

		expect(db, c->ep, c->query, c->page, c->count, c->want);
	}
	rdd_db_close(db);
}
END_TEST

struct link_check {
	int seen;
};

static int
link_fields_cb(void *arg, const struct rdd_db_link *l)
{
	struct link_check *c = arg;

	if (strcmp(l->href, R2 "/t/x") == 0) {
		ck_assert_str_eq(l->link->target, "/t/x");
		ck_assert_str_eq(l->anchor, R2 "/sensors");
		ck_assert_int_eq(l->anchor_explicit, 1);
		ck_assert_str_eq(ti_link_attr_get(l->link, "rel"), "alternate");
		ck_assert_uint_eq(l->n, 1);
	} else {
		ck_assert_str_eq(l->href, R2 "/temp");
		ck_assert_str_eq(l->anchor, R2);
		ck_assert_int_eq(l->anchor_explicit, 0);
		ck_assert_uint_eq(l->n, 0);
	}
	ck_assert_str_eq(l->reg->ep, "node2");
	ck_assert_str_eq(l->reg->d, "east");
	c->seen++;
	return 0;
}

static int
stop_cb(void *arg, const struct rdd_db_link *l)
{
	(void)l;
	return ++*(int *)arg == 2 ? 1 : 0;
}

static int
fail_cb(void *arg, const struct rdd_reg *reg)
{
	(void)arg;
	(void)reg;
	return -EIO;
}

START_TEST(test_lookup_callback)
{
	struct rdd_db *db = fixture(":memory:");
	struct rdd_filter f = { .name = "ep", .pattern = "node2" };
	struct rdd_filter bad = { .name = NULL, .pattern = "x" };
	struct link_check c = { .seen = 0 };
	int calls = 0;

	ck_assert_int_eq(rdd_db_lookup_res(db, &f, 1, NOW, 0, 0, link_fields_cb, &c), 2);
	ck_assert_int_eq(c.seen, 2);
	/* > 0 stops with what was counted; < 0 is passed on. */
	ck_assert_int_eq(rdd_db_lookup_res(db, NULL, 0, NOW, 0, 0, stop_cb, &calls), 2);
	ck_assert_int_eq(calls, 2);
	ck_assert_int_eq(rdd_db_lookup_ep(db, NULL, 0, NOW, 0, 0, fail_cb, NULL), -EIO);
	ck_assert_int_eq(rdd_db_lookup_ep(db, &bad, 1, NOW, 0, 0, fail_cb, NULL), -EINVAL);
	ck_assert_int_eq(rdd_db_lookup_res(db, &f, 1, NOW, 0, 0, NULL, NULL), -EINVAL);
	/* Everything expired by then. */
	ck_assert_int_eq(rdd_db_lookup_res(db, NULL, 0, NOW + 7200000, 0, 0, stop_cb, &calls), 0);
	rdd_db_close(db);
}
END_TEST

/* Several candidate links of one resource are all kept, in order. */
START_TEST(test_lookup_candidates)
{
	struct rdd_db *db = open_mem();

	reg_simple(db, "node1", "coap://10.10.10.1:5683",
		   "</sensors/temp>;rt=\"temperature-c\","
		   "<coap://130.10.10.10:1234/candidates>;rel=\"candidateof\";anchor=\"/\","
		   "<coap://[2001:db8::7]:40001/candidates>;rel=\"candidateof\";anchor=\"/\","
		   "<coap://130.10.10.10:1234/candidates>;rel=\"candidateof\";anchor=\"/\"");
	reg_simple(db, "node2", "coap://10.10.10.2:5683",
		   "<coap://130.10.10.12:1/candidates>;rel=\"candidateof\";anchor=\"/\"");
	expect(db, 0, "rel=candidateof&anchor=coap://10.10.10.1:5683/", 0, 0,
	       "coap://130.10.10.10:1234/candidates coap://[2001:db8::7]:40001/candidates "
	       "coap://130.10.10.10:1234/candidates");
	expect(db, 0, "ep=node1&rel=candidateof", 1, 2, "coap://130.10.10.10:1234/candidates");
	expect(db, 0, "rel=candidateof", 0, 0,
	       "coap://130.10.10.10:1234/candidates coap://[2001:db8::7]:40001/candidates "
	       "coap://130.10.10.10:1234/candidates coap://130.10.10.12:1/candidates");
	rdd_db_close(db);
}
END_TEST

/* Prefixes with few and with many distinct values, always in id order. */
START_TEST(test_lookup_prefix_paths)
{
	struct rdd_db *db = open_mem();
	char ep[16], links[64], want[512] = "", *p = want;

	for (int i = 0; i < 20; i++) {
		snprintf(ep, sizeof(ep), "many%02d", i);
		snprintf(links, sizeof(links), "</x>;rt=\"r%02d\",</y>;rt=\"s%d\"", 19 - i, i % 3);
		reg_simple(db, ep, "coap://h", links);
	}
	for (int i = 0; i < 20; i++)
		p += snprintf(p, sizeof(want) - (size_t)(p - want), "%smany%02d", i ? " " : "", i);
	/* 20 distinct values: the sorted range. */
	expect(db, 1, "rt=r*", 0, 0, want);
	expect(db, 1, "ep=many*", 0, 0, want);
	expect(db, 1, "ep=many1*", 0, 3, "many10 many11 many12");
	expect(db, 1, "ep=many1*", 3, 3, "many19");
	/* 3 distinct values: merged cursors. */
	expect(db, 1, "rt=s*", 0, 0, want);
	expect(db, 1, "rt=s*", 6, 3, "many18 many19");
	expect(db, 0, "rt=s*&ep=many05", 0, 0, "coap://h/y");
	expect(db, 0, "ep=many0*&rt=s2", 0, 0, "coap://h/y coap://h/y coap://h/y");
	expect(db, 1, "ep=many0*&rt=s2", 0, 0, "many02 many05 many08");
	expect(db, 1, "rt=r1*&rt=s1", 0, 0, "many01 many04 many07");
	rdd_db_close(db);
}
END_TEST

static long long
attr_rows(const char *path)
{
	sqlite3 *s;
	sqlite3_stmt *st;
	long long n;

	ck_assert_int_eq(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(s, "SELECT count(*) FROM attr", -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(s);
	return n;
}

START_TEST(test_persistence)
{
	struct rdd_db *db = fixture(db_path);
	struct rdd_reg g;
	int64_t id, ms, n;
	uint32_t lt = 10;

	ck_assert_int_eq(rdd_db_find(db, "node2", "east", &id), 0);
	rdd_db_close(db);
	/* Reopened: every registration with its expiry time, index included. */
	db = open_db(db_path, TI_STORE_SYNC_FULL);
	ck_assert_int_eq(rdd_db_count(db, &n), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(rdd_db_get(db, id, NOW, &g), 0);
	ck_assert_int_eq(g.expires_ms, NOW + 3600000);
	ck_assert_str_eq(g.base, R2);
	rdd_reg_fini(&g);
	ck_assert_int_eq(rdd_db_next_expiry(db, &ms), 0);
	ck_assert_int_eq(ms, NOW - 1);
	expect(db, 1, "rt=temperature-c", 0, 0, "node1 other");
	ck_assert_int_eq(rdd_db_update(db, id, &lt, "coap://192.0.2.9", 1, NULL, "z", NOW), 0);
	rdd_db_close(db);
	db = open_db(db_path, TI_STORE_SYNC_FULL);
	ck_assert_int_eq(rdd_db_get(db, id, NOW, &g), 0);
	ck_assert_int_eq(g.expires_ms, NOW + 10000);
	rdd_reg_fini(&g);
	expect(db, 0, "z", 0, 0, "coap://192.0.2.9/temp coap://192.0.2.9/t/x");
	/* Replacing, removing and expiring leave no index row behind. */
	reg_simple(db, "other", "coap://192.0.2.10", "</q>;rt=\"q\"");
	ck_assert_int_eq(rdd_db_find(db, "other", "east", &n), 0);
	ck_assert_int_eq(rdd_db_remove(db, n), 0);
	ck_assert_int_eq(rdd_db_find(db, "node1", NULL, &n), 0);
	ck_assert_int_eq(rdd_db_remove(db, n), 0);
	ck_assert_int_eq(rdd_db_expire(db, NOW + 3600000, NULL, NULL), 3);
	ck_assert_int_eq(rdd_db_count(db, &n), 0);
	ck_assert_int_eq(n, 0);
	rdd_db_close(db);
	ck_assert_int_eq(attr_rows(db_path), 0);
}
END_TEST

START_TEST(test_open_errors)
{
	struct ti_store_error err = { .msg = "" };
	struct rdd_db *db = NULL;

	ck_assert_int_eq(rdd_db_open(":memory:", TI_STORE_SYNC_FULL, NULL, &err), -EINVAL);
	ck_assert_int_eq(rdd_db_open("/nonexistent-dir/x/rdd.db", TI_STORE_SYNC_FULL, &db, &err),
			 -ENOENT);
	ck_assert_ptr_null(db);
	ck_assert_int_eq(rdd_db_open(":memory:", 17, &db, &err), -EINVAL);
	rdd_db_close(NULL);
	rdd_reg_fini(NULL);
}
END_TEST

/*
 * Group commit: rdd_db_batch_begin/commit/open, rdd_db_read_begin/end
 */

/* The ep of registration id, or "" when it is absent or expired at NOW. */
static void
expect_reg(struct rdd_db *db, int64_t id, const char *ep, const char *base, uint32_t lt)
{
	struct rdd_reg g = { .id = 0 };
	int r = rdd_db_get(db, id, NOW, &g);

	if (ep == NULL) {
		ck_assert_msg(r == -ENOENT, "registration %lld: got %s, want -ENOENT",
			      (long long)id, ti_strerror(r));
		return;
	}
	ck_assert_msg(r == 0, "registration %lld (%s): %s", (long long)id, ep, ti_strerror(r));
	ck_assert_str_eq(g.ep, ep);
	ck_assert_str_eq(g.base, base);
	ck_assert_uint_eq(g.lt, lt);
	rdd_reg_fini(&g);
}

static int64_t
count_regs(struct rdd_db *db)
{
	int64_t n = -1;

	ck_assert_int_eq(rdd_db_count(db, &n), 0);
	return n;
}

/* Register links under base; the expected error r (no id). */
static int
reg_try(struct rdd_db *db, const char *ep, const char *base, const char *links)
{
	struct rdd_reg reg = {
		.ep = (char *)ep,
		.d = (char *)"",
		.base = (char *)base,
		.base_explicit = 1,
		.lt = 3600,
		.attrs = (char *)"",
		.expires_ms = NOW + 3600000,
		.links = (char *)links,
	};
	struct ti_links parsed = { 0 };
	int r;

	ck_assert_int_eq(ti_linkfmt_parse(links, strlen(links), NULL, &parsed, NULL), 0);
	r = rdd_db_register(db, &reg, &parsed, NULL, NULL);
	ti_links_fini(&parsed);
	return r;
}

/* Several changes in one group: visible on this connection at once, durable after COMMIT. */
START_TEST(test_batch_visible_then_durable)
{
	struct rdd_db *db = open_db(db_path, TI_STORE_SYNC_FULL);
	int64_t pre, a, b, c, found;
	uint32_t lt = 120;
	uint64_t g0;
	int created = -1;

	pre = reg_simple(db, "pre", "coap://192.0.2.1", "</p>;rt=\"pre\"");
	ck_assert_int_eq(rdd_db_batch_open(db), 0);
	ck_assert_int_eq(rdd_db_batch_begin(db), 0);
	ck_assert_int_eq(rdd_db_batch_open(db), 1);
	/* A second begin while a group is open keeps the same group. */
	ck_assert_int_eq(rdd_db_batch_begin(db), 0);
	ck_assert_int_eq(rdd_db_batch_open(db), 1);
	g0 = rdd_db_generation(db);

	a = reg_full(db, "a", "", "coap://192.0.2.10", 3600, "sensor", "k=1", NOW + 3600000,
		     "</a1>;rt=\"temp\",</a2>;rt=\"light\"", &created);
	ck_assert_int_eq(created, 1);
	b = reg_simple(db, "b", "coap://192.0.2.11", "</b1>;rt=\"temp\"");
	c = reg_simple(db, "c", "coap://192.0.2.12", "</c1>;rt=\"hum\"");
	ck_assert_int_ne(a, b);
	ck_assert_int_ne(b, c);
	ck_assert_int_gt(a, pre);
	/* Every change is visible to reads on this connection before COMMIT. */
	expect_reg(db, a, "a", "coap://192.0.2.10", 3600);
	expect(db, 1, "", 0, 0, "pre a b c");
	expect(db, 0, "rt=temp", 0, 0, "coap://192.0.2.10/a1 coap://192.0.2.11/b1");
	ck_assert_int_eq(count_regs(db), 4);
	ck_assert_int_eq(rdd_db_find(db, "b", NULL, &found), 0);
	ck_assert_int_eq(found, b);

	/* Updates and removals in the same group, also of rows it created itself. */
	ck_assert_int_eq(rdd_db_update(db, a, &lt, NULL, 0, NULL, NULL, NOW), 0);
	ck_assert_int_eq(rdd_db_update(db, pre, NULL, "coap://192.0.2.99", 1, NULL, "z=9", NOW),
			 0);
	ck_assert_int_eq(rdd_db_remove(db, b), 0);
	reg_full(db, "c", "", "coap://192.0.2.12", 3600, NULL, "", NOW + 3600000,
		 "</c2>;rt=\"hum\"", &created); /* replaced inside the group */
	ck_assert_int_eq(created, 0);
	expect_reg(db, a, "a", "coap://192.0.2.10", 120);
	expect_reg(db, pre, "pre", "coap://192.0.2.99", 3600);
	expect_reg(db, b, NULL, NULL, 0);
	expect(db, 1, "", 0, 0, "pre a c");
	expect(db, 0, "rt=temp", 0, 0, "coap://192.0.2.10/a1");
	expect(db, 0, "rt=hum", 0, 0, "coap://192.0.2.12/c2");
	expect(db, 0, "z=9", 0, 0, "coap://192.0.2.99/p");
	expect(db, 1, "lt=120", 0, 0, "a");
	ck_assert_int_eq(count_regs(db), 3);
	/* Each change that can alter a lookup counts at once, not at COMMIT. */
	ck_assert_uint_eq(rdd_db_generation(db), g0 + 7);
	ck_assert_int_eq(rdd_db_batch_open(db), 1);

	ck_assert_int_eq(rdd_db_batch_commit(db), 0);
	ck_assert_int_eq(rdd_db_batch_open(db), 0);
	ck_assert_uint_eq(rdd_db_generation(db), g0 + 7);
	/* After the group, changes commit one by one again. */
	ck_assert_int_eq(rdd_db_update(db, c, NULL, NULL, 0, NULL, "h=1", NOW), 0);
	rdd_db_close(db);

	/* Reopened: all of the group is on disk, index included. */
	db = open_db(db_path, TI_STORE_SYNC_FULL);
	ck_assert_int_eq(count_regs(db), 3);
	expect_reg(db, a, "a", "coap://192.0.2.10", 120);
	expect_reg(db, pre, "pre", "coap://192.0.2.99", 3600);
	expect_reg(db, b, NULL, NULL, 0);
	expect(db, 1, "", 0, 0, "pre a c");
	expect(db, 0, "rt=temp", 0, 0, "coap://192.0.2.10/a1");
	expect(db, 0, "rt=hum", 0, 0, "coap://192.0.2.12/c2");
	expect(db, 0, "rt=pre", 0, 0, "coap://192.0.2.99/p");
	expect(db, 0, "z=9", 0, 0, "coap://192.0.2.99/p");
	expect(db, 1, "h=1", 0, 0, "c");
	expect(db, 1, "k=1", 0, 0, "a");
	expect(db, 0, "href=coap://192.0.2.11*", 0, 0, "");
	ck_assert_int_eq(rdd_db_find(db, "b", NULL, &found), -ENOENT);
	rdd_db_close(db);
}
END_TEST

/* A change that fails inside a group is undone alone; the others stay and commit. */
START_TEST(test_batch_failure_isolated)
{
	struct rdd_db *db = open_db(db_path, TI_STORE_SYNC_FULL);
	struct rdd_reg bad_ep = { .ep = (char *)"",
				  .base = (char *)"coap://h",
				  .links = (char *)"" };
	struct ti_links none = { 0 };
	int64_t a, c, keep, found;
	uint32_t lt = 77;
	uint64_t g0;

	keep = reg_simple(db, "keep", "coap://192.0.2.1", "</k>;rt=\"keep\"");
	ck_assert_int_eq(rdd_db_batch_begin(db), 0);
	a = reg_simple(db, "a", "coap://192.0.2.10", "</a>;rt=\"a\"");
	g0 = rdd_db_generation(db);
	/* Absent ids. */
	ck_assert_int_eq(rdd_db_update(db, a + 100, &lt, NULL, 0, NULL, NULL, NOW), -ENOENT);
	ck_assert_int_eq(rdd_db_remove(db, a + 100), -ENOENT);
	/* Invalid registrations: rejected before or after writing rows. */
	ck_assert_int_eq(rdd_db_register(db, &bad_ep, &none, NULL, NULL), -EINVAL);
	ck_assert_int_eq(reg_try(db, "bad", "/relative", "</x>;rt=\"bad\""), TI_EPARSE);
	/* A failed re-registration of a row of the group and of a committed one. */
	ck_assert_int_eq(reg_try(db, "a", "relative", "</a-new>;rt=\"a-new\""), TI_EPARSE);
	ck_assert_int_eq(reg_try(db, "keep", "relative", "</k-new>;rt=\"k-new\""), TI_EPARSE);
	/* A failed update (a base that resolves nothing) keeps the old values. */
	ck_assert_int_eq(rdd_db_update(db, keep, &lt, "relative", 1, NULL, "q=1", NOW), TI_EPARSE);
	/* An expired registration cannot be updated. */
	ck_assert_int_eq(rdd_db_update(db, a, &lt, NULL, 0, NULL, NULL, NOW + 3600000), -ENOENT);
	ck_assert_int_eq(rdd_db_batch_open(db), 1);
	/* Failed changes change no lookup result. */
	ck_assert_uint_eq(rdd_db_generation(db), g0);
	c = reg_simple(db, "c", "coap://192.0.2.12", "</c>;rt=\"c\"");
	ck_assert_int_eq(rdd_db_update(db, c, &lt, NULL, 0, NULL, NULL, NOW), 0);

	/* Before COMMIT: the good changes are there, no trace of the failed ones. */
	expect_reg(db, a, "a", "coap://192.0.2.10", 3600);
	expect_reg(db, keep, "keep", "coap://192.0.2.1", 3600);
	expect_reg(db, c, "c", "coap://192.0.2.12", 77);
	ck_assert_int_eq(rdd_db_find(db, "bad", NULL, &found), -ENOENT);
	expect(db, 1, "", 0, 0, "keep a c");
	expect(db, 0, "rt=bad", 0, 0, "");
	expect(db, 0, "rt=a-new", 0, 0, "");
	expect(db, 0, "rt=k-new", 0, 0, "");
	expect(db, 0, "q=1", 0, 0, "");
	expect(db, 0, "rt=a", 0, 0, "coap://192.0.2.10/a");
	expect(db, 0, "rt=keep", 0, 0, "coap://192.0.2.1/k");
	ck_assert_int_eq(rdd_db_batch_commit(db), 0);
	rdd_db_close(db);

	db = open_db(db_path, TI_STORE_SYNC_FULL);
	ck_assert_int_eq(count_regs(db), 3);
	expect_reg(db, a, "a", "coap://192.0.2.10", 3600);
	expect_reg(db, keep, "keep", "coap://192.0.2.1", 3600);
	expect_reg(db, c, "c", "coap://192.0.2.12", 77);
	ck_assert_int_eq(rdd_db_find(db, "bad", NULL, &found), -ENOENT);
	expect(db, 0, "rt=a", 0, 0, "coap://192.0.2.10/a");
	expect(db, 0, "rt=keep", 0, 0, "coap://192.0.2.1/k");
	expect(db, 0, "rt=c", 0, 0, "coap://192.0.2.12/c");
	expect(db, 0, "rt=bad", 0, 0, "");
	expect(db, 0, "rt=a-new", 0, 0, "");
	expect(db, 0, "rt=k-new", 0, 0, "");
	expect(db, 1, "lt=77", 0, 0, "c");
	/* Removing everything leaves no index row: the failed changes left none behind. */
	ck_assert_int_eq(rdd_db_remove(db, a), 0);
	ck_assert_int_eq(rdd_db_remove(db, c), 0);
	ck_assert_int_eq(rdd_db_remove(db, keep), 0);
	rdd_db_close(db);
	ck_assert_int_eq(attr_rows(db_path), 0);
}
END_TEST

START_TEST(test_batch_commit_without_batch)
{
	struct rdd_db *db = open_mem();

	ck_assert_int_eq(rdd_db_batch_open(db), 0);
	ck_assert_int_eq(rdd_db_batch_commit(db), 0);
	ck_assert_int_eq(rdd_db_batch_open(db), 0);
	/* An empty group commits too, and a second commit is again a no-op. */
	ck_assert_int_eq(rdd_db_batch_begin(db), 0);
	ck_assert_int_eq(rdd_db_batch_commit(db), 0);
	ck_assert_int_eq(rdd_db_batch_commit(db), 0);
	/* Changes still work on their own afterwards. */
	reg_simple(db, "n", "coap://h", "</a>");
	ck_assert_int_eq(count_regs(db), 1);
	/* NULL. */
	ck_assert_int_eq(rdd_db_batch_begin(NULL), -EINVAL);
	ck_assert_int_eq(rdd_db_batch_commit(NULL), -EINVAL);
	ck_assert_int_eq(rdd_db_batch_open(NULL), 0);
	ck_assert_int_eq(rdd_db_read_begin(NULL), -EINVAL);
	rdd_db_read_end(NULL);
	rdd_db_close(db);
}
END_TEST

/* A group never committed is lost when the database is closed. */
START_TEST(test_batch_uncommitted_lost)
{
	struct rdd_db *db = open_db(db_path, TI_STORE_SYNC_FULL);
	int64_t kept, gone, lost, found;
	uint32_t lt = 999;

	kept = reg_simple(db, "kept", "coap://192.0.2.1", "</k>;rt=\"k\"");
	gone = reg_full(db, "gone", "", "coap://192.0.2.2", 1, NULL, "", NOW - 1, "</g>", NULL);
	ck_assert_int_eq(rdd_db_batch_begin(db), 0);
	lost = reg_simple(db, "lost", "coap://192.0.2.3", "</l>;rt=\"l\"");
	ck_assert_int_eq(rdd_db_update(db, kept, &lt, "coap://192.0.2.9", 1, "et", "x=1", NOW), 0);
	ck_assert_int_eq(rdd_db_expire(db, NOW, NULL, NULL), 1);
	ck_assert_int_eq(count_regs(db), 2);
	expect(db, 1, "", 0, 0, "kept lost");
	ck_assert_int_eq(rdd_db_remove(db, kept), 0);
	expect(db, 1, "", 0, 0, "lost");
	ck_assert_int_eq(rdd_db_batch_open(db), 1);
	rdd_db_close(db); /* with the group open */

	db = open_db(db_path, TI_STORE_SYNC_FULL);
	ck_assert_int_eq(rdd_db_batch_open(db), 0);
	ck_assert_int_eq(count_regs(db), 2);
	expect_reg(db, kept, "kept", "coap://192.0.2.1", 3600);
	ck_assert_int_eq(rdd_db_find(db, "lost", NULL, &found), -ENOENT);
	ck_assert_int_eq(rdd_db_find(db, "gone", NULL, &found), 0);
	ck_assert_int_eq(found, gone);
	expect(db, 1, "", 0, 0, "kept");
	expect(db, 0, "rt=l", 0, 0, "");
	expect(db, 0, "x=1", 0, 0, "");
	expect(db, 0, "rt=k", 0, 0, "coap://192.0.2.1/k");
	ck_assert_int_eq(rdd_db_expire(db, NOW, NULL, NULL), 1);
	ck_assert_int_eq(rdd_db_remove(db, kept), 0);
	(void)lost;
	rdd_db_close(db);
	ck_assert_int_eq(attr_rows(db_path), 0);
}
END_TEST

/* read_begin/read_end around lookups, outside a group and inside one. */
START_TEST(test_batch_read_transaction)
{
	struct rdd_db *db = open_db(db_path, TI_STORE_SYNC_FULL);
	int64_t a, b, found;

	a = reg_simple(db, "a", "coap://192.0.2.1", "</a>;rt=\"t\"");
	/* Outside a group: one read transaction, then changes work again. */
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(rdd_db_read_begin(db), 0);
		expect(db, 1, "", 0, 0, "a");
		expect(db, 0, "rt=t", 0, 0, "coap://192.0.2.1/a");
		expect_reg(db, a, "a", "coap://192.0.2.1", 3600);
		ck_assert_int_eq(rdd_db_find(db, "a", NULL, &found), 0);
		rdd_db_read_end(db);
	}
	ck_assert_int_eq(rdd_db_batch_open(db), 0);
	b = reg_simple(db, "b", "coap://192.0.2.2", "</b>;rt=\"t\"");
	ck_assert_int_eq(rdd_db_read_begin(db), 0);
	expect(db, 0, "rt=t", 0, 0, "coap://192.0.2.1/a coap://192.0.2.2/b");
	rdd_db_read_end(db);

	/* Inside a group: they neither open nor end anything; reads see the group. */
	ck_assert_int_eq(rdd_db_batch_begin(db), 0);
	reg_simple(db, "c", "coap://192.0.2.3", "</c>;rt=\"t\"");
	ck_assert_int_eq(rdd_db_read_begin(db), 0);
	expect(db, 0, "rt=t", 0, 0, "coap://192.0.2.1/a coap://192.0.2.2/b coap://192.0.2.3/c");
	expect(db, 1, "", 0, 0, "a b c");
	rdd_db_read_end(db);
	ck_assert_int_eq(rdd_db_batch_open(db), 1);
	ck_assert_int_eq(rdd_db_remove(db, b), 0);
	ck_assert_int_eq(rdd_db_read_begin(db), 0);
	expect(db, 1, "", 0, 0, "a c");
	rdd_db_read_end(db);
	reg_simple(db, "d", "coap://192.0.2.4", "</d>;rt=\"t\"");
	ck_assert_int_eq(rdd_db_batch_open(db), 1);
	/* Closing without COMMIT: if read_end had committed, c or b's removal would survive. */
	rdd_db_close(db);

	db = open_db(db_path, TI_STORE_SYNC_FULL);
	expect(db, 1, "", 0, 0, "a b");
	ck_assert_int_eq(rdd_db_find(db, "c", NULL, &found), -ENOENT);
	ck_assert_int_eq(rdd_db_find(db, "d", NULL, &found), -ENOENT);
	/* And a committed group with reads in it. */
	ck_assert_int_eq(rdd_db_batch_begin(db), 0);
	reg_simple(db, "e", "coap://192.0.2.5", "</e>;rt=\"t\"");
	ck_assert_int_eq(rdd_db_read_begin(db), 0);
	expect(db, 1, "rt=t", 0, 0, "a b e");
	rdd_db_read_end(db);
	ck_assert_int_eq(rdd_db_batch_commit(db), 0);
	ck_assert_int_eq(rdd_db_read_begin(db), 0);
	expect(db, 1, "rt=t", 0, 0, "a b e");
	rdd_db_read_end(db);
	rdd_db_close(db);
	db = open_db(db_path, TI_STORE_SYNC_FULL);
	expect(db, 1, "", 0, 0, "a b e");
	rdd_db_close(db);
}
END_TEST

/* A group on an in-memory database behaves the same (rdd's tests and benchmarks use it). */
START_TEST(test_batch_memory)
{
	struct rdd_db *db = open_mem();
	int64_t a;

	ck_assert_int_eq(rdd_db_batch_begin(db), 0);
	a = reg_simple(db, "a", "coap://h", "</a>");
	reg_simple(db, "b", "coap://h", "</b>");
	ck_assert_int_eq(rdd_db_remove(db, a), 0);
	ck_assert_int_eq(rdd_db_read_begin(db), 0);
	expect(db, 1, "", 0, 0, "b");
	rdd_db_read_end(db);
	ck_assert_int_eq(rdd_db_batch_commit(db), 0);
	expect(db, 1, "", 0, 0, "b");
	ck_assert_int_eq(count_regs(db), 1);
	rdd_db_close(db);
}
END_TEST

/*
 * rdd_db_update() with et (the handler passes it when an update carries
 * attributes, RFC 9176 section 5.3.1) must store the new endpoint types:
 * rdd_db_get(), ep lookups by et and removal all go by the stored value.
 */
START_TEST(test_update_et_stored)
{
	struct rdd_db *db = open_db(db_path, TI_STORE_SYNC_FULL);
	struct rdd_reg g = { .id = 0 };
	int64_t id;

	id = reg_full(db, "n", "", "coap://192.0.2.1", 3600, "old-et", "", NOW + 3600000, "</a>",
		      NULL);
	ck_assert_int_eq(rdd_db_update(db, id, NULL, NULL, 0, "new-et", NULL, NOW), 0);
	ck_assert_int_eq(rdd_db_get(db, id, NOW, &g), 0);
	ck_assert_msg(g.et != NULL && strcmp(g.et, "new-et") == 0,
		      "et after an update with et \"new-et\": got %s%s%s", g.et ? "\"" : "",
		      g.et ? g.et : "NULL", g.et ? "\"" : "");
	rdd_reg_fini(&g);
	expect(db, 1, "et=new-et", 0, 0, "n");
	expect(db, 1, "et=old-et", 0, 0, "");
	/* "" removes the endpoint types. */
	ck_assert_int_eq(rdd_db_update(db, id, NULL, NULL, 0, "", NULL, NOW), 0);
	ck_assert_int_eq(rdd_db_get(db, id, NOW, &g), 0);
	ck_assert_ptr_null(g.et);
	rdd_reg_fini(&g);
	expect(db, 1, "et", 0, 0, "");
	ck_assert_int_eq(rdd_db_remove(db, id), 0);
	rdd_db_close(db);
	ck_assert_int_eq(attr_rows(db_path), 0);
}
END_TEST

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
 * Open path a second time in a child process (another rdd) and wait for it
 * at most SECOND_OPEN_LIMIT_MS plus a margin. With hold set, the child
 * first opens the file itself (two connections in one process).
 * @return the child's rdd_db_open() result; *ret_ms how long it took.
 */
static int
second_open(const char *path, int hold, int64_t *ret_ms)
{
	int64_t t0 = mono_ms();
	int fds[2], status = 0, r = 1;
	pid_t pid, w;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct ti_store_error err = { .msg = "" };
		struct rdd_db *first = NULL, *second = NULL;
		int res;

		close(fds[0]);
		if (hold && rdd_db_open(path, TI_STORE_SYNC_FULL, &first, &err) < 0)
			_exit(3);
		res = rdd_db_open(path, TI_STORE_SYNC_FULL, &second, &err);
		if (write(fds[1], &res, sizeof(res)) != (ssize_t)sizeof(res))
			_exit(4);
		rdd_db_close(second);
		rdd_db_close(first);
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
			ck_abort_msg("a second rdd_db_open() on a locked file still blocks after "
				     "%d ms (hold %d)",
				     SECOND_OPEN_LIMIT_MS + 2000, hold);
		}
		usleep(10000);
	}
	*ret_ms = mono_ms() - t0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	ck_assert_int_eq(read(fds[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(fds[0]);
	return r;
}

/* PRAGMA locking_mode=EXCLUSIVE: a second rdd on the same file fails, and soon. */
START_TEST(test_exclusive_second_open)
{
	struct rdd_db *db = open_db(db_path, TI_STORE_SYNC_FULL);
	int64_t ms = 0;
	int r;

	reg_simple(db, "first", "coap://192.0.2.1", "</a>");
	r = second_open(db_path, 0, &ms);
	ck_assert_msg(r < 0, "a second rdd_db_open() of an open database succeeded");
	ck_assert_msg(r == -EBUSY || r == TI_EDB, "second open: %d (%s)", r, ti_strerror(r));
	ck_assert_msg(ms < SECOND_OPEN_LIMIT_MS, "the second open failed only after %lld ms",
		      (long long)ms);
	/* The first one is unaffected, also with a group. */
	ck_assert_int_eq(rdd_db_batch_begin(db), 0);
	reg_simple(db, "second", "coap://192.0.2.2", "</b>");
	r = second_open(db_path, 0, &ms);
	ck_assert_int_lt(r, 0);
	ck_assert_msg(ms < SECOND_OPEN_LIMIT_MS,
		      "the second open (group open) failed only after %lld ms", (long long)ms);
	ck_assert_int_eq(rdd_db_batch_commit(db), 0);
	expect(db, 1, "", 0, 0, "first second");
	rdd_db_close(db);
	/* Closed: the file is free again. */
	r = second_open(db_path, 0, &ms);
	ck_assert_msg(r == 0, "open after close: %s", ti_strerror(r));
	db = open_db(db_path, TI_STORE_SYNC_FULL);
	expect(db, 1, "", 0, 0, "first second");
	rdd_db_close(db);
}
END_TEST

/* Two connections in one process: the second open fails too. */
START_TEST(test_exclusive_same_process)
{
	int64_t ms = 0;
	int r;

	rdd_db_close(open_db(db_path, TI_STORE_SYNC_FULL)); /* create it */
	r = second_open(db_path, 1, &ms);
	ck_assert_msg(r < 0, "a second rdd_db_open() in the same process succeeded");
	ck_assert_msg(ms < SECOND_OPEN_LIMIT_MS, "the second open failed only after %lld ms",
		      (long long)ms);
}
END_TEST

Suite *
rdd_db_suite(void)
{
	Suite *s = suite_create("rdd_db");
	TCase *tc;

	tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_schema_file_matches);
	tcase_add_test(tc, test_schema_version);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("changes");
	tcase_add_test(tc, test_register_replace);
	tcase_add_test(tc, test_register_invalid);
	tcase_add_test(tc, test_update);
	tcase_add_test(tc, test_remove_get);
	tcase_add_test(tc, test_expire);
	tcase_add_test(tc, test_expire_many);
	tcase_add_test(tc, test_generation);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_loop_test(tc, test_lookup_mem, 0, (int)TI_ARRAY_SIZE(lookup_cases));
	tcase_add_test(tc, test_lookup_file);
	tcase_add_test(tc, test_lookup_callback);
	tcase_add_test(tc, test_lookup_candidates);
	tcase_add_test(tc, test_lookup_prefix_paths);
	suite_add_tcase(s, tc);

	tc = tcase_create("persistence");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_persistence);
	suite_add_tcase(s, tc);

	tc = tcase_create("group commit");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	/* The second-open tests bound their own wait; leave them room to report it. */
	tcase_set_timeout(tc, (SECOND_OPEN_LIMIT_MS + 10000) / 1000);
	tcase_add_test(tc, test_batch_visible_then_durable);
	tcase_add_test(tc, test_batch_failure_isolated);
	tcase_add_test(tc, test_batch_commit_without_batch);
	tcase_add_test(tc, test_batch_uncommitted_lost);
	tcase_add_test(tc, test_batch_read_transaction);
	tcase_add_test(tc, test_batch_memory);
	tcase_add_test(tc, test_update_et_stored);
	tcase_add_test(tc, test_exclusive_second_open);
	tcase_add_test(tc, test_exclusive_same_process);
	suite_add_tcase(s, tc);
	return s;
}
