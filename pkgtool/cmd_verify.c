/* SPDX-License-Identifier: MIT */
/* cmd_verify: re-hash sources in the store; remove any that no longer match */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "sha256.h"
#include "util.h"

struct tally {
	size_t ok, bad;
};

/* what is in path now: its hash, or for algo "git" its commit */
static int
actual(const char *path, const char *algo, char got[ARCHIVE_GOT_MAX])
{
	if (!strcmp(algo, "git"))
		return archive_git_commit(path, got);
	return hash_file(path, strcmp(algo, "sha1") ? HASH_SHA256 : HASH_SHA1, got);
}

/* check one source file; a mismatch is removed under the same lock fetch
 * takes (STORE/locks/KEY.lock), after a second look. 0 good, -1 otherwise */
static int
check(const char *store, const char *path, const char *algo, const char *want,
    struct tally *t)
{
	const char *what = strcmp(algo, "git") ? algo : "git commit";
	char got[ARCHIVE_GOT_MAX], *dir, *lock;
	int fd, r;

	if (actual(path, algo, got) < 0) {
		t->bad++;
		if (errno == ENOENT)
			return fail("%s is not in the store (run `ninja fetch`)", path);
		return fail("read %s:", path);
	}
	if (!strcasecmp(got, want)) {
		t->ok++;
		return 0;
	}
	dir = xasprintf("%s/locks", store);
	lock = !strcmp(algo, "git") ? xasprintf("%s/git-%s.lock", dir, want) :
	    xasprintf("%s/%s.lock", dir, want);
	fd = fs_mkdirs(dir, 0755) < 0 ? -1 : fs_lock(lock, LOCK_EX);
	if (fd < 0)
		r = fail("lock %s:", lock);
	else if (actual(path, algo, got) == 0 && !strcasecmp(got, want))
		r = 0;	/* fetched again while we looked */
	else if (unlink(path) < 0 && errno != ENOENT)
		r = fail("%s: expected %s %s, got %s; cannot remove it:", path, what, want, got);
	else
		r = fail("%s: expected %s %s, got %s; removed it (`ninja fetch` gets it again)",
		    path, what, want, got);
	if (fd >= 0)
		close(fd);
	if (r == 0)
		t->ok++;
	else
		t->bad++;
	free(lock);
	free(dir);
	return r;
}

/* the source one fetch manifest names */
static int
verify_manifest(const char *path, struct tally *t)
{
	json_t *m = manifest_load(path);
	const char *type, *store, *dest, *algo, *want;
	int r = -1;

	if (!m) {
		t->bad++;
		return -1;
	}
	type = cjson_str(m, "type");
	store = cjson_str(m, "store");
	dest = cjson_str(m, "dest");
	if (type && !strcmp(type, "git")) {
		algo = "git";
		want = cjson_str(m, "commit");
	} else {
		algo = cjson_str(m, "algo") ? cjson_str(m, "algo") : "sha256";
		want = cjson_str(m, "hash");
	}
	if (!store || !dest || !want || (strcmp(algo, "sha256") && strcmp(algo, "sha1") &&
	    strcmp(algo, "git"))) {
		t->bad++;
		fail("not a fetch manifest: it needs type, store, dest and hash or commit (%s)",
		    path);
	} else {
		r = check(store, dest, algo, want, t);
	}
	json_decref(m);
	return r;
}

static int
json_file(const struct dirent *e)
{
	return e->d_name[0] != '.' && endswith(e->d_name, ".json");
}

static int
source_file(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* every source in STORE/sources/{sha256,sha1,git}/ */
static int
verify_store(const char *store, struct tally *t)
{
	static const char *const algos[] = {"sha256", "sha1", "git"};
	struct dirent **ents;
	char *dir, *path, want[SHA256_HEX];
	size_t a, len;
	int i, n, ret = 0;

	if (!fs_isdir(store))
		return fail("%s is not a directory", store);
	for (a = 0; a < LEN(algos); a++) {
		dir = xasprintf("%s/sources/%s", store, algos[a]);
		n = scandir(dir, &ents, source_file, alphasort);
		if (n < 0 && errno != ENOENT)
			ret = fail("read %s:", dir);
		len = a == 0 ? 64 : 40;
		for (i = 0; i < n; i++) {
			const char *name = ents[i]->d_name;

			path = xasprintf("%s/%s", dir, name);
			snprintf(want, sizeof(want), "%.*s", (int)len, name);
			if (strlen(name) != len + (a == 2 ? 4 : 0) || !is_hex(want, len) ||
			    (a == 2 && !endswith(name, ".tar")))
				warnf("%s: not a source file name, skipped", path);
			else if (check(store, path, algos[a], want, t) < 0)
				ret = -1;
			free(path);
			free(ents[i]);
		}
		if (n >= 0)
			free(ents);
		free(dir);
	}
	return ret;
}

/* the sources of every fetch manifest of a build directory */
static int
verify_builddir(const char *builddir, struct tally *t)
{
	struct dirent **ents;
	char *dir, *path;
	int i, n, ret = 0;

	dir = xasprintf("%s/.pkggen/fetch", builddir);
	n = scandir(dir, &ents, json_file, alphasort);
	if (n < 0) {
		ret = fail("no fetch manifests in %s: (run pkggen, or name a manifest or "
		    "--store DIR)", dir);
		free(dir);
		return ret;
	}
	for (i = 0; i < n; i++) {
		path = xasprintf("%s/%s", dir, ents[i]->d_name);
		if (verify_manifest(path, t) < 0)
			ret = -1;
		free(path);
		free(ents[i]);
	}
	free(ents);
	free(dir);
	return ret;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: pkgtool verify [MANIFEST...]\n"
	    "       pkgtool verify --store DIR\n\n"
	    "Re-hash sources in the store: those the fetch manifests name (default: every\n"
	    "manifest of the build directory), or every source of store DIR. A source that\n"
	    "does not match its hash is reported and removed; the exit status is then 1.\n");
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"store", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	struct tally t = {0, 0};
	const char *store = NULL, *bd = opt_builddir;
	int c, i, ret = 0;

	while ((c = getopt_long(argc, argv, "+hs:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 's':
			store = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (store && optind < argc) {
		usage(stderr);
		return 2;
	}
	if (store) {
		ret = verify_store(store, &t);
	} else if (optind < argc) {
		for (i = optind; i < argc; i++)
			if (verify_manifest(argv[i], &t) < 0)
				ret = -1;
		return ret;	/* quiet when good: Ninja edges may call this */
	} else {
		if (!bd)
			bd = fs_exists("build.ninja") ? "." : "build";
		ret = verify_builddir(bd, &t);
	}
	printf("%zu source%s checked, %zu bad\n", t.ok + t.bad, t.ok + t.bad == 1 ? "" : "s",
	    t.bad);
	return ret;
}
