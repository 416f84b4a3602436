/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ti_rdreg: register, refresh, re-register, remove and retry against a fake RD. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <coap3/coap.h>

#include "ti_addr.h"
#include "ti_coap.h"
#include "ti_err.h"
#include "ti_log.h"
#include "ti_loop.h"
#include "ti_rdreg.h"
#include "ti_util.h"
#include "check_main.h"

#define MAX_REQS 32
#define LINKS "</tstun>;rt=\"tstun\";ct=0"

/* One request the fake RD got. */
struct req {
	char method[8];
	char path[64];
	char query[160]; /* Uri-Query options joined by '&' */
	int cf;		 /* -1: none */
	char payload[128];
};

/* The fake RD: registration interface at path "rd" or "dir", resources reg/1..reg/4. */
struct fake {
	struct req reqs[MAX_REQS];
	int n;
	int fail_posts;	  /* answer this many registrations 5.03 */
	int update_code;  /* code for updates (204 or 404) */
	int delete_quiet; /* do not answer DELETE */
	int next_reg;
	struct sockaddr_storage last_src;
	int done_calls;
};

static struct fake *
fake_of(coap_session_t *session)
{
	return coap_get_app_data(coap_session_get_context(session));
}

static void
record(coap_session_t *session, const coap_pdu_t *req, const char *method)
{
	struct fake *f = fake_of(session);
	struct req *r;
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	const uint8_t *data;
	size_t len, pn = 0, qn = 0;

	ck_assert_int_lt(f->n, MAX_REQS);
	r = &f->reqs[f->n++];
	*r = (struct req){ .cf = -1 };
	ti_strlcpy(r->method, method, sizeof(r->method));
	coap_option_iterator_init(req, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL) {
		int l = (int)coap_opt_length(opt);
		const char *v = (const char *)coap_opt_value(opt);
		if (it.number == COAP_OPTION_URI_PATH)
			pn += (size_t)snprintf(r->path + pn, sizeof(r->path) - pn, "/%.*s", l, v);
		else if (it.number == COAP_OPTION_URI_QUERY)
			qn += (size_t)snprintf(r->query + qn, sizeof(r->query) - qn, "%s%.*s",
					       qn ? "&" : "", l, v);
		else if (it.number == COAP_OPTION_CONTENT_FORMAT)
			r->cf =
			    (int)coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
	}
	if (coap_get_data(req, &len, &data) && len < sizeof(r->payload)) {
		memcpy(r->payload, data, len);
		r->payload[len] = '\0';
	}
	const coap_address_t *src = coap_session_get_addr_remote(session);
	memcpy(&f->last_src, &src->addr, src->size);
}

static void
hnd_register(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
	     const coap_string_t *query, coap_pdu_t *resp)
{
	struct fake *f = fake_of(session);
	char id[16];

	(void)res, (void)query;
	record(session, req, "POST");
	if (f->fail_posts > 0) {
		f->fail_posts--;
		coap_pdu_set_code(resp, COAP_RESPONSE_CODE(503));
		return;
	}
	snprintf(id, sizeof(id), "%d", ++f->next_reg);
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(201));
	coap_add_option(resp, COAP_OPTION_LOCATION_PATH, 3, (const uint8_t *)"reg");
	coap_add_option(resp, COAP_OPTION_LOCATION_PATH, strlen(id), (const uint8_t *)id);
}

static void
hnd_update(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
	   const coap_string_t *query, coap_pdu_t *resp)
{
	(void)res, (void)query;
	record(session, req, "POST");
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(fake_of(session)->update_code));
}

static void
hnd_delete(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
	   const coap_string_t *query, coap_pdu_t *resp)
{
	(void)res, (void)query;
	record(session, req, "DELETE");
	if (fake_of(session)->delete_quiet) {
		/* No answer: a separate response that never comes. */
		coap_pdu_set_code(resp, COAP_EMPTY_CODE);
		return;
	}
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(202));
}

/* Everything one test runs. */
struct rig {
	struct fake f;
	struct ti_loop *loop;
	coap_context_t *srv, *cli;
	struct ti_rdreg *rd;
	uint16_t port;
	char uri[64];
};

static uint16_t
free_port(void)
{
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int ok = 1;
		uint16_t port;

		ck_assert_int_eq(ti_random(&port, sizeof(port)), 0);
		port = (uint16_t)(20000 + port % 40000);
		sin.sin_port = htons(port);
		for (int t = 0; t < 2 && ok; t++) {
			int fd = socket(AF_INET, t ? SOCK_STREAM : SOCK_DGRAM, 0);
			ck_assert_int_ge(fd, 0);
			ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
			close(fd);
		}
		if (ok)
			return port;
	}
	ck_abort_msg("no free port found");
	return 0;
}

static void
add_res(coap_context_t *ctx, const char *path, coap_method_handler_t post,
	coap_method_handler_t del)
{
	coap_resource_t *r = coap_resource_init(coap_make_str_const(path), 0);

	if (post)
		coap_register_handler(r, COAP_REQUEST_POST, post);
	if (del)
		coap_register_handler(r, COAP_REQUEST_DELETE, del);
	coap_add_resource(ctx, r);
}

static void
rig_open(struct rig *g, const char *scheme)
{
	char err[128] = "";

	coap_startup();
	ti_log_open("check_rdreg", TI_LOG_STDERR, LOG_CRIT);
	*g = (struct rig){ .f.update_code = 204 };
	g->loop = ti_loop_new();
	ck_assert_ptr_nonnull(g->loop);
	g->port = free_port();
	snprintf(g->uri, sizeof(g->uri), "%s://127.0.0.1:%u", scheme, g->port);
	g->srv = ti_coap_context_new(NULL, &g->f);
	g->cli = ti_coap_context_new(NULL, NULL);
	ck_assert_msg(ti_coap_add_endpoint(g->srv, g->uri, err, sizeof(err)) == 0, "%s", err);
	add_res(g->srv, "rd", hnd_register, NULL);
	add_res(g->srv, "dir", hnd_register, NULL);
	add_res(g->srv, "reg/1", hnd_update, hnd_delete);
	add_res(g->srv, "reg/2", hnd_update, hnd_delete);
	add_res(g->srv, "reg/3", hnd_update, hnd_delete);
	ck_assert_int_eq(ti_coap_attach(g->srv, g->loop), 0);
	ck_assert_int_eq(ti_coap_attach(g->cli, g->loop), 0);
	g->rd = ti_rdreg_new(g->cli, g->loop);
	ck_assert_ptr_nonnull(g->rd);
}

static void
rig_close(struct rig *g)
{
	ti_rdreg_free(g->rd);
	ti_coap_detach(g->cli, g->loop);
	ti_coap_detach(g->srv, g->loop);
	coap_free_context(g->cli);
	coap_free_context(g->srv);
	ti_loop_free(g->loop);
	coap_cleanup();
}

/* Run the loop until the fake RD has n requests (or ms passed). */
static void
run_until_reqs(struct rig *g, int n, unsigned ms)
{
	uint64_t end = ti_now_ms() + ms;

	while (g->f.n < n && ti_now_ms() < end)
		ti_loop_run_once(g->loop, 20);
}

/* Run the loop for ms. */
static void
run_for(struct rig *g, unsigned ms)
{
	uint64_t end = ti_now_ms() + ms;

	while (ti_now_ms() < end)
		ti_loop_run_once(g->loop, 20);
}

static void
run_until_location(struct rig *g, unsigned ms)
{
	uint64_t end = ti_now_ms() + ms;

	while (ti_rdreg_location(g->rd) == NULL && ti_now_ms() < end)
		ti_loop_run_once(g->loop, 20);
}

static struct ti_rdreg_params
params(const struct rig *g, uint64_t lt)
{
	return (struct ti_rdreg_params){
		.rd = g->uri, .endpoint = "node1", .lifetime = lt, .links = LINKS
	};
}

static void
register_once(struct rig *g, const char *scheme)
{
	struct ti_rdreg_params p;

	rig_open(g, scheme);
	p = params(g, 60);
	ck_assert_ptr_null(ti_rdreg_location(g->rd));
	ck_assert_int_eq(ti_rdreg_set(g->rd, &p), 0);
	run_until_location(g, 2000);
	ck_assert_pstr_eq(ti_rdreg_location(g->rd), "/reg/1");
	ck_assert_int_eq(g->f.n, 1);
	ck_assert_str_eq(g->f.reqs[0].method, "POST");
	ck_assert_str_eq(g->f.reqs[0].path, "/rd");
	ck_assert_str_eq(g->f.reqs[0].query, "ep=node1&lt=60");
	ck_assert_int_eq(g->f.reqs[0].cf, 40);
	ck_assert_str_eq(g->f.reqs[0].payload, LINKS);
}

START_TEST(test_register)
{
	struct rig g;

	register_once(&g, "coap");
	/* The same parameters again: nothing is sent. */
	struct ti_rdreg_params p = params(&g, 60);
	ck_assert_int_eq(ti_rdreg_set(g.rd, &p), 0);
	run_for(&g, 200);
	ck_assert_int_eq(g.f.n, 1);
	ck_assert_pstr_eq(ti_rdreg_location(g.rd), "/reg/1");
	rig_close(&g);
}
END_TEST

START_TEST(test_register_tcp)
{
	struct rig g;

	if (!coap_tcp_is_supported())
		return;
	register_once(&g, "coap+tcp");
	rig_close(&g);
}
END_TEST

START_TEST(test_path_and_base)
{
	struct rig g;
	char uri[96];

	rig_open(&g, "coap");
	snprintf(uri, sizeof(uri), "%s/dir", g.uri);
	struct ti_rdreg_params p = { .rd = uri,
				     .endpoint = "n2",
				     .base = "coap://192.0.2.1:5883",
				     .lifetime = 90,
				     .links = LINKS };
	ck_assert_int_eq(ti_rdreg_set(g.rd, &p), 0);
	run_until_location(&g, 2000);
	ck_assert_pstr_eq(ti_rdreg_location(g.rd), "/reg/1");
	ck_assert_str_eq(g.f.reqs[0].path, "/dir");
	ck_assert_str_eq(g.f.reqs[0].query, "ep=n2&lt=90&base=coap://192.0.2.1:5883");
	rig_close(&g);
}
END_TEST

START_TEST(test_local_port)
{
	struct rig g;
	struct sockaddr_in local = { .sin_family = AF_INET,
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_storage locals[1];
	uint16_t lport;

	rig_open(&g, "coap");
	lport = free_port();
	local.sin_port = htons(lport);
	memcpy(&locals[0], &local, sizeof(local));
	struct ti_rdreg_params p = params(&g, 60);
	p.locals = locals;
	p.n_locals = 1;
	ck_assert_int_eq(ti_rdreg_set(g.rd, &p), 0);
	run_until_location(&g, 2000);
	ck_assert_pstr_eq(ti_rdreg_location(g.rd), "/reg/1");
	/* Sent from the given port, so that the RD's default base is right. */
	ck_assert_uint_eq(ti_addr_port((struct sockaddr *)&g.f.last_src), lport);
	rig_close(&g);
}
END_TEST

START_TEST(test_refresh)
{
	struct rig g;

	rig_open(&g, "coap");
	struct ti_rdreg_params p = params(&g, 1);
	ck_assert_int_eq(ti_rdreg_set(g.rd, &p), 0);
	run_until_location(&g, 2000);
	ck_assert_pstr_eq(ti_rdreg_location(g.rd), "/reg/1");
	/* Refreshed at 3/4 of lt: a POST to the location with lt only. */
	uint64_t t0 = ti_now_ms();
	run_until_reqs(&g, 2, 2000);
	ck_assert_int_eq(g.f.n, 2);
	ck_assert_uint_ge(ti_now_ms() - t0, 500);
	ck_assert_uint_le(ti_now_ms() - t0, 1100);
	ck_assert_str_eq(g.f.reqs[1].method, "POST");
	ck_assert_str_eq(g.f.reqs[1].path, "/reg/1");
	ck_assert_str_eq(g.f.reqs[1].query, "lt=1");
	ck_assert_str_eq(g.f.reqs[1].payload, "");
	run_until_reqs(&g, 3, 2000);
	ck_assert_str_eq(g.f.reqs[2].path, "/reg/1");
	ck_assert_pstr_eq(ti_rdreg_location(g.rd), "/reg/1");
	rig_close(&g);
}
END_TEST

START_TEST(test_update_not_found)
{
	struct rig g;

	rig_open(&g, "coap");
	g.f.update_code = 404;
	struct ti_rdreg_params p = params(&g, 1);
	ck_assert_int_eq(ti_rdreg_set(g.rd, &p), 0);
	/* Register, update answered 4.04, register again at once. */
	run_until_reqs(&g, 3, 3000);
	ck_assert_int_eq(g.f.n, 3);
	ck_assert_str_eq(g.f.reqs[1].path, "/reg/1");
	ck_assert_str_eq(g.f.reqs[2].path, "/rd");
	ck_assert_str_eq(g.f.reqs[2].query, "ep=node1&lt=1");
	run_for(&g, 100);
	ck_assert_pstr_eq(ti_rdreg_location(g.rd), "/reg/2");
	rig_close(&g);
}
END_TEST

static void
on_done(void *arg)
{
	((struct fake *)arg)->done_calls++;
}

START_TEST(test_stop)
{
	struct rig g;

	register_once(&g, "coap");
	ck_assert_int_eq(ti_rdreg_stop(g.rd, on_done, &g.f), 1);
	ck_assert_ptr_null(ti_rdreg_location(g.rd));
	run_until_reqs(&g, 2, 2000);
	run_for(&g, 100);
	ck_assert_str_eq(g.f.reqs[1].method, "DELETE");
	ck_assert_str_eq(g.f.reqs[1].path, "/reg/1");
	ck_assert_int_eq(g.f.done_calls, 1);
	/* Nothing left to remove. */
	ck_assert_int_eq(ti_rdreg_stop(g.rd, on_done, &g.f), 0);
	run_for(&g, 100);
	ck_assert_int_eq(g.f.done_calls, 1);
	ck_assert_int_eq(g.f.n, 2);
	rig_close(&g);
}
END_TEST

START_TEST(test_stop_unregistered)
{
	struct rig g;

	rig_open(&g, "coap");
	ck_assert_int_eq(ti_rdreg_stop(g.rd, on_done, &g.f), 0);
	run_for(&g, 100);
	ck_assert_int_eq(g.f.n, 0);
	ck_assert_int_eq(g.f.done_calls, 0);
	rig_close(&g);
}
END_TEST

START_TEST(test_unset_and_change)
{
	struct rig g;

	register_once(&g, "coap");
	/* Another endpoint name: the old registration goes, a new one comes. */
	struct ti_rdreg_params p = params(&g, 60);
	p.endpoint = "node2";
	ck_assert_int_eq(ti_rdreg_set(g.rd, &p), 0);
	run_until_reqs(&g, 3, 2000);
	run_until_location(&g, 2000);
	ck_assert_str_eq(g.f.reqs[1].method, "DELETE");
	ck_assert_str_eq(g.f.reqs[1].path, "/reg/1");
	ck_assert_str_eq(g.f.reqs[2].query, "ep=node2&lt=60");
	ck_assert_pstr_eq(ti_rdreg_location(g.rd), "/reg/2");
	/* No RD any more: removed, nothing new. */
	ck_assert_int_eq(ti_rdreg_set(g.rd, NULL), 0);
	run_until_reqs(&g, 4, 2000);
	run_for(&g, 200);
	ck_assert_int_eq(g.f.n, 4);
	ck_assert_str_eq(g.f.reqs[3].method, "DELETE");
	ck_assert_str_eq(g.f.reqs[3].path, "/reg/2");
	ck_assert_ptr_null(ti_rdreg_location(g.rd));
	rig_close(&g);
}
END_TEST

START_TEST(test_bad_uri)
{
	struct rig g;

	rig_open(&g, "coap");
	struct ti_rdreg_params p = params(&g, 60);
	p.rd = "http://127.0.0.1/";
	ck_assert_int_eq(ti_rdreg_set(g.rd, &p), TI_EPARSE);
	run_for(&g, 100);
	ck_assert_int_eq(g.f.n, 0);
	rig_close(&g);
}
END_TEST

START_TEST(test_retry)
{
	struct rig g;

	rig_open(&g, "coap");
	g.f.fail_posts = 1;
	struct ti_rdreg_params p = params(&g, 60);
	ck_assert_int_eq(ti_rdreg_set(g.rd, &p), 0);
	run_until_reqs(&g, 1, 2000);
	uint64_t t0 = ti_now_ms();
	/* Answered 5.03: tried again after 5 s. */
	run_until_location(&g, 8000);
	ck_assert_pstr_eq(ti_rdreg_location(g.rd), "/reg/1");
	ck_assert_int_eq(g.f.n, 2);
	ck_assert_uint_ge(ti_now_ms() - t0, 4500);
	ck_assert_uint_le(ti_now_ms() - t0, 6500);
	rig_close(&g);
}
END_TEST

START_TEST(test_free_pending)
{
	struct rig g;

	register_once(&g, "coap");
	g.f.delete_quiet = 1;
	ck_assert_int_eq(ti_rdreg_stop(g.rd, on_done, &g.f), 1);
	run_until_reqs(&g, 2, 2000);
	/* The DELETE is unanswered: freeing drops it without calling done. */
	ti_rdreg_free(g.rd);
	g.rd = NULL;
	run_for(&g, 100);
	ck_assert_int_eq(g.f.done_calls, 0);
	rig_close(&g);
}
END_TEST

Suite *
rdreg_suite(void)
{
	Suite *s = suite_create("ti_rdreg");
	TCase *tc = tcase_create("rdreg");

	tcase_set_timeout(tc, 15);
	tcase_add_test(tc, test_register);
	tcase_add_test(tc, test_register_tcp);
	tcase_add_test(tc, test_path_and_base);
	tcase_add_test(tc, test_local_port);
	tcase_add_test(tc, test_refresh);
	tcase_add_test(tc, test_update_not_found);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_stop_unregistered);
	tcase_add_test(tc, test_unset_and_change);
	tcase_add_test(tc, test_bad_uri);
	tcase_add_test(tc, test_retry);
	tcase_add_test(tc, test_free_pending);
	suite_add_tcase(s, tc);
	return s;
}
