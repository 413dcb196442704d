/* SPDX-License-Identifier: MIT */
/* escape: quoting for Ninja paths, Ninja values and /bin/sh words */
#include <string.h>

#include "gen.h"

void
ninja_escape_path(struct buf *b, const char *path)
{
	for (; *path; path++) {
		if (*path == '$' || *path == ' ' || *path == ':')
			buf_putc(b, '$');
		buf_putc(b, *path);
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

void
shell_quote(struct buf *b, const char *s)
{
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-+./=:,@%") == strlen(s)) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}
