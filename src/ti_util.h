/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: checked number and duration parsing, string and time helpers. */
#ifndef TI_UTIL_H
#define TI_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/** Free *pp (any pointer type) and set it to NULL. */
#define TI_FREE(pp)                                                                               \
	do {                                                                                      \
		free(*(pp));                                                                      \
		*(pp) = NULL;                                                                     \
	} while (0)

#define TI_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/**
 * Parse a whole decimal unsigned number in [min, max].
 * No sign, no leading or trailing space, no empty string.
 * @param[out] ret_val  written on success only.
 * @return 0, TI_EPARSE or TI_ERANGE.
 */
int ti_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret_val);
/** ti_parse_u64() for 32-bit values. */
int ti_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret_val);

/**
 * Parse a duration: a number with an optional unit s, m, h or d
 * (seconds when absent), e.g. "90", "15m", "1h". Result in seconds, in [min, max].
 * @param[out] ret_sec  written on success only.
 * @return 0, TI_EPARSE or TI_ERANGE.
 */
int ti_parse_duration(const char *s, uint64_t min, uint64_t max, uint64_t *ret_sec);

/**
 * Format seconds as the shortest exact duration ("90s", "15m", "2h", "1d").
 * @return the number of characters that the full string needs (snprintf rules).
 */
int ti_format_duration(char *buf, size_t size, uint64_t sec);

/** Parse "yes"/"no"/"on"/"off"/"true"/"false"/"1"/"0". @return 0 or TI_EPARSE. */
int ti_parse_bool(const char *s, int *ret_val);

/**
 * Copy src into dst of size bytes, always NUL-terminated when size > 0.
 * @return strlen(src); truncation happened if the result >= size.
 */
size_t ti_strlcpy(char *dst, const char *src, size_t size);

/** Whether two strings are equal, NULL being equal only to NULL. */
int ti_str_equal(const char *a, const char *b);

/** Monotonic time in milliseconds. */
uint64_t ti_now_ms(void);

/** Fill buf with size random bytes from getrandom(2). @return 0 or -errno. */
int ti_random(void *buf, size_t size);

#endif /* TI_UTIL_H */
