/* SPDX-License-Identifier: MIT */
/* map: string -> pointer hash map with open addressing (keys borrowed) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "gen.h"
#include "util.h"

void *
map_get(const struct map *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = str_hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (!strcmp(m->keys[i], key))
			return m->vals[i];
	return NULL;
}

static void
put(struct map *m, const char *key, void *val)
{
	size_t i;

	for (i = str_hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1)) {
		if (!strcmp(m->keys[i], key)) {
			m->vals[i] = val;
			return;
		}
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->len++;
}

#define HUGE_PAGE ((size_t)2 << 20)

/*
 * A table's keys and values in one block. From 1 MiB (65,536 slots) on it
 * is mapped on its own, 2 MiB-aligned, with huge pages asked for: a put
 * lands on a random page, and where a page fault costs much (a virtual
 * machine) a 4 KiB page per fault adds up. Smaller tables stay in malloc:
 * rounded up to a huge page, the 10,000-package run's many tables of
 * 16,384 and 32,768 slots cost 7 MB more peak memory than they save time.
 */
static size_t
table_bytes(size_t cap)
{
	size_t n = cap * (sizeof(const char *) + sizeof(void *));

	return n < HUGE_PAGE / 2 ? n : (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

static void *
table_alloc(size_t cap)
{
	size_t n = table_bytes(cap), head;
	char *p;

	if (n < HUGE_PAGE / 2)
		return xcalloc(1, n);
	p = mmap(NULL, n + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatal("out of memory (a table of %zu slots)", cap);
	head = (HUGE_PAGE - ((uintptr_t)p & (HUGE_PAGE - 1))) & (HUGE_PAGE - 1);
	if (head)
		munmap(p, head);
	munmap(p + head + n, HUGE_PAGE - head);
	madvise(p + head, n, MADV_HUGEPAGE);
	return p + head;
}

static void
table_free(void *p, size_t cap)
{
	size_t n = table_bytes(cap);

	if (!p)
		return;
	if (n < HUGE_PAGE / 2)
		free(p);
	else
		munmap(p, n);
}

/* make the table at least cap slots (a power of two) */
static void
resize(struct map *m, size_t cap)
{
	struct map n = {0};
	size_t i;

	n.cap = cap;
	n.keys = table_alloc(cap);
	n.vals = (void **)(n.keys + cap);
	for (i = 0; i < m->cap; i++)
		if (m->keys[i])
			put(&n, m->keys[i], m->vals[i]);
	table_free(m->keys, m->cap);
	*m = n;
}

void
map_reserve(struct map *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 64;

	while (cap < 2 * (m->len + n))
		cap *= 2;
	if (cap > m->cap)
		resize(m, cap);
}

void
map_put(struct map *m, const char *key, void *val)
{
	if ((m->len + 1) * 2 > m->cap)
		resize(m, m->cap ? m->cap * 2 : 64);
	put(m, key, val);
}

void
map_release(struct map *m)
{
	table_free(m->keys, m->cap);
	memset(m, 0, sizeof(*m));
}
