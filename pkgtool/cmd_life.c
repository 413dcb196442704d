/* SPDX-License-Identifier: MIT */
/* cmd_life: stub, to be written */
#include "pkgtool.h"
#include "util.h"

int
cmd_configure(int argc, char **argv)
{
	return fail("not implemented yet");
}
