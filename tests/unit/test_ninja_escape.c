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
	return T_DONE();
}
