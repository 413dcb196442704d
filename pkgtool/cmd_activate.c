/* SPDX-License-Identifier: MIT */
/* cmd_activate: stub, to be written */
#include "pkgtool.h"
#include "util.h"

int
cmd_activate(int argc, char **argv)
{
	return fail("not implemented yet");
}
