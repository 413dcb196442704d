/* SPDX-License-Identifier: MIT */
/* diag: collected FILE:LINE:COL errors, printed together at the end (SPEC §2) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "util.h"

static void
add(struct diag *d, struct mark m, int warning, const char *fmt, va_list ap)
{
	struct diag_msg *msg;

	if (d->len == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->msgs = xreallocarray(d->msgs, d->cap, sizeof(*d->msgs));
	}
	msg = &d->msgs[d->len++];
	msg->mark = m;
	msg->warning = warning;
	if (vasprintf(&msg->text, fmt, ap) < 0)
		fatal("out of memory");
	if (warning)
		d->warnings++;
	else
		d->errors++;
}

void
diag_error(struct diag *d, struct mark m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add(d, m, 0, fmt, ap);
	va_end(ap);
}

void
diag_warning(struct diag *d, struct mark m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add(d, m, 1, fmt, ap);
	va_end(ap);
}

void
diag_print(const struct diag *d)
{
	size_t i;

	for (i = 0; i < d->len; i++) {
		const struct diag_msg *m = &d->msgs[i];
		const char *kind = m->warning ? "warning" : "error";

		if (m->mark.file && m->mark.line)
			fprintf(stderr, "%s:%d:%d: %s: %s\n", m->mark.file, m->mark.line,
			    m->mark.col, kind, m->text);
		else if (m->mark.file)
			fprintf(stderr, "%s: %s: %s\n", m->mark.file, kind, m->text);
		else
			fprintf(stderr, "%s: %s: %s\n", util_prefix(), kind, m->text);
	}
}

void
diag_release(struct diag *d)
{
	size_t i;

	for (i = 0; i < d->len; i++)
		free(d->msgs[i].text);
	free(d->msgs);
	d->msgs = NULL;
	d->len = d->cap = d->errors = d->warnings = 0;
}
