/* SPDX-License-Identifier: MIT */
/* proc: run a child with an exact environment in its own process group */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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

/*
 * posix_spawn rather than fork: glibc starts the child with vfork semantics,
 * so pkgtool's page tables are neither copied nor write-protected (a fork
 * costs the parent a page fault on every page it writes afterwards), and an
 * exec or chdir failure comes back as an error here instead of as exit 127.
 */
static int
spawn(const char *exe, char *const argv[], char *const env[], const char *cwd,
    const char *logpath, int quiet)
{
	struct sigaction sa, oldint, oldterm;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t block, old, dfl;
	int logfd = -1, status = -1, e;
	pid_t pid = -1;

	if (logpath) {
		logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (logfd < 0)
			return fail("open %s:", logpath);
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (logfd >= 0) {
		/* dup2 clears the close-on-exec flag of the copies */
		posix_spawn_file_actions_adddup2(&fa, logfd, 1);
		posix_spawn_file_actions_adddup2(&fa, logfd, 2);
	}
	if (cwd)
		posix_spawn_file_actions_addchdir_np(&fa, cwd);
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
	/* the child: its own process group, default dispositions, our old mask */
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETSIGMASK);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setsigmask(&at, &old);
	e = posix_spawn(&pid, exe, &fa, &at, argv, env);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
		errno = e;
		if (!quiet)
			fail("run %s%s%s:", exe, cwd ? " in " : "", cwd ? cwd : "");
		pid = -1;
		goto out;
	}
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
	return pid >= 0 ? status : quiet ? PROC_NOTRUN : -1;
}

int
proc_run(char *const argv[], char *const env[], const char *cwd, const char *logpath)
{
	char *exe = lookup(argv[0], env);
	int st;

	if (!exe)
		return fail("%s: command not found", argv[0]);
	st = spawn(exe, argv, env, cwd, logpath, 0);
	free(exe);
	return st;
}

int
proc_try(const char *exe, char *const argv[], char *const env[], const char *cwd,
    const char *logpath)
{
	return spawn(exe, argv, env, cwd, logpath, 1);
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
