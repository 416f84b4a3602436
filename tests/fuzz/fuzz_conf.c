/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz target: ti_conf_load_string() over a small schema, and print-then-reload stability. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ti_conf.h"
#include "ti_err.h"
#include "fuzz.h"


/* One directive of every type. */
struct fconf {
	char *name;
	char *path;
	uint32_t count;
	uint64_t timeout;
	int flag;
	int level;
	int mode;
	struct ti_conf_list listen;
};

static int
check_path(const char *value, char *err, size_t errlen)
{
	if (value[0] == '/')
		return 0;
	snprintf(err, errlen, "must start with '/'");
	return 1;
}

static int
validate(const void *conf, char *err, size_t errlen)
{
	const struct fconf *c = conf;

	if (c->flag && c->listen.n > 3) {
		snprintf(err, errlen, "flag allows at most 3 listen values");
		return 1;
	}
	return 0;
}

static const char *const modes[] = { "fast", "slow", "off", NULL };

static const struct ti_conf_item items[] = {
	{ .name = "name", .type = TI_CONF_STRING, .offset = offsetof(struct fconf, name),
	  .def = "thinice" },
	{ .name = "path", .type = TI_CONF_STRING, .offset = offsetof(struct fconf, path),
	  .check = check_path },
	{ .name = "count", .type = TI_CONF_U32, .offset = offsetof(struct fconf, count), .min = 1,
	  .max = 100000, .def = "10" },
	{ .name = "timeout", .type = TI_CONF_DURATION, .offset = offsetof(struct fconf, timeout),
	  .min = 1, .max = 30 * 86400, .def = "5m" },
	{ .name = "flag", .type = TI_CONF_BOOL, .offset = offsetof(struct fconf, flag), .def = "no" },
	{ .name = "log-level", .type = TI_CONF_LOGLEVEL, .offset = offsetof(struct fconf, level),
	  .def = "notice" },
	{ .name = "mode", .type = TI_CONF_ENUM, .offset = offsetof(struct fconf, mode), .def = "fast",
	  .choices = modes },
	{ .name = "listen", .type = TI_CONF_LIST, .offset = offsetof(struct fconf, listen),
	  .def = "coap://[::]:5683" },
};

static const struct ti_conf_schema schema = {
	.items = items,
	.n_items = sizeof(items) / sizeof(items[0]),
	.validate = validate,
};

/* Print conf into a malloc'ed string. */
static char *
print(const struct fconf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	FUZZ_ASSERT(f != NULL);
	ti_conf_print(&schema, c, f);
	FUZZ_ASSERT(fclose(f) == 0);
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fconf c = { .name = NULL }, again = { .name = NULL };
	struct ti_conf_error e = { .line = 0 };
	char msg[600], *text, *printed, *reprinted;
	int r;

	/* include would read arbitrary files (/dev/stdin, ...): not this target's business. */
	if (size > 64 * 1024 || memmem(data, size, "include", 7) != NULL)
		return 0;
	text = malloc(size + 1);
	FUZZ_ASSERT(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';

	r = ti_conf_load_string(&schema, "fuzz.conf", text, &c, &e);
	if (r != 0) {
		FUZZ_ASSERT(r < 0);
		FUZZ_ASSERT(e.msg[0] != '\0');
		ti_conf_error_format(&e, msg, sizeof(msg));
		FUZZ_ASSERT(strncmp(msg, "fuzz.conf", 9) == 0);
		goto out;
	}
	FUZZ_ASSERT(c.name != NULL && c.count >= 1 && c.count <= 100000);
	FUZZ_ASSERT(c.timeout >= 1 && c.timeout <= 30 * 86400);
	FUZZ_ASSERT(c.mode >= 0 && c.mode <= 2 && c.listen.n >= 1);
	FUZZ_ASSERT(c.path == NULL || c.path[0] == '/');

	/* What -p prints must load again and print the same. */
	printed = print(&c);
	r = ti_conf_load_string(&schema, "printed", printed, &again, &e);
	if (r != 0) {
		ti_conf_error_format(&e, msg, sizeof(msg));
		fprintf(stderr, "printed config does not load: %s\n---\n%s---\n", msg, printed);
		abort();
	}
	reprinted = print(&again);
	if (strcmp(printed, reprinted) != 0) {
		fprintf(stderr, "print is not stable:\n---\n%s---\n%s---\n", printed, reprinted);
		abort();
	}
	free(printed);
	free(reprinted);
out:
	ti_conf_fini(&schema, &c);
	ti_conf_fini(&schema, &again);
	free(text);
	return 0;
}
