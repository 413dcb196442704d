/* SPDX-License-Identifier: MIT */
/* cmd_activate: build the next generation of the active set and switch to it */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

/*
 * Two forms. The edge form reads .pkggen/activate.json, whose packages are
 * the closure of the build's inputs, and makes the active set exactly that.
 * The by-hand form adds packages (ids, or names: the newest version in the
 * store) and their runtime closure to the active set, replacing another
 * version of the same name unless an active package still depends on it.
 * Either way the generation (envdir.c) is built completely before one
 * rename(2) switches to it.
 */

static void
usage(FILE *f)
{
	fprintf(f, "usage: pkgtool activate [MANIFEST]\n"
	    "       pkgtool [-B BUILDDIR] activate ID|NAME...\n\n"
	    "Extract the packages MANIFEST (default BUILDDIR/.pkggen/activate.json) lists\n"
	    "into the store, build the next generation BUILDDIR/env/gen-N of symlinks and\n"
	    "switch BUILDDIR/env/active to it atomically. Nothing happens when the active\n"
	    "generation already holds exactly these packages.\n"
	    "Given package ids or names (a name: its newest version in the store), add\n"
	    "them and their runtime dependencies to the active set instead.\n\n"
	    "environment:\n"
	    "  PKGTOOL_TIMING  1: print how long building and switching took\n");
}

static char *
default_manifest(void)
{
	const char *b = opt_builddir;

	if (!b)
		b = fs_exists("build.ninja") ? "." : "build";
	return xasprintf("%s/.pkggen/activate.json", b);
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* returns a new array of the sorted distinct ids of a "packages" array
 * (borrowed strings), in *n; NULL (and *n = 0) when one lacks an id */
static const char **
sorted_ids(json_t *arr, size_t *n)
{
	const char **ids = xreallocarray(NULL, json_array_size(arr) + 1, sizeof(*ids));
	json_t *v;
	size_t i, k;

	*n = 0;
	json_array_foreach(arr, i, v) {
		if (!(ids[*n] = manifest_entry_id(v))) {
			free(ids);
			*n = 0;
			return NULL;
		}
		++*n;
	}
	qsort(ids, *n, sizeof(*ids), cmpstr);
	for (i = k = 0; i < *n; i++)
		if (k == 0 || strcmp(ids[k - 1], ids[i]) != 0)
			ids[k++] = ids[i];
	*n = k;
	return ids;
}

/* count the ids only in new (added) and only in old (removed); both sorted */
static void
diff(const char **old, size_t nold, const char **new, size_t nnew, size_t *added, size_t *removed)
{
	size_t i = 0, j = 0;

	*added = *removed = 0;
	while (i < nold || j < nnew) {
		int c = i == nold ? 1 : j == nnew ? -1 : strcmp(old[i], new[j]);

		if (c < 0)
			++*removed, i++;
		else if (c > 0)
			++*added, j++;
		else
			i++, j++;
	}
}

/* the active generation's record, or NULL (quietly) when there is none */
static json_t *
active_info(struct envdir *e)
{
	return e->cur && envdir_has(e, e->cur) ? envdir_load(e, e->cur) : NULL;
}

/* BUILDDIR/.pkggen/activate.stamp: the sorted ids, one a line, rewritten
 * only when they change (the edge is restat). Not fsynced: lost, the
 * edge runs again and finds nothing to switch */
static int
write_stamp(const char *builddir, const char **ids, size_t n)
{
	char *path = xasprintf("%s/.pkggen/activate.stamp", builddir);
	struct buf b = BUF_INIT;
	size_t i;
	int ret = -1;

	for (i = 0; i < n; i++)
		buf_printf(&b, "%s\n", ids[i]);
	if (fs_mkparent(path) == 0 && fs_write_if_changed_flags(path, buf_str(&b), b.len, 0) >= 0)
		ret = 0;
	step_point("write activate.stamp");
	buf_release(&b);
	free(path);
	return ret;
}

/* extract the packages (from STORE/pkgs/ID.tar.zst) and load their
 * pkginfo.json into a new array */
static int
load_pkgs(const char *store, const struct store_req *reqs, size_t n, struct genpkg **out)
{
	double t0 = timing_ms();
	int ret;

	*out = xcalloc(n ? n : 1, sizeof(**out));
	ret = genpkg_load_all(*out, store, reqs, n);
	if (ret == 0 && timing_on())
		fprintf(stderr, "pkgtool: timing: %zu packages loaded in %.1f ms\n", n,
		    timing_ms() - t0);
	return ret;
}

static void
free_pkgs(struct genpkg *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		genpkg_release(&v[i]);
	free(v);
}

/* commit pkgs as the next generation and say what changed */
static int
commit(struct envdir *e, struct genpkg *pkgs, size_t n, const char **old, size_t nold,
    const char *where)
{
	const char **ids = xreallocarray(NULL, n ? n : 1, sizeof(*ids));
	size_t i, added, removed;
	long gen;
	int ret = -1;

	for (i = 0; i < n; i++)
		ids[i] = pkgs[i].id;
	qsort(ids, n, sizeof(*ids), cmpstr);
	diff(old, nold, ids, n, &added, &removed);
	if (envdir_commit(e, pkgs, n, where, &gen) == 0) {
		printf("activated generation %ld: %zu packages (+%zu, -%zu)\n",
		    gen, n, added, removed);
		ret = 0;
	}
	free(ids);
	return ret;
}

static int
same_ids(const char **a, size_t na, const char **b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/* the edge form: make the active set exactly the manifest's packages */
static int
activate_manifest(const char *mpath)
{
	struct envdir e;
	json_t *m, *arr, *v, *cur = NULL;
	const char *store, *builddir, **want = NULL, **old = NULL;
	struct store_req *reqs = NULL;
	struct genpkg *pkgs = NULL;
	size_t i, n = 0, nwant = 0, nold = 0, nloaded = 0;
	int ret = 2;

	memset(&e, 0, sizeof(e));
	e.fd = e.lock = e.gclock = -1;
	if (!(m = manifest_load(mpath)))
		return 2;
	store = manifest_str(m, "store");
	builddir = manifest_str(m, "builddir");
	arr = json_object_get(m, "packages");
	if (!store || !builddir)
		goto out;
	if (store[0] != '/' || builddir[0] != '/') {
		fail("store and builddir must be absolute paths (%s)", mpath);
		goto out;
	}
	if (!json_is_array(arr)) {
		fail("manifest lacks the array 'packages' (%s)", mpath);
		goto out;
	}
	reqs = xcalloc(json_array_size(arr) + 1, sizeof(*reqs));
	json_array_foreach(arr, i, v) {
		/* the package's pkginfo.json must hold this id, which begins
		 * with its name */
		reqs[n].id = manifest_entry_id(v);
		if (!reqs[n].id) {
			fail("packages[%zu] must be a package id (%s)", i, mpath);
			goto out;
		}
		if (store_check_id(reqs[n].id) < 0)
			goto out;
		n++;
	}
	want = sorted_ids(arr, &nwant);
	ret = 1;
	if (envdir_open(&e, builddir, store, 0) < 0)
		goto out;
	cur = active_info(&e);
	old = sorted_ids(json_object_get(cur, "packages"), &nold);
	if (cur && old && same_ids(old, nold, want, nwant)) {
		/* nothing to switch; the stamp or the gc root may be missing still */
		if (write_stamp(builddir, want, nwant) == 0 && store_add_root(store, e.dir) == 0)
			ret = 0;
		goto out;
	}
	nloaded = n;
	if (load_pkgs(store, reqs, n, &pkgs) < 0)
		goto out;
	if (genpkg_closure(store, &pkgs, &nloaded, mpath) < 0)
		goto out;
	if (commit(&e, pkgs, nloaded, old, nold, mpath) < 0)
		goto out;
	if (write_stamp(builddir, want, nwant) < 0)
		goto out;
	ret = 0;
out:
	free_pkgs(pkgs, nloaded);
	envdir_close(&e);
	json_decref(cur);
	json_decref(m);
	free(old);
	free(want);
	free(reqs);
	return ret;
}

/* the package of v (n of them) named name, or NULL */
static struct genpkg *
by_name(struct genpkg *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* borrowed: the name of the package id in a generation's "packages", or NULL */
static const char *
name_of(json_t *arr, const char *id)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		const char *x = cjson_str(v, "id");

		if (x && strcmp(x, id) == 0)
			return cjson_str(v, "name");
	}
	return NULL;
}

/* the by-hand form: add packages and their closure to the active set */
static int
activate_args(char **args, size_t nargs)
{
	struct envdir e;
	char *builddir = NULL, *store = NULL, **ids = NULL;
	json_t *cur = NULL, *arr, *v;
	const char **old = NULL;
	struct store_req *reqs = NULL;
	struct genpkg *add = NULL, *all = NULL;
	size_t i, j, k, nadd = 0, nall = 0, ncur = 0, nold = 0;
	int ret = 2;

	memset(&e, 0, sizeof(e));
	e.fd = e.lock = e.gclock = -1;
	if (envdir_locate(&builddir, &store) < 0)
		goto out;
	ids = xcalloc(nargs, sizeof(*ids));
	for (i = 0; i < nargs; i++)
		if (!(ids[i] = store_resolve(store, args[i])))
			goto out;
	ret = 1;
	if (envdir_open(&e, builddir, store, 0) < 0)
		goto out;
	cur = active_info(&e);
	arr = json_object_get(cur, "packages");
	old = sorted_ids(arr, &nold);
	ncur = json_array_size(arr);

	/* what to add: the packages and their runtime closure */
	reqs = xcalloc(nargs + ncur + 1, sizeof(*reqs));
	for (i = 0; i < nargs; i++)
		reqs[i].id = ids[i];
	nadd = nargs;
	if (load_pkgs(store, reqs, nargs, &add) < 0 ||
	    genpkg_closure(store, &add, &nadd, "activate") < 0)
		goto out;

	/* what stays: the active packages that no added one replaces */
	k = 0;
	json_array_foreach(arr, i, v) {
		const char *id = cjson_str(v, "id"), *name = cjson_str(v, "name");
		struct genpkg *p = name ? by_name(add, nadd, name) : NULL;

		if (!id || (p && strcmp(p->id, id) == 0))
			continue;
		if (p)
			continue;
		reqs[k].id = id;
		k++;
	}
	nall = k;
	if (load_pkgs(store, reqs, k, &all) < 0)
		goto out;
	/* a replaced version must not be what a staying package depends on */
	for (i = 0; i < k; i++) {
		for (j = 0; j < all[i].ndeps; j++) {
			const char *id = all[i].deps[j], *name = name_of(arr, id);
			struct genpkg *p = name ? by_name(add, nadd, name) : NULL;

			if (p && strcmp(p->id, id) != 0) {
				fail("cannot replace %s by %s: the active %s depends on it "
				    "(deactivate %s first)", id, p->id, all[i].id, all[i].name);
				goto out;
			}
		}
	}
	all = xreallocarray(all, k + nadd, sizeof(*all));
	for (i = 0; i < nadd; i++)
		all[nall++] = add[i];
	free(add);
	add = NULL;
	nadd = 0;
	if (genpkg_closure(store, &all, &nall, "activate") < 0)
		goto out;
	{
		const char **now = xreallocarray(NULL, nall ? nall : 1, sizeof(*now));
		int same;

		for (i = 0; i < nall; i++)
			now[i] = all[i].id;
		qsort(now, nall, sizeof(*now), cmpstr);
		same = cur && same_ids(old, nold, now, nall);
		free(now);
		if (same) {
			printf("generation %ld already holds these packages\n", e.cur);
			ret = 0;
			goto out;
		}
	}
	if (commit(&e, all, nall, old, nold, "activate") < 0)
		goto out;
	json_array_foreach(arr, i, v) {
		const char *id = cjson_str(v, "id"), *name = cjson_str(v, "name");
		struct genpkg *p = name ? by_name(all, nall, name) : NULL;

		if (id && p && strcmp(p->id, id) != 0)
			printf("replaced %s with %s\n", id, p->id);
	}
	ret = 0;
out:
	free_pkgs(add, nadd);
	free_pkgs(all, nall);
	envdir_close(&e);
	json_decref(cur);
	free(old);
	free(reqs);
	for (i = 0; ids && i < nargs; i++)
		free(ids[i]);
	free(ids);
	free(builddir);
	free(store);
	return ret;
}

int
cmd_activate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char *mpath;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		default:
			fail("unknown option '%s'", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	/* a manifest is a path (ids and names hold no '/') or a .json file */
	if (argc - optind > 1 || (argc - optind == 1 && !strchr(argv[optind], '/') &&
	    !endswith(argv[optind], ".json")))
		return activate_args(argv + optind, (size_t)(argc - optind));
	mpath = optind < argc ? xstrdup(argv[optind]) : default_manifest();
	ret = activate_manifest(mpath);
	free(mpath);
	return ret;
}
