/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: leveled logging to stderr or syslog, with libcoap's log routed in. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <coap3/coap.h>

#include "ti_err.h"
#include "ti_log.h"

/* Log state is the one mutable global src/ allows (STYLE.md section 5). */
static struct {
	const char *ident;
	enum ti_log_target target;
	int level;
	int syslog_open;
} logstate = {
	.ident = "thinice",
	.target = TI_LOG_STDERR,
	.level = LOG_INFO,
};

static const struct {
	const char *name;
	int level;
} level_names[] = {
	{ "emerg", LOG_EMERG },	 { "alert", LOG_ALERT },   { "crit", LOG_CRIT },
	{ "err", LOG_ERR },	 { "error", LOG_ERR },	   { "warning", LOG_WARNING },
	{ "warn", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
};

void
ti_log_open(const char *ident, enum ti_log_target target, int level)
{
	if (logstate.syslog_open && (target != TI_LOG_SYSLOG || ident != logstate.ident)) {
		closelog();
		logstate.syslog_open = 0;
	}
	logstate.ident = ident ? ident : "thinice";
	logstate.target = target;
	logstate.level = level;
	if (target == TI_LOG_SYSLOG && !logstate.syslog_open) {
		openlog(logstate.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		logstate.syslog_open = 1;
	}
	coap_set_log_level(level > LOG_DEBUG ? LOG_DEBUG : level);
}

void
ti_log_set_level(int level)
{
	logstate.level = level;
	coap_set_log_level(level > LOG_DEBUG ? LOG_DEBUG : level);
}

int
ti_log_get_level(void)
{
	return logstate.level;
}

void
ti_log_close(void)
{
	if (logstate.syslog_open)
		closelog();
	logstate.syslog_open = 0;
	logstate.target = TI_LOG_STDERR;
}

int
ti_log_level_parse(const char *name, int *ret_level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i].name) == 0) {
			*ret_level = level_names[i].level;
			return 0;
		}
	}
	return TI_EUNKNOWN;
}

const char *
ti_log_level_name(int level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (level_names[i].level == level)
			return level_names[i].name;
	return level > LOG_DEBUG ? "debug" : "unknown";
}

void
ti_logv(int level, const char *fmt, va_list ap)
{
	if (level > logstate.level)
		return;
	if (logstate.target == TI_LOG_SYSLOG) {
		vsyslog(level, fmt, ap);
		return;
	}
	char buf[2048];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* One fprintf keeps each line whole when several writers share stderr. */
	fprintf(stderr, "%s[%s]: %s\n", logstate.ident, ti_log_level_name(level), buf);
}

void
ti_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ti_logv(level, fmt, ap);
	va_end(ap);
}

static void
coap_log_handler(coap_log_t level, const char *message)
{
	size_t len = strlen(message);

	/* libcoap ends its messages with a newline; ours add one. */
	while (len > 0 && (message[len - 1] == '\n' || message[len - 1] == '\r'))
		len--;
	if ((int)level > LOG_DEBUG)
		level = LOG_DEBUG;
	/* libcoap's errors are about single peers or packets: never above warning. */
	if ((int)level < LOG_WARNING)
		level = LOG_WARNING;
	ti_log((int)level, "libcoap: %.*s", (int)len, message);
}

void
ti_log_bridge_coap(void)
{
	coap_set_log_handler(coap_log_handler);
	coap_set_show_pdu_output(0);
}
