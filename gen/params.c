/* SPDX-License-Identifier: MIT */
/* params: typed parameter values (SPEC §2 config:, §3 pipeline parameters) */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cjson.h"
#include "gen.h"
#include "util.h"

static const char *const truthy[] = {"true", "True", "TRUE", "yes", "Yes", "on"};
static const char *const falsy[] = {"false", "False", "FALSE", "no", "No", "off"};

int
param_parse_size(const char *s, long long *out)
{
	char *end;
	double v;
	long long mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0 || isspace((unsigned char)*s))
		return -1;
	switch (tolower((unsigned char)*end)) {
	case '\0': break;
	case 'k': mult = 1LL << 10; end++; break;
	case 'm': mult = 1LL << 20; end++; break;
	case 'g': mult = 1LL << 30; end++; break;
	case 't': mult = 1LL << 40; end++; break;
	default: return -1;
	}
	if (tolower((unsigned char)*end) == 'b')
		end++;
	if (*end)
		return -1;
	*out = (long long)(v * (double)mult);
	return 0;
}

static int
parse_ll(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return *s && !*end && !errno && !isspace((unsigned char)*s) ? 0 : -1;
}

int
param_value_fits(const struct ynode *v, enum param_type t)
{
	long long x;
	char *end;

	if (t == P_LIST)
		return v->type == Y_SEQ ? 0 : -1;
	if (v->type != Y_SCALAR)
		return -1;
	switch (t) {
	case P_INT:
		return parse_ll(v->str, &x);
	case P_FLOAT:
		errno = 0;
		strtod(v->str, &end);
		return *v->str && !*end && !errno ? 0 : -1;
	case P_BOOL:
		return str_in_list(v->str, truthy, LEN(truthy)) || str_in_list(v->str, falsy, LEN(falsy)) ?
		    0 : -1;
	case P_SIZE:
		return param_parse_size(v->str, &x);
	default:
		return 0;
	}
}

double
param_num(const struct ynode *v, enum param_type t)
{
	long long x = 0;

	if (t == P_SIZE) {
		param_parse_size(v->str, &x);
		return (double)x;
	}
	return strtod(v->str, NULL);
}

const char *
param_expect(enum param_type t)
{
	switch (t) {
	case P_INT: return "a whole number";
	case P_FLOAT: return "a number";
	case P_BOOL: return "true or false";
	case P_LIST: return "a list";
	case P_SIZE: return "a size like 512m or 4g";
	default: return "a string";
	}
}

int
param_check(struct diag *d, const struct param *p, const struct ynode *v, const char *who)
{
	size_t j;

	if (param_value_fits(v, p->type)) {
		diag_error(d, v->mark, "parameter '%s' of %s must be %s, not '%s'", p->name, who,
		    param_expect(p->type), v->type == Y_SCALAR ? v->str : ytype_name(v));
		return -1;
	}
	if (p->range && (param_num(v, p->type) < param_num(p->range->items[0], p->type) ||
	    param_num(v, p->type) > param_num(p->range->items[1], p->type))) {
		diag_error(d, v->mark, "parameter '%s' of %s is %s, outside its range [%s, %s]",
		    p->name, who, v->str, p->range->items[0]->str, p->range->items[1]->str);
		return -1;
	}
	if (p->choices && v->type == Y_SCALAR) {
		struct buf b = BUF_INIT;
		const char **names = xcalloc(p->choices->n, sizeof(*names));
		const char *s;

		for (j = 0; j < p->choices->n; j++) {
			names[j] = p->choices->items[j]->str ? p->choices->items[j]->str : "";
			if (!strcmp(names[j], v->str))
				break;
			buf_printf(&b, "%s%s", j ? ", " : "", names[j]);
		}
		if (j == p->choices->n) {
			s = suggest(v->str, names, p->choices->n);
			diag_error(d, v->mark, "parameter '%s' of %s is '%s', not one of %s%s%s%s",
			    p->name, who, v->str, b.s, s ? "; did you mean '" : "", s ? s : "",
			    s ? "'?" : "");
		}
		free(names);
		buf_release(&b);
		if (j == p->choices->n)
			return -1;
	}
	return 0;
}

json_t *
param_json(const struct param *p, const struct ynode *v)
{
	json_t *a;
	size_t i;
	long long x;

	if (!v)
		return json_null();
	switch (p->type) {
	case P_INT:
		return json_integer(strtoll(v->str, NULL, 10));
	case P_FLOAT:
		return json_real(strtod(v->str, NULL));
	case P_BOOL:
		return json_boolean(str_in_list(v->str, truthy, LEN(truthy)));
	case P_SIZE:
		param_parse_size(v->str, &x);
		return json_integer(x);
	case P_LIST:
		a = json_array();
		for (i = 0; i < v->n; i++)
			json_array_append_new(a, json_string(v->items[i]->type == Y_SCALAR ?
			    v->items[i]->str : ""));
		return a;
	default:
		return json_string(v->str);
	}
}

const char *
param_text(struct arena *a, const struct param *p, const struct ynode *v)
{
	struct buf b = BUF_INIT;
	const char *r;
	size_t i;

	if (!v)
		return "";
	if (p && p->type == P_BOOL)
		return str_in_list(v->str, truthy, LEN(truthy)) ? "true" : "false";
	if (v->type == Y_SCALAR)
		return v->str;
	for (i = 0; i < v->n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", v->items[i]->type == Y_SCALAR ?
		    v->items[i]->str : "");
	r = arena_strdup(a, buf_str(&b));
	buf_release(&b);
	return r;
}

const struct param *
param_find(const struct recipe *r, const char *name)
{
	size_t i, j;

	for (i = 0; i < r->nparams; i++) {
		if (!strcmp(r->params[i].name, name))
			return &r->params[i];
		for (j = 0; j < r->params[i].naliases; j++)
			if (!strcmp(r->params[i].aliases[j], name))
				return &r->params[i];
	}
	return NULL;
}

int
pipeline_list_params(struct gen *g, const char *spec, int json)
{
	struct mark m = {NULL, 0, 0};
	struct pkg *p = resolve_input(g, spec, m);
	const struct recipe *r;
	json_t *arr;
	size_t i;

	if (!p || g->d.errors) {
		diag_print(&g->d);
		fprintf(stderr, "pkggen: %zu error%s\n", g->d.errors, g->d.errors == 1 ? "" : "s");
		return 2;
	}
	r = p->r;
	if (json) {
		arr = json_array();
		for (i = 0; i < r->nparams; i++) {
			const struct param *pa = &r->params[i];
			json_t *o = json_object(), *al = json_array();
			size_t k;

			json_object_set_new(o, "name", json_string(pa->name));
			json_object_set_new(o, "type", json_string(param_type_name(pa->type)));
			json_object_set_new(o, "default", pa->secret ? json_string("***") :
			    param_json(pa, pa->def));
			json_object_set_new(o, "required", json_boolean(pa->required));
			json_object_set_new(o, "secret", json_boolean(pa->secret));
			json_object_set_new(o, "msg", pa->msg ? json_string(pa->msg) : json_null());
			if (pa->range) {
				json_t *rg = json_array();

				json_array_append_new(rg, param_json(pa, pa->range->items[0]));
				json_array_append_new(rg, param_json(pa, pa->range->items[1]));
				json_object_set_new(o, "range", rg);
			}
			if (pa->choices) {
				json_t *ch = json_array();

				for (k = 0; k < pa->choices->n; k++)
					json_array_append_new(ch, param_json(pa, pa->choices->items[k]));
				json_object_set_new(o, "choices", ch);
			}
			for (k = 0; k < pa->naliases; k++)
				json_array_append_new(al, json_string(pa->aliases[k]));
			json_object_set_new(o, "aliases", al);
			json_array_append_new(arr, o);
		}
		char *s = cjson_pretty(arr);
		fputs(s, stdout);
		free(s);
		json_decref(arr);
		return 0;
	}
	printf("%s %s (%s)%s%s\n", r->name, r->version, r->kind, r->summary ? ": " : "",
	    r->summary ? r->summary : "");
	if (!r->nparams) {
		printf("no parameters\n");
		return 0;
	}
	printf("%-20s %-6s %-14s %-22s %s\n", "NAME", "TYPE", "DEFAULT", "ALLOWED", "DESCRIPTION");
	for (i = 0; i < r->nparams; i++) {
		const struct param *pa = &r->params[i];
		struct buf allowed = BUF_INIT;
		const char *def = pa->secret ? "***" : pa->def ? param_text(&g->a, pa, pa->def) :
		    pa->required ? "(required)" : "-";
		size_t k;

		if (pa->range)
			buf_printf(&allowed, "%s..%s", pa->range->items[0]->str, pa->range->items[1]->str);
		for (k = 0; pa->choices && k < pa->choices->n; k++)
			buf_printf(&allowed, "%s%s", k ? "|" : "", pa->choices->items[k]->str ?
			    pa->choices->items[k]->str : "");
		printf("%-20s %-6s %-14s %-22s %s\n", pa->name, param_type_name(pa->type), def,
		    allowed.len ? allowed.s : "-", pa->msg ? pa->msg : "");
		buf_release(&allowed);
	}
	return 0;
}
