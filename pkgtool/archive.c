/* SPDX-License-Identifier: MIT */
/* archive: stub, to be written */
#include "pkgtool.h"
