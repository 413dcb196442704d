/* SPDX-License-Identifier: MIT */
/* cmd_mirror: copy a build's verified sources into a directory usable as a file:// mirror (SPEC §7) */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "sha256.h"
#include "util.h"

/*
 * The mirror has two views of the same files, so that every fetch finds them:
 *   DEST/ALGO/HEX       by content (PKGTOOL_MIRRORS="hashed=file:///DEST"),
 *                       for any URL, http ones included
 *   DEST/NAME/PATH      for mirror://NAME/PATH URLs ("NAME=file:///DEST/NAME")
 *   DEST/git/COMMIT.tar git sources, by commit (also through "hashed")
 * Files are hard links to the store's when they share a file system.
 */

static void
usage(FILE *f)
{
	fprintf(f, "usage: pkgtool mirror [BUILDDIR] DEST\n"
	    "Copy every verified source of BUILDDIR's build (default: -B, or .) into DEST,\n"
	    "laid out as DEST/sha256/HEX and DEST/NAME/PATH for mirror://NAME/PATH URLs.\n"
	    "Then, offline: PKGTOOL_MIRRORS=\"hashed=file://DEST\" PKGTOOL_OFFLINE=1 ninja\n");
}

/* link or copy src to dst (replacing it), through a temp name */
static int
place(const char *src, const char *dst)
{
	char *tmp = xasprintf("%s.tmp.%ld", dst, (long)getpid());
	int ret = -1;

	if (fs_mkparent(dst) < 0)
		goto out;
	unlink(tmp);
	if (link(src, tmp) < 0 && fs_copy_file(src, tmp) < 0)
		goto out;
	if (rename(tmp, dst) < 0) {
		fail("rename %s to %s:", tmp, dst);
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(tmp);
	return ret;
}

/* the builddir's fetch manifests, sorted */
static int
manifests(const char *builddir, char ***out, size_t *n)
{
	char *dir = xasprintf("%s/.pkggen/fetch", builddir);
	size_t cap = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	*n = 0;
	if (!d) {
		int r = errno == ENOENT ? 0 : fail("open %s:", dir);
		free(dir);
		return r;
	}
	while ((e = readdir(d)))
		if (endswith(e->d_name, ".json"))
			xappend((void ***)out, n, &cap, xasprintf("%s/%s", dir, e->d_name));
	closedir(d);
	free(dir);
	return 0;
}

static int
mirror_one(const char *path, const char *dest, size_t *files)
{
	json_t *m = manifest_load(path), *urls;
	const char *type, *algo, *hash, *file;
	char hex[SHA256_HEX];
	size_t i;
	int ret = -1;

	if (!m)
		return -1;
	type = cjson_str(m, "type");
	file = cjson_str(m, "dest");
	if (type && !strcmp(type, "git")) {
		/* by commit: DEST/git/COMMIT.tar, checked as fetch checks it */
		const char *commit = cjson_str(m, "commit");
		char got[ARCHIVE_GOT_MAX], *to;

		if (!file || !commit || !fs_exists(file)) {
			fail("%s is not in the store; run `ninja fetch` first", file ? file : path);
			goto out;
		}
		if (archive_git_commit(file, got) < 0 || strcmp(got, commit)) {
			fail("%s: expected the git archive of commit %s, got %s; run `pkgtool verify`",
			    file, commit, got);
			goto out;
		}
		to = xasprintf("%s/git/%s.tar", dest, commit);
		ret = place(file, to);
		free(to);
		if (ret == 0)
			(*files)++;
		goto out;
	}
	algo = cjson_str(m, "algo") ? cjson_str(m, "algo") : "sha256";
	hash = cjson_str(m, "hash");
	if (!file || !hash) {
		fail("%s: not a fetch manifest", path);
		goto out;
	}
	if (!fs_exists(file)) {
		fail("%s is not in the store; run `ninja fetch` first", file);
		goto out;
	}
	/* only verified content leaves the store */
	if (hash_file(file, strcmp(algo, "sha1") ? HASH_SHA256 : HASH_SHA1, hex) < 0) {
		fail("read %s:", file);
		goto out;
	}
	if (strcasecmp(hex, hash)) {
		fail("%s: expected %s %s, got %s; run `pkgtool verify`", file, algo, hash, hex);
		goto out;
	}
	{
		char *to = xasprintf("%s/%s/%s", dest, algo, hash);
		int r = place(file, to);

		free(to);
		if (r < 0)
			goto out;
	}
	urls = json_object_get(m, "urls");
	for (i = 0; i < json_array_size(urls); i++) {
		const char *u = json_string_value(json_array_get(urls, i));
		char *to;

		if (!u || !startswith(u, "mirror://") || strstr(u, "/../"))
			continue;
		to = xasprintf("%s/%s", dest, u + strlen("mirror://"));
		if (place(file, to) < 0) {
			free(to);
			goto out;
		}
		free(to);
	}
	(*files)++;
	ret = 0;
out:
	json_decref(m);
	return ret;
}

int
cmd_mirror(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *builddir, *dest;
	char **list = NULL;
	size_t n = 0, i, files = 0;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	if (argc - optind == 2) {
		builddir = argv[optind];
		dest = argv[optind + 1];
	} else if (argc - optind == 1) {
		builddir = opt_builddir ? opt_builddir : ".";
		dest = argv[optind];
	} else {
		usage(stderr);
		return 2;
	}
	if (manifests(builddir, &list, &n) < 0)
		return 1;
	if (!n) {
		fail("%s has no fetch manifests (run pkggen there first)", builddir);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (mirror_one(list[i], dest, &files) < 0)
			ret = 1;
		free(list[i]);
	}
	free(list);
	printf("mirrored %zu source%s into %s\n", files, files == 1 ? "" : "s", dest);
	return ret;
}
