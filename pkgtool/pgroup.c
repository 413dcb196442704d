/* SPDX-License-Identifier: MIT */
/* pgroup: lifecycle snippets in process groups of their own: run one to
 * completion with a time limit, start one in the background, and find out
 * whether a recorded group still lives, or end it */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pkgtool.h"
#include "util.h"

/* set by SIGINT/SIGTERM/SIGHUP once life_signals ran: a step gives up, and
 * takes down the process group it started, instead of leaving it behind */
static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	interrupted = sig;
}

void
life_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < LEN(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

int
life_interrupted(void)
{
	return interrupted;
}

double
life_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
life_sleep(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);	/* a signal cuts it short; callers check interrupted */
}

/*
 * Process groups. A recorded group is alive while one of its members is not a
 * zombie: this machine's init may never reap orphans, and a zombie still
 * answers kill(-pgid, 0). The leader's start time (field 22 of
 * /proc/PID/stat) tells our group from a later one that reuses its id.
 */
static int
proc_stat(const char *pid, char *state, long *pgrp, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: skip to the last ')' */
	if (!(p = strrchr(buf, ')')) || p[1] != ' ')
		return -1;
	p += 2;
	*state = *p;
	for (i = 3; i < 22 && p; i++) {
		if (i == 5)
			*pgrp = strtol(p, NULL, 10);
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	*start = strtoull(p, NULL, 10);
	return 0;
}

unsigned long long
pg_starttime(pid_t pid)
{
	char s[32], state;
	long pgrp;
	unsigned long long start = 0;

	snprintf(s, sizeof(s), "%ld", (long)pid);
	if (proc_stat(s, &state, &pgrp, &start) < 0)
		return 0;
	return start;
}

int
pg_alive(pid_t pgid, unsigned long long starttime)
{
	struct dirent *de;
	unsigned long long st;
	long pgrp;
	char state;
	int alive = 0;
	DIR *d;

	if (pgid <= 1)
		return 0;
	if (kill(-pgid, 0) < 0 && errno == ESRCH)
		return 0;
	if (!(d = opendir("/proc")))
		return 1;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (proc_stat(de->d_name, &state, &pgrp, &st) < 0 || pgrp != (long)pgid)
			continue;
		if (strtol(de->d_name, NULL, 10) == (long)pgid && starttime && st != starttime) {
			alive = 0;	/* the id now names somebody else's group */
			break;
		}
		if (state != 'Z' && state != 'X')
			alive = 1;
	}
	closedir(d);
	return alive;
}

int
pg_wait(pid_t pgid, unsigned long long starttime, double secs)
{
	double end = life_now() + secs;

	for (;;) {
		if (!pg_alive(pgid, starttime))
			return 1;
		if (life_now() >= end)
			return 0;
		life_sleep(0.05);
	}
}

int
pg_kill(pid_t pgid, unsigned long long starttime, double grace)
{
	if (!pg_alive(pgid, starttime))
		return 0;
	kill(-pgid, SIGTERM);
	kill(-pgid, SIGCONT);	/* a stopped process acts on SIGTERM only once continued */
	if (pg_wait(pgid, starttime, grace))
		return 0;
	kill(-pgid, SIGKILL);
	if (pg_wait(pgid, starttime, 10))
		return 0;
	return fail("process group %ld survived SIGKILL", (long)pgid);
}

/* the highest fd a child closes up to (computed before fork) */
static int
max_fd(void)
{
	long n = sysconf(_SC_OPEN_MAX);

	return n < 0 || n > 65536 ? 65536 : (int)n;
}

/* close every fd from 3 on but keep, with close_range(2) where the kernel
 * has it (one call instead of one per possible fd); 0 or -1 */
static int
close_above(int keep)
{
#ifdef SYS_close_range
	if (keep < 3)
		return syscall(SYS_close_range, 3u, ~0u, 0u) == 0 ? 0 : -1;
	if (keep > 3 && syscall(SYS_close_range, 3u, (unsigned)keep - 1, 0u) < 0)
		return -1;
	return syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u) == 0 ? 0 : -1;
#else
	(void)keep;
	return -1;
#endif
}

/* in the child: only async-signal-safe calls from here on */
static void
child(struct entry *e, const char *snippet, int outfd, int keep, int maxfd)
{
	static const char msg[] = "pkgtool: cannot run /bin/sh in the run directory\n";
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD, SIGQUIT};
	struct sigaction sa;
	sigset_t none;
	size_t i;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < LEN(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	if (outfd < 0)
		outfd = open("/dev/null", O_WRONLY);
	if (outfd >= 0) {
		dup2(outfd, 1);
		dup2(outfd, 2);
	}
	/* nothing else leaks: a service keeping ninja's pipe would hang ninja */
	if (close_above(keep) < 0)
		for (fd = 3; fd < maxfd; fd++)
			if (fd != keep)
				close(fd);
	if (chdir(e->rundir) == 0)
		execle("/bin/sh", "sh", "-c", snippet, (char *)NULL, e->env);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

static int
open_log(const char *log)
{
	int fd;

	if (!log)
		return -1;
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail("open %s:", log), -2;
	return fd;
}

int
life_run(struct entry *e, const char *snippet, const char *log, double timeout, int *timed_out)
{
	double start = life_now(), delay = 0.001;
	int fd, status = -1, maxfd = max_fd(), done = 0;
	pid_t pid, r;

	*timed_out = 0;
	if ((fd = open_log(log)) == -2)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		child(e, snippet, fd, -1, maxfd);
	}
	if (fd >= 0)
		close(fd);
	if (pid < 0)
		return fail("fork:");
	setpgid(pid, pid);
	while (!done) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			fail("wait:");
			status = -1;
			break;
		}
		if (interrupted || (timeout > 0 && life_now() - start > timeout)) {
			*timed_out = !interrupted;
			pg_kill(pid, 0, 2);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			done = 1;
			break;
		}
		life_sleep(delay);
		if (delay < 0.05)
			delay *= 2;
	}
	/* a foreground snippet leaves nothing running behind it */
	if (!done && pg_alive(pid, 0))
		pg_kill(pid, 0, 1);
	if (interrupted)
		return fail("interrupted by signal %d", (int)interrupted);
	return status;
}

pid_t
life_spawn(struct entry *e, const char *snippet, const char *log)
{
	int fd, p[2], maxfd = max_fd();
	ssize_t n;
	char c;
	pid_t pid;

	if ((fd = open_log(log)) == -2)
		return -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		if (fd >= 0)
			close(fd);
		return fail("pipe:");
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		/* a new session: no terminal's signals, its own process group */
		setsid();
		child(e, snippet, fd, p[1], maxfd);
	}
	if (fd >= 0)
		close(fd);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return fail("fork:");
	}
	/* the pipe closes at exec, after setsid: then the group exists */
	while ((n = read(p[0], &c, 1)) < 0 && errno == EINTR)
		;
	close(p[0]);
	return pid;
}
