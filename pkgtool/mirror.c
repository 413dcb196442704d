/* SPDX-License-Identifier: MIT */
/* mirror: stub, to be written */
#include "pkgtool.h"
