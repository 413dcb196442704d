/* SPDX-License-Identifier: MIT */
/* yaml: load YAML files (libyaml's document API) into trees that keep marks */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "fs.h"
#include "gen.h"
#include "sha256.h"
#include "util.h"

static struct mark
mk(const char *file, yaml_mark_t m)
{
	/* libyaml marks are 0-based */
	struct mark r = {file, (int)m.line + 1, (int)m.column + 1};

	return r;
}

/*
 * The tree is built from libyaml's events. Its document API (yaml_parser_load)
 * would build a tree of its own first, copying a tag string for every node,
 * which made loading a recipe three times slower than parsing it.
 */
struct builder {
	yaml_parser_t *parser;
	struct arena *a;
	struct diag *d;
	const char *file;
	struct ynode **stack;	/* the items of the containers being built */
	size_t top, cap;
	struct anchor {
		const char *name;
		struct ynode *node;
	} *anchors;
	size_t nanchors;
};

static void
push(struct builder *b, struct ynode *y)
{
	if (b->top == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->stack = xreallocarray(b->stack, b->cap, sizeof(*b->stack));
	}
	b->stack[b->top++] = y;
}

/* an alias stands for the node its anchor was set on, as in libyaml */
static void
anchor(struct builder *b, const yaml_char_t *name, struct ynode *y)
{
	if (!name)
		return;
	b->anchors = xreallocarray(b->anchors, b->nanchors + 1, sizeof(*b->anchors));
	b->anchors[b->nanchors].name = arena_strdup(b->a, (const char *)name);
	b->anchors[b->nanchors++].node = y;
}

/* the next event into ev; 0, or -1 after saying what is wrong */
static int
next(struct builder *b, yaml_event_t *ev)
{
	yaml_parser_t *p = b->parser;
	struct mark m;

	if (yaml_parser_parse(p, ev))
		return 0;
	m = mk(b->file, p->problem_mark);
	if (p->context)
		diag_error(b->d, m, "YAML syntax: %s %s (the construct started at line %d, "
		    "column %d)", p->problem ? p->problem : "error", p->context,
		    (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	else
		diag_error(b->d, m, "YAML syntax: %s", p->problem ? p->problem : "error");
	return -1;
}

/* the node that starts with ev (which is released here); NULL on error */
static struct ynode *
node(struct builder *b, yaml_event_t *ev, int depth)
{
	struct ynode *y;
	size_t base = b->top, i, j;
	yaml_event_type_t end;

	if (ev->type == YAML_ALIAS_EVENT) {
		struct mark m = mk(b->file, ev->start_mark);

		for (i = b->nanchors; i-- > 0;) {
			if (!strcmp(b->anchors[i].name, (const char *)ev->data.alias.anchor)) {
				yaml_event_delete(ev);
				return b->anchors[i].node;
			}
		}
		yaml_event_delete(ev);
		diag_error(b->d, m, "YAML syntax: found undefined alias");
		return NULL;
	}
	y = arena_alloc(b->a, sizeof(*y));
	y->mark = mk(b->file, ev->start_mark);
	if (depth > 64) {
		yaml_event_delete(ev);
		diag_error(b->d, y->mark, "nesting deeper than 64 levels");
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		y->type = Y_SCALAR;
		y->str = arena_strndup(b->a, (const char *)ev->data.scalar.value,
		    ev->data.scalar.length);
		y->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		y->block = ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
		    ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
		anchor(b, ev->data.scalar.anchor, y);
		yaml_event_delete(ev);
		return y;
	case YAML_SEQUENCE_START_EVENT:
		y->type = Y_SEQ;
		anchor(b, ev->data.sequence_start.anchor, y);
		end = YAML_SEQUENCE_END_EVENT;
		break;
	case YAML_MAPPING_START_EVENT:
		y->type = Y_MAP;
		anchor(b, ev->data.mapping_start.anchor, y);
		end = YAML_MAPPING_END_EVENT;
		break;
	default:
		yaml_event_delete(ev);
		diag_error(b->d, y->mark, "unsupported YAML node");
		return NULL;
	}
	yaml_event_delete(ev);
	for (;;) {
		struct ynode *k, *v;

		if (next(b, ev) < 0)
			return NULL;
		if (ev->type == end) {
			yaml_event_delete(ev);
			break;
		}
		if (!(k = node(b, ev, depth + 1)))
			return NULL;
		if (y->type == Y_SEQ) {
			push(b, k);
			continue;
		}
		if (next(b, ev) < 0 || !(v = node(b, ev, depth + 1)))
			return NULL;
		if (k->type != Y_SCALAR) {
			diag_error(b->d, k->mark, "a mapping key must be a plain string, not %s",
			    ytype_name(k));
			return NULL;
		}
		for (j = base; j < b->top; j += 2) {
			if (!strcmp(b->stack[j]->str, k->str)) {
				diag_error(b->d, k->mark, "duplicate key '%s' (first given at line %d); "
				    "give each key once", k->str, b->stack[j]->mark.line);
				break;
			}
		}
		push(b, k);
		push(b, v);
	}
	y->n = b->top - base;
	y->items = arena_alloc(b->a, (y->n ? y->n : 1) * sizeof(*y->items));
	memcpy(y->items, b->stack + base, y->n * sizeof(*y->items));
	b->top = base;
	return y;
}

/* the first document of the stream, or NULL (an empty stream) into *root;
 * 0 or -1 after errors */
static int
build(struct builder *b, struct ynode **root)
{
	yaml_event_t ev;

	*root = NULL;
	do {
		if (next(b, &ev) < 0)
			return -1;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT || ev.type == YAML_STREAM_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		break;
	} while (1);
	return (*root = node(b, &ev, 0)) ? 0 : -1;
}

struct ynode *
yaml_load(struct arena *a, struct diag *d, const char *path)
{
	return yaml_load_hashed(a, d, path, NULL);
}

struct ynode *
yaml_load_hashed(struct arena *a, struct diag *d, const char *path, const char **sha)
{
	yaml_parser_t parser;
	struct builder bld = {0};
	struct ynode *res = NULL;
	struct mark m = {path, 0, 0};
	struct buf text = BUF_INIT;
	size_t before = d->errors;

	/* one read into memory costs fewer system calls than stdio */
	if (fs_read(path, &text) < 0) {
		diag_error(d, m, "cannot read: %s", strerror(errno));
		buf_release(&text);
		return NULL;
	}
	if (sha) {
		char hex[SHA256_HEX];

		sha256_hex(text.s, text.len, hex);
		*sha = arena_strdup(a, hex);
	}
	if (!yaml_parser_initialize(&parser))
		fatal("out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text.s, text.len);
	bld.parser = &parser;
	bld.a = a;
	bld.d = d;
	bld.file = path;
	if (build(&bld, &res) == 0 && !res) {
		res = arena_alloc(a, sizeof(*res));
		res->type = Y_MAP;
		res->mark.file = path;
		res->mark.line = res->mark.col = 1;
	}
	free(bld.stack);
	free(bld.anchors);
	yaml_parser_delete(&parser);
	buf_release(&text);
	if (d->errors != before)
		return NULL;
	return res;
}

struct ynode *
ynode_copy(struct arena *a, const struct ynode *n)
{
	struct ynode *y = arena_alloc(a, sizeof(*y));
	size_t i;

	*y = *n;
	if (n->type == Y_SCALAR) {
		y->str = arena_strdup(a, n->str);
		return y;
	}
	y->items = arena_alloc(a, (n->n ? n->n : 1) * sizeof(*y->items));
	for (i = 0; i < n->n; i++)
		y->items[i] = ynode_copy(a, n->items[i]);
	return y;
}

struct ynode *
ymap_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (!map || map->type != Y_MAP)
		return NULL;
	for (i = 0; i < map->n; i += 2)
		if (!strcmp(map->items[i]->str, key))
			return map->items[i + 1];
	return NULL;
}

const char *
ytype_name(const struct ynode *n)
{
	if (n->type == Y_SEQ)
		return "a list";
	if (n->type == Y_MAP)
		return "a mapping";
	return "a string";
}

int
ynull(const struct ynode *n)
{
	return n->type == Y_SCALAR && n->plain &&
	    (!*n->str || !strcmp(n->str, "null") || !strcmp(n->str, "~") || !strcmp(n->str, "Null") ||
	    !strcmp(n->str, "NULL"));
}
