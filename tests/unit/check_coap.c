/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ti_coap: listen URI checks, endpoints on loopback, loop attachment. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
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
#include "ti_util.h"
#include "check_main.h"

static const struct {
	const char *uri;
	int ret;
	const char *err;
} listen_cases[] = {
	{ "coap://0.0.0.0:5683", 0, "" },
	{ "coap://[::]:5683", 0, "" },
	{ "coap://127.0.0.1", 0, "" },
	{ "coap://127.0.0.1/", 0, "" },
	{ "coap://localhost:6000", 0, "" },
	{ "coap://h/x", TI_EPARSE, "a listen URI has no path" },
	{ "coap://h?x", TI_EPARSE, "a listen URI has no query" },
	{ "coap://h/?x", TI_EPARSE, "a listen URI has no query" },
	{ "http://h", TI_ESCHEME, "not a CoAP URI (coap://, coap+tcp://)" },
	{ "coaps://h", TI_ESCHEME, "coaps:// is not supported yet (no DTLS/TLS credentials)" },
	{ "coaps+tcp://h:5684", TI_ESCHEME,
	  "coaps+tcp:// is not supported yet (no DTLS/TLS credentials)" },
	{ "garbage", TI_EPARSE, "expected a URI like coap://0.0.0.0:5683 or coap://[::]:5683" },
	{ "coap://h:0", TI_ERANGE, "expected a URI like coap://0.0.0.0:5683 or coap://[::]:5683" },
	{ "coap://", TI_EPARSE, "expected a URI like coap://0.0.0.0:5683 or coap://[::]:5683" },
};

START_TEST(test_check_listen)
{
	char err[128] = "";

	ck_assert_msg(ti_coap_check_listen(listen_cases[_i].uri, err, sizeof(err)) ==
			  listen_cases[_i].ret,
		      "'%s'", listen_cases[_i].uri);
	ck_assert_str_eq(err, listen_cases[_i].err);
}
END_TEST

START_TEST(test_check_listen_tcp)
{
	char err[128] = "";
	int r = ti_coap_check_listen("coap+tcp://127.0.0.1:5683", err, sizeof(err));

	if (coap_tcp_is_supported()) {
		ck_assert_int_eq(r, 0);
		ck_assert_str_eq(err, "");
	} else {
		ck_assert_int_eq(r, TI_ESCHEME);
		ck_assert_str_eq(err, "this libcoap has no TCP support");
	}
}
END_TEST

static void
setup(void)
{
	coap_startup();
	/* Keep libcoap's own messages (bind failures) out of the test log. */
	ti_log_open("check_coap", TI_LOG_STDERR, LOG_CRIT);
}

static void
teardown(void)
{
	coap_cleanup();
}

/* A random high port that is free for UDP and TCP on 127.0.0.1 right now. */
static uint16_t
free_port(void)
{
	static const int types[] = { SOCK_DGRAM, SOCK_STREAM };

	for (int tries = 0; tries < 50; tries++) {
		uint16_t port;
		int ok = 1;

		ck_assert_int_eq(ti_random(&port, sizeof(port)), 0);
		port = (uint16_t)(20000 + port % 40000);
		for (size_t i = 0; i < TI_ARRAY_SIZE(types) && ok; i++) {
			struct sockaddr_in sin = { .sin_family = AF_INET,
						   .sin_port = htons(port),
						   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			int fd = socket(AF_INET, types[i] | SOCK_CLOEXEC, 0);

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

/* Whether a UDP socket can bind 127.0.0.1:port (without SO_REUSEADDR). */
static int
udp_port_free(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ok;

	ck_assert_int_ge(fd, 0);
	ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

START_TEST(test_context_new)
{
	struct ti_coap_limits lim = { .max_idle_sessions = 7, .session_timeout = 42 };
	int app;
	coap_context_t *ctx = ti_coap_context_new(&lim, &app);

	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_eq(coap_get_app_data(ctx), &app);
	ck_assert_uint_eq(coap_context_get_max_idle_sessions(ctx), 7);
	ck_assert_uint_eq(coap_context_get_session_timeout(ctx), 42);
	coap_free_context(ctx);

	/* No limits: libcoap's defaults stay. */
	coap_context_t *def = coap_new_context(NULL);
	ctx = ti_coap_context_new(NULL, NULL);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_null(coap_get_app_data(ctx));
	ck_assert_uint_eq(coap_context_get_max_idle_sessions(ctx),
			  coap_context_get_max_idle_sessions(def));
	ck_assert_uint_eq(coap_context_get_session_timeout(ctx),
			  coap_context_get_session_timeout(def));
	coap_free_context(ctx);
	coap_free_context(def);
}
END_TEST

START_TEST(test_add_endpoint_udp)
{
	coap_context_t *ctx = ti_coap_context_new(NULL, NULL);
	uint16_t port = free_port();
	char uri[64], err[128] = "";

	snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u", port);
	ck_assert_msg(ti_coap_add_endpoint(ctx, uri, err, sizeof(err)) == 0, "%s: %s", uri, err);
	ck_assert_str_eq(err, "");
	/* The port is now taken. */
	ck_assert_int_eq(udp_port_free(port), 0);
	coap_free_context(ctx);
	ck_assert_int_eq(udp_port_free(port), 1);
}
END_TEST

START_TEST(test_add_endpoint_v6)
{
	coap_context_t *ctx = ti_coap_context_new(NULL, NULL);
	uint16_t port = free_port();
	char uri[64], err[128] = "";
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 probe = { .sin6_family = AF_INET6,
				      .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	/* Skip quietly where the host has no IPv6 loopback. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&probe, sizeof(probe)) != 0) {
		if (fd >= 0)
			close(fd);
		coap_free_context(ctx);
		return;
	}
	close(fd);
	snprintf(uri, sizeof(uri), "coap://[::1]:%u", port);
	ck_assert_msg(ti_coap_add_endpoint(ctx, uri, err, sizeof(err)) == 0, "%s: %s", uri, err);
	coap_free_context(ctx);
}
END_TEST

START_TEST(test_add_endpoint_tcp)
{
	coap_context_t *ctx = ti_coap_context_new(NULL, NULL);
	uint16_t port = free_port();
	char uri[64], err[128] = "";

	snprintf(uri, sizeof(uri), "coap+tcp://127.0.0.1:%u", port);
	if (coap_tcp_is_supported()) {
		ck_assert_msg(ti_coap_add_endpoint(ctx, uri, err, sizeof(err)) == 0, "%s: %s", uri,
			      err);
	} else {
		ck_assert_int_eq(ti_coap_add_endpoint(ctx, uri, err, sizeof(err)), TI_ESCHEME);
	}
	coap_free_context(ctx);
}
END_TEST

START_TEST(test_add_endpoint_errors)
{
	coap_context_t *ctx = ti_coap_context_new(NULL, NULL);
	char err[128] = "";

	/* Checked like a listen directive first. */
	ck_assert_int_eq(ti_coap_add_endpoint(ctx, "coap://127.0.0.1/rd", err, sizeof(err)),
			 TI_EPARSE);
	ck_assert_str_eq(err, "a listen URI has no path");
	ck_assert_int_eq(ti_coap_add_endpoint(ctx, "coaps://127.0.0.1", err, sizeof(err)),
			 TI_ESCHEME);
	ck_assert_int_eq(ti_coap_add_endpoint(ctx, "http://127.0.0.1", err, sizeof(err)),
			 TI_ESCHEME);
	/* TEST-NET-1 is not a local address: the bind fails, nothing is sent. */
	ck_assert_int_eq(ti_coap_add_endpoint(ctx, "coap://192.0.2.1:5683", err, sizeof(err)),
			 TI_ECOAP);
	ck_assert_str_eq(err, "cannot bind (address in use or not available)");
	coap_free_context(ctx);
}
END_TEST

START_TEST(test_address_from)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(5683) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(5684) };
	coap_address_t ca;

	ck_assert_int_eq(inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr), 1);
	ti_coap_address_from(&ca, (struct sockaddr *)&sin, sizeof(sin));
	ck_assert_uint_eq(ca.size, sizeof(sin));
	ck_assert_int_eq(ca.addr.sa.sa_family, AF_INET);
	ck_assert_uint_eq(coap_address_get_port(&ca), 5683);
	ck_assert_int_eq(ti_addr_equal(&ca.addr.sa, (struct sockaddr *)&sin), 1);

	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr), 1);
	ti_coap_address_from(&ca, (struct sockaddr *)&sin6, sizeof(sin6));
	ck_assert_uint_eq(ca.size, sizeof(sin6));
	ck_assert_uint_eq(coap_address_get_port(&ca), 5684);
	ck_assert_int_eq(ti_addr_equal(&ca.addr.sa, (struct sockaddr *)&sin6), 1);
}
END_TEST

/* A GET over loopback, with both contexts driven by one ti_loop. */
struct exchange {
	struct ti_loop *loop;
	int server_calls;
	enum ti_transport server_transport;
	char reply[32];
};

static void
hnd_get(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
	const coap_string_t *query, coap_pdu_t *resp)
{
	struct exchange *x = coap_get_app_data(coap_session_get_context(session));

	x->server_calls++;
	x->server_transport = ti_coap_session_transport(session);
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
	coap_add_data(resp, 5, (const uint8_t *)"world");
}

static coap_response_t
on_response(coap_session_t *session, const coap_pdu_t *sent, const coap_pdu_t *received,
	    const coap_mid_t mid)
{
	struct exchange *x = coap_get_app_data(coap_session_get_context(session));
	const uint8_t *data;
	size_t len;

	if (coap_get_data(received, &len, &data) && len < sizeof(x->reply)) {
		memcpy(x->reply, data, len);
		x->reply[len] = '\0';
	}
	ti_loop_quit(x->loop, coap_pdu_get_code(received) == COAP_RESPONSE_CODE_CONTENT ? 1 : 2);
	return COAP_RESPONSE_OK;
}

static void
on_timeout(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	ti_loop_quit(loop, -1);
}

START_TEST(test_attach_round_trip)
{
	struct exchange x = { .loop = ti_loop_new(), .server_transport = TI_TRANSPORT_TLS };
	coap_context_t *srv = ti_coap_context_new(NULL, &x);
	coap_context_t *cli = ti_coap_context_new(NULL, &x);
	struct ti_timer *timeout = ti_timer_new(x.loop, on_timeout, NULL);
	uint16_t port = free_port();
	char uri[64], err[128] = "";
	struct sockaddr_storage ss;
	coap_address_t dst;
	coap_session_t *session;
	coap_resource_t *res;
	coap_pdu_t *pdu;
	struct ti_uri u;
	socklen_t len;

	ck_assert_ptr_nonnull(x.loop);
	snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u", port);
	ck_assert_msg(ti_coap_add_endpoint(srv, uri, err, sizeof(err)) == 0, "%s", err);
	res = coap_resource_init(coap_make_str_const("hello"), 0);
	coap_register_handler(res, COAP_REQUEST_GET, hnd_get);
	coap_add_resource(srv, res);
	ck_assert_int_eq(ti_coap_attach(srv, x.loop), 0);
	ck_assert_int_eq(ti_coap_attach(srv, x.loop), -EEXIST);

	coap_register_response_handler(cli, on_response);
	ck_assert_int_eq(ti_uri_parse(uri, &u), 0);
	ck_assert_int_eq(ti_uri_resolve(&u, &ss, &len), 0);
	ti_coap_address_from(&dst, (struct sockaddr *)&ss, len);
	session = coap_new_client_session(cli, NULL, &dst, COAP_PROTO_UDP);
	ck_assert_ptr_nonnull(session);
	ck_assert_int_eq(ti_coap_session_transport(session), TI_TRANSPORT_UDP);
	pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, coap_new_message_id(session),
			    coap_session_max_pdu_size(session));
	ck_assert_ptr_nonnull(pdu);
	ck_assert_int_ne(coap_add_option(pdu, COAP_OPTION_URI_PATH, 5, (const uint8_t *)"hello"),
			 0);
	/* Queued before attach: attaching flushes it. */
	ck_assert_int_ne(coap_send(session, pdu), COAP_INVALID_MID);
	ck_assert_int_eq(ti_coap_attach(cli, x.loop), 0);

	ck_assert_int_eq(ti_timer_set(timeout, 2000, 0), 0);
	ck_assert_int_eq(ti_loop_run(x.loop), 1);
	ck_assert_int_eq(x.server_calls, 1);
	ck_assert_int_eq(x.server_transport, TI_TRANSPORT_UDP);
	ck_assert_str_eq(x.reply, "world");

	ti_coap_detach(cli, x.loop);
	ti_coap_detach(srv, x.loop);
	/* Detached: the loop no longer watches their fds. */
	ck_assert_int_eq(ti_loop_del_fd(x.loop, coap_context_get_coap_fd(srv)), -ENOENT);
	ck_assert_int_eq(ti_loop_del_fd(x.loop, coap_context_get_coap_fd(cli)), -ENOENT);
	ti_timer_free(timeout);
	coap_free_context(cli);
	coap_free_context(srv);
	ti_loop_free(x.loop);
}
END_TEST

Suite *
coap_suite(void)
{
	Suite *s = suite_create("ti_coap");
	TCase *tc;

	tc = tcase_create("check_listen");
	tcase_add_loop_test(tc, test_check_listen, 0, (int)TI_ARRAY_SIZE(listen_cases));
	tcase_add_test(tc, test_check_listen_tcp);
	suite_add_tcase(s, tc);

	tc = tcase_create("context");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_context_new);
	tcase_add_test(tc, test_add_endpoint_udp);
	tcase_add_test(tc, test_add_endpoint_v6);
	tcase_add_test(tc, test_add_endpoint_tcp);
	tcase_add_test(tc, test_add_endpoint_errors);
	tcase_add_test(tc, test_address_from);
	tcase_add_test(tc, test_attach_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
