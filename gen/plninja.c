/* SPDX-License-Identifier: MIT */
/* plninja: a pipeline's lifecycle and sweep edges in build.ninja (SPEC §5) */
#include <string.h>

#include "gen.h"
#include "pipeline.h"
#include "util.h"

static void
target(struct buf *b, struct gen *g, const char *p)
{
	ninja_path(b, g, p);
}

/* the output of an entry's start edge: services touch started, applications write stats.json */
static const char *
start_out(struct gen *g, const struct point *pt, const struct entry *e)
{
	const char *rd = arena_printf(&g->a, "%s/%s", pl_runroot(g, pt), e->name);

	return strcmp(e->pkg->r->kind, "service") ? arena_printf(&g->a, "%s/stats.json", rd) :
	    arena_printf(&g->a, "%s/started", rd);
}

void
pipeline_ninja(struct gen *g, struct buf *b)
{
	struct pipeline *pl = g->pl;
	size_t i, j;

	buf_puts(b, "\n# the pipeline\nbuild .pkggen/always: phony\n");
	if (pl->sweep) {
		for (i = 0; i < pl->npoints; i++) {
			const struct point *pt = &pl->points[i];

			buf_puts(b, "build ");
			target(b, g, arena_printf(&g->a, "%s/stats.json", pl_runroot(g, pt)));
			buf_printf(b, ": sweep_run .pkggen/sweep/%s/pipeline.json | .pkggen/activate.stamp",
			    pt->id);
			for (j = 0; j < pl->npkgs; j++)
				buf_printf(b, " .pkggen/sweep/%s/%s.json", pt->id, pl->pkgs[j]->name);
			buf_puts(b, "\n  name = ");
			ninja_escape_value(b, pt->id);
			buf_puts(b, "\n");
		}
		buf_puts(b, "build sweep/stats.csv: sweep_collect .pkggen/sweep.json |");
		for (i = 0; i < pl->npoints; i++) {
			buf_puts(b, " $\n    ");
			target(b, g, arena_printf(&g->a, "%s/stats.json", pl_runroot(g, &pl->points[i])));
		}
		buf_puts(b, "\nbuild sweep: phony sweep/stats.csv\n");
		return;
	}
	for (i = 0; i < pl->npkgs; i++) {
		const struct entry *e = pl->pkgs[i];
		const struct recipe *r = e->pkg->r;

		buf_printf(b, "build .pkggen/run/%s.configured: configure .pkggen/run/%s.json | "
		    ".pkggen/activate.stamp", e->name, e->name);
		for (j = 0; j < r->ntemplates; j++) {
			buf_puts(b, " ");
			target(b, g, r->templates[j].key);
		}
		buf_printf(b, "\n  name = %s\n", e->name);
		buf_puts(b, "build ");
		target(b, g, start_out(g, NULL, e));
		buf_printf(b, ": start .pkggen/run/%s.json | .pkggen/run/%s.configured", e->name, e->name);
		for (j = 0; j < e->nafter; j++) {
			buf_puts(b, " ");
			target(b, g, start_out(g, NULL, e->after[j]));
		}
		if (!strcmp(r->kind, "service"))
			buf_puts(b, " .pkggen/always");
		buf_printf(b, "\n  name = %s\n", e->name);
		buf_printf(b, "build start/%s: phony ", e->name);
		target(b, g, start_out(g, NULL, e));
		buf_printf(b, "\nbuild configure/%s: phony .pkggen/run/%s.configured\n", e->name, e->name);
		buf_printf(b, "build stop/%s: stop .pkggen/run/%s.json\n  name = %s\n", e->name, e->name,
		    e->name);
		buf_printf(b, "build status/%s: status .pkggen/run/%s.json\n  name = %s\n", e->name,
		    e->name, e->name);
	}
	buf_puts(b, "build configure: phony");
	for (i = 0; i < pl->npkgs; i++)
		buf_printf(b, " .pkggen/run/%s.configured", pl->pkgs[i]->name);
	buf_puts(b, "\nbuild start: phony");
	for (i = 0; i < pl->npkgs; i++) {
		buf_puts(b, " ");
		target(b, g, start_out(g, NULL, pl->pkgs[i]));
	}
	buf_puts(b, "\n");
	static const char *const whole[] = {"stop", "status", "kill", "clean"};
	for (i = 0; i < LEN(whole); i++)
		buf_printf(b, "build %s: %s .pkggen/pipeline.json\n  name = %s\n", whole[i], whole[i],
		    pl->name ? pl->name : "pipeline");
	/* restart starts again, so what it starts must be configured first */
	buf_puts(b, "build restart: restart .pkggen/pipeline.json |");
	for (i = 0; i < pl->npkgs; i++)
		buf_printf(b, " .pkggen/run/%s.configured", pl->pkgs[i]->name);
	buf_printf(b, "\n  name = %s\n", pl->name ? pl->name : "pipeline");
	/* a whole run (start, then stop) as one Slurm batch job (SPEC §8) */
	if (!strcmp(pl->launcher, "slurm")) {
		buf_puts(b, "build submit: submit .pkggen/pipeline.json |");
		for (i = 0; i < pl->npkgs; i++)
			buf_printf(b, " .pkggen/run/%s.configured", pl->pkgs[i]->name);
		buf_printf(b, "\n  name = %s\n", pl->name ? pl->name : "pipeline");
	}
}
