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
#include "pipeline.h"
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
static const char *const launchers[] = {"local", "ssh", "pdsh", "slurm"};
static const char *const deploys[] = {"shared", "push"};

void
pl_unknown_key(struct gen *g, const struct ynode *k, const char *const *keys, size_t n,
    const char *where)
{
	const char *s = suggest(k->str, keys, n);

	if (s)
		diag_error(&g->d, k->mark, "unknown key '%s' in %s; did you mean '%s'?", k->str, where, s);
	else
		diag_error(&g->d, k->mark, "unknown key '%s' in %s", k->str, where);
}

const char *
pl_scalar(struct gen *g, const struct ynode *n, const char *key)
{
	if (!n)
		return NULL;
	if (n->type != Y_SCALAR) {
		diag_error(&g->d, n->mark, "'%s' must be a string, not %s", key, ytype_name(n));
		return NULL;
	}
	return n->str;
}

const char *
pl_relpath(struct gen *g, const char *dir, const char *p)
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
		const char *s = pl_scalar(g, items[i], "ssh_args"), *p;
		size_t len;

		for (p = s; p && *p; p += len) {
			const char *a, *prev = pl->nssh_args ? pl->ssh_args[pl->nssh_args - 1] : "";

			p += strspn(p, " \t\n");
			len = n->type == Y_SCALAR ? strcspn(p, " \t\n") : strlen(p);
			if (!len)
				break;
			a = arena_strndup(&g->a, p, len);
			if ((!strcmp(prev, "-F") || !strcmp(prev, "-i")) && a[0] != '/')
				a = pl_relpath(g, pl->dir, a);
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

struct entry *
pl_find_entry(struct pipeline *pl, const char *name)
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
	if (!(e->type = pl_scalar(g, v, "pkg_type")))
		return;
	e->type_mark = v->mark;
	e->name = bare_name(g, e->type);
	if ((v = ymap_get(n, "pkg_name")) && pl_scalar(g, v, "pkg_name"))
		e->name = v->str;
	if (!*e->name || strspn(e->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-.") != strlen(e->name)) {
		diag_error(&g->d, v ? v->mark : e->type_mark, "pkg_name '%s' must be letters, digits, "
		    "'_', '-' or '.'", e->name);
		return;
	}
	if (pl_find_entry(pl, e->name)) {
		diag_error(&g->d, v ? v->mark : e->type_mark, "pkg_name '%s' is used twice in the "
		    "pipeline (first at line %d); give one of them another pkg_name", e->name,
		    pl_find_entry(pl, e->name)->mark.line);
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
			if (pl_scalar(g, val, "hostfile")) {
				e->hostfile = pl_relpath(g, pl->dir, val->str);
				e->hosts = load_hosts(g, e->hostfile, val->mark);
			}
		} else if (!strcmp(k->str, "nprocs")) {
			e->nprocs = pl_scalar(g, val, "nprocs");
		} else if (!strcmp(k->str, "ppn")) {
			e->ppn = pl_scalar(g, val, "ppn");
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
				buf_printf(&b, "%sfile://%s", j ? " " : "", pl_relpath(g, pl->dir, u->str + 7));
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

void
pl_load_body(struct gen *g, struct pipeline *pl, const struct ynode *root)
{
	const struct ynode *n;
	size_t i;

	for (i = 0; i < root->n; i += 2)
		if (!str_in_list(root->items[i]->str, pl_keys, LEN(pl_keys)))
			pl_unknown_key(g, root->items[i], pl_keys, LEN(pl_keys), "a pipeline");
	n = ymap_get(root, "name");
	if (!n)
		diag_error(&g->d, root->mark, "a pipeline needs 'name:'");
	else if ((pl->name = pl_scalar(g, n, "name")) && (!*pl->name ||
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

				if (!pl_scalar(g, n->items[i], "repos"))
					continue;
				dir = pl_relpath(g, pl->dir, n->items[i]->str);
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
	if ((n = ymap_get(root, "hostfile")) && pl_scalar(g, n, "hostfile")) {
		pl->hostfile = pl_relpath(g, pl->dir, n->str);
		pl->hosts = load_hosts(g, pl->hostfile, n->mark);
	}
	pl->launcher = "local";
	pl->deploy = "shared";
	if ((n = ymap_get(root, "ssh_args")))
		load_ssh_args(g, pl, n);
	if ((n = ymap_get(root, "deploy")) && pl_scalar(g, n, "deploy")) {
		if (!str_in_list(n->str, deploys, LEN(deploys))) {
			const char *s = suggest(n->str, deploys, LEN(deploys));

			diag_error(&g->d, n->mark, "deploy '%s' is not one of shared, push%s%s%s",
			    n->str, s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
		}
		pl->deploy = n->str;
	}
	if ((n = ymap_get(root, "launcher")) && pl_scalar(g, n, "launcher")) {
		pl->launcher_mark = n->mark;
		if (!str_in_list(n->str, launchers, LEN(launchers))) {
			const char *s = suggest(n->str, launchers, LEN(launchers));

			diag_error(&g->d, n->mark, "launcher '%s' is not one of local, ssh, pdsh, slurm%s%s%s",
			    n->str, s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
		}
		pl->launcher = n->str;
	}
	if ((n = ymap_get(root, "mirrors")))
		load_mirrors(g, pl, n);
	if ((n = ymap_get(root, "shared_dir")) && pl_scalar(g, n, "shared_dir"))
		pl->shared_root = pl_relpath(g, pl->dir, n->str);
	if ((n = ymap_get(root, "private_dir")) && pl_scalar(g, n, "private_dir"))
		pl->private_root = pl_relpath(g, pl->dir, n->str);
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
		pl_load_sweep(g, pl, root);
	else
		pl_load_body(g, pl, root);
}

const char *
pl_who(struct gen *g, const struct entry *e)
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
		if (param_check(&d, p, v, pl_who(g, e)) == 0) {
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

		if (str_in_list(k->str, entry_keys, LEN(entry_keys)))
			continue;
		p = param_find(r, k->str);
		if (!p) {
			s = suggest(k->str, names, r->nparams);
			if (!s)
				s = suggest(k->str, entry_keys, LEN(entry_keys));
			diag_error(&g->d, k->mark, "unknown parameter '%s' for %s%s%s%s", k->str,
			    pl_who(g, e), s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
			continue;
		}
		if (!ynull(v))
			param_check(&g->d, p, v, pl_who(g, e));
	}
	for (i = 0; i < r->nparams; i++) {
		struct param *p = &r->params[i];
		const struct ynode *v = pl_value_of(NULL, e, p);

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
		    "pipeline%s", pl_who(g, e), missing.s, !g->ask ? ", or run pkggen --ask on a "
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
			struct entry *t = v->type == Y_SCALAR ? pl_find_entry(pl, v->str) : NULL;

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
			struct entry *t = v->type == Y_SCALAR ? pl_find_entry(pl, v->str) : NULL;
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
const char *
pl_runroot(struct gen *g, const struct point *pt)
{
	return pt ? arena_printf(&g->a, "%s/sweep/%s", g->builddir, pt->id) :
	    arena_printf(&g->a, "%s/run", g->builddir);
}

/* manifests go under .pkggen/run/ or .pkggen/sweep/POINT/ */
const char *
pl_mandir(struct gen *g, const struct point *pt)
{
	return pt ? arena_printf(&g->a, "sweep/%s", pt->id) : "run";
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
	pl_check_sweep_vars(g, pl);
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
			pl_prepare_point(g, pl, &pl->points[i]);
			json_array_append_new(pts, json_string(pl->points[i].id));
		}
		json_object_set_new(sw, "builddir", json_string(g->builddir));
		json_object_set_new(sw, "points", pts);
		pl_add_out(g, pl, "sweep.json", sw);
	} else {
		pl_prepare_point(g, pl, NULL);
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

/* free what the pipeline holds outside the arena */
void
pipeline_release(struct gen *g)
{
	if (g->pl)
		release_outs(g->pl);
}
