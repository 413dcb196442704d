/* SPDX-License-Identifier: MIT */
/* ninja: write build.ninja (SPEC §4, §5) */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "gen.h"
#include "sha256.h"
#include "util.h"

/* p as build.ninja names it (ninja_relpath) */
void
ninja_path(struct buf *b, struct gen *g, const char *p)
{
	ninja_relpath(b, g->builddir, p);
}

/* p's archive as a Ninja path, made once: it is named by every dependent */
static const char *
archive(struct gen *g, struct pkg *p)
{
	if (!p->ninja_archive) {
		struct buf b = BUF_INIT;

		ninja_path(&b, g, p->archive);
		p->ninja_archive = arena_strndup(&g->a, b.s, b.len);
		buf_release(&b);
	}
	return p->ninja_archive;
}

void
ninja_text(struct gen *g, struct buf *bp, const char *pkgtool, const char *rulesdir,
    const char *regen_cmd)
{
	struct buf b = BUF_INIT, q = BUF_INIT;
	struct map fetched = {0};
	size_t i, j;
	const char *sep;
	int pass;

	/*
	 * The files and directories of path sources join the regeneration
	 * inputs here (a recipe's own come first, read as it was resolved):
	 * this runs beside the writers of the package manifests, where their
	 * tens of thousands of lookups leave no core idle, rather than while
	 * ids are prepared on one thread. The lists live in an arena of g's.
	 */
	for (i = 0; i < g->norder; i++) {
		const struct recipe *r = g->order[i]->r;

		for (j = 0; j < r->nsources; j++) {
			const struct source *s = &r->sources[j];
			size_t k;

			for (k = 0; k < s->nfiles; k++)
				gen_regen_input_kept(g, s->files[k]);
			for (k = 0; k < s->ndirs; k++)
				gen_regen_input_kept(g, s->dirs[k]);
		}
	}
	/* about what it will take, at once: no copies as it grows */
	buf_grow(&b, 160 * g->nregen + 800 * g->norder + 4096);
	buf_puts(&b, "# Written by pkggen; edit the recipes, not this file.\n"
	    "ninja_required_version = 1.10\n\n");
	buf_shquote(&q, pkgtool);
	buf_puts(&b, "pkgtool = ");
	ninja_escape_value(&b, q.s);
	buf_puts(&b, "\nregen_cmd = ");
	ninja_escape_value(&b, regen_cmd);
	buf_puts(&b, "\ninclude ");
	ninja_escape_path(&b, rulesdir);
	buf_puts(&b, "/pkgtool.ninja\n\n");

	/* build.ninja re-runs pkggen when anything it read changes. The inputs
	 * are also the outputs of one phony edge with no inputs, which Ninja
	 * counts as changed when one of them is gone, rather than stopping with
	 * "missing and no known rule to make it" (a package removed from a
	 * repository) */
	for (pass = 0; pass < 2; pass++) {
		buf_puts(&b, pass ? "build" : "build build.ninja: regen |");
		for (i = 0; i < g->nregen; i++) {
			buf_puts(&b, " $\n    ");
			ninja_path(&b, g, g->regen[i]);
		}
		buf_puts(&b, pass ? ": phony\n\n" : "\n");
	}

	for (i = 0; i < g->norder; i++) {
		struct pkg *p = g->order[i];
		const struct recipe *r = p->r;

		for (j = 0; j < r->nsources; j++) {
			const struct source *s = &r->sources[j];
			const char *key = manifest_fetch_key(g, s);

			if (!key || map_get(&fetched, key))
				continue;
			map_put(&fetched, key, (void *)key);
			buf_puts(&b, "build ");
			ninja_path(&b, g, manifest_source_file(g, &g->a, s));
			buf_printf(&b, ": fetch .pkggen/fetch/%s.json\n  name = ", key);
			ninja_escape_value(&b, s->name);
			buf_puts(&b, "\n");
		}
		buf_puts(&b, "build ");
		buf_puts(&b, archive(g, p));
		buf_printf(&b, ": build .pkggen/pkg/%s.json", p->id);
		/* fetched sources; path sources and patches are inputs of build.ninja
		 * only, since a change to their content changes the id (a new edge)
		 * and a touch that leaves it alone needs no build. The first
		 * implicit input, if any, is preceded by the "|" */
		sep = " | $\n    ";
		for (j = 0; j < r->nsources; j++) {
			const struct source *s = &r->sources[j];

			if (s->type != SRC_PATH) {
				buf_puts(&b, sep);
				sep = " $\n    ";
				ninja_path(&b, g, manifest_source_file(g, &g->a, s));
			}
		}
		for (j = 0; j < p->ndeps + p->nbdeps; j++) {
			buf_puts(&b, sep);
			sep = " $\n    ";
			buf_puts(&b, archive(g, j < p->ndeps ? p->deps[j] : p->bdeps[j - p->ndeps]));
		}
		/* no `name` binding: Ninja makes an environment for each edge
		 * that has one, a tenth of a no-op run at 10,000 packages; the
		 * rule's description names the archive ($out) instead */
		buf_puts(&b, "\nbuild pkg/");
		ninja_escape_path(&b, r->name);
		buf_puts(&b, ": phony ");
		buf_puts(&b, archive(g, p));
		buf_puts(&b, "\n\n");
	}

	buf_puts(&b, "build fetch: phony");
	map_release(&fetched);
	for (i = 0; i < g->norder; i++) {
		for (j = 0; j < g->order[i]->r->nsources; j++) {
			const struct source *s = &g->order[i]->r->sources[j];
			const char *key = manifest_fetch_key(g, s);

			if (!key || map_get(&fetched, key))
				continue;
			map_put(&fetched, key, (void *)key);
			buf_puts(&b, " $\n    ");
			ninja_path(&b, g, manifest_source_file(g, &g->a, s));
		}
	}
	map_release(&fetched);
	buf_puts(&b, "\nbuild packages: phony");
	for (i = 0; i < g->norder; i++) {
		buf_puts(&b, " $\n    ");
		buf_puts(&b, archive(g, g->order[i]));
	}
	buf_puts(&b, "\nbuild .pkggen/activate.stamp: activate .pkggen/activate.json |");
	for (i = 0; i < g->nactive; i++) {
		buf_puts(&b, " $\n    ");
		buf_puts(&b, archive(g, g->active[i]));
	}
	buf_printf(&b, "\n  count = %zu\n", g->nactive);
	buf_puts(&b, "build activate: phony .pkggen/activate.stamp\n"
	    "build all: phony activate\n"
	    "default all\n");
	if (g->pl)
		pipeline_ninja(g, &b);

	buf_release(&q);
	*bp = b;
}

int
ninja_stage(struct gen *g, const struct buf *b, struct ninja_staged *st)
{
	char *out = xasprintf("%s/build.ninja", g->builddir), hex[SHA256_HEX];
	const char *c = cache_get(&g->written, "build.ninja");
	struct stat sb;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	/* its mtime must move past its inputs' so that Ninja takes it as new;
	 * when the bytes are the same (as .pkggen/written records them: a hash
	 * costs less than reading several megabytes back) that is all it needs */
	sha256_hex(b->s, b->len, hex);
	st->sig = xasprintf("%s %zu", hex, b->len);
	if (c && !strcmp(c, st->sig) && stat(out, &sb) == 0 && (size_t)sb.st_size == b->len) {
		free(out);
		return 0;
	}
	st->tmp = xasprintf("%s.tmp.%ld", out, (long)getpid());
	if (fs_write_new(st->tmp, b->s, b->len) < 0) {
		free(st->tmp);
		st->tmp = NULL;
		ret = -1;
	}
	free(out);
	return ret;
}

int
ninja_commit(struct gen *g, struct ninja_staged *st)
{
	char *out = xasprintf("%s/build.ninja", g->builddir);
	int ret = 0;

	if (!st->tmp) {
		if (utimensat(AT_FDCWD, out, NULL, 0) < 0)
			ret = fail("touch %s:", out);
	} else if (rename(st->tmp, out) < 0) {
		ret = fail("rename %s to %s:", st->tmp, out);
		unlink(st->tmp);
	} else {
		cache_put(g, &g->written, "build.ninja", st->sig);
	}
	free(out);
	free(st->tmp);
	st->tmp = NULL;
	return ret < 0 ? -1 : 0;
}

void
ninja_unstage(struct ninja_staged *st)
{
	if (st->tmp)
		unlink(st->tmp);
	free(st->tmp);
	free(st->sig);
	memset(st, 0, sizeof(*st));
}
