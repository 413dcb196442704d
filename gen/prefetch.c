/* SPDX-License-Identifier: MIT */
/* prefetch: recipes read, checked and their path sources hashed on several
 * threads, breadth first from the inputs, before resolution asks for them */
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "util.h"

/*
 * Resolution (resolve.c) walks the graph depth first and loads one recipe at
 * a time, which leaves all but one core idle while it waits on the disk. So
 * before it starts, the base recipes it will most likely ask for (the
 * inputs, then their dependencies, level by level) are loaded in parallel.
 * This is only a guess: what resolution asks for and finds here it takes,
 * with the messages loading it gave (so errors come out as if it had loaded
 * it itself, in its order); anything else it loads itself; a recipe it never
 * asks for is dropped unsaid.
 */

struct ahead {
	const char *dir, *repo;
	struct recipe *r;	/* NULL: it could not be loaded */
	struct diag d;	/* what loading it said */
	int taken;	/* resolution has it */
	/* found by the thread that loaded it: where its dependencies are that
	 * no entry named when the round began (in that thread's arena) */
	struct found *found;
	size_t nfound;
};

/* a dependency or input located: its package directory and repository */
struct found {
	const char *dir, *repo;
};

struct round {
	struct gen *g;
	struct ahead **v;
	struct cache_log log[POOL_MAX];	/* updates to g->hashes, one per thread */
	/* the first round's inputs, located on every thread */
	const char *const *inputs;
	struct found *at;
};

static int locate(struct gen *g, const char *text, struct buf *dir, const char **repo);

/* where the package text names is, in a: 0, or -1 when no repository has it */
static int
locate_in(struct gen *g, struct arena *a, const char *text, struct found *f)
{
	struct buf dir = BUF_INIT;
	int ret = locate(g, text, &dir, &f->repo);

	f->dir = ret == 0 ? arena_strndup(a, dir.s, dir.len) : NULL;
	buf_release(&dir);
	return ret;
}

/* on any thread while no entry is added: the dependencies of ah's recipe
 * that are not entries yet, so that the main thread only adds those */
static void
find_deps(struct gen *g, struct arena *a, struct ahead *ah)
{
	const struct recipe *r = ah->r;
	size_t n = r->ndepends + r->nbuild_depends, j;

	ah->found = arena_alloc(a, (n ? n : 1) * sizeof(*ah->found));
	for (j = 0; j < n; j++) {
		const char *text = j < r->ndepends ? r->depends[j].dep.name :
		    r->build_depends[j - r->ndepends].dep.name;
		struct found *f = &ah->found[ah->nfound];

		if (locate_in(g, a, text, f) == 0 && !map_get(&g->ahead, f->dir))
			ah->nfound++;
	}
}

static void
load_one(void *ctx, size_t i, unsigned t)
{
	struct round *rd = ctx;
	struct ahead *ah = rd->v[i];
	struct arena *a = &rd->g->ta[t];
	size_t j;

	ah->r = recipe_load(a, &rd->g->scratch[t], &ah->d, ah->dir, ah->repo, NULL);
	if (ah->r)
		find_deps(rd->g, a, ah);
	if (!ah->r || ah->r->broken)
		return;
	for (j = 0; j < ah->r->nsources; j++) {
		struct source *s = &ah->r->sources[j];
		struct diag quiet = DIAG_INIT;
		struct srchash h = {a, &quiet, &rd->g->hashes, &rd->log[t]};

		if (s->type != SRC_PATH)
			continue;
		/* on trouble id.c hashes it again, and says why where it always has */
		if (source_hash(&h, s) < 0) {
			s->content = NULL;
			s->nfiles = s->ndirs = 0;
		}
		diag_release(&quiet);
	}
}

/* the directory of the package a dependency or input names, as resolution
 * would look first (REPO.NAME, else the first repository that has NAME),
 * into dir; -1 when none has it. Every dependency of every recipe is asked
 * about, most of them already seen: nothing is kept from here. */
static int
locate(struct gen *g, const char *text, struct buf *dir, const char **repo)
{
	size_t n = strcspn(text, ": \t=!<>,"), i;
	char *name = xstrndup(text, n), *dot = strchr(name, '.');
	int ret = -1;

	if (dot) {
		const struct repo *rp;

		*dot = '\0';
		rp = repos_find(&g->repos, name);
		*dot = '.';
		if (rp && repo_has(rp, dot + 1)) {
			*repo = rp->name;
			repo_pkgdir(dir, rp, dot + 1);
			ret = 0;
		}
	}
	for (i = 0; ret < 0 && i < g->repos.len; i++) {
		if (repo_has(&g->repos.v[i], name)) {
			*repo = g->repos.v[i].name;
			repo_pkgdir(dir, &g->repos.v[i], name);
			ret = 0;
		}
	}
	free(name);
	return ret;
}

/* make f an entry of the next round unless it is one already */
static void
want(struct gen *g, struct ahead ***next, size_t *n, size_t *cap, const struct found *f)
{
	struct ahead *ah;

	if (!f->dir || map_get(&g->ahead, f->dir))
		return;
	ah = arena_alloc(&g->a, sizeof(*ah));
	ah->dir = f->dir;
	ah->repo = f->repo;
	map_put(&g->ahead, ah->dir, ah);
	arena_append(&g->a, (void ***)next, n, cap, ah);
}

static void
locate_input(void *ctx, size_t i, unsigned t)
{
	struct round *rd = ctx;

	locate_in(rd->g, &rd->g->ta[t], rd->inputs[i], &rd->at[i]);
}

void
prefetch(struct gen *g, const char *const *inputs, size_t ninputs)
{
	struct round rd = {g, NULL, {{0}}, inputs, NULL};
	struct ahead **next = NULL;
	size_t n = 0, cap = 0, i, j;
	unsigned t;

	if (g->threads < 2)
		return;
	/* each repository lists its packages once, before threads ask */
	for (i = 0; i < g->repos.len; i++)
		repo_has(&g->repos.v[i], "");
	/* a table grown step by step touches twice the memory of one made its
	 * size at once, and fresh memory costs page faults */
	map_reserve(&g->ahead, ninputs);
	/* where the inputs are, found on every thread; then they become
	 * entries in order, once each */
	rd.at = xcalloc(ninputs + 1, sizeof(*rd.at));
	pool_run(ninputs, ninputs < 64 ? 1 : g->threads, locate_input, &rd);
	for (i = 0; i < ninputs; i++)
		want(g, &next, &n, &cap, &rd.at[i]);
	free(rd.at);
	while (n) {
		size_t len = n;

		rd.v = next;
		next = NULL;
		n = cap = 0;
		pool_run(len, g->threads, load_one, &rd);
		/* what the threads found new, in the serial order */
		for (i = 0; i < len; i++)
			for (j = 0; j < rd.v[i]->nfound; j++)
				want(g, &next, &n, &cap, &rd.v[i]->found[j]);
	}
	/* the file hashes the threads learnt go into g->hashes later, beside
	 * the manifests' writers (prefetch_apply): nothing reads them before
	 * but a source resolution hashes itself, which only costs time */
	for (t = 0; t < POOL_MAX; t++)
		g->prefetch_log[t] = rd.log[t];
	/* resolution will most likely take each of these recipes: room in its
	 * tables for all of them, made once */
	map_reserve(&g->recipes, g->ahead.len);
	map_reserve(&g->pkgs, g->ahead.len);
	map_reserve(&g->regen_seen, g->ahead.len);
}

void
prefetch_apply(struct gen *g)
{
	unsigned t;

	for (t = 0; t < POOL_MAX; t++)
		cache_apply(g, &g->hashes, &g->prefetch_log[t]);
}

int
prefetch_take(struct gen *g, const char *dir, struct recipe **r)
{
	struct ahead *ah = map_get(&g->ahead, dir);

	if (!ah || ah->taken)
		return 0;
	ah->taken = 1;
	diag_move(&g->d, &ah->d);
	*r = ah->r;
	return 1;
}

void
prefetch_release(struct gen *g)
{
	size_t i;

	for (i = 0; i < g->ahead.cap; i++)
		if (g->ahead.keys[i])
			diag_release(&((struct ahead *)g->ahead.vals[i])->d);
	map_release(&g->ahead);
}
