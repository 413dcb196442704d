/* SPDX-License-Identifier: MIT */
/* resolve: from inputs to the package closure, one version of each name */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"
#include "gen.h"
#include "util.h"

/* a name whose recipe failed to load: its errors are said once */
static struct pkg failed;

static void
append(struct gen *g, struct pkg ***arr, size_t *len, size_t *cap, struct pkg *p)
{
	arena_append(&g->a, (void ***)arr, len, cap, p);
}

void
gen_regen_input(struct gen *g, const char *path)
{
	/* copied first, hashed once: a path is seldom given twice */
	gen_regen_input_kept(g, arena_strdup(&g->a, path));
}

void
gen_regen_input_kept(struct gen *g, const char *path)
{
	if (!map_add(&g->regen_seen, path, (void *)path))
		arena_append(&g->a, (void ***)&g->regen, &g->nregen, &g->regcap, (void *)path);
}

/* dir is copied when it is kept */
static struct recipe *
load(struct gen *g, const char *dir, const char *repo, const char *variant)
{
	char kbuf[512], *k = CAT_INTO(kbuf, dir, "\n", variant ? variant : "");
	struct recipe *r = map_get(&g->recipes, k);
	const char *key;

	/* no printf: this runs for every package */
	if (r) {
		if (k != kbuf)
			free(k);
		return r == (struct recipe *)&failed ? NULL : r;
	}
	key = arena_strdup(&g->a, k);
	if (k != kbuf)
		free(k);
	gen_regen_input_kept(g, arena_cat(&g->a, dir, "/package.yaml"));
	if (variant || !prefetch_take(g, dir, &r))
		r = recipe_load(&g->a, &g->scratch[0], &g->d, arena_strdup(&g->a, dir), repo,
		    variant);
	map_put(&g->recipes, key, r ? r : (struct recipe *)&failed);
	return r;
}

static int
platform_ok(struct gen *g, const struct recipe *r)
{
	size_t i;

	if (!r->nplatforms)
		return 1;
	for (i = 0; i < r->nplatforms; i++) {
		const char *p = r->platforms[i];

		if (!strcmp(p, "generic") || !strcmp(p, g->platform) ||
		    (!strcmp(p, "linux") && startswith(g->platform, "linux")))
			return 1;
	}
	return 0;
}

static const char *
who(const struct pkg *from, struct mark m)
{
	return from ? from->r->name : m.file ? "the pipeline" : "the command line";
}


static struct pkg *choose(struct gen *g, const struct depspec *ds, struct pkg *from);

static int
has_variant(const struct recipe *r, const char *v)
{
	size_t i;

	for (i = 0; i < r->nvariants; i++)
		if (!strcmp(r->variants[i], v))
			return 1;
	return 0;
}

static void
no_variant(struct gen *g, const struct depspec *ds, const struct recipe *r)
{
	const char *s = suggest(ds->variant, r->variants, r->nvariants);

	if (s)
		diag_error(&g->d, ds->mark, "package '%s' has no variant '%s'; did you mean '%s'?",
		    r->name, ds->variant, s);
	else if (r->nvariants)
		diag_error(&g->d, ds->mark, "package '%s' has no variant '%s' (its variants are "
		    "listed under variants: in %s)", r->name, ds->variant, r->file);
	else
		diag_error(&g->d, ds->mark, "package '%s' has no variants, so '%s:%s' means nothing",
		    r->name, r->name, ds->variant);
}

static void
add_deps(struct gen *g, struct pkg *p)
{
	size_t i;

	for (i = 0; i < p->r->ndepends; i++) {
		struct pkg *q = choose(g, &p->r->depends[i], p);

		if (q)
			append(g, &p->deps, &p->ndeps, &p->depcap, q);
	}
	for (i = 0; i < p->r->nbuild_depends; i++) {
		struct pkg *q = choose(g, &p->r->build_depends[i], p);

		if (q)
			append(g, &p->bdeps, &p->nbdeps, &p->bdepcap, q);
	}
}

static void
unknown_package(struct gen *g, const struct depspec *ds, struct pkg *from)
{
	size_t n, i;
	const char **all = repos_all_names(&g->a, &g->repos, &n);
	const char *s = suggest(ds->dep.name, all, n);
	struct buf b = BUF_INIT;

	for (i = 0; i < g->repos.len; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", g->repos.v[i].dir);
	if (ds->repo) {
		const struct repo *rp = repos_find(&g->repos, ds->repo);
		struct repos one = {(struct repo *)rp, 1, 1};
		const char **in = repos_all_names(&g->a, &one, &n);

		s = suggest(ds->dep.name, in, n);
		if (s)
			diag_error(&g->d, ds->mark, "unknown package '%s' in repository '%s' (%s); "
			    "did you mean '%s.%s'?", ds->dep.name, ds->repo, rp->dir, ds->repo, s);
		else
			diag_error(&g->d, ds->mark, "unknown package '%s' in repository '%s' (%s)",
			    ds->dep.name, ds->repo, rp->dir);
	} else if (s) {
		diag_error(&g->d, ds->mark, "unknown package '%s' (%s %s); did you mean '%s'?",
		    ds->dep.name, from ? "needed by" : "named by", who(from, ds->mark), s);
	} else {
		diag_error(&g->d, ds->mark, "unknown package '%s' (%s %s); searched %s",
		    ds->dep.name, from ? "needed by" : "named by", who(from, ds->mark),
		    b.s ? b.s : "no repositories");
	}
	buf_release(&b);
}

static struct pkg *
choose(struct gen *g, const struct depspec *ds, struct pkg *from)
{
	const char *name = ds->dep.name;
	struct pkg *p = map_get(&g->pkgs, name);
	struct buf found = BUF_INIT, dir = BUF_INIT;
	struct recipe *r = NULL;
	size_t i;

	if (p == &failed)
		return NULL;
	if (p) {
		if (ds->variant && !has_variant(p->r, ds->variant)) {
			no_variant(g, ds, p->r);
		} else if ((ds->variant || p->r->variant) &&
		    (!ds->variant || !p->r->variant || strcmp(ds->variant, p->r->variant))) {
			diag_error(&g->d, ds->mark, "'%s' asks for %s%s%s, but %s%s%s is already chosen "
			    "by %s (%s:%d:%d); only one variant of a package can be in a build", ds->text,
			    name, ds->variant ? ":" : "", ds->variant ? ds->variant : "", name,
			    p->r->variant ? ":" : "", p->r->variant ? p->r->variant : "",
			    who(p->chooser ? map_get(&g->pkgs, p->chooser) : NULL, p->chosen_by->mark),
			    p->chosen_by->mark.file ? p->chosen_by->mark.file : "(command line)",
			    p->chosen_by->mark.line, p->chosen_by->mark.col);
		} else if (!p->r->broken && !dep_match(&ds->dep, p->r->version)) {
			char *want = dep_str(&ds->dep);

			diag_error(&g->d, ds->mark, "unsatisfiable: %s needs '%s', but %s %s is chosen "
			    "(%s:%d:%d); only one version of a name can be in a build", who(from, ds->mark), want,
			    name, p->r->version, p->r->file, p->r->version_mark.line,
			    p->r->version_mark.col);
			free(want);
		} else if (ds->repo && strcmp(ds->repo, p->r->repo)) {
			diag_error(&g->d, ds->mark, "'%s' asks for repository '%s', but %s comes from "
			    "'%s' already", ds->text, ds->repo, name, p->r->repo);
		}
		return p;
	}
	/* the first repository, in search order, whose version satisfies the constraints */
	for (i = 0; i < g->repos.len; i++) {
		const struct repo *rp = &g->repos.v[i];
		struct recipe *c;

		if (ds->repo && strcmp(ds->repo, rp->name))
			continue;
		if (!repo_has(rp, name))
			continue;
		repo_pkgdir(&dir, rp, name);
		if (ds->variant) {
			/* the base recipe says which variants exist */
			c = load(g, dir.s, rp->name, NULL);
			if (c && !has_variant(c, ds->variant)) {
				no_variant(g, ds, c);
				map_put(&g->pkgs, name, &failed);
				buf_release(&found);
				buf_release(&dir);
				return NULL;
			}
		}
		c = load(g, dir.s, rp->name, ds->variant);
		if (!c) {
			map_put(&g->pkgs, name, &failed);
			buf_release(&found);
			buf_release(&dir);
			return NULL;
		}
		/* a broken recipe's errors are said; its version may be a stand-in */
		if (c->broken || dep_match(&ds->dep, c->version)) {
			r = c;
			break;
		}
		buf_printf(&found, "%s%s %s in %s", found.len ? ", " : "", name, c->version, rp->name);
	}
	buf_release(&dir);
	if (!r) {
		if (found.len) {
			char *want = dep_str(&ds->dep);

			diag_error(&g->d, ds->mark, "unsatisfiable: %s needs '%s', but the repositories "
			    "hold only %s", who(from, ds->mark), want, found.s);
			free(want);
		} else if (ds->repo && !repos_find(&g->repos, ds->repo)) {
			diag_error(&g->d, ds->mark, "unknown repository '%s' in '%s'", ds->repo, ds->text);
		} else {
			unknown_package(g, ds, from);
		}
		buf_release(&found);
		map_put(&g->pkgs, name, &failed);
		return NULL;
	}
	buf_release(&found);
	p = arena_alloc(&g->a, sizeof(*p));
	p->r = r;
	p->chosen_by = ds;
	p->chooser = from ? from->r->name : NULL;
	map_put(&g->pkgs, r->name, p);
	if (!r->broken && !platform_ok(g, r)) {
		struct buf b = BUF_INIT;

		for (i = 0; i < r->nplatforms; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", r->platforms[i]);
		diag_error(&g->d, r->platforms_mark, "package '%s' supports platforms [%s], "
		    "not this machine's %s", r->name, b.s, g->platform);
		buf_release(&b);
	}
	add_deps(g, p);
	return p;
}

/* 1 when some repository holds a package called name (names may hold dots) */
static int
repo_has_any(struct gen *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->repos.len; i++)
		if (repo_has(&g->repos.v[i], name))
			return 1;
	return 0;
}

/* split an input or dependency text into repo, name, variant and constraints */
static int
parse_spec(struct gen *g, const char *spec, struct mark m, struct depspec *ds)
{
	char *text = arena_strdup(&g->a, spec), *err = NULL, *colon, *dot;
	size_t namelen;

	memset(ds, 0, sizeof(*ds));
	ds->text = spec;
	ds->mark = m;
	namelen = strcspn(text, " \t=!<>,");
	colon = memchr(text, ':', namelen);
	if (colon) {
		size_t vl = strcspn(colon + 1, " \t=!<>,");

		ds->variant = arena_strndup(&g->a, colon + 1, vl);
		memmove(colon, colon + 1 + vl, strlen(colon + 1 + vl) + 1);
		namelen = strcspn(text, " \t=!<>,");
	}
	/* REPO.NAME when REPO names a repository that holds NAME (names may hold dots) */
	dot = memchr(text, '.', namelen);
	if (dot) {
		const char *repo = arena_strndup(&g->a, text, (size_t)(dot - text));
		const struct repo *rp = repos_find(&g->repos, repo);
		const char *rest = arena_strndup(&g->a, dot + 1, namelen - (size_t)(dot - text) - 1);

		if (rp && (repo_has(rp, rest) || !repo_has_any(g, arena_strndup(&g->a, text, namelen)))) {
			ds->repo = repo;
			text = dot + 1;
		}
	}
	if (dep_parse(text, &ds->dep, &err) < 0) {
		diag_error(&g->d, m, "%s", err);
		free(err);
		return -1;
	}
	/* move the heap strings into the arena so nothing needs freeing later */
	{
		struct dep tmp = ds->dep;
		size_t k;

		ds->dep.name = arena_strdup(&g->a, tmp.name);
		ds->dep.cons = arena_alloc(&g->a, (tmp.ncons + 1) * sizeof(*tmp.cons));
		for (k = 0; k < tmp.ncons; k++) {
			ds->dep.cons[k].op = tmp.cons[k].op;
			ds->dep.cons[k].version = arena_strdup(&g->a, tmp.cons[k].version);
		}
		dep_release(&tmp);
	}
	return 0;
}

int
input_is_dir(struct gen *g, const char *spec)
{
	struct stat st;
	size_t n = strcspn(spec, ": \t=<>!,");
	char *name;
	int has;

	if (strchr(spec, '/'))
		return 1;
	/* a bare word is a package name unless no repository has it and a
	 * directory of that name is here */
	name = xstrndup(spec, n);
	has = repo_has_any(g, name);
	free(name);
	if (has)
		return 0;
	return stat(spec, &st) == 0 && S_ISDIR(st.st_mode);
}

struct pkg *
resolve_input(struct gen *g, const char *spec, struct mark m)
{
	struct stat st;

	if (input_is_dir(g, spec)) {
		/* a package directory: its parent serves as a repository, first in order */
		char *abs = fs_abspath(spec), *parent;
		char pkgyaml[4096];

		snprintf(pkgyaml, sizeof(pkgyaml), "%s/package.yaml", abs);
		if (stat(pkgyaml, &st) < 0) {
			diag_error(&g->d, m, "'%s' is not a package directory (no package.yaml in %s)",
			    spec, abs);
			free(abs);
			return NULL;
		}
		parent = fs_dirname(abs);
		repos_add(&g->a, &g->repos, parent);
		/* move it to the front of the search order */
		struct repo tmp = g->repos.v[g->repos.len - 1];
		size_t i;
		for (i = 0; i < g->repos.len; i++)
			if (!strcmp(g->repos.v[i].dir, tmp.dir))
				break;
		if (i == g->repos.len - 1) {
			memmove(&g->repos.v[1], &g->repos.v[0], (g->repos.len - 1) * sizeof(tmp));
			g->repos.v[0] = tmp;
		}
		gen_regen_input(g, parent);
		if (!name_valid(fs_basename(abs))) {
			load(g, abs, fs_basename_arena(&g->a, parent), NULL);
			if (!g->d.errors)
				diag_error(&g->d, m, "'%s' is not a valid package directory name; expected "
				    "[a-z0-9][a-z0-9_+.-]*", fs_basename(abs));
			free(parent);
			free(abs);
			return NULL;
		}
		spec = arena_printf(&g->a, "%s.%s", fs_basename(parent), fs_basename(abs));
		free(parent);
		free(abs);
	}
	return resolve_name(g, spec, m);
}

struct pkg *
resolve_name(struct gen *g, const char *spec, struct mark m)
{
	struct depspec *ds = arena_alloc(&g->a, sizeof(*ds));
	struct pkg *p;

	if (parse_spec(g, spec, m, ds) < 0)
		return NULL;
	p = choose(g, ds, NULL);
	if (p && !p->input) {
		p->input = 1;
		append(g, &g->inputs, &g->ninputs, &g->inpcap, p);
	}
	return p;
}

/* the recipe entry by which p depends on q, for error marks */
static const struct depspec *
edge(const struct pkg *p, const struct pkg *q)
{
	size_t i;

	for (i = 0; i < p->r->ndepends; i++)
		if (!strcmp(p->r->depends[i].dep.name, q->r->name))
			return &p->r->depends[i];
	for (i = 0; i < p->r->nbuild_depends; i++)
		if (!strcmp(p->r->build_depends[i].dep.name, q->r->name))
			return &p->r->build_depends[i];
	return NULL;
}

enum { WHITE, GREY, BLACK };

static void
visit(struct gen *g, struct pkg *p, struct pkg ***stack, size_t *depth, size_t *cap)
{
	size_t i, j;

	if (p->mark == BLACK)
		return;
	if (p->mark == GREY) {
		/* the stack from p's first appearance to here is the cycle */
		struct buf b = BUF_INIT;
		const struct depspec *ds;

		for (j = 0; j < *depth && (*stack)[j] != p; j++)
			;
		for (i = j; i < *depth; i++)
			buf_printf(&b, "%s -> ", (*stack)[i]->r->name);
		buf_puts(&b, p->r->name);
		ds = edge((*stack)[*depth - 1], p);
		diag_error(&g->d, ds ? ds->mark : p->r->name_mark, "dependency cycle: %s", b.s);
		buf_release(&b);
		return;
	}
	p->mark = GREY;
	arena_append(&g->a, (void ***)stack, depth, cap, p);
	for (i = 0; i < p->ndeps; i++)
		visit(g, p->deps[i], stack, depth, cap);
	for (i = 0; i < p->nbdeps; i++)
		visit(g, p->bdeps[i], stack, depth, cap);
	(*depth)--;
	p->mark = BLACK;
	append(g, &g->order, &g->norder, &g->ordcap, p);
}

/* the runtime closure (deps, not build_depends), dependencies first */
static void
runtime(struct gen *g, struct pkg *p)
{
	size_t i;

	if (p->in_active)
		return;
	p->in_active = 1;
	for (i = 0; i < p->ndeps; i++)
		runtime(g, p->deps[i]);
	append(g, &g->active, &g->nactive, &g->actcap, p);
}

void
resolve_finish(struct gen *g)
{
	struct pkg **stack = NULL;
	size_t depth = 0, cap = 0, i;

	for (i = 0; i < g->ninputs; i++)
		visit(g, g->inputs[i], &stack, &depth, &cap);
	if (g->d.errors)
		return;
	for (i = 0; i < g->ninputs; i++)
		runtime(g, g->inputs[i]);
}
