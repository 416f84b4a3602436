/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: socket addresses, CoAP URIs and their text forms. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_util.h"

static const struct {
	const char *scheme;
	const char *name;
	uint16_t port;
} transports[] = {
	[TI_TRANSPORT_UDP] = { "coap", "udp", 5683 },
	[TI_TRANSPORT_DTLS] = { "coaps", "dtls", 5684 },
	[TI_TRANSPORT_TCP] = { "coap+tcp", "tcp", 5683 },
	[TI_TRANSPORT_TLS] = { "coaps+tcp", "tls", 5684 },
};

const char *
ti_transport_scheme(enum ti_transport t)
{
	return transports[t].scheme;
}

const char *
ti_transport_name(enum ti_transport t)
{
	return transports[t].name;
}

uint16_t
ti_transport_default_port(enum ti_transport t)
{
	return transports[t].port;
}

static int
parse_scheme(const char *s, size_t len, enum ti_transport *ret_t)
{
	for (size_t i = 0; i < TI_ARRAY_SIZE(transports); i++) {
		if (strlen(transports[i].scheme) == len &&
		    strncasecmp(s, transports[i].scheme, len) == 0) {
			*ret_t = (enum ti_transport)i;
			return 0;
		}
	}
	return TI_ESCHEME;
}

int
ti_uri_parse(const char *s, struct ti_uri *ret_uri)
{
	struct ti_uri u = { .transport = TI_TRANSPORT_UDP };
	const char *p, *host, *host_end, *rest;
	int r;

	if (s == NULL || (p = strstr(s, "://")) == NULL)
		return TI_EPARSE;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return TI_EPARSE;
	if ((r = parse_scheme(s, (size_t)(p - s), &u.transport)) < 0)
		return r;
	host = p + 3;
	if (*host == '[') {
		host_end = strchr(host, ']');
		if (host_end == NULL)
			return TI_EPARSE;
		host++;
		rest = host_end + 1;
		struct in6_addr a6;
		char tmp[INET6_ADDRSTRLEN + 1];
		size_t hl = (size_t)(host_end - host);
		/* Zone identifiers are not accepted in CoAP URIs here. */
		if (hl == 0 || hl >= sizeof(tmp))
			return TI_EPARSE;
		memcpy(tmp, host, hl);
		tmp[hl] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return TI_EPARSE;
	} else {
		host_end = host + strcspn(host, ":/?#");
		rest = host_end;
		if (host_end == host)
			return TI_EPARSE;
		for (const char *c = host; c < host_end; c++)
			if (*c == '@' || *c == '[' || *c == ']' || *c == '%')
				return TI_EPARSE;
	}
	if ((size_t)(host_end - host) >= sizeof(u.host))
		return TI_EPARSE;
	memcpy(u.host, host, (size_t)(host_end - host));
	u.host[host_end - host] = '\0';

	u.port = ti_transport_default_port(u.transport);
	if (*rest == ':') {
		char port[8];
		size_t pl = strcspn(rest + 1, "/?#");
		uint32_t v;
		if (pl == 0 || pl >= sizeof(port))
			return pl == 0 ? TI_EPARSE : TI_ERANGE;
		memcpy(port, rest + 1, pl);
		port[pl] = '\0';
		if ((r = ti_parse_u32(port, 1, 65535, &v)) < 0)
			return r;
		u.port = (uint16_t)v;
		u.port_given = 1;
		rest += 1 + pl;
	}
	if (strchr(rest, '#') != NULL)
		return TI_EPARSE;
	size_t path_len = strcspn(rest, "?");
	if (path_len > 0 && rest[0] != '/')
		return TI_EPARSE;
	if (path_len >= sizeof(u.path))
		return TI_EPARSE;
	memcpy(u.path, rest, path_len);
	u.path[path_len] = '\0';
	if (rest[path_len] == '?' &&
	    ti_strlcpy(u.query, rest + path_len + 1, sizeof(u.query)) >= sizeof(u.query))
		return TI_EPARSE;
	*ret_uri = u;
	return 0;
}

int
ti_uri_resolve(const struct ti_uri *uri, struct sockaddr_storage *ret_sa, socklen_t *ret_len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char port[8];

	snprintf(port, sizeof(port), "%u", uri->port);
	if (getaddrinfo(uri->host, port, &hints, &res) != 0 || res == NULL)
		return TI_EPARSE;
	memset(ret_sa, 0, sizeof(*ret_sa));
	memcpy(ret_sa, res->ai_addr, res->ai_addrlen);
	*ret_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
v4_of(const struct sockaddr *sa, struct in_addr *ret)
{
	if (sa->sa_family == AF_INET) {
		*ret = ((const struct sockaddr_in *)sa)->sin_addr;
		return 1;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			memcpy(ret, &a6->s6_addr[12], 4);
			return 1;
		}
	}
	return 0;
}

int
ti_addr_is_ipv4(const struct sockaddr *sa)
{
	struct in_addr a;

	return v4_of(sa, &a);
}

int
ti_addr_format_host(const struct sockaddr *sa, char *buf, size_t size)
{
	struct in_addr a4;

	if (v4_of(sa, &a4)) {
		if (inet_ntop(AF_INET, &a4, buf, (socklen_t)size) == NULL)
			return -ENOSPC;
	} else if (sa->sa_family == AF_INET6) {
		if (inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			      (socklen_t)size) == NULL)
			return -ENOSPC;
	} else {
		return -EAFNOSUPPORT;
	}
	return (int)strlen(buf);
}

uint16_t
ti_addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

int
ti_addr_format(const struct sockaddr *sa, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	int n, r = ti_addr_format_host(sa, host, sizeof(host));

	if (r < 0)
		return r;
	if (ti_addr_is_ipv4(sa))
		n = snprintf(buf, size, "%s:%u", host, ti_addr_port(sa));
	else
		n = snprintf(buf, size, "[%s]:%u", host, ti_addr_port(sa));
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

void
ti_addr_unmap(struct sockaddr_storage *ss)
{
	struct in_addr a4;

	if (ss->ss_family != AF_INET6 || !v4_of((struct sockaddr *)ss, &a4))
		return;
	uint16_t port = ((struct sockaddr_in6 *)ss)->sin6_port;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = port;
	sin->sin_addr = a4;
}

int
ti_addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0 &&
		       x->sin6_scope_id == y->sin6_scope_id;
	}
	return 0;
}

const char *
ti_uri_with_port(const char *uri, uint16_t port, char *buf, size_t size)
{
	struct ti_uri u;
	int v6;

	if (ti_uri_parse(uri, &u) < 0 || u.port_given)
		return uri;
	v6 = strchr(u.host, ':') != NULL;
	snprintf(buf, size, "%s://%s%s%s:%u%s%s%s", ti_transport_scheme(u.transport), v6 ? "[" : "",
		 u.host, v6 ? "]" : "", port, u.path, u.query[0] ? "?" : "", u.query);
	return buf;
}
