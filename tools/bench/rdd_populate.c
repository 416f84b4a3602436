/* SPDX-License-Identifier: BSD-2-Clause */
/* rdd-populate: fill an rdd database with N realistic registrations for benchmarks. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ti_err.h"
#include "ti_linkfmt.h"
#include "ti_store.h"
#include "ti_util.h"

#include "rdd_db.h"
#include "rdd_registry.h"

#define N_MAX 100000000u

static void
usage(FILE *f)
{
	fputs("usage: rdd-populate -n N [-s FIRST] [-l LIFETIME] [-y off|normal|full] [-g GROUP]\n"
	      "                    DATABASE\n"
	      "Registers endpoints node<FIRST> .. node<FIRST+N-1> in an rdd database\n"
	      "(created if missing) through rdd_db_register(), as rdd would store them.\n"
	      "  -n N         registrations to write (at most 100000000)\n"
	      "  -s FIRST     first endpoint number (default 0)\n"
	      "  -l LIFETIME  lifetime in seconds (default 90000)\n"
	      "  -y SYNC      synchronous while filling (default off; the file is\n"
	      "               checkpointed and written to disk when done)\n"
	      "  -g GROUP     registrations per commit (rdd_db_batch_begin(); default 1000,\n"
	      "               1: a transaction each, as rdd without group commit)\n"
	      "  -q           no progress lines\n"
	      "Each endpoint node<i> has base coap://100.x.y.z:port (its NAT mapping, as if\n"
	      "from the source address), three resource links and a candidate link\n"
	      "<coap://base/candidates>;rel=\"candidateof\";anchor=\"coap://10.a.b.c:5683\"\n"
	      "with 10.a.b.c = i modulo 2^24 (tice-bench's %a).\n",
	      f);
}

static int64_t
realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The base of node i: a carrier-grade NAT address and port, distinct for 2^22 nodes. */
static void
node_base(uint64_t i, char *buf, size_t size)
{
	snprintf(buf, size, "coap://100.%u.%u.%u:%u", 64 + (unsigned)(i >> 16 & 63),
		 (unsigned)(i >> 8 & 255), (unsigned)(i & 255), 40000 + (unsigned)(i % 20000));
}

static int
node_links(uint64_t i, const char *base, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\";obs,"
			 "</sensors/hum>;rt=\"humidity\";if=\"sensor\","
			 "</actuators/led>;rt=\"light\";if=\"actuator\";ct=0,"
			 "<%s/candidates>;rel=\"candidateof\";anchor=\"coap://10.%u.%u.%u:5683\"",
			 base, (unsigned)(i >> 16 & 255), (unsigned)(i >> 8 & 255),
			 (unsigned)(i & 255));

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

/* Register node i. @return 0 or a ti error. */
static int
register_node(struct rdd_db *db, const struct rdd_policy *pol, uint64_t i, uint32_t lt,
	      int64_t now_ms)
{
	char ep[32], base[64], text[512], none[1] = "";
	struct rdd_reg reg = { .ep = ep,
			       .d = none,
			       .base = base,
			       .lt = lt,
			       .attrs = none,
			       .expires_ms = now_ms + (int64_t)lt * 1000,
			       .links = text };
	struct ti_links links = { 0 };
	struct rdd_error err;
	int len, r;

	snprintf(ep, sizeof(ep), "node%llu", (unsigned long long)i);
	node_base(i, base, sizeof(base));
	len = node_links(i, base, text, sizeof(text));
	if (len < 0)
		return len;
	r = rdd_links_parse((const uint8_t *)text, (size_t)len, RDD_CF_LINK_FORMAT, pol, &links,
			    &err);
	if (r < 0) {
		fprintf(stderr, "rdd-populate: node%llu: %s\n", (unsigned long long)i, err.msg);
		return r;
	}
	r = rdd_db_register(db, &reg, &links, NULL, NULL);
	ti_links_fini(&links);
	return r;
}

static int
parse_sync(const char *s, int *ret)
{
	static const char *const names[] = { "off", "normal", "full" };

	for (int i = 0; i < 3; i++) {
		if (strcmp(s, names[i]) == 0) {
			*ret = TI_STORE_SYNC_OFF + i;
			return 0;
		}
	}
	return TI_EPARSE;
}

struct opts {
	uint64_t n, first;
	uint32_t lt, group;
	int sync, quiet;
	const char *path;
};

static int
parse_args(int argc, char **argv, struct opts *o)
{
	int opt, have_n = 0;

	while ((opt = getopt(argc, argv, "hn:s:l:y:g:q")) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			exit(0);
		case 'n':
			if (ti_parse_u64(optarg, 1, N_MAX, &o->n) < 0)
				return -1;
			have_n = 1;
			break;
		case 's':
			if (ti_parse_u64(optarg, 0, UINT32_MAX, &o->first) < 0)
				return -1;
			break;
		case 'l':
			if (ti_parse_u32(optarg, 1, UINT32_MAX, &o->lt) < 0)
				return -1;
			break;
		case 'y':
			if (parse_sync(optarg, &o->sync) < 0)
				return -1;
			break;
		case 'g':
			if (ti_parse_u32(optarg, 1, 1000000, &o->group) < 0)
				return -1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		default:
			return -1;
		}
	}
	if (!have_n || optind != argc - 1)
		return -1;
	o->path = argv[optind];
	return 0;
}

static int
populate(struct rdd_db *db, const struct opts *o)
{
	struct rdd_policy pol = RDD_POLICY_DEFAULT;
	uint64_t t0 = ti_now_ms(), step = o->n >= 1000000 ? 100000 : o->n >= 100000 ? 10000 : 0;
	int64_t now_ms = realtime_ms();

	for (uint64_t k = 0; k < o->n; k++) {
		int r = 0;

		if (o->group > 1 && k % o->group == 0)
			r = rdd_db_batch_begin(db);
		if (r == 0)
			r = register_node(db, &pol, o->first + k, o->lt, now_ms);
		if (r == 0 && o->group > 1 && ((k + 1) % o->group == 0 || k + 1 == o->n))
			r = rdd_db_batch_commit(db);
		if (r < 0) {
			fprintf(stderr, "rdd-populate: failed to register node%llu (%s)\n",
				(unsigned long long)(o->first + k), ti_strerror(r));
			return r;
		}
		if (!o->quiet && step && (k + 1) % step == 0) {
			double s = (double)(ti_now_ms() - t0) / 1e3;

			fprintf(stderr, "rdd-populate: %llu in %.1f s (%.0f/s)\n",
				(unsigned long long)(k + 1), s, s > 0 ? (double)(k + 1) / s : 0);
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { .lt = 90000, .group = 1000, .sync = TI_STORE_SYNC_OFF };
	struct ti_store_error err = { .msg = "" };
	struct rdd_db *db;
	struct stat st;
	uint64_t t0;
	int64_t count = 0;
	double secs;
	int r, fd;

	if (parse_args(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	/*
	 * Each change of a group is a savepoint, whose journal SQLite writes to a
	 * temporary file past 64 KiB: a registration touches more than that.
	 * Filling needs no rollback of a change alone, so keep it in memory.
	 */
	sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, -1);
	t0 = ti_now_ms();
	r = rdd_db_open(o.path, o.sync, &db, &err);
	if (r < 0) {
		fprintf(stderr, "rdd-populate: failed to open database '%s' (%s%s%s)\n", o.path,
			ti_strerror(r), err.msg[0] ? ": " : "", err.msg);
		return 1;
	}
	r = populate(db, &o);
	if (r == 0)
		r = rdd_db_count(db, &count);
	/* Closing checkpoints the WAL into the file; then make it durable. */
	rdd_db_close(db);
	if (r < 0)
		return 1;
	fd = open(o.path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	secs = (double)(ti_now_ms() - t0) / 1e3;
	printf("populated=%llu registrations=%lld seconds=%.1f rate=%.0f db_bytes=%lld\n",
	       (unsigned long long)o.n, (long long)count, secs, secs > 0 ? (double)o.n / secs : 0,
	       stat(o.path, &st) == 0 ? (long long)st.st_size : -1LL);
	return 0;
}
