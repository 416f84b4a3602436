/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz target: tstund_proto_answer() on any datagram, plus the path check and representations. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ti_addr.h"
#include "ti_err.h"
#include "ti_msg.h"

#include "tstund_proto.h"
#include "fuzz.h"


#define NON_MID 0x4242
#define OUT_MAX 1152 /* RFC 7252 section 4.6: 1152 bytes fit any path MTU */

static struct sockaddr_storage srcs[3];
static struct tstund_proto base;

static void
setup(void)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&srcs[0];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&srcs[1];
	struct sockaddr_in6 *m6 = (struct sockaddr_in6 *)&srcs[2];

	s4->sin_family = AF_INET;
	s4->sin_port = htons(40001);
	inet_pton(AF_INET, "203.0.113.7", &s4->sin_addr);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(65535);
	inet_pton(AF_INET6, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", &s6->sin6_addr);
	m6->sin6_family = AF_INET6;
	m6->sin6_port = htons(1);
	inet_pton(AF_INET6, "::ffff:198.51.100.255", &m6->sin6_addr);
	if (tstund_proto_init(&base, "/tstun") != 0)
		abort();
}

/* One answer must be a well-formed reply to the request, or nothing. */
static void
check_answer(const uint8_t *req, size_t len, const struct sockaddr *src, enum ti_transport t)
{
	static uint8_t out[OUT_MAX], small[OUT_MAX];
	struct tstund_proto p = base;
	struct ti_msg m;
	size_t n, k;

	p.next_mid = NON_MID;
	n = tstund_proto_answer(&p, req, len, src, t, out, sizeof(out));
	FUZZ_ASSERT(n <= sizeof(out));
	if (n == 0)
		return;
	/* Only CoAP version 1 requests of at least a header are answered. */
	FUZZ_ASSERT(len >= 4 && req[0] >> 6 == 1);
	uint8_t req_type = (req[0] >> 4) & 3, req_tkl = req[0] & 15;
	uint16_t req_mid = (uint16_t)(req[2] << 8 | req[3]);

	FUZZ_ASSERT(ti_msg_parse(out, n, &m) == 0);
	FUZZ_ASSERT(req_type == TI_MSG_CON || req_type == TI_MSG_NON);
	switch (m.type) {
	case TI_MSG_RST:
		FUZZ_ASSERT(n == 4 && m.code == 0 && m.mid == req_mid);
		break;
	case TI_MSG_ACK:
		FUZZ_ASSERT(req_type == TI_MSG_CON && m.mid == req_mid);
		break;
	case TI_MSG_NON:
		FUZZ_ASSERT(req_type == TI_MSG_NON && m.mid == NON_MID && m.code != 0);
		break;
	default:
		FUZZ_ASSERT(!"CON answer");
	}
	if (m.code != 0) {
		FUZZ_ASSERT(TI_CODE_CLASS(m.code) >= 2 && TI_CODE_CLASS(m.code) <= 5);
		FUZZ_ASSERT(m.tkl == req_tkl && memcmp(m.token, req + 4, req_tkl) == 0);
		FUZZ_ASSERT(ti_msg_find(&m, TI_OPT_OBSERVE) == NULL);
	}

	/* Less room gives nothing rather than a truncated message; exact room, the same bytes. */
	k = len % n;
	p.next_mid = NON_MID;
	FUZZ_ASSERT(tstund_proto_answer(&p, req, len, src, t, small, k) == 0);
	p.next_mid = NON_MID;
	FUZZ_ASSERT(tstund_proto_answer(&p, req, len, src, t, small, n) == n);
	FUZZ_ASSERT(memcmp(small, out, n) == 0);
}

/* The input as a configured path: accepted paths must initialize. */
static void
check_path(const uint8_t *data, size_t size)
{
	char path[TSTUND_PATH_MAX + 16], err[128];
	struct tstund_proto p;
	size_t n = size < sizeof(path) - 1 ? size : sizeof(path) - 1;

	memcpy(path, data, n);
	path[n] = '\0';
	err[0] = '\0';
	if (tstund_path_check(path, err, sizeof(err)) != 0) {
		FUZZ_ASSERT(err[0] != '\0');
		FUZZ_ASSERT(tstund_proto_init(&p, path) == TI_EPARSE);
		return;
	}
	FUZZ_ASSERT(path[0] == '/' && strlen(path) <= TSTUND_PATH_MAX);
	FUZZ_ASSERT(tstund_proto_init(&p, path) == 0);
	FUZZ_ASSERT(p.n_segs >= 1 && p.n_segs <= TSTUND_PATH_SEGS);
	FUZZ_ASSERT(p.link_len == strlen(p.link) && p.link_len < sizeof(p.link));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	uint8_t repr[TSTUND_REPR_MAX];
	size_t len;

	if (!ready) {
		setup();
		ready = 1;
	}
	for (size_t i = 0; i < 3; i++)
		check_answer(data, size, (const struct sockaddr *)&srcs[i],
			     (enum ti_transport)(i + (size & 1)));
	check_path(data, size);

	/* Every supported format of the longest address fits TSTUND_REPR_MAX. */
	if (size >= 1) {
		unsigned cf = data[0] < 128 ? data[0] : 60;
		int r = tstund_repr((const struct sockaddr *)&srcs[1], TI_TRANSPORT_TLS, cf, repr,
				    sizeof(repr), &len);
		FUZZ_ASSERT(tstund_cf_supported(cf) ? r == 0 && len < sizeof(repr)
						    : r == TI_EUNKNOWN);
	}
	return 0;
}
