/* SPDX-License-Identifier: MIT */
/* greet: the demo library */
#ifndef GREET_H
#define GREET_H

#define GREET_VERSION "1.0"

/* returns a static string "Hello, WHO!" (WHO truncated to fit) */
const char *greet(const char *who);

#endif
