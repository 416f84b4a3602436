/* SPDX-License-Identifier: BSD-2-Clause */
/* rdd: RFC 9176 registrations in SQLite: register, update, remove, expire, lookups. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "ti_err.h"
#include "ti_linkfmt.h"
#include "ti_store.h"
#include "ti_util.h"
#include "rdd_db.h"

/*
 * Lookups run in two stages. The attr table (primary key name, value,
 * reg_id, n) yields candidates (reg_id, n) in ascending order for one
 * "driving" filter; every candidate's registration is then read and all
 * filters are checked in C with the ti_linkfmt matching rules. So the index
 * only has to over-approximate, the semantics live in one place, and a
 * stale or missing index row can cost time but never a wrong answer.
 * Because candidates arrive in result order, a lookup stops after
 * page * count + count results: its cost follows the page asked for, not
 * the size of the directory.
 */

/* A prefix or presence filter with at most this many distinct values is a
 * merge of ordered equality cursors; with more, SQLite sorts the range. */
#define MERGE_MAX 16
/* Upper bound of the row count estimate used to pick the driving filter. */
#define EST_CAP 256
/* Registrations removed per expiry batch query (all in one transaction). */
#define EXPIRE_BATCH 256

enum {
	S_FIND,
	S_GET,
	S_INS_REG,
	S_REPLACE_REG,
	S_UPD_REG,
	S_DEL_REG,
	S_COUNT,
	S_NEXT_EXP,
	S_EXPIRED,
	S_INS_ATTR,
	S_DEL_ATTR,
	S_EST,
	S_DISTINCT,
	S_SORTED,
	S_SCAN,
	S_SAVEPOINT,
	S_RELEASE,
	S_READ_BEGIN,
	S_READ_END,
	S_ROLLBACK_TO,
	S_MAX
};

static const char *const stmt_sql[S_MAX] = {
	[S_FIND] = "SELECT id FROM reg WHERE ep = ?1 AND d = ?2",
	[S_GET] = "SELECT id, ep, d, base, base_explicit, lt, et, attrs, expires_ms, links"
		  " FROM reg WHERE id = ?1",
	[S_INS_REG] = "INSERT INTO reg (ep, d, base, base_explicit, lt, et, attrs, expires_ms,"
		      " links) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_REPLACE_REG] = "UPDATE reg SET base = ?2, base_explicit = ?3, lt = ?4, et = ?5,"
			  " attrs = ?6, expires_ms = ?7, links = ?8 WHERE id = ?1",
	[S_UPD_REG] = "UPDATE reg SET base = ?2, base_explicit = ?3, lt = ?4, attrs = ?5,"
		      " expires_ms = ?6, et = ?7 WHERE id = ?1",
	[S_DEL_REG] = "DELETE FROM reg WHERE id = ?1",
	[S_COUNT] = "SELECT count(*) FROM reg",
	[S_NEXT_EXP] = "SELECT min(expires_ms) FROM reg",
	[S_EXPIRED] = "SELECT id FROM reg WHERE expires_ms <= ?1 ORDER BY expires_ms, id LIMIT ?2",
	[S_INS_ATTR] =
	    "INSERT OR IGNORE INTO attr (name, value, reg_id, n) VALUES (?1, ?2, ?3, ?4)",
	[S_DEL_ATTR] =
	    "DELETE FROM attr WHERE name = ?1 AND value = ?2 AND reg_id = ?3 AND n = ?4",
	[S_EST] = "SELECT count(*) FROM (SELECT 1 FROM attr WHERE name = ?1 AND value >= ?2"
		  " AND value < ?3 LIMIT ?4)",
	[S_DISTINCT] = "SELECT value FROM attr WHERE name = ?1 AND value >= ?2 AND value < ?3"
		       " ORDER BY value LIMIT 1",
	[S_SORTED] = "SELECT reg_id, n FROM attr WHERE name = ?1 AND value >= ?2 AND value < ?3"
		     " ORDER BY reg_id, n",
	[S_SCAN] = "SELECT id, -1 FROM reg ORDER BY id",
	[S_SAVEPOINT] = "SAVEPOINT op",
	[S_READ_BEGIN] = "BEGIN DEFERRED",
	[S_READ_END] = "COMMIT",
	[S_RELEASE] = "RELEASE op",
	[S_ROLLBACK_TO] = "ROLLBACK TO op",
};

static const char cursor_sql[] =
    "SELECT reg_id, n FROM attr WHERE name = ?1 AND value = ?2 ORDER BY reg_id, n";

struct rdd_db {
	struct ti_store *store;
	uint64_t gen;
	int batch; /* a group commit is open: each change is a savepoint in it */
	sqlite3_stmt *st[S_MAX];
	sqlite3_stmt *cur[MERGE_MAX]; /* ordered equality cursors of one lookup */
};

/* Stored payloads were checked against rdd's limits when they came in. */
static const struct ti_linkfmt_limits stored_limits = {
	.max_links = SIZE_MAX,
	.max_attrs_per_link = SIZE_MAX,
	.max_target_len = SIZE_MAX,
	.max_name_len = SIZE_MAX,
	.max_value_len = SIZE_MAX,
};

/*
 * Helpers
 */

void
rdd_reg_fini(struct rdd_reg *reg)
{
	if (reg == NULL)
		return;
	free(reg->ep);
	free(reg->d);
	free(reg->base);
	free(reg->et);
	free(reg->attrs);
	free(reg->links);
	*reg = (struct rdd_reg){ .id = 0 };
}

/* Bind ?1.. in order: 't' text (NULL binds NULL), 'I' int64_t, 'i' int. */
static int
bind(sqlite3_stmt *st, const char *fmt, ...)
{
	int rc = SQLITE_OK, i = 1;
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt != '\0' && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 't':
			rc = sqlite3_bind_text(st, i, va_arg(ap, const char *), -1, SQLITE_STATIC);
			break;
		case 'I':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		default:
			rc = sqlite3_bind_int(st, i, va_arg(ap, int));
			break;
		}
	}
	va_end(ap);
	return ti_store_map(rc);
}

/* Step a statement that changes rows or returns none. */
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

static char *
dup_col(sqlite3_stmt *st, int col, int *err)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	char *s;

	if (t == NULL)
		return NULL;
	s = strdup((const char *)t);
	if (s == NULL)
		*err = -ENOMEM;
	return s;
}

/* Read a registration row, expired or not. @return 0, -ENOENT, -ENOMEM, TI_EDB... */
static int
read_reg(struct rdd_db *db, int64_t id, struct rdd_reg *ret)
{
	sqlite3_stmt *st = db->st[S_GET];
	struct rdd_reg reg = { .id = id };
	int err = 0, r;

	r = bind(st, "I", id);
	if (r < 0)
		return r;
	r = ti_store_step(st);
	if (r <= 0)
		return r == 0 ? -ENOENT : r;
	reg.ep = dup_col(st, 1, &err);
	reg.d = dup_col(st, 2, &err);
	reg.base = dup_col(st, 3, &err);
	reg.base_explicit = sqlite3_column_int(st, 4);
	reg.lt = (uint32_t)sqlite3_column_int64(st, 5);
	reg.et = dup_col(st, 6, &err);
	reg.attrs = dup_col(st, 7, &err);
	reg.expires_ms = sqlite3_column_int64(st, 8);
	reg.links = dup_col(st, 9, &err);
	ti_store_reset(st);
	if (err == 0 && (reg.ep == NULL || reg.d == NULL || reg.base == NULL ||
			 reg.attrs == NULL || reg.links == NULL))
		err = TI_EDB; /* NOT NULL columns: only a damaged file gets here */
	if (err < 0) {
		rdd_reg_fini(&reg);
		return err;
	}
	*ret = reg;
	return 0;
}

/* Resolve ref against base into a new string (caller frees). */
static int
resolve_dup(const char *base, const char *ref, char **ret)
{
	size_t size = strlen(base) + strlen(ref) + 16;
	char *out;
	int r;

	/* The result is at most base + ref + "/"; the retry is belt and braces. */
	for (int tries = 0; tries < 2; tries++, size *= 2) {
		out = malloc(size);
		if (out == NULL)
			return -ENOMEM;
		r = ti_linkfmt_resolve(base, ref, out, size);
		if (r >= 0) {
			*ret = out;
			return 0;
		}
		free(out);
		if (r != -ENOSPC)
			return r;
	}
	return -ENOSPC;
}

/* The extra registration attributes as the attributes of one link. */
static int
parse_attrs(const char *attrs, struct ti_links *ret)
{
	struct ti_strbuf sb = TI_STRBUF_INIT(SIZE_MAX / 2);
	struct ti_links l = { 0 };
	int r;

	if (attrs == NULL || attrs[0] == '\0') {
		*ret = l;
		return 0;
	}
	r = ti_strbuf_puts(&sb, "<>;");
	if (r == 0)
		r = ti_strbuf_puts(&sb, attrs);
	if (r == 0)
		r = ti_linkfmt_parse(sb.s, sb.len, &stored_limits, &l, NULL);
	ti_strbuf_fini(&sb);
	if (r == 0 && l.n != 1) {
		ti_links_fini(&l);
		r = TI_EPARSE;
	}
	if (r == 0)
		*ret = l;
	return r == TI_ETOOBIG ? TI_EPARSE : r;
}

static int
is_list(const char *name)
{
	return ti_linkfmt_attr_is_list(name) || strcasecmp(name, "et") == 0;
}

/* ASCII-lowercase copy of name in buf, or on the heap (*heap) if it is long. */
static const char *
lower(const char *name, char *buf, size_t size, char **heap)
{
	size_t len = strlen(name);
	char *out = buf;

	*heap = NULL;
	if (len >= size) {
		out = *heap = malloc(len + 1);
		if (out == NULL)
			return NULL;
	}
	for (size_t i = 0; i <= len; i++)
		out[i] =
		    (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
	return out;
}

/*
 * Index rows
 *
 * The same generator inserts a registration's rows and, run again over the
 * stored registration, deletes them: the table needs no second index on
 * reg_id, which would double its size.
 */

struct rowgen {
	struct rdd_db *db;
	sqlite3_stmt *st; /* S_INS_ATTR or S_DEL_ATTR */
	int64_t id;
};

static int
row(struct rowgen *g, const char *name, const char *value, int n)
{
	int r = bind(g->st, "ttIi", name, value, g->id, n);

	return r < 0 ? r : exec_stmt(g->st);
}

/* One value; a list value also as each of its space-separated tokens. */
static int
row_value(struct rowgen *g, const char *name, const char *value, int n, int list)
{
	char *copy, *tok, *save = NULL;
	int r;

	r = row(g, name, value ? value : "", n);
	if (r < 0 || !list || value == NULL || strchr(value, ' ') == NULL)
		return r;
	copy = strdup(value);
	if (copy == NULL)
		return -ENOMEM;
	for (tok = strtok_r(copy, " ", &save); tok != NULL && r == 0;
	     tok = strtok_r(NULL, " ", &save))
		r = row(g, name, tok, n);
	free(copy);
	return r;
}

static int
row_attr(struct rowgen *g, const struct ti_link_attr *a, int n)
{
	char buf[64], *heap;
	const char *name = lower(a->name, buf, sizeof(buf), &heap);
	int r;

	if (name == NULL)
		return -ENOMEM;
	r = row_value(g, name, a->value, n, is_list(name));
	free(heap);
	return r;
}

static int
rows_reg(struct rowgen *g, const struct rdd_reg *reg, const struct ti_links *extras)
{
	char lt[16];
	int r;

	snprintf(lt, sizeof(lt), "%" PRIu32, reg->lt);
	r = row(g, "ep", reg->ep, -1);
	if (r == 0 && reg->d != NULL && reg->d[0] != '\0')
		r = row(g, "d", reg->d, -1);
	if (r == 0)
		r = row(g, "base", reg->base, -1);
	if (r == 0)
		r = row(g, "lt", lt, -1);
	if (r == 0 && reg->et != NULL)
		r = row_value(g, "et", reg->et, -1, 1);
	for (size_t i = 0; r == 0 && extras->n > 0 && i < extras->v[0].n_attrs; i++)
		r = row_attr(g, &extras->v[0].attrs[i], -1);
	return r;
}

static int
rows_link(struct rowgen *g, const char *base, const char *self, const struct ti_link *l, int n)
{
	const char *anchor = ti_link_attr_get(l, "anchor");
	char *href = NULL, *abs_anchor = NULL;
	int r;

	r = resolve_dup(base, l->target, &href);
	if (r == 0 && anchor != NULL)
		r = resolve_dup(base, anchor, &abs_anchor);
	if (r == 0)
		r = row(g, "href", href, n);
	if (r == 0)
		r = row(g, "anchor", abs_anchor ? abs_anchor : self, n);
	for (size_t i = 0; r == 0 && i < l->n_attrs; i++) {
		/* Resolved above; a link attribute "href" cannot be looked up. */
		if (strcasecmp(l->attrs[i].name, "anchor") == 0 ||
		    strcasecmp(l->attrs[i].name, "href") == 0)
			continue;
		r = row_attr(g, &l->attrs[i], n);
	}
	free(href);
	free(abs_anchor);
	return r;
}

/* Insert (ins 1) or delete (ins 0) every index row of a registration. */
static int
rows_apply(struct rdd_db *db, int64_t id, const struct rdd_reg *reg, const struct ti_links *links,
	   int ins)
{
	struct rowgen g = { .db = db, .st = db->st[ins ? S_INS_ATTR : S_DEL_ATTR], .id = id };
	struct ti_links extras = { 0 };
	char *self = NULL;
	int r;

	r = parse_attrs(reg->attrs, &extras);
	if (r == 0)
		r = resolve_dup(reg->base, "", &self);
	if (r == 0)
		r = rows_reg(&g, reg, &extras);
	for (size_t i = 0; r == 0 && i < links->n; i++)
		r = rows_link(&g, reg->base, self, &links->v[i], (int)i);
	free(self);
	ti_links_fini(&extras);
	return r;
}

/* Delete the rows of the stored registration old. */
static int
rows_delete(struct rdd_db *db, const struct rdd_reg *old)
{
	struct ti_links links = { 0 };
	int r;

	r = ti_linkfmt_parse(old->links, strlen(old->links), &stored_limits, &links, NULL);
	/*
	 * A stored payload that no longer parses (a damaged file) leaves stale
	 * rows behind; lookups check every candidate, so they only cost time.
	 */
	if (r == TI_EPARSE || r == TI_ETOOBIG)
		return 0;
	if (r == 0)
		r = rows_apply(db, old->id, old, &links, 0);
	ti_links_fini(&links);
	return r == TI_EPARSE ? 0 : r;
}

/*
 * Open and close
 */

int
rdd_db_open(const char *path, int synchronous, struct rdd_db **ret_db,
	    struct ti_store_error *reterr)
{
	struct ti_store_opts opts = TI_STORE_OPTS_INIT;
	char pragma[64];
	struct rdd_db *db;
	int r;

	if (ret_db == NULL)
		return -EINVAL;
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return -ENOMEM;
	opts.synchronous = synchronous;
	r = ti_store_open(path, &opts, rdd_migrations, rdd_n_migrations, &db->store, reterr);
	if (r < 0)
		goto out_free;
	/* RSS is mostly page cache: bound it whatever the directory's size. */
	snprintf(pragma, sizeof(pragma), "PRAGMA cache_size=-%d", RDD_DB_CACHE_KIB);
	r = ti_store_exec(db->store, pragma);
	/*
	 * rdd is the database's only user: exclusive locking spares the fcntl()
	 * lock calls of every transaction and the WAL index in shared memory,
	 * and a second rdd on the same file fails at once instead of sharing it.
	 */
	/* Savepoint journals of a group commit (rdd_db_batch_begin) in memory, not in /var/tmp. */
	if (r == 0)
		r = ti_store_exec(db->store, "PRAGMA temp_store=MEMORY");
	if (r == 0 && strcmp(path, ":memory:") != 0)
		r = ti_store_exec(db->store, "PRAGMA locking_mode=EXCLUSIVE");
	if (r == 0 && strcmp(path, ":memory:") != 0)
		r = ti_store_exec(db->store, "BEGIN IMMEDIATE; COMMIT");
	for (size_t i = 0; r == 0 && i < S_MAX; i++)
		r = ti_store_prepare(db->store, stmt_sql[i], &db->st[i]);
	for (size_t i = 0; r == 0 && i < MERGE_MAX; i++)
		r = ti_store_prepare(db->store, cursor_sql, &db->cur[i]);
	if (r < 0) {
		if (reterr != NULL)
			snprintf(reterr->msg, sizeof(reterr->msg), "%s",
				 ti_store_errmsg(db->store));
		goto out_close;
	}
	db->gen = 1;
	*ret_db = db;
	return 0;

out_close:
	ti_store_close(db->store);
out_free:
	free(db);
	return r;
}

void
rdd_db_close(struct rdd_db *db)
{
	if (db == NULL)
		return;
	ti_store_close(db->store);
	free(db);
}

uint64_t
rdd_db_generation(const struct rdd_db *db)
{
	return db->gen;
}

/* Open the transaction of one change: its own, or a savepoint in the open group. */
static int
change_begin(struct rdd_db *db)
{
	return db->batch ? ti_store_step(db->st[S_SAVEPOINT]) : ti_store_begin(db->store);
}

int
rdd_db_batch_begin(struct rdd_db *db)
{
	int r;

	if (db == NULL)
		return -EINVAL;
	if (db->batch)
		return 0;
	if ((r = ti_store_begin(db->store)) == 0)
		db->batch = 1;
	return r;
}

int
rdd_db_batch_commit(struct rdd_db *db)
{
	int r;

	if (db == NULL)
		return -EINVAL;
	if (!db->batch)
		return 0;
	db->batch = 0;
	r = ti_store_commit(db->store);
	if (r < 0)
		ti_store_rollback(db->store);
	return r;
}

int
rdd_db_read_begin(struct rdd_db *db)
{
	if (db == NULL)
		return -EINVAL;
	if (db->batch)
		return 0; /* the open group is the read transaction */
	return ti_store_step(db->st[S_READ_BEGIN]);
}

void
rdd_db_read_end(struct rdd_db *db)
{
	if (db != NULL && !db->batch)
		ti_store_step(db->st[S_READ_END]);
}

int
rdd_db_batch_open(const struct rdd_db *db)
{
	return db != NULL && db->batch;
}

/* Commit, or roll back after a failure r; counts a visible change. */
static int
finish(struct rdd_db *db, int r, int changed)
{
	if (db->batch) {
		if (r < 0) {
			ti_store_step(db->st[S_ROLLBACK_TO]);
			ti_store_step(db->st[S_RELEASE]);
			return r;
		}
		r = ti_store_step(db->st[S_RELEASE]);
		if (r == 0 && changed)
			db->gen++;
		return r;
	}
	if (r < 0) {
		ti_store_rollback(db->store);
		return r;
	}
	r = ti_store_commit(db->store);
	if (r == 0 && changed)
		db->gen++;
	return r;
}

/*
 * Changes
 */

static int
reg_valid(const struct rdd_reg *reg, const struct ti_links *links)
{
	return reg != NULL && links != NULL && reg->ep != NULL && reg->ep[0] != '\0' &&
	       reg->base != NULL && reg->links != NULL;
}

static int
find_id(struct rdd_db *db, const char *ep, const char *d, int64_t *ret_id)
{
	sqlite3_stmt *st = db->st[S_FIND];
	int r;

	r = bind(st, "tt", ep, d != NULL ? d : "");
	if (r < 0)
		return r;
	r = ti_store_step(st);
	if (r <= 0)
		return r == 0 ? -ENOENT : r;
	*ret_id = sqlite3_column_int64(st, 0);
	ti_store_reset(st);
	return 0;
}

/* Replace the stored registration id by reg: unindex the old, rewrite the row. */
static int
replace_reg(struct rdd_db *db, int64_t id, const struct rdd_reg *reg)
{
	struct rdd_reg old;
	int r;

	r = read_reg(db, id, &old);
	if (r < 0)
		return r;
	r = rows_delete(db, &old);
	rdd_reg_fini(&old);
	if (r == 0)
		r = bind(db->st[S_REPLACE_REG], "ItiIttIt", id, reg->base, reg->base_explicit,
			 (int64_t)reg->lt, reg->et, reg->attrs ? reg->attrs : "", reg->expires_ms,
			 reg->links);
	return r < 0 ? r : exec_stmt(db->st[S_REPLACE_REG]);
}

int
rdd_db_register(struct rdd_db *db, const struct rdd_reg *reg, const struct ti_links *links,
		int64_t *ret_id, int *ret_created)
{
	const char *d = reg != NULL && reg->d != NULL ? reg->d : "";
	int64_t id = 0;
	int r, created = 0;

	if (db == NULL || !reg_valid(reg, links))
		return -EINVAL;
	r = change_begin(db);
	if (r < 0)
		return r;
	r = find_id(db, reg->ep, d, &id);
	if (r == 0) {
		r = replace_reg(db, id, reg);
	} else if (r == -ENOENT) {
		created = 1;
		r = bind(db->st[S_INS_REG], "tttiIttIt", reg->ep, d, reg->base, reg->base_explicit,
			 (int64_t)reg->lt, reg->et, reg->attrs ? reg->attrs : "", reg->expires_ms,
			 reg->links);
		if (r == 0)
			r = exec_stmt(db->st[S_INS_REG]);
		id = ti_store_last_rowid(db->store);
	}
	if (r == 0)
		r = rows_apply(db, id, reg, links, 1);
	r = finish(db, r, 1);
	if (r < 0)
		return r;
	if (ret_id != NULL)
		*ret_id = id;
	if (ret_created != NULL)
		*ret_created = created;
	return 0;
}

int
rdd_db_update(struct rdd_db *db, int64_t id, const uint32_t *lt, const char *base,
	      int base_explicit, const char *et, const char *attrs, int64_t now_ms)
{
	struct ti_links links = { 0 };
	struct rdd_reg old, nw;
	int r, reindex, lt_changed;
	char lt_old[16], lt_new[16];

	if (db == NULL)
		return -EINVAL;
	r = change_begin(db);
	if (r < 0)
		return r;
	r = read_reg(db, id, &old);
	if (r < 0)
		return finish(db, r, 0);
	if (old.expires_ms <= now_ms) {
		rdd_reg_fini(&old);
		return finish(db, -ENOENT, 0);
	}
	nw = old; /* shallow: the strings stay old's, some replaced by borrowed ones */
	if (lt != NULL)
		nw.lt = *lt;
	if (base != NULL) {
		nw.base = (char *)base;
		nw.base_explicit = base_explicit;
	}
	if (attrs != NULL)
		nw.attrs = (char *)attrs;
	if (et != NULL)
		nw.et = et[0] != '\0' ? (char *)et : NULL;
	reindex = strcmp(nw.base, old.base) != 0 || strcmp(nw.attrs, old.attrs) != 0 ||
		  !ti_str_equal(nw.et, old.et);
	lt_changed = nw.lt != old.lt;
	if (reindex) {
		/* A new base moves every resolved href and anchor (RFC 9176 section 6). */
		r = ti_linkfmt_parse(old.links, strlen(old.links), &stored_limits, &links, NULL);
		if (r == 0)
			r = rows_apply(db, id, &old, &links, 0);
		if (r == 0)
			r = rows_apply(db, id, &nw, &links, 1);
		ti_links_fini(&links);
	} else if (lt_changed) {
		struct rowgen del = { .db = db, .st = db->st[S_DEL_ATTR], .id = id };
		struct rowgen ins = { .db = db, .st = db->st[S_INS_ATTR], .id = id };

		snprintf(lt_old, sizeof(lt_old), "%" PRIu32, old.lt);
		snprintf(lt_new, sizeof(lt_new), "%" PRIu32, nw.lt);
		r = row(&del, "lt", lt_old, -1);
		if (r == 0)
			r = row(&ins, "lt", lt_new, -1);
	}
	if (r == 0)
		r = bind(db->st[S_UPD_REG], "ItiItIt", id, nw.base, nw.base_explicit,
			 (int64_t)nw.lt, nw.attrs, now_ms + (int64_t)nw.lt * 1000, nw.et);
	if (r == 0)
		r = exec_stmt(db->st[S_UPD_REG]);
	rdd_reg_fini(&old);
	return finish(db, r, reindex || lt_changed);
}

/* Unindex and delete one stored registration. */
static int
delete_reg(struct rdd_db *db, const struct rdd_reg *old)
{
	int r = rows_delete(db, old);

	if (r == 0)
		r = bind(db->st[S_DEL_REG], "I", old->id);
	return r < 0 ? r : exec_stmt(db->st[S_DEL_REG]);
}

int
rdd_db_remove(struct rdd_db *db, int64_t id)
{
	struct rdd_reg old;
	int r;

	if (db == NULL)
		return -EINVAL;
	r = change_begin(db);
	if (r < 0)
		return r;
	r = read_reg(db, id, &old);
	if (r == 0) {
		r = delete_reg(db, &old);
		rdd_reg_fini(&old);
	}
	return finish(db, r, 1);
}

int
rdd_db_get(struct rdd_db *db, int64_t id, int64_t now_ms, struct rdd_reg *ret)
{
	struct rdd_reg reg;
	int r;

	if (db == NULL || ret == NULL)
		return -EINVAL;
	r = read_reg(db, id, &reg);
	if (r < 0)
		return r;
	if (reg.expires_ms <= now_ms) {
		rdd_reg_fini(&reg);
		return -ENOENT;
	}
	*ret = reg;
	return 0;
}

int
rdd_db_find(struct rdd_db *db, const char *ep, const char *d, int64_t *ret_id)
{
	if (db == NULL || ep == NULL || ret_id == NULL)
		return -EINVAL;
	return find_id(db, ep, d, ret_id);
}

/* A statement returning one integer; -ENOENT when it is NULL. */
static int
query_int(sqlite3_stmt *st, int64_t *ret)
{
	int r = ti_store_step(st), null;

	if (r <= 0)
		return r == 0 ? TI_EDB : r;
	null = sqlite3_column_type(st, 0) == SQLITE_NULL;
	if (!null)
		*ret = sqlite3_column_int64(st, 0);
	ti_store_reset(st);
	return null ? -ENOENT : 0;
}

int
rdd_db_count(struct rdd_db *db, int64_t *ret)
{
	if (db == NULL || ret == NULL)
		return -EINVAL;
	return query_int(db->st[S_COUNT], ret);
}

int
rdd_db_next_expiry(struct rdd_db *db, int64_t *ret_ms)
{
	if (db == NULL || ret_ms == NULL)
		return -EINVAL;
	return query_int(db->st[S_NEXT_EXP], ret_ms);
}

/* Remove one batch of expired registrations. @return how many, or an error. */
static int
expire_batch(struct rdd_db *db, int64_t now_ms, rdd_db_reg_fn *fn, void *arg)
{
	sqlite3_stmt *st = db->st[S_EXPIRED];
	int64_t ids[EXPIRE_BATCH];
	size_t k = 0;
	int r;

	r = bind(st, "II", now_ms, (int64_t)EXPIRE_BATCH);
	/* Collect first: deleting under a running SELECT of the same table is fragile. */
	while (r == 0 && (r = ti_store_step(st)) == 1 && k < EXPIRE_BATCH) {
		ids[k++] = sqlite3_column_int64(st, 0);
		r = 0;
	}
	ti_store_reset(st);
	if (r < 0)
		return r;
	for (size_t i = 0; i < k; i++) {
		struct rdd_reg old;

		r = read_reg(db, ids[i], &old);
		if (r < 0)
			return r;
		if (fn != NULL)
			fn(arg, &old);
		r = delete_reg(db, &old);
		rdd_reg_fini(&old);
		if (r < 0)
			return r;
	}
	return (int)k;
}

int
rdd_db_expire(struct rdd_db *db, int64_t now_ms, rdd_db_reg_fn *fn, void *arg)
{
	int removed = 0, r;

	if (db == NULL)
		return -EINVAL;
	r = change_begin(db);
	if (r < 0)
		return r;
	while ((r = expire_batch(db, now_ms, fn, arg)) > 0)
		removed += r;
	r = finish(db, r, removed > 0);
	return r < 0 ? r : removed;
}

/*
 * Lookups
 */

enum { F_EQ, F_PREFIX, F_ANY };

/* One filter, with the index range [lo, hi) that covers its matches. */
struct flt {
	const char *pat; /* NULL: presence */
	char *name;	 /* lowercased */
	int kind;
	char *lo;
	char *hi; /* NULL: no upper bound */
};

static void
flts_free(struct flt *f, size_t n)
{
	for (size_t i = 0; f != NULL && i < n; i++) {
		free(f[i].name);
		free(f[i].lo);
		free(f[i].hi);
	}
	free(f);
}

/*
 * The smallest string above every string starting with p: p with its last
 * byte below 0xff incremented (and what follows cut); NULL (no bound) when
 * p is all 0xff. Values compare bytewise (BINARY collation).
 */
static int
prefix_end(const char *p, char **ret)
{
	size_t len = strlen(p);
	char *hi;

	while (len > 0 && (unsigned char)p[len - 1] == 0xff)
		len--;
	if (len == 0) {
		*ret = NULL;
		return 0;
	}
	hi = strndup(p, len);
	if (hi == NULL)
		return -ENOMEM;
	hi[len - 1] = (char)((unsigned char)hi[len - 1] + 1);
	*ret = hi;
	return 0;
}

static int
flt_init(struct flt *f, const struct rdd_filter *in)
{
	char buf[8], *heap;
	size_t len;

	if (in->name == NULL)
		return -EINVAL;
	if (lower(in->name, buf, sizeof(buf), &heap) == NULL)
		return -ENOMEM;
	f->name = heap != NULL ? heap : strdup(buf);
	f->pat = in->pattern;
	len = f->pat != NULL ? strlen(f->pat) : 0;
	if (f->pat == NULL || strcmp(f->pat, "*") == 0) {
		f->kind = F_ANY;
		f->lo = strdup("");
	} else if (len > 0 && f->pat[len - 1] == '*') {
		f->kind = F_PREFIX;
		f->lo = strndup(f->pat, len - 1);
		if (f->lo != NULL && prefix_end(f->lo, &f->hi) < 0)
			return -ENOMEM;
	} else {
		/* Equality as a range: nothing lies between v and v "\x01" (no NUL in values). */
		f->kind = F_EQ;
		f->lo = strdup(f->pat);
		if (asprintf(&f->hi, "%s\x01", f->pat) < 0)
			f->hi = NULL;
		if (f->hi == NULL)
			return -ENOMEM;
	}
	return f->name == NULL || f->lo == NULL ? -ENOMEM : 0;
}

static int
flts_init(const struct rdd_filter *in, size_t n, struct flt **ret)
{
	struct flt *f;
	int r = 0;

	if (n > 0 && in == NULL)
		return -EINVAL;
	f = calloc(n + 1, sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = flt_init(&f[i], &in[i]);
	if (r < 0) {
		flts_free(f, n);
		return r;
	}
	*ret = f;
	return 0;
}

/* Bind name ?1, lo ?2, hi ?3 of a range statement; a missing hi is a blob (above all text). */
static int
bind_range(sqlite3_stmt *st, const char *name, const char *lo, const char *hi)
{
	int r = bind(st, "tt", name, lo);

	if (r < 0)
		return r;
	if (hi != NULL)
		return ti_store_map(sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC));
	return ti_store_map(sqlite3_bind_zeroblob(st, 3, 0));
}

/* Index rows of f, counted up to cap. */
static int
estimate(struct rdd_db *db, const struct flt *f, int64_t cap, int64_t *ret)
{
	sqlite3_stmt *st = db->st[S_EST];
	int r = bind_range(st, f->name, f->lo, f->hi);

	if (r == 0)
		r = ti_store_map(sqlite3_bind_int64(st, 4, cap));
	return r < 0 ? r : query_int(st, ret);
}

/*
 * Pick the filter whose index range is smallest: it drives the lookup.
 * Counting is capped, in rounds of growing caps that stop as soon as some
 * filter falls below the cap: a selective filter (ep=, href=) is found
 * after a few index steps, and when all are large the choice hardly
 * matters (results come in order, the lookup stops after count of them):
 * then the first equality filter drives, as its rows need no sort.
 * @return its index in *ret, or n when a filter has no row (no result).
 */
static int
pick_driver(struct rdd_db *db, const struct flt *f, size_t n, size_t *ret)
{
	static const int64_t caps[] = { 16, EST_CAP };
	int64_t best_c, c;
	size_t best, first_eq = n;
	int r;

	for (size_t i = 0; i < n && first_eq == n; i++)
		if (f[i].kind == F_EQ)
			first_eq = i;
	*ret = n == 1 ? 0 : first_eq < n ? first_eq : 0;
	if (n == 1)
		return 0;
	for (size_t k = 0; k < TI_ARRAY_SIZE(caps); k++) {
		best = n;
		best_c = caps[k];
		for (size_t i = 0; i < n; i++) {
			r = estimate(db, &f[i], best_c, &c);
			if (r < 0)
				return r;
			if (c == 0) {
				*ret = n;
				return 0;
			}
			if (c < best_c || (c == best_c && best != n && f[i].kind == F_EQ &&
					   f[best].kind != F_EQ)) {
				best = i;
				best_c = c;
			}
		}
		if (best != n && best_c < caps[k]) {
			*ret = best;
			return 0;
		}
	}
	return 0;
}

/* Candidates (reg_id, n) in ascending order: a merge of up to MERGE_MAX cursors. */
struct driver {
	sqlite3_stmt *st[MERGE_MAX];
	int64_t reg[MERGE_MAX], n[MERGE_MAX];
	int live[MERGE_MAX];
	size_t k;
};

static int
drv_fetch(struct driver *d, size_t i)
{
	int r = ti_store_step(d->st[i]);

	d->live[i] = r == 1;
	if (r == 1) {
		d->reg[i] = sqlite3_column_int64(d->st[i], 0);
		d->n[i] = sqlite3_column_int64(d->st[i], 1);
		r = 0;
	}
	return r;
}

static int
drv_next(struct driver *d, int64_t *ret_reg, int64_t *ret_n)
{
	size_t m = d->k;
	int r;

	for (size_t i = 0; i < d->k; i++) {
		if (!d->live[i])
			continue;
		if (m == d->k || d->reg[i] < d->reg[m] ||
		    (d->reg[i] == d->reg[m] && d->n[i] < d->n[m]))
			m = i;
	}
	if (m == d->k)
		return 0;
	*ret_reg = d->reg[m];
	*ret_n = d->n[m];
	r = drv_fetch(d, m);
	return r < 0 ? r : 1;
}

static void
drv_close(struct driver *d)
{
	for (size_t i = 0; i < d->k; i++)
		ti_store_reset(d->st[i]);
	d->k = 0;
}

/* The distinct index values of a prefix or presence filter, up to max. */
static int
distinct_values(struct rdd_db *db, const struct flt *f, char **vals, size_t max, size_t *ret_n)
{
	sqlite3_stmt *st = db->st[S_DISTINCT];
	char *from = strdup(f->lo);
	size_t n = 0;
	int r = from != NULL ? 0 : -ENOMEM;

	while (r == 0 && n < max) {
		r = bind_range(st, f->name, from, f->hi);
		if (r == 0)
			r = ti_store_step(st);
		if (r <= 0)
			break;
		vals[n] = strdup((const char *)sqlite3_column_text(st, 0));
		ti_store_reset(st);
		free(from);
		from = NULL;
		/* The next value up: v "\x01" is the least string above v and its extensions. */
		if (vals[n] == NULL || asprintf(&from, "%s\x01", vals[n]) < 0) {
			free(vals[n]);
			r = -ENOMEM;
			break;
		}
		n++;
		r = 0;
	}
	ti_store_reset(st);
	free(from);
	*ret_n = n;
	return r < 0 ? r : 0;
}

static int
drv_open_filter(struct rdd_db *db, const struct flt *f, struct driver *d)
{
	char *vals[MERGE_MAX + 1];
	size_t nv = 0;
	int r;

	if (f->kind == F_EQ) {
		d->st[d->k++] = db->cur[0];
		return bind(db->cur[0], "tt", f->name, f->lo);
	}
	r = distinct_values(db, f, vals, MERGE_MAX + 1, &nv);
	if (r == 0 && nv <= MERGE_MAX) {
		for (size_t i = 0; r == 0 && i < nv; i++) {
			d->st[d->k++] = db->cur[i];
			r = bind(db->cur[i], "t", f->name);
			if (r == 0)
				r = ti_store_map(sqlite3_bind_text(db->cur[i], 2, vals[i], -1,
								   SQLITE_TRANSIENT));
		}
	} else if (r == 0) {
		/* Many values (ep=node*): SQLite sorts the range, O(rows in it). */
		d->st[d->k++] = db->st[S_SORTED];
		r = bind_range(db->st[S_SORTED], f->name, f->lo, f->hi);
	}
	for (size_t i = 0; i < nv; i++)
		free(vals[i]);
	return r;
}

static int
drv_open(struct rdd_db *db, const struct flt *f, size_t n, struct driver *d)
{
	size_t best;
	int r;

	*d = (struct driver){ .k = 0 };
	if (n == 0) {
		d->st[d->k++] = db->st[S_SCAN];
		r = 0;
	} else {
		r = pick_driver(db, f, n, &best);
		if (r < 0 || best == n)
			return r;
		r = drv_open_filter(db, &f[best], d);
	}
	for (size_t i = 0; r == 0 && i < d->k; i++)
		r = drv_fetch(d, i);
	if (r < 0)
		drv_close(d);
	return r;
}

/* A registration read for checking candidates; links parsed on demand. */
struct regview {
	int64_t id;
	int alive; /* found and not expired */
	int parsed;
	struct rdd_reg reg;
	struct ti_links extras; /* reg.attrs as the attributes of one link */
	struct ti_links links;
	char **href, **anchor; /* resolved, links.n each */
};

static void
view_fini(struct regview *v)
{
	for (size_t i = 0; v->parsed && i < v->links.n; i++) {
		free(v->href[i]);
		free(v->anchor[i]);
	}
	free(v->href);
	free(v->anchor);
	ti_links_fini(&v->links);
	ti_links_fini(&v->extras);
	rdd_reg_fini(&v->reg);
	*v = (struct regview){ .id = 0 };
}

static int
view_load(struct rdd_db *db, int64_t id, int64_t now_ms, struct regview *v)
{
	int r;

	view_fini(v);
	v->id = id;
	r = read_reg(db, id, &v->reg);
	if (r == -ENOENT)
		return 0; /* a stale index row */
	if (r < 0)
		return r;
	if (v->reg.expires_ms <= now_ms)
		return 0;
	r = parse_attrs(v->reg.attrs, &v->extras);
	if (r == -ENOMEM)
		return r;
	v->alive = 1;
	return 0;
}

static int
view_parse(struct regview *v)
{
	const char *anchor;
	int r;

	if (v->parsed)
		return 0;
	r = ti_linkfmt_parse(v->reg.links, strlen(v->reg.links), &stored_limits, &v->links, NULL);
	if (r < 0)
		return r == -ENOMEM ? r : TI_EDB;
	v->href = calloc(v->links.n + 1, sizeof(*v->href));
	v->anchor = calloc(v->links.n + 1, sizeof(*v->anchor));
	v->parsed = 1;
	if (v->href == NULL || v->anchor == NULL)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < v->links.n; i++) {
		anchor = ti_link_attr_get(&v->links.v[i], "anchor");
		r = resolve_dup(v->reg.base, v->links.v[i].target, &v->href[i]);
		if (r == 0)
			r = resolve_dup(v->reg.base, anchor ? anchor : "", &v->anchor[i]);
	}
	return r == TI_EPARSE ? TI_EDB : r;
}

static int
pmatch(const char *value, const char *pat, int list)
{
	if (pat == NULL)
		return 1;
	return list ? ti_linkfmt_match_any(value ? value : "", pat) : ti_linkfmt_match(value, pat);
}

/* Whether a registration attribute matches f (the index rows at n = -1). */
static int
match_reg(const struct regview *v, const struct flt *f)
{
	const struct rdd_reg *g = &v->reg;
	char lt[16];

	if (strcmp(f->name, "ep") == 0 && pmatch(g->ep, f->pat, 0))
		return 1;
	if (strcmp(f->name, "d") == 0 && g->d[0] != '\0' && pmatch(g->d, f->pat, 0))
		return 1;
	if (strcmp(f->name, "base") == 0 && pmatch(g->base, f->pat, 0))
		return 1;
	if (strcmp(f->name, "et") == 0 && g->et != NULL && pmatch(g->et, f->pat, 1))
		return 1;
	if (strcmp(f->name, "lt") == 0) {
		snprintf(lt, sizeof(lt), "%" PRIu32, g->lt);
		if (pmatch(lt, f->pat, 0))
			return 1;
	}
	for (size_t i = 0; v->extras.n > 0 && i < v->extras.v[0].n_attrs; i++) {
		const struct ti_link_attr *a = &v->extras.v[0].attrs[i];

		if (strcasecmp(a->name, f->name) == 0 &&
		    pmatch(a->value, f->pat, is_list(f->name)))
			return 1;
	}
	return 0;
}

/* Whether link i matches f (the index rows at n = i). */
static int
match_link(const struct regview *v, size_t i, const struct flt *f)
{
	const struct ti_link *l = &v->links.v[i];

	if (strcmp(f->name, "href") == 0)
		return pmatch(v->href[i], f->pat, 0);
	if (strcmp(f->name, "anchor") == 0)
		return pmatch(v->anchor[i], f->pat, 0);
	for (size_t j = 0; j < l->n_attrs; j++) {
		if (strcasecmp(l->attrs[j].name, f->name) == 0 &&
		    pmatch(l->attrs[j].value, f->pat, is_list(f->name)))
			return 1;
	}
	return 0;
}

/* State shared by both lookup kinds. */
struct lookup {
	struct rdd_db *db;
	struct flt *f;
	size_t nf;
	int64_t now_ms;
	uint64_t skip; /* results still to pass over (page * count) */
	uint32_t count;
	int emitted;
	struct driver drv;
	struct regview v;
};

static int
lookup_begin(struct lookup *lk, struct rdd_db *db, const struct rdd_filter *f, size_t n,
	     int64_t now_ms, uint32_t page, uint32_t count)
{
	int r;

	*lk = (struct lookup){ .db = db, .nf = n, .now_ms = now_ms, .count = count };
	lk->skip = count > 0 ? (uint64_t)page * count : 0;
	r = flts_init(f, n, &lk->f);
	if (r < 0)
		return r;
	r = drv_open(db, lk->f, n, &lk->drv);
	if (r < 0)
		flts_free(lk->f, n);
	return r;
}

static void
lookup_end(struct lookup *lk)
{
	drv_close(&lk->drv);
	view_fini(&lk->v);
	flts_free(lk->f, lk->nf);
}

/*
 * Account for one passing result: 1 to emit it, 0 to skip it (earlier
 * page). After an emit, lookup_done() tells whether to stop.
 */
static int
lookup_take(struct lookup *lk)
{
	if (lk->skip > 0) {
		lk->skip--;
		return 0;
	}
	return 1;
}

/* Fold a callback's return: 1 stop with the count, 0 go on, < 0 error. */
static int
lookup_done(struct lookup *lk, int cb)
{
	if (cb < 0)
		return cb;
	lk->emitted++;
	return cb > 0 || (lk->count > 0 && (uint32_t)lk->emitted >= lk->count);
}

static int
res_links(struct lookup *lk, size_t lo, size_t hi, rdd_db_link_fn *fn, void *arg)
{
	struct regview *v = &lk->v;
	int r = 0, ok;

	for (size_t i = lo; i < hi && r == 0; i++) {
		ok = 1;
		for (size_t j = 0; ok && j < lk->nf; j++)
			ok = match_link(v, i, &lk->f[j]) || match_reg(v, &lk->f[j]);
		if (!ok || !lookup_take(lk))
			continue;
		const struct rdd_db_link l = {
			.reg = &v->reg,
			.n = i,
			.link = &v->links.v[i],
			.href = v->href[i],
			.anchor = v->anchor[i],
			.anchor_explicit = ti_link_attr_get(&v->links.v[i], "anchor") != NULL,
		};
		r = lookup_done(lk, fn(arg, &l));
	}
	return r;
}

int
rdd_db_lookup_res(struct rdd_db *db, const struct rdd_filter *f, size_t n, int64_t now_ms,
		  uint32_t page, uint32_t count, rdd_db_link_fn *fn, void *arg)
{
	int64_t reg, pos, last_reg = 0, last_pos = 0;
	struct lookup lk;
	int r;

	if (db == NULL || fn == NULL)
		return -EINVAL;
	r = lookup_begin(&lk, db, f, n, now_ms, page, count);
	if (r < 0)
		return r;
	while (r == 0 && (r = drv_next(&lk.drv, &reg, &pos)) == 1) {
		/* Skip repeats, and the rest of a registration already expanded. */
		if (reg == last_reg && pos <= last_pos) {
			r = 0;
			continue;
		}
		last_reg = reg;
		last_pos = pos < 0 ? INT64_MAX : pos;
		r = reg != lk.v.id ? view_load(db, reg, now_ms, &lk.v) : 0;
		if (r == 0 && lk.v.alive)
			r = view_parse(&lk.v);
		if (r < 0 || !lk.v.alive)
			continue;
		/* A registration attribute matched: every link is a candidate. */
		if (pos < 0)
			r = res_links(&lk, 0, lk.v.links.n, fn, arg);
		else if ((size_t)pos < lk.v.links.n)
			r = res_links(&lk, (size_t)pos, (size_t)pos + 1, fn, arg);
	}
	lookup_end(&lk);
	return r < 0 ? r : lk.emitted;
}

/* Whether registration v passes every filter, by itself or through any link. */
static int
ep_match(struct lookup *lk, int *ret)
{
	struct regview *v = &lk->v;
	int ok = 1, r;

	for (size_t j = 0; ok && j < lk->nf; j++) {
		if (match_reg(v, &lk->f[j]))
			continue;
		r = view_parse(v);
		if (r < 0)
			return r;
		ok = 0;
		for (size_t i = 0; !ok && i < v->links.n; i++)
			ok = match_link(v, i, &lk->f[j]);
	}
	*ret = ok;
	return 0;
}

int
rdd_db_lookup_ep(struct rdd_db *db, const struct rdd_filter *f, size_t n, int64_t now_ms,
		 uint32_t page, uint32_t count, rdd_db_ep_fn *fn, void *arg)
{
	int64_t reg, pos, last_reg = 0;
	struct lookup lk;
	int r, ok = 0;

	if (db == NULL || fn == NULL)
		return -EINVAL;
	r = lookup_begin(&lk, db, f, n, now_ms, page, count);
	if (r < 0)
		return r;
	while (r == 0 && (r = drv_next(&lk.drv, &reg, &pos)) == 1) {
		r = 0;
		if (reg == last_reg)
			continue;
		last_reg = reg;
		r = view_load(db, reg, now_ms, &lk.v);
		if (r == 0 && lk.v.alive)
			r = ep_match(&lk, &ok);
		if (r < 0 || !lk.v.alive || !ok || !lookup_take(&lk))
			continue;
		r = lookup_done(&lk, fn(arg, &lk.v.reg));
	}
	lookup_end(&lk);
	return r < 0 ? r : lk.emitted;
}
