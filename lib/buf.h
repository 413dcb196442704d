/* SPDX-License-Identifier: MIT */
/* buf: a growable, always NUL-terminated string */
#ifndef PKGTOOL_BUF_H
#define PKGTOOL_BUF_H

#include <stddef.h>

struct buf {
	char *s;
	size_t len, cap;
};

#define BUF_INIT {NULL, 0, 0}

/* make room for n more bytes (plus the NUL) */
void buf_grow(struct buf *b, size_t n);
void buf_putc(struct buf *b, char c);
void buf_puts(struct buf *b, const char *s);
void buf_putn(struct buf *b, const char *s, size_t n);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* forget the content, keep the memory */
void buf_reset(struct buf *b);
/* returns the string, now owned by the caller; the buf is empty again */
char *buf_detach(struct buf *b);
void buf_release(struct buf *b);
/* append s as one /bin/sh word (quoted when it needs to be) */
void buf_shquote(struct buf *b, const char *s);
/* borrowed; "" for an empty buf that never grew */
const char *buf_str(const struct buf *b);

#endif
