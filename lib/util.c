/* SPDX-License-Identifier: MIT */
/* util: error reporting tiers and allocators that die on OOM */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *prefix = "pkgtool";

void
util_set_prefix(const char *p)
{
	prefix = p;
}

const char *
util_prefix(void)
{
	return prefix;
}

static void
vreport(const char *kind, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);

	fflush(stdout);
	/* one line, whole, whichever thread says it */
	flockfile(stderr);
	fprintf(stderr, "%s: %s", prefix, kind);
	vfprintf(stderr, fmt, ap);
	if (n && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
	funlockfile(stderr);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	exit(1);
}

int
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	return -1;
}

void
warnf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

void
notef(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fatal("out of memory");
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		fatal("out of memory");
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		fatal("out of memory");
	p = realloc(p, n && size ? n * size : 1);
	if (!p)
		fatal("out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		fatal("out of memory");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		fatal("out of memory");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		fatal("out of memory");
	va_end(ap);
	return s;
}

void
xappend(void ***arr, size_t *len, size_t *cap, void *item)
{
	if (*len == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*arr = xreallocarray(*arr, *cap, sizeof(**arr));
	}
	(*arr)[(*len)++] = item;
}

int
startswith(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

int
endswith(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

void
check_stdout(void)
{
	if (fflush(stdout) || ferror(stdout))
		fatal("write error on stdout:");
}

char *
cat_into(char *buf, size_t cap, const char *const *parts)
{
	size_t total = 0, n, i;
	char *d;

	for (i = 0; parts[i]; i++)
		total += strlen(parts[i]);
	d = total < cap ? buf : xmalloc(total + 1);
	for (i = 0, total = 0; parts[i]; i++) {
		n = strlen(parts[i]);
		memcpy(d + total, parts[i], n);
		total += n;
	}
	d[total] = '\0';
	return d;
}

char *
put_udec(char *d, unsigned long long v, int width)
{
	char tmp[20], *t = tmp + sizeof(tmp);	/* 2^64 has 20 digits */
	size_t n;

	/* the digits backwards, then forwards: what the %llu of a path
	 * record costs vsnprintf's whole machinery */
	do {
		*--t = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	n = (size_t)(tmp + sizeof(tmp) - t);
	for (; width > (int)n; width--)
		*d++ = '0';
	memcpy(d, t, n);
	return d + n;
}

char *
put_dec(char *d, long long v, int width)
{
	if (v >= 0)
		return put_udec(d, (unsigned long long)v, width);
	*d++ = '-';
	/* printf's width counts the sign */
	return put_udec(d, 0ULL - (unsigned long long)v, width - 1);
}

uint64_t
str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

int
str_in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}
