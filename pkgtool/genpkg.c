/* SPDX-License-Identifier: MIT */
/* genpkg: the packages of a generation, loaded from the store, and their closure */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "pool.h"
#include "util.h"

/* put in one block what a generation needs of pkginfo.json info, the
 * paths in another: the tree is freed then, and the next package's parse
 * reuses its memory instead of touching new pages (a first touch of a page
 * costs about as much as two symlinks) */
static void
keep(struct genpkg *p, const json_t *info, const char *name, const char *version,
    const char *id)
{
	const json_t *deps = json_object_get(info, "depends"), *env = json_object_get(info, "env");
	const json_t *d;
	const char *kind = cjson_str(info, "kind"), *strs[4], *s;
	size_t len = 0, i, k;
	char *m;

	strs[0] = name, strs[1] = version, strs[2] = id, strs[3] = kind;
	for (k = 0; k < LEN(strs); k++)
		len += strs[k] ? strlen(strs[k]) + 1 : 0;
	json_array_foreach(deps, i, d) {
		if ((s = genpkg_dep(d))) {
			p->ndeps++;
			len += strlen(s) + 1;
		}
	}
	p->mem = xmalloc(p->ndeps * sizeof(*p->deps) + len);
	p->deps = p->mem;
	m = (char *)(p->deps + p->ndeps);
	k = 0;
	json_array_foreach(deps, i, d) {
		if ((s = genpkg_dep(d))) {
			p->deps[k++] = m;
			m = stpcpy(m, s) + 1;
		}
	}
	p->name = m;
	m = stpcpy(m, name) + 1;
	p->version = m;
	m = stpcpy(m, version) + 1;
	p->id = m;
	m = stpcpy(m, id) + 1;
	if (kind) {
		p->kind = m;
		stpcpy(m, kind);
	}
	/* the usual env: {} is left out like a missing one */
	if (env && !(json_is_object(env) && json_object_size(env) == 0))
		p->env = json_incref((json_t *)env);
	p->paths = farm_paths(info);
}

enum load_flags {
	LOAD_MAYBE = 1 << 0,	/* 1 (quietly) when STORE/ID/pkginfo.json does not exist */
	LOAD_QUIET = 1 << 1,	/* -1 without a message (the id is checked already) */
};

/* genpkg_load with a buffer to reuse */
static int
load(struct genpkg *p, const char *store, const char *id, struct buf *b, int flags)
{
	json_error_t err;
	json_t *info = NULL;
	char *path;
	const char *name, *version, *got;
	int ret = -1, quiet = flags & LOAD_QUIET;

	memset(p, 0, sizeof(*p));
	if (!quiet && store_check_id(id) < 0)
		return -1;
	p->prefix = xasprintf("%s/%s", store, id);
	path = xasprintf("%s/pkginfo.json", p->prefix);
	/* read whole: jansson's own file reading goes a byte at a time */
	buf_reset(b);
	if (fs_read(path, b) < 0) {
		if ((flags & LOAD_MAYBE) && errno == ENOENT)
			ret = 1;
		else if (!quiet)
			fail("read %s:", path);
		goto out;
	}
	info = json_loadb(b->s, b->len, 0, &err);
	if (!info) {
		if (!quiet)
			fail("%s:%d:%d: %s", path, err.line, err.column, err.text);
		goto out;
	}
	name = cjson_str(info, "name");
	version = cjson_str(info, "version");
	got = cjson_str(info, "id");
	if (!name || !version || !got || strcmp(got, id) != 0) {
		if (!quiet)
			fail("%s: expected the strings name, version and id '%s'", path, id);
		goto out;
	}
	keep(p, info, name, version, id);
	ret = 0;
out:
	json_decref(info);
	free(path);
	return ret;
}

int
genpkg_load(struct genpkg *p, const char *store, const char *id)
{
	struct buf b = BUF_INIT;
	int ret = load(p, store, id, &b, 0);

	buf_release(&b);
	return ret;
}

/* with fewer packages one thread loads them all */
#define PKGS_PER_THREAD 64
#define MAX_LOADERS 4

/* a stretch of genpkg_load_all's packages, loaded quietly by one thread */
struct loadjob {
	struct genpkg *v;
	const char *store;
	const struct store_req *reqs;
	size_t n;
	signed char *r;		/* load()'s result for each */
};

/* pool_run's fn: the stretch k of the packages */
static void
load_stretch(void *arg, size_t k, unsigned thread)
{
	struct loadjob *j = (struct loadjob *)arg + k;
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < j->n; i++)
		j->r[i] = (signed char)load(&j->v[i], j->store, j->reqs[i].id, &b,
		    LOAD_MAYBE | LOAD_QUIET);
	buf_release(&b);
}

int
genpkg_load_all(struct genpkg *v, const char *store, const struct store_req *reqs, size_t n)
{
	struct loadjob jobs[MAX_LOADERS];
	struct store_req *missing;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nj = n / PKGS_PER_THREAD, nmissing = 0, *at, i, from = 0;
	signed char *r;
	struct buf b = BUF_INIT;
	int ret = 0;

	for (i = 0; i < n; i++)
		if (store_check_id(reqs[i].id) < 0)
			return -1;
	/*
	 * Reading and parsing a thousand pkginfo.json is CPU work that
	 * threads share well. Errors are found quietly; the first one is
	 * then met again here, in order, to say it.
	 */
	if (nj > MAX_LOADERS)
		nj = MAX_LOADERS;
	if (cpus > 0 && nj > (size_t)cpus)
		nj = (size_t)cpus;
	if (nj < 1)
		nj = 1;
	r = xcalloc(n ? n : 1, 1);
	if (nj > 1)
		json_object_seed(0);
	for (i = 0; i < nj; i++) {
		size_t to = n * (i + 1) / nj;

		jobs[i].v = v + from;
		jobs[i].store = store;
		jobs[i].reqs = reqs + from;
		jobs[i].n = to - from;
		jobs[i].r = r + from;
		from = to;
	}
	pool_run(nj, (unsigned)nj, load_stretch, jobs);
	/* the usual case: all extracted, found with no stat first */
	missing = xcalloc(n ? n : 1, sizeof(*missing));
	at = xcalloc(n ? n : 1, sizeof(*at));
	for (i = 0; i < n && ret == 0; i++) {
		if (r[i] < 0) {
			genpkg_release(&v[i]);
			if ((r[i] = (signed char)load(&v[i], store, reqs[i].id, &b, LOAD_MAYBE)) < 0)
				ret = -1;
		}
		if (r[i] > 0) {
			genpkg_release(&v[i]);
			missing[nmissing] = reqs[i];
			at[nmissing++] = i;
		}
	}
	if (ret == 0 && nmissing)
		ret = store_extract_all(store, missing, nmissing);
	for (i = 0; i < nmissing && ret == 0; i++)
		ret = load(&v[at[i]], store, missing[i].id, &b, 0);
	buf_release(&b);
	free(missing);
	free(at);
	free(r);
	return ret;
}

void
genpkg_release(struct genpkg *p)
{
	free(p->mem);
	free(p->prefix);
	free(p->paths);
	json_decref(p->env);
	memset(p, 0, sizeof(*p));
}

const char *
genpkg_dep(const json_t *d)
{
	return json_is_string(d) ? json_string_value(d) : cjson_str(d, "id");
}

/* a sorted index of packages by id, for bsearch */
static int
cmpid(const void *a, const void *b)
{
	const struct genpkg *p = *(const struct genpkg *const *)a;
	const struct genpkg *q = *(const struct genpkg *const *)b;

	return strcmp(p->id, q->id);
}

static struct genpkg *
lookup(struct genpkg **idx, size_t n, const char *id)
{
	struct genpkg key, *k = &key, **hit;

	key.id = (char *)id;
	hit = bsearch(&k, idx, n, sizeof(*idx), cmpid);
	return hit ? *hit : NULL;
}

static int
cmpname(const void *a, const void *b)
{
	const struct genpkg *p = *(const struct genpkg *const *)a;
	const struct genpkg *q = *(const struct genpkg *const *)b;

	return strcmp(p->name, q->name);
}

/* depth first, dependencies before dependents */
static void
topo(struct genpkg **idx, size_t n, struct genpkg *p, char *state, struct genpkg *base,
    struct genpkg *out, size_t *nout)
{
	size_t j;

	if (state[p - base])
		return;
	state[p - base] = 1;
	for (j = 0; j < p->ndeps; j++) {
		struct genpkg *q = lookup(idx, n, p->deps[j]);

		if (q)
			topo(idx, n, q, state, base, out, nout);
	}
	out[(*nout)++] = *p;
}

/* returns a new array: pointers to v's elements sorted by id */
static struct genpkg **
index_by_id(struct genpkg *v, size_t n)
{
	struct genpkg **idx = xreallocarray(NULL, n ? n : 1, sizeof(*idx));
	size_t i;

	for (i = 0; i < n; i++)
		idx[i] = &v[i];
	qsort(idx, n, sizeof(*idx), cmpid);
	return idx;
}

int
genpkg_closure(const char *store, struct genpkg **pkgs, size_t *n, const char *where)
{
	struct genpkg *v = *pkgs, *sorted, **idx;
	size_t nv = *n, cap = nv, i, j, nout = 0;
	char *state;
	int ret = 0;

	/* a package listed twice is the same package: keep the first */
	idx = index_by_id(v, nv);
	state = xcalloc(nv ? nv : 1, 1);
	for (i = 1; i < nv; i++)
		if (strcmp(idx[i - 1]->id, idx[i]->id) == 0)
			state[(idx[i - 1] < idx[i] ? idx[i] : idx[i - 1]) - v] = 1;
	for (i = j = 0; i < nv; i++) {
		if (state[i])
			genpkg_release(&v[i]);
		else
			v[j++] = v[i];
	}
	free(state);
	if (j != nv) {
		nv = j;
		free(idx);
		idx = index_by_id(v, nv);
	}
	/* add what the packages depend on and the set lacks; the store has
	 * it, as an extracted STORE/ID always has its runtime closure beside it */
	for (i = 0; i < nv && ret == 0; i++) {
		for (j = 0; j < v[i].ndeps; j++) {
			const char *id = v[i].deps[j];

			if (lookup(idx, nv, id))
				continue;
			if (nv == cap) {
				cap = cap ? 2 * cap : 16;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			if (genpkg_load(&v[nv], store, id) < 0) {
				genpkg_release(&v[nv]);
				ret = -1;
				break;
			}
			nv++;
			free(idx);
			idx = index_by_id(v, nv);
		}
	}
	*pkgs = v;
	*n = nv;
	if (ret < 0)
		goto out;
	/* one version of a name */
	qsort(idx, nv, sizeof(*idx), cmpname);
	for (i = 1; i < nv; i++) {
		if (strcmp(idx[i - 1]->name, idx[i]->name) == 0)
			ret = fail("only one version of %s can be active: %s and %s (%s)",
			    idx[i]->name, idx[i - 1]->id, idx[i]->id, where);
	}
	if (ret < 0)
		goto out;
	qsort(idx, nv, sizeof(*idx), cmpid);
	/* dependencies first, otherwise in the given order */
	state = xcalloc(nv ? nv : 1, 1);
	sorted = xreallocarray(NULL, nv ? nv : 1, sizeof(*sorted));
	for (i = 0; i < nv; i++)
		topo(idx, nv, &v[i], state, v, sorted, &nout);
	free(state);
	free(v);
	*pkgs = sorted;
out:
	free(idx);
	return ret;
}
