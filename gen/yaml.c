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

static struct ynode *
convert(struct arena *a, struct diag *d, yaml_document_t *doc, yaml_node_t *n,
    const char *file, int depth)
{
	struct ynode *y = arena_alloc(a, sizeof(*y));
	size_t i = 0;

	y->mark = mk(file, n->start_mark);
	if (depth > 64) {
		diag_error(d, y->mark, "nesting deeper than 64 levels");
		return NULL;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		y->type = Y_SCALAR;
		y->str = arena_strndup(a, (const char *)n->data.scalar.value, n->data.scalar.length);
		y->plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		y->block = n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
		    n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
		break;
	case YAML_SEQUENCE_NODE: {
		yaml_node_item_t *it;

		y->type = Y_SEQ;
		y->n = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
		y->items = arena_alloc(a, (y->n ? y->n : 1) * sizeof(*y->items));
		for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			y->items[i] = convert(a, d, doc, yaml_document_get_node(doc, *it), file, depth + 1);
			if (!y->items[i++])
				return NULL;
		}
		break;
	}
	case YAML_MAPPING_NODE: {
		yaml_node_pair_t *p;

		y->type = Y_MAP;
		y->n = 2 * (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
		y->items = arena_alloc(a, (y->n ? y->n : 1) * sizeof(*y->items));
		for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			struct ynode *k = convert(a, d, doc, yaml_document_get_node(doc, p->key), file, depth + 1);
			struct ynode *v = convert(a, d, doc, yaml_document_get_node(doc, p->value), file, depth + 1);
			size_t j;

			if (!k || !v)
				return NULL;
			if (k->type != Y_SCALAR) {
				diag_error(d, k->mark, "a mapping key must be a plain string, not %s",
				    ytype_name(k));
				return NULL;
			}
			for (j = 0; j < i; j += 2) {
				if (!strcmp(y->items[j]->str, k->str)) {
					diag_error(d, k->mark, "duplicate key '%s' (first given at line %d); "
					    "give each key once", k->str, y->items[j]->mark.line);
					break;
				}
			}
			y->items[i++] = k;
			y->items[i++] = v;
		}
		break;
	}
	default:
		diag_error(d, y->mark, "unsupported YAML node");
		return NULL;
	}
	return y;
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
	yaml_document_t doc;
	yaml_node_t *root;
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
	if (!yaml_parser_load(&parser, &doc)) {
		m = mk(path, parser.problem_mark);
		if (parser.context)
			diag_error(d, m, "YAML syntax: %s %s (the construct started at line %d, "
			    "column %d)", parser.problem ? parser.problem : "error", parser.context,
			    (int)parser.context_mark.line + 1, (int)parser.context_mark.column + 1);
		else
			diag_error(d, m, "YAML syntax: %s", parser.problem ? parser.problem : "error");
		yaml_parser_delete(&parser);
		buf_release(&text);
		return NULL;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		res = arena_alloc(a, sizeof(*res));
		res->type = Y_MAP;
		res->mark.file = path;
		res->mark.line = res->mark.col = 1;
	} else {
		res = convert(a, d, &doc, root, path, 0);
	}
	yaml_document_delete(&doc);
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
