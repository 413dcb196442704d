/* SPDX-License-Identifier: MIT */
/* fs: atomic writes, write-if-changed, directories, locks */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h>
#endif

#include "buf.h"
#include "fs.h"
#include "util.h"

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fs_durable(void)
{
	static int v = -1;

	if (v < 0) {
		const char *e = getenv("PKGTOOL_FSYNC");

		v = e && *e && strcmp(e, "0") != 0;
	}
	return v;
}

int
fs_sync_parent(const char *path)
{
	char *dir = fs_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	free(dir);
	if (fd < 0)
		return -1;
	fsync(fd);
	close(fd);
	return 0;
}

int
fs_write_atomic(const char *path, const void *data, size_t len)
{
	return fs_write_atomic_flags(path, data, len, FS_SYNC);
}

/* getpid(), asked of the kernel once per process (a temp file's name needs
 * it for every file written) */
static atomic_int pid;
static pthread_once_t pid_once = PTHREAD_ONCE_INIT;

static void
forget_pid(void)
{
	pid = 0;
}

static void
watch_forks(void)
{
	pthread_atfork(NULL, NULL, forget_pid);
}

static pid_t
mypid(void)
{
	pid_t p;

	pthread_once(&pid_once, watch_forks);
	if (!(p = pid))
		pid = p = getpid();
	return p;
}

int
fs_write_new(const char *path, const void *data, size_t len)
{
	return fs_write_new_at(AT_FDCWD, path, path, data, len);
}

int
fs_write_new_at(int dirfd, const char *rel, const char *shown, const void *data, size_t len)
{
	int fd = openat(dirfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return fail("create %s:", shown);
	if (write_all(fd, data, len) < 0) {
		fail("write %s:", shown);
		close(fd);
		unlinkat(dirfd, rel, 0);
		return -1;
	}
	if (close(fd) < 0) {
		fail("close %s:", shown);
		unlinkat(dirfd, rel, 0);
		return -1;
	}
	return 0;
}

int
fs_write_atomic_flags(const char *path, const void *data, size_t len, int flags)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)mypid());
	int fd, ret = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fail("create %s:", tmp);
		goto out;
	}
	if (write_all(fd, data, len) < 0 || ((flags & FS_SYNC) && fsync(fd) < 0)) {
		fail("write %s:", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0) {
		fail("close %s:", tmp);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		fail("rename %s to %s:", tmp, path);
		unlink(tmp);
		goto out;
	}
	if (flags & FS_SYNC)
		fs_sync_parent(path);
	ret = 0;
out:
	free(tmp);
	return ret;
}

int
fs_write_if_changed(const char *path, const void *data, size_t len)
{
	return fs_write_if_changed_flags(path, data, len, FS_SYNC);
}

int
fs_write_if_changed_flags(const char *path, const void *data, size_t len, int flags)
{
	struct buf old = BUF_INIT;
	int same;

	same = fs_read(path, &old) == 0 && old.len == len && memcmp(old.s, data, len) == 0;
	buf_release(&old);
	if (same)
		return 0;
	return fs_write_atomic_flags(path, data, len, flags) < 0 ? -1 : 1;
}

int
fs_read(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), reg = 0;
	size_t room;
	ssize_t n;
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		reg = 1;
		buf_grow(b, (size_t)st.st_size + 1);
	}
	for (;;) {
		if (!b->cap || b->cap - b->len - 1 == 0)
			buf_grow(b, 4096);
		room = b->cap - b->len - 1;
		n = read(fd, b->s + b->len, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			b->s[b->len] = '\0';
			return -1;
		}
		b->len += (size_t)n;
		/* a regular file gives less than asked for only at its end, which
		 * saves the read that would return 0 */
		if (n == 0 || (reg && (size_t)n < room))
			break;
	}
	close(fd);
	b->s[b->len] = '\0';
	return 0;
}

int
fs_mkdirs(const char *path, mode_t mode)
{
	char *p = xstrdup(path), *s;
	int ret = 0;

	if (!*p) {
		free(p);
		return fail("mkdir: empty path");
	}
	/* the common cases first: it exists, or only its last part is missing */
	if (fs_isdir(p) || (mkdir(p, mode) == 0) || (errno == EEXIST && fs_isdir(p))) {
		free(p);
		return 0;
	}
	if (errno != ENOENT) {
		ret = fail("mkdir %s:", p);
		free(p);
		return ret;
	}
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			ret = fail("mkdir %s:", p);
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	if (ret == 0 && !fs_isdir(path))
		ret = fail("mkdir %s: exists and is not a directory", path);
	free(p);
	return ret;
}

int
fs_mkparent(const char *path)
{
	char *dir = fs_dirname(path);
	int ret = fs_mkdirs(dir, 0755);

	free(dir);
	return ret;
}

static int
rmtree_at(int dirfd, const char *name)
{
	struct stat st;
	int fd, ret = 0;
	DIR *d;
	struct dirent *e;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		/* a directory we cannot read: make it readable once */
		if (fchmodat(dirfd, name, 0700, 0) < 0)
			return -1;
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -1;
	}
	fchmod(fd, st.st_mode | 0700);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (rmtree_at(fd, e->d_name) < 0)
			ret = -1;
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		ret = -1;
	return ret;
}

int
fs_rmtree(const char *path)
{
	if (rmtree_at(AT_FDCWD, path) < 0)
		return fail("remove %s:", path);
	return 0;
}

int
fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int
fs_isdir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
fs_lock(const char *path, int how)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	while (flock(fd, how) < 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

char *
fs_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

const char *
fs_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* collapse "//", "/./" and "/x/.." in an absolute path, in place */
static void
normalize(char *p)
{
	char *out = p, *in = p;

	while (*in) {
		if (*in == '/') {
			while (in[1] == '/')
				in++;
			if (in[1] == '.' && (in[2] == '/' || in[2] == '\0')) {
				in += 2;
				continue;
			}
			if (in[1] == '.' && in[2] == '.' && (in[3] == '/' || in[3] == '\0')) {
				in += 3;
				while (out > p && *--out != '/')
					;
				continue;
			}
		}
		*out++ = *in++;
	}
	if (out == p)
		*out++ = '/';
	else if (out > p + 1 && out[-1] == '/')
		out--;
	*out = '\0';
}

char *
fs_abspath(const char *path)
{
	char cwd[PATH_MAX], *abs, *res, *cut;
	struct buf b = BUF_INIT;

	if (path[0] == '/') {
		abs = xstrdup(path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			fatal("getcwd:");
		abs = xasprintf("%s/%s", cwd, path);
	}
	normalize(abs);
	/* resolve the longest existing prefix, keep the rest as written */
	cut = abs + strlen(abs);
	for (;;) {
		char c = *cut;
		*cut = '\0';
		res = realpath(abs[0] ? abs : "/", NULL);
		*cut = c;
		if (res)
			break;
		while (cut > abs && *--cut != '/')
			;
		if (cut == abs) {
			res = xstrdup("/");
			break;
		}
	}
	buf_puts(&b, res);
	if (*cut) {
		if (strcmp(res, "/") == 0 && *cut == '/')
			buf_puts(&b, cut + 1);
		else
			buf_puts(&b, cut);
	}
	free(res);
	free(abs);
	return buf_detach(&b);
}

int
fs_copy_file(const char *src, const char *dst)
{
	char tmp[65536];
	struct stat st;
	int in, out, ret = -1;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return fail("open %s:", src);
	if (fstat(in, &st) < 0) {
		close(in);
		return fail("stat %s:", src);
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
	if (out < 0) {
		close(in);
		return fail("create %s:", dst);
	}
	for (;;) {
		n = read(in, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail("read %s:", src);
			goto out;
		}
		if (n == 0)
			break;
		if (write_all(out, tmp, (size_t)n) < 0) {
			fail("write %s:", dst);
			goto out;
		}
	}
	ret = 0;
out:
	close(in);
	if (close(out) < 0 && ret == 0)
		ret = fail("close %s:", dst);
	return ret;
}

/*
 * With the flag, ext4's Orlov allocator puts each directory made in fd in a
 * block group with few directories and many free inodes, instead of next to
 * fd, and that directory's files follow it. Without a journal, ext4 makes a
 * new inode by scanning past every inode freed near it in the last minutes
 * (a removed build, a test suite's temp dirs), which made each file in
 * such a group several times slower to create: pkggen's 10,000 manifests
 * took 0.6-2.6 s in place of 0.2 s just after a few thousand files were
 * removed.
 * pkgtool marks env/ (each generation leaves its group) and pkggen .pkggen
 * (each new build directory's manifests do). Another file system, or a
 * directory we do not own, is left alone.
 */
void
fs_topdir(int fd)
{
#if defined(FS_IOC_GETFLAGS) && defined(FS_TOPDIR_FL)
	int f = 0;

	if (ioctl(fd, FS_IOC_GETFLAGS, &f) == 0 && !(f & FS_TOPDIR_FL)) {
		f |= FS_TOPDIR_FL;
		ioctl(fd, FS_IOC_SETFLAGS, &f);
	}
#else
	(void)fd;
#endif
}
