/* SPDX-License-Identifier: MIT */
/* map: string -> pointer hash map with open addressing (keys borrowed) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "gen.h"
#include "util.h"

/*
 * Each slot keeps the low 32 bits of its key's hash beside the key: a probe
 * compares those first and reads a key (most often a cache miss) only when
 * they match, and a table grows without hashing its keys again.
 */
void *
map_get(const struct map *m, const char *key)
{
	uint32_t h;
	size_t i;

	if (!m->cap)
		return NULL;
	h = (uint32_t)str_hash(key);
	for (i = h & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (m->hashes[i] == h && !strcmp(m->keys[i], key))
			return m->vals[i];
	return NULL;
}

/* the slot of key (hashed as h) in m, or the free one where it goes */
static size_t
slot(const struct map *m, const char *key, uint32_t h)
{
	size_t i;

	for (i = h & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (m->hashes[i] == h && !strcmp(m->keys[i], key))
			break;
	return i;
}

static void
put(struct map *m, const char *key, uint32_t h, void *val)
{
	size_t i = slot(m, key, h);

	if (!m->keys[i]) {
		m->keys[i] = key;
		m->hashes[i] = h;
		m->len++;
	}
	m->vals[i] = val;
}

/*
 * A table's keys and values in one block: calloc's for a small one, and from
 * 1 MiB (65,536 slots) on a mapping of its own, which comes zeroed and goes
 * back to the kernel when the table grows. (Huge pages were asked for here
 * once. On a virtual machine that returns free memory to its host, a huge
 * page is a block the host took back, and the first touch of each costs far
 * more than the 4 KiB faults it saves: pkggen at 10,000 packages, after an
 * idle pause, took 1.4-1.5 s of CPU against 1.0-1.1 s.)
 */
#define TABLE_MAPPED ((size_t)1 << 20)

static size_t
table_bytes(size_t cap)
{
	return cap * (sizeof(const char *) + sizeof(void *) + sizeof(uint32_t));
}

static void *
table_alloc(size_t cap)
{
	size_t n = table_bytes(cap);
	void *p;

	if (n < TABLE_MAPPED)
		return xcalloc(1, n);
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatal("out of memory (a table of %zu slots)", cap);
	return p;
}

static void
table_free(void *p, size_t cap)
{
	size_t n = table_bytes(cap);

	if (!p)
		return;
	if (n < TABLE_MAPPED)
		free(p);
	else
		munmap(p, n);
}

/* make the table at least cap slots (a power of two) */
static void
resize(struct map *m, size_t cap)
{
	struct map n = {0};
	size_t i, j;

	n.cap = cap;
	n.keys = table_alloc(cap);
	n.vals = (void **)(n.keys + cap);
	n.hashes = (uint32_t *)(n.vals + cap);
	/* the keys are distinct: each goes to the first free slot */
	for (i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		for (j = m->hashes[i] & (cap - 1); n.keys[j]; j = (j + 1) & (cap - 1))
			;
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
		n.hashes[j] = m->hashes[i];
	}
	n.len = m->len;
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
	put(m, key, (uint32_t)str_hash(key), val);
}

void *
map_add(struct map *m, const char *key, void *val)
{
	uint32_t h = (uint32_t)str_hash(key);
	size_t i;

	if ((m->len + 1) * 2 > m->cap)
		resize(m, m->cap ? m->cap * 2 : 64);
	i = slot(m, key, h);
	if (m->keys[i])
		return m->vals[i];
	m->keys[i] = key;
	m->hashes[i] = h;
	m->vals[i] = val;
	m->len++;
	return NULL;
}

void
map_release(struct map *m)
{
	table_free(m->keys, m->cap);
	memset(m, 0, sizeof(*m));
}
