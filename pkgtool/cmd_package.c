/* SPDX-License-Identifier: MIT */
/* cmd_package: stub, to be written */
#include "pkgtool.h"
#include "util.h"

int
cmd_package(int argc, char **argv)
{
	return fail("not implemented yet");
}
