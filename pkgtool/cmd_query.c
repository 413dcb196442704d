/* SPDX-License-Identifier: MIT */
/* cmd_query: list, info and why, on a build directory's active set */
#include <dirent.h>
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

/* paths `why` prints before it only counts the rest */
#define MAX_PATHS 100

/* the active generation as a graph: packages and their dependency edges */
struct graph {
	json_t *info;		/* active.json; NULL when nothing is active */
	size_t n;
	const char **ids, **names, **versions;	/* borrowed from info */
	size_t **deps, *ndeps;	/* indexes of the active packages each depends on */
	size_t *nusers;		/* how many active packages depend on each */
};

static void
graph_release(struct graph *g)
{
	size_t i;

	for (i = 0; g->deps && i < g->n; i++)
		free(g->deps[i]);
	free(g->deps);
	free(g->ndeps);
	free(g->nusers);
	free(g->ids);
	free(g->names);
	free(g->versions);
	json_decref(g->info);
	memset(g, 0, sizeof(*g));
}

/* the index of the active package named or with the id s, or g->n */
static size_t
graph_find(const struct graph *g, const char *s)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->names[i], s) || !strcmp(g->ids[i], s))
			return i;
	return g->n;
}

static int
cmpid(const void *a, const void *b, void *arg)
{
	const char *const *ids = arg;

	return strcmp(ids[*(const size_t *)a], ids[*(const size_t *)b]);
}

/* load the active generation of e (none: g->info stays NULL); 0 or -1 */
static int
graph_load(struct graph *g, struct envdir *e)
{
	json_t *arr, *v, *d;
	size_t i, j, *by;

	memset(g, 0, sizeof(*g));
	if (!e->cur || !envdir_has(e, e->cur))
		return 0;
	if (!(g->info = envdir_load(e, e->cur)))
		return -1;
	arr = json_object_get(g->info, "packages");
	g->n = json_array_size(arr);
	g->ids = xcalloc(g->n + 1, sizeof(*g->ids));
	g->names = xcalloc(g->n + 1, sizeof(*g->names));
	g->versions = xcalloc(g->n + 1, sizeof(*g->versions));
	g->deps = xcalloc(g->n + 1, sizeof(*g->deps));
	g->ndeps = xcalloc(g->n + 1, sizeof(*g->ndeps));
	g->nusers = xcalloc(g->n + 1, sizeof(*g->nusers));
	by = xcalloc(g->n + 1, sizeof(*by));
	json_array_foreach(arr, i, v) {
		g->ids[i] = cjson_str(v, "id");
		g->names[i] = cjson_str(v, "name");
		g->versions[i] = cjson_str(v, "version");
		if (!g->ids[i] || !g->names[i] || !g->versions[i]) {
			free(by);
			return fail("%s/gen-%ld/active.json: packages[%zu] lacks name, version "
			    "or id", e->dir, e->cur, i);
		}
		by[i] = i;
	}
	qsort_r(by, g->n, sizeof(*by), cmpid, g->ids);
	json_array_foreach(arr, i, v) {
		json_array_foreach(json_object_get(v, "depends"), j, d) {
			size_t lo = 0, hi = g->n, k = g->n;

			if (!json_is_string(d))
				continue;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				int c = strcmp(g->ids[by[mid]], json_string_value(d));

				if (c == 0) {
					k = by[mid];
					break;
				}
				if (c < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (k == g->n || k == i)
				continue;
			g->deps[i] = xreallocarray(g->deps[i], g->ndeps[i] + 1, sizeof(**g->deps));
			g->deps[i][g->ndeps[i]++] = k;
			g->nusers[k]++;
		}
	}
	free(by);
	return 0;
}

/* options every query takes */
static int
parse(int argc, char **argv, void (*usage)(FILE *), int *json)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*json = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c != 'j') {
			fail("unknown option '%s'", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
		*json = 1;
	}
	return -1;
}

/* open the build directory's env/ for reading and load its active set */
static int
open_active(struct envdir *e, struct graph *g, char **store)
{
	char *builddir = NULL;
	int ret;

	memset(g, 0, sizeof(*g));
	memset(e, 0, sizeof(*e));
	e->fd = e->lock = e->gclock = -1;
	*store = NULL;
	if (envdir_locate(&builddir, store) < 0)
		return 2;
	ret = envdir_open(e, builddir, *store, ENVDIR_READ) < 0 || graph_load(g, e) < 0 ? 1 : 0;
	free(builddir);
	return ret;
}

static void
print_json(json_t *v)
{
	char *s = cjson_pretty(v);

	fputs(s, stdout);
	free(s);
}

static void
list_usage(FILE *f)
{
	fprintf(f, "usage: pkgtool [-B BUILDDIR] list [--json]\n\n"
	    "List the packages of the active generation: name, version, id.\n");
}

static int
cmpname(const void *a, const void *b, void *arg)
{
	const char *const *names = arg;

	return strcmp(names[*(const size_t *)a], names[*(const size_t *)b]);
}

int
cmd_list(int argc, char **argv)
{
	struct envdir e;
	struct graph g;
	char *store = NULL;
	size_t i, *by = NULL;
	int json, ret, wn = 0, wv = 0;

	if ((ret = parse(argc, argv, list_usage, &json)) >= 0)
		return ret;
	if (optind != argc) {
		list_usage(stderr);
		return 2;
	}
	if ((ret = open_active(&e, &g, &store)) != 0)
		goto out;
	if (json) {
		json_t *arr = json_object_get(g.info, "packages");

		if (arr)
			print_json(arr);
		else
			printf("[]\n");
		goto out;
	}
	by = xcalloc(g.n + 1, sizeof(*by));
	for (i = 0; i < g.n; i++) {
		by[i] = i;
		if ((int)strlen(g.names[i]) > wn)
			wn = (int)strlen(g.names[i]);
		if ((int)strlen(g.versions[i]) > wv)
			wv = (int)strlen(g.versions[i]);
	}
	qsort_r(by, g.n, sizeof(*by), cmpname, g.names);
	for (i = 0; i < g.n; i++)
		printf("%-*s  %-*s  %s\n", wn, g.names[by[i]], wv, g.versions[by[i]], g.ids[by[i]]);
out:
	free(by);
	graph_release(&g);
	envdir_close(&e);
	free(store);
	return ret;
}

/* the bytes of the regular files under dir (their content, as du -b counts) */
static long long
tree_bytes(int dfd, const char *name)
{
	struct stat st;
	struct dirent *d;
	long long sum = 0;
	DIR *dir;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? (long long)st.st_size : 0;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((d = readdir(dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			sum += tree_bytes(fd, d->d_name);
	closedir(dir);
	return sum;
}

static void
info_usage(FILE *f)
{
	fprintf(f, "usage: pkgtool [-B BUILDDIR] info [--json] NAME|ID\n\n"
	    "Describe a package from its pkginfo.json: name, version, id, kind, runtime\n"
	    "dependencies, env, file count, size, and the generations that hold it.\n"
	    "A NAME is the active package of that name, else the newest in the store.\n");
}

int
cmd_info(int argc, char **argv)
{
	struct envdir e;
	struct graph g;
	struct buf b = BUF_INIT;
	struct stat st;
	char *store = NULL, *id = NULL, *prefix = NULL, *path = NULL, *archive = NULL;
	json_t *info = NULL, *gens = NULL, *deps = NULL, *out = NULL, *env, *x, *kind;
	json_error_t err;
	long long size = -1, asize = -1;
	size_t i, k, nfiles;
	const char *var;
	int json, ret;

	if ((ret = parse(argc, argv, info_usage, &json)) >= 0)
		return ret;
	if (optind != argc - 1) {
		info_usage(stderr);
		return 2;
	}
	if ((ret = open_active(&e, &g, &store)) != 0)
		goto out;
	k = graph_find(&g, argv[optind]);
	id = k < g.n ? xstrdup(g.ids[k]) : store_resolve(store, argv[optind]);
	if (!id) {
		ret = 2;
		goto out;
	}
	ret = 1;
	prefix = xasprintf("%s/%s", store, id);
	path = xasprintf("%s/pkginfo.json", prefix);
	archive = store_archive(store, id);
	if (fs_exists(path)) {
		if (!(info = cjson_load(path)))
			goto out;
		size = tree_bytes(AT_FDCWD, prefix);
	} else {
		if (archive_read_member(archive, "pkginfo.json", &b) < 0)
			goto out;
		if (!(info = json_loadb(b.s, b.len, 0, &err))) {
			fail("%s: pkginfo.json: %s", archive, err.text);
			goto out;
		}
	}
	if (!json_is_object(info)) {
		fail("%s: pkginfo.json is not an object", fs_exists(path) ? path : archive);
		goto out;
	}
	if (stat(archive, &st) == 0)
		asize = (long long)st.st_size;
	nfiles = json_object_size(json_object_get(info, "files")) +
	    json_object_size(json_object_get(info, "links"));
	/* the generations that hold it */
	gens = json_array();
	for (i = 0; i < e.ngens; i++) {
		json_t *gi = envdir_load(&e, e.gens[i]), *v;
		size_t j;

		if (!gi)
			goto out;
		json_array_foreach(json_object_get(gi, "packages"), j, v) {
			const char *x2 = cjson_str(v, "id");

			if (x2 && !strcmp(x2, id)) {
				json_array_append_new(gens, json_integer(e.gens[i]));
				break;
			}
		}
		json_decref(gi);
	}
	deps = json_array();
	json_array_foreach(json_object_get(info, "depends"), i, x) {
		const char *d = genpkg_dep(x);

		if (d)
			json_array_append_new(deps, json_string(d));
	}
	env = json_object_get(info, "env");
	kind = json_object_get(info, "kind");
	if (json) {
		out = json_pack("{s:O?, s:O?, s:s, s:O?, s:O, s:o, s:I, s:o, s:o, s:O, s:b, s:o}",
		    "name", json_object_get(info, "name"), "version", json_object_get(info, "version"),
		    "id", id, "kind", kind, "depends", deps,
		    "env", json_is_object(env) ? json_incref(env) : json_object(),
		    "files", (json_int_t)nfiles,
		    "size", size >= 0 ? json_integer(size) : json_null(),
		    "archive_size", asize >= 0 ? json_integer(asize) : json_null(),
		    "generations", gens, "active", k < g.n,
		    "path", size >= 0 ? json_string(prefix) : json_null());
		if (!out)
			fatal("out of memory");
		print_json(out);
		ret = 0;
		goto out;
	}
	printf("name:        %s\n", cjson_str(info, "name") ? cjson_str(info, "name") : "?");
	printf("version:     %s\n", cjson_str(info, "version") ? cjson_str(info, "version") : "?");
	printf("id:          %s\n", id);
	printf("kind:        %s\n", json_is_string(kind) ? json_string_value(kind) : "-");
	printf("depends:    ");
	json_array_foreach(deps, i, x)
		printf(" %s", json_string_value(x));
	printf("%s\n", json_array_size(deps) ? "" : " -");
	printf("env:        ");
	json_object_foreach(env, var, x)
		printf(" %s=%s", var, json_is_string(x) ? json_string_value(x) : "?");
	printf("%s\n", json_object_size(env) ? "" : " -");
	printf("files:       %zu\n", nfiles);
	if (size >= 0)
		printf("size:        %lld bytes (%s)\n", size, prefix);
	else
		printf("size:        not extracted\n");
	if (asize >= 0)
		printf("archive:     %lld bytes (%s)\n", asize, archive);
	printf("generations:");
	json_array_foreach(gens, i, x) {
		long n = (long)json_integer_value(x);

		printf(" %ld%s", n, n == e.cur ? " (active)" : "");
	}
	printf("%s\n", json_array_size(gens) ? "" : " -");
	ret = 0;
out:
	json_decref(out);
	json_decref(deps);
	json_decref(gens);
	json_decref(info);
	buf_release(&b);
	free(archive);
	free(path);
	free(prefix);
	free(id);
	graph_release(&g);
	envdir_close(&e);
	free(store);
	return ret;
}

/* why: the chains from roots down to a package */
struct why {
	const struct graph *g;
	size_t target;
	char *state;		/* 0 unknown, 1 visiting, 2 reaches, 3 does not */
	size_t *stack, depth, printed, total;
	int json;
	json_t *paths;
};

/* does package i lead to the target? (memoized; a cycle does not) */
static int
reaches(struct why *w, size_t i)
{
	size_t j;
	int r = 0;

	if (i == w->target)
		return 1;
	if (w->state[i])
		return w->state[i] == 2;
	w->state[i] = 1;
	for (j = 0; j < w->g->ndeps[i]; j++)
		if (reaches(w, w->g->deps[i][j]))
			r = 1;
	w->state[i] = r ? 2 : 3;
	return r;
}

static void
emit(struct why *w)
{
	size_t i;

	w->total++;
	if (w->printed >= MAX_PATHS)
		return;
	w->printed++;
	if (w->json) {
		json_t *p = json_array();

		for (i = 0; i < w->depth; i++)
			json_array_append_new(p, json_string(w->g->names[w->stack[i]]));
		json_array_append_new(w->paths, p);
		return;
	}
	for (i = 0; i < w->depth; i++)
		printf("%s%s", i ? " -> " : "", w->g->names[w->stack[i]]);
	printf("\n");
}

static int
cmpdep(const void *a, const void *b, void *arg)
{
	const struct graph *g = arg;

	return strcmp(g->names[*(const size_t *)a], g->names[*(const size_t *)b]);
}

/* every path from i down to the target; stops counting far beyond what it prints */
static void
walk(struct why *w, size_t i)
{
	size_t j;

	if (w->total > 100 * MAX_PATHS)
		return;
	w->stack[w->depth++] = i;
	if (i == w->target) {
		emit(w);
	} else {
		for (j = 0; j < w->g->ndeps[i]; j++) {
			size_t d = w->g->deps[i][j];
			size_t k;

			/* a cycle in a broken record: never revisit the path */
			for (k = 0; k < w->depth && w->stack[k] != d; k++)
				;
			if (k == w->depth && reaches(w, d))
				walk(w, d);
		}
	}
	w->depth--;
}

static void
why_usage(FILE *f)
{
	fprintf(f, "usage: pkgtool [-B BUILDDIR] why [--json] NAME|ID\n\n"
	    "Show the dependency chains that keep a package active: one line\n"
	    "'root -> ... -> NAME' for each path from a package nothing depends on.\n");
}

int
cmd_why(int argc, char **argv)
{
	struct envdir e;
	struct graph g;
	struct why w;
	char *store = NULL;
	size_t i, *roots = NULL, nroots = 0;
	json_t *out = NULL;
	int json, ret;

	memset(&w, 0, sizeof(w));
	if ((ret = parse(argc, argv, why_usage, &json)) >= 0)
		return ret;
	if (optind != argc - 1) {
		why_usage(stderr);
		return 2;
	}
	if ((ret = open_active(&e, &g, &store)) != 0)
		goto out;
	ret = 1;
	if (!g.info) {
		fail("nothing is active (%s)", e.dir);
		goto out;
	}
	w.target = graph_find(&g, argv[optind]);
	if (w.target == g.n) {
		fail("%s is not active (generation %ld of %s)", argv[optind], e.cur, e.dir);
		goto out;
	}
	w.g = &g;
	w.json = json;
	w.state = xcalloc(g.n + 1, 1);
	w.stack = xcalloc(g.n + 1, sizeof(*w.stack));
	w.paths = json_array();
	roots = xcalloc(g.n + 1, sizeof(*roots));
	for (i = 0; i < g.n; i++) {
		if (g.ndeps[i] > 1)
			qsort_r(g.deps[i], g.ndeps[i], sizeof(**g.deps), cmpdep, &g);
		if (g.nusers[i] == 0)
			roots[nroots++] = i;
	}
	qsort_r(roots, nroots, sizeof(*roots), cmpdep, &g);
	if (g.nusers[w.target] == 0) {
		if (!json)
			printf("%s is a root\n", g.names[w.target]);
	} else {
		for (i = 0; i < nroots; i++)
			if (reaches(&w, roots[i]))
				walk(&w, roots[i]);
		if (!json && w.total > w.printed)
			printf("... and %s%zu more\n", w.total > 100 * MAX_PATHS ? "over " : "",
			    w.total - w.printed);
	}
	if (json) {
		out = json_pack("{s:s, s:s, s:b, s:O}", "name", g.names[w.target],
		    "id", g.ids[w.target], "root", g.nusers[w.target] == 0, "paths", w.paths);
		print_json(out);
	}
	ret = 0;
out:
	json_decref(out);
	json_decref(w.paths);
	free(w.state);
	free(w.stack);
	free(roots);
	graph_release(&g);
	envdir_close(&e);
	free(store);
	return ret;
}
