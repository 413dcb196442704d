/* SPDX-License-Identifier: MIT */
/* hello: the demo program; prints a greeting from libgreet */
#include <stdio.h>

#include <greet.h>

int
main(int argc, char **argv)
{
	puts(greet(argc > 1 ? argv[1] : "world"));
	printf("(built by pkgtool against libgreet %s)\n", GREET_VERSION);
	return ferror(stdout) ? 1 : 0;
}
