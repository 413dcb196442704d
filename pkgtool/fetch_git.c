/* SPDX-License-Identifier: MIT */
/* fetch_git: a git source at its pinned commit, as a deterministic tarball in the store */
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
#include "fetch.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

extern char **environ;

/* the file name of a commit's tarball in a mirror (a static buffer) */
static const char *
commit_tar_name(const char *commit)
{
	static char name[64];

	snprintf(name, sizeof(name), "%.40s.tar", commit);
	return name;
}

/* a git fetch in progress: a scratch directory under STORE/tmp */
struct gitwork {
	char *dir, *home, *repo, *logp;
	int log;		/* git's stderr goes here */
};

/* git, without a shell, with an environment that ignores the user's and the
 * system's git configuration; stdout to out (or the log), stderr to the log.
 * Returns the wait status, or -1 after a message */
static int
git(struct gitwork *w, int out, const char *const *args)
{
	static const char *const pass[] = {
		"PATH", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
		"all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY", "SSH_AUTH_SOCK",
		"SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_SSL_CAINFO",
	};
	char *env[LEN(pass) + 8], *argv[16];
	posix_spawn_file_actions_t fa;
	size_t i, n = 0;
	pid_t pid;
	int st, e;

	for (i = 0; i < LEN(pass); i++)
		if (getenv(pass[i]))
			env[n++] = xasprintf("%s=%s", pass[i], getenv(pass[i]));
	if (!getenv("PATH"))
		env[n++] = xstrdup("PATH=/usr/local/bin:/usr/bin:/bin");
	env[n++] = xasprintf("HOME=%s", w->home);
	env[n++] = xstrdup("GIT_CONFIG_NOSYSTEM=1");
	env[n++] = xstrdup("GIT_TERMINAL_PROMPT=0");
	env[n++] = xstrdup("GIT_SSH_COMMAND=ssh -o BatchMode=yes");
	env[n++] = xstrdup("LC_ALL=C");
	env[n] = NULL;
	argv[0] = (char *)"git";
	for (i = 0; args[i] && i + 2 < LEN(argv); i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out >= 0 ? out : w->log, 1);
	posix_spawn_file_actions_adddup2(&fa, w->log, 2);
	e = posix_spawnp(&pid, "git", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	for (i = 0; i < n; i++)
		free(env[i]);
	if (e) {
		errno = e;
		return fail("run git (is the Debian package git installed?):");
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return fail("waitpid git:");
	return st;
}

/* empty git's log before a new step */
static int
log_reset(struct gitwork *w)
{
	if (ftruncate(w->log, 0) < 0 || lseek(w->log, 0, SEEK_SET) < 0)
		return fail("truncate %s:", w->logp);
	return 0;
}

/* append the end of git's log to b, one indented line per line */
static void
log_tail(struct gitwork *w, struct buf *b)
{
	struct buf l = BUF_INIT;
	const char *s;

	if (fs_read(w->logp, &l) == 0) {
		while (l.len && (l.s[l.len - 1] == '\n' || l.s[l.len - 1] == ' '))
			l.s[--l.len] = '\0';
		if (l.len) {
			s = l.s + (l.len > 2000 ? l.len - 2000 : 0);
			buf_puts(b, "; git said:");
			for (; *s; s++) {
				if (*s == '\n')
					continue;
				if (s == l.s || s[-1] == '\n')
					buf_puts(b, "\n    ");
				buf_putc(b, *s);
			}
		}
	}
	buf_release(&l);
}

static int
is_local(const char *url)
{
	return url[0] == '/' || startswith(url, "file://");
}

/* fetch the commit from url into the bare repo; 0, or -1 with the reason in
 * why (or with why empty after a message) */
static int
git_fetch(struct gitwork *w, const char *url, const char *commit, struct buf *why)
{
	char *obj = xasprintf("%s^{commit}", commit);
	const char *shallow[] = {"-C", w->repo, "fetch", "-q", "--depth", "1", url, commit,
	    NULL};
	const char *full[] = {"-C", w->repo, "fetch", "-q", url,
	    "+refs/heads/*:refs/fetched/heads/*", "+refs/tags/*:refs/fetched/tags/*", NULL};
	const char *check[] = {"-C", w->repo, "cat-file", "-e", obj, NULL};
	int st, ret = -1;

	if (fetch_offline() && !is_local(url)) {
		buf_puts(why, "network use is forbidden by PKGTOOL_OFFLINE=1");
		goto out;
	}
	if (log_reset(w) < 0)
		goto out;
	/* a server may refuse a fetch by commit id: then fetch every branch and tag */
	if ((st = git(w, -1, shallow)) < 0 || (st != 0 && (st = git(w, -1, full)) < 0))
		goto out;
	if (st != 0) {
		buf_puts(why, "git fetch failed");
		log_tail(w, why);
		goto out;
	}
	if ((st = git(w, -1, check)) < 0)
		goto out;
	if (st != 0) {
		buf_printf(why, "commit %s is not in this repository", commit);
		goto out;
	}
	ret = 0;
out:
	free(obj);
	return ret;
}

/* write `git archive` of the fetched commit to dest, through a temp file;
 * the tarball is the same bytes every time for a commit */
static int
git_archive(struct source *src, struct gitwork *w, const char *commit)
{
	const char *argv[] = {"-C", w->repo, "archive", "--format=tar", "--prefix=src/",
	    commit, NULL};
	struct buf why = BUF_INIT;
	char *tmp;
	int fd, st, ret = -1;

	tmp = xasprintf("%s/tmp/git-%.12s-XXXXXX.tar", src->store, commit);
	if ((fd = mkostemps(tmp, 4, O_CLOEXEC)) < 0) {
		ret = fail("create a temp file %s:", tmp);
		free(tmp);
		return ret;
	}
	fetch_tmp_track(tmp);
	if (log_reset(w) < 0 || (st = git(w, fd, argv)) < 0)
		goto out;
	if (st != 0) {
		log_tail(w, &why);
		fail("git archive %s failed (%s)%s", commit, src->who, buf_str(&why));
		goto out;
	}
	if (fchmod(fd, 0644) < 0 || (fs_durable() && fsync(fd) < 0)) {
		fail("write %s:", tmp);
		goto out;
	}
	if (rename(tmp, src->dest) < 0) {
		fail("rename %s to %s:", tmp, src->dest);
		goto out;
	}
	if (fs_durable())
		fs_sync_parent(src->dest);
	ret = 0;
out:
	close(fd);
	if (ret < 0)
		unlink(tmp);
	fetch_tmp_track(NULL);
	buf_release(&why);
	free(tmp);
	return ret;
}

/* git: fetch the pinned commit into a bare repository under STORE/tmp, then
 * store its `git archive` */
int
fetch_gitsrc(struct source *src)
{
	struct gitwork w = {NULL, NULL, NULL, NULL, -1};
	struct buf fails = BUF_INIT, why = BUF_INIT;
	const char *commit = src->key + 4, *init[] = {"init", "-q", "--bare", NULL, NULL};
	char **urls = NULL;
	int st, blocked = 0, ret = -1;
	size_t j;

	w.dir = xasprintf("%s/tmp/git-%.12s-XXXXXX", src->store, commit);
	if (!mkdtemp(w.dir)) {
		ret = fail("create a temp directory %s:", w.dir);
		free(w.dir);
		return ret;
	}
	w.home = xasprintf("%s/home", w.dir);
	w.repo = xasprintf("%s/repo.git", w.dir);
	w.logp = xasprintf("%s/git.log", w.dir);
	if (mkdir(w.home, 0700) < 0) {
		fail("mkdir %s:", w.home);
		goto out;
	}
	if ((w.log = open(w.logp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		fail("create %s:", w.logp);
		goto out;
	}
	init[3] = w.repo;
	if ((st = git(&w, -1, init)) < 0)
		goto out;
	if (st != 0) {
		log_tail(&w, &why);
		fail("git init %s failed%s", w.repo, buf_str(&why));
		goto out;
	}
	if (!(urls = mirror_expand(src->giturl)))
		goto out;
	for (j = 0; urls[j]; j++) {
		buf_reset(&why);
		if (git_fetch(&w, urls[j], commit, &why) == 0)
			break;
		if (!why.len)
			goto out;
		if (fetch_offline() && !is_local(urls[j]))
			blocked = 1;
		buf_printf(&fails, "\n  %s: %s", urls[j], why.s);
	}
	if (!urls[j]) {
		/* last, a mirror made by `pkgtool mirror`: BASE/git/COMMIT.tar */
		char **hashed = mirror_hashed("git", commit_tar_name(commit));
		size_t k;
		int mismatch;

		for (k = 0; hashed[k]; k++) {
			buf_reset(&why);
			mismatch = 0;
			if (fetch_try_url(src, hashed[k], &why, &mismatch) == 0) {
				mirror_free(hashed);
				ret = 0;
				goto out;
			}
			if (!why.len)
				break;
			buf_printf(&fails, "\n  %s: %s (mirror hashed)", hashed[k], why.s);
		}
		mirror_free(hashed);
		fail("cannot fetch commit %s for %s (dest %s):%s%s", commit, src->who,
		    src->dest, buf_str(&fails),
		    blocked ? "\n  offline: run `ninja fetch` while online, or use a local "
		    "clone (a path or file:// URL)" : "");
		goto out;
	}
	ret = git_archive(src, &w, commit);
out:
	if (w.log >= 0)
		close(w.log);
	fs_rmtree(w.dir);
	mirror_free(urls);
	buf_release(&fails);
	buf_release(&why);
	free(w.logp);
	free(w.repo);
	free(w.home);
	free(w.dir);
	return ret;
}
