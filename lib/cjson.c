/* SPDX-License-Identifier: MIT */
/* cjson: canonical JSON (sorted keys, compact) for ids, and JSON file helpers */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "util.h"

char *
cjson_dump(const json_t *v)
{
	char *s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);

	if (!s)
		fatal("out of memory");
	return s;
}

void
cjson_sha256(const json_t *v, char hex[SHA256_HEX])
{
	char *s = cjson_dump(v);

	sha256_hex(s, strlen(s), hex);
	free(s);
}

char *
cjson_pretty(const json_t *v)
{
	char *s = json_dumps(v, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_ENCODE_ANY);
	char *t;

	if (!s)
		fatal("out of memory");
	t = xasprintf("%s\n", s);
	free(s);
	return t;
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

const char *
cjson_str(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}
