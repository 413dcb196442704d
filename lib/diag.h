/* SPDX-License-Identifier: MIT */
/* diag: collected FILE:LINE:COL errors, printed together at the end (SPEC §2) */
#ifndef PKGTOOL_DIAG_H
#define PKGTOOL_DIAG_H

#include <stddef.h>

/* a place in an input file; line and col are 1-based (0 = unknown) */
struct mark {
	const char *file;	/* borrowed; must outlive the diag */
	int line, col;
};

struct diag_msg {
	struct mark mark;
	int warning;
	char *text;
};

struct diag {
	struct diag_msg *msgs;
	size_t len, cap;
	size_t errors, warnings;
};

#define DIAG_INIT {NULL, 0, 0, 0, 0}

/* record an error at m ("FILE:LINE:COL: error: text") */
void diag_error(struct diag *d, struct mark m, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* record a warning at m */
void diag_warning(struct diag *d, struct mark m, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* print every message in the order recorded, to stderr */
void diag_print(const struct diag *d);
/* append src's messages to dst, as if they had been recorded there; src is left empty */
void diag_move(struct diag *dst, struct diag *src);
void diag_release(struct diag *d);

#endif
