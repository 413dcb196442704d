/* SPDX-License-Identifier: MIT */
/* jalloc: jansson's allocations in scratch memory for short-lived values */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "jalloc.h"
#include "util.h"

#define SCRATCH_SIZE (256 * 1024)	/* a large manifest takes about 20 KiB */

static _Thread_local struct jscratch *cur;

static void *
jmalloc(size_t n)
{
	struct jscratch *s = cur;

	if (s) {
		size_t at = (s->used + 15) & ~(size_t)15;

		if (at <= s->cap && s->cap - at >= n) {
			s->used = at + n;
			return s->base + at;
		}
	}
	return malloc(n);
}

static void
jfree(void *p)
{
	struct jscratch *s = cur;

	if (s && (uintptr_t)p >= (uintptr_t)s->base && (uintptr_t)p < (uintptr_t)s->base + s->cap)
		return;
	free(p);
}

void
jalloc_install(void)
{
	/* under AddressSanitizer no section is ever open: malloc and free */
	json_set_alloc_funcs(jmalloc, jfree);
}

void
jscratch_begin(struct jscratch *s)
{
#ifndef __SANITIZE_ADDRESS__
	if (!s->base) {
		s->base = xmalloc(SCRATCH_SIZE);
		s->cap = SCRATCH_SIZE;
	}
	s->used = 0;
	cur = s;
#else
	(void)s;
#endif
}

void
jscratch_end(struct jscratch *s)
{
	if (cur == s)
		cur = NULL;
	s->used = 0;
}

void
jscratch_release(struct jscratch *s)
{
	jscratch_end(s);
	free(s->base);
	s->base = NULL;
	s->cap = 0;
}
