/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: socket addresses, CoAP URIs and their text forms. */
#ifndef TI_ADDR_H
#define TI_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/** Transports, named by their URI scheme. */
enum ti_transport {
	TI_TRANSPORT_UDP = 0, /**< coap:// */
	TI_TRANSPORT_DTLS,    /**< coaps:// */
	TI_TRANSPORT_TCP,     /**< coap+tcp:// */
	TI_TRANSPORT_TLS,     /**< coaps+tcp:// */
};

/** "coap", "coaps", "coap+tcp" or "coaps+tcp". */
const char *ti_transport_scheme(enum ti_transport t);
/** "udp", "dtls", "tcp" or "tls". */
const char *ti_transport_name(enum ti_transport t);
/** 5683 for coap and coap+tcp, 5684 for coaps and coaps+tcp. */
uint16_t ti_transport_default_port(enum ti_transport t);

/** Longest text ti_addr_format() writes, with its NUL. */
#define TI_ADDR_STRLEN 64 /* "[" INET6_ADDRSTRLEN "]:" port, rounded up */
/** Longest URI authority ti_uri_format_addr() writes. */
#define TI_URI_ADDR_STRLEN (TI_ADDR_STRLEN + 16)

/** A parsed CoAP URI. host has no brackets; path starts with '/' or is "". */
struct ti_uri {
	enum ti_transport transport;
	char host[256];
	uint16_t port;	/**< the default port of the scheme when absent */
	int port_given; /**< whether the URI named the port */
	char path[256];
	char query[256]; /**< without the '?', "" when absent */
};

/**
 * Parse an absolute CoAP URI: scheme "://" host [":" port] [path] ["?" query].
 * IPv6 literals go in brackets. Fragments are rejected.
 * @param[out] ret_uri  written on success only.
 * @return 0, TI_EPARSE (malformed), TI_ESCHEME (not a CoAP scheme), TI_ERANGE (port).
 */
int ti_uri_parse(const char *s, struct ti_uri *ret_uri);

/**
 * Resolve a URI's host and port to one socket address (numeric hosts are
 * used as they are; names go through getaddrinfo).
 * @param[out] ret_sa, ret_len  written on success only.
 * @return 0, TI_EPARSE (host does not resolve).
 */
int ti_uri_resolve(const struct ti_uri *uri, struct sockaddr_storage *ret_sa, socklen_t *ret_len);

/**
 * Format an address and port: "203.0.113.7:40001" or "[2001:db8::7]:40001".
 * IPv4-mapped IPv6 addresses are shown as IPv4.
 * @return the length written, or -EAFNOSUPPORT / -ENOSPC.
 */
int ti_addr_format(const struct sockaddr *sa, char *buf, size_t size);

/** Format only the host: "203.0.113.7" or "2001:db8::7". Same returns. */
int ti_addr_format_host(const struct sockaddr *sa, char *buf, size_t size);

/** The port of an AF_INET/AF_INET6 address in host order, 0 otherwise. */
uint16_t ti_addr_port(const struct sockaddr *sa);

/**
 * Whether sa is an IPv4 address (AF_INET, or IPv4-mapped AF_INET6); used
 * to pick "ipv4"/"ipv6" in representations.
 */
int ti_addr_is_ipv4(const struct sockaddr *sa);

/**
 * Turn an IPv4-mapped AF_INET6 address into AF_INET in place; other
 * addresses are left as they are.
 */
void ti_addr_unmap(struct sockaddr_storage *ss);

/** Equality of family, address and port. */
int ti_addr_equal(const struct sockaddr *a, const struct sockaddr *b);

/**
 * A URI with its port made explicit: a daemon's own port where the URI
 * names none (the scheme's default port belongs to another daemon).
 * @return uri itself when it names a port or does not parse, else buf.
 */
const char *ti_uri_with_port(const char *uri, uint16_t port, char *buf, size_t size);

#endif /* TI_ADDR_H */
