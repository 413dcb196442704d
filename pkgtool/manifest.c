/* SPDX-License-Identifier: MIT */
/* manifest: loading the per-step JSON files pkggen writes (doc/manifests.md) */
#include <stdlib.h>

#include "cjson.h"
#include "pkgtool.h"
#include "util.h"

json_t *
manifest_load(const char *path)
{
	json_t *m = cjson_load(path);

	if (m && !json_is_object(m)) {
		fail("%s: not a manifest (expected a JSON object)", path);
		json_decref(m);
		return NULL;
	}
	return m;
}

const char *
manifest_str(json_t *m, const char *key)
{
	const char *s = cjson_str(m, key);

	if (!s)
		fail("manifest lacks the string '%s'", key);
	return s;
}

const char *
manifest_entry_id(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : cjson_str(v, "id");
}

const char *
manifest_archive(json_t *m)
{
	const char *s = cjson_str(m, "archive"), *store, *id;
	char *p;

	if (s)
		return s;
	if (!(store = manifest_str(m, "store")) || !(id = manifest_str(m, "id")))
		return NULL;
	/* kept in m, which frees it */
	p = store_archive(store, id);
	json_object_set_new(m, "archive", json_string(p));
	free(p);
	return cjson_str(m, "archive");
}
