/* SPDX-License-Identifier: MIT */
/* suggest: "did you mean" by edit distance */
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "util.h"

size_t
edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), i, j, res;
	size_t *prev2, *prev, *cur;

	prev2 = xcalloc(m + 1, sizeof(size_t));
	prev = xcalloc(m + 1, sizeof(size_t));
	cur = xcalloc(m + 1, sizeof(size_t));
	for (j = 0; j <= m; j++)
		prev[j] = j;
	for (i = 1; i <= n; i++) {
		cur[0] = i;
		for (j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = prev[j] + 1;

			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	res = prev[m];
	free(prev2);
	free(prev);
	free(cur);
	return res;
}

const char *
suggest(const char *word, const char *const *cands, size_t n)
{
	size_t i, best = (size_t)-1, limit = strlen(word) / 3;
	const char *res = NULL;

	if (limit < 2)
		limit = strlen(word) > 2 ? 2 : 1;
	for (i = 0; i < n; i++) {
		size_t d = edit_distance(word, cands[i]);

		if (d <= limit && d < best && d > 0) {
			best = d;
			res = cands[i];
		}
	}
	return res;
}
