/* SPDX-License-Identifier: MIT */
/* cache: small key -> value files under BUILDDIR/.pkggen that save work on re-runs */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "gen.h"
#include "util.h"

/*
 * A cache file is text, one entry a line: VALUE, a tab, KEY. pkggen keeps two:
 *   .pkggen/hashes   "SHA256 INO SIZE MTIME_NS" of a path source's file, so an
 *                    unchanged file (same inode, size, mtime, like git's index)
 *                    is not read again
 *   .pkggen/written  "SHA256 SIZE" of each manifest written, so an unchanged
 *                    manifest costs one stat, not a read and a compare
 * A missing or damaged cache only costs time.
 */

/* the whole file at path, NUL-terminated, in the arena; NULL when it cannot
 * be read */
static char *
slurp(struct arena *a, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *text;
	ssize_t n;
	size_t len = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	text = arena_alloc(a, (size_t)st.st_size + 1);
	while (len < (size_t)st.st_size &&
	    ((n = read(fd, text + len, (size_t)st.st_size - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	close(fd);
	text[len] = '\0';
	return text;
}

void
cache_load(struct gen *g, struct cache *c, const char *path)
{
	char *text, *line, *next, *tab;
	size_t lines;

	c->path = arena_strdup(&g->a, path);
	/* cut into keys and values where it lies */
	if (!(text = slurp(&g->a, path)))
		return;
	for (line = text, lines = 0; (line = strchr(line, '\n')); line++)
		lines++;
	map_reserve(&c->m, lines);
	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		map_put(&c->m, tab + 1, line);
	}
}

const char *
cache_get(const struct cache *c, const char *key)
{
	return map_get(&c->m, key);
}

void
cache_put(struct gen *g, struct cache *c, const char *key, const char *val)
{
	const char *old = map_get(&c->m, key);

	if (old && !strcmp(old, val))
		return;
	map_put(&c->m, arena_strdup(&g->a, key), arena_strdup(&g->a, val));
	c->dirty = 1;
}

void
cache_log_put(struct cache_log *l, struct arena *a, const char *key, const char *val)
{
	cache_log_keep(l, a, arena_strdup(a, key), arena_strdup(a, val));
}

void
cache_log_keep(struct cache_log *l, struct arena *a, const char *key, const char *val)
{
	arena_append(a, (void ***)&l->kv, &l->n, &l->cap, (void *)key);
	arena_append(a, (void ***)&l->kv, &l->n, &l->cap, (void *)val);
}

void
cache_apply(struct gen *g, struct cache *c, struct cache_log *l)
{
	size_t i;

	(void)g;
	/* the strings stay where they are: the log's arena lives as long as g */
	for (i = 0; i + 1 < l->n; i += 2) {
		const char *old = map_get(&c->m, l->kv[i]);

		if (old && !strcmp(old, l->kv[i + 1]))
			continue;
		map_put(&c->m, l->kv[i], (void *)l->kv[i + 1]);
		c->dirty = 1;
	}
	l->n = 0;
}

int
cache_save(struct cache *c)
{
	struct buf b = BUF_INIT;
	size_t i;
	int r;

	if (!c->dirty || !c->path)
		return 0;
	for (i = 0; i < c->m.cap; i++) {
		if (c->m.keys[i]) {
			buf_puts(&b, c->m.vals[i]);
			buf_putc(&b, '\t');
			buf_puts(&b, c->m.keys[i]);
			buf_putc(&b, '\n');
		}
	}
	r = fs_write_atomic_flags(c->path, buf_str(&b), b.len, 0);
	buf_release(&b);
	return r;
}

void
cache_release(struct cache *c)
{
	map_release(&c->m);
}
