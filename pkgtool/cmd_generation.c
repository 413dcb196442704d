/* SPDX-License-Identifier: MIT */
/* cmd_generation: deactivate (with Liota's cascade), rollback, generations */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

/*
 * Each of these works on the build directory that -B names (envdir_locate).
 * deactivate makes a new generation without the named packages and whatever
 * active package depends on them, transitively; rollback only moves
 * env/active to a generation on disk, so it is one rename(2) whatever the
 * number of packages. Neither touches .pkggen/activate.stamp: the next
 * `ninja` keeps the choice until the build's packages change, and
 * `pkgtool activate` (the manifest form) restores the build's set.
 */

struct opts {
	int json, dry_run;
	long to;	/* 0: not given */
};

/* parse the options the command allows, from 'h' (--help), 'j' (--json),
 * 'n' (--dry-run) and 't' (--to N). Returns -1 to go on, else the exit code */
static int
parse(int argc, char **argv, const char *allowed, void (*usage)(FILE *), struct opts *o)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"json", no_argument, NULL, 'j'},
		{"dry-run", no_argument, NULL, 'n'},
		{"to", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hnt:", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == '?' || c == ':' || !strchr(allowed, c)) {
			fail("unknown option '%s'", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
		if (c == 'j')
			o->json = 1;
		else if (c == 'n')
			o->dry_run = 1;
		else if (c == 't') {
			o->to = strtol(optarg, &end, 10);
			if (*end || o->to < 1) {
				fail("--to: not a generation number: '%s'", optarg);
				return 2;
			}
		}
	}
	return -1;
}

/* the packages of the active generation: a new reference, or NULL after a
 * message saying nothing is active */
static json_t *
active_info(struct envdir *e)
{
	if (!e->cur || !envdir_has(e, e->cur)) {
		fail("nothing is active (%s)", e->dir);
		return NULL;
	}
	return envdir_load(e, e->cur);
}

static int
cmpidx(const void *a, const void *b, void *arg)
{
	const char *const *ids = arg;

	return strcmp(ids[*(const size_t *)a], ids[*(const size_t *)b]);
}

/* the index of id among ids (n), through by (sorted indexes), or n */
static size_t
find(const char **ids, const size_t *by, size_t n, const char *id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(ids[by[mid]], id);

		if (c == 0)
			return by[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n;
}

static void
deactivate_usage(FILE *f)
{
	fprintf(f, "usage: pkgtool [-B BUILDDIR] deactivate [--dry-run] [--json] NAME|ID...\n\n"
	    "Make a new generation without the named packages and without every active\n"
	    "package that depends on them (transitively), and switch to it. Prints what\n"
	    "it removed and why. --dry-run only shows the plan.\n");
}

int
cmd_deactivate(int argc, char **argv)
{
	struct opts o;
	struct envdir e;
	char *builddir = NULL, *store = NULL;
	json_t *info = NULL, *arr, *v, *d, *out = NULL;
	const char **ids = NULL, **names = NULL;
	size_t *by = NULL, *queue = NULL, **rev = NULL, *nrev = NULL, n = 0, i, j, q, nq = 0;
	long *why = NULL, gen = 0;
	struct store_req *reqs = NULL;
	struct genpkg *keep = NULL;
	size_t nkeep = 0;
	int ret, r;

	memset(&e, 0, sizeof(e));
	e.fd = e.lock = e.gclock = -1;
	if ((r = parse(argc, argv, "hjn", deactivate_usage, &o)) >= 0)
		return r;
	if (optind == argc) {
		deactivate_usage(stderr);
		return 2;
	}
	ret = 2;
	if (envdir_locate(&builddir, &store) < 0)
		goto out;
	ret = 1;
	if (envdir_open(&e, builddir, store, o.dry_run ? ENVDIR_READ : 0) < 0 ||
	    !(info = active_info(&e)))
		goto out;
	arr = json_object_get(info, "packages");
	n = json_array_size(arr);
	ids = xcalloc(n + 1, sizeof(*ids));
	names = xcalloc(n + 1, sizeof(*names));
	by = xcalloc(n + 1, sizeof(*by));
	json_array_foreach(arr, i, v) {
		ids[i] = cjson_str(v, "id");
		names[i] = cjson_str(v, "name");
		if (!ids[i] || !names[i]) {
			fail("%s/gen-%ld/active.json: packages[%zu] lacks name or id", e.dir, e.cur, i);
			goto out;
		}
		by[i] = i;
	}
	qsort_r(by, n, sizeof(*by), cmpidx, ids);

	/* who depends on whom, reversed */
	rev = xcalloc(n + 1, sizeof(*rev));
	nrev = xcalloc(n + 1, sizeof(*nrev));
	json_array_foreach(arr, i, v) {
		json_array_foreach(json_object_get(v, "depends"), j, d) {
			size_t k = json_is_string(d) ? find(ids, by, n, json_string_value(d)) : n;

			if (k == n || k == i)
				continue;
			rev[k] = xreallocarray(rev[k], nrev[k] + 1, sizeof(**rev));
			rev[k][nrev[k]++] = i;
		}
	}

	/* the named packages, then their dependents, breadth first; why[i] is
	 * what package i depends on that goes (-1: named, -2: stays) */
	why = xcalloc(n + 1, sizeof(*why));
	queue = xcalloc(n + 1, sizeof(*queue));
	for (i = 0; i < n; i++)
		why[i] = -2;
	ret = 2;
	for (r = optind; r < argc; r++) {
		for (i = 0; i < n && strcmp(names[i], argv[r]) && strcmp(ids[i], argv[r]); i++)
			;
		if (i == n) {
			fail("%s is not active (generation %ld of %s)", argv[r], e.cur, e.dir);
			goto out;
		}
		if (why[i] == -2) {
			why[i] = -1;
			queue[nq++] = i;
		}
	}
	for (q = 0; q < nq; q++) {
		for (j = 0; j < nrev[queue[q]]; j++) {
			size_t k = rev[queue[q]][j];

			if (why[k] == -2) {
				why[k] = (long)queue[q];
				queue[nq++] = k;
			}
		}
	}

	ret = 1;
	if (!o.dry_run) {
		/* the rest, as a new generation */
		reqs = xcalloc(n + 1, sizeof(*reqs));
		for (i = 0; i < n; i++)
			if (why[i] == -2)
				reqs[nkeep++].id = ids[i];
		/* extracting is normally a no-op: the store keeps what
		 * generations reference */
		keep = xcalloc(nkeep + 1, sizeof(*keep));
		if (genpkg_load_all(keep, store, reqs, nkeep) < 0)
			goto out;
		if (genpkg_closure(store, &keep, &nkeep, "deactivate") < 0 ||
		    envdir_commit(&e, keep, nkeep, "deactivate", &gen) < 0)
			goto out;
	}
	if (o.json)
		out = json_array();
	for (q = 0; q < nq; q++) {
		size_t k = queue[q];
		const char *dep = why[k] >= 0 ? names[why[k]] : NULL;

		if (o.json)
			json_array_append_new(out, json_pack("{s:s, s:s, s:o}", "name", names[k],
			    "id", ids[k], "because", dep ? json_string(dep) : json_null()));
		else if (dep)
			printf("%s %s (depends on %s)\n", o.dry_run ? "would remove" : "removed",
			    names[k], dep);
		else
			printf("%s %s\n", o.dry_run ? "would remove" : "removed", names[k]);
	}
	if (o.json) {
		char *s = cjson_pretty(out);

		fputs(s, stdout);
		free(s);
	} else if (!o.dry_run) {
		printf("activated generation %ld: %zu packages (-%zu)\n", gen, nkeep, nq);
	}
	ret = 0;
out:
	for (i = 0; keep && i < nkeep; i++)
		genpkg_release(&keep[i]);
	free(keep);
	free(reqs);
	for (i = 0; rev && i < n; i++)
		free(rev[i]);
	free(rev);
	free(nrev);
	free(why);
	free(queue);
	free(by);
	free(ids);
	free(names);
	json_decref(out);
	json_decref(info);
	envdir_close(&e);
	free(builddir);
	free(store);
	return ret;
}

static void
rollback_usage(FILE *f)
{
	fprintf(f, "usage: pkgtool [-B BUILDDIR] rollback [--to N]\n\n"
	    "Switch BUILDDIR/env/active back to the generation that was active before\n"
	    "the current one (or, when that one is gone, the newest older one), or to\n"
	    "generation N, with one rename(2). No generation is made or deleted.\n\n"
	    "environment:\n"
	    "  PKGTOOL_TIMING  1: print how long the switch itself took\n");
}

int
cmd_rollback(int argc, char **argv)
{
	struct opts o;
	struct envdir e;
	char *builddir = NULL, *store = NULL;
	json_t *cur = NULL, *target = NULL, *prev, *v;
	struct store_req *reqs = NULL;
	size_t i, n = 0;
	long to = 0;
	int ret, r;

	memset(&e, 0, sizeof(e));
	e.fd = e.lock = e.gclock = -1;
	if ((r = parse(argc, argv, "ht", rollback_usage, &o)) >= 0)
		return r;
	if (optind != argc) {
		rollback_usage(stderr);
		return 2;
	}
	ret = 2;
	if (envdir_locate(&builddir, &store) < 0)
		goto out;
	ret = 1;
	if (envdir_open(&e, builddir, store, 0) < 0)
		goto out;
	if (o.to) {
		if (!envdir_has(&e, o.to)) {
			fail("no generation %ld (%s; see pkgtool generations)", o.to, e.dir);
			ret = 2;
			goto out;
		}
		to = o.to;
	} else {
		if (!(cur = active_info(&e)))
			goto out;
		prev = json_object_get(cur, "previous");
		if (json_is_integer(prev) && envdir_has(&e, (long)json_integer_value(prev)))
			to = (long)json_integer_value(prev);
		for (i = e.ngens; !to && i > 0; i--)
			if (e.gens[i - 1] < e.cur)
				to = e.gens[i - 1];
		if (!to) {
			fail("nothing to roll back to: generation %ld is the oldest (%s)",
			    e.cur, e.dir);
			goto out;
		}
	}
	if (to == e.cur) {
		printf("generation %ld is already active\n", to);
		ret = 0;
		goto out;
	}
	/* every package of the target must be in the store (gc keeps them;
	 * this only stats them, unless someone removed one by hand) */
	if (!(target = envdir_load(&e, to)))
		goto out;
	n = json_array_size(json_object_get(target, "packages"));
	reqs = xcalloc(n + 1, sizeof(*reqs));
	json_array_foreach(json_object_get(target, "packages"), i, v) {
		if (!(reqs[i].id = cjson_str(v, "id"))) {
			fail("%s/gen-%ld/active.json: packages[%zu] lacks an id", e.dir, to, i);
			goto out;
		}
	}
	if (store_extract_all(store, reqs, n) < 0)
		goto out;
	{
		long from = e.cur;

		if (envdir_switch(&e, to) < 0)
			goto out;
		printf("switched from generation %ld to generation %ld (%zu packages)\n",
		    from, to, n);
	}
	ret = 0;
out:
	free(reqs);
	json_decref(cur);
	json_decref(target);
	envdir_close(&e);
	free(builddir);
	free(store);
	return ret;
}

static void
generations_usage(FILE *f)
{
	fprintf(f, "usage: pkgtool [-B BUILDDIR] generations [--json]\n\n"
	    "List the generations of the active set: number, date (UTC), package count;\n"
	    "the active one is marked with '*'.\n");
}

int
cmd_generations(int argc, char **argv)
{
	struct opts o;
	struct envdir e;
	char *builddir = NULL, *store = NULL, *s;
	json_t *info, *arr = NULL;
	size_t i;
	int ret, r;

	memset(&e, 0, sizeof(e));
	e.fd = e.lock = e.gclock = -1;
	if ((r = parse(argc, argv, "hj", generations_usage, &o)) >= 0)
		return r;
	if (optind != argc) {
		generations_usage(stderr);
		return 2;
	}
	ret = 2;
	if (envdir_locate(&builddir, &store) < 0)
		goto out;
	ret = 1;
	if (envdir_open(&e, builddir, store, ENVDIR_READ) < 0)
		goto out;
	arr = json_array();
	for (i = 0; i < e.ngens; i++) {
		long n = e.gens[i];
		const char *created;
		size_t npkgs;

		if (!(info = envdir_load(&e, n)))
			goto out;
		created = cjson_str(info, "created");
		npkgs = json_array_size(json_object_get(info, "packages"));
		if (o.json)
			json_array_append_new(arr, json_pack("{s:I, s:s?, s:I, s:b, s:O}",
			    "generation", (json_int_t)n, "created", created,
			    "packages", (json_int_t)npkgs, "active", n == e.cur,
			    "previous", json_object_get(info, "previous") ?
			    json_object_get(info, "previous") : json_null()));
		else
			printf("%c %4ld  %s  %zu package%s%s\n", n == e.cur ? '*' : ' ', n,
			    created ? created : "?", npkgs, npkgs == 1 ? "" : "s",
			    n == e.cur ? "  (active)" : "");
		json_decref(info);
	}
	if (o.json) {
		s = cjson_pretty(arr);
		fputs(s, stdout);
		free(s);
	}
	ret = 0;
out:
	json_decref(arr);
	envdir_close(&e);
	free(builddir);
	free(store);
	return ret;
}
