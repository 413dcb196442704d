/* SPDX-License-Identifier: MIT */
/* test_hostfile: hostfile parsing and bracket ranges (gen/hostfile.c) */
#include <stdlib.h>

#include "hostfile.h"
#include "test.h"

static struct arena a = ARENA_INIT;

/* the hosts of text joined with spaces, or "ERR file:line:col: text" of the first error */
static const char *
parse(const char *text)
{
	struct diag d = DIAG_INIT;
	struct hostlist l = {0};
	static char out[4096];
	size_t i, n = 0;

	out[0] = '\0';
	if (hostfile_parse(&a, &d, "h", text, &l) < 0) {
		snprintf(out, sizeof(out), "ERR %d:%d: %s", d.msgs[0].mark.line, d.msgs[0].mark.col,
		    d.msgs[0].text);
	} else {
		for (i = 0; i < l.n && n < sizeof(out) - 1; i++)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? " " : "", l.v[i]);
	}
	diag_release(&d);
	return out;
}

int
main(void)
{
	struct diag d = DIAG_INIT;
	struct hostlist l = {0};
	struct mark m = {"x", 3, 7};

	T_STREQ(parse("a\nb\n"), "a b");
	T_STREQ(parse("# cluster\n\n  a   # first\n\tb\n"), "a b");
	T_STREQ(parse("c"), "c");	/* no final newline */
	T_STREQ(parse("node[01-04,07]\n"), "node01 node02 node03 node04 node07");
	T_STREQ(parse("n[8-11]"), "n8 n9 n10 n11");
	T_STREQ(parse("n[08-11]"), "n08 n09 n10 n11");
	T_STREQ(parse("n[1,3,5]x"), "n1x n3x n5x");
	T_STREQ(parse("r[1-2]n[1-2]"), "r1n1 r1n2 r2n1 r2n2");
	T_STREQ(parse("n[007]"), "n007");
	T_STREQ(parse("10.200.0.[1-3]"), "10.200.0.1 10.200.0.2 10.200.0.3");
	T_STREQ(parse("root@h1"), "root@h1");

	/* errors name the line and the column of the mistake */
	T_STREQ(parse("a\nnode[4-1]\n"), "ERR 2:6: range '4-1' in 'node[4-1]' goes backwards; "
	    "write [1-4]");
	T_STREQ(parse("node[1-4"), "ERR 1:5: '[' without ']' in 'node[1-4'");
	T_STREQ(parse("node[1-4,]"), "ERR 1:10: expected a number in 'node[1-4,]', not ']'; a "
	    "bracket holds numbers and ranges like [01-04,07]");
	T_STREQ(parse("node[1-]"), "ERR 1:8: a range in 'node[1-]' needs an end: like [1-4]");
	T_STREQ(parse("node[1;2]"), "ERR 1:7: unexpected ';' in 'node[1;2]'; separate numbers "
	    "and ranges with ','");
	T_STREQ(parse("no/de"), "ERR 1:3: unexpected '/' in host name 'no/de'");
	T_STREQ(parse("  a slots=4\n"), "ERR 1:5: unexpected 'slots=4' after host 'a': a hostfile "
	    "names one host per line (pkgtool writes MPI slots itself)");
	T_STREQ(parse("a\nb\nn[1-2]\n# n1 again\nn1\n"), "ERR 5:1: host 'n1' is listed twice "
	    "(first on line 3)");
	T_STREQ(parse("# nothing\n\n"), "ERR 0:0: the hostfile names no host");
	T_STREQ(parse("n[0-99999]"), "ERR 1:3: range '0-99999' in 'n[0-99999]' is too large "
	    "(at most 65536 hosts)");
	T_STREQ(parse("n[0-999]m[0-999]"), "ERR 1:1: 'n[0-999]m[0-999]' expands to more than "
	    "65536 hosts");

	/* a pattern on its own, with its column offset */
	T_EQ(hostfile_expand(&a, &d, "x[3-2]", m, &l), -1);
	T_EQ(d.msgs[0].mark.col, 9);
	T_EQ(l.n, 0);
	diag_release(&d);
	T_EQ(hostfile_expand(&a, &d, "x[2-3]", m, &l), 0);
	T_EQ(l.n, 2);
	T_EQ(l.lines[1], 3);

	/* a file that is not there is an error where the pipeline names it */
	T_EQ(hostfile_read(&a, &d, "/nonexistent/hosts.txt", m, &l), -1);
	T_EQ(d.errors, 1);
	T_EQ(d.msgs[0].mark.line, 3);
	diag_release(&d);
	arena_free(&a);
	return T_DONE();
}
