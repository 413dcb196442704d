/* SPDX-License-Identifier: MIT */
/* cmd_fetch: stub, to be written */
#include "pkgtool.h"
#include "util.h"

int
cmd_fetch(int argc, char **argv)
{
	return fail("not implemented yet");
}
