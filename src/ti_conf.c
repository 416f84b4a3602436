/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: config file tokenizer and schema-table engine. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ti_conf.h"
#include "ti_err.h"
#include "ti_log.h"
#include "ti_util.h"

#define MAX_LINE 4096
#define MAX_TOKENS 16
#define MAX_INCLUDE_DEPTH 8
#define MAX_FILE_SIZE (1024 * 1024)

/* Where each directive was first set, for duplicate detection and defaults. */
struct seen {
	char file[256];
	unsigned line;
};

struct loader {
	const struct ti_conf_schema *schema;
	void *conf;
	struct seen *seen;
	struct ti_conf_error *err;
	int depth;
};

static int __attribute__((format(printf, 5, 6)))
fail(struct ti_conf_error *e, const char *file, unsigned line, int code, const char *fmt, ...)
{
	va_list ap;

	ti_strlcpy(e->file, file ? file : "", sizeof(e->file));
	e->line = line;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

static const struct ti_conf_item *
find_item(const struct ti_conf_schema *s, const char *name)
{
	for (size_t i = 0; i < s->n_items; i++)
		if (strcmp(s->items[i].name, name) == 0)
			return &s->items[i];
	return NULL;
}

/*
 * Split one line into tokens in place. Double quotes group, with \" and \\
 * escapes inside; '#' outside quotes starts a comment.
 */
static int
tokenize(char *line, char **tok, size_t max, size_t *ret_n, const char **reterr)
{
	size_t n = 0;
	char *r = line, *w = line;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\r')
			r++;
		if (*r == '\0' || *r == '#')
			break;
		if (n == max) {
			*reterr = "too many values";
			return TI_EPARSE;
		}
		tok[n++] = w;
		if (*r == '"') {
			r++;
			while (*r != '"') {
				if (*r == '\0') {
					*reterr = "unterminated quoted string";
					return TI_EPARSE;
				}
				if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
					r++;
				*w++ = *r++;
			}
			r++;
			if (*r != '\0' && *r != ' ' && *r != '\t' && *r != '\r' && *r != '#') {
				*reterr = "missing space after quoted string";
				return TI_EPARSE;
			}
		} else {
			while (*r && *r != ' ' && *r != '\t' && *r != '\r' && *r != '#') {
				if (*r == '"') {
					*reterr = "unexpected quote";
					return TI_EPARSE;
				}
				*w++ = *r++;
			}
		}
		char stop = *r; /* space, '#' or NUL; w <= r, so the NUL below may overwrite it */
		*w++ = '\0';
		if (stop == '\0' || stop == '#')
			break;
		r++;
	}
	*ret_n = n;
	return 0;
}

static void
list_free(struct ti_conf_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	TI_FREE(&l->v);
	l->n = 0;
}

/* Parse value for item into conf. On failure writes a reason into err. */
static int
set_value(const struct ti_conf_item *it, void *conf, const char *value, char *err, size_t errlen)
{
	char *field = (char *)conf + it->offset;
	int r = 0;

	switch (it->type) {
	case TI_CONF_STRING: {
		char *dup = strdup(value);
		if (dup == NULL)
			return -ENOMEM;
		free(*(char **)field);
		*(char **)field = dup;
		break;
	}
	case TI_CONF_U32: {
		uint32_t v = 0;
		if (it->word == NULL || strcmp(value, it->word) != 0)
			r = ti_parse_u32(value, (uint32_t)it->min, (uint32_t)it->max, &v);
		if (r < 0) {
			snprintf(err, errlen, "expected %s%sa number from %llu to %llu",
				 it->word ? it->word : "", it->word ? " or " : "",
				 (unsigned long long)it->min, (unsigned long long)it->max);
			return r;
		}
		*(uint32_t *)field = v;
		break;
	}
	case TI_CONF_DURATION: {
		uint64_t v;
		char lo[32], hi[32];
		r = ti_parse_duration(value, it->min, it->max, &v);
		if (r < 0) {
			ti_format_duration(lo, sizeof(lo), it->min);
			ti_format_duration(hi, sizeof(hi), it->max);
			snprintf(
			    err, errlen,
			    "expected a duration from %s to %s (a number with unit s, m, h or d)",
			    lo, hi);
			return r;
		}
		*(uint64_t *)field = v;
		break;
	}
	case TI_CONF_BOOL:
		r = ti_parse_bool(value, (int *)field);
		if (r < 0)
			snprintf(err, errlen, "expected yes or no");
		break;
	case TI_CONF_LOGLEVEL:
		r = ti_log_level_parse(value, (int *)field);
		if (r < 0) {
			snprintf(err, errlen, "expected err, warning, notice, info or debug");
			r = TI_EPARSE;
		}
		break;
	case TI_CONF_ENUM: {
		size_t off = 0;
		off += (size_t)snprintf(err, errlen, "expected one of");
		for (int i = 0; it->choices[i]; i++) {
			if (strcmp(value, it->choices[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
			if (off < errlen)
				off += (size_t)snprintf(err + off, errlen - off, "%s %s",
							i ? "," : "", it->choices[i]);
		}
		return TI_EPARSE;
	}
	case TI_CONF_LIST: {
		struct ti_conf_list *l = (struct ti_conf_list *)field;
		char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		l->v = nv;
		if ((l->v[l->n] = strdup(value)) == NULL)
			return -ENOMEM;
		l->n++;
		break;
	}
	}
	if (r == 0 && it->check != NULL && it->check(value, err, errlen) != 0)
		r = TI_EPARSE;
	return r;
}

static int load_file(struct loader *ld, const char *path);

static int
include_file(struct loader *ld, const char *from, unsigned line, const char *arg)
{
	char path[PATH_MAX];
	const char *slash = from ? strrchr(from, '/') : NULL;

	if (arg[0] != '/' && slash != NULL) {
		int n = snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - from), from, arg);
		if (n < 0 || (size_t)n >= sizeof(path))
			return fail(ld->err, from, line, TI_ETOOBIG, "include path too long");
	} else if (ti_strlcpy(path, arg, sizeof(path)) >= sizeof(path)) {
		return fail(ld->err, from, line, TI_ETOOBIG, "include path too long");
	}
	if (ld->depth >= MAX_INCLUDE_DEPTH)
		return fail(ld->err, from, line, TI_ERANGE, "includes nested too deeply at '%s'",
			    path);
	ld->depth++;
	int r = load_file(ld, path);
	ld->depth--;
	/* An unreadable include is reported at the include line. */
	if (r < 0 && r > -1000 && ld->err->line == 0)
		return fail(ld->err, from, line, r, "cannot read include '%s' (%s)", path,
			    ti_strerror(r));
	return r;
}

static int
parse_line(struct loader *ld, const char *file, unsigned lineno, char *line)
{
	char *tok[MAX_TOKENS];
	const char *why = NULL;
	char err[192] = "";
	size_t n;
	int r;

	if (tokenize(line, tok, TI_ARRAY_SIZE(tok), &n, &why) < 0)
		return fail(ld->err, file, lineno, TI_EPARSE, "%s", why);
	if (n == 0)
		return 0;
	if (strcmp(tok[0], "include") == 0) {
		if (n != 2)
			return fail(ld->err, file, lineno, TI_EPARSE,
				    "'include' takes exactly one path");
		return include_file(ld, file, lineno, tok[1]);
	}
	const struct ti_conf_item *it = find_item(ld->schema, tok[0]);
	if (it == NULL)
		return fail(ld->err, file, lineno, TI_EUNKNOWN, "unknown directive '%.64s'",
			    tok[0]);
	if (n < 2)
		return fail(ld->err, file, lineno, TI_EMISSING, "missing value for '%s'",
			    it->name);
	if (n > 2)
		return fail(ld->err, file, lineno, TI_EPARSE,
			    "'%s' takes one value (quote values that contain spaces)", it->name);
	struct seen *s = &ld->seen[it - ld->schema->items];
	if (s->line != 0 && it->type != TI_CONF_LIST)
		return fail(ld->err, file, lineno, TI_EDUP, "'%s' given twice (first at %s:%u)",
			    it->name, s->file, s->line);
	if (s->line == 0) {
		ti_strlcpy(s->file, file, sizeof(s->file));
		s->line = lineno;
	}
	r = set_value(it, ld->conf, tok[1], err, sizeof(err));
	if (r == -ENOMEM)
		return fail(ld->err, file, lineno, r, "out of memory");
	if (r < 0)
		return fail(ld->err, file, lineno, r, "invalid value '%.64s' for '%s': %s", tok[1],
			    it->name, err);
	return 0;
}

static int
load_text(struct loader *ld, const char *file, char *text)
{
	unsigned lineno = 0;
	char *p = text;

	while (*p) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (len >= MAX_LINE)
			return fail(ld->err, file, lineno, TI_ETOOBIG, "line longer than %d bytes",
				    MAX_LINE - 1);
		if (nl)
			*nl = '\0';
		int r = parse_line(ld, file, lineno, p);
		if (r < 0)
			return r;
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

static int
load_file(struct loader *ld, const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t len;
	int r;

	if (f == NULL)
		return fail(ld->err, path, 0, -errno, "cannot open (%s)", strerror(errno));
	buf = malloc(MAX_FILE_SIZE + 1);
	if (buf == NULL) {
		fclose(f);
		return fail(ld->err, path, 0, -ENOMEM, "out of memory");
	}
	len = fread(buf, 1, MAX_FILE_SIZE + 1, f);
	if (ferror(f)) {
		r = fail(ld->err, path, 0, -EIO, "read error");
		goto out_free;
	}
	if (len > MAX_FILE_SIZE) {
		r = fail(ld->err, path, 0, TI_ETOOBIG, "file larger than %d bytes", MAX_FILE_SIZE);
		goto out_free;
	}
	if (memchr(buf, '\0', len) != NULL) {
		r = fail(ld->err, path, 0, TI_EPARSE, "file contains a NUL byte");
		goto out_free;
	}
	buf[len] = '\0';
	r = load_text(ld, path, buf);
out_free:
	free(buf);
	fclose(f);
	return r;
}

static int
apply_defaults(struct loader *ld)
{
	const struct ti_conf_schema *s = ld->schema;
	char err[192];

	for (size_t i = 0; i < s->n_items; i++) {
		const struct ti_conf_item *it = &s->items[i];
		if (ld->seen[i].line != 0 || it->def == NULL)
			continue;
		char *copy = strdup(it->def), *save = NULL;
		if (copy == NULL)
			return fail(ld->err, NULL, 0, -ENOMEM, "out of memory");
		int r = 0;
		if (it->type == TI_CONF_LIST) {
			for (char *t = strtok_r(copy, " ", &save); t && r == 0;
			     t = strtok_r(NULL, " ", &save))
				r = set_value(it, ld->conf, t, err, sizeof(err));
		} else {
			r = set_value(it, ld->conf, copy, err, sizeof(err));
		}
		free(copy);
		/* A default that fails its own schema is a programming error. */
		if (r < 0)
			return fail(ld->err, NULL, 0, r, "bad built-in default for '%s': %s",
				    it->name, err);
	}
	return 0;
}

static int
load_common(const struct ti_conf_schema *schema, void *conf, struct ti_conf_error *reterr,
	    const char *path, const char *name, const char *text)
{
	struct ti_conf_error e = { .line = 0 };
	struct loader ld = { .schema = schema, .conf = conf, .err = &e };
	int r;

	ld.seen = calloc(schema->n_items ? schema->n_items : 1, sizeof(*ld.seen));
	if (ld.seen == NULL)
		return -ENOMEM;
	if (path != NULL) {
		r = load_file(&ld, path);
	} else {
		char *copy = strdup(text);
		r = copy ? load_text(&ld, name, copy) : -ENOMEM;
		free(copy);
	}
	if (r == 0)
		r = apply_defaults(&ld);
	if (r == 0 && schema->validate != NULL) {
		char why[192] = "invalid configuration";
		if (schema->validate(conf, why, sizeof(why)) != 0)
			r = fail(&e, path ? path : name, 0, TI_EPARSE, "%s", why);
	}
	free(ld.seen);
	if (r < 0 && reterr != NULL)
		*reterr = e;
	return r;
}

int
ti_conf_load(const struct ti_conf_schema *schema, const char *path, void *conf,
	     struct ti_conf_error *reterr)
{
	return load_common(schema, conf, reterr, path, NULL, NULL);
}

int
ti_conf_load_string(const struct ti_conf_schema *schema, const char *name, const char *text,
		    void *conf, struct ti_conf_error *reterr)
{
	return load_common(schema, conf, reterr, NULL, name, text);
}

char *
ti_conf_list_join(const struct ti_conf_list *l)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + 1;
	if ((s = malloc(len)) == NULL)
		return NULL;
	len = 0;
	for (size_t i = 0; i < l->n; i++) {
		size_t n = strlen(l->v[i]);
		memcpy(s + len, l->v[i], n);
		s[len + n] = '\n';
		len += n + 1;
	}
	s[len] = '\0';
	return s;
}

void
ti_conf_fini(const struct ti_conf_schema *schema, void *conf)
{
	for (size_t i = 0; i < schema->n_items; i++) {
		const struct ti_conf_item *it = &schema->items[i];
		char *field = (char *)conf + it->offset;
		if (it->type == TI_CONF_STRING)
			TI_FREE((char **)field);
		else if (it->type == TI_CONF_LIST)
			list_free((struct ti_conf_list *)field);
	}
}

/* Quote a value when it would not read back as one token. */
static void
print_value(FILE *out, const char *v)
{
	if (*v != '\0' && strpbrk(v, " \t\r#\"\\") == NULL) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', out);
		fputc(*v, out);
	}
	fputc('"', out);
}

void
ti_conf_print(const struct ti_conf_schema *schema, const void *conf, FILE *out)
{
	char buf[32];

	for (size_t i = 0; i < schema->n_items; i++) {
		const struct ti_conf_item *it = &schema->items[i];
		const char *field = (const char *)conf + it->offset;
		switch (it->type) {
		case TI_CONF_STRING:
			if (*(char *const *)field == NULL) {
				fprintf(out, "# %s (not set)\n", it->name);
				continue;
			}
			fprintf(out, "%s ", it->name);
			print_value(out, *(char *const *)field);
			break;
		case TI_CONF_U32:
			if (it->word != NULL && *(const uint32_t *)field == 0)
				fprintf(out, "%s %s", it->name, it->word);
			else
				fprintf(out, "%s %u", it->name, *(const uint32_t *)field);
			break;
		case TI_CONF_DURATION:
			ti_format_duration(buf, sizeof(buf), *(const uint64_t *)field);
			fprintf(out, "%s %s", it->name, buf);
			break;
		case TI_CONF_BOOL:
			fprintf(out, "%s %s", it->name, *(const int *)field ? "yes" : "no");
			break;
		case TI_CONF_LOGLEVEL:
			fprintf(out, "%s %s", it->name, ti_log_level_name(*(const int *)field));
			break;
		case TI_CONF_ENUM:
			fprintf(out, "%s %s", it->name, it->choices[*(const int *)field]);
			break;
		case TI_CONF_LIST: {
			const struct ti_conf_list *l = (const struct ti_conf_list *)field;
			if (l->n == 0)
				fprintf(out, "# %s (not set)", it->name);
			for (size_t j = 0; j < l->n; j++) {
				fprintf(out, "%s%s ", j ? "\n" : "", it->name);
				print_value(out, l->v[j]);
			}
			break;
		}
		}
		fputc('\n', out);
	}
}

void
ti_conf_error_format(const struct ti_conf_error *e, char *buf, size_t size)
{
	if (e->file[0] && e->line)
		snprintf(buf, size, "%s:%u: %s", e->file, e->line, e->msg);
	else if (e->file[0])
		snprintf(buf, size, "%s: %s", e->file, e->msg);
	else
		snprintf(buf, size, "%s", e->msg);
}
