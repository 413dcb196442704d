/* SPDX-License-Identifier: MIT */
/* test_cjson: lib/cjson.c's writers (keys in the order added, or sorted when
 * they are not) and lib/jalloc.c's scratch memory for jansson */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cjson.h"
#include "jalloc.h"
#include "sha256.h"
#include "test.h"

/* what jansson itself writes with JSON_SORT_KEYS: the text cjson promises */
static char *
sorted_by_jansson(const json_t *v, int pretty)
{
	char *s = json_dumps(v, JSON_SORT_KEYS | JSON_ENCODE_ANY |
	    (pretty ? JSON_INDENT(2) : JSON_COMPACT));
	char *t = malloc(strlen(s) + 2);

	strcpy(t, s);
	if (pretty)
		strcat(t, "\n");
	free(s);
	return t;
}

static json_t *
sample(int in_order)
{
	json_t *o = json_object(), *inner = json_object(), *arr = json_array();

	if (in_order) {
		json_object_set_new(inner, "a", json_integer(1));
		json_object_set_new(inner, "b", json_string("x \"q\" \\ \xc3\xa9"));
	} else {
		json_object_set_new(inner, "b", json_string("x \"q\" \\ \xc3\xa9"));
		json_object_set_new(inner, "a", json_integer(1));
	}
	json_array_append_new(arr, inner);
	json_array_append_new(arr, json_null());
	if (in_order) {
		json_object_set_new(o, "env", json_object());
		json_object_set_new(o, "list", arr);
		json_object_set_new(o, "name", json_string("p"));
	} else {
		json_object_set_new(o, "name", json_string("p"));
		json_object_set_new(o, "list", arr);
		json_object_set_new(o, "env", json_object());
	}
	return o;
}

/* in order or not, the text is jansson's sorted text, compact and indented */
static void
test_order(void)
{
	int in_order, pretty;

	for (in_order = 0; in_order < 2; in_order++) {
		for (pretty = 0; pretty < 2; pretty++) {
			json_t *v = sample(in_order);
			char *want = sorted_by_jansson(v, pretty);
			char *got = pretty ? cjson_pretty(v) : cjson_dump(v);
			struct buf b = BUF_INIT;

			T_STREQ(got, want);
			buf_puts(&b, "prefix ");
			cjson_dump_buf(v, pretty, &b);
			T_OK(strncmp(b.s, "prefix ", 7) == 0);
			T_STREQ(b.s + 7, want);
			T_EQ(b.len, 7 + strlen(want));
			/* keys added in order may be promised so, unchecked */
			if (in_order) {
				buf_reset(&b);
				cjson_dump_buf(v, pretty | CJSON_SORTED, &b);
				T_STREQ(b.s, want);
			}
			buf_release(&b);
			free(got);
			free(want);
			json_decref(v);
		}
	}
	/* a scalar alone */
	{
		json_t *v = json_string("s");
		char *got = cjson_dump(v);

		T_STREQ(got, "\"s\"");
		free(got);
		json_decref(v);
	}
}

static void
test_sha256(void)
{
	json_t *a = sample(0), *b = sample(1);
	char ha[SHA256_HEX], hb[SHA256_HEX], hd[SHA256_HEX];
	char *d = cjson_dump(a);

	cjson_sha256(a, 0, ha);
	cjson_sha256(b, 0, hb);
	sha256_hex(d, strlen(d), hd);
	T_STREQ(ha, hb);	/* the order keys were added in makes no difference */
	T_STREQ(ha, hd);	/* the hash of the canonical text */
	free(d);
	json_decref(a);
	json_decref(b);
}

static void
test_utf8(void)
{
	T_OK(cjson_utf8("/tmp/build"));
	T_OK(cjson_utf8("/tmp/\xc3\xa9t\xc3\xa9"));
	T_OK(!cjson_utf8("/tmp/bad\xff"));
	T_OK(!cjson_utf8("/tmp/\xc3"));
}

/* values made in a scratch section, more than its memory holds (the rest
 * comes from malloc), freed in it; then the same scratch again */
static void
test_scratch(void)
{
	struct jscratch js = JSCRATCH_INIT;
	int round;

	for (round = 0; round < 2; round++) {
		json_t *arr;
		size_t i;
		char *want, *got;

		jscratch_begin(&js);
		arr = json_array();
		for (i = 0; i < 20000; i++) {
			json_t *o = json_object();

			json_object_set_new(o, "id", json_integer((json_int_t)i));
			json_object_set_new(o, "name", json_sprintf("p%05zu", i));
			json_array_append_new(arr, o);
		}
		T_EQ(json_array_size(arr), 20000);
		T_STREQ(json_string_value(json_object_get(json_array_get(arr, 19999), "name")),
		    "p19999");
		got = cjson_dump(arr);	/* a malloc'd string: buf's, not jansson's */
		json_decref(arr);
		jscratch_end(&js);
		want = strstr(got, "{\"id\":12345,\"name\":\"p12345\"}");
		T_OK(want != NULL);
		free(got);
	}
	jscratch_release(&js);
	/* outside a section, jansson's memory is malloc's as before */
	{
		json_t *v = json_string("after");

		T_STREQ(json_string_value(v), "after");
		json_decref(v);
	}
}

int
main(void)
{
	jalloc_install();
	test_order();
	test_sha256();
	test_utf8();
	test_scratch();
	return T_DONE();
}
