/* SPDX-License-Identifier: MIT */
/* pipeline: Jarvis-CD pipelines (extended) and sweeps into run manifests and edges (SPEC §3) */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cjson.h"
#include "fs.h"
#include "gen.h"
#include "hostfile.h"
#include "sha256.h"
#include "util.h"

static const char *const pl_keys[] = {
	"name", "env", "repos", "hostfile", "launcher", "interceptors", "pkgs", "shared_dir",
	"private_dir", "mirrors", "ssh_args", "deploy",
};
/* the keys every Jarvis entry accepts; any other key is a parameter */
static const char *const entry_keys[] = {
	"pkg_type", "pkg_name", "interceptors", "after", "hostfile", "sleep", "timeout",
	"retry_count", "hide_output", "do_dbg", "dbg_port", "nprocs", "ppn",
};
static const char *const sweep_keys[] = {"config", "vars", "loop", "repeat"};
static const char *const launchers[] = {"local", "ssh", "pdsh", "slurm"};
static const char *const deploys[] = {"shared", "push"};
static const char *const lifecycle_keys[] = {
	"configure", "start", "ready", "status", "stop", "kill", "clean", "stats",
};

struct entry {
	const char *name, *type;
	struct mark mark, type_mark;
	const struct ynode *node;
	struct pkg *pkg;
	int interceptor;	/* declared under the pipeline's interceptors: */
	const struct ynode *icpt_node, *after_node;
	struct entry **icpts, **after;
	size_t nicpts, nafter, icap, acap;
	double sleep;
	long long timeout, retry_count;
	int hide_output;
	const char *hostfile, *nprocs, *ppn;
	struct hostlist *hosts;	/* its hostfile's hosts, or NULL */
	int explicit_after;
};

/* one value of a sweep variable */
struct setting {
	const char *entry, *param;
	const struct ynode *val;
};

struct point {
	const char *id;
	struct setting *set;
	size_t nset;
	int rep;
};

struct out {
	const char *rel;	/* under .pkggen/ */
	json_t *json;
};

struct pipeline {
	const char *file, *dir, *name;
	const struct ynode *root, *env_node;
	struct kv *env;
	size_t nenv;
	const char *hostfile, *launcher, *shared_root, *private_root;
	struct hostlist *hosts;	/* the pipeline's hostfile's hosts, or NULL */
	struct mark launcher_mark;
	const char *deploy;	/* shared | push */
	const char **ssh_args;
	size_t nssh_args, sshcap;
	const char *mirrors;	/* "NAME=BASE BASE;NAME=BASE", as PKGTOOL_MIRRORS */
	struct entry **pkgs, **icpts;
	size_t npkgs, nicpts, pcap, icap;
	/* a sweep */
	int sweep;
	const struct ynode *vars;	/* {ENTRY.PARAM: [values]} */
	struct point *points;
	size_t npoints;
	/* prepared output */
	struct out *outs;
	size_t nouts, ocap;
};

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

static void
unknown_key(struct gen *g, const struct ynode *k, const char *const *keys, size_t n,
    const char *where)
{
	const char *s = suggest(k->str, keys, n);

	if (s)
		diag_error(&g->d, k->mark, "unknown key '%s' in %s; did you mean '%s'?", k->str, where, s);
	else
		diag_error(&g->d, k->mark, "unknown key '%s' in %s", k->str, where);
}

static const char *
scalar(struct gen *g, const struct ynode *n, const char *key)
{
	if (!n)
		return NULL;
	if (n->type != Y_SCALAR) {
		diag_error(&g->d, n->mark, "'%s' must be a string, not %s", key, ytype_name(n));
		return NULL;
	}
	return n->str;
}

static const char *
relpath(struct gen *g, const char *dir, const char *p)
{
	if (p[0] == '/')
		return p;
	return fs_abspath_arena(&g->a, arena_printf(&g->a, "%s/%s", dir, p));
}

/* the hosts of the hostfile at path, named at m (SPEC §8); re-read when it changes */
static struct hostlist *
load_hosts(struct gen *g, const char *path, struct mark m)
{
	struct hostlist *l = arena_alloc(&g->a, sizeof(*l));

	gen_regen_input(g, path);
	hostfile_read(&g->a, &g->d, path, m, l);
	return l;
}

/* ssh_args: a string split at blanks, or a list; the file of -F or -i is
 * relative to the pipeline, as its other paths are */
static void
load_ssh_args(struct gen *g, struct pipeline *pl, const struct ynode *n)
{
	const struct ynode *one[1];
	const struct ynode *const *items = (const struct ynode *const *)n->items;
	size_t i, cnt = n->n;

	if (n->type == Y_SCALAR) {
		one[0] = n;
		items = one;
		cnt = 1;
	} else if (n->type != Y_SEQ) {
		diag_error(&g->d, n->mark, "'ssh_args' must be a string or a list of arguments, not %s",
		    ytype_name(n));
		return;
	}
	for (i = 0; i < cnt; i++) {
		const char *s = scalar(g, items[i], "ssh_args"), *p;
		size_t len;

		for (p = s; p && *p; p += len) {
			const char *a, *prev = pl->nssh_args ? pl->ssh_args[pl->nssh_args - 1] : "";

			p += strspn(p, " \t\n");
			len = n->type == Y_SCALAR ? strcspn(p, " \t\n") : strlen(p);
			if (!len)
				break;
			a = arena_strndup(&g->a, p, len);
			if ((!strcmp(prev, "-F") || !strcmp(prev, "-i")) && a[0] != '/')
				a = relpath(g, pl->dir, a);
			arena_append(&g->a, (void ***)&pl->ssh_args, &pl->nssh_args, &pl->sshcap, (void *)a);
		}
	}
}

int
pipeline_is_input(struct gen *g, const char *input, const char **path)
{
	struct stat st;
	const char *dot, *rest;
	size_t i;

	if (!endswith(input, ".yaml") && !endswith(input, ".yml") && !strstr(input, ".pipelines."))
		return 0;
	if ((endswith(input, ".yaml") || endswith(input, ".yml")) && stat(input, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		*path = fs_abspath_arena(&g->a, input);
		return 1;
	}
	/* REPO.pipelines.NAME, dots for sub-folders */
	dot = strstr(input, ".pipelines.");
	if (!dot)
		return 0;
	for (i = 0; i < g->repos.len; i++) {
		const struct repo *r = &g->repos.v[i];
		char *p, *s;

		if (strlen(r->name) != (size_t)(dot - input) || strncmp(r->name, input, (size_t)(dot - input)))
			continue;
		rest = dot + strlen(".pipelines.");
		p = xasprintf("%s/pipelines/%s.yaml", r->dir, rest);
		for (s = p + strlen(r->dir) + strlen("/pipelines/"); *s && strcmp(s, ".yaml"); s++)
			if (*s == '.')
				*s = '/';
		if (stat(p, &st) == 0) {
			*path = arena_strdup(&g->a, p);
			free(p);
			return 1;
		}
		free(p);
	}
	return 0;
}

/* a pkg_type's bare name: REPO.NAME:VARIANT -> NAME */
static const char *
bare_name(struct gen *g, const char *type)
{
	const char *s = type, *dot = strchr(type, '.');
	size_t n;

	if (dot && repos_find(&g->repos, arena_strndup(&g->a, type, (size_t)(dot - type))))
		s = dot + 1;
	n = strcspn(s, ": \t=<>!");
	return arena_strndup(&g->a, s, n);
}

static struct entry *
find_entry(struct pipeline *pl, const char *name)
{
	size_t i;

	for (i = 0; i < pl->npkgs; i++)
		if (!strcmp(pl->pkgs[i]->name, name))
			return pl->pkgs[i];
	for (i = 0; i < pl->nicpts; i++)
		if (!strcmp(pl->icpts[i]->name, name))
			return pl->icpts[i];
	return NULL;
}

static void
parse_entry(struct gen *g, struct pipeline *pl, const struct ynode *n, int interceptor)
{
	struct entry *e;
	const struct ynode *v;
	size_t i;

	if (n->type != Y_MAP) {
		diag_error(&g->d, n->mark, "a pipeline entry must be a mapping with pkg_type:, "
		    "not %s", ytype_name(n));
		return;
	}
	e = arena_alloc(&g->a, sizeof(*e));
	e->node = n;
	e->mark = n->mark;
	e->interceptor = interceptor;
	e->timeout = 30;
	v = ymap_get(n, "pkg_type");
	if (!v) {
		diag_error(&g->d, n->mark, "a pipeline entry needs 'pkg_type:' (REPO.NAME or NAME)");
		return;
	}
	if (!(e->type = scalar(g, v, "pkg_type")))
		return;
	e->type_mark = v->mark;
	e->name = bare_name(g, e->type);
	if ((v = ymap_get(n, "pkg_name")) && scalar(g, v, "pkg_name"))
		e->name = v->str;
	if (!*e->name || strspn(e->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-.") != strlen(e->name)) {
		diag_error(&g->d, v ? v->mark : e->type_mark, "pkg_name '%s' must be letters, digits, "
		    "'_', '-' or '.'", e->name);
		return;
	}
	if (find_entry(pl, e->name)) {
		diag_error(&g->d, v ? v->mark : e->type_mark, "pkg_name '%s' is used twice in the "
		    "pipeline (first at line %d); give one of them another pkg_name", e->name,
		    find_entry(pl, e->name)->mark.line);
		return;
	}
	for (i = 0; i < n->n; i += 2) {
		const struct ynode *k = n->items[i], *val = n->items[i + 1];
		long long x;

		if (!strcmp(k->str, "sleep") || !strcmp(k->str, "timeout") ||
		    !strcmp(k->str, "retry_count")) {
			char *end;
			double d = val->type == Y_SCALAR ? strtod(val->str, &end) : -1;

			if (val->type != Y_SCALAR || !*val->str || *end || d < 0) {
				diag_error(&g->d, val->mark, "'%s' must be a number of %s, not '%s'",
				    k->str, strcmp(k->str, "retry_count") ? "seconds" : "retries",
				    val->type == Y_SCALAR ? val->str : ytype_name(val));
				continue;
			}
			x = (long long)d;
			if (!strcmp(k->str, "sleep"))
				e->sleep = d;
			else if (!strcmp(k->str, "timeout"))
				e->timeout = x > 0 ? x : 1;
			else
				e->retry_count = x;
		} else if (!strcmp(k->str, "hide_output")) {
			e->hide_output = val->type == Y_SCALAR && (!strcmp(val->str, "true") ||
			    !strcmp(val->str, "yes") || !strcmp(val->str, "True"));
		} else if (!strcmp(k->str, "do_dbg") || !strcmp(k->str, "dbg_port")) {
			diag_warning(&g->d, k->mark, "'%s' is accepted for Jarvis compatibility and "
			    "ignored", k->str);
		} else if (!strcmp(k->str, "hostfile")) {
			if (scalar(g, val, "hostfile")) {
				e->hostfile = relpath(g, pl->dir, val->str);
				e->hosts = load_hosts(g, e->hostfile, val->mark);
			}
		} else if (!strcmp(k->str, "nprocs")) {
			e->nprocs = scalar(g, val, "nprocs");
		} else if (!strcmp(k->str, "ppn")) {
			e->ppn = scalar(g, val, "ppn");
		} else if (!strcmp(k->str, "interceptors")) {
			if (interceptor)
				diag_error(&g->d, k->mark, "an interceptor cannot name interceptors");
			else if (val->type != Y_SEQ)
				diag_error(&g->d, val->mark, "'interceptors' must be a list of names");
			else
				e->icpt_node = val;
		} else if (!strcmp(k->str, "after")) {
			if (val->type == Y_SCALAR && !ynull(val)) {
				struct ynode *seq = arena_alloc(&g->a, sizeof(*seq));

				seq->type = Y_SEQ;
				seq->mark = val->mark;
				seq->n = 1;
				seq->items = arena_alloc(&g->a, sizeof(*seq->items));
				seq->items[0] = (struct ynode *)val;
				val = seq;
			}
			if (val->type != Y_SEQ && !ynull(val))
				diag_error(&g->d, val->mark, "'after' must be a list of pkg_names");
			else
				e->after_node = val;
			e->explicit_after = 1;
		}
	}
	e->pkg = resolve_input(g, e->type, e->type_mark);
	if (interceptor)
		arena_append(&g->a, (void ***)&pl->icpts, &pl->nicpts, &pl->icap, e);
	else
		arena_append(&g->a, (void ***)&pl->pkgs, &pl->npkgs, &pl->pcap, e);
}

static void
load_env(struct gen *g, struct pipeline *pl, const struct ynode *n)
{
	size_t i;

	if (n->type == Y_SCALAR) {
		/* a Jarvis named environment: NAME.yaml in a directory of $PKGTOOL_ENVS */
		const char *dirs = getenv("PKGTOOL_ENVS");
		char *list = xstrdup(dirs ? dirs : ""), *save = NULL, *tok;
		const char *found = NULL;

		for (tok = strtok_r(list, ":", &save); tok && !found; tok = strtok_r(NULL, ":", &save)) {
			char *p = xasprintf("%s/%s.yaml", tok, n->str);

			if (access(p, R_OK) == 0)
				found = arena_strdup(&g->a, p);
			free(p);
		}
		free(list);
		if (!found) {
			diag_error(&g->d, n->mark, "named environment '%s' not found: looked for %s.yaml "
			    "in $PKGTOOL_ENVS (%s)", n->str, n->str, dirs && *dirs ? dirs : "unset");
			return;
		}
		gen_regen_input(g, found);
		n = yaml_load(&g->a, &g->d, found);
		if (!n)
			return;
	}
	if (n->type != Y_MAP) {
		diag_error(&g->d, n->mark, "'env' must be a mapping of variables or the name of an "
		    "environment, not %s", ytype_name(n));
		return;
	}
	pl->env = arena_alloc(&g->a, (n->n / 2 + 1) * sizeof(*pl->env));
	for (i = 0; i < n->n; i += 2) {
		const struct ynode *k = n->items[i], *v = n->items[i + 1];

		if (v->type != Y_SCALAR) {
			diag_error(&g->d, v->mark, "env value of '%s' must be a string", k->str);
			continue;
		}
		pl->env[pl->nenv].key = k->str;
		pl->env[pl->nenv].val = v->str;
		pl->env[pl->nenv].mark = k->mark;
		pl->env[pl->nenv].vmark = v->mark;
		pl->env[pl->nenv].block = v->block;
		pl->nenv++;
	}
}

/* mirrors: {NAME: BASE} or {NAME: [BASE, ...]}; a relative file path base is
 * taken relative to the pipeline file */
static void
load_mirrors(struct gen *g, struct pipeline *pl, const struct ynode *n)
{
	struct buf b = BUF_INIT;
	size_t i, j;

	if (n->type != Y_MAP) {
		diag_error(&g->d, n->mark, "'mirrors' must map a mirror name to a base URL or a "
		    "list of them, like {debian: http://HOST/debian}");
		return;
	}
	for (i = 0; i < n->n; i += 2) {
		const struct ynode *k = n->items[i], *v = n->items[i + 1];
		size_t cnt = v->type == Y_SEQ ? v->n : 1;

		if (strpbrk(k->str, "=; \t") || !*k->str) {
			diag_error(&g->d, k->mark, "mirror name '%s' must not hold '=', ';' or blanks",
			    k->str);
			continue;
		}
		buf_printf(&b, "%s%s=", b.len ? ";" : "", k->str);
		for (j = 0; j < cnt; j++) {
			const struct ynode *u = v->type == Y_SEQ ? v->items[j] : v;

			if (u->type != Y_SCALAR || strpbrk(u->str, "; \t")) {
				diag_error(&g->d, u->mark, "a mirror base must be one URL without "
				    "blanks or ';'");
				continue;
			}
			if (startswith(u->str, "file://") && u->str[7] != '/')
				buf_printf(&b, "%sfile://%s", j ? " " : "", relpath(g, pl->dir, u->str + 7));
			else
				buf_printf(&b, "%s%s", j ? " " : "", u->str);
		}
	}
	pl->mirrors = arena_strdup(&g->a, buf_str(&b));
	buf_release(&b);
}

const char *
pipeline_mirrors(struct gen *g)
{
	return g->pl && g->pl->mirrors ? g->pl->mirrors : NULL;
}

static void
load_body(struct gen *g, struct pipeline *pl, const struct ynode *root)
{
	const struct ynode *n;
	size_t i;

	for (i = 0; i < root->n; i += 2)
		if (!in_list(root->items[i]->str, pl_keys, LEN(pl_keys)))
			unknown_key(g, root->items[i], pl_keys, LEN(pl_keys), "a pipeline");
	n = ymap_get(root, "name");
	if (!n)
		diag_error(&g->d, root->mark, "a pipeline needs 'name:'");
	else if ((pl->name = scalar(g, n, "name")) && (!*pl->name ||
	    strspn(pl->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
	    strlen(pl->name)))
		diag_error(&g->d, n->mark, "pipeline name '%s' must be letters, digits, '_', '-' "
		    "or '.'", pl->name);
	if ((n = ymap_get(root, "repos"))) {
		if (n->type != Y_SEQ) {
			diag_error(&g->d, n->mark, "'repos' must be a list of directories");
		} else {
			/* the pipeline's repositories come first in the search order */
			struct repos old = g->repos;

			memset(&g->repos, 0, sizeof(g->repos));
			for (i = 0; i < n->n; i++) {
				const char *dir;

				if (!scalar(g, n->items[i], "repos"))
					continue;
				dir = relpath(g, pl->dir, n->items[i]->str);
				if (!fs_isdir(dir)) {
					diag_error(&g->d, n->items[i]->mark, "repository '%s' is not a "
					    "directory (%s)", n->items[i]->str, dir);
					continue;
				}
				repos_add(&g->a, &g->repos, dir);
				gen_regen_input(g, dir);
			}
			for (i = 0; i < old.len; i++) {
				size_t k;

				for (k = 0; k < g->repos.len; k++)
					if (!strcmp(g->repos.v[k].dir, old.v[i].dir))
						break;
				if (k < g->repos.len)
					continue;
				if (g->repos.len == g->repos.cap) {
					g->repos.cap = g->repos.cap * 2 + 4;
					g->repos.v = xreallocarray(g->repos.v, g->repos.cap,
					    sizeof(*g->repos.v));
				}
				g->repos.v[g->repos.len++] = old.v[i];
				old.v[i].pkgs = NULL;
			}
			repos_release(&old);
		}
	}
	if ((n = ymap_get(root, "env")))
		load_env(g, pl, n);
	if ((n = ymap_get(root, "hostfile")) && scalar(g, n, "hostfile")) {
		pl->hostfile = relpath(g, pl->dir, n->str);
		pl->hosts = load_hosts(g, pl->hostfile, n->mark);
	}
	pl->launcher = "local";
	pl->deploy = "shared";
	if ((n = ymap_get(root, "ssh_args")))
		load_ssh_args(g, pl, n);
	if ((n = ymap_get(root, "deploy")) && scalar(g, n, "deploy")) {
		if (!in_list(n->str, deploys, LEN(deploys))) {
			const char *s = suggest(n->str, deploys, LEN(deploys));

			diag_error(&g->d, n->mark, "deploy '%s' is not one of shared, push%s%s%s",
			    n->str, s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
		}
		pl->deploy = n->str;
	}
	if ((n = ymap_get(root, "launcher")) && scalar(g, n, "launcher")) {
		pl->launcher_mark = n->mark;
		if (!in_list(n->str, launchers, LEN(launchers))) {
			const char *s = suggest(n->str, launchers, LEN(launchers));

			diag_error(&g->d, n->mark, "launcher '%s' is not one of local, ssh, pdsh, slurm%s%s%s",
			    n->str, s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
		}
		pl->launcher = n->str;
	}
	if ((n = ymap_get(root, "mirrors")))
		load_mirrors(g, pl, n);
	if ((n = ymap_get(root, "shared_dir")) && scalar(g, n, "shared_dir"))
		pl->shared_root = relpath(g, pl->dir, n->str);
	if ((n = ymap_get(root, "private_dir")) && scalar(g, n, "private_dir"))
		pl->private_root = relpath(g, pl->dir, n->str);
	if ((n = ymap_get(root, "interceptors"))) {
		if (n->type != Y_SEQ)
			diag_error(&g->d, n->mark, "'interceptors' must be a list of entries");
		else
			for (i = 0; i < n->n; i++)
				parse_entry(g, pl, n->items[i], 1);
	}
	n = ymap_get(root, "pkgs");
	if (!n)
		diag_error(&g->d, root->mark, "a pipeline needs 'pkgs:', the list of its entries");
	else if (n->type != Y_SEQ)
		diag_error(&g->d, n->mark, "'pkgs' must be a list of entries");
	else
		for (i = 0; i < n->n; i++)
			parse_entry(g, pl, n->items[i], 0);
}

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

static void
load_sweep(struct gen *g, struct pipeline *pl, const struct ynode *root)
{
	const struct ynode *cfg = ymap_get(root, "config"), *loop, *rep, *vars;
	const struct ynode **groups[64];
	size_t ngroups = 0, glen[64], i, j, k, total = 1;
	long long repeat = 1;
	int used[256] = {0};

	for (i = 0; i < root->n; i += 2)
		if (!in_list(root->items[i]->str, sweep_keys, LEN(sweep_keys)))
			unknown_key(g, root->items[i], sweep_keys, LEN(sweep_keys), "a sweep");
	pl->sweep = 1;
	if (cfg->type == Y_SCALAR) {
		const char *path = relpath(g, pl->dir, cfg->str);

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
	load_body(g, pl, cfg);
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
pipeline_load(struct gen *g, const char *path)
{
	struct pipeline *pl;
	const struct ynode *root;

	if (g->pl) {
		struct mark m = {path, 0, 0};
		diag_error(&g->d, m, "only one pipeline can be generated into a build directory; "
		    "%s is one already", g->pl->file);
		return;
	}
	pl = arena_alloc(&g->a, sizeof(*pl));
	pl->file = path;
	pl->dir = fs_dirname_arena(&g->a, path);
	g->pl = pl;
	gen_regen_input(g, path);
	root = yaml_load(&g->a, &g->d, path);
	if (!root)
		return;
	if (root->type != Y_MAP) {
		diag_error(&g->d, root->mark, "a pipeline must be a mapping with name: and pkgs:, "
		    "not %s", ytype_name(root));
		return;
	}
	pl->root = root;
	if (ymap_get(root, "config"))
		load_sweep(g, pl, root);
	else
		load_body(g, pl, root);
}

/* the text value of entry e's parameter p: the point's setting, the entry's
 * own value, or the default; NULL when none */
static const struct ynode *
value_of(const struct point *pt, const struct entry *e, const struct param *p)
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

static const char *
who(struct gen *g, const struct entry *e)
{
	return arena_printf(&g->a, "%s (entry %s)", e->pkg->r->name, e->name);
}

/* ask on the terminal for a missing required parameter; NULL when not possible */
static const struct ynode *
ask(struct gen *g, const struct entry *e, const struct param *p)
{
	char line[4096];
	struct ynode *v;

	for (;;) {
		struct diag d = DIAG_INIT;

		fprintf(stderr, "%s.%s (%s%s%s): ", e->name, p->name, param_type_name(p->type),
		    p->msg ? ", " : "", p->msg ? p->msg : "");
		if (!fgets(line, sizeof(line), stdin)) {
			fputc('\n', stderr);
			return NULL;
		}
		line[strcspn(line, "\n")] = '\0';
		v = arena_alloc(&g->a, sizeof(*v));
		v->type = Y_SCALAR;
		v->plain = 1;
		v->str = arena_strdup(&g->a, line);
		v->mark.file = "(terminal)";
		if (p->type == P_LIST) {
			fprintf(stderr, "a list parameter cannot be typed in; give it in the pipeline\n");
			return NULL;
		}
		if (param_check(&d, p, v, who(g, e)) == 0) {
			diag_release(&d);
			return v;
		}
		fprintf(stderr, "%s\n", d.msgs[0].text);
		diag_release(&d);
	}
}

static void
check_params(struct gen *g, struct pipeline *pl, struct entry *e)
{
	const struct recipe *r = e->pkg->r;
	const char **names = arena_alloc(&g->a, (r->nparams + 1) * sizeof(*names));
	struct buf missing = BUF_INIT;
	size_t i;

	for (i = 0; i < r->nparams; i++)
		names[i] = r->params[i].name;
	for (i = 0; i < e->node->n; i += 2) {
		const struct ynode *k = e->node->items[i], *v = e->node->items[i + 1];
		const struct param *p;
		const char *s;

		if (in_list(k->str, entry_keys, LEN(entry_keys)))
			continue;
		p = param_find(r, k->str);
		if (!p) {
			s = suggest(k->str, names, r->nparams);
			if (!s)
				s = suggest(k->str, entry_keys, LEN(entry_keys));
			diag_error(&g->d, k->mark, "unknown parameter '%s' for %s%s%s%s", k->str,
			    who(g, e), s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
			continue;
		}
		if (!ynull(v))
			param_check(&g->d, p, v, who(g, e));
	}
	for (i = 0; i < r->nparams; i++) {
		struct param *p = &r->params[i];
		const struct ynode *v = value_of(NULL, e, p);

		if (v && !ynull(v))
			continue;
		/* a sweep variable gives it at every point */
		if (pl->vars && ymap_get(pl->vars, arena_printf(&g->a, "%s.%s", e->name, p->name)))
			continue;
		if (!p->required)
			continue;
		if (g->ask && isatty(0)) {
			const struct ynode *a = ask(g, e, p);

			if (a) {
				/* remember the answer as if the pipeline had said it */
				struct ynode *n = (struct ynode *)e->node;
				struct ynode **items = arena_alloc(&g->a, (n->n + 2) * sizeof(*items));
				struct ynode *key = arena_alloc(&g->a, sizeof(*key));

				memcpy(items, n->items, n->n * sizeof(*items));
				key->type = Y_SCALAR;
				key->str = p->name;
				items[n->n] = key;
				items[n->n + 1] = (struct ynode *)a;
				n->items = items;
				n->n += 2;
				continue;
			}
		}
		buf_printf(&missing, "%s%s (%s%s%s)", missing.len ? ", " : "", p->name,
		    param_type_name(p->type), p->msg ? ": " : "", p->msg ? p->msg : "");
	}
	if (missing.len)
		diag_error(&g->d, e->mark, "%s is missing required parameters: %s; give them in the "
		    "pipeline%s", who(g, e), missing.s, !g->ask ? ", or run pkggen --ask on a "
		    "terminal" : isatty(0) ? "" : " (--ask needs a terminal)");
	buf_release(&missing);
}

static void
link_entries(struct gen *g, struct pipeline *pl)
{
	const char **names = arena_alloc(&g->a, (pl->npkgs + pl->nicpts + 1) * sizeof(*names));
	size_t i, j, n = 0;

	for (i = 0; i < pl->npkgs; i++)
		names[n++] = pl->pkgs[i]->name;
	for (i = 0; i < pl->nicpts; i++)
		names[n++] = pl->icpts[i]->name;
	for (i = 0; i < pl->nicpts; i++) {
		struct entry *e = pl->icpts[i];

		if (e->pkg && strcmp(e->pkg->r->kind, "interceptor"))
			diag_error(&g->d, e->type_mark, "'%s' is declared under interceptors: but "
			    "package %s is of kind %s; interceptors are packages of kind interceptor",
			    e->name, e->pkg->r->name, e->pkg->r->kind);
	}
	for (i = 0; i < pl->npkgs; i++) {
		struct entry *e = pl->pkgs[i];

		if (e->pkg && !strcmp(e->pkg->r->kind, "interceptor"))
			diag_error(&g->d, e->type_mark, "'%s' is an interceptor package; declare it "
			    "under the pipeline's interceptors: and name it in an entry's "
			    "interceptors: list", e->name);
		if (!e->pkg)
			continue;
		for (j = 0; e->icpt_node && j < e->icpt_node->n; j++) {
			const struct ynode *v = e->icpt_node->items[j];
			struct entry *t = v->type == Y_SCALAR ? find_entry(pl, v->str) : NULL;

			if (!t || !t->interceptor) {
				const char **in = arena_alloc(&g->a, (pl->nicpts + 1) * sizeof(*in));
				size_t k;
				const char *s;

				for (k = 0; k < pl->nicpts; k++)
					in[k] = pl->icpts[k]->name;
				s = v->type == Y_SCALAR ? suggest(v->str, in, pl->nicpts) : NULL;
				diag_error(&g->d, v->mark, "'%s' is not an interceptor declared under the "
				    "pipeline's interceptors:%s%s%s", v->type == Y_SCALAR ? v->str : "?",
				    s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
				continue;
			}
			arena_append(&g->a, (void ***)&e->icpts, &e->nicpts, &e->icap, t);
		}
		if (!e->explicit_after) {
			/* Jarvis order: each entry runs after the previous one */
			if (i > 0)
				arena_append(&g->a, (void ***)&e->after, &e->nafter, &e->acap, pl->pkgs[i - 1]);
			continue;
		}
		for (j = 0; e->after_node && e->after_node->type == Y_SEQ && j < e->after_node->n; j++) {
			const struct ynode *v = e->after_node->items[j];
			struct entry *t = v->type == Y_SCALAR ? find_entry(pl, v->str) : NULL;
			size_t k;

			for (k = 0; t && k < pl->npkgs && pl->pkgs[k] != t; k++)
				;
			if (!t || t->interceptor) {
				const char *s = v->type == Y_SCALAR ? suggest(v->str, names, n) : NULL;

				diag_error(&g->d, v->mark, "'after' names '%s', which is no entry of pkgs:%s%s%s",
				    v->type == Y_SCALAR ? v->str : "?", s ? "; did you mean '" : "",
				    s ? s : "", s ? "'?" : "");
				continue;
			}
			if (k >= i) {
				diag_error(&g->d, v->mark, "'%s' runs after '%s', which comes later in "
				    "pkgs:; entries start in pipeline order", e->name, t->name);
				continue;
			}
			arena_append(&g->a, (void ***)&e->after, &e->nafter, &e->acap, t);
		}
	}
}

/* the root of run directories: BUILDDIR/run, or BUILDDIR/sweep/POINT */
static const char *
runroot(struct gen *g, const struct point *pt)
{
	return pt ? arena_printf(&g->a, "%s/sweep/%s", g->builddir, pt->id) :
	    arena_printf(&g->a, "%s/run", g->builddir);
}

/* manifests go under .pkggen/run/ or .pkggen/sweep/POINT/ */
static const char *
mandir(struct gen *g, const struct point *pt)
{
	return pt ? arena_printf(&g->a, "sweep/%s", pt->id) : "run";
}

static struct map *
entry_vars(struct gen *g, struct pipeline *pl, const struct point *pt, struct entry *e,
    json_t *params, json_t *secret)
{
	struct map *v = arena_alloc(&g->a, sizeof(*v));
	const struct recipe *r = e->pkg->r;
	const char *rundir = arena_printf(&g->a, "%s/%s", runroot(g, pt), e->name);
	size_t i;

	for (i = 0; i < r->nparams; i++) {
		const struct param *p = &r->params[i];
		const struct ynode *val = value_of(pt, e, p);

		if (val && ynull(val))
			val = NULL;
		if (pt && val && param_check(&g->d, p, val, who(g, e)) < 0)
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

static void
add_out(struct gen *g, struct pipeline *pl, const char *rel, json_t *j)
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
	struct map *vars = entry_vars(g, pl, pt, e, params, secret);
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
		struct map *iv = entry_vars(g, pl, pt, t, NULL, NULL);
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
	cjson_sha256(m, hex);
	json_object_set_new(m, "config_hash", json_string(hex));
	map_release(vars);
	return m;
}

static void
prepare_point(struct gen *g, struct pipeline *pl, const struct point *pt)
{
	json_t *top = json_object(), *entries = json_array();
	const char *dir = mandir(g, pt);
	size_t i;

	for (i = 0; i < pl->npkgs; i++) {
		struct entry *e = pl->pkgs[i];
		const char *rel = arena_printf(&g->a, "%s/%s.json", dir, e->name);
		json_t *o = json_object();

		add_out(g, pl, rel, run_manifest(g, pl, pt, e));
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
		json_object_set_new(top, "rundir", json_string(runroot(g, pt)));
		add_out(g, pl, arena_printf(&g->a, "%s/pipeline.json", dir), top);
	} else {
		add_out(g, pl, "pipeline.json", top);
	}
}

static void
check_sweep_vars(struct gen *g, struct pipeline *pl)
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
		e = find_entry(pl, ename);
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
			    who(g, e), s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
			continue;
		}
		/* every value must fit the parameter */
		for (j = 0; pl->vars->items[i + 1]->type == Y_SEQ && j < pl->vars->items[i + 1]->n; j++)
			param_check(&g->d, param_find(e->pkg->r, dot + 1), pl->vars->items[i + 1]->items[j],
			    who(g, e));
	}
}

/* ssh and pdsh run entries on the hosts of a hostfile: each entry that runs
 * something needs one (slurm takes its allocation's nodes) */
static void
check_hosts(struct gen *g, struct pipeline *pl)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (strcmp(pl->launcher, "ssh") && strcmp(pl->launcher, "pdsh"))
		return;
	for (i = 0; i < pl->npkgs; i++) {
		const struct entry *e = pl->pkgs[i];

		if (e->pkg && !e->hosts && !pl->hosts && (!strcmp(e->pkg->r->kind, "service") ||
		    !strcmp(e->pkg->r->kind, "application")))
			buf_printf(&b, "%s%s", b.len ? ", " : "", e->name);
	}
	if (b.len)
		diag_error(&g->d, pl->launcher_mark, "launcher '%s' runs entries on the hosts of a "
		    "hostfile, and %s %s none; give the pipeline (or the entry) 'hostfile:'",
		    pl->launcher, b.s, strchr(b.s, ',') ? "have" : "has");
	buf_release(&b);
}

void
pipeline_check(struct gen *g)
{
	struct pipeline *pl = g->pl;
	size_t i;

	if (!pl)
		return;
	check_sweep_vars(g, pl);
	check_hosts(g, pl);
	/* a broken recipe's parameters are not checked: its own errors say why */
	for (i = 0; i < pl->npkgs; i++)
		if (pl->pkgs[i]->pkg && !pl->pkgs[i]->pkg->r->broken)
			check_params(g, pl, pl->pkgs[i]);
	for (i = 0; i < pl->nicpts; i++)
		if (pl->icpts[i]->pkg && !pl->icpts[i]->pkg->r->broken)
			check_params(g, pl, pl->icpts[i]);
	link_entries(g, pl);
}

void
pipeline_prepare(struct gen *g)
{
	struct pipeline *pl = g->pl;
	size_t i;

	if (!pl)
		return;
	if (pl->sweep) {
		json_t *sw = json_object(), *pts = json_array();

		for (i = 0; i < pl->npoints; i++) {
			prepare_point(g, pl, &pl->points[i]);
			json_array_append_new(pts, json_string(pl->points[i].id));
		}
		json_object_set_new(sw, "builddir", json_string(g->builddir));
		json_object_set_new(sw, "points", pts);
		add_out(g, pl, "sweep.json", sw);
	} else {
		prepare_point(g, pl, NULL);
	}
}

int
pipeline_write(struct gen *g)
{
	struct pipeline *pl = g->pl;
	size_t i;
	int ret = 0;

	for (i = 0; pl && i < pl->nouts; i++) {
		char *path = xasprintf("%s/.pkggen/%s", g->builddir, pl->outs[i].rel);
		char *s = cjson_pretty(pl->outs[i].json);

		if (fs_mkparent(path) < 0 || gen_write_manifest(g, pl->outs[i].rel, s, strlen(s)) < 0)
			ret = -1;
		free(s);
		free(path);
	}
	return ret;
}

static void
release_outs(struct pipeline *pl)
{
	size_t i;

	for (i = 0; i < pl->nouts; i++)
		json_decref(pl->outs[i].json);
	free(pl->outs);
	pl->outs = NULL;
	pl->nouts = 0;
}

static void
target(struct buf *b, struct gen *g, const char *p)
{
	ninja_path(b, g, p);
}

/* the output of an entry's start edge: services touch started, applications write stats.json */
static const char *
start_out(struct gen *g, const struct point *pt, const struct entry *e)
{
	const char *rd = arena_printf(&g->a, "%s/%s", runroot(g, pt), e->name);

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
			target(b, g, arena_printf(&g->a, "%s/stats.json", runroot(g, pt)));
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
			target(b, g, arena_printf(&g->a, "%s/stats.json", runroot(g, &pl->points[i])));
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

/* free what the pipeline holds outside the arena */
void
pipeline_release(struct gen *g)
{
	if (g->pl)
		release_outs(g->pl);
}
