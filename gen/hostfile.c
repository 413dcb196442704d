/* SPDX-License-Identifier: MIT */
/* hostfile: one host per line, '#' comments, bracket ranges (SPEC §8) */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fs.h"
#include "hostfile.h"
#include "util.h"

/* one number or range of a bracket group: lo..hi printed with width digits */
struct item {
	unsigned long lo, hi;
	int width;
};

/* a piece of a pattern: literal text, then (unless last) a bracket group */
struct part {
	const char *lit;
	size_t litlen;
	struct item *items;
	size_t nitems;
};

static void
push(struct arena *a, struct hostlist *out, const char *name, int line)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 16;
		const char **v = arena_alloc(a, cap * sizeof(*v));
		int *l = arena_alloc(a, cap * sizeof(*l));

		if (out->n) {
			memcpy(v, out->v, out->n * sizeof(*v));
			memcpy(l, out->lines, out->n * sizeof(*l));
		}
		out->v = v;
		out->lines = l;
		out->cap = cap;
	}
	out->v[out->n] = name;
	out->lines[out->n] = line;
	out->n++;
}

static int
hostchar(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '@';
}

static struct mark
at(struct mark m, size_t off)
{
	m.col += (int)off;
	return m;
}

/* parse the group that starts after pat[open] == '['; its items into p;
 * the index of the closing ']', or 0 after an error */
static size_t
group(struct arena *a, struct diag *d, const char *pat, size_t open, struct mark m,
    struct part *p)
{
	size_t i = open + 1, cap = 0;

	for (;;) {
		struct item it;
		size_t s = i, e;
		char *end;

		if (!isdigit((unsigned char)pat[i])) {
			if (!pat[i])
				diag_error(d, at(m, open), "'[' without ']' in '%s'", pat);
			else
				diag_error(d, at(m, i), "expected a number in '%s', not '%c'; a "
				    "bracket holds numbers and ranges like [01-04,07]", pat, pat[i]);
			return 0;
		}
		errno = 0;
		it.lo = it.hi = strtoul(pat + i, &end, 10);
		it.width = pat[i] == '0' ? (int)(end - (pat + i)) : 1;
		i = (size_t)(end - pat);
		if (pat[i] == '-') {
			e = ++i;
			if (!isdigit((unsigned char)pat[i])) {
				diag_error(d, at(m, i), "a range in '%s' needs an end: like [1-4]", pat);
				return 0;
			}
			it.hi = strtoul(pat + i, &end, 10);
			i = (size_t)(end - pat);
			if (it.hi < it.lo) {
				diag_error(d, at(m, s), "range '%.*s' in '%s' goes backwards; write "
				    "[%.*s-%.*s]", (int)(i - s), pat + s, pat, (int)(i - e), pat + e,
				    (int)(e - 1 - s), pat + s);
				return 0;
			}
		}
		if (errno == ERANGE || it.hi - it.lo >= HOSTFILE_MAX) {
			diag_error(d, at(m, s), "range '%.*s' in '%s' is too large (at most %d hosts)",
			    (int)(i - s), pat + s, pat, HOSTFILE_MAX);
			return 0;
		}
		if (p->nitems == cap) {
			struct item *n = arena_alloc(a, (cap = cap * 2 + 4) * sizeof(*n));

			if (p->nitems)
				memcpy(n, p->items, p->nitems * sizeof(*n));
			p->items = n;
		}
		p->items[p->nitems++] = it;
		if (pat[i] == ']')
			return i;
		if (pat[i] != ',') {
			if (!pat[i])
				diag_error(d, at(m, open), "'[' without ']' in '%s'", pat);
			else
				diag_error(d, at(m, i), "unexpected '%c' in '%s'; separate numbers and "
				    "ranges with ','", pat[i], pat);
			return 0;
		}
		i++;
	}
}

/* append every name of parts[k..n) to out, each behind prefix */
static void
product(struct arena *a, const struct part *parts, size_t k, size_t n, struct buf *prefix,
    int line, struct hostlist *out)
{
	size_t len = prefix->len, j;
	unsigned long v;

	buf_putn(prefix, parts[k].lit, parts[k].litlen);
	if (k + 1 == n) {
		push(a, out, arena_strdup(a, buf_str(prefix)), line);
	} else {
		for (j = 0; j < parts[k].nitems; j++) {
			const struct item *it = &parts[k].items[j];

			for (v = it->lo; ; v++) {
				size_t l2 = prefix->len;

				buf_printf(prefix, "%0*lu", it->width, v);
				product(a, parts, k + 1, n, prefix, line, out);
				prefix->len = l2;
				prefix->s[l2] = '\0';
				if (v == it->hi)
					break;
			}
		}
	}
	prefix->len = len;
	if (prefix->s)
		prefix->s[len] = '\0';
}

int
hostfile_expand(struct arena *a, struct diag *d, const char *pat, struct mark m,
    struct hostlist *out)
{
	struct part *parts;
	struct buf b = BUF_INIT;
	size_t i, start = 0, n = 0, cap = 4, total = 1;

	if (!*pat) {
		diag_error(d, m, "an empty host name");
		return -1;
	}
	parts = arena_alloc(a, cap * sizeof(*parts));
	for (i = 0; ; i++) {
		if (pat[i] && pat[i] != '[') {
			if (!hostchar((unsigned char)pat[i])) {
				diag_error(d, at(m, i), "unexpected '%c' in host name '%s'%s", pat[i], pat,
				    pat[i] == ']' ? " (a ']' without '[')" : "");
				return -1;
			}
			continue;
		}
		if (n == cap) {
			struct part *p2 = arena_alloc(a, (cap *= 2) * sizeof(*p2));

			memcpy(p2, parts, n * sizeof(*p2));
			parts = p2;
		}
		memset(&parts[n], 0, sizeof(parts[n]));
		parts[n].lit = pat + start;
		parts[n].litlen = i - start;
		if (!pat[i]) {
			n++;
			break;
		}
		if (!(i = group(a, d, pat, i, m, &parts[n])))
			return -1;
		for (size_t j = 0, c = 0; j < parts[n].nitems; j++) {
			c += parts[n].items[j].hi - parts[n].items[j].lo + 1;
			if (j + 1 == parts[n].nitems)
				total *= c;
		}
		if (total > HOSTFILE_MAX) {
			diag_error(d, m, "'%s' expands to more than %d hosts", pat, HOSTFILE_MAX);
			return -1;
		}
		n++;
		start = i + 1;
	}
	product(a, parts, 0, n, &b, m.line, out);
	buf_release(&b);
	return 0;
}

static int
cmp_idx(const void *x, const void *y, void *arg)
{
	const struct hostlist *l = arg;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int c = strcmp(l->v[i], l->v[j]);

	return c ? c : (i < j ? -1 : i > j);
}

/* a host listed twice would start a service twice on it, sharing its pid file */
static int
check_dups(struct diag *d, const char *file, const struct hostlist *out, size_t from)
{
	size_t n = out->n - from, i, *idx;
	int bad = 0;

	if (n < 2)
		return 0;
	idx = xreallocarray(NULL, n, sizeof(*idx));
	for (i = 0; i < n; i++)
		idx[i] = from + i;
	qsort_r(idx, n, sizeof(*idx), cmp_idx, (void *)out);
	for (i = 1; i < n; i++) {
		if (strcmp(out->v[idx[i]], out->v[idx[i - 1]]))
			continue;
		struct mark m = {file, out->lines[idx[i]], 1};

		/* report each name once, at its second mention */
		if (i < 2 || strcmp(out->v[idx[i - 2]], out->v[idx[i]]))
			diag_error(d, m, "host '%s' is listed twice (first on line %d)",
			    out->v[idx[i]], out->lines[idx[i - 1]]);
		bad = 1;
	}
	free(idx);
	return bad ? -1 : 0;
}

int
hostfile_parse(struct arena *a, struct diag *d, const char *file, const char *text,
    struct hostlist *out)
{
	const char *p = text;
	size_t from = out->n, errs = d->errors;
	int line = 1;

	for (; *p; line++) {
		size_t len = strcspn(p, "\n"), s = 0, e;
		const char *hash = memchr(p, '#', len);
		size_t end = hash ? (size_t)(hash - p) : len;

		while (s < end && isspace((unsigned char)p[s]))
			s++;
		e = s;
		while (e < end && !isspace((unsigned char)p[e]))
			e++;
		if (e > s) {
			struct mark m = {file, line, (int)s + 1};
			size_t x = e;

			while (x < end && isspace((unsigned char)p[x]))
				x++;
			if (x < end) {
				struct mark mx = {file, line, (int)x + 1};
				size_t xe = x;

				while (xe < end && !isspace((unsigned char)p[xe]))
					xe++;
				diag_error(d, mx, "unexpected '%.*s' after host '%.*s': a hostfile names "
				    "one host per line (pkgtool writes MPI slots itself)", (int)(xe - x),
				    p + x, (int)(e - s), p + s);
			} else {
				hostfile_expand(a, d, arena_strndup(a, p + s, e - s), m, out);
			}
			if (out->n - from > HOSTFILE_MAX) {
				diag_error(d, m, "more than %d hosts", HOSTFILE_MAX);
				return -1;
			}
		}
		p += len + (p[len] == '\n');
	}
	if (d->errors == errs && out->n == from) {
		struct mark m = {file, 0, 0};

		diag_error(d, m, "the hostfile names no host");
	}
	check_dups(d, file, out, from);
	return d->errors == errs ? 0 : -1;
}

int
hostfile_read(struct arena *a, struct diag *d, const char *path, struct mark where,
    struct hostlist *out)
{
	struct buf b = BUF_INIT;
	int ret;

	if (fs_read(path, &b) < 0) {
		diag_error(d, where, "hostfile %s cannot be read: %s", path, strerror(errno));
		buf_release(&b);
		return -1;
	}
	if (memchr(buf_str(&b), '\0', b.len)) {
		diag_error(d, where, "hostfile %s is not a text file", path);
		buf_release(&b);
		return -1;
	}
	ret = hostfile_parse(a, d, arena_strdup(a, path), buf_str(&b), out);
	buf_release(&b);
	return ret;
}
