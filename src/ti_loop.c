/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: one epoll loop for file descriptors, timerfd timers and signals. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "ti_loop.h"
#include "ti_util.h"

#define MAX_EVENTS 64

enum watch_kind { WATCH_FD, WATCH_TIMER, WATCH_SIGNAL };

/*
 * One watched fd. Removal inside a dispatch round only marks it dead: the
 * round's event array may still point at it, so it is freed afterwards.
 */
struct watch {
	enum watch_kind kind;
	int fd;
	int dead;
	void *data;
	union {
		ti_loop_fd_fn *fd_fn;
		ti_loop_timer_fn *timer_fn;
		ti_loop_signal_fn *signal_fn;
	} cb;
	struct ti_loop *loop;
	struct watch *next; /* all watches, for lookup by fd and freeing */
};

struct ti_timer {
	struct watch w;
};

struct ti_loop {
	int epfd;
	int quit;
	int code;
	int dispatching;
	struct watch *watches;
	struct watch *signals;
	sigset_t sigmask;
};

struct ti_loop *
ti_loop_new(void)
{
	struct ti_loop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	sigemptyset(&loop->sigmask);
	return loop;
}

static void
reap(struct ti_loop *loop)
{
	struct watch **pp = &loop->watches;

	while (*pp) {
		struct watch *w = *pp;
		if (!w->dead) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		if (w->kind != WATCH_FD)
			close(w->fd);
		free(w);
	}
}

void
ti_loop_free(struct ti_loop *loop)
{
	if (loop == NULL)
		return;
	for (struct watch *w = loop->watches; w; w = w->next)
		w->dead = 1;
	reap(loop);
	/*
	 * The signals stay blocked: unblocking would deliver one still pending
	 * (a second SIGTERM during shutdown) with its default action.
	 */
	close(loop->epfd);
	free(loop);
}

static struct watch *
find_fd(struct ti_loop *loop, int fd)
{
	for (struct watch *w = loop->watches; w; w = w->next)
		if (w->fd == fd && !w->dead)
			return w;
	return NULL;
}

static int
add_watch(struct ti_loop *loop, struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -errno;
	w->loop = loop;
	w->next = loop->watches;
	loop->watches = w;
	return 0;
}

int
ti_loop_add_fd(struct ti_loop *loop, int fd, uint32_t events, ti_loop_fd_fn *fn, void *data)
{
	struct watch *w;
	int r;

	if (find_fd(loop, fd) != NULL)
		return -EEXIST;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	*w = (struct watch){ .kind = WATCH_FD, .fd = fd, .data = data, .cb.fd_fn = fn };
	if ((r = add_watch(loop, w, events)) < 0)
		free(w);
	return r;
}

int
ti_loop_mod_fd(struct ti_loop *loop, int fd, uint32_t events)
{
	struct watch *w = find_fd(loop, fd);
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w == NULL)
		return -ENOENT;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

static void
kill_watch(struct ti_loop *loop, struct watch *w)
{
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = 1;
	if (!loop->dispatching)
		reap(loop);
}

int
ti_loop_del_fd(struct ti_loop *loop, int fd)
{
	struct watch *w = find_fd(loop, fd);

	if (w == NULL || w->kind != WATCH_FD)
		return -ENOENT;
	kill_watch(loop, w);
	return 0;
}

struct ti_timer *
ti_timer_new(struct ti_loop *loop, ti_loop_timer_fn *fn, void *data)
{
	struct ti_timer *t = calloc(1, sizeof(*t));
	int fd, r;

	if (t == NULL)
		return NULL;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0) {
		free(t);
		return NULL;
	}
	t->w = (struct watch){ .kind = WATCH_TIMER, .fd = fd, .data = data, .cb.timer_fn = fn };
	if ((r = add_watch(loop, &t->w, EPOLLIN)) < 0) {
		close(fd);
		free(t);
		errno = -r;
		return NULL;
	}
	return t;
}

int
ti_timer_set(struct ti_timer *t, uint64_t delay_ms, uint64_t interval_ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(delay_ms / 1000),
			      .tv_nsec = (long)(delay_ms % 1000) * 1000000 },
		.it_interval = { .tv_sec = (time_t)(interval_ms / 1000),
				 .tv_nsec = (long)(interval_ms % 1000) * 1000000 },
	};

	return timerfd_settime(t->w.fd, 0, &its, NULL) < 0 ? -errno : 0;
}

void
ti_timer_free(struct ti_timer *t)
{
	if (t == NULL)
		return;
	ti_timer_set(t, 0, 0);
	kill_watch(t->w.loop, &t->w);
}

int
ti_loop_set_signals(struct ti_loop *loop, const int *signos, int n, ti_loop_signal_fn *fn,
		    void *data)
{
	struct watch *w;
	int fd, r;

	if (loop->signals != NULL)
		return -EEXIST;
	for (int i = 0; i < n; i++)
		sigaddset(&loop->sigmask, signos[i]);
	if (sigprocmask(SIG_BLOCK, &loop->sigmask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		close(fd);
		return -ENOMEM;
	}
	*w = (struct watch){ .kind = WATCH_SIGNAL, .fd = fd, .data = data, .cb.signal_fn = fn };
	if ((r = add_watch(loop, w, EPOLLIN)) < 0) {
		close(fd);
		free(w);
		return r;
	}
	loop->signals = w;
	return 0;
}

static void
dispatch(struct ti_loop *loop, struct watch *w, uint32_t events)
{
	switch (w->kind) {
	case WATCH_FD:
		w->cb.fd_fn(loop, w->fd, events, w->data);
		break;
	case WATCH_TIMER: {
		uint64_t expirations;
		if (read(w->fd, &expirations, sizeof(expirations)) != sizeof(expirations))
			break; /* disarmed or re-armed since it fired */
		w->cb.timer_fn(loop, (struct ti_timer *)w, w->data);
		break;
	}
	case WATCH_SIGNAL: {
		struct signalfd_siginfo si;
		while (!w->dead && read(w->fd, &si, sizeof(si)) == sizeof(si))
			w->cb.signal_fn(loop, (int)si.ssi_signo, w->data);
		break;
	}
	}
}

int
ti_loop_run_once(struct ti_loop *loop, int timeout_ms)
{
	struct epoll_event ev[MAX_EVENTS];
	int n = epoll_wait(loop->epfd, ev, MAX_EVENTS, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	loop->dispatching = 1;
	for (int i = 0; i < n; i++) {
		struct watch *w = ev[i].data.ptr;
		if (!w->dead)
			dispatch(loop, w, ev[i].events);
	}
	loop->dispatching = 0;
	reap(loop);
	return 0;
}

int
ti_loop_run(struct ti_loop *loop)
{
	while (!loop->quit) {
		int r = ti_loop_run_once(loop, -1);
		if (r < 0)
			return r;
	}
	loop->quit = 0; /* a quit asked for before run() is not lost; a later run() runs */
	return loop->code;
}

void
ti_loop_quit(struct ti_loop *loop, int code)
{
	loop->quit = 1;
	loop->code = code;
}
