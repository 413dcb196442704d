/* SPDX-License-Identifier: MIT */
/* cjson: canonical JSON (sorted keys, compact) for ids, and JSON file helpers */
#ifndef PKGTOOL_CJSON_H
#define PKGTOOL_CJSON_H

#include <jansson.h>

#include "buf.h"
#include "sha256.h"

/* returns a new string: v as canonical JSON (sorted keys, no spaces, UTF-8 kept) */
char *cjson_dump(const json_t *v);
/* SHA-256 hex of cjson_dump(v); dump as in cjson_dump_buf's flags */
void cjson_sha256(const json_t *v, int dump, char hex[SHA256_HEX]);
/* returns a new string: v as indented JSON with sorted keys and a final newline
 * (the form of every JSON file pkgtool writes) */
char *cjson_pretty(const json_t *v);
/* how cjson_dump_buf writes */
enum cjson_dump {
	CJSON_PRETTY = 1 << 0,	/* cjson_pretty's text, else cjson_dump's */
	CJSON_SORTED = 1 << 1,	/* the caller added every object's keys in sorted
				 * order: written as they are, unchecked (a build
				 * with sanitizers checks, and stops on a bug) */
};
/* append v to b as dump (enum cjson_dump flags) says. An object whose keys
 * were added in sorted order is written faster (checked first, unless
 * CJSON_SORTED). */
void cjson_dump_buf(const json_t *v, int dump, struct buf *b);
/* load a JSON file; returns a new reference or NULL after printing
 * "PATH:LINE:COL: what" through fail() */
json_t *cjson_load(const char *path);
enum cjson_flags {
	CJSON_IF_CHANGED = 1 << 0,	/* leave an identical file (and its mtime) alone */
	CJSON_NOSYNC = 1 << 1,	/* no fsync: the file can be made again */
};
/* write v to path with cjson_pretty through fs_write_atomic; flags as above
 * (1 = CJSON_IF_CHANGED, as before); as fs_write_atomic */
int cjson_write(const char *path, const json_t *v, int flags);

/* 1 when s is valid UTF-8 (what a JSON string can hold) */
int cjson_utf8(const char *s);

/* borrowed string member of an object, or NULL when absent or not a string */
const char *cjson_str(const json_t *obj, const char *key);

#endif
