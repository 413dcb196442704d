/* SPDX-License-Identifier: MIT */
/* arena: a bump allocator freed in one call (pkggen's parse and resolve data) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arena.h"
#include "util.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;	/* of the whole chunk, this header included */
	max_align_t data[];
};

#define CHUNK_MIN (64 * 1024)
#define CHUNK_MID (256 * 1024)
#define CHUNK_MAX (2 * 1024 * 1024)

/*
 * Chunks come zeroed from the kernel and are reused only by arena_reset,
 * which zeroes what was used, so allocations need no memset. The first is
 * 64 KiB and the second 256 KiB (a small run stays small); every later one
 * is 2 MiB. They are mapped in 4 KiB pages: huge pages were asked for here
 * once, but on a virtual machine that returns free memory to its host a huge
 * page is a block the host took back, and its first touch cost far more than
 * the 511 faults it saved (pkggen at 10,000 packages, after an idle pause:
 * 1.4-1.5 s of CPU against 1.0-1.1 s). Under AddressSanitizer they come
 * from calloc, so that LeakSanitizer still sees the pointers they hold.
 */
static struct arena_chunk *
chunk_new(size_t size)
{
	struct arena_chunk *c;

#ifdef __SANITIZE_ADDRESS__
	c = xcalloc(1, size);
#else
	c = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		fatal("out of memory");
#endif
	c->size = size;
	return c;
}

static void
chunk_free(struct arena_chunk *c)
{
#ifdef __SANITIZE_ADDRESS__
	free(c);
#else
	munmap(c, c->size);
#endif
}

/* n bytes aligned to align (a power of two, at most max_align_t's) */
static void *
alloc(struct arena *a, size_t n, size_t align)
{
	size_t at = (a->used + align - 1) & ~(align - 1);
	void *p;

	if (!a->head || at > a->cap || a->cap - at < n) {
		size_t size = !a->head ? CHUNK_MIN : a->head->size < CHUNK_MID ? CHUNK_MID : CHUNK_MAX;
		struct arena_chunk *c;

		/* a large block gets a chunk of its own */
		if (n > size - sizeof(*c))
			size = (sizeof(*c) + n + 4095) & ~(size_t)4095;
		c = chunk_new(size);
		c->next = a->head;
		a->head = c;
		a->used = at = 0;
		a->cap = size - sizeof(*c);
	}
	p = (char *)a->head->data + at;
	a->used = at + n;
	return p;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	return alloc(a, n ? n : 1, sizeof(max_align_t));
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	/* strings need no alignment */
	char *p = alloc(a, n + 1, 1);

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
	char tmp[256];
	va_list ap;
	int n;
	char *p;

	/* most strings fit the stack buffer: format once, then copy */
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("arena_printf: bad format");
	if ((size_t)n < sizeof(tmp))
		return arena_strndup(a, tmp, (size_t)n);
	p = alloc(a, (size_t)n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

char *
arena_catv(struct arena *a, const char *const *parts)
{
	size_t len[16], total = 0, n, i;
	char *p, *d;

	for (n = 0; parts[n]; n++) {
		if (n == LEN(len))
			fatal("arena_cat: more than %zu parts", LEN(len));
		len[n] = strlen(parts[n]);
		total += len[n];
	}
	p = d = alloc(a, total + 1, 1);
	for (i = 0; i < n; i++) {
		memcpy(d, parts[i], len[i]);
		d += len[i];
	}
	*d = '\0';
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
		chunk_free(c);
	}
	a->head = NULL;
	a->used = a->cap = 0;
}

void
arena_reset(struct arena *a)
{
#ifdef __SANITIZE_ADDRESS__
	/* every chunk freed, so that a pointer kept past the reset is caught */
	arena_free(a);
#else
	struct arena_chunk *c, *next;

	if (!a->head)
		return;
	for (c = a->head->next; c; c = next) {
		next = c->next;
		chunk_free(c);
	}
	a->head->next = NULL;
	/* arena_alloc's memory is zeroed: the kernel's was, this was used */
	memset(a->head->data, 0, a->used);
	a->used = 0;
#endif
}
