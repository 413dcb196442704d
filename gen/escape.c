/* SPDX-License-Identifier: MIT */
/* escape: quoting for Ninja paths and Ninja values (sh words: buf_shquote) */
#include <string.h>

#include "gen.h"

void
ninja_escape_path(struct buf *b, const char *path)
{
	size_t n;

	for (;;) {
		n = strcspn(path, "$ :");
		buf_putn(b, path, n);
		path += n;
		if (!*path)
			return;
		buf_putc(b, '$');
		buf_putc(b, *path++);
	}
}

void
ninja_escape_value(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '$')
			buf_putc(b, '$');
		if (*s == '\n')
			buf_puts(b, "$\n");
		else
			buf_putc(b, *s);
	}
}

