/* SPDX-License-Identifier: MIT */
/* greet: the demo library */
#include <stdio.h>

#include "greet.h"

const char *
greet(const char *who)
{
	static char msg[256];

	snprintf(msg, sizeof(msg), "Hello, %s!", who);
	return msg;
}
