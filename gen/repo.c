/* SPDX-License-Identifier: MIT */
/* repo: package repositories, searched in order (SPEC §2) */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "gen.h"
#include "util.h"

void
repos_add(struct arena *a, struct repos *r, const char *dir)
{
	char *abs = fs_abspath(dir);
	size_t i;

	for (i = 0; i < r->len; i++) {
		if (!strcmp(r->v[i].dir, abs)) {
			free(abs);
			return;
		}
	}
	if (r->len == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 4;
		r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
	}
	r->v[r->len].dir = arena_strdup(a, abs);
	r->v[r->len].name = fs_basename_arena(a, abs);
	r->v[r->len].pkgs = NULL;
	r->len++;
	free(abs);
}

void
repo_pkgdir(struct buf *b, const struct repo *r, const char *name)
{
	/* no printf: asked for every dependency of every recipe */
	buf_reset(b);
	buf_puts(b, r->dir);
	buf_putc(b, '/');
	buf_puts(b, name);
}

const struct repo *
repos_find(const struct repos *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->len; i++)
		if (!strcmp(r->v[i].name, name))
			return &r->v[i];
	return NULL;
}

int
repo_has(const struct repo *r, const char *name)
{
	/* one readdir per repository instead of a lookup per package */
	if (!r->pkgs) {
		struct map *m = xcalloc(1, sizeof(*m));
		DIR *d = opendir(r->dir);
		struct dirent *e;

		if (d) {
			while ((e = readdir(d)))
				if (e->d_name[0] != '.' && (e->d_type == DT_DIR || e->d_type == DT_LNK ||
				    e->d_type == DT_UNKNOWN))
					map_put(m, xstrdup(e->d_name), (void *)1);
			closedir(d);
		}
		((struct repo *)r)->pkgs = m;
	}
	/* a directory without package.yaml is reported when it is loaded */
	return map_get(r->pkgs, name) != NULL && strcmp(name, "pipelines") != 0;
}

void
repos_release(struct repos *r)
{
	size_t i, j;

	for (i = 0; i < r->len; i++) {
		if (!r->v[i].pkgs)
			continue;
		for (j = 0; j < r->v[i].pkgs->cap; j++)
			free((char *)r->v[i].pkgs->keys[j]);
		map_release(r->v[i].pkgs);
		free(r->v[i].pkgs);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

const char **
repos_all_names(struct arena *a, const struct repos *r, size_t *n)
{
	const char **v = NULL;
	size_t len = 0, cap = 0, i;

	for (i = 0; i < r->len; i++) {
		DIR *d = opendir(r->v[i].dir);
		struct dirent *e;

		if (!d)
			continue;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				arena_append(a, (void ***)&v, &len, &cap, arena_strdup(a, e->d_name));
		closedir(d);
	}
	*n = len;
	return v;
}

const char *
fs_abspath_arena(struct arena *a, const char *path)
{
	char *abs = fs_abspath(path);
	const char *r = arena_strdup(a, abs);

	free(abs);
	return r;
}

const char *
fs_dirname_arena(struct arena *a, const char *path)
{
	char *d = fs_dirname(path);
	const char *r = arena_strdup(a, d);

	free(d);
	return r;
}
