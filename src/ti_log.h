/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: leveled logging to stderr or syslog, with libcoap's log routed in. */
#ifndef TI_LOG_H
#define TI_LOG_H

#include <stdarg.h>
#include <syslog.h>

/** Where log lines go. */
enum ti_log_target {
	TI_LOG_STDERR = 0, /**< "ident[level]: message" on stderr (journald adds time) */
	TI_LOG_SYSLOG,	   /**< syslog(3) with the daemon facility */
};

/**
 * Set the program identity, target and threshold. May be called again
 * (reload, -d). The ident string is borrowed and must outlive logging.
 */
void ti_log_open(const char *ident, enum ti_log_target target, int level);
/** Change only the threshold (a syslog level, LOG_ERR..LOG_DEBUG). */
void ti_log_set_level(int level);
/** The current threshold. */
int ti_log_get_level(void);
/** Close syslog if it was opened; logging falls back to stderr. */
void ti_log_close(void);

/**
 * Parse a level name: "err"/"error", "warning"/"warn", "notice", "info", "debug".
 * @param[out] ret_level  the syslog level, written on success.
 * @return 0, or TI_EUNKNOWN.
 */
int ti_log_level_parse(const char *name, int *ret_level);
/** Name of a syslog level ("info"), never NULL. */
const char *ti_log_level_name(int level);

/** Route libcoap's own log into ours, at our threshold. */
void ti_log_bridge_coap(void);

void ti_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ti_logv(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define ti_log_err(...) ti_log(LOG_ERR, __VA_ARGS__)
#define ti_log_warn(...) ti_log(LOG_WARNING, __VA_ARGS__)
#define ti_log_notice(...) ti_log(LOG_NOTICE, __VA_ARGS__)
#define ti_log_info(...) ti_log(LOG_INFO, __VA_ARGS__)
#define ti_log_debug(...) ti_log(LOG_DEBUG, __VA_ARGS__)

#endif /* TI_LOG_H */
