/* SPDX-License-Identifier: MIT */
/* map: string -> pointer hash map with open addressing (keys borrowed) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* make the table at least cap slots (a power of two) */
static void
resize(struct map *m, size_t cap)
{
	struct map n = {0};
	size_t i;

	n.cap = cap;
	n.keys = xcalloc(n.cap, sizeof(*n.keys));
	n.vals = xcalloc(n.cap, sizeof(*n.vals));
	for (i = 0; i < m->cap; i++)
		if (m->keys[i])
			put(&n, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
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
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
