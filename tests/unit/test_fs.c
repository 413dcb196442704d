/* SPDX-License-Identifier: MIT */
/* test_fs: atomic and write-if-changed writes, paths, mkdirs, rmtree, locks (lib/fs.c) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "util.h"
#include "test.h"

static char root[PATH_MAX];	/* the realpath of this test's temp dir */

/* root/rel in one of four static buffers, so two may be used in one call */
static const char *
path(const char *rel)
{
	static char p[4][PATH_MAX + 64];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", root, rel);
	return p[i];
}

static void
put(const char *rel, const char *data)
{
	T_EQ(fs_write_atomic(path(rel), data, strlen(data)), 0);
}

static void
test_write(void)
{
	struct buf b = BUF_INIT;
	struct stat st;
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	char tmpname[64];

	put("a.txt", "one\n");
	T_EQ(fs_read(path("a.txt"), &b), 0);
	T_STREQ(buf_str(&b), "one\n");
	snprintf(tmpname, sizeof(tmpname), "a.txt.tmp.%ld", (long)getpid());
	T_OK(!fs_exists(path(tmpname)));	/* the temp file is gone */
	buf_reset(&b);

	/* same content: the file, and so its mtime, is left alone */
	T_EQ(utimensat(AT_FDCWD, path("a.txt"), old, 0), 0);
	T_EQ(fs_write_if_changed(path("a.txt"), "one\n", 4), 0);
	T_EQ(stat(path("a.txt"), &st), 0);
	T_EQ(st.st_mtim.tv_sec, 1000000000);

	/* a prefix or an extension of the content is a change */
	T_EQ(fs_write_if_changed(path("a.txt"), "one", 3), 1);
	T_EQ(fs_write_if_changed(path("a.txt"), "one\n\n", 5), 1);
	T_EQ(stat(path("a.txt"), &st), 0);
	T_OK(st.st_mtim.tv_sec != 1000000000);
	T_EQ(fs_read(path("a.txt"), &b), 0);
	T_STREQ(buf_str(&b), "one\n\n");
	buf_reset(&b);

	/* a missing file is written; an empty file holds empty content */
	T_EQ(fs_write_if_changed(path("new.txt"), "x", 1), 1);
	T_EQ(fs_write_if_changed(path("empty"), "", 0), 1);
	T_EQ(fs_write_if_changed(path("empty"), "", 0), 0);
	T_EQ(fs_read(path("empty"), &b), 0);
	T_EQ(b.len, 0);
	T_STREQ(buf_str(&b), "");

	/* fs_read appends and reports a missing file through errno */
	buf_reset(&b);
	buf_puts(&b, ">");
	T_EQ(fs_read(path("new.txt"), &b), 0);
	T_STREQ(buf_str(&b), ">x");
	errno = 0;
	T_EQ(fs_read(path("missing"), &b), -1);
	T_EQ(errno, ENOENT);
	buf_release(&b);

	/* a write into a missing directory fails, leaving nothing behind */
	T_EQ(fs_write_atomic(path("nodir/f"), "x", 1), -1);
	T_OK(!fs_exists(path("nodir")));
}

static void
test_mkdirs(void)
{
	T_EQ(fs_mkdirs(path("d/e/f"), 0755), 0);
	T_OK(fs_isdir(path("d/e/f")));
	T_EQ(fs_mkdirs(path("d/e/f"), 0755), 0);	/* again: fine */
	T_EQ(fs_mkdirs(path("d/e/f/"), 0755), 0);
	T_EQ(fs_mkdirs(path("d//g"), 0755), 0);
	T_OK(fs_isdir(path("d/g")));
	put("d/file", "x");
	T_EQ(fs_mkdirs(path("d/file"), 0755), -1);	/* a file in the way */
	T_EQ(fs_mkdirs(path("d/file/sub"), 0755), -1);
	T_EQ(fs_mkparent(path("p/q/r.txt")), 0);
	T_OK(fs_isdir(path("p/q")));
	T_OK(!fs_exists(path("p/q/r.txt")));
	T_OK(fs_exists(path("d/file")));
	T_OK(!fs_isdir(path("d/file")));
	T_OK(!fs_exists(path("nothing")));
}

static void
test_names(void)
{
	char *s;

	s = fs_dirname("a/b/c");
	T_STREQ(s, "a/b");
	free(s);
	s = fs_dirname("/a");
	T_STREQ(s, "/");
	free(s);
	s = fs_dirname("a");
	T_STREQ(s, ".");
	free(s);
	T_STREQ(fs_basename("a/b/c"), "c");
	T_STREQ(fs_basename("c"), "c");
	T_STREQ(fs_basename("/"), "");
}

static void
check_abs(const char *in, const char *want)
{
	char *got = fs_abspath(in);

	T_STREQ(got, want);
	free(got);
}

static void
test_abspath(void)
{
	char want[PATH_MAX + 64];

	T_EQ(chdir(root), 0);
	T_EQ(fs_mkdirs(path("x/y"), 0755), 0);
	check_abs(".", root);
	check_abs("./", root);
	snprintf(want, sizeof(want), "%s/x/z", root);
	check_abs("x/./y/../z", want);	/* z need not exist */
	check_abs("x//y/..//z/", want);
	snprintf(want, sizeof(want), "%s/x/y", root);
	check_abs(path("x/y"), want);
	check_abs("x/y/.", want);
	snprintf(want, sizeof(want), "%s/not/there", root);
	check_abs("not/there", want);
	check_abs("not/./x/../there", want);

	check_abs("/", "/");
	check_abs("/..", "/");
	check_abs("/../..", "/");
	check_abs("//", "/");
	check_abs("/no-such-dir-pkgtool/a//b/./c/..", "/no-such-dir-pkgtool/a/b");

	/* existing leading parts are resolved through symlinks */
	T_EQ(symlink(path("x"), path("link")), 0);
	snprintf(want, sizeof(want), "%s/x/y/new", root);
	check_abs("link/y/new", want);
	T_EQ(chdir("/"), 0);
}

static void
test_rmtree(void)
{
	struct stat st;

	T_EQ(fs_mkdirs(path("t/a/b/c"), 0755), 0);
	T_EQ(fs_mkdirs(path("outside"), 0755), 0);
	put("t/a/b/c/f", "x");
	put("t/a/g", "y");
	put("outside/keep", "z");
	/* a symlink to a directory is removed, not followed */
	T_EQ(symlink(path("outside"), path("t/a/link")), 0);
	/* a dangling symlink */
	T_EQ(symlink(path("gone"), path("t/dangling")), 0);
	/* a directory we cannot read or write */
	T_EQ(fs_mkdirs(path("t/locked/in"), 0755), 0);
	put("t/locked/in/f", "w");
	T_EQ(chmod(path("t/locked/in"), 0), 0);
	T_EQ(chmod(path("t/locked"), 0), 0);

	T_EQ(fs_rmtree(path("t")), 0);
	T_OK(!fs_exists(path("t")));
	T_OK(fs_exists(path("outside/keep")));

	/* a missing path is fine; a single file or symlink is removed */
	T_EQ(fs_rmtree(path("t")), 0);
	put("single", "s");
	T_EQ(fs_rmtree(path("single")), 0);
	T_OK(!fs_exists(path("single")));
	T_EQ(symlink(path("outside"), path("l2")), 0);
	T_EQ(fs_rmtree(path("l2")), 0);
	T_OK(!fs_exists(path("l2")));
	T_EQ(stat(path("outside/keep"), &st), 0);
}

static void
test_copy_lock(void)
{
	struct buf b = BUF_INIT;
	struct stat st;
	int a, c;

	put("src", "payload");
	T_EQ(chmod(path("src"), 0750), 0);
	T_EQ(fs_copy_file(path("src"), path("dst")), 0);
	T_EQ(fs_read(path("dst"), &b), 0);
	T_STREQ(buf_str(&b), "payload");
	T_EQ(stat(path("dst"), &st), 0);
	T_EQ(st.st_mode & 07777, 0750);
	T_EQ(fs_copy_file(path("missing"), path("dst2")), -1);
	buf_release(&b);

	/* flock conflicts between two open files, even in one process */
	a = fs_lock(path("lock"), LOCK_EX);
	T_OK(a >= 0);
	errno = 0;
	c = fs_lock(path("lock"), LOCK_EX | LOCK_NB);
	T_EQ(c, -1);
	T_EQ(errno, EWOULDBLOCK);
	close(a);
	c = fs_lock(path("lock"), LOCK_SH | LOCK_NB);
	T_OK(c >= 0);
	a = fs_lock(path("lock"), LOCK_SH | LOCK_NB);	/* shared with shared: fine */
	T_OK(a >= 0);
	close(a);
	close(c);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[PATH_MAX];

	util_set_prefix("test_fs");
	snprintf(tmpl, sizeof(tmpl), "%s/test_fs.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl) || !realpath(tmpl, root)) {
		perror("mkdtemp");
		return 1;
	}
	test_write();
	test_mkdirs();
	test_names();
	test_abspath();
	test_rmtree();
	test_copy_lock();
	T_EQ(fs_rmtree(root), 0);
	T_OK(!fs_exists(root));
	return T_DONE();
}
