/* SPDX-License-Identifier: MIT */
/* vars: {{name}} substitution in lifecycle snippets, env values and templates (SPEC §3) */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "gen.h"
#include "util.h"

/* if s starts a {{name}}, the name's bounds and the length of the whole
 * reference; shell text like ${x} or {{ not a name }} is left alone */
static int
ref(const char *s, const char **name, size_t *nlen, size_t *total)
{
	const char *p = s + 2, *start;

	if (s[0] != '{' || s[1] != '{')
		return 0;
	while (*p == ' ')
		p++;
	if (!isalpha((unsigned char)*p) && *p != '_')
		return 0;
	start = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	*name = start;
	*nlen = (size_t)(p - start);
	while (*p == ' ')
		p++;
	if (p[0] != '}' || p[1] != '}')
		return 0;
	*total = (size_t)(p + 2 - s);
	return 1;
}

static void
undefined(struct gen *g, const struct map *vars, const char *name, struct mark m, const char *what)
{
	const char **keys = xcalloc(vars->len + 1, sizeof(*keys));
	size_t i, n = 0;
	const char *s;

	for (i = 0; i < vars->cap; i++)
		if (vars->keys[i])
			keys[n++] = vars->keys[i];
	s = suggest(name, keys, n);
	if (s)
		diag_error(&g->d, m, "undefined {{%s}} in %s; did you mean '%s'?", name, what, s);
	else
		diag_error(&g->d, m, "undefined {{%s}} in %s; known names are the package's "
		    "parameters, config_dir, shared_dir, private_dir, prefix, pkg_id, global_id", name,
		    what);
	free(keys);
}

/* the place of a reference inside a YAML value: the value's own line for a
 * one-line scalar, the following lines for a | or > block; the column is
 * found by looking for the reference in that line of the file */
static struct mark
ref_mark(struct gen *g, struct mark m, int block, const char *text, const char *at,
    const char *name, size_t nlen)
{
	struct buf b = BUF_INIT;
	const char *p, *line;
	int want = m.line, i;

	if (!m.file || !m.line)
		return m;
	for (p = text; p < at; p++)
		if (*p == '\n')
			want++;
	if (block)
		want++;
	if (fs_read(m.file, &b) < 0)
		return m;
	line = buf_str(&b);
	for (i = 1; i < want && line; i++) {
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (line) {
		size_t len = strcspn(line, "\n");
		const char *q = line;

		/* the first {{ NAME in that line (after the value's start on its first line) */
		if (want == m.line && (size_t)m.col <= len)
			q = line + m.col - 1;
		for (; q < line + len; q++) {
			const char *r = q + 2;

			if (q[0] != '{' || q[1] != '{')
				continue;
			while (*r == ' ')
				r++;
			if (!strncmp(r, name, nlen)) {
				m.line = want;
				m.col = (int)(q - line) + 1;
				break;
			}
		}
	}
	buf_release(&b);
	(void)g;
	return m;
}

const char *
vars_render_at(struct gen *g, const struct map *vars, const char *text, struct mark m,
    int block, const char *what)
{
	struct buf b = BUF_INIT;
	const char *p, *name, *r;
	size_t nlen, total;
	int bad = 0;

	for (p = text; *p; ) {
		if (ref(p, &name, &nlen, &total)) {
			char *key = xstrndup(name, nlen);
			const char *val = map_get(vars, key);

			if (val) {
				buf_puts(&b, val);
			} else {
				undefined(g, vars, key, ref_mark(g, m, block, text, p, name, nlen), what);
				bad = 1;
			}
			free(key);
			p += total;
		} else {
			buf_putc(&b, *p++);
		}
	}
	r = bad ? NULL : arena_strdup(&g->a, buf_str(&b));
	buf_release(&b);
	return r;
}

int
vars_check_file(struct gen *g, const struct map *vars, const char *path, const char *what)
{
	struct buf b = BUF_INIT;
	const char *p, *name, *line;
	size_t nlen, total;
	int lineno = 1, ret = 0;

	if (fs_read(path, &b) < 0) {
		struct mark m = {path, 0, 0};
		diag_error(&g->d, m, "cannot read template");
		return -1;
	}
	for (p = line = buf_str(&b); *p; p++) {
		if (*p == '\n') {
			lineno++;
			line = p + 1;
			continue;
		}
		if (ref(p, &name, &nlen, &total)) {
			char *key = xstrndup(name, nlen);

			if (!map_get(vars, key)) {
				struct mark m = {arena_strdup(&g->a, path), lineno, (int)(p - line) + 1};

				undefined(g, vars, key, m, what);
				ret = -1;
			}
			free(key);
			p += total - 1;
		}
	}
	buf_release(&b);
	return ret;
}

const char *
vars_render(struct gen *g, const struct map *vars, const char *text, struct mark m,
    const char *what)
{
	return vars_render_at(g, vars, text, m, 0, what);
}
