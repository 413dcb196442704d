/* SPDX-License-Identifier: MIT */
/* cmd_package: pack a built package (BUILDDIR/work/ID/dest/STORE/ID) into the store */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "sha256.h"
#include "util.h"

/*
 * pkginfo.json, at the root of every package archive (doc/manifests.md):
 *
 *   name, version, id, kind, variant   as in the manifest (variant may be null)
 *   depends   [{name, id}] the direct runtime dependencies, resolved
 *   env       the recipe's env: map, raw; {{prefix}} stands for STORE/ID
 *   files     {relpath: sha256 hex} every regular file (hard links each count)
 *   links     {relpath: target} every symlink
 *
 * Keys are sorted and the file ends with a newline (cjson_pretty), so the same
 * tree always gives the same bytes.
 */

#define DEFAULT_EPOCH 315532800LL

static void
usage(FILE *f)
{
	fprintf(f, "usage: pkgtool package MANIFEST\n\n"
	    "Pack BUILDDIR/work/ID/dest/STORE/ID (building it first when missing)\n"
	    "with a pkginfo.json at its root into the manifest's archive, a\n"
	    "deterministic tarball. The archive is replaced only when its bytes change.\n");
}

/* a symlink the build wrote with an absolute target inside the package
 * (STORE/ID/..., or by mistake the DESTDIR path) becomes relative, so that it
 * survives extraction; returns a new string, or NULL to keep the target */
static char *
relink(const char *rel, const char *target, const char *prefix, const char *root)
{
	const char *rest = NULL, *p;
	struct buf b = BUF_INIT;
	size_t plen = strlen(prefix), rlen = strlen(root);

	if (!strncmp(target, root, rlen) && (target[rlen] == '/' || !target[rlen]))
		rest = target + rlen;
	else if (!strncmp(target, prefix, plen) && (target[plen] == '/' || !target[plen]))
		rest = target + plen;
	if (!rest)
		return NULL;
	while (*rest == '/')
		rest++;
	/* drop the directories the link and its target share */
	for (;;) {
		const char *a = strchr(rel, '/'), *t = strchr(rest, '/');

		if (!a || !t || a - rel != t - rest || strncmp(rel, rest, (size_t)(a - rel)))
			break;
		rel = a + 1;
		rest = t + 1;
		while (*rest == '/')
			rest++;
	}
	for (p = strchr(rel, '/'); p; p = strchr(p + 1, '/'))
		buf_puts(&b, "../");
	buf_puts(&b, rest);
	if (b.len == 0)
		buf_puts(&b, ".");
	else if (b.s[b.len - 1] == '/' && b.len > 1)
		b.s[--b.len] = '\0';
	return buf_detach(&b);
}

struct walk {
	const char *root, *prefix;
	json_t *files, *links;
	long long epoch;
	int shared;	/* a file with another name, or someone else's */
};

/*
 * Give an entry of the tree the mode and times that unpacking its archive
 * gives it (archive_pack, archive_unpack), so that the tree itself can
 * become STORE/ID (store_publish) instead of being deleted and unpacked
 * again by the next step that needs it.
 */
static int
settle(const char *path, const struct stat *st, long long epoch)
{
	struct timespec ts[2] = {{(time_t)epoch, 0}, {(time_t)epoch, 0}};
	mode_t mode = S_ISDIR(st->st_mode) || (st->st_mode & 0111) ? 0755 : 0644;

	if (!S_ISLNK(st->st_mode) && (st->st_mode & 07777) != mode && chmod(path, mode) < 0)
		return fail("chmod %s:", path);
	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return fail("set the times of %s:", path);
	return 0;
}

static int
walk(struct walk *w, const char *rel)
{
	char *dir = *rel ? xasprintf("%s/%s", w->root, rel) : xstrdup(w->root);
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	char hex[SHA256_HEX], target[PATH_MAX];
	int ret = 0;
	ssize_t n;

	if (!d) {
		ret = fail("open %s:", dir);
		free(dir);
		return ret;
	}
	while (ret == 0 && (de = readdir(d))) {
		char *r, *full, *fixed;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!*rel && !strcmp(de->d_name, "pkginfo.json"))
			continue;
		r = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		full = xasprintf("%s/%s", w->root, r);
		if (lstat(full, &st) < 0) {
			ret = fail("stat %s:", full);
		} else if (S_ISDIR(st.st_mode)) {
			/* its mode before its content, its times after */
			if ((st.st_mode & 07777) != 0755 && chmod(full, 0755) < 0)
				ret = fail("chmod %s:", full);
			st.st_mode = S_IFDIR | 0755;
			if (ret == 0)
				ret = walk(w, r);
			if (ret == 0)
				ret = settle(full, &st, w->epoch);
		} else if (S_ISREG(st.st_mode)) {
			if (hash_file(full, HASH_SHA256, hex) < 0)
				ret = fail("read %s:", full);
			else
				json_object_set_new(w->files, r, json_string(hex));
			if (st.st_nlink > 1 || st.st_uid != geteuid())
				w->shared = 1;
			if (ret == 0)
				ret = settle(full, &st, w->epoch);
		} else if (S_ISLNK(st.st_mode)) {
			n = readlink(full, target, sizeof(target) - 1);
			if (n < 0) {
				ret = fail("readlink %s:", full);
				goto next;
			}
			target[n] = '\0';
			if ((fixed = relink(r, target, w->prefix, w->root))) {
				if (unlink(full) < 0 || symlink(fixed, full) < 0)
					ret = fail("rewrite symlink %s:", full);
				snprintf(target, sizeof(target), "%s", fixed);
				free(fixed);
			}
			/* archive_unpack refuses such a link, so no package may hold one */
			if (ret == 0 && archive_link_escapes(w->root, r))
				ret = fail("%s: symlink %s -> %s points outside the package "
				    "(make it relative, inside $PKG_PREFIX, or copy the file)",
				    fs_basename(w->prefix), r, target);
			if (ret == 0)
				json_object_set_new(w->links, r, json_string(target));
			if (ret == 0)
				ret = settle(full, &st, w->epoch);
		} else {
			ret = fail("%s: cannot package a device, fifo or socket", full);
		}
next:
		free(full);
		free(r);
	}
	closedir(d);
	free(dir);
	return ret;
}

/* 1 when a and b hold the same bytes (compared by sha256) */
static int
same(const char *a, const char *b)
{
	char x[SHA256_HEX], y[SHA256_HEX];

	return hash_file(a, HASH_SHA256, x) == 0 && hash_file(b, HASH_SHA256, y) == 0 &&
	    !strcmp(x, y);
}

static json_t *
or_default(json_t *v, json_t *dflt)
{
	if (v) {
		json_decref(dflt);
		return json_incref(v);
	}
	return dflt;
}

/* the direct runtime dependencies, [{name, id}] in the recipe's order: the
 * manifest's closure entries that are not marked "build" (a manifest written
 * before has them as "depends") */
static json_t *
runtime_depends(json_t *m)
{
	json_t *deps = json_object_get(m, "depends"), *c, *d, *v;
	size_t i;

	if (deps)
		return json_incref(deps);
	deps = json_array();
	json_array_foreach(json_object_get(m, "closure"), i, c) {
		if (json_is_true(json_object_get(c, "build")))
			continue;
		d = json_object();
		if ((v = json_object_get(c, "id")))
			json_object_set(d, "id", v);
		if ((v = json_object_get(c, "name")))
			json_object_set(d, "name", v);
		json_array_append_new(deps, d);
	}
	return deps;
}

int
package_run(json_t *m, int *publishable)
{
	const char *id, *store, *builddir, *archive;
	json_t *info = NULL, *epoch;
	char *prefix = NULL, *root = NULL, *pkginfo = NULL, *tmp = NULL;
	struct walk w;
	struct stat st;
	long long when;
	int ret = -1;

	if (publishable)
		*publishable = 0;
	if (!(id = manifest_str(m, "id")) || !(store = manifest_str(m, "store")) ||
	    !(builddir = manifest_str(m, "builddir")) || !(archive = manifest_archive(m)))
		return -1;
	if (store_check_id(id) < 0)
		return -1;
	epoch = json_object_get(m, "epoch");
	when = json_is_integer(epoch) ? (long long)json_integer_value(epoch) : DEFAULT_EPOCH;
	prefix = xasprintf("%s/%s", store, id);
	root = xasprintf("%s/work/%s/dest%s", builddir, id, prefix);
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fail("%s: not built (run pkgtool build first)", root);
		goto out;
	}
	/* STORE/ID itself is 0755, whatever the umask */
	if ((st.st_mode & 07777) != 0755 && chmod(root, 0755) < 0) {
		fail("chmod %s:", root);
		goto out;
	}
	info = json_object();
	json_object_set(info, "name", json_object_get(m, "name"));
	json_object_set(info, "version", json_object_get(m, "version"));
	json_object_set_new(info, "id", json_string(id));
	json_object_set_new(info, "kind", or_default(json_object_get(m, "kind"), json_null()));
	json_object_set_new(info, "variant", or_default(json_object_get(m, "variant"), json_null()));
	json_object_set_new(info, "depends", runtime_depends(m));
	json_object_set_new(info, "env", or_default(json_object_get(m, "env"), json_object()));
	w.root = root;
	w.prefix = prefix;
	w.files = json_object();
	w.links = json_object();
	w.epoch = when;
	w.shared = 0;
	json_object_set_new(info, "files", w.files);
	json_object_set_new(info, "links", w.links);
	if (walk(&w, "") < 0)
		goto out;
	timing_mark("walk");
	pkginfo = xasprintf("%s/pkginfo.json", root);
	if (cjson_write(pkginfo, info, fs_durable() ? 0 : CJSON_NOSYNC) < 0 ||
	    lstat(pkginfo, &st) < 0 || settle(pkginfo, &st, when) < 0)
		goto out;
	/* same suffix as the archive: archive_pack picks the filter by it */
	tmp = xasprintf("%s/tmp/%ld.%s", store, (long)getpid(), fs_basename(archive));
	if (fs_mkparent(tmp) < 0 || fs_mkparent(archive) < 0)
		goto out;
	timing_mark("pkginfo");
	if (archive_pack(root, tmp, when) < 0)
		goto out;
	timing_mark("pack");
	if (publishable)
		*publishable = !w.shared;
	if (fs_exists(archive) && same(tmp, archive)) {
		/* identical bytes: keep the old file and its mtime (Ninja restat) */
		unlink(tmp);
		ret = 0;
		goto out;
	}
	if (rename(tmp, archive) < 0) {
		fail("rename %s to %s:", tmp, archive);
		unlink(tmp);
		goto out;
	}
	if (fs_durable())
		fs_sync_parent(archive);
	ret = 1;
out:
	json_decref(info);
	free(prefix);
	free(root);
	free(pkginfo);
	free(tmp);
	return ret;
}

int
cmd_package(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *id, *store, *builddir;
	json_t *m;
	char *root = NULL;
	int c, lock = -1, gc = -1, ret = -1;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (!(m = manifest_load(argv[optind])))
		return 2;
	if (!(id = manifest_str(m, "id")) || !(store = manifest_str(m, "store")) ||
	    !(builddir = manifest_str(m, "builddir")) || store_check_id(id) < 0) {
		ret = 2;
		goto out;
	}
	if ((lock = build_lock(store, id)) < 0 || (gc = store_lock(store, LOCK_SH)) < 0)
		goto out;
	root = xasprintf("%s/work/%s/dest%s/%s", builddir, id, store, id);
	if (!fs_isdir(root) && build_run(m) < 0)
		goto out;
	ret = package_run(m, NULL) < 0 ? -1 : 0;
out:
	if (gc >= 0)
		close(gc);
	if (lock >= 0)
		close(lock);
	free(root);
	json_decref(m);
	return ret;
}
