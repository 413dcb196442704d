/* SPDX-License-Identifier: MIT */
/* diag: collected FILE:LINE:COL errors, printed together at the end (SPEC §2) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "util.h"

/* append a message, taking text */
static void
put(struct diag *d, struct mark m, int warning, char *text)
{
	struct diag_msg *msg;
	size_t i;

	/* one mistake checked from several places (two entries of one package,
	 * every point of a sweep) is said once */
	for (i = 0; i < d->len; i++) {
		const struct diag_msg *o = &d->msgs[i];

		if (o->warning == warning && o->mark.line == m.line && o->mark.col == m.col &&
		    (o->mark.file == m.file || (o->mark.file && m.file && !strcmp(o->mark.file, m.file))) &&
		    !strcmp(o->text, text)) {
			free(text);
			return;
		}
	}

	if (d->len == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->msgs = xreallocarray(d->msgs, d->cap, sizeof(*d->msgs));
	}
	msg = &d->msgs[d->len++];
	msg->mark = m;
	msg->warning = warning;
	msg->text = text;
	if (warning)
		d->warnings++;
	else
		d->errors++;
}

static void
add(struct diag *d, struct mark m, int warning, const char *fmt, va_list ap)
{
	char *text;

	if (vasprintf(&text, fmt, ap) < 0)
		fatal("out of memory");
	put(d, m, warning, text);
}

void
diag_move(struct diag *dst, struct diag *src)
{
	size_t i;

	for (i = 0; i < src->len; i++)
		put(dst, src->msgs[i].mark, src->msgs[i].warning, src->msgs[i].text);
	free(src->msgs);
	memset(src, 0, sizeof(*src));
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

/* messages of one file stay together, in the order files were first named,
 * and within a file they follow the text; the sort is stable */
static const struct diag *sorting;

static size_t
file_rank(const char *file)
{
	size_t i;

	for (i = 0; i < sorting->len; i++) {
		const char *f = sorting->msgs[i].mark.file;

		if (f == file || (f && file && !strcmp(f, file)))
			return i;
	}
	return 0;
}

static int
cmpmsg(const void *pa, const void *pb)
{
	const struct diag_msg *a = &sorting->msgs[*(const size_t *)pa];
	const struct diag_msg *b = &sorting->msgs[*(const size_t *)pb];
	size_t fa = file_rank(a->mark.file), fb = file_rank(b->mark.file);

	if (fa != fb)
		return fa < fb ? -1 : 1;
	if (a->mark.line != b->mark.line)
		return a->mark.line < b->mark.line ? -1 : 1;
	if (a->mark.col != b->mark.col)
		return a->mark.col < b->mark.col ? -1 : 1;
	return *(const size_t *)pa < *(const size_t *)pb ? -1 : 1;
}

void
diag_print(const struct diag *d)
{
	size_t i, *idx = xcalloc(d->len, sizeof(*idx));

	for (i = 0; i < d->len; i++)
		idx[i] = i;
	sorting = d;
	qsort(idx, d->len, sizeof(*idx), cmpmsg);
	for (i = 0; i < d->len; i++) {
		const struct diag_msg *m = &d->msgs[idx[i]];
		const char *kind = m->warning ? "warning" : "error";

		if (m->mark.file && m->mark.line)
			fprintf(stderr, "%s:%d:%d: %s: %s\n", m->mark.file, m->mark.line,
			    m->mark.col, kind, m->text);
		else if (m->mark.file)
			fprintf(stderr, "%s: %s: %s\n", m->mark.file, kind, m->text);
		else
			fprintf(stderr, "%s: %s: %s\n", util_prefix(), kind, m->text);
	}
	free(idx);
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
