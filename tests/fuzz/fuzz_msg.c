/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz target: ti_msg_parse() invariants, and exact re-encoding of every accepted message. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ti_err.h"
#include "ti_msg.h"
#include "fuzz.h"


static void
check_parsed(const uint8_t *data, size_t size, const struct ti_msg *m)
{
	const uint8_t *end = data + size;
	uint16_t last = 0;

	FUZZ_ASSERT(size >= 4 && data[0] >> 6 == 1);
	FUZZ_ASSERT(m->type == ((data[0] >> 4) & 3) && m->code == data[1]);
	FUZZ_ASSERT(m->tkl <= 8 && m->token == data + 4);
	FUZZ_ASSERT(m->n_opts <= TI_MSG_MAX_OPTS);
	if (m->code == 0)
		FUZZ_ASSERT(size == 4 && m->n_opts == 0 && m->payload == NULL);
	for (size_t i = 0; i < m->n_opts; i++) {
		const struct ti_msg_opt *o = &m->opts[i];
		FUZZ_ASSERT(o->num >= last);
		FUZZ_ASSERT(o->val >= data + 4 + m->tkl && o->val <= end);
		FUZZ_ASSERT((size_t)(end - o->val) >= o->len);
		if (o->len > 4)
			FUZZ_ASSERT(ti_msg_opt_uint(o) == UINT32_MAX);
		FUZZ_ASSERT(ti_msg_find(m, o->num) != NULL);
		FUZZ_ASSERT(ti_msg_count(m, o->num) >= 1);
		last = o->num;
	}
	FUZZ_ASSERT((m->payload == NULL) == (m->payload_len == 0));
	if (m->payload != NULL)
		FUZZ_ASSERT(m->payload + m->payload_len == end && m->payload[-1] == 0xff);
}

/*
 * Option deltas and lengths have exactly one encoding each, so writing a
 * parsed message back must give the input byte for byte, and one byte less
 * room must overflow.
 */
static void
check_rewrite(const uint8_t *data, size_t size, const struct ti_msg *m)
{
	uint8_t *buf = malloc(size);
	struct ti_msgw w;

	FUZZ_ASSERT(buf != NULL);
	for (int shrink = 0; shrink <= 1; shrink++) {
		ti_msgw_init(&w, buf, size - (size_t)shrink, m->type, m->code, m->mid, m->token,
			     m->tkl);
		for (size_t i = 0; i < m->n_opts; i++)
			ti_msgw_opt(&w, m->opts[i].num, m->opts[i].val, m->opts[i].len);
		ti_msgw_payload(&w, m->payload, m->payload_len);
		if (shrink) {
			FUZZ_ASSERT(ti_msgw_finish(&w) == 0);
		} else {
			FUZZ_ASSERT(ti_msgw_finish(&w) == size);
			FUZZ_ASSERT(memcmp(buf, data, size) == 0);
		}
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ti_msg m;
	int r = ti_msg_parse(data, size, &m);

	if (r == 0) {
		check_parsed(data, size, &m);
		check_rewrite(data, size, &m);
	} else {
		FUZZ_ASSERT(r == TI_EPARSE || r == TI_ETOOBIG);
		if (r == TI_ETOOBIG)
			FUZZ_ASSERT(m.n_opts == TI_MSG_MAX_OPTS);
		/* What was parsed before the error stays inside the input. */
		for (size_t i = 0; i < m.n_opts; i++)
			FUZZ_ASSERT(m.opts[i].val + m.opts[i].len <= data + size);
	}
	return 0;
}
