/* SPDX-License-Identifier: MIT */
/* genpkg: the packages of a generation, loaded from the store, and their closure */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

int
genpkg_load(struct genpkg *p, const char *store, const char *id)
{
	struct buf b = BUF_INIT;
	json_error_t err;
	char *path;
	const char *name, *version, *got;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	if (store_check_id(id) < 0)
		return -1;
	p->prefix = xasprintf("%s/%s", store, id);
	path = xasprintf("%s/pkginfo.json", p->prefix);
	/* read whole: jansson's own file reading goes a byte at a time */
	if (fs_read(path, &b) < 0) {
		fail("read %s:", path);
		goto out;
	}
	p->info = json_loadb(b.s, b.len, 0, &err);
	if (!p->info) {
		fail("%s:%d:%d: %s", path, err.line, err.column, err.text);
		goto out;
	}
	name = cjson_str(p->info, "name");
	version = cjson_str(p->info, "version");
	got = cjson_str(p->info, "id");
	if (!name || !version || !got || strcmp(got, id) != 0) {
		fail("%s: expected the strings name, version and id '%s'", path, id);
		goto out;
	}
	p->name = xstrdup(name);
	p->version = xstrdup(version);
	p->id = xstrdup(id);
	/*
	 * Keep the file list in one string and drop it from the tree: it is
	 * most of a pkginfo.json, and memory freed now is reused by the next
	 * package's instead of being touched anew (a first touch of a page
	 * costs as much as a few symlinks).
	 */
	p->paths = farm_paths(p->info);
	json_object_del(p->info, "files");
	json_object_del(p->info, "links");
	ret = 0;
out:
	buf_release(&b);
	free(path);
	return ret;
}

void
genpkg_release(struct genpkg *p)
{
	free(p->name);
	free(p->version);
	free(p->id);
	free(p->prefix);
	free(p->paths);
	json_decref(p->info);
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
	json_t *deps = json_object_get(p->info, "depends"), *d;
	size_t j;

	if (state[p - base])
		return;
	state[p - base] = 1;
	json_array_foreach(deps, j, d) {
		struct genpkg *q = lookup(idx, n, genpkg_dep(d));

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
		json_t *deps = json_object_get(v[i].info, "depends"), *d;

		json_array_foreach(deps, j, d) {
			const char *id = genpkg_dep(d);

			if (!id || lookup(idx, nv, id))
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
