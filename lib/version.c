/* SPDX-License-Identifier: MIT */
/* version: dpkg/rpm-style version comparison and "NAME OP VERSION" constraints */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"
#include "version.h"

static int
issep(int c)
{
	return c == '.' || c == '-' || c == '+' || c == '~';
}

int
version_valid(const char *v)
{
	if (!isdigit((unsigned char)*v))
		return 0;
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && !issep(*v))
			return 0;
	return 1;
}

int
name_valid(const char *s)
{
	if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
		return 0;
	for (s++; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    !strchr("_+.-", *s))
			return 0;
	return 1;
}

/* dpkg's order of a character in a non-digit run: the end and digits first,
 * then letters, then anything else */
static int
order(int c)
{
	if (!c || isdigit(c))
		return 0;
	if (isalpha(c))
		return c;
	return c + 256;
}

/* compare one part (up to a separator) as dpkg does: alternating runs of
 * non-digits (by order()) and digits (numerically), so rc2 < rc10 and
 * 1 < 1w < 1x */
static int
partcmp(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = 0, j = 0;

	while (i < na || j < nb) {
		int diff = 0;

		while ((i < na && !isdigit((unsigned char)a[i])) ||
		    (j < nb && !isdigit((unsigned char)b[j]))) {
			int ac = i < na ? order((unsigned char)a[i]) : 0;
			int bc = j < nb ? order((unsigned char)b[j]) : 0;

			if (ac != bc)
				return ac < bc ? -1 : 1;
			i += i < na;
			j += j < nb;
		}
		while (i < na && a[i] == '0')
			i++;
		while (j < nb && b[j] == '0')
			j++;
		while (i < na && isdigit((unsigned char)a[i]) && j < nb && isdigit((unsigned char)b[j])) {
			if (!diff)
				diff = a[i] - b[j];
			i++;
			j++;
		}
		if (i < na && isdigit((unsigned char)a[i]))
			return 1;
		if (j < nb && isdigit((unsigned char)b[j]))
			return -1;
		if (diff)
			return diff < 0 ? -1 : 1;
	}
	return 0;
}

int
version_cmp(const char *a, const char *b)
{
	for (;;) {
		/* a '~' part sorts before anything, even the end */
		int at = *a == '~', bt = *b == '~';

		if (at != bt)
			return at ? -1 : 1;
		if (at) {
			/* both '~': compare what follows, which may start with '~' again */
			a++;
			b++;
			continue;
		}
		if (issep(*a))
			a++;
		if (issep(*b))
			b++;
		if (!*a || !*b) {
			if (!*a && !*b)
				return 0;
			return *a ? 1 : -1;
		}
		size_t na = strcspn(a, ".-+~"), nb = strcspn(b, ".-+~");
		int c = partcmp(a, na, b, nb);
		if (c)
			return c;
		a += na;
		b += nb;
	}
}

int
constraint_match(const struct constraint *c, const char *v)
{
	int r;

	if (c->op == OP_ANY)
		return 1;
	r = version_cmp(v, c->version);
	switch (c->op) {
	case OP_EQ: return r == 0;
	case OP_NE: return r != 0;
	case OP_LT: return r < 0;
	case OP_LE: return r <= 0;
	case OP_GT: return r > 0;
	case OP_GE: return r >= 0;
	case OP_ANY: break;
	}
	return 1;
}

const char *
version_op_str(enum version_op op)
{
	static const char *s[] = {"", "=", "!=", "<", "<=", ">", ">="};

	return s[op];
}

static const char *
skipspace(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int
dep_parse(const char *s, struct dep *d, char **err)
{
	const char *p = skipspace(s), *start;
	size_t cap = 0;

	memset(d, 0, sizeof(*d));
	start = p;
	while (*p && !isspace((unsigned char)*p) && !strchr("=!<>,", *p))
		p++;
	d->name = xstrndup(start, (size_t)(p - start));
	if (!*d->name || !name_valid(d->name)) {
		*err = xasprintf("'%s' is not a dependency; expected NAME or NAME OP VERSION "
		    "(NAME like [a-z0-9][a-z0-9_+.-]*, OP one of = != < <= > >=)", s);
		goto bad;
	}
	for (;;) {
		struct constraint c = {OP_ANY, NULL};

		p = skipspace(p);
		if (!*p)
			break;
		if (d->ncons && *p == ',')
			p = skipspace(p + 1);
		if (p[0] == '>' && p[1] == '=')
			c.op = OP_GE, p += 2;
		else if (p[0] == '<' && p[1] == '=')
			c.op = OP_LE, p += 2;
		else if (p[0] == '!' && p[1] == '=')
			c.op = OP_NE, p += 2;
		else if (p[0] == '=' && p[1] == '=')
			c.op = OP_EQ, p += 2;
		else if (p[0] == '=')
			c.op = OP_EQ, p += 1;
		else if (p[0] == '<')
			c.op = OP_LT, p += 1;
		else if (p[0] == '>')
			c.op = OP_GT, p += 1;
		else {
			*err = xasprintf("bad constraint in '%s' at '%s'; expected one of "
			    "= != < <= > >= followed by a version", s, p);
			goto bad;
		}
		p = skipspace(p);
		if (strchr("=!<>", *p) && *p) {
			*err = xasprintf("bad constraint in '%s' at '%s'; expected one of "
			    "= != < <= > >= followed by a version", s, skipspace(p - 1));
			goto bad;
		}
		start = p;
		while (*p && !isspace((unsigned char)*p) && *p != ',')
			p++;
		c.version = xstrndup(start, (size_t)(p - start));
		if (!version_valid(c.version)) {
			*err = xasprintf("bad version '%s' in '%s'; a version starts with a "
			    "digit and holds only letters, digits and . - + ~", c.version, s);
			free(c.version);
			goto bad;
		}
		if (d->ncons == cap) {
			cap = cap ? cap * 2 : 2;
			d->cons = xreallocarray(d->cons, cap, sizeof(*d->cons));
		}
		d->cons[d->ncons++] = c;
	}
	return 0;
bad:
	dep_release(d);
	return -1;
}

int
dep_match(const struct dep *d, const char *v)
{
	size_t i;

	for (i = 0; i < d->ncons; i++)
		if (!constraint_match(&d->cons[i], v))
			return 0;
	return 1;
}

char *
dep_str(const struct dep *d)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_puts(&b, d->name);
	for (i = 0; i < d->ncons; i++)
		buf_printf(&b, "%s %s %s", i ? "," : "", version_op_str(d->cons[i].op),
		    d->cons[i].version);
	return buf_detach(&b);
}

void
dep_release(struct dep *d)
{
	size_t i;

	free(d->name);
	for (i = 0; i < d->ncons; i++)
		free(d->cons[i].version);
	free(d->cons);
	memset(d, 0, sizeof(*d));
}
