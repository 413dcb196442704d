/* SPDX-License-Identifier: MIT */
/* test: a tiny unit test harness; each check that fails prints "FAIL file:line: expr" */
#ifndef PKGTOOL_TEST_H
#define PKGTOOL_TEST_H

#include <stdio.h>
#include <string.h>

static int t_checks, t_failed;

/* expr must be true */
#define T_OK(expr) do { \
	t_checks++; \
	if (!(expr)) { \
		t_failed++; \
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #expr); \
	} \
} while (0)

/* two integers (any integer type) must be equal; prints both values */
#define T_EQ(a, b) do { \
	long long t_a_ = (long long)(a), t_b_ = (long long)(b); \
	t_checks++; \
	if (t_a_ != t_b_) { \
		t_failed++; \
		printf("FAIL %s:%d: %s == %s (%lld != %lld)\n", \
		    __FILE__, __LINE__, #a, #b, t_a_, t_b_); \
	} \
} while (0)

/* two strings must be equal; NULL equals only NULL */
#define T_STREQ(a, b) do { \
	const char *t_a_ = (a), *t_b_ = (b); \
	t_checks++; \
	if (!(t_a_ == t_b_ || (t_a_ && t_b_ && strcmp(t_a_, t_b_) == 0))) { \
		t_failed++; \
		printf("FAIL %s:%d: %s == %s (\"%s\" != \"%s\")\n", __FILE__, __LINE__, \
		    #a, #b, t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)"); \
	} \
} while (0)

/* print the tally; use as `return T_DONE();` in main (0 = all passed) */
#define T_DONE() \
	(printf("%s: %d checks, %d failed\n", __FILE__, t_checks, t_failed), \
	 fflush(stdout), t_failed != 0)

#endif
