/* SPDX-License-Identifier: MIT */
/* cmd_gc: delete old generations, and what no kept generation of any build
 * directory sharing the store references */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

/*
 * Under STORE/locks/gc.lock held exclusive (every command that references
 * store entries holds it shared) and this build directory's env/.lock:
 *
 *  1. remove what crashed commands left in STORE/tmp (gc-*: a gc's);
 *  2. delete this build directory's generations but the newest K and the
 *     active one: each gen-N is renamed to .old-gen-N, then removed;
 *  3. the roots: every generation on disk of every build directory that
 *     STORE/gcroots names (a root whose env/ is gone is removed), and the
 *     archives that those build directories' manifests name (activate.json,
 *     and the pkg/ID.json that build.ninja uses), so that `ninja` there has
 *     no work to do;
 *  4. live: the roots' ids and their runtime closure (pkginfo.json depends);
 *  5. every other STORE/ID is renamed into STORE/tmp/gc-ID, dependents
 *     before their dependencies, then removed: an existing STORE/ID keeps
 *     its runtime dependencies beside it at every instant, and no half-
 *     removed STORE/ID is ever visible;
 *  6. every archive STORE/pkgs/ID.tar.* that is neither live nor named by a
 *     manifest is unlinked.
 *
 * Lock files (STORE/locks/ID.lock) stay: a builder may be waiting on one.
 */

/* the fixed entries of the store; anything else named like an id is a package */
static const char *const fixed[] = {"gcroots", "locks", "pkgs", "sources", "tmp"};

/* a set of strings: open addressing, owned copies */
struct set {
	char **slot;
	size_t cap, n;
};

static char **
set_slot(struct set *s, const char *k)
{
	size_t i = (size_t)str_hash(k) & (s->cap - 1);

	while (s->slot[i] && strcmp(s->slot[i], k) != 0)
		i = (i + 1) & (s->cap - 1);
	return &s->slot[i];
}

static int
set_has(struct set *s, const char *k)
{
	return s->cap && *set_slot(s, k) != NULL;
}

/* 1 when added, 0 when there already */
static int
set_add(struct set *s, const char *k)
{
	char **p;
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct set t = {NULL, s->cap ? 2 * s->cap : 64, 0};

		t.slot = xcalloc(t.cap, sizeof(*t.slot));
		for (i = 0; i < s->cap; i++)
			if (s->slot[i])
				*set_slot(&t, s->slot[i]) = s->slot[i], t.n++;
		free(s->slot);
		*s = t;
	}
	p = set_slot(s, k);
	if (*p)
		return 0;
	*p = xstrdup(k);
	s->n++;
	return 1;
}

static void
set_release(struct set *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

struct gc {
	struct envdir e;
	const char *store;
	long keep;
	int dry_run, json;
	struct set live;	/* STORE/ID to keep */
	struct set archives;	/* archives to keep besides the live ones' */
	long long freed;
	size_t ngens, nids, narchives;
	json_t *report;
};

/* bytes on disk under dirfd/name (as du counts them) */
static long long
du(int dirfd, const char *name)
{
	struct stat st;
	struct dirent *d;
	long long sum;
	DIR *dir;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	sum = (long long)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode))
		return sum;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return sum;
	}
	while ((d = readdir(dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			sum += du(fd, d->d_name);
	closedir(dir);
	return sum;
}

static void
report(struct gc *g, const char *what, const char *path, long long bytes)
{
	g->freed += bytes;
	if (g->json)
		json_array_append_new(json_object_get(g->report, what), json_string(path));
	else
		printf("%s %s\n", g->dry_run ? "would delete" : "deleted", path);
}

/* rename path out of the way to tmp, then remove it; 0 or -1 */
static int
remove_via(const char *path, const char *tmp)
{
	struct stat st;

	if (rename(path, tmp) < 0) {
		/* moving a directory to another parent rewrites its "..": it needs u+w */
		if (errno != EACCES || lstat(path, &st) < 0 || chmod(path, st.st_mode | 0200) < 0 ||
		    rename(path, tmp) < 0)
			return fail("rename %s to %s:", path, tmp);
	}
	step_point("rename out of the way");
	if (fs_rmtree(tmp) < 0)
		return -1;
	step_point("remove");
	return 0;
}

/* remove the entries of dir that keep() does not want; 0 or -1 */
static int
clean_dir(struct gc *g, const char *dir, int (*keep)(const char *))
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	char *p;
	int ret = 0;

	while (dp && (d = readdir(dp))) {
		if (d->d_name[0] == '.' || keep(d->d_name))
			continue;
		p = xasprintf("%s/%s", dir, d->d_name);
		g->freed += du(AT_FDCWD, p);
		if (fs_rmtree(p) < 0)
			ret = -1;
		step_point("remove a leftover");
		free(p);
	}
	if (dp)
		closedir(dp);
	return ret;
}

/* fetch works in STORE/tmp without the gc lock */
static int
keep_tmp(const char *name)
{
	return startswith(name, "fetch-") || startswith(name, "git-");
}

static int
keep_root(const char *name)
{
	return !strstr(name, ".tmp.");
}

/* 1: whatever else is in STORE/tmp, and gcroots/HEX.tmp.PID, was left by
 * a command that crashed: all that write there hold the gc lock */
static int
clean_tmp(struct gc *g)
{
	char *tmp = xasprintf("%s/tmp", g->store), *roots = xasprintf("%s/gcroots", g->store);
	int ret = clean_dir(g, tmp, keep_tmp) | clean_dir(g, roots, keep_root);

	free(tmp);
	free(roots);
	return ret;
}

/* 2: this build directory's old generations */
static int
old_generations(struct gc *g)
{
	struct envdir *e = &g->e;
	size_t i, k = 0;
	char *path, *tmp;
	int ret = 0;

	for (i = 0; i < e->ngens; i++) {
		long n = e->gens[i];

		if (i + (size_t)g->keep >= e->ngens || n == e->cur) {
			e->gens[k++] = n;
			continue;
		}
		path = xasprintf("%s/gen-%ld", e->dir, n);
		tmp = xasprintf("%s/.old-gen-%ld", e->dir, n);
		report(g, "generations", path, du(AT_FDCWD, path));
		g->ngens++;
		if (!g->dry_run && remove_via(path, tmp) < 0)
			ret = -1;
		free(path);
		free(tmp);
	}
	e->ngens = k;
	return ret;
}

/* add the ids of generation record path (its "packages") to the live set */
static int
add_generation(struct gc *g, const char *path)
{
	json_t *info = cjson_load(path), *v;
	size_t i;

	if (!info)
		return fail("cannot read a generation record, so no store entry is deleted (%s)", path);
	json_array_foreach(json_object_get(info, "packages"), i, v) {
		const char *id = cjson_str(v, "id");

		if (id)
			set_add(&g->live, id);
	}
	json_decref(info);
	return 0;
}

/* add the archives a manifest names (pkg/ID.json: itself, its depends and
 * closure; activate.json: its packages) when it is for this store */
static void
add_manifest(struct gc *g, const char *path)
{
	static const char *const lists[] = {"depends", "closure", "packages"};
	json_t *m = json_load_file(path, 0, NULL), *v;
	const char *s = cjson_str(m, "store"), *id;
	size_t i, l;

	if (!s || strcmp(s, g->store) != 0) {
		json_decref(m);
		return;
	}
	if ((id = cjson_str(m, "id")))
		set_add(&g->archives, id);
	for (l = 0; l < LEN(lists); l++)
		json_array_foreach(json_object_get(m, lists[l]), i, v)
			if ((id = manifest_entry_id(v)))
				set_add(&g->archives, id);
	json_decref(m);
}

/* the names of the package manifests (.pkggen/pkg/ID.json) that
 * BUILDDIR/build.ninja uses: pkggen leaves those of old ids behind. 0, or -1
 * when there is no build.ninja to read */
static int
graph_manifests(const char *builddir, struct set *names)
{
	static const char mark[] = ".pkggen/pkg/";
	struct buf b = BUF_INIT;
	char *path = xasprintf("%s/build.ninja", builddir), *s, *end;
	int ret = fs_read(path, &b);

	free(path);
	for (s = b.s; ret == 0 && (s = strstr(s, mark)); s = end) {
		s += sizeof(mark) - 1;
		end = s + strcspn(s, " \t\n|:$");
		if (end - s > 5 && !strncmp(end - 5, ".json", 5)) {
			char *name = xstrndup(s, (size_t)(end - s));

			set_add(names, name);
			free(name);
		}
	}
	buf_release(&b);
	return ret;
}

/* the roots of one build directory: its generations and its manifests */
static int
add_builddir(struct gc *g, const char *envdir)
{
	char *builddir = fs_dirname(envdir), *p;
	struct set used = {NULL, 0, 0};
	struct dirent *d;
	DIR *dp;
	int ret = 0, all;

	if ((dp = opendir(envdir))) {
		while (ret == 0 && (d = readdir(dp))) {
			if (envdir_gen_number(d->d_name) <= 0)
				continue;
			/* in our own env/, the generations step 2 deletes are gone
			 * (or, with --dry-run, would be) */
			if (!strcmp(envdir, g->e.dir) &&
			    !envdir_has(&g->e, envdir_gen_number(d->d_name)))
				continue;
			p = xasprintf("%s/%s/active.json", envdir, d->d_name);
			ret = add_generation(g, p);
			free(p);
		}
		closedir(dp);
	}
	p = xasprintf("%s/.pkggen/activate.json", builddir);
	add_manifest(g, p);
	free(p);
	p = xasprintf("%s/.pkggen/pkg", builddir);
	/* without a build.ninja to tell, every manifest counts */
	all = graph_manifests(builddir, &used) < 0;
	if ((dp = opendir(p))) {
		while ((d = readdir(dp))) {
			char *m;

			if (!endswith(d->d_name, ".json") || d->d_name[0] == '.' ||
			    (!all && !set_has(&used, d->d_name)))
				continue;
			m = xasprintf("%s/%s", p, d->d_name);
			add_manifest(g, m);
			free(m);
		}
		closedir(dp);
	}
	set_release(&used);
	free(p);
	free(builddir);
	return ret;
}

/* 3: every registered build directory, and ours */
static int
roots(struct gc *g)
{
	char *dir = xasprintf("%s/gcroots", g->store), *p;
	char target[4096];
	struct dirent *d;
	struct stat st;
	ssize_t n;
	DIR *dp;
	int ret;

	if ((ret = add_builddir(g, g->e.dir)) < 0 || !(dp = opendir(dir))) {
		free(dir);
		return ret;
	}
	while (ret == 0 && (d = readdir(dp))) {
		if (d->d_name[0] == '.' || strstr(d->d_name, ".tmp."))
			continue;
		p = xasprintf("%s/%s", dir, d->d_name);
		n = readlink(p, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (stat(target, &st) < 0 && errno == ENOENT) {
				/* the build directory is gone, and its generations */
				if (g->json)
					json_array_append_new(json_object_get(g->report, "roots"),
					    json_string(target));
				else
					printf("%s stale gc root %s -> %s\n", g->dry_run ?
					    "would remove" : "removed", p, target);
				if (!g->dry_run) {
					unlink(p);
					step_point("unlink a stale gc root");
				}
			} else if (strcmp(target, g->e.dir) != 0) {
				ret = add_builddir(g, target);
			}
		}
		free(p);
	}
	closedir(dp);
	free(dir);
	return ret;
}

/* the ids STORE/ID/pkginfo.json depends on, appended to a set-independent list */
static json_t *
load_info(struct gc *g, const char *id)
{
	char *p = xasprintf("%s/%s/pkginfo.json", g->store, id);
	json_t *info = json_load_file(p, 0, NULL);

	free(p);
	return info;
}

/* 4: the runtime closure of the live ids */
static void
closure(struct gc *g)
{
	char **queue = NULL;
	size_t nq = 0, cap = 0, i, j;
	json_t *info, *d;

	for (i = 0; i < g->live.cap; i++)
		if (g->live.slot[i])
			xappend((void ***)&queue, &nq, &cap, xstrdup(g->live.slot[i]));
	for (i = 0; i < nq; i++) {
		info = load_info(g, queue[i]);
		json_array_foreach(json_object_get(info, "depends"), j, d) {
			const char *id = genpkg_dep(d);

			if (id && set_add(&g->live, id))
				xappend((void ***)&queue, &nq, &cap, xstrdup(id));
		}
		json_decref(info);
	}
	for (i = 0; i < nq; i++)
		free(queue[i]);
	free(queue);
}

/* a dead package and its dead dependencies, for the order of removal */
struct dead {
	char *id;
	size_t *deps, ndeps;
	int state;
};

static int
cmpdead(const void *a, const void *b)
{
	return strcmp(((const struct dead *)a)->id, ((const struct dead *)b)->id);
}

/* post-order: dependencies before dependents (reversed by the caller) */
static void
order(struct dead *v, size_t i, size_t *out, size_t *nout)
{
	size_t j;

	if (v[i].state)
		return;
	v[i].state = 1;
	for (j = 0; j < v[i].ndeps; j++)
		order(v, v[i].deps[j], out, nout);
	out[(*nout)++] = i;
}

static int
looks_like_id(const char *name)
{
	size_t i;

	for (i = 0; i < LEN(fixed); i++)
		if (!strcmp(name, fixed[i]))
			return 0;
	return name[0] != '.' && strstr(name, "--") != NULL;
}

/* 5: the store entries nothing keeps, dependents first */
static int
dead_entries(struct gc *g)
{
	struct dead *v = NULL, key;
	size_t n = 0, cap = 0, i, j, *out, nout = 0;
	struct dirent *d;
	DIR *dp = opendir(g->store);
	json_t *info, *x;
	int ret = 0;

	if (!dp)
		return fail("open %s:", g->store);
	while ((d = readdir(dp))) {
		if (!looks_like_id(d->d_name) || set_has(&g->live, d->d_name))
			continue;
		if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		memset(&v[n], 0, sizeof(*v));
		v[n++].id = xstrdup(d->d_name);
	}
	closedir(dp);
	if (n)
		qsort(v, n, sizeof(*v), cmpdead);
	for (i = 0; i < n; i++) {
		info = load_info(g, v[i].id);
		json_array_foreach(json_object_get(info, "depends"), j, x) {
			struct dead *hit;

			key.id = (char *)genpkg_dep(x);
			if (!key.id || !(hit = bsearch(&key, v, n, sizeof(*v), cmpdead)))
				continue;
			v[i].deps = xreallocarray(v[i].deps, v[i].ndeps + 1, sizeof(*v[i].deps));
			v[i].deps[v[i].ndeps++] = (size_t)(hit - v);
		}
		json_decref(info);
	}
	out = xcalloc(n + 1, sizeof(*out));
	for (i = 0; i < n; i++)
		order(v, i, out, &nout);
	for (i = nout; i > 0 && ret == 0; i--) {
		char *path = xasprintf("%s/%s", g->store, v[out[i - 1]].id);
		char *tmp = xasprintf("%s/tmp/gc-%s", g->store, v[out[i - 1]].id);

		report(g, "store", path, du(AT_FDCWD, path));
		g->nids++;
		if (!g->dry_run)
			ret = remove_via(path, tmp);
		free(path);
		free(tmp);
	}
	free(out);
	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].deps);
	}
	free(v);
	return ret;
}

/* 6: archives that neither a live entry nor a manifest needs */
static int
dead_archives(struct gc *g)
{
	static const char *const suffixes[] = {".tar.zst", ".tar.xz", ".tar"};
	char *dir = xasprintf("%s/pkgs", g->store);
	struct dirent *d;
	DIR *dp = opendir(dir);
	int ret = 0;

	while (dp && ret == 0 && (d = readdir(dp))) {
		char *id = NULL, *path;
		size_t s;

		for (s = 0; s < LEN(suffixes) && !id; s++)
			if (endswith(d->d_name, suffixes[s]))
				id = xstrndup(d->d_name, strlen(d->d_name) - strlen(suffixes[s]));
		if (!id || d->d_name[0] == '.' || set_has(&g->live, id) ||
		    set_has(&g->archives, id)) {
			free(id);
			continue;
		}
		path = xasprintf("%s/%s", dir, d->d_name);
		report(g, "archives", path, du(AT_FDCWD, path));
		g->narchives++;
		if (!g->dry_run) {
			if (unlink(path) < 0 && errno != ENOENT)
				ret = fail("unlink %s:", path);
			step_point("unlink an archive");
		}
		free(path);
		free(id);
	}
	if (dp)
		closedir(dp);
	free(dir);
	return ret;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: pkgtool [-B BUILDDIR] gc [--keep K] [--dry-run] [--json]\n\n"
	    "Delete this build directory's generations but the last K (default 5) and\n"
	    "the active one, then every store entry (STORE/ID) and archive (STORE/pkgs)\n"
	    "that no generation of any build directory sharing the store references,\n"
	    "directly or as a runtime dependency. Archives that a build directory's\n"
	    "manifests name stay, so that ninja has no work to do there afterwards.\n"
	    "Prints what it deleted and the bytes it freed.\n");
}

int
cmd_gc(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"json", no_argument, NULL, 'j'},
		{"dry-run", no_argument, NULL, 'n'},
		{"keep", required_argument, NULL, 'k'},
		{NULL, 0, NULL, 0},
	};
	struct gc g;
	char *builddir = NULL, *store = NULL, *end;
	int c, ret = 2;

	memset(&g, 0, sizeof(g));
	g.e.fd = g.e.lock = g.e.gclock = -1;
	g.keep = 5;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hnk:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'j':
			g.json = 1;
			break;
		case 'n':
			g.dry_run = 1;
			break;
		case 'k':
			g.keep = strtol(optarg, &end, 10);
			if (*end || g.keep < 1) {
				fail("--keep: expected a number of generations >= 1, got '%s'", optarg);
				return 2;
			}
			break;
		default:
			fail("unknown option '%s'", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (envdir_locate(&builddir, &store) < 0)
		goto out;
	ret = 1;
	g.store = store;
	g.report = json_pack("{s:[], s:[], s:[], s:[]}", "generations", "store", "archives", "roots");
	if (envdir_open(&g.e, builddir, store, g.dry_run ? ENVDIR_READ : ENVDIR_GC) < 0)
		goto out;
	if ((!g.dry_run && clean_tmp(&g) < 0) || old_generations(&g) < 0 || roots(&g) < 0)
		goto out;
	closure(&g);
	if (dead_entries(&g) < 0 || dead_archives(&g) < 0)
		goto out;
	if (g.json) {
		char *s;

		json_object_set_new(g.report, "freed", json_integer(g.freed));
		json_object_set_new(g.report, "dry_run", json_boolean(g.dry_run));
		s = cjson_pretty(g.report);
		fputs(s, stdout);
		free(s);
	} else {
		printf("%s %lld bytes (%.1f MiB): %zu generation%s, %zu store entr%s, "
		    "%zu archive%s\n", g.dry_run ? "would free" : "freed", g.freed,
		    (double)g.freed / (1024.0 * 1024.0), g.ngens, g.ngens == 1 ? "" : "s",
		    g.nids, g.nids == 1 ? "y" : "ies", g.narchives, g.narchives == 1 ? "" : "s");
	}
	ret = 0;
out:
	json_decref(g.report);
	set_release(&g.live);
	set_release(&g.archives);
	envdir_close(&g.e);
	free(builddir);
	free(store);
	return ret;
}
