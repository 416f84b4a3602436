/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ti_loop: fd watches, timers, signals and quitting. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "ti_loop.h"
#include "ti_util.h"
#include "check_main.h"

/* What the callbacks saw. */
struct rec {
	int calls;
	int fd;
	uint32_t events;
	void *data;
	int other_fd;	       /* an fd to delete from inside the callback */
	struct ti_timer *self; /* a timer to free from inside its callback */
	struct ti_timer *other;
	int quit_after; /* quit the loop at this many calls; 0: never */
	int quit_code;
	int signos[8];
	uint64_t when_ms[8];
};

static void
drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void
make_pipe(int p[2])
{
	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

static void
on_fd(struct ti_loop *loop, int fd, uint32_t events, void *data)
{
	struct rec *r = data;

	r->calls++;
	r->fd = fd;
	r->events = events;
	r->data = data;
	drain(fd);
	if (r->quit_after && r->calls == r->quit_after)
		ti_loop_quit(loop, r->quit_code);
}

static size_t
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

START_TEST(test_new_free)
{
	size_t before = count_fds();
	struct ti_loop *loop = ti_loop_new();
	struct ti_timer *t;

	ck_assert_ptr_nonnull(loop);
	t = ti_timer_new(loop, NULL, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(count_fds(), before + 2);
	/* Freeing the loop closes its epoll fd and its timers' timerfds. */
	ti_loop_free(loop);
	ck_assert_uint_eq(count_fds(), before);
	ti_loop_free(NULL);
	ti_timer_free(NULL);
}
END_TEST

START_TEST(test_fd_pipe)
{
	struct ti_loop *loop = ti_loop_new();
	struct rec r = { 0 };
	int p[2];

	make_pipe(p);
	ck_assert_int_eq(ti_loop_add_fd(loop, p[0], EPOLLIN, on_fd, &r), 0);
	/* Nothing to read: the round times out without a call. */
	ck_assert_int_eq(ti_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(r.calls, 0);

	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.fd, p[0]);
	ck_assert_uint_eq(r.events, EPOLLIN);
	ck_assert_ptr_eq(r.data, &r);

	/* Level-triggered and drained: no second call. */
	ck_assert_int_eq(ti_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(r.calls, 1);

	/* The peer closing shows up as EPOLLHUP. */
	close(p[1]);
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(r.calls, 2);
	ck_assert_uint_eq(r.events & EPOLLHUP, EPOLLHUP);
	ck_assert_int_eq(ti_loop_del_fd(loop, p[0]), 0);

	ti_loop_free(loop);
	/* The fd stayed the caller's. */
	ck_assert_int_ge(fcntl(p[0], F_GETFD), 0);
	close(p[0]);
}
END_TEST

START_TEST(test_fd_eventfd_and_mod)
{
	struct ti_loop *loop = ti_loop_new();
	struct rec r = { 0 };
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t one = 1;

	ck_assert_int_ge(efd, 0);
	/* An eventfd below its maximum is always writable. */
	ck_assert_int_eq(ti_loop_add_fd(loop, efd, EPOLLOUT, on_fd, &r), 0);
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_uint_eq(r.events, EPOLLOUT);

	ck_assert_int_eq(ti_loop_mod_fd(loop, efd, EPOLLIN), 0);
	ck_assert_int_eq(ti_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(write(efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(r.calls, 2);
	ck_assert_uint_eq(r.events, EPOLLIN);

	ti_loop_free(loop);
	close(efd);
}
END_TEST

START_TEST(test_fd_errors)
{
	struct ti_loop *loop = ti_loop_new();
	struct rec r = { 0 };
	int p[2], f;

	make_pipe(p);
	ck_assert_int_eq(ti_loop_add_fd(loop, p[0], EPOLLIN, on_fd, &r), 0);
	ck_assert_int_eq(ti_loop_add_fd(loop, p[0], EPOLLIN, on_fd, &r), -EEXIST);
	ck_assert_int_eq(ti_loop_add_fd(loop, -1, EPOLLIN, on_fd, &r), -EBADF);
	ck_assert_int_eq(ti_loop_del_fd(loop, p[1]), -ENOENT);
	ck_assert_int_eq(ti_loop_mod_fd(loop, p[1], EPOLLIN), -ENOENT);
	ck_assert_int_eq(ti_loop_del_fd(loop, p[0]), 0);
	ck_assert_int_eq(ti_loop_del_fd(loop, p[0]), -ENOENT);
	ck_assert_int_eq(ti_loop_mod_fd(loop, p[0], EPOLLIN), -ENOENT);
	/* Re-adding after removal works. */
	ck_assert_int_eq(ti_loop_add_fd(loop, p[0], EPOLLIN, on_fd, &r), 0);
	/* A regular file cannot be polled. */
	f = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(f, 0);
	ck_assert_int_eq(ti_loop_add_fd(loop, f, EPOLLIN, on_fd, &r), -EPERM);
	ck_assert_int_eq(ti_loop_del_fd(loop, f), -ENOENT);
	close(f);

	ti_loop_free(loop);
	close(p[0]);
	close(p[1]);
}
END_TEST

static void
on_fd_del_self(struct ti_loop *loop, int fd, uint32_t events, void *data)
{
	struct rec *r = data;

	r->calls++;
	ck_assert_int_eq(ti_loop_del_fd(loop, fd), 0);
	/* Gone at once for lookups, though freed only after the round. */
	ck_assert_int_eq(ti_loop_del_fd(loop, fd), -ENOENT);
	ck_assert_int_eq(ti_loop_mod_fd(loop, fd, EPOLLIN), -ENOENT);
}

START_TEST(test_del_self)
{
	struct ti_loop *loop = ti_loop_new();
	struct rec r = { 0 };
	int p[2];

	make_pipe(p);
	ck_assert_int_eq(ti_loop_add_fd(loop, p[0], EPOLLIN, on_fd_del_self, &r), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(r.calls, 1);
	/* Still readable (not drained) but no longer watched. */
	ck_assert_int_eq(ti_loop_run_once(loop, 20), 0);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(ti_loop_del_fd(loop, p[0]), -ENOENT);
	/* And it can be watched again. */
	ck_assert_int_eq(ti_loop_add_fd(loop, p[0], EPOLLIN, on_fd, &r), 0);
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(r.calls, 2);

	ti_loop_free(loop);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* Whichever of two ready fds runs first removes the other. */
static void
on_fd_del_other(struct ti_loop *loop, int fd, uint32_t events, void *data)
{
	struct rec *r = data;

	r->calls++;
	r->fd = fd;
	ck_assert_int_eq(ti_loop_del_fd(loop, r->other_fd), 0);
	ck_assert_int_eq(ti_loop_del_fd(loop, fd), 0);
}

START_TEST(test_del_other)
{
	struct ti_loop *loop = ti_loop_new();
	struct rec ra = { 0 }, rb = { 0 };
	int a[2], b[2];

	make_pipe(a);
	make_pipe(b);
	ra.other_fd = b[0];
	rb.other_fd = a[0];
	ck_assert_int_eq(ti_loop_add_fd(loop, a[0], EPOLLIN, on_fd_del_other, &ra), 0);
	ck_assert_int_eq(ti_loop_add_fd(loop, b[0], EPOLLIN, on_fd_del_other, &rb), 0);
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(write(b[1], "x", 1), 1);
	/* Both are ready in the same round; the first deletes the second. */
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(ra.calls + rb.calls, 1);
	ck_assert_int_eq(ti_loop_run_once(loop, 20), 0);
	ck_assert_int_eq(ra.calls + rb.calls, 1);
	ck_assert_int_eq(ti_loop_del_fd(loop, a[0]), -ENOENT);
	ck_assert_int_eq(ti_loop_del_fd(loop, b[0]), -ENOENT);

	ti_loop_free(loop);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}
END_TEST

/* Remove an fd and watch a new one that got the same number, in one round. */
static void
on_fd_replace(struct ti_loop *loop, int fd, uint32_t events, void *data)
{
	struct rec *r = data;
	int p[2];

	r->calls++;
	drain(fd);
	ck_assert_int_eq(ti_loop_del_fd(loop, r->other_fd), 0);
	close(r->other_fd);
	make_pipe(p);
	/* The lowest free number is the one just closed. */
	ck_assert_int_eq(p[0], r->other_fd);
	ck_assert_int_eq(ti_loop_add_fd(loop, p[0], EPOLLIN, on_fd, r + 1), 0);
	r->fd = p[1];
}

START_TEST(test_del_reuse_number)
{
	struct ti_loop *loop = ti_loop_new();
	struct rec r[2] = { { 0 } };
	int a[2], b[2];

	make_pipe(a);
	make_pipe(b);
	r[0].other_fd = b[0];
	ck_assert_int_eq(ti_loop_add_fd(loop, a[0], EPOLLIN, on_fd_replace, &r[0]), 0);
	ck_assert_int_eq(ti_loop_add_fd(loop, b[0], EPOLLIN, on_fd, &r[1]), 0);
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(r[0].calls, 1);
	ck_assert_int_eq(r[1].calls, 0);
	/* The new pipe under the old number is live. */
	ck_assert_int_eq(write(r[0].fd, "y", 1), 1);
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(r[1].calls, 1);
	ck_assert_int_eq(r[1].fd, b[0]);

	ti_loop_free(loop);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	close(r[0].fd);
}
END_TEST

static void
on_timer(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	struct rec *r = data;

	if (r->calls < (int)TI_ARRAY_SIZE(r->when_ms))
		r->when_ms[r->calls] = ti_now_ms();
	r->calls++;
	r->data = t;
	if (r->quit_after && r->calls == r->quit_after)
		ti_loop_quit(loop, r->quit_code);
}

START_TEST(test_timer_oneshot)
{
	struct ti_loop *loop = ti_loop_new();
	struct rec r = { .quit_after = 1, .quit_code = 7 };
	struct ti_timer *t = ti_timer_new(loop, on_timer, &r);
	uint64_t start;

	ck_assert_ptr_nonnull(t);
	/* Disarmed when new. */
	ck_assert_int_eq(ti_loop_run_once(loop, 30), 0);
	ck_assert_int_eq(r.calls, 0);

	start = ti_now_ms();
	ck_assert_int_eq(ti_timer_set(t, 50, 0), 0);
	ck_assert_int_eq(ti_loop_run(loop), 7);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_ptr_eq(r.data, t);
	ck_assert_uint_ge(r.when_ms[0], start + 50);
	ck_assert_uint_lt(r.when_ms[0], start + 1000);
	/* One-shot: nothing more. */
	ck_assert_int_eq(ti_loop_run_once(loop, 100), 0);
	ck_assert_int_eq(r.calls, 1);

	/* Re-arm the same timer. */
	r.quit_after = 2;
	r.quit_code = 8;
	ck_assert_int_eq(ti_timer_set(t, 1, 0), 0);
	ck_assert_int_eq(ti_loop_run(loop), 8);
	ck_assert_int_eq(r.calls, 2);

	ti_timer_free(t);
	ti_loop_free(loop);
}
END_TEST

START_TEST(test_timer_periodic)
{
	struct ti_loop *loop = ti_loop_new();
	struct rec r = { .quit_after = 4, .quit_code = 4 };
	struct ti_timer *t = ti_timer_new(loop, on_timer, &r);
	uint64_t start = ti_now_ms();

	ck_assert_int_eq(ti_timer_set(t, 10, 20), 0);
	ck_assert_int_eq(ti_loop_run(loop), 4);
	ck_assert_int_eq(r.calls, 4);
	ck_assert_uint_ge(r.when_ms[0], start + 10);
	/* First after 10 ms, then every 20 ms: 10, 30, 50, 70. */
	ck_assert_uint_ge(r.when_ms[3], start + 70);
	for (int i = 1; i < 4; i++)
		ck_assert_uint_ge(r.when_ms[i], r.when_ms[i - 1] + 10);

	/* delay 0 disarms. */
	ck_assert_int_eq(ti_timer_set(t, 0, 20), 0);
	ck_assert_int_eq(ti_loop_run_once(loop, 60), 0);
	ck_assert_int_eq(r.calls, 4);

	/* Long delays (seconds plus milliseconds) are accepted. */
	ck_assert_int_eq(ti_timer_set(t, 86400 * 1000 + 999, 3600 * 1000 + 1), 0);
	ti_timer_free(t);
	ti_loop_free(loop);
}
END_TEST

START_TEST(test_timer_disarm_before_dispatch)
{
	struct ti_loop *loop = ti_loop_new();
	struct rec r = { 0 };
	struct ti_timer *t = ti_timer_new(loop, on_timer, &r);
	struct timespec ts = { .tv_nsec = 30 * 1000000 };

	ck_assert_int_eq(ti_timer_set(t, 5, 0), 0);
	nanosleep(&ts, NULL);
	/* Expired but disarmed before the loop looked: no call. */
	ck_assert_int_eq(ti_timer_set(t, 0, 0), 0);
	ck_assert_int_eq(ti_loop_run_once(loop, 30), 0);
	ck_assert_int_eq(r.calls, 0);
	ti_timer_free(t);
	ti_loop_free(loop);
}
END_TEST

static void
on_timer_free_self(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	struct rec *r = data;

	r->calls++;
	ck_assert_ptr_eq(t, r->self);
	ti_timer_free(t);
	r->self = NULL;
}

START_TEST(test_timer_free_self)
{
	struct ti_loop *loop = ti_loop_new();
	struct rec r = { 0 }, stop = { .quit_after = 1, .quit_code = 3 };
	struct ti_timer *end = ti_timer_new(loop, on_timer, &stop);
	size_t before;

	r.self = ti_timer_new(loop, on_timer_free_self, &r);
	ck_assert_ptr_nonnull(r.self);
	before = count_fds();
	/* Periodic, so it would fire again if it were not freed. */
	ck_assert_int_eq(ti_timer_set(r.self, 5, 5), 0);
	ck_assert_int_eq(ti_timer_set(end, 100, 0), 0);
	ck_assert_int_eq(ti_loop_run(loop), 3);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_ptr_null(r.self);
	/* Its timerfd is closed once the round ends. */
	ck_assert_uint_eq(count_fds(), before - 1);

	ti_timer_free(end);
	ck_assert_uint_eq(count_fds(), before - 2);
	ti_loop_free(loop);
}
END_TEST

/* Two timers expire in one round; the first to run frees the other. */
static void
on_timer_free_other(struct ti_loop *loop, struct ti_timer *t, void *data)
{
	struct rec *r = data;

	r->calls++;
	ti_timer_free(r->other);
	r->other = NULL;
}

START_TEST(test_timer_free_other)
{
	struct ti_loop *loop = ti_loop_new();
	struct rec ra = { 0 }, rb = { 0 };
	struct ti_timer *a = ti_timer_new(loop, on_timer_free_other, &ra);
	struct ti_timer *b = ti_timer_new(loop, on_timer_free_other, &rb);
	struct timespec ts = { .tv_nsec = 30 * 1000000 };

	ra.other = b;
	rb.other = a;
	ck_assert_int_eq(ti_timer_set(a, 1, 5), 0);
	ck_assert_int_eq(ti_timer_set(b, 1, 5), 0);
	nanosleep(&ts, NULL);
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(ra.calls + rb.calls, 1);
	/* The survivor keeps firing; the freed one never runs. */
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(ra.calls + rb.calls, 2);
	ck_assert_int_eq(ra.calls == 2 || rb.calls == 2, 1);
	ck_assert_int_eq(ti_timer_set(ra.calls ? a : b, 0, 0), 0);
	ti_timer_free(ra.calls ? a : b);
	ti_loop_free(loop);
}
END_TEST

START_TEST(test_quit_code)
{
	struct ti_loop *loop = ti_loop_new();
	struct rec r = { .quit_after = 2, .quit_code = -5 };
	int p[2];

	make_pipe(p);
	ck_assert_int_eq(ti_loop_add_fd(loop, p[0], EPOLLIN, on_fd, &r), 0);
	/* Two writes in separate rounds: the loop runs until the second. */
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(ti_loop_run(loop), -5);
	ck_assert_int_eq(r.calls, 2);

	/* A second run starts afresh and returns the next code. */
	r.quit_after = 3;
	r.quit_code = 0;
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(ti_loop_run(loop), 0);
	ck_assert_int_eq(r.calls, 3);

	ti_loop_free(loop);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* Quitting takes effect after the round: other ready fds still run. */
START_TEST(test_quit_finishes_round)
{
	struct ti_loop *loop = ti_loop_new();
	struct rec a = { .quit_after = 1, .quit_code = 1 };
	struct rec b = { .quit_after = 1, .quit_code = 2 };
	int pa[2], pb[2];
	int code;

	make_pipe(pa);
	make_pipe(pb);
	ck_assert_int_eq(ti_loop_add_fd(loop, pa[0], EPOLLIN, on_fd, &a), 0);
	ck_assert_int_eq(ti_loop_add_fd(loop, pb[0], EPOLLIN, on_fd, &b), 0);
	ck_assert_int_eq(write(pa[1], "x", 1), 1);
	ck_assert_int_eq(write(pb[1], "x", 1), 1);
	code = ti_loop_run(loop);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(b.calls, 1);
	/* The last quit in the round wins. */
	ck_assert(code == 1 || code == 2);

	ti_loop_free(loop);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
}
END_TEST

static void
on_signal(struct ti_loop *loop, int signo, void *data)
{
	struct rec *r = data;

	if (r->calls < (int)TI_ARRAY_SIZE(r->signos))
		r->signos[r->calls] = signo;
	r->calls++;
	if (r->quit_after && r->calls == r->quit_after)
		ti_loop_quit(loop, r->quit_code);
}

static int
blocked(int signo)
{
	sigset_t cur;

	ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
	return sigismember(&cur, signo);
}

START_TEST(test_signals)
{
	static const int signos[] = { SIGUSR1, SIGUSR2, SIGHUP };
	struct ti_loop *loop = ti_loop_new();
	struct rec r = { .quit_after = 2, .quit_code = 9 };
	int got1, got2;

	ck_assert_int_eq(blocked(SIGUSR1), 0);
	ck_assert_int_eq(ti_loop_set_signals(loop, signos, 3, on_signal, &r), 0);
	ck_assert_int_eq(blocked(SIGUSR1), 1);
	ck_assert_int_eq(blocked(SIGUSR2), 1);
	ck_assert_int_eq(blocked(SIGHUP), 1);
	ck_assert_int_eq(ti_loop_set_signals(loop, signos, 1, on_signal, &r), -EEXIST);

	/* Blocked, so raise() only queues them for the signalfd. */
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_eq(raise(SIGUSR2), 0);
	ck_assert_int_eq(ti_loop_run(loop), 9);
	ck_assert_int_eq(r.calls, 2);
	got1 = r.signos[0] == SIGUSR1 || r.signos[1] == SIGUSR1;
	got2 = r.signos[0] == SIGUSR2 || r.signos[1] == SIGUSR2;
	ck_assert(got1 && got2);

	/* Standard signals do not queue: two SIGHUPs before a read are one. */
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(r.calls, 3);
	ck_assert_int_eq(r.signos[2], SIGHUP);

	/* Freeing the loop leaves them blocked: a pending one must not kill us. */
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ti_loop_free(loop);
	ck_assert_int_eq(blocked(SIGUSR1), 1);
	ck_assert_int_eq(blocked(SIGUSR2), 1);
	ck_assert_int_eq(blocked(SIGHUP), 1);
}
END_TEST

/* A signal, a timer and an fd, all ready at once, each dispatched in one round. */
START_TEST(test_mixed_round)
{
	static const int signos[] = { SIGUSR1 };
	struct ti_loop *loop = ti_loop_new();
	struct rec rs = { 0 }, rt = { 0 }, rf = { 0 };
	struct ti_timer *t = ti_timer_new(loop, on_timer, &rt);
	struct timespec ts = { .tv_nsec = 20 * 1000000 };
	int p[2];

	make_pipe(p);
	ck_assert_int_eq(ti_loop_set_signals(loop, signos, 1, on_signal, &rs), 0);
	ck_assert_int_eq(ti_loop_add_fd(loop, p[0], EPOLLIN, on_fd, &rf), 0);
	ck_assert_int_eq(ti_timer_set(t, 1, 0), 0);
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	nanosleep(&ts, NULL);
	ck_assert_int_eq(ti_loop_run_once(loop, 1000), 0);
	ck_assert_int_eq(rs.calls, 1);
	ck_assert_int_eq(rs.signos[0], SIGUSR1);
	ck_assert_int_eq(rt.calls, 1);
	ck_assert_int_eq(rf.calls, 1);

	ti_loop_free(loop);
	close(p[0]);
	close(p[1]);
}
END_TEST

Suite *
loop_suite(void)
{
	Suite *s = suite_create("ti_loop");
	TCase *tc;

	tc = tcase_create("fd");
	tcase_add_test(tc, test_new_free);
	tcase_add_test(tc, test_fd_pipe);
	tcase_add_test(tc, test_fd_eventfd_and_mod);
	tcase_add_test(tc, test_fd_errors);
	tcase_add_test(tc, test_del_self);
	tcase_add_test(tc, test_del_other);
	tcase_add_test(tc, test_del_reuse_number);
	suite_add_tcase(s, tc);

	tc = tcase_create("timer");
	tcase_add_test(tc, test_timer_oneshot);
	tcase_add_test(tc, test_timer_periodic);
	tcase_add_test(tc, test_timer_disarm_before_dispatch);
	tcase_add_test(tc, test_timer_free_self);
	tcase_add_test(tc, test_timer_free_other);
	suite_add_tcase(s, tc);

	tc = tcase_create("run");
	tcase_add_test(tc, test_quit_code);
	tcase_add_test(tc, test_quit_finishes_round);
	tcase_add_test(tc, test_signals);
	tcase_add_test(tc, test_mixed_round);
	suite_add_tcase(s, tc);
	return s;
}
