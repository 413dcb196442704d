/* SPDX-License-Identifier: MIT */
/* proc: stub, to be written */
#include "pkgtool.h"
