/* SPDX-License-Identifier: MIT */
/* store: stub, to be written */
#include "pkgtool.h"
