/* SPDX-License-Identifier: MIT */
/* cjson: canonical JSON (sorted keys, compact) for ids, and JSON file helpers */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "util.h"

/* 1 when every object in v lists its keys in ascending strcmp order, as
 * JSON_SORT_KEYS would write them (jansson keeps the order of insertion) */
static int
sorted(const json_t *v)
{
	const char *prev = NULL, *key;
	json_t *x;
	void *it;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (!sorted(x))
				return 0;
		return 1;
	}
	if (!json_is_object(v))
		return 1;
	for (it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
		key = json_object_iter_key(it);
		if (prev && strcmp(prev, key) >= 0)
			return 0;
		if (!sorted(json_object_iter_value(it)))
			return 0;
		prev = key;
	}
	return 1;
}

/*
 * JSON_SORT_KEYS makes jansson copy and sort every object's keys and look
 * each value up again: most of the time it takes to write a manifest. An
 * object built with its keys in order is written in that order instead,
 * after a walk that checks it, so the text is the same either way. pkggen's
 * ids and package manifests (CJSON_SORTED) skip the walk, a tenth of what
 * writing them costs; a build with sanitizers, as the test suite runs,
 * still walks and stops at one out of order.
 */
static size_t
order_flags(const json_t *v, int dump, size_t flags)
{
	if (dump & CJSON_SORTED) {
#ifdef __SANITIZE_ADDRESS__
		if (!sorted(v))
			fatal("bug: a JSON object promised in sorted order is not");
#endif
		return flags;
	}
	return sorted(v) ? flags : flags | JSON_SORT_KEYS;
}

/* jansson hands over its text a few bytes at a time: a quote, a key, a colon */
static int
to_buf(const char *s, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->cap - b->len > n) {
		char *d = b->s + b->len;

		b->len += n;
		/* most pieces are a quote, a colon or a few spaces */
		if (n <= 8) {
			while (n--)
				*d++ = *s++;
		} else {
			memcpy(d, s, n);
		}
	} else {
		buf_putn(b, s, n);
	}
	return 0;
}

void
cjson_dump_buf(const json_t *v, int dump, struct buf *b)
{
	size_t flags = dump & CJSON_PRETTY ? JSON_INDENT(2) : JSON_COMPACT;

	/* jansson fails only without memory, or on a string made unchecked
	 * (json_string_nocheck) that is not UTF-8 after all: a bug */
	if (json_dump_callback(v, to_buf, b, order_flags(v, dump, flags) | JSON_ENCODE_ANY) < 0)
		fatal("cannot write JSON: out of memory, or a string that is not UTF-8");
	if (dump & CJSON_PRETTY)
		buf_putc(b, '\n');
	buf_grow(b, 0);
	b->s[b->len] = '\0';
}

char *
cjson_dump(const json_t *v)
{
	struct buf b = BUF_INIT;

	cjson_dump_buf(v, 0, &b);
	return buf_detach(&b);
}

void
cjson_sha256(const json_t *v, int dump, char hex[SHA256_HEX])
{
	struct buf b = BUF_INIT;

	/* hashed in one piece: an update for each of jansson's bits costs more */
	cjson_dump_buf(v, dump & ~CJSON_PRETTY, &b);
	sha256_hex(b.s, b.len, hex);
	buf_release(&b);
}

char *
cjson_pretty(const json_t *v)
{
	struct buf b = BUF_INIT;

	cjson_dump_buf(v, CJSON_PRETTY, &b);
	return buf_detach(&b);
}

json_t *
cjson_load(const char *path)
{
	struct buf b = {0};
	json_error_t e;
	json_t *v;

	/* read whole, in one read(2) where json_load_file reads 4 KiB at a
	 * time: a 10,000-package activate.json is 2 MB */
	if (fs_read(path, &b) < 0) {
		fail("cannot read %s:", path);
		buf_release(&b);
		return NULL;
	}
	v = json_loadb(b.s, b.len, JSON_REJECT_DUPLICATES, &e);
	buf_release(&b);
	if (!v) {
		if (e.line > 0)
			fail("%s:%d:%d: %s", path, e.line, e.column, e.text);
		else
			fail("%s: %s", path, e.text);
	}
	return v;
}

int
cjson_write(const char *path, const json_t *v, int if_changed)
{
	char *s = cjson_pretty(v);
	int r;

	int flags = if_changed & CJSON_NOSYNC ? 0 : FS_SYNC;

	if (if_changed & CJSON_IF_CHANGED)
		r = fs_write_if_changed_flags(path, s, strlen(s), flags);
	else
		r = fs_write_atomic_flags(path, s, strlen(s), flags);
	free(s);
	return r;
}

int
cjson_utf8(const char *s)
{
	json_t *v = json_string(s);

	json_decref(v);
	return v != NULL;
}

const char *
cjson_str(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}
