/* SPDX-License-Identifier: MIT */
/* proc: run a child with an exact environment in its own process group */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* the child's process group, for the signal forwarder */
static volatile sig_atomic_t child_pgid;

static void
forward(int sig)
{
	if (child_pgid > 0)
		kill(-(pid_t)child_pgid, sig);
}

/* returns a new string: argv0 found on the PATH of env, or NULL */
static char *
lookup(const char *argv0, char *const env[])
{
	const char *path = DEFAULT_PATH, *p, *q;
	struct stat st;
	size_t i;

	if (strchr(argv0, '/'))
		return xstrdup(argv0);
	for (i = 0; env && env[i]; i++)
		if (startswith(env[i], "PATH="))
			path = env[i] + 5;
	for (p = path; ; p = q + 1) {
		q = strchr(p, ':');
		if (!q)
			q = p + strlen(p);
		char *cand = q > p ? xasprintf("%.*s/%s", (int)(q - p), p, argv0) : xasprintf("./%s", argv0);

		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!*q)
			return NULL;
	}
}

/* in the child: only async-signal-safe calls from here on */
static void
child(const char *exe, char *const argv[], char *const env[], const char *cwd, int logfd)
{
	int null;
	static const char msg[] = "pkgtool: cannot run the command (chdir or exec failed)\n";
	struct sigaction sa;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	null = open("/dev/null", O_RDONLY);
	if (null >= 0 && null != 0) {
		dup2(null, 0);
		close(null);
	}
	if (logfd >= 0) {
		dup2(logfd, 1);
		dup2(logfd, 2);
		if (logfd > 2)
			close(logfd);
	}
	if ((!cwd || chdir(cwd) == 0))
		execve(exe, argv, env);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

int
proc_run(char *const argv[], char *const env[], const char *cwd, const char *logpath)
{
	struct sigaction sa, oldint, oldterm;
	sigset_t block, old;
	char *exe;
	int logfd = -1, status = -1;
	pid_t pid;

	exe = lookup(argv[0], env);
	if (!exe)
		return fail("%s: command not found", argv[0]);
	if (logpath) {
		logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (logfd < 0) {
			free(exe);
			return fail("open %s:", logpath);
		}
	}
	fflush(NULL);
	/* hold SIGINT/SIGTERM until the forwarder knows the child */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &oldint);
	sigaction(SIGTERM, &sa, &oldterm);
	pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		child(exe, argv, env, cwd, logfd);
	}
	if (pid < 0) {
		fail("fork:");
		goto out;
	}
	/* both sides set the group, so neither can lose the race */
	setpgid(pid, pid);
	child_pgid = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno == EINTR)
			continue;
		fail("wait for %s:", argv[0]);
		status = -1;
		break;
	}
	child_pgid = 0;
out:
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGINT, &oldint, NULL);
	sigaction(SIGTERM, &oldterm, NULL);
	if (logfd >= 0)
		close(logfd);
	free(exe);
	return pid < 0 ? -1 : status;
}

void
proc_log_tail(const char *path, int n)
{
	struct buf b = BUF_INIT;
	size_t end, start;
	int lines = 0;

	if (fs_read(path, &b) < 0 || b.len == 0) {
		buf_release(&b);
		return;
	}
	end = b.len;
	if (b.s[end - 1] == '\n')
		end--;
	/* walk back over n line breaks */
	for (start = end; start > 0; start--) {
		if (b.s[start - 1] == '\n' && ++lines == n)
			break;
	}
	while (start < end) {
		char *nl = memchr(b.s + start, '\n', end - start);
		size_t len = nl ? (size_t)(nl - (b.s + start)) : end - start;

		fprintf(stderr, "  %.*s\n", (int)len, b.s + start);
		start += len + 1;
	}
	buf_release(&b);
}

char *
proc_status_str(int status)
{
	if (status < 0)
		return xstrdup("not run");
	if (WIFEXITED(status))
		return xasprintf("exit %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return xasprintf("signal %d", WTERMSIG(status));
	return xasprintf("status %#x", status);
}
