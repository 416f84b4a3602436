/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd-populate: fill a kaasd database with N discovered subscriptions for benchmarks. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_store.h"
#include "ti_util.h"

#include "kaasd_db.h"

#define N_MAX 16000000u

static void
usage(FILE *f)
{
	fputs("usage: kaasd-populate -n N -L ADDR:PORT [-i INTERVAL] [-t TTL] [-l LIFETIME]\n"
	      "                      [-g GROUP] DATABASE\n"
	      "Stores subscriptions dev0 .. dev<N-1> in a kaasd database (created if missing)\n"
	      "through kaasd_db_put(), as kaasd stores them after hop discovery.\n"
	      "  -n N         subscriptions (at most 16000000)\n"
	      "  -L ADDR:PORT kaasd's listen address the devices sent to (IPv4)\n"
	      "  -i INTERVAL  keepalive interval in seconds (default 25)\n"
	      "  -t TTL       discovered keepalive TTL (default 3; hops to the NAT 2)\n"
	      "  -l LIFETIME  lifetime in seconds (default 86400)\n"
	      "  -g GROUP     subscriptions per transaction (default 10000)\n"
	      "Device i is 10.128.0.0/9 + i/16, port 40000 + i%16 (16 per address, so\n"
	      "at most 8388608 distinct addresses): route 10.128.0.0/9 to a dummy\n"
	      "interface inside a network namespace and nothing leaves it.\n",
	      f);
}

static int
parse_local(const char *s, struct sockaddr_storage *ss)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	uint32_t port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
	    ti_parse_u32(colon + 1, 1, 65535, &port) < 0)
		return -1;
	sin->sin_port = htons((uint16_t)port);
	return 0;
}

int
main(int argc, char **argv)
{
	uint32_t n = 0, interval = 25, ttl = 3, group = 10000;
	uint64_t lifetime = 86400;
	struct sockaddr_storage local;
	int have_local = 0, opt, r;
	struct kaasd_db *db;
	char err[256], ep[32];

	while ((opt = getopt(argc, argv, "n:L:i:t:l:g:h")) != -1) {
		switch (opt) {
		case 'n':
			if (ti_parse_u32(optarg, 1, N_MAX, &n) < 0)
				goto bad;
			break;
		case 'L':
			if (parse_local(optarg, &local) < 0)
				goto bad;
			have_local = 1;
			break;
		case 'i':
			if (ti_parse_u32(optarg, 1, 86400, &interval) < 0)
				goto bad;
			break;
		case 't':
			if (ti_parse_u32(optarg, 1, 255, &ttl) < 0)
				goto bad;
			break;
		case 'l':
			if (ti_parse_u64(optarg, 1, 4294967295u, &lifetime) < 0)
				goto bad;
			break;
		case 'g':
			if (ti_parse_u32(optarg, 1, 1000000, &group) < 0)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind + 1 != argc || n == 0 || !have_local)
		goto bad;
	r = kaasd_db_open(argv[optind], TI_STORE_SYNC_OFF, &db, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "kaasd-populate: %s: %s\n", argv[optind], err);
		return 1;
	}
	int64_t now = (int64_t)time(NULL);
	for (uint32_t i = 0; i < n; i++) {
		struct kaasd_db_sub s = { 0 };
		struct sockaddr_in *p = (struct sockaddr_in *)&s.peer;

		if (i % group == 0 && (r = kaasd_db_begin(db)) < 0)
			goto fail;
		snprintf(ep, sizeof(ep), "dev%u", i);
		s.ep = ep;
		p->sin_family = AF_INET;
		p->sin_addr.s_addr = htonl(0x0a800000u + (i >> 4));
		p->sin_port = htons((uint16_t)(40000 + (i & 15)));
		s.local = local;
		s.created = now;
		s.expires = now + (int64_t)lifetime;
		s.interval = interval;
		s.ttl_hint = 64;
		s.recv_ttl = (uint8_t)(64 - ttl);
		s.ka_ttl = (uint8_t)ttl;
		s.nat_hops = (uint8_t)(ttl > 1 ? ttl - 1 : 1);
		if ((r = kaasd_db_put(db, &s)) < 0)
			goto fail;
		if ((i + 1) % group == 0 || i + 1 == n) {
			if ((r = kaasd_db_commit(db)) < 0)
				goto fail;
		}
	}
	printf("%lld subscription(s) in %s\n", (long long)kaasd_db_count(db), argv[optind]);
	kaasd_db_close(db);
	return 0;
fail:
	fprintf(stderr, "kaasd-populate: storing failed (%s)\n", ti_strerror(r));
	kaasd_db_close(db);
	return 1;
bad:
	usage(stderr);
	return 2;
}
