/* SPDX-License-Identifier: MIT */
/* sweep: Jarvis v1 test files (config:, vars:, loop:, repeat:) into run points (SPEC §3) */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "pipeline.h"
#include "sha256.h"
#include "util.h"

static const char *const sweep_keys[] = {"config", "vars", "loop", "repeat"};

/* make a point's directory name from its settings: stable, so adding a
 * value leaves the other points' names (and their finished runs) alone */
static const char *
point_id(struct gen *g, const struct point *pt, int repeat)
{
	struct buf b = BUF_INIT;
	const char *r;
	size_t i;
	char *s;

	for (i = 0; i < pt->nset; i++)
		buf_printf(&b, "%s%s.%s=%s", i ? "," : "", pt->set[i].entry, pt->set[i].param,
		    param_text(&g->a, NULL, pt->set[i].val));
	if (repeat > 1)
		buf_printf(&b, "%sr%d", b.len ? "," : "", pt->rep);
	if (!b.len)
		buf_puts(&b, "default");
	for (s = b.s; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._=,+-", *s))
			*s = '_';
	if (b.len > 120) {
		char hex[SHA256_HEX];

		sha256_hex(b.s, b.len, hex);
		b.len = 100;
		b.s[100] = '\0';
		buf_printf(&b, "~%.12s", hex);
	}
	r = arena_strdup(&g->a, b.s);
	buf_release(&b);
	return r;
}

void
pl_load_sweep(struct gen *g, struct pipeline *pl, const struct ynode *root)
{
	const struct ynode *cfg = ymap_get(root, "config"), *loop, *rep, *vars;
	const struct ynode **groups[64];
	size_t ngroups = 0, glen[64], i, j, k, total = 1;
	long long repeat = 1;
	int used[256] = {0};

	for (i = 0; i < root->n; i += 2)
		if (!str_in_list(root->items[i]->str, sweep_keys, LEN(sweep_keys)))
			pl_unknown_key(g, root->items[i], sweep_keys, LEN(sweep_keys), "a sweep");
	pl->sweep = 1;
	if (cfg->type == Y_SCALAR) {
		const char *path = pl_relpath(g, pl->dir, cfg->str);

		gen_regen_input(g, path);
		cfg = yaml_load(&g->a, &g->d, path);
		if (!cfg)
			return;
		pl->dir = fs_dirname_arena(&g->a, path);
	}
	if (cfg->type != Y_MAP) {
		diag_error(&g->d, cfg->mark, "'config' must be a pipeline (a mapping) or the path "
		    "of a pipeline file");
		return;
	}
	pl_load_body(g, pl, cfg);
	vars = ymap_get(root, "vars");
	if ((rep = ymap_get(root, "repeat"))) {
		if (rep->type != Y_SCALAR || (repeat = strtoll(rep->str, NULL, 10)) < 1 ||
		    repeat > 1000) {
			diag_error(&g->d, rep->mark, "'repeat' must be a whole number from 1 to 1000");
			repeat = 1;
		}
	}
	if (!vars) {
		vars = arena_alloc(&g->a, sizeof(*vars));
	} else if (vars->type != Y_MAP) {
		diag_error(&g->d, vars->mark, "'vars' must map ENTRY.PARAM to a list of values");
		return;
	}
	pl->vars = vars;
	if (vars->n / 2 > LEN(used)) {
		diag_error(&g->d, vars->mark, "too many sweep variables (at most %zu)", LEN(used));
		return;
	}
	for (i = 0; i < vars->n; i += 2) {
		const struct ynode *key = vars->items[i], *v = vars->items[i + 1];

		if (!strchr(key->str, '.'))
			diag_error(&g->d, key->mark, "sweep variable '%s' must be ENTRY.PARAM "
			    "(like redis_bench.clients)", key->str);
		if (v->type != Y_SEQ || !v->n)
			diag_error(&g->d, v->mark, "the values of '%s' must be a non-empty list",
			    key->str);
	}
	/* loop groups advance together; every other variable is a group of its own */
	if ((loop = ymap_get(root, "loop"))) {
		if (loop->type != Y_SEQ) {
			diag_error(&g->d, loop->mark, "'loop' must be a list of lists of variables");
			return;
		}
		for (i = 0; i < loop->n && ngroups < LEN(groups); i++) {
			const struct ynode *grp = loop->items[i];

			if (grp->type == Y_SCALAR) {
				struct ynode *seq = arena_alloc(&g->a, sizeof(*seq));

				seq->type = Y_SEQ;
				seq->n = 1;
				seq->mark = grp->mark;
				seq->items = arena_alloc(&g->a, sizeof(*seq->items));
				seq->items[0] = (struct ynode *)grp;
				grp = seq;
			}
			if (grp->type != Y_SEQ) {
				diag_error(&g->d, grp->mark, "each 'loop' item is a list of variables");
				continue;
			}
			groups[ngroups] = arena_alloc(&g->a, (grp->n + 1) * sizeof(**groups));
			glen[ngroups] = 0;
			for (j = 0; j < grp->n; j++) {
				const struct ynode *name = grp->items[j];

				for (k = 0; k < vars->n; k += 2)
					if (name->type == Y_SCALAR && !strcmp(vars->items[k]->str, name->str))
						break;
				if (k == vars->n) {
					diag_error(&g->d, name->mark, "'%s' in 'loop' is not a variable of "
					    "'vars'", name->type == Y_SCALAR ? name->str : "?");
					continue;
				}
				if (used[k / 2]++) {
					diag_error(&g->d, name->mark, "'%s' is in two loop groups", name->str);
					continue;
				}
				if (glen[ngroups] &&
				    vars->items[k + 1]->n != groups[ngroups][0]->n)
					diag_error(&g->d, name->mark, "'%s' has %zu values, but the variables "
					    "of its loop group advance together and the first has %zu",
					    name->str, vars->items[k + 1]->n, groups[ngroups][0]->n);
				groups[ngroups][glen[ngroups]++] = vars->items[k + 1];
			}
			if (glen[ngroups])
				ngroups++;
		}
	}
	for (k = 0; k < vars->n && ngroups < LEN(groups); k += 2) {
		if (used[k / 2])
			continue;
		groups[ngroups] = arena_alloc(&g->a, 2 * sizeof(**groups));
		groups[ngroups][0] = vars->items[k + 1];
		glen[ngroups++] = 1;
	}
	if (g->d.errors)
		return;
	for (i = 0; i < ngroups; i++)
		total *= groups[i][0]->n;
	if (total * (size_t)repeat > 100000) {
		diag_error(&g->d, root->mark, "the sweep has %zu points; at most 100000", total *
		    (size_t)repeat);
		return;
	}
	pl->points = arena_alloc(&g->a, total * (size_t)repeat * sizeof(*pl->points));
	for (i = 0; i < total; i++) {
		size_t rest = i, r;
		struct point pt = {0};

		pt.set = arena_alloc(&g->a, (vars->n / 2 + 1) * sizeof(*pt.set));
		/* the last group advances fastest */
		for (j = ngroups; j-- > 0; ) {
			size_t idx = rest % groups[j][0]->n;

			rest /= groups[j][0]->n;
			for (k = 0; k < glen[j]; k++) {
				const struct ynode *vals = groups[j][k];
				size_t m;

				for (m = 0; m < vars->n; m += 2)
					if (vars->items[m + 1] == vals)
						break;
				const char *key = vars->items[m]->str, *dot = strchr(key, '.');

				pt.set[pt.nset].entry = arena_strndup(&g->a, key, (size_t)(dot - key));
				pt.set[pt.nset].param = dot + 1;
				pt.set[pt.nset].val = vals->items[idx];
				pt.nset++;
			}
		}
		for (r = 0; r < (size_t)repeat; r++) {
			struct point *p = &pl->points[pl->npoints++];

			*p = pt;
			p->rep = (int)r;
			p->id = point_id(g, p, (int)repeat);
		}
	}
}

void
pl_check_sweep_vars(struct gen *g, struct pipeline *pl)
{
	const char **names = arena_alloc(&g->a, (pl->npkgs + 1) * sizeof(*names));
	size_t i, j;

	for (i = 0; i < pl->npkgs; i++)
		names[i] = pl->pkgs[i]->name;
	for (i = 0; pl->vars && i < pl->vars->n; i += 2) {
		const struct ynode *k = pl->vars->items[i];
		const char *dot = strchr(k->str, '.'), *ename, *s;
		const struct entry *e;

		if (!dot)
			continue;	/* said in load_sweep */
		ename = arena_strndup(&g->a, k->str, (size_t)(dot - k->str));
		e = pl_find_entry(pl, ename);
		if (!e || e->interceptor) {
			s = suggest(ename, names, pl->npkgs);
			diag_error(&g->d, k->mark, "sweep variable '%s' names no entry of pkgs:%s%s%s",
			    k->str, s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
			continue;
		}
		if (!e->pkg)
			continue;
		if (!param_find(e->pkg->r, dot + 1)) {
			const struct recipe *r = e->pkg->r;
			const char **pn = arena_alloc(&g->a, (r->nparams + 1) * sizeof(*pn));

			for (j = 0; j < r->nparams; j++)
				pn[j] = r->params[j].name;
			s = suggest(dot + 1, pn, r->nparams);
			diag_error(&g->d, k->mark, "unknown parameter '%s' for %s%s%s%s", dot + 1,
			    pl_who(g, e), s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
			continue;
		}
		/* every value must fit the parameter */
		for (j = 0; pl->vars->items[i + 1]->type == Y_SEQ && j < pl->vars->items[i + 1]->n; j++)
			param_check(&g->d, param_find(e->pkg->r, dot + 1), pl->vars->items[i + 1]->items[j],
			    pl_who(g, e));
	}
}
