/* SPDX-License-Identifier: MIT */
/* test_ninja_escape: Ninja path/value escaping (gen/escape.c), sh words (lib/buf.c) */
#include <stdlib.h>

#include "gen.h"
#include "test.h"

static char *
path(const char *s)
{
	struct buf b = BUF_INIT;

	ninja_escape_path(&b, s);
	return buf_detach(&b);
}

static char *
value(const char *s)
{
	struct buf b = BUF_INIT;

	ninja_escape_value(&b, s);
	return buf_detach(&b);
}

static char *
sh(const char *s)
{
	struct buf b = BUF_INIT;

	buf_shquote(&b, s);
	return buf_detach(&b);
}

static const char *rel_dir;

static char *
rel(const char *p)
{
	struct buf b = BUF_INIT;

	ninja_relpath(&b, rel_dir, p);
	return buf_detach(&b);
}

#define CHECK(fn, in, want) do { char *t_s = fn(in); T_STREQ(t_s, want); free(t_s); } while (0)

int
main(void)
{
	/* the three characters Ninja's path lexer stops at */
	CHECK(path, "/a/b.tar.zst", "/a/b.tar.zst");
	CHECK(path, "/my dir/x", "/my$ dir/x");
	CHECK(path, "c:/x", "c$:/x");
	CHECK(path, "$HOME/x", "$$HOME/x");
	CHECK(path, "", "");
	/* values: only $ (and newlines continue) */
	CHECK(value, "a b:c", "a b:c");
	CHECK(value, "cost $5", "cost $$5");
	/* shell words */
	CHECK(sh, "/usr/bin/pkgtool", "/usr/bin/pkgtool");
	CHECK(sh, "a b", "'a b'");
	CHECK(sh, "it's", "'it'\\''s'");
	CHECK(sh, "", "''");
	CHECK(sh, "$x", "'$x'");
	/* paths relative to the build directory, when that is shorter */
	rel_dir = "/tmp/bench/build";
	CHECK(rel, "/tmp/bench/build/store/pkgs/a.tar.zst", "store/pkgs/a.tar.zst");
	CHECK(rel, "/tmp/bench/build", ".");
	CHECK(rel, "/tmp/bench/repo/p1/package.yaml", "../repo/p1/package.yaml");
	CHECK(rel, "/tmp/bench/repo", "../repo");
	CHECK(rel, "/tmp/bench/build2/x", "../build2/x");	/* a prefix, not a parent */
	CHECK(rel, "/tmp/bench", "..");
	CHECK(rel, "/tmp/b", "/tmp/b");	/* ../../b is longer */
	CHECK(rel, "/work/repos/builtin", "/work/repos/builtin");	/* ../../../work/... */
	CHECK(rel, "/tmp", "/tmp");	/* ../.. is longer */
	CHECK(rel, "/", "/");
	CHECK(rel, "/tmp/bench/my repo/x", "../my$ repo/x");
	rel_dir = "/home/someone/b/c";
	CHECK(rel, "/home/someone/repo/x", "../../repo/x");
	rel_dir = "/b";
	CHECK(rel, "/b/x", "x");
	CHECK(rel, "/a/x", "/a/x");	/* ../a/x is longer */
	rel_dir = "/";
	CHECK(rel, "/a/x", "/a/x");
	CHECK(rel, "/", ".");
	return T_DONE();
}
