/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: daemon lifecycle: command line, config, privileges, signals, reload. */
#ifndef TI_DAEMON_H
#define TI_DAEMON_H

#include <stddef.h>

#include "ti_conf.h"

struct ti_daemon;
struct ti_loop;

/**
 * Directives every daemon has. A daemon's conf struct starts with this
 * member (named common) and lists TI_CONF_COMMON_ITEMS() in its schema.
 */
struct ti_conf_common {
	int log_level;	/**< syslog level */
	int log_target; /**< enum ti_log_target */
	char *user;	/**< drop privileges to this user; NULL: stay */
};

extern const char *const ti_log_target_names[];

/* The parameter is the daemon's conf struct type (not "type": that is a member name). */
/* clang-format off */
#define TI_CONF_COMMON_ITEMS(ctype)                                                               \
	{ .name = "log-level",                                                                    \
	  .type = TI_CONF_LOGLEVEL,                                                               \
	  .offset = offsetof(ctype, common.log_level),                                            \
	  .def = "info" },                                                                        \
	{ .name = "log-target",                                                                   \
	  .type = TI_CONF_ENUM,                                                                   \
	  .offset = offsetof(ctype, common.log_target),                                           \
	  .def = "stderr",                                                                        \
	  .choices = ti_log_target_names },                                                       \
	{ .name = "user", .type = TI_CONF_STRING, .offset = offsetof(ctype, common.user) }
/* clang-format on */

/** Hooks a daemon gives the library; each returns 0 or a negative error. */
struct ti_daemon_info {
	const char *name;    /**< "tstund": program, log ident, default config name */
	const char *summary; /**< one line for -h */
	const struct ti_conf_schema *schema;
	size_t conf_size; /**< sizeof(struct <d>_conf) */
	/** Open what needs privileges (sockets, database); set d->app. Fatal on error. */
	int (*init)(struct ti_daemon *d);
	/** After the privilege drop, before READY=1: timers, registrations. Fatal on error. */
	int (*start)(struct ti_daemon *d);
	/**
	 * Apply a validated new config (d->conf is still the old one). Return 0
	 * to adopt it; on error the old one stays and the error is logged.
	 */
	int (*reload)(struct ti_daemon *d, const void *new_conf);
	/**
	 * Begin a graceful stop (SIGTERM/SIGINT). Return 0 when there is nothing
	 * to wait for, or 1 when work is under way: the daemon then calls
	 * ti_daemon_stopped() when done, or the stop happens anyway after
	 * TI_DAEMON_STOP_TIMEOUT_MS. Optional.
	 */
	int (*stop)(struct ti_daemon *d);
	/** Undo init and start; called also after a failed init or start. */
	void (*fini)(struct ti_daemon *d);
};

/** Longest a graceful stop may take before the loop ends regardless. */
#define TI_DAEMON_STOP_TIMEOUT_MS 2000

/** The running daemon, handed to every hook. */
struct ti_daemon {
	const struct ti_daemon_info *info;
	struct ti_loop *loop; /**< owned by the library */
	void *conf;	      /**< current config, owned by the library, replaced on reload */
	const char *conf_path;
	int debug;		     /**< -d given: debug log to stderr whatever the config says */
	void *app;		     /**< the daemon's own state, owned by the daemon */
	int stopping;		     /**< a stop signal arrived; a second one exits at once */
	struct ti_timer *stop_timer; /**< the graceful stop's deadline */
};

/**
 * Run a daemon: parse the shared command line (-f -n -p -d -V -h), load
 * the config, run the hooks, the loop and the signals until SIGTERM/SIGINT.
 * @return the process exit status (0 ok, 1 failure, 2 bad command line).
 */
int ti_daemon_main(const struct ti_daemon_info *info, int argc, char **argv);

/** Ask the loop to stop as SIGTERM would (graceful, through the stop hook). */
void ti_daemon_stop(struct ti_daemon *d);

/** Tell the library that the work begun by the stop hook is done. */
void ti_daemon_stopped(struct ti_daemon *d);

/** Set the STATUS= line shown by systemctl status. */
void ti_daemon_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* TI_DAEMON_H */
