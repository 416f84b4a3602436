/* SPDX-License-Identifier: BSD-2-Clause */
/* tstund: the reflexive resource served through libcoap (coap+tcp and later DTLS/TLS). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>

#include "ti_coap.h"
#include "ti_log.h"

#include "tstund_handlers.h"
#include "tstund_proto.h"

static void
release_body(coap_session_t *session, void *app_ptr)
{
	free(app_ptr);
}

static void
diagnose(coap_pdu_t *response, coap_pdu_code_t code, const char *diag)
{
	coap_pdu_set_code(response, code);
	coap_add_data(response, strlen(diag), (const uint8_t *)diag);
}

/*
 * RFC 7252 section 5.10.8: no ETags here, so If-Match holds only with an
 * empty value among its values, and If-None-Match never holds (the
 * resource exists). The same rules as the UDP path (tstund_proto.c).
 */
static int
preconditions_hold(const coap_pdu_t *request)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	int has_if_match = 0, if_match_ok = 0;

	if (coap_check_option(request, COAP_OPTION_IF_NONE_MATCH, &it) != NULL)
		return 0;
	coap_option_iterator_init(request, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL) {
		if (it.number != COAP_OPTION_IF_MATCH)
			continue;
		has_if_match = 1;
		if_match_ok |= coap_opt_length(opt) == 0;
	}
	return !has_if_match || if_match_ok;
}

static void
hnd_get(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *request,
	const coap_string_t *query, coap_pdu_t *response)
{
	const coap_address_t *remote = coap_session_get_addr_remote(session);
	coap_opt_iterator_t it;
	coap_opt_t *opt = coap_check_option(request, COAP_OPTION_ACCEPT, &it);
	unsigned cf = TSTUND_CF_TEXT;
	uint8_t *body;
	size_t len;

	if (opt != NULL)
		cf = coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
	if (!preconditions_hold(request)) {
		diagnose(response, COAP_RESPONSE_CODE(412), "precondition failed");
		return;
	}
	if (!tstund_cf_supported(cf)) {
		diagnose(response, COAP_RESPONSE_CODE(406), "accept: " TSTUND_CT_ATTR);
		return;
	}
	body = malloc(TSTUND_REPR_MAX);
	if (body == NULL || remote == NULL ||
	    tstund_repr(&remote->addr.sa, ti_coap_session_transport(session), cf, body,
			TSTUND_REPR_MAX, &len) < 0) {
		free(body);
		diagnose(response, COAP_RESPONSE_CODE(500), "no address");
		return;
	}
	coap_pdu_set_code(response, COAP_RESPONSE_CODE(205));
	/* libcoap leaves out Content-Format 0; say it, as the UDP path does. */
	if (cf == TSTUND_CF_TEXT)
		coap_add_option(response, COAP_OPTION_CONTENT_FORMAT, 0, NULL);
	if (!coap_add_data_large_response(res, session, request, response, query, (uint16_t)cf, 0,
					  0, len, body, release_body, body))
		diagnose(response, COAP_RESPONSE_CODE(500), "response too large");
}

coap_resource_t *
tstund_handlers_add(coap_context_t *ctx, const char *path)
{
	coap_str_const_t *uri;
	coap_resource_t *res;

	while (*path == '/')
		path++;
	uri = coap_new_str_const((const uint8_t *)path, strlen(path));
	if (uri == NULL)
		return NULL;
	res = coap_resource_init(uri, COAP_RESOURCE_FLAGS_RELEASE_URI);
	if (res == NULL) {
		coap_delete_str_const(uri);
		return NULL;
	}
	coap_register_handler(res, COAP_REQUEST_GET, hnd_get);
	coap_add_attr(res, coap_make_str_const("rt"), coap_make_str_const("\"tstun\""), 0);
	coap_add_attr(res, coap_make_str_const("ct"),
		      coap_make_str_const("\"" TSTUND_CT_ATTR "\""), 0);
	coap_add_resource(ctx, res);
	return res;
}

void
tstund_handlers_remove(coap_context_t *ctx, coap_resource_t *res)
{
	if (res != NULL)
		coap_delete_resource(ctx, res);
}
