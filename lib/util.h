/* SPDX-License-Identifier: MIT */
/* util: error reporting tiers and allocators that die on OOM */
#ifndef PKGTOOL_UTIL_H
#define PKGTOOL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* set the "prog: sub" prefix used by fatal/fail/warnf; borrowed string */
void util_set_prefix(const char *prefix);
/* borrowed: the current prefix */
const char *util_prefix(void);

/* print "prefix: msg" (a trailing ':' appends strerror) and exit 1 */
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* print like fatal, then return -1, so callers can write `return fail(...)` */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* print "prefix: warning: msg" and go on */
void warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* print "prefix: msg" to stderr (informational, no "warning:") */
void notef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* returns a new string; dies on OOM */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* append item to a growable array of pointers; *len and *cap are updated */
void xappend(void ***arr, size_t *len, size_t *cap, void *item);

/* 1 if s starts with prefix / ends with suffix */
int startswith(const char *s, const char *prefix);
int endswith(const char *s, const char *suffix);

/* the strings of parts (up to a NULL) one after the other in buf when they
 * fit in its cap bytes, else in a new string: free the result unless it is
 * buf. For a path made once per package, without printf or malloc. */
char *cat_into(char *buf, size_t cap, const char *const *parts);
#define CAT_INTO(buf, ...) cat_into((buf), sizeof(buf), (const char *const[]){__VA_ARGS__, NULL})

/* v in decimal at d, zero-padded to at least width digits, as printf's
 * %0*llu and %0*lld write it; returns the end of the digits (no NUL) */
char *put_udec(char *d, unsigned long long v, int width);
char *put_dec(char *d, long long v, int width);

/* FNV-1a hash of a string, for hash tables */
uint64_t str_hash(const char *s);
/* 1 when s equals one of the n strings of list */
int str_in_list(const char *s, const char *const *list, size_t n);

/* write "stdout error" and exit 1 when stdout could not be flushed */
void check_stdout(void);

#endif
