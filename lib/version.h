/* SPDX-License-Identifier: MIT */
/* version: dpkg/rpm-style version comparison and "NAME OP VERSION" constraints */
#ifndef PKGTOOL_VERSION_H
#define PKGTOOL_VERSION_H

#include <stddef.h>

enum version_op {
	OP_ANY,	/* no constraint */
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
};

struct constraint {
	enum version_op op;
	char *version;	/* owned; NULL for OP_ANY */
};

/* a dependency: a package name and zero or more constraints that must all hold */
struct dep {
	char *name;	/* owned */
	struct constraint *cons;	/* owned array */
	size_t ncons;
};

/* 1 when v is a valid version: starts with a digit, then [A-Za-z0-9.+~-] */
int version_valid(const char *v);
/* <0, 0, >0 as a is older, the same as, newer than b. Parts split at . - + ~;
 * within a part, runs of digits compare numerically and other runs as dpkg
 * orders them (rc2 < rc10, 2.6 < 2.6a); a part after '~' sorts before the
 * end of the version (1.0~rc1 < 1.0) */
int version_cmp(const char *a, const char *b);
/* 1 when version v satisfies c */
int constraint_match(const struct constraint *c, const char *v);
/* the operator as written ("=", ">=", ...; "" for OP_ANY) */
const char *version_op_str(enum version_op op);
/* 1 when s is a valid package name: [a-z0-9][a-z0-9_+.-]* */
int name_valid(const char *s);
/* parse "libfoo >= 1.2" or "libfoo >= 1.2, < 2" or "libfoo"; 0, or -1 with a
 * message in *err (new string) saying what was expected */
int dep_parse(const char *s, struct dep *d, char **err);
/* 1 when v satisfies every constraint of d */
int dep_match(const struct dep *d, const char *v);
/* returns a new string: the constraints as written ("libfoo >= 1.2, < 2") */
char *dep_str(const struct dep *d);
void dep_release(struct dep *d);

#endif
