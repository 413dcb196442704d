/* SPDX-License-Identifier: MIT */
/* cmd_verify: stub, to be written */
#include "pkgtool.h"
#include "util.h"

int
cmd_verify(int argc, char **argv)
{
	return fail("not implemented yet");
}
