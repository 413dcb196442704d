/* SPDX-License-Identifier: MIT */
/* id: package ids, NAME--VERSION--HASH12 over everything that affects the build (SPEC §2) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cjson.h"
#include "fs.h"
#include "gen.h"
#include "sha256.h"
#include "util.h"

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the sha256 of a file, from the cache when its inode, size and mtime match */
static int
file_hash(struct gen *g, const char *path, const struct stat *st, char hex[SHA256_HEX])
{
	char sig[128];
	const char *c = cache_get(&g->hashes, path);

	snprintf(sig, sizeof(sig), "%llu %lld %lld.%09ld", (unsigned long long)st->st_ino,
	    (long long)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	if (c && strlen(c) > 65 && c[64] == ' ' && !strcmp(c + 65, sig)) {
		memcpy(hex, c, 64);
		hex[64] = '\0';
		return 0;
	}
	if (hash_file(path, HASH_SHA256, hex) < 0)
		return -1;
	cache_put(g, &g->hashes, path, arena_printf(&g->a, "%s %s", hex, sig));
	return 0;
}

/* hash the tree under dir/rel into h, sorted, recording files and dirs */
static int
walk(struct gen *g, struct source *s, struct hasher *h, const char *dir, const char *rel)
{
	char *path = rel[0] ? xasprintf("%s/%s", dir, rel) : xstrdup(dir);
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	DIR *d;
	struct dirent *e;
	int ret = 0;

	arena_append(&g->a, (void ***)&s->dirs, &s->ndirs, &s->dcap, arena_strdup(&g->a, path));
	d = opendir(path);
	if (!d) {
		struct mark m = s->mark;
		diag_error(&g->d, m, "cannot read path source %s", path);
		free(path);
		return -1;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			xappend((void ***)&names, &n, &cap, xstrdup(e->d_name));
	closedir(d);
	qsort(names, n, sizeof(*names), cmpstr);
	for (i = 0; i < n && ret == 0; i++) {
		char *sub = rel[0] ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		char *full = xasprintf("%s/%s", dir, sub);
		char hex[SHA256_HEX], link[4096];
		struct stat st;
		ssize_t ln;

		if (lstat(full, &st) < 0) {
			diag_error(&g->d, s->mark, "cannot read %s", full);
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			hasher_update(h, "d ", 2);
			hasher_update(h, sub, strlen(sub) + 1);
			ret = walk(g, s, h, dir, sub);
		} else if (S_ISLNK(st.st_mode)) {
			ln = readlink(full, link, sizeof(link) - 1);
			link[ln < 0 ? 0 : ln] = '\0';
			hasher_update(h, "l ", 2);
			hasher_update(h, sub, strlen(sub) + 1);
			hasher_update(h, link, strlen(link) + 1);
		} else if (S_ISREG(st.st_mode)) {
			if (file_hash(g, full, &st, hex) < 0) {
				diag_error(&g->d, s->mark, "cannot read %s", full);
				ret = -1;
			} else {
				hasher_update(h, st.st_mode & 0111 ? "x " : "f ", 2);
				hasher_update(h, sub, strlen(sub) + 1);
				hasher_update(h, hex, 64);
				arena_append(&g->a, (void ***)&s->files, &s->nfiles, &s->fcap,
				    arena_strdup(&g->a, full));
			}
		}
		free(sub);
		free(full);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(path);
	return ret;
}

static int
hash_path_source(struct gen *g, struct source *s)
{
	struct hasher h;
	char hex[SHA256_HEX];
	struct stat st;
	int ret = 0;

	if (s->content)
		return 0;
	hasher_init(&h, HASH_SHA256);
	if (stat(s->path, &st) == 0 && S_ISDIR(st.st_mode)) {
		ret = walk(g, s, &h, s->path, "");
	} else {
		if (file_hash(g, s->path, &st, hex) < 0) {
			diag_error(&g->d, s->mark, "cannot read path source %s", s->path);
			ret = -1;
		} else {
			hasher_update(&h, st.st_mode & 0111 ? "x " : "f ", 2);
			hasher_update(&h, s->name, strlen(s->name) + 1);
			hasher_update(&h, hex, 64);
			arena_append(&g->a, (void ***)&s->files, &s->nfiles, &s->fcap, (void *)s->path);
		}
	}
	hasher_final(&h, hex);
	s->content = arena_strdup(&g->a, hex);
	return ret;
}

static json_t *
strmap(const struct kv *kv, size_t n)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_set_new(o, kv[i].key, json_string(kv[i].val));
	return o;
}

static json_t *
idlist(struct pkg **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]->id));
	return a;
}

static void
compute(struct gen *g, struct pkg *p)
{
	const struct recipe *r = p->r;
	json_t *o = json_object(), *srcs = json_array(), *patches = json_array();
	char hex[SHA256_HEX];
	size_t i, j;

	for (i = 0; i < r->nsources; i++) {
		struct source *s = &r->sources[i];
		json_t *so = json_object();

		switch (s->type) {
		case SRC_URL:
			json_object_set_new(so, "type", json_string("url"));
			json_object_set_new(so, s->algo, json_string(s->hash));
			json_object_set_new(so, "name", json_string(s->name));
			break;
		case SRC_GIT:
			json_object_set_new(so, "type", json_string("git"));
			json_object_set_new(so, "commit", json_string(s->commit));
			break;
		case SRC_PATH:
			hash_path_source(g, s);
			json_object_set_new(so, "type", json_string("path"));
			json_object_set_new(so, "content", json_string(s->content ? s->content : ""));
			json_object_set_new(so, "name", json_string(s->name));
			for (j = 0; j < s->nfiles; j++)
				gen_regen_input(g, s->files[j]);
			for (j = 0; j < s->ndirs; j++)
				gen_regen_input(g, s->dirs[j]);
			break;
		}
		json_object_set_new(so, "extract", json_boolean(s->extract));
		json_object_set_new(so, "strip", json_integer(s->strip));
		json_array_append_new(srcs, so);
	}
	for (i = 0; i < r->npatches; i++) {
		if (hash_file(r->patches[i], HASH_SHA256, hex) < 0) {
			struct mark m = {r->file, 0, 0};
			diag_error(&g->d, m, "cannot read patch %s", r->patches[i]);
			hex[0] = '\0';
		}
		gen_regen_input(g, r->patches[i]);
		json_array_append_new(patches, json_string(hex));
	}
	json_object_set_new(o, "format", json_string("pkgtool-id-1"));
	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "version", json_string(r->version));
	json_object_set_new(o, "kind", json_string(r->kind));
	json_object_set_new(o, "variant", r->variant ? json_string(r->variant) : json_null());
	json_object_set_new(o, "build", json_string(r->build ? r->build : ""));
	json_object_set_new(o, "sources", srcs);
	json_object_set_new(o, "patches", patches);
	json_object_set_new(o, "env", strmap(r->env, r->nenv));
	json_object_set_new(o, "depends", idlist(p->deps, p->ndeps));
	json_object_set_new(o, "build_depends", idlist(p->bdeps, p->nbdeps));
	json_object_set_new(o, "platform", json_string(g->platform));
	json_object_set_new(o, "store", json_string(g->store));
	cjson_sha256(o, hex);
	json_decref(o);
	p->hash = arena_strdup(&g->a, hex);
	p->id = arena_printf(&g->a, "%s--%s--%.12s", r->name, r->version, hex);
}

void
id_compute(struct gen *g)
{
	size_t i;

	/* g->order has dependencies first, so their ids are known */
	for (i = 0; i < g->norder; i++)
		compute(g, g->order[i]);
}
