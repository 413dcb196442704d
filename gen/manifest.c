/* SPDX-License-Identifier: MIT */
/* manifest: the per-step JSON files under BUILDDIR/.pkggen (doc/manifests.md) */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cjson.h"
#include "fs.h"
#include "gen.h"
#include "jalloc.h"
#include "sha256.h"
#include "util.h"

const char *
manifest_fetch_key(struct gen *g, const struct source *s)
{
	if (s->type == SRC_URL)
		return strcmp(s->algo, "sha256") ? arena_printf(&g->a, "%s-%s", s->algo, s->hash) :
		    s->hash;
	if (s->type == SRC_GIT)
		return arena_printf(&g->a, "git-%s", s->commit);
	return NULL;
}

const char *
manifest_source_file(struct gen *g, struct arena *a, const struct source *s)
{
	if (s->type == SRC_URL)
		return arena_printf(a, "%s/sources/%s/%s", g->store, s->algo, s->hash);
	if (s->type == SRC_GIT)
		return arena_printf(a, "%s/sources/git/%s.tar", g->store, s->commit);
	return s->path;
}

static void
add_unique(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (!strcmp(json_string_value(v), s))
			return;
	json_array_append_new(arr, json_string(s));
}

/* gen_write_manifest on any thread: g->written is only read, its updates
 * go to log (strings in a) */
static int
write_logged(struct gen *g, struct arena *a, struct cache_log *log, const char *rel,
    const char *data, size_t len)
{
	char *path = xasprintf("%s/.pkggen/%s", g->builddir, rel);
	const char *c = cache_get(&g->written, rel);
	char hex[SHA256_HEX], *sig;
	struct stat st;
	int r = 0;

	/* the record of what was written, checked by size, saves reading it back */
	sha256_hex(data, len, hex);
	sig = xasprintf("%s %zu", hex, len);
	if (!c || strcmp(c, sig) || stat(path, &st) < 0 || (size_t)st.st_size != len) {
		r = fs_write_if_changed_flags(path, data, len, 0);
		if (r >= 0)
			cache_log_put(log, a, rel, sig);
	}
	free(sig);
	free(path);
	return r < 0 ? -1 : 0;
}

int
gen_write_manifest(struct gen *g, const char *rel, const char *data, size_t len)
{
	struct cache_log log = {0};
	int r = write_logged(g, &g->a, &log, rel, data, len);

	cache_apply(g, &g->written, &log);
	return r;
}

static int
write_json(struct gen *g, const char *rel, json_t *m)
{
	char *s = cjson_pretty(m);
	int r = gen_write_manifest(g, rel, s, strlen(s));

	free(s);
	json_decref(m);
	return r;
}

/* the i-th direct dependency of p: its depends, then its build_depends */
static const struct pkg *
dep_at(const struct pkg *p, size_t i)
{
	return i < p->ndeps ? p->deps[i] : p->bdeps[i - p->ndeps];
}

/* 1 when a dependency before the i-th has the same id: a package has a
 * few, so a scan costs less than a table made for each manifest */
static int
dep_seen(const struct pkg *p, size_t i)
{
	const struct pkg *q = dep_at(p, i), *x;
	size_t j;

	for (j = 0; j < i; j++)
		if ((x = dep_at(p, j)) == q || !strcmp(x->id, q->id))
			return 1;
	return 0;
}

/* a: for strings that live as long as the manifest is needed */
static json_t *
pkg_manifest(struct gen *g, struct arena *a, const struct pkg *p)
{
	const struct recipe *r = p->r;
	json_t *m = json_object(), *srcs = json_array(), *patches = NULL, *closure = json_array();
	size_t i;

	/* keys in sorted order (cjson writes them as added) */
	for (i = 0; i < r->nsources; i++) {
		const struct source *s = &r->sources[i];
		json_t *so = json_object();

		/* a path source is copied as it is: extract and strip are for
		 * fetched archives only (the id covers them all the same) */
		if (s->type != SRC_PATH) {
			json_object_set_new_nocheck(so, "extract", json_boolean(s->extract));
			json_object_set_new_nocheck(so, "file", json_string_nocheck(manifest_source_file(g, a, s)));
		}
		json_object_set_new_nocheck(so, "name", json_string_nocheck(s->name));
		if (s->type == SRC_PATH)
			json_object_set_new_nocheck(so, "path", json_string_nocheck(s->path));
		else
			json_object_set_new_nocheck(so, "strip", json_integer(s->strip));
		json_object_set_new_nocheck(so, "type", json_string_nocheck(s->type == SRC_URL ? "url" :
		    s->type == SRC_GIT ? "git" : "path"));
		json_array_append_new(srcs, so);
	}
	/* patches and env only when there are some: an empty [] or {} costs
	 * jansson's writer as much as a string (pkgtool reads none for none) */
	if (r->npatches) {
		patches = json_array();
		for (i = 0; i < r->npatches; i++)
			json_array_append_new(patches, json_string_nocheck(r->patches[i]));
	}
	/* the direct dependencies, runtime first, each once; those only
	 * build_depends names are marked "build" (the others are pkginfo.json's
	 * depends, which pkgtool package takes from here) */
	for (i = 0; i < p->ndeps + p->nbdeps; i++) {
		const struct pkg *q = dep_at(p, i);
		json_t *d;

		if (dep_seen(p, i))
			continue;
		/* no archive: pkgtool build knows it is STORE/pkgs/ID.tar.zst,
		 * and with one long path less for each dependency a manifest is
		 * a fifth shorter and quicker to write */
		d = json_object();
		if (i >= p->ndeps)
			json_object_set_new_nocheck(d, "build", json_true());
		/* a dependency's env only when it sets something: most set
		 * nothing, and each {} costs the writer as much as a string */
		if (q->r->nenv)
			json_object_set_new_nocheck(d, "env", kv_object(q->r->env, q->r->nenv));
		json_object_set_new_nocheck(d, "id", json_string_nocheck(q->id));
		json_object_set_new_nocheck(d, "name", json_string_nocheck(q->r->name));
		json_array_append_new(closure, d);
	}
	/* no archive (STORE/pkgs/ID.tar.zst), no epoch (pkgtool's default, the
	 * same for every package) and no variant when there is none: each
	 * costs jansson's writer, ten thousand times at 10,000 packages */
	json_object_set_new_nocheck(m, "build", json_string_nocheck(r->build ? r->build : ""));
	json_object_set_new_nocheck(m, "builddir", json_string_nocheck(g->builddir));
	json_object_set_new_nocheck(m, "closure", closure);
	if (r->nenv)
		json_object_set_new_nocheck(m, "env", kv_object(r->env, r->nenv));
	json_object_set_new_nocheck(m, "id", json_string_nocheck(p->id));
	json_object_set_new_nocheck(m, "jobs", json_integer(g->jobs));
	json_object_set_new_nocheck(m, "kind", json_string_nocheck(r->kind));
	json_object_set_new_nocheck(m, "name", json_string_nocheck(r->name));
	if (patches)
		json_object_set_new_nocheck(m, "patches", patches);
	json_object_set_new_nocheck(m, "recipe", json_string_nocheck(r->file));
	json_object_set_new_nocheck(m, "sources", srcs);
	json_object_set_new_nocheck(m, "store", json_string_nocheck(g->store));
	if (r->variant)
		json_object_set_new_nocheck(m, "variant", json_string_nocheck(r->variant));
	json_object_set_new_nocheck(m, "version", json_string_nocheck(r->version));
	return m;
}

/*
 * What a package manifest says is fixed by p's id (which covers the recipe's
 * build fields, sources' and patches' contents, and the dependencies' ids)
 * together with the few things the id leaves out: where the recipe, its path
 * sources and patches are, the build directory and the job count. Their hash
 * is recorded in .pkggen/written, so an unchanged manifest is neither built
 * nor compared again: one stat checks it is still there. Anything added to
 * the manifest that the id does not cover must be added here too.
 */
static void
inputs_sig(struct gen *g, const struct pkg *p, char hex[SHA256_HEX])
{
	const struct recipe *r = p->r;
	struct hasher h;
	char jobs[32];
	size_t i;

#define PUT(str) hasher_update(&h, (str), strlen(str) + 1)
	hasher_init(&h, HASH_SHA256);
	PUT("pkgtool-manifest-2");
	PUT(p->id);
	PUT(p->hash);
	PUT(r->file);
	PUT(r->dir);
	PUT(g->builddir);
	*put_dec(jobs, g->jobs, 0) = '\0';
	PUT(jobs);
	for (i = 0; i < r->nsources; i++)
		PUT(r->sources[i].type == SRC_PATH ? r->sources[i].path : "-");
	for (i = 0; i < r->npatches; i++)
		PUT(r->patches[i]);
#undef PUT
	hasher_final(&h, hex);
}

struct writing {
	struct gen *g;
	int dirfd;	/* BUILDDIR/.pkggen */
	int fresh;	/* .pkggen/pkg is new: it is filled as .pkggen/pkg.new */
	struct cache_log log[POOL_MAX];
	struct buf out[POOL_MAX];	/* each thread's manifest text */
	struct jscratch js[POOL_MAX];	/* and its JSON values */
	atomic_int failed;
};

enum state {
	UNCHANGED,	/* .pkggen/written says rel was made from inputs hashed as sig
			 * ("SIG SIZE") and the file still has that size */
	MISSING,	/* there is no such file */
	UNKNOWN,	/* it has to be made and compared */
	NEW,		/* it goes into a directory nothing reads yet (pkg.new) */
};

/* what is known of the manifest rel (under dirfd, .pkggen) */
static enum state
state(struct gen *g, int dirfd, const char *rel, const char *sig)
{
	const char *c = cache_get(&g->written, rel);
	size_t n = strlen(sig);
	struct stat st;

	if (fstatat(dirfd, rel, &st, 0) < 0)
		return errno == ENOENT ? MISSING : UNKNOWN;
	return c && !strncmp(c, sig, n) && c[n] == ' ' && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size == strtoull(c + n + 1, NULL, 10) ? UNCHANGED : UNKNOWN;
}

/* write m (as cjson_dump_buf's flags dump say) as the file at (under .pkggen,
 * open as dirfd; write-if-changed unless it is missing or NEW) and log its
 * record "SIG SIZE" as rel; 0 or -1. out holds
 * the text (its memory is used again by the caller's next manifest). */
static int
write_signed(struct gen *g, int dirfd, struct arena *a, struct cache_log *log, const char *rel,
    const char *at, const char *sig, enum state st, json_t *m, int dump, struct buf *out)
{
	char pbuf[1024], size[24], *path = CAT_INTO(pbuf, g->builddir, "/.pkggen/", at);
	int r;

	buf_reset(out);
	cjson_dump_buf(m, dump, out);
	/* a new file is opened relative to .pkggen: a shorter path walk */
	r = st == NEW ? fs_write_new_at(dirfd, at, path, out->s, out->len) :
	    st == MISSING ? fs_write_atomic_flags(path, out->s, out->len, 0) :
	    fs_write_if_changed_flags(path, out->s, out->len, 0);
	if (r >= 0) {
		*put_udec(size, out->len, 0) = '\0';
		cache_log_keep(log, a, arena_strdup(a, rel), arena_cat(a, sig, " ", size));
	}
	if (path != pbuf)
		free(path);
	json_decref(m);
	return r < 0 ? -1 : 0;
}

static void
write_pkg(void *ctx, size_t i, unsigned t)
{
	struct writing *w = ctx;
	struct gen *g = w->g;
	const struct pkg *p = g->order[i];
	char relbuf[256], atbuf[256], *rel, *at, sig[SHA256_HEX];
	enum state st;

	/* after a failure (a full disk, say) the rest would only fail the same
	 * way, each with its own message */
	if (w->failed)
		return;
	rel = CAT_INTO(relbuf, "pkg/", p->id, ".json");
	at = w->fresh ? CAT_INTO(atbuf, "pkg.new/", p->id, ".json") : rel;
	inputs_sig(g, p, sig);
	st = w->fresh ? NEW : state(g, w->dirfd, rel, sig);
	if (st != UNCHANGED) {
		jscratch_begin(&w->js[t]);
		if (write_signed(g, w->dirfd, &g->ta[t], &w->log[t], rel, at, sig, st,
		    pkg_manifest(g, &g->ta[t], p), CJSON_SORTED, &w->out[t]) < 0)
			w->failed = 1;
		jscratch_end(&w->js[t]);
	}
	if (at != rel && at != atbuf)
		free(at);
	if (rel != relbuf)
		free(rel);
}

/* activate.json: the runtime closure of the inputs; its record goes to log */
static int
write_activate(struct gen *g, int dirfd, struct cache_log *log)
{
	json_t *act, *pkgs;
	struct buf out = BUF_INIT;
	enum state st;
	struct hasher h;
	char sig[SHA256_HEX];
	size_t i;
	int r;

	hasher_init(&h, HASH_SHA256);
	hasher_update(&h, "pkgtool-activate-2", sizeof("pkgtool-activate-2"));
	hasher_update(&h, g->store, strlen(g->store) + 1);
	hasher_update(&h, g->builddir, strlen(g->builddir) + 1);
	for (i = 0; i < g->nactive; i++)
		hasher_update(&h, g->active[i]->id, strlen(g->active[i]->id) + 1);
	hasher_final(&h, sig);
	st = state(g, dirfd, "activate.json", sig);
	if (st == UNCHANGED)
		return 0;

	/* ids alone: each begins with the package's name, and pkgtool activate
	 * reads the rest from the package's pkginfo.json, whose id must match.
	 * A string costs jansson's writer a small part of what an object
	 * does, and there are as many as packages. */
	act = json_object();
	pkgs = json_array();
	for (i = 0; i < g->nactive; i++)
		json_array_append_new(pkgs, json_string_nocheck(g->active[i]->id));
	json_object_set_new_nocheck(act, "builddir", json_string_nocheck(g->builddir));
	json_object_set_new_nocheck(act, "packages", pkgs);
	json_object_set_new_nocheck(act, "store", json_string_nocheck(g->store));
	/* compact, as the package manifests: one entry per package (`jq .
	 * activate.json` shows it indented) */
	r = write_signed(g, dirfd, &g->a, log, "activate.json", "activate.json", sig, st, act,
	    CJSON_SORTED, &out);
	buf_release(&out);
	return r;
}

/* what runs beside the package manifests' writers: the caller's work
 * (build.ninja's text), then activate.json */
struct beside {
	struct gen *g;
	int dirfd;
	void (*fn)(void *arg);
	void *arg;
	struct cache_log log;
	int ret;
};

static void
beside_run(void *arg)
{
	struct beside *b = arg;

	if (b->fn)
		b->fn(b->arg);
	b->ret = write_activate(b->g, b->dirfd, &b->log);
}

int
manifest_write_all(struct gen *g, void (*beside)(void *arg), void *arg)
{
	json_t *fetches = json_object();
	struct writing w = {g, -1, 0, {{0}}, {BUF_INIT}, {JSCRATCH_INIT}, 0};
	struct beside bs = {0};
	const char *key;
	json_t *v;
	size_t i, j;
	unsigned t;
	int ret = 0;
	char *dir, *newdir = NULL, *top;

	/* manifests are looked at relative to .pkggen: a shorter path walk */
	top = xasprintf("%s/.pkggen", g->builddir);
	if (fs_mkdirs(top, 0755) < 0) {
		free(top);
		return -1;
	}
	w.dirfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.dirfd < 0) {
		fail("open %s:", top);
		free(top);
		return -1;
	}
	free(top);
	/* a new build directory's manifests go to a block group of their
	 * own on ext4, away from files removed there lately (fs_topdir) */
	fs_topdir(w.dirfd);
	dir = xasprintf("%s/.pkggen/fetch", g->builddir);
	ret |= fs_mkdirs(dir, 0755);
	free(dir);
	/*
	 * A new build directory's package manifests (most of the files pkggen
	 * writes) go straight into .pkggen/pkg.new, without a temp file and a
	 * rename each, and it becomes .pkggen/pkg once all are written: before,
	 * nothing names a file in it, so none is ever seen half-written. One
	 * left by a run that died is removed first.
	 */
	dir = xasprintf("%s/.pkggen/pkg", g->builddir);
	w.fresh = access(dir, F_OK) < 0 && errno == ENOENT;
	if (w.fresh) {
		newdir = xasprintf("%s.new", dir);
		if (access(newdir, F_OK) == 0)
			ret |= fs_rmtree(newdir);
		ret |= fs_mkdirs(newdir, 0755);
	} else {
		ret |= fs_mkdirs(dir, 0755);
	}
	if (ret) {
		close(w.dirfd);
		free(dir);
		free(newdir);
		return -1;
	}

	for (i = 0; i < g->norder; i++) {
		const struct pkg *p = g->order[i];

		for (j = 0; j < p->r->nsources; j++) {
			const struct source *s = &p->r->sources[j];
			json_t *f;

			if (s->type == SRC_PATH)
				continue;
			key = manifest_fetch_key(g, s);
			f = json_object_get(fetches, key);
			if (!f) {
				f = json_object();
				json_object_set_new(f, "type", json_string(s->type == SRC_URL ? "url" : "git"));
				json_object_set_new(f, "urls", json_array());
				json_object_set_new(f, "recipes", json_array());
				json_object_set_new(f, "packages", json_array());
				json_object_set_new(f, "store", json_string(g->store));
				json_object_set_new(f, "dest", json_string(manifest_source_file(g, &g->a, s)));
				if (pipeline_mirrors(g))
					json_object_set_new(f, "mirrors", json_string(pipeline_mirrors(g)));
				if (s->type == SRC_URL) {
					json_object_set_new(f, "algo", json_string(s->algo));
					json_object_set_new(f, "hash", json_string(s->hash));
				} else {
					json_object_set_new(f, "git", json_string(s->git));
					json_object_set_new(f, "commit", json_string(s->commit));
				}
				json_object_set_new(fetches, key, f);
			}
			if (s->type == SRC_URL)
				add_unique(json_object_get(f, "urls"), s->url);
			add_unique(json_object_get(f, "recipes"), p->r->file);
			add_unique(json_object_get(f, "packages"), p->r->name);
		}
	}
	/* the packages' manifests, which are most of the work, on every thread;
	 * build.ninja's text and activate.json beside them */
	bs.g = g;
	bs.dirfd = w.dirfd;
	bs.fn = beside;
	bs.arg = arg;
	pool_run_beside(g->norder, g->threads, write_pkg, &w, beside_run, &bs);
	for (t = 0; t < POOL_MAX; t++) {
		cache_apply(g, &g->written, &w.log[t]);
		buf_release(&w.out[t]);
		jscratch_release(&w.js[t]);
	}
	cache_apply(g, &g->written, &bs.log);
	ret |= w.failed | bs.ret;
	if (w.fresh && !w.failed && rename(newdir, dir) < 0)
		ret |= fail("rename %s to %s:", newdir, dir);
	if (w.fresh && ret)
		fs_rmtree(newdir);
	free(dir);
	free(newdir);
	json_object_foreach(fetches, key, v)
		ret |= write_json(g, arena_printf(&g->a, "fetch/%s.json", key), json_incref(v));
	json_decref(fetches);

	close(w.dirfd);
	return ret ? -1 : 0;
}
