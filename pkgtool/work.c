/* SPDX-License-Identifier: MIT */
/* work: BUILDDIR/work/ID, a build's scratch tree, made from the spare a
 * finished build left */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "pkgtool.h"
#include "util.h"

/*
 * A build's tree is BUILDDIR/work/ID: src/ (the sources, the script's
 * working directory), home/, tmp/, and dest/ with the store's path inside
 * it, where STORE/ID is installed (the DESTDIR convention). A successful
 * build empties its tree down to those directories and leaves it as
 * BUILDDIR/work/.spare-PID, and the next build renames a spare to its own
 * work/ID instead of making the directories again. Making and removing a
 * directory allocates and frees a block each time (on a file system
 * mounted with online discard, a millisecond or more to remove): for a
 * small package that was most of what its build cost the file system.
 * There are never more spares than builds that ran at once.
 */
static const char *const dirs[] = {"src", "home", "tmp", "dest"};

/* rename a spare to work; 1 when there was one */
static int
take(const char *builddir, const char *work)
{
	char *parent = xasprintf("%s/work", builddir), *p;
	DIR *d = opendir(parent);
	struct dirent *de;
	int got = 0;

	while (d && !got && (de = readdir(d))) {
		if (strncmp(de->d_name, ".spare-", 7) != 0)
			continue;
		/* fails when another build took it first */
		p = xasprintf("%s/%s", parent, de->d_name);
		got = rename(p, work) == 0;
		free(p);
	}
	if (d)
		closedir(d);
	free(parent);
	return got;
}

int
work_make(const char *builddir, const char *work, const char *root)
{
	size_t i;
	char *d;
	int ret = 0;

	if (fs_rmtree(work) < 0)
		return -1;
	if (!take(builddir, work) && fs_mkdirs(work, 0755) < 0)
		return -1;
	/* a spare has them, unless its build removed one */
	for (i = 0; ret == 0 && i < LEN(dirs); i++) {
		d = xasprintf("%s/%s", work, dirs[i]);
		if (mkdir(d, 0755) < 0 && errno != EEXIST)
			ret = fail("mkdir %s:", d);
		free(d);
	}
	return ret < 0 ? -1 : fs_mkdirs(root, 0755);
}

/* remove what dir holds but the directory path keep ("a/b" keeps dir/a
 * and dir/a/b, each holding only the next); 0 or -1 */
static int
prune(const char *dir, const char *keep)
{
	const char *slash = strchr(keep, '/');
	size_t n = slash ? (size_t)(slash - keep) : strlen(keep);
	struct dirent *de;
	struct stat st;
	char *p;
	DIR *d;
	int ret = 0;

	/* the script may have left it read-only */
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    ((st.st_mode & 0700) != 0700 && chmod(dir, st.st_mode | 0700) < 0))
		return -1;
	if (!(d = opendir(dir)))
		return -1;
	while (ret == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (n && de->d_type == DT_DIR && strlen(de->d_name) == n &&
		    !strncmp(de->d_name, keep, n))
			ret = prune(p, slash ? slash + 1 : "");
		else
			ret = fs_rmtree(p);
		free(p);
	}
	closedir(d);
	return ret;
}

int
work_done(const char *builddir, const char *work, const char *store)
{
	char *spare = xasprintf("%s/work/.spare-%ld", builddir, (long)getpid()), *p;
	DIR *d = opendir(work);
	struct dirent *de;
	size_t i;
	int ret = d ? 0 : -1;

	store += strspn(store, "/");
	while (ret == 0 && d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (i = 0; i < LEN(dirs) && strcmp(de->d_name, dirs[i]); i++)
			;
		p = xasprintf("%s/%s", work, de->d_name);
		if (i == LEN(dirs))
			ret = fs_rmtree(p);
		else
			ret = prune(p, strcmp(de->d_name, "dest") ? "" : store);
		free(p);
	}
	if (d)
		closedir(d);
	if (ret < 0 || rename(work, spare) < 0)
		ret = fs_rmtree(work);
	free(spare);
	return ret;
}
