/* SPDX-License-Identifier: MIT */
/* hostfile: hostfiles (SPEC §8), read by pkggen for run manifests and by
 * `pkgtool hosts check`; needs only lib/ (arena, diag) */
#ifndef PKGTOOL_HOSTFILE_H
#define PKGTOOL_HOSTFILE_H

#include <stddef.h>

#include "arena.h"
#include "diag.h"

/* the most hosts one hostfile may expand to */
#define HOSTFILE_MAX 65536

struct hostlist {
	const char **v;	/* host names, arena strings, in file order */
	int *lines;	/* the line each came from (0: not from a file) */
	size_t n, cap;
};

/* expand one host pattern: a name with bracket groups of numbers and ranges,
 * node[01-04,07] (zero-padded to the width of a range's start when it has a
 * leading zero), several groups multiply (r[1-2]n[1-2]). m is the pattern's
 * first character, so errors point into it. Appends to out; 0, or -1 with
 * an error in d */
int hostfile_expand(struct arena *a, struct diag *d, const char *pat, struct mark m,
    struct hostlist *out);
/* parse a hostfile's text: one host pattern per line, '#' to the end of a
 * line is a comment, blank lines are skipped; a host listed twice and a file
 * naming no host are errors. file names it in errors. 0, or -1 with errors */
int hostfile_parse(struct arena *a, struct diag *d, const char *file, const char *text,
    struct hostlist *out);
/* read and parse the hostfile at path; one that cannot be read is an error
 * at `at` (where the pipeline names it). 0, or -1 with errors */
int hostfile_read(struct arena *a, struct diag *d, const char *path, struct mark at,
    struct hostlist *out);

#endif
