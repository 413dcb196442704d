/* SPDX-License-Identifier: MIT */
/* pkggen: read recipes, resolve, write build.ninja and step manifests (SPEC §4) */
#include <getopt.h>
#include <malloc.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cjson.h"
#include "fs.h"
#include "gen.h"
#include "jalloc.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pkggen [-B BUILDDIR] [-R REPO]... [--store DIR] [--jobs N] INPUT...\n"
	    "       pkggen --check INPUT...     validate only, write nothing\n"
	    "       pkggen --graph INPUT...     print the package graph (Graphviz dot)\n"
	    "       pkggen --list-params PKG [--json]   print a package's parameters\n"
	    "\n"
	    "INPUT is a package name (NAME, REPO.NAME, NAME:VARIANT), a package directory,\n"
	    "a pipeline or sweep file (.yaml), or REPO.pipelines.NAME. --ask prompts on a\n"
	    "terminal for missing required parameters.\n"
	    "Repositories are searched in order: -R, then $PKGTOOL_REPOS (colon separated),\n"
	    "then the builtin one. The store defaults to BUILDDIR/store ($PKGTOOL_STORE).\n"
	    "Then run: ninja -C BUILDDIR [all|fetch|packages|activate|pkg/NAME]\n");
}

/* returns a new string: the directory holding this program */
static char *
selfdir(const char *argv0)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n > 0) {
		buf[n] = '\0';
		return fs_dirname(buf);
	}
	char *abs = fs_abspath(argv0), *d = fs_dirname(abs);
	free(abs);
	return d;
}

/* returns a new string: DATA/sub from $PKGTOOL_DATADIR, the source tree, or PREFIX/share */
static char *
datadir(const char *self, const char *sub)
{
	const char *env = getenv("PKGTOOL_DATADIR");
	char *p;

	if (env && *env)
		return xasprintf("%s/%s", env, sub);
	p = xasprintf("%s/../%s", self, sub);
	if (fs_isdir(p)) {
		char *abs = fs_abspath(p);
		free(p);
		return abs;
	}
	free(p);
	p = xasprintf("%s/../share/pkgtool/%s", self, sub);
	char *abs = fs_abspath(p);
	free(p);
	return abs;
}

/*
 * What runs beside the manifests' writers (manifest_write_all): build.ninja's
 * text, staged in a temp file, and the cache of file hashes, which nothing
 * changes from here on. On ext4 each is tens of milliseconds of writing
 * that would otherwise follow the manifests on one thread.
 */
struct ninja_job {
	struct gen *g;
	const char *pkgtool, *rules, *regen_cmd;
	struct buf b;
	struct ninja_staged st;
	int ret;
};

static void
text(void *arg)
{
	struct ninja_job *nj = arg;

	ninja_text(nj->g, &nj->b, nj->pkgtool, nj->rules, nj->regen_cmd);
	nj->ret = ninja_stage(nj->g, &nj->b, &nj->st);
	prefetch_apply(nj->g);
	if (cache_save(&nj->g->hashes) < 0)
		nj->ret = -1;
}

/* with PKGTOOL_TIMING=1, say on stderr how long each phase took */
static void
phase(const char *what)
{
	static int on = -1;
	static double last, lastcpu;
	struct timespec ts;
	double now, cpu;

	if (on < 0) {
		const char *s = getenv("PKGTOOL_TIMING");
		on = s && *s == '1';
	}
	if (!on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	cpu = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	if (what) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr, "pkggen: %s: %.1f ms (CPU %.1f ms, peak RSS %ld MB)\n", what,
		    now - last, cpu - lastcpu, ru.ru_maxrss / 1024);
	}
	last = now;
	lastcpu = cpu;
}

static const char *
host_platform(void)
{
	static char buf[128];
	struct utsname u;

	if (uname(&u) < 0)
		return "linux";
	snprintf(buf, sizeof(buf), "linux-%s", !strcmp(u.machine, "arm64") ? "aarch64" : u.machine);
	return buf;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"check", no_argument, NULL, 'c'},
		{"graph", no_argument, NULL, 'g'},
		{"store", required_argument, NULL, 's'},
		{"jobs", required_argument, NULL, 'j'},
		{"ask", no_argument, NULL, 'a'},
		{"list-params", required_argument, NULL, 'l'},
		{"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct gen g = {0};
	const char *builddir = "build", *store = getenv("PKGTOOL_STORE");
	const char **rflag = NULL;
	size_t nr = 0, rcap = 0, nnames = 0, i;
	int check = 0, graph = 0, json = 0, c, ret = 2;
	const char *list_params = NULL;
	char *self, *rules, *builtin, *pkgtool;
	struct buf cmd = BUF_INIT;
	struct ninja_job nj = {NULL, NULL, NULL, NULL, BUF_INIT, {NULL, NULL}, 0};
	long jobs = 0, cpus;

	phase(NULL);
	util_set_prefix("pkggen");
	jalloc_install();
	/* a short run: memory freed is kept for the next allocation rather
	 * than given back and faulted in (and zeroed) again */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	while ((c = getopt_long(argc, argv, "B:R:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'B': builddir = optarg; break;
		case 'R': xappend((void ***)&rflag, &nr, &rcap, optarg); break;
		case 's': store = optarg; break;
		case 'j':
			jobs = strtol(optarg, NULL, 10);
			if (jobs < 1 || jobs > 4096) {
				fprintf(stderr, "pkggen: --jobs takes a number from 1 to 4096, not '%s'\n",
				    optarg);
				return 2;
			}
			break;
		case 'c': check = 1; break;
		case 'g': graph = 1; break;
		case 'a': g.ask = 1; break;
		case 'l': list_params = optarg; break;
		case 'J': json = 1; break;
		case 'h': usage(stdout); check_stdout(); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc && !list_params) {
		fprintf(stderr, "pkggen: no INPUT given; name a package, a package directory "
		    "or a pipeline file\n");
		usage(stderr);
		return 2;
	}

	self = selfdir(argv[0]);
	rules = datadir(self, "rules");
	builtin = datadir(self, "repos/builtin");
	pkgtool = xasprintf("%s/pkgtool", self);
	g.platform = host_platform();
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	g.jobs = jobs ? (int)jobs : (int)cpus;
	if (g.jobs < 1)
		g.jobs = 1;
	if (getenv("PKGGEN_THREADS") && *getenv("PKGGEN_THREADS"))
		cpus = strtol(getenv("PKGGEN_THREADS"), NULL, 10);
	g.threads = cpus < 1 ? 1 : cpus > POOL_MAX - 1 ? POOL_MAX - 1 : (unsigned)cpus;
	g.builddir = fs_abspath_arena(&g.a, builddir);
	g.store = store && *store ? fs_abspath_arena(&g.a, store) :
	    arena_printf(&g.a, "%s/store", g.builddir);
	/* they are in every manifest and id, which are JSON: UTF-8 only */
	{
		int bad_dir = !cjson_utf8(g.builddir);

		if (bad_dir || !cjson_utf8(g.store)) {
			fprintf(stderr, "pkggen: %s path '%s' is not valid UTF-8, which JSON "
			    "manifests cannot hold; choose a path in UTF-8\n",
			    bad_dir ? "build directory" : "store", bad_dir ? g.builddir : g.store);
			goto out;
		}
	}

	{
		char *hp = xasprintf("%s/.pkggen/hashes", g.builddir);
		char *wp = xasprintf("%s/.pkggen/written", g.builddir);

		cache_load(&g, &g.hashes, hp);
		cache_load(&g, &g.written, wp);
		free(hp);
		free(wp);
	}

	/* repositories: -R, then $PKGTOOL_REPOS, then builtin */
	for (i = 0; i < nr; i++) {
		if (!fs_isdir(rflag[i])) {
			fprintf(stderr, "pkggen: repository '%s' is not a directory\n", rflag[i]);
			goto out;
		}
		repos_add(&g.a, &g.repos, rflag[i]);
	}
	if (getenv("PKGTOOL_REPOS")) {
		char *list = xstrdup(getenv("PKGTOOL_REPOS")), *save = NULL, *tok;

		for (tok = strtok_r(list, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
			if (!fs_isdir(tok)) {
				fprintf(stderr, "pkggen: repository '%s' (from PKGTOOL_REPOS) is not a "
				    "directory\n", tok);
				free(list);
				goto out;
			}
			repos_add(&g.a, &g.repos, tok);
		}
		free(list);
	}
	repos_add(&g.a, &g.repos, builtin);
	for (i = 0; i < g.repos.len; i++)
		gen_regen_input(&g, g.repos.v[i].dir);

	if (list_params) {
		ret = pipeline_list_params(&g, list_params, json);
		if (ret == 0)
			check_stdout();
		goto out;
	}

	/* the command that regenerates build.ninja, with every path absolute */
	buf_puts(&cmd, "PKGTOOL_REPOS= PKGTOOL_STORE= ");
	if (getenv("PKGTOOL_DATADIR") && *getenv("PKGTOOL_DATADIR")) {
		/* the rules and builtin repository this run used, whatever the environment later */
		buf_puts(&cmd, "PKGTOOL_DATADIR=");
		buf_shquote(&cmd, getenv("PKGTOOL_DATADIR"));
		buf_putc(&cmd, ' ');
	}
	{
		char *me = xasprintf("%s/pkggen", self);
		buf_shquote(&cmd, me);
		free(me);
	}
	buf_puts(&cmd, " -B ");
	buf_shquote(&cmd, g.builddir);
	buf_puts(&cmd, " --store ");
	buf_shquote(&cmd, g.store);
	buf_printf(&cmd, " --jobs %d", g.jobs);
	for (i = 0; i < g.repos.len; i++) {
		if (!strcmp(g.repos.v[i].dir, builtin))
			continue;
		buf_puts(&cmd, " -R ");
		buf_shquote(&cmd, g.repos.v[i].dir);
	}
	/* package names are loaded ahead in parallel; pipelines and package
	 * directories (which add repositories) in order, as they come */
	{
		const char **names = NULL;
		size_t cap = 0;

		for (i = (size_t)optind; i < (size_t)argc; i++) {
			const char *plpath;

			if (pipeline_is_input(&g, argv[i], &plpath) || input_is_dir(&g, argv[i]))
				break;
			xappend((void ***)&names, &nnames, &cap, argv[i]);
		}
		phase("start");
		prefetch(&g, names, nnames);
		free(names);
		phase("prefetch");
	}
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		struct mark m = {NULL, 0, 0};
		const char *plpath;
		int is_pl;

		buf_putc(&cmd, ' ');
		/* those before the first pipeline or directory were told apart
		 * above, and nothing has added a repository since */
		if (i - (size_t)optind < nnames) {
			buf_shquote(&cmd, argv[i]);
			resolve_name(&g, argv[i], m);
			continue;
		}
		is_pl = pipeline_is_input(&g, argv[i], &plpath);
		if (is_pl || input_is_dir(&g, argv[i])) {
			char *abs = fs_abspath(argv[i]);
			buf_shquote(&cmd, abs);
			free(abs);
		} else {
			buf_shquote(&cmd, argv[i]);
		}
		if (is_pl)
			pipeline_load(&g, plpath);
		else
			resolve_input(&g, argv[i], m);
	}
	pipeline_check(&g);
	if (!g.d.errors)
		resolve_finish(&g);
	phase("resolve");
	if (!g.d.errors)
		id_compute(&g);
	phase("ids");
	if (!g.d.errors)
		pipeline_prepare(&g);
	diag_print(&g.d);
	if (g.d.errors) {
		fprintf(stderr, "pkggen: %zu error%s; nothing written\n", g.d.errors,
		    g.d.errors == 1 ? "" : "s");
		goto out;
	}
	if (check) {
		ret = 0;
		goto out;
	}
	if (graph) {
		graph_print(&g);
		check_stdout();
		ret = 0;
		goto out;
	}
	/* build.ninja's text is made while other threads write the manifests */
	nj.g = &g;
	nj.pkgtool = pkgtool;
	nj.rules = rules;
	nj.regen_cmd = cmd.s;
	if (fs_mkdirs(g.builddir, 0755) < 0 || manifest_write_all(&g, text, &nj) < 0 ||
	    nj.ret < 0 || pipeline_write(&g) < 0) {
		fprintf(stderr, "pkggen: %s/build.ninja not written; run pkggen again once the "
		    "error above is fixed\n", g.builddir);
		ret = 1;
		goto out;
	}
	phase("manifests");
	/* every manifest is in place: build.ninja may name them */
	if (ninja_commit(&g, &nj.st) < 0 || cache_save(&g.written) < 0) {
		ret = 1;
		goto out;
	}
	phase("build.ninja");
	ret = 0;
out:
	pipeline_release(&g);
	prefetch_release(&g);
	ninja_unstage(&nj.st);
	buf_release(&nj.b);
	buf_release(&cmd);
	free(rflag);
	free(self);
	free(rules);
	free(builtin);
	free(pkgtool);
	repos_release(&g.repos);
	cache_release(&g.hashes);
	cache_release(&g.written);
	map_release(&g.pkgs);
	map_release(&g.recipes);
	map_release(&g.regen_seen);
	diag_release(&g.d);
	for (i = 0; i < POOL_MAX; i++) {
		arena_free(&g.ta[i]);
		arena_free(&g.scratch[i]);
	}
	arena_free(&g.a);
	return ret;
}
