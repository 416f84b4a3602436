/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: config file tokenizer and schema-table engine. */
#ifndef TI_CONF_H
#define TI_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Value types. The field each one fills is named in brackets. */
enum ti_conf_type {
	TI_CONF_STRING,	  /**< one token [char *, owned by the conf] */
	TI_CONF_U32,	  /**< decimal in [min, max], or the item's word for 0 [uint32_t] */
	TI_CONF_DURATION, /**< number with unit s/m/h/d, seconds in [min, max] [uint64_t] */
	TI_CONF_BOOL,	  /**< yes/no/on/off/true/false [int] */
	TI_CONF_LOGLEVEL, /**< err/warning/notice/info/debug [int, a syslog level] */
	TI_CONF_ENUM,	  /**< one of choices[] [int, the index] */
	TI_CONF_LIST,	  /**< repeatable string [struct ti_conf_list] */
};

/** Values of a repeatable directive, in file order. */
struct ti_conf_list {
	char **v;
	size_t n;
};

/**
 * Extra validation of one value, after type and range checks.
 * @param[in] value  the raw token.
 * @param[out] err   a short reason (no location), written on failure.
 * @return 0 to accept, any other value to reject.
 */
typedef int ti_conf_check_fn(const char *value, char *err, size_t errlen);

/** One directive. */
struct ti_conf_item {
	const char *name; /**< lowercase-hyphenated */
	enum ti_conf_type type;
	size_t offset;	   /**< offsetof() the field in the daemon's conf */
	uint64_t min, max; /**< range for U32 and DURATION */
	const char *def;   /**< default as config text; LIST: space separated; NULL: none */
	const char *const *choices; /**< NULL-terminated, for ENUM */
	ti_conf_check_fn *check;    /**< optional */
	/**
	 * U32 only, optional: a word that stands for 0 and is printed for 0,
	 * such as "auto" for a value the daemon works out itself. 0 need not
	 * lie in [min, max]; the number 0 itself is still range checked.
	 */
	const char *word;
};

/**
 * Whole-config validation after every directive was read.
 * @param[out] err  a short reason, written on failure.
 */
typedef int ti_conf_validate_fn(const void *conf, char *err, size_t errlen);

/** A daemon's configuration schema. */
struct ti_conf_schema {
	const struct ti_conf_item *items;
	size_t n_items;
	ti_conf_validate_fn *validate; /**< optional */
};

/** Where and why loading failed. */
struct ti_conf_error {
	char file[256]; /**< "" when the error is not tied to a file */
	unsigned line;	/**< 0 when not tied to a line */
	char msg[256];
};

/**
 * Parse a config file into conf (zeroed by the caller), apply defaults and
 * validate. `include PATH` reads another file (relative to the including one).
 * On failure conf is left partly filled: call ti_conf_fini() on it anyway.
 *
 * @param[in] path      the file to read.
 * @param[out] conf     the daemon's conf struct; owns strings afterwards.
 * @param[out] reterr   where and why it failed, written on failure.
 * @return 0, TI_EPARSE, TI_ERANGE, TI_EUNKNOWN, TI_EDUP, TI_EMISSING, TI_ETOOBIG,
 *         -ENOMEM, -errno (file access).
 */
int ti_conf_load(const struct ti_conf_schema *schema, const char *path, void *conf,
		 struct ti_conf_error *reterr);

/**
 * ti_conf_load() over a string; name is used in error messages.
 * include is resolved relative to the current directory.
 */
int ti_conf_load_string(const struct ti_conf_schema *schema, const char *name, const char *text,
			void *conf, struct ti_conf_error *reterr);

/**
 * The values of a list directive as one string, each followed by '\n'
 * ("" for none): to tell whether a reloaded list differs from what runs.
 * @return a string the caller frees, or NULL on OOM.
 */
char *ti_conf_list_join(const struct ti_conf_list *l);

/** Free what ti_conf_load() allocated in conf; conf itself is the caller's. */
void ti_conf_fini(const struct ti_conf_schema *schema, void *conf);

/** Print the effective config, one directive per line, in schema order. */
void ti_conf_print(const struct ti_conf_schema *schema, const void *conf, FILE *out);

/** Format an error as "file:line: msg" (or just msg). */
void ti_conf_error_format(const struct ti_conf_error *e, char *buf, size_t size);

#endif /* TI_CONF_H */
