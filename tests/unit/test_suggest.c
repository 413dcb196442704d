/* SPDX-License-Identifier: MIT */
/* test_suggest: edit distance and "did you mean" (gen/suggest.c) */
#include "gen.h"
#include "test.h"

int
main(void)
{
	static const char *const keys[] = {"name", "version", "kind", "build", "sources", "depends"};

	T_EQ(edit_distance("", ""), 0);
	T_EQ(edit_distance("abc", "abc"), 0);
	T_EQ(edit_distance("kitten", "sitting"), 3);
	T_EQ(edit_distance("buidl", "build"), 1);	/* a swap counts once */
	T_EQ(edit_distance("", "abc"), 3);
	T_STREQ(suggest("buidl", keys, 6), "build");
	T_STREQ(suggest("verison", keys, 6), "version");
	T_STREQ(suggest("depend", keys, 6), "depends");
	T_STREQ(suggest("kidn", keys, 6), "kind");
	T_STREQ(suggest("zzzzzz", keys, 6), NULL);
	T_STREQ(suggest("name", keys, 6), NULL);	/* an exact match is no suggestion */
	return T_DONE();
}
