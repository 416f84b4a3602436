/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: daemon lifecycle: command line, config, privileges, signals, reload. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <coap3/coap.h>

#include "ti_conf.h"
#include "ti_daemon.h"
#include "ti_err.h"
#include "ti_log.h"
#include "ti_loop.h"
#include "ti_notify.h"
#include "ti_util.h"

#ifndef TI_SYSCONFDIR
#define TI_SYSCONFDIR "/etc/thinice"
#endif

const char *const ti_log_target_names[] = { "stderr", "syslog", NULL };

enum { EXIT_USAGE = 2 };

static void
usage(const struct ti_daemon_info *info, FILE *out)
{
	fprintf(out,
		"usage: %s [-dnpVh] [-f file]\n"
		"%s\n\n"
		"  -f file  configuration file (default %s/%s.conf)\n"
		"  -n       check the configuration and exit\n"
		"  -p       print the effective configuration and exit\n"
		"  -d       log at debug level to stderr\n"
		"  -V       print the version and exit\n"
		"  -h       print this help and exit\n",
		info->name, info->summary, TI_SYSCONFDIR, info->name);
}

static void
apply_logging(struct ti_daemon *d, const struct ti_conf_common *c)
{
	if (d->debug)
		ti_log_open(d->info->name, TI_LOG_STDERR, LOG_DEBUG);
	else
		ti_log_open(d->info->name, (enum ti_log_target)c->log_target, c->log_level);
}

/* Load a fresh config; errors are returned formatted in err. */
static void *
load_conf(const struct ti_daemon_info *info, const char *path, char *err, size_t errlen)
{
	struct ti_conf_error e;
	void *conf = calloc(1, info->conf_size);

	if (conf == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (ti_conf_load(info->schema, path, conf, &e) < 0) {
		ti_conf_error_format(&e, err, errlen);
		ti_conf_fini(info->schema, conf);
		free(conf);
		return NULL;
	}
	return conf;
}

static void
free_conf(const struct ti_daemon_info *info, void *conf)
{
	if (conf == NULL)
		return;
	ti_conf_fini(info->schema, conf);
	free(conf);
}

static int
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user == NULL)
		goto check_root;
	if (geteuid() != 0) {
		ti_log_warn("not started as root, so not switching to user '%s', ignoring", user);
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		ti_log_err("failed to find user '%s' (%s)", user,
			   errno ? strerror(errno) : "no such user");
		return -ENOENT;
	}
	if (setgroups(1, &pw->pw_gid) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		int r = -errno;
		ti_log_err("failed to switch to user '%s' (%s)", user, strerror(errno));
		return r;
	}
	ti_log_info("switched to user '%s'", user);
check_root:
	if (geteuid() == 0)
		ti_log_warn("running as root: set 'user' to drop privileges");
	return 0;
}

static void
reload(struct ti_daemon *d)
{
	char err[512];
	void *conf;
	int r;

	ti_notify_reloading();
	ti_log_notice("reloading configuration from '%s'", d->conf_path);
	conf = load_conf(d->info, d->conf_path, err, sizeof(err));
	if (conf == NULL) {
		ti_log_err("reload failed: %s, keeping the current configuration", err);
		goto out;
	}
	r = d->info->reload ? d->info->reload(d, conf) : 0;
	if (r < 0) {
		ti_log_err("reload failed (%s), keeping the current configuration",
			   ti_strerror(r));
		free_conf(d->info, conf);
		goto out;
	}
	free_conf(d->info, d->conf);
	d->conf = conf;
	apply_logging(d, (const struct ti_conf_common *)conf);
	ti_log_notice("configuration reloaded");
out:
	ti_notify("READY=1");
}

static void
on_stop_deadline(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	ti_log_warn("graceful stop took longer than %d ms, stopping now",
		    TI_DAEMON_STOP_TIMEOUT_MS);
	ti_loop_quit(loop, 0);
}

static void
begin_stop(struct ti_daemon *d)
{
	d->stopping = 1;
	ti_notify("STOPPING=1");
	if (d->info->stop == NULL || d->info->stop(d) <= 0) {
		ti_loop_quit(d->loop, 0);
		return;
	}
	d->stop_timer = ti_timer_new(d->loop, on_stop_deadline, d);
	if (d->stop_timer == NULL || ti_timer_set(d->stop_timer, TI_DAEMON_STOP_TIMEOUT_MS, 0) < 0)
		ti_loop_quit(d->loop, 0);
}

void
ti_daemon_stopped(struct ti_daemon *d)
{
	ti_loop_quit(d->loop, 0);
}

static void
on_signal(struct ti_loop *loop, int signo, void *data)
{
	struct ti_daemon *d = data;

	switch (signo) {
	case SIGHUP:
		if (!d->stopping)
			reload(d);
		break;
	case SIGTERM:
	case SIGINT:
		if (d->stopping) {
			ti_log_warn("second %s, exiting at once",
				    signo == SIGTERM ? "SIGTERM" : "SIGINT");
			_exit(1);
		}
		ti_log_notice("%s received, shutting down",
			      signo == SIGTERM ? "SIGTERM" : "SIGINT");
		begin_stop(d);
		break;
	default:
		break;
	}
}

void
ti_daemon_stop(struct ti_daemon *d)
{
	if (!d->stopping)
		begin_stop(d);
}

void
ti_daemon_status(const char *fmt, ...)
{
	char buf[256] = "STATUS=";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + 7, sizeof(buf) - 7, fmt, ap);
	va_end(ap);
	ti_notify(buf);
}

static int
run(struct ti_daemon *d)
{
	static const int signals[] = { SIGHUP, SIGTERM, SIGINT };
	const struct ti_conf_common *common = d->conf;
	int r, code = 1;

	signal(SIGPIPE, SIG_IGN);
	d->loop = ti_loop_new();
	if (d->loop == NULL) {
		ti_log_err("failed to create the event loop (%s)", strerror(errno));
		return 1;
	}
	if ((r = ti_loop_set_signals(d->loop, signals, TI_ARRAY_SIZE(signals), on_signal, d)) <
	    0) {
		ti_log_err("failed to set up signals (%s)", ti_strerror(r));
		goto out_loop;
	}
	coap_startup();
	ti_log_bridge_coap();
	if ((r = d->info->init(d)) < 0)
		goto out_fini; /* the hook logged why */
	if ((r = drop_privileges(common->user)) < 0)
		goto out_fini;
	if (d->info->start && (r = d->info->start(d)) < 0)
		goto out_fini;
	ti_log_notice("%s %s started", d->info->name, PACKAGE_VERSION);
	ti_notify("READY=1");
	r = ti_loop_run(d->loop);
	if (r < 0) {
		ti_log_err("event loop failed (%s)", ti_strerror(r));
		code = 1;
	} else {
		code = 0;
	}
out_fini:
	ti_timer_free(d->stop_timer);
	d->stop_timer = NULL;
	if (d->info->fini)
		d->info->fini(d);
	coap_cleanup();
out_loop:
	ti_loop_free(d->loop);
	d->loop = NULL;
	if (code == 0)
		ti_log_notice("%s stopped", d->info->name);
	return code;
}

int
ti_daemon_main(const struct ti_daemon_info *info, int argc, char **argv)
{
	char default_path[512], err[512];
	struct ti_daemon d = { .info = info };
	int check = 0, print = 0, opt, code;

	snprintf(default_path, sizeof(default_path), "%s/%s.conf", TI_SYSCONFDIR, info->name);
	d.conf_path = default_path;
	ti_log_open(info->name, TI_LOG_STDERR, LOG_INFO);
	opterr = 0;
	while ((opt = getopt(argc, argv, ":f:npdVh")) != -1) {
		switch (opt) {
		case 'f':
			d.conf_path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'p':
			print = 1;
			break;
		case 'd':
			d.debug = 1;
			break;
		case 'V':
			printf("%s %s\n", info->name, PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(info, stdout);
			return 0;
		case ':':
			fprintf(stderr, "%s: option -%c needs an argument\n", info->name, optopt);
			usage(info, stderr);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "%s: unknown option -%c\n", info->name, optopt);
			usage(info, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", info->name, argv[optind]);
		usage(info, stderr);
		return EXIT_USAGE;
	}
	d.conf = load_conf(info, d.conf_path, err, sizeof(err));
	if (d.conf == NULL) {
		fprintf(stderr, "%s: %s\n", info->name, err);
		return 1;
	}
	if (check || print) {
		if (print)
			ti_conf_print(info->schema, d.conf, stdout);
		if (check)
			printf("configuration OK\n");
		free_conf(info, d.conf);
		return 0;
	}
	apply_logging(&d, d.conf);
	code = run(&d);
	free_conf(info, d.conf);
	ti_log_close();
	return code;
}
