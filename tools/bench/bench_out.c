/* SPDX-License-Identifier: BSD-2-Clause */
/* tice-bench: one result line as key=value pairs or as a JSON object. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "bench_out.h"
#include "bench_proto.h"

static void
sep(struct bench_out *o, const char *key)
{
	if (o->json)
		fprintf(o->f, "%s\"%s\":", o->n ? "," : "", key);
	else
		fprintf(o->f, "%s%s=", o->n ? " " : "", key);
	o->n++;
}

void
bench_out_begin(struct bench_out *o, FILE *f, int json, const char *tag)
{
	*o = (struct bench_out){ .f = f, .json = json };
	if (json)
		fputc('{', f);
	if (tag == NULL)
		return;
	if (json)
		fprintf(f, "\"%s\":true", tag);
	else
		fputs(tag, f);
	o->n++;
}

void
bench_out_str(struct bench_out *o, const char *key, const char *val)
{
	sep(o, key);
	if (!o->json) {
		fputs(val, o->f);
		return;
	}
	fputc('"', o->f);
	for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(o->f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(o->f, "\\u%04x", *p);
		else
			fputc(*p, o->f);
	}
	fputc('"', o->f);
}

void
bench_out_u64(struct bench_out *o, const char *key, uint64_t val)
{
	sep(o, key);
	fprintf(o->f, "%" PRIu64, val);
}

void
bench_out_num(struct bench_out *o, const char *key, double val, int prec)
{
	sep(o, key);
	fprintf(o->f, "%.*f", prec, val);
}

void
bench_out_codes(struct bench_out *o, const char *key, const uint64_t codes[256], int skip)
{
	char buf[512], c[5];
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 1; i <= 256; i++) {
		int code = i & 255; /* RST ([0]) last */
		int k;

		if (codes[code] == 0 || code == skip)
			continue;
		if (code == 0)
			snprintf(c, sizeof(c), "rst");
		else
			bench_coap_code_str(code, c);
		k = snprintf(buf + len, sizeof(buf) - len, "%s%s:%" PRIu64, len ? "," : "", c,
			     codes[code]);
		if (k < 0 || (size_t)k >= sizeof(buf) - len)
			break;
		len += (size_t)k;
	}
	bench_out_str(o, key, len ? buf : "-");
}

void
bench_out_end(struct bench_out *o)
{
	fputs(o->json ? "}\n" : "\n", o->f);
	fflush(o->f);
}
