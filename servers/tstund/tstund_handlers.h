/* SPDX-License-Identifier: BSD-2-Clause */
/* tstund: the reflexive resource served through libcoap (coap+tcp and later DTLS/TLS). */
#ifndef TSTUND_HANDLERS_H
#define TSTUND_HANDLERS_H

#include <coap3/coap.h>

/**
 * Add the reflexive resource at path (e.g. "/tstun") to ctx, listed in
 * /.well-known/core with rt="tstun" and its content formats.
 * @return the resource (owned by ctx; remove with tstund_handlers_remove()), or NULL.
 */
coap_resource_t *tstund_handlers_add(coap_context_t *ctx, const char *path);

/** Remove and free a resource from tstund_handlers_add(). NULL is ignored. */
void tstund_handlers_remove(coap_context_t *ctx, coap_resource_t *res);

#endif /* TSTUND_HANDLERS_H */
