/* SPDX-License-Identifier: MIT */
/* jalloc: jansson's allocations in scratch memory for short-lived values */
#ifndef PKGTOOL_JALLOC_H
#define PKGTOOL_JALLOC_H

#include <stddef.h>

/*
 * A manifest or an id input is a tree of about a hundred small jansson
 * values, built, written and freed within a few microseconds. Between
 * jscratch_begin and jscratch_end, what jansson allocates on this thread is
 * cut from s (malloc only when s is full) and its frees of that memory do
 * nothing; jscratch_end takes all of it back at once. So everything made
 * in the section must be released in it too (json_decref, no json_dumps
 * whose string outlives it). Outside a section, and under AddressSanitizer
 * (which should see every block), jansson uses malloc and free as usual.
 */
struct jscratch {
	char *base;
	size_t used, cap;
};

#define JSCRATCH_INIT {NULL, 0, 0}

/* route jansson's allocations through this file (once, before threads) */
void jalloc_install(void);
void jscratch_begin(struct jscratch *s);
void jscratch_end(struct jscratch *s);
void jscratch_release(struct jscratch *s);

#endif
