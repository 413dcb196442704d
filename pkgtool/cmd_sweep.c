/* SPDX-License-Identifier: MIT */
/* cmd_sweep: run one point of a sweep (configure, start, stop its pipeline)
 * and collect every point's stats into BUILDDIR/sweep/stats.csv (SPEC §3) */
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
 * BUILDDIR/sweep/POINT/stats.json, written by sweep-run once the point's
 * pipeline ran and stopped: {"point": ID, "vars": {"ENTRY.PARAM": "value"},
 * "repeat": N (0-based), "entries": {NAME: the stats.json of each
 * application}}. A failed point writes nothing, so that Ninja runs it again.
 */

static int
one_arg(int argc, char **argv, const char *what)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: pkgtool %s MANIFEST\n\n%s\n", argv[0], what);
			return -3;
		}
		fprintf(stderr, "%s: unknown option '%s'\nusage: pkgtool %s MANIFEST\n",
		    util_prefix(), argv[optind - 1], argv[0]);
		return -2;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: pkgtool %s MANIFEST\n", argv[0]);
		return -2;
	}
	return optind;
}

static int
write_json(const char *path, json_t *j)
{
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	struct buf b = BUF_INIT;
	int ret;

	if (!s)
		fatal("out of memory");
	buf_printf(&b, "%s\n", s);
	ret = fs_write_atomic(path, b.s, b.len);
	buf_release(&b);
	free(s);
	return ret;
}

int
cmd_sweep_run(int argc, char **argv)
{
	struct entry **es = NULL;
	size_t n = 0, cap = 0, i, up = 0;
	int idx, ret = -1;
	json_t *pt = NULL, *res = NULL, *apps;
	const char *rundir;
	char **v = NULL, *path = NULL;

	idx = one_arg(argc, argv, "Run one sweep point: configure and start every entry of "
	    "its pipeline.json in order,\nthen stop them in reverse order, and record "
	    "the point's stats.json.");
	if (idx < 0)
		return idx == -3 ? 0 : 2;
	if (!(pt = manifest_load(argv[idx])))
		return -1;
	if (!(rundir = cjson_str(pt, "rundir"))) {
		fail("%s: not a sweep point (no 'rundir')", argv[idx]);
		goto out;
	}
	if (!(v = life_targets(argv[idx])))
		goto out;
	life_signals();
	for (i = 0; v[i]; i++) {
		struct entry *e = entry_load(v[i]);

		if (!e)
			goto out;
		xappend((void ***)&es, &n, &cap, e);
	}
	for (i = 0; i < n; i++)
		if (life_configure(es[i]) < 0)
			goto out;
	for (up = 0; up < n && !life_interrupted(); up++)
		if (life_start(es[up]) < 0) {
			up++;	/* a failed start still stops what it left */
			goto out;
		}
	if (life_interrupted()) {
		fail("interrupted by signal %d", life_interrupted());
		goto out;
	}
	ret = 0;
out:
	/* services never outlive their point, whatever happened */
	while (up > 0)
		if (life_stop(es[--up]) < 0)
			ret = -1;
	if (ret == 0) {
		apps = json_object();
		for (i = 0; i < n; i++) {
			char *sp;
			json_t *s;

			if (strcmp(es[i]->kind, "application"))
				continue;
			sp = entry_file(es[i], "stats.json");
			s = json_load_file(sp, 0, NULL);
			if (s)
				json_object_set_new(apps, es[i]->name, s);
			free(sp);
		}
		res = json_pack("{s:O, s:O, s:O, s:o}", "point", json_object_get(pt, "point"),
		    "vars", json_object_get(pt, "vars"), "repeat", json_object_get(pt, "repeat"),
		    "entries", apps);
		if (!res)
			fatal("out of memory");
		path = xasprintf("%s/stats.json", rundir);
		if (fs_mkdirs(rundir, 0755) < 0 || write_json(path, res) < 0)
			ret = -1;
	}
	for (i = 0; i < n; i++)
		entry_free(es[i]);
	free(es);
	life_targets_free(v);
	free(path);
	json_decref(res);
	json_decref(pt);
	return ret;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the keys of set, sorted: a new array of borrowed strings */
static const char **
sorted_keys(json_t *set, size_t *n)
{
	const char **v = xcalloc(json_object_size(set) + 1, sizeof(*v));
	const char *k;
	json_t *x;

	*n = 0;
	json_object_foreach(set, k, x)
		v[(*n)++] = k;
	qsort(v, *n, sizeof(*v), cmpstr);
	return v;
}

/* one CSV field: quoted when it holds a comma, quote or line break */
static void
csv_text(struct buf *b, const char *s)
{
	const char *p;

	if (!strpbrk(s, ",\"\r\n")) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	for (p = s; *p; p++) {
		if (*p == '"')
			buf_putc(b, '"');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
}

static void
csv_field(struct buf *b, const json_t *v)
{
	char *s;

	if (!v || json_is_null(v))
		return;
	s = json_is_real(v) ? xasprintf("%.12g", json_real_value(v)) : life_scalar(v);
	csv_text(b, s);
	free(s);
}

/* the value of column col ("ENTRY.exit", "ENTRY.STAT", ...) in a point's entries */
static json_t *
stat_of(json_t *entries, const char *col)
{
	const char *dot = strchr(col, '.');
	char *name;
	json_t *e, *v;

	if (!dot)
		return NULL;
	name = xstrndup(col, (size_t)(dot - col));
	e = json_object_get(entries, name);
	free(name);
	if (!strcmp(dot + 1, "exit") || !strcmp(dot + 1, "wall_s"))
		return json_object_get(e, dot + 1);
	v = json_object_get(json_object_get(e, "stats"), dot + 1);
	return v;
}

int
cmd_sweep_collect(int argc, char **argv)
{
	json_t *sw, *pts, *p, *runs = json_array(), *vcols = json_object(), *scols = json_object();
	json_t *r, *x;
	const char *bd, *k, *k2, **vk = NULL, **sk = NULL;
	struct buf b = BUF_INIT;
	size_t i, j, nv = 0, ns = 0;
	int idx, ret = -1;
	char *path = NULL;

	idx = one_arg(argc, argv, "Collect every sweep point's stats.json (from .pkggen/sweep.json) "
	    "into\nBUILDDIR/sweep/stats.csv: one row per run, one column per variable and stat.");
	if (idx < 0) {
		json_decref(runs), json_decref(vcols), json_decref(scols);
		return idx == -3 ? 0 : 2;
	}
	if (!(sw = manifest_load(argv[idx])))
		goto out0;
	if (!(bd = cjson_str(sw, "builddir")) || !json_is_array(pts = json_object_get(sw, "points"))) {
		fail("%s: not a sweep manifest (needs 'builddir' and 'points')", argv[idx]);
		goto out;
	}
	json_array_foreach(pts, i, p) {
		char *sp;

		if (!json_is_string(p))
			continue;
		sp = xasprintf("%s/sweep/%s/stats.json", bd, json_string_value(p));
		r = fs_exists(sp) ? cjson_load(sp) : NULL;
		if (!r) {
			warnf("point %s has no stats (%s)", json_string_value(p), sp);
			free(sp);
			continue;
		}
		free(sp);
		json_object_foreach(json_object_get(r, "vars"), k, x)
			json_object_set_new(vcols, k, json_true());
		json_object_foreach(json_object_get(r, "entries"), k, x) {
			char *c = xasprintf("%s.exit", k);

			json_object_set_new(scols, c, json_true());
			free(c);
			c = xasprintf("%s.wall_s", k);
			json_object_set_new(scols, c, json_true());
			free(c);
			json_object_foreach(json_object_get(x, "stats"), k2, p) {
				c = xasprintf("%s.%s", k, k2);
				json_object_set_new(scols, c, json_true());
				free(c);
			}
		}
		json_array_append_new(runs, r);
	}
	vk = sorted_keys(vcols, &nv);
	sk = sorted_keys(scols, &ns);
	buf_puts(&b, "point,repeat");
	for (j = 0; j < nv; j++) {
		buf_putc(&b, ',');
		csv_text(&b, vk[j]);
	}
	for (j = 0; j < ns; j++) {
		buf_putc(&b, ',');
		csv_text(&b, sk[j]);
	}
	buf_putc(&b, '\n');
	json_array_foreach(runs, i, r) {
		csv_field(&b, json_object_get(r, "point"));
		buf_putc(&b, ',');
		csv_field(&b, json_object_get(r, "repeat"));
		for (j = 0; j < nv; j++) {
			buf_putc(&b, ',');
			csv_field(&b, json_object_get(json_object_get(r, "vars"), vk[j]));
		}
		for (j = 0; j < ns; j++) {
			buf_putc(&b, ',');
			csv_field(&b, stat_of(json_object_get(r, "entries"), sk[j]));
		}
		buf_putc(&b, '\n');
	}
	path = xasprintf("%s/sweep/stats.csv", bd);
	if (fs_mkparent(path) < 0 || fs_write_if_changed(path, b.s, b.len) < 0)
		goto out;
	printf("collected %zu runs into %s\n", json_array_size(runs), path);
	ret = 0;
out:
	json_decref(sw);
out0:
	free(vk);
	free(sk);
	free(path);
	buf_release(&b);
	json_decref(runs);
	json_decref(vcols);
	json_decref(scols);
	return ret;
}
