/* SPDX-License-Identifier: MIT */
/* arena: a bump allocator freed in one call (pkggen's parse and resolve data) */
#ifndef PKGTOOL_ARENA_H
#define PKGTOOL_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t used, cap;	/* of head */
};

#define ARENA_INIT {NULL, 0, 0}

/* zeroed memory that lives until arena_free; dies on OOM */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* the strings of parts (up to a NULL, 16 at most) one after the other: what
 * arena_printf makes of "%s%s...", without a format to read */
char *arena_catv(struct arena *a, const char *const *parts);
#define arena_cat(a, ...) arena_catv((a), (const char *const[]){__VA_ARGS__, NULL})
/* grow an array of pointers kept in the arena (old storage is abandoned) */
void arena_append(struct arena *a, void ***arr, size_t *len, size_t *cap, void *item);
/* drop everything allocated in a, keeping its newest chunk (zeroed again)
 * for what comes next: scratch memory reused without new page faults */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
