/* SPDX-License-Identifier: MIT */
/* cmd_build: stub, to be written */
#include "pkgtool.h"
#include "util.h"

int
cmd_build(int argc, char **argv)
{
	return fail("not implemented yet");
}
