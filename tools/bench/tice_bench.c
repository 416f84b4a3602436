/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: closed-loop CoAP and STUN load generator, Observe fan-out; loopback targets only. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_util.h"

#include "bench_hist.h"
#include "bench_load.h"
#include "bench_observe.h"
#include "bench_out.h"
#include "bench_proto.h"

#define DURATION_MAX_MS 600000
#define OBSERVERS_MAX 100000

/* A small, realistic registration: a sensor and a candidate link (thin-ICE). */
#define RD_REG_PAYLOAD                                                                            \
	"</sensors/temp>;rt=\"temperature-c\";if=\"sensor\","                                     \
	"<coap://203.0.113.7:40001/candidates>;rel=\"candidateof\";anchor=\"coap://%a:5683\""

/** The RFC 9176 presets of --rd. */
enum rd_kind { RD_NONE, RD_LOOKUP_EP, RD_LOOKUP_RES, RD_REGISTER, RD_OBSERVE };
static const char *const rd_names[] = {
	"", "lookup-ep", "lookup-res", "register", "observe", NULL
};

static const char *const churn_names[] = { "none", "pktinfo", "socket" };

static void
usage(FILE *f)
{
	fputs("usage: tice-bench --target HOST:PORT [options]\n"
	      "Closed-loop load on a loopback CoAP or STUN server; prints one summary line.\n"
	      "  --target HOST:PORT     127.0.0.0/8 or [::1] address and port (required)\n"
	      "  --proto coap|stun      CoAP request or STUN Binding Request (default coap)\n"
	      "  --rd KIND              RFC 9176 presets: lookup-ep, lookup-res, register,\n"
	      "                         observe (see tice-bench(1))\n"
	      "  --method get|post      CoAP method (default get)\n"
	      "  --path PATH            CoAP Uri-Path (default /tstun)\n"
	      "  --query Q              CoAP Uri-Query parameters, '&'-separated; %n, %a: see\n"
	      "                         --random\n"
	      "  --payload TEXT         CoAP payload; placeholders as in --query\n"
	      "  --content-format N     CoAP Content-Format (default 40 with a payload)\n"
	      "  --accept N             CoAP Accept option (default none)\n"
	      "  --type con|non         CoAP message type (default con)\n"
	      "  --expect CODE          CoAP code of a successful reply (2.05; 2.01 for post)\n"
	      "  --random N             %n is a random number below N in each request, %a\n"
	      "                         the same as 10.x.y.z (default: a sequence number)\n"
	      "  --seq-start N          first sequence number (default 0)\n"
	      "  --sockets N            sockets in all (default 64)\n"
	      "  --inflight N           requests outstanding per socket (default 8)\n"
	      "  --duration S           measured seconds (default 10, at most 600)\n"
	      "  --count N              stop after N measured requests\n"
	      "  --timeout-ms MS        an unanswered request is lost after MS (default 1000)\n"
	      "  --warmup S             unmeasured seconds first (default 0)\n"
	      "  --threads N            load threads, each with its own sockets (default 1)\n"
	      "  --churn                a new source address for every request\n"
	      "  --churn-mode MODE      implies --churn; pktinfo: sources 127.1.0.0 to\n"
	      "                         127.254.255.255 set with IP_PKTINFO (IPv4 default);\n"
	      "                         socket: a new socket per request (IPv6 default)\n"
	      "  --interval S           print an 'interval' line every S seconds\n"
	      "  --json                 print JSON objects instead of key=value lines\n"
	      "Observe fan-out (--rd observe): observers of --path?--query, then changes:\n"
	      "  --observers N          observers, each from its own socket (default 100)\n"
	      "  --idle-observers N     observers of --idle-query, which must stay silent\n"
	      "  --idle-query Q         (default rt=fanout-idle)\n"
	      "  --triggers N           changes, one at a time (default 1)\n"
	      "  --trigger-path PATH    the change: a POST (default /rd)\n"
	      "  --trigger-query Q      (default ep=fanout); %n is --seq-start + change number\n"
	      "  --trigger-payload TEXT (default </fanout/%n>;rt=\"fanout\")\n"
	      "  --trigger-expect CODE  (default 2.01)\n"
	      "  --settle-ms MS         listen after each change for extra ones (default 200)\n"
	      "  --match TEXT           a notification shows the change when its payload\n"
	      "                         has TEXT (placeholders as --trigger-query; default\n"
	      "                         /fanout/%n with the default payload, else any)\n"
	      "  -h, --help             show this help\n"
	      "Exit status: 0 with at least one reply (observe: every change reached every\n"
	      "observer), 1 with none or on failure, 2 on usage.\n",
	      f);
}

/* Seconds with up to three decimals ("10", "2.5") into milliseconds. */
static int
parse_ms(const char *s, uint64_t min_ms, uint64_t max_ms, uint64_t *ret_ms)
{
	char num[24];
	const char *dot = strchr(s, '.');
	size_t ilen = dot ? (size_t)(dot - s) : strlen(s);
	uint64_t sec, ms = 0;
	uint32_t frac;
	int r;

	if (ilen == 0 || ilen >= sizeof(num))
		return TI_EPARSE;
	memcpy(num, s, ilen);
	num[ilen] = '\0';
	r = ti_parse_u64(num, 0, max_ms / 1000, &sec);
	if (r < 0)
		return r;
	if (dot) {
		size_t flen = strlen(dot + 1);

		if (flen < 1 || flen > 3 || ti_parse_u32(dot + 1, 0, 999, &frac) < 0)
			return TI_EPARSE;
		ms = frac * (flen == 1 ? 100 : flen == 2 ? 10 : 1);
	}
	ms += sec * 1000;
	if (ms < min_ms || ms > max_ms)
		return TI_ERANGE;
	*ret_ms = ms;
	return 0;
}

static int
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return ss->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int
parse_target(struct bench *b, const char *arg)
{
	char uri_s[300];
	struct ti_uri uri;
	int n = snprintf(uri_s, sizeof(uri_s), "coap://%s", arg);

	if (n < 0 || (size_t)n >= sizeof(uri_s) || ti_uri_parse(uri_s, &uri) < 0 ||
	    !uri.port_given || uri.path[0] || uri.query[0] ||
	    ti_uri_resolve(&uri, &b->target, &b->target_len) < 0) {
		fprintf(stderr, "tice-bench: invalid target '%s': want HOST:PORT or [IPV6]:PORT\n",
			arg);
		return -1;
	}
	ti_addr_unmap(&b->target);
	if (b->target.ss_family == AF_INET)
		b->target_len = sizeof(struct sockaddr_in);
	if (!is_loopback(&b->target)) {
		fprintf(stderr,
			"tice-bench: target '%s' is not a loopback address: "
			"only 127.0.0.0/8 and ::1 are allowed\n",
			arg);
		return -1;
	}
	ti_addr_format((const struct sockaddr *)&b->target, b->target_str, sizeof(b->target_str));
	return 0;
}

enum {
	OPT_TARGET = 256,
	OPT_PROTO,
	OPT_PATH,
	OPT_ACCEPT,
	OPT_TYPE,
	OPT_SOCKETS,
	OPT_INFLIGHT,
	OPT_DURATION,
	OPT_COUNT,
	OPT_TIMEOUT,
	OPT_WARMUP,
	OPT_THREADS,
	OPT_CHURN,
	OPT_CHURN_MODE,
	OPT_INTERVAL,
	OPT_JSON,
	OPT_RD,
	OPT_METHOD,
	OPT_QUERY,
	OPT_PAYLOAD,
	OPT_CONTENT_FORMAT,
	OPT_EXPECT,
	OPT_RANDOM,
	OPT_SEQ_START,
	OPT_OBSERVERS,
	OPT_IDLE_OBSERVERS,
	OPT_IDLE_QUERY,
	OPT_TRIGGERS,
	OPT_TRIGGER_PATH,
	OPT_TRIGGER_QUERY,
	OPT_TRIGGER_PAYLOAD,
	OPT_TRIGGER_EXPECT,
	OPT_SETTLE,
	OPT_MATCH,
};

static const struct option long_opts[] = {
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "proto", required_argument, NULL, OPT_PROTO },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "accept", required_argument, NULL, OPT_ACCEPT },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "sockets", required_argument, NULL, OPT_SOCKETS },
	{ "inflight", required_argument, NULL, OPT_INFLIGHT },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "churn", no_argument, NULL, OPT_CHURN },
	{ "churn-mode", required_argument, NULL, OPT_CHURN_MODE },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "rd", required_argument, NULL, OPT_RD },
	{ "method", required_argument, NULL, OPT_METHOD },
	{ "query", required_argument, NULL, OPT_QUERY },
	{ "payload", required_argument, NULL, OPT_PAYLOAD },
	{ "content-format", required_argument, NULL, OPT_CONTENT_FORMAT },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "random", required_argument, NULL, OPT_RANDOM },
	{ "seq-start", required_argument, NULL, OPT_SEQ_START },
	{ "observers", required_argument, NULL, OPT_OBSERVERS },
	{ "idle-observers", required_argument, NULL, OPT_IDLE_OBSERVERS },
	{ "idle-query", required_argument, NULL, OPT_IDLE_QUERY },
	{ "triggers", required_argument, NULL, OPT_TRIGGERS },
	{ "trigger-path", required_argument, NULL, OPT_TRIGGER_PATH },
	{ "trigger-query", required_argument, NULL, OPT_TRIGGER_QUERY },
	{ "trigger-payload", required_argument, NULL, OPT_TRIGGER_PAYLOAD },
	{ "trigger-expect", required_argument, NULL, OPT_TRIGGER_EXPECT },
	{ "settle-ms", required_argument, NULL, OPT_SETTLE },
	{ "match", required_argument, NULL, OPT_MATCH },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* What the options say before they are checked against each other. */
struct cli {
	const char *target, *path, *query, *payload;
	const char *idle_query, *trig_path, *trig_query, *trig_payload, *match;
	long accept, content_format;
	int stun, non, post, churn, coap_opts, count_given, seq_given;
	int expect, trig_expect; /* 0: the default */
	enum bench_churn churn_mode;
	enum rd_kind rd;
	struct bench_obs obs;
};

static int
bad_value(const char *opt, const char *arg)
{
	fprintf(stderr, "tice-bench: invalid value '%s' for --%s\n", arg, opt);
	return -1;
}

static int
parse_code(const char *opt, const char *arg, int *ret_code)
{
	return bench_coap_code_parse(arg, ret_code) < 0 ? bad_value(opt, arg) : 0;
}

static int
parse_enum(const char *opt, const char *arg, const char *const *names, int *ret)
{
	for (int i = 0; names[i]; i++) {
		if (names[i][0] && strcmp(arg, names[i]) == 0) {
			*ret = i;
			return 0;
		}
	}
	return bad_value(opt, arg);
}

/* The observe fan-out options. */
static int
parse_obs_opt(struct cli *c, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case OPT_OBSERVERS:
		return ti_parse_u32(arg, 1, OBSERVERS_MAX, &c->obs.observers) < 0
			   ? bad_value("observers", arg)
			   : 0;
	case OPT_IDLE_OBSERVERS:
		return ti_parse_u32(arg, 0, OBSERVERS_MAX, &c->obs.idle_observers) < 0
			   ? bad_value("idle-observers", arg)
			   : 0;
	case OPT_TRIGGERS:
		return ti_parse_u32(arg, 1, 1000, &c->obs.triggers) < 0
			   ? bad_value("triggers", arg)
			   : 0;
	case OPT_SETTLE:
		if (ti_parse_u64(arg, 0, 60000, &v) < 0)
			return bad_value("settle-ms", arg);
		c->obs.settle_ms = v;
		return 0;
	case OPT_IDLE_QUERY:
		c->idle_query = arg;
		return 0;
	case OPT_TRIGGER_PATH:
		c->trig_path = arg;
		return 0;
	case OPT_TRIGGER_QUERY:
		c->trig_query = arg;
		return 0;
	case OPT_TRIGGER_PAYLOAD:
		c->trig_payload = arg;
		return 0;
	case OPT_TRIGGER_EXPECT:
		return parse_code("trigger-expect", arg, &c->trig_expect);
	case OPT_MATCH:
		c->match = arg;
		return 0;
	default:
		return -1;
	}
}

/* The CoAP request options beyond --path, --accept and --type. */
static int
parse_coap_opt(struct bench *b, struct cli *c, int opt, const char *arg)
{
	uint32_t u;
	int k;

	c->coap_opts = 1;
	switch (opt) {
	case OPT_RD:
		if (parse_enum("rd", arg, rd_names, &k) < 0)
			return -1;
		c->rd = (enum rd_kind)k;
		return 0;
	case OPT_METHOD:
		if (strcmp(arg, "get") != 0 && strcmp(arg, "post") != 0)
			return bad_value("method", arg);
		c->post = strcmp(arg, "post") == 0;
		return 0;
	case OPT_QUERY:
		c->query = arg;
		return 0;
	case OPT_PAYLOAD:
		c->payload = arg;
		return 0;
	case OPT_CONTENT_FORMAT:
		if (ti_parse_u32(arg, 0, 65535, &u) < 0)
			return bad_value("content-format", arg);
		c->content_format = u;
		return 0;
	case OPT_EXPECT:
		return parse_code("expect", arg, &c->expect);
	case OPT_RANDOM:
		return ti_parse_u64(arg, 1, UINT64_MAX, &b->random) < 0 ? bad_value("random", arg)
									: 0;
	case OPT_SEQ_START:
		c->seq_given = 1;
		return ti_parse_u64(arg, 0, UINT64_MAX / 2, &b->seq_start) < 0
			   ? bad_value("seq-start", arg)
			   : 0;
	default:
		return parse_obs_opt(c, opt, arg);
	}
}

static int
parse_opt(struct bench *b, struct cli *c, int opt, const char *arg)
{
	uint32_t u;

	switch (opt) {
	case OPT_TARGET:
		c->target = arg;
		return 0;
	case OPT_PROTO:
		if (strcmp(arg, "coap") != 0 && strcmp(arg, "stun") != 0)
			return bad_value("proto", arg);
		c->stun = strcmp(arg, "stun") == 0;
		return 0;
	case OPT_PATH:
		c->path = arg;
		c->coap_opts = 1;
		return 0;
	case OPT_ACCEPT:
		if (ti_parse_u32(arg, 0, 65535, &u) < 0)
			return bad_value("accept", arg);
		c->accept = u;
		c->coap_opts = 1;
		return 0;
	case OPT_TYPE:
		if (strcmp(arg, "con") != 0 && strcmp(arg, "non") != 0)
			return bad_value("type", arg);
		c->non = strcmp(arg, "non") == 0;
		c->coap_opts = 1;
		return 0;
	case OPT_SOCKETS:
		return ti_parse_u32(arg, 1, 4096, &b->sockets) < 0 ? bad_value("sockets", arg) : 0;
	case OPT_INFLIGHT:
		return ti_parse_u32(arg, 1, 4096, &b->inflight) < 0 ? bad_value("inflight", arg)
								    : 0;
	case OPT_THREADS:
		return ti_parse_u32(arg, 1, 64, &b->threads) < 0 ? bad_value("threads", arg) : 0;
	case OPT_DURATION:
		return parse_ms(arg, 1, DURATION_MAX_MS, &b->duration_ms) < 0
			   ? bad_value("duration", arg)
			   : 0;
	case OPT_WARMUP:
		return parse_ms(arg, 0, DURATION_MAX_MS, &b->warmup_ms) < 0
			   ? bad_value("warmup", arg)
			   : 0;
	case OPT_INTERVAL:
		return parse_ms(arg, 100, DURATION_MAX_MS, &b->interval_ms) < 0
			   ? bad_value("interval", arg)
			   : 0;
	case OPT_COUNT:
		c->count_given = 1;
		return ti_parse_u64(arg, 1, UINT64_MAX, &b->count) < 0 ? bad_value("count", arg)
								       : 0;
	case OPT_TIMEOUT:
		return ti_parse_u64(arg, 1, 60000, &b->timeout_ms) < 0
			   ? bad_value("timeout-ms", arg)
			   : 0;
	case OPT_CHURN:
		c->churn = 1;
		return 0;
	case OPT_CHURN_MODE:
		if (strcmp(arg, "pktinfo") != 0 && strcmp(arg, "socket") != 0)
			return bad_value("churn-mode", arg);
		c->churn = 1;
		c->churn_mode =
		    strcmp(arg, "socket") == 0 ? BENCH_CHURN_SOCKET : BENCH_CHURN_PKTINFO;
		return 0;
	case OPT_JSON:
		b->json = 1;
		return 0;
	default:
		return parse_coap_opt(b, c, opt, arg);
	}
}

/* The --rd preset path of a kind, or NULL. */
static const char *
rd_path(enum rd_kind k)
{
	switch (k) {
	case RD_LOOKUP_EP:
		return "/rd-lookup/ep";
	case RD_LOOKUP_RES:
	case RD_OBSERVE:
		return "/rd-lookup/res";
	case RD_REGISTER:
		return "/rd";
	case RD_NONE:
		break;
	}
	return NULL;
}

static int
build_req(struct bench_req *req, const struct bench_coap_spec *spec, int expect, const char *what)
{
	int r = bench_req_coap(req, spec, expect);

	if (r == TI_EPARSE)
		fprintf(stderr, "tice-bench: %s: '%%' must start %%n, %%a or %%%%\n", what);
	else if (r < 0)
		fprintf(stderr, "tice-bench: %s: the request is too long (at most %d bytes)\n",
			what, BENCH_REQ_MAX);
	return r;
}

/* The request of the closed loop, with the --rd presets for what was not given. */
static int
finish_coap(struct bench *b, const struct cli *c)
{
	int post = c->post || c->rd == RD_REGISTER;
	struct bench_coap_spec spec = {
		.code = post ? BENCH_COAP_POST : BENCH_COAP_GET,
		.con = !c->non,
		.observe = -1,
		.path = c->path		 ? c->path
			: rd_path(c->rd) ? rd_path(c->rd)
					 : "/tstun",
		.query = c->query		? c->query
			 : c->rd == RD_REGISTER ? "ep=bench%n"
						: NULL,
		.payload = c->payload		  ? c->payload
			   : c->rd == RD_REGISTER ? RD_REG_PAYLOAD
						  : NULL,
		.accept = c->accept,
	};

	spec.content_format = c->content_format >= 0			? c->content_format
			      : spec.payload != NULL && spec.payload[0] ? 40
									: -1;
	return build_req(&b->req, &spec,
			 c->expect ? c->expect
			 : post	   ? BENCH_COAP_CREATED
				   : BENCH_COAP_CONTENT,
			 "request");
}

/* The observers' GETs and the trigger of --rd observe. */
static int
finish_observe(struct bench *b, struct cli *c)
{
	struct bench_coap_spec get = {
		.code = BENCH_COAP_GET,
		.con = 1,
		.observe = 0,
		.path = c->path ? c->path : rd_path(RD_OBSERVE),
		.query = c->query ? c->query : "rt=fanout",
		.content_format = -1,
		.accept = c->accept,
	};
	struct bench_coap_spec idle = get, trig = {
		.code = BENCH_COAP_POST,
		.con = 1,
		.observe = -1,
		.path = c->trig_path ? c->trig_path : "/rd",
		.query = c->trig_query ? c->trig_query : "ep=fanout",
		.payload = c->trig_payload ? c->trig_payload : "</fanout/%n>;rt=\"fanout\"",
		.content_format = c->content_format >= 0 ? c->content_format : 40,
		.accept = -1,
	};

	if (c->churn || c->count_given || c->post || c->payload || b->random) {
		fputs("tice-bench: --rd observe takes no --churn, --count, --method, --payload or "
		      "--random\n",
		      stderr);
		return -1;
	}
	idle.query = c->idle_query ? c->idle_query : "rt=fanout-idle";
	c->obs.match = c->match ? c->match : c->trig_payload ? NULL : "/fanout/%n";
	if (c->obs.match && c->obs.match[0] == '\0')
		c->obs.match = NULL;
	if (c->obs.match && bench_expand(c->obs.match, 0, (char[256]){ 0 }, 256) < 0) {
		fprintf(stderr, "tice-bench: invalid --match '%s'\n", c->obs.match);
		return -1;
	}
	/* Each run changes the result from where the last run left it. */
	if (!c->seq_given) {
		uint32_t r;

		if (ti_random(&r, sizeof(r)) < 0)
			return -1;
		b->seq_start = r;
	}
	if (build_req(&b->req, &get, BENCH_COAP_CONTENT, "observe request") < 0 ||
	    build_req(&c->obs.idle, &idle, BENCH_COAP_CONTENT, "idle observe request") < 0 ||
	    build_req(&c->obs.trig, &trig, c->trig_expect ? c->trig_expect : BENCH_COAP_CREATED,
		      "trigger") < 0)
		return -1;
	return 0;
}

/* Cross-checks, then the request template. */
static int
finish_opts(struct bench *b, struct cli *c)
{
	if (c->target == NULL) {
		fputs("tice-bench: --target is required\n", stderr);
		return -1;
	}
	if (parse_target(b, c->target) < 0)
		return -1;
	if (c->stun && c->coap_opts) {
		fputs(
		    "tice-bench: CoAP options (--path, --rd, --query, ...) apply to --proto coap "
		    "only\n",
		    stderr);
		return -1;
	}
	if (b->threads > b->sockets) {
		fputs("tice-bench: --threads must not exceed --sockets\n", stderr);
		return -1;
	}
	b->churn = BENCH_CHURN_NONE;
	if (c->churn)
		b->churn = c->churn_mode != BENCH_CHURN_NONE ? c->churn_mode
			   : b->target.ss_family == AF_INET  ? BENCH_CHURN_PKTINFO
							     : BENCH_CHURN_SOCKET;
	if (b->churn == BENCH_CHURN_PKTINFO && b->target.ss_family != AF_INET) {
		fputs("tice-bench: --churn-mode pktinfo needs an IPv4 target\n", stderr);
		return -1;
	}
	if (b->churn == BENCH_CHURN_SOCKET && (uint64_t)b->sockets * b->inflight > 65536) {
		fputs("tice-bench: --churn-mode socket allows at most 65536 sockets x inflight\n",
		      stderr);
		return -1;
	}
	if (c->stun) {
		bench_req_stun(&b->req);
		return 0;
	}
	return c->rd == RD_OBSERVE ? finish_observe(b, c) : finish_coap(b, c);
}

static int
parse_args(struct bench *b, struct cli *c, int argc, char **argv)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (parse_opt(b, c, opt, optarg) < 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "tice-bench: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return finish_opts(b, c);
}

/*
 * Run and report.
 */

static void
sum_ctr(struct bench_worker **w, unsigned n, uint64_t ret_v[BENCH_C_N])
{
	for (unsigned c = 0; c < BENCH_C_N; c++) {
		ret_v[c] = 0;
		for (unsigned i = 0; i < n; i++)
			ret_v[c] += atomic_load_explicit(&w[i]->ctr[c], memory_order_relaxed);
	}
}

/*
 * Sleep until deadline (ns) or until every load thread is done.
 * @return 1 when SIGINT or SIGTERM arrived, 0 otherwise.
 */
static int
wait_until(struct bench *b, const sigset_t *sigs, uint64_t deadline)
{
	for (;;) {
		uint64_t now = bench_now_ns(), step;
		struct timespec ts;

		if (now >= deadline || atomic_load(&b->ndone) == b->threads)
			return 0;
		step =
		    deadline - now < 10 * BENCH_NS_PER_MS ? deadline - now : 10 * BENCH_NS_PER_MS;
		ts = (struct timespec){ .tv_nsec = (long)step };
		if (sigtimedwait(sigs, NULL, &ts) > 0)
			return 1;
	}
}

/* Datagrams per system call. */
static double
per_call(uint64_t n, uint64_t calls)
{
	return calls > 0 ? (double)n / (double)calls : 0;
}

static void
print_interval(const struct bench *b, double t, const uint64_t d[BENCH_C_N], double span)
{
	double rps = span > 0 ? (double)d[BENCH_C_REPLIES] / span : 0;

	if (b->json)
		printf("{\"interval\":%.2f,\"sent\":%llu,\"replies\":%llu,\"lost\":%llu,"
		       "\"errors\":%llu,\"rps\":%.0f,\"rx_batch\":%.1f}\n",
		       t, (unsigned long long)d[BENCH_C_SENT],
		       (unsigned long long)d[BENCH_C_REPLIES], (unsigned long long)d[BENCH_C_LOST],
		       (unsigned long long)d[BENCH_C_ERRORS], rps,
		       per_call(d[BENCH_C_RECEIVED], d[BENCH_C_RXCALLS]));
	else
		printf("interval t=%.2f sent=%llu replies=%llu lost=%llu errors=%llu rps=%.0f "
		       "rx_batch=%.1f\n",
		       t, (unsigned long long)d[BENCH_C_SENT],
		       (unsigned long long)d[BENCH_C_REPLIES], (unsigned long long)d[BENCH_C_LOST],
		       (unsigned long long)d[BENCH_C_ERRORS], rps,
		       per_call(d[BENCH_C_RECEIVED], d[BENCH_C_RXCALLS]));
	fflush(stdout);
}

static void
print_summary(const struct bench *b, const uint64_t v[BENCH_C_N], double secs,
	      const struct bench_hist *h, const uint64_t codes[256])
{
	const struct bench_coap_spec *spec = &b->req.spec;
	struct bench_out o;
	char c[5];

	bench_out_begin(&o, stdout, b->json, NULL);
	bench_out_str(&o, "proto", b->req.proto == BENCH_PROTO_STUN ? "stun" : "coap");
	bench_out_str(&o, "target", b->target_str);
	bench_out_u64(&o, "churn", b->churn != BENCH_CHURN_NONE);
	bench_out_u64(&o, "sockets", b->sockets);
	bench_out_u64(&o, "inflight", b->inflight);
	bench_out_num(&o, "duration", secs, 2);
	bench_out_u64(&o, "sent", v[BENCH_C_SENT]);
	bench_out_u64(&o, "replies", v[BENCH_C_REPLIES]);
	bench_out_u64(&o, "lost", v[BENCH_C_LOST]);
	bench_out_u64(&o, "errors", v[BENCH_C_ERRORS]);
	bench_out_num(&o, "rps", secs > 0 ? (double)v[BENCH_C_REPLIES] / secs : 0, 0);
	bench_out_num(&o, "p50_us", (double)bench_hist_quantile(h, 0.50) / 1e3, 0);
	bench_out_num(&o, "p99_us", (double)bench_hist_quantile(h, 0.99) / 1e3, 0);
	bench_out_num(&o, "p999_us", (double)bench_hist_quantile(h, 0.999) / 1e3, 0);
	bench_out_u64(&o, "threads", b->threads);
	bench_out_str(&o, "churn_mode", churn_names[b->churn]);
	bench_out_u64(&o, "late", v[BENCH_C_LATE]);
	bench_out_u64(&o, "mapped", v[BENCH_C_MAPPED]);
	bench_out_u64(&o, "mapped_ok", v[BENCH_C_MAPPED_OK]);
	bench_out_num(&o, "rx_batch", per_call(v[BENCH_C_RECEIVED], v[BENCH_C_RXCALLS]), 1);
	bench_out_num(&o, "tx_batch", per_call(v[BENCH_C_SENT], v[BENCH_C_TXCALLS]), 1);
	if (b->req.proto == BENCH_PROTO_COAP) {
		bench_coap_code_str(b->req.expect, c);
		bench_out_str(&o, "method", spec->code == BENCH_COAP_POST ? "POST" : "GET");
		bench_out_str(&o, "path", spec->path);
		bench_out_str(&o, "query", spec->query && spec->query[0] ? spec->query : "-");
		bench_out_str(&o, "expect", c);
		bench_out_u64(&o, "empty", v[BENCH_C_EMPTY]);
		bench_out_num(&o, "payload_mean", per_call(v[BENCH_C_PAYLOAD], v[BENCH_C_REPLIES]),
			      0);
		bench_out_codes(&o, "error_codes", codes, b->req.expect);
	}
	bench_out_end(&o);
}

/* The measured phase, with interval lines. @return its end (ns). */
static uint64_t
measure(struct bench *b, struct bench_worker **w, const sigset_t *sigs, uint64_t t0)
{
	uint64_t end = t0 + b->duration_ms * BENCH_NS_PER_MS,
		 iv = b->interval_ms * BENCH_NS_PER_MS;
	uint64_t next = t0 + iv, last_t = t0, last[BENCH_C_N], cur[BENCH_C_N], d[BENCH_C_N];

	sum_ctr(w, b->threads, last);
	for (;;) {
		int sig = wait_until(b, sigs, iv && next < end ? next : end);
		uint64_t now = bench_now_ns();

		if (sig || atomic_load(&b->ndone) == b->threads)
			return now;
		if (iv && now >= next) {
			sum_ctr(w, b->threads, cur);
			for (unsigned c = 0; c < BENCH_C_N; c++)
				d[c] = cur[c] - last[c];
			print_interval(b, (double)(now - t0) / 1e9, d,
				       (double)(now - last_t) / 1e9);
			memcpy(last, cur, sizeof(last));
			last_t = now;
			next += iv;
		}
		if (now >= end)
			return now;
	}
}

/* Give each thread its share of the sockets. @return 0 or -errno. */
static int
workers_open(struct bench *b, struct bench_worker **w)
{
	unsigned nsocks = b->sockets, nslots = b->inflight;

	if (b->churn == BENCH_CHURN_SOCKET) {
		nsocks = b->sockets * b->inflight;
		nslots = 1;
	}
	for (unsigned i = 0; i < b->threads; i++) {
		unsigned n = nsocks / b->threads + (i < nsocks % b->threads);
		int r = bench_worker_new(b, i, n, nslots, &w[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

/* Enough descriptors for every socket, within the hard limit. */
static void
raise_nofile(const struct bench *b, uint64_t extra)
{
	uint64_t need =
	    (uint64_t)b->sockets * (b->churn == BENCH_CHURN_SOCKET ? b->inflight : 1) + extra + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static int
run(struct bench *b, struct bench_worker **w)
{
	uint64_t t0, t1, fin[BENCH_C_N] = { 0 }, codes[256] = { 0 };
	struct bench_hist *h = calloc(1, sizeof(*h));
	sigset_t sigs;
	int sig = 0, r;

	if (h == NULL)
		return -ENOMEM;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	t0 = bench_now_ns();
	if (b->warmup_ms == 0)
		atomic_store(&b->phase, BENCH_PHASE_MEASURE);
	for (unsigned i = 0; i < b->threads; i++) {
		r = pthread_create(&w[i]->thread, NULL, bench_worker_main, w[i]);
		if (r != 0) {
			fprintf(stderr, "tice-bench: failed to start thread (%s)\n", strerror(r));
			exit(1);
		}
	}
	if (b->warmup_ms > 0) {
		sig = wait_until(b, &sigs, t0 + b->warmup_ms * BENCH_NS_PER_MS);
		t0 = bench_now_ns();
		atomic_store(&b->phase, BENCH_PHASE_MEASURE);
	}
	t1 = sig ? t0 : measure(b, w, &sigs, t0);
	atomic_store(&b->phase, BENCH_PHASE_STOP);
	/* Each thread counts from the moment it saw the measured phase begin. */
	for (unsigned i = 0; i < b->threads; i++) {
		pthread_join(w[i]->thread, NULL);
		bench_hist_merge(h, &w[i]->hist);
		for (unsigned c = 0; c < 256; c++)
			codes[c] += w[i]->codes[c];
		for (unsigned c = 0; w[i]->measuring && c < BENCH_C_N; c++)
			fin[c] += atomic_load(&w[i]->ctr[c]) - w[i]->base[c];
	}
	if (atomic_load(&b->ndone) == b->threads) {
		t1 = t0;
		for (unsigned i = 0; i < b->threads; i++)
			if (atomic_load(&w[i]->done_ns) > t1)
				t1 = atomic_load(&w[i]->done_ns);
	}
	print_summary(b, fin, (double)(t1 - t0) / 1e9, h, codes);
	free(h);
	return fin[BENCH_C_REPLIES] > 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct bench b = { .sockets = 64,
			   .inflight = 8,
			   .threads = 1,
			   .duration_ms = 10000,
			   .timeout_ms = 1000,
			   .phase = BENCH_PHASE_WARMUP };
	struct cli c = { .accept = -1,
			 .content_format = -1,
			 .obs = { .observers = 100, .triggers = 1, .settle_ms = 200 } };
	struct bench_worker **w;
	int r;

	if (parse_args(&b, &c, argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	if (c.rd == RD_OBSERVE) {
		raise_nofile(&b, (uint64_t)c.obs.observers + c.obs.idle_observers + 1);
		r = bench_observe_run(&b, &c.obs);
		if (r < 0) {
			fprintf(stderr, "tice-bench: failed to open sockets to '%s' (%s)\n",
				b.target_str, ti_strerror(r));
			return 1;
		}
		return r;
	}
	raise_nofile(&b, 0);
	w = calloc(b.threads, sizeof(*w));
	if (w == NULL) {
		fputs("tice-bench: out of memory\n", stderr);
		return 1;
	}
	r = workers_open(&b, w);
	if (r < 0) {
		fprintf(stderr, "tice-bench: failed to open sockets to '%s' (%s)\n", b.target_str,
			ti_strerror(r));
		r = 1;
		goto out_free;
	}
	r = run(&b, w);
	if (r < 0) {
		fprintf(stderr, "tice-bench: %s\n", ti_strerror(r));
		r = 1;
	}
out_free:
	for (unsigned i = 0; i < b.threads; i++)
		bench_worker_free(w[i]);
	free(w);
	return r;
}
