/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: one epoll loop for file descriptors, timerfd timers and signals. */
#ifndef TI_LOOP_H
#define TI_LOOP_H

#include <stdint.h>

struct ti_loop;
struct ti_timer;

/** Called when fd is ready; events are EPOLLIN/EPOLLOUT/EPOLLERR/... */
typedef void ti_loop_fd_fn(struct ti_loop *loop, int fd, uint32_t events, void *data);
/** Called when a timer expires. */
typedef void ti_loop_timer_fn(struct ti_loop *loop, struct ti_timer *timer, void *data);
/** Called, outside signal context, for each signal read from the signalfd. */
typedef void ti_loop_signal_fn(struct ti_loop *loop, int signo, void *data);

/** @return a new loop (caller frees with ti_loop_free()), or NULL on failure (errno set). */
struct ti_loop *ti_loop_new(void);
/**
 * Close the loop, its timers and its signalfd; fds added stay open, and
 * signals given to ti_loop_set_signals() stay blocked. NULL is ignored.
 */
void ti_loop_free(struct ti_loop *loop);

/**
 * Watch fd for events (EPOLLIN, EPOLLOUT, ...). The fd stays the caller's.
 * @return 0, -EEXIST, -ENOMEM or another -errno from epoll_ctl().
 */
int ti_loop_add_fd(struct ti_loop *loop, int fd, uint32_t events, ti_loop_fd_fn *fn, void *data);
/** Change the events watched for fd. @return 0 or -errno. */
int ti_loop_mod_fd(struct ti_loop *loop, int fd, uint32_t events);
/** Stop watching fd; safe from inside any callback. @return 0 or -ENOENT. */
int ti_loop_del_fd(struct ti_loop *loop, int fd);

/**
 * Create a disarmed timer (a timerfd in the loop).
 * @return the timer (free with ti_timer_free()), or NULL (errno set).
 */
struct ti_timer *ti_timer_new(struct ti_loop *loop, ti_loop_timer_fn *fn, void *data);
/**
 * Arm the timer: first expiry after delay_ms, then every interval_ms
 * (0 for a one-shot). delay_ms 0 disarms. @return 0 or -errno.
 */
int ti_timer_set(struct ti_timer *timer, uint64_t delay_ms, uint64_t interval_ms);
/** Disarm and free; safe from inside the timer's own callback. NULL is ignored. */
void ti_timer_free(struct ti_timer *timer);

/**
 * Block the given signals and deliver them through a signalfd to fn.
 * @param[in] signos  n signal numbers. @return 0 or -errno.
 */
int ti_loop_set_signals(struct ti_loop *loop, const int *signos, int n, ti_loop_signal_fn *fn,
			void *data);

/** Dispatch events until ti_loop_quit(). @return the code given to ti_loop_quit(). */
int ti_loop_run(struct ti_loop *loop);
/** Make ti_loop_run() return code after the current dispatch round. */
void ti_loop_quit(struct ti_loop *loop, int code);

/** Run at most one round of dispatch, waiting up to timeout_ms (-1 forever). @return 0 or -errno.
 */
int ti_loop_run_once(struct ti_loop *loop, int timeout_ms);

#endif /* TI_LOOP_H */
