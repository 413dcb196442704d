/* SPDX-License-Identifier: MIT */
/* id: package ids, NAME--VERSION--HASH12 over everything that affects the build (SPEC §2) */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cjson.h"
#include "fs.h"
#include "gen.h"
#include "jalloc.h"
#include "sha256.h"
#include "util.h"

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 1 when st was changed so recently that another change within the same
 * clock tick would leave its mtime as it is: such a file or directory is
 * read every time rather than remembered by its mtime (git's "racy" entries) */
static int
racy(const struct stat *st)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return st->st_mtim.tv_sec >= now.tv_sec - 2;
}

/* "INO SIZE MTIME.NSEC" (with size) or "INO MTIME.NSEC" at d, as printf's
 * "%llu %lld %lld.%09ld" would write them (a record per file and directory
 * of every path source); returns the end (no NUL) */
static char *
put_stat(char *d, const struct stat *st, int size)
{
	d = put_udec(d, (unsigned long long)st->st_ino, 0);
	*d++ = ' ';
	if (size) {
		d = put_dec(d, (long long)st->st_size, 0);
		*d++ = ' ';
	}
	d = put_dec(d, (long long)st->st_mtim.tv_sec, 0);
	*d++ = '.';
	return put_dec(d, st->st_mtim.tv_nsec, 9);
}

/* the sha256 of a file, from the cache when its inode, size and mtime
 * match; read as name in the directory open as dirfd when that is not -1 */
static int
file_hash(struct srchash *h, const char *path, int dirfd, const char *name, const struct stat *st,
    char hex[SHA256_HEX])
{
	char sig[128];
	const char *c = cache_get(h->cache, path);

	*put_stat(sig, st, 1) = '\0';
	if (c && strlen(c) > 65 && c[64] == ' ' && !strcmp(c + 65, sig)) {
		memcpy(hex, c, 64);
		hex[64] = '\0';
		return 0;
	}
	if (hash_file_at(dirfd < 0 ? AT_FDCWD : dirfd, dirfd < 0 ? path : name, HASH_SHA256,
	    (size_t)st->st_size, hex) < 0)
		return -1;
	if (!racy(st))
		cache_log_keep(h->log, h->a, arena_strdup(h->a, path), arena_cat(h->a, hex, " ", sig));
	return 0;
}

/*
 * The names in directory path, sorted, in the arena. A directory's mtime
 * changes whenever an entry is added, removed or renamed, so its listing is
 * kept in the cache under "PATH/" as "d INO MTIME NAME/NAME/..." (a name
 * cannot hold a slash) and read again only when they differ. When it was
 * read, *dirfd is the directory, still open, so that its entries are looked
 * at without walking the whole path again; else -1.
 */
static const char **
dir_names(struct srchash *h, const char *path, const struct stat *st, size_t *n, int *dirfd)
{
	char kbuf[512], *key = CAT_INTO(kbuf, path, "/"), sig[96], *end, *list;
	const char *c = cache_get(h->cache, key), **names = NULL;
	size_t len = 0, cap = 0, siglen;
	struct buf b = BUF_INIT;
	_Alignas(struct dirent64) char ents[16384];
	struct dirent64 *e;
	ssize_t got, off;
	int cacheable = 1, fd;

	*dirfd = -1;
	sig[0] = 'd';
	sig[1] = ' ';
	end = put_stat(sig + 2, st, 0);
	*end++ = ' ';
	*end = '\0';
	siglen = (size_t)(end - sig);
	if (c && !strncmp(c, sig, siglen)) {
		list = arena_strdup(h->a, c + siglen);
		while (*list) {
			char *slash = strchr(list, '/');

			if (slash)
				*slash = '\0';
			arena_append(h->a, (void ***)&names, &len, &cap, list);
			list = slash ? slash + 1 : list + strlen(list);
		}
		goto out;
	}
	/* getdents64 rather than opendir, which stats what it opened */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	while ((got = getdents64(fd, ents, sizeof(ents))) > 0) {
		for (off = 0; off < got; off += e->d_reclen) {
			e = (struct dirent64 *)(ents + off);
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (strpbrk(e->d_name, "\t\n"))
				cacheable = 0;
			arena_append(h->a, (void ***)&names, &len, &cap, arena_strdup(h->a, e->d_name));
		}
	}
	if (got < 0) {
		close(fd);
		goto fail;
	}
	*dirfd = fd;
	if (len)
		qsort(names, len, sizeof(*names), cmpstr);
	if (cacheable && !racy(st)) {
		size_t i;

		buf_puts(&b, sig);
		for (i = 0; i < len; i++) {
			if (i)
				buf_putc(&b, '/');
			buf_puts(&b, names[i]);
		}
		cache_log_put(h->log, h->a, key, b.s);
		buf_release(&b);
	}
out:
	if (key != kbuf)
		free(key);
	*n = len;
	return names ? names : arena_alloc(h->a, sizeof(*names));
fail:
	if (key != kbuf)
		free(key);
	return NULL;
}

/* hash the tree under dir/rel (whose stat is dst) into hs, sorted,
 * recording files and dirs */
static int
walk(struct srchash *h, struct source *s, struct hasher *hs, const char *dir, const char *rel,
    const struct stat *dst)
{
	/* paths are made in the arena, where the lists of files and
	 * directories keep them: no malloc and free for each file */
	char *path = rel[0] ? arena_cat(h->a, dir, "/", rel) : arena_strdup(h->a, dir);
	const char **names;
	size_t n = 0, i;
	int ret = 0, dfd;

	arena_append(h->a, (void ***)&s->dirs, &s->ndirs, &s->dcap, path);
	names = dir_names(h, path, dst, &n, &dfd);
	if (!names) {
		struct mark m = s->mark;
		diag_error(h->d, m, "cannot read path source %s", path);
		return -1;
	}
	for (i = 0; i < n && ret == 0; i++) {
		const char *sub = rel[0] ? arena_cat(h->a, rel, "/", names[i]) : names[i];
		char *full = arena_cat(h->a, dir, "/", sub);
		char hex[SHA256_HEX], link[4096];
		struct stat st;
		ssize_t ln;

		if ((dfd >= 0 ? fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) : lstat(full, &st)) < 0) {
			diag_error(h->d, s->mark, "cannot read %s", full);
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			hasher_update(hs, "d ", 2);
			hasher_update(hs, sub, strlen(sub) + 1);
			ret = walk(h, s, hs, dir, sub, &st);
		} else if (S_ISLNK(st.st_mode)) {
			ln = dfd >= 0 ? readlinkat(dfd, names[i], link, sizeof(link) - 1) :
			    readlink(full, link, sizeof(link) - 1);
			link[ln < 0 ? 0 : ln] = '\0';
			hasher_update(hs, "l ", 2);
			hasher_update(hs, sub, strlen(sub) + 1);
			hasher_update(hs, link, strlen(link) + 1);
		} else if (S_ISREG(st.st_mode)) {
			if (file_hash(h, full, dfd, names[i], &st, hex) < 0) {
				diag_error(h->d, s->mark, "cannot read %s", full);
				ret = -1;
			} else {
				hasher_update(hs, st.st_mode & 0111 ? "x " : "f ", 2);
				hasher_update(hs, sub, strlen(sub) + 1);
				hasher_update(hs, hex, 64);
				arena_append(h->a, (void ***)&s->files, &s->nfiles, &s->fcap, full);
			}
		}
	}
	if (dfd >= 0)
		close(dfd);
	return ret;
}

int
source_hash(struct srchash *h, struct source *s)
{
	struct hasher hs;
	char hex[SHA256_HEX];
	struct stat st;
	int ret = 0;

	if (s->content)
		return 0;
	hasher_init(&hs, HASH_SHA256);
	/* recipe.c stat()ed it when it checked that it exists */
	if (s->have_st)
		st = s->st;
	else if (stat(s->path, &st) < 0)
		memset(&st, 0, sizeof(st));
	if (S_ISDIR(st.st_mode)) {
		ret = walk(h, s, &hs, s->path, "", &st);
	} else {
		if (file_hash(h, s->path, -1, NULL, &st, hex) < 0) {
			diag_error(h->d, s->mark, "cannot read path source %s", s->path);
			ret = -1;
		} else {
			hasher_update(&hs, st.st_mode & 0111 ? "x " : "f ", 2);
			hasher_update(&hs, s->name, strlen(s->name) + 1);
			hasher_update(&hs, hex, 64);
			arena_append(h->a, (void ***)&s->files, &s->nfiles, &s->fcap, (void *)s->path);
		}
	}
	hasher_final(&hs, hex);
	s->content = arena_strdup(h->a, hex);
	return ret;
}

static int
cmpkv(const void *a, const void *b)
{
	const struct kv *x = *(const struct kv *const *)a, *y = *(const struct kv *const *)b;
	int c = strcmp(x->key, y->key);

	/* a key given twice: the later one wins, as it would set in order */
	return c ? c : x < y ? -1 : x > y;
}

json_t *
kv_object(const struct kv *kv, size_t n)
{
	json_t *o = json_object();
	const struct kv *stackv[16], **v = n <= LEN(stackv) ? stackv : xcalloc(n, sizeof(*v));
	size_t i;

	/* added in key order, the object is written without sorting */
	for (i = 0; i < n; i++)
		v[i] = &kv[i];
	qsort(v, n, sizeof(*v), cmpkv);
	for (i = 0; i < n; i++)
		json_object_set_new_nocheck(o, v[i]->key, json_string_nocheck(v[i]->val));
	if (v != stackv)
		free(v);
	return o;
}

static json_t *
idlist(struct pkg **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string_nocheck(v[i]->id));
	return a;
}

/* the "format" of the JSON an id hashes: a change to what goes in it
 * changes every id, and this with it */
#define ID_FORMAT "pkgtool-id-2"

/*
 * An id is the sha256 of the canonical JSON below. Building and dumping it
 * costs more than all else pkggen does for an unchanged package, so the
 * result is kept in the hashes cache under "RECIPE#VARIANT" as "i SIG HASH",
 * where SIG hashes everything the JSON is made from: package.yaml's bytes,
 * the variant, the contents of path sources and patches, the dependencies'
 * hashes, the platform and the store.
 */

/* on the main thread: hash what is left to hash (the files and directories
 * read join build.ninja's regeneration inputs later, in ninja_text); the
 * patches' hashes go to p->patch_hashes */
static void
prepare(struct gen *g, struct pkg *p)
{
	const struct recipe *r = p->r;
	char hex[SHA256_HEX];
	size_t i;

	for (i = 0; i < r->nsources; i++) {
		struct source *s = &r->sources[i];

		if (s->type == SRC_PATH && !s->content) {
			struct cache_log log = {0};
			struct srchash sh = {&g->a, &g->d, &g->hashes, &log};

			source_hash(&sh, s);
			cache_apply(g, &g->hashes, &log);
		}
	}
	p->patch_hashes = arena_alloc(&g->a, (r->npatches + 1) * sizeof(*p->patch_hashes));
	for (i = 0; i < r->npatches; i++) {
		if (hash_file(r->patches[i], HASH_SHA256, hex) < 0) {
			struct mark m = {r->file, 0, 0};
			diag_error(&g->d, m, "cannot read patch %s", r->patches[i]);
			hex[0] = '\0';
		}
		gen_regen_input(g, r->patches[i]);
		p->patch_hashes[i] = arena_strdup(&g->a, hex);
	}
}

/* p's hash, its id and where its archive goes (named by the manifests and
 * build.ninja of p and of each dependent), in a */
static void
set_id(struct gen *g, struct arena *a, struct pkg *p, const char *hash)
{
	char hash12[13];

	memcpy(hash12, hash, 12);
	hash12[12] = '\0';
	p->hash = hash;
	p->id = arena_cat(a, p->r->name, "--", p->r->version, "--", hash12);
	p->archive = arena_cat(a, g->store, "/pkgs/", p->id, ".tar.zst");
}

struct idctx {
	struct gen *g;
	struct pkg **v;	/* the packages of one level */
	struct cache_log log[POOL_MAX];
	struct jscratch js[POOL_MAX];	/* each thread's JSON values */
};

/* on any thread, once the dependencies' ids are known: p's id */
static void
compute(void *ctx, size_t k, unsigned t)
{
	struct idctx *ic = ctx;
	struct gen *g = ic->g;
	struct pkg *p = ic->v[k];
	struct arena *a = &g->ta[t];
	const struct recipe *r = p->r;
	json_t *o, *srcs, *patches;
	const char *key, *c;
	char hex[SHA256_HEX], sig[SHA256_HEX];
	struct hasher h;
	size_t i;

#define PUT(str) hasher_update(&h, (str), strlen(str) + 1)
	hasher_init(&h, HASH_SHA256);
	PUT(ID_FORMAT);
	PUT(r->text_sha ? r->text_sha : "");
	PUT(r->variant ? r->variant : "");
	for (i = 0; i < r->nsources; i++)
		if (r->sources[i].type == SRC_PATH)
			PUT(r->sources[i].content ? r->sources[i].content : "");
	for (i = 0; i < r->npatches; i++)
		PUT(p->patch_hashes[i]);
	for (i = 0; i < p->ndeps; i++)
		PUT(p->deps[i]->hash);
	PUT("|");
	for (i = 0; i < p->nbdeps; i++)
		PUT(p->bdeps[i]->hash);
	PUT(g->platform);
	PUT(g->store);
#undef PUT
	hasher_final(&h, sig);

	key = arena_cat(a, r->file, "#", r->variant ? r->variant : "");
	c = cache_get(&g->hashes, key);
	if (c && strlen(c) == 2 + 64 + 1 + 64 && !strncmp(c, "i ", 2) && !strncmp(c + 2, sig, 64) &&
	    r->text_sha) {
		set_id(g, a, p, c + 2 + 64 + 1);
		return;
	}

	/* members that are empty, null or (for a path source, which is
	 * copied as it is) ignored are left out: each costs jansson's writer
	 * about what a short string does, and says nothing */
	jscratch_begin(&ic->js[t]);
	o = json_object();
	srcs = r->nsources ? json_array() : NULL;
	for (i = 0; i < r->nsources; i++) {
		struct source *s = &r->sources[i];
		json_t *so = json_object();

		/* keys in sorted order (cjson writes them as added) */
		switch (s->type) {
		case SRC_URL:
			json_object_set_new_nocheck(so, "extract", json_boolean(s->extract));
			json_object_set_new_nocheck(so, "name", json_string_nocheck(s->name));
			json_object_set_new_nocheck(so, s->algo, json_string_nocheck(s->hash));
			json_object_set_new_nocheck(so, "strip", json_integer(s->strip));
			break;
		case SRC_GIT:
			json_object_set_new_nocheck(so, "commit", json_string_nocheck(s->commit));
			json_object_set_new_nocheck(so, "extract", json_boolean(s->extract));
			json_object_set_new_nocheck(so, "strip", json_integer(s->strip));
			break;
		case SRC_PATH:
			json_object_set_new_nocheck(so, "content", json_string_nocheck(s->content ? s->content : ""));
			json_object_set_new_nocheck(so, "name", json_string_nocheck(s->name));
			break;
		}
		json_object_set_new_nocheck(so, "type", json_string_nocheck(s->type == SRC_URL ? "url" :
		    s->type == SRC_GIT ? "git" : "path"));
		json_array_append_new(srcs, so);
	}
	json_object_set_new_nocheck(o, "build", json_string_nocheck(r->build ? r->build : ""));
	if (p->nbdeps)
		json_object_set_new_nocheck(o, "build_depends", idlist(p->bdeps, p->nbdeps));
	if (p->ndeps)
		json_object_set_new_nocheck(o, "depends", idlist(p->deps, p->ndeps));
	if (r->nenv)
		json_object_set_new_nocheck(o, "env", kv_object(r->env, r->nenv));
	json_object_set_new_nocheck(o, "format", json_string_nocheck(ID_FORMAT));
	json_object_set_new_nocheck(o, "kind", json_string_nocheck(r->kind));
	json_object_set_new_nocheck(o, "name", json_string_nocheck(r->name));
	if (r->npatches) {
		patches = json_array();
		for (i = 0; i < r->npatches; i++)
			json_array_append_new(patches, json_string_nocheck(p->patch_hashes[i]));
		json_object_set_new_nocheck(o, "patches", patches);
	}
	json_object_set_new_nocheck(o, "platform", json_string_nocheck(g->platform));
	if (srcs)
		json_object_set_new_nocheck(o, "sources", srcs);
	json_object_set_new_nocheck(o, "store", json_string_nocheck(g->store));
	if (r->variant)
		json_object_set_new_nocheck(o, "variant", json_string_nocheck(r->variant));
	json_object_set_new_nocheck(o, "version", json_string_nocheck(r->version));
	cjson_sha256(o, CJSON_SORTED, hex);
	json_decref(o);
	jscratch_end(&ic->js[t]);
	set_id(g, a, p, arena_strdup(a, hex));
	/* g->d is not written while ids are computed */
	if (r->text_sha && !g->d.errors)
		cache_log_keep(&ic->log[t], a, key, arena_cat(a, "i ", sig, " ", hex));
}

void
id_compute(struct gen *g)
{
	struct idctx ic = {g, NULL, {{0}}, {JSCRATCH_INIT}};
	struct pkg **bylevel;
	size_t i, j, nlevels = 0, *count, *at;
	unsigned t;

	/* a package's level is one more than its dependencies' highest, so each
	 * level needs only the ids of those before it and is done in parallel */
	for (i = 0; i < g->norder; i++) {
		struct pkg *p = g->order[i];

		prepare(g, p);
		p->level = 0;
		for (j = 0; j < p->ndeps + p->nbdeps; j++) {
			struct pkg *q = j < p->ndeps ? p->deps[j] : p->bdeps[j - p->ndeps];

			if (q->level + 1 > p->level)
				p->level = q->level + 1;
		}
		if ((size_t)p->level + 1 > nlevels)
			nlevels = (size_t)p->level + 1;
	}
	if (g->d.errors)
		return;
	count = xcalloc(nlevels + 1, sizeof(*count));
	at = xcalloc(nlevels + 1, sizeof(*at));
	for (i = 0; i < g->norder; i++)
		count[g->order[i]->level + 1]++;
	for (i = 1; i <= nlevels; i++)
		count[i] += count[i - 1];
	bylevel = xcalloc(g->norder + 1, sizeof(*bylevel));
	memcpy(at, count, (nlevels + 1) * sizeof(*at));
	for (i = 0; i < g->norder; i++)
		bylevel[at[g->order[i]->level]++] = g->order[i];
	for (i = 0; i < nlevels; i++) {
		size_t n = count[i + 1] - count[i];

		ic.v = bylevel + count[i];
		/* a few packages are not worth starting threads for */
		pool_run(n, n < 16 ? 1 : g->threads, compute, &ic);
	}
	for (t = 0; t < POOL_MAX; t++) {
		cache_apply(g, &g->hashes, &ic.log[t]);
		jscratch_release(&ic.js[t]);
	}
	free(bylevel);
	free(count);
	free(at);
}
