/* SPDX-License-Identifier: MIT */
/* test_version: version comparison, constraints and names in lib/version.c */
#include <stdlib.h>
#include <string.h>

#include "version.h"
#include "test.h"

static int
sign(int x)
{
	return (x > 0) - (x < 0);
}

static void
test_cmp(void)
{
	static const struct {
		const char *a, *b;
		int want;
	} cases[] = {
		{"1.0", "1.0", 0},
		{"1.10", "1.9", 1},		/* numeric, not text */
		{"2", "10", -1},
		{"1.01", "1.1", 0},		/* leading zeros do not count */
		{"1.0", "1.0.1", -1},		/* a longer version is newer */
		{"1.0", "1.0.0", -1},
		{"1.0~rc1", "1.0", -1},		/* '~' sorts before the end */
		{"1.0~rc1", "1.0~rc2", -1},
		{"1.0~alpha", "1.0~beta", -1},
		{"1.0~rc1", "1.0.0", -1},
		{"1.0-1", "1.0-2", -1},
		{"1.0+b1", "1.0", 1},
		{"1.2.13", "1.2", 1},
		{"1.2.13.dfsg", "1.2.13", 1},
		{"1.2.13", "1.3", -1},
		{"20240101", "9", 1},
		{"0.9.99", "1", -1},
		/* within a part, dpkg's runs: digits numerically, then letters */
		{"1.0~rc2", "1.0~rc10", -1},
		{"1.1.1w", "1.1.1", 1},
		{"2.6a", "2.6", 1},
		{"2.6a", "2.6b", -1},
		{"1.0~~", "1.0~", -1},
		{"1.0rc1", "1.0rc1", 0},
		{"5a10", "5a9", 1},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = sign(version_cmp(cases[i].a, cases[i].b));
		int back = sign(version_cmp(cases[i].b, cases[i].a));

		if (r != cases[i].want || back != -cases[i].want)
			printf("  version_cmp(%s, %s) = %d, reverse %d, want %d\n",
			    cases[i].a, cases[i].b, r, back, cases[i].want);
		T_EQ(r, cases[i].want);
		T_EQ(back, -cases[i].want);
	}
}

static void
test_valid(void)
{
	T_OK(version_valid("1"));
	T_OK(version_valid("1.2.13"));
	T_OK(version_valid("1.0~rc1+b2-3"));
	T_OK(version_valid("2.6a"));
	T_OK(!version_valid(""));
	T_OK(!version_valid("v1.0"));
	T_OK(!version_valid("1.0 beta"));
	T_OK(!version_valid("1.0:2"));
	T_OK(!version_valid("1/2"));

	T_OK(name_valid("zlib"));
	T_OK(name_valid("9base"));
	T_OK(name_valid("lib-foo_bar+x.y"));
	T_OK(name_valid("g++"));
	T_OK(!name_valid(""));
	T_OK(!name_valid("Zlib"));
	T_OK(!name_valid("zLib"));
	T_OK(!name_valid("-foo"));
	T_OK(!name_valid("_foo"));
	T_OK(!name_valid(".foo"));
	T_OK(!name_valid("a b"));
	T_OK(!name_valid("a/b"));
	T_OK(!name_valid("a:b"));
}

/* parse s, which must succeed, and check it against the versions in yes and no */
static void
check_dep(const char *s, const char *name, size_t ncons, const char *str,
    const char *const *yes, const char *const *no)
{
	struct dep d;
	char *err = NULL, *got;

	T_EQ(dep_parse(s, &d, &err), 0);
	if (err) {
		printf("  dep_parse(\"%s\"): %s\n", s, err);
		free(err);
		return;
	}
	T_STREQ(d.name, name);
	T_EQ(d.ncons, ncons);
	got = dep_str(&d);
	T_STREQ(got, str);
	free(got);
	for (; *yes; yes++) {
		if (!dep_match(&d, *yes))
			printf("  \"%s\" should match %s\n", s, *yes);
		T_OK(dep_match(&d, *yes));
	}
	for (; *no; no++) {
		if (dep_match(&d, *no))
			printf("  \"%s\" should not match %s\n", s, *no);
		T_OK(!dep_match(&d, *no));
	}
	dep_release(&d);
	T_OK(d.name == NULL && d.cons == NULL && d.ncons == 0);
}

static void
test_dep_parse(void)
{
	static const char *const none[] = {NULL};
	static const char *const any[] = {"0", "1.2", "99.9~x", NULL};
	static const char *const ge12[] = {"1.2", "1.2.13", "1.10", "2", NULL};
	static const char *const lt12[] = {"1.1", "1.2~rc1", "0.9", NULL};
	static const char *const range_yes[] = {"1.2", "1.9.9", "2~rc1", NULL};
	static const char *const range_no[] = {"1.1", "2", "2.0", "3", NULL};
	static const char *const eq[] = {"1.2.13", "1.02.13", NULL};
	static const char *const eq_no[] = {"1.2.12", "1.2.13.1", "1.2.13~rc", NULL};

	check_dep("zlib", "zlib", 0, "zlib", any, none);
	check_dep("  zlib  ", "zlib", 0, "zlib", any, none);
	check_dep("zlib >= 1.2", "zlib", 1, "zlib >= 1.2", ge12, lt12);
	check_dep("zlib>=1.2", "zlib", 1, "zlib >= 1.2", ge12, lt12);
	check_dep("libfoo >= 1.2, < 2", "libfoo", 2, "libfoo >= 1.2, < 2", range_yes, range_no);
	check_dep("libfoo>=1.2,<2", "libfoo", 2, "libfoo >= 1.2, < 2", range_yes, range_no);
	check_dep("zlib = 1.2.13", "zlib", 1, "zlib = 1.2.13", eq, eq_no);
	check_dep("zlib == 1.2.13", "zlib", 1, "zlib = 1.2.13", eq, eq_no);
	check_dep("zlib != 1.2.13", "zlib", 1, "zlib != 1.2.13", eq_no, eq);
	check_dep("zlib <= 1.2.13", "zlib", 1, "zlib <= 1.2.13", eq, (const char *const[]){"1.2.14", "1.3", NULL});
	check_dep("zlib > 1.2.13", "zlib", 1, "zlib > 1.2.13", (const char *const[]){"1.2.14", "1.2.13.1", NULL}, eq);
	check_dep("zlib < 1.2.13", "zlib", 1, "zlib < 1.2.13", (const char *const[]){"1.2.12", "1.2.13~rc1", NULL}, eq);
}

/* s must fail to parse, with a message that contains want */
static void
check_bad(const char *s, const char *want)
{
	struct dep d;
	char *err = NULL;

	T_EQ(dep_parse(s, &d, &err), -1);
	T_OK(err != NULL);
	if (!err)
		return;
	if (!strstr(err, want))
		printf("  dep_parse(\"%s\"): \"%s\" lacks \"%s\"\n", s, err, want);
	T_OK(strstr(err, want) != NULL);
	T_OK(d.name == NULL && d.cons == NULL);	/* released on error */
	free(err);
}

static void
test_dep_errors(void)
{
	check_bad("", "expected NAME or NAME OP VERSION");
	check_bad("Zlib", "'Zlib' is not a dependency");
	check_bad("zlib 1.2", "bad constraint in 'zlib 1.2'");
	check_bad("zlib ~ 1.2", "expected one of = != < <= > >=");
	check_bad("zlib >=", "bad version ''");
	check_bad("zlib >= x1", "bad version 'x1'");
	check_bad("zlib >= 1.2,", "bad constraint");
	check_bad("zlib >= 1.2, < 2,", "bad constraint");
	check_bad("zlib , >= 1.2", "bad constraint");
	check_bad("zlib >= 1.2 junk", "bad constraint");
}

static void
test_ops(void)
{
	struct constraint any = {OP_ANY, NULL};

	T_OK(constraint_match(&any, "0"));
	T_STREQ(version_op_str(OP_ANY), "");
	T_STREQ(version_op_str(OP_EQ), "=");
	T_STREQ(version_op_str(OP_NE), "!=");
	T_STREQ(version_op_str(OP_LT), "<");
	T_STREQ(version_op_str(OP_LE), "<=");
	T_STREQ(version_op_str(OP_GT), ">");
	T_STREQ(version_op_str(OP_GE), ">=");
}

int
main(void)
{
	test_cmp();
	test_valid();
	test_dep_parse();
	test_dep_errors();
	test_ops();
	return T_DONE();
}
