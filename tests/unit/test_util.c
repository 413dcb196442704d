/* SPDX-License-Identifier: MIT */
/* test_util: the formatting helpers of lib/util.c and lib/arena.c that stand
 * in for printf where pkggen makes a string per file or per package */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "test.h"
#include "util.h"

/* put_dec / put_udec against snprintf's %0*lld / %0*llu */
static void
test_dec(void)
{
	static const long long sv[] = {0, 1, 9, 10, 123456789, -1, -10, -123, LLONG_MAX, LLONG_MIN};
	static const unsigned long long uv[] = {0, 7, 1000000000ULL, ULLONG_MAX};
	static const int widths[] = {0, 1, 3, 9, 25};
	char got[64], want[64];
	size_t i, j;

	for (i = 0; i < LEN(sv); i++) {
		for (j = 0; j < LEN(widths); j++) {
			*put_dec(got, sv[i], widths[j]) = '\0';
			snprintf(want, sizeof(want), "%0*lld", widths[j], sv[i]);
			T_STREQ(got, want);
		}
	}
	for (i = 0; i < LEN(uv); i++) {
		for (j = 0; j < LEN(widths); j++) {
			*put_udec(got, uv[i], widths[j]) = '\0';
			snprintf(want, sizeof(want), "%0*llu", widths[j], uv[i]);
			T_STREQ(got, want);
		}
	}
}

static void
test_cat(void)
{
	struct arena a = ARENA_INIT;
	char big[300];

	T_STREQ(arena_cat(&a, "pkg/", "zlib--1.3--0123456789ab", ".json"),
	    "pkg/zlib--1.3--0123456789ab.json");
	T_STREQ(arena_cat(&a, ""), "");
	T_STREQ(arena_cat(&a, "a", "", "b"), "ab");
	/* longer than arena_printf's stack buffer */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T_EQ(strlen(arena_cat(&a, big, "/", big)), 2 * (sizeof(big) - 1) + 1);
	arena_free(&a);
}

static void
test_cat_into(void)
{
	char buf[8], *s;

	s = CAT_INTO(buf, "pkg/", "a");
	T_OK(s == buf);
	T_STREQ(s, "pkg/a");
	s = CAT_INTO(buf, "1234", "567");	/* 7 characters and the NUL: fits */
	T_OK(s == buf);
	T_STREQ(s, "1234567");
	s = CAT_INTO(buf, "1234", "5678");	/* one more: a new string */
	T_OK(s != buf);
	T_STREQ(s, "12345678");
	free(s);
}

int
main(void)
{
	test_dec();
	test_cat();
	test_cat_into();
	return T_DONE();
}
