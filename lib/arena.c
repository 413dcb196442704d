/* SPDX-License-Identifier: MIT */
/* arena: a bump allocator freed in one call (pkggen's parse and resolve data) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "util.h"

struct arena_chunk {
	struct arena_chunk *next;
	max_align_t data[];
};

#define CHUNK (64 * 1024)

void *
arena_alloc(struct arena *a, size_t n)
{
	size_t align = sizeof(max_align_t);
	void *p;

	n = (n + align - 1) / align * align;
	if (!a->head || a->cap - a->used < n) {
		size_t cap = n > CHUNK ? n : CHUNK;
		struct arena_chunk *c = xmalloc(sizeof(*c) + cap);

		c->next = a->head;
		a->head = c;
		a->used = 0;
		a->cap = cap;
	}
	p = (char *)a->head->data + a->used;
	a->used += n;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_append(struct arena *a, void ***arr, size_t *len, size_t *cap, void *item)
{
	if (*len == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		void **n = arena_alloc(a, ncap * sizeof(*n));

		if (*len)
			memcpy(n, *arr, *len * sizeof(*n));
		*arr = n;
		*cap = ncap;
	}
	(*arr)[(*len)++] = item;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->used = a->cap = 0;
}
