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

/*
 * p, an absolute path, as build.ninja names it: Ninja runs in the build
 * directory d. A path under d is written as it is under d. Any other (a
 * repository's recipes, sources and directories, a store elsewhere) is
 * written as ../REST, the way Meson names its source tree, when that is
 * shorter than p. Ninja then reads and canonicalizes fewer bytes, and the
 * kernel walks fewer components at each stat, on every run: at 10,000
 * packages the regeneration watches 30,000 paths, each written twice.
 * (Variables such as ${repo0}/REST were tried: Ninja takes longer to expand
 * one than to read the bytes it stands for.) d and the repositories are real
 * paths (fs_abspath resolves the symbolic links in what exists), so each
 * ".." climbs where it says.
 */
void
ninja_relpath(struct buf *b, const char *d, const char *p)
{
	size_t i, common = 0, ups = 0, rest, rel;

	/* common: the last '/' of the longest common run of whole components */
	for (i = 0; d[i] && d[i] == p[i]; i++)
		if (d[i] == '/')
			common = i;
	if (!d[i] && (p[i] == '/' || !p[i])) {
		if (!p[i])
			buf_putc(b, '.');
		else
			ninja_escape_path(b, p + i + 1);
		return;
	}
	if (!p[i] && d[i] == '/')
		common = i;	/* p is a parent of d */
	/* d's components below the common part: one ".." each */
	for (i = common; d[i]; i++)
		if (d[i] == '/')
			ups++;
	rest = p[common] ? strlen(p + common + 1) : 0;
	rel = rest ? 3 * ups + rest : 3 * ups - 1;
	if (!ups || d[1] == '\0' || rel >= strlen(p)) {
		ninja_escape_path(b, p);
		return;
	}
	for (i = 0; i < ups; i++)
		buf_puts(b, i + 1 < ups || rest ? "../" : "..");
	if (rest)
		ninja_escape_path(b, p + common + 1);
}
