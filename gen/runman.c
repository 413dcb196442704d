/* SPDX-License-Identifier: MIT */
/* runman: a pipeline entry's run manifest: its {{names}}, rendered lifecycle, interceptors */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cjson.h"
#include "fs.h"
#include "gen.h"
#include "pipeline.h"
#include "sha256.h"
#include "util.h"

static const char *const lifecycle_keys[] = {
	"configure", "start", "ready", "status", "stop", "kill", "clean", "stats",
};

/* the text value of entry e's parameter p: the point's setting, the entry's
 * own value, or the default; NULL when none */
const struct ynode *
pl_value_of(const struct point *pt, const struct entry *e, const struct param *p)
{
	size_t i, j;

	for (i = 0; pt && i < pt->nset; i++) {
		if (strcmp(pt->set[i].entry, e->name))
			continue;
		if (!strcmp(pt->set[i].param, p->name))
			return pt->set[i].val;
		for (j = 0; j < p->naliases; j++)
			if (!strcmp(pt->set[i].param, p->aliases[j]))
				return pt->set[i].val;
	}
	for (i = 0; i < e->node->n; i += 2) {
		const char *k = e->node->items[i]->str;

		if (!strcmp(k, p->name))
			return e->node->items[i + 1];
		for (j = 0; j < p->naliases; j++)
			if (!strcmp(k, p->aliases[j]))
				return e->node->items[i + 1];
	}
	return p->def;
}

struct map *
pl_entry_vars(struct gen *g, struct pipeline *pl, const struct point *pt, struct entry *e,
    json_t *params, json_t *secret)
{
	struct map *v = arena_alloc(&g->a, sizeof(*v));
	const struct recipe *r = e->pkg->r;
	const char *rundir = arena_printf(&g->a, "%s/%s", pl_runroot(g, pt), e->name);
	size_t i;

	for (i = 0; i < r->nparams; i++) {
		const struct param *p = &r->params[i];
		const struct ynode *val = pl_value_of(pt, e, p);

		if (val && ynull(val))
			val = NULL;
		if (pt && val && param_check(&g->d, p, val, pl_who(g, e)) < 0)
			val = NULL;
		map_put(v, p->name, (void *)param_text(&g->a, p, val));
		if (params)
			json_object_set_new(params, p->name, param_json(p, val));
		if (secret && p->secret)
			json_array_append_new(secret, json_string(p->name));
	}
	map_put(v, "rundir", (void *)rundir);
	map_put(v, "config_dir", arena_printf(&g->a, "%s/config", rundir));
	map_put(v, "shared_dir", pl->shared_root ? arena_printf(&g->a, "%s/%s", pl->shared_root,
	    e->name) : arena_printf(&g->a, "%s/shared", rundir));
	map_put(v, "private_dir", pl->private_root ? arena_printf(&g->a, "%s/%s", pl->private_root,
	    e->name) : arena_printf(&g->a, "%s/private", rundir));
	map_put(v, "prefix", arena_printf(&g->a, "%s/env/active", g->builddir));
	map_put(v, "pkgroot", arena_printf(&g->a, "%s/%s", g->store, e->pkg->id));
	map_put(v, "pkg_id", (void *)e->name);
	map_put(v, "pkg_name", (void *)e->name);
	map_put(v, "global_id", arena_printf(&g->a, "%s.%s", pl->name ? pl->name : "", e->name));
	map_put(v, "pipeline", (void *)(pl->name ? pl->name : ""));
	if (e->hostfile || pl->hostfile)
		map_put(v, "hostfile", (void *)(e->hostfile ? e->hostfile : pl->hostfile));
	if (e->nprocs && !map_get(v, "nprocs"))
		map_put(v, "nprocs", (void *)e->nprocs);
	if (e->ppn && !map_get(v, "ppn"))
		map_put(v, "ppn", (void *)e->ppn);
	return v;
}

static json_t *
rendered_map(struct gen *g, const struct map *vars, const struct kv *kv, size_t n, const char *what)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < n; i++) {
		const char *s = vars_render_at(g, vars, kv[i].val, kv[i].vmark, kv[i].block,
		    arena_printf(&g->a, "%s %s", what, kv[i].key));

		json_object_set_new(o, kv[i].key, json_string(s ? s : ""));
	}
	return o;
}

void
pl_add_out(struct gen *g, struct pipeline *pl, const char *rel, json_t *j)
{
	if (pl->nouts == pl->ocap) {
		pl->ocap = pl->ocap ? pl->ocap * 2 : 16;
		pl->outs = xreallocarray(pl->outs, pl->ocap, sizeof(*pl->outs));
	}
	pl->outs[pl->nouts].rel = rel;
	pl->outs[pl->nouts].json = j;
	pl->nouts++;
}

static json_t *
hosts_json(const struct hostlist *l)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; l && i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static json_t *
run_manifest(struct gen *g, struct pipeline *pl, const struct point *pt, struct entry *e)
{
	const struct recipe *r = e->pkg->r;
	json_t *m = json_object(), *params = json_object(), *secret = json_array(),
	    *vj = json_object(), *tpl = json_array(), *life = json_object(), *icpts = json_array(),
	    *after = json_array(), *req = json_array(), *ssh_args = json_array();
	struct map *vars = pl_entry_vars(g, pl, pt, e, params, secret);
	const char *rundir = map_get(vars, "rundir");
	char hex[SHA256_HEX];
	size_t i, j;

	for (i = 0; i < vars->cap; i++)
		if (vars->keys[i])
			json_object_set_new(vj, vars->keys[i], json_string(vars->vals[i]));
	for (i = 0; i < r->ntemplates; i++) {
		const char *dest = vars_render(g, vars, r->templates[i].val, r->templates[i].vmark,
		    "a template's dest");
		json_t *t = json_object();

		if (!pt || pt == pl->points)
			vars_check_file(g, vars, r->templates[i].key, arena_printf(&g->a,
			    "template %s", fs_basename(r->templates[i].key)));
		if (hash_file(r->templates[i].key, HASH_SHA256, hex) < 0)
			hex[0] = '\0';
		gen_regen_input(g, r->templates[i].key);
		if (dest && dest[0] != '/')
			dest = arena_printf(&g->a, "%s/%s", (const char *)map_get(vars, "config_dir"), dest);
		json_object_set_new(t, "src", json_string(r->templates[i].key));
		json_object_set_new(t, "dest", json_string(dest ? dest : ""));
		json_object_set_new(t, "sha256", json_string(hex));
		json_array_append_new(tpl, t);
	}
	for (i = 0; i < LEN(lifecycle_keys); i++) {
		const char *s = NULL;

		for (j = 0; j < r->nlifecycle; j++)
			if (!strcmp(r->lifecycle[j].key, lifecycle_keys[i]))
				s = vars_render_at(g, vars, r->lifecycle[j].val, r->lifecycle[j].vmark,
				    r->lifecycle[j].block, arena_printf(&g->a, "lifecycle.%s",
				    lifecycle_keys[i]));
		json_object_set_new(life, lifecycle_keys[i], s ? json_string(s) : json_null());
	}
	for (i = 0; i < e->nicpts; i++) {
		struct entry *t = e->icpts[i];
		struct map *iv = pl_entry_vars(g, pl, pt, t, NULL, NULL);
		json_t *o = json_object();

		/* an interceptor's env sees its own parameters and pkgroot as prefix,
		 * and the directories of the entry it applies to */
		map_put(iv, "config_dir", map_get(vars, "config_dir"));
		map_put(iv, "shared_dir", map_get(vars, "shared_dir"));
		map_put(iv, "private_dir", map_get(vars, "private_dir"));
		map_put(iv, "rundir", map_get(vars, "rundir"));
		map_put(iv, "pkg_id", (void *)e->name);
		map_put(iv, "pkg_name", (void *)e->name);
		map_put(iv, "global_id", map_get(vars, "global_id"));
		map_put(iv, "prefix", map_get(iv, "pkgroot"));
		json_object_set_new(o, "name", json_string(t->name));
		json_object_set_new(o, "package", json_string(t->pkg->r->name));
		json_object_set_new(o, "id", json_string(t->pkg->id));
		json_object_set_new(o, "preload", t->pkg->r->preload ? json_string(arena_printf(&g->a,
		    "%s/%s/%s", g->store, t->pkg->id, t->pkg->r->preload)) : json_null());
		json_object_set_new(o, "env", rendered_map(g, iv, t->pkg->r->env, t->pkg->r->nenv,
		    arena_printf(&g->a, "the env of interceptor %s:", t->name)));
		json_array_append_new(icpts, o);
		map_release(iv);
	}
	for (i = 0; i < e->nafter; i++)
		json_array_append_new(after, json_string(e->after[i]->name));
	for (i = 0; i < pl->nssh_args; i++)
		json_array_append_new(ssh_args, json_string(pl->ssh_args[i]));
	for (i = 0; i < r->nrequires_exec; i++)
		json_array_append_new(req, json_string(r->requires_exec[i]));

	json_object_set_new(m, "pipeline", json_string(pl->name ? pl->name : ""));
	json_object_set_new(m, "name", json_string(e->name));
	json_object_set_new(m, "global_id", json_string(map_get(vars, "global_id")));
	json_object_set_new(m, "package", json_string(r->name));
	json_object_set_new(m, "id", json_string(e->pkg->id));
	json_object_set_new(m, "kind", json_string(r->kind));
	json_object_set_new(m, "builddir", json_string(g->builddir));
	json_object_set_new(m, "store", json_string(g->store));
	json_object_set_new(m, "prefix", json_string(map_get(vars, "prefix")));
	json_object_set_new(m, "pkgroot", json_string(map_get(vars, "pkgroot")));
	json_object_set_new(m, "rundir", json_string(rundir));
	json_object_set_new(m, "config_dir", json_string(map_get(vars, "config_dir")));
	json_object_set_new(m, "shared_dir", json_string(map_get(vars, "shared_dir")));
	json_object_set_new(m, "private_dir", json_string(map_get(vars, "private_dir")));
	json_object_set_new(m, "params", params);
	json_object_set_new(m, "secret", secret);
	json_object_set_new(m, "vars", vj);
	json_object_set_new(m, "templates", tpl);
	json_object_set_new(m, "lifecycle", life);
	json_object_set_new(m, "env", rendered_map(g, vars, pl->env, pl->nenv, "the pipeline env"));
	json_object_set_new(m, "interceptors", icpts);
	json_object_set_new(m, "requires_executables", req);
	json_object_set_new(m, "sleep", json_real(e->sleep));
	json_object_set_new(m, "timeout", json_integer(e->timeout));
	json_object_set_new(m, "retry_count", json_integer(e->retry_count));
	json_object_set_new(m, "hide_output", json_boolean(e->hide_output));
	json_object_set_new(m, "launcher", json_string(pl->launcher));
	json_object_set_new(m, "hostfile", e->hostfile || pl->hostfile ?
	    json_string(e->hostfile ? e->hostfile : pl->hostfile) : json_null());
	json_object_set_new(m, "hosts", hosts_json(e->hosts ? e->hosts : pl->hosts));
	json_object_set_new(m, "ssh_args", ssh_args);
	json_object_set_new(m, "deploy", json_string(pl->deploy));
	json_object_set_new(m, "nprocs", e->nprocs ? json_string(e->nprocs) : json_null());
	json_object_set_new(m, "ppn", e->ppn ? json_string(e->ppn) : json_null());
	json_object_set_new(m, "mpi", json_boolean(r->mpi));
	json_object_set_new(m, "after", after);
	cjson_sha256(m, 0, hex);
	json_object_set_new(m, "config_hash", json_string(hex));
	map_release(vars);
	return m;
}

void
pl_prepare_point(struct gen *g, struct pipeline *pl, const struct point *pt)
{
	json_t *top = json_object(), *entries = json_array();
	const char *dir = pl_mandir(g, pt);
	size_t i;

	for (i = 0; i < pl->npkgs; i++) {
		struct entry *e = pl->pkgs[i];
		const char *rel = arena_printf(&g->a, "%s/%s.json", dir, e->name);
		json_t *o = json_object();

		pl_add_out(g, pl, rel, run_manifest(g, pl, pt, e));
		json_object_set_new(o, "name", json_string(e->name));
		json_object_set_new(o, "kind", json_string(e->pkg->r->kind));
		json_object_set_new(o, "manifest", json_string(arena_printf(&g->a, "%s/.pkggen/%s",
		    g->builddir, rel)));
		json_array_append_new(entries, o);
	}
	json_object_set_new(top, "name", json_string(pl->name ? pl->name : ""));
	json_object_set_new(top, "builddir", json_string(g->builddir));
	json_object_set_new(top, "entries", entries);
	if (pt) {
		json_t *vals = json_object();

		for (i = 0; i < pt->nset; i++)
			json_object_set_new(vals, arena_printf(&g->a, "%s.%s", pt->set[i].entry,
			    pt->set[i].param), json_string(param_text(&g->a, NULL, pt->set[i].val)));
		json_object_set_new(top, "point", json_string(pt->id));
		json_object_set_new(top, "vars", vals);
		json_object_set_new(top, "repeat", json_integer(pt->rep));
		json_object_set_new(top, "rundir", json_string(pl_runroot(g, pt)));
		pl_add_out(g, pl, arena_printf(&g->a, "%s/pipeline.json", dir), top);
	} else {
		pl_add_out(g, pl, "pipeline.json", top);
	}
}
